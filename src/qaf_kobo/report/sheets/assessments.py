"""The Assessments sheet: one row per submission — its details, then per section, on its level's colour: in a country
workbook every detail and the assessed and the computed level; in the regional workbook the source, who, where,
when, which round and the index, and the level the summaries use (assessed, else computed), which keeps the regional sheet lean
at 100,000 submissions. Levels are written as codes shown by name (``level_code``: they sort in level order)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.form.contract import PURPOSES, SCOPES
from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.table_sheet import Column, Table, fitted_widths, print_in_parts, write_table
from qaf_kobo.report.wording import Wording, round_labels, translate
from qaf_kobo.scoring import Scores
from qaf_kobo.scoring.round_tables import positions

KEY = "assessments"
_VALIDATION_PREFIX = "validation_status_"
_DETAILS: dict[str, tuple[str, str, float]] = {
    "root_uuid": ("report.col.submission_id", "text", 18),
    "source": ("report.col.source", "text", 16),
    "country": ("report.col.country_code", "text", 10),
    "country_name": ("report.col.country", "text", 18),
    "agency": ("report.col.agency", "wrap", 22),
    "area": ("report.col.area", "wrap", 18),
    "purpose": ("report.col.purpose", "wrap", 24),
    "assessment_date": ("report.col.assessment_date", "date", 13),
    "round": ("report.col.round", "wrap", 9),
    "scope": ("report.col.scope", "text", 16),
    "form_version": ("report.col.form_version", "text", 14),
    "older_version": ("report.col.older_version", "bool", 10),
    "validation_status": ("report.col.validation_status", "text", 13),
    "submission_time": ("report.col.submission_time", "datetime", 17),
    "index": ("report.col.index", "number", 10),
}
"""Per detail column: heading id, kind, width."""
COUNTRY_DETAILS = tuple(_DETAILS)
REGIONAL_DETAILS = ("root_uuid", "source", "country", "agency", "area", "assessment_date", "round", "scope", "index")
"""The details of a country workbook (all) and of the regional one (which source, who, where, when, which round,
the index: the country workbooks have the rest — country name, purpose, form version, validation, submission
time)."""
COUNTRY_LEVELS = {"assessed_level": "report.col.section_assessed", "computed_level": "report.col.section_computed"}
REGIONAL_LEVELS = {"level": "report.col.section_level"}
"""The section level columns of a country workbook and of the regional one: field of scores.sections → heading."""


def _validation(values: pd.Series) -> pd.Series:
    return values.astype(object).map(lambda v: str(v).removeprefix(_VALIDATION_PREFIX) if isinstance(v, str) else v)


def _section_matrix(scores: Scores, uuids: pd.Index, fw: Framework, field: str) -> np.ndarray:
    """The ``field`` of scores.sections as a submissions (``uuids``) × sections float matrix (NaN: no level)."""
    sections = scores.sections
    rows = positions(sections["root_uuid"], uuids)
    cols = positions(sections["section_id"], pd.Index([s.id for s in fw.sections], dtype=object))
    ok = (rows >= 0) & (cols >= 0)
    values = pd.to_numeric(sections[field], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    matrix = np.full((len(uuids), len(fw.sections)), np.nan)
    matrix[rows[ok], cols[ok]] = values[ok]
    return matrix


def assessments_table(scores: Scores, fw: Framework, words: Wording, levels: dict[str, str] = COUNTRY_LEVELS,
                      details: tuple[str, ...] = COUNTRY_DETAILS) -> Table:
    """One row per submission, in scoring's order: the ``details`` columns, then per section the ``levels``
    columns (field → heading id)."""
    a = scores.assessments.reset_index(drop=True)
    values = {
        "root_uuid": a["root_uuid"],
        "source": a["source"] if "source" in a.columns else "",
        "country": a["country"],
        "country_name": a["country_name"],
        "agency": a["agency"],
        "area": a["area"],
        "purpose": translate(a["purpose"], words, "report.purpose.", PURPOSES),  # else as typed
        "assessment_date": a["assessment_date"],
        "round": round_labels(a["round"], words),
        "scope": translate(a["assessment_scope"], words, "report.scope.", SCOPES),
        "form_version": a["form_version"],
        "older_version": a["older_version"].astype(object).where(a["older_version"].notna(), False).astype(bool),
        "validation_status": translate(_validation(a["validation_status"]), words, "report.validation."),
        "submission_time": a["submission_time"],
        "index": a["index"],
    }
    frame = pd.DataFrame({key: values[key] for key in details})
    columns = [Column(words(_DETAILS[key][0]), _DETAILS[key][1], _DETAILS[key][2]) for key in details]
    uuids = pd.Index(pd.unique(a["root_uuid"].astype(object)), dtype=object)
    rows = uuids.get_indexer(pd.Index(a["root_uuid"].astype(object)))
    matrices = {field: _section_matrix(scores, uuids, fw, field)[rows] for field in levels}
    per_section = {}  # every section's columns joined at once (one by one fragments the frame)
    for i, section in enumerate(fw.sections):
        for field, heading in levels.items():
            per_section[f"{field}:{section.id}"] = matrices[field][:, i]
            columns.append(Column(words(heading, section=section.id), "level_code", 14))
    frame = pd.concat([frame, pd.DataFrame(per_section, index=frame.index)], axis=1)
    return Table(tuple(columns), frame)


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The table (the regional workbook's lean: its details, and one level per section); printed in parts, the
    submission id on each, when it does not fit one legible page wide."""
    if data.country is None:
        table = assessments_table(data.scores, fw, words, REGIONAL_LEVELS, REGIONAL_DETAILS)
    else:
        table = assessments_table(data.scores, fw, words, COUNTRY_LEVELS, COUNTRY_DETAILS)
    write_table(ws, cells, table)
    print_in_parts(ws, [c.width for c in fitted_widths(table, words).columns], repeat=1)
