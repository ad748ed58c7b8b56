"""Where the shipped data lives: forms/qaf in a checkout, qaf_kobo/qaf inside an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def qaf_dir() -> Path:
    """The folder holding framework.yaml and translations/ (the wheel's copy first, else the checkout's)."""
    shipped = _PACKAGE_DIR / "qaf"
    if (shipped / "framework.yaml").is_file():
        return shipped
    checkout = _PACKAGE_DIR.parents[1] / "forms" / "qaf"
    if (checkout / "framework.yaml").is_file():
        return checkout
    raise FileNotFoundError(f"the QAF framework file is missing (looked in {shipped} and {checkout})")


def framework_path() -> Path:
    """The default framework file."""
    return qaf_dir() / "framework.yaml"


def translations_dir() -> Path:
    """The folder of translation files (fr.yaml, ar.yaml, ...)."""
    return qaf_dir() / "translations"
