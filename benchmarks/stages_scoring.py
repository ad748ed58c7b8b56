"""Where scoring's time goes: each stage of `qaf_kobo.scoring.score` timed in fresh processes (wall and CPU).

Not a benchmark with a goal (`make benchmarks` runs bench_*.py only): a profile for whoever works on scoring's
speed. Each run is a fresh process, as `qaf-kobo score` is, because a stage's first run in a process is the one
users wait for (on this machine, first touches of new memory cost much of it). CPU time counts every thread, so
it is steadier than wall time when the machine is shared; the load average is printed beside it.

    python benchmarks/stages_scoring.py --store PATH [--runs 3]   # e.g. the store kept by bench_scoring.py --keep
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable


def stages(store: str) -> dict[str, tuple[float, float]]:
    """Run score()'s stages once, in its order; per stage (wall, CPU) seconds."""
    import pandas as pd

    from qaf_kobo.framework import default_framework
    from qaf_kobo.scoring import indicators, pipeline
    from qaf_kobo.scoring.domains import DOMAIN_COLUMNS, domain_table, overall_index
    from qaf_kobo.scoring.load import load_submissions
    from qaf_kobo.scoring.quality import quality_table
    from qaf_kobo.scoring.round_tables import round_tables
    from qaf_kobo.scoring.rounds import left_out
    from qaf_kobo.scoring.sections import SECTION_COLUMNS, section_table
    from qaf_kobo.scoring.tidy import CRITERIA_COLUMNS, criteria_table, scoring_fields, tidy

    fw = default_framework()
    times: dict[str, tuple[float, float]] = {}

    def timed(name: str, step: Callable[[], object]) -> object:
        wall, cpu = time.perf_counter(), time.process_time()
        result = step()
        times[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        return result

    data = timed("load", lambda: load_submissions(store, scoring_fields(fw)))
    raw = data.raw
    current = timed("framework + version", lambda: (pipeline.check_framework(raw, fw, store),
                                                    pipeline._current_version(data, raw))[1])
    tables = timed("tidy", lambda: tidy(raw, fw, current))
    subs, answers = tables.submissions, tables.answers
    sections = timed("sections", lambda: section_table(subs, answers, tables.section_answers, fw, "min"))
    domains = timed("domains", lambda: domain_table(subs, sections, answers, fw, "min"))
    criteria = timed("criteria", lambda: criteria_table(tables, fw)[list(CRITERIA_COLUMNS)])
    values, unreadable = timed("indicators: figures", lambda: indicators.figures(raw.reset_index(drop=True), fw))
    per_assessment = timed("indicators: table", lambda: indicators.indicator_table(values, subs, fw))
    country = timed("indicators: countries", lambda: indicators.country_indicators(values, subs, fw))
    evidence = timed("indicators: findings", lambda: pd.concat(
        [indicators.unreadable_findings(unreadable, subs), indicators.cross_check_findings(per_assessment, criteria, fw)],
        ignore_index=True))
    today = pd.Timestamp.today().normalize()
    reasons = timed("rounds: left out", lambda: left_out(subs, today))
    assessments = timed("assessments", lambda: pipeline._assessments(subs, overall_index(subs, domains, fw), reasons))
    sections, domains = sections[list(SECTION_COLUMNS)], domains[list(DOMAIN_COLUMNS)]
    timed("round tables", lambda: round_tables(assessments, sections, domains, fw, "min"))
    timed("quality", lambda: quality_table(tables, sections, fw, current, today, evidence, reasons))
    timed("indicators: export", lambda: indicators.indicator_export(country, fw))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(stages(args.store)))
        return
    runs = [json.loads(subprocess.run([sys.executable, __file__, "--one", "--store", args.store], check=True,
                                      capture_output=True, text=True).stdout.splitlines()[-1]) for _ in range(args.runs)]
    print(f"{'stage':24s} {'wall (best)':>12s} {'CPU (best)':>12s}   best of {args.runs} fresh processes")
    for name in runs[0]:
        print(f"{name:24s} {min(r[name][0] for r in runs):12.3f} {min(r[name][1] for r in runs):12.3f}")
    total = [sum(w for w, _ in r.values()) for r in runs]
    print(f"{'all stages':24s} {min(total):12.3f}   load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
