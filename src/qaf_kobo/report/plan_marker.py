"""The facts that make a workbook a qaf-kobo action plan, written into it for ``qaf-kobo actions import``: a very
hidden sheet "qaf-kobo" of key/value rows (format and version, when it was generated, language, framework and
version, the plan sheets' names and their column keys), then the **base**: per Action id the tracked values its row
had when the file was generated (the import applies only the cells that differ from them). A hidden sheet survives
Excel, LibreOffice (which makes a very hidden sheet a hidden one) and Google Sheets; every value is written as
text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from xlsxwriter.workbook import Workbook

from qaf_kobo.errors import QafError
from qaf_kobo.report.cells import Cells
from qaf_kobo.store.utc import utc_text

MARKER_SHEET = "qaf-kobo"
FORMAT = "qaf-kobo action plan"
FORMAT_VERSION = 2
BASE = "base"
"""The key of the row after which come the base rows: Action id, then one value per BASE_FIELDS."""
BASE_FIELDS = ("responsible_section", "responsible_person", "expected_completion", "stage", "action_taken")
NOTE = "Written by qaf-kobo report and read by qaf-kobo actions import: please leave this sheet as it is."


@dataclass(frozen=True)
class PlanFacts:
    """What a plan workbook says of itself."""

    generated_at: dt.datetime
    language: str
    framework: str
    framework_version: str
    plan_sheet: str
    plan_columns: tuple[str, ...]
    closed_sheet: str = ""
    base: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per Action id, its row's values when generated (BASE_FIELDS; "" for blank; dates ISO, stages keys)."""
    format_version: int = FORMAT_VERSION

    def rows(self) -> list[tuple[str, ...]]:
        """The sheet's rows after its header."""
        return [("format", FORMAT), ("format_version", str(self.format_version)),
                ("generated_at", utc_text(self.generated_at)), ("language", self.language),
                ("framework", self.framework), ("framework_version", self.framework_version),
                ("plan_sheet", self.plan_sheet), ("closed_sheet", self.closed_sheet),
                ("plan_columns", ",".join(self.plan_columns)), ("note", NOTE),
                (BASE, ",".join(BASE_FIELDS)), *((ident, *values) for ident, values in self.base.items())]


def write_marker(book: Workbook, cells: Cells, facts: PlanFacts) -> None:
    """Add the very hidden marker sheet (last)."""
    ws = book.add_worksheet(MARKER_SHEET)
    ws.very_hidden()
    ws.set_column(0, 0, 20)
    ws.set_column(1, 1, 60)
    for row, values in enumerate([("key", "value"), *facts.rows()]):
        for col, value in enumerate(values):
            cells.text(ws, row, col, value)


def read_marker(rows: list[tuple], source: str) -> PlanFacts:
    """The facts from the marker sheet's rows (key, value …, then the base); QafError naming ``source`` when they
    are not a qaf-kobo plan's or come from another qaf-kobo."""
    ends = [i for i, r in enumerate(rows) if r and r[0] is not None and str(r[0]).strip() == BASE]
    head, tail = (rows[:ends[0]], rows[ends[0] + 1:]) if ends else (rows, [])
    values = {str(r[0]).strip(): ("" if len(r) < 2 or r[1] is None else str(r[1]).strip()) for r in head if r and r[0]}
    if values.get("format") != FORMAT:
        raise QafError(f"{source}: not a qaf-kobo action plan (its {MARKER_SHEET!r} sheet does not say so)")
    try:
        version = int(values.get("format_version", ""))
        generated = dt.datetime.fromisoformat(values["generated_at"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        raise QafError(f"{source}: the {MARKER_SHEET!r} sheet is damaged (format_version or generated_at); "
                       "write the plan again with qaf-kobo report") from None
    if version > FORMAT_VERSION:
        raise QafError(f"{source}: written by a newer qaf-kobo (plan format {version}); upgrade qaf-kobo")
    if version < FORMAT_VERSION or not ends:
        raise QafError(f"{source}: written by an earlier qaf-kobo (plan format {version}), without the values each "
                       "row had when written; write the plan again with qaf-kobo report and copy the changes into it")
    missing = [k for k in ("language", "framework", "plan_sheet", "plan_columns") if not values.get(k)]
    if missing:
        raise QafError(f"{source}: the {MARKER_SHEET!r} sheet is damaged (no {', '.join(missing)}); "
                       "write the plan again with qaf-kobo report")
    if generated.tzinfo is None:
        generated = generated.replace(tzinfo=dt.timezone.utc)
    width = len(BASE_FIELDS)
    base = {}
    for r in tail:
        if not r or r[0] is None:
            continue
        cells = [("" if v is None else str(v)) for v in r[1:width + 1]]
        base[str(r[0]).strip()] = tuple(cells + [""] * (width - len(cells)))
    return PlanFacts(generated, values["language"], values["framework"], values.get("framework_version", ""),
                     values["plan_sheet"], tuple(values["plan_columns"].split(",")), values.get("closed_sheet", ""),
                     base, version)
