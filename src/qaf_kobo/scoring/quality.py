"""Data-quality checks: one row per finding (root_uuid, check, detail). Bad input lands here, never in a crash.

In: the tidy tables (submissions, answers, section answers, truncated fields) and the sections table. Each
finding names its submission by the ``root_uuid`` of the row it was found on, and its criterion or section by
that row's ``criterion_id`` or ``section_id``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from qaf_kobo.form.contract import NOT_ASSESSED, REQUIRED_DETAILS, SCOPES
from qaf_kobo.framework import Framework
from qaf_kobo.scoring.finding_details import NO_COUNTRY, NO_VERSION, fill
from qaf_kobo.scoring.indicators import INVALID_FIGURE, NOT_SUPPORTED
from qaf_kobo.scoring.keyed import grid, id_positions, level_codes, submission_positions
from qaf_kobo.scoring.rules import NO_LEVEL
from qaf_kobo.scoring.text import TEXT_LIMIT
from qaf_kobo.scoring.tidy import ANSWER_STATUS, INVALID, MISSING, NOT_RATED, Tidy, known_country, scoring_fields

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
    "text_truncated",
    "invalid_evidence_figure",
    "rating_not_supported_by_evidence",
    "left_out_of_round",
)
EARLIEST_DATE = pd.Timestamp("2015-01-01")
DUPLICATE_KEYS: tuple[str, ...] = ("country", "agency", "assessment_scope", "assessment_date")
"""Two submissions alike in these are duplicates of one assessment."""
FAR_APART = 2
"""An assessed level this many levels or more from the computed one needs a reason."""


def _text(values: pd.Series | np.ndarray) -> pd.Series:
    """Values (numbers, text or categories) as a text Series with a fresh index."""
    array = pa.array(values.array if isinstance(values, pd.Series) else values, from_pandas=True)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return pd.Series(array.cast(pa.large_string()).to_pandas(), dtype="str")


@dataclass(frozen=True)
class Findings:
    """Findings of one check: the ``root_uuid`` of each finding's row, the detail texts, and the order of the
    findings within a submission (the framework position of their criterion or section; 0 when there is none)."""

    root_uuid: pd.Series
    check: str
    detail: list[pa.Array]  # chunks of text, one value per finding
    within: np.ndarray


def _findings(root_uuid: pd.Series, check: str, detail: pd.Series | str, within: np.ndarray | None = None) -> Findings:
    if isinstance(detail, str):
        detail = pd.Series(detail, index=range(len(root_uuid)), dtype="str")
    text = pa.array(detail, type=pa.large_string())
    return Findings(root_uuid.reset_index(drop=True), check, text.chunks if isinstance(text, pa.ChunkedArray) else [text],
                    np.zeros(len(root_uuid), dtype=np.int64) if within is None else within)


def _none(check: str) -> Findings:
    """No finding of a check (the usual case, made without building the empty columns)."""
    return Findings(pd.Series([], dtype="str"), check, [], np.zeros(0, dtype=np.int64))


def _rows(table: pd.DataFrame, where: pd.Series | np.ndarray) -> pd.DataFrame:
    """The rows of a table where a condition holds."""
    return table.iloc[np.flatnonzero(np.asarray(where, dtype=bool))].reset_index(drop=True)


def _missing_fields(sub: pd.DataFrame) -> list[Findings]:
    out = []
    for name in REQUIRED_DETAILS:
        missing = (sub["assessment_date_text"] if name == "assessment_date" else sub[name]).isna().to_numpy()
        if missing.any():
            out.append(_findings(sub.loc[missing, "root_uuid"], "missing_field", fill("missing_field", field=name)))
    return out


def _unknown_countries(sub: pd.DataFrame) -> Findings:
    found = _rows(sub, sub["country"].notna() & ~known_country(sub["country"]))
    if found.empty:
        return _none("unknown_country")
    return _findings(found["root_uuid"], "unknown_country", fill("unknown_country", code=_text(found["country"])))


def _dates(sub: pd.DataFrame, today: pd.Timestamp) -> list[Findings]:
    text, date = sub["assessment_date_text"], sub["assessment_date"]
    if not ((text.notna() & date.isna()) | (date > today) | (date < EARLIEST_DATE)).any():
        return [_none("date_out_of_range")]
    unreadable, future, early = _rows(sub, text.notna() & date.isna()), _rows(sub, date > today), _rows(sub, date < EARLIEST_DATE)
    return [
        _findings(unreadable["root_uuid"], "date_out_of_range",
                  fill("date_not_a_date", text=_text(unreadable["assessment_date_text"]))),
        _findings(future["root_uuid"], "date_out_of_range", fill("date_in_future", date=_text(future["assessment_date_text"]))),
        _findings(early["root_uuid"], "date_out_of_range",
                  fill("date_too_early", date=_text(early["assessment_date_text"]), earliest=f"{EARLIEST_DATE:%Y-%m-%d}")),
    ]


def _status(table: pd.DataFrame) -> np.ndarray:
    """The ANSWER_STATUS codes of a table's ``answer_status`` column."""
    return id_positions(table["answer_status"], ANSWER_STATUS)


