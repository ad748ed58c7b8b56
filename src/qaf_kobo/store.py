"""The local SQLite store of submissions: one row per submission keyed by ``meta/rootUuid``, raw JSON kept whole."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from qaf_kobo.errors import QafError

SCHEMA_VERSION = 1
DEFAULT_STORE = Path("data/qaf.sqlite")

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE submissions (
  root_uuid TEXT PRIMARY KEY,
  kobo_id INTEGER,
  uuid TEXT,
  submission_time TEXT,
  form_version TEXT,
  validation_status TEXT NOT NULL DEFAULT '',
  raw_json TEXT NOT NULL,
  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
  deleted_at TEXT
);
CREATE TABLE submission_history (root_uuid TEXT NOT NULL, uuid TEXT, raw_json TEXT NOT NULL, replaced_at TEXT NOT NULL);
CREATE INDEX submissions_kobo_id ON submissions (kobo_id);
CREATE INDEX submissions_deleted_at ON submissions (deleted_at);
CREATE INDEX submission_history_root ON submission_history (root_uuid, uuid);
"""


def utc_now() -> str:
    """The current time as ISO 8601 UTC with seconds (``2026-05-01T10:00:00Z``)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def bare_uuid(value: str) -> str:
    """A uuid without its ``uuid:`` prefix (both forms are accepted everywhere)."""
    return value[5:] if value.startswith("uuid:") else value


def root_uuid_of(submission: dict[str, Any]) -> str:
    """The submission's stable key: ``meta/rootUuid`` (else its instance id, for rows from servers before KPI 2.025)."""
    for key in ("meta/rootUuid", "meta/instanceID", "_uuid"):
        value = submission.get(key)
        if isinstance(value, str) and bare_uuid(value).strip():
            return bare_uuid(value).strip()
    raise QafError("a submission has neither meta/rootUuid nor _uuid"
                   + (f" (_id {submission['_id']})" if "_id" in submission else ""))


@dataclass
class UpsertCounts:
    """What one upsert did: rows added, replaced by a newer version, seen again unchanged, or older than the stored one."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0

    def add(self, other: UpsertCounts) -> None:
        """Add another upsert's counts to these."""
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.stale += other.stale


