"""The QAF as validated data: load forms/qaf/framework.yaml into an immutable Framework.

This module is the single source of names: section and criterion ids, level codes and names, and the form's
field names (``c_2a_3``, ``level_2a`` …) are derived here and imported everywhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qaf_kobo.errors import FrameworkError
from qaf_kobo.resources import framework_path

TRANSITIONS: tuple[str, ...] = ("1-2", "2-3", "3-4")
"""Moves between levels that seed 001 lists actions for; transition ``L-(L+1)`` is indexed ``L - 1``."""

LEVEL_NAMES: tuple[str, ...] = ("critical", "requires_improvement", "meets_minimum", "good_practice")
NOT_ASSESSED = "na"
"""The answer value for a criterion the assessor did not rate."""


# --------------------------------------------------------------------------- the file's schema (pydantic)
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _LevelIn(_Strict):
    code: int
    name: str
    label: str = Field(min_length=1)


class _DomainIn(_Strict):
    id: str = Field(pattern=r"^\d+$")
    title: str = Field(min_length=1)


class _CriterionIn(_Strict):
    id: str = Field(pattern=r"^\d+[a-z]?\.\d+$")
    title: str = Field(min_length=1, max_length=60)
    levels: list[str]
    references: list[int] = []

    @field_validator("levels")
    @classmethod
    def _four_levels(cls, value: list[str]) -> list[str]:
        if len(value) != 4:
            raise ValueError(
                f"expected exactly 4 level descriptors (Critical to address, Requires improvement, "
                f"Meets minimum levels, Good practice), found {len(value)}"
            )
        if any(not text.strip() for text in value):
            raise ValueError("a level descriptor is empty")
        return value


class _SectionIn(_Strict):
    id: str = Field(pattern=r"^\d+[a-z]?$")
    domain: str
    title: str = Field(min_length=1)
    criteria: list[_CriterionIn] = Field(min_length=1)


class _ReferenceIn(_Strict):
    id: int
    source: str | None
    locator: str | None
    text: str = Field(min_length=1)


class _ActionIn(_Strict):
    criterion: str
    transition: str
    text: str = Field(min_length=1)


class _FrameworkIn(_Strict):
    version: str = Field(min_length=1)
    edition: str = ""
    levels: list[_LevelIn]
    domains: list[_DomainIn] = Field(min_length=1)
    sections: list[_SectionIn] = Field(min_length=1)
    references: list[_ReferenceIn] = []
    actions: list[_ActionIn] = []


# --------------------------------------------------------------------------- the model the code uses
@dataclass(frozen=True)
class Level:
    """One of the four QAF levels."""

    code: int
    name: str
    label: str


@dataclass(frozen=True)
class Reference:
    """A footnote of the QAF: the guidance document (and page or section) a criterion points to."""

    id: int
    source: str | None
    locator: str | None
    text: str

    @property
    def citation(self) -> str:
        """One line for a guidance hint: "Source, locator", or the footnote text when it names no document."""
        if self.source and self.locator:
            return f"{self.source}, {self.locator}"
        return self.source or self.text


@dataclass(frozen=True)
class Criterion:
    """A criterion: four level descriptors, its references, and its actions per transition."""

    id: str
    section_id: str
    number: int
    title: str
    levels: tuple[str, str, str, str]
    references: tuple[Reference, ...]
    actions: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]

    @property
    def field(self) -> str:
        """The form field (and Kobo API key) of this criterion, e.g. ``c_2a_3``."""
        return f"c_{self.section_id}_{self.number}"

    def next_actions(self, level: int) -> tuple[str, ...]:
        """The actions that move this criterion from ``level`` to ``level + 1`` (none at Good practice)."""
        return self.actions[level - 1] if 1 <= level <= 3 else ()


@dataclass(frozen=True)
class Section:
    """A section (a page of the form): its criteria and the names of its fields."""

    id: str
    domain_id: str
    title: str
    criteria: tuple[Criterion, ...]

    @property
    def group(self) -> str:
        """The form group (page) name, e.g. ``s_2a``."""
        return f"s_{self.id}"

    @property
    def calc_field(self) -> str:
        """The calculated suggested level, e.g. ``calc_2a``."""
        return f"calc_{self.id}"

    @property
    def level_field(self) -> str:
        """The assessor's assessed level, e.g. ``level_2a``."""
        return f"level_{self.id}"

    @property
    def why_field(self) -> str:
        """The reason given when the assessed level differs from the suggested one, e.g. ``why_2a``."""
        return f"why_{self.id}"

    @property
    def notes_field(self) -> str:
        """The free notes of the section (the QAF's NOTES box), e.g. ``notes_2a``."""
        return f"notes_{self.id}"


