"""Benchmark: sync 100,000 QAF assessments (the real form's field paths) from the devserver, 100 ms added per request.

Compared with the plain loop most scripts use (GET /data/ and follow ``next`` at the server's default page
size of 100), measured in the same run on a subset of pages and extrapolated. Goal: at least 5x faster.
Also checks that a re-sync with nothing new makes exactly one /data/ request. Run: .venv/bin/python benchmarks/bench_sync.py
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

import requests

from qaf_kobo.devserver import DevServer
from qaf_kobo.store import open_store
from qaf_kobo.sync.kobo import sync

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from qaf_rows import qaf_answers  # noqa: E402  (the tests' generator: the real form's field paths)

TOKEN = "bench-token-not-secret"
ROWS = 100_000
LATENCY = 0.100
BASELINE_PAGES = 60  # of the 1,000 pages the plain loop needs; extrapolated


def serve(queue: mp.Queue) -> None:
    """Child process: the devserver with ROWS submissions (its own process, so server and client share no GIL)."""
    server = DevServer(token=TOKEN, latency=LATENCY).bind()
    uid = server.create_asset("QAF benchmark")
    server.add_submissions((qaf_answers(i) for i in range(ROWS)), uid)
    queue.put((server.url, uid))
    server.serve_forever()


def plain_loop(url: str, uid: str, pages: int) -> tuple[float, int]:
    """GET /data/ and follow ``next`` (default page size) for ``pages`` pages; returns (seconds, rows)."""
    session = requests.Session()
    session.headers.update({"Authorization": f"Token {TOKEN}", "Accept": "application/json"})
    began, rows, link = time.perf_counter(), 0, f"{url}/api/v2/assets/{uid}/data/"
    for _ in range(pages):
        body = session.get(link, timeout=60).json()
        rows += len(body["results"])
        link = body["next"]
    return time.perf_counter() - began, rows


def main() -> int:
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue()
    child = ctx.Process(target=serve, args=(queue,), daemon=True)
    began = time.perf_counter()
    child.start()
    url, uid = queue.get(timeout=300)
    print(f"devserver: {ROWS:,} submissions ({len(qaf_answers(0))} answer keys each) ready in "
          f"{time.perf_counter() - began:.1f} s; "
          f"{LATENCY * 1000:.0f} ms added per request")
    try:
        base_seconds, base_rows = plain_loop(url, uid, BASELINE_PAGES)
        per_row = base_seconds / base_rows
        baseline = per_row * ROWS
        print(f"baseline (plain loop following next, page size 100): {BASELINE_PAGES} pages / {base_rows:,} rows in "
              f"{base_seconds:.1f} s -> extrapolated to {ROWS:,} rows: {baseline:.1f} s, {ROWS // 100:,} requests")
        with tempfile.TemporaryDirectory() as tmp:
            store = Path(tmp) / "bench.sqlite"
            began = time.perf_counter()
            result = sync(url, uid, TOKEN, store)
            seconds = time.perf_counter() - began
            with open_store(store) as st:
                assert st.status().submissions == ROWS, st.status()
            print(f"qaf-kobo sync (keyset, limit 1000, 4 concurrent pages): {result.new:,} rows in {seconds:.1f} s, "
                  f"{result.requests} requests ({result.data_requests} to /data/)")
            print(f"speed-up vs the plain loop: {baseline / seconds:.1f}x (goal >= 5x)")
            began = time.perf_counter()
            again = sync(url, uid, TOKEN, store)
            print(f"re-sync with nothing new: {again.data_requests} /data/ request, {again.new} new, "
                  f"{time.perf_counter() - began:.2f} s")
            assert again.data_requests == 1 and again.new == 0
            return 0 if baseline / seconds >= 5 else 1
    finally:
        child.terminate()
        child.join()


if __name__ == "__main__":
    sys.exit(main())
