"""QAF assessments keyed by the real form's field paths (``s_7/s_7_criteria/c_7_1``, ``details_scope/country``).

Shared by the tests and the benchmarks (which put this folder on ``sys.path``), so it imports no pytest.
The form is built once per process.
"""

from __future__ import annotations

import random
import tempfile
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from qaf_kobo.form.build import build_form
from qaf_kobo.form.contract import NOT_ASSESSED, criterion_field, level_field, notes_field
from qaf_kobo.form.structure import FormStructure, read_form_structure
from qaf_kobo.framework import Framework, default_framework

COUNTRIES = ("JOR", "LBN", "IRQ")
ROUNDS = ("baseline 2025", "follow-up 2026")
_CRITERION_ANSWERS = ("1", "2", "3", "4", NOT_ASSESSED)


@cache
def qaf_form() -> FormStructure:
    """The structure (field paths, choices) of the QAF form built in English, built once per process."""
    with tempfile.TemporaryDirectory(prefix="qaf-form-") as tmp:
        built = build_form(Path(tmp), languages=["en"], stamp="202601010000")
        return read_form_structure(built.xml)


@cache
def _section_keys() -> tuple[tuple[tuple[str, ...], str, str], ...]:
    """Per section: the criteria's keys, the level's key and the notes' key."""
    form = qaf_form()
    return tuple((tuple(form.key(criterion_field(c)) for c in section.criteria), form.key(level_field(section)),
                  form.key(notes_field(section))) for section in default_framework().sections)


def qaf_answers(i: int, rng: random.Random | None = None) -> dict[str, Any]:
    """Assessment ``i``'s answers as KoboToolbox returns them for the QAF form; the same for the same ``i``.

    Every criterion ("1".."4" or "na"), every section level, notes for about 30% of sections, and the details.
    """
    rng = rng or random.Random(i)
    form = qaf_form()
    row: dict[str, Any] = {
        form.key("start"): "2026-03-01T09:00:00.000+02:00", form.key("end"): "2026-03-01T10:30:00.000+02:00",
        form.key("country"): rng.choice(COUNTRIES), form.key("agency"): f"Agency {i % 17}",
        form.key("assessment_date"): (date(2025, 3, 1) + timedelta(days=i % 400)).isoformat(),
        form.key("assessment_scope"): rng.choice(form.choices["assessment_scope"]),
        form.key("round"): ROUNDS[i % len(ROUNDS)],
    }
    for criteria, level, notes in _section_keys():
        for key in criteria:
            row[key] = rng.choice(_CRITERION_ANSWERS)
        row[level] = str(rng.randint(1, 4))
        if rng.random() < 0.3:
            row[notes] = f"note {i} — ملاحظة"
    return row


def submission(fw: Framework, form: FormStructure, n: int, country: str, agency: str, date: str, rnd: str, level_of,
               **details) -> dict:
    """A Kobo /data/ record keyed as the built ``form`` keys it: every criterion answered by ``level_of(criterion)``
    and each section's assessed level = the lowest of its criteria."""
    record = {
        "_id": n, "meta/rootUuid": f"uuid:0000-{n}", "_uuid": f"0000-{n}", "__version__": "v1",
        "_submission_time": "2025-01-10T09:30:00", form.key("country"): country, form.key("agency"): agency,
        form.key("assessment_date"): date, form.key("round"): rnd, form.key("assessment_scope"): "agency",
        form.key("area"): details.get("area", "North"), form.key("purpose"): details.get("purpose", "baseline"),
    }
    for section in fw.sections:
        answers = [level_of(c) for c in section.criteria]
        for criterion, answer in zip(section.criteria, answers):
            record[form.key(criterion_field(criterion))] = answer
        rated = [int(a) for a in answers if a != "na"]
        if rated:
            record[form.key(level_field(section))] = str(min(rated))
        if "notes" in details:
            record[form.key(notes_field(section))] = details["notes"]
    return record
