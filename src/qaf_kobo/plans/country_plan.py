"""The country action plans: one row per country × action that at least one assessment of the country's latest
round needs (not one per assessment), prioritised, with what coordinators recorded for it (``store.actions``).

A criterion at level L (below the top) in an assessment needs the framework's actions for L → L+1
(``criterion.next_actions(L)``); when the framework lists none for that step, the step is one row with action
number 0, so that it is not lost. Per action: the agencies whose assessments need it, its priority
(``plans.priority``), and the tracked values, or else the defaults: stage Not started and a **suggested** expected
completion date: the day the action first appeared in a generated plan (kept in the store) plus the level's
horizon (``plans.horizons``). A date is **confirmed** once a person set it or gave the row a Responsible; only a
confirmed date can make an action overdue.

A tracked action that the latest round no longer needs stays in the plan (the Closed actions sheet), without a
priority and with a note: its target met, the criterion rated lower than the action's step, or not assessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from qaf_kobo.framework import Framework, transition
from qaf_kobo.framework.catalogue import action_id as catalogue_id
from qaf_kobo.plans.action_ids import action_id, country_key, parse_action_id
from qaf_kobo.plans.horizons import due_dates
from qaf_kobo.plans.priority import priorities
from qaf_kobo.plans.stages import CLOSED_STAGES, STAGES
from qaf_kobo.scoring import Scores
from qaf_kobo.scoring.round_tables import positions
from qaf_kobo.scoring.rounds import assessment_keys, round_of

PLAN_COLUMNS = (
    "country", "round", "action_id", "priority", "domain_id", "section_id", "criterion_id", "action_key",
    "current_level", "target_level", "n_agencies", "agencies", "responsible_section", "responsible_person",
    "expected_completion", "date_confirmed", "stage", "action_taken", "last_updated", "stage_changed_at", "first_seen",
    "needed", "note", "overdue",
)
"""``action_key``: the action's catalogue id ("" when none is listed); ``stage``: a key of STAGES;
``date_confirmed``: the date was set by a person or the row has a Responsible (else it is a suggestion);
``stage_changed_at``: when the stage was last set (naive UTC; NaT: never); ``first_seen``: the day the action first
appeared in a generated plan; ``needed``: the latest round needs it; ``note``: "" (needed), ``met``, ``lower`` or
``not_assessed``; ``overdue``: needed, its date confirmed and before the report date, neither completed nor
cancelled."""
AGENCY_SEPARATOR = "; "


def framework_actions(fw: Framework) -> pd.DataFrame:
    """Every action of the framework: criterion_id, level (the step's start), k (0: none listed), action_key,
    section_id, domain_id, criterion_order (position in the framework)."""
    rows = []
    order = 0
    for section in fw.sections:
        domain = fw.domain_of(section.id).id
        for criterion in section.criteria:
            for level in fw.level_codes[:-1]:
                count = len(criterion.next_actions(level))
                for k in range(1, count + 1) if count else (0,):
                    key = catalogue_id(criterion.id, transition(level), k) if k else ""
                    rows.append((criterion.id, level, k, key, section.id, domain, order))
            order += 1
    return pd.DataFrame(rows, columns=["criterion_id", "level", "k", "action_key", "section_id", "domain_id",
                                       "criterion_order"])


def latest_round_levels(scores: Scores, rounds: pd.DataFrame) -> pd.DataFrame:
    """The distinct (country, criterion_id, level, agency) of the criteria rated in every country's latest round
    (agency "" when missing) — all the plans need of the long criteria table, found on integer codes."""
    keys = assessment_keys(scores.assessments).reset_index()
    chosen = keys.merge(round_of(rounds, 0)[["country", "round"]], on=["country", "round"])
    country_codes, countries = pd.factorize(chosen["country"])
    criteria = scores.criteria
    rows = positions(criteria["root_uuid"], pd.Index(chosen["root_uuid"], dtype=object))
    levels = pd.to_numeric(criteria["level"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    keep = (rows >= 0) & ~np.isnan(levels)
    criterion_codes, criterion_ids = pd.factorize(criteria["criterion_id"])
    agency_codes, agencies = pd.factorize(criteria["agency"])
    parts = (country_codes[rows[keep]], criterion_codes[keep], levels[keep].astype(np.int64), agency_codes[keep] + 1)
    sizes = (len(countries), max(len(criterion_ids), 1), int(np.nanmax(levels, initial=0)) + 1, len(agencies) + 1)
    distinct = np.unique(np.ravel_multi_index(parts, sizes)) if len(parts[0]) else np.array([], dtype=np.int64)
    country, criterion, level, agency = np.unravel_index(distinct, sizes)
    names = np.array(["", *(str(a).strip() for a in agencies)], dtype=object)
    return pd.DataFrame({
        "country": np.asarray(countries, dtype=object)[country],
        "criterion_id": np.asarray(criterion_ids, dtype=object).astype(str)[criterion] if len(criterion_ids) else [],
        "level": level.astype(int),
        "agency": names[agency],
    })


def _needs(latest: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Per country × criterion × level below the top: n_agencies and agencies (names)."""
    below = latest[latest["level"].between(1, len(fw.levels) - 1)]
    grouped = below.groupby(["country", "criterion_id", "level"], sort=False)
    names = grouped["agency"].agg(lambda values: AGENCY_SEPARATOR.join(sorted(v for v in set(values) if v)))
    return pd.DataFrame({"n_agencies": grouped["agency"].nunique(), "agencies": names}).reset_index()


def _tracked(tracking: pd.DataFrame | None) -> pd.DataFrame:
    """The tracked values by action id, typed: dates as datetime64, times as naive UTC datetime64."""
    texts = ("responsible_section", "responsible_person", "stage", "action_taken")
    if tracking is None or tracking.empty:
        empty = {c: pd.Series(dtype=object) for c in ("action_id", *texts)}
        flags = {c: pd.Series(dtype=bool) for c in ("date_set",)}
        dates = {c: pd.Series(dtype="datetime64[us]") for c in ("expected_completion", "last_updated",
                                                                 "stage_changed_at")}
        return pd.DataFrame(empty | flags | dates).set_index("action_id")

    def utc(column: str) -> pd.Series:
        return pd.to_datetime(tracking[column], errors="coerce", utc=True).dt.tz_convert(None)

    stage = tracking["stage"]
    frame = pd.DataFrame({
        "action_id": tracking["action_id"].astype(str),
        "responsible_section": tracking["responsible_section"],
        "responsible_person": tracking["responsible_person"],
        "expected_completion": pd.to_datetime(tracking["expected_completion"], errors="coerce", format="%Y-%m-%d"),
        "date_set": tracking["expected_completion_set"].astype(bool),
        "stage": stage.where(stage.isin(STAGES), STAGES[0]),
        "action_taken": tracking["action_taken"],
        "last_updated": utc("updated_at"),
        "stage_changed_at": utc("stage_changed_at"),
    })
    return frame.drop_duplicates("action_id", keep="last").set_index("action_id")


def _no_longer_needed(tracked: pd.DataFrame, needed_ids: set[str], countries: list[str], latest: pd.DataFrame,
                      latest_rounds: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Tracked actions of these countries that the latest round does not need, with their note."""
    by_key = {country_key(c): c for c in countries}
    criteria = {c.id: c for c in fw.criteria}
    rows = []
    for ident in tracked.index:
        parts = parse_action_id(ident)
        if ident in needed_ids or parts is None or parts.country_key not in by_key or parts.criterion_id not in criteria:
            continue
        rows.append((by_key[parts.country_key], ident, parts.criterion_id, parts.level, parts.k))
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows, columns=["country", "action_id", "criterion_id", "level", "k"])
    lowest = latest.groupby(["country", "criterion_id"])["level"].min()
    current = pd.Series([lowest.get((c, i), pd.NA) for c, i in zip(frame["country"], frame["criterion_id"])],
                        dtype="Int64")
    frame["current_level"] = current.to_numpy()
    frame["target_level"] = frame["level"] + 1
    frame["note"] = np.select(
        [current.isna().to_numpy(), (current >= frame["target_level"]).fillna(False).to_numpy(dtype=bool)],
        ["not_assessed", "met"], "lower")
    frame["n_agencies"] = 0
    frame["agencies"] = ""
    frame["needed"] = False
    frame["round"] = frame["country"].map(latest_rounds.set_index("country")["round"])
    return frame


def _given(values: pd.Series) -> pd.Series:
    """Whether each value is non-blank text."""
    return values.astype(object).map(lambda v: isinstance(v, str) and bool(v.strip()))


def country_plans(scores: Scores, fw: Framework, rounds: pd.DataFrame, tracking: pd.DataFrame | None, months: dict[int, int],
                  today: dt.date, first_seen: Mapping[str, dt.date] | None = None) -> pd.DataFrame:
    """The plans of every country (PLAN_COLUMNS): per country the needed actions by priority, then the tracked
    ones no longer needed, in framework order. ``first_seen``: the day each action first appeared in a generated
    plan (``store.actions.read_first_seen``); an action not in it appears ``today``."""
    latest_rounds = round_of(rounds, 0)
    latest = latest_round_levels(scores, rounds)
    actions = framework_actions(fw)
    needed = _needs(latest, fw).merge(actions, on=["criterion_id", "level"], how="inner")
    needed["action_id"] = [action_id(c, i, lv, k) for c, i, lv, k in
                           zip(needed["country"], needed["criterion_id"], needed["level"], needed["k"])]
    needed["current_level"] = needed["level"]
    needed["target_level"] = needed["level"] + 1
    needed["needed"] = True
    needed["note"] = ""
    needed = needed.rename(columns={"k": "action_k"})
    needed["priority"] = priorities(needed)
    needed = needed.merge(latest_rounds[["country", "round", "latest_date"]], on="country", how="left")
    seen = first_seen or {}
    needed["first_seen"] = pd.to_datetime([seen.get(i, today) for i in needed["action_id"]]).astype("datetime64[us]")
    needed["default_date"] = due_dates(needed["first_seen"], needed["level"], months)

    tracked = _tracked(tracking)
    countries = sorted(latest_rounds["country"])
    gone = _no_longer_needed(tracked, set(needed["action_id"]), countries, latest, latest_rounds, fw)
    if not gone.empty:
        gone = gone.rename(columns={"k": "action_k"}).merge(
            actions.rename(columns={"k": "action_k"}), on=["criterion_id", "level", "action_k"], how="left")
        gone["action_key"] = gone["action_key"].fillna("")
        gone["priority"] = pd.NA
        gone["default_date"] = pd.NaT
        gone["first_seen"] = pd.to_datetime([seen.get(i) for i in gone["action_id"]]).astype("datetime64[us]")
    plan = pd.concat([needed, gone], ignore_index=True) if not gone.empty else needed
    plan["priority"] = pd.array(plan["priority"], dtype="Int64")
    plan["current_level"] = pd.array(plan["current_level"], dtype="Int64")

    known = plan["action_id"].isin(tracked.index).to_numpy()
    values = tracked.reindex(plan["action_id"])
    for name in ("responsible_section", "responsible_person", "action_taken"):
        plan[name] = values[name].to_numpy()
    plan["stage"] = np.where(known, values["stage"].to_numpy(), STAGES[0])
    date_set = values["date_set"].fillna(False).to_numpy(dtype=bool)
    plan["expected_completion"] = np.where(date_set, values["expected_completion"].to_numpy(dtype="datetime64[us]"),
                                           plan["default_date"].to_numpy(dtype="datetime64[us]"))
    plan["last_updated"] = values["last_updated"].to_numpy(dtype="datetime64[us]")
    plan["stage_changed_at"] = values["stage_changed_at"].to_numpy(dtype="datetime64[us]")
    assigned = (_given(plan["responsible_section"]) | _given(plan["responsible_person"])).to_numpy(dtype=bool)
    due = plan["expected_completion"]
    plan["date_confirmed"] = (date_set | assigned) & due.notna().to_numpy(dtype=bool)
    plan["overdue"] = (plan["needed"].astype(bool) & plan["date_confirmed"] & (due < pd.Timestamp(today))
                       & ~plan["stage"].isin(CLOSED_STAGES)).to_numpy(dtype=bool)
    plan = plan.sort_values(["country", "needed", "priority", "criterion_order", "level", "action_k"],
                            ascending=[True, False, True, True, True, True], na_position="last", kind="stable")
    return plan.loc[:, list(PLAN_COLUMNS)].reset_index(drop=True)
