"""``qaf-kobo actions import``: read edited Country action plans (regional or country workbooks, any report
language) back into the store — Responsible, Expected completion date, Implementation stage and Action taken per
Action id, with the row's timestamp (the later of the file's generated-at and its Last updated cell) and the file.

Every file is checked whole before anything is written: a file that is not a qaf-kobo plan, a missing or renamed
column, an unknown Action id, an invalid date or stage is one QafError naming file, sheet, row and column, and
nothing is written. The rows of all files are then recorded in one transaction (``store.actions``), where a row
older than what the store holds is skipped, with the reason.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from qaf_kobo.errors import QafError
from qaf_kobo.framework import Framework, default_framework
from qaf_kobo.plans.action_ids import parse_action_id
from qaf_kobo.plans.stages import STAGES
from qaf_kobo.report.plan_marker import MARKER_SHEET, PlanFacts, read_marker
from qaf_kobo.report.sheets.country_plan import COLUMNS, TRACKED, heading
from qaf_kobo.report.wording import Wording, wording
from qaf_kobo.store import open_store
from qaf_kobo.store.actions import TrackedRow, TrackingResult, record_tracking

REQUIRED = ("action_id", *TRACKED)
"""The columns a plan must have to be read back (each found by its heading)."""
_LAST_EXCEL_SERIAL = 2_958_465  # 9999-12-31
_SPACES = re.compile(r"\s+")


def _norm(text: object) -> str:
    return _SPACES.sub(" ", str(text if text is not None else "")).strip().casefold()


@dataclass(frozen=True)
class _Place:
    """Where a value was read, for errors."""

    source: str
    sheet: str

    def error(self, row: int, col: int, column: str, problem: str) -> QafError:
        return QafError(f"{self.source}, sheet {self.sheet!r}, row {row}, column {get_column_letter(col + 1)} "
                        f"({column}): {problem}")


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    return text.strip() or None


def _moment(value: object) -> dt.datetime | None:
    """An Excel date (or date serial number) or ISO text as a datetime; None for a blank; ValueError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value <= _LAST_EXCEL_SERIAL:
            return from_excel(value)
        raise ValueError
    return dt.datetime.fromisoformat(str(value).strip())


def _stages(words: Wording) -> dict[str, str]:
    """Stage names as typed (the report language's, English's, or the keys) → stage key."""
    names = {_norm(key.replace("_", " ")): key for key in STAGES}
    names |= {_norm(name): key for key, name in zip(STAGES, wording(words.fw).stages())}
    names |= {_norm(name): key for key, name in zip(STAGES, words.stages())}
    return names


def _check_action(ident: str, fw: Framework) -> str | None:
    """Why ``ident`` is not an action of this framework (None when it is)."""
    parts = parse_action_id(ident)
    if parts is None:
        return f"{ident!r} is not an Action id (such as JOR-2a.3-1to2-1)"
    try:
        criterion = fw.criterion(parts.criterion_id)
    except KeyError:
        return f"unknown Action id {ident!r}: {fw.title} has no criterion {parts.criterion_id}"
    if not 1 <= parts.level < len(fw.levels):
        return f"unknown Action id {ident!r}: no step {parts.level}to{parts.level + 1} in {fw.title}"
    count = len(criterion.next_actions(parts.level))
    if parts.k > count or (parts.k == 0) != (count == 0):
        return (f"unknown Action id {ident!r}: criterion {criterion.id} has {count or 'no'} action(s) from level "
                f"{parts.level}")
    return None


def _columns(header: Sequence[object], facts: PlanFacts, words: Wording, place: _Place) -> dict[str, int]:
    """The position of every column of the plan, found by its heading; a missing one is a QafError."""
    unknown = [key for key in facts.plan_columns if key not in COLUMNS]
    if unknown or any(key not in facts.plan_columns for key in REQUIRED):
        raise QafError(f"{place.source}: the {MARKER_SHEET!r} sheet is damaged (plan columns); "
                       "write the plan again with qaf-kobo report")
    found = {}
    for i, key in enumerate(facts.plan_columns):
        expected = heading(key, words)
        positions = [j for j, cell in enumerate(header) if _norm(cell) == _norm(expected)]
        if not positions:
            there = header[i] if i < len(header) and header[i] is not None else None
            seen = f"found {str(there)!r}" if there is not None else "the heading is missing"
            raise place.error(1, i, expected, f"no column {expected!r} ({seen}); restore the heading as written, "
                                              "or write the plan again")
        found[key] = positions[0]
    return found


