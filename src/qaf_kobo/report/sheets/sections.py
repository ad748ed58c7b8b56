"""The Sections sheet: per section, how many section ratings stand at each level, with a stacked bar chart.

A section rating is scoring's section level (``scores.sections["level"]``: the assessed level, else the computed
one); the report never recomputes it.
"""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.table_sheet import Column, Table, write_table
from qaf_kobo.report.wording import Wording

KEY = "sections"


def level_counts(scores, by: str, fw: Framework) -> pd.DataFrame:
    """Section ratings counted per ``by`` value: ``n_<code>`` per level, ``n_none``, ``share_meets_minimum``
    (the share of rated sections at ``fw.minimum`` or above; NaN when none is rated)."""
    codes = fw.level_codes
    sections = scores.sections
    levels = pd.to_numeric(sections["level"], errors="coerce").fillna(0).astype(int)
    counts = pd.crosstab(sections[by].astype(object), levels)
    counts = counts.reindex(columns=[*codes, 0], fill_value=0)
    counts.columns = [f"n_{c}" for c in codes] + ["n_none"]
    rated = counts[[f"n_{c}" for c in codes]].sum(axis=1)
    meeting = counts[[f"n_{c}" for c in codes if c >= fw.minimum]].sum(axis=1)
    counts["share_meets_minimum"] = meeting / rated.where(rated > 0)
    return counts


def sections_table(scores, fw: Framework, words: Wording) -> Table:
    """One row per section in framework order: ratings per level, not assessed, share meeting the minimum."""
    codes = fw.level_codes
    counts = level_counts(scores, "section_id", fw).reindex([s.id for s in fw.sections])
    numbers = [*[f"n_{c}" for c in codes], "n_none"]
    counts[numbers] = counts[numbers].fillna(0).astype(int)
    frame = pd.DataFrame({"section": [words.section(s) for s in fw.sections]}).join(
        counts[[*numbers, "share_meets_minimum"]].reset_index(drop=True))
    columns = (
        Column(words("report.col.section"), "wrap", 42),
        *[Column(words.level(c), "int", 14) for c in codes],
        Column(words("report.col.not_assessed"), "int", 13),
        Column(words("report.col.share_meets_minimum"), "percent", 14),
    )
    return Table(columns, frame)


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The table and a stacked bar chart of the level distribution of every section, one colour per level."""
    table = sections_table(data.scores, fw, words)
    write_table(ws, cells, table)
    rows, name = len(table), ws.get_name()
    chart = cells.book.add_chart({"type": "bar", "subtype": "stacked"})
    for col, level in enumerate(fw.levels, 1):
        colour = f"#{level.colour}"
        chart.add_series({
            "name": [name, 0, col],
            "categories": [name, 1, 0, rows, 0],
            "values": [name, 1, col, rows, col],
            "fill": {"color": colour},
            "border": {"color": colour},
            "gap": 60,
        })
    chart.set_title({"name": words("report.chart.sections")})
    chart.set_y_axis({"reverse": True, "crossing": "max", "interval_unit": 1})  # first section at the top; values axis below
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 830, "height": 460})
    ws.insert_chart(1, len(table.columns) + 1, chart)
