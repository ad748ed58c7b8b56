"""Shared test helpers: the framework, and the rule for tests that need software outside Python."""

from __future__ import annotations

import fcntl
import gc
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from qaf_kobo.framework import Framework, default_framework

REQUIRE_SYSTEM = os.environ.get("QAF_REQUIRE_SYSTEM_TESTS") == "1"


def require(available: bool, reason: str) -> None:
    """Skip the calling test with ``reason`` when something outside Python is not available; under
    QAF_REQUIRE_SYSTEM_TESTS=1 (set by .ci/run, which installs it all), fail instead."""
    if available:
        return
    if REQUIRE_SYSTEM:
        pytest.fail(f"QAF_REQUIRE_SYSTEM_TESTS=1 and this test {reason}")
    pytest.skip(reason)


def require_tool(*commands: str, why: str = "") -> None:
    """``require`` for commands on PATH (java, node, chromium, soffice)."""
    missing = [c for c in commands if shutil.which(c) is None]
    require(not missing, f"needs {', '.join(missing)} on PATH{': ' + why if why else ''}")


LONGEST_FILES: tuple[str, ...] = (
    "test_print.py", "test_scoring_properties.py", "test_action_plans.py", "test_report.py", "test_token_safety.py",
    "test_sync_faults.py", "test_central_sync.py", "e2e/test_enketo.py", "test_form_engine.py", "test_import_fuzz.py",
    "test_frameworks_loop.py", "test_pipeline_run.py", "test_kobo_client.py",
)
"""The test files that take longest (wall time of each on one of four xdist workers, 2 cores, 6 December 2026:
96 s down to 22 s), run first. ``make test`` gives each worker a whole file (``--dist loadfile``) in the order
collected (``--no-loadscope-reorder``; xdist would otherwise start with the files of most tests), so that no long
file starts last and leaves the other workers idle at the end."""


def pytest_collection_finish(session: pytest.Session) -> None:
    """What is alive once the tests are collected (the modules imported, the tests) is left out of the cycle
    collector's passes (``gc.freeze``): each full pass walked every object alive, and the passes took a tenth of the
    report and scoring tests' CPU (6 of 85 s, and 11–15 s less in all with the freeze; 6 December 2026)."""
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The LONGEST_FILES first, longest first; the others after them in their own order."""
    rank = {name: i for i, name in enumerate(LONGEST_FILES)}
    here = Path(__file__).parent

    def file_rank(item: pytest.Item) -> int:
        return rank.get(Path(item.path).relative_to(here).as_posix(), len(rank))

    items.sort(key=file_rank)


@pytest.fixture(scope="session")
def fw() -> Framework:
    """The shipped QAF framework."""
    return default_framework()


@dataclass(frozen=True)
class DemoRun:
    """One ``qaf-kobo -v demo`` run: its folder (``reports/``, ``demo.sqlite``; read it, never change it: copy it
    first), exit code, stdout and stderr (the debug log)."""

    folder: Path
    returncode: int
    stdout: str
    stderr: str


def shared_once(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[Path, int]:
    """``(folder, fd)``: a folder shared by every xdist worker of this test session, locked (fcntl) until ``fd`` is
    closed, so that the first worker to ask makes its content and the others wait for it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # each worker's basetemp is popen-gwN inside the session's own folder
    fd = os.open(root / f"{name}.lock", os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return root / name, fd


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """``qaf-kobo -v demo`` in a subprocess, with no token in its environment: run once per test session, whatever
    the number of workers (test_demo, test_print and test_token_safety read it; a demo costs 15 CPU-seconds)."""
    folder, fd = shared_once(tmp_path_factory, "demo")
    try:
        saved = folder / "run.json"
        if not saved.exists():
            folder.mkdir(exist_ok=True)
            env = {k: v for k, v in os.environ.items() if k not in ("KOBO_TOKEN", "QAF_TEST_TOKEN")}
            cli = str(Path(sys.executable).with_name("qaf-kobo"))
            done = subprocess.run([cli, "-v", "demo", "--out", str(folder / "reports"), "--store",
                                   str(folder / "demo.sqlite")], env=env, capture_output=True, text=True, timeout=600)
            saved.write_text(json.dumps([done.returncode, done.stdout, done.stderr]))
        returncode, stdout, stderr = json.loads(saved.read_text())
    finally:
        os.close(fd)
    return DemoRun(folder, returncode, stdout, stderr)
