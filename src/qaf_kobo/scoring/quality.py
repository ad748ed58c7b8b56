"""Data-quality checks: one row per finding (root_uuid, check, detail). Bad input lands here, never in a crash."""

from __future__ import annotations

import numpy as np
import pandas as pd

from qaf_kobo.scoring.fields import SCOPES
from qaf_kobo.scoring.tidy import Tidy, known_country

QUALITY_COLUMNS: tuple[str, ...] = ("root_uuid", "check", "detail")
CHECKS: tuple[str, ...] = (
    "missing_field",
    "unknown_country",
    "date_out_of_range",
    "invalid_answer_code",
    "older_form_version",
    "criteria_not_assessed",
    "level_far_from_computed_without_reason",
    "duplicate_assessment",
)
REQUIRED_FIELDS: tuple[str, ...] = ("country", "agency", "assessment_date", "assessment_scope")
EARLIEST_DATE = pd.Timestamp("2015-01-01")


def _at(values: pd.Series, rows: np.ndarray) -> pd.Series:
    """The values at these row positions, as text."""
    return values.iloc[rows].astype("str").reset_index(drop=True)


def _findings(position: np.ndarray, check: str, detail: pd.Series | str) -> pd.DataFrame:
    """Findings of one check: the submission position (row of the submissions table) and the detail text."""
    return pd.DataFrame({"position": np.asarray(position, dtype=np.int64), "check": check, "detail": detail})


def _missing_fields(sub: pd.DataFrame) -> list[pd.DataFrame]:
    out = []
    for name in REQUIRED_FIELDS:
        source = sub["assessment_date_text"] if name == "assessment_date" else sub[name]
        out.append(_findings(np.flatnonzero(source.isna().to_numpy()), "missing_field", f"no {name}"))
    return out


def _unknown_countries(sub: pd.DataFrame) -> pd.DataFrame:
    rows = np.flatnonzero((sub["country"].notna() & ~known_country(sub["country"])).to_numpy())
    return _findings(rows, "unknown_country", "'" + _at(sub["country"], rows) + "' is not an ISO 3166-1 alpha-3 country code")


def _dates(sub: pd.DataFrame, today: pd.Timestamp) -> list[pd.DataFrame]:
    text, date = sub["assessment_date_text"], sub["assessment_date"]
    unreadable = np.flatnonzero((text.notna() & date.isna()).to_numpy())
    future = np.flatnonzero((date > today).to_numpy())
    early = np.flatnonzero((date < EARLIEST_DATE).to_numpy())
    return [
        _findings(unreadable, "date_out_of_range", "assessment_date '" + _at(text, unreadable) + "' is not a date (YYYY-MM-DD)"),
        _findings(future, "date_out_of_range", "assessment_date " + _at(text, future) + " is in the future"),
        _findings(early, "date_out_of_range", "assessment_date " + _at(text, early) + " is before 2015-01-01"),
    ]


def _invalid_codes(tidy: Tidy) -> list[pd.DataFrame]:
    criteria, answers, sub = tidy.criteria, tidy.section_answers, tidy.submissions
    n = max(len(sub), 1)
    bad = np.flatnonzero((criteria["status"] == "invalid").to_numpy())
    bad_level = np.flatnonzero((answers["assessed_answer"].notna() & answers["assessed_level"].isna()).to_numpy())
    scope = sub["assessment_scope"]
    bad_scope = np.flatnonzero((scope.notna() & ~scope.isin(SCOPES)).to_numpy())
    return [
        _findings(
            bad // (len(criteria) // n),
            "invalid_answer_code",
            "criterion " + _at(criteria["criterion_id"], bad) + ": answer '" + _at(criteria["answer"], bad) + "' is not 1-4 or na",
        ),
        _findings(
            bad_level // (len(answers) // n),
            "invalid_answer_code",
            "section " + _at(answers["section_id"], bad_level) + " assessed level: answer '"
            + _at(answers["assessed_answer"], bad_level) + "' is not 1-4",
        ),
        _findings(
            bad_scope,
            "invalid_answer_code",
            "assessment_scope '" + _at(scope, bad_scope) + f"' is not one of {', '.join(SCOPES)}",
        ),
    ]


