"""The sheets of a report workbook, one module each, in the order of the workbook.

Each module is a ``Sheet``: ``KEY`` (its name in the wording: ``report.sheet.<KEY>``) and ``write(ws, cells,
scores, fw, words)``; a table sheet's module also has a pure function from the scores to its table.
"""

from __future__ import annotations

from typing import Protocol

from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.sheets import (
    about,
    action_plan,
    assessments,
    data_quality,
    heat_map,
    indicators,
    overview,
    sections,
)
from qaf_kobo.report.wording import Wording


class Sheet(Protocol):
    """What the workbook needs of a sheet module."""

    KEY: str

    def write(self, ws: Worksheet, cells: Cells, scores, fw: Framework, words: Wording) -> None:
        """Write the sheet into ``ws``."""


SHEETS: tuple[Sheet, ...] = (overview, heat_map, sections, assessments, indicators, action_plan, data_quality, about)
"""Every sheet of a workbook, in order."""
SHEET_KEYS: tuple[str, ...] = tuple(sheet.KEY for sheet in SHEETS)


def sheets_for(fw: Framework) -> tuple[Sheet, ...]:
    """The sheets of a workbook for this framework: Indicators only when it declares evidence indicators."""
    return tuple(sheet for sheet in SHEETS if sheet is not indicators or fw.evidence.indicators)
