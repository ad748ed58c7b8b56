"""``qaf-kobo import``: the three file shapes, the same upsert rules as sync, a bad file changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kobo_server import qaf_answers
from qaf_kobo.cli import main
from qaf_kobo.store import open_store


def submissions(n: int, start: int = 0) -> list[dict]:
    return [{**qaf_answers(i), "_id": i + 1, "_uuid": f"u{i}", "meta/instanceID": f"uuid:u{i}",
             "meta/rootUuid": f"uuid:r{i}", "__version__": "vX", "_validation_status": {},
             "_submission_time": "2026-03-01T10:00:00"} for i in range(start, start + n)]


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_imports_a_page_a_list_and_json_lines(tmp_path: Path) -> None:
    page, listing, lines = tmp_path / "page.json", tmp_path / "list.json", tmp_path / "rows.jsonl"
    page.write_text(json.dumps({"count": 3, "next": None, "previous": None, "results": submissions(3)}))
    listing.write_text(json.dumps(submissions(2, 3)))
    lines.write_text("\n".join(json.dumps(s, ensure_ascii=False) for s in submissions(4, 5)) + "\n\n")
    store = str(tmp_path / "s.sqlite")
    result = run("import", str(page), str(listing), str(lines), "--store", store)
    assert result.exit_code == 0, result.output
    assert "9 new" in result.output
    with open_store(store) as st:
        assert st.active_submissions() == submissions(9)
    again = run("import", str(page), "--store", store)
    assert "0 new, 0 updated, 3 unchanged" in again.output


def test_an_edited_copy_replaces_and_an_older_copy_is_ignored(tmp_path: Path) -> None:
    old = submissions(1)
    new = [{**old[0], "_uuid": "u0-edit", "meta/instanceID": "uuid:u0-edit", "s_1/c_1_1": "4"}]
    for name, rows in (("old.json", old), ("new.json", new)):
        (tmp_path / name).write_text(json.dumps(rows))
    store = str(tmp_path / "s.sqlite")
    run("import", str(tmp_path / "old.json"), "--store", store)
    assert "1 updated" in run("import", str(tmp_path / "new.json"), "--store", store).output
    assert "1 older than the stored version" in run("import", str(tmp_path / "old.json"), "--store", store).output
    with open_store(store) as st:
        assert st.active_submissions() == new


def test_a_bad_file_is_a_clear_error_and_changes_nothing(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(submissions(2)))
    store = tmp_path / "s.sqlite"
    run("import", str(good), "--store", str(store))
    before = store.read_bytes()
    bad_files = {"csv.json": "a,b\n1,2\n", "object.json": json.dumps({"hello": 1}),
                 "half.jsonl": json.dumps(submissions(1)[0]) + "\n{broken", "empty.json": "",
                 "numbers.json": "[1, 2]", "noid.json": json.dumps([{"_id": 3, "q": "x"}])}
    for name, text in bad_files.items():
        (tmp_path / name).write_text(text)
        result = run("import", str(good), str(tmp_path / name), "--store", str(store))
        assert result.exit_code == 2, name
        line = result.output.strip()
        assert line.startswith(f"error: {tmp_path / name}") and "\n" not in line and "Traceback" not in line
    assert run("import", str(tmp_path / "missing.json"), "--store", str(store)).exit_code == 2
    with open_store(store) as st:
        assert st.active_submissions() == submissions(2)
    assert len(before) > 0
