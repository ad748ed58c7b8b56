"""Per country × round × section: how many assessments reached each level, and their lower median level.

In: the submissions (``root_uuid, country, round, assessment_date``) and the sections table (``root_uuid,
section_id, level``). Out: the countries table (``country_columns``), keyed by ``country``, ``round`` and
``section_id``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qaf_kobo.framework import Framework
from qaf_kobo.scoring.keyed import framework_ids, grid, level_codes, nullable_levels
from qaf_kobo.scoring.rules import NO_LEVEL, lower_median_of_counts


def country_columns(fw: Framework) -> tuple[str, ...]:
    """The columns of the countries table: one count column ``n_<level name>`` per level of the framework."""
    return ("country", "round", "section_id", "n_assessments", *(f"n_{level.name}" for level in fw.levels),
            "share_meets_minimum", "median_level", "latest_assessment_date")


def _codes_missing_last(values: pd.Series) -> tuple[np.ndarray, pd.CategoricalDtype]:
    """A categorical column's codes with missing (−1) moved after every category, so that it sorts last."""
    values = values.astype("category")
    codes = values.array.codes
    return np.where(codes < 0, len(values.cat.categories), codes).astype(np.int64, copy=False), values.dtype


def _from_codes(codes: np.ndarray, dtype: pd.CategoricalDtype) -> pd.Categorical:
    """The inverse of ``_codes_missing_last``."""
    return pd.Categorical.from_codes(np.where(codes == len(dtype.categories), -1, codes), dtype=dtype)


def country_table(submissions: pd.DataFrame, sections: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """The countries table (``country_columns``): for each block of submissions of one country and round, and each
    section of the framework, how many assessments there are and how many stand at each level (``level`` of the
    sections table: assessed, else computed).

    ``share_meets_minimum`` is the share at the framework's minimum level or above among the assessments with a
    level (empty when none has one); ``median_level`` is the lower median (``rules.lower_median_of_counts``);
    ``latest_assessment_date`` the block's latest assessment date. Submissions without a round form one block
    (round empty), as do submissions without a country. Rows are sorted by country, then round (missing last),
    then section in framework order.
    """
    section_ids = [s.id for s in fw.sections]
    m, k = len(section_ids), len(fw.levels) + 1  # NO_LEVEL and the levels
    levels = grid(submissions, sections, "section_id", section_ids).matrix(level_codes(sections["level"]), NO_LEVEL)
    country, country_dtype = _codes_missing_last(submissions["country"])
    round_, round_dtype = _codes_missing_last(submissions["round"])
    rounds = len(round_dtype.categories) + 1
    blocks, block_of = np.unique(country * rounds + round_, return_inverse=True)  # sorted: country, then round
    cell = (block_of[:, None] * m + np.arange(m)) * k + levels  # (block, section, level)
    counts = np.bincount(cell.ravel(), minlength=len(blocks) * m * k).reshape(-1, k)
    dates = submissions["assessment_date"].to_numpy()
    latest = np.full(len(blocks), np.iinfo(np.int64).min)  # the int64 of NaT: a block of NaT stays NaT
    np.maximum.at(latest, block_of, dates.view(np.int64))

    with_level = counts[:, 1:].sum(axis=1)
    out = pd.DataFrame(
        {
            "country": _from_codes(blocks // rounds, country_dtype).repeat(m),
            "round": _from_codes(blocks % rounds, round_dtype).repeat(m),
            "section_id": framework_ids(section_ids, np.tile(np.arange(m, dtype=np.int16), len(blocks))),
            "n_assessments": counts.sum(axis=1).astype(np.int64),
            **{f"n_{level.name}": counts[:, level.code].astype(np.int32) for level in fw.levels},
            "share_meets_minimum": np.divide(
                counts[:, fw.minimum:].sum(axis=1).astype(float), with_level, out=np.full(len(counts), np.nan),
                where=with_level > 0,
            ),
            "median_level": nullable_levels(lower_median_of_counts(counts[:, 1:])),
            "latest_assessment_date": np.repeat(latest.view(dates.dtype), m),
        }
    )
    return out[list(country_columns(fw))]
