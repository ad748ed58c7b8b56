"""The evidence pages of a form: the figures a framework asks for, and the ratios computed from them on the page.

Every figure is optional: unanswered is unknown, not zero, and a ratio is unknown when either of its figures is
(or when the denominator is 0). Each ratio is shown with its target, and any indicator beyond its target is
pointed out on the page — offline, in every language of the form.
"""

from __future__ import annotations

from qaf_kobo.form.rows import Strings, row
from qaf_kobo.framework.model import EvidenceField, EvidencePage, Framework, Indicator, Ratio


def evidence_group(page: EvidencePage) -> str:
    """The group (page) of an evidence page, e.g. ``evidence_staffing``."""
    return f"evidence_{page.name}"


def _number(value: float) -> str:
    """A number as the form writes it: ``25``, ``0.5`` (never in exponent notation, which XPath cannot read)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def ratio_xpath(ratio: Ratio) -> str:
    """The ratio rounded to one decimal; '' when a figure is unknown or the denominator is 0."""
    num, den = f"${{{ratio.numerator}}}", f"${{{ratio.denominator}}}"
    return f"if({num} != '' and {den} != '' and {den} > 0, round({num} div {den}, 1), '')"


def _constraint(item: EvidenceField) -> str:
    bounds = f". >= {_number(item.minimum)} and . <= {_number(item.maximum)}"
    return bounds + (f" and (${{{item.at_most}}} = '' or . <= ${{{item.at_most}}})" if item.at_most else "")


def _field(item: EvidenceField, labels: dict[str, dict[str, str]], s: Strings) -> dict[str, str]:
    bounds = {"min": _number(item.minimum), "max": _number(item.maximum)}
    message = (s.get("form.evidence.range_at_most_message", other=labels[item.at_most], **bounds) if item.at_most
               else s.get("form.evidence.range_message", **bounds))
    return row(item.type, item.name, label=labels[item.name], hint=s.get(f"evidence.{item.name}.hint") if item.hint else "",
               constraint=_constraint(item), constraint_message=message)


def _target_notes(indicator: Indicator, s: Strings, show_value: bool, prefix: str = "") -> list[dict[str, str]]:
    """The value with its target (``show_value``), and a warning when a known value misses the target: placed right
    after the figure it concerns. ``prefix`` names the summary's copies (``summary_``).

    Speed: Enketo's transformer rewrites its whole HTML once per ``<output>`` and once per label with markdown, in
    each language; the warning sits next to the figure (or to the value note), so it neither repeats the value nor
    uses markdown (the ⚠️ marks it)."""
    value = f"${{{indicator.value}}}"
    bound = "at_most" if indicator.maximum is not None else "at_least"
    target = _number(indicator.target)
    missed = f"{value} > {target}" if indicator.maximum is not None else f"{value} < {target}"
    label = s.get(f"indicator.{indicator.id}.label")
    notes = []
    if show_value:
        notes.append(row("note", f"{prefix}{indicator.value}_note", relevant=f"{value} != ''",
                         label=s.get(f"form.evidence.value_{bound}", label=label, value=value, target=target)))
    notes.append(row("note", f"{prefix}{indicator.value}_beyond", relevant=f"{value} != '' and {missed}",
                     label=s.get(f"form.evidence.beyond_{bound}", label=label, target=target)))
    return notes


def evidence_pages(fw: Framework, s: Strings) -> list[dict[str, str]]:
    """The rows of the evidence pages (none when the framework asks for no evidence)."""
    evidence = fw.evidence
    labels = _labels(fw, s)
    indicators = {i.value: i for i in evidence.indicators}
    out: list[dict[str, str]] = []
    for number, page in enumerate(evidence.pages):
        out.append(row("begin_group", evidence_group(page), label=s.get(f"evidence.page.{page.name}.title"),
                       appearance="field-list"))
        if number == 0:
            out.append(row("note", "evidence_intro", label=s.get("form.evidence.instruction")))
        for item in page.fields:
            out.append(_field(item, labels, s))
            if item.name in indicators:
                out += _target_notes(indicators[item.name], s, show_value=False)
        for ratio in page.ratios:
            out.append(row("calculate", ratio.name, calculation=ratio_xpath(ratio)))
            if ratio.name in indicators:
                out += _target_notes(indicators[ratio.name], s, show_value=True)
            else:
                value = f"${{{ratio.name}}}"
                out.append(row("note", f"{ratio.name}_note", relevant=f"{value} != ''",
                               label=s.get("form.evidence.value", label=labels[ratio.name], value=value)))
        out.append(row("end_group"))
    return out


def evidence_summary(fw: Framework, s: Strings) -> list[dict[str, str]]:
    """The summary's copy of the evidence: every known indicator with its target, and its warning when missed."""
    out: list[dict[str, str]] = []
    for indicator in fw.evidence.indicators:
        out += _target_notes(indicator, s, show_value=True, prefix="summary_")
    return out


def _labels(fw: Framework, s: Strings) -> dict[str, dict[str, str]]:
    labels = {f.name: s.get(f"evidence.{f.name}.label") for f in fw.evidence.fields}
    return labels | {r.name: s.get(f"evidence.{r.name}.label") for r in fw.evidence.ratios}
