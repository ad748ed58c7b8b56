"""Retry-After: obeyed up to a limit and announced on stderr; a longer wait is one clear error at once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.devserver import DevServer
from qaf_kobo.errors import QafError
from qaf_kobo.sync.kobo import sync

from canned_server import CannedServer, asset_and_data, json_answer
from kobo_server import TOKEN, assert_store_equals_server, kobo, seed  # noqa: F401


def test_a_retry_after_within_the_limit_is_obeyed_and_announced(kobo: DevServer, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    uid = seed(kobo, 20)
    kobo.inject_fault("429", times=1, retry_after=2)
    monkeypatch.setenv("KOBO_TOKEN", TOKEN)
    began = time.monotonic()
    result = CliRunner().invoke(main, ["sync", "--server", kobo.url, "--asset", uid, "--store",
                                       str(tmp_path / "s.sqlite")])
    assert result.exit_code == 0, result.output
    assert time.monotonic() - began >= 2
    assert result.stderr == "note: waiting 2 s: the server asked for it (HTTP 429, Retry-After)\n"
    assert result.stdout.startswith("synced kobo:") and ": 20 new" in result.stdout
    assert_store_equals_server(tmp_path / "s.sqlite", kobo, uid)


@pytest.mark.parametrize("retry_after, wait", [("120", "2 min"), ("Thu, 01 Jan 2037 00:00:00 GMT", r"\d{4} days")])
def test_a_retry_after_beyond_the_limit_stops_at_once_with_one_clear_error(retry_after: str, wait: str,
                                                                           tmp_path: Path) -> None:
    throttled = lambda request: json_answer({"detail": "Request was throttled."}, 429,  # noqa: E731
                                            {"Retry-After": retry_after})
    with CannedServer(asset_and_data(throttled)) as server:
        began = time.monotonic()
        result = subprocess.run([str(Path(sys.executable).with_name("qaf-kobo")), "sync", "--server", server.url,
                                 "--asset", "aThrottled", "--store", str(tmp_path / "s.sqlite")],
                                env={**os.environ, "KOBO_TOKEN": TOKEN}, capture_output=True, text=True, timeout=60)
        elapsed = time.monotonic() - began
        data_requests = [r for r in server.received if r.path.endswith("/data/")]
    assert elapsed < 30 and len(data_requests) == 1  # no wait, no retry
    assert result.returncode == 2 and result.stdout == ""
    assert re.fullmatch(
        f"error: the server asked qaf-kobo to wait {wait} before trying GET /api/v2/assets/aThrottled/data/ again "
        + re.escape(f"(HTTP 429, Retry-After: {retry_after}), longer than the 60 s it waits (--max-wait); "
                    "try again later\n"), result.stderr), result.stderr


def test_the_limit_is_a_parameter(tmp_path: Path) -> None:
    throttled = lambda request: json_answer({"detail": "busy"}, 503, {"Retry-After": "3"})  # noqa: E731
    with CannedServer(asset_and_data(throttled)) as server:
        with pytest.raises(QafError, match=r"wait 3 s .*HTTP 503, Retry-After: 3\), longer than the 1 s it waits"):
            sync(server.url, "aBusy", TOKEN, tmp_path / "s.sqlite", max_wait=1)
        assert sum(r.path.endswith("/data/") for r in server.received) == 1


def test_a_pipeline_config_sets_the_limit_and_the_run_command_announces_waits(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([json_answer({"detail": "busy"}, 503, {"Retry-After": "1"}),
                    json_answer({"detail": "busy"}, 503, {"Retry-After": "5"})])
    config = tmp_path / "run.toml"
    monkeypatch.setenv("KOBO_TOKEN", TOKEN)
    with CannedServer(asset_and_data(lambda request: next(answers))) as server:
        config.write_text(f'[kobo]\nserver = "{server.url}"\nasset_uid = "aBusy"\nmax_wait = 2\n'
                          f'[store]\npath = "{tmp_path / "s.sqlite"}"\n', encoding="utf-8")
        result = CliRunner().invoke(main, ["run", "--config", str(config)])
    assert result.exit_code == 2
    assert result.stderr == ("note: waiting 1 s: the server asked for it (HTTP 503, Retry-After)\n"
                             "error: the server asked qaf-kobo to wait 5 s before trying GET /api/v2/assets/aBusy/data/ "
                             "again (HTTP 503, Retry-After: 5), longer than the 2 s it waits (--max-wait); try again "
                             "later\n")
