"""Sources in the store, and the upgrade of a schema 1 store (one source, sync state in meta): in place, after a
copy is kept next to it, once, keeping every row — and a sync carries on where the old store stopped."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.devserver import DevServer
from qaf_kobo.errors import QafError
from qaf_kobo.scoring.load import load_submissions
from qaf_kobo.store import open_store
from qaf_kobo.store.status import format_status, store_status
from qaf_kobo.sync.kobo import sync

from kobo_server import TOKEN, kobo, seed  # noqa: F401

SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE submissions (
  root_uuid TEXT PRIMARY KEY, kobo_id INTEGER, uuid TEXT, submission_time TEXT, form_version TEXT,
  validation_status TEXT NOT NULL DEFAULT '', raw_json TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
  deleted_at TEXT);
CREATE TABLE submission_history (root_uuid TEXT NOT NULL, uuid TEXT, raw_json TEXT NOT NULL, replaced_at TEXT NOT NULL);
CREATE INDEX submissions_kobo_id ON submissions (kobo_id);
CREATE INDEX submissions_deleted_at ON submissions (deleted_at);
CREATE INDEX submission_history_root ON submission_history (root_uuid, uuid);
"""
"""The schema of stores written by qaf-kobo before sources (store schema 1)."""


def schema1_store(path: Path, rows: list[dict], meta: dict[str, str], deleted: tuple[str, ...] = ()) -> Path:
    """A store as qaf-kobo's schema 1 wrote it: ``rows`` (Kobo /data/ rows), ``meta``, some marked deleted."""
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_1)
    for row in rows:
        root = row["meta/rootUuid"].removeprefix("uuid:")
        conn.execute("INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (root, row["_id"], row["_uuid"], row["_submission_time"], row["__version__"],
                      (row.get("_validation_status") or {}).get("uid", ""), json.dumps(row), "t0", "t0",
                      "2026-03-02T00:00:00Z" if root in deleted else None))
    conn.execute("INSERT INTO submission_history VALUES ('r0', 'u-old', '{\"old\": 1}', 't0')")
    conn.executemany("INSERT INTO meta VALUES (?, ?)", [("schema_version", "1"), *meta.items()])
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    return path


def kobo_rows(server: DevServer, uid: str) -> list[dict]:
    return server.submissions(uid)


