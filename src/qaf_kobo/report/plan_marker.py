"""The facts that make a workbook a qaf-kobo action plan, written into it for ``qaf-kobo actions import``: a very
hidden sheet "qaf-kobo" of key/value rows (format and version, when it was generated, language, framework and
version, the plan sheet's name and its column keys). A hidden sheet survives Excel, LibreOffice and Google Sheets;
every value is written as text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from xlsxwriter.workbook import Workbook

from qaf_kobo.errors import QafError
from qaf_kobo.report.cells import Cells
from qaf_kobo.store.utc import utc_text

MARKER_SHEET = "qaf-kobo"
FORMAT = "qaf-kobo action plan"
FORMAT_VERSION = 1
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
    format_version: int = FORMAT_VERSION

    def rows(self) -> list[tuple[str, str]]:
        """The sheet's rows after its header."""
        return [("format", FORMAT), ("format_version", str(self.format_version)),
                ("generated_at", utc_text(self.generated_at)), ("language", self.language),
                ("framework", self.framework), ("framework_version", self.framework_version),
                ("plan_sheet", self.plan_sheet), ("plan_columns", ",".join(self.plan_columns)), ("note", NOTE)]


def write_marker(book: Workbook, cells: Cells, facts: PlanFacts) -> None:
    """Add the very hidden marker sheet (last)."""
    ws = book.add_worksheet(MARKER_SHEET)
    ws.very_hidden()
    ws.set_column(0, 0, 20)
    ws.set_column(1, 1, 60)
    for row, (key, value) in enumerate([("key", "value"), *facts.rows()]):
        cells.text(ws, row, 0, key)
        cells.text(ws, row, 1, value)


def read_marker(rows: list[tuple], source: str) -> PlanFacts:
    """The facts from the marker sheet's rows (key, value …); QafError naming ``source`` when they are not a
    qaf-kobo plan's or come from a newer qaf-kobo."""
    values = {str(r[0]).strip(): ("" if len(r) < 2 or r[1] is None else str(r[1]).strip()) for r in rows if r and r[0]}
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
    missing = [k for k in ("language", "framework", "plan_sheet", "plan_columns") if not values.get(k)]
    if missing:
        raise QafError(f"{source}: the {MARKER_SHEET!r} sheet is damaged (no {', '.join(missing)}); "
                       "write the plan again with qaf-kobo report")
    if generated.tzinfo is None:
        generated = generated.replace(tzinfo=dt.timezone.utc)
    return PlanFacts(generated, values["language"], values["framework"], values.get("framework_version", ""),
                     values["plan_sheet"], tuple(values["plan_columns"].split(",")), version)
