"""Realistic synthetic QAF assessments for the demo, generated from the built form's own structure.

The generator reads the XForm (field paths, choice values) rather than the framework, so the answers have
exactly the keys a real KoboToolbox server would return for that form: ``s_2a/c_2a_3`` and so on.
Everything is deterministic for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from qaf_kobo.form.contract import (
    FRAMEWORK_FIELD,
    FRAMEWORK_VERSION_FIELD,
    NOT_ASSESSED,
    PURPOSES,
    SCOPES,
    calc_field,
    criterion_field,
    level_field,
    notes_field,
    why_field,
)
from qaf_kobo.form.structure import FormStructure
from qaf_kobo.framework import Framework
from qaf_kobo.workflows.demo_evidence import evidence_figures

DEMO_COUNTRIES: dict[str, float] = {"JOR": 2.7, "LBN": 2.5, "IRQ": 2.1, "SYR": 1.7, "YEM": 1.5, "EGY": 2.3}
"""Six countries and a typical starting level for each, on a scale of four levels (a plausible spread from the
lowest level to the minimum); frameworks with another number of levels stretch it."""

_AGENCIES = [
    "Al-Amal Child Protection Association", "Hope for Children", "Terre des Enfants Levant", "Safe Steps",
    "Family Support Network", "Youth Horizons", "Noor Community Services", "Children First Alliance",
    "Bright Futures Relief", "Caring Hands Society", "Childhood Rights Centre", "Sanad Social Services",
]
FORMULA_AGENCY = "=Sanad Partners (formula test)"
AGENCY, INTER_AGENCY, WITH_GOVERNMENT = SCOPES
"""The assessment scopes, as the form's contract names them."""
"""An agency name beginning with "=": the workbooks must show it as text, never evaluate it."""

ROUNDS = (("baseline 2025", date(2025, 3, 1)), ("follow-up 2026", date(2026, 3, 1)))


@dataclass(frozen=True)
class DemoAssessment:
    """One synthetic submission: its answers (keyed as Kobo returns them) and how the demo should treat it."""

    answers: dict[str, str]
    role: str = "regular"  # regular | duplicate | older_version | to_edit | to_delete


def _level(rng: random.Random, centre: float, top: int) -> int:
    """A level near ``centre`` (on the four-level scale of DEMO_COUNTRIES), stretched to levels 1 … ``top``."""
    stretched = 1 + (centre - 1) * (top - 1) / 3
    return max(1, min(top, round(rng.gauss(stretched, 0.7 * (top - 1) / 3))))


