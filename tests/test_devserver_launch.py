"""``start_devserver``: the library side of ``qaf-kobo devserver`` (token choice, seeding, the printed banner)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from qaf_kobo.devserver_launch import start_devserver


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
