"""Output that is all or nothing: report, score, form build and translations export check the folder first, write
every file under a temporary name and rename the set when complete; a problem is one `error:` line, exit 2, and
leaves no file behind (no zero-byte file, no partial set of workbooks)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from qaf_kobo.form.contract import criterion_field
from qaf_kobo.framework import load_framework
from qaf_kobo.output_files import OutputSet
from qaf_kobo.report import workbook, write_reports
from qaf_kobo.scoring import score_submissions
from test_store_faults import a_store, read_only, run, tiny_disk  # noqa: F401 (tiny_disk: a fixture)

from rubrics import rubric
from test_import import submissions


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


def one_error(result, starts: str) -> None:
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    assert result.stderr.startswith(f"error: {starts}"), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return a_store(tmp_path / "data")


@pytest.mark.parametrize("command", ["report", "score"])
def test_an_out_that_is_a_file_or_under_one_or_the_store(command: str, store: Path, tmp_path: Path) -> None:
    file = tmp_path / "f"
    file.write_text("x\n")
    one_error(run(command, "--store", str(store), "--out", str(file)), f"--out {file} is a file, not a folder")
    one_error(run(command, "--store", str(store), "--out", str(file / "sub")),
              f"cannot make the folder {file / 'sub'}: {file} is a file, not a folder")
    one_error(run(command, "--store", str(store), "--out", str(store)), f"--out {store} is the store itself")
    long_name = tmp_path / ("a" * 300)
    one_error(run(command, "--store", str(store), "--out", str(long_name)),
              f"cannot make the folder {long_name}: the name {'a' * 40}… is longer than the file system takes")
    assert file.read_text() == "x\n" and sorted(p.name for p in tmp_path.iterdir()) == ["data", "f"]


@pytest.mark.parametrize("command", ["report", "score"])
def test_a_read_only_out_folder(command: str, store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with read_only(out):
        one_error(run(command, "--store", str(store), "--out", str(out)), f"cannot write to the folder {out}: it is "
                                                                           "read-only")
    assert files_in(out) == []


def test_form_build_and_translations_export_check_their_output(tmp_path: Path) -> None:
    file = tmp_path / "f"
    file.write_text("x\n")
    result = run("form", "build", "--out", str(file / "sub"), "--lang", "en", "--no-validate")
    one_error(result, f"cannot make the folder {file / 'sub'}: {file} is a file, not a folder; pass another --out")
    one_error(run("translations", "export", "--lang", "pt", str(file / "pt.xlsx")),
              f"cannot write {file / 'pt.xlsx'}: {file} is a file, not a folder; pass another file name")
    assert files_in(tmp_path) == ["f"]


def fill(disk: Path, leave: int) -> None:
    """Fill ``disk`` but ``leave`` bytes."""
    free = shutil.disk_usage(disk).free
    (disk / "filler").write_bytes(b"\0" * max(0, free - leave))


@pytest.mark.parametrize("command", ["report", "score"])
def test_a_full_disk_leaves_no_file_and_no_partial_set(command: str, tiny_disk: Path, tmp_path: Path) -> None:
    store = a_store(tmp_path / "data", n=12)
    fill(tiny_disk, 60_000)  # room for a file or two, not for the whole set
    result = run(command, "--store", str(store), "--out", str(tiny_disk / "out"))
    one_error(result, "cannot write ")
    assert str(tiny_disk / "out") in result.stderr and "the disk is full (No space left on device); nothing was written" in result.stderr
    assert files_in(tiny_disk / "out") == []
    (tiny_disk / "filler").unlink()
    assert run(command, "--store", str(store), "--out", str(tiny_disk / "out")).exit_code == 0


def test_a_failed_country_workbook_in_a_worker_leaves_no_workbook(store: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """When one workbook of the set cannot be written (a full disk, as the writer says it), none is kept."""
    real = workbook._write_book

    def full_on_the_second(data, fw, words, path, sheets=None):
        if data.country == "LBN":
            path.write_bytes(b"PK")  # a half-written file
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(data, fw, words, path, sheets)

    monkeypatch.setattr(workbook, "_write_book", full_on_the_second)
    out = tmp_path / "out"
    one_error(run("report", "--store", str(store), "--out", str(out)), f"cannot write {out}/qaf_LBN_")
    assert files_in(out) == []


def test_a_set_is_renamed_only_when_complete(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), OutputSet(tmp_path) as files:
        files.part("a.csv").write_text("a")
        raise KeyboardInterrupt
    assert files_in(tmp_path) == []
    with OutputSet(tmp_path) as files:
        files.part("a.csv").write_text("a")
        files.part("b.csv").write_text("b")
    assert files.paths == [tmp_path / "a.csv", tmp_path / "b.csv"] and files_in(tmp_path) == ["a.csv", "b.csv"]


def test_a_long_country_value_is_a_finding_not_a_stop(tmp_path: Path) -> None:
    rows = submissions(3)
    long_country = "Republic of " + "x" * 288
    rows[0]["details_scope/country"] = long_country
    (tmp_path / "rows.json").write_text(json.dumps(rows))
    store = tmp_path / "s.sqlite"
    assert run("import", str(tmp_path / "rows.json"), "--store", str(store)).exit_code == 0
    result = run("report", "--store", str(store), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    names = files_in(tmp_path / "out")
    assert len(names) == 1 + len({r["details_scope/country"] for r in rows})
    long_one = [n for n in names if "REPUBLIC" in n.upper()]
    assert len(long_one) == 1 and len(long_one[0]) < 80, names
    book = load_workbook(tmp_path / "out" / next(n for n in names if "summary" in n), read_only=True)
    quality = [" ".join(str(c) for c in row if c) for row in book["Data quality"].iter_rows(values_only=True)]
    assert any(long_country[:30].upper() in line.upper() for line in quality), quality


def test_the_agencies_cell_is_cut_at_a_name_and_says_how_many_more(tmp_path: Path) -> None:
    """Some 25 agencies of 1,500 characters need each action: Excel holds 32,767 characters in a cell."""
    rows = submissions(200)
    for i, row in enumerate(rows):
        row["details_scope/country"] = "JOR"
        row["details_scope/agency"] = f"Agency {i:03d} " + "x" * 1489
    (tmp_path / "rows.json").write_text(json.dumps(rows))
    store = tmp_path / "s.sqlite"
    assert run("import", str(tmp_path / "rows.json"), "--store", str(store)).exit_code == 0
    result = run("report", "--store", str(store), "--out", str(tmp_path / "out"), "--country", "JOR")
    assert result.exit_code == 0, result.output
    book = load_workbook(next((tmp_path / "out").glob("qaf_JOR_*.xlsx")), read_only=True)
    sheet = book["Country action plan"]
    header, *body = sheet.iter_rows(values_only=True)
    needing, agencies = header.index("Agencies needing it"), header.index("Agencies")
    cut = 0
    for row in body:
        count, text = row[needing], row[agencies]
        assert len(text) <= 32_767
        names, _, more = text.rpartition(" … (+") if count * 1502 - 2 > 32_767 else (text, "", "0)")
        listed = names.split("; ")
        assert all(len(name) == 1500 and name.startswith("Agency ") for name in listed)  # whole names only
        assert len(listed) + int(more.rstrip(")")) == count
        cut += len(listed) < count
    assert cut, "some action is needed by more agencies than a cell holds"


def test_a_framework_of_500_domains_reports_without_a_performance_warning(tmp_path: Path) -> None:
    many = rubric(3) | {
        "domains": [{"id": f"d{i}", "title": f"Domain {i}"} for i in range(500)],
        "sections": [{"id": f"s{i}", "domain": f"d{i}", "title": f"Section {i}",
                      "criteria": [{"id": f"s{i}.1", "title": f"Criterion {i}",
                                    "levels": ["Weak.", "Fair.", "Strong."]}]} for i in range(500)],
        "actions": [],
    }
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(many, sort_keys=False), encoding="utf-8")
    fw = load_framework(path)
    raw = pd.DataFrame([{"_id": n, "meta/rootUuid": f"uuid:r{n}", "_submission_time": "2026-03-01T10:00:00",
                         "__version__": "v1", "details_scope/country": country, "details_scope/agency": f"A{n}",
                         "details/assessment_date": "2026-02-01", "details/round": "2026",
                         **{criterion_field(c): str(1 + (n + k) % 3) for k, c in enumerate(fw.criteria)}}
                        for n, country in enumerate(["JOR", "LBN", "JOR"])])
    scores = score_submissions(raw, fw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        paths = write_reports(scores, fw, tmp_path / "out")
    book = load_workbook(paths[0], read_only=True)
    header = next(book["Domains"].iter_rows(values_only=True))
    assert len(header) == 5 + 2 * 500 and header[5] == "d0. Domain 0: level"