@dataclass(frozen=True)
class Domain:
    """One of the eight domains; domain 2 holds sections 2 and 2a–2f, domain 5 sections 5a–5d."""

    id: str
    title: str
    section_ids: tuple[str, ...]


@dataclass(frozen=True)
class Framework:
    """The whole QAF: levels, domains, sections with their criteria, references and actions."""

    version: str
    edition: str
    levels: tuple[Level, ...]
    domains: tuple[Domain, ...]
    sections: tuple[Section, ...]
    references: tuple[Reference, ...]
    source: Path = field(compare=False)

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """Every criterion in document order."""
        return tuple(c for s in self.sections for c in s.criteria)

    def section(self, section_id: str) -> Section:
        """The section with this id (KeyError when unknown)."""
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with this id (KeyError when unknown)."""
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    def level(self, code: int) -> Level:
        """The level with this code (1–4)."""
        return self.levels[code - 1]

    def with_sections(self, section_ids: list[str] | tuple[str, ...]) -> Framework:
        """A framework limited to these sections (in framework order); unknown ids raise FrameworkError."""
        known = [s.id for s in self.sections]
        unknown = [sid for sid in section_ids if sid not in known]
        if unknown:
            raise FrameworkError(f"unknown section id(s): {', '.join(unknown)} (known: {', '.join(known)})")
        wanted = set(section_ids)
        sections = tuple(s for s in self.sections if s.id in wanted)
        domains = tuple(
            Domain(d.id, d.title, tuple(sid for sid in d.section_ids if sid in wanted))
            for d in self.domains
            if any(sid in wanted for sid in d.section_ids)
        )
        return Framework(self.version, self.edition, self.levels, domains, sections, self.references, self.source)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``qaf-kobo framework show --json``."""
        return {
            "version": self.version,
            "edition": self.edition,
            "levels": [{"code": lv.code, "name": lv.name, "label": lv.label} for lv in self.levels],
            "domains": [{"id": d.id, "title": d.title, "sections": list(d.section_ids)} for d in self.domains],
            "sections": [
                {
                    "id": s.id,
                    "domain": s.domain_id,
                    "title": s.title,
                    "criteria": [
                        {
                            "id": c.id,
                            "title": c.title,
                            "field": c.field,
                            "levels": list(c.levels),
                            "references": [
                                {"id": r.id, "source": r.source, "locator": r.locator, "text": r.text}
                                for r in c.references
                            ],
                            "actions": [list(a) for a in c.actions],
                        }
                        for c in s.criteria
                    ],
                }
                for s in self.sections
            ],
        }


