"""The framework as data: the model (levels, domains, sections, criteria, actions), loading and validating a
framework file, the strings of every language, and where the shipped files live."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from qaf_kobo.framework.files import DEFAULT_FRAMEWORK, framework_names, framework_path
from qaf_kobo.framework.load import load_framework
from qaf_kobo.framework.model import Criterion, Domain, Framework, Level, Reference, Section, transition

__all__ = ["DEFAULT_FRAMEWORK", "Criterion", "Domain", "Framework", "Level", "Reference", "Section",
           "default_framework", "find_framework", "framework_names", "load_framework", "transition"]


@cache
def find_framework(name_or_path: str | Path = DEFAULT_FRAMEWORK) -> Framework:
    """A shipped framework by name (``qaf``, ``cpss``) or a framework file by path, loaded once per process."""
    return load_framework(framework_path(name_or_path))


def default_framework() -> Framework:
    """The QAF, loaded once per process."""
    return find_framework(DEFAULT_FRAMEWORK)
