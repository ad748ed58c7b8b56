"""Fill the QAF form in Enketo page by page with a chosen pattern of levels, checking the form's logic on the way.

Per section page: click each criterion's level (some "Not assessed"), check that the suggested level, named in the
assessed level's own label in the active language, is the minimum of the clicked levels, click the assessed level;
when it differs from the suggestion, check that Next is blocked until a reason is typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qaf_kobo.form.contract import NOT_ASSESSED, calc_field, criterion_field, level_field, section_group, why_field
from qaf_kobo.framework import Framework, Section

from enketo_client import EnketoForm

CRITERION_CYCLE = ("3", "4", "2", NOT_ASSESSED, "1", "4", "3", "2")
DETAILS = {"purpose": "other", "purpose_other": "Baseline of the =1+2 pilot", "area": "=1+2 Irbid", "agency": "E2E NGO", "round": "1"}
"""Typed into the details page; the area starts with "=" and must stay text in the report."""
COUNTRY = "JOR"
ASSESSMENT_DATE = "2025-03-14"


@dataclass(frozen=True)
class SectionAnswer:
    """What the assessor clicks on one section page."""

    section: Section
    criteria: tuple[str, ...]
    level: str

    @property
    def suggested(self) -> str:
        """The minimum of the assessed criteria (Not assessed ignored); '' when none was assessed."""
        return min((v for v in self.criteria if v != NOT_ASSESSED), default="")

    @property
    def reason(self) -> str | None:
        """A reason, typed when the assessed level differs from the suggested one or nothing was rated."""
        return None if self.level == self.suggested else f"Seen {self.section.id}"


def level_pattern(fw: Framework) -> list[SectionAnswer]:
    """A deterministic pattern over all sections: mixed levels, some Not assessed (section 2b wholly), and every
    third section's level set one above the suggested one."""
    answers = []
    for i, section in enumerate(fw.sections):
        criteria = tuple(CRITERION_CYCLE[(i + j) % len(CRITERION_CYCLE)] for j in range(len(section.criteria)))
        suggested = SectionAnswer(section, criteria, "").suggested
        level = "2" if not suggested else str(int(suggested) % 4 + 1) if i % 3 == 0 else suggested
        answers.append(SectionAnswer(section, criteria, level))
    return answers


def on_section(form: EnketoForm, section: Section) -> bool:
    """Whether the current page belongs to this section (its page, or one of its two pages when split)."""
    page = form.current_page_name().rsplit("/", 1)[-1]
    return page == section_group(section) or page.startswith(f"{section_group(section)}_")


def fill_details(form: EnketoForm, first_section: Section) -> dict[str, str]:
    """Answer every question before the first section page (whatever their widget); returns field -> value."""
    entered: dict[str, str] = {}
    for _ in range(20):
        if on_section(form, first_section):
            return entered
        while True:  # an answer may show a question (purpose "other" asks for the purpose in words)
            names = form.current.evaluate(
                "page => [...new Set([...page.querySelectorAll('.question:not(.disabled):not(.readonly) [data-type-xml][name]')]"
                ".map(e => e.getAttribute('name')))]"
            )
            new = [path.rsplit("/", 1)[-1] for path in names if path.rsplit("/", 1)[-1] not in entered]
            if not new:
                break
            for name in new:
                entered[name] = _answer_detail(form, name)
        assert form.next_page(), f"Next did not leave the details page {form.current_page_name()}"
    raise AssertionError("never reached the first section page")


def _answer_detail(form: EnketoForm, name: str) -> str:
    """Answer one details question by its widget: date, select_one (radios or autocomplete) or text."""
    question = form.question(name)
    kind, xml_type, has_list = question.locator(f'[name$="/{name}"]').first.evaluate(
        "e => [e.type, e.dataset.typeXml, e.hasAttribute('list')]"
    )
    if xml_type == "date":
        form.fill_date(name, ASSESSMENT_DATE)
        return ASSESSMENT_DATE
    if kind == "radio" or has_list:
        values = question.evaluate(
            "q => [...q.querySelectorAll('input[type=radio], datalist option')]"
            ".map(e => e.tagName === 'OPTION' ? e.dataset.value : e.value).filter(v => v)"
        )
        wanted = COUNTRY if name == "country" else DETAILS.get(name)
        value = wanted if wanted in values else values[0]
        form.select(name, value)
        return value
    value = DETAILS.get(name, name)
    form.type_text(name, value)
    return value


