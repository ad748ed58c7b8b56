"""Per submission × section: the computed level (from the tidy criteria, by the rule) beside the assessed one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from qaf_kobo.framework import Framework
from qaf_kobo.scoring.rules import NO_LEVEL, combine_levels, count_levels, count_true
from qaf_kobo.scoring.tidy import KEY_COLUMNS, Tidy, level_names, nullable_levels, repeat_keys, tiled

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


@dataclass(frozen=True)
class SectionLevels:
    """The sections table and its levels as n × m int8 matrices (NO_LEVEL where none): ``computed`` from the
    criteria, ``assessed`` by the assessor, and ``level``, the section's level everywhere after scoring: the
    assessed level, else the computed one."""

    table: pd.DataFrame
    computed: np.ndarray
    assessed: np.ndarray
    level: np.ndarray


def criteria_groups(fw: Framework) -> list[list[int]]:
    """For each section (framework order), the positions of its criteria among all criteria."""
    position = {c.id: i for i, c in enumerate(fw.criteria)}
    return [[position[c.id] for c in s.criteria] for s in fw.sections]


def section_table(tidy: Tidy, fw: Framework, rule: str) -> SectionLevels:
    """The sections table (SECTION_COLUMNS) for every submission × section, with its level matrices."""
    n = len(tidy.submissions)
    groups = criteria_groups(fw)
    computed = combine_levels(tidy.answers.levels, groups, rule)
    assessed = tidy.section_answers.levels
    level = np.where(assessed != NO_LEVEL, assessed, computed)
    flat_computed, flat_assessed, flat_level = computed.ravel(), assessed.ravel(), level.ravel()
    both = (flat_computed != NO_LEVEL) & (flat_assessed != NO_LEVEL)

    out = pd.DataFrame(repeat_keys(tidy.keys, len(fw.sections)), copy=False)
    out["section_id"] = tiled([s.id for s in fw.sections], n)
    out["computed_level"] = nullable_levels(flat_computed)
    out["assessed_level"] = nullable_levels(flat_assessed)
    out["level"] = nullable_levels(flat_level)
    out["n_criteria"] = count_true(tidy.in_form, groups).ravel()
    out["n_assessed"] = count_levels(tidy.answers.levels, groups).ravel()
    out["agrees"] = pd.arrays.BooleanArray(flat_computed == flat_assessed, ~both)
    out["level_name"] = level_names(flat_level, tidy.level_names)
    out["computed_level_name"] = level_names(flat_computed, tidy.level_names)
    out["assessed_level_name"] = level_names(flat_assessed, tidy.level_names)
    out["why"] = tidy.why
    out["notes"] = tidy.notes
    return SectionLevels(table=out, computed=computed, assessed=assessed, level=level)
