"""Where the shipped data lives: ``forms/`` in a checkout, ``qaf_kobo/forms/`` inside an installed wheel.

Each framework has its own folder, ``forms/<name>/``, with ``framework.yaml`` and ``translations/<code>.yaml``
(its own strings); the wording of the form and the reports, shared by every framework, is ``forms/ui/ui.yaml``
with ``forms/ui/translations/<code>.yaml``. Translations an office makes itself go to a user folder instead.
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


def ui_dir() -> Path:
    """The folder of the form and report wording (``ui.yaml``) and its translations."""
    return forms_dir() / "ui"


def framework_dir(framework_source: Path) -> Path:
    """The folder of a framework file, which holds its ``translations/``."""
    return Path(framework_source).parent


def user_translations_dir() -> Path:
    """Translations an office made itself: $QAF_TRANSLATIONS_DIR, else ~/.config/qaf-kobo/translations; inside,
    ``ui/<code>.yaml`` and ``<framework id>/<code>.yaml``."""
    return Path(os.environ.get("QAF_TRANSLATIONS_DIR") or Path.home() / ".config" / "qaf-kobo" / "translations")


def translation_folders(part: str, shipped: Path) -> tuple[Path, Path]:
    """Where the translations of one part (``ui`` or a framework id) are read from: the shipped folder, then the
    user's (which wins per language)."""
    return shipped / "translations", user_translations_dir() / part


def writable_translations_dir(part: str, shipped: Path) -> Path:
    """Where an imported translation of one part goes: next to the framework or ui.yaml it translates (in a checkout,
    to be committed), but never into an installed package, which an upgrade would overwrite: then the user's
    folder; $QAF_TRANSLATIONS_DIR always wins."""
    if os.environ.get("QAF_TRANSLATIONS_DIR") or shipped.resolve().is_relative_to(_PACKAGE_DIR):
        return user_translations_dir() / part
    return shipped / "translations"
