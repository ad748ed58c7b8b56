"""Benchmark: the regional workbook for 100,000 submissions (ten countries, two rounds; goal ≤ 30 s) and for 10,000
(goal ≤ 5 s), with the peak memory; scoring timed separately.

Each size runs in a fresh process (so its peak memory, the max RSS, is its own): synthetic submissions, scoring,
then the report — preparing the plans, profiles and levels (``report_data``) and writing the regional workbook,
each timed. Baselines measured in the same run, on the same cells of the two biggest sheets (Assessments and Data
quality, their first BASELINE_ROWS rows, extrapolated linearly): openpyxl's write-only mode (a cell object per
value) and XlsxWriter's generic ``write`` (type dispatch on every cell, as most code calls it). The 10,000 run
also writes every workbook (regional and ten countries), for the time ``qaf-kobo report`` takes, with the country
workbooks in worker processes and, as the baseline, one after the other.

    python benchmarks/bench_report.py [--n 10000 --n 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import xlsxwriter
from openpyxl import Workbook

from qaf_kobo.form.contract import criterion_field, level_field
from qaf_kobo.framework import default_framework
from qaf_kobo.report.report_data import report_data
from qaf_kobo.report.sheets.assessments import REGIONAL_DETAILS, REGIONAL_LEVELS, assessments_table
from qaf_kobo.report.sheets.data_quality import data_quality_table
from qaf_kobo.report.table_sheet import Table
from qaf_kobo.report.wording import wording
from qaf_kobo.report.workbook import write_reports, write_workbook
from qaf_kobo.scoring import score_submissions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from qaf_rows import qaf_form  # noqa: E402  (the real form's field paths)

BASELINE_ROWS = 20_000
GOALS = {10_000: 5.0, 100_000: 30.0}
COUNTRIES = ("SYR", "JOR", "LBN", "IRQ", "EGY", "YEM", "SDN", "LBY", "TUN", "MAR")
AGENCIES = ("Save the Children", "IRC", "UNICEF", "Terre des hommes", "Plan International", "=1+1 Agency")
ROUNDS = (2023, 2024)


def raw_submissions(n: int) -> pd.DataFrame:
    """QAF submissions keyed as the built form keys them: ten countries, two rounds (each dated in its year), random
    answers (about 1 in 10 criteria not assessed)."""
    fw, form = default_framework(), qaf_form()
    rng = random.Random(7)
    answers = ("1", "2", "3", "4", "1", "2", "3", "4", "2", "na")
    records = []
    for i in range(n):
        year = rng.choice(ROUNDS)
        record = {
            "_id": i, "meta/rootUuid": f"uuid:{i:012d}", "__version__": "v1",
            "_submission_time": "2025-01-10T09:30:00", form.key("country"): rng.choice(COUNTRIES),
            form.key("agency"): rng.choice(AGENCIES), form.key("area"): f"District {rng.randint(1, 40)}",
            form.key("purpose"): "annual review", form.key("round"): str(year),
            form.key("assessment_date"): (dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 330))).isoformat(),
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


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(n: int) -> dict:
    """One size, in this process: the figures as a dict."""
    fw = default_framework()
    raw = raw_submissions(n)
    start = time.perf_counter()
    scores = score_submissions(raw, fw, current_version="v1")
    out = {"n": n, "scoring": time.perf_counter() - start}
    del raw
    out["mb_before_report"] = peak_mb()
    words = wording(fw)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        data = report_data(scores, fw)
        out["prepare"] = time.perf_counter() - start
        path = write_workbook(data, fw, words, Path(folder) / "qaf_summary.xlsx")
        out["regional"] = time.perf_counter() - start
        out["mb"] = path.stat().st_size / 1e6
        out["peak_mb"] = peak_mb()
        if n <= 10_000:
            for workers, key in ((1, "all_sequential"), (None, "all_seconds")):
                start = time.perf_counter()
                out["all_workbooks"] = len(write_reports(scores, fw, Path(folder) / key, workers=workers))
                out[key] = time.perf_counter() - start
    tables = {"Assessments": assessments_table(scores, fw, words, REGIONAL_LEVELS, REGIONAL_DETAILS),
              "Data quality": data_quality_table(scores, words)}
    out["rows"] = {"plans": len(data.plans), **{name: [len(t), len(t.columns)] for name, t in tables.items()}}
    out["baselines"] = {"openpyxl write-only": 0.0, "XlsxWriter write()": 0.0}
    for table in tables.values():
        sample = min(len(table), BASELINE_ROWS)
        scale = len(table) / max(sample, 1)
        out["baselines"]["openpyxl write-only"] += openpyxl_seconds(table, sample) * scale
        out["baselines"]["XlsxWriter write()"] += xlsxwriter_write_seconds(table, sample) * scale
    return out


def report(figures: dict) -> None:
    n, goal = figures["n"], GOALS.get(figures["n"])
    verdict = f" (goal ≤ {goal:.0f} s: {'met' if figures['regional'] <= goal else 'NOT met'})" if goal else ""
    print(f"\nsubmissions: {n:,}")
    print(f"  scoring (score_submissions): {figures['scoring']:.2f} s")
    print(f"  regional workbook: {figures['regional']:.2f} s{verdict}, of which preparing plans, profiles and levels "
          f"{figures['prepare']:.2f} s; {figures['mb']:.1f} MB; {figures['rows']['plans']:,} country action plan rows")
    for name in ("Assessments", "Data quality"):
        rows, columns = figures["rows"][name]
        print(f"  {name}: {rows:,} rows × {columns} columns")
    print(f"  peak memory (max RSS of the process: data, scoring, report): {figures['peak_mb']:.0f} MB "
          f"({figures['mb_before_report']:.0f} MB before the report)")
    for name, seconds in figures["baselines"].items():
        print(f"  baseline, {name} for those two sheets alone: ≈ {seconds:.1f} s (measured on ≤ {BASELINE_ROWS:,} rows, "
              f"extrapolated) → the whole regional workbook takes {figures['regional'] / seconds:.2f}× that")
    if "all_seconds" in figures:
        print(f"  every workbook (qaf-kobo report: regional + {figures['all_workbooks'] - 1} countries): "
              f"{figures['all_seconds']:.2f} s with the country workbooks in worker processes, "
              f"{figures['all_sequential']:.2f} s one after the other (baseline) → "
              f"{figures['all_seconds'] / figures['all_sequential']:.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="submissions (repeat; default 10,000 and 100,000)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child process measuring one size
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    print(f"machine load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    for n in args.n or sorted(GOALS):
        done = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        report(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"\nmachine load average after: {os.getloadavg()[0]:.2f} (1 min), {os.getloadavg()[1]:.2f} (5 min)")


if __name__ == "__main__":
    main()
