"""A country's profile in figures (its latest and previous round, levels against the regional median, sections per
level, action progress) and the sentences a coordinator can paste into a report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from qaf_kobo.framework import Framework
from qaf_kobo.plans.stages import STAGES
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.wording import Wording

UP, DOWN, SAME = "↑", "↓", "="
PROGRESS = (*STAGES, "overdue", "no_longer_needed")
"""The rows of the action progress: each stage (needed actions), overdue ones (also counted in their stage), and
tracked actions no longer needed."""


def change(latest: object, previous: object) -> str:
    """↑, ↓ or = from the previous level to the latest; "" when either is missing."""
    if latest is None or previous is None or pd.isna(latest) or pd.isna(previous):
        return ""
    return UP if latest > previous else DOWN if latest < previous else SAME


@dataclass(frozen=True)
class CountryFigures:
    """The figures of one country's profile. Levels are codes (None: not assessed); ``sections`` and ``domains``
    have columns latest, previous, regional (Int64) indexed by id."""

    country: str
    latest_round: str
    previous_round: str | None
    n_assessments: int
    latest_date: pd.Timestamp
    sections: pd.DataFrame
    domains: pd.DataFrame
    progress: dict[str, int]
    n_actions: int
    n_lowest: int

    def meeting(self, fw: Framework, column: str = "latest") -> int | None:
        """Sections at the minimum level or above in the latest (or previous) round; None without that round."""
        if column == "previous" and self.previous_round is None:
            return None
        return int((self.sections[column] >= fw.minimum).fillna(False).sum())

    def moved(self) -> tuple[list[str], list[str], int]:
        """Section ids that improved and that fell since the previous round, and how many stayed."""
        arrows = [change(a, b) for a, b in zip(self.sections["latest"], self.sections["previous"])]
        ids = list(self.sections.index)
        return ([i for i, a in zip(ids, arrows) if a == UP], [i for i, a in zip(ids, arrows) if a == DOWN],
                sum(a == SAME for a in arrows))

    def per_level(self, fw: Framework) -> pd.DataFrame:
        """Sections per level (rows: level codes, then 0 for not assessed) in the latest and previous round."""
        rows = [*fw.level_codes, 0]
        out = {}
        for column in ("latest", "previous"):
            levels = self.sections[column].fillna(0).astype(int)
            out[column] = levels.value_counts().reindex(rows, fill_value=0)
        frame = pd.DataFrame(out)
        if self.previous_round is None:
            frame["previous"] = pd.NA
        return frame


def _levels(levels: pd.DataFrame, key: str, ids: list[str], country: str, rounds: tuple[str, str | None],
            regional: pd.Series) -> pd.DataFrame:
    mine = levels[levels["country"] == country]
    out = pd.DataFrame(index=pd.Index(ids, name=key))
    for column, round_ in zip(("latest", "previous"), rounds):
        chosen = mine[mine["round"] == round_].set_index(key)["level"] if round_ is not None else pd.Series(dtype="Int64")
        out[column] = pd.array(chosen.reindex(ids), dtype="Int64")
    out["regional"] = pd.array(regional.reindex(ids), dtype="Int64")
    return out


def country_figures(data: ReportData, country: str, fw: Framework) -> CountryFigures:
    """The figures of ``country`` (one of ``data``'s countries)."""
    rounds = data.rounds[data.rounds["country"] == country].set_index("from_latest")
    latest = rounds.loc[0]
    previous = str(rounds.loc[1, "round"]) if 1 in rounds.index else None
    pair = (str(latest["round"]), previous)
    plan = data.plans[data.plans["country"] == country]
    needed = plan[plan["needed"]]
    progress = {stage: int((needed["stage"] == stage).sum()) for stage in STAGES}
    progress["overdue"] = int(needed["overdue"].sum())
    progress["no_longer_needed"] = int((~plan["needed"]).sum())
    return CountryFigures(
        country, pair[0], previous, int(latest["n_assessments"]), latest["latest_date"],
        _levels(data.levels.sections, "section_id", [s.id for s in fw.sections], country, pair,
                data.levels.regional_sections),
        _levels(data.levels.domains, "domain_id", [d.id for d in fw.domains], country, pair,
                data.levels.regional_domains),
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
    if previous is None:
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
