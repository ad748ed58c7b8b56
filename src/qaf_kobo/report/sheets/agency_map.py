"""The Agencies sheet (country workbooks): the agency × section heat map of the country's latest round — one row per
assessment counted in the round (agency, assessment date), one column per section grouped under its domain, each
cell the section's level (``scoring.round_tables.agency_levels``), as short names at the heat map's size with its
legend below."""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.sheets.heat_map import SIZE, header_height, short_level_width, write_legend
from qaf_kobo.report.table_sheet import wrapped_lines
from qaf_kobo.report.wording import Wording
from qaf_kobo.scoring.round_tables import agency_levels
from qaf_kobo.scoring.rounds import round_of

KEY = "agency_map"
FIRST_SECTION = 2


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """A title row naming the round, the domains over their sections, then one row per assessment."""
    latest = round_of(data.rounds, 0)
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 13)
    width = short_level_width(words)
    last_col = FIRST_SECTION + len(fw.sections) - 1
    ws.set_column(FIRST_SECTION, last_col, width)
    if latest.empty:
        return
    round_ = str(latest.loc[0, "round"])
    ws.merge_range(0, 0, 0, last_col, None, cells.format("header"))
    cells.text(ws, 0, 0, words("report.agency_map.title", round=words.round_label(round_)), "header")
    col, height = FIRST_SECTION, 15.0
    for domain in fw.domains:
        last, name = col + len(domain.section_ids) - 1, words.domain(domain)
        if last > col:  # wrapped over its sections' columns
            ws.merge_range(1, col, 1, last, None, cells.format("header"))
            cells.text(ws, 1, col, name, "header")
            height = max(height, 15.0 * wrapped_lines(name, width * len(domain.section_ids)))
        else:  # upright in its one column, as the section headings below
            cells.text(ws, 1, col, name, "header_up")
            height = max(height, header_height([name], width))
        col = last + 1
    ws.set_row(1, height)  # every domain's name whole
    order = [sid for domain in fw.domains for sid in domain.section_ids]
    section_heads = [words.section(fw.section(sid)) for sid in order]
    ws.set_row(2, header_height(section_heads, width))
    cells.text(ws, 2, 0, words("report.col.agency"), "header")
    cells.text(ws, 2, 1, words("report.col.assessment_date"), "header")
    for col, text in enumerate(section_heads, FIRST_SECTION):
        cells.text(ws, 2, col, text, "header_up")
    levels = agency_levels(data.scores.assessments, data.scores.sections, fw, str(latest.loc[0, "country"]), round_)
    records = levels.to_dict("records")
    for row, values in enumerate(records, 3):
        cells.text(ws, row, 0, values["agency"], size=SIZE)
        cells.date(ws, row, 1, values["assessment_date"], "date")
        for col, sid in enumerate(order, FIRST_SECTION):
            level = values[sid]
            cells.level(ws, row, col, None if pd.isna(level) else int(level), short=True, size=SIZE)
    write_legend(ws, cells, words, len(records) + 4, FIRST_SECTION, last_col)
    ws.freeze_panes(3, FIRST_SECTION)
    ws.repeat_rows(0, 2)
