"""Benchmark: the regional workbook for 10,000 submissions (goal ≤ 5 s), scoring timed separately.

Baselines measured in the same run, on the same Action plan and Assessments cells (their first BASELINE_ROWS
rows, extrapolated linearly): openpyxl's write-only mode (a cell object per value), and XlsxWriter's generic
``write`` (type dispatch on every cell, as most code calls it). The report writes the same cells with
``write_string``/``write_number`` and formats prepared per column.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import xlsxwriter
from openpyxl import Workbook

from qaf_kobo.form.contract import criterion_field, level_field
from qaf_kobo.framework import default_framework
from qaf_kobo.report.sheets.action_plan import action_plan_table
from qaf_kobo.report.sheets.assessments import assessments_table
from qaf_kobo.report.table_sheet import Table
from qaf_kobo.report.wording import wording
from qaf_kobo.report.workbook import write_workbook
from qaf_kobo.scoring import score_submissions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from qaf_rows import qaf_form  # noqa: E402  (the real form's field paths)

SUBMISSIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
BASELINE_ROWS = 20_000
GOAL_SECONDS = 5.0
COUNTRIES = ("SYR", "JOR", "LBN", "IRQ", "EGY", "YEM", "SDN", "LBY", "TUN", "MAR")
AGENCIES = ("Save the Children", "IRC", "UNICEF", "Terre des hommes", "Plan International", "=1+1 Agency")


def raw_submissions(n: int) -> pd.DataFrame:
    """QAF submissions keyed as the built form keys them, random answers (about 1 in 10 criteria not assessed)."""
    fw, form = default_framework(), qaf_form()
    rng = random.Random(7)
    answers = ("1", "2", "3", "4", "1", "2", "3", "4", "2", "na")
    records = []
    for i in range(n):
        record = {
            "_id": i, "meta/rootUuid": f"uuid:{i:012d}", "__version__": "v1",
            "_submission_time": "2025-01-10T09:30:00", form.key("country"): rng.choice(COUNTRIES),
            form.key("agency"): rng.choice(AGENCIES), form.key("area"): f"District {rng.randint(1, 40)}",
            form.key("purpose"): "annual review", form.key("round"): str(rng.choice((2023, 2024))),
            form.key("assessment_date"): (dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 700))).isoformat(),
            form.key("assessment_scope"): rng.choice(form.choices["assessment_scope"]),
        }
        for section in fw.sections:
            rated = []
            for criterion in section.criteria:
                answer = rng.choice(answers)
                record[form.key(criterion_field(criterion))] = answer
                if answer != "na":
                    rated.append(int(answer))
            if rated:
                record[form.key(level_field(section))] = str(min(rated))
        records.append(record)
    return pd.DataFrame(records)


def sample_values(table: Table, rows: int) -> list[list]:
    """The first ``rows`` rows as plain Python values (None where missing)."""
    sample = table.frame.head(rows).astype(object)
    return sample.where(sample.notna(), None).values.tolist()


def openpyxl_seconds(table: Table, rows: int) -> float:
    """openpyxl write-only mode, a cell object per value."""
    values = sample_values(table, rows)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    start = time.perf_counter()
    for row in values:
        ws.append(row)
    with tempfile.TemporaryDirectory() as folder:
        wb.save(Path(folder) / "openpyxl.xlsx")
    return time.perf_counter() - start


def xlsxwriter_write_seconds(table: Table, rows: int) -> float:
    """XlsxWriter in constant memory, ``write`` (type dispatch) on every cell."""
    values = sample_values(table, rows)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        book = xlsxwriter.Workbook(str(Path(folder) / "write.xlsx"), {"constant_memory": True, "strings_to_formulas": False})
        ws = book.add_worksheet()
        cell = book.add_format({"valign": "top"})
        for r, row in enumerate(values, 1):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value, cell)
        book.close()
        return time.perf_counter() - start


def main() -> None:
    fw = default_framework()
    raw = raw_submissions(SUBMISSIONS)
    start = time.perf_counter()
    scores = score_submissions(raw, fw, current_version="v1")
    scoring = time.perf_counter() - start

    words = wording(fw)
    tables = {"Action plan": action_plan_table(scores, fw, words), "Assessments": assessments_table(scores, fw, words)}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "qaf_summary.xlsx"
        start = time.perf_counter()
        write_workbook(scores, fw, words, path)
        report = time.perf_counter() - start
        size = path.stat().st_size

    baselines = {"openpyxl write-only": 0.0, "XlsxWriter write()": 0.0}
    print(f"submissions: {SUBMISSIONS:,}")
    for name, table in tables.items():
        rows = len(table)
        sample = min(rows, BASELINE_ROWS)
        scale = rows / max(sample, 1)
        by_openpyxl = openpyxl_seconds(table, sample) * scale
        by_write = xlsxwriter_write_seconds(table, sample) * scale
        baselines["openpyxl write-only"] += by_openpyxl
        baselines["XlsxWriter write()"] += by_write
        print(f"  {name}: {rows:,} rows × {len(table.columns)} columns; openpyxl write-only ≈ {by_openpyxl:.1f} s, "
              f"XlsxWriter write() ≈ {by_write:.1f} s (measured on {sample:,} rows, extrapolated)")
    print(f"scoring (score_submissions): {scoring:.2f} s")
    print(f"regional workbook: {report:.2f} s, {size / 1e6:.1f} MB (goal ≤ {GOAL_SECONDS:.0f} s: "
          f"{'met' if report <= GOAL_SECONDS else 'NOT met'})")
    for name, seconds in baselines.items():
        print(f"baseline, {name} for those two sheets alone: ≈ {seconds:.1f} s "
              f"→ the whole workbook takes {report / seconds:.2f}× that")


if __name__ == "__main__":
    main()
