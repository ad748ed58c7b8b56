"""The Heat map sheet: countries × sections, each cell the level's name on the level's colour; one block of rows
per round; short level names in the cells, a legend with the full names below the grid, the notes under it.

A cell is scoring's ``median_level`` of that country, round and section (``scores.countries``: the lower median of
the section levels of its assessments); the report never recomputes it, so the heat map and ``countries.csv``
show the same levels.
"""

from __future__ import annotations

import math

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.wording import Wording

KEY = "heat_map"


def _labels(values: pd.Series) -> pd.Series:
    """Values as stripped text, missing as ""."""
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def has_rounds(assessments: pd.DataFrame) -> bool:
    """True when any assessment names a round."""
    return "round" in assessments and bool(_labels(assessments["round"]).ne("").any())


def heat_map(scores, fw: Framework) -> pd.DataFrame:
    """Round, country, country_name, n_assessments, then the median level of every section by id (nullable Int;
    missing where no assessment has a level), sorted by round then country; a missing country or round is ""."""
    countries = scores.countries
    cells = pd.DataFrame({
        "round": _labels(countries["round"]) if "round" in countries else "",
        "country": _labels(countries["country"]),
        "section_id": countries["section_id"].astype(str),
        "n_assessments": countries["n_assessments"].astype(int),
        "level": countries["median_level"].astype("Int64"),
    })
    section_ids = [s.id for s in fw.sections]
    rows = cells.drop_duplicates(["round", "country"]).set_index(["round", "country"])[["n_assessments"]]
    levels = cells.set_index(["round", "country", "section_id"])["level"].unstack("section_id")
    rows = rows.join(levels.reindex(columns=section_ids), how="left").sort_index().reset_index()
    names = scores.assessments.assign(country=_labels(scores.assessments["country"]))
    rows["country_name"] = rows["country"].map(names.drop_duplicates("country").set_index("country")["country_name"])
    for section_id in section_ids:
        rows[section_id] = rows[section_id].astype("Int64")
    return rows.loc[:, ["round", "country", "country_name", "n_assessments", *section_ids]]


LEGEND_SPAN = 5
"""Columns the full level names of the legend take, right of the short names."""
SIZE = 12
"""The font size of the grid: fit to one page wide, it prints at 8 pt or more."""


def _legend(words: Wording) -> list[tuple[str, int | None]]:
    """(full name, level) of every level and of no level: the grid shows short names, the legend both."""
    return [(words.level(code), code) for code in [*words.fw.level_codes, None]]


def _header_height(texts: list[str], width: float) -> float:
    """The height (points) of a header row whose texts are turned upright and wrap within columns of ``width``."""
    lines = max(1, int((width * 7 + 5) // 17))
    return min(409.0, max(60.0, max(math.ceil(len(t) / lines) for t in texts) * 6.5 + 10))


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The grid (frozen on the section columns; headings upright, short level names at SIZE points), the legend
    and the notes below it."""
    frame = heat_map(data.scores, fw)
    rounds = has_rounds(data.scores.assessments)
    heads = ([words("report.col.round")] if rounds else []) + [
        words("report.col.country_code"), words("report.col.country"), words("report.col.assessments"),
    ]
    first_section = len(heads)
    last_col = first_section + len(fw.sections) - 1
    shorts = [words.level_short(code) for code in [*fw.level_codes, None]]
    level_width = math.ceil((max(map(len, shorts)) + 1) * 1.15)  # a short name whole at SIZE points
    labels = [words.round_label(r) for r in frame["round"]]
    if rounds:
        ws.set_column(0, 0, min(16, max(10, *(len(label) + 2 for label in labels))))
    ws.set_column(first_section - 3, first_section - 3, 7)
    ws.set_column(first_section - 2, first_section - 2, 20)
    ws.set_column(first_section - 1, first_section - 1, 6)
    ws.set_column(first_section, last_col, level_width)
    section_heads = [words.section(s) for s in fw.sections]
    ws.set_row(0, _header_height(heads + section_heads, level_width))
    for col, text in enumerate(heads + section_heads):
        cells.text(ws, 0, col, text, "header_up")
    records = frame.to_dict("records")
    previous_round = None
    for row, (values, label) in enumerate(zip(records, labels), 1):
        edge = rounds and previous_round is not None and values["round"] != previous_round
        previous_round = values["round"]
        details = ([label] if rounds else []) + [values["country"], words.country(values["country"], values["country_name"])]
        for col, text in enumerate(details):
            cells.text(ws, row, col, text, top_edge=edge, size=SIZE)
        cells.number(ws, row, first_section - 1, values["n_assessments"], top_edge=edge, size=SIZE)
        for col, section in enumerate(fw.sections, first_section):
            cells.level(ws, row, col, values[section.id], top_edge=edge, short=True, size=SIZE)
    row = len(records) + 2
    cells.text(ws, row, first_section, words("report.legend.title"), "header", size=SIZE)
    ws.merge_range(row, first_section + 1, row, first_section + LEGEND_SPAN, None, cells.format("header", size=SIZE))
    for name, code in _legend(words):
        row += 1
        cells.level(ws, row, first_section, code, short=True, size=SIZE)
        ws.merge_range(row, first_section + 1, row, first_section + LEGEND_SPAN, None, cells.format("text", size=SIZE))
        cells.text(ws, row, first_section + 1, name, size=SIZE)
    for note in (words("report.about.median_rule"), words("report.about.level_source")):
        row += 2
        ws.set_row(row, 36)
        ws.merge_range(row, 0, row, last_col, None, cells.format("wrap", size=SIZE))
        cells.text(ws, row, 0, note, "wrap", size=SIZE)
    ws.freeze_panes(1, first_section)
    ws.autofilter(0, 0, len(records), last_col)
