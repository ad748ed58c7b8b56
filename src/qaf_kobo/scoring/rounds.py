"""The rounds of each country, in time order: rounds are free text, so they are ordered by their latest
assessment date (a round without dates first, ties by name); the last is the country's latest round."""

from __future__ import annotations

import pandas as pd

ROUND_COLUMNS = ("country", "round", "n_assessments", "latest_date", "position", "from_latest")
"""``position``: 1 for the country's earliest round …; ``from_latest``: 0 for the latest round, 1 for the previous."""


def labels(values: pd.Series) -> pd.Series:
    """Codes or round names as stripped text; missing as ""."""
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def country_rounds(assessments: pd.DataFrame) -> pd.DataFrame:
    """One row per country × round (ROUND_COLUMNS), sorted by country then time; assessments without a country
    are left out (their rows have no country to own a plan)."""
    frame = pd.DataFrame({
        "country": labels(assessments["country"]),
        "round": labels(assessments["round"]) if "round" in assessments else "",
        "assessment_date": pd.to_datetime(assessments["assessment_date"], errors="coerce"),
        "root_uuid": assessments["root_uuid"].astype(object),
    })
    frame = frame[frame["country"] != ""]
    grouped = frame.groupby(["country", "round"], sort=True)
    rounds = pd.DataFrame({
        "n_assessments": grouped["root_uuid"].nunique(),
        "latest_date": grouped["assessment_date"].max(),
    }).reset_index()
    rounds = rounds.sort_values(["country", "latest_date", "round"], na_position="first", kind="stable")
    rounds["position"] = rounds.groupby("country").cumcount() + 1
    rounds["from_latest"] = rounds.groupby("country")["position"].transform("max") - rounds["position"]
    return rounds.loc[:, list(ROUND_COLUMNS)].reset_index(drop=True)


def round_of(rounds: pd.DataFrame, from_latest: int) -> pd.DataFrame:
    """Per country, its latest round (``from_latest=0``) or the one before (1): country, round, latest_date."""
    chosen = rounds[rounds["from_latest"] == from_latest]
    return chosen.loc[:, ["country", "round", "n_assessments", "latest_date"]].reset_index(drop=True)