def _older_versions(tidy: Tidy, current_version: str | None) -> pd.DataFrame:
    sub = tidy.submissions
    rows = np.flatnonzero(sub["older_version"].to_numpy(dtype=bool))
    n_in_form = pd.Series(tidy.criteria["in_form"].to_numpy().reshape(len(sub), -1).sum(axis=1) if len(sub) else [], dtype=int)
    detail = (
        "form version " + _at(sub["form_version"].fillna("(none)"), rows) + f" (current: {current_version}); scored on the "
        + _at(n_in_form, rows) + " criteria it has"
    )
    return _findings(rows, "older_form_version", detail)


def _not_assessed(tidy: Tidy) -> pd.DataFrame:
    """One finding per submission listing its criteria answered ``na`` or left unanswered (of those its form has)."""
    criteria, n = tidy.criteria, len(tidy.submissions)
    rows = np.flatnonzero((criteria["in_form"] & criteria["status"].isin(["not_assessed", "missing"])).to_numpy()) if n else []
    if not len(rows):
        return _findings(np.array([], dtype=np.int64), "criteria_not_assessed", pd.Series([], dtype="str"))
    position = rows // (len(criteria) // n)
    starts = np.flatnonzero(np.r_[True, position[1:] != position[:-1]])
    ids = criteria["criterion_id"].array
    listed_ids = np.array([f"{c}, " for c in ids.categories], dtype=object)[ids.codes[rows]]
    listed = pd.Series(np.add.reduceat(listed_ids, starts), dtype="str").str[:-2]
    counts = pd.Series(np.diff(np.r_[starts, len(rows)])).astype("str")
    return _findings(position[starts], "criteria_not_assessed", counts + " criteria not assessed (na or unanswered): " + listed)


def _far_levels(sections: pd.DataFrame, n: int) -> pd.DataFrame:
    gap = (sections["assessed_level"] - sections["computed_level"]).abs()
    rows = np.flatnonzero(((gap >= 2).fillna(False) & sections["why"].isna()).to_numpy())
    detail = (
        "section " + _at(sections["section_id"], rows) + ": assessed level " + _at(sections["assessed_level"], rows)
        + ", computed level " + _at(sections["computed_level"], rows) + ", no reason given"
    )
    return _findings(rows // (len(sections) // max(n, 1)), "level_far_from_computed_without_reason", detail)


def _duplicates(sub: pd.DataFrame) -> pd.DataFrame:
    keys = ["country", "agency", "assessment_scope", "assessment_date"]
    complete = sub[keys].notna().all(axis=1).to_numpy()
    size = pd.Series(0, index=sub.index)
    size[complete] = sub[complete].groupby(keys, observed=True)["root_uuid"].transform("size")
    rows = np.flatnonzero((size > 1).to_numpy())
    detail = (
        "same country, agency, scope and date (" + _at(sub["country"], rows) + ", " + _at(sub["agency"], rows) + ", "
        + _at(sub["assessment_scope"], rows) + ", " + _at(sub["assessment_date_text"], rows) + ") as "
        + _at(size - 1, rows) + " other submission(s)"
    )
    return _findings(rows, "duplicate_assessment", detail)


def quality_table(
    tidy: Tidy, sections: pd.DataFrame, current_version: str | None, today: pd.Timestamp | None = None
) -> pd.DataFrame:
    """All findings (QUALITY_COLUMNS), grouped by submission in submission order, then in CHECKS order."""
    sub = tidy.submissions
    today = (today or pd.Timestamp.today()).normalize()
    parts = [
        *_missing_fields(sub),
        _unknown_countries(sub),
        *_dates(sub, today),
        *_invalid_codes(tidy),
        _older_versions(tidy, current_version),
        _not_assessed(tidy),
        _far_levels(sections, len(sub)),
        _duplicates(sub),
    ]
    findings = pd.concat([p for p in parts if len(p)] or [_findings(np.array([], dtype=np.int64), "", "")], ignore_index=True)
    order = findings["check"].map({c: i for i, c in enumerate(CHECKS)}).to_numpy()
    findings = findings.iloc[np.lexsort((order, findings["position"].to_numpy()))]
    root_uuid = tidy.keys["root_uuid"][findings["position"].to_numpy()]
    return pd.DataFrame(
        {
            "root_uuid": pd.Series(np.asarray(root_uuid, dtype=object), dtype="str"),
            "check": pd.Series(findings["check"].to_numpy(dtype=object), dtype="str"),
            "detail": pd.Series(findings["detail"].to_numpy(dtype=object), dtype="str"),
        }
    )
