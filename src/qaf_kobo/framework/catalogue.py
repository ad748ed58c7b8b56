"""Every user-visible string by a stable id, in English and in the shipped translations.

English comes from the framework file (title, level names, titles, descriptors, actions, references) and from
forms/ui/ui.yaml (the form and report wording every framework shares). Translations come in two files per
language, one per part: forms/ui/translations/<code>.yaml and forms/<framework>/translations/<code>.yaml (plus
the user's own, see ``files.user_translations_dir``), each:

    language: fr
    name: Français
    direction: ltr            # rtl for Arabic
    status: draft, to be reviewed by a native-speaking child-protection specialist
    strings: {<id>: <text>, ...}
    source_hashes: {<id>: <8 hex digits of the English text translated>, ...}

Ids: ``framework.title``, ``level.<name>``, ``evidence.page.<name>.title``, ``evidence.<field or ratio>.label``,
``evidence.<field>.hint``, ``indicator.<id>.label``, ``indicator.<id>.source``, ``domain.<id>.title``, ``section.<id>.title``, ``criterion.<id>.title``,
``criterion.<id>.hint`` (what to look at, when the framework gives one), ``criterion.<id>.level.<code>``, ``action.<criterion id>.<transition>.<k>`` (k counts from 1 within that
criterion and transition), ``reference.<n>`` (a footnote's citation), and the ids of ui.yaml (``form.*``, ``report.*``).
A language is available when the wording is translated; a framework without strings in that language falls back
to English, and ``Texts.missing`` lists what fell back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from qaf_kobo.errors import FrameworkError
from qaf_kobo.framework.files import framework_dir, translation_folders, ui_dir
from qaf_kobo.framework.load import SAFE_LOADER
from qaf_kobo.framework.model import Framework

UI_PREFIXES = ("form.", "report.")
"""The ids of the shared wording (ui.yaml); every other id is a framework's."""

ENGLISH = "en"
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "ar": "العربية", "es": "Español"}


def action_id(criterion_id: str, transition: str, k: int) -> str:
    """The id of the k-th (from 1) action of a criterion for a transition, e.g. ``action.2a.1.1-2.1``."""
    return f"action.{criterion_id}.{transition}.{k}"


def framework_strings(fw: Framework) -> dict[str, str]:
    """The English strings that come from the framework file, by id, in document order."""
    out = {"framework.title": fw.title}
    out |= {f"level.{lv.name}": lv.label for lv in fw.levels}
    out |= {f"domain.{d.id}.title": d.title for d in fw.domains}
    for section in fw.sections:
        out[f"section.{section.id}.title"] = section.title
        for c in section.criteria:
            out[f"criterion.{c.id}.title"] = c.title
            if c.hint:
                out[f"criterion.{c.id}.hint"] = c.hint
            out |= {f"criterion.{c.id}.level.{n}": text for n, text in enumerate(c.levels, 1)}
            for transition, actions in zip(fw.transitions, c.actions):
                out |= {action_id(c.id, transition, k): text for k, text in enumerate(actions, 1)}
    out |= {f"reference.{r.id}": r.citation for r in fw.references}
    for page in fw.evidence.pages:
        out[f"evidence.page.{page.name}.title"] = page.title
        for item in page.fields:
            out[f"evidence.{item.name}.label"] = item.label
            if item.hint:
                out[f"evidence.{item.name}.hint"] = item.hint
        out |= {f"evidence.{ratio.name}.label": ratio.label for ratio in page.ratios}
    out |= {f"indicator.{indicator.id}.label": indicator.label for indicator in fw.evidence.indicators}
    out |= {f"indicator.{indicator.id}.source": indicator.source for indicator in fw.evidence.indicators}
    return out