def _criterion_order(found: pd.DataFrame, fw: Framework) -> np.ndarray:
    return id_positions(found["criterion_id"], [c.id for c in fw.criteria])


def _invalid_codes(tidy: Tidy, fw: Framework) -> list[Findings]:
    codes = f"1-{len(fw.levels)}"
    bad = _rows(tidy.answers, _status(tidy.answers) == INVALID)
    bad_level = _rows(tidy.section_answers, _status(tidy.section_answers) == INVALID)
    sub = tidy.submissions
    scope = _rows(sub, sub["assessment_scope"].notna() & ~sub["assessment_scope"].isin(SCOPES))
    if bad.empty and bad_level.empty and scope.empty:
        return [_none("invalid_answer_code")]
    return [
        _findings(bad["root_uuid"], "invalid_answer_code",
                  fill("invalid_criterion_answer", criterion=_text(bad["criterion_id"]), answer=_text(bad["answer"]),
                       codes=codes, not_assessed=NOT_ASSESSED), _criterion_order(bad, fw)),
        _findings(bad_level["root_uuid"], "invalid_answer_code",
                  fill("invalid_level_answer", section=_text(bad_level["section_id"]), answer=_text(bad_level["answer"]),
                       codes=codes), _section_order(bad_level, fw)),
        _findings(scope["root_uuid"], "invalid_answer_code",
                  fill("invalid_scope", answer=_text(scope["assessment_scope"]), codes=", ".join(SCOPES))),
    ]


def _older_versions(sub: pd.DataFrame, sections: pd.DataFrame, fw: Framework, current_version: str | None) -> Findings:
    """One finding per submission of an older form version, with the number of criteria it has (its sections'
    ``n_criteria``)."""
    if not sub["older_version"].any():
        return _none("older_form_version")
    by_section = grid(sub, sections, "section_id", [s.id for s in fw.sections])
    n_in_form = by_section.matrix(sections["n_criteria"].to_numpy(dtype=np.int64), 0).sum(axis=1)
    older = sub["older_version"].to_numpy(dtype=bool)
    found = _rows(sub, older)
    version, criteria = _text(found["form_version"].fillna(NO_VERSION)), _text(n_in_form[older])
    detail = (fill("older_form_version", version=version, current=current_version, criteria=criteria) if current_version
              else fill("older_than_latest", version=version, criteria=criteria))
    return _findings(found["root_uuid"], "older_form_version", detail)


def _section_order(found: pd.DataFrame, fw: Framework) -> np.ndarray:
    return id_positions(found["section_id"], [s.id for s in fw.sections])


def _not_assessed(tidy: Tidy, fw: Framework) -> Findings:
    """One finding per submission listing its criteria answered ``na`` or left unanswered (of those its form has),
    in framework order."""
    answers, status = tidy.answers, _status(tidy.answers)
    found = _rows(answers[["root_uuid", "criterion_id"]], answers["in_form"].to_numpy(dtype=bool)
                  & ((status == NOT_RATED) | (status == MISSING)))
    if found.empty:
        return _none("criteria_not_assessed")
    position = submission_positions(tidy.submissions, found["root_uuid"])
    order = np.lexsort((_criterion_order(found, fw), position))  # each submission's criteria together, in order
    position = position[order]
    starts = np.flatnonzero(np.r_[True, position[1:] != position[:-1]])
    listed_ids = np.array([f"{c.id}, " for c in fw.criteria] + [""], dtype=object)[_criterion_order(found, fw)[order]]
    listed = pd.Series([text[:-2] for text in np.add.reduceat(listed_ids, starts)], dtype="str")
    counts = _text(np.diff(np.r_[starts, len(order)]))
    return _findings(found["root_uuid"].iloc[order[starts]], "criteria_not_assessed",
                     fill("criteria_not_assessed", criteria=counts, ids=listed))


def _far_levels(sections: pd.DataFrame, fw: Framework) -> Findings:
    computed, assessed = level_codes(sections["computed_level"]), level_codes(sections["assessed_level"])
    far = (computed != NO_LEVEL) & (assessed != NO_LEVEL) & (np.abs(assessed.astype(np.int16) - computed) >= FAR_APART)
    found = _rows(sections[["root_uuid", "section_id", "computed_level", "assessed_level"]], far & sections["why"].isna().to_numpy())
    if found.empty:
        return _none("level_far_from_computed_without_reason")
    detail = fill("level_far_from_computed_without_reason", section=_text(found["section_id"]),
                  assessed=_text(found["assessed_level"]), computed=_text(found["computed_level"]))
    return _findings(found["root_uuid"], "level_far_from_computed_without_reason", detail, _section_order(found, fw))


