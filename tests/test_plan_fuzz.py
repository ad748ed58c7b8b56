"""Fuzz: a Country action plan edited the way hand edits go wrong — any value in any cell (text, numbers, dates,
times, booleans, formulas, other rows' ids), rows and columns deleted or inserted — goes through
``actions import`` (then ``report``): each exits 0 or 2 with one ``error:`` line, never with a traceback, and a
refused file writes nothing."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qaf_kobo.framework import default_framework
from qaf_kobo.store import open_store
from qaf_kobo.store.actions import read_tracking
from qaf_kobo.workflows.plan_import import import_action_plans
from test_action_plans import PLAN, SECTION, T1, baseline, edit, report
from test_import_fuzz import check, invoke
from workbooks import load_workbook


@cache
def base() -> tuple[Path, Path, tuple[str, ...]]:
    """A store with one action already tracked, its JOR plan, and the plan's Action ids (made once)."""
    folder = Path(tempfile.mkdtemp(prefix="qaf-plan-fuzz-"))
    fw, store = default_framework(), folder / "qaf.sqlite"
    with open_store(store) as s:
        s.upsert_page(baseline(fw))
    plan = report(fw, store, folder / "r1", T1)["JOR"]
    import_action_plans([edit(plan, folder / "done.xlsx", {"JOR-1.1-1to2-1": {SECTION: "Amal"}})], store, fw)
    ids = tuple(row[0].value for row in load_workbook(plan)[PLAN].iter_rows(min_row=2))
    return store, plan, ids


def tracked(store: Path) -> tuple[list, list]:
    """The tracked values and their whole history, every column."""
    with open_store(store, read_only=True) as s:
        return (read_tracking(s).to_dict("records"),
                s.conn.execute("SELECT * FROM plan_cell_history ORDER BY rowid").fetchall())


values = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10 ** 6, max_value=10 ** 12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=10),  # what a cell can hold
    st.dates(min_value=dt.date(1900, 1, 2), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(9999, 12, 31)),
    st.sampled_from(["Not started", "Underway", "Completed", "Cancelled", "Terminé", "مكتمل", "=1+1", "@SUM(A1)",
                     "2025-13-01", "2025-06-01", "2025-06-01T10:00:00Z", "01/06/2025", "JOR-1.1-1to2-1",
                     "JOR-1.1-1to2-9", "LBN-1.1-3to4-1", "", " ", "Priority", "Action id"]),
)
edits = st.lists(st.tuples(st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=18), values),
                 max_size=4)
shapes = st.sampled_from(["none", "none", "none", "delete row", "insert row", "delete column", "insert column",
                          "delete sheet rows"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits, shapes, st.integers(min_value=1, max_value=16))
def test_hand_edited_plans_through_import_and_report(changes: list, shape: str, where: int) -> None:
    store0, plan, ids = base()
    work = Path(tempfile.mkdtemp(prefix="qaf-plan-fuzz-"))
    try:
        store = work / "qaf.sqlite"
        shutil.copy(store0, store)
        before = tracked(store)
        wb = load_workbook(plan)
        ws = wb[PLAN]
        ws.cell(row=3, column=11).value = "Would be new"  # a valid change: written only if the file is taken
        for row, column, value in changes:
            ws.cell(row=row, column=column).value = value
        if shape == "delete row":
            ws.delete_rows(where)
        elif shape == "insert row":
            ws.insert_rows(where)
        elif shape == "delete column":
            ws.delete_cols(where)
        elif shape == "insert column":
            ws.insert_cols(where)
        elif shape == "delete sheet rows":
            ws.delete_rows(2, ws.max_row)
        wb.save(work / "edited.xlsx")
        result = invoke("actions", "import", str(work / "edited.xlsx"), "--store", str(store))
        check(result)
        if result.exit_code == 2:
            assert tracked(store) == before
        else:
            check(invoke("report", "--store", str(store), "--out", str(work / "reports")))
    finally:
        shutil.rmtree(work)
    assert ids  # the plan has rows to edit
