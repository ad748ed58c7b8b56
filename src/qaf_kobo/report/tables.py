"""The report's table sheets as Tables (headings in the report language): Overview, Sections, Assessments,
Action plan and Data quality. Pure: Scores + Framework + Wording -> Table."""

from __future__ import annotations

import pandas as pd

from qaf_kobo.form.contract import SCOPES
from qaf_kobo.framework import Framework
from qaf_kobo.report.action_plan import action_plan_rows
from qaf_kobo.report.summaries import overview, section_distribution
from qaf_kobo.report.table import Column, Table
from qaf_kobo.report.wording import Wording

_VALIDATION_PREFIX = "validation_status_"


def _level_labels(words: Wording) -> dict[int, str]:
    return {0: words.level(None), **{code: words.level(code) for code in words.fw.level_codes}}


def _translate(values: pd.Series, words: Wording, prefix: str, known: tuple[str, ...] | None = None) -> pd.Series:
    """Codes -> their report wording (``prefix + code``); unknown codes are shown as they are."""
    def one(code: object) -> object:
        if code is None or pd.isna(code) or str(code) == "":
            return None
        text = str(code)
        if known is not None and text not in known:
            return text
        return words.optional(prefix + text, text)

    return values.astype(object).map(one)


def overview_table(scores, words: Wording) -> Table:
    """One row per country."""
    frame = overview(scores, words.fw)
    columns = (
        Column(words("report.col.country_code"), "text", 10),
        Column(words("report.col.country"), "text", 22),
        Column(words("report.col.assessments"), "int", 13),
        Column(words("report.col.agencies"), "int", 11),
        Column(words("report.col.latest_date"), "date", 14),
        *[Column(words("report.col.sections_at", level=words.level(c)), "int", 14) for c in words.fw.level_codes],
        Column(words("report.col.share_meets_minimum"), "percent", 14),
        Column(words("report.col.index"), "number", 11),
    )
    return Table(columns, frame)


def sections_table(scores, fw: Framework, words: Wording) -> Table:
    """One row per section: how many section ratings are at each level."""
    frame = section_distribution(scores, fw)
    frame["section_id"] = frame["section_id"].map(lambda sid: words.section(fw.section(sid)))
    frame = frame[["section_id", *[f"n_{c}" for c in words.fw.level_codes], "n_none", "share_meets_minimum"]]
    columns = (
        Column(words("report.col.section"), "wrap", 42),
        *[Column(words.level(c), "int", 14) for c in words.fw.level_codes],
        Column(words("report.col.not_assessed"), "int", 13),
        Column(words("report.col.share_meets_minimum"), "percent", 14),
    )
    return Table(columns, frame)


def assessments_table(scores, fw: Framework, words: Wording) -> Table:
    """One row per submission: its details, then the assessed and computed level of every section."""
    a = scores.assessments.reset_index(drop=True)
    frame = pd.DataFrame({
        "root_uuid": a["root_uuid"],
        "country": a["country"],
        "country_name": a["country_name"],
        "agency": a["agency"],
        "area": a["area"],
        "purpose": a["purpose"],
        "assessment_date": a["assessment_date"],
        "round": a["round"],
        "scope": _translate(a["assessment_scope"], words, "report.scope.", SCOPES),
        "form_version": a["form_version"],
        "older_version": a["older_version"].fillna(False).astype(bool),
        "validation_status": _translate(
            a["validation_status"].astype(object).map(lambda v: str(v).removeprefix(_VALIDATION_PREFIX) if isinstance(v, str) else v),
            words, "report.validation.",
        ),
        "submission_time": a["submission_time"],
        "index": a["index"],
    })
    columns = [
        Column(words("report.col.submission_id"), "text", 18),
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
    labels = _level_labels(words)
    headings = {"assessed_level": "report.col.section_assessed", "computed_level": "report.col.section_computed"}
    wide = {f: sections.pivot_table(index="root_uuid", columns="section_id", values=f, aggfunc="first") for f in headings}
    ids = frame["root_uuid"].astype(object)
    for section in fw.sections:
        for field, heading in headings.items():
            levels = wide[field].get(section.id)
            frame[f"{field}:{section.id}"] = pd.NA if levels is None else ids.map(pd.to_numeric(levels, errors="coerce"))
            columns.append(Column(words(heading, section=section.id), "level", 14, labels))
    return Table(tuple(columns), frame)


def action_plan_table(scores, fw: Framework, words: Wording) -> Table:
    """Seed 000's tracking format: the actions for each criterion's next level, to be filled in by the team."""
    plan = action_plan_rows(scores, fw)
    sections = {s.id: words.section(s) for s in fw.sections}
    criteria = {c.id: words.criterion(c) for c in fw.criteria}
    actions = {name: words(name) if name else words("report.action_plan.no_action") for name in plan["action_id"].unique()}
    stage = words.stages()[0]
    frame = pd.DataFrame({
        "country": plan["country_name"],
        "agency": plan["agency"],
        "section": plan["section_id"].map(sections),
        "criterion": plan["criterion_id"].map(criteria),
        "current_level": plan["current_level"],
        "target_level": plan["target_level"],
        "action": plan["action_id"].map(actions),
        "responsible": None,
        "expected_completion": pd.NaT,
        "implementation_stage": stage,
        "action_taken": None,
        "assessment_date": plan["assessment_date"],
        "root_uuid": plan["root_uuid"],
    })
    labels = _level_labels(words)
    columns = (
        Column(words("report.col.country"), "text", 16),
        Column(words("report.col.agency"), "wrap", 20),
        Column(words("report.col.section"), "wrap", 26),
        Column(words("report.col.criterion"), "wrap", 30),
        Column(words("report.col.current_level"), "level", 15, labels),
        Column(words("report.col.target_level"), "level", 15, labels),
        Column(words("report.col.action"), "wrap", 60),
        Column(words("report.col.responsible"), "wrap", 18),
        Column(words("report.col.expected_completion"), "date", 15),
        Column(words("report.col.implementation_stage"), "text", 16),
        Column(words("report.col.action_taken"), "wrap", 30),
        Column(words("report.col.assessment_date"), "date", 13),
        Column(words("report.col.submission_id"), "text", 18),
    )
    return Table(columns, frame)


ACTION_PLAN_STAGE_COLUMN = 10
"""The 1-based column of Implementation stage in action_plan_table (it gets the dropdown)."""


def data_quality_table(scores, words: Wording) -> Table:
    """One row per finding of the scoring checks."""
    quality = scores.quality.astype({"root_uuid": object}).reset_index(drop=True)
    details = scores.assessments[["root_uuid", "country_name", "agency", "assessment_date"]]
    details = details.astype({"root_uuid": object}).drop_duplicates("root_uuid")
    merged = quality.merge(details, on="root_uuid", how="left")
    frame = pd.DataFrame({
        "root_uuid": merged["root_uuid"],
        "country": merged["country_name"],
        "agency": merged["agency"],
        "assessment_date": merged["assessment_date"],
        "check": _translate(merged["check"], words, "report.check."),
        "detail": merged["detail"],
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
