"""Realistic synthetic QAF assessments for the demo, generated from the built form's own structure.

The generator reads the XForm (field paths, choice values) rather than the framework, so the answers have
exactly the keys a real KoboToolbox server would return for that form: ``s_2a/c_2a_3`` and so on.
Everything is deterministic for a given seed.
"""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from qaf_kobo.framework import NOT_ASSESSED, Framework

XF = "{http://www.w3.org/2002/xforms}"

DEMO_COUNTRIES: dict[str, float] = {"JOR": 2.7, "LBN": 2.5, "IRQ": 2.1, "SYR": 1.7, "YEM": 1.5, "EGY": 2.3}
"""Six countries and a typical starting level for each (a plausible spread from Critical to Meets minimum)."""

_AGENCIES = [
    "Al-Amal Child Protection Association", "Hope for Children", "Terre des Enfants Levant", "Safe Steps",
    "Family Support Network", "Youth Horizons", "Noor Community Services", "Children First Alliance",
    "Bright Futures Relief", "Caring Hands Society", "Childhood Rights Centre", "Sanad Social Services",
]
FORMULA_AGENCY = "=Sanad Partners (formula test)"
"""An agency name beginning with "=": the workbooks must show it as text, never evaluate it."""

ROUNDS = (("baseline 2025", date(2025, 3, 1)), ("follow-up 2026", date(2026, 3, 1)))


@dataclass(frozen=True)
class FormStructure:
    """What the generator needs to know of a built form: the path of each field and the choices of selects."""

    form_id: str
    version: str
    paths: dict[str, str]  # last path segment -> full path without the root, e.g. c_2a_3 -> s_2a/c_2a_3
    choices: dict[str, list[str]] = field(default_factory=dict)  # field name -> choice values

    def key(self, name: str) -> str:
        """The submission key of a field."""
        return self.paths[name]


def read_form_structure(xform: Path) -> FormStructure:
    """Field paths and select choices from an XForm XML file (pyxform output)."""
    root = ET.parse(xform).getroot()
    model = root.find(f".//{XF}model")
    assert model is not None, f"{xform}: no XForm model"
    main = model.find(f"{XF}instance")
    data = next(iter(main))  # type: ignore[arg-type]
    paths: dict[str, str] = {}

    def walk(node: ET.Element, prefix: str) -> None:
        for child in node:
            name = child.tag.split("}")[-1]
            path = f"{prefix}{name}"
            if len(child):
                walk(child, path + "/")
            paths.setdefault(name, path)

    walk(data, "")
    instances = {inst.get("id"): inst for inst in model.findall(f"{XF}instance") if inst.get("id")}
    choices: dict[str, list[str]] = {}
    for select in root.iter(f"{XF}select1"):
        name = (select.get("ref") or "").rsplit("/", 1)[-1]
        values = [v.text or "" for v in select.findall(f"{XF}item/{XF}value")]
        itemset = select.find(f"{XF}itemset")
        if itemset is not None:
            list_id = itemset.get("nodeset", "").split("'")[1]
            values = [n.text or "" for n in instances[list_id].iter() if n.tag.split("}")[-1] == "name"]
        choices[name] = values
    return FormStructure(data.get("id", ""), data.get("version", ""), paths, choices)


@dataclass(frozen=True)
class DemoAssessment:
    """One synthetic submission: its answers (keyed as Kobo returns them) and how the demo should treat it."""

    answers: dict[str, str]
    role: str = "regular"  # regular | duplicate | older_version | to_edit | to_delete


def _level(rng: random.Random, centre: float) -> int:
    return max(1, min(4, round(rng.gauss(centre, 0.7))))


