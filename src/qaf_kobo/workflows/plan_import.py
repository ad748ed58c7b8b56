"""``qaf-kobo actions import``: read edited Country action plans (regional or country workbooks, any report
language; the Country action plan and Closed actions sheets) back into the store — per Action id the cells that
differ from the values the file's rows had when it was generated (the base, in its ``qaf-kobo`` sheet), with the
file's saved time (its document properties) — and merge them (``store.actions.record_edits``): an untouched row or
cell changes nothing, a cell changed in the store since the file was generated too is a conflict that the later
save wins, and listed.

Every file is checked whole before anything is written. A file that is not a qaf-kobo plan, is encrypted, or is a
plan of another framework than the store's is one QafError. Bad cells — a renamed column, an unknown or repeated
Action id, a date, stage or Last updated that is not one, a formula without a saved value — are listed together
(sheet, row, column, value, what is accepted; up to MAX_PROBLEMS) in one QafError, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl.utils import get_column_letter

from qaf_kobo.errors import QafError
from qaf_kobo.framework import Framework, default_framework
from qaf_kobo.plans.action_ids import parse_action_id
from qaf_kobo.plans.dates import ACCEPTED_DATE, ACCEPTED_TIME, completion_date, update_time
from qaf_kobo.plans.stages import STAGES
from qaf_kobo.report.plan_marker import BASE_FIELDS, MARKER_SHEET, PlanFacts, read_marker
from qaf_kobo.report.sheets.country_plan import COLUMNS, TRACKED, heading
from qaf_kobo.report.wording import Wording, wording
from qaf_kobo.store import open_store
from qaf_kobo.store.actions import CellEdit, TrackingResult, record_edits
from qaf_kobo.workflows.xlsx_cells import NotAWorkbook, SheetCells, Workbook

REQUIRED = ("action_id", *TRACKED)
"""The columns a plan must have to be read back (each found by its heading)."""
MAX_PROBLEMS = 50
LATEST_UPDATE = dt.timedelta(days=1)
"""How far past the import time a Last updated may be (time zones)."""
_FIELD_OF = {"implementation_stage": "stage"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_SPACES = re.compile(r"\s+")


def _norm(text: object) -> str:
    return _SPACES.sub(" ", str(text if text is not None else "")).strip().casefold()


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


def _shown(value: object) -> str:
    """A cell's value as an error shows it: dates as ISO text, quoted."""
    if isinstance(value, dt.datetime):
        return repr(value.isoformat(sep=" ", timespec="minutes").removesuffix(" 00:00"))
    return repr(value)


@dataclass(frozen=True)
class Problem:
    """A bad cell: where, its value, what is wrong and what is accepted."""

    sheet: str
    row: int
    col: int
    column: str
    problem: str

    def line(self) -> str:
        return f"sheet {self.sheet!r}, row {self.row}, column {get_column_letter(self.col + 1)} ({self.column}): " \
               f"{self.problem}"


def _refuse(source: str, problems: list[Problem]) -> QafError:
    """One error (one line) for every bad cell of a file, the cells separated by " | "."""
    if len(problems) == 1:
        return QafError(f"{source}, {problems[0].line()}")
    shown = problems[:MAX_PROBLEMS]
    count = (f"more than {MAX_PROBLEMS} bad cells (the first {MAX_PROBLEMS} listed)" if len(problems) > MAX_PROBLEMS
             else f"{len(problems)} bad cells")
    return QafError(f"{source}: {count}, nothing written: "
                    + " | ".join(p.line() for p in shown))


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


def _columns(header: Sequence[object], facts: PlanFacts, words: Wording, sheet: str, source: str,
             problems: list[Problem]) -> dict[str, int] | None:
    """The position of every column of the plan, found by its heading; a missing one is a problem (None)."""
    unknown = [key for key in facts.plan_columns if key not in COLUMNS]
    if unknown or any(key not in facts.plan_columns for key in REQUIRED):
        raise QafError(f"{source}: the {MARKER_SHEET!r} sheet is damaged (plan columns); "
                       "write the plan again with qaf-kobo report")
    found = {}
    for i, key in enumerate(facts.plan_columns):
        expected = heading(key, words)
        positions = [j for j, cell in enumerate(header) if _norm(cell) == _norm(expected)]
        if positions:
            found[key] = positions[0]
            continue
        there = header[i] if i < len(header) and header[i] is not None else None
        seen = f"found {str(there)!r}" if there is not None else "the heading is missing"
        problems.append(Problem(sheet, 1, i, expected, f"no column {expected!r} ({seen}); restore the heading as "
                                                       "written, or write the plan again"))
    return found if len(found) == len(facts.plan_columns) else None


