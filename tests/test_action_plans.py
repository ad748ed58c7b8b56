"""The round trip of the country action plans, as a coordinator runs it: report, fill in the plan in a spreadsheet
(openpyxl), ``qaf-kobo actions import``, report again — values back, overdue rows marked, progress counted; copies
filled in by several focal points merge cell by cell in any order; every bad file is one clear error (listing every
bad cell) and nothing written."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
import socket
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.errors import QafError
from qaf_kobo.framework import Framework
from qaf_kobo.report.workbook import write_reports
from qaf_kobo.store import open_store
from qaf_kobo.store.actions import read_first_seen, read_tracking, tracking_history
from qaf_kobo.workflows.plan_import import import_action_plans
from qaf_kobo.workflows.report_run import (
    build_reports,
    first_seen_days,
    keep_first_seen,
    score_for_report,
    tracked_actions,
)
from workbooks import load_workbook

from conftest import require, require_tool
from qaf_rows import qaf_form
from test_report import header, rows, submission

T1 = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.timezone.utc)
T2 = dt.datetime(2025, 6, 2, 8, 0, tzinfo=dt.timezone.utc)
DAY = dt.date(2025, 6, 1)
PLAN = "Country action plan"
CLOSED = "Closed actions"
SECTION = "Responsible section / agency"
PERSON = "Responsible person"


def baseline(fw: Framework) -> list[dict]:
    """Round 2025 in Jordan — A (IRC): 1.1 at 1, the rest at 2; B (UNICEF): 1.1 at 1, 2.1 at 3, the rest at 2 —
    and in Lebanon, everything at 3."""
    form = qaf_form()
    return [
        submission(fw, form, 1, "JOR", "IRC", "2025-03-01", "2025", lambda c: "1" if c.id == "1.1" else "2"),
        submission(fw, form, 2, "JOR", "UNICEF", "2025-03-10", "2025",
                   lambda c: {"1.1": "1", "2.1": "3"}.get(c.id, "2")),
        submission(fw, form, 3, "LBN", "IRC", "2025-03-05", "2025", lambda c: "3"),
    ]


def follow_up(fw: Framework) -> list[dict]:
    """Round 2026 in Jordan (C, IRC): 1.1 up to 2, 2.1 down to 1, 1.3 not assessed, the rest at 3."""
    return [submission(fw, qaf_form(), 4, "JOR", "IRC", "2026-03-01", "2026",
                       lambda c: {"1.1": "2", "2.1": "1", "1.3": "na"}.get(c.id, "3"))]


@pytest.fixture
def store(fw, tmp_path) -> Path:
    path = tmp_path / "qaf.sqlite"
    with open_store(path) as s:
        s.upsert_page(baseline(fw))
    return path


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The baseline store after its first report (T1, in English) and that report's folder: made once per module
    (a report costs seconds; most tests start from it)."""
    from qaf_kobo.framework import default_framework

    folder = tmp_path_factory.mktemp("reported")
    store = folder / "qaf.sqlite"
    with open_store(store) as s:
        s.upsert_page(baseline(default_framework()))
    report(default_framework(), store, folder / "r1", T1)
    return store, folder / "r1"


@pytest.fixture
def first(reported: tuple[Path, Path], store: Path, tmp_path: Path) -> dict[str, Path]:
    """``report(fw, store, tmp_path / "r1", T1)`` on the baseline ``store``: the module's, copied (the store too, as
    the report leaves it)."""
    shutil.copy(reported[0], store)
    shutil.copytree(reported[1], tmp_path / "r1")
    return {p.name.split("_")[1]: p for p in sorted((tmp_path / "r1").glob("*.xlsx"))}


def report(fw: Framework, store: Path, out: Path, at: dt.datetime, lang: str = "en", day: dt.date = DAY) -> dict[str, Path]:
    """What ``qaf-kobo report`` writes, at a chosen time (reports a second apart must differ) and report date."""
    scores = score_for_report(store, None, "min", False, fw)
    paths = write_reports(scores, fw, out, lang=lang, date=day, tracking=tracked_actions(store), generated_at=at,
                          first_seen=first_seen_days(store), on_plans=keep_first_seen(store, day))
    return {p.name.split("_")[1]: p for p in paths}


def plan_rows(path: Path, sheet: str = PLAN) -> dict[str, dict]:
    """The plan's rows by Action id, keyed by heading."""
    ws = load_workbook(path)[sheet]
    heads = header(ws)
    return {row[heads.index(heads[0] if heads[0] != "Country" else "Action id")]: dict(zip(heads, row))
            for row in rows(ws)}