def _duplicates(sub: pd.DataFrame) -> Findings:
    keys = list(DUPLICATE_KEYS)
    complete = sub[keys].notna().all(axis=1).to_numpy()
    size = np.zeros(len(sub), dtype=np.int64)
    size[complete] = sub[complete].groupby(keys, observed=True)["root_uuid"].transform("size").to_numpy()
    found = _rows(sub, size > 1)
    if found.empty:
        return _none("duplicate_assessment")
    detail = fill("duplicate_assessment", country=_text(found["country"]), agency=_text(found["agency"]),
                  scope=_text(found["assessment_scope"]), date=_text(found["assessment_date"].dt.strftime("%Y-%m-%d")),
                  others=_text(size[size > 1] - 1))
    return _findings(found["root_uuid"], "duplicate_assessment", detail)


def _truncated(truncated: pd.DataFrame, fw: Framework) -> Findings:
    """One finding per field cut, in form order (the details, then the criteria, then the sections' fields)."""
    if truncated.empty:
        return _none("text_truncated")
    fields = scoring_fields(fw)
    detail = fill("text_truncated", field=_text(truncated["field"]), characters=_text(truncated["length"].map("{:,}".format)),
                  limit=f"{TEXT_LIMIT:,}")
    return _findings(truncated["root_uuid"], "text_truncated", detail, id_positions(truncated["field"], fields))


def _evidence(findings: pd.DataFrame | None, check: str) -> Findings:
    mine = findings[findings["check"] == check] if findings is not None else None
    if mine is None or mine.empty:
        return _none(check)
    return _findings(mine["root_uuid"], check, mine["detail"].reset_index(drop=True), np.arange(len(mine), dtype=np.int64))


def _left_out(sub: pd.DataFrame, reasons: np.ndarray | None) -> Findings:
    """One finding per submission left out of its round's figures (``scoring.rounds.left_out``: a reason or "")."""
    if reasons is None or not (out := reasons != "").any():
        return _none("left_out_of_round")
    found = _rows(sub, out)
    detail = fill("left_out_of_round", country=_text(found["country"]).fillna(NO_COUNTRY), round=_text(found["round"]).fillna(""),
                  reason=pd.Series(reasons[out], dtype="str").str.replace("_", " "))
    return _findings(found["root_uuid"], "left_out_of_round", detail)


def quality_table(tidy: Tidy, sections: pd.DataFrame, fw: Framework, current_version: str | None,
                  today: pd.Timestamp | None = None, evidence: pd.DataFrame | None = None,
                  left_out: np.ndarray | None = None) -> pd.DataFrame:
    """All findings (QUALITY_COLUMNS), grouped by submission in submission order, then in CHECKS order, then by
    criterion, section or field in framework order. ``evidence``: the findings of ``scoring.indicators``
    (root_uuid, check, detail), in their own order within a check; ``left_out``: per submission, the reason it is
    left out of its round's figures ("" when counted; ``scoring.rounds.left_out``)."""
    sub = tidy.submissions
    today = (today or pd.Timestamp.today()).normalize()
    parts = [
        *_missing_fields(sub),
        _unknown_countries(sub),
        *_dates(sub, today),
        *_invalid_codes(tidy, fw),
        _older_versions(sub, sections, fw, current_version),
        _not_assessed(tidy, fw),
        _far_levels(sections, fw),
        _duplicates(sub),
        _truncated(tidy.truncated, fw),
        *(_evidence(evidence, check) for check in (INVALID_FIGURE, NOT_SUPPORTED)),
        _left_out(sub, left_out),
    ]  # in CHECKS order
    position = np.concatenate([submission_positions(sub, p.root_uuid) for p in parts])
    part = np.concatenate([np.full(len(p.root_uuid), i, dtype=np.int16) for i, p in enumerate(parts)])
    within = np.concatenate([p.within for p in parts])
    order = np.lexsort((within, part, position))  # never the order of the rows the findings were found on
    root_uuid = pd.concat([p.root_uuid for p in parts], ignore_index=True)
    detail = pa.chunked_array([chunk for p in parts for chunk in p.detail], type=pa.large_string())
    return pd.DataFrame(
        {
            "root_uuid": _text(root_uuid.take(order)),
            "check": pd.Series(np.array([p.check for p in parts], dtype=object)[part[order]], dtype="str"),
            "detail": pd.Series(detail.take(order).to_pandas(), dtype="str"),
        }
    )
