"""The SQLite store: schema, upsert by rootUuid, history of edits, deletions kept, bad files refused."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from qaf_kobo.errors import QafError
from qaf_kobo.store import SCHEMA_VERSION, open_store


def row(root: str, uuid: str, kobo_id: int = 1, **answers: str) -> dict:
    return {"meta/rootUuid": root, "_uuid": uuid, "_id": kobo_id, "_submission_time": "2026-03-01T10:00:00",
            "__version__": "vA", "_validation_status": {}, **answers}


def test_schema_is_the_documented_one(tmp_path: Path) -> None:
    open_store(tmp_path / "s.sqlite").close()
    conn = sqlite3.connect(tmp_path / "s.sqlite")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 1
    columns = [r[1] for r in conn.execute("PRAGMA table_info(submissions)")]
    assert columns == ["root_uuid", "kobo_id", "uuid", "submission_time", "form_version", "validation_status",
                       "raw_json", "first_seen", "last_seen", "deleted_at"]
    assert [r[1] for r in conn.execute("PRAGMA table_info(submission_history)")] == ["root_uuid", "uuid", "raw_json",
                                                                                     "replaced_at"]
    assert dict(conn.execute("SELECT key, value FROM meta")) == {"schema_version": "1"}


def test_upsert_accepts_root_uuid_with_and_without_prefix(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite") as store:
        assert store.upsert_page([row("uuid:r1", "u1")]).new == 1
        counts = store.upsert_page([row("r1", "u2", q="changed")])
        assert (counts.new, counts.updated) == (0, 1)
        assert store.conn.execute("SELECT root_uuid, uuid FROM submissions").fetchall() == [("r1", "u2")]
        assert [h["_uuid"] for h in store.history("uuid:r1")] == ["u1"]


def test_edit_replaces_the_row_and_keeps_the_previous_version(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite") as store:
        store.upsert_page([row("uuid:r1", "u1", a="1"), row("uuid:r2", "v1", 2)])
        again = store.upsert_page([row("uuid:r1", "u1", a="1")])
        assert (again.unchanged, again.new, again.updated) == (1, 0, 0)
        edited = {**row("uuid:r1", "u2", a="2"), "_validation_status": {"uid": "validation_status_approved"}}
        assert store.upsert_page([edited]).updated == 1
        assert store.active_submissions()[0] == edited
        assert store.history("r1") == [row("uuid:r1", "u1", a="1")]
        assert store.conn.execute("SELECT validation_status FROM submissions WHERE root_uuid='r1'").fetchone()[0] \
            == "validation_status_approved"
        # an older copy (e.g. from an old download) does not overwrite the newer one
        assert store.upsert_page([row("uuid:r1", "u1", a="1")]).stale == 1
        assert store.active_submissions()[0] == edited


def test_deleted_rows_are_kept_and_come_back(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite") as store:
        store.upsert_page([row("uuid:r1", "u1"), row("uuid:r2", "v1", 2)])
        assert store.mark_deleted(["uuid:r2"]) == 1
        assert store.mark_deleted(["r2"]) == 0
        status = store.status()
        assert (status.submissions, status.deleted, status.versions) == (1, 1, {"vA": 1})
        assert [s["meta/rootUuid"] for s in store.active_submissions()] == ["uuid:r1"]
        assert store.upsert_page([row("uuid:r2", "v1", 2)]).updated == 1
        assert store.status().deleted == 0


def test_raw_json_is_kept_whole(tmp_path: Path) -> None:
    sub = {**row("uuid:r1", "u1"), "_tags": [], "notes": "=SUM(A1) ملاحظة", "rep": [{"rep/x": "1"}]}
    with open_store(tmp_path / "s.sqlite") as store:
        store.upsert_page([sub])
        raw = store.conn.execute("SELECT raw_json FROM submissions").fetchone()[0]
    assert json.loads(raw) == sub


def test_a_row_without_any_id_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite") as store:
        with pytest.raises(QafError, match="neither meta/rootUuid nor _uuid"):
            store.upsert_page([row("uuid:r1", "u1"), {"_id": 5, "q": "1"}])
        assert store.status().submissions == 0


def test_files_that_are_not_stores_are_refused(tmp_path: Path) -> None:
    (tmp_path / "text.sqlite").write_text("hello, not a database" * 100)
    with pytest.raises(QafError, match="not a qaf-kobo store"):
        open_store(tmp_path / "text.sqlite")
    other = sqlite3.connect(tmp_path / "other.sqlite")
    other.execute("CREATE TABLE t (x)")
    other.commit()
    other.close()
    with pytest.raises(QafError, match="not a qaf-kobo store"):
        open_store(tmp_path / "other.sqlite")
    newer = sqlite3.connect(tmp_path / "newer.sqlite")
    newer.execute("PRAGMA user_version = 7")
    newer.close()
    with pytest.raises(QafError, match="newer qaf-kobo"):
        open_store(tmp_path / "newer.sqlite")
