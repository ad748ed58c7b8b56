"""Raw submissions → tidy tables keyed by ids: submissions, their criterion answers, their section answers.

This is the only step that reads the raw answers (fields found by the last segment of their path); every later
table is computed from these (see ``keyed`` for how the tables are keyed):

- ``submissions``: one row per submission: ``root_uuid``, the details (free-text grouping fields normalised),
  ``assessment_date`` (and the text it was read from), versions, validation status, submission time.
- ``answers``: one row per submission × criterion (ANSWER_COLUMNS): the answer's text, its status
  (ANSWER_STATUS), its level, and whether the submission's form version has the criterion.
- ``section_answers``: one row per submission × section (SECTION_ANSWER_COLUMNS): the assessor's level of the
  section (answer, status, level), the reason given for it and the notes.
- ``truncated``: one row per submission × field whose text was cut to ``text.TEXT_LIMIT`` characters.

Rows are in submission order, then framework order; later steps find a row by its ids, not by its position.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from qaf_kobo.errors import QafError
from qaf_kobo.form.contract import (
    DETAIL_FIELDS,
    FRAMEWORK_FIELD,
    NOT_ASSESSED,
    OTHER_PURPOSE,
    criterion_field,
    level_field,
    notes_field,
    why_field,
)
from qaf_kobo.framework import Framework
from qaf_kobo.scoring.beside import beside
from qaf_kobo.scoring.fields import pick_fields
from qaf_kobo.scoring.keyed import (
    KEY_COLUMNS,
    cells,
    framework_ids,
    level_codes,
    level_names,
    nullable_levels,
    with_keys,
)
from qaf_kobo.scoring.rules import NO_LEVEL
from qaf_kobo.scoring.text import as_text, capped, normalise, per_distinct

ANSWER_STATUS: tuple[str, ...] = ("assessed", "not_assessed", "missing", "invalid")
"""What an answer is: a level, ``na`` (not assessed), no answer, or anything else."""
ASSESSED, NOT_RATED, MISSING, INVALID = range(len(ANSWER_STATUS))
ANSWER_COLUMNS: tuple[str, ...] = ("root_uuid", "section_id", "criterion_id", "answer", "answer_status", "level", "in_form")
SECTION_ANSWER_COLUMNS: tuple[str, ...] = ("root_uuid", "section_id", "answer", "answer_status", "assessed_level", "why", "notes")
TRUNCATED_COLUMNS: tuple[str, ...] = ("root_uuid", "field", "length")
CRITERIA_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, "section_id", "criterion_id", "level", "level_name", "answer_status")
"""The criteria table of the scores (``answer_status`` tells na, unanswered and invalid answers apart)."""

GROUPING_DETAILS: tuple[str, ...] = ("round", "agency", "area", "country")
"""Free-text details that group assessments: normalised once here (``text.normalise``; country also upper-cased)."""
KEY_TEXT: tuple[str, ...] = tuple(name for name in KEY_COLUMNS if name not in ("root_uuid", "assessment_date"))
"""The text columns of the submission keys, kept as categoricals in the submissions table."""

_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?")
"""A date (YYYY-MM-DD), alone or starting a date-time (its date is the date written, whatever the offset)."""


@dataclass(frozen=True)
class Tidy:
    """The tidy tables of one scoring run (see the module's docstring)."""

    submissions: pd.DataFrame
    answers: pd.DataFrame
    section_answers: pd.DataFrame
    truncated: pd.DataFrame


@cache
def _country_names() -> dict[str, str]:
    return {c.alpha_3: c.name for c in pycountry.countries}


def country_names(codes: pd.Series) -> pd.Series:
    """ISO 3166-1 alpha-3 code → country name; an unknown code stays as it is (missing stays missing)."""
    codes = codes.astype("str")
    return codes.map(_country_names()).fillna(codes)


def known_country(codes: pd.Series) -> pd.Series:
    """Whether each code is an ISO 3166-1 alpha-3 code."""
    return codes.isin(_country_names().keys())


def scoring_fields(fw: Framework) -> tuple[str, ...]:
    """The form fields scoring reads: the framework the form was built from, the details, each criterion, each
    section's level, reason and notes, and the evidence figures."""
    sections = [name for s in fw.sections for name in (level_field(s), why_field(s), notes_field(s))]
    return (FRAMEWORK_FIELD, *DETAIL_FIELDS, *(criterion_field(c) for c in fw.criteria), *sections,
            *(f.name for f in fw.evidence.fields))


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


def _date_part(text: str) -> str | None:
    found = _DATE.fullmatch(text.strip())
    return found.group(1) if found else None


def parse_dates(text: pd.Series) -> pd.Series:
    """Each text's date (YYYY-MM-DD, or the date of a date-time), NaT when it holds none; each distinct text is
    read on its own, so a value never depends on its neighbours."""
    dates = per_distinct(text, _date_part)
    position, distinct = pd.factorize(dates)
    parsed = pd.to_datetime(pd.Series(distinct, dtype="str"), errors="coerce", format="%Y-%m-%d")
    values = np.append(parsed.to_numpy(), np.array(["NaT"], dtype=parsed.dtype))  # position −1: no date
    return pd.Series(values[position], index=text.index)


def parse_times(text: pd.Series) -> pd.Series:
    """ISO 8601 date-times as naive UTC (a time without an offset is taken as UTC, as Kobo's server writes it)."""
    position, distinct = pd.factorize(text)
    parsed = pd.to_datetime(pd.Series(distinct, dtype="str"), errors="coerce", format="ISO8601", utc=True).dt.tz_localize(None)
    values = np.append(parsed.to_numpy(), np.array(["NaT"], dtype=parsed.dtype))
    return pd.Series(values[position], index=text.index)


def latest_version(submissions: pd.DataFrame) -> str | None:
    """The form version of the most recent submission (by submission time), or None when none has one."""
    known = submissions.loc[submissions["form_version"].notna(), ["submission_time", "form_version"]]
    if known.empty:
        return None
    # Ties on time go to the greatest version id, so that the answer never depends on submission order.
    latest = known.sort_values(["submission_time", "form_version"], na_position="first").iloc[-1]
    return str(latest["form_version"])


@dataclass(frozen=True)
class _Picked:
    """Fields picked from the raw rows as text, cut to TEXT_LIMIT; ``cut``: per field cut, its rows and lengths."""

    fields: pd.DataFrame
    cut: list[tuple[str, np.ndarray, np.ndarray]]


def _pick(raw: pd.DataFrame, names: Sequence[str]) -> _Picked:
    fields = pick_fields(raw, list(names))
    cut = []
    for name in names:
        text, rows = capped(fields[name])
        if len(rows):
            fields[name] = text
            cut.append((name, rows[:, 0], rows[:, 1]))
    return _Picked(fields, cut)


def _root_uuids(raw: pd.DataFrame) -> pd.Series:
    """Each submission's id (``row-<n>`` when it has none); QafError when two submissions share one."""
    root_uuid = _column(raw, "root_uuid", "meta/rootUuid", "_uuid").str.removeprefix("uuid:")
    unnamed = np.flatnonzero(root_uuid.isna().to_numpy())
    if len(unnamed):
        root_uuid = root_uuid.fillna(pd.Series([f"row-{i + 1}" for i in unnamed], index=root_uuid.index[unnamed], dtype="str"))
    shared = root_uuid[root_uuid.duplicated()]
    if len(shared):
        listed = ", ".join(sorted(set(shared))[:3])
        raise QafError(f"{len(shared)} submission(s) share a root_uuid with another ({listed}): each submission needs its own")
    return root_uuid


def purpose(details: pd.DataFrame) -> pd.Series:
    """The purpose: its answer code (``PURPOSES``), or the text typed for "other" (or, from a form before the
    choices, the purpose as typed)."""
    typed = details["purpose_other"].where(details["purpose_other"].str.strip().str.len() > 0)
    return typed.where(details["purpose"] == OTHER_PURPOSE).fillna(details["purpose"])


def _submissions(raw: pd.DataFrame, details: pd.DataFrame, current_version: str | dict[str, str] | None) -> pd.DataFrame:
    """The submissions table from the raw rows and their details (text, one column per detail field)."""
    root_uuid = _root_uuids(raw)
    out = pd.DataFrame({"root_uuid": pd.Categorical(root_uuid)})  # categories: the ids, sorted
    grouping = {name: normalise(details[name], upper=name == "country") for name in GROUPING_DETAILS}
    out["country"] = grouping["country"]
    out["country_name"] = country_names(grouping["country"])
    out["agency"], out["area"], out["purpose"] = grouping["agency"], grouping["area"], purpose(details)
    out["assessment_date_text"] = details["assessment_date"]
    out["assessment_date"] = parse_dates(details["assessment_date"])
    out["round"] = grouping["round"]
    out["assessment_scope"] = details["assessment_scope"]
    out["form_version"] = _column(raw, "form_version", "__version__")
    out["validation_status"] = _validation_status(raw)
    out["submission_time"] = parse_times(_column(raw, "submission_time", "_submission_time"))
    out["source"] = _column(raw, "source")
    known = out["form_version"].notna()
    if isinstance(current_version, dict) or (current_version is None and out["source"].nunique() > 1):
        deployed = current_version or {}  # each source's forms have their own versions
        latest = {source: deployed.get(source) or latest_version(group) for source, group in out.groupby("source")}
        out["older_version"] = (known & (out["form_version"] != out["source"].map(latest))).astype(bool)
    else:
        current = current_version if current_version is not None else latest_version(out)
        out["older_version"] = (known & (out["form_version"] != current)).astype(bool) if current is not None else False
    for name in KEY_TEXT:
        out[name] = pd.Categorical(out[name])
    return out.reset_index(drop=True)


def tidy_submissions(raw: pd.DataFrame, current_version: str | None = None) -> pd.DataFrame:
    """The submissions table of raw submissions (see the module's docstring).

    ``older_version``: the submission's form version is known and differs from ``current_version`` (default:
    the version of the most recent submission).
    """
    raw = raw.reset_index(drop=True)
    return _submissions(raw, _pick(raw, DETAIL_FIELDS).fields, current_version)


@dataclass(frozen=True)
class _Parsed:
    """Answers of n submissions × k fields, as k × n arrays (one row per field): levels (NO_LEVEL unless a level
    code), ANSWER_STATUS codes, and the trimmed answer as ``texts[codes]`` (code −1: no answer)."""

    levels: np.ndarray
    status: np.ndarray
    codes: np.ndarray
    texts: list[str]


def _parse(fields: pd.DataFrame, level_codes: tuple[int, ...], not_assessed: str | None) -> _Parsed:
    """Answer texts (n × k) → _Parsed, the level codes being the answers that rate and ``not_assessed`` the answer
    of "not assessed" (None: there is none). Each column is factorised once; the distinct answers are parsed."""
    level_of_text = {str(code): code for code in level_codes}
    n, k = fields.shape
    levels = np.zeros((k, n), dtype=np.int8)
    status = np.full((k, n), MISSING, dtype=np.int8)
    codes = np.full((k, n), -1, dtype=np.int32)
    texts: dict[str, int] = {}
    for j, name in enumerate(fields.columns):
        position, distinct = _factorised(fields[name])
        distinct = [v.strip() for v in distinct]
        level_of = np.array([level_of_text.get(v, NO_LEVEL) for v in distinct] + [NO_LEVEL], dtype=np.int8)
        status_of = np.array(
            [ASSESSED if v in level_of_text else NOT_RATED if v == not_assessed else INVALID if v else MISSING for v in distinct]
            + [MISSING],
            dtype=np.int8,
        )
        code_of = np.array([texts.setdefault(v, len(texts)) if v else -1 for v in distinct] + [-1], dtype=np.int32)
        levels[j] = level_of[position]
        status[j] = status_of[position]
        codes[j] = code_of[position]
    return _Parsed(levels, status, codes, list(texts))


def _factorised(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """A text column's codes (−1: missing) and its distinct texts in order of appearance (``pd.factorize`` done by
    arrow, a tenth of its cost on a few rows)."""
    codes, distinct = _encoded(values)
    return codes, distinct.to_pylist()


def _encoded(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """A text column's codes (−1: missing) and its distinct texts in order of appearance, as an arrow array."""
    text = pa.array(values, type=pa.large_string(), from_pandas=True)
    encoded = pc.dictionary_encode(text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text)
    return encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), encoded.dictionary


def _submission_major(values: np.ndarray) -> np.ndarray:
    """A k × n array (rows: fields) → its values submission by submission (n·k, fields in order within each)."""
    return np.ascontiguousarray(values.T).ravel()


def _answer_columns(parsed: _Parsed) -> dict[str, object]:
    """The answer, answer_status and level columns of the parsed answers, submission by submission."""
    return {
        "answer": pd.Categorical.from_codes(_submission_major(parsed.codes), categories=parsed.texts, validate=False),
        "answer_status": pd.Categorical.from_codes(_submission_major(parsed.status), categories=list(ANSWER_STATUS),
                                                   validate=False),
        "level": nullable_levels(_submission_major(parsed.levels)),
    }


def _in_form(submissions: pd.DataFrame, status: np.ndarray) -> np.ndarray:
    """Whether each submission's form version has each criterion (k × n, like ``status``).

    Submissions of older versions have a criterion when any submission of the same version answered it;
    all others have every criterion of the framework.
    """
    older = submissions["older_version"].to_numpy(dtype=bool)
    in_form = np.ones(status.shape, dtype=bool)
    if older.any():
        answered = pd.DataFrame((status[:, older] != MISSING).T)
        version = submissions["form_version"].fillna("").to_numpy()[older]
        in_form[:, older] = answered.groupby(version).transform("any").to_numpy().T
    return in_form


def _interleaved(fields: pd.DataFrame) -> pd.Series:
    """An n × m frame of text → its values submission by submission (n·m: the m fields in order within each).

    Each column is dictionary-encoded and only the codes are interleaved: the text is copied once, into the result
    (reasons and notes are mostly empty, and a take over many chunks costs more than the text)."""
    n, m = fields.shape
    codes = np.full((n, m), -1, dtype=np.int64)  # row-major: submission by submission
    distinct: list[pa.Array] = []
    offset = 0
    for j, name in enumerate(fields.columns):
        position, texts = _encoded(fields[name])
        codes[:, j] = np.where(position >= 0, position + offset, -1)
        distinct.append(texts)
        offset += len(texts)
    flat = codes.ravel()
    every = pa.concat_arrays(distinct) if distinct else pa.array([], type=pa.large_string())
    return pd.Series(every.take(pa.array(flat, mask=flat < 0)).to_pandas(), dtype="str")


def _truncated(submissions: pd.DataFrame, picked: Sequence[_Picked]) -> pd.DataFrame:
    cut = [entry for p in picked for entry in p.cut]
    rows = np.concatenate([rows for _, rows, _ in cut]) if cut else np.array([], dtype=np.int64)
    root_uuid = submissions["root_uuid"].array
    return pd.DataFrame({
        "root_uuid": pd.Categorical.from_codes(root_uuid.codes[rows], dtype=root_uuid.dtype, validate=False),
        "field": pd.Series([name for name, rows, _ in cut for _ in rows], dtype="str"),
        "length": np.concatenate([lengths for _, _, lengths in cut]) if cut else np.array([], dtype=np.int64),
    })


def tidy(raw: pd.DataFrame, fw: Framework, current_version: str | dict[str, str] | None = None) -> Tidy:
    """Raw submissions (a Kobo /data/ row per submission, fields found by last path segment) → Tidy.

    With many submissions, the section answers are read in a second thread while the criterion answers are read
    (``beside``)."""
    raw = raw.reset_index(drop=True)
    details = _pick(raw, DETAIL_FIELDS)
    submissions = _submissions(raw, details.fields, current_version)
    by_section = beside(len(raw), _section_answers, raw, submissions, fw)
    answers, answered = _answers(raw, submissions, fw)
    section_answers, picked = by_section.result()
    return Tidy(submissions, answers, section_answers, _truncated(submissions, [details, answered, *picked]))


def _answers(raw: pd.DataFrame, submissions: pd.DataFrame, fw: Framework) -> tuple[pd.DataFrame, _Picked]:
    """The answers table (ANSWER_COLUMNS) and the criterion fields picked from the raw rows."""
    criteria, sections = fw.criteria, fw.sections
    answered = _pick(raw, [criterion_field(c) for c in criteria])
    parsed = _parse(answered.fields, fw.level_codes, NOT_ASSESSED)
    section_of = np.array([[s.id for s in sections].index(c.section_id) for c in criteria], dtype=np.int16)
    answers = pd.DataFrame(cells(submissions, [c.id for c in criteria], "criterion_id"), copy=False)
    answers.insert(1, "section_id", framework_ids([s.id for s in sections], np.tile(section_of, len(submissions))))
    for name, values in _answer_columns(parsed).items():
        answers[name] = values
    answers["in_form"] = _submission_major(_in_form(submissions, parsed.status))
    return answers, answered


def _section_answers(raw: pd.DataFrame, submissions: pd.DataFrame, fw: Framework) -> tuple[pd.DataFrame, list[_Picked]]:
    """The section answers table (SECTION_ANSWER_COLUMNS) and the section fields picked from the raw rows (levels;
    reasons and notes)."""
    sections = fw.sections
    assessed = _pick(raw, [level_field(s) for s in sections])
    notes = _pick(raw, [f for s in sections for f in (why_field(s), notes_field(s))])
    section_answers = pd.DataFrame(cells(submissions, [s.id for s in sections], "section_id"), copy=False)
    levels = _answer_columns(_parse(assessed.fields, fw.level_codes, None))  # "na" is no level of a section
    section_answers["answer"], section_answers["answer_status"] = levels["answer"], levels["answer_status"]
    section_answers["assessed_level"] = levels["level"]
    for name, field in (("why", why_field), ("notes", notes_field)):
        section_answers[name] = _interleaved(notes.fields[[field(s) for s in sections]])
    return section_answers, [assessed, notes]


def criteria_table(tidy: Tidy, fw: Framework) -> pd.DataFrame:
    """The criteria table of the scores (CRITERIA_COLUMNS): the answers with their submission's keys."""
    answers = tidy.answers
    out = with_keys(tidy.submissions, answers[["root_uuid", "section_id", "criterion_id", "level", "answer_status"]])
    out["level_name"] = level_names(level_codes(answers["level"]), fw)
    return out[list(CRITERIA_COLUMNS)]
