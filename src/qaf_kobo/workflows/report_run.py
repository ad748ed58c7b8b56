"""``qaf-kobo report`` as a library call: score the store, then write the workbooks."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pandas as pd

from qaf_kobo.errors import QafError
from qaf_kobo.framework import Framework, default_framework
from qaf_kobo.framework.catalogue import ENGLISH, UI_PREFIXES
from qaf_kobo.output_files import REPORTS_OUT, output_folder
from qaf_kobo.plans.horizons import horizons as horizon_months
from qaf_kobo.report.wording import wording
from qaf_kobo.report.workbook import write_reports
from qaf_kobo.scoring import Scores, score
from qaf_kobo.scoring.rules import DEFAULT_RULE
from qaf_kobo.store import DEFAULT_STORE, open_store
from qaf_kobo.store.actions import read_first_seen, read_tracking, record_first_seen


def score_for_report(store_path: str | Path, countries: list[str] | None, rule: str, only_approved: bool,
                     fw: Framework, out_dir: str | Path | None = None) -> Scores:
    """Scores of the store, limited to ``countries``; when the store holds none of a country asked for, the whole
    store is scored so that ``write_reports`` can name the countries it does hold."""
    scores = score(store_path, rule=rule, only_approved=only_approved, countries=countries, fw=fw, out_dir=out_dir)
    wanted = {c.strip().upper() for c in countries or ()}
    if wanted - set(scores.assessments["country"].dropna().astype(str)):
        return score(store_path, rule=rule, only_approved=only_approved, fw=fw)
    return scores


def tracked_actions(store_path: str | Path) -> pd.DataFrame:
    """What the store tracks of the country action plans (``store.actions``), read without changing the store."""
    with open_store(store_path, read_only=True) as store:
        return read_tracking(store)


def first_seen_days(store_path: str | Path) -> dict[str, dt.date]:
    """The day each action first appeared in a generated plan, read without changing the store."""
    with open_store(store_path, read_only=True) as store:
        return read_first_seen(store)


def keep_first_seen(store_path: str | Path, day: dt.date) -> Callable[[pd.DataFrame], None]:
    """What ``write_reports`` calls with the plans: keeps ``day`` as the first appearance of the actions new to the
    store (their suggested dates count from it). A store that cannot be written keeps nothing, with a warning:
    their dates then count from each report's day."""
    def keep(plans: pd.DataFrame) -> None:
        try:
            with open_store(store_path, create=False) as store:
                record_first_seen(store, plans["action_id"], day)
        except QafError as exc:
            logging.getLogger("qaf_kobo").warning("the day new actions first appeared is not kept (%s)", exc)
    return keep


def fallback_warning(fw: Framework, lang: str) -> str | None:
    """A warning when the report language lacks some of the framework's strings (shown in English instead)."""
    missing = [key for key in wording(fw, lang).texts.missing if not key.startswith(UI_PREFIXES)]
    if not missing:
        return None
    return (f"{len(missing)} string(s) of {fw.title} have no {lang!r} translation and are shown in English "
            f"(e.g. {', '.join(missing[:3])})")


def build_reports(
    store_path: str | Path = DEFAULT_STORE,
    out_dir: str | Path = REPORTS_OUT,
    countries: list[str] | None = None,
    lang: str = ENGLISH,
    rule: str = DEFAULT_RULE,
    only_approved: bool = False,
    fw: Framework | None = None,
    horizons: Iterable[str] | Mapping[str, int] = (),
) -> list[Path]:
    """Score the submissions of ``store_path`` and write the regional and per-country workbooks into ``out_dir``,
    with the actions the store tracks; ``horizons`` overrides the default months per level (``["critical=2"]``).

    An unknown language, rule or level, or a country the store has no assessment of, raises QafError (naming the
    languages, rules, levels or countries there are).
    """
    fw = fw or default_framework()
    wording(fw, lang)  # an unknown language fails before any work
    output_folder(out_dir, store=store_path, create=False)  # and so does a folder that cannot hold the workbooks
    months = horizon_months(fw, horizons)
    scores = score_for_report(store_path, countries, rule, only_approved, fw)
    today = dt.date.today()
    return write_reports(scores, fw, out_dir, countries=countries, lang=lang, date=today,
                         tracking=tracked_actions(store_path), horizons=months,
                         first_seen=first_seen_days(store_path), on_plans=keep_first_seen(store_path, today))


def latest_round_lines(scores: Scores, fw: Framework) -> list[str]:
    """Per country, its latest round as the regional Overview shows it: sections meeting the minimum and the index,
    the previous round's in brackets."""
    lines = []
    for row in scores.rounds[scores.rounds["from_latest"] == 0].itertuples():
        previous = (f" ({row.previous_round}: {row.previous_n_meeting_minimum}, {row.previous_index:.1f})"
                    if pd.notna(row.previous_round) else "")
        lines.append(f"{row.country} {row.round}: {row.n_meeting_minimum} of {len(fw.sections)} sections, index "
                     f"{row.index:.1f}{previous}")
    return lines
