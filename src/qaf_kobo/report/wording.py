"""The report's words in one language: sheet names, headings, level names and action texts (English fallback)."""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pycountry
from babel import Locale, UnknownLocaleError

from qaf_kobo.framework import Criterion, Domain, Framework, Section
from qaf_kobo.framework.catalogue import ENGLISH, Texts, installed_translations, texts
from qaf_kobo.plans.stages import STAGES

_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
RLM = "\u200f"
"""The right-to-left mark: put after a value in right-to-left text, it keeps the punctuation that follows the value
on the value's left (where Arabic reads it), whatever the value's own direction (a code, a date, a Latin name)."""
ROUND_WORDS = ("baseline", "midline", "endline", "follow-up", "round")
"""Words of a round label shown in the report language (``report.round.<word>``): ``baseline 2025`` → ``Référence
2025``; the rest of the label stays as entered."""
_ROUND_WORD = re.compile(r"(?i)\b(" + "|".join(map(re.escape, ROUND_WORDS)) + r")\b")


@cache
def _country_catalogue(lang: str) -> gettext.NullTranslations:
    """pycountry's own translations of the ISO 3166-1 names (none for English, or a language it lacks)."""
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)


@cache
def plural_category(lang: str, n: int) -> str:
    """CLDR's plural category of ``n`` in ``lang`` (zero, one, two, few, many, other), from Babel."""
    try:
        return Locale.parse(lang).plural_form(n)
    except (UnknownLocaleError, ValueError):
        return "one" if n == 1 else "other"


@dataclass(frozen=True)
class Wording:
    """Looks up report strings by id in one language."""

    fw: Framework
    texts: Texts

    @property
    def lang(self) -> str:
        """The language code."""
        return self.texts.code

    @property
    def right_to_left(self) -> bool:
        """True for a right-to-left language (Arabic)."""
        return self.texts.direction == "rtl"

    @property
    def status(self) -> str:
        """The translation's review status ("" for English)."""
        translation = installed_translations().get(self.lang)
        return translation.status if translation and self.lang != ENGLISH else ""

    def __call__(self, string_id: str, **values: str) -> str:
        """The string with this id; ``{name}`` placeholders are filled from ``values`` (in right-to-left text each
        value is followed by a right-to-left mark, so that the punctuation after it stays in place, and a text that
        starts with a value starts with one, so that it reads right to left from its first character)."""
        text = self.texts.get(string_id)
        mark = RLM if self.right_to_left else ""
        starts_with_value = mark and text.startswith("{")
        for name, value in values.items():
            text = text.replace("{" + name + "}", f"{value}{mark}" if value else value)
        return RLM + text if starts_with_value else text

    def count(self, noun: str, n: int) -> str:
        """``n`` and the noun in the plural form the language's rules ask for: ``report.count.<noun>`` lists the
        forms by CLDR category ("one: {n} section | other: {n} sections"; ``other`` when the language has no form
        for a category): "1 section", "17 قسماً"."""
        forms = dict(part.split(":", 1) for part in self(f"report.count.{noun}").split("|"))
        forms = {category.strip(): text.strip() for category, text in forms.items()}
        text = forms.get(plural_category(self.lang, int(n)), forms["other"])
        return text.replace("{n}", str(n))

    def country(self, code: object, name: object = None) -> str:
        """A country's name in the report language (pycountry's translation of its ISO 3166-1 name), else
        ``name``, else the code."""
        found = pycountry.countries.get(alpha_3=str(code).strip().upper()) if isinstance(code, str) and code.strip() else None
        if found is None:
            return str(name) if name is not None and not pd.isna(name) else ("" if code is None else str(code))
        return _country_catalogue(self.lang).gettext(found.name)

    def round_label(self, label: object) -> str:
        """A round's label with its known words (baseline, follow-up …) in the report language (in English: as typed)."""
        if label is None or (not isinstance(label, str) and pd.isna(label)):
            return ""
        if self.lang == ENGLISH:
            return str(label)  # as typed
        return _ROUND_WORD.sub(lambda m: self.optional(f"report.round.{m.group(1).lower()}", m.group(1)), str(label))

    def optional(self, string_id: str, default: str) -> str:
        """The string with this id, or ``default`` when the catalogue has no such id."""
        try:
            return self.texts.get(string_id)
        except KeyError:
            return default

    def sheet(self, key: str) -> str:
        """A sheet name: translated, without the characters Excel forbids, at most 31 characters."""
        return _SHEET_NAME_FORBIDDEN.sub(" ", self(f"report.sheet.{key}")).strip()[:31]

    def level_short(self, code: int | None) -> str:
        """A level's short name for a small cell (``Critical``), "N/A" for no level; a legend gives the full names."""
        if code is None:
            return self("report.level_short.none")
        return self.optional(f"report.level_short.{self.fw.level(code).name}", self.level(code))

    def level(self, code: int | None) -> str:
        """A level's name (``Critical to address`` …), or "Not assessed" for no level."""
        if code is None:
            return self("report.col.not_assessed")
        return self(f"level.{self.fw.level(code).name}")

    def domain(self, domain: Domain) -> str:
        """``2. Case management process``."""
        return f"{domain.id}. {self(f'domain.{domain.id}.title')}"

    def section(self, section: Section) -> str:
        """``2a. Identification and registration``."""
        return f"{section.id}. {self(f'section.{section.id}.title')}"

    def criterion(self, criterion: Criterion) -> str:
        """``2a.3 Informed consent and assent``."""
        return f"{criterion.id} {self(f'criterion.{criterion.id}.title')}"

    def stage(self, key: str) -> str:
        """An implementation stage's name as the dropdown lists it (``not_started`` → "Not started")."""
        return dict(zip(STAGES, self.stages()))[key]

    def stages(self) -> list[str]:
        """The implementation stages for the dropdown (commas and quotes removed: they would break the list)."""
        return [re.sub(r'[,"]', " ", self(f"report.stage.{key}")).strip() for key in STAGES]


def wording(fw: Framework, lang: str = ENGLISH) -> Wording:
    """The report wording in ``lang``; an unknown language raises FrameworkError (a QafError)."""
    return Wording(fw, texts(fw, lang))


def translate(values: pd.Series, words: Wording, prefix: str, known: tuple[str, ...] | None = None) -> pd.Series:
    """Codes -> their report wording (``prefix + code``); unknown codes are shown as they are."""
    def one(code: object) -> object:
        if code is None or pd.isna(code) or str(code) == "":
            return None
        text = str(code)
        if known is not None and text not in known:
            return text
        return words.optional(prefix + text, text)

    return values.astype(object).map(one)


def round_labels(values: pd.Series, words: Wording) -> pd.Series:
    """Round labels in the report language (``Wording.round_label``), each distinct label rendered once."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    shown = np.array([words.round_label(u) for u in uniques] + [None], dtype=object)
    return pd.Series(shown[codes], index=values.index, dtype=object)
