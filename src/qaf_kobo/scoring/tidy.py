"""Raw submissions → tidy tables: one row per submission (details), per submission × criterion, per submission × section.

This is the only step that reads the raw answers; every later table is computed from these. Rows are in
submission order, and within a submission in framework order (criteria, sections) — the later steps rely
on that layout to reshape a column into a submission × criterion matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pycountry

from qaf_kobo.framework import LEVEL_NAMES, NOT_ASSESSED, Framework
from qaf_kobo.scoring.fields import DETAIL_FIELDS, as_text, pick_fields

KEY_COLUMNS: tuple[str, ...] = ("root_uuid", "country", "assessment_date", "round", "agency", "assessment_scope")
"""The submission columns repeated on every row of the criteria, sections and domains tables."""

CRITERIA_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, "section_id", "criterion_id", "level", "level_name")

# Answer status codes of a criterion (kept next to the level in the tidy table).
ASSESSED, NOT_RATED, MISSING, INVALID = 0, 1, 2, 3
ANSWER_STATUS: tuple[str, ...] = ("assessed", "not_assessed", "missing", "invalid")

_LEVEL_OF = {str(code): code for code in range(1, 5)}


@dataclass(frozen=True)
class Tidy:
    """The tidy tables of one scoring run.

    ``submissions``: one row per submission (details, versions, validation status).
    ``criteria``: one row per submission × criterion: the public columns plus ``answer`` (the raw code),
    ``status`` (one of ANSWER_STATUS) and ``in_form`` (the submission's form version has this criterion).
    ``section_answers``: one row per submission × section: ``section_id, assessed_answer, assessed_level, why, notes``.
    ``keys``: the KEY_COLUMNS of the submissions, ready for ``repeat_keys``.
    """

    submissions: pd.DataFrame
    criteria: pd.DataFrame
    section_answers: pd.DataFrame
    keys: dict[str, pd.Categorical | np.ndarray]


@cache
def _country_names() -> dict[str, str]:
    return {c.alpha_3: c.name for c in pycountry.countries}


def country_names(codes: pd.Series) -> pd.Series:
    """ISO 3166-1 alpha-3 code → country name; an unknown code stays as it is (missing stays missing)."""
    names = codes.map(_country_names())
    return names.fillna(codes)


def known_country(codes: pd.Series) -> pd.Series:
    """Whether each code is an ISO 3166-1 alpha-3 code."""
    return codes.isin(_country_names().keys())


def _column(raw: pd.DataFrame, *names: str) -> pd.Series:
    """The first of these raw columns that exists, as text (NaN when none does)."""
    for name in names:
        if name in raw.columns:
            return as_text(raw[name])
    return pd.Series(np.nan, index=raw.index, dtype="str")


def _validation_status(raw: pd.DataFrame) -> pd.Series:
    if "validation_status" in raw.columns:
        return as_text(raw["validation_status"]).fillna("")
    if "_validation_status" in raw.columns:
        status = raw["_validation_status"].map(lambda v: v.get("uid", "") if isinstance(v, dict) else v)
        return as_text(status).fillna("")
    return pd.Series("", index=raw.index, dtype="str")


def latest_version(submissions: pd.DataFrame) -> str | None:
    """The form version of the most recent submission (by submission time), or None when none has one."""
    known = submissions.loc[submissions["form_version"].notna(), ["submission_time", "form_version"]]
    if known.empty:
        return None
    # Ties on time go to the greatest version id, so that the answer never depends on submission order.
    latest = known.sort_values(["submission_time", "form_version"], na_position="first").iloc[-1]
    return str(latest["form_version"])


def tidy_submissions(raw: pd.DataFrame, current_version: str | None = None) -> pd.DataFrame:
    """One row per submission: root_uuid, details, country_name, versions, validation status, submission time.

    ``older_version``: the submission's form version is known and differs from ``current_version`` (default:
    the version of the most recent submission).
    """
    root_uuid = _column(raw, "root_uuid", "meta/rootUuid", "_uuid").str.removeprefix("uuid:")
    root_uuid = root_uuid.fillna(pd.Series([f"row-{i + 1}" for i in range(len(raw))], index=raw.index, dtype="str"))
    details = pick_fields(raw, DETAIL_FIELDS)
    details["country"] = details["country"].str.strip().str.upper()
    out = pd.DataFrame({"root_uuid": root_uuid})
    out["country"] = details["country"]
    out["country_name"] = country_names(details["country"])
    for name in ("agency", "area", "purpose"):
        out[name] = details[name]
    out["assessment_date_text"] = details["assessment_date"]
    out["assessment_date"] = pd.to_datetime(details["assessment_date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    out["round"] = details["round"]
    out["assessment_scope"] = details["assessment_scope"]
    out["form_version"] = _column(raw, "form_version", "__version__")
    out["validation_status"] = _validation_status(raw)
    out["submission_time"] = pd.to_datetime(_column(raw, "submission_time", "_submission_time"), format="ISO8601", errors="coerce")
    current = current_version if current_version is not None else latest_version(out)
    known = out["form_version"].notna()
    out["older_version"] = (known & (out["form_version"] != current)).astype(bool) if current is not None else False
    return out.reset_index(drop=True)


def _answers(codes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Answer codes (n × k text) → levels (float, NaN when none), statuses, answer category codes and categories.

    Each column is factorised once; levels and statuses are looked up per distinct answer, not per row.
    """
    n, k = codes.shape
    levels = np.full((n, k), np.nan)
    status = np.full((n, k), MISSING, dtype=np.int8)
    answer_codes = np.full((n, k), -1, dtype=np.int32)
    categories: dict[str, int] = {}
    for j, name in enumerate(codes.columns):
        position, distinct = pd.factorize(codes[name])
        distinct = [str(v).strip() for v in distinct]
        level_of = np.array([_LEVEL_OF.get(v, np.nan) for v in distinct] + [np.nan])
        status_of = np.array(
            [ASSESSED if v in _LEVEL_OF else NOT_RATED if v == NOT_ASSESSED else INVALID if v else MISSING for v in distinct]
            + [MISSING],
            dtype=np.int8,
        )
        category_of = np.array([categories.setdefault(v, len(categories)) if v else -1 for v in distinct] + [-1], dtype=np.int32)
        levels[:, j] = level_of[position]
        status[:, j] = status_of[position]
        answer_codes[:, j] = category_of[position]
    return levels, status, answer_codes, list(categories)


