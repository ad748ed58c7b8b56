"""``qaf-kobo import``: the three file shapes, the same upsert rules as sync, a bad file changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.store import open_store

from kobo_server import qaf_answers, qaf_form


def submissions(n: int, start: int = 0) -> list[dict]:
    return [{**qaf_answers(i), "_id": i + 1, "_uuid": f"u{i}", "meta/instanceID": f"uuid:u{i}",
             "meta/rootUuid": f"uuid:r{i}", "__version__": "vX", "_validation_status": {},
             "_submission_time": "2026-03-01T10:00:00"} for i in range(start, start + n)]


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def snapshot(store: Path | str) -> tuple:
    """Everything a store holds: status, meta, active rows and every table's rows."""
    with open_store(store) as st:
        tables = [st.conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()
                  for t in ("meta", "submissions", "submission_history")]
        return st.status().to_dict(), st.active_submissions(), tables


def versions_of_one() -> tuple[dict, dict, dict]:
    """Three versions of one submission as KPI gives them: each edit's meta/deprecatedID names the previous."""
    v1 = submissions(1)[0]
    v2 = {**v1, "_uuid": "u0-e1", "meta/instanceID": "uuid:u0-e1", "meta/deprecatedID": "uuid:u0", "note": "2"}
    v3 = {**v2, "_uuid": "u0-e2", "meta/instanceID": "uuid:u0-e2", "meta/deprecatedID": "uuid:u0-e1", "note": "3"}
    return v1, v2, v3


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
    new = [{**old[0], "_uuid": "u0-edit", "meta/instanceID": "uuid:u0-edit",
            qaf_form().key("c_1_1"): "4"}]
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
    before = snapshot(store)
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
    assert snapshot(store) == before
    assert before[1] == submissions(2)


def test_new_then_old_keeps_the_new_one(tmp_path: Path) -> None:
    v1, v2, v3 = versions_of_one()
    store = str(tmp_path / "s.sqlite")
    for name, rows in (("v1.json", [v1]), ("v2.json", [v2]), ("v3.json", [v3])):
        (tmp_path / name).write_text(json.dumps(rows))
    assert "1 new" in run("import", str(tmp_path / "v3.json"), "--store", store).output
    for older in ("v2.json", "v1.json"):
        result = run("import", str(tmp_path / older), "--store", store)
        assert "0 updated, 0 unchanged, 1 older than the stored version" in result.output, result.output
    with open_store(store) as st:
        assert st.active_submissions() == [v3] and st.history("r0", "export:imported") == []


def test_both_versions_in_one_batch_the_older_goes_to_history(tmp_path: Path) -> None:
    v1, v2, v3 = versions_of_one()
    (tmp_path / "a.json").write_text(json.dumps([v3, v1]))
    (tmp_path / "b.jsonl").write_text(json.dumps(v2) + "\n")
    store = str(tmp_path / "s.sqlite")
    result = run("import", str(tmp_path / "a.json"), str(tmp_path / "b.jsonl"), "--store", store)
    assert result.exit_code == 0 and "imported 3 submissions from 2 file(s) into export:imported: 1 new, 2 updated" in result.output
    with open_store(store) as st:
        assert st.active_submissions() == [v3] and st.history("r0", "export:imported") == [v1, v2]


def test_versions_in_a_batch_that_cannot_be_ordered_are_refused(tmp_path: Path) -> None:
    v1, v2, v3 = versions_of_one()
    orphan = {**v3, "_uuid": "u0-x", "meta/instanceID": "uuid:u0-x", "meta/deprecatedID": "uuid:u0-gone"}
    (tmp_path / "a.json").write_text(json.dumps([v3, orphan]))
    store = tmp_path / "s.sqlite"
    result = run("import", str(tmp_path / "a.json"), "--store", str(store))
    assert result.exit_code == 2
    assert result.output.startswith("error: submission r0 appears in 2 versions (u0-e2, u0-x)")
    assert snapshot(store)[0]["submissions"] == 0


def test_import_after_a_server_delete_keeps_it_deleted(tmp_path: Path) -> None:
    v1, v2, _ = versions_of_one()
    store = tmp_path / "s.sqlite"
    with open_store(store) as st:
        st.add_source("export:imported", "export", "", "imported")
        st.upsert_page([v1, *submissions(1, 1)], source="export:imported")  # as a sync would
        st.mark_deleted(["uuid:r0"], source="export:imported")
    before = snapshot(store)
    (tmp_path / "old.json").write_text(json.dumps([v1, v2]))
    result = run("import", str(tmp_path / "old.json"), "--store", str(store))
    assert result.exit_code == 0
    assert result.output.strip().splitlines()[0].endswith("0 new, 0 updated, 0 unchanged, 0 older than the stored version, "
                                          "2 skipped: deleted on the server")
    assert snapshot(store) == before
    assert (before[0]["submissions"], before[0]["deleted"]) == (1, 1)


@pytest.mark.parametrize("kind", ["missing parent", "directory"])
def test_a_store_path_that_cannot_hold_a_store_is_one_clear_line(tmp_path: Path, kind: str) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(submissions(1)))
    if kind == "directory":
        store = tmp_path / "d.sqlite"
        store.mkdir()
    else:
        store = Path("/proc/nope/x.sqlite")
    for args in (["import", str(good)], ["status"]):
        result = CliRunner().invoke(main, [*args, "--store", str(store)])
        assert result.exit_code == 2, result.output
        assert result.output.count("\n") == 1 and str(store) in result.output and "Traceback" not in result.output
        assert result.output.startswith("error: ")
