"""Load and validate a framework file into a Framework; a broken file names the file, the entry and the problem.

The file's schema (pydantic) checks each entry; ``_check`` then checks what spans entries (ids, links, counts).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qaf_kobo.errors import FrameworkError
from qaf_kobo.framework.model import (
    Criterion,
    CrossCheck,
    Domain,
    Evidence,
    EvidenceField,
    EvidencePage,
    Framework,
    Indicator,
    Level,
    Ratio,
    Reference,
    Section,
    transition,
)

MIN_LEVELS, MAX_LEVELS = 2, 6
MAX_NESTING = 32
"""Deepest nesting of mappings and lists accepted in a framework file (the schema itself needs 6)."""
DEFAULT_COLOURS: dict[int, tuple[str, ...]] = {
    2: ("F8696B", "A9D08E"),
    3: ("F8696B", "FFE699", "A9D08E"),
    4: ("F8696B", "FFB366", "FFE699", "A9D08E"),
    5: ("F8696B", "FFB366", "FFE699", "C6E0B4", "A9D08E"),
    6: ("C00000", "F8696B", "FFB366", "FFE699", "C6E0B4", "A9D08E"),
}
"""Fill colours from red (lowest) to green (highest), for levels that name none."""

_NAME = r"^[a-z][a-z0-9_]*$"
_ID = r"^[A-Za-z0-9]+$"


# --------------------------------------------------------------------------- the file's schema (pydantic)
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _LevelIn(_Strict):
    name: str = Field(pattern=_NAME)
    label: str = Field(min_length=1)
    colour: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f]{6}$")


class _DomainIn(_Strict):
    id: str = Field(pattern=_ID)
    title: str = Field(min_length=1)


class _CriterionIn(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9]+\.\d+$")
    title: str = Field(min_length=1, max_length=60)
    hint: str | None = None
    levels: list[str]
    references: list[int] = []


class _SectionIn(_Strict):
    id: str = Field(pattern=_ID)
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


class _EvidenceFieldIn(_Strict):
    name: str = Field(pattern=r"^ev_[a-z0-9_]+$")
    type: Literal["integer", "decimal"]
    label: str = Field(min_length=1)
    hint: str = ""
    min: float
    max: float
    at_most: str | None = None


class _RatioIn(_Strict):
    name: str = Field(pattern=r"^ev_[a-z0-9_]+$")
    label: str = Field(min_length=1)
    numerator: str
    denominator: str


class _EvidencePageIn(_Strict):
    name: str = Field(pattern=_NAME)
    title: str = Field(min_length=1)
    fields: list[_EvidenceFieldIn] = Field(min_length=1)
    ratios: list[_RatioIn] = []


class _IndicatorIn(_Strict):
    id: str = Field(pattern=_NAME)
    label: str = Field(min_length=1)
    source: str = ""
    value: str
    min: float | None = None
    max: float | None = None


class _CrossCheckIn(_Strict):
    criterion: str
    levels: list[str] = Field(min_length=1)
    indicator: str


class _EvidenceIn(_Strict):
    pages: list[_EvidencePageIn] = Field(min_length=1)
    indicators: list[_IndicatorIn] = []
    cross_checks: list[_CrossCheckIn] = []


class _FrameworkIn(_Strict):
    id: str = Field(pattern=_NAME)
    title: str = Field(min_length=1)
    version: str = Field(pattern=r"^[0-9A-Za-z._-]+$")
    edition: str = ""
    form_id: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    levels: list[_LevelIn] = Field(min_length=MIN_LEVELS, max_length=MAX_LEVELS)
    minimum_level: str
    domains: list[_DomainIn] = Field(min_length=1)
    sections: list[_SectionIn] = Field(min_length=1)
    references: list[_ReferenceIn] = []
    actions: list[_ActionIn] = []
    evidence: _EvidenceIn | None = None


# --------------------------------------------------------------------------- checks across entries
def _form_references(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[str, str]]:
    """Text holding ``${…}``, which the form builder (pyxform) would read as a reference to a question."""
    if isinstance(data, str):
        if "${" in data:
            found = data[data.index("${"):][:40]
            return [(_path_of(path), f"{found!r}: ${{…}} in a form is a reference to a question, and the form "
                                     "cannot be built; write the text without it")]
        return []
    if isinstance(data, dict):
        return [p for key, value in data.items() for p in _form_references(value, (*path, str(key)))]
    if isinstance(data, list):
        return [p for i, value in enumerate(data) for p in _form_references(value, (*path, i))]
    return []


def _check(raw: _FrameworkIn) -> list[tuple[str, str]]:
    """Checks the schema alone cannot make: ids unique and linked, one descriptor per level, steps that exist."""
    problems: list[tuple[str, str]] = []

    def duplicates(kind: str, ids: list[tuple[str, Any]]) -> None:
        seen: set[Any] = set()
        for path, value in ids:
            if value in seen:
                problems.append((path, f"duplicate {kind} {value!r}"))
            seen.add(value)

    level_names = [lv.name for lv in raw.levels]
    duplicates("level name", [(f"levels[{i}].name", lv.name) for i, lv in enumerate(raw.levels)])
    duplicates("level label", [(f"levels[{i}].label", lv.label) for i, lv in enumerate(raw.levels)])
    if raw.minimum_level not in level_names:
        problems.append(("minimum_level", f"{raw.minimum_level!r} is not one of the levels ({', '.join(level_names)})"))
    duplicates("domain id", [(f"domains[{i}].id", d.id) for i, d in enumerate(raw.domains)])
    duplicates("section id", [(f"sections[{i}].id", s.id) for i, s in enumerate(raw.sections)])
    duplicates("criterion id", [(f"sections[{i}].criteria[{j}].id", c.id)
                                for i, s in enumerate(raw.sections) for j, c in enumerate(s.criteria)])
    duplicates("reference id", [(f"references[{i}].id", r.id) for i, r in enumerate(raw.references)])

    labels = ", ".join(lv.label for lv in raw.levels)
    reference_ids = {r.id for r in raw.references}
    used_domains = {s.domain for s in raw.sections}
    for i, domain in enumerate(raw.domains):
        if domain.id not in used_domains:
            problems.append((f"domains[{i}]", f"domain {domain.id!r} has no section"))
    domain_ids = {d.id for d in raw.domains}
    criterion_ids: set[str] = set()
    for i, section in enumerate(raw.sections):
        if section.domain not in domain_ids:
            problems.append((f"sections[{i}].domain", f"unknown domain {section.domain!r}"))
        for j, criterion in enumerate(section.criteria):
            path = f"sections[{i}].criteria[{j}]"
            criterion_ids.add(criterion.id)
            if criterion.id != f"{section.id}.{j + 1}":
                problems.append((f"{path}.id", f"expected '{section.id}.{j + 1}' (criteria are numbered in order), "
                                               f"found {criterion.id!r}"))
            if len(criterion.levels) != len(raw.levels):
                problems.append((f"{path}.levels", f"expected {len(raw.levels)} level descriptors, one per level "
                                                   f"({labels}), found {len(criterion.levels)}"))
            if criterion.hint is not None and not criterion.hint.strip():
                problems.append((f"{path}.hint", "the hint is empty: say what to look at, or leave the key out"))
            for k, text in enumerate(criterion.levels):
                if not text.strip():
                    problems.append((f"{path}.levels[{k}]", "the level descriptor is empty"))
            for k, ref in enumerate(criterion.references):
                if ref not in reference_ids:
                    problems.append((f"{path}.references[{k}]", f"unknown reference {ref}"))
    steps = [transition(code) for code in range(1, len(raw.levels))]
    for i, action in enumerate(raw.actions):
        if action.criterion not in criterion_ids:
            problems.append((f"actions[{i}].criterion", f"unknown criterion {action.criterion!r}"))
        if action.transition not in steps:
            problems.append((f"actions[{i}].transition", f"no step {action.transition!r} between the "
                                                         f"{len(raw.levels)} levels (steps: {', '.join(steps)})"))
    duplicates("action", [(f"actions[{i}].text", (a.criterion, a.transition, a.text)) for i, a in enumerate(raw.actions)])
    if raw.evidence is not None:
        problems += _check_evidence(raw.evidence, criterion_ids, level_names)
    return problems


def _check_evidence(evidence: _EvidenceIn, criterion_ids: set[str], level_names: list[str]) -> list[tuple[str, str]]:
    """Evidence names unique, ratios and indicators made of known figures, targets and cross-checks complete."""
    problems: list[tuple[str, str]] = []
    fields: set[str] = set()
    values: set[str] = set()
    for i, page in enumerate(evidence.pages):
        for j, item in enumerate(page.fields):
            path = f"evidence.pages[{i}].fields[{j}]"
            if item.name in values:
                problems.append((f"{path}.name", f"duplicate evidence name {item.name!r}"))
            if item.min > item.max:
                problems.append((path, f"min {item.min:g} is above max {item.max:g}"))
            if item.at_most is not None and item.at_most not in fields:
                problems.append((f"{path}.at_most", f"{item.at_most!r} is not a figure asked before this one"))
            fields.add(item.name)
            values.add(item.name)
        for j, ratio in enumerate(page.ratios):
            path = f"evidence.pages[{i}].ratios[{j}]"
            if ratio.name in values:
                problems.append((f"{path}.name", f"duplicate evidence name {ratio.name!r}"))
            for side in ("numerator", "denominator"):
                if getattr(ratio, side) not in fields:
                    problems.append((f"{path}.{side}", f"{getattr(ratio, side)!r} is not a figure of the form"))
            values.add(ratio.name)
    indicator_ids: set[str] = set()
    for i, indicator in enumerate(evidence.indicators):
        path = f"evidence.indicators[{i}]"
        if indicator.id in indicator_ids:
            problems.append((f"{path}.id", f"duplicate indicator id {indicator.id!r}"))
        indicator_ids.add(indicator.id)
        if indicator.value not in values:
            problems.append((f"{path}.value", f"{indicator.value!r} is not a figure or ratio of the form"))
        if (indicator.min is None) == (indicator.max is None):
            problems.append((path, "give the target as exactly one of min or max"))
    for i, check in enumerate(evidence.cross_checks):
        path = f"evidence.cross_checks[{i}]"
        if check.criterion not in criterion_ids:
            problems.append((f"{path}.criterion", f"unknown criterion {check.criterion!r}"))
        for k, level in enumerate(check.levels):
            if level not in level_names:
                problems.append((f"{path}.levels[{k}]", f"{level!r} is not one of the levels ({', '.join(level_names)})"))
        if check.indicator not in indicator_ids:
            problems.append((f"{path}.indicator", f"unknown indicator {check.indicator!r}"))
    return problems


def _build(raw: _FrameworkIn, source: Path) -> Framework:
    colours = DEFAULT_COLOURS[len(raw.levels)]
    levels = tuple(Level(code, lv.name, lv.label, (lv.colour or colours[code - 1]).upper())
                   for code, lv in enumerate(raw.levels, 1))
    steps = [transition(code) for code in range(1, len(levels))]
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
                    hint=(c.hint or "").strip(),
                    levels=tuple(c.levels),
                    references=tuple(references[r] for r in c.references),
                    actions=tuple(tuple(actions.get((c.id, step), ())) for step in steps),
                )
                for n, c in enumerate(s.criteria, 1)
            ),
        )
        for s in raw.sections
    )
    domains = tuple(Domain(d.id, d.title, tuple(s.id for s in sections if s.domain_id == d.id)) for d in raw.domains)
    minimum = next(level.code for level in levels if level.name == raw.minimum_level)
    return Framework(raw.id, raw.title, raw.version, raw.edition, raw.form_id, levels, minimum, domains, sections,
                     tuple(references.values()), source, _evidence(raw.evidence, levels))


def _evidence(raw: _EvidenceIn | None, levels: tuple[Level, ...]) -> Evidence:
    if raw is None:
        return Evidence()
    code = {level.name: level.code for level in levels}
    pages = tuple(
        EvidencePage(page.name, page.title,
                     tuple(EvidenceField(f.name, f.type, f.label, f.hint, f.min, f.max, f.at_most) for f in page.fields),
                     tuple(Ratio(r.name, r.label, r.numerator, r.denominator) for r in page.ratios))
        for page in raw.pages
    )
    indicators = tuple(Indicator(i.id, i.label, i.source, i.value, i.min, i.max) for i in raw.indicators)
    checks = tuple(CrossCheck(c.criterion, tuple(code[name] for name in c.levels), c.indicator) for c in raw.cross_checks)
    return Evidence(pages, indicators, checks)


# --------------------------------------------------------------------------- reading the file
def _path_of(loc: tuple[Any, ...]) -> str:
    """("sections", 4, "criteria", 2, "levels") -> "sections[4].criteria[2].levels"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _pydantic_problem(error: Mapping[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "missing key"
    return error["msg"].removeprefix("Value error, ")


def _text(source: Path) -> str:
    """The file as UTF-8 text; an unreadable file or a byte that is not UTF-8 is a located FrameworkError."""
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise FrameworkError(f"{source}: cannot read the framework file ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise FrameworkError(f"{source}: line {line}, column {column}: byte 0x{data[exc.start]:02x} is not UTF-8 "
                             "(save the file as UTF-8)") from None


class _DuplicateKey(yaml.constructor.ConstructorError):
    """A key given twice in one mapping (YAML itself would keep the last silently)."""


SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""PyYAML's safe loader, libyaml's (C) where PyYAML has it: the QAF's file parses in 7 ms instead of 90 ms."""


class _UniqueKeys(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise _DuplicateKey(None, None, f"the key {key!r} is given twice, on line {seen[key]} and on line "
                                                    f"{line} (YAML would keep only the second): keep one",
                                        key_node.start_mark)
                seen[key] = line
            except TypeError:  # an unhashable key: the base class says so
                break
        return yaml.constructor.SafeConstructor.construct_mapping(self, node, deep=deep)  # (also for _FastUniqueKeys)


class _FastUniqueKeys(SAFE_LOADER):  # type: ignore[valid-type,misc]
    """``_UniqueKeys`` on libyaml's parser."""

    construct_mapping = _UniqueKeys.construct_mapping


def _yaml(source: Path, text: str) -> Any:
    """The YAML document; syntax errors and nesting deeper than MAX_NESTING are located FrameworkErrors.

    Read with libyaml where PyYAML has it; a file it refuses is read again by PyYAML's own parser, whose messages
    locate the problem (libyaml stops at 1,000 levels of nesting before saying where the 33rd began)."""
    if SAFE_LOADER is yaml.SafeLoader:
        return _parse(source, text, yaml.SafeLoader, _UniqueKeys)
    try:
        return _parse(source, text, SAFE_LOADER, _FastUniqueKeys)
    except FrameworkError:
        return _parse(source, text, yaml.SafeLoader, _UniqueKeys)


def _parse(source: Path, text: str, events: type[yaml.SafeLoader], loader: type[yaml.SafeLoader]) -> Any:
    """``_yaml`` with these loaders (``events``: the nesting check's)."""
    try:
        depth = 0
        for event in yaml.parse(text, Loader=events):  # events first: no recursion on absurd nesting
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_NESTING:
                    mark = event.start_mark
                    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
                    raise FrameworkError(f"{source}: {where}nested more than "
                                         f"{MAX_NESTING} levels deep (a framework file needs at most 6)")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        return yaml.load(text, Loader=loader)  # noqa: S506  (a safe loader)
    except _DuplicateKey as exc:
        raise FrameworkError(f"{source}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", None) or str(exc)
        raise FrameworkError(f"{source}: YAML syntax error at {where}: {problem}") from None


def load_framework(path: str | Path) -> Framework:
    """Load and validate a framework file.

    Raises FrameworkError naming the file, the entry (e.g. ``sections[4].criteria[2].levels``) and the problem.
    """
    source = Path(path)
    data = _yaml(source, _text(source))
    if not isinstance(data, dict):
        raise FrameworkError(f"{source}: (top level): expected a mapping with id, title, version, levels, domains, "
                             "sections")
    try:
        raw = _FrameworkIn.model_validate(data)
    except ValidationError as exc:
        lines = [f"{_path_of(e['loc'])}: {_pydantic_problem(e)}" for e in exc.errors()]
        raise FrameworkError(f"{source}: {'; '.join(lines)}") from None
    problems = _form_references(data) + _check(raw)
    if problems:
        raise FrameworkError(f"{source}: {'; '.join(f'{p}: {m}' for p, m in problems)}")
    return _build(raw, source)