@dataclass
class StoreStatus:
    """What the store holds: active and deleted submissions, active counts per form version, and the sync meta."""

    submissions: int
    deleted: int
    versions: dict[str, int]
    last_sync: str | None
    server: str | None
    asset_uid: str | None
    deployed_version_id: str | None
    last_error: str | None
    meta: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The status as a JSON-ready dict."""
        return {"submissions": self.submissions, "deleted": self.deleted, "versions": self.versions,
                "last_sync": self.last_sync, "server": self.server, "asset_uid": self.asset_uid,
                "deployed_version_id": self.deployed_version_id, "last_error": self.last_error}


class Store:
    """An open store. Each ``upsert_page`` is one transaction; ``meta`` updates can join it."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database (checkpointing the write-ahead log into the file)."""
        self.conn.close()

    def lock(self, timeout: float = 0) -> FileLock:
        """The lock that keeps two syncs or imports off this store at once (``<store>.lock``); acquired here."""
        lock = FileLock(str(self.path) + ".lock")
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise QafError(f"another qaf-kobo sync or import is using {self.path}; wait for it to finish") from None
        return lock

    # --- meta -------------------------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """One meta value (``server``, ``asset_uid``, ``last_sync``, ``last_id``, …)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str | None, *, commit: bool = True) -> None:
        """Set (or, with None, remove) a meta value."""
        if value is None:
            self.conn.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
                              "excluded.value", (key, str(value)))
        if commit:
            self.conn.commit()

    def meta(self) -> dict[str, str]:
        """All meta values."""
        return dict(self.conn.execute("SELECT key, value FROM meta").fetchall())

    # --- submissions --------------------------------------------------------------------------------------------
    def upsert_page(self, submissions: Iterable[dict[str, Any]], *, meta: dict[str, str] | None = None,
                    seen_at: str | None = None) -> UpsertCounts:
        """Insert or replace submissions by rootUuid in one transaction (with ``meta`` updates, if given).

        A row whose content differs from the stored one replaces it and the stored version goes to
        ``submission_history``; a row whose ``_uuid`` is already in the history is older than the stored one and
        is ignored. A row marked deleted that comes back is active again.
        """
        now = seen_at or utc_now()
        rows = {root_uuid_of(sub): sub for sub in submissions}
        counts = UpsertCounts()
        with self.conn:
            existing = self._current(list(rows))
            history = self._history_uuids(list(rows))
            inserts, history_rows, seen = [], [], []
            for root, sub in rows.items():
                raw = json.dumps(sub, ensure_ascii=False)
                uuid = bare_uuid(str(sub.get("_uuid") or sub.get("meta/instanceID") or "")) or None
                old = existing.get(root)
                if old is not None and old[1] == raw and old[2] is None:
                    counts.unchanged += 1
                    seen.append((now, root))
                    continue
                if old is not None and uuid is not None and uuid != old[0] and (root, uuid) in history:
                    counts.stale += 1
                    continue
                if old is None:
                    counts.new += 1
                else:
                    counts.updated += 1
                    if old[1] != raw:
                        history_rows.append((root, old[0], old[1], now))
                inserts.append((root, sub.get("_id"), uuid, sub.get("_submission_time"), sub.get("__version__"),
                                validation_uid(sub), raw, now, now))
            self.conn.executemany("INSERT INTO submission_history (root_uuid, uuid, raw_json, replaced_at) "
                                  "VALUES (?, ?, ?, ?)", history_rows)
            self.conn.executemany(
                "INSERT INTO submissions (root_uuid, kobo_id, uuid, submission_time, form_version, validation_status,"
                " raw_json, first_seen, last_seen, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)"
                " ON CONFLICT (root_uuid) DO UPDATE SET kobo_id = excluded.kobo_id, uuid = excluded.uuid,"
                " submission_time = excluded.submission_time, form_version = excluded.form_version,"
                " validation_status = excluded.validation_status, raw_json = excluded.raw_json,"
                " last_seen = excluded.last_seen, deleted_at = NULL", inserts)
            self.conn.executemany("UPDATE submissions SET last_seen = ? WHERE root_uuid = ?", seen)
            for key, value in (meta or {}).items():
                self.set_meta(key, value, commit=False)
        return counts

    def mark_deleted(self, root_uuids: Iterable[str], *, at: str | None = None) -> int:
        """Mark active submissions as deleted on the server (kept, never dropped); returns how many were marked."""
        now = at or utc_now()
        with self.conn:
            cur = self.conn.executemany("UPDATE submissions SET deleted_at = ? WHERE root_uuid = ? AND deleted_at IS NULL",
                                        [(now, bare_uuid(r)) for r in root_uuids])
        return cur.rowcount

    def active_submissions(self) -> list[dict[str, Any]]:
        """The active (not deleted) submissions as the API returned them, in ``_id`` order."""
        return [json.loads(raw) for (raw,) in self.conn.execute(
            "SELECT raw_json FROM submissions WHERE deleted_at IS NULL ORDER BY kobo_id, root_uuid")]

    def active_index(self) -> dict[str, tuple[str | None, str]]:
        """rootUuid → (``_uuid``, validation status uid) of every active submission."""
        return {root: (uuid, status) for root, uuid, status in self.conn.execute(
            "SELECT root_uuid, uuid, validation_status FROM submissions WHERE deleted_at IS NULL")}

    def history(self, root_uuid: str) -> list[dict[str, Any]]:
        """Earlier versions of one submission, oldest first."""
        return [json.loads(raw) for (raw,) in self.conn.execute(
            "SELECT raw_json FROM submission_history WHERE root_uuid = ? ORDER BY rowid", (bare_uuid(root_uuid),))]

    def status(self) -> StoreStatus:
        """Counts and sync meta (see StoreStatus)."""
        active, deleted = self.conn.execute(
            "SELECT COALESCE(SUM(deleted_at IS NULL), 0), COALESCE(SUM(deleted_at IS NOT NULL), 0) FROM submissions").fetchone()
        versions = Counter({v or "": n for v, n in self.conn.execute(
            "SELECT form_version, COUNT(*) FROM submissions WHERE deleted_at IS NULL GROUP BY form_version")})
        meta = self.meta()
        return StoreStatus(active, deleted, dict(sorted(versions.items())), meta.get("last_sync"), meta.get("server"),
                           meta.get("asset_uid"), meta.get("deployed_version_id"), meta.get("last_error"), meta)

    def _current(self, roots: list[str]) -> dict[str, tuple[str | None, str, str | None]]:
        found: dict[str, tuple[str | None, str, str | None]] = {}
        for chunk in _chunks(roots):
            marks = ",".join("?" * len(chunk))
            for root, uuid, raw, deleted_at in self.conn.execute(
                    f"SELECT root_uuid, uuid, raw_json, deleted_at FROM submissions WHERE root_uuid IN ({marks})", chunk):
                found[root] = (uuid, raw, deleted_at)
        return found

    def _history_uuids(self, roots: list[str]) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for chunk in _chunks(roots):
            marks = ",".join("?" * len(chunk))
            found.update(self.conn.execute(
                f"SELECT root_uuid, uuid FROM submission_history WHERE root_uuid IN ({marks})", chunk).fetchall())
        return found


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def validation_uid(submission: dict[str, Any]) -> str:
    """The submission's validation status uid (``validation_status_approved`` …), '' when there is none."""
    status = submission.get("_validation_status")
    return str(status.get("uid") or "") if isinstance(status, dict) else ""


def open_store(path: Path | str = DEFAULT_STORE, *, create: bool = True) -> Store:
    """Open (and with ``create``, create or migrate) the store at ``path``; a file that is not a store is a QafError."""
    path = Path(path)
    if not path.exists() and not create:
        raise QafError(f"no store at {path} (run qaf-kobo sync or qaf-kobo import first)")
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        conn.close()
        raise QafError(f"{path} is not a qaf-kobo store (not an SQLite database)") from None
    if version > SCHEMA_VERSION:
        conn.close()
        raise QafError(f"{path} was written by a newer qaf-kobo (store schema {version}); upgrade qaf-kobo")
    if version == 0:
        if tables:
            conn.close()
            raise QafError(f"{path} is an SQLite database but not a qaf-kobo store")
        with conn:
            conn.executescript(SCHEMA)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return Store(path, conn)
