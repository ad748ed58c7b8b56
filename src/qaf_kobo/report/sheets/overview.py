"""The Overview sheet (regional workbook): one row per country — assessments, agencies, latest date, section ratings
per level, share meeting the minimum, index — then its profile in brief: latest and previous round, sections
meeting the minimum in each, sections that improved or fell, the action plan's progress and the profile's
sentences; with a bar chart of the share meeting the minimum."""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.plans.stages import STAGES
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.profile_figures import PROGRESS, country_figures, summary_sentences
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.sheets.sections import level_counts
from qaf_kobo.report.table_sheet import Column, Table, fitted_heights, write_table
from qaf_kobo.report.wording import Wording

KEY = "overview"
_PROFILE = ("latest_round", "previous_round", "meets_latest", "meets_previous", "improved", "fell", "actions",
            *PROGRESS[:-1], "summary")


def _profiles(data: ReportData, countries: pd.Index, fw: Framework, words: Wording) -> pd.DataFrame:
    """The profile in brief of each country (_PROFILE columns; empty for a country without a code)."""
    rows = {}
    for country in countries:
        if pd.isna(country) or str(country).strip() not in set(data.rounds["country"]):
            continue
        figures = country_figures(data, str(country).strip(), fw)
        improved, fell, _ = figures.moved()
        previous = figures.previous_round is not None
        rows[country] = {
            "latest_round": words.round_label(figures.latest_round),
            "previous_round": words.round_label(figures.previous_round) or None,
            "meets_latest": figures.meeting(fw), "meets_previous": figures.meeting(fw, "previous"),
            "improved": len(improved) if previous else None, "fell": len(fell) if previous else None,
            "actions": figures.n_actions, **{key: figures.progress[key] for key in PROGRESS[:-1]},
            "summary": " ".join(summary_sentences(figures, fw, words, data.report_date)),
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(_PROFILE)).reindex(countries)


def overview_table(data: ReportData, fw: Framework, words: Wording) -> Table:
    """One row per country; section ratings are scoring's section levels (``scores.sections["level"]``)."""
    scores = data.scores
    codes = fw.level_codes
    numbers = [f"n_{c}" for c in codes]
    assessments = scores.assessments.astype({"country": object})
    by_country = assessments.groupby("country", dropna=False)
    frame = pd.DataFrame({
        "country_name": by_country["country_name"].first(),
        "n_assessments": by_country["root_uuid"].nunique(),
        "n_agencies": by_country["agency"].nunique(),
        "latest_date": by_country["assessment_date"].max(),
        "index": by_country["index"].mean(),
    })
    counts = level_counts(scores, "country", fw)
    frame = frame.join(counts[[*numbers, "share_meets_minimum"]], how="left")
    frame[numbers] = frame[numbers].fillna(0).astype(int)
    frame = frame.join(_profiles(data, frame.index, fw, words))
    frame = frame.rename_axis("country").reset_index()
    frame = frame[["country", "country_name", "n_assessments", "n_agencies", "latest_date", *numbers,
                   "share_meets_minimum", "index", *_PROFILE]]
    columns = (
        Column(words("report.col.country_code"), "text", 10),
        Column(words("report.col.country"), "text", 22),
        Column(words("report.col.assessments"), "int", 13),
        Column(words("report.col.agencies"), "int", 11),
        Column(words("report.col.latest_date"), "date", 14),
        *[Column(words("report.col.sections_at", level=words.level(c)), "int", 14) for c in codes],
        Column(words("report.col.share_meets_minimum"), "percent", 14),
        Column(words("report.col.index"), "number", 11),
        Column(words("report.col.latest_round"), "wrap", 14),
        Column(words("report.col.previous_round"), "wrap", 14),
        Column(words("report.col.meets_minimum_latest"), "int", 17),
        Column(words("report.col.meets_minimum_previous"), "int", 17),
        Column(words("report.col.sections_improved"), "int", 12),
        Column(words("report.col.sections_fell"), "int", 12),
        Column(words("report.col.actions"), "int", 10),
        *[Column(words(f"report.stage.{stage}"), "int", 11) for stage in STAGES],
        Column(words("report.col.overdue"), "int", 10),
        Column(words("report.col.summary"), "wrap", 80),
    )
    return Table(columns, frame)


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The table and a bar chart of the share of section ratings meeting the minimum, by country (below the table:
    the rows are tall with the summaries)."""
    table = overview_table(data, fw, words)
    write_table(ws, cells, table, fitted_heights(table))
    rows, name = len(table), ws.get_name()
    if not rows:
        return
    share = next(i for i, c in enumerate(table.columns) if c.kind == "percent")
    chart = cells.book.add_chart({"type": "bar"})
    chart.add_series({
        "name": [name, 0, share],
        "categories": [name, 1, 1, rows, 1],
        "values": [name, 1, share, rows, share],
        "fill": {"color": f"#{fw.minimum_level.colour}"},
    })
    chart.set_title({"name": words("report.chart.share_meets_minimum")})
    chart.set_x_axis({"min": 0, "max": 1, "num_format": "0%"})
    chart.set_y_axis({"reverse": True, "crossing": "max", "interval_unit": 1, "num_font": {"size": 9}})  # first country at the top, as in the table; values axis below
    chart.set_legend({"none": True})
    chart.set_size({"width": 680, "height": max(360, 32 * rows + 160)})  # room for every country's label
    ws.insert_chart(rows + 2, 1, chart)