def generate_assessments(fw: Framework, form: FormStructure, seed: int = 2026) -> list[DemoAssessment]:
    """Two rounds a year apart for six countries: 2–5 agencies each plus an inter-agency assessment.

    Round two improves by about half a level. About 5% of criteria are "Not assessed"; some assessors
    disagree with the suggested level (with a reason, and once without); one agency name begins with "=".
    The special cases the demo needs are marked by ``role``: the submissions to edit and to delete after the
    first sync, and one early assessment to submit on the older form (see :func:`older_version_of`), with a
    country code that is not ISO 3166 and no scope. The duplicate is added by the demo (:func:`duplicate_of`).
    Evidence figures come from ``demo_evidence`` (its own random stream, so they change no rating).
    """
    rng = random.Random(seed)
    countries = [c for c in DEMO_COUNTRIES if c in form.choices.get("country", DEMO_COUNTRIES)]
    out: list[DemoAssessment] = []
    pool = list(_AGENCIES)
    rng.shuffle(pool)
    for i, country in enumerate(countries):
        agencies = [pool[(i * 3 + k) % len(pool)] for k in range(rng.randint(2, 5))]
        if country == "LBN":
            agencies[0] = FORMULA_AGENCY
        base = DEMO_COUNTRIES[country]
        for r, (round_name, start) in enumerate(ROUNDS):
            parties = [(a, AGENCY) for a in agencies] + [
                ("Case Management Task Force", WITH_GOVERNMENT if base > 2.2 else INTER_AGENCY)
            ]
            for agency, scope in parties:
                day = start + timedelta(days=rng.randint(0, 75))
                centre = base + 0.5 * r + rng.uniform(-0.3, 0.3) + (0.2 if scope != AGENCY else 0)
                out.append(DemoAssessment(_answers(fw, form, rng, country, agency, scope, round_name, day, centre)))
    # A few cases the reports must show: one far disagreement without a reason, one typed-in bad code.
    far = out[3].answers
    section = fw.sections[0]
    top = len(fw.levels)
    low = far.get(form.key(calc_field(section)), "1") in {str(code) for code in fw.level_codes[: top // 2]}
    far[form.key(level_field(section))] = str(top) if low else "1"
    far.pop(form.key(why_field(section)), None)
    out[5].answers[form.key(criterion_field(fw.criteria[-1]))] = str(len(fw.levels) + 3)
    out[7].answers[form.key("assessment_date")] = "2014-12-31"
    edited, deleted = len(out) // 3, len(out) // 2
    out[edited] = DemoAssessment(out[edited].answers, "to_edit")
    out[deleted] = DemoAssessment(out[deleted].answers, "to_delete")
    # An early assessment on the older form, from an office that typed Lebanon's old IOC code and skipped the scope.
    early = _answers(fw, form, rng, "LBN", "Lebanon field office (pilot)", AGENCY, ROUNDS[0][0],
                     ROUNDS[0][1] - timedelta(days=40), DEMO_COUNTRIES["LBN"])
    early[form.key("country")] = "LEB"
    early.pop(form.key("assessment_scope"))
    out.append(DemoAssessment(early, "older_version"))
    evidence_figures(fw, form, [a.answers for a in out], seed + 1)
    return out


def _answers(
    fw: Framework, form: FormStructure, rng: random.Random, country: str, agency: str, scope: str,
    round_name: str, day: date, centre: float,
) -> dict[str, str]:
    answers = {
        form.key("purpose"): PURPOSES[0] if round_name == ROUNDS[0][0] else PURPOSES[1],  # baseline, progress review
        form.key("assessment_date"): day.isoformat(),
        form.key("country"): country,
        form.key("agency"): agency,
        form.key("assessment_scope"): scope,
        form.key("round"): round_name,
    }
    for field, value in ((FRAMEWORK_FIELD, fw.id), (FRAMEWORK_VERSION_FIELD, fw.version)):  # what a client computes
        if field in form.paths:
            answers[form.key(field)] = value
    if rng.random() < 0.6:
        answers[form.key("area")] = rng.choice(["National", "North", "South", "Capital governorate", "Camps"])
    for section in fw.sections:
        if criterion_field(section.criteria[0]) not in form.paths:
            continue
        levels = []
        for criterion in section.criteria:
            if rng.random() < 0.05:
                answers[form.key(criterion_field(criterion))] = NOT_ASSESSED
                continue
            level = _level(rng, centre, len(fw.levels))
            levels.append(level)
            answers[form.key(criterion_field(criterion))] = str(level)
        computed = min(levels) if levels else None
        assessed = computed or _level(rng, centre, len(fw.levels))
        if computed is not None:
            answers[form.key(calc_field(section))] = str(computed)
        if computed is not None and rng.random() < 0.12:
            assessed = max(1, min(len(fw.levels), computed + rng.choice([-1, 1])))
        answers[form.key(level_field(section))] = str(assessed)
        if computed is not None and assessed != computed:
            answers[form.key(why_field(section))] = rng.choice([
                "One weak criterion does not reflect the overall practice observed in the field.",
                "Recent staff turnover: practice is weaker than the documents suggest.",
                "Inter-agency SOPs were endorsed after the assessment period started.",
            ])
        if rng.random() < 0.3:
            answers[form.key(notes_field(section))] = rng.choice([
                "Discussed with the national Case Management Task Force.",
                "Evidence: SOPs, training records, supervision calendars.",
                "-follow up at the next coordination meeting",
                "Caseworkers report caseloads above 25 in two districts.",
            ])
    return answers


def duplicate_of(assessment: DemoAssessment) -> DemoAssessment:
    """The same assessment entered twice (same country, agency, scope and date)."""
    return DemoAssessment(dict(assessment.answers), "duplicate")


def older_version_of(assessment: DemoAssessment, current: FormStructure, older: FormStructure) -> DemoAssessment:
    """The assessment as the older form (fewer sections) would have recorded it."""
    keep = {current.paths[name]: older.paths[name] for name in older.paths if name in current.paths}
    answers = {keep[k]: v for k, v in assessment.answers.items() if k in keep}
    return DemoAssessment(answers, "older_version")


def edit_of(assessment: DemoAssessment, fw: Framework, form: FormStructure) -> dict[str, str]:
    """The change a coordinator makes after review: one criterion raised by a level, with a note."""
    section = fw.sections[0]
    answers = dict(assessment.answers)
    key = form.key(criterion_field(section.criteria[0]))
    current = answers.get(key, "1")
    answers[key] = str(min(len(fw.levels), int(current) + 1)) if current.isdigit() else "2"
    assessed = [int(answers[form.key(criterion_field(c))]) for c in section.criteria if answers.get(form.key(criterion_field(c)), "").isdigit()]
    changes = {key: answers[key], form.key(notes_field(section)): "Edited after the validation meeting."}
    if assessed:
        changes[form.key(calc_field(section))] = str(min(assessed))
    return changes
