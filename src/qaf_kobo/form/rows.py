"""Survey rows and their strings in every language of a form (shared by the form's parts)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qaf_kobo.framework.catalogue import ENGLISH, Texts

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Language:
    """A form language: its XLSForm name (``Français (fr)``) and its strings."""

    code: str
    name: str
    texts: Texts
    status: str = ""


class Strings:
    """Looks up ids in each language, records fallbacks to English, fills {placeholders}."""

    def __init__(self, languages: list[Language]):
        self.languages = languages
        self.missing: dict[str, list[str]] = {lang.code: [] for lang in languages}
        self.broken: dict[str, list[str]] = {lang.code: [] for lang in languages}

    def get(self, string_id: str, **values: str | dict[str, str]) -> dict[str, str]:
        """``{"label::Français (fr)": text, ...}``-ready texts by language name; values may differ per language."""
        out: dict[str, str] = {}
        for lang in self.languages:
            english_text = lang.texts.english[string_id]
            text = lang.texts.translated.get(string_id) or ""
            if lang.code != ENGLISH and not text.strip():  # a blank translation falls back as a missing one
                _note(self.missing[lang.code], string_id)
                text = english_text
            elif lang.code != ENGLISH and set(_PLACEHOLDER.findall(text)) != set(_PLACEHOLDER.findall(english_text)):
                _note(self.broken[lang.code], string_id)
                text = english_text
            text = text or english_text
            for key, value in values.items():
                text = text.replace("{" + key + "}", value[lang.name] if isinstance(value, dict) else value)
            out[lang.name] = text
        return out


    def code(self, text: str) -> dict[str, str]:
        """A Latin code (``2a.3``) in each language: kept left to right inside right-to-left text by Unicode
        isolate marks (LRI … PDI), so its dot and digits are not reordered by the surrounding Arabic."""
        return {lang.name: f"\u2066{text}\u2069" if lang.texts.direction == "rtl" else text for lang in self.languages}

    def isolated(self, text: str) -> dict[str, str]:
        """Text of unknown direction (an answer shown in a note) isolated inside right-to-left text (FSI … PDI)."""
        return {lang.name: f"\u2068{text}\u2069" if lang.texts.direction == "rtl" else text for lang in self.languages}

    def join(self, parts: list[dict[str, str]]) -> dict[str, str]:
        """Texts joined by each language's list separator (``; ``, Arabic ``؛ ``), each text once."""
        separator = self.get("form.list_separator")
        return {name: separator[name].join(dict.fromkeys(p[name] for p in parts)) for name in separator}


def _note(ids: list[str], string_id: str) -> None:
    if string_id not in ids:
        ids.append(string_id)


def cells(column: str, by_language: dict[str, str]) -> dict[str, str]:
    return {f"{column}::{name}": text for name, text in by_language.items()}


def row(type_: str, name: str = "", **columns: str | dict[str, str]) -> dict[str, str]:
    """A survey row; translated columns are given as {language name: text}."""
    row = {"type": type_, "name": name}
    for column, value in columns.items():
        if isinstance(value, dict):
            row |= cells(column, value)
        elif value:
            row[column] = value
    return row