def generate_assessments(fw: Framework, form: FormStructure, seed: int = 2026) -> list[DemoAssessment]:
    """Two rounds a year apart for six countries: 2–5 agencies each plus an inter-agency assessment.

    Round two improves by about half a level. About 5% of criteria are "Not assessed"; some assessors
    disagree with the suggested level (with a reason, and once without); one agency name begins with "=".
    The special cases the demo needs are marked by ``role``: the submissions to edit and to delete after the
    first sync, and one early assessment to submit on the older form (see :func:`older_version_of`), with a
    country code that is not ISO 3166 and no scope. The duplicate is added by the demo (:func:`duplicate_of`).
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
            parties = [(a, "agency") for a in agencies] + [
                ("Case Management Task Force", "inter_agency_gov" if base > 2.2 else "inter_agency")
            ]
            for agency, scope in parties:
                day = start + timedelta(days=rng.randint(0, 75))
                centre = base + 0.5 * r + rng.uniform(-0.3, 0.3) + (0.2 if scope != "agency" else 0)
                out.append(DemoAssessment(_answers(fw, form, rng, country, agency, scope, round_name, day, centre)))
    # A few cases the reports must show: one far disagreement without a reason, one typed-in bad code.
    far = out[3].answers
    section = fw.sections[0]
    far[form.key(section.level_field)] = "4" if far.get(form.key(section.calc_field), "1") in ("1", "2") else "1"
    far.pop(form.key(section.why_field), None)
    out[5].answers[form.key(fw.criteria[-1].field)] = "7"
    out[7].answers[form.key("assessment_date")] = "2014-12-31"
    edited, deleted = len(out) // 3, len(out) // 2
    out[edited] = DemoAssessment(out[edited].answers, "to_edit")
    out[deleted] = DemoAssessment(out[deleted].answers, "to_delete")
    # An early assessment on the older form, from an office that typed Lebanon's old IOC code and skipped the scope.
    early = _answers(fw, form, rng, "LBN", "Lebanon field office (pilot)", "agency", ROUNDS[0][0],
                     ROUNDS[0][1] - timedelta(days=40), DEMO_COUNTRIES["LBN"])
    early[form.key("country")] = "LEB"
    early.pop(form.key("assessment_scope"))
    out.append(DemoAssessment(early, "older_version"))
    return out


def _answers(
    fw: Framework, form: FormStructure, rng: random.Random, country: str, agency: str, scope: str,
    round_name: str, day: date, centre: float,
) -> dict[str, str]:
    answers = {
        form.key("purpose"): f"{round_name.capitalize()} QAF assessment of child protection case management in {country}",
        form.key("assessment_date"): day.isoformat(),
        form.key("country"): country,
        form.key("agency"): agency,
        form.key("assessment_scope"): scope,
        form.key("round"): round_name,
    }
    if rng.random() < 0.6:
        answers[form.key("area")] = rng.choice(["National", "North", "South", "Capital governorate", "Camps"])
    for section in fw.sections:
        if section.criteria[0].field not in form.paths:
            continue
        levels = []
        for criterion in section.criteria:
            if rng.random() < 0.05:
                answers[form.key(criterion.field)] = NOT_ASSESSED
                continue
            level = _level(rng, centre)
            levels.append(level)
            answers[form.key(criterion.field)] = str(level)
        computed = min(levels) if levels else None
        assessed = computed or _level(rng, centre)
        if computed is not None:
            answers[form.key(section.calc_field)] = str(computed)
        if computed is not None and rng.random() < 0.12:
            assessed = max(1, min(4, computed + rng.choice([-1, 1])))
        answers[form.key(section.level_field)] = str(assessed)
        if computed is not None and assessed != computed:
            answers[form.key(section.why_field)] = rng.choice([
                "One weak criterion does not reflect the overall practice observed in the field.",
                "Recent staff turnover: practice is weaker than the documents suggest.",
                "Inter-agency SOPs were endorsed after the assessment period started.",
            ])
        if rng.random() < 0.3:
            answers[form.key(section.notes_field)] = rng.choice([
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
    key = form.key(section.criteria[0].field)
    current = answers.get(key, "1")
    answers[key] = str(min(4, int(current) + 1)) if current.isdigit() else "2"
    assessed = [int(answers[form.key(c.field)]) for c in section.criteria if answers.get(form.key(c.field), "").isdigit()]
    changes = {key: answers[key], form.key(section.notes_field): "Edited after the validation meeting."}
    if assessed:
        changes[form.key(section.calc_field)] = str(min(assessed))
    return changes
