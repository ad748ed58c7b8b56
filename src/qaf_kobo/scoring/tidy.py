"""Raw submissions → tidy tables: one row per submission (details), per submission × criterion, per submission × section.

This is the only step that reads the raw answers; every later table is computed from these. Rows are in
submission order, and within a submission in framework order (criteria, sections). Beside the tables, the
answers are kept as n × k matrices (rows: submissions, columns: criteria or sections in framework order),
which the later steps combine with numpy instead of grouping long tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pycountry

from qaf_kobo.form.contract import DETAIL_FIELDS, NOT_ASSESSED, criterion_field, level_field, notes_field, why_field
from qaf_kobo.framework import Framework
from qaf_kobo.scoring.fields import as_text, pick_fields
from qaf_kobo.scoring.rules import NO_LEVEL

KEY_COLUMNS: tuple[str, ...] = ("root_uuid", "country", "assessment_date", "round", "agency", "assessment_scope")
"""The submission columns repeated on every row of the criteria, sections and domains tables."""

CRITERIA_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, "section_id", "criterion_id", "level", "level_name")

# Answer status codes of a criterion.
ASSESSED, NOT_RATED, MISSING, INVALID = 0, 1, 2, 3
ANSWER_STATUS: tuple[str, ...] = ("assessed", "not_assessed", "missing", "invalid")



@dataclass(frozen=True)
class Answers:
    """Parsed answer codes of n submissions × k fields.

    ``levels``: int8, NO_LEVEL unless the answer is 1–4; ``status``: int8 ANSWER_STATUS codes;
    ``codes``/``texts``: the trimmed answer as ``texts[codes]`` (code −1: no answer).
    """

    levels: np.ndarray
    status: np.ndarray
    codes: np.ndarray
    texts: np.ndarray

    def text_at(self, flat: np.ndarray) -> np.ndarray:
        """The answers at these positions of the flattened (submission-major) matrix."""
        return self.texts[self.codes.ravel()[flat]]


@dataclass(frozen=True)
class Tidy:
    """The tidy tables of one scoring run.

    ``submissions``: one row per submission (details, versions, validation status).
    ``criteria``: one row per submission × criterion (CRITERIA_COLUMNS).
    ``answers``: the criteria answers (n × k); ``in_form``: n × k, the submission's form version has the criterion.
    ``section_answers``: the assessors' section levels (n × m); ``why``/``notes``: one text per submission × section.
    ``keys``: the KEY_COLUMNS of the submissions, ready for ``repeat_keys``; ``level_names``: the dtype of level names.
    """

    submissions: pd.DataFrame
    criteria: pd.DataFrame
    answers: Answers
    in_form: np.ndarray
    section_answers: Answers
    why: pd.Series
    notes: pd.Series
    keys: dict[str, pd.Categorical | np.ndarray]
    level_names: pd.CategoricalDtype


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


def _to_datetime(text: pd.Series, **options: str) -> pd.Series:
    """``pd.to_datetime(text, errors="coerce", **options)``, parsing each distinct text once (dates repeat a lot)."""
    position, distinct = pd.factorize(text)
    parsed = pd.to_datetime(pd.Series(distinct, dtype="str"), errors="coerce", **options)
    values = np.append(parsed.to_numpy(), np.array(["NaT"], dtype=parsed.dtype))  # position −1: no text
    return pd.Series(values[position], index=text.index)


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
    unnamed = np.flatnonzero(root_uuid.isna().to_numpy())
    if len(unnamed):
        root_uuid = root_uuid.fillna(pd.Series([f"row-{i + 1}" for i in unnamed], index=root_uuid.index[unnamed], dtype="str"))
    details = pick_fields(raw, DETAIL_FIELDS)
    details["country"] = details["country"].str.strip().str.upper()
    out = pd.DataFrame({"root_uuid": root_uuid})
    out["country"] = details["country"]
    out["country_name"] = country_names(details["country"])
    for name in ("agency", "area", "purpose"):
        out[name] = details[name]
    out["assessment_date_text"] = details["assessment_date"]
    out["assessment_date"] = _to_datetime(details["assessment_date"].str.strip(), format="%Y-%m-%d")
    out["round"] = details["round"]
    out["assessment_scope"] = details["assessment_scope"]
    out["form_version"] = _column(raw, "form_version", "__version__")
    out["validation_status"] = _validation_status(raw)
    out["submission_time"] = _to_datetime(_column(raw, "submission_time", "_submission_time"), format="ISO8601")
    out["source"] = _column(raw, "source")
    known = out["form_version"].notna()
    if current_version is None and out["source"].nunique() > 1:  # each source's forms have their own versions
        latest = {source: latest_version(group) for source, group in out.groupby("source")}
        out["older_version"] = (known & (out["form_version"] != out["source"].map(latest))).astype(bool)
        return out.reset_index(drop=True)
    current = current_version if current_version is not None else latest_version(out)
    out["older_version"] = (known & (out["form_version"] != current)).astype(bool) if current is not None else False
    return out.reset_index(drop=True)


def parse_answers(fields: pd.DataFrame, codes: tuple[int, ...]) -> Answers:
    """Answer codes (n × k text) → Answers, the level ``codes`` being the answers that rate. Each column is
    factorised once; the distinct answers are parsed."""
    level_of_text = {str(code): code for code in codes}
    n, k = fields.shape
    # Built field by field (rows = fields, each a contiguous run), then turned submission-major once.
    levels = np.zeros((k, n), dtype=np.int8)
    status = np.full((k, n), MISSING, dtype=np.int8)
    codes = np.full((k, n), -1, dtype=np.int32)
    texts: dict[str, int] = {}
    for j, name in enumerate(fields.columns):
        position, distinct = pd.factorize(fields[name])
        distinct = [str(v).strip() for v in distinct]
        level_of = np.array([level_of_text.get(v, NO_LEVEL) for v in distinct] + [NO_LEVEL], dtype=np.int8)
        status_of = np.array(
            [ASSESSED if v in level_of_text else NOT_RATED if v == NOT_ASSESSED else INVALID if v else MISSING for v in distinct]
            + [MISSING],
            dtype=np.int8,
        )
        code_of = np.array([texts.setdefault(v, len(texts)) if v else -1 for v in distinct] + [-1], dtype=np.int32)
        levels[j] = level_of[position]
        status[j] = status_of[position]
        codes[j] = code_of[position]
    return Answers(
        levels=np.ascontiguousarray(levels.T),
        status=np.ascontiguousarray(status.T),
        codes=np.ascontiguousarray(codes.T),
        texts=np.array([*texts, ""], dtype=object),  # code −1 → the appended ""
    )


def _in_form(submissions: pd.DataFrame, status: np.ndarray) -> np.ndarray:
    """Whether each submission's form version has each criterion (n × k).

    Submissions of older versions have a criterion when any submission of the same version answered it;
    all others have every criterion of the framework.
    """
    older = submissions["older_version"].to_numpy(dtype=bool)
    in_form = np.ones(status.shape, dtype=bool)
    if older.any():
        answered = pd.DataFrame(status[older] != MISSING)
        version = submissions["form_version"].fillna("").to_numpy()[older]
        in_form[older] = answered.groupby(version).transform("any").to_numpy()
    return in_form


def submission_keys(submissions: pd.DataFrame) -> dict[str, pd.Categorical | np.ndarray]:
    """The KEY_COLUMNS of the submissions, text as categoricals (factorised once, repeated cheaply)."""
    return {
        name: submissions[name].to_numpy() if name == "assessment_date" else pd.Categorical(submissions[name])
        for name in KEY_COLUMNS
    }


def repeat_keys(keys: dict[str, pd.Categorical | np.ndarray], times: int) -> dict[str, pd.Categorical | np.ndarray]:
    """Each submission's keys repeated ``times`` times (rows in submission-major order)."""
    return {
        name: np.repeat(value, times)
        if isinstance(value, np.ndarray)
        else pd.Categorical.from_codes(np.repeat(value.codes, times), dtype=value.dtype, validate=False)
        for name, value in keys.items()
    }


