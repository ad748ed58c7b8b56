"""The coordinators' workbooks: re-opened with openpyxl (in full and read-only), pandas and as raw xlsx XML;
LibreOffice converts them. Submissions are keyed by the real form's field paths (``details_scope/country``)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import types
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.errors import QafError
from qaf_kobo.form.build import build_form
from qaf_kobo.form.contract import criterion_field
from qaf_kobo.form.structure import read_form_structure
from qaf_kobo.framework import Framework, load_framework
from qaf_kobo.report import write_reports
from qaf_kobo.report.cells import NOT_ASSESSED_COLOUR, clean_text
from qaf_kobo.report.report_data import report_data
from qaf_kobo.report.sheets import COUNTRY_KEYS, REGIONAL_KEYS, overview
from qaf_kobo.report.sheets.about import NOTES, about_items
from qaf_kobo.report.sheets.about import rules as about_rules
from qaf_kobo.report.sheets.action_plan import action_plan_rows, action_plan_table
from qaf_kobo.report.sheets.assessments import assessments_table
from qaf_kobo.report.sheets.country_plan import country_plan_table
from qaf_kobo.report.sheets.data_quality import data_quality_table
from qaf_kobo.report.sheets.domains import domains_table
from qaf_kobo.report.sheets.heat_map import heat_map
from qaf_kobo.report.sheets.indicators import indicators_table
from qaf_kobo.report.sheets.overview import overview_table
from qaf_kobo.report.sheets.sections import sections_table
from qaf_kobo.report.wording import wording
from qaf_kobo.report.workbook import write_workbook
from qaf_kobo.scoring import score_submissions
from qaf_kobo.scoring.round_tables import round_tables
from qaf_kobo.scoring.text import TEXT_LIMIT
from qaf_kobo.store import open_store
from workbooks import load_workbook

from conftest import require_tool
from print_setup import assert_printed_to_width
from qaf_rows import qaf_answers, qaf_form, submission

DAY = dt.date(2025, 1, 15)
INJECTION = '=HYPERLINK("http://evil.example","click")'
SECRET = "tok3n-s3cret-value"
REGIONAL_SHEETS = ["Overview", "Heat map", "Sections", "Domains", "Assessments", "Indicators",
                   "Country action plan", "Closed actions", "Data quality", "About"]
COUNTRY_SHEETS = ["Country profile", "Heat map", "Agencies", "Sections", "Domains", "Assessments", "Indicators",
                  "Country action plan", "Closed actions", "Action plan by assessment", "Data quality", "About"]
REFERENCE = "Action plan by assessment"
"""A reference sheet: a note in its first row, then the table."""
MARKER = "qaf-kobo"


def colour_of(fw: Framework, code: int) -> str:
    return fw.level(code).colour


def records(fw: Framework) -> list[dict]:
    """A: SYR, section 1 at 4 and the rest at 2 (agency is a formula). B: SYR, section 1 at 3, the rest at 1.
    C: JOR in round 2, everything at 3 except section 2a not assessed."""
    form = qaf_form()
    return [
        submission(fw, form, 1, "SYR", INJECTION, "2024-03-01", "1", lambda c: "4" if c.section_id == "1" else "2",
                   area="+44 area", purpose="@SUM(A1)", notes="-1 note"),
        submission(fw, form, 2, "SYR", "Save the Children", "2024-04-01", "1", lambda c: "3" if c.section_id == "1" else "1"),
        submission(fw, form, 3, "JOR", "IRC", "2024-05-02", "2", lambda c: "na" if c.section_id == "2a" else "3"),
    ]


def make_scores(fw: Framework):
    scores = score_submissions(pd.DataFrame(records(fw)), fw, current_version="v1")
    scores.about |= {"server": f"https://user:{SECRET}@kf.example.org/api?token={SECRET}", "asset_uid": "aBcD123",
                     "store_path": "data/qaf.sqlite", "filters": {"countries": []}}
    return scores


@pytest.fixture(scope="module")
def written(fw, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    paths = write_reports(make_scores(fw), fw, out, date=DAY)
    return {p.name: p for p in paths}


@pytest.fixture(scope="module")
def regional(written) -> openpyxl.Workbook:
    return load_workbook(written["qaf_summary_2025-01-15.xlsx"])


@pytest.fixture(scope="module")
def syria(written) -> openpyxl.Workbook:
    return load_workbook(written["qaf_SYR_2025-01-15.xlsx"])


def visible(book) -> list[str]:
    """The sheets a coordinator sees (the plan marker is very hidden)."""
    return [ws.title for ws in book.worksheets if ws.sheet_state == "visible"]


def rows(ws) -> list[tuple]:
    return list(ws.iter_rows(min_row=2, values_only=True))


def bare(submission_id: str) -> str:
    return submission_id.removeprefix("uuid:")


def header(ws) -> list:
    return [c.value for c in ws[1]]


def reference_rows(ws) -> list[tuple]:
    """The rows of a reference sheet (Action plan by assessment): after its note and its header."""
    return list(ws.iter_rows(min_row=3, values_only=True))


def reference_header(ws) -> list:
    return [c.value for c in ws[2]]


def colour(cell) -> str:
    return cell.fill.fgColor.rgb[-6:]


def column(ws, heading: str) -> int:
    return header(ws).index(heading) + 1


def sheet_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/worksheets/sheet")}


def test_one_regional_and_one_workbook_per_country(written):
    assert sorted(written) == ["qaf_JOR_2025-01-15.xlsx", "qaf_SYR_2025-01-15.xlsx", "qaf_summary_2025-01-15.xlsx"]
    assert sorted(p.name for p in next(iter(written.values())).parent.iterdir()) == sorted(written)  # no temporary left


def test_sheets_in_order_with_frozen_header_filter_and_print_setup(regional, syria):
    assert regional.sheetnames == [*REGIONAL_SHEETS, MARKER] and visible(regional) == REGIONAL_SHEETS
    assert syria.sheetnames == [*COUNTRY_SHEETS, MARKER] and visible(syria) == COUNTRY_SHEETS
    assert regional[MARKER].sheet_state == syria[MARKER].sheet_state == "veryHidden"
    tables = [regional[name] for name in REGIONAL_SHEETS] + [syria[name] for name in COUNTRY_SHEETS[1:]
                                                             if name != "Agencies"]  # not a table: three header rows
    for ws in tables:
        top = 2 if ws.title == REFERENCE else 1  # below the reference sheet's note
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith(str(top + 1)), ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith(f"A{top}:"), ws.title
        assert ws.print_title_rows == f"$1:${top}", ws.title
        assert_printed_to_width(ws, ws.title)
        assert ws.sheet_view.rightToLeft in (None, False), ws.title
        if ws.title != "About":
            assert ws.row_dimensions[1].height >= 15, ws.title  # headings wrap into the lines they need
    profile = syria["Country profile"]  # not a table: a title frozen, printed like the others
    assert profile.freeze_panes == "A2" and profile.page_setup.orientation == "landscape"


def test_overview_shows_each_countrys_latest_round_beside_the_previous(fw, regional):
    """One row per country: its latest round, the assessments counted in it, sections meeting the minimum and the
    index now and in the previous round, open and overdue actions (as the Country action plan has them)."""
    ws = regional["Overview"]
    assert header(ws) == ["Country code", "Country", "Latest round", "Assessments (latest round)",
                          "Sections meeting the minimum, of 17 (latest round)", "Previous round",
                          "Sections meeting the minimum, of 17 (previous round)", "Index (latest round)",
                          "Index (previous round)", "Open actions (not completed or cancelled)", "Overdue actions"]
    by_country = {r[0]: dict(zip(header(ws), r)) for r in rows(ws)}
    assert set(by_country) == {"SYR", "JOR"}
    syr = by_country["SYR"]
    scores = make_scores(fw)
    # SYR's only round "1": section 1 at the lower median of 4 and 3 (3, the minimum), the others at 1.
    assert (syr["Latest round"], syr["Assessments (latest round)"], syr["Previous round"]) == ("1", 2, None)
    assert syr["Sections meeting the minimum, of 17 (latest round)"] == 1
    assert syr["Sections meeting the minimum, of 17 (previous round)"] is None
    syr_index = scores.assessments.loc[scores.assessments["country"] == "SYR", "index"].mean()  # as many criteria each
    assert syr["Index (latest round)"] == pytest.approx(syr_index) and syr["Index (previous round)"] is None
    plan = [dict(zip(header(regional["Country action plan"]), r)) for r in rows(regional["Country action plan"])]
    syria = [r for r in plan if r["Country"] == "Syrian Arab Republic"]
    assert syr["Open actions (not completed or cancelled)"] == len(syria) > 0
    # Suggested dates count from the report and are no deadline until someone confirms them: none is overdue.
    assert syr["Overdue actions"] == 0
    assert len(ws._charts) == 1 and ws._charts[0].tagname == "barChart"


def test_heat_map_lower_median_level_names_and_colours(fw, regional):
    ws = regional["Heat map"]
    heads = header(ws)
    assert heads[:4] == ["Country code", "Country", "Round", "Assessments (round)"]
    assert heads[4:21] == [f"{s.id}. {s.title}" for s in fw.sections]
    assert ws.freeze_panes == "E2" and ws.row_dimensions[1].height >= 60  # headings upright, whole
    assert {ws.cell(row=1, column=c).alignment.textRotation for c in range(1, 22)} == {90}
    first, second = rows(ws)[:2]
    assert first[:4] == ("JOR", "Jordan", "2", 1)  # each country's latest round (and the previous one, none here)
    assert second[:4] == ("SYR", "Syrian Arab Republic", "1", 2)
    section_1, section_2 = ws.cell(row=3, column=5), ws.cell(row=3, column=6)
    assert (section_1.value, colour(section_1)) == ("Minimum", colour_of(fw, 3))  # 4 and 3 -> 3; short names
    assert (section_2.value, colour(section_2)) == ("Critical", colour_of(fw, 1))  # 2 and 1 -> 1
    assert section_1.font.sz >= 12  # at least 8 pt once fitted to the page's width
    jor_2a = ws.cell(row=2, column=5 + [s.id for s in fw.sections].index("2a"))
    assert (jor_2a.value, colour(jor_2a)) == ("—", NOT_ASSESSED_COLOUR)
    assert ws.cell(row=3, column=1).border.top.style == "medium"  # a new country starts a block
    assert ws.cell(row=2, column=1).border.top.style != "medium"
    top = 2 + len(rows(ws)[:2]) + 1  # the legend below the grid: short name on its colour, full name beside it
    assert ws.cell(row=top, column=5).value == "Legend"
    shorts = [ws.cell(row=r, column=5) for r in range(top + 1, top + 6)]
    assert [(c.value, colour(c)) for c in shorts] == [
        ("Critical", fw.levels[0].colour), ("Improve", fw.levels[1].colour), ("Minimum", fw.levels[2].colour),
        ("Good", fw.levels[3].colour), ("—", NOT_ASSESSED_COLOUR)]
    assert [ws.cell(row=r, column=6).value for r in range(top + 1, top + 6)] == [
        *(level.label for level in fw.levels), "Not assessed"]
    assert "lower of the two middle levels" in ws.cell(row=top + 7, column=1).value


def test_heat_map_shows_scorings_median_level_without_recomputing_it(fw, tmp_path):
    """The cell is scores.countries' median_level: change it there and the sheet follows."""
    scores = make_scores(fw)
    countries = scores.countries.copy()
    cell = (countries["country"] == "SYR") & (countries["section_id"] == "2")
    assert list(countries.loc[cell, "median_level"]) == [1]  # 2 and 1 -> the lower median 1 (plain median 1.5)
    countries.loc[cell, "median_level"] = 4
    scores.countries = countries
    path = write_workbook(report_data(scores, fw), fw, wording(fw), tmp_path / "changed.xlsx")
    ws = load_workbook(path)["Heat map"]
    assert ws.cell(row=3, column=6).value == "Good"  # Good practice, short
    frame = heat_map(report_data(make_scores(fw), fw), fw).set_index(["round", "country"])
    assert (frame.loc[("1", "SYR")]["1"], frame.loc[("1", "SYR")]["2"]) == (3, 1)


