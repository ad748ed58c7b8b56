"""Per country × round × section: how many assessments reached each level, and their lower median level."""

from __future__ import annotations

import numpy as np
import pandas as pd

from qaf_kobo.framework import Framework
from qaf_kobo.scoring.rules import lower_median_of_counts
from qaf_kobo.scoring.sections import SectionLevels
from qaf_kobo.scoring.tidy import Tidy, nullable_levels, tiled


def country_columns(fw: Framework) -> tuple[str, ...]:
    """The columns of the countries table: one count column ``n_<level name>`` per level of the framework."""
    return ("country", "round", "section_id", "n_assessments", *(f"n_{level.name}" for level in fw.levels),
            "share_meets_minimum", "median_level", "latest_assessment_date")


def _codes_missing_last(values: pd.Categorical) -> np.ndarray:
    """Category codes with missing (−1) moved after every category, so that it sorts last."""
    codes = values.codes.astype(np.int64)
    return np.where(codes < 0, len(values.categories), codes)


def country_table(tidy: Tidy, sections: SectionLevels, fw: Framework) -> pd.DataFrame:
    """The countries table (``country_columns``), from the section levels of every submission.

    ``share_meets_minimum`` is the share at the framework's minimum level or above among the assessments with a
    level (empty when none has one); ``median_level`` is the lower median (``rules.lower_median_of_counts``).
    Submissions without a round form one block (round empty), as do submissions without a country. Every
    submission has every section, so blocks are found per submission and counts per submission × section.
    """
    country, round_ = tidy.keys["country"], tidy.keys["round"]
    n, m = sections.computed.shape
    block_key = _codes_missing_last(country) * (len(round_.categories) + 1) + _codes_missing_last(round_)
    blocks, block_of = np.unique(block_key, return_inverse=True)  # sorted: country, then round; missing last
    k = len(fw.levels) + 1  # NO_LEVEL and the levels
    cell = (block_of[:, None] * m + np.arange(m)) * k + sections.level.astype(np.int64)  # (block, section, level)
    counts = np.bincount(cell.ravel(), minlength=len(blocks) * m * k).reshape(-1, k)[:, 1:]
    dates = tidy.keys["assessment_date"]
    latest = np.full(len(blocks), np.iinfo(np.int64).min)  # the int64 of NaT: a block of NaT stays NaT
    np.maximum.at(latest, block_of, dates.view(np.int64))

    country_of, round_of = blocks // (len(round_.categories) + 1), blocks % (len(round_.categories) + 1)
    with_level = counts.sum(axis=1)
    out = pd.DataFrame(
        {
            "country": pd.Categorical.from_codes(_missing_as_minus_one(country_of, country), dtype=country.dtype).repeat(m),
            "round": pd.Categorical.from_codes(_missing_as_minus_one(round_of, round_), dtype=round_.dtype).repeat(m),
            "section_id": tiled([s.id for s in fw.sections], len(blocks)),
            "n_assessments": np.repeat(np.bincount(block_of, minlength=len(blocks)), m).astype(np.int64),
            **{f"n_{level.name}": counts[:, i].astype(np.int32) for i, level in enumerate(fw.levels)},
            "share_meets_minimum": np.divide(
                counts[:, fw.minimum - 1:].sum(axis=1).astype(float), with_level, out=np.full(len(counts), np.nan),
                where=with_level > 0,
            ),
            "median_level": nullable_levels(lower_median_of_counts(counts)),
            "latest_assessment_date": np.repeat(latest.view(dates.dtype), m),
        }
    )
    return out[list(country_columns(fw))]


def _missing_as_minus_one(codes: np.ndarray, values: pd.Categorical) -> np.ndarray:
    return np.where(codes == len(values.categories), -1, codes)
