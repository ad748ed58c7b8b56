"""Synthetic evidence figures for the demo's assessments: mostly consistent with the ratings, a few not.

Figures are drawn around each indicator's target, then adjusted so that every rating a cross-check covers is
supported — except for ``CONTRADICTIONS`` assessments, where one cross-checked rating is contradicted on purpose
so that the reports have something to show. About one assessment in seven gives no figures at all (unknown).
Generic over the framework's evidence; a framework without evidence gets no figures.
"""

from __future__ import annotations

import math
import random

from qaf_kobo.form.contract import criterion_field
from qaf_kobo.form.structure import FormStructure
from qaf_kobo.framework.model import EvidenceField, Framework, Indicator

CONTRADICTIONS = 3
"""How many assessments get one rating contradicted by their figures."""
NO_FIGURES = 1 / 7
"""The share of assessments that give no figures."""

Figures = dict[str, float]


def _draw(fw: Framework, indicators: dict[str, Indicator], rng: random.Random) -> Figures:
    """Plausible figures: an indicator's figure around its target; a count otherwise; then each ratio's
    denominator so that the ratio lands around its target; a figure capped by another below it."""
    figures: Figures = {}
    for item in fw.evidence.fields:
        indicator = indicators.get(item.name)
        if indicator is None:
            value: float = rng.randint(int(max(item.minimum, 20)), int(min(item.maximum, 500)))
        elif indicator.maximum is not None:
            value = rng.uniform(0.3, 1.8) * indicator.target
        else:
            value = rng.uniform(0.5, 1.15) * indicator.target
        figures[item.name] = _clamp(value, item)
    fields = {f.name: f for f in fw.evidence.fields}
    for ratio in fw.evidence.ratios:
        if ratio.name in indicators:
            spread = indicators[ratio.name].target * rng.uniform(0.6, 1.3)
            figures[ratio.denominator] = _clamp(max(1.0, figures[ratio.numerator] / spread), fields[ratio.denominator])
    for item in fw.evidence.fields:
        if item.at_most:
            figures[item.name] = _clamp(rng.uniform(0.2, 0.7) * figures[item.at_most], item)
    return figures


def _clamp(value: float, item: EvidenceField) -> float:
    value = min(max(value, item.minimum), item.maximum)
    return float(round(value)) if item.type == "integer" else round(value, 1)


def _meet(indicator: Indicator, figures: Figures, fw: Framework, breach: bool = False) -> None:
    """Change the figures so that ``indicator`` is met — or, with ``breach``, clearly missed (by half its target)."""
    fields = {f.name: f for f in fw.evidence.fields}
    ratio = next((r for r in fw.evidence.ratios if r.name == indicator.value), None)
    at_most, target = indicator.maximum is not None, indicator.target
    if ratio is None:
        item = fields[indicator.value]
        value = figures[item.name]
        if breach:
            value = target + max(1.0, target / 2) if at_most else target - max(1.0, target / 2)
        else:
            value = min(value, target) if at_most else max(value, target)
        figures[item.name] = _clamp(value, item)
        return
    num, den = fields[ratio.numerator], fields[ratio.denominator]
    if breach:  # make the ratio 1.5 (at most) or 0.5 (at least) times its target
        wanted = target * (1.5 if at_most else 0.5)
        figures[den.name] = _clamp(max(figures[den.name], 1.0), den)
        figures[num.name] = _clamp(math.ceil(figures[den.name] * wanted), num)
    elif at_most:
        figures[den.name] = _clamp(max(figures[den.name], math.ceil(figures[num.name] / target), 1.0), den)
    else:
        figures[den.name] = _clamp(max(1.0, min(figures[den.name], math.floor(figures[num.name] / target))), den)


def evidence_figures(fw: Framework, form: FormStructure, answers: list[dict[str, str]], seed: int) -> None:
    """Add evidence figures to each assessment's ``answers`` (keyed as the form keys them), in place."""
    evidence = fw.evidence
    if not evidence.pages:
        return
    rng = random.Random(seed)
    indicators = {i.value: i for i in evidence.indicators}
    planted = 0
    for row in answers:
        if rng.random() < NO_FIGURES:
            continue
        figures = _draw(fw, indicators, rng)
        supported = [c for c in evidence.cross_checks if _rating(row, form, c.criterion_id, fw) in c.levels]
        broken = supported[planted % len(supported)] if supported and planted < CONTRADICTIONS else None
        if broken is not None:
            _meet(evidence.indicator(broken.indicator), figures, fw, breach=True)
            planted += 1
        for check in supported:
            if check is not broken:
                _meet(evidence.indicator(check.indicator), figures, fw)
        for item in evidence.fields:  # a figure capped by another stays below it
            if item.at_most:
                figures[item.name] = min(figures[item.name], figures[item.at_most])
        for name, value in figures.items():
            if name in form.paths:
                row[form.key(name)] = str(int(value)) if float(value).is_integer() else str(value)


def _rating(row: dict[str, str], form: FormStructure, criterion_id: str, fw: Framework) -> int | None:
    field = criterion_field(fw.criterion(criterion_id))
    value = row.get(form.paths.get(field, ""), "")
    return int(value) if value.isdigit() else None
