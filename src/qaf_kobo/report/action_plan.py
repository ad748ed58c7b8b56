"""The action plan: for every assessment and every criterion below Good practice, the actions for its next level.

Pure: Scores + Framework -> one row per (assessment, criterion, action), Critical first, then in section order.
A criterion at level L gets ``criterion.next_actions(L)`` (seed 001's actions for L -> L+1), named by their
catalogue id (``action_id``); when the QAF lists none for that step, the criterion still gets one row with an
empty ``action_id`` so that it is not lost.
"""

from __future__ import annotations

import pandas as pd

from qaf_kobo.framework import Framework, transition
from qaf_kobo.framework.catalogue import action_id

COLUMNS = (
    "root_uuid", "country", "country_name", "agency", "assessment_date",
    "section_id", "criterion_id", "current_level", "target_level", "action_id",
)


def _actions(fw: Framework) -> pd.DataFrame:
    """criterion_id, current_level, action_k, action_id ("" = none listed), section_id, section_order, criterion_order."""
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
    """The action plan rows (columns COLUMNS), sorted by country, current level, section, criterion, assessment."""
    criteria = scores.criteria
    levels = pd.to_numeric(criteria["level"], errors="coerce")
    top = len(fw.levels)
    below = criteria.loc[levels.between(1, top - 1), ["root_uuid", "country", "agency", "assessment_date", "criterion_id"]].copy()
    below = below.astype(object)  # scoring may hand over categoricals; plain values sort and merge as expected
    below["criterion_id"] = below["criterion_id"].astype(str)
    below["current_level"] = levels[levels.between(1, top - 1)].astype(int)
    plan = below.merge(_actions(fw), on=["criterion_id", "current_level"], how="inner")
    names = scores.assessments.drop_duplicates("root_uuid").set_index("root_uuid")["country_name"]
    plan["country_name"] = plan["root_uuid"].map(names).fillna(plan["country"])
    plan["target_level"] = plan["current_level"] + 1
    plan = plan.sort_values(
        ["country", "current_level", "section_order", "criterion_order", "assessment_date", "agency", "root_uuid", "action_k"],
        kind="stable",
        na_position="last",
    )
    return plan.loc[:, list(COLUMNS)].reset_index(drop=True)
