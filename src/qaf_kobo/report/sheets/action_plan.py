"""The Action plan sheet: for every assessment and every criterion below the top level, the actions for its next
level, in the tracking format of seed 000 (responsible, expected completion, implementation stage dropdown).

A criterion at level L gets ``criterion.next_actions(L)`` (the framework's actions for L -> L+1), named by their
catalogue id (``action_id``); when the framework lists none for that step, the criterion still gets one row with
an empty ``action_id`` so that it is not lost. Rows: by country, lowest level first, then in framework order.
"""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework, transition
from qaf_kobo.framework.catalogue import action_id
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.table_sheet import Column, Table, write_table
from qaf_kobo.report.wording import STAGES, Wording

KEY = "action_plan"
ROW_COLUMNS = (
    "root_uuid", "country", "country_name", "agency", "assessment_date",
    "section_id", "criterion_id", "current_level", "target_level", "action_id",
)
STAGE_COLUMN = 9
"""The 0-based column of Implementation stage in action_plan_table (it gets the dropdown)."""
STAGE_LOOKS = {"completed": {"bg_color": "#C6EFCE", "font_color": "#006100"}, "cancelled": {"font_color": "#808080"}}
"""How a stage chosen in the dropdown shows (conditional formats): completed green, cancelled grey."""


def _actions(fw: Framework) -> pd.DataFrame:
    """criterion_id, current_level, action_k, action_id ("" = none listed), section_order, criterion_order."""
    rows = []
    for section_order, section in enumerate(fw.sections):
        for criterion_order, criterion in enumerate(section.criteria):
            for level in fw.level_codes[:-1]:
                count = len(criterion.next_actions(level))
                for k in range(1, count + 1) if count else (0,):
                    name = action_id(criterion.id, transition(level), k) if k else ""
                    rows.append((criterion.id, level, k, name, section.id, section_order, criterion_order))
    return pd.DataFrame(
        rows,
        columns=["criterion_id", "current_level", "action_k", "action_id", "section_id", "section_order", "criterion_order"],
    )


def action_plan_rows(scores, fw: Framework) -> pd.DataFrame:
    """The action plan rows (columns ROW_COLUMNS), sorted by country, current level, section, criterion, assessment."""
    criteria = scores.criteria
    levels = pd.to_numeric(criteria["level"], errors="coerce")
    below_top = levels.between(1, len(fw.levels) - 1)
    below = criteria.loc[below_top, ["root_uuid", "country", "agency", "assessment_date", "criterion_id"]].copy()
    below = below.astype(object)  # scoring hands over categoricals; plain values sort and merge as expected
    below["criterion_id"] = below["criterion_id"].astype(str)
    below["current_level"] = levels[below_top].astype(int)
    plan = below.merge(_actions(fw), on=["criterion_id", "current_level"], how="inner")
    names = scores.assessments.drop_duplicates("root_uuid").set_index("root_uuid")["country_name"]
    plan["country_name"] = plan["root_uuid"].map(names).fillna(plan["country"])
    plan["target_level"] = plan["current_level"] + 1
    plan = plan.sort_values(
        ["country", "current_level", "section_order", "criterion_order", "assessment_date", "agency", "root_uuid", "action_k"],
        kind="stable",
        na_position="last",
    )
    return plan.loc[:, list(ROW_COLUMNS)].reset_index(drop=True)


def action_plan_table(scores, fw: Framework, words: Wording) -> Table:
    """The rows in the report language, with the empty tracking columns to be filled in by the team."""
    plan = action_plan_rows(scores, fw)
    sections = {s.id: words.section(s) for s in fw.sections}
    criteria = {c.id: words.criterion(c) for c in fw.criteria}
    actions = {name: words(name) if name else words("report.action_plan.no_action") for name in plan["action_id"].unique()}
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
        "implementation_stage": words.stages()[0],
        "action_taken": None,
        "assessment_date": plan["assessment_date"],
        "root_uuid": plan["root_uuid"],
    })
    columns = (
        Column(words("report.col.country"), "text", 16),
        Column(words("report.col.agency"), "wrap", 20),
        Column(words("report.col.section"), "wrap", 26),
        Column(words("report.col.criterion"), "wrap", 30),
        Column(words("report.col.current_level"), "level", 15),
        Column(words("report.col.target_level"), "level", 15),
        Column(words("report.col.action"), "wrap", 60),
        Column(words("report.col.responsible"), "wrap", 18),
        Column(words("report.col.expected_completion"), "date", 15),
        Column(words("report.col.implementation_stage"), "text", 16),
        Column(words("report.col.action_taken"), "wrap", 30),
        Column(words("report.col.assessment_date"), "date", 13),
        Column(words("report.col.submission_id"), "text", 18),
    )
    return Table(columns, frame)


def write(ws: Worksheet, cells: Cells, scores, fw: Framework, words: Wording) -> None:
    """The table and the Implementation stage dropdown (Not started, Underway, Completed, Cancelled) on every row;
    a completed action turns green, a cancelled one grey. Printed with gridlines: a page to fill in by hand."""
    table = action_plan_table(scores, fw, words)
    write_table(ws, cells, table)
    ws.hide_gridlines(0)  # 0: gridlines on screen and on paper
    last = max(len(table), 1)
    stages = dict(zip(STAGES, words.stages()))
    ws.data_validation(1, STAGE_COLUMN, last, STAGE_COLUMN,
                       {"validate": "list", "source": list(stages.values()), "ignore_blank": True})
    for stage, look in STAGE_LOOKS.items():
        ws.conditional_format(1, STAGE_COLUMN, last, STAGE_COLUMN, {
            "type": "cell", "criteria": "==", "value": f'"{stages[stage]}"', "format": cells.book.add_format(look),
        })
