"""The Heat map sheet: countries × sections, each cell the level's name on the level's colour; one block of rows
per round; a legend.

A cell is scoring's ``median_level`` of that country, round and section (``scores.countries``: the lower median of
the section levels of its assessments); the report never recomputes it, so the heat map and ``countries.csv``
show the same levels.
"""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.table_sheet import setup_print
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


def _legend(words: Wording) -> list[tuple[str, str, int | None]]:
    """(text, kind, level) from the first row down: title, each level on its colour, not assessed, then notes."""
    levels = [(words.level(code), "level", code) for code in words.fw.level_codes]
    return [
        (words("report.legend.title"), "header", None), *levels, (words.level(None), "level", None), ("", "", None),
        (words("report.about.median_rule"), "wrap", None), (words("report.about.level_source"), "wrap", None),
    ]


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The grid (frozen on the section columns), the legend to its right, print setup."""
    frame = heat_map(data.scores, fw)
    rounds = has_rounds(data.scores.assessments)
    heads = ([words("report.col.round")] if rounds else []) + [
        words("report.col.country_code"), words("report.col.country"), words("report.col.assessments"),
    ]
    first_section = len(heads)
    last_col = first_section + len(fw.sections) - 1
    legend_col = last_col + 2
    level_width = max(len(words.level(code)) for code in [*fw.level_codes, None]) + 2  # a level name is read whole
    ws.set_column(0, first_section - 1, 12)
    ws.set_column(first_section - 2, first_section - 2, 20)
    if rounds:
        ws.set_column(0, 0, max(12, *(len(str(r)) + 2 for r in frame["round"])))
    ws.set_column(first_section, last_col, level_width)
    ws.set_column(legend_col, legend_col, 40)
    ws.set_row(0, 75)
    for col, text in enumerate(heads + [words.section(s) for s in fw.sections]):
        cells.text(ws, 0, col, text, "header")
    records = frame.to_dict("records")
    legend = _legend(words)
    previous_round = None
    for row in range(max(len(records) + 1, len(legend))):
        if 1 <= row <= len(records):
            values = records[row - 1]
            edge = rounds and previous_round is not None and values["round"] != previous_round
            previous_round = values["round"]
            details = ([values["round"]] if rounds else []) + [values["country"], values["country_name"]]
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