def test_summaries_count_scorings_section_level(fw):
    """Overview and Sections count scores.sections["level"] (assessed, else computed) as scoring delivers it."""
    scores = make_scores(fw)
    sections = scores.sections.copy()
    first_section = sections["section_id"].astype(str) == "1"
    sections["level"] = sections["level"].where(~first_section, 2).astype("Int8")
    scores.sections = sections
    for name, table in round_tables(scores.assessments, sections, scores.domains, fw, "min").items():
        setattr(scores, name, table)
    data = report_data(scores, fw)
    table = sections_table(data, fw, wording(fw)).frame
    syr_1 = table[(table["country"] == "SYR") & table["section"].str.startswith("1. ")].iloc[0]
    assert list(syr_1[["n_1", "n_2", "n_3", "n_4", "n_none"]]) == [0, 2, 0, 0, 0]
    assert syr_1["level"] == 2
    syr = overview_table(data, fw, wording(fw)).frame.set_index("country").loc["SYR"]
    assert syr["meets_latest"] == 0


def test_sections_distribution_with_stacked_chart(fw, regional):
    ws = regional["Sections"]
    assert header(ws)[3:8] == [*(f"Assessments rating it: {level.label}" for level in fw.levels),
                               "Assessments not rating it"]
    assert header(ws)[8:] == ["Share meeting the minimum", "Level (round)", "Level (previous round)"]
    table = rows(ws)  # each country's latest round, one row per section
    titles = [f"{s.id}. {s.title}" for s in fw.sections]
    assert [r[:3] for r in table] == [("JOR", "2", t) for t in titles] + [("SYR", "1", t) for t in titles]
    syr_1, jor_2a = table[len(titles)], table[titles.index(f"2a. {fw.section('2a').title}")]
    assert syr_1[3:10] == (0, 0, 1, 1, 0, 1.0, "Meets minimum levels")  # section 1: A at 4, B at 3
    assert jor_2a[3:8] == (0, 0, 0, 0, 1)
    chart = ws._charts[0]
    assert chart.grouping == "stacked" and len(chart.series) == 4
    fills = [s.graphicalProperties.solidFill.srgbClr for s in chart.series]
    assert fills == [level.colour for level in fw.levels]


