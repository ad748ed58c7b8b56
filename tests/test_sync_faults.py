"""Each fault mode on its own: the sync still ends with the store equal to the server, nothing twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qaf_kobo.devserver import DevServer
from qaf_kobo.errors import QafError
from qaf_kobo.store import open_store
from qaf_kobo.sync.kobo import sync

from kobo_server import TOKEN, assert_store_equals_server, kobo, seed  # noqa: F401

ROWS = 1800


@pytest.mark.parametrize("kind", ["429", "502", "drop", "truncate", "cut"])
@pytest.mark.parametrize("workers", [1, 4])
def test_sync_survives_a_fault(kind: str, workers: int, kobo: DevServer, tmp_path: Path) -> None:
    uid = seed(kobo, ROWS)
    kobo.inject_fault(kind, times=2, path="/data/", retry_after=1)
    result = sync(kobo.url, uid, TOKEN, tmp_path / "s.sqlite", workers=workers)
    assert result.new == ROWS
    assert_store_equals_server(tmp_path / "s.sqlite", kobo, uid)
    pages = -(-ROWS // 1000)
    assert kobo.request_count("/data/") == pages + 2  # both failed attempts reached the server and were retried


def test_retry_after_is_honoured(kobo: DevServer, tmp_path: Path) -> None:
    uid = seed(kobo, 10)
    kobo.inject_fault("429", times=1, retry_after=2)
    began = time.monotonic()
    sync(kobo.url, uid, TOKEN, tmp_path / "s.sqlite")
    assert time.monotonic() - began >= 2
    assert_store_equals_server(tmp_path / "s.sqlite", kobo, uid)


def test_a_fault_that_outlasts_the_retries_fails_cleanly_and_the_next_sync_completes(kobo: DevServer,
                                                                                     tmp_path: Path) -> None:
    uid = seed(kobo, 2500)
    store = tmp_path / "s.sqlite"
    kobo.max_page_size = 500
    # two pages arrive, then the server keeps failing: the pages written so far stay, consistently
    kobo.inject_fault("502", times=1000, after=2)
    with pytest.raises(QafError, match="HTTP 502") as err:
        sync(kobo.url, uid, TOKEN, store, workers=1, retries=1)
    assert TOKEN not in str(err.value)
    with open_store(store) as st:
        error = st.status().last_error
        assert error and "502" in error
        partial = st.status().submissions
    assert partial == 1000
    kobo.clear_faults()
    result = sync(kobo.url, uid, TOKEN, store)
    assert result.new == 2500 - partial
    assert_store_equals_server(store, kobo, uid)
    with open_store(store) as st:
        assert st.status().last_error is None


def test_sync_killed_mid_run_then_restarted(tmp_path: Path) -> None:
    with DevServer(token=TOKEN, max_page_size=100, latency=0.15) as server:
        uid = seed(server, 3000)
        store = tmp_path / "s.sqlite"
        cli = Path(sys.executable).with_name("qaf-kobo")
        env = {**os.environ, "KOBO_TOKEN": TOKEN}
        proc = subprocess.Popen([str(cli), "sync", "--server", server.url, "--asset", uid, "--store", str(store)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        written = 0
        deadline = time.monotonic() + 60
        while written < 300 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            written = _rows(store)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        after_kill = _rows(store)
        assert 0 < after_kill < 3000, "the kill should land mid-sync"
        conn = sqlite3.connect(store)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        server.latency = 0
        restarted = subprocess.run([str(cli), "sync", "--server", server.url, "--asset", uid, "--store", str(store)],
                                   env=env, capture_output=True, text=True, timeout=120)
        assert restarted.returncode == 0, restarted.stderr
        assert_store_equals_server(store, server, uid)


def _rows(store: Path) -> int:
    if not store.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0
