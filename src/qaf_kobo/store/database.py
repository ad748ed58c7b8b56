"""The local SQLite store of submissions: one row per submission keyed by ``meta/rootUuid``, raw JSON kept whole.

Writes (``upsert_page``, ``mark_deleted``, meta) are transactions; reads give the raw JSON back in batches.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from filelock import FileLock, Timeout

from qaf_kobo.errors import QafError
from qaf_kobo.store.faults import read_only_error, store_error
from qaf_kobo.store.rows import RowError, row_label, stored_json, unicode_problem
from qaf_kobo.store.versions import Row, Version, bare_uuid, is_older, order_versions, root_uuid_of

SCHEMA_VERSION = 1
DEFAULT_STORE = Path("data/qaf.sqlite")

NOT_APPROVED = "validation_status_not_approved"
APPROVED = "validation_status_approved"

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


class Stored(NamedTuple):
    """The stored version of a submission: its instance id, its raw JSON, and when it was marked deleted."""

    uuid: str | None
    raw: str
    deleted_at: str | None


class Indexed(NamedTuple):
    """What a full sync compares for an active submission: its instance id and validation status."""

    uuid: str | None
    validation_status: str


class RawBatch(NamedTuple):
    """A batch of stored submissions as columns: the store's own columns, then each row's JSON (UTF-8 bytes)."""

    root_uuid: tuple[str, ...]
    form_version: tuple[str | None, ...]
    validation_status: tuple[str, ...]
    submission_time: tuple[str | None, ...]
    raw_json: tuple[bytes, ...]


@dataclass
class UpsertCounts:
    """What one upsert did: rows added, replaced by a newer version, seen again unchanged, older than the stored one,
    or skipped because the submission was deleted on the server."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    deleted: int = 0  # rows from a file whose submission was deleted on the server: skipped

    def add(self, other: UpsertCounts) -> None:
        """Add another upsert's counts to these."""
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.stale += other.stale
        self.deleted += other.deleted


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


def _guarded(method: Callable) -> Callable:
    """A Store method whose SQLite errors (full disk, read-only file, damaged file) become one clear QafError."""

    @functools.wraps(method)
    def guarded(self: Store, *args: object, **kwargs: object) -> object:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from None

    return guarded


