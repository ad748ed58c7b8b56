"""The Heat map sheet: country × round rows × sections, each cell the level's name on the level's colour; a legend.
The regional workbook shows each country's latest round with the previous one above it; a country workbook every
round of the country.

A cell is scoring's ``median_level`` of that country, round and section (``scores.countries``: the lower median of
the section levels of the round's assessments); the report never recomputes it, so the heat map, the Sections sheet
and ``countries.csv`` show the same levels.
"""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.sheets.sections import shown_rounds
from qaf_kobo.report.table_sheet import setup_print
from qaf_kobo.report.wording import Wording

KEY = "heat_map"


def heat_map(data: ReportData, fw: Framework) -> pd.DataFrame:
    """Country, country_name, round, n_assessments (counted in the round), then the round's level of every section
    by id (nullable Int; missing where no assessment has a level): the rounds ``shown_rounds`` picks, by country then
    time (latest last)."""
    countries = data.scores.countries
    section_ids = [s.id for s in fw.sections]
    chosen = shown_rounds(data).merge(data.rounds[["country", "round", "n_assessments"]], on=["country", "round"])
    levels = countries.set_index(["country", "round", "section_id"])["median_level"].unstack("section_id")
    rows = chosen.join(levels.reindex(columns=section_ids), on=["country", "round"])
    rows = rows.sort_values(["country", "position"], kind="stable").reset_index(drop=True)
    names = data.scores.assessments.drop_duplicates("country").set_index("country")["country_name"]
    rows["country_name"] = rows["country"].map(names)
    for section_id in section_ids:
        rows[section_id] = pd.array(rows[section_id], dtype="Int64")
    return rows.loc[:, ["country", "country_name", "round", "n_assessments", *section_ids]]


def _legend(words: Wording) -> list[tuple[str, str, int | None]]:
    """(text, kind, level) from the first row down: title, each level on its colour, not assessed, then notes."""
    levels = [(words.level(code), "level", code) for code in words.fw.level_codes]
    return [
        (words("report.legend.title"), "header", None), *levels, (words.level(None), "level", None), ("", "", None),
        (words("report.about.median_rule"), "wrap", None), (words("report.about.level_source"), "wrap", None),
    ]


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The grid (frozen on the section columns), the legend to its right, print setup."""
    frame = heat_map(data, fw)
    heads = [words("report.col.country_code"), words("report.col.country"), words("report.col.round"),
             words("report.col.assessments_round")]
    first_section = len(heads)
    last_col = first_section + len(fw.sections) - 1
    legend_col = last_col + 2
    level_width = max(len(words.level(code)) for code in [*fw.level_codes, None]) + 2  # a level name is read whole
    ws.set_column(0, first_section - 1, 12)
    ws.set_column(1, 1, 20)
    ws.set_column(2, 2, max([12, *(len(str(r)) + 2 for r in frame["round"])]))
    ws.set_column(first_section, last_col, level_width)
    ws.set_column(legend_col, legend_col, 40)
    ws.set_row(0, 75)
    for col, text in enumerate(heads + [words.section(s) for s in fw.sections]):
        cells.text(ws, 0, col, text, "header")
    records = frame.to_dict("records")
    legend = _legend(words)
    previous_country = None
    for row in range(max(len(records) + 1, len(legend))):
        if 1 <= row <= len(records):
            values = records[row - 1]
            edge = previous_country is not None and values["country"] != previous_country
            previous_country = values["country"]
            details = [values["country"], values["country_name"], values["round"]]
            for col, text in enumerate(details):
                cells.text(ws, row, col, text, top_edge=edge)
            cells.number(ws, row, first_section - 1, values["n_assessments"], top_edge=edge)
            for col, section in enumerate(fw.sections, first_section):
                cells.level(ws, row, col, values[section.id], top_edge=edge)
        if row < len(legend) and legend[row][0]:
            text, kind, code = legend[row]
            if kind == "level":
                cells.level(ws, row, legend_col, code)
            else:
                cells.text(ws, row, legend_col, text, kind)
    ws.freeze_panes(1, first_section)
    ws.autofilter(0, 0, len(records), last_col)
    setup_print(ws)
