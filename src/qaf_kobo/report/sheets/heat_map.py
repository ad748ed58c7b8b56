"""The Heat map sheet: country × round rows × sections, each cell the level's short name on the level's colour; a
legend with the full names below the grid, the notes under it. The regional workbook shows each country's latest
round with the previous one above it; a country workbook every round of the country.

A cell is scoring's ``median_level`` of that country, round and section (``scores.countries``: the lower median of
the section levels of the round's assessments); the report never recomputes it, so the heat map, the Sections sheet
and ``countries.csv`` show the same levels.
"""

from __future__ import annotations

import math

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.sheets.sections import shown_rounds
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


LEGEND_SPAN = 5
"""Columns the full level names of the legend take, right of the short names."""
SIZE = 12
"""The font size of the grid: fit to one page wide, it prints at 8 pt or more."""


def legend(words: Wording) -> list[tuple[str, int | None]]:
    """(full name, level) of every level and of no level: the grid shows short names, the legend both."""
    return [(words.level(code), code) for code in [*words.fw.level_codes, None]]


def header_height(texts: list[str], width: float) -> float:
    """The height (points) of a header row whose texts are turned upright and wrap within columns of ``width``."""
    lines = max(1, int((width * 7 + 5) // 17))
    return min(409.0, max(60.0, max(math.ceil(len(t) / lines) for t in texts) * 6.5 + 10))


def short_level_width(words: Wording) -> int:
    """The width of a column of short level names, each read whole at SIZE points."""
    shorts = [words.level_short(code) for code in [*words.fw.level_codes, None]]
    return math.ceil((max(map(len, shorts)) + 1) * 1.15)


def write_legend(ws: Worksheet, cells: Cells, words: Wording, row: int, col: int, last_col: int) -> None:
    """The legend from ``row`` on, at ``col`` (short name) and the columns right of it (full name), then the notes
    on how a cell reads, across the grid's width up to ``last_col``."""
    cells.text(ws, row, col, words("report.legend.title"), "header", size=SIZE)
    ws.merge_range(row, col + 1, row, col + LEGEND_SPAN, None, cells.format("header", size=SIZE))
    for name, code in legend(words):
        row += 1
        cells.level(ws, row, col, code, short=True, size=SIZE)
        ws.merge_range(row, col + 1, row, col + LEGEND_SPAN, None, cells.format("text", size=SIZE))
        cells.text(ws, row, col + 1, name, size=SIZE)
    for note in (words("report.about.median_rule"), words("report.about.level_source")):
        row += 2
        ws.set_row(row, 36)
        ws.merge_range(row, 0, row, last_col, None, cells.format("wrap", size=SIZE))
        cells.text(ws, row, 0, note, "wrap", size=SIZE)


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The grid (frozen on the section columns; headings upright, short level names at SIZE points), the legend
    and the notes below it."""
    frame = heat_map(data, fw)
    heads = [words("report.col.country_code"), words("report.col.country"), words("report.col.round"),
             words("report.col.assessments_round")]
    first_section = len(heads)
    last_col = first_section + len(fw.sections) - 1
    level_width = short_level_width(words)
    labels = [words.round_label(r) for r in frame["round"]]
    ws.set_column(0, 0, 7)
    ws.set_column(1, 1, 20)
    ws.set_column(2, 2, min(16, max([10, *(len(label) + 2 for label in labels)])))
    ws.set_column(3, 3, 8)
    ws.set_column(first_section, last_col, level_width)
    section_heads = [words.section(s) for s in fw.sections]
    ws.set_row(0, header_height(heads + section_heads, level_width))
    for col, text in enumerate(heads + section_heads):
        cells.text(ws, 0, col, text, "header_up")
    records = frame.to_dict("records")
    previous_country = None
    for row, (values, label) in enumerate(zip(records, labels), 1):
        edge = previous_country is not None and values["country"] != previous_country
        previous_country = values["country"]
        details = [values["country"], words.country(values["country"], values["country_name"]), label]
        for col, text in enumerate(details):
            cells.text(ws, row, col, text, top_edge=edge, size=SIZE)
        cells.number(ws, row, first_section - 1, values["n_assessments"], top_edge=edge, size=SIZE)
        for col, section in enumerate(fw.sections, first_section):
            cells.level(ws, row, col, values[section.id], top_edge=edge, short=True, size=SIZE)
    write_legend(ws, cells, words, len(records) + 2, first_section, last_col)
    ws.freeze_panes(1, first_section)
    ws.autofilter(0, 0, len(records), last_col)
