"""Data-quality checks: one row per finding (root_uuid, check, detail). Bad input lands here, never in a crash."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from qaf_kobo.form.contract import REQUIRED_DETAILS, SCOPES
from qaf_kobo.scoring.rules import NO_LEVEL
from qaf_kobo.scoring.sections import SectionLevels
from qaf_kobo.scoring.tidy import INVALID, MISSING, NOT_RATED, Tidy, known_country

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
EARLIEST_DATE = pd.Timestamp("2015-01-01")


def _at(values: pd.Series, rows: np.ndarray) -> pd.Series:
    """The values at these row positions, as text."""
    return values.iloc[rows].astype("str").reset_index(drop=True)


def _text(values: np.ndarray) -> pd.Series:
    """Values (numbers or text) as a text Series."""
    return pd.Series(values).astype("str")


@dataclass(frozen=True)
class Findings:
    """Findings of one check: the submission positions (rows of the submissions table) and the detail texts."""

    position: np.ndarray
    check: str
    detail: list[pa.Array]  # chunks of text, one value per position


def _findings(position: np.ndarray, check: str, detail: pd.Series | str) -> Findings:
    position = np.asarray(position, dtype=np.int64)
    if isinstance(detail, str):
        detail = pd.Series(detail, index=range(len(position)), dtype="str")
    text = pa.array(detail, type=pa.large_string())
    return Findings(position, check, text.chunks if isinstance(text, pa.ChunkedArray) else [text])


def _missing_fields(sub: pd.DataFrame) -> list[Findings]:
    out = []
    for name in REQUIRED_DETAILS:
        source = sub["assessment_date_text"] if name == "assessment_date" else sub[name]
        out.append(_findings(np.flatnonzero(source.isna().to_numpy()), "missing_field", f"no {name}"))
    return out


def _unknown_countries(sub: pd.DataFrame) -> Findings:
    rows = np.flatnonzero((sub["country"].notna() & ~known_country(sub["country"])).to_numpy())
    return _findings(rows, "unknown_country", "'" + _at(sub["country"], rows) + "' is not an ISO 3166-1 alpha-3 country code")


def _dates(sub: pd.DataFrame, today: pd.Timestamp) -> list[Findings]:
    text, date = sub["assessment_date_text"], sub["assessment_date"]
    unreadable = np.flatnonzero((text.notna() & date.isna()).to_numpy())
    future = np.flatnonzero((date > today).to_numpy())
    early = np.flatnonzero((date < EARLIEST_DATE).to_numpy())
    return [
        _findings(unreadable, "date_out_of_range", "assessment_date '" + _at(text, unreadable) + "' is not a date (YYYY-MM-DD)"),
        _findings(future, "date_out_of_range", "assessment_date " + _at(text, future) + " is in the future"),
        _findings(early, "date_out_of_range", "assessment_date " + _at(text, early) + " is before 2015-01-01"),
    ]


def _invalid_codes(tidy: Tidy) -> list[Findings]:
    criteria, sections, sub = tidy.answers, tidy.section_answers, tidy.submissions
    k, m = criteria.status.shape[1], sections.status.shape[1]
    criterion_ids = np.array(tidy.criteria["criterion_id"].cat.categories, dtype=object)
    section_ids = np.array(tidy.criteria["section_id"].cat.categories, dtype=object)
    bad = np.flatnonzero(criteria.status.ravel() == INVALID)
    # An assessed level with an answer but no level: anything but 1-4 (na included) is invalid here.
    bad_level = np.flatnonzero((sections.codes.ravel() >= 0) & (sections.levels.ravel() == NO_LEVEL))
    scope = sub["assessment_scope"]
    bad_scope = np.flatnonzero((scope.notna() & ~scope.isin(SCOPES)).to_numpy())
    return [
        _findings(
            bad // k,
            "invalid_answer_code",
            "criterion " + _text(criterion_ids[bad % k]) + ": answer '" + _text(criteria.text_at(bad)) + "' is not 1-4 or na",
        ),
        _findings(
            bad_level // m,
            "invalid_answer_code",
            "section " + _text(section_ids[bad_level % m]) + " assessed level: answer '"
            + _text(sections.text_at(bad_level)) + "' is not 1-4",
        ),
        _findings(
            bad_scope,
            "invalid_answer_code",
            "assessment_scope '" + _at(scope, bad_scope) + f"' is not one of {', '.join(SCOPES)}",
        ),
    ]


def _older_versions(tidy: Tidy, current_version: str | None) -> Findings:
    sub = tidy.submissions
    rows = np.flatnonzero(sub["older_version"].to_numpy(dtype=bool))
    n_in_form = pd.Series(tidy.in_form.sum(axis=1), dtype=int)
    detail = (
        "form version " + _at(sub["form_version"].fillna("(none)"), rows)
        + (f" (current: {current_version}); scored on the " if current_version else " (older than its source's latest); "
           "scored on the ")
        + _at(n_in_form, rows) + " criteria it has"
    )
    return _findings(rows, "older_form_version", detail)


def _not_assessed(tidy: Tidy) -> Findings:
    """One finding per submission listing its criteria answered ``na`` or left unanswered (of those its form has)."""
    status, k = tidy.answers.status, tidy.answers.status.shape[1]
    rows = np.flatnonzero((tidy.in_form & ((status == NOT_RATED) | (status == MISSING))).ravel())
    if not len(rows):
        return _findings(np.array([], dtype=np.int64), "criteria_not_assessed", pd.Series([], dtype="str"))
    position = rows // k
    starts = np.flatnonzero(np.r_[True, position[1:] != position[:-1]])
    ids = tidy.criteria["criterion_id"].cat.categories
    listed_ids = np.array([f"{c}, " for c in ids], dtype=object)[rows % k]
    listed = pd.Series(np.add.reduceat(listed_ids, starts), dtype="str").str[:-2]
    counts = pd.Series(np.diff(np.r_[starts, len(rows)])).astype("str")
    return _findings(position[starts], "criteria_not_assessed", counts + " criteria not assessed (na or unanswered): " + listed)


def _far_levels(tidy: Tidy, sections: SectionLevels) -> Findings:
    computed, assessed = sections.computed.ravel(), sections.assessed.ravel()
    far = (computed != NO_LEVEL) & (assessed != NO_LEVEL) & (np.abs(assessed.astype(np.int16) - computed) >= 2)
    rows = np.flatnonzero(far & tidy.why.isna().to_numpy())
    m = sections.computed.shape[1]
    section_ids = np.array(tidy.criteria["section_id"].cat.categories, dtype=object)
    detail = (
        "section " + _text(section_ids[rows % m]) + ": assessed level " + _text(assessed[rows])
        + ", computed level " + _text(computed[rows]) + ", no reason given"
    )
    return _findings(rows // m, "level_far_from_computed_without_reason", detail)


def _duplicates(sub: pd.DataFrame) -> Findings:
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
    tidy: Tidy, sections: SectionLevels, current_version: str | None, today: pd.Timestamp | None = None
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
        _far_levels(tidy, sections),
        _duplicates(sub),
    ]
    position = np.concatenate([p.position for p in parts])
    check = np.concatenate([np.full(len(p.position), CHECKS.index(p.check), dtype=np.int8) for p in parts])
    detail = pa.chunked_array([chunk for p in parts for chunk in p.detail], type=pa.large_string())
    order = np.lexsort((check, position))  # stable: within a check, findings keep the order they were found in
    root_uuid = tidy.keys["root_uuid"]
    return pd.DataFrame(
        {
            "root_uuid": pd.Series(root_uuid.categories.take(root_uuid.codes[position[order]]), dtype="str"),
            "check": pd.Series(np.array(CHECKS, dtype=object)[check[order]], dtype="str"),
            "detail": pd.Series(detail.take(order).to_pandas(), dtype="str"),
        }
    )
