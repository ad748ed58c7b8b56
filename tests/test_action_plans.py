"""The round trip of the country action plans, as a coordinator runs it: report, fill in the plan in a spreadsheet
(openpyxl), ``qaf-kobo actions import``, report again — values back, overdue rows marked, progress counted; older
copies never overwrite newer values; every bad file is one clear error and nothing written."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.errors import QafError
from qaf_kobo.framework import Framework
from qaf_kobo.report.workbook import write_reports
from qaf_kobo.store import open_store
from qaf_kobo.store.actions import read_tracking, tracking_history
from qaf_kobo.workflows.plan_import import import_action_plans
from qaf_kobo.workflows.report_run import build_reports, score_for_report, tracked_actions

from qaf_rows import qaf_form
from test_report import header, rows, submission

T1 = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.timezone.utc)
T2 = dt.datetime(2025, 6, 2, 8, 0, tzinfo=dt.timezone.utc)
DAY = dt.date(2025, 6, 1)
PLAN = "Country action plan"


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


def report(fw: Framework, store: Path, out: Path, at: dt.datetime, lang: str = "en", day: dt.date = DAY) -> dict[str, Path]:
    """What ``qaf-kobo report`` writes, at a chosen time (reports a second apart must differ)."""
    scores = score_for_report(store, None, "min", False, fw)
    paths = write_reports(scores, fw, out, lang=lang, date=day, tracking=tracked_actions(store), generated_at=at)
    return {p.name.split("_")[1]: p for p in paths}


def plan_rows(path: Path, sheet: str = PLAN) -> dict[str, dict]:
    """The plan's rows by Action id, keyed by heading."""
    ws = openpyxl.load_workbook(path)[sheet]
    heads = header(ws)
    return {row[heads.index(heads[0] if heads[0] != "Country" else "Action id")]: dict(zip(heads, row))
            for row in rows(ws)}