def saved(path: Path, when: dt.datetime) -> Path:
    """Give the file the saved time ``when`` in its document properties, as the office suite that saved it would."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    stamp = when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    parts["docProps/core.xml"] = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                        rb"\g<1>" + stamp + rb"\g<2>", parts["docProps/core.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def edit(path: Path, target: Path, changes: dict[str, dict[str, object]], sheet: str = PLAN,
         when: dt.datetime | None = None) -> Path:
    """Fill in cells of the plan by Action id and heading, as a coordinator would, and save as ``target`` (saved at
    ``when``, default the file's generation time plus an hour)."""
    wb = load_workbook(path)
    ws = wb[sheet]
    heads = header(ws)
    id_col = heads.index("Action id") if "Action id" in heads else 0
    for row in ws.iter_rows(min_row=2):
        for heading, value in changes.get(row[id_col].value, {}).items():
            row[heads.index(heading)].value = value
    generated = wb.properties.created.replace(tzinfo=dt.timezone.utc)
    wb.save(target)
    return saved(target, when or generated + dt.timedelta(hours=1))


def test_a_filled_in_plan_comes_back_in_the_next_report(fw, store, tmp_path, first):
    plan = plan_rows(first["JOR"])
    # Critical first (1.1, both agencies); then at Requires improvement those both agencies need (1.2 …) before 2.1
    assert list(plan)[:3] == ["JOR-1.1-1to2-1", "JOR-1.2-2to3-1", "JOR-1.3-2to3-1"]
    assert list(plan).index("JOR-2.1-2to3-1") == 1 + sum(r["Agencies needing it"] == 2 for r in plan.values()) - 1
    assert plan["JOR-1.1-1to2-1"]["Agencies"] == "IRC; UNICEF" and plan["JOR-1.1-1to2-1"]["Agencies needing it"] == 2
    # suggested dates count from the day the action first appears in a plan (the report day), not the assessment
    assert plan["JOR-1.1-1to2-1"]["Expected completion date"] == dt.datetime(2025, 9, 1)  # 2025-06-01 + 3 months
    assert plan["JOR-1.2-2to3-1"]["Expected completion date"] == dt.datetime(2025, 12, 1)  # + 6 months
    assert {r["Implementation stage"] for r in plan.values()} == {"Not started"}
    edited = edit(first["JOR"], tmp_path / "jordan.xlsx", {
        "JOR-1.1-1to2-1": {SECTION: "IRC", PERSON: "Amal", "Implementation stage": "Underway",
                           "Expected completion date": dt.datetime(2025, 5, 15)},
        "JOR-1.2-2to3-1": {SECTION: "Omar", "Implementation stage": "Completed", "Action taken": "Training held"},
        "JOR-1.3-2to3-1": {"Implementation stage": "Cancelled", "Expected completion date": "December 2025"},
    })
    result = CliRunner().invoke(main, ["actions", "import", str(edited), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert f"{len(plan)} row(s) read from 1 file(s): 9 cell(s) set, 0 changed, 0 already so, 0 conflict(s)" \
        in result.output

    second = report(fw, store, tmp_path / "r2", T2)
    again = plan_rows(second["JOR"])
    assert list(again) == list(plan)
    one = again["JOR-1.1-1to2-1"]
    assert (one[SECTION], one[PERSON], one["Implementation stage"], one["Expected completion date"]) == (
        "IRC", "Amal", "Underway", dt.datetime(2025, 5, 15))
    assert (again["JOR-1.2-2to3-1"]["Action taken"], again["JOR-1.2-2to3-1"]["Implementation stage"]) == (
        "Training held", "Completed")
    assert again["JOR-1.3-2to3-1"]["Expected completion date"] == dt.datetime(2025, 12, 31)  # the month's last day
    assert one["Last updated"] == dt.datetime(2025, 6, 1, 9, 0)  # the file's saved time
    regional = plan_rows(second["summary"])
    assert regional["JOR-1.1-1to2-1"][PERSON] == "Amal" and regional["JOR-1.1-1to2-1"]["Country"] == "Jordan"
    assert {r["Implementation stage"] for i, r in regional.items() if i.startswith("LBN")} == {"Not started"}

    # Overdue on 2025-06-01: 1.1 (Underway, its date set to 15 May); not 1.3 (cancelled), not the untouched rows.
    book = load_workbook(second["JOR"])
    ws = book[PLAN]
    rules = [rule for cf in ws.conditional_formatting for rule in cf.rules if rule.type == "expression"]
    assert rules[0].formula == ['AND(ISNUMBER($M2),$M2<TODAY(),$N2<>"Completed",$N2<>"Cancelled",'
                                'OR($K2<>"",$L2<>""))']  # a Responsible confirms a date, also one typed in later
    set_rows = [cf.sqref for cf in ws.conditional_formatting
                if cf.rules[0].type == "expression" and "OR(" not in cf.rules[0].formula[0]]
    assert [str(r).split()[0] for r in set_rows] == ["A2:F4"]  # the rows whose date a person set: 1.1 to 1.3
    assert rules[0].dxf.fill.fgColor.rgb.endswith("FFC7CE") or rules[0].dxf.fill.bgColor.rgb.endswith("FFC7CE")
    row = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    assert row["JOR-1.1-1to2-1"][12].font.i is not True and row["JOR-1.4-2to3-1"][12].font.i is True  # suggestion
    assert "suggestions" in ws["M1"].comment.text
    progress = {r[0]: r[1] for r in book["Country profile"].iter_rows(values_only=True) if r[0] in (
        "Not started", "Underway", "Completed", "Cancelled", "Overdue", "Unassigned", "No longer needed",
        "Completed or cancelled since the previous round", "Overdue, IRC — Amal")}
    assert progress == {"Not started": len(plan) - 3, "Underway": 1, "Completed": 1, "Cancelled": 1, "Overdue": 1,
                        "Unassigned": len(plan) - 2 - 1, "No longer needed": 0,
                        "Completed or cancelled since the previous round": 2, "Overdue, IRC — Amal": 1}
    overview = load_workbook(second["summary"])["Overview"]
    jordan = dict(zip(header(overview), next(r for r in rows(overview) if r[0] == "JOR")))
    assert (jordan["Open actions (not completed or cancelled)"], jordan["Overdue actions"]) == (len(plan) - 2, 1)
    sentences = [r[0] for r in book["Country profile"].iter_rows(values_only=True) if isinstance(r[0], str)]
    assert any("1 completed, 1 underway, 1 overdue on 2025-06-01" in text for text in sentences)


def test_a_plan_generated_today_has_no_overdue_row_until_a_past_date_is_confirmed(fw, store, tmp_path):
    today = dt.date(2030, 1, 15)  # years after the assessments: dates counted from them would all be past
    now = dt.datetime(2030, 1, 15, 8, tzinfo=dt.timezone.utc)
    first = load_workbook(report(fw, store, tmp_path / "r1", now, day=today)["JOR"])
    profile = {r[0]: r[1] for r in first["Country profile"].iter_rows(values_only=True) if r[0]}
    assert profile["Overdue"] == 0
    dates = [r[12] for r in first[PLAN].iter_rows(min_row=2, values_only=True)]
    assert min(dates) == dt.datetime(2030, 4, 15)  # the first appearance plus 3 months
    again = plan_rows(report(fw, store, tmp_path / "r2", now + dt.timedelta(days=400),
                             day=today + dt.timedelta(days=400))["JOR"])
    assert again["JOR-1.1-1to2-1"]["Expected completion date"] == dt.datetime(2030, 4, 15)  # stable across reports
    later = load_workbook(tmp_path / "r2" / f"qaf_JOR_{today + dt.timedelta(days=400)}.xlsx")
    assert {r[0]: r[1] for r in later["Country profile"].iter_rows(values_only=True) if r[0]}["Overdue"] == 0
    path = report(fw, store, tmp_path / "r3", now, day=today)["JOR"]
    import_action_plans([edit(path, tmp_path / "past.xlsx", {
        "JOR-1.1-1to2-1": {"Expected completion date": "2029-12"},  # confirmed, in the past
        "JOR-1.2-2to3-1": {PERSON: "Nadia"},  # a Responsible confirms the suggestion, which is still ahead
    })], store, fw, now=now + dt.timedelta(hours=2))
    plan = load_workbook(report(fw, store, tmp_path / "r4", now + dt.timedelta(hours=3), day=today)["JOR"])
    profile = {r[0]: r[1] for r in plan["Country profile"].iter_rows(values_only=True) if r[0]}
    assert profile["Overdue"] == 1 and profile["Overdue, Unassigned"] == 1


def test_a_reassessment_moves_closed_actions_to_their_sheet_and_adds_new_ones(fw, store, tmp_path, first):
    import_action_plans([edit(first["JOR"], tmp_path / "jordan.xlsx", {
        "JOR-1.1-1to2-1": {SECTION: "Amal (IRC)", "Implementation stage": "Completed"},
        "JOR-2.1-2to3-1": {SECTION: "Omar", "Implementation stage": "Underway"},
        "JOR-1.3-2to3-1": {PERSON: "Rana"},
    })], store, fw)
    with open_store(store) as s:
        s.upsert_page(follow_up(fw))
    paths = report(fw, store, tmp_path / "r2", T2, day=dt.date(2026, 6, 1))
    plan, closed = plan_rows(paths["JOR"]), plan_rows(paths["JOR"], CLOSED)
    met, lower = closed["JOR-1.1-1to2-1"], closed["JOR-2.1-2to3-1"]
    assert met["Priority"] is None and met[SECTION] == "Amal (IRC)" and met["Implementation stage"] == "Completed"
    assert met["Note"] == "No longer needed: the 2026 reassessment met its target level."
    assert met["Current level"] == "Requires improvement" and met["Target level"] == "Requires improvement"
    assert lower[SECTION] == "Omar" and lower["Note"].startswith("No longer needed at this step: the 2026 "
                                                                 "reassessment rated the criterion lower")
    assert closed["JOR-1.3-2to3-1"]["Note"] == ("The criterion was not assessed in 2026; the action is kept with "
                                                "its history.")
    new = plan["JOR-1.1-2to3-1"]  # 1.1 now at 2: its next step's actions, not started
    assert new["Implementation stage"] == "Not started" and new[SECTION] is None and new["Note"] is None
    assert plan["JOR-2.1-1to2-1"]["Priority"] == 1  # the criterion that fell to Critical comes first
    assert set(closed) == {"JOR-1.1-1to2-1", "JOR-2.1-2to3-1", "JOR-1.3-2to3-1"}  # tracked ones only
    assert all(r["Note"] is None for r in plan.values())
    assert [r["Priority"] for r in plan.values()] == list(range(1, len(plan) + 1))
    profile = {r[0]: r[1] for r in load_workbook(paths["JOR"])["Country profile"].iter_rows(values_only=True)
               if r[0]}
    # 1.1's completion counts wherever its row now is; 2.1's step, underway but no longer needed, is not open work.
    assert (profile["Completed"], profile["Underway"], profile["No longer needed"]) == (1, 0, len(closed))
    # a closed action's row is read back too
    import_action_plans([edit(paths["JOR"], tmp_path / "closed.xlsx", {"JOR-2.1-2to3-1": {
        "Implementation stage": "Cancelled"}}, sheet=CLOSED, when=T2 + dt.timedelta(hours=1))], store, fw)
    with open_store(store, read_only=True) as s:
        assert read_tracking(s).set_index("action_id").loc["JOR-2.1-2to3-1", "stage"] == "cancelled"


def focal_point_copies(first: dict[str, Path], tmp_path: Path) -> tuple[list[Path], dict]:
    """Three copies of Jordan's plan (of ``first``): A fills rows 2–4, B rows 5–7 and overlaps A on row 4, C is left
    untouched; saved an hour apart (A, then B, then C)."""
    path = first["JOR"]
    ids = list(plan_rows(path))
    a = {ids[0]: {SECTION: "IRC", "Implementation stage": "Underway"}, ids[1]: {PERSON: "Amal"},
         ids[2]: {SECTION: "IRC", "Action taken": "Started"}}
    b = {ids[2]: {SECTION: "UNICEF", "Action taken": "Started"}, ids[3]: {SECTION: "UNICEF"},
         ids[4]: {"Implementation stage": "Completed"}, ids[5]: {"Expected completion date": "décembre 2026"}}
    files = [edit(path, tmp_path / "A.xlsx", a, when=T1 + dt.timedelta(hours=1)),
             edit(path, tmp_path / "B.xlsx", b, when=T1 + dt.timedelta(hours=2)),
             edit(path, tmp_path / "C.xlsx", {}, when=T1 + dt.timedelta(hours=3))]
    return files, {"ids": ids, "a": a, "b": b}


def test_focal_points_copies_merge_cell_by_cell_in_any_order(fw, store, tmp_path, first):
    files, parts = focal_point_copies(first, tmp_path)
    ids = parts["ids"]
    stores = []
    for n, order in enumerate(itertools.permutations(files)):
        copy = shutil.copy(store, tmp_path / f"store{n}.sqlite")
        conflicts = []
        for path in order:
            conflicts += import_action_plans([path], copy, fw, now=T2).result.conflicts
        # the one cell both changed, to different values: A's IRC against B's UNICEF on row 4; B saved later
        assert [(c.edit.action_id, c.edit.field) for c in conflicts] == [(ids[2], "responsible_section")]
        with open_store(copy, read_only=True) as s:
            stores.append(read_tracking(s).drop(columns=["source_file"]).to_dict("records"))
    assert all(tracked == stores[0] for tracked in stores)
    values = {r["action_id"]: r for r in stores[0]}
    assert (values[ids[0]]["responsible_section"], values[ids[0]]["stage"]) == ("IRC", "underway")
    assert values[ids[1]]["responsible_person"] == "Amal"
    assert (values[ids[2]]["responsible_section"], values[ids[2]]["action_taken"]) == ("UNICEF", "Started")
    assert values[ids[4]]["stage"] == "completed" and values[ids[5]]["expected_completion"] == "2026-12-31"
    assert set(values) == set(ids[:6])  # the untouched copy and the untouched rows changed nothing


def test_the_cli_lists_every_conflict_and_a_cleared_cell_is_an_edit(fw, store, tmp_path, first):
    files, parts = focal_point_copies(first, tmp_path)
    ids = parts["ids"]
    for path in (files[1], files[0]):  # B first: A (saved earlier) loses the overlapping cell
        result = CliRunner().invoke(main, ["actions", "import", str(path), "--store", str(store)])
        assert result.exit_code == 0, result.output
    assert (f"conflict in {files[0].resolve()}, sheet 'Country action plan', row 4 ({ids[2]}, responsible_section): "
            f"file 'IRC' (saved 2025-06-01T09:00:00Z) against store 'UNICEF' (saved 2025-06-01T10:00:00Z, from "
            f"{files[1].resolve()}); kept the store's, the later save") in result.output
    second = report(fw, store, tmp_path / "r2", T2)["JOR"]
    cleared = edit(second, tmp_path / "cleared.xlsx", {ids[0]: {SECTION: None}}, when=T2 + dt.timedelta(hours=1))
    import_action_plans([cleared], store, fw, now=T2 + dt.timedelta(hours=2))
    with open_store(store, read_only=True) as s:
        row = read_tracking(s).set_index("action_id").loc[ids[0]]
        history = tracking_history(s, ids[0])
    assert row["responsible_section"] is None and row["responsible_section_set"] and row["stage"] == "underway"
    assert list(history.loc[history["field"] == "responsible_section", "value"]) == ["IRC", None]


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_plan_in_another_language_reads_back(fw, store, tmp_path, lang):
    from qaf_kobo.report.wording import wording

    words = wording(fw, lang)
    path = report(fw, store, tmp_path / "r1", T1, lang=lang)["summary"]
    wb = load_workbook(path)
    ws = wb[words.sheet("country_plan")]
    heads = header(ws)
    stage = heads.index(words("report.col.implementation_stage"))
    responsible = heads.index(words("report.col.responsible_person"))
    ws.cell(row=2, column=stage + 1).value = words("report.stage.completed")
    ws.cell(row=2, column=responsible + 1).value = "Nadia"
    ident = ws.cell(row=2, column=2).value
    wb.save(tmp_path / "edited.xlsx")
    done = import_action_plans([saved(tmp_path / "edited.xlsx", T1 + dt.timedelta(hours=1))], store, fw)
    assert done.rows == len(rows(ws)) and done.result.new == 2
    with open_store(store, read_only=True) as s:
        row = read_tracking(s).set_index("action_id").loc[ident]
    assert (row["stage"], row["responsible_person"]) == ("completed", "Nadia")


def test_ids_are_the_same_in_every_language(fw, store, tmp_path):
    english = plan_rows(report(fw, store, tmp_path / "en", T1)["summary"])
    french = load_workbook(report(fw, store, tmp_path / "fr", T1, lang="fr")["summary"])["Plan d’action du pays"]
    assert [r[1] for r in rows(french)] == list(english)


def test_report_horizon_option_sets_the_expected_dates(fw, store, tmp_path):
    result = CliRunner().invoke(main, ["report", "--store", str(store), "--out", str(tmp_path / "out"),
                                       "--horizon", "critical=1", "--horizon", "2=2"])
    assert result.exit_code == 0, result.output
    plan = plan_rows(next((tmp_path / "out").glob("qaf_JOR_*.xlsx")))
    today = dt.datetime.combine(dt.date.today(), dt.time())  # the day the actions first appeared: this report's
    months = {"JOR-1.1-1to2-1": 1, "JOR-1.2-2to3-1": 2, "JOR-2.1-3to4-1": 12}
    for ident, n in months.items():
        assert plan[ident]["Expected completion date"] == today + pd.DateOffset(months=n)
    bad = CliRunner().invoke(main, ["report", "--store", str(store), "--out", str(tmp_path / "out"), "--horizon", "x=1"])
    assert bad.exit_code == 2 and "error: unknown level 'x' for a horizon" in bad.output


def test_a_report_keeps_only_the_day_actions_first_appeared(fw, store, tmp_path, caplog):
    with open_store(store, read_only=True) as s:
        assert read_tracking(s).empty and tracking_history(s, "JOR-1.1-1to2-1").empty
    assert build_reports(store, tmp_path / "out", fw=fw)
    with open_store(store, read_only=True) as s:
        assert read_tracking(s).empty  # nothing tracked: the report only noted when the actions appeared
        first = read_first_seen(s)
    assert set(first.values()) == {dt.date.today()} and "JOR-1.1-1to2-1" in first
    keep = keep_first_seen(tmp_path, dt.date.today())  # a store that cannot be written (here a folder): a warning
    with caplog.at_level("WARNING", logger="qaf_kobo"):
        keep(pd.DataFrame({"action_id": ["JOR-1.1-1to2-1"]}))
    assert "the day new actions first appeared is not kept" in caplog.text


# --- bad files: one clear error naming file, sheet, row and column; nothing written --------------------------------

@pytest.fixture
def plan_file(fw, store, tmp_path, first) -> Path:
    """A report's country workbook with a first row already filled in and imported."""
    path = first["JOR"]
    import_action_plans([edit(path, tmp_path / "done.xlsx", {"JOR-1.1-1to2-1": {SECTION: "Amal"}})], store, fw)
    return path


def broken(path: Path, target: Path, changes: dict[str, object], sheet: str = PLAN) -> Path:
    wb = load_workbook(path)
    for cell, value in changes.items():
        wb[sheet][cell].value = value
    wb[sheet]["K3"].value = "Would be new"  # a valid change in the file: must not be written either
    wb.save(target)
    return target


@pytest.mark.parametrize("cell, value, message", [
    ("A5", "JOR-9.9-1to2-1", r"row 5, column A \(Action id\): unknown Action id 'JOR-9\.9-1to2-1': .* no criterion 9\.9"),
    ("A5", "JOR-1.1-1to2-7", r"row 5, column A \(Action id\): unknown Action id 'JOR-1\.1-1to2-7': criterion 1\.1 has "),
    ("A5", "not an id", r"row 5, column A \(Action id\): 'not an id' is not an Action id"),
    ("A5", "JOR-1.1-1to2-1", r"row 5, column A \(Action id\): JOR-1\.1-1to2-1 is also on row 2"),
    ("A5", "LBN-1.1-1to2-1", r"row 5, column A \(Action id\): LBN-1\.1-1to2-1 is not a row of this plan as it was "),
    ("M6", "next month", r"row 6, column M \(Expected completion date\): 'next month' is not a date \(accepted: a "
                         r"date, YYYY-MM-DD, a month and year \(December 2026, 2026-12\)"),
    ("M6", "31/12/2025", r"row 6, column M \(Expected completion date\): '31/12/2025' is not a date"),
    ("M6", 100, r"row 6, column M \(Expected completion date\): '1900-04-09' is not a date"),
    ("M6", "2026-13", r"row 6, column M \(Expected completion date\): '2026-13' is not a date"),
    ("M6", "1999-12-31", r"row 6, column M \(Expected completion date\): '1999-12-31' is not a date"),
    ("N7", "Done", r"row 7, column N \(Implementation stage\): 'Done' is not a stage \(accepted: Not started, "),
    ("P8", "yesterday", r"row 8, column P \(Last updated\): 'yesterday' is not a Last updated time"),
    ("P8", dt.datetime(1999, 12, 31), r"row 8, column P \(Last updated\): '1999-12-31' is not a Last "
                                      r"updated time"),
    ("P8", dt.datetime.now() + dt.timedelta(days=3), r"row 8, column P \(Last updated\): .* is not a Last updated "
                                                     r"time \(accepted: a date and time \(YYYY-MM-DD HH:MM\) from "
                                                     r"2000 up to today\)"),
    ("K1", "Focal point", r"row 1, column K \(Responsible section / agency\): no column 'Responsible section / "
                          r"agency' \(found 'Focal point'\)"),
])
def test_a_bad_cell_is_one_clear_error_and_nothing_is_written(fw, store, plan_file, tmp_path, cell, value, message):
    bad = broken(plan_file, tmp_path / "bad.xlsx", {cell: value})
    with open_store(store, read_only=True) as s:
        before = read_tracking(s)
    with pytest.raises(QafError, match=rf"^{bad}, sheet 'Country action plan', {message}"):
        import_action_plans([bad], store, fw)
    with open_store(store, read_only=True) as s:
        assert read_tracking(s).equals(before)


def test_every_bad_cell_of_a_file_is_listed_at_once(fw, store, plan_file, tmp_path):
    bad = broken(plan_file, tmp_path / "bad.xlsx", {"A5": "not an id", "M6": "someday", "N7": "Done",
                                                    "P8": "1990-01-01", "M9": "décembre 2026"})
    with open_store(store, read_only=True) as s:
        before = read_tracking(s)
    result = CliRunner().invoke(main, ["actions", "import", str(bad), "--store", str(store)])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert result.output.startswith(f"error: {bad}: 4 bad cells, nothing written: sheet 'Country action plan', row 5, "
                                    "column A (Action id): 'not an id' is not an Action id")
    for where in ("row 6, column M (Expected completion date): 'someday'", "row 7, column N (Implementation stage): "
                  "'Done'", "row 8, column P (Last updated): '1990-01-01'"):
        assert f" | sheet 'Country action plan', {where}" in result.output
    with open_store(store, read_only=True) as s:
        assert read_tracking(s).equals(before)
    many = broken(plan_file, tmp_path / "many.xlsx", {f"N{row}": "Done" for row in range(2, 60)})
    with pytest.raises(QafError, match=r": more than 50 bad cells \(the first 50 listed\), nothing written") as error:
        import_action_plans([many], store, fw)
    assert str(error.value).count(" | ") == 49


def test_a_deleted_column_is_named(fw, store, plan_file, tmp_path):
    wb = load_workbook(plan_file)
    wb[PLAN].delete_cols(15)  # Action taken
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(QafError, match=r"row 1, column O \(Action taken\): no column 'Action taken' \(found 'Last updated'\)"):
        import_action_plans([tmp_path / "bad.xlsx"], store, fw)


@pytest.mark.parametrize("case", ["text", "other workbook", "renamed sheet", "marker gone", "other framework"])
def test_a_file_that_is_not_a_plan_is_one_clear_error(fw, store, plan_file, tmp_path, case):
    bad = tmp_path / "bad.xlsx"
    if case == "text":
        bad.write_text("Action id,Responsible\n", encoding="utf-8")
        message = "not an Excel workbook"
    elif case == "other workbook":
        wb = openpyxl.Workbook()
        wb.active.append(["Action id", "Responsible"])
        wb.save(bad)
        message = "not a qaf-kobo action plan"
    else:
        wb = load_workbook(plan_file)
        if case == "renamed sheet":
            wb[PLAN].title = "My plan"
            message = "no sheet 'Country action plan'"
        elif case == "marker gone":
            del wb["qaf-kobo"]
            message = "not a qaf-kobo action plan"
        else:
            wb["qaf-kobo"]["B6"].value = "cpss"
            message = "a plan of framework 'cpss', not 'qaf'; pass --framework cpss"
        wb.save(bad)
    good = plan_file
    with open_store(store, read_only=True) as s:
        before = read_tracking(s)
    result = CliRunner().invoke(main, ["actions", "import", str(good), str(bad), "--store", str(store)])
    assert result.exit_code == 2 and result.output.startswith(f"error: {bad}: ") and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    with open_store(store, read_only=True) as s:
        assert read_tracking(s).equals(before)  # not even the good file's rows


def test_an_import_needs_an_existing_store(fw, plan_file, tmp_path):
    result = CliRunner().invoke(main, ["actions", "import", str(plan_file), "--store", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 2 and "error: no store at" in result.output


@pytest.mark.parametrize("typed, stored", [
    (dt.datetime(2025, 7, 1), "2025-07-01"), (dt.date(2025, 7, 1), "2025-07-01"), (45839, "2025-07-01"),
    ("2025-07-01", "2025-07-01"), (" 2025-07-01 00:00 ", "2025-07-01"), ("July 2025", "2025-07-31"),
    ("juillet 2025", "2025-07-31"), ("julio de 2025", "2025-07-31"), ("يوليو 2025", "2025-07-31"),
    ("2025-07", "2025-07-31"), (" February 2028 ", "2028-02-29"),
])
def test_dates_come_back_as_dates_serial_numbers_text_or_month_and_year(fw, store, tmp_path, first, typed,
                                                                       stored):
    path = first["JOR"]
    import_action_plans([edit(path, tmp_path / "typed.xlsx", {"JOR-1.1-1to2-1": {"Expected completion date": typed}})],
                        store, fw)
    with open_store(store, read_only=True) as s:
        assert read_tracking(s).set_index("action_id").loc["JOR-1.1-1to2-1", "expected_completion"] == stored


def test_the_marker_reads_whether_very_hidden_or_hidden(fw, store, plan_file, tmp_path):
    wb = load_workbook(plan_file)
    assert wb["qaf-kobo"].sheet_state == "veryHidden"
    wb["qaf-kobo"].sheet_state = "hidden"  # what LibreOffice makes of it
    wb[PLAN]["L3"].value = "Rana"
    wb.save(tmp_path / "hidden.xlsx")
    done = import_action_plans([saved(tmp_path / "hidden.xlsx", T2)], store, fw)
    assert done.result.new == 1


def test_a_formula_without_a_saved_value_is_named(fw, store, plan_file, tmp_path):
    wb = load_workbook(plan_file)
    wb[PLAN]["L3"].value = '=CONCAT("Ra","na")'  # openpyxl saves no value for a formula, as some tools do
    wb[PLAN]["N4"].value = "Done"
    wb.save(tmp_path / "formula.xlsx")
    with pytest.raises(QafError, match=r": 2 bad cells, nothing written: sheet 'Country action plan', row 3, column L "
                                       r"\(Responsible person\): a formula without a saved value \(=CONCAT"):
        import_action_plans([tmp_path / "formula.xlsx"], store, fw)


def test_an_encrypted_workbook_is_said_to_be_encrypted(fw, store, tmp_path):
    # the start of a password-protected .xlsx: an OLE2 compound file holding an "EncryptedPackage" stream
    encrypted = tmp_path / "locked.xlsx"
    encrypted.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "EncryptedPackage".encode("utf-16-le")
                          + bytes(500))
    result = CliRunner().invoke(main, ["actions", "import", str(encrypted), "--store", str(store)])
    assert result.exit_code == 2 and f"error: {encrypted}: the workbook is encrypted (password-protected)" in result.output


def test_a_plan_of_another_framework_than_the_stores_is_refused(fw, store, tmp_path, first):
    from qaf_kobo.framework import find_framework

    cpss = find_framework("cpss")
    cpss_store = tmp_path / "cpss.sqlite"
    with open_store(cpss_store) as s:
        s.upsert_page(baseline(fw))
    with sqlite3.connect(cpss_store) as conn:  # the store's assessments answer CPSS, not the QAF
        conn.execute("UPDATE submissions SET raw_json = json_set(raw_json, '$.framework', 'cpss')")
    path = first["JOR"]
    plan = edit(path, tmp_path / "qaf.xlsx", {"JOR-1.1-1to2-1": {SECTION: "IRC"}})
    with pytest.raises(QafError, match=rf"^{plan}: a plan of framework 'qaf', but the store {cpss_store} holds "
                                       "assessments of cpss"):
        import_action_plans([plan], cpss_store, fw)
    with pytest.raises(QafError, match="a plan of framework 'qaf', not 'cpss'; pass --framework qaf"):
        import_action_plans([plan], cpss_store, cpss)


SYSTEM_PYTHON = Path("/usr/bin/python3")


@pytest.mark.system
def test_a_plan_edited_and_saved_by_libreoffice_comes_back_in_the_next_report(fw, store, tmp_path):
    require_tool("soffice", why="edits and saves the plan as a focal point's LibreOffice would")
    has_uno = SYSTEM_PYTHON.exists() and subprocess.run([str(SYSTEM_PYTHON), "-c", "import uno"]).returncode == 0
    require(has_uno, "needs LibreOffice's Python-UNO bridge (python3-uno) for /usr/bin/python3")
    first = report(fw, store, tmp_path / "r1", T1)["JOR"]
    ids = list(plan_rows(first))
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    done = subprocess.run([str(SYSTEM_PYTHON), str(Path(__file__).with_name("lo_edit.py")), str(first),
                           str(tmp_path / "lo.xlsx"), str(port), str(tmp_path / "lo-profile"), PLAN,
                           "K2=IRC", "L2=Amal", "N2=Underway", "M3=December 2026", "O4=Training held"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    book = load_workbook(tmp_path / "lo.xlsx")
    assert book["qaf-kobo"].sheet_state == "hidden"  # LibreOffice keeps the marker, no longer very hidden
    result = CliRunner().invoke(main, ["actions", "import", str(tmp_path / "lo.xlsx"), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "5 cell(s) set, 0 changed, 0 already so, 0 conflict(s)" in result.output  # its edits, nothing else
    again = plan_rows(report(fw, store, tmp_path / "r2", T2)["JOR"])
    assert (again[ids[0]][SECTION], again[ids[0]][PERSON], again[ids[0]]["Implementation stage"]) == (
        "IRC", "Amal", "Underway")
    assert again[ids[1]]["Expected completion date"] == dt.datetime(2026, 12, 31)
    assert again[ids[2]]["Action taken"] == "Training held"


def test_values_tracked_by_an_earlier_qaf_kobo_carry_over(fw, store, tmp_path):
    with sqlite3.connect(store) as conn:  # the table an earlier qaf-kobo wrote: one Responsible per action
        conn.execute("CREATE TABLE action_tracking (action_id TEXT PRIMARY KEY, responsible TEXT, expected_completion "
                     "TEXT, stage TEXT NOT NULL, action_taken TEXT, updated_at TEXT NOT NULL, source_file TEXT NOT "
                     "NULL, source_sheet TEXT NOT NULL, source_row INTEGER NOT NULL, imported_at TEXT NOT NULL, "
                     "seen_at TEXT NOT NULL, seen_file TEXT NOT NULL)")
        conn.execute("INSERT INTO action_tracking VALUES ('JOR-1.1-1to2-1', 'Amal (IRC)', '2025-05-15', 'underway', "
                     "NULL, '2025-05-01T08:00:00Z', 'old.xlsx', 'Country action plan', 2, '2025-05-01T09:00:00Z', "
                     "'2025-05-01T08:00:00Z', 'old.xlsx')")
    with open_store(store, read_only=True) as s:  # read before anything is carried over
        before = read_tracking(s).set_index("action_id").loc["JOR-1.1-1to2-1"]
    assert (before["responsible_section"], before["expected_completion"], before["stage"]) == (
        "Amal (IRC)", "2025-05-15", "underway")
    row = plan_rows(report(fw, store, tmp_path / "r1", T1)["JOR"])["JOR-1.1-1to2-1"]  # the report carries them over
    assert (row[SECTION], row["Expected completion date"], row["Implementation stage"]) == (
        "Amal (IRC)", dt.datetime(2025, 5, 15), "Underway")
    with open_store(store, read_only=True) as s:
        assert s.conn.execute("SELECT COUNT(*) FROM plan_cells WHERE action_id = 'JOR-1.1-1to2-1'").fetchone()[0] == 4
