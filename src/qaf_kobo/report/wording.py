"""The report's words in one language: sheet names, headings, level names and action texts (English fallback)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from qaf_kobo.framework import Criterion, Domain, Framework, Section
from qaf_kobo.framework.catalogue import ENGLISH, Texts, installed_translations, texts
from qaf_kobo.plans.stages import STAGES

_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


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
        """The string with this id; ``{name}`` placeholders are filled from ``values``."""
        text = self.texts.get(string_id)
        for name, value in values.items():
            text = text.replace("{" + name + "}", value)
        return text

    def optional(self, string_id: str, default: str) -> str:
        """The string with this id, or ``default`` when the catalogue has no such id."""
        try:
            return self.texts.get(string_id)
        except KeyError:
            return default

    def sheet(self, key: str) -> str:
        """A sheet name: translated, without the characters Excel forbids, at most 31 characters."""
        return _SHEET_NAME_FORBIDDEN.sub(" ", self(f"report.sheet.{key}")).strip()[:31]

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