def edit(path: Path, target: Path, changes: dict[str, dict[str, object]], sheet: str = PLAN) -> Path:
    """Fill in cells of the plan by Action id and heading, as a coordinator would, and save as ``target``."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    heads = header(ws)
    id_col = heads.index("Action id") if "Action id" in heads else 0
    for row in ws.iter_rows(min_row=2):
        for heading, value in changes.get(row[id_col].value, {}).items():
            row[heads.index(heading)].value = value
    wb.save(target)
    return target


def test_a_filled_in_plan_comes_back_in_the_next_report(fw, store, tmp_path):
    first = report(fw, store, tmp_path / "r1", T1)
    plan = plan_rows(first["JOR"])
    # Critical first (1.1, both agencies); then at Requires improvement those both agencies need (1.2 …) before 2.1
    assert list(plan)[:3] == ["JOR-1.1-1to2-1", "JOR-1.2-2to3-1", "JOR-1.3-2to3-1"]
    assert list(plan).index("JOR-2.1-2to3-1") == 1 + sum(r["Agencies needing it"] == 2 for r in plan.values()) - 1
    assert plan["JOR-1.1-1to2-1"]["Agencies"] == "IRC; UNICEF" and plan["JOR-1.1-1to2-1"]["Agencies needing it"] == 2
    assert plan["JOR-1.1-1to2-1"]["Expected completion date"] == dt.datetime(2025, 6, 10)  # 2025-03-10 + 3 months
    assert plan["JOR-1.2-2to3-1"]["Expected completion date"] == dt.datetime(2025, 9, 10)  # + 6 months
    assert {r["Implementation stage"] for r in plan.values()} == {"Not started"}
    edited = edit(first["JOR"], tmp_path / "jordan.xlsx", {
        "JOR-1.1-1to2-1": {"Responsible": "Amal (IRC)", "Implementation stage": "Underway",
                           "Expected completion date": dt.datetime(2025, 5, 15)},
        "JOR-1.2-2to3-1": {"Responsible": "Omar", "Implementation stage": "Completed", "Action taken": "Training held"},
        "JOR-1.3-2to3-1": {"Implementation stage": "Cancelled", "Expected completion date": "2025-04-30"},
    })
    result = CliRunner().invoke(main, ["actions", "import", str(edited), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert f"{len(plan)} row(s) read from 1 file(s): {len(plan)} new, 0 updated, 0 unchanged, 0 skipped" in result.output

    second = report(fw, store, tmp_path / "r2", T2)
    again = plan_rows(second["JOR"])
    assert list(again) == list(plan)
    assert (again["JOR-1.1-1to2-1"]["Responsible"], again["JOR-1.1-1to2-1"]["Implementation stage"],
            again["JOR-1.1-1to2-1"]["Expected completion date"]) == ("Amal (IRC)", "Underway", dt.datetime(2025, 5, 15))
    assert (again["JOR-1.2-2to3-1"]["Action taken"], again["JOR-1.2-2to3-1"]["Implementation stage"]) == (
        "Training held", "Completed")
    assert again["JOR-1.3-2to3-1"]["Expected completion date"] == dt.datetime(2025, 4, 30)
    assert again["JOR-1.1-1to2-1"]["Last updated"] == dt.datetime(2025, 6, 1, 8, 0)  # the file's generated-at
    regional = plan_rows(second["summary"])
    assert regional["JOR-1.1-1to2-1"]["Responsible"] == "Amal (IRC)" and regional["JOR-1.1-1to2-1"]["Country"] == "Jordan"
    assert {r["Implementation stage"] for i, r in regional.items() if i.startswith("LBN")} == {"Not started"}

    # Overdue on 2025-06-01: 1.1 (Underway, due 15 May); not 1.3 (cancelled), not the untouched rows (due later).
    book = openpyxl.load_workbook(second["JOR"])
    (overdue,) = [rule for cf in book[PLAN].conditional_formatting for rule in cf.rules if rule.type == "expression"]
    assert overdue.formula == ['AND(ISNUMBER($L2),$L2<TODAY(),$M2<>"Completed",$M2<>"Cancelled",$P2="")']
    assert overdue.dxf.fill.fgColor.rgb.endswith("FFC7CE") or overdue.dxf.fill.bgColor.rgb.endswith("FFC7CE")
    progress = {r[0]: r[1] for r in book["Country profile"].iter_rows(values_only=True) if r[0] in (
        "Not started", "Underway", "Completed", "Cancelled", "Overdue", "No longer needed")}
    assert progress == {"Not started": len(plan) - 3, "Underway": 1, "Completed": 1, "Cancelled": 1, "Overdue": 1,
                        "No longer needed": 0}
    overview = openpyxl.load_workbook(second["summary"])["Overview"]
    jordan = dict(zip(header(overview), next(r for r in rows(overview) if r[0] == "JOR")))
    assert (jordan["Open actions (not completed or cancelled)"], jordan["Overdue actions"]) == (len(plan) - 2, 1)
    sentences = [r[0] for r in book["Country profile"].iter_rows(values_only=True) if isinstance(r[0], str)]
    assert any("1 completed, 1 underway, 1 overdue on 2025-06-01" in text for text in sentences)


def test_a_reassessment_keeps_closed_actions_visible_and_adds_new_ones(fw, store, tmp_path):
    first = report(fw, store, tmp_path / "r1", T1)
    import_action_plans([edit(first["JOR"], tmp_path / "jordan.xlsx", {
        "JOR-1.1-1to2-1": {"Responsible": "Amal (IRC)", "Implementation stage": "Completed"},
        "JOR-2.1-2to3-1": {"Responsible": "Omar", "Implementation stage": "Underway"},
    })], store, fw)
    with open_store(store) as s:
        s.upsert_page(follow_up(fw))
    plan = plan_rows(report(fw, store, tmp_path / "r2", T2, day=dt.date(2026, 6, 1))["JOR"])
    met, lower = plan["JOR-1.1-1to2-1"], plan["JOR-2.1-2to3-1"]
    assert met["Priority"] is None and met["Responsible"] == "Amal (IRC)" and met["Implementation stage"] == "Completed"
    assert met["Note"] == "No longer needed: the 2026 reassessment met its target level."
    assert met["Current level"] == "Requires improvement" and met["Target level"] == "Requires improvement"
    assert lower["Responsible"] == "Omar" and lower["Note"].startswith("No longer needed at this step: the 2026 "
                                                                       "reassessment rated the criterion lower")
    assert plan["JOR-1.3-2to3-1"]["Note"] == ("The criterion was not assessed in 2026; the action is kept with its "
                                              "history.")
    new = plan["JOR-1.1-2to3-1"]  # 1.1 now at 2: its next step's actions, not started
    assert new["Implementation stage"] == "Not started" and new["Responsible"] is None and new["Note"] is None
    assert plan["JOR-2.1-1to2-1"]["Priority"] == 1  # the criterion that fell to Critical comes first
    needed = [r for r in plan.values() if r["Note"] is None]
    closed = [r for r in plan.values() if r["Note"] is not None]
    assert list(plan.values()) == needed + closed  # the plan first, then what the reassessment closed
    assert [r["Priority"] for r in needed] == list(range(1, len(needed) + 1))


def test_an_older_copy_never_overwrites_a_newer_value(fw, store, tmp_path):
    first = report(fw, store, tmp_path / "r1", T1)["JOR"]
    copy = shutil.copy(first, tmp_path / "copy.xlsx")  # a colleague's copy of the same plan
    import_action_plans([edit(first, tmp_path / "mine.xlsx", {"JOR-1.1-1to2-1": {"Responsible": "Amal"}})], store, fw)
    second = report(fw, store, tmp_path / "r2", T2)["JOR"]
    import_action_plans([edit(second, tmp_path / "mine2.xlsx", {"JOR-1.1-1to2-1": {"Responsible": "Amal Haddad"}})],
                        store, fw)
    theirs = edit(copy, tmp_path / "theirs.xlsx", {
        "JOR-1.1-1to2-1": {"Responsible": "Someone else"},  # changed since in a newer file: skipped
        "JOR-1.2-2to3-1": {"Implementation stage": "Underway"},  # unchanged since, but repeated by a newer file: skipped
        "JOR-1.4-2to3-1": {"Responsible": "Later", "Last updated": dt.datetime(2025, 6, 3)},  # newer by its cell
    })
    result = CliRunner().invoke(main, ["actions", "import", str(theirs), "--store", str(store)])
    assert result.exit_code == 0, result.output
    ids = list(plan_rows(copy))
    mine2 = (tmp_path / "mine2.xlsx").resolve()
    for ident in ("JOR-1.1-1to2-1", "JOR-1.2-2to3-1"):
        assert (f"skipped {theirs.resolve()}, sheet 'Country action plan', row {ids.index(ident) + 2} ({ident}): the "
                f"store holds a newer value (as of 2025-06-02T08:00:00Z, from {mine2}) than this row "
                "(2025-06-01T08:00:00Z)") in result.output
    assert "0 new, 1 updated" in result.output and "2 skipped" in result.output
    with open_store(store, read_only=True) as s:
        tracked = read_tracking(s).set_index("action_id")
        history = tracking_history(s, "JOR-1.1-1to2-1")
    assert tracked.loc["JOR-1.1-1to2-1", "responsible"] == "Amal Haddad"
    assert tracked.loc["JOR-1.2-2to3-1", "stage"] == "not_started"
    assert tracked.loc["JOR-1.4-2to3-1", ["responsible", "updated_at"]].tolist() == ["Later", "2025-06-03T00:00:00Z"]
    assert list(history["responsible"]) == ["Amal", "Amal Haddad"]
    assert list(history["source_file"]) == [str((tmp_path / n).resolve()) for n in ("mine.xlsx", "mine2.xlsx")]
    again = CliRunner().invoke(main, ["actions", "import", str(theirs), "--store", str(store)])
    assert f"0 new, 0 updated, {len(ids) - 2} unchanged, 2 skipped" in again.output  # a second time changes nothing


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_plan_in_another_language_reads_back(fw, store, tmp_path, lang):
    from qaf_kobo.report.wording import wording

    words = wording(fw, lang)
    path = report(fw, store, tmp_path / "r1", T1, lang=lang)["summary"]
    wb = openpyxl.load_workbook(path)
    ws = wb[words.sheet("country_plan")]
    heads = header(ws)
    stage, responsible = heads.index(words("report.col.implementation_stage")), heads.index(words("report.col.responsible"))
    ws.cell(row=2, column=stage + 1).value = words("report.stage.completed")
    ws.cell(row=2, column=responsible + 1).value = "Nadia"
    ident = ws.cell(row=2, column=2).value
    wb.save(tmp_path / "edited.xlsx")
    done = import_action_plans([tmp_path / "edited.xlsx"], store, fw)
    assert done.result.new == len(rows(ws))
    with open_store(store, read_only=True) as s:
        row = read_tracking(s).set_index("action_id").loc[ident]
    assert (row["stage"], row["responsible"]) == ("completed", "Nadia")


def test_ids_are_the_same_in_every_language(fw, store, tmp_path):
    english = plan_rows(report(fw, store, tmp_path / "en", T1)["summary"])
    french = openpyxl.load_workbook(report(fw, store, tmp_path / "fr", T1, lang="fr")["summary"])["Plan d’action du pays"]
    assert [r[1] for r in rows(french)] == list(english)


def test_report_horizon_option_sets_the_expected_dates(fw, store, tmp_path):
    result = CliRunner().invoke(main, ["report", "--store", str(store), "--out", str(tmp_path / "out"),
                                       "--horizon", "critical=1", "--horizon", "2=2"])
    assert result.exit_code == 0, result.output
    plan = plan_rows(next((tmp_path / "out").glob("qaf_JOR_*.xlsx")))
    assert plan["JOR-1.1-1to2-1"]["Expected completion date"] == dt.datetime(2025, 4, 10)
    assert plan["JOR-1.2-2to3-1"]["Expected completion date"] == dt.datetime(2025, 5, 10)
    assert plan["JOR-2.1-3to4-1"]["Expected completion date"] == dt.datetime(2026, 3, 10)
    bad = CliRunner().invoke(main, ["report", "--store", str(store), "--out", str(tmp_path / "out"), "--horizon", "x=1"])
    assert bad.exit_code == 2 and "error: unknown level 'x' for a horizon" in bad.output


def test_a_store_without_tracked_actions_reads_nothing_read_only(fw, store, tmp_path):
    before = store.read_bytes()
    with open_store(store, read_only=True) as s:
        assert read_tracking(s).empty and tracking_history(s, "JOR-1.1-1to2-1").empty
    assert build_reports(store, tmp_path / "out", fw=fw)
    assert store.read_bytes() == before  # reading the plans created nothing


# --- bad files: one clear error naming file, sheet, row and column; nothing written --------------------------------

@pytest.fixture
def plan_file(fw, store, tmp_path) -> Path:
    """A report's country workbook with a first row already filled in and imported."""
    path = report(fw, store, tmp_path / "r1", T1)["JOR"]
    import_action_plans([edit(path, tmp_path / "done.xlsx", {"JOR-1.1-1to2-1": {"Responsible": "Amal"}})], store, fw)
    return path