def test_assessments_one_row_per_submission_with_coloured_levels(fw, regional, syria):
    """Levels are codes shown by name on their colour: the regional sheet has the level the summaries use, a country
    workbook the assessed and the computed one."""
    ws = regional["Assessments"]
    table = rows(ws)
    ids = [bare(r[0]) for r in table]
    assert sorted(ids) == ["0000-1", "0000-2", "0000-3"]
    row = 2 + ids.index("0000-2")
    level_1 = ws.cell(row=row, column=column(ws, "1: level"))
    assert (level_1.value, level_1.number_format, colour(level_1)) == (3, '"Meets minimum levels"', colour_of(fw, 3))
    country = syria["Assessments"]
    mine = 2 + [bare(r[0]) for r in rows(country)].index("0000-2")
    assessed_1 = country.cell(row=mine, column=column(country, "1: assessed"))
    computed_2 = country.cell(row=mine, column=column(country, "2: computed"))
    assert (assessed_1.value, assessed_1.number_format, colour(assessed_1)) == (3, '"Meets minimum levels"',
                                                                                 colour_of(fw, 3))
    assert (computed_2.value, computed_2.number_format, colour(computed_2)) == (1, '"Critical to address"',
                                                                                 colour_of(fw, 1))
    assert len(header(country)) == 15 + 2 * len(fw.sections) and header(country)[:2] == ["Submission id", "Source"]
    for sheet, line in ((ws, row), (country, mine)):
        assert sheet.cell(row=line, column=column(sheet, "Assessment date")).value == dt.datetime(2024, 4, 1)
        assert sheet.cell(row=line, column=column(sheet, "Scope")).value == "Single agency"
        assert isinstance(sheet.cell(row=line, column=column(sheet, "Index (0–100)")).value, float)
    assert country.cell(row=mine, column=column(country, "Older form version")).value is False
    assert country.cell(row=mine, column=column(country, "Submitted")).value == dt.datetime(2025, 1, 10, 9, 30)
    assert header(ws) == ["Submission id", "Source", "Country code", "Agency", "Area", "Assessment date", "Round",
                          "Scope", "Index (0–100)", *(f"{s.id}: level" for s in fw.sections)]  # the rest: per country


def expected_action_rows(fw: Framework, country: str) -> int:
    form, count = qaf_form(), 0
    for record in records(fw):
        if record[form.key("country")] != country:
            continue
        for c in fw.criteria:
            answer = record[form.key(criterion_field(c))]
            if answer in ("1", "2", "3"):
                count += max(1, len(c.next_actions(int(answer))))
    return count


