"""Data quality's details in the report language: each detail scoring wrote is read back with its shape's parser
(``scoring.finding_details``) and worded by ``report.detail.<shape>``, its values shown as the report shows them
elsewhere (a level's name, a count with its plural, a country's name, a round's label); ids, field names, form
versions and what people typed stay as they are. A detail of no known shape stays as scoring wrote it."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from qaf_kobo.framework.catalogue import ENGLISH
from qaf_kobo.report.wording import Wording
from qaf_kobo.scoring.finding_details import DETAILS, NO_COUNTRY, NO_VERSION, parser

REWORDED_IN_ENGLISH: tuple[str, ...] = ("criteria_not_assessed",)
"""The shapes the English report words itself; the English report shows the other details as scoring wrote them."""
_PLACE = re.compile("\0(\\w+)\0")


def _number(value: str) -> int:
    return int(value.replace(",", ""))


def _lower_first(text: str) -> str:
    """A label inside a sentence: its first letter in lower case (not an acronym's)."""
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def _renderers(words: Wording) -> dict[str, Callable[[str], str]]:
    """Per slot name: how its value is shown in the report language (a slot not listed: as scoring wrote it)."""
    fw = words.fw
    levels = {level.label: level.code for level in fw.levels}
    indicators = {indicator.label.lower(): indicator.id for indicator in fw.evidence.indicators}

    def level(value: str) -> str:
        return words.level(int(value)) if 1 <= int(value) <= len(fw.levels) else value

    def target(value: str) -> str:
        bound, _, number = value.rpartition(" ")
        return words(f"report.indicator.{bound.replace(' ', '_')}", target=number)

    return {
        "criteria": lambda v: words.count("criteria", int(v)),
        "others": lambda v: words.count("other_submissions", int(v)),
        "characters": lambda v: words.count("characters", _number(v)),
        "limit": lambda v: str(_number(v)),
        "assessed": level,
        "computed": level,
        "level_label": lambda v: words.level(levels[v]) if v in levels else v,
        "indicator": lambda v: _lower_first(words(f"indicator.{indicators[v]}.label")) if v in indicators else v,
        "target": target,
        "country": lambda v: words("report.detail_value.no_country") if v == NO_COUNTRY else words.country(v),
        "version": lambda v: words("report.detail_value.no_version") if v == NO_VERSION else v,
        "round": words.round_label,
        "scope": lambda v: words.optional(f"report.scope.{v}", v),
        "reason": lambda v: words.optional(f"report.left_out.{v.replace(' ', '_')}", v),
    }


def _shown(values: pd.Series, render: Callable[[str], str]) -> np.ndarray:
    """The values as shown, each distinct value rendered once."""
    codes, uniques = pd.factorize(values)
    return np.array([render(u) for u in uniques], dtype=object)[codes]


def worded_details(checks: pd.Series, details: pd.Series, words: Wording) -> np.ndarray:
    """The findings' details in the report language (``details`` of the findings' ``checks``, in order)."""
    out = details.astype(object).to_numpy(copy=True)
    checks = checks.astype(object).to_numpy(copy=True)
    renderers = _renderers(words)
    for shape, (check, _) in DETAILS.items():
        if words.lang == ENGLISH and shape not in REWORDED_IN_ENGLISH:
            continue
        rows = np.flatnonzero(checks == check)
        if not len(rows):
            continue
        found = pd.Series(out[rows], dtype=object).str.extract(parser(shape))
        matched = found.iloc[:, 0].notna().to_numpy()
        if not matched.any():
            continue
        found = found[matched]
        template = words(f"report.detail.{shape}", **{slot: f"\0{slot}\0" for slot in found.columns})
        text = np.full(len(found), "", dtype=object)
        for i, part in enumerate(_PLACE.split(template)):
            if i % 2 == 0:
                text = text + part
            else:
                text = text + _shown(found[part], renderers.get(part, str))
        out[rows[matched]] = text
        checks[rows[matched]] = None  # worded: no other shape reads it
    return out