def tiled(ids: list[str], n: int) -> pd.Categorical:
    """The ids (framework order) repeated for each of n submissions, as a categorical in that order."""
    return pd.Categorical.from_codes(np.tile(np.arange(len(ids), dtype=np.int16), n), categories=ids, validate=False)


def nullable_levels(levels: np.ndarray) -> pd.arrays.IntegerArray:
    """An int8 level array → a nullable Int8 array (empty where NO_LEVEL)."""
    return pd.arrays.IntegerArray(levels.astype(np.int8, copy=False), levels == NO_LEVEL)


def level_dtype(fw: Framework) -> pd.CategoricalDtype:
    """The level names of a framework as a categorical dtype, lowest first."""
    return pd.CategoricalDtype([level.name for level in fw.levels], ordered=True)


def level_names(levels: np.ndarray, dtype: pd.CategoricalDtype) -> pd.Categorical:
    """An int8 level array → the level names of ``dtype`` (empty where NO_LEVEL)."""
    return pd.Categorical.from_codes(levels - np.int8(1), dtype=dtype, validate=False)


def interleave(fields: pd.DataFrame) -> pd.Series:
    """An n × m frame of text → its values row by row as one text Series of n·m (submission-major order)."""
    n, m = fields.shape
    columns = [pa.array(fields[name], type=pa.large_string()) for name in fields.columns]
    stacked = pa.concat_arrays(
        [chunk for column in columns for chunk in (column.chunks if isinstance(column, pa.ChunkedArray) else [column])]
        or [pa.array([], type=pa.large_string())]
    )
    order = (np.arange(m, dtype=np.int64)[None, :] * n + np.arange(n, dtype=np.int64)[:, None]).ravel()
    return pd.Series(stacked.take(order).to_pandas(), dtype="str")


