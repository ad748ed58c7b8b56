"""The Data quality sheet: one row per finding of scoring's checks (``scores.quality``), with the assessment's
country, agency and date. The details scoring writes in English are shown in the report language
(``report.detail_wording``)."""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.detail_wording import worded_details
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.table_sheet import Column, Table, write_table
from qaf_kobo.report.wording import Wording, translate
from qaf_kobo.scoring import Scores

KEY = "data_quality"


def data_quality_table(scores: Scores, words: Wording) -> Table:
    """One row per finding, in scoring's order."""
    quality = scores.quality.astype({"root_uuid": object}).reset_index(drop=True)
    details = scores.assessments[["root_uuid", "country_name", "agency", "assessment_date"]]
    details = details.astype({"root_uuid": object}).drop_duplicates("root_uuid")
    merged = quality.merge(details, on="root_uuid", how="left")
    frame = pd.DataFrame({
        "root_uuid": merged["root_uuid"],
        "country": merged["country_name"],
        "agency": merged["agency"],
        "assessment_date": merged["assessment_date"],
        "check": translate(merged["check"], words, "report.check."),
        "detail": worded_details(merged["check"], merged["detail"], words),
    })
    columns = (
        Column(words("report.col.submission_id"), "text", 18),
        Column(words("report.col.country"), "text", 16),
        Column(words("report.col.agency"), "wrap", 20),
        Column(words("report.col.assessment_date"), "date", 13),
        Column(words("report.col.check"), "wrap", 28),
        Column(words("report.col.detail"), "wrap", 70),
    )
    return Table(columns, frame)


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The table."""
    write_table(ws, cells, data_quality_table(data.scores, words))
