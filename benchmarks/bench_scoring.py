"""Benchmark of `qaf_kobo.scoring.score`: 100,000 synthetic submissions × 43 criteria in a temporary store.

Scoring keeps the answers it read beside the store (`scoring.answer_cache`) and parses again only submissions whose
JSON changed, so three runs are timed, each in fresh processes: the first scoring of the store (nothing kept),
scoring after a sync that changed 1,000 submissions, and scoring again with nothing changed. score() returns once it
has scored and leaves the answers file to a background write, so each run is timed to score()'s return and the
write's end is printed beside it (a CLI run writes the tables or reports meanwhile). Also printed: writing
the tables (CSV + Parquet), the peak memory (max RSS of a fresh process doing only that step), and the ratio to
the baseline measured in the same run: loading the store into a DataFrame (SELECT + json.loads per row +
DataFrame.from_records). Goal: score ≤ 2 s and ≤ 1× that load time on the 2-core machine.

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


CHANGED = 1_000
"""Submissions changed by the sync before the "after a sync" run."""


def change_submissions(store: str, n: int) -> None:
    """Change the assessment date of ``n`` submissions (each time to another date), as a sync of edits would."""
    from qaf_kobo.store import open_store

    with open_store(store) as st:
        rows = [json.loads(text) for (text,) in st.conn.execute("SELECT raw_json FROM submissions ORDER BY rowid LIMIT ?", (n,))]
        stamp = f"2025-01-{1 + time.time_ns() % 28:02d}"
        key = next(k for k in rows[0] if k.endswith("/assessment_date"))
        st.upsert_page([{**row, key: stamp if row[key] != stamp else "2025-02-01"} for row in rows])


def measure(step: str, store: str, out: str | None) -> dict:
    """Run one step in this (fresh) process; returns its time and the process's peak RSS."""
    import pandas as pd

    from qaf_kobo.framework import default_framework
    from qaf_kobo.scoring import score, write_scores
    from qaf_kobo.scoring.answer_cache import cache_path, written
    from qaf_kobo.scoring.load import load_submissions
    from qaf_kobo.scoring.tidy import scoring_fields

    default_framework()  # loaded once per process by every command; not part of the measurement
    kept = cache_path(store)
    if step in ("load", "score_first"):
        kept.unlink(missing_ok=True)
    elif step == "score_after_sync":
        change_submissions(store, CHANGED)
    start = time.perf_counter()
    if step == "baseline_load":
        import sqlite3

        with sqlite3.connect(store) as con:
            texts = con.execute("SELECT raw_json FROM submissions WHERE deleted_at IS NULL").fetchall()
        frame = pd.DataFrame.from_records([json.loads(text) for (text,) in texts])
        rows = len(frame)
    elif step == "load":
        rows = len(load_submissions(store, scoring_fields(default_framework())).raw)
    elif step.startswith("score_"):
        scores = score(store)
        scored = time.perf_counter()
        written(kept)  # score() leaves the answers file to a background write: timed apart, reported
        return {"seconds": scored - start, "kept_seconds": time.perf_counter() - scored, "rows": len(scores.criteria),
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
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
        runs = {step: run_step(step, store, out, args.repeat) for step in ("score_first", "score_after_sync", "score_again")}
        written = run_step("write", store, out, 1)
        print(f"baseline: load into a DataFrame (SELECT + json.loads per row + from_records): {baseline['seconds']:.2f} s, "
              f"peak {baseline['peak_mb']:.0f} MB")
        print(f"scoring's own load, nothing kept (SELECT in batches, parsed by pyarrow meanwhile): {load['seconds']:.2f} s, "
              f"peak {load['peak_mb']:.0f} MB")
        labels = {"score_first": "score, first run (every submission parsed)",
                  "score_after_sync": f"score after a sync that changed {CHANGED:,} submissions",
                  "score_again": "score again, nothing changed (every answer kept)"}
        for step, label in labels.items():
            run = runs[step]
            print(f"{label + ':':62s} {run['seconds']:.2f} s, peak {run['peak_mb']:.0f} MB, "
                  f"{run['seconds'] / baseline['seconds']:.2f}× the baseline (goal ≤ 1×), "
                  f"≤ 2 s: {'yes' if run['seconds'] <= 2 else 'no'}; answers file written "
                  f"{run['kept_seconds']:.2f} s after")
        print(f"  first run: {runs['score_first']['rows']:,} criterion rows; scoring after its load "
              f"{runs['score_first']['seconds'] - load['seconds']:.2f} s")
        print(f"writing the tables as CSV + Parquet:                           {written['write_seconds']:.2f} s, "
              f"peak {written['peak_mb']:.0f} MB (whole run)")
        print(f"best of {args.repeat} fresh processes each; machine load average while measuring: "
              f"{os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
