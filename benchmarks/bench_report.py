"""Benchmark: the regional workbook for 10,000 submissions (goal ≤ 10 s), scoring timed separately.

Baseline measured in the same run: writing the same Action plan and Assessments cells with openpyxl's own
write-only mode (cell objects), on the first BASELINE_ROWS rows of each and extrapolated linearly.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from qaf_kobo.form.contract import criterion_field, level_field, section_group
from qaf_kobo.framework import default_framework
from qaf_kobo.report.tables import action_plan_table, assessments_table
from qaf_kobo.report.wording import wording
from qaf_kobo.report.workbook import write_workbook
from qaf_kobo.scoring import score_submissions

SUBMISSIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
BASELINE_ROWS = 20_000
GOAL_SECONDS = 10.0
COUNTRIES = ("SYR", "JOR", "LBN", "IRQ", "EGY", "YEM", "SDN", "LBY", "TUN", "MAR")
AGENCIES = ("Save the Children", "IRC", "UNICEF", "Terre des hommes", "Plan International", "=1+1 Agency")


def raw_submissions(n: int) -> pd.DataFrame:
    """QAF-shaped Kobo /data/ records with random answers (about 1 in 10 criteria not assessed)."""
    fw = default_framework()
    rng = random.Random(7)
    answers = ("1", "2", "3", "4", "1", "2", "3", "4", "2", "na")
    records = []
    for i in range(n):
        record = {
            "_id": i, "meta/rootUuid": f"uuid:{i:012d}", "__version__": "v1",
            "_submission_time": "2025-01-10T09:30:00", "details/country": rng.choice(COUNTRIES),
            "details/agency": rng.choice(AGENCIES), "details/area": f"District {rng.randint(1, 40)}",
            "details/purpose": "annual review", "details/round": str(rng.choice((2023, 2024))),
            "details/assessment_date": (dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 700))).isoformat(),
            "details/assessment_scope": rng.choice(("agency", "inter_agency", "inter_agency_gov")),
        }
        for section in fw.sections:
            rated = []
            for criterion in section.criteria:
                answer = rng.choice(answers)
                record[f"{section_group(section)}/{criterion_field(criterion)}"] = answer
                if answer != "na":
                    rated.append(int(answer))
            if rated:
                record[f"{section_group(section)}/{level_field(section)}"] = str(min(rated))
        records.append(record)
    return pd.DataFrame(records)


def naive_seconds(table, rows: int) -> float:
    """openpyxl write-only mode, a cell object per value, for the first ``rows`` rows of ``table``."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    sample = table.frame.head(rows).astype(object).where(table.frame.head(rows).notna(), None)
    start = time.perf_counter()
    for values in sample.itertuples(index=False):
        ws.append(list(values))
    with tempfile.TemporaryDirectory() as folder:
        wb.save(Path(folder) / "naive.xlsx")
    return time.perf_counter() - start


def main() -> None:
    fw = default_framework()
    raw = raw_submissions(SUBMISSIONS)
    start = time.perf_counter()
    scores = score_submissions(raw, fw, current_version="v1")
    scoring = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "qaf_summary.xlsx"
        start = time.perf_counter()
        write_workbook(scores, fw, wording(fw), path)
        report = time.perf_counter() - start
        size = path.stat().st_size

    words = wording(fw)
    tables = {"Action plan": action_plan_table(scores, fw, words), "Assessments": assessments_table(scores, fw, words)}
    baseline = 0.0
    print(f"submissions: {SUBMISSIONS:,}")
    for name, table in tables.items():
        rows = len(table.frame)
        sample = min(rows, BASELINE_ROWS)
        estimate = naive_seconds(table, sample) * rows / max(sample, 1)
        baseline += estimate
        print(f"  {name}: {rows:,} rows × {len(table.columns)} columns; openpyxl write-only ≈ {estimate:.1f} s "
              f"(measured on {sample:,} rows, extrapolated)")
    print(f"scoring (score_submissions): {scoring:.2f} s")
    print(f"regional workbook: {report:.2f} s, {size / 1e6:.1f} MB (goal ≤ {GOAL_SECONDS:.0f} s: "
          f"{'met' if report <= GOAL_SECONDS else 'NOT met'})")
    print(f"baseline, openpyxl write-only for those two sheets alone: ≈ {baseline:.1f} s "
          f"→ the whole workbook takes {report / baseline:.2f}× that")


if __name__ == "__main__":
    main()