def test_an_action_plan_longer_than_a_sheet_goes_on_in_numbered_sheets(fw, tmp_path, monkeypatch):
    """Past Excel's rows per sheet (here made 151: a header and 150 rows), the Action plan by assessment goes on in
    "… (2)", "… (3)" sheets right after it, each with its header and dropdown, and no row lost or repeated."""
    import qaf_kobo.report.table_sheet as table_sheet

    form = qaf_form()
    agencies = [submission(fw, form, n, "SYR", f"Agency {n}", f"2024-03-0{n}", "1",
                           lambda c, n=n: str(1 + (n + int(c.number)) % 3)) for n in range(1, 9)]
    scores = score_submissions(pd.DataFrame(agencies), fw, current_version="v1")
    single = tmp_path / "single.xlsx"
    write_workbook(report_data(scores, fw).for_country("SYR"), fw, wording(fw, "en"), single)
    whole = reference_rows(load_workbook(single)["Action plan by assessment"])
    monkeypatch.setattr(table_sheet, "MAX_ROWS", 152)  # the Country action plan (135 rows) still fits
    split = write_workbook(report_data(scores, fw).for_country("SYR"), fw, wording(fw, "en"), tmp_path / "split.xlsx")
    book = load_workbook(split)
    names = [n for n in book.sheetnames if n.startswith("Action plan by assessment")]
    assert len(whole) > 300 and names == ["Action plan by assessment", *(
        f"Action plan by assessment ({n})" for n in range(2, -(-len(whole) // 150) + 1))]
    first = book.sheetnames.index(names[0])
    assert book.sheetnames[first:first + len(names)] == names  # together, in order
    parts = [reference_rows(book[n]) for n in names]
    assert all(0 < len(part) <= 150 for part in parts) and [r for part in parts for r in part] == whole
    for name in names:
        assert reference_header(book[name]) == reference_header(load_workbook(single)[REFERENCE])
        assert book[name].protection.sheet and book[name]["A1"].value.startswith("Reference only")


def test_action_plan_by_assessment_is_a_protected_reference_with_action_ids(fw, written, syria):
    """In the country workbooks only: one row per assessment × criterion × action, each with its Action id; no
    tracking columns (the Country action plan has them), as its first row says; protected."""
    ws = syria[REFERENCE]
    assert ws["A1"].value.startswith("Reference only") and "not read back" in ws["A1"].value and ws.protection.sheet
    assert reference_header(ws) == ["Country", "Agency", "Section", "Criterion", "Current level", "Target level",
                                    "Action", "Assessment date", "Submission id", "Action id"]
    table = reference_rows(ws)
    assert len(table) == expected_action_rows(fw, "SYR")
    jordan = reference_rows(load_workbook(written["qaf_JOR_2025-01-15.xlsx"])[REFERENCE])
    assert len(jordan) == expected_action_rows(fw, "JOR")
    assert {r[4] for r in jordan} == {"Meets minimum levels"} and {r[5] for r in jordan} == {"Good practice"}
    assert {r[9].split("-")[2] for r in jordan} == {"3to4"}
    first = table[0]
    assert first[0] == "Syrian Arab Republic" and first[9] == "SYR-2.1-1to2-1"
    criterion = fw.criterion("2.1")  # the first criterion at Critical (B's section 1 is at 3)
    assert first[2:7] == ("2. Case management process", f"2.1 {criterion.title}", "Critical to address",
                          "Requires improvement", criterion.next_actions(1)[0])
    levels = [r[4] for r in table]
    assert levels == sorted(levels, key=["Critical to address", "Requires improvement", "Meets minimum levels"].index)
    assert all(isinstance(r[7], dt.datetime) and r[8] for r in table)  # assessment date, submission id
    assert colour(ws.cell(row=3, column=5)) == colour_of(fw, 1)
    assert not ws.data_validations.dataValidation and not ws.conditional_formatting  # nothing to fill in here


def test_action_plan_rows_are_lowest_level_first_then_framework_order(fw):
    plan = action_plan_rows(make_scores(fw), fw)
    syria = plan[plan["country"] == "SYR"]
    assert list(syria["current_level"]) == sorted(syria["current_level"])
    critical = syria[syria["current_level"] == 1]
    order = [c.id for c in fw.criteria]
    assert list(critical["criterion_id"].map(order.index)) == sorted(critical["criterion_id"].map(order.index))
    assert not (plan["current_level"] == len(fw.levels)).any()


def test_data_quality_findings_are_listed(regional):
    table = rows(regional["Data quality"])
    assert ("0000-3", "Jordan", "IRC") in {(bare(r[0]), r[1], r[2]) for r in table}
    assert "Criteria not assessed" in {r[4] for r in table}


def test_about_names_sources_without_the_token(written, regional):
    ws = regional["About"]
    values = {r[0]: r[1] for r in rows(ws) if r[0]}
    assert values["Framework version"] == "1.0.0"
    assert values["Form version(s) in the data"] == "v1"
    assert values["Scoring rule"].startswith("min:")
    assert values["Data source: server"] == "https://kf.example.org/api"
    assert values["Data source: form (asset uid)"] == "aBcD123"
    assert values["Local store"] == "data/qaf.sqlite"
    assert values["Submissions scored"] == 3 and values["Countries in this workbook"] == 2
    assert isinstance(values["Generated at"], dt.datetime)
    after = "months after the day the action first appears in a plan (suggested until confirmed)"
    assert values["Expected completion dates (suggested)"] == (
        f"Critical to address: 3 {after}; Requires improvement: 6 {after}; Meets minimum levels: 12 {after}")
    notes = [str(r[0]) for r in rows(ws) if r[0] and r[1] is None]
    assert any("lower of the two middle levels" in note for note in notes)
    assert ("Priority in the country action plans (1 = do first): actions for the lowest current level first "
            "(Critical to address → Requires improvement → Meets minimum levels); within a level, actions needed by "
            "more agencies first; then the framework’s own order of sections, criteria and actions.") in notes
    assert any("qaf-kobo actions import" in note for note in notes)
    assert any("so a domain is never below all of its sections" in note for note in notes)
    assert any(note.startswith("A level and an index can move in opposite directions") for note in notes)
    assert values["Coordinator's guide"].startswith("reports/README.md")  # the guide quotes these notes
    assert len(ws.merged_cells.ranges) == len(NOTES) == 8  # each rule across both columns
    for path in written.values():
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                assert SECRET.encode() not in archive.read(name), (path.name, name)


def test_field_text_starting_with_formula_characters_stays_text(written, regional, syria):
    for ws, fields in ((regional["Assessments"], ("Agency", "Area")), (syria["Assessments"], ("Agency", "Area", "Purpose"))):
        row = 2 + [bare(r[0]) for r in rows(ws)].index("0000-1")
        for heading in fields:
            cell = ws.cell(row=row, column=column(ws, heading))
            text = {"Agency": INJECTION, "Area": "+44 area", "Purpose": "@SUM(A1)"}[heading]
            assert (cell.value, cell.data_type) == (text, "s")
            assert cell.quotePrefix
    plan = regional["Country action plan"]
    assert INJECTION in {r[header(plan).index("Agencies")] for r in rows(plan)}
    for path in written.values():
        for name, xml in sheet_xml(path).items():
            assert "<f>" not in xml and "<f " not in xml, (path.name, name)
            if "HYPERLINK" in xml:
                assert re.search(r'<c [^>]*t="inlineStr"[^>]*><is><t[^>]*>=HYPERLINK', xml), name


def risky_scores(fw: Framework):
    """One submission whose every text detail starts with a formula character, a tab or a carriage return
    (codes unknown, shown as typed), with control characters and a text longer than a cell holds."""
    form = qaf_form()
    record = submission(fw, form, 9, "=cmd", "-agency", "2024-06-01", "+1", lambda c: "2", area="\r@area\x01\x1f",
                        purpose="=1+1" + "x" * 40_000, notes="-note")
    record |= {form.key("assessment_scope"): "\t-scope", "__version__": "@v9", "_validation_status": {"uid": "=status"}}
    return score_submissions(pd.DataFrame([record]), fw, current_version="v1")


def test_every_text_from_the_data_is_quote_prefixed_text(fw, tmp_path):
    paths = write_reports(risky_scores(fw), fw, tmp_path, date=DAY)
    assert [p.name for p in paths] == ["qaf_summary_2025-01-15.xlsx", "qaf__CMD_2025-01-15.xlsx"]
    wb = load_workbook(paths[0])
    seen = set()
    for ws in [*wb.worksheets, *load_workbook(paths[1]).worksheets]:
        for cells in ws.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    assert cell.data_type == "s" and cell.quotePrefix, (ws.title, cell.coordinate, cell.value)
                    seen.add((ws.title, cell.value[:10]))
    expected = {
        ("Overview", "=CMD"), ("Overview", "+1"),  # unknown country code, and its name falls back to the code
        ("Heat map", "+1"), ("Heat map", "=CMD"), ("Domains", "=CMD"), ("Domains", "+1"),
        *(("Assessments", v) for v in ("=CMD", "-agency", "=1+1xxxxxx", "+1", "\t-scope", "@v9", "=status")),
        ("Country action plan", "=CMD"), ("Country action plan", "-agency"),
        ("Action plan by assessment", "=CMD"), ("Action plan by assessment", "-agency"),
        ("Data quality", "=CMD"), ("Data quality", "-agency"),
    }
    assert expected <= seen, expected - seen
    ws = load_workbook(paths[1])["Assessments"]
    area = ws.cell(row=2, column=column(ws, "Area"))  # scoring strips the CR; \x01 and \x1f (XML cannot hold
    assert (area.value, area.quotePrefix) == ("@area", True)  # them) are removed
    purpose = ws.cell(row=2, column=column(ws, "Purpose")).value
    assert len(purpose) == TEXT_LIMIT and purpose.endswith("…")  # scoring's cap, far below Excel's 32,767
    assert len(clean_text("x" * 40_000)) == 32_767 and clean_text("\ra\x01b") == "\rab"  # the workbook's own limits
    for path in paths:
        for name, xml in sheet_xml(path).items():
            assert "<f>" not in xml and "<f " not in xml, (path.name, name)


def test_dates_outside_excels_range_are_written_as_text(fw, tmp_path):
    form = qaf_form()
    dates = {1: "-2025-01-01", 2: "1850-06-01", 3: "1900-01-01", 4: "1900-03-01", 5: "2024-02-29"}
    raw = [submission(fw, form, n, "JOR", "IRC", date, "1", lambda c: "3") for n, date in dates.items()]
    scores = score_submissions(pd.DataFrame(raw), fw, current_version="v1")
    path = write_workbook(report_data(scores, fw), fw, wording(fw), tmp_path / "dates.xlsx")
    ws = load_workbook(path)["Assessments"]
    shown = {bare(r[0]): r[column(ws, "Assessment date") - 1] for r in rows(ws)}
    # "-2025-01-01" is not a date to scoring (empty here, flagged below); 1850 is one, before Excel's range: text
    assert shown == {"0000-1": None, "0000-2": "1850-06-01", "0000-3": dt.datetime(1900, 1, 1),
                     "0000-4": dt.datetime(1900, 3, 1), "0000-5": dt.datetime(2024, 2, 29)}
    row = 2 + [bare(r[0]) for r in rows(ws)].index("0000-2")
    cell = ws.cell(row=row, column=column(ws, "Assessment date"))
    assert cell.data_type == "s"
    dates_xml = sheet_xml(path)["xl/worksheets/sheet5.xml"]  # Assessments
    assert "-1433" not in dates_xml  # no negative serial (an error cell in Excel)
    findings = rows(load_workbook(path)["Data quality"])
    assert any(bare(r[0]) == "0000-1" and r[4] == "Date out of range" and "'-2025-01-01'" in r[5] for r in findings)


def test_country_workbooks_hold_only_their_country(written):
    wb = load_workbook(written["qaf_JOR_2025-01-15.xlsx"])
    assert wb["Country profile"]["A1"].value == "Country profile: Jordan (JOR)"
    grid = rows(wb["Heat map"])
    assert {r[0] for r in grid[:grid.index(tuple([None] * len(grid[0])))]} == {"JOR"}  # below: legend and notes
    assert {r[2] for r in rows(wb["Assessments"])} == {"JOR"}
    assert {r[0] for r in rows(wb["Domains"])} == {"JOR"}
    assert {r[0][:4] for r in rows(wb["Country action plan"])} == {"JOR-"}
    assert header(wb["Country action plan"])[0] == "Action id"  # no Country column: one country
    assert {r[0] for r in reference_rows(wb[REFERENCE])} == {"Jordan"}
    assert {r[1] for r in rows(wb["Data quality"])} <= {"Jordan"}
    about = {r[0]: r[1] for r in rows(wb["About"]) if r[0]}
    assert about["Assessments in this workbook"] == 1


def test_country_option_limits_the_workbooks(fw, tmp_path):
    paths = write_reports(make_scores(fw), fw, tmp_path, countries=["syr"], date=DAY)
    assert [p.name for p in paths] == ["qaf_summary_2025-01-15.xlsx", "qaf_SYR_2025-01-15.xlsx"]
    overview_sheet = load_workbook(paths[0])["Overview"]
    assert [r[0] for r in rows(overview_sheet)] == ["SYR"]
    with pytest.raises(QafError, match=r"no assessments for country XYZ \(found: JOR, SYR\)"):
        write_reports(make_scores(fw), fw, tmp_path, countries=["XYZ"], date=DAY)


def test_countries_whose_file_names_collide_get_one_file_each(fw, tmp_path):
    """"=1+1" and "﹦1+1" (a full-width equals sign) both write as _1_1; "summary" as the regional workbook's name."""
    form = qaf_form()
    raw = [submission(fw, form, n, country, "IRC", "2024-05-02", "1", lambda c: "2")
           for n, country in enumerate(["=1+1", "\ufe661+1", "summary"], 1)]
    scores = score_submissions(pd.DataFrame(raw), fw, current_version="v1")
    paths = write_reports(scores, fw, tmp_path, date=DAY)
    assert len(paths) == 4 and len(set(paths)) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)
    countries = {}
    for path in paths[1:]:
        (code,) = {r[2] for r in rows(load_workbook(path)["Assessments"])}
        countries[code] = path.name
    assert sorted(countries) == sorted(["=1+1", "\ufe661+1", "SUMMARY"])
    regional = {r[0] for r in rows(load_workbook(paths[0])["Overview"])}
    assert regional == set(countries)


def test_a_failed_write_leaves_no_file(fw, tmp_path):
    def broken(ws, cells, scores, fw, words):
        raise RuntimeError("disk full")

    target = tmp_path / "qaf_summary.xlsx"
    with pytest.raises(RuntimeError, match="disk full"):
        write_workbook(report_data(make_scores(fw), fw), fw, wording(fw), target,
                       sheets=(overview, types.SimpleNamespace(KEY="about", write=broken)))
    assert list(tmp_path.iterdir()) == []


def expected_rows(data, fw: Framework, words) -> dict[str, int]:
    """Rows below the header of each table sheet, from the pure tables (the heat map's legend and About's notes
    count)."""
    return {
        words.sheet("overview"): len(overview_table(data, fw, words)),
        # the grid, a gap, the legend (title, levels, not assessed), then each note after a gap
        words.sheet("heat_map"): len(heat_map(data, fw)) + 1 + 1 + len(fw.levels) + 1 + 2 * 2,
        words.sheet("sections"): len(sections_table(data, fw, words)),
        words.sheet("domains"): len(domains_table(data, fw, words)),
        words.sheet("assessments"): len(assessments_table(data.scores, fw, words)),
        words.sheet("indicators"): len(indicators_table(data.scores, fw, words)),
        words.sheet("country_plan"): len(country_plan_table(data, fw, words)),
        words.sheet("closed_actions"): len(country_plan_table(data, fw, words, needed=False)),
        words.sheet("action_plan"): len(action_plan_table(data.scores, fw, words)) + 1,  # its note, then the header
        words.sheet("data_quality"): len(data_quality_table(data.scores, words)),
        words.sheet("about"): len(about_items(data, fw, words)) + 1 + len(about_rules(fw, words)),
        MARKER: 11 + len(data.plans),  # the facts, then each action's values as written
    }


def test_every_workbook_reads_whole_with_openpyxl_read_only_and_pandas(fw, tmp_path):
    """Thousands of action rows; every sheet of every workbook re-read in full, row counts exact (the profile, not a
    table, as many rows read-only as loaded whole)."""
    raw = pd.DataFrame([qaf_answers(i) for i in range(60)])
    scores = score_submissions(raw, fw, current_version="v1")
    words = wording(fw)
    paths = write_reports(scores, fw, tmp_path, date=DAY)
    data = report_data(scores, fw, report_date=DAY)
    assert len(paths) == 4
    for path in paths:
        country = None if path.name.startswith("qaf_summary") else path.name.split("_")[1]
        part = data if country is None else data.for_country(country)
        expected = expected_rows(part, fw, words)
        names = [*(REGIONAL_SHEETS if country is None else COUNTRY_SHEETS), MARKER]
        if country:
            assert expected[words.sheet("action_plan")] > 300
            expected["Country profile"] = load_workbook(path)["Country profile"].max_row - 1
            expected["Agencies"] = load_workbook(path)["Agencies"].max_row - 1
        assert expected[words.sheet("country_plan")] > (50 if country else 150)
        book = load_workbook(path, read_only=True)
        try:
            assert book.sheetnames == names
            for ws in book.worksheets:
                assert ws.max_row == expected[ws.title] + 1, (path.name, ws.title)  # from <dimension>
                assert sum(1 for _ in ws.iter_rows(values_only=True)) == expected[ws.title] + 1, (path.name, ws.title)
        finally:
            book.close()
        frames = pd.read_excel(path, sheet_name=None)
        assert list(frames) == names
        for title, frame in frames.items():
            assert len(frame) == expected[title], (path.name, title)
        plan = frames["Country action plan"]
        assert plan["Implementation stage"].eq("Not started").all() and plan["Action"].notna().all()
        assert pd.api.types.is_datetime64_any_dtype(plan["Expected completion date"])
        assert plan["Action id"].is_unique and plan["Priority"].notna().all()
        if country:
            by_assessment = pd.read_excel(path, sheet_name=REFERENCE, header=1)
            assert pd.api.types.is_datetime64_any_dtype(by_assessment["Assessment date"])


@pytest.mark.parametrize("lang", ["fr", "ar", "es"])
def test_report_languages(fw, tmp_path, lang):
    words = wording(fw, lang)
    path = write_reports(make_scores(fw), fw, tmp_path, countries=["SYR"], lang=lang, date=DAY)[0]
    wb = load_workbook(path)
    assert visible(wb) == [words.sheet(key) for key in REGIONAL_KEYS] != REGIONAL_SHEETS
    country = load_workbook(write_reports(make_scores(fw), fw, tmp_path, countries=["SYR"], lang=lang,
                                                   date=DAY)[1])
    assert visible(country) == [words.sheet(key) for key in COUNTRY_KEYS] != COUNTRY_SHEETS
    for ws in [*wb.worksheets, *country.worksheets]:
        if ws.sheet_state == "visible":
            assert bool(ws.sheet_view.rightToLeft) == (lang == "ar"), ws.title
    plan = wb[words.sheet("country_plan")]
    first = rows(plan)[0]
    assert first[1:3] == ("SYR-2.1-1to2-1", 1)
    assert first[7] == words("level.critical") != "Critical to address"
    assert first[6] == words("action.2.1.1-2.1")
    assert plan.data_validations.dataValidation[0].formula1 == '"' + ",".join(words.stages()) + '"'
    if lang == "ar":
        arabic = re.compile(r"[\u0600-\u06FF]")
        assert all(arabic.search(name) for name in visible(wb))
        assert arabic.search(first[7]) and arabic.search(first[6])


def small_framework(folder: Path, count: int) -> Framework:
    """A framework of ``count`` levels (minimum: the middle one), two sections of two criteria, actions for A.1."""
    names = [f"step_{n}" for n in range(1, count + 1)]
    colours = ["C00000", "FF9900", "FFFF00", "92D050", "00B050", "0070C0"][:count]
    data = {
        "id": f"mini{count}", "title": f"Mini {count}", "version": "0.1.0", "edition": "test", "form_id": f"mini_{count}",
        "levels": [{"name": name, "label": f"Step {n}", "colour": c} for n, (name, c) in enumerate(zip(names, colours), 1)],
        "minimum_level": names[count // 2],
        "domains": [{"id": "1", "title": "Domain one"}],
        "sections": [{"id": sid, "domain": "1", "title": f"Section {sid}", "criteria": [
            {"id": f"{sid}.{k}", "title": f"Criterion {sid}.{k}", "levels": [f"descriptor {j}" for j in range(1, count + 1)],
             "references": []} for k in (1, 2)]} for sid in ("A", "B")],
        "references": [],
        "actions": [{"criterion": "A.1", "transition": f"{j}-{j + 1}", "text": f"Move A.1 from {j} to {j + 1}"}
                    for j in range(1, count)],
    }
    path = folder / "framework.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_framework(path)


@pytest.mark.parametrize("count", [3, 5])
def test_reports_follow_the_frameworks_levels(tmp_path, count):
    fw = small_framework(tmp_path, count)
    form = read_form_structure(build_form(tmp_path / "form", languages=["en"], framework=fw).xml)
    top = str(count)
    raw = [
        submission(fw, form, 1, "JOR", "IRC", "2024-05-02", "1", lambda c: "1" if c.id == "A.1" else top),
        submission(fw, form, 2, "JOR", "UNICEF", "2024-05-03", "1", lambda c: "2" if c.id == "A.1" else top),
        submission(fw, form, 3, "LBN", "IRC", "2024-05-04", "1", lambda c: top),
    ]
    scores = score_submissions(pd.DataFrame(raw), fw, current_version="v1")
    paths = write_reports(scores, fw, tmp_path / "out", date=DAY)
    wb = load_workbook(paths[0])
    labels = [f"Step {n}" for n in range(1, count + 1)]
    colours = [level.colour for level in fw.levels]

    ws = wb["Overview"]
    meets = {r[0]: r[4] for r in rows(ws)}  # JOR: section A at the lower median of 1 and 2 (1), B at the top
    assert meets == {"JOR": int(1 >= fw.minimum) + 1, "LBN": 2}
    assert ws._charts[0].series[0].graphicalProperties.solidFill.srgbClr == fw.minimum_level.colour

    ws = wb["Sections"]
    assert header(ws)[3:3 + count] == [f"Assessments rating it: {label}" for label in labels]
    zeros = (0,) * (count - 3)
    assert [r[3:3 + count] for r in rows(ws)] == [
        (1, 1, *zeros, 0), (0, 0, *zeros, 2), (0, 0, *zeros, 1), (0, 0, *zeros, 1)]
    chart = ws._charts[0]
    assert len(chart.series) == count
    assert [s.graphicalProperties.solidFill.srgbClr for s in chart.series] == colours

    ws = wb["Heat map"]
    top = next(r for r in range(2, 30) if ws.cell(row=r, column=5).value == "Legend")
    legend = [ws.cell(row=r, column=6) for r in range(top + 1, top + count + 2)]  # full names beside the short ones
    assert [c.value for c in legend] == [*labels, "Not assessed"]
    assert [colour(ws.cell(row=r, column=5)) for r in range(top + 1, top + count + 2)] == [*colours, NOT_ASSESSED_COLOUR]
    jor = ws.cell(row=2, column=5)  # JOR's section A: levels 1 and 2 -> the lower median 1 (no short name: the full)
    assert (jor.value, colour(jor)) == ("Step 1", colours[0])

    plan = rows(wb["Country action plan"])  # Country, Action id, Priority, …, Action, Current, Target, Agencies …
    assert [(r[0], r[1], r[2], r[6], r[7], r[8], r[9], r[10]) for r in plan] == [
        ("Jordan", "JOR-A.1-1to2-1", 1, "Move A.1 from 1 to 2", "Step 1", "Step 2", 1, "IRC"),
        ("Jordan", "JOR-A.1-2to3-1", 2, "Move A.1 from 2 to 3", "Step 2", "Step 3", 1, "UNICEF")]
    by_assessment = reference_rows(load_workbook(paths[1])[REFERENCE])
    assert [(r[0], r[4], r[5], r[6]) for r in by_assessment] == [
        ("Jordan", "Step 1", "Step 2", "Move A.1 from 1 to 2"), ("Jordan", "Step 2", "Step 3", "Move A.1 from 2 to 3")]
    about = {r[0]: r[1] for r in rows(wb["About"]) if r[0]}
    months = [3, 6, 12, 12][:count - 1]  # 3 × 2^(k−1), at most 12, for every level but the top
    assert about["Expected completion dates (suggested)"] == "; ".join(
        f"Step {k}: {m} months after the day the action first appears in a plan (suggested until confirmed)"
        for k, m in enumerate(months, 1))
    domains = rows(wb["Domains"])  # JOR's domain 1: per assessment the lowest section (1 and 2) → lower median 1
    assert [(r[0], r[5]) for r in domains] == [("JOR", "Step 1"), ("LBN", f"Step {count}")]


def test_empty_scores_give_headers_only(fw, tmp_path):
    empty = score_submissions(pd.DataFrame(), fw)
    (path,) = write_reports(empty, fw, tmp_path, date=DAY)
    wb = load_workbook(path)
    assert header(wb["Country action plan"])[:2] == ["Country", "Action id"] and rows(wb["Country action plan"]) == []
    assert rows(wb["Domains"]) == []
    assert rows(wb["Assessments"]) == [] and rows(wb["Overview"]) == []


def store_with(fw: Framework, path: Path) -> Path:
    with open_store(path) as s:
        s.upsert_page(records(fw))
    return path


def test_cli_report_scores_the_store_and_writes_workbooks(fw, tmp_path):
    store = store_with(fw, tmp_path / "qaf.sqlite")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", "--store", str(store), "--out", str(out), "--country", "JOR",
                                       "--rule", "median"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.glob("*.xlsx"))
    assert len(names) == 2 and any(n.startswith("qaf_JOR_") for n in names)
    assert "2 workbook(s) written" in result.output
    bad_rule = CliRunner().invoke(main, ["report", "--store", str(store), "--out", str(out), "--rule", "mean"])
    assert bad_rule.exit_code == 2 and "'min', 'median'" in bad_rule.output


@pytest.mark.parametrize("asked", [["ZZZ"], ["JOR", "ZZZ"]])
def test_cli_unknown_country_names_the_countries_in_the_store(fw, tmp_path, asked):
    store = store_with(fw, tmp_path / "qaf.sqlite")
    options = [o for country in asked for o in ("--country", country)]
    bad = CliRunner().invoke(main, ["report", "--store", str(store), "--out", str(tmp_path / "out"), *options])
    assert bad.exit_code == 2
    assert "error: no assessments for country ZZZ (found: JOR, SYR)" in bad.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cli_report_takes_an_imported_translation(fw, tmp_path, monkeypatch):
    """README: ``translations import`` then ``report --lang pt``; an unknown language names the installed ones."""
    from qaf_kobo.framework import catalogue

    monkeypatch.setenv("QAF_TRANSLATIONS_DIR", str(tmp_path / "mine"))
    catalogue.clear_translation_cache()
    try:
        runner = CliRunner()
        sheet = tmp_path / "pt.xlsx"
        assert runner.invoke(main, ["translations", "export", "--lang", "pt", str(sheet)]).exit_code == 0
        wb = load_workbook(sheet)
        ws = wb["strings"] if "strings" in wb.sheetnames else wb.worksheets[0]
        id_col, text_col = header(ws).index("id") + 1, header(ws).index("translation") + 1
        for row in range(2, ws.max_row + 1):
            if ws.cell(row, id_col).value == "report.sheet.overview":
                ws.cell(row, text_col).value = "Visão geral"
        wb.save(sheet)
        imported = runner.invoke(main, ["translations", "import", str(sheet)])
        assert imported.exit_code == 0, imported.output
        catalogue.clear_translation_cache()
        store = store_with(fw, tmp_path / "qaf.sqlite")
        out = tmp_path / "out"
        result = runner.invoke(main, ["report", "--store", str(store), "--out", str(out), "--lang", "pt"])
        assert result.exit_code == 0, result.output
        assert load_workbook(next(out.glob("qaf_summary_*.xlsx"))).sheetnames[0] == "Visão geral"
        bad = runner.invoke(main, ["report", "--store", str(store), "--out", str(out), "--lang", "xx"])
        assert bad.exit_code == 2 and "error: no translation for language 'xx' (available: en, fr, ar, es, pt)" in bad.output
    finally:
        catalogue.clear_translation_cache()


@pytest.mark.system
def test_libreoffice_converts_the_workbook_to_pdf_and_reads_the_rows(written, tmp_path):
    require_tool("soffice", why="converts the workbook to PDF as a coordinator's office suite would")
    source = written["qaf_summary_2025-01-15.xlsx"]
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    for target in ("pdf", "csv"):
        done = subprocess.run(
            ["soffice", profile, "--headless", "--convert-to", target, "--outdir", str(tmp_path), str(source)],
            capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 0, done.stderr
    pdf = tmp_path / (source.stem + ".pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5000
    overview_csv = (tmp_path / (source.stem + ".csv")).read_text(encoding="utf-8", errors="replace")
    assert "SYR" in overview_csv and "Syrian Arab Republic" in overview_csv and "JOR" in overview_csv


def test_country_workbooks_written_by_worker_processes_are_the_same(fw, tmp_path):
    """The path a big report takes (country workbooks in worker processes) writes the same cells."""
    scores = make_scores(fw)
    moment = dt.datetime(2025, 1, 15, 9, 0, tzinfo=dt.timezone.utc)
    alone = write_reports(scores, fw, tmp_path / "one", date=DAY, generated_at=moment, workers=1)
    shared = write_reports(scores, fw, tmp_path / "two", date=DAY, generated_at=moment, workers=2)
    assert [p.name for p in alone] == [p.name for p in shared]
    for first, second in zip(alone, shared):
        one, two = load_workbook(first), load_workbook(second)
        assert one.sheetnames == two.sheetnames
        for ws in one.worksheets:
            assert list(ws.iter_rows(values_only=True)) == list(two[ws.title].iter_rows(values_only=True)), ws.title


def test_plan_workbooks_say_what_they_are_in_a_very_hidden_sheet(written, regional, syria):
    """What ``actions import`` reads: format and version, generation time, language, framework, the plan sheet and
    its column keys (the regional plan starts with Country)."""
    facts = {name: {r[0]: r[1] for r in list(book[MARKER].iter_rows(values_only=True))[1:]} for name, book in
             (("regional", regional), ("country", syria))}
    for name, values in facts.items():
        assert values["format"] == "qaf-kobo action plan" and values["format_version"] == "2", name
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", values["generated_at"]), name
        assert (values["language"], values["framework"], values["framework_version"]) == ("en", "qaf", "1.0.0")
        assert values["plan_sheet"] == "Country action plan"
    keys = ("action_id,priority,domain,section,criterion,action,current_level,target_level,n_agencies,agencies,"
            "responsible_section,responsible_person,expected_completion,implementation_stage,action_taken,"
            "last_updated,note")
    assert facts["country"]["plan_columns"] == keys and facts["regional"]["plan_columns"] == "country," + keys
    assert facts["country"]["generated_at"] == facts["regional"]["generated_at"]  # one time for the whole report
    about = {r[0]: r[1] for r in rows(regional["About"]) if r[0]}
    assert about["Generated at"] == dt.datetime.fromisoformat(facts["regional"]["generated_at"][:-1]).replace(second=0)
