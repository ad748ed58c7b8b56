"""Problems with the store's file — read-only file or folder, full disk, damaged page — are one ``error:`` line
that says which problem it is and how to recover; reading still works where it can, and nothing is half-written."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.devserver import DevServer
from qaf_kobo.errors import QafError
from qaf_kobo.store import open_store
from qaf_kobo.store.database import Store
from qaf_kobo.sync.kobo import sync

from conftest import require
from kobo_server import TOKEN, kobo, qaf_answers, seed  # noqa: F401
from test_import import snapshot, submissions

AS_ROOT = os.geteuid() == 0


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` (a file or a folder) cannot be written while inside: immutable (``chattr +i``) when running as root,
    whom file modes do not stop; without write permission otherwise."""
    if AS_ROOT:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True) \
            if shutil.which("chattr") else None
        require(done is not None and done.returncode == 0, "runs as root, so it needs chattr +i (the file system "
                                                           "or the container may not allow it)")
    mode = path.stat().st_mode
    if not AS_ROOT:
        path.chmod(mode & ~0o222)
    try:
        yield
    finally:
        if AS_ROOT:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(mode)


def a_store(folder: Path, n: int = 3) -> Path:
    folder.mkdir(exist_ok=True)
    rows = folder / "rows.json"
    rows.write_text(json.dumps(submissions(n)))
    store = folder / "s.sqlite"
    assert run("import", str(rows), "--store", str(store)).exit_code == 0
    return store


def new_rows(tmp_path: Path, n: int = 2, start: int = 100) -> Path:
    path = tmp_path / "new.json"
    path.write_text(json.dumps(submissions(n, start)))
    return path


def test_a_read_only_store_file(tmp_path: Path) -> None:
    store = a_store(tmp_path / "data")
    before = snapshot(store)
    with read_only(store):
        result = run("import", str(new_rows(tmp_path)), "--store", str(store))
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr.startswith(f"error: cannot write to the store {store}: the file is read-only (attempt "
                                        f"to write a readonly database); make it writable (chmod u+w {store}; if it "
                                        f"is immutable, chattr -i {store}) or pass another --store\n")
        assert "submissions: 3 active" in run("status", "--store", str(store)).stdout
    assert snapshot(store) == before


def test_a_read_only_store_folder(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    store = a_store(folder)
    before = snapshot(store)
    with read_only(folder):
        result = run("import", str(new_rows(tmp_path)), "--store", str(store))
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr == (f"error: cannot write to the store {store}: its folder {folder} is read-only (unable "
                                 "to open database file), and SQLite writes a journal (s.sqlite-wal, s.sqlite-shm) "
                                 "and qaf-kobo a lock file next to the store; make the folder writable, or copy the "
                                 "store to a writable folder and pass --store\n")
        # reading needs no journal: status and scoring work from a read-only folder
        status = run("status", "--store", str(store), "--json")
        assert status.exit_code == 0 and json.loads(status.stdout)["submissions"] == 3
        scored = run("score", "--store", str(store), "--out", str(tmp_path / "scores"))
        assert scored.exit_code == 0 and scored.stdout.startswith("scored 3 submissions")
    assert snapshot(store) == before


def test_a_full_disk_through_sqlite_page_limit(tmp_path: Path) -> None:
    store = a_store(tmp_path / "data")
    before = snapshot(store)
    with open_store(store) as st:
        pages = st.conn.execute("PRAGMA page_count").fetchone()[0]
        st.conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # what a full disk gives SQLite: SQLITE_FULL
        with pytest.raises(QafError) as err:
            st.upsert_page(submissions(200, 100))
    assert str(err.value).startswith(f"cannot write to the store {store}: the disk is full (database or disk is "
                                     "full); nothing of this step was written — free some space on that disk")
    assert snapshot(store) == before


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 kB tmpfs mounted in ``tmp_path`` (needs root and a system that allows mounting)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = AS_ROOT and shutil.which("mount") and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(disk)], capture_output=True).returncode == 0
    require(bool(mounted), "needs root and permission to mount a small tmpfs, to fill a disk")
    try:
        yield disk
    finally:
        gc.collect()  # a writer that failed may hold its file until collected
        subprocess.run(["umount", str(disk)], check=True)


