"""A country's profile as the sheets show it: its latest and previous round's figures picked from the scores'
per-round tables, its plan's progress, and the sentences a coordinator can paste into a report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from qaf_kobo.framework import Framework
from qaf_kobo.plans.progress import PROGRESS, PlanProgress, plan_progress
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.wording import Wording

UP, DOWN, SAME = "↑", "↓", "="
__all__ = ["PROGRESS", "CountryFigures", "change", "country_figures", "summary_sentences"]


def change(latest: object, previous: object) -> str:
    """↑, ↓ or = from the previous level to the latest; "" when either is missing."""
    if latest is None or previous is None or pd.isna(latest) or pd.isna(previous):
        return ""
    new, old = float(latest), float(previous)  # type: ignore[arg-type]
    return UP if new > old else DOWN if new < old else SAME


@dataclass(frozen=True)
class CountryFigures:
    """The figures of one country's profile, read from the scores' per-round tables (``scoring.round_tables``):
    ``latest`` and ``previous`` are rows of the rounds table (previous None without an earlier round); ``sections``
    and ``domains`` have columns latest, previous, regional (Int64 level codes) indexed by id; ``progress`` and the
    action counts come from the country's plan."""

    country: str
    latest: pd.Series
    previous: pd.Series | None
    sections: pd.DataFrame
    domains: pd.DataFrame
    progress: PlanProgress
    n_actions: int
    n_lowest: int

    @property
    def latest_round(self) -> str:
        return str(self.latest["round"])

    @property
    def previous_round(self) -> str | None:
        return None if self.previous is None else str(self.previous["round"])

    @property
    def n_assessments(self) -> int:
        return int(self.latest["n_assessments"])

    @property
    def latest_date(self) -> pd.Timestamp:
        return self.latest["latest_date"]

    def meeting(self, fw: Framework, column: str = "latest") -> int | None:
        """Sections at the minimum level or above in the latest (or previous) round; None without that round."""
        row = self.latest if column == "latest" else self.previous
        return None if row is None else int(row["n_meeting_minimum"])

    def moved(self) -> tuple[list[str], list[str], int]:
        """Section ids that improved and that fell since the previous round, and how many stayed."""
        arrows = [change(a, b) for a, b in zip(self.sections["latest"], self.sections["previous"])]
        ids = list(self.sections.index)
        return ([i for i, a in zip(ids, arrows) if a == UP], [i for i, a in zip(ids, arrows) if a == DOWN],
                sum(a == SAME for a in arrows))

    def per_level(self, fw: Framework) -> pd.DataFrame:
        """Sections per level (rows: level codes, then 0 for not assessed) in the latest and previous round."""
        names = [f"n_{level.name}" for level in fw.levels] + ["n_not_assessed"]
        frame = pd.DataFrame({"latest": [int(self.latest[n]) for n in names]}, index=[*fw.level_codes, 0])
        frame["previous"] = [int(self.previous[n]) for n in names] if self.previous is not None else pd.NA
        return frame


def _levels(table: pd.DataFrame, level: str, key: str, ids: list[str], country: str, rounds: tuple[str, str | None],
            regional: pd.Series) -> pd.DataFrame:
    mine = table[table["country"] == country]
    out = pd.DataFrame(index=pd.Index(ids, name=key))
    for column, round_ in zip(("latest", "previous"), rounds):
        chosen = mine[mine["round"] == round_].set_index(key)[level] if round_ is not None else pd.Series(dtype="Int64")
        out[column] = pd.array(chosen.reindex(ids), dtype="Int64")
    out["regional"] = pd.array(regional.reindex(ids), dtype="Int64")
    return out


def country_figures(data: ReportData, country: str, fw: Framework) -> CountryFigures:
    """The figures of ``country`` (one of ``data``'s countries)."""
    rounds = data.rounds[data.rounds["country"] == country].set_index("from_latest")
    latest = rounds.loc[0]
    previous = rounds.loc[1] if 1 in rounds.index else None
    pair = (str(latest["round"]), None if previous is None else str(previous["round"]))
    plan = data.plans[data.plans["country"] == country]
    needed = plan[plan["needed"]]
    progress = plan_progress(plan, None if previous is None else previous["latest_date"])
    return CountryFigures(
        country, latest, previous,
        _levels(data.scores.countries, "median_level", "section_id", [s.id for s in fw.sections], country, pair,
                data.regional_sections),
        _levels(data.scores.country_domains, "level", "domain_id", [d.id for d in fw.domains], country, pair,
                data.regional_domains),
        progress, len(needed), int((needed["current_level"] == fw.level_codes[0]).sum()),
    )


def _listed(ids: list[str]) -> str:
    return f"{len(ids)} ({', '.join(ids)})" if ids else "0"


def summary_sentences(figures: CountryFigures, fw: Framework, words: Wording, report_date: dt.date) -> list[str]:
    """Two or three sentences: sections meeting the minimum (and against the previous round), which moved, and the
    action plan's size and progress."""
    total = len(figures.sections)
    n, previous = figures.meeting(fw), figures.meeting(fw, "previous")
    values = {"n": str(n), "total": words.count("sections", total), "round": words.round_label(figures.latest_round)}
    if n is None or previous is None:
        sentences = [words("report.profile.minimum_first", **values)]
    else:
        kind = "up" if n > previous else "down" if n < previous else "same"
        sentences = [words(f"report.profile.minimum_{kind}", **values, previous=str(previous),
                           previous_round=words.round_label(figures.previous_round))]
        improved, fell, same = figures.moved()
        sentences.append(words("report.profile.changes", previous_round=words.round_label(figures.previous_round),
                               improved=_listed(improved), fell=_listed(fell), same=str(same)))
    if figures.n_actions:
        sentences.append(words(
            "report.profile.actions", n=words.count("actions", figures.n_actions), lowest_n=str(figures.n_lowest),
            lowest=words.level(fw.level_codes[0]), completed=str(figures.progress["completed"]),
            underway=str(figures.progress["underway"]), overdue=str(figures.progress["overdue"]),
            date=report_date.isoformat()))
    else:
        sentences.append(words("report.profile.no_actions", round=words.round_label(figures.latest_round),
                               top=words.level(fw.level_codes[-1])))
    return sentences
