"""Benchmark of `qaf_kobo.scoring.score`: 100,000 synthetic submissions × 43 criteria in a temporary store.

Prints the time of `score` (tables in memory), of writing the tables (CSV + Parquet), the peak memory (max RSS
of a fresh process doing only that step), and the ratio to the baseline measured in the same run: loading the
store into a DataFrame (SELECT + json.loads per row + DataFrame.from_records). Goal: score ≤ 2 s and ≤ 1× that
load time on the 2-core machine.

    python benchmarks/bench_scoring.py [--n 100000] [--keep PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from qaf_rows import qaf_form  # noqa: E402  (the tests' form structure: the real form's field paths)

COUNTRIES = ["KEN", "UGA", "COD", "SSD", "ETH", "SOM", "SDN", "NGA", "MLI", "NER", "TCD", "CAF", "BFA", "CMR", "MOZ",
             "ZWE", "MWI", "ZMB", "RWA", "BDI"]
AGENCIES = [f"Agency {i}" for i in range(12)]


def synthetic_rows(n: int, seed: int = 7) -> list[dict]:
    """QAF-shaped Kobo rows keyed as the built form keys them: levels clustered around a per-assessment base,
    5% na, reasons for large gaps."""
    from qaf_kobo.form.contract import criterion_field, level_field, why_field
    from qaf_kobo.framework import default_framework

    fw = default_framework()
    key = qaf_form().key
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        base = rng.choice((1, 2, 2, 3, 3, 3, 4))
        row = {"_id": i + 1, "_uuid": f"i{i}", "meta/rootUuid": f"uuid:r{i:06d}", "__version__": "v2" if i % 20 else "v1",
               "_submission_time": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00", "_validation_status": {},
               key("country"): rng.choice(COUNTRIES), key("agency"): rng.choice(AGENCIES),
               key("assessment_date"): f"20{rng.choice((23, 24, 25))}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
               key("assessment_scope"): rng.choice(("agency", "inter_agency", "inter_agency_gov")),
               key("area"): f"Area {rng.randint(1, 40)}", key("purpose"): "baseline", key("round"): rng.choice("12")}
        for section in fw.sections:
            levels = []
            for criterion in section.criteria:
                if rng.random() < 0.05:
                    row[key(criterion_field(criterion))] = "na"
                    continue
                level = min(4, max(1, base + rng.choice((-1, 0, 0, 0, 1))))
                levels.append(level)
                row[key(criterion_field(criterion))] = str(level)
            computed = min(levels) if levels else base
            assessed = min(4, computed + rng.choice((0, 0, 0, 0, 1, 2)))
            row[key(level_field(section))] = str(assessed)
            if assessed - computed >= 2 and rng.random() < 0.9:
                row[key(why_field(section))] = "evidence seen in case files"
        rows.append(row)
    return rows


def build_store(path: Path, n: int) -> None:
    from qaf_kobo.store import open_store

    rows = synthetic_rows(n)
    with open_store(path) as store:
        for start in range(0, n, 5000):
            store.upsert_page(rows[start:start + 5000])
        store.set_source_state("default", {"deployed_version_id": "v2"})


def measure(step: str, store: str, out: str | None) -> dict:
    """Run one step in this (fresh) process; returns its time and the process's peak RSS."""
    import pandas as pd

    from qaf_kobo.framework import default_framework
    from qaf_kobo.scoring import score, write_scores
    from qaf_kobo.scoring.load import load_submissions
    from qaf_kobo.scoring.tidy import scoring_fields

    default_framework()  # loaded once per process by every command; not part of the measurement
    start = time.perf_counter()
    if step == "baseline_load":
        import sqlite3

        with sqlite3.connect(store) as con:
            texts = con.execute("SELECT raw_json FROM submissions WHERE deleted_at IS NULL").fetchall()
        frame = pd.DataFrame.from_records([json.loads(text) for (text,) in texts])
        rows = len(frame)
    elif step == "load":
        rows = len(load_submissions(store, scoring_fields(default_framework())).raw)
    elif step == "score":
        scores = score(store)
        rows = len(scores.criteria)
    else:  # score + write
        scores = score(store)
        written = time.perf_counter()
        write_scores(scores, out)
        return {"seconds": time.perf_counter() - start, "write_seconds": time.perf_counter() - written,
                "rows": len(scores.criteria), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    return {"seconds": time.perf_counter() - start, "rows": rows, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_step(step: str, store: Path, out: Path, repeat: int) -> dict:
    """The best of ``repeat`` runs of a step, each in a fresh Python process."""
    results = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, __file__, "--step", step, "--store", str(store), "--out", str(out)],
                              check=True, capture_output=True, text=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return min(results, key=lambda r: r["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the synthetic store at this path")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(measure(args.step, args.store, args.out)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        store = args.keep or Path(tmp) / "bench.sqlite"
        if not store.exists():
            t = time.perf_counter()
            build_store(store, args.n)
            print(f"built a store of {args.n:,} submissions in {time.perf_counter() - t:.1f} s ({store.stat().st_size / 1e6:.0f} MB)")
        out = Path(tmp) / "out"
        baseline = run_step("baseline_load", store, out, args.repeat)
        load = run_step("load", store, out, args.repeat)
        scored = run_step("score", store, out, args.repeat)
        written = run_step("write", store, out, 1)
        print(f"baseline: load into a DataFrame (SELECT + json.loads per row + from_records): {baseline['seconds']:.2f} s, "
              f"peak {baseline['peak_mb']:.0f} MB")
        print(f"scoring's own load (SELECT in batches, each parsed by pyarrow meanwhile):   {load['seconds']:.2f} s, "
              f"peak {load['peak_mb']:.0f} MB")
        print(f"score (load + tidy + sections + domains + countries + quality, in memory):   {scored['seconds']:.2f} s, "
              f"peak {scored['peak_mb']:.0f} MB, {scored['rows']:,} criterion rows")
        print(f"  of which scoring after the load:                                            {scored['seconds'] - load['seconds']:.2f} s")
        print(f"writing the tables as CSV + Parquet:                                          {written['write_seconds']:.2f} s, "
              f"peak {written['peak_mb']:.0f} MB (whole run)")
        print(f"ratio score / baseline load: {scored['seconds'] / baseline['seconds']:.2f}× (goal ≤ 1×); "
              f"score / its own load: {scored['seconds'] / load['seconds']:.2f}×; "
              f"score ≤ 2 s: {'yes' if scored['seconds'] <= 2 else 'no'} (best of {args.repeat}, fresh process each)")
        print(f"machine load average while measuring: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