@dataclass(frozen=True)
class PlanFile:
    """What one returned plan holds: its facts, when it was saved, its rows read and its edited cells."""

    path: Path
    facts: PlanFacts
    saved_at: dt.datetime
    rows: int
    edits: list[CellEdit]


def _saved_at(book: Workbook, facts: PlanFacts) -> dt.datetime:
    """The file's saved time (document properties), never before its generation; the generation time without one."""
    modified = book.modified
    if modified is None:
        return facts.generated_at
    return max(modified.replace(tzinfo=dt.timezone.utc), facts.generated_at)


def _open(path: Path, source: str) -> Workbook:
    try:
        return Workbook(path)
    except FileNotFoundError:
        raise QafError(f"{source}: no such file") from None
    except (NotAWorkbook, OSError) as exc:
        try:
            with path.open("rb") as file:
                start = file.read(1 << 20)
        except OSError:
            start = b""
        if start.startswith(_OLE) and _ENCRYPTED in start:
            raise QafError(f"{source}: the workbook is encrypted (password-protected); save a copy without the "
                           "password (File › Info › Protect Workbook in Excel) and import that") from None
        if start.startswith(_OLE):
            raise QafError(f"{source}: an old Excel (.xls) workbook, not .xlsx; save it as .xlsx and import that") from None
        raise QafError(f"{source}: not an Excel workbook ({exc})") from None


def read_plan(path: Path, fw: Framework, now: dt.datetime | None = None) -> PlanFile:
    """The edited cells of one plan workbook (see the module's docstring); QafError listing its bad cells."""
    source = str(path)
    now = now or dt.datetime.now(dt.timezone.utc)
    book = _open(path, source)
    try:
        if MARKER_SHEET not in book.sheetnames:
            raise QafError(f"{source}: not a qaf-kobo action plan (no {MARKER_SHEET!r} sheet: write one with "
                           "qaf-kobo report)")
        facts = read_marker(_sheet(book, MARKER_SHEET, source).rows, source)
        if facts.framework != fw.id:
            raise QafError(f"{source}: a plan of framework {facts.framework!r}, not {fw.id!r}; "
                           f"pass --framework {facts.framework}")
        try:
            words = wording(fw, facts.language)
        except QafError as exc:
            raise QafError(f"{source}: {exc}") from None
        if facts.plan_sheet not in book.sheetnames:
            raise QafError(f"{source}: no sheet {facts.plan_sheet!r} (the Country action plan); restore its name")
        sheets = [facts.plan_sheet] + ([facts.closed_sheet] if facts.closed_sheet in book.sheetnames else [])
        problems: list[Problem] = []
        reader = _Reader(fw, words, facts, _saved_at(book, facts), now + LATEST_UPDATE, str(path.resolve()),
                         problems)
        for sheet in sheets:
            cells = _sheet(book, sheet, source)
            header = list(cells.rows[0]) if cells.rows else []
            found = _columns(header, facts, words, sheet, source, problems)
            if found is not None:
                reader.read(sheet, cells.rows[1:], found, cells.unsaved_formulas)
    finally:
        book.close()
    if problems:
        raise _refuse(source, problems)
    return PlanFile(path, facts, reader.saved_at, reader.count, reader.edits)


def _sheet(book: Workbook, name: str, source: str) -> SheetCells:
    try:
        return book.sheet(name)
    except NotAWorkbook as exc:
        raise QafError(f"{source}: a damaged workbook ({exc})") from None