def test_a_schema1_store_is_upgraded_in_place_after_a_backup_and_a_sync_carries_on(
        kobo: DevServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    uid = seed(kobo, 30)
    rows = kobo_rows(kobo, uid)
    last_id = str(max(r["_id"] for r in rows))
    store = schema1_store(tmp_path / "qaf.sqlite", rows, {
        "server": kobo.url, "asset_uid": uid, "last_id": last_id, "last_sync": "2026-03-01T00:00:00Z",
        "deployed_version_id": "vOld"}, deleted=(rows[0]["meta/rootUuid"].removeprefix("uuid:"),))
    original = store.read_bytes()
    with caplog.at_level(logging.WARNING):
        status = store_status(store)
    backup = tmp_path / "qaf.schema1-backup.sqlite"
    assert backup.read_bytes()[:16] == original[:16] and sqlite3.connect(backup).execute(
        "SELECT COUNT(*) FROM submissions").fetchone()[0] == 30  # the file as it was, next to it
    assert str(backup) in caplog.text and status["upgraded_from_schema1_backup"] == str(backup)
    assert "the earlier file is kept as" in format_status(status)
    name = f"kobo:{kobo.url.split('://')[1]}/{uid}"
    assert (status["submissions"], status["deleted"]) == (29, 1)
    source, = status["sources"]
    assert (source["name"], source["kind"], source["server"], source["ref"], source["last_sync"]) == (
        name, "kobo", kobo.url, uid, "2026-03-01T00:00:00Z")
    with open_store(store) as st:
        assert st.source_state(name) == {"server": kobo.url, "asset_uid": uid, "last_id": last_id,
                                         "last_sync": "2026-03-01T00:00:00Z", "deployed_version_id": "vOld"}
        assert st.meta() == {"schema_version": "2", "schema1_backup": str(backup)}
        assert st.history("r0", name) == [{"old": 1}] and st.backup is None  # upgraded once only
    kobo.delete_submission(rows[0]["meta/rootUuid"], uid)  # as the old store knew
    kobo.add_submission({"x": "1"}, uid)
    result = sync(kobo.url, uid, TOKEN, store)
    assert (result.source, result.new, result.data_requests, result.total) == (name, 1, 1, 30)
    assert not (tmp_path / "qaf.schema1-backup-2.sqlite").exists()


def test_reading_an_old_store_for_scoring_upgrades_it_and_an_import_only_store_becomes_one_export_source(
        tmp_path: Path) -> None:
    rows = [{"meta/rootUuid": f"uuid:r{i}", "_id": i, "_uuid": f"u{i}", "_submission_time": "2026-03-01T10:00:00",
             "__version__": "v1", "_validation_status": {}, "details_scope/country": "JOR"} for i in range(3)]
    store = schema1_store(tmp_path / "imported.sqlite", rows, {})
    data = load_submissions(store, ["country"])
    assert list(data.raw["source"]) == ["export:imported"] * 3 and list(data.raw["root_uuid"]) == ["r0", "r1", "r2"]
    assert (tmp_path / "imported.schema1-backup.sqlite").exists()


def test_an_old_store_that_cannot_be_written_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = schema1_store(tmp_path / "qaf.sqlite", [], {})
    # a folder nobody may write to (root may write anywhere, so the check is what is made to say no)
    monkeypatch.setattr("qaf_kobo.store.database.os.access", lambda path, mode: mode != os.W_OK)
    with pytest.raises(QafError, match="schema 1.*cannot be written here; copy it"):
        open_store(store, read_only=True)
    assert not list(tmp_path.glob("*backup*"))


def test_two_first_openings_at_once_upgrade_once(tmp_path: Path) -> None:
    store = schema1_store(tmp_path / "s.sqlite", [], {"server": "https://kf.kobotoolbox.org", "asset_uid": "aX"})
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_it() -> None:
        barrier.wait()
        try:
            open_store(store).close()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(p.name for p in tmp_path.glob("*backup*")) == ["s.schema1-backup.sqlite"]
    with open_store(store) as st:
        assert [s.name for s in st.sources()] == ["kobo:kf.kobotoolbox.org/aX"]


def test_a_source_name_keeps_to_its_kind_server_and_ref(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite") as st:
        st.add_source("iraq", "central", "https://central.example.org", "3/qaf")
        assert st.add_source("iraq", "central", "https://central.example.org", "3/qaf").name == "iraq"
        for other in (("kobo", "https://central.example.org", "3/qaf"), ("central", "https://c.org", "3/qaf"),
                      ("central", "https://central.example.org", "4/qaf")):
            with pytest.raises(QafError, match="the source 'iraq' of this store is central"):
                st.add_source("iraq", *other)
        st.add_source("files", "export", "", "exports/a")
        assert st.add_source("files", "export", "", "exports/b").ref == "exports/a"  # files from anywhere
        with pytest.raises(QafError, match="kind is one of kobo, central, export"):
            st.add_source("x", "ona", "", "")


def import_rows(n: int = 3) -> list[dict]:
    return [{"meta/rootUuid": f"uuid:r{i}", "_id": i, "_uuid": f"u{i}", "_submission_time": "2026-03-01T10:00:00",
             "__version__": "v1", "_validation_status": {}, "details_scope/country": "JOR"} for i in range(n)]


def test_a_schema1_store_that_already_has_the_sources_tables_is_finished(tmp_path: Path) -> None:
    """Half-upgraded: schema 1 with ``sources`` (and a leftover ``submissions_v2``): the upgrade finishes it."""
    store = schema1_store(tmp_path / "half.sqlite", import_rows(), {})
    conn = sqlite3.connect(store)
    conn.executescript("CREATE TABLE sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, "
                       "server TEXT NOT NULL, ref TEXT NOT NULL, created TEXT NOT NULL);"
                       "CREATE TABLE submissions_v2 (x);")
    conn.close()
    status = store_status(store)
    assert (status["submissions"], [s["name"] for s in status["sources"]]) == (3, ["export:imported"])
    assert status["upgraded_from_schema1_backup"] == str(tmp_path / "half.schema1-backup.sqlite")
    with open_store(store) as st:
        assert st.history("r0", "export:imported") == [{"old": 1}]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["half.schema1-backup.sqlite", "half.sqlite"]


def store_then(store: Path, sql: str) -> Path:
    """A store of one export source with three submissions, then ``sql`` run on it behind qaf-kobo's back."""
    with open_store(store) as st:
        st.add_source("mine", "export")
        st.upsert_page(import_rows(), source="mine")
    conn = sqlite3.connect(store)
    conn.execute(sql)
    conn.commit()
    conn.close()
    return store


def test_a_store_marked_schema1_whose_rows_already_have_sources_only_gets_its_version(tmp_path: Path) -> None:
    store = store_then(tmp_path / "s.sqlite", "PRAGMA user_version = 1")
    status = store_status(store)
    assert (status["submissions"], [s["name"] for s in status["sources"]]) == (3, ["mine"])
    assert "upgraded_from_schema1_backup" not in status
    assert sorted(p.name for p in tmp_path.iterdir() if "backup" in p.name) == []
    assert sqlite3.connect(store).execute("PRAGMA user_version").fetchone()[0] == 2


def test_a_store_without_its_meta_table_is_read_and_written_alike(tmp_path: Path) -> None:
    """One behaviour: status, scoring and writing all take it; writing makes the table again."""
    store = store_then(tmp_path / "s.sqlite", "DROP TABLE meta")
    assert store_status(store)["submissions"] == 3
    assert len(load_submissions(store, ["country"]).raw) == 3
    with open_store(store) as st:
        assert st.meta() == {"schema_version": "2"}
        st.upsert_page(import_rows(4), source="mine")
    assert store_status(store)["submissions"] == 4


def test_an_upgrade_that_fails_leaves_the_store_as_it_was_and_no_backup(tmp_path: Path) -> None:
    store = schema1_store(tmp_path / "odd.sqlite", import_rows(), {})
    conn = sqlite3.connect(store)
    conn.execute("DROP TABLE submission_history")  # a store no qaf-kobo wrote: the upgrade cannot finish
    conn.commit()
    conn.close()
    before = store.read_bytes()
    result = CliRunner().invoke(main, ["status", "--store", str(store)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: {store} is a store of an earlier qaf-kobo (schema 1) that cannot be "
                                    "upgraded: no such table: submission_history; the file is unchanged — restore it "
                                    "from a backup")
    assert result.stderr.count("\n") == 1
    assert store.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["odd.sqlite"]
