"""How levels combine into one: rule ``min`` (the lowest level) or rule ``median`` (the lower median).

``min`` is the QAF's own rule: a section meets the minimum only when every criterion does. ``median`` is
the alternative view; with an even number of levels it takes the lower of the two middle ones (so the
result is always one of the levels combined, and never rounds a section up).

The functions work on the int8 level matrices a stage builds inside itself (rows: submissions, columns:
criteria or sections; ``groups``: the columns combined into each output column), with ``NO_LEVEL`` (0) where
there is no level. Level codes run from 1 to the framework's number of levels (at most 6).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qaf_kobo.errors import QafError

RULES: tuple[str, ...] = ("min", "median")
DEFAULT_RULE = "min"
"""The QAF's own rule, used unless another is asked for."""
NO_LEVEL = 0
"""The value of an int8 level matrix where there is no level (not assessed, missing or invalid)."""
_ABOVE = np.iinfo(np.int8).max  # stands in for "no level" while taking minima: above every level


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


def _by_column(matrix: np.ndarray) -> np.ndarray:
    """The matrix transposed into contiguous rows (one per column), so that group reductions run along n."""
    return np.ascontiguousarray(matrix.T)


def combine_levels(levels: np.ndarray, groups: Sequence[Sequence[int]], rule: str) -> np.ndarray:
    """Combine the columns of an n × k int8 level matrix group by group → n × len(groups) int8.

    Each output column is the rule applied to the levels of that group's columns (``median``: the lower
    median, ``lower_median_of_counts``); NO_LEVEL when a row has no level in the group.
    """
    check_rule(rule)
    out = np.zeros((len(groups), levels.shape[0]), dtype=np.int8)
    if rule == "min":
        by_column = _by_column(np.where(levels == NO_LEVEL, _ABOVE, levels).astype(np.int8))
    else:
        by_column = _by_column(levels)
        codes = range(1, int(levels.max(initial=NO_LEVEL)) + 1)
    for g, columns in enumerate(groups):
        if not len(columns) or not levels.shape[0]:
            continue
        block = by_column[_columns(columns)]
        if rule == "min":
            value = block.min(axis=0)
            out[g] = np.where(value == _ABOVE, NO_LEVEL, value)
        elif len(codes):
            out[g] = lower_median_of_counts(np.stack([np.count_nonzero(block == code, axis=0) for code in codes], axis=1))
    return _by_column(out)


def lower_median_of_counts(counts: np.ndarray) -> np.ndarray:
    """Per row of level counts (columns: levels 1 … n), the lower median level — the level at 0-based position
    (total − 1) // 2 of the row's levels in ascending order, so always one of the levels and never rounded up —
    or NO_LEVEL when the row counts none. The rule ``median`` and the countries table both use it."""
    counts = np.asarray(counts, dtype=np.int64)
    total = counts.sum(axis=1)
    position = np.maximum(total - 1, 0) // 2
    level = 1 + (counts.cumsum(axis=1) <= position[:, None]).sum(axis=1)
    return np.where(total > 0, level, NO_LEVEL).astype(np.int8)


def combine(levels: np.ndarray, groups: Sequence[Sequence[int]], rule: str) -> np.ndarray:
    """``combine_levels`` for a float level matrix with NaN for no level (returns floats, NaN for none)."""
    codes = np.where(np.isnan(levels), NO_LEVEL, levels).astype(np.int8)
    out = combine_levels(codes, groups, rule)
    return np.where(out == NO_LEVEL, np.nan, out.astype(float))


def count_levels(levels: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """Per group, how many columns of each row have a level (n × len(groups), int16)."""
    return count_true(levels != NO_LEVEL, groups)


def count_true(flags: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """Per group, how many of its columns are set in each row of a bool matrix (n × len(groups), int16)."""
    by_column = _by_column(flags).view(np.int8)
    out = np.zeros((len(groups), flags.shape[0]), dtype=np.int16)
    for g, columns in enumerate(groups):
        if len(columns) and flags.shape[0]:
            out[g] = by_column[_columns(columns)].sum(axis=0, dtype=np.int16)
    return _by_column(out)


def index_0_100(levels: np.ndarray, groups: Sequence[Sequence[int]], n_levels: int) -> np.ndarray:
    """Per group, the mean of (level − 1) / (n_levels − 1) × 100 over the levels of an int8 level matrix (NaN
    when none): 0 at the lowest level, 100 at the highest."""
    by_column = _by_column(levels)
    out = np.full((len(groups), levels.shape[0]), np.nan)
    for g, columns in enumerate(groups):
        if not len(columns) or not levels.shape[0]:
            continue
        block = by_column[_columns(columns)]
        count = np.count_nonzero(block, axis=0)
        total = (block.sum(axis=0, dtype=np.int32) - count).astype(float)
        out[g] = np.divide(total * 100 / (n_levels - 1), count, out=np.full(len(total), np.nan), where=count > 0)
    return _by_column(out)