class _Reader:
    """Reads the rows of a file's plan sheets into edits, collecting its problems."""

    def __init__(self, fw: Framework, words: Wording, facts: PlanFacts, saved_at: dt.datetime, latest: dt.datetime,
                 source_file: str, problems: list[Problem]) -> None:
        self.fw, self.words, self.facts, self.saved_at, self.latest = fw, words, facts, saved_at, latest
        self.source_file, self.problems = source_file, problems
        self.stages = _stages(words)
        self.names = {key: heading(key, words) for key in REQUIRED}
        self.seen: dict[str, tuple[str, int]] = {}
        self.edits: list[CellEdit] = []
        self.count = 0

    def read(self, sheet: str, rows: list[tuple], columns: dict[str, int], formulas: dict[tuple[int, int], str]
             ) -> None:
        """The rows after the header (row 2 on); ``formulas``: the sheet's formulas without a saved value."""
        for number, row in enumerate(rows, 2):
            if len(self.problems) > MAX_PROBLEMS:
                return
            cell = {key: (row[columns[key]] if columns[key] < len(row) else None) for key in REQUIRED}
            unsaved = [key for key in REQUIRED if cell[key] is None and (number, columns[key]) in formulas]
            for key in unsaved:
                formula = formulas[(number, columns[key])]
                self._bad(sheet, number, columns, key, f"a formula without a saved value ({formula}); type the "
                                                       "value, or open and save the file in Excel or LibreOffice")
            if not unsaved and any(_text(v) is not None for v in cell.values()):
                self._row(sheet, number, cell, columns)

    def _bad(self, sheet: str, number: int, columns: dict[str, int], key: str, problem: str) -> None:
        self.problems.append(Problem(sheet, number, columns[key], self.names[key], problem))

    def _row(self, sheet: str, number: int, cell: dict[str, object], columns: dict[str, int]) -> None:
        before = len(self.problems)
        ident = _text(cell["action_id"])
        if ident is None:
            return self._bad(sheet, number, columns, "action_id", "no Action id on a row with tracked values")
        if problem := _check_action(ident, self.fw):
            return self._bad(sheet, number, columns, "action_id", problem)
        if ident in self.seen:
            where = self.seen[ident]
            also = f"row {where[1]}" if where[0] == sheet else f"sheet {where[0]!r}, row {where[1]}"
            return self._bad(sheet, number, columns, "action_id", f"{ident} is also on {also}")
        self.seen[ident] = (sheet, number)
        base = self.facts.base.get(ident)
        if base is None:
            return self._bad(sheet, number, columns, "action_id", f"{ident} is not a row of this plan as it was "
                                                                  "written (rows cannot be added or copied in)")
        due = None
        try:
            due = completion_date(cell["expected_completion"])
        except (ValueError, OverflowError):
            self._bad(sheet, number, columns, "expected_completion",
                      f"{_shown(cell['expected_completion'])} is not a date (accepted: {ACCEPTED_DATE})")
        try:
            update_time(cell["last_updated"], self.latest)
        except (ValueError, OverflowError):
            self._bad(sheet, number, columns, "last_updated",
                      f"{_shown(cell['last_updated'])} is not a Last updated time (accepted: {ACCEPTED_TIME})")
        stage_text = _text(cell["implementation_stage"])
        stage = STAGES[0] if stage_text is None else self.stages.get(_norm(stage_text))
        if stage is None:
            self._bad(sheet, number, columns, "implementation_stage",
                      f"{stage_text!r} is not a stage (accepted: {', '.join(self.words.stages())})")
        if len(self.problems) > before:
            return
        self.count += 1
        values = {"responsible_section": _text(cell["responsible_section"]),
                  "responsible_person": _text(cell["responsible_person"]),
                  "expected_completion": due.isoformat() if due else None, "stage": stage,
                  "action_taken": _text(cell["action_taken"])}
        for name, was in zip(BASE_FIELDS, base):
            if values[name] != (was or None):
                self.edits.append(CellEdit(ident, name, values[name], self.facts.generated_at, self.saved_at,
                                           self.source_file, sheet, number))


def _check_store_framework(files: list[PlanFile], store, store_path: str | Path) -> None:
    """A plan's framework must be the store's (the frameworks its assessments answer)."""
    recorded = {key.split(" ")[0] for key in store.frameworks() if key}
    for plan in files:
        if recorded and plan.facts.framework not in recorded:
            raise QafError(f"{plan.path}: a plan of framework {plan.facts.framework!r}, but the store {store_path} "
                           f"holds assessments of {', '.join(sorted(recorded))}; import it into that framework's store")


@dataclass(frozen=True)
class PlanImport:
    """What one import did: the files and rows read, and what the store made of them (conflicts included)."""

    files: list[Path]
    rows: int
    result: TrackingResult


def import_action_plans(paths: Sequence[str | Path], store_path: str | Path, fw: Framework | None = None,
                        now: dt.datetime | None = None) -> PlanImport:
    """Read the plans of every file, then merge their edits into the store (one transaction); see the module's
    docstring."""
    fw = fw or default_framework()
    files = [Path(p) for p in paths]
    if not files:
        raise QafError("no file to import: give one or more plan workbooks (.xlsx)")
    moment = now or dt.datetime.now(dt.timezone.utc)
    plans = [read_plan(path, fw, moment) for path in files]
    with open_store(store_path, create=False) as store:
        _check_store_framework(plans, store, store_path)
        result = record_edits(store, [edit for plan in plans for edit in plan.edits], moment)
    return PlanImport(files, sum(plan.rows for plan in plans), result)
