"""Real-client end-to-end test: Enketo in headless Chromium fills the whole QAF form through clicks and typing,
submits it to the KoboToolbox-compatible devserver, and the Excel report shows exactly the levels clicked.

Needs Node (to build the Enketo bundle) and Chromium; skipped without them, failed under QAF_REQUIRE_SYSTEM_TESTS=1.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from qaf_kobo.devserver import DevServer
from qaf_kobo.form.build import build_form
from qaf_kobo.form.contract import NOT_ASSESSED, level_field
from qaf_kobo.framework import Framework
from qaf_kobo.kobo.client import KoboClient
from qaf_kobo.kobo.deploy import deploy_form
from qaf_kobo.report.workbook import write_reports
from qaf_kobo.scoring import score
from qaf_kobo.sync.kobo import sync

from assessment_walk import (
    ASSESSMENT_DATE,
    COUNTRY,
    DETAILS,
    SectionAnswer,
    check_suggested,
    check_summary,
    fill_details,
    fill_section,
    level_labels,
    level_pattern,
    on_section,
)
from conftest import require_tool
from enketo_client import E2E_DIR, WEB_DIR, EnketoForm, chromium_browser, ensure_bundle

pytestmark = [pytest.mark.system, pytest.mark.slow]

OUT = E2E_DIR / "out"
README_SCREENSHOT = E2E_DIR.parent.parent / "docs" / "enketo-section.png"
"""Written when missing, or again with QAF_UPDATE_DOCS=1 (so a test run does not touch a committed file)."""
SCREENSHOT_SECTION = "2e"
ARABIC = re.compile(r"[\u0600-\u06FF]")
TOKEN = "e2e-test-token-0123456789abcdef"


@pytest.fixture(scope="module")
def enketo_bundle() -> Path:
    require_tool("node", "chromium", why="the Enketo test bundles enketo-core with Node and drives headless Chromium")
    return ensure_bundle()


@pytest.fixture(scope="module")
def qaf_form(tmp_path_factory):
    """The real QAF form: all 17 sections, every shipped language."""
    return build_form(tmp_path_factory.mktemp("form"))


def check_in_arabic(form: EnketoForm, fw: Framework, answers: list[SectionAnswer], english_names: dict[str, str]) -> None:
    """On the summary page, switch to Arabic: right-to-left layout, and the summary and a section page name the
    levels in Arabic (Enketo only switches the visible texts: level names are each language's own computed name or line); back to
    English, the section page names them in English again. Ends on the summary page, in English."""
    assert "ar" in form.languages()
    form.set_language("ar")
    assert form.direction() == "rtl"
    heading = form.current.locator("h4 .question-label.active").inner_text()
    assert ARABIC.search(heading), f"summary heading in Arabic: {heading!r}"
    arabic_names = level_labels(form, fw, next(a.section for a in answers if not a.suggested))
    assert all(ARABIC.search(name) for name in arabic_names.values()), arabic_names
    check_summary(form, answers, arabic_names)
    form.screenshot(OUT / "enketo-summary-ar.png")

    answer = None
    for _ in range(6):  # back to the last section page that shows a suggested level
        assert form.previous_page(), "Back did not move"
        fields = form.fields_on_page()
        answer = next((a for a in answers if a.suggested and on_section(form, a.section) and level_field(a.section) in fields), None)
        if answer:
            break
    assert answer, "no section page with a suggested level found going back from the summary"
    text = check_suggested(form, answer, arabic_names)
    assert ARABIC.search(text) and form.direction() == "rtl", text
    form.screenshot(OUT / "enketo-section-ar.png")

    form.set_language("en")
    assert form.direction() != "rtl"
    assert english_names[answer.suggested] in check_suggested(form, answer, english_names)
    while not form.current_page_name().endswith("/summary"):
        assert form.next_page(), f"Next did not move on from {form.current_page_name()}"


def shown(cell) -> object:
    """What a cell shows: a level is a code whose number format shows its name; other cells show their value."""
    return cell.number_format.strip('"') if isinstance(cell.value, int) else cell.value


def assessments_row(workbook: Path) -> dict[str, object]:
    """The only data row of the Assessments sheet, by column heading (re-read from the file)."""
    wb = load_workbook(workbook)
    ws = wb["Assessments"]
    rows = list(ws.iter_rows())
    assert len(rows) == 2, f"expected one assessment row, found {len(rows) - 1}"
    return {head.value: cell for head, cell in zip(rows[0], rows[1])}


def test_enketo_fills_the_qaf_form_and_the_report_shows_the_clicked_levels(fw, qaf_form, enketo_bundle, tmp_path):
    answers = level_pattern(fw)
    assert len(answers) == 17 and any(NOT_ASSESSED in a.criteria for a in answers)
    assert any(not a.suggested for a in answers)  # a section with every criterion Not assessed
    assert any(a.reason for a in answers) and any(not a.reason for a in answers)
    assert all(a.reason for a in answers if not a.suggested)  # a level given with nothing rated needs a reason

    with DevServer(token=TOKEN, static={"/enketo/": WEB_DIR}) as server, chromium_browser() as browser:
        with KoboClient(server.url, TOKEN) as client:
            deployment = deploy_form(client, qaf_form.xlsx)
        xform_url = f"{server.url}/api/v2/assets/{deployment.asset_uid}/xform/"
        # The token goes with the form and the submission, as Enketo Express sends the user's credentials to
        # KoboToolbox for both (the page's own code never sees it); the devserver refuses anonymous submissions.
        auth = {"Authorization": f"Token {TOKEN}"}
        form = EnketoForm(browser, headers_for={xform_url: auth, f"{server.url}/submission": auth})
        form.open(f"{server.url}/enketo/index.html", xform_url, f"{server.url}/submission")
        assert form.timings["source"] == "xslt"  # a first visit: the XForm went through the in-page transform
        offered = form.languages()
        assert offered[0] == "en" and set(offered) == {re.search(r"\((\w+)\)", n)[1] for n in qaf_form.languages}
        level_names = level_labels(form, fw)

        details = fill_details(form, fw.sections[0])
        assert details["country"] == COUNTRY and details["area"] == DETAILS["area"]
        assert (details["purpose"], details["purpose_other"]) == ("other", DETAILS["purpose_other"])
        for answer in answers:
            fill_section(form, answer, level_names)
            if answer.section.id == SCREENSHOT_SECTION:
                shot = form.screenshot(OUT / f"enketo-section-{SCREENSHOT_SECTION}.png")
            assert form.next_page(), f"section {answer.section.id}: Next did not move on"
        assert form.current_page_name().endswith("/summary")
        check_summary(form, answers, level_names)
        form.screenshot(OUT / "enketo-summary.png")

        check_in_arabic(form, fw, answers, level_names)

        assert form.submit() == "201"
        assert form.blocked == [], f"requests to other hosts: {form.blocked}"
        assert form.errors == [], form.errors

        stored = server.submissions(deployment.asset_uid)
        assert len(stored) == 1
        assert not [key for key in stored[0] if re.fullmatch(r"(suggested|assessed)_[0-9a-z]+", key.rsplit("/", 1)[-1])]
        # a level name is stored only in the display fields each language computes (the level label's suggested name)
        named = [key for key, value in stored[0].items() if value in level_names.values()]
        assert named and all(key.rsplit("/", 1)[-1].startswith("suggested_name_") for key in named), named

        store = tmp_path / "qaf.sqlite"
        result = sync(server.url, deployment.asset_uid, TOKEN, store)
        assert result.new == 1

    scores = score(store, fw=fw)
    workbooks = write_reports(scores, fw, tmp_path / "reports")
    row = assessments_row(workbooks[1])  # the country workbook: assessed and computed level of every section
    assert row["Country code"].value == COUNTRY
    assert row["Area"].value == DETAILS["area"] and row["Area"].data_type == "s"  # typed "=…" stays text
    assert row["Agency"].value == DETAILS["agency"]
    assert row["Purpose"].value == DETAILS["purpose_other"] and row["Purpose"].data_type == "s"  # "other", in words
    assert row["Assessment date"].value.date().isoformat() == ASSESSMENT_DATE
    for answer in answers:
        sid = answer.section.id
        assert row[f"{sid}: assessed"].value == int(answer.level), sid
        assert shown(row[f"{sid}: assessed"]) == level_names[answer.level], sid
        computed = shown(row[f"{sid}: computed"])
        assert computed == level_names[answer.suggested] if answer.suggested else computed not in level_names.values(), sid

    if not README_SCREENSHOT.exists() or os.environ.get("QAF_UPDATE_DOCS") == "1":
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, README_SCREENSHOT)


def test_enketo_refuses_a_malformed_xform(qaf_form, enketo_bundle, tmp_path):
    """The page's XML parser throws on a parse error, so a broken XForm is a load error, never a half-rendered form."""
    broken = tmp_path / "static"
    broken.mkdir()
    text = qaf_form.xml.read_text(encoding="utf-8")
    (broken / "broken.xml").write_text(text.replace("</h:head>", "</h:hed>", 1), encoding="utf-8")
    with DevServer(token=TOKEN, static={"/enketo/": WEB_DIR, "/forms/": broken}) as server, chromium_browser() as browser:
        form = EnketoForm(browser)
        with pytest.raises(AssertionError, match="could not load the form.*(well-formed|XML)"):
            form.open(f"{server.url}/enketo/index.html", f"{server.url}/forms/broken.xml", f"{server.url}/submission")
