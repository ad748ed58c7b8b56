"""Evidence behind the ratings: the framework's indicators per assessment and per country, and the cross-checks
of ratings against them (findings of the kind "rating not supported by the evidence").

An indicator is a figure the form asked for, or a ratio of two; unanswered, unreadable or a zero denominator is
unknown, never zero. A cross-check finds a criterion rated at one of its levels while its indicator is known and
misses the target. The rules are data (the framework's ``evidence``), not code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qaf_kobo.framework import Framework
from qaf_kobo.framework.model import Indicator
from qaf_kobo.scoring.fields import pick_fields
from qaf_kobo.scoring.finding_details import fill_one
from qaf_kobo.scoring.rules import NO_LEVEL

INDICATOR_COLUMNS: tuple[str, ...] = ("root_uuid", "country", "round", "assessment_date", "indicator_id", "value",
                                      "target", "direction", "status")
COUNTRY_INDICATOR_COLUMNS: tuple[str, ...] = ("country", "round", "indicator_id", "n_assessments", "n_with_value",
                                              "value", "target", "direction", "status")
EXPORT_COLUMNS: tuple[str, ...] = ("country", "indicator", "period", "value", "target")
STATUSES: tuple[str, ...] = ("met", "not_met", "unknown")
NOT_SUPPORTED = "rating_not_supported_by_evidence"
INVALID_FIGURE = "invalid_evidence_figure"


def _direction(indicator: Indicator) -> str:
    return "at_most" if indicator.maximum is not None else "at_least"


def _number(value: float) -> str:
    return f"{value:g}"


def figures(raw: pd.DataFrame, fw: Framework) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every figure and ratio of each submission as a float (NaN: unknown), and the answers that are not numbers
    (a long table: row position, field, text). Each column's distinct answers are parsed once."""
    fields = [f.name for f in fw.evidence.fields]
    text = pick_fields(raw, fields).reset_index(drop=True)
    values: dict[str, np.ndarray] = {}
    unreadable = []
    for name in fields:
        codes, distinct = pd.factorize(text[name])
        parsed = np.append(pd.to_numeric(pd.Series(distinct, dtype=object), errors="coerce").to_numpy(float), np.nan)
        values[name] = parsed[codes]  # code -1 (no answer) picks the appended NaN
        bad = np.flatnonzero((codes >= 0) & np.isnan(values[name]))
        unreadable.append(pd.DataFrame({"position": bad, "field": name, "text": distinct[codes[bad]].astype(str)}))
    for ratio in fw.evidence.ratios:
        denominator = np.where(values[ratio.denominator] > 0, values[ratio.denominator], np.nan)
        values[ratio.name] = np.round(values[ratio.numerator] / denominator, 1)
    found = pd.concat(unreadable, ignore_index=True) if unreadable else pd.DataFrame(columns=["position", "field", "text"])
    return pd.DataFrame(values, index=text.index), found


def _status(indicator: Indicator, value: np.ndarray) -> np.ndarray:
    """The position in STATUSES (met, not_met, unknown) of each value's status."""
    return np.where(np.isnan(value), 2, np.where(_meets(indicator, value), 0, 1)).astype(np.int8)


