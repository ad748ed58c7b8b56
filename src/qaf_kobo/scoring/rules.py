"""How levels combine into one: rule ``min`` (the lowest level) or rule ``median`` (the lower median).

``min`` is the QAF's own rule: a section meets the minimum only when every criterion does. ``median`` is
the alternative view; with an even number of levels it takes the lower of the two middle ones (so the
result is always one of the levels combined, and never rounds a section up).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qaf_kobo.errors import QafError

RULES: tuple[str, ...] = ("min", "median")


def check_rule(rule: str) -> str:
    """The rule itself, or QafError when it is not one of RULES."""
    if rule not in RULES:
        raise QafError(f"unknown scoring rule {rule!r} (expected one of: {', '.join(RULES)})")
    return rule


def _columns(columns: Sequence[int]) -> slice | list[int]:
    """A slice when the columns are contiguous (a view, no copy), else the list of positions."""
    columns = list(columns)
    if columns == list(range(columns[0], columns[-1] + 1)):
        return slice(columns[0], columns[-1] + 1)
    return columns


def combine(levels: np.ndarray, groups: Sequence[Sequence[int]], rule: str) -> np.ndarray:
    """Combine the columns of an n × k level matrix (NaN = no level) group by group → n × len(groups).

    Each output column is the rule applied to the non-NaN levels of that group's columns; NaN when a row
    has no level in the group.
    """
    check_rule(rule)
    out = np.full((levels.shape[0], len(groups)), np.nan)
    for g, columns in enumerate(groups):
        if not len(columns):
            continue
        block = levels[:, _columns(columns)]
        if rule == "min":
            out[:, g] = np.fmin.reduce(block, axis=1)
            continue
        ordered = np.sort(block, axis=1)  # NaN sorts last
        count = np.count_nonzero(~np.isnan(block), axis=1)
        middle = np.maximum(count - 1, 0) // 2
        out[:, g] = np.take_along_axis(ordered, middle[:, None], axis=1)[:, 0]
    return out


def index_0_100(levels: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """Per group, the mean of (level − 1) / 3 × 100 over the non-NaN levels (NaN when none)."""
    out = np.full((levels.shape[0], len(groups)), np.nan)
    for g, columns in enumerate(groups):
        if not len(columns):
            continue
        block = levels[:, _columns(columns)]
        count = np.count_nonzero(~np.isnan(block), axis=1)
        total = np.nansum(block, axis=1) - count
        out[:, g] = np.divide(total * 100 / 3, count, out=np.full(len(total), np.nan), where=count > 0)
    return out
