"""The Assessments sheet: one row per submission — its details, then the assessed and the computed level of every
section (each on its level's colour)."""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.form.contract import SCOPES
from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.table_sheet import Column, Table, write_table
from qaf_kobo.report.wording import Wording, translate

KEY = "assessments"
_VALIDATION_PREFIX = "validation_status_"
_LEVELS = {"assessed_level": "report.col.section_assessed", "computed_level": "report.col.section_computed"}


def _validation(values: pd.Series) -> pd.Series:
    return values.astype(object).map(lambda v: str(v).removeprefix(_VALIDATION_PREFIX) if isinstance(v, str) else v)


def assessments_table(scores, fw: Framework, words: Wording) -> Table:
    """One row per submission, in scoring's order."""
    a = scores.assessments.reset_index(drop=True)
    frame = pd.DataFrame({
        "root_uuid": a["root_uuid"],
        "source": a["source"] if "source" in a.columns else "",
        "country": a["country"],
        "country_name": a["country_name"],
        "agency": a["agency"],
        "area": a["area"],
        "purpose": a["purpose"],
        "assessment_date": a["assessment_date"],
        "round": a["round"],
        "scope": translate(a["assessment_scope"], words, "report.scope.", SCOPES),
        "form_version": a["form_version"],
        "older_version": a["older_version"].astype(object).where(a["older_version"].notna(), False).astype(bool),
        "validation_status": translate(_validation(a["validation_status"]), words, "report.validation."),
        "submission_time": a["submission_time"],
        "index": a["index"],
    })
    columns = [
        Column(words("report.col.submission_id"), "text", 18),
        Column(words("report.col.source"), "text", 16),
        Column(words("report.col.country_code"), "text", 10),
        Column(words("report.col.country"), "text", 18),
        Column(words("report.col.agency"), "wrap", 22),
        Column(words("report.col.area"), "wrap", 18),
        Column(words("report.col.purpose"), "wrap", 24),
        Column(words("report.col.assessment_date"), "date", 13),
        Column(words("report.col.round"), "wrap", 9),
        Column(words("report.col.scope"), "text", 16),
        Column(words("report.col.form_version"), "text", 14),
        Column(words("report.col.older_version"), "bool", 10),
        Column(words("report.col.validation_status"), "text", 13),
        Column(words("report.col.submission_time"), "datetime", 17),
        Column(words("report.col.index"), "number", 10),
    ]
    sections = scores.sections.astype({"root_uuid": object, "section_id": object})
    wide = {field: sections.pivot_table(index="root_uuid", columns="section_id", values=field, aggfunc="first")
            for field in _LEVELS}
    ids = frame["root_uuid"].astype(object)
    for section in fw.sections:
        for field, heading in _LEVELS.items():
            levels = wide[field].get(section.id)
            frame[f"{field}:{section.id}"] = pd.NA if levels is None else ids.map(pd.to_numeric(levels, errors="coerce"))
            columns.append(Column(words(heading, section=section.id), "level", 14))
    return Table(tuple(columns), frame)


def write(ws: Worksheet, cells: Cells, scores, fw: Framework, words: Wording) -> None:
    """The table."""
    write_table(ws, cells, assessments_table(scores, fw, words))
