"""The Closed actions sheet: the tracked actions the latest round no longer needs (its target met, the criterion
rated lower than the action's step, or not assessed), with their values and a note — the same columns as the
Country action plan, read back by ``qaf-kobo actions import`` too."""

from __future__ import annotations

from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.sheets.country_plan import write_plan
from qaf_kobo.report.wording import Wording

KEY = "closed_actions"


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The actions no longer needed (see ``country_plan.write_plan``), without the overdue highlight."""
    write_plan(ws, cells, data, fw, words, needed=False)