def read_plan(path: Path, fw: Framework) -> list[TrackedRow]:
    """The tracked rows of one plan workbook (see the module's docstring)."""
    source = str(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise QafError(f"{source}: no such file") from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise QafError(f"{source}: not an Excel workbook ({exc})") from None
    try:
        if MARKER_SHEET not in book.sheetnames:
            raise QafError(f"{source}: not a qaf-kobo action plan (no {MARKER_SHEET!r} sheet: write one with "
                           "qaf-kobo report)")
        facts = read_marker(list(book[MARKER_SHEET].iter_rows(values_only=True)), source)
        if facts.framework != fw.id:
            raise QafError(f"{source}: a plan of framework {facts.framework!r}, not {fw.id!r}; "
                           f"pass --framework {facts.framework}")
        try:
            words = wording(fw, facts.language)
        except QafError as exc:
            raise QafError(f"{source}: {exc}") from None
        if facts.plan_sheet not in book.sheetnames:
            raise QafError(f"{source}: no sheet {facts.plan_sheet!r} (the Country action plan); restore its name")
        place = _Place(source, facts.plan_sheet)
        rows = book[facts.plan_sheet].iter_rows(values_only=True)
        columns = _columns(list(next(rows, ())), facts, words, place)
        return _rows(rows, columns, facts, fw, words, place, path)
    finally:
        book.close()


def _rows(rows, columns: dict[str, int], facts: PlanFacts, fw: Framework, words: Wording, place: _Place,
          path: Path) -> list[TrackedRow]:
    stages = _stages(words)
    names = {key: heading(key, words) for key in REQUIRED}
    seen: dict[str, int] = {}
    out = []
    for number, row in enumerate(rows, 2):
        cell = {key: (row[columns[key]] if columns[key] < len(row) else None) for key in REQUIRED}
        if all(_text(v) is None for v in cell.values()):
            continue

        def fail(key: str, problem: str) -> QafError:
            return place.error(number, columns[key], names[key], problem)

        ident = _text(cell["action_id"])
        if ident is None:
            raise fail("action_id", "no Action id on a row with tracked values")
        if problem := _check_action(ident, fw):
            raise fail("action_id", problem)
        if ident in seen:
            raise fail("action_id", f"{ident} is also on row {seen[ident]}")
        seen[ident] = number
        try:
            due = _moment(cell["expected_completion"])
        except (ValueError, OverflowError):
            raise fail("expected_completion", f"{cell['expected_completion']!r} is not a date (use a date or "
                                              "YYYY-MM-DD)") from None
        try:
            updated = _moment(cell["last_updated"])
        except (ValueError, OverflowError):
            raise fail("last_updated", f"{cell['last_updated']!r} is not a date and time (use a date or "
                                       "YYYY-MM-DD HH:MM)") from None
        stage_text = _text(cell["implementation_stage"])
        stage = STAGES[0] if stage_text is None else stages.get(_norm(stage_text))
        if stage is None:
            raise fail("implementation_stage", f"{stage_text!r} is not a stage (one of: {', '.join(words.stages())})")
        stamp = facts.generated_at
        if updated is not None:
            updated = updated.replace(tzinfo=dt.timezone.utc) if updated.tzinfo is None else updated
            stamp = max(stamp, updated)
        out.append(TrackedRow(ident, _text(cell["responsible"]), due.date() if due else None, stage,
                              _text(cell["action_taken"]), stamp, str(path.resolve()), facts.plan_sheet, number))
    return out


@dataclass(frozen=True)
class PlanImport:
    """What one import did: the files and rows read, and what the store made of them."""

    files: list[Path]
    rows: int
    result: TrackingResult


def import_action_plans(paths: Sequence[str | Path], store_path: str | Path, fw: Framework | None = None,
                        now: dt.datetime | None = None) -> PlanImport:
    """Read the plans of every file, then record them in the store (one transaction); see the module's docstring."""
    fw = fw or default_framework()
    files = [Path(p) for p in paths]
    if not files:
        raise QafError("no file to import: give one or more plan workbooks (.xlsx)")
    rows = [row for path in files for row in read_plan(path, fw)]
    with open_store(store_path, create=False) as store:
        result = record_tracking(store, rows, now)
    return PlanImport(files, len(rows), result)
