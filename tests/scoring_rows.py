"""Hand-built submissions for the scoring tests, keyed as the built form keys them, plus store and lookup helpers.

A row's keys come from the form built from the framework (``qaf_rows.qaf_form()`` for the QAF, ``form_of(fw)`` for
any other), so that ``details_scope/country`` and ``s_2a/s_2a_criteria/c_2a_3`` are the paths the server returns.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from qaf_kobo.form.build import build_form
from qaf_kobo.form.contract import criterion_field, level_field, notes_field, why_field
from qaf_kobo.form.structure import FormStructure, read_form_structure
from qaf_kobo.framework import Framework
from qaf_kobo.store import open_store

from qaf_rows import qaf_form

TODAY = pd.Timestamp("2026-06-01")
DETAILS = {"country": "KEN", "agency": "UNICEF", "assessment_date": "2026-03-01", "assessment_scope": "agency",
           "area": "Nairobi", "purpose": "baseline", "round": "1"}


def form_of(fw: Framework) -> FormStructure:
    """The field paths of the form built (in English) from a framework; the QAF's form is built once."""
    if fw.id == "qaf":
        return qaf_form()
    with tempfile.TemporaryDirectory(prefix="scoring-form-") as tmp:
        return read_form_structure(build_form(Path(tmp), framework=fw, languages=["en"], stamp="1").xml)


def submission(fw: Framework, uid: str, answers: dict[str, str | None] | None = None, *, version: str = "v2",
               form: FormStructure | None = None, groups: str | None = None, details: dict[str, str | None] | None = None,
               default: str = "3", drop_sections: tuple[str, ...] = (), status: str | None = None,
               levels: dict[str, str] | None = None, why: dict[str, str] | None = None,
               notes: dict[str, str] | None = None) -> dict:
    """A Kobo /data/ row: every criterion answered ``default`` unless ``answers`` (criterion id → code) says otherwise;
    ``levels``, ``why``, ``notes``: the assessed level, reason and notes of sections (by section id).

    Keys are the built form's paths; ``groups`` (e.g. ``"page_{}"``) puts the sections' fields under other group
    names instead, as an older form version might.
    """
    form = form or form_of(fw)
    row: dict = {"_id": abs(hash(uid)) % 10**6, "_uuid": f"{uid}-i", "meta/rootUuid": f"uuid:{uid}", "__version__": version,
                 "_submission_time": "2026-05-01T10:00:00", "_validation_status": {"uid": status} if status else {}}
    for name, value in {**DETAILS, **(details or {})}.items():
        if value is not None:
            row[form.key(name)] = value

    def key(section_id: str, field: str) -> str:
        return f"{groups.format(section_id)}/{field}" if groups else form.key(field)

    for section in fw.sections:
        if section.id in drop_sections:
            continue
        for criterion in section.criteria:
            code = (answers or {}).get(criterion.id, default)
            if code is not None:
                row[key(section.id, criterion_field(criterion))] = code
        for texts, field in ((levels, level_field), (why, why_field), (notes, notes_field)):
            if texts and section.id in texts:
                row[key(section.id, field(section))] = texts[section.id]
    return row


def make_store(path: Path, rows: list[dict], deployed: str | None = "v2", deleted: tuple[str, ...] = ()) -> Path:
    """A store holding these rows (``deployed``: the deployed form version; ``deleted``: root uuids marked deleted)."""
    with open_store(path) as store:
        store.add_source("test", "kobo", "http://127.0.0.1:9", "aTEST")
        store.upsert_page(rows, source="test")
        if deployed:
            store.set_source_state("test", {"deployed_version_id": deployed})
        store.mark_deleted(deleted, source="test")
    return path


def section_row(scores, uid: str, section_id: str) -> pd.Series:
    """The sections table's row of one submission and section (exactly one)."""
    sections = scores.sections
    found = sections[(sections["root_uuid"] == uid) & (sections["section_id"] == section_id)]
    assert len(found) == 1
    return found.iloc[0]


def findings(scores, uid: str) -> dict[str, list[str]]:
    """The quality findings of one submission: check → details, in table order."""
    rows = scores.quality[scores.quality["root_uuid"] == uid]
    out: dict[str, list[str]] = {}
    for check, detail in zip(rows["check"], rows["detail"]):
        out.setdefault(check, []).append(detail)
    return out