@cache
def ui_strings() -> dict[str, str]:
    """The English wording of the form and the reports (forms/ui/ui.yaml), by id."""
    source = ui_dir() / "ui.yaml"
    if not source.is_file():
        return {}
    data = yaml.load(source.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise FrameworkError(f"{source}: expected a flat mapping of string id -> English text")
    return data


def english(fw: Framework) -> dict[str, str]:
    """Every English string by id: the framework's and ui.yaml's."""
    return framework_strings(fw) | ui_strings()


def source_hash(text: str) -> str:
    """A short fingerprint of an English string, kept with its translation to notice later changes."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True)
class Translation:
    """One translation file."""

    code: str
    name: str
    direction: str
    status: str
    strings: dict[str, str]
    source_hashes: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    @property
    def label(self) -> str:
        """The XLSForm language name, e.g. ``Français (fr)``."""
        return f"{self.name} ({self.code})"


def load_translation(path: Path) -> Translation:
    """Read one translation file; a malformed file raises FrameworkError naming it and the problem."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise FrameworkError(f"{path}: cannot read the translation file: {exc}") from exc
    if not isinstance(data, dict):
        raise FrameworkError(f"{path}: expected a mapping with language, name, direction, status, strings")
    unknown = set(data) - {"language", "name", "direction", "status", "strings", "source_hashes"}
    if unknown:
        raise FrameworkError(f"{path}: unknown key(s): {', '.join(sorted(unknown))}")
    for key in ("language", "name", "status"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise FrameworkError(f"{path}: {key}: missing or not a string")
    strings = data.get("strings") or {}
    if not isinstance(strings, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in strings.items()):
        raise FrameworkError(f"{path}: strings: expected a mapping of string id -> text")
    direction = data.get("direction", "ltr")
    if direction not in ("ltr", "rtl"):
        raise FrameworkError(f"{path}: direction: expected ltr or rtl, found {direction!r}")
    return Translation(
        code=data["language"],
        name=data["name"],
        direction=direction,
        status=data["status"],
        strings=strings,
        source_hashes=data.get("source_hashes") or {},
        path=path,
    )


def _read_folder(folder: Path) -> dict[str, Translation]:
    found = (load_translation(p) for p in sorted(folder.glob("*.yaml"))) if folder.is_dir() else ()
    return {t.code: t for t in found}


@cache
def _translations(part: str, shipped: Path) -> dict[str, Translation]:
    first, second = translation_folders(part, shipped)
    return _read_folder(first) | _read_folder(second)


def installed_translations() -> dict[str, Translation]:
    """The languages the wording is translated into (shipped, and the user's own, which win), by code."""
    return _translations("ui", ui_dir())


def framework_translations(fw: Framework) -> dict[str, Translation]:
    """The translations of a framework's own strings (next to its file, and the user's own), by code."""
    return _translations(fw.id, framework_dir(fw.source))


def clear_translation_cache() -> None:
    """Forget the translation files read (after writing one)."""
    _translations.cache_clear()
    ui_strings.cache_clear()


def available_languages() -> list[str]:
    """English first, then the translations (French, Arabic, Spanish, then any other by code)."""
    order = list(LANGUAGE_NAMES)
    return [ENGLISH, *sorted(installed_translations(), key=lambda c: (order.index(c) if c in order else len(order), c))]


@dataclass(frozen=True)
class Texts:
    """Strings in one language with English fallback (for a missing or blank translation); ``missing`` lists the
    ids that fell back."""

    code: str
    english: dict[str, str]
    translated: dict[str, str]
    direction: str = "ltr"

    def get(self, string_id: str) -> str:
        """The string in this language, else in English (KeyError when the id does not exist at all)."""
        text = self.translated.get(string_id, "")
        return text if text.strip() else self.english[string_id]

    @property
    def missing(self) -> list[str]:
        """Ids with no translation in this language (always empty for English)."""
        return [] if self.code == ENGLISH else [k for k in self.english if not self.translated.get(k, "").strip()]


def texts(fw: Framework, code: str = ENGLISH) -> Texts:
    """The strings of one language (the wording and the framework's own, each falling back to English); an unknown
    language code raises FrameworkError."""
    if code == ENGLISH:
        return Texts(ENGLISH, english(fw), {})
    translation = installed_translations().get(code)
    if translation is None:
        raise FrameworkError(f"no translation for language {code!r} (available: {', '.join(available_languages())})")
    own = framework_translations(fw).get(code)
    return Texts(code, english(fw), translation.strings | (own.strings if own else {}), translation.direction)
