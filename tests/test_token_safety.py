"""The API token: only from KOBO_TOKEN or a 0600 file, and never in output, logs, errors or the store."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from qaf_kobo.devserver import DevServer
from qaf_kobo.errors import QafError
from qaf_kobo.kobo.token import ensure_token_file, load_token
from qaf_kobo.sync.kobo import sync

from conftest import DemoRun
from kobo_server import TOKEN, kobo, seed  # noqa: F401


def test_token_from_env_or_a_0600_file(tmp_path: Path) -> None:
    assert load_token(environ={"KOBO_TOKEN": " abc \n"}) == "abc"
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    assert load_token(path, environ={}) == TOKEN


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o666])
def test_a_token_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "token"
    path.write_text(TOKEN)
    path.chmod(mode)
    with pytest.raises(QafError, match=f"mode {mode:04o}; it must be 0600") as err:
        load_token(path)
    assert TOKEN not in str(err.value)


def test_no_token_anywhere_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(QafError, match="no Kobo API token: set KOBO_TOKEN"):
        load_token(environ={})


def test_devserver_token_file_is_created_0600(tmp_path: Path) -> None:
    token = ensure_token_file(tmp_path / "d" / "devserver.token")
    assert (tmp_path / "d" / "devserver.token").stat().st_mode & 0o777 == 0o600
    assert ensure_token_file(tmp_path / "d" / "devserver.token") == token


def test_the_token_appears_in_no_output_log_error_or_store(kobo: DevServer, tmp_path: Path) -> None:
    uid = seed(kobo, 150)
    store = tmp_path / "s.sqlite"
    cli = str(Path(sys.executable).with_name("qaf-kobo"))
    env = {**os.environ, "KOBO_TOKEN": TOKEN}
    outputs = []
    runs = [["sync", "--server", kobo.url, "--asset", uid, "--store", str(store)],
            ["sync", "--server", kobo.url, "--asset", uid, "--store", str(store), "--full"],
            ["sync", "--server", kobo.url, "--asset", "aMissing", "--store", str(tmp_path / "x.sqlite")],
            ["status", "--store", str(store), "--json"], ["status", "--store", str(tmp_path / "x.sqlite")]]
    for args in runs:
        done = subprocess.run([cli, "-v", *args], env=env, capture_output=True, text=True, timeout=120)
        outputs.append(done.stdout + done.stderr)
    assert ": 150 new" in outputs[0] and "error: asset not found" in outputs[2]
    # in-process, with every logger (requests, urllib3 included) writing DEBUG to a file
    log_file = tmp_path / "debug.log"
    handler = logging.FileHandler(log_file)
    root, urllib3_log = logging.getLogger(), logging.getLogger("urllib3")
    old_level, old_urllib3_level = root.level, urllib3_log.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    urllib3_log.setLevel(logging.NOTSET)  # an earlier CLI run in this process (without -v) quietens it
    try:
        kobo.add_submission({"x": 1}, uid)
        sync(kobo.url, uid, TOKEN, store, full=True)
        kobo.inject_fault("502", times=10)
        failing = [(kobo.url, uid, "wrong-" + TOKEN[:3]), (kobo.url, "aMissing", TOKEN), (kobo.url, uid, TOKEN),
                   ("http://127.0.0.1:9", uid, TOKEN)]
        for server, asset, token in failing:
            with pytest.raises(QafError) as err:
                sync(server, asset, token, tmp_path / "z.sqlite", retries=1)
            outputs.append(str(err.value) + repr(err.value) + "".join(traceback.format_exception(err.value)))
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        urllib3_log.setLevel(old_urllib3_level)
        handler.close()
    logged = log_file.read_text()
    assert "GET /api/v2/assets/" in logged  # the log did capture the HTTP traffic
    for text in [*outputs, logged]:
        assert TOKEN not in text
    for path in tmp_path.glob("*.sqlite*"):
        assert TOKEN.encode() not in path.read_bytes(), path


def test_a_server_error_that_echoes_the_token_is_redacted(kobo: DevServer, tmp_path: Path) -> None:
    uid = seed(kobo, 5)
    store = tmp_path / "s.sqlite"
    kobo.inject_fault("echo", path=f"/api/v2/assets/{uid}/")
    with pytest.raises(QafError) as err:
        sync(kobo.url, uid, TOKEN, store)
    assert str(err.value).endswith("HTTP 400: Bad request. Request headers: Authorization: Token ***; Accept: "
                                   "application/json")
    assert TOKEN not in str(err.value) + err.value.server_message  # type: ignore[attr-defined]
    kobo.inject_fault("echo", path=f"/api/v2/assets/{uid}/")
    done = _cli(["sync", "--server", kobo.url, "--asset", uid, "--store", str(store)], {"KOBO_TOKEN": TOKEN})
    status = _cli(["status", "--store", str(store), "--json"], {})
    assert done.returncode == 2 and "Token ***" in done.stderr and "Token ***" in status.stdout
    for text in (done.stdout, done.stderr, status.stdout, status.stderr):
        assert TOKEN not in text
    assert TOKEN.encode() not in store.read_bytes()


def test_the_token_appears_in_no_output_of_deploy_import_run_or_demo(kobo: DevServer, tmp_path: Path, fw,
                                                                 demo_run: DemoRun) -> None:
    """The demo is the session's (conftest's demo_run: ``qaf-kobo -v demo`` with no token in its environment)."""
    from qaf_kobo.workflows.demo import DEMO_TOKEN, seed_server

    asset = seed_server(kobo, fw).asset_uid
    env = {"KOBO_TOKEN": TOKEN}
    config = tmp_path / "run.toml"
    config.write_text(f'[kobo]\nserver = "{kobo.url}"\nasset_uid = "{asset}"\ntoken_env = "QAF_TEST_TOKEN"\n'
                      f'[store]\npath = "{tmp_path / "run.sqlite"}"\n[report]\nout_dir = "{tmp_path / "reports"}"\n')
    exported = tmp_path / "exported.json"
    exported.write_text(json.dumps(kobo.submissions(asset)))
    (tmp_path / "bad.json").write_text('{"hello": 1}')
    runs = [
        (["form", "deploy", "--server", kobo.url, "--asset", asset, "--out", str(tmp_path / "forms")], env, 0),
        (["form", "deploy", "--server", kobo.url, "--asset", "aMissing", "--out", str(tmp_path / "forms")], env, 2),
        (["import", str(exported), "--store", str(tmp_path / "imported.sqlite")], {}, 0),
        (["import", str(tmp_path / "bad.json"), "--store", str(tmp_path / "imported.sqlite")], {}, 2),
        (["run", "--config", str(config)], {"QAF_TEST_TOKEN": TOKEN}, 0),
    ]
    for args, extra_env, code in runs:
        done = _cli(args, extra_env)
        assert done.returncode == code, (args, done.stderr[-2000:])
        for secret in (TOKEN, DEMO_TOKEN):
            assert secret not in done.stdout + done.stderr, args
    assert demo_run.returncode == 0, demo_run.stderr[-2000:]
    assert "DEBUG" in demo_run.stderr  # the demo's debug log was on
    for secret in (TOKEN, DEMO_TOKEN):
        assert secret not in demo_run.stdout + demo_run.stderr
    assert (tmp_path / "run.sqlite").exists() and (demo_run.folder / "demo.sqlite").exists()
    for path in [*tmp_path.rglob("*.sqlite*"), *demo_run.folder.glob("demo.sqlite*")]:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue  # the -shm of another test reading the demo's store, gone since
        assert TOKEN.encode() not in data and DEMO_TOKEN.encode() not in data, path


def _cli(args: list[str], extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``qaf-kobo -v ARGS`` (debug log on) with only ``extra_env``'s token variables set."""
    env = {k: v for k, v in os.environ.items() if k not in ("KOBO_TOKEN", "QAF_TEST_TOKEN")}
    cli = str(Path(sys.executable).with_name("qaf-kobo"))
    return subprocess.run([cli, "-v", *args], env={**env, **extra_env}, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(("inside", "said"), [("\r\n", "a line break (CR)"), ("\n", "a line break (LF)"),
                                              ("\r", "a line break (CR)"), (" ", "a space (U+0020)"),
                                              ("\x00", "a control character (U+0000)"),
                                              ("é", "a character that is not ASCII (U+00E9)")])
def test_a_token_that_cannot_go_into_a_header_says_what_is_wrong(inside: str, said: str, tmp_path: Path,
                                                                  kobo: DevServer) -> None:
    bad = TOKEN[:10] + inside + TOKEN[10:]
    with pytest.raises(QafError) as err:
        load_token(environ={"KOBO_TOKEN": bad})
    assert str(err.value).startswith(f"$KOBO_TOKEN holds {said}") and TOKEN[:10] not in str(err.value)
    path = tmp_path / "token"
    path.write_text(bad + "\r\n")
    path.chmod(0o600)
    with pytest.raises(QafError) as err:
        load_token(path)
    assert str(err.value).startswith(f"token file {path} holds {said}")
    if "\x00" in bad:
        return  # no environment variable can hold it
    result = subprocess.run([sys.executable, "-m", "qaf_kobo", "sync", "--server", kobo.url, "--asset", "aX",
                             "--store", str(tmp_path / "s.sqlite")], capture_output=True, text=True,
                            env={**os.environ, "KOBO_TOKEN": bad})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: $KOBO_TOKEN holds {said}") and result.stderr.count("\n") == 1
    assert TOKEN[:10] not in result.stderr and TOKEN[10:] not in result.stderr
