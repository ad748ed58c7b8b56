"""Benchmark: ``qaf-kobo actions import`` of 10 returned plans of about 2,000 rows each (goal ≤ 5 s).

A regional plan of synthetic assessments (countries × ~135 actions, about 2,000 rows) is written once; ten focal
points each fill in their own 200 rows (responsible, stage, a date as "December 2026") plus one row they all touch
(conflicts), each file saved a minute after the previous one. Timed: reading and checking the ten files and merging
their edits into one store, as one ``import_action_plans`` call (what the command runs).

    python benchmarks/bench_plans.py
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
import pandas as pd

from qaf_kobo.form.contract import criterion_field, level_field
from qaf_kobo.framework import default_framework
from qaf_kobo.report.report_data import report_data
from qaf_kobo.report.sheets import country_plan
from qaf_kobo.report.wording import wording
from qaf_kobo.report.workbook import write_workbook
from qaf_kobo.scoring import score_submissions
from qaf_kobo.store import open_store
from qaf_kobo.workflows.plan_import import import_action_plans

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_action_plans import saved  # noqa: E402  (sets a file's saved time, as an office suite does)

from qaf_rows import qaf_form  # noqa: E402  (the real form's field paths)

GOAL = 5.0
FILES = 10
ROWS_EACH = 200
COUNTRIES = 22
T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.timezone.utc)


def raw_submissions() -> pd.DataFrame:
    """Three agencies per country, one round, random levels 1–3 (every criterion needs actions)."""
    fw, form = default_framework(), qaf_form()
    rng = random.Random(11)
    records = []
    for i in range(COUNTRIES * 3):
        record = {
            "_id": i, "meta/rootUuid": f"uuid:{i:012d}", "__version__": "v1", "_submission_time": "2025-11-10T09:30:00",
            form.key("country"): f"C{i // 3:02d}", form.key("agency"): f"Agency {i % 3}", form.key("round"): "2025",
            form.key("assessment_date"): "2025-11-01", form.key("purpose"): "annual review",
            form.key("assessment_scope"): form.choices["assessment_scope"][0],
        }
        for section in fw.sections:
            rated = [rng.choice((1, 2, 3)) for _ in section.criteria]
            for criterion, level in zip(section.criteria, rated):
                record[form.key(criterion_field(criterion))] = str(level)
            record[form.key(level_field(section))] = str(min(rated))
        records.append(record)
    return pd.DataFrame(records)


def main() -> None:
    fw = default_framework()
    words = wording(fw)
    scores = score_submissions(raw_submissions(), fw, current_version="v1")
    data = report_data(scores, fw, generated_at=T0, report_date=T0.date())
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        plan = write_workbook(data, fw, words, work / "plan.xlsx", [country_plan])
        book = openpyxl.load_workbook(plan)
        ws = book[words.sheet(country_plan.KEY)]
        heads = [cell.value for cell in ws[1]]
        col = {key: heads.index(country_plan.heading(key, words)) + 1 for key in country_plan.TRACKED}
        n_rows = ws.max_row - 1
        files = []
        for f in range(FILES):
            copy = openpyxl.load_workbook(plan)
            sheet = copy[words.sheet(country_plan.KEY)]
            for row in [2 + (f * ROWS_EACH + i) % n_rows for i in range(ROWS_EACH)] + [2]:
                sheet.cell(row, col["responsible_section"]).value = f"Focal point {f}"
                sheet.cell(row, col["implementation_stage"]).value = words.stage("underway")
                sheet.cell(row, col["expected_completion"]).value = "December 2026"
            copy.save(work / f"plan{f}.xlsx")
            files.append(saved(work / f"plan{f}.xlsx", T0 + dt.timedelta(minutes=f + 1)))
        del book
        store = work / "qaf.sqlite"
        open_store(store).close()
        start = time.perf_counter()
        done = import_action_plans(files, store, fw, now=T0 + dt.timedelta(hours=1))
        seconds = time.perf_counter() - start
    result = done.result
    print(f"actions import of {FILES} plans of {n_rows:,} rows each ({FILES * n_rows:,} rows): {seconds:.2f} s "
          f"(goal ≤ {GOAL:.0f} s) — {result.new:,} cells set, {result.updated} changed, "
          f"{len(result.conflicts)} conflicts")


if __name__ == "__main__":
    main()