# --------------------------------------------------------------------------- loading and validation
def _path_of(loc: tuple[Any, ...]) -> str:
    """("sections", 4, "criteria", 2, "levels") -> "sections[4].criteria[2].levels"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _pydantic_problem(error: dict[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "missing key"
    return error["msg"].removeprefix("Value error, ")


def _check(raw: _FrameworkIn) -> list[tuple[str, str]]:
    """Checks across entries that the schema alone cannot make: ids, links and order."""
    problems: list[tuple[str, str]] = []
    expected_levels = [(i + 1, name) for i, name in enumerate(LEVEL_NAMES)]
    if [(lv.code, lv.name) for lv in raw.levels] != expected_levels:
        problems.append(("levels", f"expected the four levels {expected_levels} in this order"))

    def duplicates(kind: str, ids: list[tuple[str, Any]]) -> None:
        seen: set[Any] = set()
        for path, value in ids:
            if value in seen:
                problems.append((path, f"duplicate {kind} id {value!r}"))
            seen.add(value)

    duplicates("domain", [(f"domains[{i}].id", d.id) for i, d in enumerate(raw.domains)])
    duplicates("section", [(f"sections[{i}].id", s.id) for i, s in enumerate(raw.sections)])
    duplicates(
        "criterion",
        [(f"sections[{i}].criteria[{j}].id", c.id) for i, s in enumerate(raw.sections) for j, c in enumerate(s.criteria)],
    )
    duplicates("reference", [(f"references[{i}].id", r.id) for i, r in enumerate(raw.references)])

    domain_ids = {d.id for d in raw.domains}
    reference_ids = {r.id for r in raw.references}
    criterion_ids: set[str] = set()
    for i, section in enumerate(raw.sections):
        if section.domain not in domain_ids:
            problems.append((f"sections[{i}].domain", f"unknown domain {section.domain!r}"))
        elif not re.fullmatch(rf"{section.domain}[a-z]?", section.id):
            problems.append((f"sections[{i}].id", f"section {section.id!r} does not belong to domain {section.domain!r}"))
        for j, criterion in enumerate(section.criteria):
            criterion_ids.add(criterion.id)
            if criterion.id != f"{section.id}.{j + 1}":
                problems.append(
                    (f"sections[{i}].criteria[{j}].id", f"expected {section.id}.{j + 1!r} (criteria are numbered in order), found {criterion.id!r}")
                )
            for k, ref in enumerate(criterion.references):
                if ref not in reference_ids:
                    problems.append((f"sections[{i}].criteria[{j}].references[{k}]", f"unknown reference {ref}"))
    for i, action in enumerate(raw.actions):
        if action.criterion not in criterion_ids:
            problems.append((f"actions[{i}].criterion", f"unknown criterion {action.criterion!r}"))
        if action.transition not in TRANSITIONS:
            problems.append(
                (f"actions[{i}].transition", f"unknown transition {action.transition!r} (expected one of {', '.join(TRANSITIONS)})")
            )
    texts = [(f"actions[{i}].text", (a.criterion, a.transition, a.text)) for i, a in enumerate(raw.actions)]
    duplicates("action", texts)
    return problems


def _build(raw: _FrameworkIn, source: Path) -> Framework:
    references = {r.id: Reference(r.id, r.source, r.locator, r.text) for r in raw.references}
    actions: dict[tuple[str, str], list[str]] = {}
    for action in raw.actions:
        actions.setdefault((action.criterion, action.transition), []).append(action.text)
    sections = tuple(
        Section(
            id=s.id,
            domain_id=s.domain,
            title=s.title,
            criteria=tuple(
                Criterion(
                    id=c.id,
                    section_id=s.id,
                    number=n,
                    title=c.title,
                    levels=tuple(c.levels),  # type: ignore[arg-type]
                    references=tuple(references[r] for r in c.references),
                    actions=tuple(tuple(actions.get((c.id, t), ())) for t in TRANSITIONS),  # type: ignore[arg-type]
                )
                for n, c in enumerate(s.criteria, 1)
            ),
        )
        for s in raw.sections
    )
    domains = tuple(Domain(d.id, d.title, tuple(s.id for s in sections if s.domain_id == d.id)) for d in raw.domains)
    return Framework(
        version=raw.version,
        edition=raw.edition,
        levels=tuple(Level(lv.code, lv.name, lv.label) for lv in raw.levels),
        domains=domains,
        sections=sections,
        references=tuple(references.values()),
        source=source,
    )


def load_framework(path: str | Path | None = None) -> Framework:
    """Load and validate a framework file (default: the shipped QAF).

    Raises FrameworkError naming the file, the entry (e.g. ``sections[4].criteria[2].levels``) and the problem.
    """
    source = Path(path) if path is not None else framework_path()
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise FrameworkError(f"{source}: cannot read the framework file ({exc.strerror or exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", None) or str(exc)
        raise FrameworkError(f"{source}: YAML syntax error at {where}: {problem}") from exc
    if not isinstance(data, dict):
        raise FrameworkError(f"{source}: (top level): expected a mapping with version, levels, domains, sections")
    try:
        raw = _FrameworkIn.model_validate(data)
    except ValidationError as exc:
        lines = [f"{_path_of(e['loc'])}: {_pydantic_problem(e)}" for e in exc.errors()]
        raise FrameworkError(f"{source}: {'; '.join(lines)}") from None
    problems = _check(raw)
    if problems:
        raise FrameworkError(f"{source}: {'; '.join(f'{p}: {m}' for p, m in problems)}")
    return _build(raw, source)


@cache
def default_framework() -> Framework:
    """The shipped QAF, loaded once per process."""
    return load_framework()
