"""Pure summaries for the report sheets: section ratings, the per-country overview, level counts per section, heat map.

A section's rating is the assessor's assessed level, or the computed level when none was assessed. Where several
assessments meet in one heat-map cell, the cell shows their lower median (``lower_median_level``): the middle
level, and with an even number of assessments the lower of the two middle levels (the more cautious one). The
heat map is built from scoring's countries table (its level counts per country × round × section), so that
the report and ``countries.csv`` count the same ratings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qaf_kobo.framework import LEVEL_NAMES, Framework

LEVEL_CODES: tuple[int, ...] = tuple(range(1, len(LEVEL_NAMES) + 1))
"""The level codes 1–4, in the order of the framework's level names."""
MEETS_MINIMUM = LEVEL_NAMES.index("meets_minimum") + 1
"""The lowest level code that meets the minimum."""


def has_rounds(assessments: pd.DataFrame) -> bool:
    """True when any assessment names a round."""
    return "round" in assessments and bool(_labels(assessments["round"]).ne("").any())


def _labels(values: pd.Series) -> pd.Series:
    """Values as stripped text, missing as ""."""
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def section_ratings(scores) -> pd.DataFrame:
    """root_uuid, country, section_id, level (nullable Int 1–4): assessed, falling back to computed."""
    sections = scores.sections
    assessed = pd.to_numeric(sections["assessed_level"], errors="coerce")
    computed = pd.to_numeric(sections["computed_level"], errors="coerce")
    out = sections[["root_uuid", "country", "section_id"]].copy()
    out["level"] = assessed.where(assessed.between(1, 4), computed.where(computed.between(1, 4))).astype("Int64")
    return out


def lower_median_level(counts: np.ndarray) -> np.ndarray:
    """Per row of level counts (columns: the levels in LEVEL_CODES order), the lower median level; 0 for none.

    The lower median is the level at 0-based position (n − 1) // 2 of the row's n levels in ascending order:
    the middle level, or with an even n the lower of the two middle ones (so always a level, never rounded up).
    """
    counts = np.asarray(counts, dtype=np.int64).reshape(-1, len(LEVEL_CODES))
    total = counts.sum(axis=1)
    position = np.maximum(total - 1, 0) // 2
    level = 1 + (counts.cumsum(axis=1) <= position[:, None]).sum(axis=1)
    return np.where(total > 0, level, 0)


def _level_counts(ratings: pd.DataFrame, by: str) -> pd.DataFrame:
    counts = pd.crosstab(ratings[by], ratings["level"].fillna(0).astype(int))
    counts = counts.reindex(columns=[*LEVEL_CODES, 0], fill_value=0)
    counts.columns = [f"n_{c}" for c in LEVEL_CODES] + ["n_none"]
    rated = counts[[f"n_{c}" for c in LEVEL_CODES]].sum(axis=1)
    meeting = counts[[f"n_{c}" for c in LEVEL_CODES if c >= MEETS_MINIMUM]].sum(axis=1)
    counts["share_meets_minimum"] = meeting / rated.where(rated > 0)
    return counts


def overview(scores) -> pd.DataFrame:
    """One row per country: assessments, agencies, latest date, section ratings per level, share ≥ minimum, index."""
    assessments = scores.assessments
    columns = ["country", "country_name", "n_assessments", "n_agencies", "latest_date",
               *[f"n_{c}" for c in LEVEL_CODES], "share_meets_minimum", "index"]
    if assessments.empty:
        return pd.DataFrame(columns=columns)
    by_country = assessments.groupby("country", dropna=False)
    out = pd.DataFrame({
        "country_name": by_country["country_name"].first(),
        "n_assessments": by_country["root_uuid"].nunique(),
        "n_agencies": by_country["agency"].nunique(),
        "latest_date": by_country["assessment_date"].max(),
        "index": by_country["index"].mean(),
    })
    counts = _level_counts(section_ratings(scores), "country")
    out = out.join(counts, how="left")
    out[[f"n_{c}" for c in LEVEL_CODES]] = out[[f"n_{c}" for c in LEVEL_CODES]].fillna(0).astype(int)
    return out.reset_index().loc[:, columns]


def section_distribution(scores, fw: Framework) -> pd.DataFrame:
    """One row per section in framework order: ratings per level, not assessed, share ≥ minimum."""
    counts = _level_counts(section_ratings(scores), "section_id")
    counts = counts.reindex([s.id for s in fw.sections])
    counts[[*[f"n_{c}" for c in LEVEL_CODES], "n_none"]] = counts[[*[f"n_{c}" for c in LEVEL_CODES], "n_none"]].fillna(0).astype(int)
    return counts.rename_axis("section_id").reset_index()


def heat_map(scores, fw: Framework) -> pd.DataFrame:
    """Round (blocks), country, country_name, n_assessments, then the lower-median level of every section by id.

    From ``scores.countries`` (one row per country × round × section with the count at each level); a missing
    country or round is "". Levels are nullable Int (missing where no assessment has a level).
    """
    countries = scores.countries
    counts = countries[[f"n_{name}" for name in LEVEL_NAMES]].to_numpy()
    cells = pd.DataFrame({
        "round": _labels(countries["round"]) if "round" in countries else "",
        "country": _labels(countries["country"]),
        "section_id": countries["section_id"].astype(str),
        "n_assessments": countries["n_assessments"].astype(int),
        "level": pd.array(lower_median_level(counts), dtype="Int64"),
    })
    cells["level"] = cells["level"].mask(cells["level"] == 0)
    section_ids = [s.id for s in fw.sections]
    rows = cells.drop_duplicates(["round", "country"]).set_index(["round", "country"])[["n_assessments"]]
    levels = cells.set_index(["round", "country", "section_id"])["level"].unstack("section_id")
    rows = rows.join(levels.reindex(columns=section_ids), how="left").sort_index()
    names = scores.assessments.assign(country=_labels(scores.assessments["country"]))
    names = names.drop_duplicates("country").set_index("country")["country_name"]
    rows = rows.reset_index()
    rows["country_name"] = rows["country"].map(names)
    for section_id in section_ids:
        rows[section_id] = rows[section_id].astype("Int64")
    return rows.loc[:, ["round", "country", "country_name", "n_assessments", *section_ids]]
