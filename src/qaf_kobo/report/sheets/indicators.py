"""The Indicators sheet: the framework's evidence indicators per country and round (``scores.country_indicators``):
the median value, the target, whether it is met, and how many assessments gave the figure. The status is shaded:
met green, not met red, unknown grey."""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.table_sheet import Column, Table, write_table
from qaf_kobo.report.wording import Wording, round_labels
from qaf_kobo.scoring import Scores

KEY = "indicators"
STATUS_COLUMN = 8
"""The 0-based column of "Target met", coloured by a conditional format."""
STATUS_LOOKS = {
    "met": {"bg_color": "#C6EFCE", "font_color": "#006100"},
    "not_met": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
    "unknown": {"bg_color": "#E7E6E6", "font_color": "#404040"},
}


def _number(value: float) -> str:
    return f"{value:g}"


def indicators_table(scores: Scores, fw: Framework, words: Wording) -> Table:
    """One row per country × round × indicator, in the framework's indicator order."""
    rows = scores.country_indicators.reset_index(drop=True)
    names = scores.assessments.drop_duplicates("country").set_index("country")["country_name"]
    frame = pd.DataFrame({
        "country": rows["country"],
        "country_name": rows["country"].map(lambda c: words.country(c, names.get(c))),
        "round": round_labels(rows["round"], words),
        "indicator": rows["indicator_id"].map(lambda i: words(f"indicator.{i}.label")),
        "source": rows["indicator_id"].map(lambda i: words(f"indicator.{i}.source")),
        "target": [words(f"report.indicator.{d}", target=_number(t)) for d, t in zip(rows["direction"], rows["target"])],
        "value": rows["value"],
        "with_figure": rows["n_with_value"],
        "status": rows["status"].map(lambda s: words(f"report.indicator.{s}")),
    })
    columns = (
        Column(words("report.col.country_code"), "text", 10),
        Column(words("report.col.country"), "text", 18),
        Column(words("report.col.period"), "wrap", 14),
        Column(words("report.col.indicator"), "wrap", 40),
        Column(words("report.col.indicator_source"), "wrap", 36),
        Column(words("report.col.target"), "wrap", 14),
        Column(words("report.col.value"), "number", 12),
        Column(words("report.col.with_figure"), "int", 14),
        Column(words("report.col.indicator_met"), "text", 13),
    )
    return Table(columns, frame)


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The table, with the status shaded (met green, not met red, unknown grey)."""
    table = indicators_table(data.scores, fw, words)
    write_table(ws, cells, table)
    if len(table):
        last = len(table)
        for status, look in STATUS_LOOKS.items():
            ws.conditional_format(1, STATUS_COLUMN, last, STATUS_COLUMN, {
                "type": "cell", "criteria": "==", "value": f'"{words(f"report.indicator.{status}")}"',
                "format": cells.book.add_format(look)})
