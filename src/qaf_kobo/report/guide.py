"""The coordinator's guide, ``reports/README.md``: its "rules behind the figures" are the About sheet's rules in
English, written into the guide between two markers by :func:`refresh_guide` (``make guide``), so the two never
drift (a test checks the guide is current)."""

from __future__ import annotations

from pathlib import Path

from qaf_kobo.framework import Framework, default_framework
from qaf_kobo.framework.files import forms_dir
from qaf_kobo.report.sheets.about import rules
from qaf_kobo.report.wording import wording

START = "<!-- rules: written by `make guide` from the About sheet's rules (forms/ui/ui.yaml); edit them there -->"
END = "<!-- end of rules -->"


def guide_path() -> Path:
    """``reports/README.md`` of the checkout (beside ``forms/``)."""
    return forms_dir().parent / "reports" / "README.md"


def rules_block(fw: Framework | None = None) -> str:
    """The rules as the guide shows them: one list item per rule, in the About sheet's order and words."""
    fw = fw or default_framework()
    return "\n".join(f"- {text}" for text in rules(fw, wording(fw, "en")))


def with_rules(guide: str, fw: Framework | None = None) -> str:
    """The guide's text with the block between START and END replaced by the current rules."""
    head, rest = guide.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{rules_block(fw)}\n{END}{tail}"


def refresh_guide(path: Path | None = None) -> bool:
    """Write the current rules into the guide; True when it changed."""
    path = path or guide_path()
    text = path.read_text(encoding="utf-8")
    new = with_rules(text)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text
