"""A levelled rubric as immutable data: levels, domains → sections → criteria, references and actions.

Everything about a framework comes from its file (``forms/<name>/framework.yaml``): the number of levels and
their names, colours and the level that meets the minimum, the ids and titles, the descriptors and the actions.
The code knows no framework constant; the form's field names are derived in ``qaf_kobo.form.contract``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from qaf_kobo.errors import FrameworkError


@dataclass(frozen=True)
class Level:
    """One level of the rubric: its code (1 = lowest), machine name, English label and fill colour (RGB hex)."""

    code: int
    name: str
    label: str
    colour: str


@dataclass(frozen=True)
class Reference:
    """A footnote: the guidance document (and page or section) a criterion points to."""

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


def transition(level: int) -> str:
    """The name of the step from ``level`` to the next one, e.g. ``"2-3"``."""
    return f"{level}-{level + 1}"


@dataclass(frozen=True)
class Criterion:
    """A criterion: its hint (what an assessor looks at, '' when the framework gives none), one descriptor per
    level, its references, and its actions per step up (``actions[L - 1]`` moves it from level L to L + 1)."""

    id: str
    section_id: str
    number: int
    title: str
    hint: str
    levels: tuple[str, ...]
    references: tuple[Reference, ...]
    actions: tuple[tuple[str, ...], ...]

    def next_actions(self, level: int) -> tuple[str, ...]:
        """The actions that move this criterion from ``level`` to ``level + 1`` (none at the top level)."""
        return self.actions[level - 1] if 1 <= level <= len(self.actions) else ()


@dataclass(frozen=True)
class Section:
    """A section (a page of the form) and its criteria."""

    id: str
    domain_id: str
    title: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Domain:
    """A domain and the ids of its sections."""

    id: str
    title: str
    section_ids: tuple[str, ...]


@dataclass(frozen=True)
class EvidenceField:
    """A figure the form asks for (optional): an ``integer`` or ``decimal`` between ``minimum`` and ``maximum``,
    and never above the field ``at_most`` names (e.g. female caseworkers ≤ caseworkers)."""

    name: str
    type: str
    label: str
    hint: str
    minimum: float
    maximum: float
    at_most: str | None = None


@dataclass(frozen=True)
class Ratio:
    """A figure the form computes from two others: ``numerator`` / ``denominator`` (unknown when either is)."""

    name: str
    label: str
    numerator: str
    denominator: str


@dataclass(frozen=True)
class EvidencePage:
    """A page of figures and the ratios it shows."""

    name: str
    title: str
    fields: tuple[EvidenceField, ...]
    ratios: tuple[Ratio, ...]


@dataclass(frozen=True)
class Indicator:
    """A figure (a field or a ratio, ``value``) with its target: at most ``maximum`` or at least ``minimum``."""

    id: str
    label: str
    source: str
    value: str
    minimum: float | None
    maximum: float | None

    def met(self, value: float) -> bool:
        """Whether a known value meets the target."""
        return (self.minimum is None or value >= self.minimum) and (self.maximum is None or value <= self.maximum)

    @property
    def target(self) -> float:
        """The target's number (the maximum, else the minimum)."""
        return self.maximum if self.maximum is not None else self.minimum  # type: ignore[return-value]


@dataclass(frozen=True)
class CrossCheck:
    """A rating the evidence must support: ``criterion`` at one of ``levels`` (codes) needs ``indicator`` met."""

    criterion_id: str
    levels: tuple[int, ...]
    indicator: str


@dataclass(frozen=True)
class Evidence:
    """The figures a framework asks for, the indicators made of them, and the checks of ratings against them."""

    pages: tuple[EvidencePage, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    cross_checks: tuple[CrossCheck, ...] = ()

    @property
    def fields(self) -> tuple[EvidenceField, ...]:
        """Every figure asked for, in form order."""
        return tuple(f for page in self.pages for f in page.fields)

    @property
    def ratios(self) -> tuple[Ratio, ...]:
        """Every ratio computed, in form order."""
        return tuple(r for page in self.pages for r in page.ratios)

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator with this id (KeyError when unknown)."""
        return next(i for i in self.indicators if i.id == indicator_id)


@dataclass(frozen=True)
class Framework:
    """A whole framework: its name (``id``), title, version, form id, levels, domains, sections, references."""

    id: str
    title: str
    version: str
    edition: str
    form_id: str
    levels: tuple[Level, ...]
    minimum: int
    """The code of the lowest level that meets the minimum."""
    domains: tuple[Domain, ...]
    sections: tuple[Section, ...]
    references: tuple[Reference, ...]
    source: Path = field(compare=False)
    evidence: Evidence = Evidence()

    @cached_property
    def criteria(self) -> tuple[Criterion, ...]:
        """Every criterion in document order."""
        return tuple(c for s in self.sections for c in s.criteria)

    @property
    def level_codes(self) -> tuple[int, ...]:
        """The level codes, lowest first: 1 … n."""
        return tuple(level.code for level in self.levels)

    @property
    def transitions(self) -> tuple[str, ...]:
        """The steps between levels that actions can be listed for: ``1-2`` … ``(n-1)-n``."""
        return tuple(transition(level.code) for level in self.levels[:-1])

    @property
    def minimum_level(self) -> Level:
        """The lowest level that meets the minimum."""
        return self.level(self.minimum)

    def level(self, code: int) -> Level:
        """The level with this code (1 … n); FrameworkError for any other code."""
        if not 1 <= code <= len(self.levels):
            raise FrameworkError(f"{self.id}: no level {code} (levels are 1 to {len(self.levels)})")
        return self.levels[code - 1]

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

    def domain_of(self, section_id: str) -> Domain:
        """The domain that holds this section."""
        return next(d for d in self.domains if section_id in d.section_ids)

    def with_sections(self, section_ids: list[str] | tuple[str, ...]) -> Framework:
        """The framework limited to these sections (in framework order); unknown ids raise FrameworkError."""
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
        return Framework(self.id, self.title, self.version, self.edition, self.form_id, self.levels, self.minimum,
                         domains, sections, self.references, self.source, self.evidence)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``qaf-kobo framework show --json``."""
        return {
            "id": self.id,
            "title": self.title,
            "version": self.version,
            "edition": self.edition,
            "form_id": self.form_id,
            "levels": [{"code": lv.code, "name": lv.name, "label": lv.label, "colour": lv.colour} for lv in self.levels],
            "minimum_level": self.minimum_level.name,
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
                            "hint": c.hint,
                            "levels": list(c.levels),
                            "references": [
                                {"id": r.id, "source": r.source, "locator": r.locator, "text": r.text}
                                for r in c.references
                            ],
                            "actions": {t: list(a) for t, a in zip(self.transitions, c.actions)},
                        }
                        for c in s.criteria
                    ],
                }
                for s in self.sections
            ],
        }
