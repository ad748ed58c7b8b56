"""Per submission × section: the computed level (from the criterion answers, by the rule) beside the assessed one.

In: the submissions, the answers (``root_uuid, criterion_id, level, in_form``) and the section answers
(``root_uuid, section_id, assessed_level, why, notes``). Out: the sections table (SECTION_COLUMNS), keyed by
``root_uuid`` and ``section_id``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qaf_kobo.framework import Framework
from qaf_kobo.scoring.keyed import KEY_COLUMNS, cells, grid, level_codes, level_names, nullable_levels, with_keys
from qaf_kobo.scoring.rules import NO_LEVEL, combine_levels, count_levels, count_true

SECTION_COLUMNS: tuple[str, ...] = (
    *KEY_COLUMNS,
    "section_id",
    "computed_level",
    "assessed_level",
    "level",
    "n_criteria",
    "n_assessed",
    "agrees",
    "level_name",
    "computed_level_name",
    "assessed_level_name",
    "why",
    "notes",
)


def criteria_groups(fw: Framework) -> list[list[int]]:
    """For each section (framework order), the positions of its criteria among all criteria."""
    position = {c.id: i for i, c in enumerate(fw.criteria)}
    return [[position[c.id] for c in s.criteria] for s in fw.sections]


def section_table(submissions: pd.DataFrame, answers: pd.DataFrame, section_answers: pd.DataFrame, fw: Framework,
                  rule: str) -> pd.DataFrame:
    """The sections table (SECTION_COLUMNS): one row per submission × section of the framework.

    ``level`` is THE section level every report uses: the assessed level, else the computed one.
    """
    criterion_ids, section_ids = [c.id for c in fw.criteria], [s.id for s in fw.sections]
    by_criterion = grid(submissions, answers, "criterion_id", criterion_ids)
    levels = by_criterion.matrix(level_codes(answers["level"]), NO_LEVEL)
    in_form = by_criterion.matrix(answers["in_form"].to_numpy(dtype=bool), False)
    by_section = grid(submissions, section_answers, "section_id", section_ids)
    assessed = by_section.matrix(level_codes(section_answers["assessed_level"]), NO_LEVEL).ravel()

    groups = criteria_groups(fw)
    computed = combine_levels(levels, groups, rule).ravel()
    level = np.where(assessed != NO_LEVEL, assessed, computed)
    both = (computed != NO_LEVEL) & (assessed != NO_LEVEL)
    out = pd.DataFrame(cells(submissions, section_ids, "section_id"), copy=False)
    out["computed_level"] = nullable_levels(computed)
    out["assessed_level"] = nullable_levels(assessed)
    out["level"] = nullable_levels(level)
    out["n_criteria"] = count_true(in_form, groups).ravel()
    out["n_assessed"] = count_levels(levels, groups).ravel()
    out["agrees"] = pd.arrays.BooleanArray(computed == assessed, ~both)
    out["level_name"] = level_names(level, fw)
    out["computed_level_name"] = level_names(computed, fw)
    out["assessed_level_name"] = level_names(assessed, fw)
    for name in ("why", "notes"):
        out[name] = by_section.texts(section_answers[name])
    return with_keys(submissions, out)[list(SECTION_COLUMNS)]
