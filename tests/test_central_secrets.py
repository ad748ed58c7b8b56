"""The Central password and session token: never in output, logs, errors or files (pyodk's token cache
included), even when a proxy echoes the request's headers."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from qaf_kobo.central.client import CentralClient, CentralError
from qaf_kobo.central.credentials import load_credentials
from qaf_kobo.central.deploy import deploy_form
from qaf_kobo.central.submissions import fetch_one, id_scan, iter_pages
from qaf_kobo.devserver.central import CentralDevServer
from qaf_kobo.errors import QafError

from central_server import EMAIL, PASSWORD, central, qaf_xform, seed, write_config  # noqa: F401


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Path]:
    """Every logger (requests, urllib3, pyodk included) writing DEBUG to a file."""
    log_file = tmp_path / "debug.log"
    handler = logging.FileHandler(log_file)
    root, urllib3_log = logging.getLogger(), logging.getLogger("urllib3")
    old_level, old_urllib3_level = root.level, urllib3_log.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    urllib3_log.setLevel(logging.NOTSET)
    try:
        yield log_file
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        urllib3_log.setLevel(old_urllib3_level)
        handler.close()


def texts_of(err: BaseException) -> str:
    return str(err) + repr(err) + "".join(traceback.format_exception(err)) + getattr(err, "server_message", "")


def test_the_password_and_token_appear_in_no_log_error_or_file(central: CentralDevServer, tmp_path: Path,
                                                               debug_log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("PYODK_CACHE_FILE", raising=False)
    config = write_config(tmp_path / "pyodk.toml", central.url)
    creds = load_credentials(config)
    pid, fid, ids = seed(central, 30)
    xform = tmp_path / "form" / "qaf_case_management.xml"
    xform.parent.mkdir()
    xform.write_text(qaf_xform(), encoding="utf-8")
    tokens, outputs = [], []
    with CentralClient(central.url, creds, backoff=0.01) as client:
        tokens.append(client.session.headers["Authorization"].split()[1])
        outputs.append(deploy_form(client, xform, pid).describe())
        assert sum(len(p.rows) for p in iter_pages(client, pid, fid, top=7)) == 30
        assert fetch_one(client, pid, fid, ids[0]) is not None and len(id_scan(client, pid, fid)) == 30
        outputs.append(repr(client) + repr(client.session) + repr(creds))
        central.inject_fault("echo", path=".svc/")  # a proxy that echoes the request's headers in its error
        with pytest.raises(CentralError) as echoed:
            list(iter_pages(client, pid, fid))
    assert "Authorization: Bearer ***" in str(echoed.value)
    outputs.append(texts_of(echoed.value))
    failing = [(central.url, write_config(tmp_path / "wrong.toml", central.url, password=PASSWORD[::-1])),
               ("http://127.0.0.1:9", write_config(tmp_path / "gone.toml", "http://127.0.0.1:9")),
               ("http://127.0.0.1:8", config)]
    for server, path in failing:
        with pytest.raises(QafError) as err:
            with CentralClient(server, load_credentials(path), retries=1, backoff=0.01):
                pass
        outputs.append(texts_of(err.value))
    assert "401.2" in outputs[3] and "cannot reach" in outputs[4] and "are for" in outputs[5]
    logged = debug_log.read_text()
    assert "/v1/sessions" in logged and ".svc/Submissions" in logged  # the log did capture the HTTP traffic
    for secret in (PASSWORD, PASSWORD[::-1], *tokens):
        assert len(secret) > 20
        for text in (*outputs, logged):
            assert secret not in text
    assert not (tmp_path / ".pyodk_cache.toml").exists()  # pyodk's token cache is never written
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix != ".toml":
            assert all(t.encode() not in path.read_bytes() for t in tokens), path
    assert central.state.session_user(tokens[0]) is None  # leaving the client logged out