class Store:
    """An open store. Each ``upsert_page`` is one transaction; ``meta`` updates can join it. An SQLite error in
    any method is a QafError that says what is wrong with the file and how to recover."""

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
        except OSError as exc:
            raise store_error(self.path, exc) from None
        return lock

    # --- meta -------------------------------------------------------------------------------------------------
    @_guarded
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """One meta value (``server``, ``asset_uid``, ``last_sync``, ``last_id``, …)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    @_guarded
    def set_meta(self, key: str, value: str | None, *, commit: bool = True) -> None:
        """Set (or, with None, remove) a meta value."""
        if value is None:
            self.conn.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
                              "excluded.value", (key, str(value)))
        if commit:
            self.conn.commit()

    @_guarded
    def meta(self) -> dict[str, str]:
        """All meta values."""
        return dict(self.conn.execute("SELECT key, value FROM meta").fetchall())

    # --- submissions --------------------------------------------------------------------------------------------
    @_guarded
    def upsert_page(self, submissions: Iterable[dict[str, Any]], *, meta: dict[str, str] | None = None,
                    seen_at: str | None = None, from_server: bool = True) -> UpsertCounts:
        """Insert or replace submissions by rootUuid in one transaction (with ``meta`` updates, if given).

        A row whose content differs from the stored one replaces it and the stored version goes to
        ``submission_history``. A row known to be older than the stored one is ignored (``stale``): its ``_uuid``
        is in the stored version's ``meta/deprecatedID`` chain or history, or it is the original while the stored
        one is an edit. Several versions of one submission in the batch are applied oldest first, ordered by
        their ``meta/deprecatedID`` links (versions that cannot be ordered are a QafError, nothing written).
        Only rows ``from_server`` (a sync) make a row marked deleted active again; rows from a file skip it
        (``deleted``). A row the store cannot keep (see ``rows.stored_json``) is a RowError, nothing written.
        """
        batch = list(submissions)
        texts: dict[int, str] = {}
        for number, sub in enumerate(batch, 1):
            try:
                texts[id(sub)] = stored_json(sub)
                root_uuid_of(sub)
            except (ValueError, QafError) as exc:
                raise RowError(number, row_label(sub), str(exc)) from None
        try:
            return self._upsert(batch, texts, meta, seen_at or utc_now(), from_server)
        except UnicodeEncodeError:  # SQLite refused a lone surrogate ("\ud800"): find the row (rare, so only now)
            found = next(((n, sub) for n, sub in enumerate(batch, 1) if unicode_problem(sub)), None)
            if found is None:
                raise
            raise RowError(found[0], row_label(found[1]), unicode_problem(found[1]) or "") from None

    def _upsert(self, batch: list[dict[str, Any]], texts: dict[int, str], meta: dict[str, str] | None, now: str,
                from_server: bool) -> UpsertCounts:
        groups: dict[str, list[dict[str, Any]]] = {}
        for sub in batch:
            groups.setdefault(root_uuid_of(sub), []).append(sub)
        ordered = {root: order_versions(root, subs) for root, subs in groups.items()}
        counts = UpsertCounts()
        with self.conn:
            existing = self._current(list(ordered))
            older = self._older_uuids(list(ordered), existing)
            writes: dict[str, tuple[Row, str, str | None]] = {}
            history_rows, seen = [], []
            for root, rows in ordered.items():
                state = existing.get(root)
                known_older = older.get(root, set())
                for sub in rows:
                    raw = texts[id(sub)]
                    version = Version.of(sub)
                    if state is None:
                        counts.new += 1
                    elif state.deleted_at is not None and not from_server:
                        counts.deleted += 1
                        continue
                    elif state.raw == raw and state.deleted_at is None:
                        counts.unchanged += 1
                        seen.append((now, root))
                        continue
                    elif version.uuid != state.uuid and is_older(version, Version.of(json.loads(state.raw)), root,
                                                                 known_older):
                        counts.stale += 1
                        continue
                    else:
                        counts.updated += 1
                        if state.raw != raw:
                            history_rows.append((root, state.uuid, state.raw, now))
                            if state.uuid:
                                known_older.add(state.uuid)
                    state = Stored(version.uuid, raw, None)
                    writes[root] = (sub, raw, version.uuid)
            inserts = [(root, sub.get("_id"), uuid, sub.get("_submission_time"), sub.get("__version__"),
                        validation_uid(sub), raw, now, now) for root, (sub, raw, uuid) in writes.items()]
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

    @_guarded
    def mark_deleted(self, root_uuids: Iterable[str], *, at: str | None = None) -> int:
        """Mark active submissions as deleted on the server (kept, never dropped); returns how many were marked."""
        now = at or utc_now()
        with self.conn:
            cur = self.conn.executemany("UPDATE submissions SET deleted_at = ? WHERE root_uuid = ? AND deleted_at IS NULL",
                                        [(now, bare_uuid(r)) for r in root_uuids])
        return cur.rowcount

    @_guarded
    def active_submissions(self) -> list[dict[str, Any]]:
        """The active (not deleted) submissions as the API returned them, in ``_id`` order."""
        return [json.loads(raw) for (raw,) in self.conn.execute(
            "SELECT raw_json FROM submissions WHERE deleted_at IS NULL ORDER BY kobo_id, root_uuid")]

    @_guarded
    def active_index(self) -> dict[str, Indexed]:
        """rootUuid → instance id and validation status uid of every active submission."""
        return {root: Indexed(uuid, status) for root, uuid, status in self.conn.execute(
            "SELECT root_uuid, uuid, validation_status FROM submissions WHERE deleted_at IS NULL")}

    def raw_batches(self, *, only_approved: bool = False, rows: int = 20_000) -> Iterator[RawBatch]:
        """The active submissions in store order, ``rows`` at a time: all except those marked "not approved",
        or with ``only_approved`` only the approved ones."""
        where = "validation_status = ?" if only_approved else "validation_status IS NOT ?"
        try:
            cursor = self.conn.execute(
                "SELECT root_uuid, form_version, validation_status, submission_time, CAST(raw_json AS BLOB) "
                f"FROM submissions WHERE deleted_at IS NULL AND {where} ORDER BY rowid",
                (APPROVED if only_approved else NOT_APPROVED,))
            while batch := cursor.fetchmany(rows):
                yield RawBatch(*zip(*batch))
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from None

    @_guarded
    def form_ids(self) -> set[str]:
        """The forms (``_xform_id_string``; the asset uid for forms deployed by KoboToolbox) of the stored rows."""
        return {value for (value,) in self.conn.execute(
            "SELECT DISTINCT json_extract(raw_json, '$._xform_id_string') FROM submissions") if isinstance(value, str)}

    @_guarded
    def history(self, root_uuid: str) -> list[dict[str, Any]]:
        """Earlier versions of one submission, oldest first."""
        return [json.loads(raw) for (raw,) in self.conn.execute(
            "SELECT raw_json FROM submission_history WHERE root_uuid = ? ORDER BY rowid", (bare_uuid(root_uuid),))]

    @_guarded
    def status(self) -> StoreStatus:
        """Counts and sync meta (see StoreStatus)."""
        active, deleted = self.conn.execute(
            "SELECT COALESCE(SUM(deleted_at IS NULL), 0), COALESCE(SUM(deleted_at IS NOT NULL), 0) FROM submissions").fetchone()
        versions = Counter({v or "": n for v, n in self.conn.execute(
            "SELECT form_version, COUNT(*) FROM submissions WHERE deleted_at IS NULL GROUP BY form_version")})
        meta = self.meta()
        return StoreStatus(active, deleted, dict(sorted(versions.items())), meta.get("last_sync"), meta.get("server"),
                           meta.get("asset_uid"), meta.get("deployed_version_id"), meta.get("last_error"), meta)

    def _current(self, roots: list[str]) -> dict[str, Stored]:
        found: dict[str, Stored] = {}
        for chunk in _chunks(roots):
            marks = ",".join("?" * len(chunk))
            for root, uuid, raw, deleted_at in self.conn.execute(
                    f"SELECT root_uuid, uuid, raw_json, deleted_at FROM submissions WHERE root_uuid IN ({marks})", chunk):
                found[root] = Stored(uuid, raw, deleted_at)
        return found

    def _older_uuids(self, roots: list[str], current: dict[str, Stored]) -> dict[str, set[str]]:
        """rootUuid → the ``_uuid`` values known to be older than its stored version: those in the history and
        every ``meta/deprecatedID`` of the stored version and of the history."""
        found: dict[str, set[str]] = {root: {dep} for root, stored in current.items()
                                      if (dep := Version.of(json.loads(stored.raw)).replaces)}
        for chunk in _chunks(roots):
            marks = ",".join("?" * len(chunk))
            for root, uuid, raw in self.conn.execute(
                    f"SELECT root_uuid, uuid, raw_json FROM submission_history WHERE root_uuid IN ({marks})", chunk):
                known = found.setdefault(root, set())
                known.update(u for u in (uuid, Version.of(json.loads(raw)).replaces) if u)
        return found


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def validation_uid(submission: dict[str, Any]) -> str:
    """The submission's validation status uid (``validation_status_approved`` …), '' when there is none."""
    status = submission.get("_validation_status")
    return str(status.get("uid") or "") if isinstance(status, dict) else ""


