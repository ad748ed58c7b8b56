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
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    columns = [r[1] for r in conn.execute("PRAGMA table_info(submissions)")]
    assert columns == ["source_id", "root_uuid", "kobo_id", "uuid", "submission_time", "form_version",
                       "validation_status", "raw_json", "first_seen", "last_seen", "deleted_at"]
    assert [r[1] for r in conn.execute("PRAGMA table_info(submission_history)")] == ["root_uuid", "uuid", "raw_json",
                                                                                     "replaced_at", "source_id"]
    assert [r[1] for r in conn.execute("PRAGMA table_info(sources)")] == ["id", "name", "kind", "server", "ref",
                                                                          "created"]
    assert [r[1] for r in conn.execute("PRAGMA table_info(source_state)")] == ["source_id", "key", "value"]
    assert dict(conn.execute("SELECT key, value FROM meta")) == {"schema_version": "2"}


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


@pytest.mark.parametrize("broken", ['{"_uuid": "u1", "a": ', "[1, 2]", "null"])
def test_a_stored_row_broken_by_hand_is_replaced_by_the_next_version_and_kept(tmp_path: Path, broken: str) -> None:
    with open_store(tmp_path / "s.sqlite") as store:
        store.upsert_page([row("uuid:r1", "u1", a="1")])
        with store.conn:
            store.conn.execute("UPDATE submissions SET raw_json = ? WHERE root_uuid = 'r1'", (broken,))
        counts = store.upsert_page([row("uuid:r1", "u2", a="2")])
        assert (counts.new, counts.updated, counts.stale) == (0, 1, 0)
        assert store.active_submissions() == [row("uuid:r1", "u2", a="2")]
        assert store.conn.execute("SELECT raw_json FROM submission_history WHERE root_uuid = 'r1'").fetchall() \
            == [(broken,)]


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


def edit(previous: dict, uuid: str, **answers: str) -> dict:
    """The next version of ``previous`` as KPI gives it: new ``_uuid``, ``meta/deprecatedID`` = the previous id."""
    return {**previous, "_uuid": uuid, "meta/instanceID": f"uuid:{uuid}",
            "meta/deprecatedID": f"uuid:{previous['_uuid']}", **answers}


def versions() -> tuple[dict, dict, dict]:
    v1 = {**row("uuid:r1", "r1", a="1"), "meta/instanceID": "uuid:r1"}
    v2 = edit(v1, "u2", a="2")
    return v1, v2, edit(v2, "u3", a="3")


@pytest.mark.parametrize("older", [0, 1])
def test_an_older_copy_never_overwrites_a_newer_one_stored_first(tmp_path: Path, older: int) -> None:
    # the newer version arrives first (no history yet): its meta/deprecatedID or being an edit says it is newer
    v1, v2, v3 = versions()
    with open_store(tmp_path / "s.sqlite") as store:
        store.upsert_page([v3])
        counts = store.upsert_page([(v1, v2)[older]], from_server=False)
        assert (counts.stale, counts.updated) == (1, 0)
        assert store.active_submissions() == [v3] and store.history("r1") == []
        # an older version known only through the history's deprecatedID chain
        store.upsert_page([edit(v3, "u4", a="4")])
        assert store.upsert_page([v2, v1]).stale == 2


def test_a_newer_edit_still_replaces_an_unlinked_older_one(tmp_path: Path) -> None:
    v1, v2, v3 = versions()
    with open_store(tmp_path / "s.sqlite") as store:
        store.upsert_page([v1])
        assert store.upsert_page([v3]).updated == 1  # v2 never seen: v3 is an edit, v1 the original
        assert store.active_submissions() == [v3] and store.history("r1") == [v1]


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0), (2, 0, 1)])
def test_versions_in_one_batch_are_applied_oldest_first(tmp_path: Path, order: tuple[int, ...]) -> None:
    all_versions = versions()
    with open_store(tmp_path / "s.sqlite") as store:
        counts = store.upsert_page([all_versions[i] for i in order])
        assert (counts.new, counts.updated, counts.stale) == (1, 2, 0)
        assert store.active_submissions() == [all_versions[2]]
        assert store.history("r1") == list(all_versions[:2])


def test_versions_that_cannot_be_ordered_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    v1, v2, _ = versions()
    fork = [v1, edit(v1, "u2a", a="x"), edit(v1, "u2b", a="y")]
    unlinked = [edit(v2, "u3", a="3"), edit(edit(edit(v2, "u3"), "u4"), "u5")]
    with open_store(tmp_path / "s.sqlite") as store:
        for batch, message in ((fork, "3 versions .*two edits of r1"), (unlinked, "2 versions .*does not put in")):
            with pytest.raises(QafError, match=f"submission r1 appears in {message}"):
                store.upsert_page([row("uuid:r9", "u9"), *batch])
            assert store.status().submissions == 0


def test_rows_from_a_file_do_not_bring_back_a_deleted_submission(tmp_path: Path) -> None:
    v1, v2, _ = versions()
    with open_store(tmp_path / "s.sqlite") as store:
        store.upsert_page([v1])
        store.mark_deleted(["r1"])
        for again in (v1, v2):
            counts = store.upsert_page([again], from_server=False)
            assert (counts.deleted, counts.updated, counts.new) == (1, 0, 0)
            assert (store.status().submissions, store.status().deleted) == (0, 1)
        assert store.upsert_page([v1]).updated == 1  # a sync (from the server) does
        assert store.status().deleted == 0


def test_first_runs_at_the_same_time_create_the_store_once(tmp_path: Path) -> None:
    import threading

    for attempt in range(5):
        path, errors = tmp_path / f"s{attempt}.sqlite", []
        barrier = threading.Barrier(6)

        def first_run() -> None:
            barrier.wait()
            try:
                open_store(path).close()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=first_run) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with open_store(path) as store:
            assert store.meta() == {"schema_version": "2"}


def test_central_edits_name_no_deprecated_id_yet_the_original_is_known_to_be_older(tmp_path: Path) -> None:
    """Central's OData rows never carry meta/deprecatedID: an edit is known by ``__system/edits``."""
    def central_row(instance: str, edits: int, answer: str) -> dict:
        return {"meta/rootUuid": "uuid:r1", "meta/instanceID": f"uuid:{instance}", "_uuid": instance, "__id": "uuid:r1",
                "__system/edits": edits, "q": answer}

    original, edit, again = central_row("r1", 0, "1"), central_row("e1", 1, "2"), central_row("e2", 2, "3")
    with open_store(tmp_path / "s.sqlite") as store:
        assert store.upsert_page([original]).new == 1
        assert store.upsert_page([edit]).updated == 1
        assert store.upsert_page([original]).stale == 1  # an older copy (a CSV export, say) changes nothing
        assert store.upsert_page([again]).updated == 1
        assert store.active_submissions()[0]["q"] == "3"
    with open_store(tmp_path / "t.sqlite") as store:
        assert store.upsert_page([edit, original]).new == 1  # one batch: the original first, then the edit
        assert store.active_submissions()[0]["q"] == "2"
