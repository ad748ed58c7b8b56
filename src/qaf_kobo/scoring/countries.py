"""Per country × section (× round where rounds exist): how many assessments reached each level."""

from __future__ import annotations

import numpy as np
import pandas as pd

from qaf_kobo.framework import LEVEL_NAMES, Framework
from qaf_kobo.scoring.rules import NO_LEVEL
from qaf_kobo.scoring.sections import SectionLevels
from qaf_kobo.scoring.tidy import Tidy, tiled

COUNTRY_COLUMNS: tuple[str, ...] = (
    "country",
    "round",
    "section_id",
    "n_assessments",
    *(f"n_{name}" for name in LEVEL_NAMES),
    "share_meets_minimum",
    "median_level",
    "latest_assessment_date",
)


def _codes_missing_last(values: pd.Categorical) -> np.ndarray:
    """Category codes with missing (−1) moved after every category, so that it sorts last."""
    codes = values.codes.astype(np.int64)
    return np.where(codes < 0, len(values.categories), codes)


def _median_of_counts(counts: np.ndarray) -> np.ndarray:
    """Per row of level counts (columns: levels 1–4), the lower median level — always one of the levels, as in
    the section rule ``median`` and the heat map (NaN when the row counts none)."""
    total = counts.sum(axis=1)
    position = np.maximum(total - 1, 0) // 2  # 0-based position of the lower median among the sorted levels
    low = 1 + (counts.cumsum(axis=1) <= position[:, None]).sum(axis=1)
    return np.where(total > 0, low, np.nan)


def country_table(tidy: Tidy, sections: SectionLevels, fw: Framework) -> pd.DataFrame:
    """The countries table (COUNTRY_COLUMNS), from the section levels of every submission.

    The level of a section is the assessed one, falling back to the computed one. ``share_meets_minimum`` is
    the share at Meets minimum or Good practice among the assessments with a level (empty when none has
    one); ``median_level`` is the lower median (with an even count, the lower of the two middle levels). Submissions without a
    round form one block (round empty), as do submissions without a country. Every submission has every
    section, so blocks are found per submission and counts per submission × section.
    """
    country, round_ = tidy.keys["country"], tidy.keys["round"]
    n, m = sections.computed.shape
    block_key = _codes_missing_last(country) * (len(round_.categories) + 1) + _codes_missing_last(round_)
    blocks, block_of = np.unique(block_key, return_inverse=True)  # sorted: country, then round; missing last
    level = np.where(sections.assessed != NO_LEVEL, sections.assessed, sections.computed).astype(np.int64)
    cell = (block_of[:, None] * m + np.arange(m)) * 5 + level  # (block, section, level 0–4)
    counts = np.bincount(cell.ravel(), minlength=len(blocks) * m * 5).reshape(-1, 5)[:, 1:]
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
            **{f"n_{name}": counts[:, i].astype(np.int32) for i, name in enumerate(LEVEL_NAMES)},
            "share_meets_minimum": np.divide(
                (counts[:, 2] + counts[:, 3]).astype(float), with_level, out=np.full(len(counts), np.nan), where=with_level > 0
            ),
            "median_level": _median_of_counts(counts),
            "latest_assessment_date": np.repeat(latest.view(dates.dtype), m),
        }
    )
    return out[list(COUNTRY_COLUMNS)]


def _missing_as_minus_one(codes: np.ndarray, values: pd.Categorical) -> np.ndarray:
    return np.where(codes == len(values.categories), -1, codes)
