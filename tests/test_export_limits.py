"""Export files a careless or unlucky user may give ``import``: a zip bomb in Central's CSV zip, two rows with one
``_id``, an ``_id`` that is not a whole number, a NUL byte in a header, an encrypted workbook. Each is one
``error:`` line naming the file and what is wrong, exit 2, and the store exactly as it was."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from qaf_kobo.cli import main
from test_exports import kobo_rows, kobo_table, write_kobo_csv, write_xlsx

from central_server import qaf_form
from test_import import snapshot, submissions


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store holding three submissions."""
    (tmp_path / "good.json").write_text(json.dumps(submissions(3)))
    path = tmp_path / "s.sqlite"
    assert run("import", str(tmp_path / "good.json"), "--store", str(path)).exit_code == 0
    return path


def refused(store: Path, bad: Path, problem: str) -> None:
    before = snapshot(store)
    result = run("import", str(bad), "--store", str(store))
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    assert result.stderr.startswith(f"error: {bad}: {problem}") and result.stderr.count("\n") == 1, result.stderr
    assert snapshot(store) == before


def kobo_csv(folder: Path, name: str, ids: list[object]) -> Path:
    table = kobo_table(kobo_rows(len(ids)))
    for line, value in zip(table[1:], ids, strict=True):
        line[table[0].index("_id")] = value
    return write_kobo_csv(folder / name, table)


def test_two_rows_with_one_id_are_refused_naming_both(store: Path, tmp_path: Path) -> None:
    refused(store, kobo_csv(tmp_path, "dup.csv", [100, 101, 100]), "rows 2 and 4 have the same _id 100")
    table = kobo_table(kobo_rows(2))
    table[2][table[0].index("_id")] = table[1][table[0].index("_id")]
    refused(store, write_xlsx(tmp_path / "dup.xlsx", {"QAF": table}), "rows 2 and 3 have the same _id 100")


@pytest.mark.parametrize(("value", "problem"), [
    ("1.5", "row 3: _id '1.5' is not a whole number"),
    ("12345678901234567890123", "row 3: _id '12345678901234567890123' is larger than any KoboToolbox id"),
    ("1e3", "row 3: _id '1e3' is not a whole number"),
])
def test_an_id_that_is_not_a_whole_number_is_quoted_as_written(store: Path, tmp_path: Path, value: str,
                                                               problem: str) -> None:
    refused(store, kobo_csv(tmp_path, "ids.csv", [5, value]), problem)


def test_an_xlsx_float_id_is_refused(store: Path, tmp_path: Path) -> None:
    table = kobo_table(kobo_rows(1))
    table[1][table[0].index("_id")] = 1.5
    refused(store, write_xlsx(tmp_path / "f.xlsx", {"QAF": table}), "row 2: _id '1.5' is not a whole number")


def test_a_nul_byte_in_a_header_says_so(store: Path, tmp_path: Path) -> None:
    table = kobo_table(kobo_rows(1))
    table[0][2] = table[0][2] + "\x00"
    refused(store, write_kobo_csv(tmp_path / "nul.csv", table), "the header row holds a NUL byte (column 3)")


def test_an_encrypted_workbook_says_it_is_encrypted(store: Path, tmp_path: Path) -> None:
    """Excel saves a password-protected workbook as an OLE2 compound file with an EncryptedPackage stream."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    entry = "EncryptedPackage".encode("utf-16-le").ljust(64, b"\0") + b"\x22\0\x02" + b"\0" * 61
    (tmp_path / "locked.xlsx").write_bytes(header + b"\0" * 512 + entry)
    refused(store, tmp_path / "locked.xlsx", "the workbook is encrypted (password-protected)")
    (tmp_path / "old.xlsx").write_bytes(header + b"\0" * 1024)
    refused(store, tmp_path / "old.xlsx", "a legacy .xls (Excel 97–2003) workbook named .xlsx")


def central_header() -> str:
    fields = [p.replace("/", "-") for p in dict.fromkeys(qaf_form().paths.values()) if p.startswith("details")][:6]
    return ",".join(["SubmissionDate", *fields, "KEY"]) + "\n"


def bomb(path: Path, members: dict[str, tuple[str, int]]) -> Path:
    """A Central-like zip: each member is its text followed by that many MiB of newlines (compressed about a
    thousand to one)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, (text, mebibytes) in members.items():
            with archive.open(name, "w") as handle:
                handle.write(text.encode())
                for _ in range(mebibytes):
                    handle.write(b"\n" * (1 << 20))
    return path


@pytest.mark.parametrize("member", ["qaf_case_management-people.csv", "qaf_case_management.csv"])
def test_a_zip_bomb_in_the_forms_csvs_is_refused_before_it_is_read(store: Path, tmp_path: Path, member: str) -> None:
    members = {"qaf_case_management.csv": (central_header(), 0)}
    members[member] = ("PARENT_KEY,KEY\n" if "people" in member else central_header(), 8)
    path = bomb(tmp_path / "bomb.zip", members)
    size = len(members[member][0]) + (8 << 20)
    refused(store, path, f"{member} is {size:,} bytes uncompressed from")


def test_other_members_of_the_zip_are_not_read(store: Path, tmp_path: Path) -> None:
    path = bomb(tmp_path / "extra.zip", {"qaf_case_management.csv": (central_header(), 0), "notes.csv": ("", 8),
                                         "media/photo.csv": ("", 8)})
    result = run("import", str(path), "--store", str(store), "--source", "central-export")
    assert result.exit_code == 0, result.output
    assert "imported 0 submissions" in result.output
