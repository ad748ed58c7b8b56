"""The sheets of a report workbook, one module each, in the order of the workbook.

Each module has ``KEY`` (its name in the wording: ``report.sheet.<KEY>``) and ``write(ws, cells, scores, fw,
words)``; a table sheet's module also has a pure function from the scores to its table.
"""

from __future__ import annotations

from types import ModuleType

from qaf_kobo.report.sheets import about, action_plan, assessments, data_quality, heat_map, overview, sections

SHEETS: tuple[ModuleType, ...] = (overview, heat_map, sections, assessments, action_plan, data_quality, about)
"""Every sheet of a workbook, in order."""
SHEET_KEYS: tuple[str, ...] = tuple(sheet.KEY for sheet in SHEETS)
