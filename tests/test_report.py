"""The coordinators' workbooks: re-opened with openpyxl and read as raw xlsx XML; LibreOffice converts them."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.errors import QafError
from qaf_kobo.form.contract import criterion_field, level_field, notes_field, section_group
from qaf_kobo.framework import Framework
from qaf_kobo.report import write_reports
from qaf_kobo.report.action_plan import action_plan_rows
from qaf_kobo.report.styles import LEVEL_COLOURS, NOT_ASSESSED_COLOUR
from qaf_kobo.report.summaries import heat_map
from qaf_kobo.report.wording import SHEETS, wording
from qaf_kobo.scoring import score_submissions
from qaf_kobo.store import open_store

from conftest import require_tool

DAY = dt.date(2025, 1, 15)
INJECTION = '=HYPERLINK("http://evil.example","click")'
SECRET = "tok3n-s3cret-value"
RED, YELLOW = LEVEL_COLOURS[1], LEVEL_COLOURS[3]


def submission(fw: Framework, n: int, country: str, agency: str, date: str, rnd: str, level_of, **details) -> dict:
    """A Kobo /data/ record: every criterion answered by ``level_of(criterion)`` and each section's level = its minimum."""
    record = {
        "_id": n, "meta/rootUuid": f"uuid:0000-{n}", "_uuid": f"0000-{n}", "__version__": "v1",
        "_submission_time": "2025-01-10T09:30:00", "details/country": country, "details/agency": agency,
        "details/assessment_date": date, "details/round": rnd, "details/assessment_scope": "agency",
        "details/area": details.get("area", "North"), "details/purpose": details.get("purpose", "baseline"),
    }
    for section in fw.sections:
        answers = [level_of(c) for c in section.criteria]
        for criterion, answer in zip(section.criteria, answers):
            record[f"{section_group(section)}/{criterion_field(criterion)}"] = answer
        rated = [int(a) for a in answers if a != "na"]
        if rated:
            record[f"{section_group(section)}/{level_field(section)}"] = str(min(rated))
        if "notes" in details:
            record[f"{section_group(section)}/{notes_field(section)}"] = details["notes"]
    return record


