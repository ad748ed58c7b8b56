"""The local SQLite store of submissions: one row per submission keyed by its source and ``meta/rootUuid``, raw
JSON kept whole.

Every submission belongs to a named source (a KoboToolbox asset, an ODK Central form, a folder of exports; see
:mod:`qaf_kobo.store.sources`), which also keeps its sync state. Writes (``upsert_page``, ``mark_deleted``, state)
are transactions; reads give the raw JSON back in batches. A schema 1 store (one source, state in ``meta``) is
upgraded in place when opened, after a copy of it is kept next to it.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from filelock import FileLock, Timeout

from qaf_kobo.errors import QafError
from qaf_kobo.form.contract import FRAMEWORK_FIELD, FRAMEWORK_VERSION_FIELD
from qaf_kobo.store import sources as src
from qaf_kobo.store.faults import RECOVER, read_only_error, store_error
from qaf_kobo.store.rows import RowError, row_label, stored_json, stored_row, unicode_problem
from qaf_kobo.store.sources import Source
from qaf_kobo.store.utc import utc_now
from qaf_kobo.store.versions import Row, Version, bare_uuid, is_older, order_versions, root_uuid_of

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
DEFAULT_STORE = Path("data/qaf.sqlite")
DEFAULT_SOURCE = "default"
"""The source of rows written without one (an ``export`` source, made on first use)."""

READ_MAP_BYTES = 1 << 30
"""How much of the file ``raw_batches`` reads through a memory map (SQLite's mmap_size): a quarter less time to
read 100,000 submissions than through SQLite's page cache (0.25 s instead of 0.31 s)."""
NOT_APPROVED = "validation_status_not_approved"
APPROVED = "validation_status_approved"

SUBMISSIONS_TABLE = """
CREATE TABLE {name} (
  source_id INTEGER NOT NULL REFERENCES sources (id),
  root_uuid TEXT NOT NULL,
  kobo_id INTEGER,
  uuid TEXT,
  submission_time TEXT,
  form_version TEXT,
  validation_status TEXT NOT NULL DEFAULT '',
  raw_json TEXT NOT NULL,
  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
  deleted_at TEXT,
  PRIMARY KEY (source_id, root_uuid)
)"""
HISTORY_INDEX = "CREATE INDEX submission_history_root ON submission_history (source_id, root_uuid, uuid)"
SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
{src.SOURCES_SCHEMA}
{SUBMISSIONS_TABLE.format(name="submissions")};
CREATE TABLE submission_history (root_uuid TEXT NOT NULL, uuid TEXT, raw_json TEXT NOT NULL, replaced_at TEXT NOT NULL,
  source_id INTEGER NOT NULL);
CREATE INDEX submissions_kobo_id ON submissions (source_id, kobo_id);
CREATE INDEX submissions_deleted_at ON submissions (deleted_at);
{HISTORY_INDEX};
"""



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

    root_uuid: tuple[str, ...]  # qualified as ``<source>:<root>`` where several sources hold the same root
    source: tuple[str, ...]
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
class SourceStatus:
    """One source in the store: what it is, its active and deleted submissions, versions and sync state."""

    source: Source
    submissions: int
    deleted: int
    versions: dict[str, int]
    state: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """The source's status as a JSON-ready dict."""
        s = self.source
        return {"name": s.name, "kind": s.kind, "server": s.server or None, "ref": s.ref or None,
                "submissions": self.submissions, "deleted": self.deleted, "versions": self.versions,
                "last_sync": self.state.get("last_sync"), "last_error": self.state.get("last_error")}


@dataclass
class StoreStatus:
    """What the store holds: active and deleted submissions, active counts per form version, per source."""

    submissions: int
    deleted: int
    versions: dict[str, int]
    sources: list[SourceStatus]

    @property
    def last_sync(self) -> str | None:
        """The latest sync of any source."""
        return max((s.state["last_sync"] for s in self.sources if s.state.get("last_sync")), default=None)

    @property
    def last_error(self) -> str | None:
        """The last errors of the sources that have one (``<source>: <error>``)."""
        errors = [f"{s.source.name}: {s.state['last_error']}" for s in self.sources if s.state.get("last_error")]
        return "; ".join(errors) or None

    def to_dict(self) -> dict[str, Any]:
        """The status as a JSON-ready dict."""
        return {"submissions": self.submissions, "deleted": self.deleted, "versions": self.versions,
                "last_sync": self.last_sync, "last_error": self.last_error,
                "sources": [s.to_dict() for s in self.sources]}


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
    """An open store. Each ``upsert_page`` is one transaction (a source's sync state can join it). An SQLite error in
    any method is a QafError that says what is wrong with the file and how to recover."""

    def __init__(self, path: Path, conn: sqlite3.Connection, backup: Path | None = None) -> None:
        self.path = path
        self.conn = conn
        self.backup = backup  # where the schema 1 file was kept, when this opening upgraded it

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
    def meta(self) -> dict[str, str]:
        """All meta values (``schema_version`` …; sync state is per source); none in a store that lost the table
        (it is made again when the store is next opened for writing)."""
        if "meta" not in _tables(self.conn):
            return {}
        return dict(self.conn.execute("SELECT key, value FROM meta").fetchall())

    # --- sources ----------------------------------------------------------------------------------------------
    @_guarded
    def add_source(self, name: str, kind: str, server: str = "", ref: str = "") -> Source:
        """The source ``name`` (added when new); a QafError when the name is another kind, server or ref's."""
        with self.conn:
            return src.add_source(self.conn, name, kind, server, ref)

    @_guarded
    def sources(self) -> list[Source]:
        """Every source, oldest first."""
        return src.all_sources(self.conn)

    def _source_id(self, name: str) -> int:
        """The id of a source; the default source is made on first use, any other must have been added."""
        found = src.find_source(self.conn, name)
        if found is None:
            if name != DEFAULT_SOURCE:
                raise QafError(f"{self.path} has no source named {name!r}")
            found = src.add_source(self.conn, name, "export", "", "")
        return found.id

    @_guarded
    def source_state(self, name: str) -> dict[str, str]:
        """A source's sync state (empty for a source not yet in the store)."""
        found = src.find_source(self.conn, name)
        return src.source_state(self.conn, found.id) if found else {}

    @_guarded
    def set_source_state(self, name: str, values: dict[str, str | None], *, commit: bool = True) -> None:
        """Set (or, with None, remove) a source's state values."""
        src.set_source_state(self.conn, self._source_id(name), values)
        if commit:
            self.conn.commit()

    @_guarded
    def source_count(self, name: str) -> int:
        """How many active submissions a source has."""
        found = src.find_source(self.conn, name)
        if found is None:
            return 0
        return self.conn.execute("SELECT COUNT(*) FROM submissions WHERE source_id = ? AND deleted_at IS NULL",
                                 (found.id,)).fetchone()[0]

    # --- submissions --------------------------------------------------------------------------------------------
    @_guarded
    def upsert_page(self, submissions: Iterable[dict[str, Any]], *, source: str = DEFAULT_SOURCE,
                    state: dict[str, str | None] | None = None, from_server: bool = True,
                    new_source: tuple[str, str, str] | None = None) -> UpsertCounts:
        """Insert or replace a source's submissions by rootUuid in one transaction (with the source's ``state``
        updates, if given; ``new_source`` = (kind, server, ref) adds the source in it when missing).

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
            return self._upsert(batch, texts, source, state, utc_now(), from_server, new_source)
        except UnicodeEncodeError:  # SQLite refused a lone surrogate ("\ud800"): find the row (rare, so only now)
            found = next(((n, sub) for n, sub in enumerate(batch, 1) if unicode_problem(sub)), None)
            if found is None:
                raise
            raise RowError(found[0], row_label(found[1]), unicode_problem(found[1]) or "") from None

    def _upsert(self, batch: list[dict[str, Any]], texts: dict[int, str], source: str,
                state: dict[str, str | None] | None, now: str, from_server: bool,
                new_source: tuple[str, str, str] | None) -> UpsertCounts:
        groups: dict[str, list[dict[str, Any]]] = {}
        for sub in batch:
            groups.setdefault(root_uuid_of(sub), []).append(sub)
        ordered = {root: order_versions(root, subs) for root, subs in groups.items()}
        counts = UpsertCounts()
        with self.conn:
            source_id = (src.add_source(self.conn, source, *new_source).id if new_source is not None
                         else self._source_id(source))
            existing = self._current(source_id, list(ordered))
            older = self._older_uuids(source_id, list(ordered), existing)
            writes: dict[str, tuple[Row, str, str | None]] = {}
            history_rows, seen = [], []
            for root, rows in ordered.items():
                current = existing.get(root)
                known_older = older.get(root, set())
                for sub in rows:
                    raw = texts[id(sub)]
                    version = Version.of(sub)
                    if current is None:
                        counts.new += 1
                    elif current.deleted_at is not None and not from_server:
                        counts.deleted += 1
                        continue
                    elif current.raw == raw and current.deleted_at is None:
                        counts.unchanged += 1
                        seen.append((now, source_id, root))
                        continue
                    elif version.uuid != current.uuid and is_older(version, Version.of(stored_row(current.raw)), root,
                                                                   known_older):
                        counts.stale += 1
                        continue
                    else:
                        counts.updated += 1
                        if current.raw != raw:
                            history_rows.append((source_id, root, current.uuid, current.raw, now))
                            if current.uuid:
                                known_older.add(current.uuid)
                    current = Stored(version.uuid, raw, None)
                    writes[root] = (sub, raw, version.uuid)
            inserts = [(source_id, root, sub.get("_id"), uuid, sub.get("_submission_time"), sub.get("__version__"),
                        validation_uid(sub), raw, now, now) for root, (sub, raw, uuid) in writes.items()]
            self.conn.executemany("INSERT INTO submission_history (source_id, root_uuid, uuid, raw_json, replaced_at) "
                                  "VALUES (?, ?, ?, ?, ?)", history_rows)
            self.conn.executemany(
                "INSERT INTO submissions (source_id, root_uuid, kobo_id, uuid, submission_time, form_version,"
                " validation_status, raw_json, first_seen, last_seen, deleted_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)"
                " ON CONFLICT (source_id, root_uuid) DO UPDATE SET kobo_id = excluded.kobo_id, uuid = excluded.uuid,"
                " submission_time = excluded.submission_time, form_version = excluded.form_version,"
                " validation_status = excluded.validation_status, raw_json = excluded.raw_json,"
                " last_seen = excluded.last_seen, deleted_at = NULL", inserts)
            self.conn.executemany("UPDATE submissions SET last_seen = ? WHERE source_id = ? AND root_uuid = ?", seen)
            if state:
                src.set_source_state(self.conn, source_id, state)
        return counts

    @_guarded
    def mark_deleted(self, root_uuids: Iterable[str], *, source: str = DEFAULT_SOURCE) -> int:
        """Mark a source's active submissions as deleted on the server (kept, never dropped); returns how many."""
        now = utc_now()
        with self.conn:
            source_id = self._source_id(source)
            cur = self.conn.executemany(
                "UPDATE submissions SET deleted_at = ? WHERE source_id = ? AND root_uuid = ? AND deleted_at IS NULL",
                [(now, source_id, bare_uuid(r)) for r in root_uuids])
        return cur.rowcount

    @_guarded
    def active_submissions(self, source: str | None = None) -> list[dict[str, Any]]:
        """The active (not deleted) submissions as the server gave them, of one source or all, in ``_id`` order."""
        where, args = ("AND source_id = ?", (self._source_id(source),)) if source is not None else ("", ())
        return [json.loads(raw) for (raw,) in self.conn.execute(
            f"SELECT raw_json FROM submissions WHERE deleted_at IS NULL {where} ORDER BY source_id, kobo_id, root_uuid",
            args)]

    @_guarded
    def active_index(self, source: str = DEFAULT_SOURCE) -> dict[str, Indexed]:
        """rootUuid → instance id and validation status uid of every active submission of a source."""
        return {root: Indexed(uuid, status) for root, uuid, status in self.conn.execute(
            "SELECT root_uuid, uuid, validation_status FROM submissions WHERE deleted_at IS NULL AND source_id = ?",
            (self._source_id(source),))}

    def raw_batches(self, *, only_approved: bool = False, rows: int = 20_000) -> Iterator[RawBatch]:
        """The active submissions of every source in store order, ``rows`` at a time: all except those marked
        "not approved", or with ``only_approved`` only the approved ones. A root held by several sources is named
        ``<source>:<root>`` in each, so they stay separate submissions."""
        where = "validation_status = ?" if only_approved else "validation_status IS NOT ?"
        status = APPROVED if only_approved else NOT_APPROVED
        try:
            self.conn.execute(f"PRAGMA mmap_size = {READ_MAP_BYTES}")  # pages read in place, not copied in
            several = self.conn.execute("SELECT COUNT(*) FROM sources").fetchone()[0] > 1
            shared = {root for (root,) in self.conn.execute(
                f"SELECT root_uuid FROM submissions WHERE deleted_at IS NULL AND {where} GROUP BY root_uuid "
                "HAVING COUNT(*) > 1", (status,))} if several else set()
            cursor = self.conn.execute(
                "SELECT s.root_uuid, src.name, s.form_version, s.validation_status, s.submission_time, "
                f"CAST(s.raw_json AS BLOB) FROM submissions s JOIN sources src ON src.id = s.source_id "
                f"WHERE s.deleted_at IS NULL AND s.{where} ORDER BY s.rowid", (status,))
            while batch := cursor.fetchmany(rows):
                if shared:
                    batch = [(f"{r[1]}:{r[0]}" if r[0] in shared else r[0], *r[1:]) for r in batch]
                yield RawBatch(*zip(*batch))
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from None

    @_guarded
    def form_ids(self, source: str = DEFAULT_SOURCE) -> set[str]:
        """The forms (``_xform_id_string``; the asset uid for forms deployed by KoboToolbox) of a source's rows."""
        found = src.find_source(self.conn, source)
        if found is None:
            return set()
        return {value for (value,) in self.conn.execute(
            "SELECT DISTINCT json_extract(raw_json, '$._xform_id_string') FROM submissions WHERE source_id = ?",
            (found.id,)) if isinstance(value, str)}

    @_guarded
    def history(self, root_uuid: str, source: str = DEFAULT_SOURCE) -> list[dict[str, Any]]:
        """Earlier versions of one submission, oldest first."""
        return [json.loads(raw) for (raw,) in self.conn.execute(
            "SELECT raw_json FROM submission_history WHERE source_id = ? AND root_uuid = ? ORDER BY rowid",
            (self._source_id(source), bare_uuid(root_uuid)))]

    @_guarded
    def status(self) -> StoreStatus:
        """Counts per source and in all, and each source's sync state (see StoreStatus)."""
        counts: dict[int, tuple[int, int]] = {sid: (a, d) for sid, a, d in self.conn.execute(
            "SELECT source_id, COALESCE(SUM(deleted_at IS NULL), 0), COALESCE(SUM(deleted_at IS NOT NULL), 0) "
            "FROM submissions GROUP BY source_id")}
        versions: dict[int, Counter[str]] = {}
        for sid, version, n in self.conn.execute(
                "SELECT source_id, form_version, COUNT(*) FROM submissions WHERE deleted_at IS NULL "
                "GROUP BY source_id, form_version"):
            versions.setdefault(sid, Counter())[version or ""] += n
        per_source = [SourceStatus(s, *counts.get(s.id, (0, 0)), dict(sorted(versions.get(s.id, Counter()).items())),
                                   src.source_state(self.conn, s.id)) for s in self.sources()]
        total = sum((Counter(v) for v in versions.values()), Counter())
        return StoreStatus(sum(p.submissions for p in per_source), sum(p.deleted for p in per_source),
                           dict(sorted(total.items())), per_source)

    def frameworks(self) -> dict[str, int]:
        """Active submissions per framework they answer (``<id> <version>`` from their framework fields; "" for
        submissions of forms built before those fields existed). Reads every stored JSON: for ``status`` only."""
        rows = self.conn.execute(
            f"SELECT json_extract(json, '$.{FRAMEWORK_FIELD}'), json_extract(json, '$.{FRAMEWORK_VERSION_FIELD}'), "
            "COUNT(*) FROM (SELECT CASE WHEN json_valid(raw_json) THEN raw_json ELSE '{}' END AS json FROM submissions "
            "WHERE deleted_at IS NULL) GROUP BY 1, 2")
        counts = Counter({" ".join(str(part) for part in (fid, version) if part): n for fid, version, n in rows})
        return dict(sorted(counts.items()))

    def _current(self, source_id: int, roots: list[str]) -> dict[str, Stored]:
        found: dict[str, Stored] = {}
        for chunk in _chunks(roots):
            marks = ",".join("?" * len(chunk))
            for root, uuid, raw, deleted_at in self.conn.execute(
                    f"SELECT root_uuid, uuid, raw_json, deleted_at FROM submissions WHERE source_id = ? "
                    f"AND root_uuid IN ({marks})", (source_id, *chunk)):
                found[root] = Stored(uuid, raw, deleted_at)
        return found

    def _older_uuids(self, source_id: int, roots: list[str], current: dict[str, Stored]) -> dict[str, set[str]]:
        """rootUuid → the ``_uuid`` values known to be older than its stored version: those in the history and
        every ``meta/deprecatedID`` of the stored version and of the history."""
        found: dict[str, set[str]] = {root: {dep} for root, stored in current.items()
                                      if (dep := Version.of(stored_row(stored.raw)).replaces)}
        for chunk in _chunks(roots):
            marks = ",".join("?" * len(chunk))
            for root, uuid, raw in self.conn.execute(
                    f"SELECT root_uuid, uuid, raw_json FROM submission_history WHERE source_id = ? "
                    f"AND root_uuid IN ({marks})", (source_id, *chunk)):
                known = found.setdefault(root, set())
                known.update(u for u in (uuid, Version.of(stored_row(raw)).replaces) if u)
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
    (scoring, reports, status), never creating or changing anything — also in a read-only folder — except that a
    schema 1 store is upgraded to the current schema first, in place, after a copy is kept next to it
    (``Store.backup``; a warning says where). A file that is not a store, a damaged one, or a path that cannot hold
    one is a QafError that says which. Creating or upgrading the schema is one write transaction, so first runs
    at the same time do not collide."""
    path = Path(path)
    if not path.exists() and (read_only or not create):
        raise QafError(f"no store at {path}: run `qaf-kobo sync` (or `qaf-kobo import`) first, or pass --store")
    if path.is_dir():
        raise QafError(f"the store {path} is a directory; give --store a file path such as data/qaf.sqlite")
    backup = _upgrade_for_reading(path) if read_only else None
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
            backup = _create_schema(conn, path)
            _write_ahead_log(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
    except (QafError, sqlite3.Error, OSError) as exc:
        if conn is not None:
            conn.close()
        if isinstance(exc, QafError):
            raise
        raise store_error(path, exc) from None
    conn.isolation_level = ""  # type: ignore[assignment]  # back to Python's default: DML opens a transaction, ``with conn`` commits it
    return Store(path, conn, backup)


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
    tables = _tables(conn)
    if version > SCHEMA_VERSION:
        raise QafError(f"{path} was written by a newer qaf-kobo (store schema {version}); upgrade qaf-kobo")
    if (version == 0 and tables) or (version and "submissions" not in tables):
        raise QafError(f"{path} is an SQLite database but not a qaf-kobo store")
    return version


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _check_schema(conn: sqlite3.Connection, path: Path) -> None:
    """A store opened for reading must already have the current schema."""
    if _schema_version(conn, path) != SCHEMA_VERSION:
        raise QafError(f"{path} is not a qaf-kobo store (store schema {_schema_version(conn, path)}, "
                       f"expected {SCHEMA_VERSION})")


def _create_schema(conn: sqlite3.Connection, path: Path) -> Path | None:
    """Create the tables of a new store, or upgrade a schema 1 store (returning where its copy is kept), in one
    IMMEDIATE transaction (a current store needs no write lock)."""
    if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION and "meta" in _tables(conn):
        return None
    backup = None
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = _schema_version(conn, path)  # again, under the lock: another process may have done it
        if found == 0:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
        elif found == 1:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            if src.needs_migration(conn):
                backup = src.backup(path)
            source = src.migrate_v1(conn, SUBMISSIONS_TABLE.format(name="submissions_v2"), HISTORY_INDEX)
            conn.execute("CREATE INDEX IF NOT EXISTS submissions_kobo_id ON submissions (source_id, kobo_id)")
            conn.execute("CREATE INDEX IF NOT EXISTS submissions_deleted_at ON submissions (deleted_at)")
            if backup is not None:
                conn.execute("INSERT INTO meta (key, value) VALUES ('schema1_backup', ?) ON CONFLICT (key) DO UPDATE "
                             "SET value = excluded.value", (str(backup),))
                log.warning("%s was upgraded to store schema %d: its submissions are now those of the source %r; "
                            "the file as it was is kept as %s", path, SCHEMA_VERSION, source.name, backup)
            else:
                log.warning("%s was half-way to store schema %d (its submissions already had sources): the upgrade "
                            "is finished", path, SCHEMA_VERSION)
        else:  # a current store that lost its meta table (it holds only the schema version): made again
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET "
                     "value = excluded.value", (str(SCHEMA_VERSION),))
    except BaseException as exc:
        conn.execute("ROLLBACK")
        if backup is not None:  # nothing was upgraded: no copy to wonder about
            backup.unlink(missing_ok=True)
        if isinstance(exc, sqlite3.Error) and (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_ERROR:
            raise QafError(f"{path} is a store of an earlier qaf-kobo (schema 1) that cannot be upgraded: "
                           f"{_reason(exc)}; the file is unchanged — {RECOVER}") from None
        raise
    conn.execute("COMMIT")
    return backup


def _upgrade_for_reading(path: Path) -> Path | None:
    """Before a read-only opening: upgrade a schema 1 store (see ``_create_schema``); None when current."""
    try:
        probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            version = probe.execute("PRAGMA user_version").fetchone()[0]
        finally:
            probe.close()
    except sqlite3.Error:
        return None  # the reading opening says what is wrong with the file
    if version != 1:
        return None
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise QafError(f"{path} is a store of an earlier qaf-kobo (schema 1) that must be upgraded, and it cannot be "
                       "written here; copy it to a folder you can write to and open it there once")
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            return _create_schema(conn, path)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise store_error(path, exc) from None


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
