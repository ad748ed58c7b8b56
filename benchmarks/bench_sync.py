"""Benchmark: sync 100,000 QAF assessments (the real form's field paths) from the devserver, 100 ms added per request.

Compared with the plain loop most scripts use (GET /data/ and follow ``next`` at the server's default page
size of 100), measured in the same run on a subset of pages and extrapolated. Goal: at least 5x faster.
Also checks that a re-sync with nothing new makes exactly one /data/ request. Then the same for ODK Central
(reported, no speed goal: Central's OData pages follow one another, so they cannot be fetched concurrently):
CENTRAL_ROWS assessments from the Central-compatible server, same latency, and a re-sync with nothing new (one
OData request), with where the Central sync's time goes: the server (until an answer's headers, the added latency
included), the transfer of the bodies, JSON decoding, flattening, the store — and the client's own share, the
wall time the sync is not waiting for a page (goal: under 25 %; baseline 12.4 s for 10,000 rows, 805 rows/s, when
each page was fetched only after the previous one was stored).
Run: .venv/bin/python benchmarks/bench_sync.py [--central-only]
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

import qaf_kobo.sync.central as central_sync
from qaf_kobo.central.credentials import CentralCredentials
from qaf_kobo.central.submissions import CLOCK_MARGIN
from qaf_kobo.devserver import DevServer
from qaf_kobo.devserver.central import CentralDevServer
from qaf_kobo.form.build import build_form
from qaf_kobo.http.session import RemoteSession
from qaf_kobo.store import Store, open_store
from qaf_kobo.sync.kobo import sync

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from qaf_rows import qaf_answers  # noqa: E402  (the tests' generator: the real form's field paths)

TOKEN = "bench-token-not-secret"
ROWS = 100_000
LATENCY = 0.100
BASELINE_PAGES = 60  # of the 1,000 pages the plain loop needs; extrapolated
CENTRAL_ROWS = 10_000
CENTRAL_LOGIN = ("bench@example.org", "bench-password-not-secret")
CENTRAL_BASELINE = 12.4  # seconds for CENTRAL_ROWS before pages were fetched ahead
CLIENT_SHARE_GOAL = 0.25


def serve(queue: mp.Queue) -> None:
    """Child process: the devserver with ROWS submissions (its own process, so server and client share no GIL)."""
    server = DevServer(token=TOKEN, latency=LATENCY).bind()
    uid = server.create_asset("QAF benchmark")
    server.add_submissions((qaf_answers(i) for i in range(ROWS)), uid)
    queue.put((server.url, uid))
    server.serve_forever()


def serve_central(queue: mp.Queue) -> None:
    """Child process: the Central-compatible server with CENTRAL_ROWS submissions to the QAF form."""
    server = CentralDevServer(email=CENTRAL_LOGIN[0], password=CENTRAL_LOGIN[1], latency=LATENCY).bind()
    with tempfile.TemporaryDirectory() as tmp:
        xform = build_form(Path(tmp), languages=["en"]).xml
        project = server.create_project("QAF benchmark")
        form = server.create_form(xform, project)
    server.add_submissions((qaf_answers(i) for i in range(CENTRAL_ROWS)), project, form)
    server.advance_clock(timedelta(minutes=10))  # submitted before the watermark's margin, as a day's work is
    queue.put((server.url, project, form))
    server.serve_forever()


class Timings:
    """Where a Central sync's time goes, measured by wrapping the steps it calls (for the benchmark only)."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self._undo: list[Callable[[], None]] = []

    def _wrap(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = getattr(owner, name)
        setattr(owner, name, make(original))
        self._undo.append(lambda: setattr(owner, name, original))

    def timed(self, key: str) -> Callable[[Any], Any]:
        def make(original: Any) -> Any:
            def call(*args: Any, **kwargs: Any) -> Any:
                began = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    self.seconds[key] += time.perf_counter() - began
            return call
        return make

    def __enter__(self) -> Timings:
        def request(original: Any) -> Any:
            def call(*args: Any, **kwargs: Any) -> Any:
                began = time.perf_counter()
                response = original(*args, **kwargs)
                server = response.elapsed.total_seconds()
                self.seconds["server"] += server
                self.seconds["transfer"] += time.perf_counter() - began - server
                return response
            return call

        def pages(original: Any) -> Any:
            def call(*args: Any, **kwargs: Any) -> Iterator[Any]:
                found = original(*args, **kwargs)
                while True:
                    began = time.perf_counter()
                    page = next(found, None)
                    self.seconds["waiting"] += time.perf_counter() - began
                    if page is None:
                        return
                    yield page
            return call

        self._wrap(RemoteSession, "request", request)
        self._wrap(requests.Response, "json", self.timed("decoding"))
        self._wrap(central_sync, "odata_store_row", self.timed("flattening"))
        self._wrap(central_sync, "iter_pages", pages)
        self._wrap(Store, "upsert_page", self.timed("store"))
        return self

    def __exit__(self, *exc: object) -> None:
        for undo in reversed(self._undo):
            undo()


def central_figures(ctx: mp.context.BaseContext) -> bool:
    """Sync CENTRAL_ROWS from the Central-compatible server (with where the time goes), then again with nothing
    new; True if the client's own share is under the goal and that re-sync made one OData request."""
    queue: mp.Queue = ctx.Queue()
    child = ctx.Process(target=serve_central, args=(queue,), daemon=True)
    began = time.perf_counter()
    child.start()
    try:
        url, project, form = queue.get(timeout=600)
        print(f"central devserver: {CENTRAL_ROWS:,} submissions ready in {time.perf_counter() - began:.1f} s")
        login = CentralCredentials(url, *CENTRAL_LOGIN, "the benchmark's login")
        with tempfile.TemporaryDirectory() as tmp:
            store = Path(tmp) / "central.sqlite"
            with Timings() as timings:
                began = time.perf_counter()
                result = central_sync.sync_central(url, project, form, login, store)
                seconds = time.perf_counter() - began
            print(f"qaf-kobo sync from Central (OData, $top 1000, next links fetched ahead): {result.new:,} rows in "
                  f"{seconds:.1f} s, {result.requests} requests ({result.data_requests} OData); "
                  f"{result.new / seconds:,.0f} rows/s (baseline {CENTRAL_BASELINE} s, "
                  f"{CENTRAL_ROWS / CENTRAL_BASELINE:,.0f} rows/s)")
            t = timings.seconds
            print(f"  where the time goes: server {t['server']:.1f} s (until each answer's headers, "
                  f"{LATENCY * 1000:.0f} ms added per request), transfer {t['transfer']:.1f} s, JSON decoding "
                  f"{t['decoding']:.1f} s, flattening {t['flattening']:.1f} s, store {t['store']:.1f} s "
                  "(decoding overlaps the flattening and storing of the page before)")
            share = (seconds - t["waiting"]) / seconds
            print(f"  waiting for pages {t['waiting']:.1f} s; the client's own share (the rest of the wall time): "
                  f"{seconds - t['waiting']:.1f} s = {share:.0%} (goal < {CLIENT_SHARE_GOAL:.0%})")
            began = time.perf_counter()
            again = central_sync.sync_central(url, project, form, login, store)
            print(f"Central re-sync with nothing new: {again.data_requests} OData request, {again.new} new, "
                  f"{time.perf_counter() - began:.2f} s (rows changed within the watermark's margin of "
                  f"{CLOCK_MARGIN.total_seconds():.0f} s would be read again)")
            return (share < CLIENT_SHARE_GOAL and again.data_requests == 1 and again.new == 0
                    and result.new == CENTRAL_ROWS)
    finally:
        child.terminate()
        child.join()


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
    if "--central-only" in sys.argv[1:]:
        return 0 if central_figures(ctx) else 1
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
            fast = baseline / seconds >= 5
    finally:
        child.terminate()
        child.join()
    return 0 if fast and central_figures(ctx) else 1


if __name__ == "__main__":
    sys.exit(main())