def test_a_full_disk_through_the_cli(tiny_disk: Path, tmp_path: Path) -> None:
    store = a_store(tiny_disk)
    before = snapshot(store)
    big = [{**row, "notes": "x" * 4000} for row in submissions(300, 100)]
    (tmp_path / "big.json").write_text(json.dumps(big))
    result = run("import", str(tmp_path / "big.json"), "--store", str(store))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: cannot write to the store {store}: the disk is full (database or disk "
                                    "is full); nothing of this step was written")
    assert snapshot(store) == before
    conn = sqlite3.connect(store)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_a_damaged_page(tmp_path: Path) -> None:
    store = a_store(tmp_path / "data", n=400)
    data = bytearray(store.read_bytes())
    middle = len(data) // 2 // 4096 * 4096
    data[middle:middle + 4096] = b"\xab" * 4096
    store.write_bytes(bytes(data))
    recover = ("restore it from a backup, or sync it again into a new file: qaf-kobo sync --full --store NEW.sqlite "
               "(submissions imported from files must then be imported again)")
    for args in (["status"], ["score", "--out", str(tmp_path / "scores")], ["import", str(new_rows(tmp_path))],
                 ["report", "--out", str(tmp_path / "reports")]):
        result = run(*args, "--store", str(store))
        assert (result.exit_code, result.stdout) == (2, ""), args
        assert result.stderr == f"error: the store {store} is damaged (database disk image is malformed); {recover}\n"


def test_a_file_that_is_not_sqlite_is_still_not_a_store(tmp_path: Path) -> None:
    (tmp_path / "notes.sqlite").write_text("meeting notes, not a database\n" * 200)
    result = run("status", "--store", str(tmp_path / "notes.sqlite"))
    assert (result.exit_code, result.stderr) == (2, f"error: {tmp_path / 'notes.sqlite'} is not a qaf-kobo store "
                                                    "(not an SQLite database); pass the right --store\n")


def test_a_sync_into_a_read_only_store_says_so_and_not_more(kobo: DevServer, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    uid = seed(kobo, 4)
    store = tmp_path / "s.sqlite"
    sync(kobo.url, uid, TOKEN, store)
    kobo.add_submission(qaf_answers(99), uid)
    monkeypatch.setenv("KOBO_TOKEN", TOKEN)
    with read_only(store):
        result = run("sync", "--server", kobo.url, "--asset", uid, "--store", str(store))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: cannot write to the store {store}: the file is read-only")
    assert result.stderr.count("\n") == 1
    assert sync(kobo.url, uid, TOKEN, store).new == 1  # writable again: the next sync completes


def test_ctrl_c_during_an_import_keeps_the_store_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = a_store(tmp_path / "data")
    before = snapshot(store)
    upsert = Store.upsert_page

    def interrupted(self, *args, **kwargs):
        upsert(self, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "upsert_page", interrupted)
    result = run("import", str(new_rows(tmp_path)), "--store", str(store))
    assert (result.exit_code, result.stdout) == (130, "")
    assert result.stderr == ("interrupted: each file is imported whole or not at all: what the store holds is "
                             "consistent; run it again\n")
    conn = sqlite3.connect(store)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    monkeypatch.undo()
    assert snapshot(store)[0]["submissions"] in (before[0]["submissions"], before[0]["submissions"] + 2)


def test_once_the_command_has_returned_ctrl_c_cannot_kill_the_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python's teardown restores the default Ctrl-C action (death by signal, exit -2, no message): a Ctrl-C just
    as a finished report exits must not turn its exit 0 into that. CI met it (6 s into a 30-submission report)."""
    from qaf_kobo.cli import run
    monkeypatch.setattr(sys, "argv", ["qaf-kobo", "--version"])
    previous = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(SystemExit) as exit_:
            run()
        assert exit_.value.code == 0
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("after", [0.5, 2.0, 6.0, 9.0])
def test_ctrl_c_at_any_moment_of_a_report_is_one_line_and_exit_130(after: float, tmp_path: Path) -> None:
    """The command started as a user starts it, interrupted while Python imports it, while it scores, while it
    writes: never a traceback, never a half-written file; exit 130 (or 0 when it had finished)."""
    store = a_store(tmp_path / "data", n=30)
    out = tmp_path / "out"
    src = str(Path(__file__).parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, *filter(None, [os.environ.get("PYTHONPATH")])])}
    process = subprocess.Popen([sys.executable, "-m", "qaf_kobo", "report", "--store", str(store), "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(after)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode in (0, 130), stderr
    assert "Traceback" not in stderr and "Aborted" not in stderr
    if process.returncode == 130:
        assert stderr.startswith("interrupted: ") and stderr.count("\n") == 1, stderr
    assert not [p.name for p in out.glob("*") if p.name.startswith(".")]  # no temporary file left