def records(fw: Framework) -> list[dict]:
    """A: SYR, section 1 at 4 and the rest at 2 (agency is a formula). B: SYR, section 1 at 3, the rest at 1.
    C: JOR in round 2, everything at 3 except section 2a not assessed."""
    return [
        submission(fw, 1, "SYR", INJECTION, "2024-03-01", "1", lambda c: "4" if c.section_id == "1" else "2",
                   area="+44 area", purpose="@SUM(A1)", notes="-1 note"),
        submission(fw, 2, "SYR", "Save the Children", "2024-04-01", "1", lambda c: "3" if c.section_id == "1" else "1"),
        submission(fw, 3, "JOR", "IRC", "2024-05-02", "2", lambda c: "na" if c.section_id == "2a" else "3"),
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
    return openpyxl.load_workbook(written["qaf_summary_2025-01-15.xlsx"])


def rows(ws) -> list[tuple]:
    return list(ws.iter_rows(min_row=2, values_only=True))


def bare(submission_id: str) -> str:
    return submission_id.removeprefix("uuid:")


def header(ws) -> list:
    return [c.value for c in ws[1]]


def colour(cell) -> str:
    return cell.fill.fgColor.rgb[-6:]


def column(ws, heading: str) -> int:
    return header(ws).index(heading) + 1


def test_one_regional_and_one_workbook_per_country(written):
    assert sorted(written) == ["qaf_JOR_2025-01-15.xlsx", "qaf_SYR_2025-01-15.xlsx", "qaf_summary_2025-01-15.xlsx"]


def test_sheets_in_order_with_frozen_header_filter_and_print_setup(regional):
    assert regional.sheetnames == ["Overview", "Heat map", "Sections", "Assessments", "Action plan", "Data quality", "About"]
    for ws in regional.worksheets:
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("2"), ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.sheet_view.rightToLeft in (None, False), ws.title


def test_overview_counts_dates_and_chart(regional):
    ws = regional["Overview"]
    by_country = {r[0]: r for r in rows(ws)}
    assert set(by_country) == {"SYR", "JOR"}
    syr = by_country["SYR"]
    # SYR: A has section 1 at 4, 16 sections at 2; B has section 1 at 3, 16 sections at 1.
    assert syr[1:5] == ("Syrian Arab Republic", 2, 2, dt.datetime(2024, 4, 1))
    assert syr[5:9] == (16, 16, 1, 1)
    assert syr[9] == pytest.approx(2 / 34)
    jor = by_country["JOR"]
    assert jor[5:10] == (0, 0, 16, 0, 1.0)
    assert ws.cell(row=2, column=5).number_format == "yyyy-mm-dd"
    assert ws.cell(row=2, column=10).number_format == "0%"
    assert len(ws._charts) == 1 and ws._charts[0].tagname == "barChart"


def test_heat_map_lower_median_level_names_and_colours(fw, regional):
    ws = regional["Heat map"]
    heads = header(ws)
    assert heads[:4] == ["Round", "Country code", "Country", "Assessments"]
    assert heads[4:21] == [f"{s.id}. {s.title}" for s in fw.sections]
    first, second = rows(ws)[:2]
    assert first[:4] == ("1", "SYR", "Syrian Arab Republic", 2)  # round blocks: round 1, then round 2
    assert second[:4] == ("2", "JOR", "Jordan", 1)
    section_1, section_2 = ws.cell(row=2, column=5), ws.cell(row=2, column=6)
    assert (section_1.value, colour(section_1)) == ("Meets minimum levels", YELLOW)  # 4 and 3 -> lower median 3
    assert (section_2.value, colour(section_2)) == ("Critical to address", RED)  # 2 and 1 -> lower median 1
    jor_2a = ws.cell(row=3, column=5 + [s.id for s in fw.sections].index("2a"))
    assert (jor_2a.value, colour(jor_2a)) == ("Not assessed", NOT_ASSESSED_COLOUR)
    legend = [ws.cell(row=r, column=23) for r in range(1, 7)]
    assert [c.value for c in legend] == ["Legend", "Critical to address", "Requires improvement", "Meets minimum levels",
                                         "Good practice", "Not assessed"]
    assert [colour(c) for c in legend[1:5]] == [LEVEL_COLOURS[n] for n in (1, 2, 3, 4)]
    assert "lower of the two middle levels" in ws.cell(row=8, column=23).value


def test_sections_distribution_with_stacked_chart(fw, regional):
    ws = regional["Sections"]
    table = rows(ws)
    assert [r[0] for r in table] == [f"{s.id}. {s.title}" for s in fw.sections]
    assert table[0][1:6] == (0, 0, 2, 1, 0)  # section 1: A at 4, B at 3, C at 3
    assert table[[s.id for s in fw.sections].index("2a")][1:6] == (1, 1, 0, 0, 1)
    chart = ws._charts[0]
    assert chart.grouping == "stacked" and len(chart.series) == 4


def test_assessments_one_row_per_submission_with_coloured_levels(fw, regional):
    ws = regional["Assessments"]
    table = rows(ws)
    ids = [bare(r[0]) for r in table]
    assert sorted(ids) == ["0000-1", "0000-2", "0000-3"]
    row = 2 + ids.index("0000-2")
    assessed_1 = ws.cell(row=row, column=column(ws, "1: assessed"))
    computed_2 = ws.cell(row=row, column=column(ws, "2: computed"))
    assert (assessed_1.value, colour(assessed_1)) == ("Meets minimum levels", YELLOW)
    assert (computed_2.value, colour(computed_2)) == ("Critical to address", RED)
    assert ws.cell(row=row, column=column(ws, "Assessment date")).value == dt.datetime(2024, 4, 1)
    assert ws.cell(row=row, column=column(ws, "Scope")).value == "Single agency"
    assert isinstance(ws.cell(row=row, column=column(ws, "Index (0–100)")).value, float)
    assert len(header(ws)) == 14 + 2 * len(fw.sections)


def expected_action_rows(fw: Framework) -> int:
    count = 0
    for record in records(fw):
        for c in fw.criteria:
            answer = record[f"s_{c.section_id}/{criterion_field(c)}"]
            if answer in ("1", "2", "3"):
                count += max(1, len(c.next_actions(int(answer))))
    return count


def test_action_plan_rows_order_dropdown_and_tracking_columns(fw, regional):
    ws = regional["Action plan"]
    assert header(ws)[:11] == ["Country", "Agency", "Section", "Criterion", "Current level", "Target level", "Action",
                               "Responsible", "Expected completion date", "Implementation stage", "Action taken"]
    table = rows(ws)
    assert len(table) == expected_action_rows(fw)
    jordan = [r for r in table if r[0] == "Jordan"]
    assert {r[4] for r in jordan} == {"Meets minimum levels"} and {r[5] for r in jordan} == {"Good practice"}
    syria = [r for r in table if r[0] == "Syrian Arab Republic"]
    first = syria[0]
    criterion = fw.criterion("2.1")  # the first criterion at Critical (B's section 1 is at 3)
    assert first[2:7] == ("2. Case management process", f"2.1 {criterion.title}", "Critical to address",
                          "Requires improvement", criterion.next_actions(1)[0])
    levels = [r[4] for r in syria]
    assert levels == sorted(levels, key=["Critical to address", "Requires improvement", "Meets minimum levels"].index)
    assert all(r[7] is None and r[8] is None and r[10] is None and r[9] == "Not started" for r in table)
    first_syria_row = 2 + table.index(first)
    assert colour(ws.cell(row=first_syria_row, column=5)) == RED
    assert ws.cell(row=first_syria_row, column=9).number_format == "yyyy-mm-dd"
    (validation,) = ws.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == '"Not started,Underway,Completed,Cancelled"'
    assert str(validation.sqref) == f"J2:J{len(table) + 1}"


def test_action_plan_rows_are_critical_first_then_section_order(fw):
    plan = action_plan_rows(make_scores(fw), fw)
    syria = plan[plan["country"] == "SYR"]
    assert list(syria["current_level"]) == sorted(syria["current_level"])
    critical = syria[syria["current_level"] == 1]
    order = [c.id for c in fw.criteria]
    assert list(critical["criterion_id"].map(order.index)) == sorted(critical["criterion_id"].map(order.index))
    assert not (plan["current_level"] == 4).any()


def test_heat_map_shows_the_lower_median_of_each_country_round_and_section(fw):
    frame = heat_map(make_scores(fw), fw).set_index(["round", "country"])
    syr = frame.loc[("1", "SYR")]
    assert (syr["1"], syr["2"]) == (3, 1)  # 4 and 3 -> 3 (plain median 3.5); 2 and 1 -> 1 (plain median 1.5)


def test_data_quality_findings_are_listed(regional):
    table = rows(regional["Data quality"])
    assert ("0000-3", "Jordan", "IRC") in {(bare(r[0]), r[1], r[2]) for r in table}
    assert "Criteria not assessed" in {r[4] for r in table}


def test_about_names_sources_without_the_token(written, regional):
    values = {r[0]: r[1] for r in rows(regional["About"]) if r[0]}
    assert values["Framework version"] == "1.0.0"
    assert values["Form version(s) in the data"] == "v1"
    assert values["Scoring rule"].startswith("min:")
    assert values["Data source: server"] == "https://kf.example.org/api"
    assert values["Data source: form (asset uid)"] == "aBcD123"
    assert values["Local store"] == "data/qaf.sqlite"
    assert values["Submissions scored"] == 3 and values["Countries in this workbook"] == 2
    assert isinstance(values["Generated at"], dt.datetime)
    for path in written.values():
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                assert SECRET.encode() not in archive.read(name), (path.name, name)


def test_field_text_starting_with_formula_characters_stays_text(written, regional):
    ws = regional["Assessments"]
    row = 2 + [bare(r[0]) for r in rows(ws)].index("0000-1")
    for heading, text in (("Agency", INJECTION), ("Area", "+44 area"), ("Purpose", "@SUM(A1)")):
        cell = ws.cell(row=row, column=column(ws, heading))
        assert (cell.value, cell.data_type) == (text, "s")
        assert cell.quotePrefix
    plan = regional["Action plan"]
    assert INJECTION in {r[1] for r in rows(plan)}
    for path in written.values():
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/sheet"):
                    xml = archive.read(name).decode()
                    assert "<f>" not in xml and "<f " not in xml, (path.name, name)
                    if INJECTION.replace('"', "&quot;") in xml or "HYPERLINK" in xml:
                        assert re.search(r'<c [^>]*t="inlineStr"[^>]*><is><t[^>]*>=HYPERLINK', xml), name


def risky_scores(fw: Framework):
    """One submission whose every text detail starts with a formula character (codes unknown, shown as typed)."""
    record = submission(fw, 9, "=cmd", "-agency", "2024-06-01", "+1", lambda c: "2", area="@area", purpose="=1+1",
                        notes="-note")
    record |= {"details/assessment_scope": "-scope", "__version__": "@v9", "_validation_status": {"uid": "=status"}}
    return score_submissions(pd.DataFrame([record]), fw, current_version="v1")


def test_every_text_from_the_data_is_quote_prefixed_text(fw, tmp_path):
    paths = write_reports(risky_scores(fw), fw, tmp_path, date=DAY)
    assert [p.name for p in paths] == ["qaf_summary_2025-01-15.xlsx", "qaf__CMD_2025-01-15.xlsx"]
    wb = openpyxl.load_workbook(paths[0])
    seen = set()
    for ws in wb.worksheets:
        for cells in ws.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                    assert cell.data_type == "s" and cell.quotePrefix, (ws.title, cell.coordinate, cell.value)
                    seen.add((ws.title, cell.value))
    expected = {
        ("Overview", "=CMD"),  # unknown country code, and its name falls back to the code
        ("Heat map", "+1"), ("Heat map", "=CMD"),
        *(("Assessments", v) for v in ("=CMD", "-agency", "@area", "=1+1", "+1", "-scope", "@v9", "=status")),
        ("Action plan", "=CMD"), ("Action plan", "-agency"),
        ("Data quality", "=CMD"), ("Data quality", "-agency"),
    }
    assert expected <= seen, expected - seen
    for path in paths:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/sheet"):
                    xml = archive.read(name).decode()
                    assert "<f>" not in xml and "<f " not in xml, (path.name, name)


def test_country_workbooks_hold_only_their_country(written):
    wb = openpyxl.load_workbook(written["qaf_JOR_2025-01-15.xlsx"])
    assert [r[0] for r in rows(wb["Overview"])] == ["JOR"]
    assert {r[1] for r in rows(wb["Heat map"]) if r[0]} == {"JOR"}  # rows below are the legend
    assert {r[1] for r in rows(wb["Assessments"])} == {"JOR"}
    assert {r[0] for r in rows(wb["Action plan"])} == {"Jordan"}
    assert {r[1] for r in rows(wb["Data quality"])} <= {"Jordan"}
    about = {r[0]: r[1] for r in rows(wb["About"]) if r[0]}
    assert about["Assessments in this workbook"] == 1


def test_country_option_limits_the_workbooks(fw, tmp_path):
    paths = write_reports(make_scores(fw), fw, tmp_path, countries=["syr"], date=DAY)
    assert [p.name for p in paths] == ["qaf_summary_2025-01-15.xlsx", "qaf_SYR_2025-01-15.xlsx"]
    overview = openpyxl.load_workbook(paths[0])["Overview"]
    assert [r[0] for r in rows(overview)] == ["SYR"]
    with pytest.raises(QafError, match="no assessments for country XYZ"):
        write_reports(make_scores(fw), fw, tmp_path, countries=["XYZ"], date=DAY)


@pytest.mark.parametrize("lang", ["fr", "ar", "es"])
def test_report_languages(fw, tmp_path, lang):
    words = wording(fw, lang)
    path = write_reports(make_scores(fw), fw, tmp_path, countries=["SYR"], lang=lang, date=DAY)[0]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [words.sheet(key) for key in SHEETS]
    assert wb.sheetnames != ["Overview", "Heat map", "Sections", "Assessments", "Action plan", "Data quality", "About"]
    for ws in wb.worksheets:
        assert bool(ws.sheet_view.rightToLeft) == (lang == "ar"), ws.title
    plan = wb[words.sheet("action_plan")]
    first = rows(plan)[0]
    assert first[4] == words("level.critical") != "Critical to address"
    assert first[6] == words("action.2.1.1-2.1")
    assert plan.data_validations.dataValidation[0].formula1 == '"' + ",".join(words.stages()) + '"'
    if lang == "ar":
        arabic = re.compile(r"[\u0600-\u06FF]")
        assert all(arabic.search(name) for name in wb.sheetnames)
        assert arabic.search(first[4]) and arabic.search(first[6])


def test_empty_scores_give_headers_only(fw, tmp_path):
    empty = score_submissions(pd.DataFrame(), fw)
    (path,) = write_reports(empty, fw, tmp_path, date=DAY)
    wb = openpyxl.load_workbook(path)
    assert header(wb["Action plan"])[0] == "Country" and rows(wb["Action plan"]) == []
    assert rows(wb["Assessments"]) == [] and rows(wb["Overview"]) == []


def test_cli_report_scores_the_store_and_writes_workbooks(fw, tmp_path):
    store = tmp_path / "qaf.sqlite"
    with open_store(store) as s:
        s.upsert_page(records(fw))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", "--store", str(store), "--out", str(out), "--country", "JOR"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.glob("*.xlsx"))
    assert len(names) == 2 and any(n.startswith("qaf_JOR_") for n in names)
    bad = CliRunner().invoke(main, ["report", "--store", str(store), "--out", str(out), "--country", "XYZ"])
    assert bad.exit_code == 2 and "error: no assessments for country XYZ" in bad.output


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
