"""Pure summaries for the report sheets: section ratings, the per-country overview, level counts per section, heat map.

A section's rating is the assessor's assessed level, or the computed level when none was assessed. Where several
assessments meet in one heat-map cell, the cell shows their lower median: the middle level, and with an even
number of assessments the lower of the two middle levels (the more cautious one).
"""

from __future__ import annotations

import pandas as pd

from qaf_kobo.framework import Framework

LEVEL_CODES = (1, 2, 3, 4)
MEETS_MINIMUM = 3


def has_rounds(assessments: pd.DataFrame) -> bool:
    """True when any assessment names a round."""
    return "round" in assessments and bool(_round_labels(assessments["round"]).ne("").any())


def _round_labels(rounds: pd.Series) -> pd.Series:
    return rounds.astype(object).where(rounds.notna(), "").astype(str).str.strip()


def section_ratings(scores) -> pd.DataFrame:
    """root_uuid, country, round, section_id, level (nullable Int 1–4): assessed, falling back to computed."""
    sections = scores.sections
    assessed = pd.to_numeric(sections["assessed_level"], errors="coerce")
    computed = pd.to_numeric(sections["computed_level"], errors="coerce")
    out = sections[["root_uuid", "country", "section_id"]].copy()
    out["round"] = _round_labels(sections["round"]) if "round" in sections else ""
    out["level"] = assessed.where(assessed.between(1, 4), computed.where(computed.between(1, 4))).astype("Int64")
    return out


def lower_median(levels: pd.DataFrame, by: list[str]) -> pd.Series:
    """The lower median of ``level`` per group of ``by`` (groups without any level are absent)."""
    rated = levels.dropna(subset=["level"]).sort_values(by + ["level"], kind="stable")
    if rated.empty:
        return pd.Series(dtype="Int64", index=pd.MultiIndex.from_tuples([], names=by) if len(by) > 1 else None)
    position = rated.groupby(by, sort=False).cumcount()
    size = rated.groupby(by, sort=False)["level"].transform("size")
    middle = rated[position == (size - 1) // 2]
    return middle.set_index(by)["level"].astype("Int64")


def _level_counts(ratings: pd.DataFrame, by: str) -> pd.DataFrame:
    counts = pd.crosstab(ratings[by], ratings["level"].fillna(0).astype(int))
    counts = counts.reindex(columns=[*LEVEL_CODES, 0], fill_value=0)
    counts.columns = [f"n_{c}" for c in LEVEL_CODES] + ["n_none"]
    rated = counts[[f"n_{c}" for c in LEVEL_CODES]].sum(axis=1)
    counts["share_meets_minimum"] = (counts["n_3"] + counts["n_4"]) / rated.where(rated > 0)
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
    """Round (blocks), country, country_name, n_assessments, then the lower-median level of every section by id."""
    ratings = section_ratings(scores)
    assessments = scores.assessments
    keys = pd.DataFrame({
        "round": _round_labels(assessments["round"]) if "round" in assessments else "",
        "country": assessments["country"],
        "country_name": assessments["country_name"],
        "root_uuid": assessments["root_uuid"],
    })
    rows = keys.groupby(["round", "country"], dropna=False).agg(
        country_name=("country_name", "first"), n_assessments=("root_uuid", "nunique")
    )
    medians = lower_median(ratings, ["round", "country", "section_id"])
    if len(medians):
        rows = rows.join(medians.unstack("section_id"), how="left")
    for section in fw.sections:
        if section.id not in rows:
            rows[section.id] = pd.NA
        rows[section.id] = rows[section.id].astype("Int64")
    return rows.reset_index().loc[:, ["round", "country", "country_name", "n_assessments", *[s.id for s in fw.sections]]]
