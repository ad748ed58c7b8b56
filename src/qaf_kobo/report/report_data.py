"""What a workbook shows, prepared once per run: the scores (with their per-round tables), the regional medians, the
country action plans (with what the store tracks), the horizons, and when the report was written. A country's
workbook gets its own part; the regional medians stay those of every country in the report. No figure is computed
here: the rounds come from ``scoring.round_tables``, the plans from ``plans``."""

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
from qaf_kobo.scoring.round_tables import regional_levels, round_tables
from qaf_kobo.scoring.rules import DEFAULT_RULE

_FRAMES = ("assessments", "criteria", "sections", "domains", "quality", "indicators")
_BY_COUNTRY = ("rounds", "countries", "country_domains", "country_indicators", "indicators_export")


def _of_assessments(scores: Scores, root_uuids: set[str]) -> dict[str, pd.DataFrame]:
    return {name: getattr(scores, name)[getattr(scores, name)["root_uuid"].isin(root_uuids)] for name in _FRAMES}


def limit_to_assessments(scores: Scores, root_uuids: set[str], fw: Framework) -> Scores:
    """The same Scores with only these assessments (and their rows in every table); the per-round tables are
    counted again from them (a report as it was before the later assessments came)."""
    changes = _of_assessments(scores, root_uuids)
    countries = list(changes["assessments"]["country"].dropna().unique())
    changes |= {name: getattr(scores, name)[getattr(scores, name)["country"].isin(countries)] for name in _BY_COUNTRY}
    rule = str((scores.about or {}).get("rule") or DEFAULT_RULE)
    changes |= round_tables(changes["assessments"], changes["sections"], changes["domains"], fw, rule)
    return dataclasses.replace(scores, **changes)


def limit_to_countries(scores: Scores, countries: list[str]) -> Scores:
    """The same Scores with only these countries' assessments (and their rows in every table; a round is a
    country's, so the per-round tables keep their rows)."""
    keep = set(scores.assessments.loc[scores.assessments["country"].isin(countries), "root_uuid"])
    changes = _of_assessments(scores, keep)
    changes |= {name: getattr(scores, name)[getattr(scores, name)["country"].isin(countries)] for name in _BY_COUNTRY}
    return dataclasses.replace(scores, **changes)


def counted(scores: Scores) -> Scores:
    """The same Scores without the assessments left out of their round's figures (what the plans are made of)."""
    reasons = scores.assessments["left_out"].fillna("").astype(str)
    if not (reasons != "").any():
        return scores
    keep = set(scores.assessments.loc[(reasons == "").to_numpy(), "root_uuid"])
    return dataclasses.replace(scores, **_of_assessments(scores, keep))


@dataclass(frozen=True)
class ReportData:
    """Everything one workbook shows (see the module's docstring). ``generated_at`` is UTC, to the second."""

    scores: Scores
    regional_sections: pd.Series
    """Per section id, the lower median of the levels of every country's latest round in the report (Int64)."""
    regional_domains: pd.Series
    """Per domain id, the same over the domains' levels."""
    plans: pd.DataFrame
    horizons: dict[int, int]
    generated_at: dt.datetime
    report_date: dt.date
    country: str | None = None
    """The country of a country workbook; None for the regional one."""

    @property
    def rounds(self) -> pd.DataFrame:
        """The scores' rounds table (country × round)."""
        return self.scores.rounds

    def for_country(self, country: str) -> ReportData:
        """This country's part (its workbook)."""
        return dataclasses.replace(self, scores=limit_to_countries(self.scores, [country]),
                                   plans=self.plans[self.plans["country"] == country], country=country)


def report_data(scores: Scores, fw: Framework, tracking: pd.DataFrame | None = None,
                horizons: dict[int, int] | None = None, generated_at: dt.datetime | None = None,
                report_date: dt.date | None = None, first_seen: Mapping[str, dt.date] | None = None) -> ReportData:
    """Prepare the regional report's data (``tracking``: the store's tracked actions, ``first_seen``: the day each
    action first appeared in a plan, both from ``store.actions``)."""
    moment = (generated_at or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(microsecond=0)
    day = report_date or moment.date()
    months = horizons or default_horizons(fw)
    n = len(fw.levels)
    return ReportData(
        scores,
        regional_levels(scores.countries, scores.rounds, "median_level", "section_id", [s.id for s in fw.sections], n),
        regional_levels(scores.country_domains, scores.rounds, "level", "domain_id", [d.id for d in fw.domains], n),
        country_plans(counted(scores), fw, scores.rounds, tracking, months, day, first_seen), months, moment, day)
