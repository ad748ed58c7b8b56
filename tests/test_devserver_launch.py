"""``start_devserver``: the library side of ``qaf-kobo devserver`` (token choice, seeding, the printed banner)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.errors import QafError
from qaf_kobo.framework import find_framework
from qaf_kobo.workflows.devserver_launch import start_devserver


@pytest.fixture
def no_configured_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither $KOBO_TOKEN nor ~/.config/qaf-kobo/token: the devserver falls back to its own token file."""
    monkeypatch.delenv("KOBO_TOKEN", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.mark.usefixtures("no_configured_token")
def test_seeded_devserver_on_a_free_port_serves_the_demo_asset(tmp_path: Path) -> None:
    token_out = tmp_path / "devserver.token"
    launched = start_devserver(port=0, seed_demo=True, token_out=token_out, quiet=True)
    try:
        server, token = launched.server, token_out.read_text().strip()
        assert token_out.stat().st_mode & 0o777 == 0o600 and server.port != 0
        [uid] = server.asset_uids()
        assert launched.banner() == [
            f"KoboToolbox-compatible server on {server.url} (accepts the token in {token_out}); Ctrl-C stops it",
            f"asset: {uid}"]
        assert not any(token in line for line in launched.banner())
        page = requests.get(f"{server.url}/api/v2/assets/{uid}/data/", params={"format": "json"},
                            headers={"Authorization": f"Token {token}"}, timeout=10).json()
        assert page["count"] == len(server.submissions(uid)) > 20
        assert {row["_id"] for row in page["results"]} <= {row["_id"] for row in server.submissions(uid)}
        assert any(key.endswith("/country") for key in page["results"][0])
    finally:
        launched.server.stop()


@pytest.mark.usefixtures("no_configured_token")
def test_the_demo_is_seeded_for_another_framework(tmp_path: Path) -> None:
    cpss = find_framework("cpss")
    launched = start_devserver(port=0, seed_demo=True, token_out=tmp_path / "t", quiet=True, framework=cpss)
    try:
        [uid] = launched.server.asset_uids()
        rows = launched.server.submissions(uid)
        assert rows and {row.get("framework") for row in rows} == {"cpss"}
        assert any(key.endswith("/c_7_2") for key in rows[-1])  # CPSS's section 7 has two criteria
    finally:
        launched.server.stop()


@pytest.mark.usefixtures("no_configured_token")
def test_a_given_token_file_wins_and_no_token_file_is_written(tmp_path: Path) -> None:
    given = tmp_path / "given.token"
    given.write_text("given-token-123\n")
    given.chmod(0o600)
    token_out = tmp_path / "unused.token"
    launched = start_devserver(port=0, token_file=given, token_out=token_out, quiet=True)
    try:
        assert "accepts the given token" in launched.banner()[0] and launched.server.asset_uids() == []
        assert not token_out.exists()
        me = requests.get(f"{launched.server.url}/me/", headers={"Authorization": "Token given-token-123"}, timeout=10)
        assert me.json() == {"username": "qaf"}
    finally:
        launched.server.stop()


@pytest.mark.parametrize(("options", "message"), [
    ({"port": 99999}, "the port must be a number from 0 to 65535 (0 = any free port), not 99999"),
    ({"port": -5}, "the port must be a number from 0 to 65535 (0 = any free port), not -5"),
    ({"page_cap": 0}, "the page cap must be at least 1, not 0"),
    ({"latency": -1.0}, "the latency must be 0 seconds or more, not -1.0"),
])
def test_bad_options_are_a_clear_error(tmp_path: Path, options: dict, message: str) -> None:
    with pytest.raises(QafError) as err:
        start_devserver(token_out=tmp_path / "t", quiet=True, **{"port": 0, **options})
    assert str(err.value) == message and not (tmp_path / "t").exists()


@pytest.mark.parametrize("port", ["99999", "-5"])
def test_cli_devserver_with_a_bad_port_prints_one_error_line(tmp_path: Path, port: str) -> None:
    result = CliRunner().invoke(main, ["devserver", "--port", port, "--token-out", str(tmp_path / "t")])
    assert result.exit_code == 2
    assert result.output == f"error: the port must be a number from 0 to 65535 (0 = any free port), not {port}\n"


@pytest.mark.usefixtures("no_configured_token")
def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(QafError, match=f"cannot listen on 127.0.0.1:{port}: Address already in use"):
            start_devserver(port=port, token_out=tmp_path / "t", quiet=True)


@pytest.mark.usefixtures("no_configured_token")
def test_anonymous_submissions_are_off_unless_asked_and_the_banner_says_so(tmp_path: Path) -> None:
    for anonymous in (False, True):
        launched = start_devserver(port=0, token_out=tmp_path / "t", quiet=True, anonymous_submissions=anonymous)
        try:
            assert launched.server.anonymous_submissions is anonymous
            anonymous_line = "OpenRosa submissions without a token are accepted (--anonymous-submissions)"
            assert (anonymous_line in launched.banner()) is anonymous
            answer = requests.post(f"{launched.server.url}/submission", timeout=10,
                                   files={"xml_submission_file": ("s.xml", '<data id="x"/>')})
            # anonymous: refused for want of a token; else it gets as far as looking for the form
            assert answer.status_code == (404 if anonymous else 401)
        finally:
            launched.server.stop()
