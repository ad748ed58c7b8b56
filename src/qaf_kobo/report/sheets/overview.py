"""The Overview sheet (regional workbook): one row per country — its latest round, the assessments counted in it,
the sections meeting the minimum and the index in that round and in the previous one, and its plan's open and
overdue actions — with a bar chart of the sections meeting the minimum in the latest round."""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.profile_figures import country_figures
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.table_sheet import Column, Table, write_table
from qaf_kobo.report.wording import Wording

KEY = "overview"


def overview_table(data: ReportData, fw: Framework, words: Wording) -> Table:
    """One row per country: its latest round (from ``scores.rounds``) with the previous beside it, and its plan's
    open and overdue actions (the Country profile's figures)."""
    names = data.scores.assessments.drop_duplicates("country").set_index("country")["country_name"]
    rows = []
    for country in sorted(set(data.rounds["country"])):
        figures = country_figures(data, country, fw)
        previous = figures.previous
        rows.append({
            "country": country, "country_name": names.get(country, country), "latest_round": words.round_label(figures.latest_round),
            "n_assessments": figures.n_assessments, "meets_latest": figures.meeting(fw),
            "previous_round": words.round_label(figures.previous_round) or None, "meets_previous": figures.meeting(fw, "previous"),
            "index": figures.latest["index"], "previous_index": None if previous is None else previous["index"],
            "open": figures.progress["open"], "overdue": figures.progress["overdue"],
        })
    frame = pd.DataFrame(rows, columns=["country", "country_name", "latest_round", "n_assessments", "meets_latest",
                                        "previous_round", "meets_previous", "index", "previous_index", "open", "overdue"])
    total = str(len(fw.sections))
    columns = (
        Column(words("report.col.country_code"), "text", 10),
        Column(words("report.col.country"), "text", 20),
        Column(words("report.col.latest_round"), "wrap", 16),
        Column(words("report.col.assessments_latest"), "int", 14),
        Column(words("report.col.meets_minimum_latest_of", total=total), "int", 18),
        Column(words("report.col.previous_round"), "wrap", 16),
        Column(words("report.col.meets_minimum_previous_of", total=total), "int", 18),
        Column(words("report.col.index_latest"), "number", 12),
        Column(words("report.col.index_previous"), "number", 12),
        Column(words("report.col.open_actions"), "int", 12),
        Column(words("report.col.overdue_actions"), "int", 12),
    )
    return Table(columns, frame)


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The table and a bar chart of the sections meeting the minimum in each country's latest round."""
    table = overview_table(data, fw, words)
    write_table(ws, cells, table)
    rows, name = len(table), ws.get_name()
    if not rows:
        return
    meets = 4
    chart = cells.book.add_chart({"type": "bar"})
    chart.add_series({
        "name": [name, 0, meets],
        "categories": [name, 1, 1, rows, 1],
        "values": [name, 1, meets, rows, meets],
        "fill": {"color": f"#{fw.minimum_level.colour}"},
    })
    chart.set_title({"name": words("report.chart.meets_minimum_latest")})
    chart.set_x_axis({"min": 0, "max": len(fw.sections)})
    chart.set_y_axis({"reverse": True, "crossing": "max", "interval_unit": 1, "num_font": {"size": 9}})  # every country labelled, the first at the top
    chart.set_legend({"none": True})
    chart.set_size({"width": 680, "height": max(360, 32 * rows + 160)})  # room for every country's label
    ws.insert_chart(rows + 2, 1, chart)
