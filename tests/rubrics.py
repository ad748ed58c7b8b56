"""Small levelled rubrics made in the tests (any number of levels), written as framework files.

Shared by the tests that run a framework other than the shipped ones through the whole loop.
"""

from __future__ import annotations

from pathlib import Path

import yaml

LEVEL_WORDS = ("absent", "emerging", "developing", "established", "advanced", "leading")


def rubric(levels: int, *, name: str | None = None) -> dict:
    """A rubric with ``levels`` levels (2–6): two domains, three sections, five criteria, an action per step."""
    words = LEVEL_WORDS[:levels] if levels < len(LEVEL_WORDS) else LEVEL_WORDS
    criteria = {"a": 2, "b": 1, "c": 2}
    return {
        "id": name or f"rubric{levels}",
        "title": f"A {levels}-level test rubric",
        "version": "0.1",
        "form_id": f"rubric_{levels}",
        "levels": [{"name": word, "label": word.capitalize()} for word in words],
        "minimum_level": words[len(words) // 2],
        "domains": [{"id": "1", "title": "Planning"}, {"id": "2", "title": "Practice"}],
        "sections": [
            {"id": section, "domain": "1" if section == "a" else "2", "title": f"Section {section.upper()}",
             "criteria": [{"id": f"{section}.{n}", "title": f"Criterion {section}.{n}",
                           "levels": [f"{section}.{n} is {word}." for word in words]} for n in range(1, count + 1)]}
            for section, count in criteria.items()
        ],
        "actions": [{"criterion": f"{section}.{n}", "transition": f"{step}-{step + 1}",
                     "text": f"Move {section}.{n} from {words[step - 1]} to {words[step]}."}
                    for section, count in criteria.items() for n in range(1, count + 1) for step in range(1, levels)],
    }


def write_rubric(folder: Path, levels: int, **changes: object) -> Path:
    """Write a rubric's framework.yaml into ``folder`` (its top-level keys replaced by ``changes``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "framework.yaml"
    path.write_text(yaml.safe_dump(rubric(levels) | changes, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
