"""Where the shipped data lives: ``forms/`` in a checkout, ``qaf_kobo/forms/`` inside an installed wheel.

Each framework has its own folder, ``forms/<name>/`` with ``framework.yaml`` and ``translations/``; the wording
of the form and the reports is ``forms/qaf/ui.yaml``.
"""

from __future__ import annotations

import os
from pathlib import Path

from qaf_kobo.errors import FrameworkError

_PACKAGE_DIR = Path(__file__).resolve().parents[1]
DEFAULT_FRAMEWORK = "qaf"
FRAMEWORK_FILE = "framework.yaml"


def forms_dir() -> Path:
    """The folder of the framework folders (the wheel's copy first, else the checkout's)."""
    for folder in (_PACKAGE_DIR / "forms", _PACKAGE_DIR.parents[1] / "forms"):
        if (folder / DEFAULT_FRAMEWORK / FRAMEWORK_FILE).is_file():
            return folder
    raise FrameworkError(f"the shipped framework files are missing (looked in {_PACKAGE_DIR / 'forms'} and "
                         f"{_PACKAGE_DIR.parents[1] / 'forms'}): reinstall qaf-kobo")


def in_wheel() -> bool:
    """True when running from an installed wheel (its data must not be written to)."""
    return forms_dir() == _PACKAGE_DIR / "forms"


def framework_names() -> list[str]:
    """The names of the shipped frameworks (``qaf`` first)."""
    names = sorted(p.parent.name for p in forms_dir().glob(f"*/{FRAMEWORK_FILE}"))
    return sorted(names, key=lambda name: name != DEFAULT_FRAMEWORK)


def framework_path(name_or_path: str | Path = DEFAULT_FRAMEWORK) -> Path:
    """The framework file for a shipped framework's name (``qaf``, ``cpss``) or a path to a framework file."""
    text = str(name_or_path)
    if text in framework_names():
        return forms_dir() / text / FRAMEWORK_FILE
    path = Path(text).expanduser()
    if path.is_dir():
        path = path / FRAMEWORK_FILE
    if path.suffix.lower() in (".yaml", ".yml") or os.sep in text or "/" in text:
        return path
    raise FrameworkError(f"no framework named {text!r} (shipped: {', '.join(framework_names())}; or give the path "
                         "of a framework.yaml)")


def qaf_dir() -> Path:
    """The QAF's folder, which also holds the wording of the form and the reports (``ui.yaml``)."""
    return forms_dir() / DEFAULT_FRAMEWORK


def translations_dir() -> Path:
    """The folder of the shipped translation files (fr.yaml, ar.yaml, ...)."""
    return qaf_dir() / "translations"


def user_translations_dir() -> Path:
    """Translations an office made itself: $QAF_TRANSLATIONS_DIR, else ~/.config/qaf-kobo/translations."""
    return Path(os.environ.get("QAF_TRANSLATIONS_DIR") or Path.home() / ".config" / "qaf-kobo" / "translations")


def writable_translations_dir() -> Path:
    """Where an imported translation goes: forms/qaf/translations in a checkout (to be committed), else the user's
    folder (never into an installed package, which an upgrade would overwrite); $QAF_TRANSLATIONS_DIR wins."""
    if os.environ.get("QAF_TRANSLATIONS_DIR") or in_wheel():
        return user_translations_dir()
    return translations_dir()
