"""What coordinators wrote into the country action plans, kept in the store per cell: for every action id and
tracked field (responsible section / agency, responsible person, expected completion date, implementation stage,
action taken) its value, when it was set (the time of the save that set it) and from which file — plus every
earlier value, and the day each action first appeared in a generated plan (its suggested date counts from it).

Recording is a three-way merge (``record_edits``): an edit is a cell whose value in a returned file differs from
the value it had when the file was generated (the base, kept in the file). When the store's cell was changed after
that file was generated too, and to another value, it is a **conflict**: the later save keeps its value (ties: the
greater value, so that the result never depends on the order), and the conflict is listed with both values.
Importing the same files in any order gives the same store.

The tables are created when first written (``CREATE TABLE IF NOT EXISTS``); values of a store written by an
earlier qaf-kobo (``action_tracking``) are carried over once. A store without them tracks nothing, and a store
opened read-only reads them (or nothing) without changing anything.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from qaf_kobo.errors import QafError
from qaf_kobo.store.database import Store
from qaf_kobo.store.utc import utc_text

FIELDS = ("responsible_section", "responsible_person", "expected_completion", "stage", "action_taken")
"""The tracked fields of an action. Dates are ISO ``YYYY-MM-DD``, stages keys of ``plans.stages.STAGES``."""

TRACKING_SCHEMA = """
CREATE TABLE IF NOT EXISTS plan_cells (
  action_id TEXT NOT NULL,
  field TEXT NOT NULL,
  value TEXT,
  changed_at TEXT NOT NULL,
  source_file TEXT NOT NULL,
  source_sheet TEXT NOT NULL,
  source_row INTEGER NOT NULL,
  imported_at TEXT NOT NULL,
  PRIMARY KEY (action_id, field)
);
CREATE TABLE IF NOT EXISTS plan_cell_history (
  action_id TEXT NOT NULL,
  field TEXT NOT NULL,
  value TEXT,
  changed_at TEXT NOT NULL,
  source_file TEXT NOT NULL,
  source_sheet TEXT NOT NULL,
  source_row INTEGER NOT NULL,
  imported_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS plan_cell_history_action ON plan_cell_history (action_id);
CREATE TABLE IF NOT EXISTS plan_first_seen (
  action_id TEXT PRIMARY KEY,
  first_seen TEXT NOT NULL
)
"""
"""``plan_cells``: the current value of every tracked cell (a cell never set has no row; a row with a NULL value
was cleared on purpose); ``changed_at``: the save that set it (ISO UTC); ``plan_cell_history``: every value ever
set, in the order recorded; ``plan_first_seen``: the day each action first appeared in a generated plan."""

CELL_COLUMNS = ("action_id", "field", "value", "changed_at", "source_file", "source_sheet", "source_row",
                "imported_at")
TRACKING_COLUMNS = ("action_id", *FIELDS, *(f"{f}_set" for f in FIELDS), "stage_changed_at", "updated_at",
                    "source_file")
"""``read_tracking``'s columns: the values, whether each was ever set (a set cell may be blank: cleared), when the
stage was last set, the latest change of the action and the file it came from."""


@dataclass(frozen=True)
class CellEdit:
    """One edited cell of a returned plan: its new value (None: cleared), the file's generation time (the base's),
    the time of the save that made it, and where it was read."""

    action_id: str
    field: str
    value: str | None
    generated_at: dt.datetime
    saved_at: dt.datetime
    source_file: str
    source_sheet: str
    source_row: int


@dataclass(frozen=True)
class Conflict:
    """A cell changed both in the store after the file was generated and in the file: both values, which was kept."""

    edit: CellEdit
    stored: str | None
    stored_at: str
    stored_from: str
    kept_file: bool

    def describe(self) -> str:
        """One line: where, both values and which was kept."""
        edit = self.edit
        mine, theirs = f"{edit.value!r} (saved {utc_text(edit.saved_at)})", f"{self.stored!r} (saved {self.stored_at}, " \
                                                                           f"from {self.stored_from})"
        kept = "the file's" if self.kept_file else "the store's"
        return (f"conflict in {edit.source_file}, sheet {edit.source_sheet!r}, row {edit.source_row} "
                f"({edit.action_id}, {edit.field}): file {mine} against store {theirs}; kept {kept}, the later save")


@dataclass
class TrackingResult:
    """What one recording did: cells set for the first time, changed, already holding the value, and conflicts."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[Conflict] = field(default_factory=list)


