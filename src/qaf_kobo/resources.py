"""Where the shipped data lives: forms/qaf in a checkout, qaf_kobo/qaf inside an installed wheel."""

from __future__ import annotations

import os
from pathlib import Path

from qaf_kobo.errors import FrameworkError

_PACKAGE_DIR = Path(__file__).resolve().parent


def qaf_dir() -> Path:
    """The folder holding framework.yaml and translations/ (the wheel's copy first, else the checkout's)."""
    shipped = _PACKAGE_DIR / "qaf"
    if (shipped / "framework.yaml").is_file():
        return shipped
    checkout = _PACKAGE_DIR.parents[1] / "forms" / "qaf"
    if (checkout / "framework.yaml").is_file():
        return checkout
    raise FrameworkError(f"the QAF framework file is missing (looked in {shipped} and {checkout}): reinstall qaf-kobo")


def framework_path() -> Path:
    """The default framework file."""
    return qaf_dir() / "framework.yaml"


def translations_dir() -> Path:
    """The folder of the shipped translation files (fr.yaml, ar.yaml, ...)."""
    return qaf_dir() / "translations"


def user_translations_dir() -> Path:
    """Translations an office made itself: $QAF_TRANSLATIONS_DIR, else ~/.config/qaf-kobo/translations."""
    return Path(os.environ.get("QAF_TRANSLATIONS_DIR") or Path.home() / ".config" / "qaf-kobo" / "translations")


def writable_translations_dir() -> Path:
    """Where an imported translation goes: forms/qaf/translations in a checkout (to be committed), else the user's
    folder (never into an installed package, which an upgrade would overwrite); $QAF_TRANSLATIONS_DIR wins."""
    if os.environ.get("QAF_TRANSLATIONS_DIR") or qaf_dir() == _PACKAGE_DIR / "qaf":
        return user_translations_dir()
    return translations_dir()
