"""The Action plan by assessment sheet (country workbooks only): for every assessment and every criterion below the
top level, the actions for its next level, each with the Action id of its row in the Country action plan.

A criterion at level L gets ``criterion.next_actions(L)`` (``report.country_plan.framework_actions``); when the
framework lists none for that step, the criterion still gets one row. Rows: by country, lowest level first, then in
framework order. A reference: it has no tracking columns, its first row says so (responsible, dates and stages
are filled in in the Country action plan, which is read back), and the sheet is protected.
"""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.plans.action_ids import action_id
from qaf_kobo.plans.country_plan import framework_actions
from qaf_kobo.plans.stages import STAGES
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.table_sheet import Column, Table, write_continued
from qaf_kobo.report.wording import Wording
from qaf_kobo.scoring import Scores

KEY = "action_plan"
ROW_COLUMNS = (
    "root_uuid", "country", "country_name", "agency", "assessment_date",
    "section_id", "criterion_id", "current_level", "target_level", "action_key", "action_id",
)
STAGE_LOOKS = {"completed": {"bg_color": "#C6EFCE", "font_color": "#006100"}, "cancelled": {"font_color": "#808080"}}
"""How a stage chosen in the dropdown shows (conditional formats): completed green, cancelled grey."""


def action_plan_rows(scores: Scores, fw: Framework) -> pd.DataFrame:
    """The action plan rows (columns ROW_COLUMNS), sorted by country, current level, section, criterion, assessment."""
    criteria = scores.criteria
    levels = pd.to_numeric(criteria["level"], errors="coerce")
    below_top = levels.between(1, len(fw.levels) - 1)
    below = criteria.loc[below_top, ["root_uuid", "country", "agency", "assessment_date", "criterion_id"]].copy()
    below = below.astype(object)  # scoring hands over categoricals; plain values sort and merge as expected
    below["criterion_id"] = below["criterion_id"].astype(str)
    below["level"] = levels[below_top].astype(int)
    plan = below.merge(framework_actions(fw), on=["criterion_id", "level"], how="inner")
    names = scores.assessments.drop_duplicates("root_uuid").set_index("root_uuid")["country_name"]
    plan["country_name"] = plan["root_uuid"].map(names).fillna(plan["country"])
    plan["current_level"] = plan["level"]
    plan["target_level"] = plan["level"] + 1
    plan = plan.sort_values(
        ["country", "level", "criterion_order", "assessment_date", "agency", "root_uuid", "k"],
        kind="stable",
        na_position="last",
    )
    ids = {key: action_id(*key) for key in set(zip(plan["country"].fillna(""), plan["criterion_id"], plan["level"], plan["k"]))}
    plan["action_id"] = [ids[key] for key in zip(plan["country"].fillna(""), plan["criterion_id"], plan["level"], plan["k"])]
    return plan.loc[:, list(ROW_COLUMNS)].reset_index(drop=True)


def action_plan_table(scores: Scores, fw: Framework, words: Wording) -> Table:
    """The rows in the report language."""
    plan = action_plan_rows(scores, fw)
    sections = {s.id: words.section(s) for s in fw.sections}
    criteria = {c.id: words.criterion(c) for c in fw.criteria}
    actions = {key: words(key) if key else words("report.action_plan.no_action") for key in plan["action_key"].unique()}
    frame = pd.DataFrame({
        "country": plan["country_name"],
        "agency": plan["agency"],
        "section": plan["section_id"].map(sections),
        "criterion": plan["criterion_id"].map(criteria),
        "current_level": plan["current_level"],
        "target_level": plan["target_level"],
        "action": plan["action_key"].map(actions),
        "assessment_date": plan["assessment_date"],
        "root_uuid": plan["root_uuid"],
        "action_id": plan["action_id"],
    })
    columns = (
        Column(words("report.col.country"), "text", 16),
        Column(words("report.col.agency"), "wrap", 20),
        Column(words("report.col.section"), "wrap", 18),
        Column(words("report.col.criterion"), "wrap", 22),
        Column(words("report.col.current_level"), "level", 15),
        Column(words("report.col.target_level"), "level", 15),
        Column(words("report.col.action"), "wrap", 48),
        Column(words("report.col.assessment_date"), "date", 13),
        Column(words("report.col.submission_id"), "text", 18),
        Column(words("report.col.action_id"), "text", 17),
    )
    return Table(columns, frame)


def stage_dropdown(ws: Worksheet, cells: Cells, words: Wording, last: int, col: int) -> None:
    """The Implementation stage dropdown (Not started, Underway, Completed, Cancelled) in rows 1 … ``last`` of
    column ``col``; a completed action turns green, a cancelled one grey."""
    stages = dict(zip(STAGES, words.stages()))
    ws.data_validation(1, col, last, col, {"validate": "list", "source": list(stages.values()), "ignore_blank": True})
    for stage, look in STAGE_LOOKS.items():
        ws.conditional_format(1, col, last, col, {
            "type": "cell", "criteria": "==", "value": f'"{stages[stage]}"', "format": cells.book.add_format(look),
        })


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The reference note, then the table, going on in "… (2)" sheets past Excel's rows per sheet; protected
    (sorting and filtering still work). Printed with gridlines."""
    table = action_plan_table(data.scores, fw, words)
    for sheet, _ in write_continued(ws, cells, table, words.right_to_left, note=words("report.action_plan.reference")):
        sheet.hide_gridlines(0)  # 0: gridlines on screen and on paper
        sheet.protect("", {"sort": True, "autofilter": True, "format_columns": True, "format_rows": True})
