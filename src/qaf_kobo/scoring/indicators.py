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
    (a long table: row position, field, text)."""
    fields = [f.name for f in fw.evidence.fields]
    text = pick_fields(raw, fields).reset_index(drop=True)
    values = text.apply(pd.to_numeric, errors="coerce").astype(float)
    bad = text.notna() & values.isna()
    unreadable = bad.stack().loc[lambda s: s].index.to_frame(index=False, name=["position", "field"])
    unreadable["text"] = [text.at[p, f] for p, f in zip(unreadable["position"], unreadable["field"])]
    for ratio in fw.evidence.ratios:
        denominator = values[ratio.denominator].where(values[ratio.denominator] > 0)
        values[ratio.name] = (values[ratio.numerator] / denominator).round(1)
    return values, unreadable


def indicator_table(values: pd.DataFrame, assessments: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """One row per assessment × indicator (INDICATOR_COLUMNS); ``values`` in the order of ``assessments``."""
    keys = assessments[["root_uuid", "country", "round", "assessment_date"]].reset_index(drop=True)
    parts = []
    for indicator in fw.evidence.indicators:
        value = values[indicator.value].to_numpy(dtype=float)
        met = np.where(np.isnan(value), "unknown", np.where(_meets(indicator, value), "met", "not_met"))
        parts.append(keys.assign(indicator_id=indicator.id, value=value, target=float(indicator.target),
                                 direction=_direction(indicator), status=met))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("value", "target") else "str") for c in INDICATOR_COLUMNS})
    return pd.concat(parts, ignore_index=True)[list(INDICATOR_COLUMNS)]


def _meets(indicator: Indicator, value: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if indicator.maximum is not None:
            return value <= indicator.maximum
        return value >= indicator.minimum


def country_indicators(indicators: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Per country × round × indicator: assessments, how many gave the figure, their median value, the target and
    whether the median meets it (COUNTRY_INDICATOR_COLUMNS)."""
    if indicators.empty:
        return pd.DataFrame(columns=list(COUNTRY_INDICATOR_COLUMNS))
    grouped = indicators.groupby(["country", "round", "indicator_id"], dropna=False, sort=True, observed=True)
    out = grouped.agg(n_assessments=("root_uuid", "size"), n_with_value=("value", "count"), value=("value", "median"),
                      target=("target", "first"), direction=("direction", "first")).reset_index()
    by_id = {i.id: i for i in fw.evidence.indicators}
    value = out["value"].to_numpy(dtype=float)
    met = np.array([_meets(by_id[i], np.array([v]))[0] for i, v in zip(out["indicator_id"], value)], dtype=bool)
    out["status"] = np.where(np.isnan(value), "unknown", np.where(met, "met", "not_met"))
    order = {i.id: n for n, i in enumerate(fw.evidence.indicators)}
    out = out.sort_values(["country", "round", "indicator_id"], key=lambda s: s.map(order) if s.name == "indicator_id" else s)
    return out[list(COUNTRY_INDICATOR_COLUMNS)].reset_index(drop=True)


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
    rows: list[tuple[str, str, str]] = []
    by_id = {i.id: i for i in fw.evidence.indicators}
    rated = criteria[["root_uuid", "criterion_id", "level"]].astype({"root_uuid": "str", "criterion_id": "str"})
    for check in fw.evidence.cross_checks:
        indicator = by_id[check.indicator]
        levels = rated.loc[rated["criterion_id"] == check.criterion_id, ["root_uuid", "level"]]
        levels = levels[levels["level"].fillna(NO_LEVEL).astype(int).isin(check.levels)]
        missed = indicators.loc[(indicators["indicator_id"] == check.indicator) & (indicators["status"] == "not_met"),
                                ["root_uuid", "value"]].astype({"root_uuid": "str"})
        for root_uuid, level, value in levels.merge(missed, on="root_uuid").itertuples(index=False):
            bound = "at most" if indicator.maximum is not None else "at least"
            rows.append((root_uuid, NOT_SUPPORTED,
                         f"criterion {check.criterion_id} at {fw.level(int(level)).label}, but {indicator.label.lower()} "
                         f"is {_number(value)} (target: {bound} {_number(indicator.target)})"))
    return pd.DataFrame(rows, columns=["root_uuid", "check", "detail"]).astype("str")


def unreadable_findings(unreadable: pd.DataFrame, assessments: pd.DataFrame) -> pd.DataFrame:
    """Findings for evidence answers that are not numbers (kept as unknown)."""
    ids = assessments["root_uuid"].astype("str").to_numpy()
    return pd.DataFrame({
        "root_uuid": ids[unreadable["position"].to_numpy(dtype=int)] if len(unreadable) else [],
        "check": INVALID_FIGURE,
        "detail": [f"{field} '{text}' is not a number (taken as unknown)"
                   for field, text in zip(unreadable["field"], unreadable["text"])],
    }).astype("str")