def tidy(raw: pd.DataFrame, fw: Framework, current_version: str | None = None) -> Tidy:
    """Raw submissions (a Kobo /data/ row per submission, fields found by last path segment) → Tidy."""
    raw = raw.reset_index(drop=True)
    submissions = tidy_submissions(raw, current_version)
    n = len(submissions)
    criteria_fw = fw.criteria
    answers = parse_answers(pick_fields(raw, [criterion_field(c) for c in criteria_fw]), fw.level_codes)
    in_form = _in_form(submissions, answers.status)

    keys = submission_keys(submissions)
    criteria = pd.DataFrame(repeat_keys(keys, len(criteria_fw)), copy=False)
    section_of = np.array([[s.id for s in fw.sections].index(c.section_id) for c in criteria_fw], dtype=np.int16)
    criteria["section_id"] = pd.Categorical.from_codes(np.tile(section_of, n), categories=[s.id for s in fw.sections], validate=False)
    criteria["criterion_id"] = tiled([c.id for c in criteria_fw], n)
    flat = answers.levels.ravel()
    criteria["level"] = nullable_levels(flat)
    names = level_dtype(fw)
    criteria["level_name"] = level_names(flat, names)

    sections = fw.sections
    fields = pick_fields(raw, [f for s in sections for f in (level_field(s), why_field(s), notes_field(s))])
    return Tidy(
        submissions=submissions,
        criteria=criteria,
        answers=answers,
        in_form=in_form,
        section_answers=parse_answers(fields[[level_field(s) for s in sections]], fw.level_codes),
        why=interleave(fields[[why_field(s) for s in sections]]),
        notes=interleave(fields[[notes_field(s) for s in sections]]),
        keys=keys,
        level_names=names,
    )