def open_store(path: Path | str = DEFAULT_STORE, *, create: bool = True, read_only: bool = False) -> Store:
    """Open the store at ``path``: with ``create``, create it when missing; ``read_only`` opens it for reading only
    (scoring, reports, status), never creating or changing anything — also in a read-only folder. A file that is
    not a store, a damaged one, or a path that cannot hold one is a QafError that says which. Creating the schema
    is one write transaction, so first runs at the same time do not collide."""
    path = Path(path)
    if not path.exists() and (read_only or not create):
        raise QafError(f"no store at {path}: run `qaf-kobo sync` (or `qaf-kobo import`) first, or pass --store")
    if path.is_dir():
        raise QafError(f"the store {path} is a directory; give --store a file path such as data/qaf.sqlite")
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except PermissionError as exc:
            raise read_only_error(path, _reason(exc)) from None
        except OSError as exc:
            raise QafError(f"cannot create the store {path}: {_reason(exc)}") from None
    conn: sqlite3.Connection | None = None
    try:
        if read_only:
            conn = _connect_read_only(path)
            _check_schema(conn, path)
        else:
            conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
            _create_schema(conn, path)
            _write_ahead_log(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
    except (QafError, sqlite3.Error, OSError) as exc:
        if conn is not None:
            conn.close()
        if isinstance(exc, QafError):
            raise
        raise store_error(path, exc) from None
    conn.isolation_level = ""  # back to Python's default: DML opens a transaction, ``with conn`` commits it
    return Store(path, conn)


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection. In a folder nobody may write to, SQLite cannot create the shared-memory file its
    write-ahead log needs; no writer can be at work there either, so the file is then read as it is."""
    uri = path.resolve().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30, check_same_thread=False)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        conn.close()
        cannot_open = (exc.sqlite_errorcode & 0xFF) == sqlite3.SQLITE_CANTOPEN
        journal = path.with_name(path.name + "-wal")
        if not cannot_open or os.access(path.parent, os.W_OK) or journal.exists():
            raise
    return sqlite3.connect(f"{uri}?immutable=1", uri=True, timeout=30, check_same_thread=False)


def _schema_version(conn: sqlite3.Connection, path: Path) -> int:
    """The store's schema version (0 for an empty database); QafError for a database that is not a store."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if version > SCHEMA_VERSION:
        raise QafError(f"{path} was written by a newer qaf-kobo (store schema {version}); upgrade qaf-kobo")
    if (version == 0 and tables) or (version and not {"meta", "submissions"} <= tables):
        raise QafError(f"{path} is an SQLite database but not a qaf-kobo store")
    return version


def _check_schema(conn: sqlite3.Connection, path: Path) -> None:
    """A store opened for reading must already have the current schema."""
    if _schema_version(conn, path) != SCHEMA_VERSION:
        raise QafError(f"{path} is not a qaf-kobo store (store schema {_schema_version(conn, path)}, "
                       f"expected {SCHEMA_VERSION})")


def _create_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Create the tables of a new store in one IMMEDIATE transaction (a current store needs no write lock)."""
    if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if _schema_version(conn, path) == 0:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _write_ahead_log(conn: sqlite3.Connection, attempts: int = 100) -> None:
    """Put a new store in WAL mode (kept in the file). Switching needs the database to itself, and SQLite does
    not wait for that, so a first run that meets another one retries for a few seconds."""
    for attempt in range(attempts):
        if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            return
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