def level_labels(form: EnketoForm, fw: Framework, section: Section | None = None) -> dict[str, str]:
    """Level code -> the label the form shows for it in the current language, read from the assessed level of a
    section (default: the first)."""
    field = level_field(section or fw.sections[0])
    return {str(lv.code): form.choice_label(field, str(lv.code)) for lv in fw.levels}


class _Pages:
    """Moves through a section's page(s) with Next until a field is shown (a long section has two pages)."""

    def __init__(self, form: EnketoForm, section: Section) -> None:
        self.form, self.section = form, section
        self.fields = form.fields_on_page()

    def go_to(self, name: str) -> None:
        while name not in self.fields:
            assert self.form.next_page(), f"section {self.section.id}: Next did not move on before {name}"
            assert on_section(self.form, self.section), f"left section {self.section.id} before reaching {name}"
            self.fields = self.form.fields_on_page()


def fill_section(form: EnketoForm, answer: SectionAnswer, labels: dict[str, str] | None = None) -> None:
    """Fill one section through clicks and typing (stays on its last page). With ``labels`` (level code -> shown
    label), check the suggested level shown, and that Next is blocked until a differing level has its reason."""
    section = answer.section
    assert on_section(form, section), f"expected section {section.id}, on {form.current_page_name()}"
    pages = _Pages(form, section)
    for criterion, value in zip(section.criteria, answer.criteria):
        pages.go_to(criterion_field(criterion))
        form.choose(criterion_field(criterion), value)
    pages.go_to(level_field(section))
    if labels:
        assert form.model_value(calc_field(section)) == answer.suggested, section.id
    if labels:
        check_suggested(form, answer, labels)
    form.choose(level_field(section), answer.level)
    if answer.reason is not None:
        if labels:
            assert form.next_page_blocked(why_field(section)), f"section {section.id}: Next was not blocked without a reason"
        form.type_text(why_field(section), answer.reason)
        if labels:
            assert "invalid-required" not in form.question_classes(why_field(section)), section.id


def check_suggested(form: EnketoForm, answer: SectionAnswer, labels: dict[str, str]) -> str:
    """The assessed level's own label (which Enketo shows in bold) names the suggested level: the minimum of the
    clicked levels, by the name ``labels`` gives it in the active language (no level name when nothing was rated);
    returns its text."""
    sid = answer.section.id
    text = form.question_label(level_field(answer.section))
    if answer.suggested:
        assert labels[answer.suggested] in text, f"section {sid}: {text!r} does not name level {labels[answer.suggested]!r}"
    else:
        assert not [name for name in labels.values() if name in text], f"section {sid}: {text!r} names a level"
    unmarked = [form.choice_label(level_field(answer.section), code) for code in labels]  # the choices are the levels' names
    assert unmarked == list(labels.values()), unmarked
    return text


def check_summary(form: EnketoForm, answers: list[SectionAnswer], labels: dict[str, str]) -> None:
    """The summary shows one line per section: its number and name, the suggested and the assessed level by the
    names ``labels`` gives them in the active language, and, where they differ, a mark and the reason typed."""
    shown = form.shown_notes([f"summary_{a.section.id}" for a in answers])
    for answer in answers:
        sid = answer.section.id
        assert f"summary_{sid}" in shown, (sid, sorted(shown))
        text = shown[f"summary_{sid}"]
        section_named = re.compile(rf"(?<![\w.]){re.escape(sid)}(?![\w.])")  # "2" in "2 Case…", not in "2a"
        assert section_named.search(text), (sid, text)
        assert labels[answer.level] in text and (not answer.suggested or labels[answer.suggested] in text), (sid, text)
        if answer.reason:
            assert "≠" in text and answer.reason in text, (sid, text)
        else:
            assert "≠" not in text, (sid, text)


def fill_assessment(form: EnketoForm, fw: Framework, answers: list[SectionAnswer], check: bool = True) -> dict[str, str]:
    """Details page, then every section in order, pressing Next after each; ends on the summary page."""
    labels = level_labels(form, fw) if check else None
    details = fill_details(form, fw.sections[0])
    for answer in answers:
        fill_section(form, answer, labels)
        assert form.next_page(), f"section {answer.section.id}: Next did not move on"
    return details
