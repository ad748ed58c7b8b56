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


def instance_uuid(submission: dict[str, Any]) -> str | None:
    """The version's own id: ``_uuid`` (else ``meta/instanceID``) without the prefix; it changes on every edit."""
    return bare_uuid(str(submission.get("_uuid") or submission.get("meta/instanceID") or "")) or None


def deprecated_uuid(submission: dict[str, Any]) -> str | None:
    """The id of the version this one replaced (``meta/deprecatedID``, set by an edit), without the prefix."""
    value = submission.get("meta/deprecatedID")
    return bare_uuid(value).strip() or None if isinstance(value, str) else None


def _is_original(submission: dict[str, Any], uuid: str | None, root: str) -> bool:
    return deprecated_uuid(submission) is None or uuid == root


def _is_older(incoming: dict[str, Any], uuid: str | None, root: str, stored: dict[str, Any],
              known_older: set[str]) -> bool:
    """Whether ``incoming`` is known to be an earlier version than ``stored`` (which it is not identical to)."""
    if uuid is not None and uuid in known_older:
        return True
    if deprecated_uuid(incoming) == instance_uuid(stored):
        return False
    return _is_original(incoming, uuid, root) and not _is_original(stored, instance_uuid(stored), root)


def order_versions(root: str, versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Versions of one submission oldest first, by their ``meta/deprecatedID`` links (the original leads).

    The same ``_uuid`` twice keeps its last copy. Versions the links cannot put in one order (two edits of one
    version, or two unlinked edits) are a QafError.
    """
    if len(versions) == 1:
        return versions
    by_uuid: dict[str, dict[str, Any]] = {}
    for number, sub in enumerate(versions):
        by_uuid[instance_uuid(sub) or f"#{number}"] = sub
    if len(by_uuid) == 1:
        return list(by_uuid.values())
    problem = f"submission {root} appears in {len(by_uuid)} versions ({', '.join(by_uuid)}) that "
    follows: dict[str, str] = {}
    for uuid, sub in by_uuid.items():
        previous = deprecated_uuid(sub)
        if previous in by_uuid:
            if previous in follows:
                raise QafError(problem + f"include two edits of {previous}; import them separately")
            follows[previous] = uuid
    heads = [u for u, sub in by_uuid.items() if deprecated_uuid(sub) not in by_uuid]
    heads.sort(key=lambda u: not _is_original(by_uuid[u], u, root))  # the original's chain first
    if len(heads) > 2 or (len(heads) == 2 and not _is_original(by_uuid[heads[0]], heads[0], root)) or \
            (len(heads) == 2 and _is_original(by_uuid[heads[1]], heads[1], root)):
        raise QafError(problem + "meta/deprecatedID does not put in one order; import them separately, oldest first")
    ordered: list[str] = []
    for head in heads:
        uuid: str | None = head
        while uuid is not None and uuid not in ordered:
            ordered.append(uuid)
            uuid = follows.get(uuid)
    if len(ordered) != len(by_uuid):
        raise QafError(problem + "link to each other in a circle (meta/deprecatedID)")
    return [by_uuid[u] for u in ordered]


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
                    seen_at: str | None = None, from_server: bool = True) -> UpsertCounts:
        """Insert or replace submissions by rootUuid in one transaction (with ``meta`` updates, if given).

        A row whose content differs from the stored one replaces it and the stored version goes to
        ``submission_history``. A row known to be older than the stored one is ignored (``stale``): its ``_uuid``
        is in the stored version's ``meta/deprecatedID`` chain or history, or it is the original while the stored
        one is an edit. Several versions of one submission in the batch are applied oldest first, ordered by
        their ``meta/deprecatedID`` links (versions that cannot be ordered are a QafError, nothing written).
        Only rows ``from_server`` (a sync) make a row marked deleted active again; rows from a file skip it
        (``deleted``).
        """
        now = seen_at or utc_now()
        groups: dict[str, list[dict[str, Any]]] = {}
        for sub in submissions:
            groups.setdefault(root_uuid_of(sub), []).append(sub)
        ordered = {root: order_versions(root, subs) for root, subs in groups.items()}
        counts = UpsertCounts()
        with self.conn:
            existing = self._current(list(ordered))
            older = self._older_uuids(list(ordered), existing)
            writes: dict[str, tuple[dict[str, Any], str, str | None]] = {}
            history_rows, seen = [], []
            for root, versions in ordered.items():
                state = existing.get(root)  # (uuid, raw, deleted_at)
                known_older = older.get(root, set())
                for sub in versions:
                    raw = json.dumps(sub, ensure_ascii=False)
                    uuid = instance_uuid(sub)
                    if state is None:
                        counts.new += 1
                    elif state[2] is not None and not from_server:
                        counts.deleted += 1
                        continue
                    elif state[1] == raw and state[2] is None:
                        counts.unchanged += 1
                        seen.append((now, root))
                        continue
                    elif uuid != state[0] and _is_older(sub, uuid, root, json.loads(state[1]), known_older):
                        counts.stale += 1
                        continue
                    else:
                        counts.updated += 1
                        if state[1] != raw:
                            history_rows.append((root, state[0], state[1], now))
                            if state[0]:
                                known_older.add(state[0])
                    state = (uuid, raw, None)
                    writes[root] = (sub, raw, uuid)
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

    def _older_uuids(self, roots: list[str], current: dict[str, tuple[str | None, str, str | None]]
                     ) -> dict[str, set[str]]:
        """rootUuid → the ``_uuid`` values known to be older than its stored version: those in the history and
        every ``meta/deprecatedID`` of the stored version and of the history."""
        found: dict[str, set[str]] = {root: {dep} for root, (_, raw, _) in current.items()
                                      if (dep := deprecated_uuid(json.loads(raw)))}
        for chunk in _chunks(roots):
            marks = ",".join("?" * len(chunk))
            for root, uuid, raw in self.conn.execute(
                    f"SELECT root_uuid, uuid, raw_json FROM submission_history WHERE root_uuid IN ({marks})", chunk):
                known = found.setdefault(root, set())
                known.update(u for u in (uuid, deprecated_uuid(json.loads(raw))) if u)
        return found


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def validation_uid(submission: dict[str, Any]) -> str:
    """The submission's validation status uid (``validation_status_approved`` …), '' when there is none."""
    status = submission.get("_validation_status")
    return str(status.get("uid") or "") if isinstance(status, dict) else ""


def open_store(path: Path | str = DEFAULT_STORE, *, create: bool = True) -> Store:
    """Open (and with ``create``, create or migrate) the store at ``path``; a file that is not a store, or a path
    that cannot hold one, is a QafError. Creating the schema is one write transaction, so first runs at the same
    time do not collide."""
    path = Path(path)
    if not path.exists() and not create:
        raise QafError(f"no store at {path} (run qaf-kobo sync or qaf-kobo import first)")
    if path.is_dir():
        raise QafError(f"the store {path} is a directory; give --store a file path such as data/qaf.sqlite")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise QafError(f"cannot create or open the store {path}: {_reason(exc)}") from None
    try:
        _create_schema(conn, path)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    except QafError:
        conn.close()
        raise
    except sqlite3.DatabaseError as exc:
        conn.close()
        if "not a database" in str(exc) or "malformed" in str(exc):
            raise QafError(f"{path} is not a qaf-kobo store (not an SQLite database)") from None
        raise QafError(f"cannot create or open the store {path}: {_reason(exc)}") from None
    conn.isolation_level = ""  # back to Python's default: DML opens a transaction, ``with conn`` commits it
    return Store(path, conn)


def _create_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Check the schema version and create the tables of a new store, all in one IMMEDIATE transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version > SCHEMA_VERSION:
            raise QafError(f"{path} was written by a newer qaf-kobo (store schema {version}); upgrade qaf-kobo")
        if version == 0:
            if tables:
                raise QafError(f"{path} is an SQLite database but not a qaf-kobo store")
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