def indicator_table(values: pd.DataFrame, assessments: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """One row per assessment × indicator (INDICATOR_COLUMNS), indicator by indicator; ``values`` in the order of
    ``assessments``."""
    indicators = fw.evidence.indicators
    n, k = len(assessments), len(indicators)
    keys = {name: _codes(assessments[name].reset_index(drop=True)) for name in ("root_uuid", "country", "round")}
    out = pd.DataFrame({name: pd.Categorical.from_codes(np.tile(codes, k), categories=categories)
                        for name, (codes, categories) in keys.items()})
    out["assessment_date"] = np.tile(assessments["assessment_date"].to_numpy(), k)
    out["indicator_id"] = pd.Categorical.from_codes(np.repeat(np.arange(k), n), categories=[i.id for i in indicators])
    value = np.concatenate([values[i.value].to_numpy(dtype=float) for i in indicators]) if k else np.array([], float)
    out["value"] = value
    out["target"] = np.repeat([float(i.target) for i in indicators], n)
    out["direction"] = pd.Categorical.from_codes(np.repeat([_direction(i) == "at_least" for i in indicators], n).astype(int),
                                                 categories=["at_most", "at_least"])
    status = [_status(i, values[i.value].to_numpy(dtype=float)) for i in indicators]
    out["status"] = pd.Categorical.from_codes(np.concatenate(status) if k else np.array([], np.int8), categories=list(STATUSES))
    return out[list(INDICATOR_COLUMNS)]


def _meets(indicator: Indicator, value: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if indicator.maximum is not None:
            return value <= indicator.maximum
        return value >= indicator.minimum


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Category codes and categories of a key column (−1: missing), without re-factorising a categorical."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), values.cat.categories
    codes, uniques = pd.factorize(values)
    return codes, pd.Index(uniques)


def _group_medians(values: np.ndarray, group: np.ndarray, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group (0 … groups − 1): how many values are known, and their median (NaN when none)."""
    known = ~np.isnan(values)
    v, g = values[known], group[known]
    order = np.lexsort((v, g))
    v, g = v[order], g[order]
    count = np.bincount(g, minlength=groups)
    start = np.concatenate(([0], np.cumsum(count)[:-1]))
    low = np.clip(start + (count - 1) // 2, 0, max(len(v) - 1, 0))
    high = np.clip(start + count // 2, 0, max(len(v) - 1, 0))
    median = (v[low] + v[high]) / 2 if len(v) else np.full(groups, np.nan)
    return count, np.where(count > 0, median, np.nan)


def country_indicators(values: pd.DataFrame, assessments: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Per country × round × indicator: assessments, how many gave the figure, their median value, the target and
    whether the median meets it (COUNTRY_INDICATOR_COLUMNS), by country and round (missing ones last), in the
    framework's indicator order; ``values`` in the order of ``assessments``."""
    indicators = fw.evidence.indicators
    if not indicators or assessments.empty:
        return pd.DataFrame(columns=list(COUNTRY_INDICATOR_COLUMNS))
    (country, countries), (round_, rounds) = (_codes(assessments[name].reset_index(drop=True))
                                              for name in ("country", "round"))
    # Sorted by country then round, a missing one after the others.
    country_rank = np.append(np.argsort(np.argsort(countries.astype(str))), len(countries))[country]
    round_rank = np.append(np.argsort(np.argsort(rounds.astype(str))), len(rounds))[round_]
    key = country_rank * (len(rounds) + 1) + round_rank
    present, group = np.unique(key, return_inverse=True)
    sorted_countries = np.append(np.asarray(countries.astype(object))[np.argsort(countries.astype(str))],
                                 np.array([None], dtype=object))
    sorted_rounds = np.append(np.asarray(rounds.astype(object))[np.argsort(rounds.astype(str))],
                              np.array([None], dtype=object))
    size = np.bincount(group, minlength=len(present))
    k = len(indicators)
    counts, medians, statuses = [], [], []
    for indicator in indicators:
        count, median = _group_medians(values[indicator.value].to_numpy(dtype=float), group, len(present))
        counts.append(count)
        medians.append(median)
        statuses.append(_status(indicator, median))
    out = pd.DataFrame({
        "country": pd.Series(np.repeat(sorted_countries[present // (len(rounds) + 1)], k), dtype="str"),
        "round": np.repeat(sorted_rounds[present % (len(rounds) + 1)], k),
        "indicator_id": np.tile([i.id for i in indicators], len(present)),
        "n_assessments": np.repeat(size, k),
        "n_with_value": np.column_stack(counts).ravel(),
        "value": np.column_stack(medians).ravel(),
        "target": np.tile([float(i.target) for i in indicators], len(present)),
        "direction": np.tile([_direction(i) for i in indicators], len(present)),
        "status": np.array(STATUSES, dtype=object)[np.column_stack(statuses).ravel()],
    })
    return out[list(COUNTRY_INDICATOR_COLUMNS)]


def indicator_export(countries: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """The country indicators in long format for a coordination group's reporting tool: country, indicator (its
    English label), period (the round), value, target (EXPORT_COLUMNS)."""
    labels = {i.id: i.label for i in fw.evidence.indicators}
    return pd.DataFrame({
        "country": countries["country"].astype("str"),
        "indicator": countries["indicator_id"].map(labels),
        "period": countries["round"].astype("str"),
        "value": countries["value"],
        "target": countries["target"],
    })[list(EXPORT_COLUMNS)]


def cross_check_findings(indicators: pd.DataFrame, criteria: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Findings (root_uuid, check, detail) where a cross-checked criterion is rated at one of the check's levels
    while its indicator is known and not met."""
    parts = []
    by_id = {i.id: i for i in fw.evidence.indicators}
    for check in fw.evidence.cross_checks:
        indicator = by_id[check.indicator]
        missed = indicators.loc[(indicators["indicator_id"] == check.indicator).to_numpy()
                                & (indicators["status"] == "not_met").to_numpy(), ["root_uuid", "value"]]
        if missed.empty:
            continue
        rated = criteria.loc[(criteria["criterion_id"] == check.criterion_id).to_numpy(), ["root_uuid", "level"]]
        level = pd.Series(rated["level"].to_numpy(), index=rated["root_uuid"].astype("str").to_numpy())
        level = level[~level.index.duplicated()].reindex(missed["root_uuid"].astype("str").to_numpy())
        codes = level.fillna(NO_LEVEL).astype(int).to_numpy()
        hit = np.isin(codes, check.levels)
        if not hit.any():
            continue
        target = f"{'at most' if indicator.maximum is not None else 'at least'} {_number(indicator.target)}"
        names = {code: fw.level(code).label for code in check.levels}
        parts.append(pd.DataFrame({
            "root_uuid": missed["root_uuid"].astype("str").to_numpy()[hit],
            "check": NOT_SUPPORTED,
            "detail": [fill_one(NOT_SUPPORTED, criterion=check.criterion_id, level_label=names[code],
                                indicator=indicator.label.lower(), value=_number(value), target=target)
                       for code, value in zip(codes[hit], missed["value"].to_numpy()[hit])],
        }))
    if not parts:
        return pd.DataFrame(columns=["root_uuid", "check", "detail"]).astype("str")
    return pd.concat(parts, ignore_index=True).astype("str")


def unreadable_findings(unreadable: pd.DataFrame, assessments: pd.DataFrame) -> pd.DataFrame:
    """Findings for evidence answers that are not numbers (kept as unknown)."""
    ids = assessments["root_uuid"].astype("str").to_numpy()
    return pd.DataFrame({
        "root_uuid": ids[unreadable["position"].to_numpy(dtype=int)] if len(unreadable) else [],
        "check": INVALID_FIGURE,
        "detail": [fill_one(INVALID_FIGURE, field=field, text=answer) for field, answer in zip(unreadable["field"], unreadable["text"])],
    }).astype("str")
