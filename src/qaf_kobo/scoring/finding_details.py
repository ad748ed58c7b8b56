"""The shapes of the data-quality findings' detail texts: per shape, the English template scoring fills (``fill``,
column by column) and the pattern that reads its values back (``parser``), for the report to word the detail in
its own language (``report.detail.<shape>``). A template's ``{slot}`` names what the value is (SLOTS)."""

from __future__ import annotations

import re
from functools import cache

import pandas as pd

DETAILS: dict[str, tuple[str, str]] = {
    "missing_field": ("missing_field", "no {field}"),
    "unknown_country": ("unknown_country", "'{code}' is not an ISO 3166-1 alpha-3 country code"),
    "date_not_a_date": ("date_out_of_range", "assessment_date '{text}' is not a date (YYYY-MM-DD)"),
    "date_in_future": ("date_out_of_range", "assessment_date {date} is in the future"),
    "date_too_early": ("date_out_of_range", "assessment_date {date} is before {earliest}"),
    "invalid_criterion_answer": ("invalid_answer_code",
                                 "criterion {criterion}: answer '{answer}' is not {codes} or {not_assessed}"),
    "invalid_level_answer": ("invalid_answer_code", "section {section} assessed level: answer '{answer}' is not {codes}"),
    "invalid_scope": ("invalid_answer_code", "assessment_scope '{answer}' is not one of {codes}"),
    "older_form_version": ("older_form_version",
                           "form version {version} (current: {current}); scored on the {criteria} criteria it has"),
    "older_than_latest": ("older_form_version",
                          "form version {version} (older than its source's latest); scored on the {criteria} criteria it has"),
    "criteria_not_assessed": ("criteria_not_assessed", "{criteria} criteria not assessed (na or unanswered): {ids}"),
    "level_far_from_computed_without_reason": (
        "level_far_from_computed_without_reason",
        "section {section}: assessed level {assessed}, computed level {computed}, no reason given"),
    "duplicate_assessment": ("duplicate_assessment", "same country, agency, scope and date ({country}, {agency}, "
                             "{scope}, {date}) as {others} other submission(s)"),
    "text_truncated": ("text_truncated", "{field}: {characters} characters, cut to the first {limit}"),
    "invalid_evidence_figure": ("invalid_evidence_figure", "{field} '{text}' is not a number (taken as unknown)"),
    "rating_not_supported_by_evidence": ("rating_not_supported_by_evidence",
                                         "criterion {criterion} at {level_label}, but {indicator} is {value} "
                                         "(target: {target})"),
    "left_out_of_round": ("left_out_of_round", "left out of the figures of {country}'s round '{round}': {reason}"),
}
"""Per shape id: the check whose findings have this shape, and its English template."""

NO_VERSION = "(none)"
"""The ``version`` of a submission that names no form version."""
NO_COUNTRY = "(no country)"
"""The ``country`` of a submission that names no country."""
SLOTS: dict[str, str] = {
    "field": r"[^ :']+",
    "date": r"\d{4}-\d{2}-\d{2}",
    "earliest": r"\d{4}-\d{2}-\d{2}",
    "criterion": r"[^ :]+",
    "section": r"[^ :]+",
    "codes": r".+",
    "not_assessed": r"\S+",
    "criteria": r"\d+",
    "assessed": r"\d+",
    "computed": r"\d+",
    "country": r".*?",
    "scope": r"[^,]*",
    "others": r"\d+",
    "characters": r"[\d,]+",
    "limit": r"[\d,]+",
    "value": r"\S+",
    "target": r"at (?:most|least) \S+",
    "reason": r"[a-z ]+",
}
"""What each slot's value looks like (a regular expression; a slot not listed: any text, as long as can be)."""
_SLOT = re.compile(r"\{(\w+)\}")


def fill(shape: str, **values: pd.Series | str) -> pd.Series | str:
    """The shape's template filled from text columns (or one text for every row), concatenated column-wise."""
    out: pd.Series | str = ""
    for i, part in enumerate(_SLOT.split(DETAILS[shape][1])):
        value = values[part] if i % 2 else part
        if isinstance(value, str) and not value:
            continue
        out = value if isinstance(out, str) and not out else out + value
    return out


def fill_one(shape: str, **values: object) -> str:
    """The shape's template filled for one finding."""
    return DETAILS[shape][1].format(**values)


@cache
def parser(shape: str) -> re.Pattern[str]:
    """A pattern matching the whole of a detail of this shape, a named group per slot."""
    parts = _SLOT.split(DETAILS[shape][1])
    pattern = "".join(f"(?P<{part}>{SLOTS.get(part, '.*')})" if i % 2 else re.escape(part) for i, part in enumerate(parts))
    return re.compile(r"\A" + pattern + r"\Z", re.S)
