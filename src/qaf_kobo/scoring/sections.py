"""Per submission × section: the computed level (from the tidy criteria, by the rule) beside the assessed one."""

from __future__ import annotations

import numpy as np
import pandas as pd

from qaf_kobo.framework import Framework
from qaf_kobo.scoring.rules import combine
from qaf_kobo.scoring.tidy import KEY_COLUMNS, Tidy, level_names, nullable_levels

SECTION_COLUMNS: tuple[str, ...] = (
    *KEY_COLUMNS,
    "section_id",
    "computed_level",
    "assessed_level",
    "n_criteria",
    "n_assessed",
    "agrees",
    "computed_level_name",
    "assessed_level_name",
    "why",
    "notes",
)


def as_matrix(values: pd.Series | np.ndarray, n: int) -> np.ndarray:
    """A column of a tidy table (submission-major rows) → an n × width float matrix (NaN for missing)."""
    array = values.to_numpy(dtype=float, na_value=np.nan) if isinstance(values, pd.Series) else np.asarray(values, dtype=float)
    return array.reshape(n, -1) if n else array.reshape(0, 0)


def criteria_groups(fw: Framework) -> list[list[int]]:
    """For each section (framework order), the positions of its criteria among all criteria."""
    position = {c.id: i for i, c in enumerate(fw.criteria)}
    return [[position[c.id] for c in s.criteria] for s in fw.sections]


def criterion_levels(tidy: Tidy) -> np.ndarray:
    """The criteria levels as an n × k matrix (rows: submissions, columns: criteria in framework order)."""
    return as_matrix(tidy.criteria["level"], len(tidy.submissions))


def section_table(tidy: Tidy, fw: Framework, rule: str) -> pd.DataFrame:
    """The sections table (SECTION_COLUMNS) for every submission × section."""
    n = len(tidy.submissions)
    groups = criteria_groups(fw)
    levels = criterion_levels(tidy)
    computed = combine(levels, groups, rule).ravel() if n else np.array([], dtype=float)
    in_form = tidy.criteria["in_form"].to_numpy().reshape(n, -1) if n else np.zeros((0, 0), dtype=bool)
    assessed_any = ~np.isnan(levels)
    n_criteria = np.stack([in_form[:, g].sum(axis=1) for g in groups], axis=1).ravel() if n else np.array([], dtype=int)
    n_assessed = np.stack([assessed_any[:, g].sum(axis=1) for g in groups], axis=1).ravel() if n else np.array([], dtype=int)

    answers = tidy.section_answers
    assessed = answers["assessed_level"].to_numpy(dtype=float)
    both = ~np.isnan(computed) & ~np.isnan(assessed)
    out = answers[[*KEY_COLUMNS, "section_id"]].copy()
    out["computed_level"] = nullable_levels(computed)
    out["assessed_level"] = nullable_levels(assessed)
    out["n_criteria"] = n_criteria.astype(np.int16)
    out["n_assessed"] = n_assessed.astype(np.int16)
    out["agrees"] = pd.arrays.BooleanArray(computed == assessed, ~both)
    out["computed_level_name"] = level_names(computed)
    out["assessed_level_name"] = level_names(assessed)
    out["why"] = answers["why"]
    out["notes"] = answers["notes"]
    return out
