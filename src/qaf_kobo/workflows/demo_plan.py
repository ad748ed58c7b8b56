"""The demo's coordinator: last year's action plan of one country, filled in and read back into the store, so
that this year's workbooks show the loop — actions carried forward, progress and overdue ones, and actions the
reassessment closed.

Everything goes through what a coordinator runs: the plan is the Country action plan of a report written from
the country's first round (as it was then), edited with openpyxl the way one edits it in a spreadsheet, and read
back with ``import_action_plans`` (``qaf-kobo actions import``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from qaf_kobo.framework import Framework
from qaf_kobo.report.report_data import limit_to_assessments, report_data
from qaf_kobo.report.sheets.country_plan import heading
from qaf_kobo.report.wording import wording
from qaf_kobo.report.workbook import write_workbook
from qaf_kobo.scoring import Scores
from qaf_kobo.store import open_store
from qaf_kobo.store.actions import read_tracking, record_first_seen
from qaf_kobo.workflows.plan_import import import_action_plans

STAGE_PLAN = ("completed", "completed", "completed", "underway", "underway", "underway", "underway", "cancelled")
"""What happened to last year's first actions, by priority; the rest were not started."""


def demo_country(scores: Scores) -> str | None:
    """The first country (by code) with two rounds or more."""
    several = scores.rounds.groupby("country")["round"].count()
    return next(iter(several[several > 1].index), None)


def follow_up_last_plan(scores: Scores, fw: Framework, store: Path, country: str, folder: Path) -> int:
    """Write ``country``'s plan as its first round's report had it, fill it in, import it; returns the actions the
    store now tracks."""
    rounds = scores.rounds
    first = rounds[rounds["country"] == country].iloc[0]
    assessments = scores.assessments
    chosen = assessments[(assessments["country"] == country) & (assessments["round"].astype(str) == first["round"])]
    then = dt.datetime.combine(first["latest_date"].date() + dt.timedelta(days=14), dt.time(9), dt.timezone.utc)
    data = report_data(limit_to_assessments(scores, set(chosen["root_uuid"]), fw), fw, generated_at=then,
                       report_date=then.date()).for_country(country)
    words = wording(fw)
    path = write_workbook(data, fw, words, folder / f"{fw.id}_{country}_{then.date().isoformat()}.xlsx")
    with open_store(store) as opened:
        record_first_seen(opened, data.plans["action_id"], then.date())  # the plan was written then
    book = openpyxl.load_workbook(path)
    ws = book[words.sheet("country_plan")]
    heads = [cell.value for cell in ws[1]]
    col = {key: heads.index(heading(key, words)) for key in
           ("agencies", "responsible_section", "implementation_stage", "action_taken", "expected_completion")}
    for row, stage in zip(ws.iter_rows(min_row=2), STAGE_PLAN):
        agency = str(row[col["agencies"]].value or "").split(";")[0].strip() or "Case management focal point"
        row[col["responsible_section"]].value = agency
        row[col["implementation_stage"]].value = words.stage(stage)
        if stage == "completed":
            row[col["action_taken"]].value = f"Done by {agency}; evidence filed with the coordination group."
        if stage == "cancelled":
            row[col["action_taken"]].value = "Merged into the inter-agency SOP review."
    book.save(path)
    import_action_plans([path], store, fw)
    with open_store(store, read_only=True) as opened:
        return len(read_tracking(opened))
