"""Pure summaries for the report sheets: section ratings, the per-country overview, level counts per section, heat map.

A section's rating is the assessor's assessed level, or the computed level when none was assessed. Where several
assessments meet in one heat-map cell, the cell shows their lower median (scoring's ``median_level``): the middle
level, and with an even number of assessments the lower of the two middle levels (the more cautious one). The
heat map is built from scoring's countries table (its level counts per country × round × section), so that
the report and ``countries.csv`` count the same ratings.
"""

from __future__ import annotations

import pandas as pd

from qaf_kobo.framework import Framework


def has_rounds(assessments: pd.DataFrame) -> bool:
    """True when any assessment names a round."""
    return "round" in assessments and bool(_labels(assessments["round"]).ne("").any())


def _labels(values: pd.Series) -> pd.Series:
    """Values as stripped text, missing as ""."""
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def section_ratings(scores) -> pd.DataFrame:
    """root_uuid, country, section_id, level (nullable Int): the section's level from scoring."""
    return scores.sections[["root_uuid", "country", "section_id", "level"]].astype({"level": "Int64"})


def _level_counts(ratings: pd.DataFrame, by: str, fw: Framework) -> pd.DataFrame:
    codes = fw.level_codes
    counts = pd.crosstab(ratings[by], ratings["level"].fillna(0).astype(int))
    counts = counts.reindex(columns=[*codes, 0], fill_value=0)
    counts.columns = [f"n_{c}" for c in codes] + ["n_none"]
    rated = counts[[f"n_{c}" for c in codes]].sum(axis=1)
    meeting = counts[[f"n_{c}" for c in codes if c >= fw.minimum]].sum(axis=1)
    counts["share_meets_minimum"] = meeting / rated.where(rated > 0)
    return counts


def overview(scores, fw: Framework) -> pd.DataFrame:
    """One row per country: assessments, agencies, latest date, section ratings per level, share ≥ minimum, index."""
    assessments = scores.assessments
    codes = fw.level_codes
    columns = ["country", "country_name", "n_assessments", "n_agencies", "latest_date",
               *[f"n_{c}" for c in codes], "share_meets_minimum", "index"]
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
    counts = _level_counts(section_ratings(scores), "country", fw)
    out = out.join(counts, how="left")
    out[[f"n_{c}" for c in codes]] = out[[f"n_{c}" for c in codes]].fillna(0).astype(int)
    return out.reset_index().loc[:, columns]


def section_distribution(scores, fw: Framework) -> pd.DataFrame:
    """One row per section in framework order: ratings per level, not assessed, share ≥ minimum."""
    codes = fw.level_codes
    counts = _level_counts(section_ratings(scores), "section_id", fw)
    counts = counts.reindex([s.id for s in fw.sections])
    counts[[*[f"n_{c}" for c in codes], "n_none"]] = counts[[*[f"n_{c}" for c in codes], "n_none"]].fillna(0).astype(int)
    return counts.rename_axis("section_id").reset_index()


def heat_map(scores, fw: Framework) -> pd.DataFrame:
    """Round (blocks), country, country_name, n_assessments, then the lower-median level of every section by id.

    From ``scores.countries`` (one row per country × round × section with the count at each level); a missing
    country or round is "". Levels are nullable Int (missing where no assessment has a level).
    """
    countries = scores.countries
    cells = pd.DataFrame({
        "round": _labels(countries["round"]) if "round" in countries else "",
        "country": _labels(countries["country"]),
        "section_id": countries["section_id"].astype(str),
        "n_assessments": countries["n_assessments"].astype(int),
        "level": countries["median_level"].astype("Int64"),
    })
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
