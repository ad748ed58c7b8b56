"""The Sections sheet: per country × round × section (``scores.countries``), how many of the round's assessments
rate the section at each level, the section's level in the round and in the previous one, with a stacked bar chart.
The regional workbook shows each country's latest round; a country workbook every round of the country.
"""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.table_sheet import Column, Table, fitted_widths, print_with_break_before, write_table
from qaf_kobo.report.wording import Wording, round_labels

KEY = "sections"


def shown_rounds(data: ReportData, latest_only: bool = False) -> pd.DataFrame:
    """The rounds a sheet shows: in a country workbook every round of the country; in the regional one each
    country's latest round (and the previous one, unless ``latest_only``)."""
    rounds = data.rounds
    if data.country is None:
        rounds = rounds[rounds["from_latest"] <= (0 if latest_only else 1)]
    return rounds.loc[:, ["country", "round", "position"]]


def sections_table(data: ReportData, fw: Framework, words: Wording) -> Table:
    """One row per country × round × section (``scores.countries``): the round's assessments per level, the share
    meeting the minimum, the section's level in the round and in the previous round."""
    codes = fw.level_codes
    rows = shown_rounds(data, latest_only=True).merge(data.scores.countries, on=["country", "round"])
    rows = rows.sort_values(["country", "position"], kind="stable")
    titles = {s.id: words.section(s) for s in fw.sections}
    frame = pd.DataFrame({
        "country": rows["country"], "round": round_labels(rows["round"], words), "section": rows["section_id"].map(titles),
        **{f"n_{c}": rows[f"n_{fw.level(c).name}"] for c in codes},
        "n_none": rows["n_assessments"] - sum(rows[f"n_{fw.level(c).name}"] for c in codes),
        "share_meets_minimum": rows["share_meets_minimum"],
        "level": rows["median_level"], "previous_level": rows["previous_level"],
    }).reset_index(drop=True)
    columns = (
        Column(words("report.col.country_code"), "text", 10),
        Column(words("report.col.round"), "wrap", 16),
        Column(words("report.col.section"), "wrap", 42),
        *[Column(words("report.col.assessments_at", level=words.level(c)), "int", 14) for c in codes],
        Column(words("report.col.assessments_not_assessed"), "int", 13),
        Column(words("report.col.share_meets_minimum"), "percent", 14),
        Column(words("report.col.round_level"), "level", 18),
        Column(words("report.col.previous_round_level"), "level", 18),
    )
    return Table(columns, frame)


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The table and, below it on a page of its own (so that the page prints one table wide), a stacked bar
    chart of the level distribution of every section, one colour per level."""
    table = sections_table(data, fw, words)
    write_table(ws, cells, table)
    rows, name = len(table), ws.get_name()
    chart = cells.book.add_chart({"type": "bar", "subtype": "stacked"})
    for col, level in enumerate(fw.levels, 1):
        col += 2  # after the country and round columns
        colour = f"#{level.colour}"
        chart.add_series({
            "name": [name, 0, col],
            "categories": [name, 1, 2, rows, 2],
            "values": [name, 1, col, rows, col],
            "fill": {"color": colour},
            "border": {"color": colour},
            "gap": 60,
        })
    chart.set_title({"name": words("report.chart.sections")})
    chart.set_y_axis({"reverse": True, "crossing": "max", "interval_unit": 1})  # first section at the top; values axis below
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 830, "height": 460})
    ws.insert_chart(rows + 2, 0, chart)
    print_with_break_before(ws, [c.width for c in fitted_widths(table, words).columns], rows + 1)
