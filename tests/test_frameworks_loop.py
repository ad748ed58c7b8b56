"""Any levelled rubric runs the whole loop from its framework file alone: framework → XLSForm → XForm (ODK
Validate) → synthetic submissions on the local server → sync into a store → scores → workbooks re-opened.

Run for the QAF, for CPSS, and for two rubrics made here with 3 and 5 levels.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from qaf_kobo.devserver import DevServer
from qaf_kobo.errors import QafError
from qaf_kobo.form.build import build_form
from qaf_kobo.form.structure import read_form_structure
from qaf_kobo.framework import Framework, find_framework, load_framework
from qaf_kobo.report import write_reports
from qaf_kobo.scoring import score
from qaf_kobo.store.status import format_status, store_status
from qaf_kobo.sync.kobo import sync
from qaf_kobo.workflows.demo_data import generate_assessments
from qaf_kobo.workflows.report_run import fallback_warning

from rubrics import write_rubric

TOKEN = "loop-test-token"


def framework(kind: str, folder: Path) -> Framework:
    """A shipped framework by name, or a rubric of N levels written into ``folder`` ("3 levels")."""
    if kind.endswith("levels"):
        return load_framework(write_rubric(folder, int(kind.split()[0])))
    return find_framework(kind)


@pytest.fixture(scope="module", params=["qaf", "cpss", "3 levels", "5 levels"])
def loop(request, tmp_path_factory) -> dict:
    """The whole loop for one framework; returns what each step produced."""
    folder = tmp_path_factory.mktemp(request.param.replace(" ", "_"))
    fw = framework(request.param, folder / "framework")
    built = build_form(folder / "form", framework=fw, languages=["en"], validate=shutil.which("java") is not None)
    structure = read_form_structure(built.xml)
    assessments = generate_assessments(fw, structure, seed=11)
    store = folder / "store.sqlite"
    with DevServer(token=TOKEN) as server:
        uid = server.create_asset(fw.title, xlsx=built.xlsx)
        server.add_submissions([a.answers for a in assessments], uid)
        synced = sync(server.url, uid, TOKEN, store)
    scores = score(store, fw=fw)
    workbooks = write_reports(scores, fw, folder / "reports")
    return {"fw": fw, "built": built, "assessments": assessments, "synced": synced, "scores": scores,
            "workbooks": workbooks, "store": store}


def test_the_form_is_built_and_valid(loop) -> None:
    fw, built = loop["fw"], loop["built"]
    assert built.xml.name == f"{fw.form_id}.xml"
    assert built.validated or shutil.which("java") is None
    xml = built.xml.read_text(encoding="utf-8")
    assert f"calculate=\"'{fw.id}'\"" in xml  # every submission says which framework it answers


def test_every_submission_is_synced_and_scored_on_the_framework_levels(loop) -> None:
    fw, scores = loop["fw"], loop["scores"]
    assert loop["synced"].new == len(loop["assessments"]) == len(scores.assessments)
    assert len(scores.sections) == len(scores.assessments) * len(fw.sections)
    levels = scores.sections["level"].dropna().astype(int)
    assert set(levels) <= set(fw.level_codes) and len(set(levels)) >= 2
    assert set(scores.sections["level_name"].dropna()) <= {level.name for level in fw.levels}
    assert [c for c in scores.countries.columns if c.startswith("n_") and c != "n_assessments"] == [
        f"n_{level.name}" for level in fw.levels]


def test_the_workbooks_use_the_framework_level_names(loop) -> None:
    fw, workbooks = loop["fw"], loop["workbooks"]
    assert len(workbooks) >= 2 and all(path.is_file() for path in workbooks)
    regional = workbooks[0]
    assert regional.name.startswith(f"{fw.id}_summary_") and all(p.name.startswith(f"{fw.id}_") for p in workbooks)
    book = openpyxl.load_workbook(regional, read_only=True)
    try:
        cells = {str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None}
    finally:
        book.close()
    assert {level.label for level in fw.levels} <= cells
    assert any(cell.endswith(fw.levels[0].label) and cell != fw.levels[0].label for cell in cells)  # "Sections at: …"
    sheets = pd.read_excel(regional, sheet_name=None)
    assert all(len(frame.columns) for frame in sheets.values())


def test_a_report_in_a_language_the_framework_lacks_warns_and_falls_back_to_english(loop) -> None:
    warning = fallback_warning(loop["fw"], "fr")
    if loop["fw"].id == "qaf":
        assert warning is None  # the QAF ships French
    else:
        assert warning and "shown in English" in warning and "level." in warning


def test_the_store_records_the_framework_each_submission_answers(loop) -> None:
    fw = loop["fw"]
    assert store_status(loop["store"])["frameworks"] == {f"{fw.id} {fw.version}": len(loop["assessments"])}
    assert f"framework {fw.id} {fw.version}: {len(loop['assessments'])}" in format_status(store_status(loop["store"]))


def test_scoring_a_store_with_another_framework_is_a_clear_error(loop) -> None:
    other = find_framework("cpss" if loop["fw"].id == "qaf" else "qaf")
    with pytest.raises(QafError, match=rf"answer framework '{loop['fw'].id}'.*--framework"):
        score(loop["store"], fw=other)