def broken(path: Path, target: Path, cell: str, value: object, sheet: str = PLAN) -> Path:
    wb = openpyxl.load_workbook(path)
    wb[sheet][cell].value = value
    wb[sheet]["K2"].value = "Would be new"  # a valid change earlier in the file: must not be written either
    wb.save(target)
    return target


@pytest.mark.parametrize("cell, value, message", [
    ("A5", "JOR-9.9-1to2-1", r"row 5, column A \(Action id\): unknown Action id 'JOR-9\.9-1to2-1': .* no criterion 9\.9"),
    ("A5", "JOR-1.1-1to2-7", r"row 5, column A \(Action id\): unknown Action id 'JOR-1\.1-1to2-7': criterion 1\.1 has "),
    ("A5", "not an id", r"row 5, column A \(Action id\): 'not an id' is not an Action id"),
    ("A5", "JOR-1.1-1to2-1", r"row 5, column A \(Action id\): JOR-1\.1-1to2-1 is also on row 2"),
    ("L6", "next month", r"row 6, column L \(Expected completion date\): 'next month' is not a date"),
    ("L6", "31/12/2025", r"row 6, column L \(Expected completion date\): '31/12/2025' is not a date"),
    ("M7", "Done", r"row 7, column M \(Implementation stage\): 'Done' is not a stage \(one of: Not started, Underway, "),
    ("O8", "yesterday", r"row 8, column O \(Last updated\): 'yesterday' is not a date and time"),
    ("K1", "Focal point", r"row 1, column K \(Responsible\): no column 'Responsible' \(found 'Focal point'\)"),
])
def test_a_bad_cell_is_one_clear_error_and_nothing_is_written(fw, store, plan_file, tmp_path, cell, value, message):
    bad = broken(plan_file, tmp_path / "bad.xlsx", cell, value)
    with open_store(store, read_only=True) as s:
        before = read_tracking(s)
    with pytest.raises(QafError, match=rf"^{bad}, sheet 'Country action plan', {message}"):
        import_action_plans([bad], store, fw)
    with open_store(store, read_only=True) as s:
        assert read_tracking(s).equals(before)


def test_a_deleted_column_is_named(fw, store, plan_file, tmp_path):
    wb = openpyxl.load_workbook(plan_file)
    wb[PLAN].delete_cols(14)  # Action taken
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(QafError, match=r"row 1, column N \(Action taken\): no column 'Action taken' \(found 'Last updated'\)"):
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
        wb = openpyxl.load_workbook(plan_file)
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


@pytest.mark.parametrize("typed", [dt.datetime(2025, 7, 1), dt.date(2025, 7, 1), 45839, "2025-07-01", " 2025-07-01 00:00 "])
def test_dates_come_back_as_excel_dates_serial_numbers_or_text(fw, store, tmp_path, typed):
    path = report(fw, store, tmp_path / "r1", T1)["JOR"]
    import_action_plans([edit(path, tmp_path / "typed.xlsx", {"JOR-1.1-1to2-1": {"Expected completion date": typed}})],
                        store, fw)
    with open_store(store, read_only=True) as s:
        assert read_tracking(s).set_index("action_id").loc["JOR-1.1-1to2-1", "expected_completion"] == "2025-07-01"