def _in_form(submissions: pd.DataFrame, status: np.ndarray) -> np.ndarray:
    """Whether each submission's form version has each criterion (n × k).

    Submissions of older versions have a criterion when any submission of the same version answered it;
    all others have every criterion of the framework.
    """
    answered = pd.DataFrame(status != MISSING)
    version = submissions["form_version"].fillna("").to_numpy()
    per_version = answered.groupby(version).transform("any").to_numpy()
    older = submissions["older_version"].to_numpy(dtype=bool)[:, None]
    return np.where(older, per_version, True)


def submission_keys(submissions: pd.DataFrame) -> dict[str, pd.Categorical | np.ndarray]:
    """The KEY_COLUMNS of the submissions, text as categoricals (factorised once, repeated cheaply)."""
    return {
        name: submissions[name].to_numpy() if name == "assessment_date" else pd.Categorical(submissions[name])
        for name in KEY_COLUMNS
    }


def repeat_keys(keys: dict[str, pd.Categorical | np.ndarray], times: int) -> dict[str, pd.Categorical | np.ndarray]:
    """Each submission's keys repeated ``times`` times (rows in submission-major order)."""
    n = len(keys["root_uuid"])
    rows = np.repeat(np.arange(n), times)
    return {
        name: value[rows] if isinstance(value, np.ndarray) else pd.Categorical.from_codes(value.codes[rows], dtype=value.dtype)
        for name, value in keys.items()
    }


