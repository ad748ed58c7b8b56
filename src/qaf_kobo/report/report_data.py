"""What a workbook shows, prepared once per run: the scores, each country's rounds and levels, the country action
plans (with what the store tracks), the horizons, and when the report was written. A country's workbook gets
its own part; the regional medians stay those of every country in the report."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from qaf_kobo.framework import Framework
from qaf_kobo.plans.country_plan import country_plans
from qaf_kobo.plans.horizons import default_horizons
from qaf_kobo.scoring import Scores
from qaf_kobo.scoring.country_levels import CountryLevels, country_levels
from qaf_kobo.scoring.rounds import country_rounds

_FRAMES = ("assessments", "criteria", "sections", "domains", "quality", "indicators")
_BY_COUNTRY = ("countries", "country_indicators", "indicators_export")


def limit_to_assessments(scores: Scores, root_uuids: set[str], countries: list[str] | None = None) -> Scores:
    """The same Scores with only these assessments (and their rows in every table); the tables by country keep
    ``countries`` (default: every country of these assessments)."""
    changes = {name: getattr(scores, name)[getattr(scores, name)["root_uuid"].isin(root_uuids)] for name in _FRAMES}
    if countries is None:
        countries = list(changes["assessments"]["country"].dropna().unique())
    changes |= {name: getattr(scores, name)[getattr(scores, name)["country"].isin(countries)] for name in _BY_COUNTRY}
    return dataclasses.replace(scores, **changes)


def limit_to_countries(scores: Scores, countries: list[str]) -> Scores:
    """The same Scores with only these countries' assessments (and their rows in every table)."""
    keep = set(scores.assessments.loc[scores.assessments["country"].isin(countries), "root_uuid"])
    return limit_to_assessments(scores, keep, countries)


@dataclass(frozen=True)
class ReportData:
    """Everything one workbook shows (see the module's docstring). ``generated_at`` is UTC, to the second."""

    scores: Scores
    rounds: pd.DataFrame
    levels: CountryLevels
    plans: pd.DataFrame
    horizons: dict[int, int]
    generated_at: dt.datetime
    report_date: dt.date
    country: str | None = None
    """The country of a country workbook; None for the regional one."""

    def for_country(self, country: str) -> ReportData:
        """This country's part (its workbook)."""
        return dataclasses.replace(
            self, scores=limit_to_countries(self.scores, [country]), rounds=self.rounds[self.rounds["country"] == country],
            levels=self.levels.of([country]), plans=self.plans[self.plans["country"] == country], country=country)


def report_data(scores: Scores, fw: Framework, tracking: pd.DataFrame | None = None,
                horizons: dict[int, int] | None = None, generated_at: dt.datetime | None = None,
                report_date: dt.date | None = None, first_seen: Mapping[str, dt.date] | None = None) -> ReportData:
    """Prepare the regional report's data (``tracking``: the store's tracked actions, ``first_seen``: the day each
    action first appeared in a plan, both from ``store.actions``)."""
    moment = (generated_at or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(microsecond=0)
    day = report_date or moment.date()
    months = horizons or default_horizons(fw)
    rounds = country_rounds(scores.assessments)
    return ReportData(scores, rounds, country_levels(scores, fw, rounds),
                      country_plans(scores, fw, rounds, tracking, months, day, first_seen), months, moment, day)
