"""Per country × section (× round where rounds exist): how many assessments reached each level."""

from __future__ import annotations

import numpy as np
import pandas as pd

from qaf_kobo.framework import LEVEL_NAMES

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


def country_table(sections: pd.DataFrame) -> pd.DataFrame:
    """The countries table (COUNTRY_COLUMNS) from the sections table.

    The level of a section is the assessed one, falling back to the computed one. ``share_meets_minimum`` is
    the share at Meets minimum or Good practice among the assessments with a level (empty when none has
    one); ``median_level`` is the plain median (it may fall between two levels). Submissions without a
    round form one block (round empty), as do submissions without a country.
    """
    level = sections["assessed_level"].fillna(sections["computed_level"]).astype("Float64")
    frame = pd.DataFrame(
        {
            "country": sections["country"],
            "round": sections["round"],
            "section_id": sections["section_id"],
            "n_assessments": 1,
            **{f"n_{name}": (level == code).fillna(False).astype(np.int32) for code, name in enumerate(LEVEL_NAMES, 1)},
            "level": level,
            "at_minimum": (level >= 3).astype("Float64").where(level.notna()),
            "latest_assessment_date": sections["assessment_date"],
        }
    )
    grouped = frame.groupby(["country", "round", "section_id"], observed=True, dropna=False, sort=True)
    out = grouped.agg(
        n_assessments=("n_assessments", "sum"),
        **{f"n_{name}": (f"n_{name}", "sum") for name in LEVEL_NAMES},
        share_meets_minimum=("at_minimum", "mean"),
        median_level=("level", "median"),
        latest_assessment_date=("latest_assessment_date", "max"),
    ).reset_index()
    for column in ("share_meets_minimum", "median_level"):
        out[column] = out[column].astype(float)
    return out[list(COUNTRY_COLUMNS)]