def interleave(frame: pd.DataFrame) -> np.ndarray:
    """An n × m frame → its values row by row as one object array of n·m (submission-major order)."""
    n, m = frame.shape
    out = np.empty(n * m, dtype=object)
    for j, name in enumerate(frame.columns):
        out[j::m] = frame[name].to_numpy(dtype=object, na_value=np.nan)
    return out


def nullable_levels(levels: np.ndarray) -> pd.arrays.IntegerArray:
    """Levels as float with NaN → a nullable Int8 array (empty where NaN)."""
    missing = np.isnan(levels)
    return pd.arrays.IntegerArray(np.where(missing, 0, levels).astype(np.int8), missing)


def level_names(levels: np.ndarray) -> pd.Categorical:
    """Levels as float with NaN → their framework names (empty where NaN)."""
    codes = np.where(np.isnan(levels), -1, levels - 1).astype(np.int8)
    return pd.Categorical.from_codes(codes, categories=list(LEVEL_NAMES))


def tidy(raw: pd.DataFrame, fw: Framework, current_version: str | None = None) -> Tidy:
    """Raw submissions (a Kobo /data/ row per submission, fields found by last path segment) → Tidy."""
    raw = raw.reset_index(drop=True)
    submissions = tidy_submissions(raw, current_version)
    n = len(submissions)
    criteria_fw = fw.criteria
    k = len(criteria_fw)
    codes = pick_fields(raw, [c.field for c in criteria_fw])
    levels, status, answer_codes, answer_categories = _answers(codes)
    in_form = _in_form(submissions, status)

    keys = submission_keys(submissions)
    criteria = pd.DataFrame(repeat_keys(keys, k))
    section_index = {s.id: i for i, s in enumerate(fw.sections)}
    criteria["section_id"] = pd.Categorical.from_codes(
        np.tile([section_index[c.section_id] for c in criteria_fw], n), categories=[s.id for s in fw.sections]
    )
    criteria["criterion_id"] = pd.Categorical.from_codes(np.tile(np.arange(k), n), categories=[c.id for c in criteria_fw])
    flat = levels.ravel()
    criteria["level"] = nullable_levels(flat)
    criteria["level_name"] = level_names(flat)
    criteria["answer"] = pd.Categorical.from_codes(
        answer_codes.ravel(), categories=pd.Index(answer_categories, dtype="str")
    )
    criteria["status"] = pd.Categorical.from_codes(status.ravel(), categories=list(ANSWER_STATUS))
    criteria["in_form"] = in_form.ravel()

    section_answers = _section_answers(raw, keys, fw)
    return Tidy(submissions=submissions, criteria=criteria, section_answers=section_answers, keys=keys)


def _section_answers(raw: pd.DataFrame, keys: dict[str, pd.Categorical | np.ndarray], fw: Framework) -> pd.DataFrame:
    """One row per submission × section: the assessor's level (raw and parsed), the reason and the notes."""
    sections = fw.sections
    m = len(sections)
    fields = pick_fields(raw, [f for s in sections for f in (s.level_field, s.why_field, s.notes_field)])
    levels, _, answer_codes, answer_categories = _answers(fields[[s.level_field for s in sections]])
    out = pd.DataFrame(repeat_keys(keys, m))
    out["section_id"] = pd.Categorical.from_codes(np.tile(np.arange(m), len(raw)), categories=[s.id for s in sections])
    out["assessed_answer"] = pd.Categorical.from_codes(answer_codes.ravel(), categories=pd.Index(answer_categories, dtype="str"))
    out["assessed_level"] = levels.ravel()
    out["why"] = pd.Series(interleave(fields[[s.why_field for s in sections]]), dtype=object)
    out["notes"] = pd.Series(interleave(fields[[s.notes_field for s in sections]]), dtype=object)
    return out
