"""The Kobo client over real HTTP: auth header, errors as one clear KoboError, retries only where they belong."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.devserver import DevServer
from qaf_kobo.errors import QafError
from qaf_kobo.kobo.client import ASSET_NOT_FOUND, KoboClient, KoboError, normalize_server
from qaf_kobo.kobo.submissions import fetch_by_ids, iter_pages_after

from kobo_server import TOKEN, kobo, seed  # noqa: F401


def test_token_and_json_on_every_call(kobo: DevServer) -> None:
    with KoboClient(kobo.url, TOKEN) as client:
        assert client.get_json("/me/") == {"username": "qaf"}
        assert client.session.headers["Accept"] == "application/json"
        assert TOKEN not in repr(client)


def test_invalid_token_is_401_with_a_clear_message(kobo: DevServer) -> None:
    uid = seed(kobo, 1)
    with KoboClient(kobo.url, "wrong") as client, pytest.raises(KoboError) as err:
        client.get_json(f"/api/v2/assets/{uid}/")
    assert err.value.status == 401
    assert "rejected the API token (401: Invalid token.)" in str(err.value)
    assert kobo.request_count("/api/v2/assets/") == 1  # no retry


@pytest.mark.parametrize("token", [TOKEN, None])
def test_missing_asset_or_no_access_is_404_with_a_hint(kobo: DevServer, token: str | None) -> None:
    uid = seed(kobo, 1)
    with KoboClient(kobo.url, TOKEN) as client:
        if token is None:  # no Authorization header at all = anonymous: KPI hides private assets behind 404
            del client.session.headers["Authorization"]
            path = f"/api/v2/assets/{uid}/data/"
        else:
            path = "/api/v2/assets/aNoSuchAsset/"
        with pytest.raises(KoboError) as err:
            client.get_json(path)
    assert err.value.status == 404 and str(err.value) == ASSET_NOT_FOUND
    assert kobo.request_count("/api/v2/assets/") == 1


def test_400_is_not_retried_and_carries_the_server_message(kobo: DevServer) -> None:
    uid = seed(kobo, 1)
    with KoboClient(kobo.url, TOKEN) as client, pytest.raises(KoboError) as err:
        client.get_json(f"/api/v2/assets/{uid}/data/", params={"limit": "0"})
    assert err.value.status == 400 and "limit: A positive integer is required" in str(err.value)
    assert kobo.request_count("/data/") == 1


@pytest.mark.parametrize("kind", ["429", "502", "drop", "truncate", "cut"])
def test_transient_faults_are_retried(kobo: DevServer, kind: str) -> None:
    uid = seed(kobo, 5)
    kobo.inject_fault(kind, times=2)
    with KoboClient(kobo.url, TOKEN, backoff=0.05) as client:
        body = client.get_json(f"/api/v2/assets/{uid}/data/")
    assert body["count"] == 5 and len(body["results"]) == 5
    assert kobo.request_count("/data/") == 3


def test_retries_give_up_with_one_clear_error(kobo: DevServer) -> None:
    uid = seed(kobo, 5)
    kobo.inject_fault("502", times=50)
    with KoboClient(kobo.url, TOKEN, retries=2, backoff=0.01) as client, pytest.raises(KoboError) as err:
        client.get_json(f"/api/v2/assets/{uid}/data/")
    assert err.value.status == 502 and "HTTP 502" in str(err.value)
    assert kobo.request_count("/data/") == 3


def test_unreachable_server_is_a_clear_error() -> None:
    server = DevServer().bind()
    url = server.url
    server._server.server_close()  # the port is now closed: connection refused
    with KoboClient(url, TOKEN, retries=1, backoff=0.01) as client, pytest.raises(KoboError) as err:
        client.get_json("/me/")
    assert err.value.status is None and f"cannot reach {url}" in str(err.value)


@pytest.mark.parametrize("bad", ["kf.kobotoolbox.org", "ftp://x", "https://user:pw@kf.kobotoolbox.org", ""])
def test_server_urls_are_checked(bad: str) -> None:
    with pytest.raises(QafError):
        normalize_server(bad)
    assert normalize_server("https://eu.kobotoolbox.org/") == "https://eu.kobotoolbox.org"


@pytest.mark.parametrize("cap", [100, 1000, 30000])
@pytest.mark.parametrize("workers", [1, 4])
def test_pages_after_an_id_are_exact_whatever_the_cap(cap: int, workers: int) -> None:
    with DevServer(token=TOKEN, max_page_size=cap) as server:
        uid = seed(server, 1234)
        ids = [r["_id"] for r in server.submissions(uid)]
        with KoboClient(server.url, TOKEN) as client:
            got = [r["_id"] for p in iter_pages_after(client, uid, ids[33], workers=workers) for r in p.results]
            assert got == ids[34:]
            some = fetch_by_ids(client, uid, ids[::7])
        assert [r["_id"] for r in some] == ids[::7]


def test_offset_paging_falls_back_to_keyset_when_rows_vanish_midway(kobo: DevServer) -> None:
    uid = seed(kobo, 1000)
    kobo.max_page_size = 100
    ids = [r["_id"] for r in kobo.submissions(uid)]
    with KoboClient(kobo.url, TOKEN) as client:
        pages = iter_pages_after(client, uid, 0, workers=2)
        first = next(pages)
        kobo.delete_submission(first.results[5]["meta/rootUuid"], uid)  # shifts every later offset by one
        got = [r["_id"] for r in first.results] + [r["_id"] for p in pages for r in p.results]
    assert got == ids  # the deleted row was read before it vanished; nothing skipped, nothing twice


def test_cli_errors_are_one_line_with_exit_code_2(kobo: DevServer, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path) -> None:
    uid = seed(kobo, 1)
    runner = CliRunner()
    store = str(tmp_path / "s.sqlite")
    monkeypatch.setenv("KOBO_TOKEN", TOKEN)
    missing = runner.invoke(main, ["sync", "--server", kobo.url, "--asset", "aMissing", "--store", store])
    assert (missing.exit_code, missing.output) == (2, f"error: {ASSET_NOT_FOUND}\n")
    monkeypatch.setenv("KOBO_TOKEN", "not-the-token")
    invalid = runner.invoke(main, ["sync", "--server", kobo.url, "--asset", uid, "--store", store])
    assert invalid.exit_code == 2 and invalid.output.startswith("error: the Kobo server rejected the API token (401")
    assert invalid.output.count("\n") == 1 and "Traceback" not in invalid.output
    status = json.loads(runner.invoke(main, ["status", "--store", store, "--json"]).output)
    assert "401" in status["last_error"]


def test_a_missing_asset_on_a_server_under_a_path_prefix_gets_the_hint(kobo: DevServer) -> None:
    # https://host/kobo: every API path starts with /kobo, which the devserver (like a wrong prefix) answers 404
    with KoboClient(kobo.url + "/kobo", TOKEN) as client, pytest.raises(KoboError) as err:
        client.get_json("/api/v2/assets/aNoSuchAsset/data/")
    assert kobo.requests[-1][1] == "/kobo/api/v2/assets/aNoSuchAsset/data/"
    assert err.value.status == 404 and str(err.value) == ASSET_NOT_FOUND


class UndercountingClient(KoboClient):
    """A client of a server whose ``count`` is lower than the rows it holds (it says one page; ``next`` says more)."""

    def get_json(self, path_or_url, params=None):  # type: ignore[no-untyped-def]
        body = super().get_json(path_or_url, params)
        if isinstance(body, dict) and "results" in body:
            body["count"] = len(body["results"])
        return body


def test_paging_follows_next_when_count_says_there_is_one_page(kobo: DevServer) -> None:
    uid = seed(kobo, 2500)
    ids = [r["_id"] for r in kobo.submissions(uid)]
    with UndercountingClient(kobo.url, TOKEN) as client:
        got = [r["_id"] for p in iter_pages_after(client, uid, 0, workers=4) for r in p.results]
    assert got == ids


def test_a_retried_502_and_dropped_connection_then_an_error_print_exactly_one_line(kobo: DevServer, tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    kobo.inject_fault("502", times=1, path="/api/v2/assets/aMissing/")  # each retried, then the 404
    kobo.inject_fault("drop", times=1, path="/api/v2/assets/aMissing/")
    cli = str(Path(sys.executable).with_name("qaf-kobo"))
    done = subprocess.run([cli, "sync", "--server", kobo.url, "--asset", "aMissing", "--store",
                           str(tmp_path / "s.sqlite")], env={**os.environ, "KOBO_TOKEN": TOKEN},
                          capture_output=True, text=True, timeout=60)
    assert kobo.request_count("/api/v2/assets/aMissing/") == 3
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"error: {ASSET_NOT_FOUND}\n")
    verbose = subprocess.run([cli, "-v", "sync", "--server", kobo.url, "--asset", "aMissing", "--store",
                              str(tmp_path / "s.sqlite")], env={**os.environ, "KOBO_TOKEN": TOKEN},
                             capture_output=True, text=True, timeout=60)
    assert verbose.returncode == 2 and "urllib3" in verbose.stderr  # -v still shows the HTTP detail
