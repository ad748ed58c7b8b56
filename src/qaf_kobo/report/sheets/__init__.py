"""The sheets of the report workbooks, one module each, in the order of the workbook.

Each module is a ``Sheet``: ``KEY`` (its name in the wording: ``report.sheet.<KEY>``) and ``write(ws, cells,
data, fw, words)`` (``data``: the workbook's ``report.report_data.ReportData``); a table sheet's module also has a
pure function to its table.
"""

from __future__ import annotations

from typing import Protocol

from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.sheets import (
    about,
    action_plan,
    agency_map,
    assessments,
    closed_actions,
    country_plan,
    data_quality,
    domains,
    heat_map,
    indicators,
    overview,
    profile,
    sections,
)
from qaf_kobo.report.wording import Wording


class Sheet(Protocol):
    """What the workbook needs of a sheet module."""

    KEY: str

    def write(self, ws: Worksheet, cells: Cells, data, fw: Framework, words: Wording) -> None:
        """Write the sheet into ``ws``."""


REGIONAL_SHEETS: tuple[Sheet, ...] = (overview, heat_map, sections, domains, assessments, indicators, country_plan,
                                      closed_actions, data_quality, about)
"""The regional workbook's sheets, in order: consolidated views only (the plans per country, not per assessment)."""
COUNTRY_SHEETS: tuple[Sheet, ...] = (profile, heat_map, agency_map, sections, domains, assessments, indicators,
                                     country_plan, closed_actions, action_plan, data_quality, about)
"""A country workbook's sheets, in order: its profile first; its plan, and the actions per assessment."""
REGIONAL_KEYS: tuple[str, ...] = tuple(sheet.KEY for sheet in REGIONAL_SHEETS)
COUNTRY_KEYS: tuple[str, ...] = tuple(sheet.KEY for sheet in COUNTRY_SHEETS)


def sheets_for(fw: Framework, country: bool = False) -> tuple[Sheet, ...]:
    """The sheets of the regional (or a country's) workbook for this framework: Indicators only when it declares
    evidence indicators."""
    sheets = COUNTRY_SHEETS if country else REGIONAL_SHEETS
    return tuple(sheet for sheet in sheets if sheet is not indicators or fw.evidence.indicators)
