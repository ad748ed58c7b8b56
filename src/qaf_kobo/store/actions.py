"""What coordinators wrote into the country action plans, kept in the store: per action id the responsible,
expected completion date, implementation stage and action taken, with when (the row's timestamp), from which file,
and every earlier value.

The tables are created when first written (``CREATE TABLE IF NOT EXISTS``); a store without them tracks nothing,
and a store opened read-only reads them (or nothing) without changing anything. A row older than what the store
holds for its action — the newest row that gave or repeated the stored values (``seen_at``) — never replaces it:
``record_tracking`` skips it and says why.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from qaf_kobo.errors import QafError
from qaf_kobo.store.database import Store
from qaf_kobo.store.utc import utc_text

TRACKING_SCHEMA = """
CREATE TABLE IF NOT EXISTS action_tracking (
  action_id TEXT PRIMARY KEY,
  responsible TEXT,
  expected_completion TEXT,
  stage TEXT NOT NULL,
  action_taken TEXT,
  updated_at TEXT NOT NULL,
  source_file TEXT NOT NULL,
  source_sheet TEXT NOT NULL,
  source_row INTEGER NOT NULL,
  imported_at TEXT NOT NULL,
  seen_at TEXT NOT NULL,
  seen_file TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS action_tracking_history (
  action_id TEXT NOT NULL,
  responsible TEXT,
  expected_completion TEXT,
  stage TEXT NOT NULL,
  action_taken TEXT,
  updated_at TEXT NOT NULL,
  source_file TEXT NOT NULL,
  source_sheet TEXT NOT NULL,
  source_row INTEGER NOT NULL,
  imported_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS action_tracking_history_action ON action_tracking_history (action_id);
"""
"""``action_tracking``: the current values per action id — ``updated_at`` and ``source_*``: the row that set them;
``seen_at`` and ``seen_file``: the newest row that set or repeated them; ``action_tracking_history``: every value
ever recorded (the current one included), in the order recorded. Dates are ISO ``YYYY-MM-DD``, times ISO UTC with
seconds."""

TRACKING_COLUMNS = ("action_id", "responsible", "expected_completion", "stage", "action_taken", "updated_at",
                    "source_file", "source_sheet", "source_row", "imported_at")
_VALUES = ("responsible", "expected_completion", "stage", "action_taken")


@dataclass(frozen=True)
class TrackedRow:
    """One plan row read from a file: the values, the row's timestamp (``updated_at``) and where it was read."""

    action_id: str
    responsible: str | None
    expected_completion: dt.date | None
    stage: str
    action_taken: str | None
    updated_at: dt.datetime
    source_file: str
    source_sheet: str
    source_row: int

    def values(self) -> tuple:
        """The tracked values as stored."""
        date = self.expected_completion.isoformat() if self.expected_completion else None
        return (self.responsible, date, self.stage, self.action_taken)


@dataclass(frozen=True)
class Skipped:
    """A row not recorded because the store holds a newer value for its action."""

    row: TrackedRow
    stored_at: str
    stored_from: str

    @property
    def reason(self) -> str:
        """Why, in one line."""
        return (f"the store holds a newer value (as of {self.stored_at}, from {self.stored_from}) than this row "
                f"({utc_text(self.row.updated_at)})")


@dataclass
class TrackingResult:
    """What one recording did: actions tracked for the first time, changed, seen again unchanged, and rows skipped."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)


def _has_tables(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'action_tracking'").fetchone() is not None


def record_tracking(store: Store, rows: Sequence[TrackedRow], imported_at: dt.datetime | None = None) -> TrackingResult:
    """Record plan rows in one transaction, oldest row first: a row whose values differ from the stored ones replaces
    them unless it is older than the newest row that gave or repeated them (then it is skipped); every recorded
    value also goes to the history."""
    now = utc_text(imported_at or dt.datetime.now(dt.timezone.utc))
    result = TrackingResult()
    conn = store.conn
    try:
        conn.execute("BEGIN IMMEDIATE")
        for statement in TRACKING_SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        current = {r[0]: r[1:] for r in conn.execute(
            f"SELECT action_id, {', '.join(_VALUES)}, seen_at, seen_file FROM action_tracking")}
        for row in sorted(rows, key=lambda r: utc_text(r.updated_at)):
            stamp = utc_text(row.updated_at)
            stored = current.get(row.action_id)
            if stored is not None and tuple(stored[:4]) == row.values():
                result.unchanged += 1
                if stamp > stored[4]:  # a newer file repeats the values: older ones must not replace them now
                    conn.execute("UPDATE action_tracking SET seen_at = ?, seen_file = ? WHERE action_id = ?",
                                 (stamp, row.source_file, row.action_id))
                    current[row.action_id] = (*stored[:4], stamp, row.source_file)
                continue
            if stored is not None and stamp < stored[4]:
                result.skipped.append(Skipped(row, stored[4], stored[5]))
                continue
            record = (row.action_id, *row.values(), stamp, row.source_file, row.source_sheet, row.source_row, now)
            conn.execute(f"INSERT INTO action_tracking ({', '.join(TRACKING_COLUMNS)}, seen_at, seen_file) "
                         f"VALUES ({', '.join('?' * 12)}) ON CONFLICT (action_id) DO UPDATE SET "
                         + ", ".join(f"{c} = excluded.{c}" for c in (*TRACKING_COLUMNS[1:], "seen_at", "seen_file")),
                         (*record, stamp, row.source_file))
            conn.execute(f"INSERT INTO action_tracking_history ({', '.join(TRACKING_COLUMNS)}) "
                         f"VALUES ({', '.join('?' * 10)})", record)
            if stored is None:
                result.new += 1
            else:
                result.updated += 1
            current[row.action_id] = (*row.values(), stamp, row.source_file)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


def _frame(conn: sqlite3.Connection, table: str, where: str = "", params: tuple = ()) -> pd.DataFrame:
    if not _has_tables(conn):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TRACKING_COLUMNS})
    try:
        rows = conn.execute(f"SELECT {', '.join(TRACKING_COLUMNS)} FROM {table} {where} ORDER BY rowid", params).fetchall()
    except sqlite3.DatabaseError as exc:
        raise QafError(f"cannot read the tracked actions ({exc})") from None
    return pd.DataFrame(rows, columns=list(TRACKING_COLUMNS), dtype=object)


def read_tracking(store: Store) -> pd.DataFrame:
    """The current tracked values (TRACKING_COLUMNS, as stored); no rows when nothing is tracked."""
    return _frame(store.conn, "action_tracking")


def tracking_history(store: Store, action_id: str) -> pd.DataFrame:
    """Every value recorded for one action, oldest first."""
    return _frame(store.conn, "action_tracking_history", "WHERE action_id = ?", (action_id,))
