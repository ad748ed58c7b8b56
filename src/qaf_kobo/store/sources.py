"""The sources of a store's submissions — each a named KoboToolbox asset, ODK Central form, or folder of exports
downloaded by hand — with their sync state, and the migration of a one-source (schema 1) store to them.

A submission belongs to one source; the same instance id in two sources is two submissions. A server source's
kind, server and reference (asset uid, ``<project>/<form>``) are fixed when it is first used: a name reused for
another one is an error, so two projects never mix under one name. An export source takes files from anywhere.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from qaf_kobo.errors import QafError
from qaf_kobo.store.utc import utc_now

KINDS = ("kobo", "central", "export")
V1_META_STATE = ("server", "asset_uid", "last_id", "last_sync", "last_error", "deployed_version_id")
"""Schema 1 kept one source's sync state in ``meta``; schema 2 keeps it per source."""

SOURCES_SCHEMA = """
CREATE TABLE sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, server TEXT NOT NULL,
  ref TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE source_state (source_id INTEGER NOT NULL REFERENCES sources (id), key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (source_id, key));
"""


@dataclass(frozen=True)
class Source:
    """A source: its name, kind (``kobo``, ``central``, ``export``), server and reference."""

    id: int
    name: str
    kind: str
    server: str
    ref: str

    def describe(self) -> str:
        """``kobo https://kf.kobotoolbox.org asset aBc…`` and the like."""
        what = {"kobo": "asset", "central": "project/form", "export": "files"}[self.kind]
        return " ".join(p for p in (self.kind, self.server, f"{what} {self.ref}" if self.ref else "") if p)


def default_name(kind: str, server: str, ref: str) -> str:
    """The name a source gets when none is given: ``<kind>:<host>/<ref>`` (``export:<folder>`` for files)."""
    host = urlsplit(server).netloc or server
    return f"{kind}:{host}/{ref}" if host else f"{kind}:{ref}"


def _source(row: tuple) -> Source:
    return Source(*row)


def find_source(conn: sqlite3.Connection, name: str) -> Source | None:
    """The source with this name."""
    row = conn.execute("SELECT id, name, kind, server, ref FROM sources WHERE name = ?", (name,)).fetchone()
    return _source(row) if row else None


def all_sources(conn: sqlite3.Connection) -> list[Source]:
    """Every source, in the order they were added."""
    return [_source(r) for r in conn.execute("SELECT id, name, kind, server, ref FROM sources ORDER BY id")]


def add_source(conn: sqlite3.Connection, name: str, kind: str, server: str, ref: str) -> Source:
    """The source ``name``, added when new; a QafError when the name is taken by another kind, server or ref."""
    if kind not in KINDS:
        raise QafError(f"a source's kind is one of {', '.join(KINDS)}, not {kind!r}")
    if not name.strip():
        raise QafError("a source needs a name")
    existing = find_source(conn, name)
    if existing is None:
        conn.execute("INSERT INTO sources (name, kind, server, ref, created) VALUES (?, ?, ?, ?, ?)",
                     (name, kind, server, ref, utc_now()))
        existing = find_source(conn, name)
        assert existing is not None
        return existing
    if existing.kind == kind == "export":
        return existing  # a bag of files imported by hand: any folder may add to it
    if (existing.kind, existing.server, existing.ref) != (kind, server, ref):
        raise QafError(f"the source {name!r} of this store is {existing.describe()}, not "
                       f"{Source(0, name, kind, server, ref).describe()}; give --source another name")
    return existing


def source_state(conn: sqlite3.Connection, source_id: int) -> dict[str, str]:
    """A source's sync state (``watermark`` or ``last_id``, ``last_sync``, ``last_error`` …)."""
    return dict(conn.execute("SELECT key, value FROM source_state WHERE source_id = ?", (source_id,)))


def set_source_state(conn: sqlite3.Connection, source_id: int, values: dict[str, str | None]) -> None:
    """Set (or, with None, remove) state values of a source (within the caller's transaction)."""
    for key, value in values.items():
        if value is None:
            conn.execute("DELETE FROM source_state WHERE source_id = ? AND key = ?", (source_id, key))
        else:
            conn.execute("INSERT INTO source_state (source_id, key, value) VALUES (?, ?, ?) ON CONFLICT (source_id, key) "
                         "DO UPDATE SET value = excluded.value", (source_id, key, str(value)))


# --- schema 1 → 2 ----------------------------------------------------------------------------------------------
def backup_path(path: Path) -> Path:
    """Where the copy of a store is kept before its migration: next to it, ``<name>.schema1-backup[-n].sqlite``."""
    candidate, n = path.with_name(f"{path.stem}.schema1-backup.sqlite"), 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}.schema1-backup-{n}.sqlite")
    return candidate


def backup(path: Path) -> Path:
    """A consistent copy of the store at ``path`` (SQLite's backup API, through a reading connection of its own,
    so it works while the caller holds the write lock), next to it; returns its path."""
    target = backup_path(path)
    reader, copy = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True), sqlite3.connect(target)
    try:
        reader.backup(copy)
    finally:
        copy.close()
        reader.close()
    return target


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


def needs_migration(conn: sqlite3.Connection) -> bool:
    """Whether a schema 1 store still has submissions without a source (a store whose upgrade stopped half-way,
    or that another tool marked schema 1 again, may have them already: then only its version is behind)."""
    return "source_id" not in _columns(conn, "submissions")


def migrate_v1(conn: sqlite3.Connection, submissions_v2: str, history_index: str) -> Source:
    """Turn a schema 1 store into schema 2 inside the caller's transaction: its submissions become those of one
    source — a ``kobo`` source named after the server and asset of its last sync, or ``export:imported`` for a
    store filled by ``import`` only — and its sync state moves from ``meta`` to that source. ``submissions_v2``
    creates the new submissions table (named ``submissions_v2``); ``history_index`` the history's index.

    A store half-way there (the sources tables made, a ``submissions_v2`` left over, the history already with its
    ``source_id``) is finished: each step is done only where it is missing."""
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    for statement in SOURCES_SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
    if meta.get("asset_uid"):
        kind, server, ref = "kobo", meta.get("server", ""), meta["asset_uid"]
    else:
        kind, server, ref = "export", "", "imported"
    name = default_name(kind, server, ref)
    moved = not needs_migration(conn)
    source = find_source(conn, name) if moved else None
    if source is None:  # the source the submissions become those of (where they already have one: the first)
        known = all_sources(conn) if moved else []
        source = known[0] if known else add_source(conn, name, kind, server, ref)
    if not moved:
        conn.execute("DROP TABLE IF EXISTS submissions_v2")
        conn.execute(submissions_v2)
        listed = ", ".join(_columns(conn, "submissions"))
        conn.execute(f"INSERT INTO submissions_v2 (source_id, {listed}) SELECT ?, {listed} FROM submissions",
                     (source.id,))
        conn.execute("DROP TABLE submissions")
        conn.execute("ALTER TABLE submissions_v2 RENAME TO submissions")
    if "source_id" not in _columns(conn, "submission_history"):
        conn.execute(f"ALTER TABLE submission_history ADD COLUMN source_id INTEGER NOT NULL DEFAULT {int(source.id)}")
    conn.execute("DROP INDEX IF EXISTS submission_history_root")
    conn.execute(history_index)
    if source.name == name:
        set_source_state(conn, source.id, {key: meta.get(key) for key in V1_META_STATE if key in meta})
    conn.executemany("DELETE FROM meta WHERE key = ?", [(key,) for key in V1_META_STATE])
    return source