def _has_tables(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'plan_cells'").fetchone() is not None


_LEGACY = (("responsible_section", "responsible"), ("expected_completion", "expected_completion"),
           ("stage", "stage"), ("action_taken", "action_taken"))
"""An earlier qaf-kobo's ``action_tracking`` columns: its one Responsible is the section / agency."""


def _legacy_select(conn: sqlite3.Connection) -> str | None:
    """The SELECT of an earlier qaf-kobo's tracked values as cells (CELL_COLUMNS), or None without them."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'action_tracking'").fetchone() is None:
        return None
    return " UNION ALL ".join(f"SELECT action_id, '{new}', {column}, updated_at, source_file, source_sheet, "
                              "source_row, imported_at FROM action_tracking" for new, column in _LEGACY)


def _create(conn: sqlite3.Connection) -> None:
    """The tables, and the values of an earlier qaf-kobo's ``action_tracking`` carried over once."""
    fresh = not _has_tables(conn)
    for statement in TRACKING_SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    legacy = _legacy_select(conn)
    if fresh and legacy:
        conn.execute(f"INSERT OR IGNORE INTO plan_cells ({', '.join(CELL_COLUMNS)}) {legacy}")


def _wins(edit: CellEdit, stored: tuple) -> bool:
    """Whether the file's value replaces the stored one in a conflict: the later save; a tie goes to the greater
    value (any fixed rule does: the order of imports must not matter)."""
    mine, theirs = utc_text(edit.saved_at), stored[1]
    if mine != theirs:
        return mine > theirs
    return (edit.value or "") > (stored[0] or "")


def record_edits(store: Store, edits: Sequence[CellEdit], imported_at: dt.datetime | None = None) -> TrackingResult:
    """Merge edited cells into the store in one transaction (see the module's docstring); every value set also goes
    to the history."""
    now = utc_text(imported_at or dt.datetime.now(dt.timezone.utc))
    result = TrackingResult()
    conn = store.conn
    try:
        conn.execute("BEGIN IMMEDIATE")
        _create(conn)
        current = {(r[0], r[1]): r[2:] for r in conn.execute(
            "SELECT action_id, field, value, changed_at, source_file FROM plan_cells")}
        writes = []
        for edit in sorted(edits, key=lambda e: (utc_text(e.saved_at), e.source_file, e.source_row, e.field)):
            key = (edit.action_id, edit.field)
            stored = current.get(key)
            if stored is not None and stored[0] == edit.value:
                result.unchanged += 1
                continue
            if stored is not None and stored[1] > utc_text(edit.generated_at):
                won = _wins(edit, stored)
                result.conflicts.append(Conflict(edit, stored[0], stored[1], stored[2], won))
                if not won:
                    continue
            if stored is None:
                result.new += 1
            else:
                result.updated += 1
            record = (edit.action_id, edit.field, edit.value, utc_text(edit.saved_at), edit.source_file,
                      edit.source_sheet, edit.source_row, now)
            current[key] = (edit.value, record[3], edit.source_file)
            writes.append(record)
        placeholders = ", ".join("?" * len(CELL_COLUMNS))
        conn.executemany(f"INSERT OR REPLACE INTO plan_cells ({', '.join(CELL_COLUMNS)}) VALUES ({placeholders})",
                         writes)
        conn.executemany(f"INSERT INTO plan_cell_history ({', '.join(CELL_COLUMNS)}) VALUES ({placeholders})", writes)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


def _cells(conn: sqlite3.Connection, table: str, where: str = "", params: tuple = ()) -> pd.DataFrame:
    """The rows of a cell table; from a store an earlier qaf-kobo wrote (not yet carried over), its values."""
    try:
        if _has_tables(conn):
            rows = conn.execute(f"SELECT {', '.join(CELL_COLUMNS)} FROM {table} {where} ORDER BY rowid", params).fetchall()
        elif (legacy := _legacy_select(conn)) is not None:
            rows = conn.execute(f"SELECT * FROM ({legacy}) {where}", params).fetchall()
        else:
            rows = []
    except sqlite3.DatabaseError as exc:
        raise QafError(f"cannot read the tracked actions ({exc})") from None
    return pd.DataFrame(rows, columns=list(CELL_COLUMNS), dtype=object)


def read_tracking(store: Store) -> pd.DataFrame:
    """The current tracked values, one row per action (TRACKING_COLUMNS); no rows when nothing is tracked."""
    cells = _cells(store.conn, "plan_cells")
    if cells.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TRACKING_COLUMNS})
    wide = cells.pivot(index="action_id", columns="field", values="value").reindex(columns=list(FIELDS))
    was_set = cells.assign(one=True).pivot(index="action_id", columns="field", values="one")
    latest = cells.sort_values("changed_at", kind="stable").groupby("action_id").last()
    stage_at = cells[cells["field"] == "stage"].set_index("action_id")["changed_at"]
    out = pd.DataFrame(index=wide.index)
    for name in FIELDS:
        out[name] = wide[name].astype(object).where(wide[name].notna(), None)
        out[f"{name}_set"] = was_set.reindex(columns=[name])[name].notna() if name in was_set else False
    out["stage_changed_at"] = stage_at.reindex(out.index)
    out["updated_at"] = latest["changed_at"]
    out["source_file"] = latest["source_file"]
    return out.rename_axis("action_id").reset_index().loc[:, list(TRACKING_COLUMNS)]


def tracking_history(store: Store, action_id: str) -> pd.DataFrame:
    """Every value set for one action's cells, oldest first (CELL_COLUMNS)."""
    return _cells(store.conn, "plan_cell_history", "WHERE action_id = ?", (action_id,))


def read_first_seen(store: Store) -> dict[str, dt.date]:
    """The day each action first appeared in a generated plan."""
    if not _has_tables(store.conn):
        return {}
    return {ident: dt.date.fromisoformat(day) for ident, day in
            store.conn.execute("SELECT action_id, first_seen FROM plan_first_seen")}


def record_first_seen(store: Store, ids: Iterable[str], day: dt.date) -> int:
    """Keep ``day`` as the first appearance of these actions, unless one is kept already; returns how many are new."""
    conn = store.conn
    try:
        conn.execute("BEGIN IMMEDIATE")
        _create(conn)
        before = conn.total_changes
        conn.executemany("INSERT OR IGNORE INTO plan_first_seen (action_id, first_seen) VALUES (?, ?)",
                         [(ident, day.isoformat()) for ident in ids])
        added = conn.total_changes - before
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return added
