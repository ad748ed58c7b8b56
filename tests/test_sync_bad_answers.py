"""A server answer that is not what KoboToolbox sends is one clear error naming that answer — no KeyError,
TypeError or ValueError, no retries for what is not a network fault — and the store keeps what it had."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.wrappers import Request, Response

from qaf_kobo.cli import main
from qaf_kobo.devserver import DevServer
from qaf_kobo.errors import QafError
from qaf_kobo.store import open_store
from qaf_kobo.sync.kobo import sync

from canned_server import CannedServer, asset_and_data, json_answer
from kobo_server import TOKEN, kobo, seed  # noqa: F401

ROW = {"_id": 1, "_uuid": "u1", "meta/rootUuid": "uuid:r1", "_xform_id_string": "aOdd", "q": "1"}
DATA = "the server's answer to GET /api/v2/assets/aOdd/data/"
LOGIN_PAGE = "<!DOCTYPE html><html><head><title>Sign in - Campus Wi-Fi</title></head><body><form>…</form></body></html>"


def page(*results: object, count: object = None) -> dict:
    return {"count": len(results) if count is None else count, "next": None, "previous": None,
            "results": list(results)}


def html(request: Request) -> Response:
    return Response(LOGIN_PAGE, 200, content_type="text/html; charset=utf-8")


ANSWERS = {
    "a row without _id": (lambda r: json_answer(page({k: v for k, v in ROW.items() if k != "_id"})),
                          f"{DATA}: submission 1 of the page has no _id (keys: [\"_uuid\", \"_xform_id_string\", "
                          "\"meta/rootUuid\", \"q\"])"),
    "an _id that is text": (lambda r: json_answer(page({**ROW, "_id": "1"})),
                            f"{DATA}: submission 1 of the page has _id \"1\", not a whole number"),
    "a row that is a list": (lambda r: json_answer(page(ROW, [1, 2])),
                             f"{DATA}: submission 2 of the page is a JSON list, not a JSON object"),
    "count abc": (lambda r: json_answer(page(ROW, count="abc")),
                  f"{DATA} gives the number of submissions as \"abc\" (\"count\"), not a number"),
    "results missing": (lambda r: json_answer({"detail": "ok"}),
                        f"{DATA} has no list of submissions (\"results\": null) — is --server a KoboToolbox server?"),
    "a list for a page": (lambda r: json_answer([ROW]),
                          f"{DATA} is a JSON list, not a page of submissions ({{\"count\", \"next\", \"results\"}}) — "
                          "is --server a KoboToolbox server?"),
    "an HTML page with status 200": (html, "the server answered GET /api/v2/assets/aOdd/data/ with an HTML page (HTTP "
                                           "200: 'Sign in - Campus Wi-Fi'), not the JSON of the KoboToolbox API — "
                                           "check --server: is it the KoboToolbox server itself, not a web page, "
                                           "login portal or proxy?"),
    "a row the store cannot keep": (lambda r: json_answer(page({**ROW, "__version__": ["v1"]})),
                                    "the server sent a submission of asset aOdd that qaf-kobo cannot store (_id 1, "
                                    "meta/rootUuid \"uuid:r1\"): __version__ is a list, not text"),
}


@pytest.mark.parametrize("case", list(ANSWERS))
def test_an_answer_that_is_not_a_kobo_page_is_one_clear_error(case: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    answer, message = ANSWERS[case]
    store = tmp_path / "s.sqlite"
    monkeypatch.setenv("KOBO_TOKEN", TOKEN)
    with CannedServer(asset_and_data(answer)) as server:
        result = CliRunner().invoke(main, ["sync", "--server", server.url, "--asset", "aOdd", "--store", str(store)])
        data_requests = sum(r.path.endswith("/data/") for r in server.received)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
    assert data_requests == 1  # not a network fault: asked once
    with open_store(store) as st:
        assert st.status().submissions == 0 and message in (st.status().last_error or "")


def test_an_html_asset_answer_is_not_retried_either(tmp_path: Path) -> None:
    with CannedServer(html) as server:
        with pytest.raises(QafError, match=r"^the server answered GET /api/v2/assets/aOdd/ with an HTML page"):
            sync(server.url, "aOdd", TOKEN, tmp_path / "s.sqlite")
        assert len(server.received) == 1


def test_an_asset_answer_that_is_not_an_object_is_a_clear_error(tmp_path: Path) -> None:
    with CannedServer(lambda request: json_answer(["not", "an", "asset"])) as server:
        with pytest.raises(QafError, match=r"^the server's answer to GET /api/v2/assets/aOdd/ is not an asset \(a "
                                           r"JSON list\) — is --server a KoboToolbox server\?$"):
            sync(server.url, "aOdd", TOKEN, tmp_path / "s.sqlite")


def test_a_bad_page_after_good_ones_keeps_the_good_ones(tmp_path: Path) -> None:
    good = [{**ROW, "_id": i, "_uuid": f"u{i}", "meta/rootUuid": f"uuid:r{i}"} for i in (1, 2)]

    def data(request: Request) -> Response:
        after = json.loads(request.args["query"])["_id"]["$gt"]
        if after == 0:
            return json_answer({"count": 3, "next": "x", "previous": None, "results": good})
        return json_answer(page({"_uuid": "u3"}))

    store = tmp_path / "s.sqlite"
    with CannedServer(asset_and_data(data)) as server:
        with pytest.raises(QafError, match="submission 1 of the page has no _id"):
            sync(server.url, "aOdd", TOKEN, store, workers=1)
    with open_store(store) as st:
        assert st.active_submissions() == good and st.source_state(st.sources()[0].name)["last_id"] == "2"
    conn = sqlite3.connect(store)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_dropped_connections_are_not_called_unreachable(kobo: DevServer, tmp_path: Path) -> None:
    uid = seed(kobo, 3)
    kobo.inject_fault("drop", times=100)
    with pytest.raises(QafError) as err:
        sync(kobo.url, uid, TOKEN, tmp_path / "s.sqlite", retries=2)
    assert str(err.value) == (f"{kobo.url} closed the connection without answering GET /api/v2/assets/{uid}/data/, "
                              "3 times in a row (the server or a proxy in front of it is failing; try again later)")
    assert kobo.request_count("/data/") == 3


def test_a_closed_port_is_still_called_unreachable(tmp_path: Path) -> None:
    with CannedServer(lambda request: json_answer({})) as server:
        url = server.url
    with pytest.raises(QafError, match=rf"^cannot reach {url} \(NewConnectionError on GET /api/v2/assets/aX/\) — "
                                       "check --server and the network$"):
        sync(url, "aX", TOKEN, tmp_path / "s.sqlite", retries=1)


def central_with_rows(rows: object) -> Callable[[Request], Response]:
    """A Central server (login, project 1, form f) whose OData page of submissions holds ``rows``."""

    def answer(request: Request) -> Response:
        if request.path == "/v1/sessions":
            return json_answer({"token": "session-token", "expiresAt": "2099-01-01T00:00:00.000Z"})
        if request.path == "/v1/projects/1":
            return json_answer({"id": 1, "name": "P"})
        if request.path == "/v1/projects/1/forms/f":
            return json_answer({"projectId": 1, "xmlFormId": "f", "version": "1"})
        if request.path.endswith(".svc/Submissions"):
            return json_answer({"value": rows, "@odata.count": 1})
        return json_answer({"code": 404.1, "message": "Could not find the resource you were looking for."}, 404)

    return answer


CENTRAL_ROWS = {
    "a row without __id": ([{"meta": {"instanceID": "uuid:r1"}}], "row 1 of the page has no __id (a submission's id) "
                                                                    "— __id is null"),
    "an __id that is a number": ([{"__id": 7}], "row 1 of the page has no __id (a submission's id) — __id is 7"),
    "a row that is a list": ([{"__id": "uuid:r1"}, [1]], "row 2 of the page is a JSON list, not a submission"),
    "a __system that is a list": ([{"__id": "uuid:r1", "__system": ["x"]}],
                                  "row 1 of the page has a __system that is a JSON list, not an object of timestamps "
                                  "and states"),
}


def test_a_central_timestamp_that_is_not_one_keeps_the_row_and_leaves_the_watermark_alone(tmp_path: Path) -> None:
    from datetime import datetime, timedelta, timezone

    from qaf_kobo.central.credentials import CentralCredentials
    from qaf_kobo.central.submissions import CLOCK_MARGIN
    from qaf_kobo.sync.central import sync_central

    rows = [{"__id": "uuid:r1", "q": "1", "__system": {"submissionDate": "yesterday", "updatedAt": None}},
            {"__id": "uuid:r2", "q": "2", "__system": {"submissionDate": "2026-01-02T10:00:00.000Z"}}]
    store = tmp_path / "s.sqlite"
    with CannedServer(central_with_rows(rows)) as server:
        login = CentralCredentials(server.url, "me@example.org", "secret-password", "the test")
        began = datetime.now(timezone.utc)
        result = sync_central(server.url, 1, "f", login, store, source="c")
    assert result.new == 2
    with open_store(store) as st:
        # the watermark comes from the server's Date header, not from the rows' timestamps
        mark = datetime.fromisoformat(st.source_state("c")["watermark"].replace("Z", "+00:00"))
        assert began - timedelta(seconds=1) <= mark + CLOCK_MARGIN <= datetime.now(timezone.utc)
        assert sorted(r["q"] for r in st.active_submissions("c")) == ["1", "2"]


@pytest.mark.parametrize("case", list(CENTRAL_ROWS))
def test_a_central_row_that_is_not_a_submission_is_one_clear_error(case: str, tmp_path: Path) -> None:
    from qaf_kobo.central.credentials import CentralCredentials
    from qaf_kobo.sync.central import sync_central

    rows, message = CENTRAL_ROWS[case]
    store = tmp_path / "s.sqlite"
    with CannedServer(central_with_rows(rows)) as server:
        login = CentralCredentials(server.url, "me@example.org", "secret-password", "the test")
        with pytest.raises(QafError) as err:
            sync_central(server.url, 1, "f", login, store)
        odata = sum(r.path.endswith(".svc/Submissions") for r in server.received)
    assert str(err.value) == f"the answer to the submissions of form 'f': {message}"
    assert odata == 1  # not a network fault: asked once
    with open_store(store) as st:
        assert st.status().submissions == 0 and message in (st.status().last_error or "")


def test_https_to_a_plain_http_server_says_the_secure_connection_failed(tmp_path: Path) -> None:
    with CannedServer(lambda request: json_answer({})) as server:
        url = server.url.replace("http://", "https://")
        with pytest.raises(QafError) as err:
            sync(url, "aX", TOKEN, tmp_path / "s.sqlite", retries=1)
    assert str(err.value) == (f"the secure connection to {url} failed (SSLError on GET /api/v2/assets/aX/) — check "
                              "the server's certificate and whether --server should start with http:// or https://")
    assert TOKEN not in str(err.value)


def test_a_server_that_never_answers_is_called_stuck_not_unreachable() -> None:
    from qaf_kobo.kobo.client import KoboClient

    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return json_answer({"uid": "aX"})

    with CannedServer(slow) as server, KoboClient(server.url, TOKEN, timeout=(5.0, 0.2), retries=1,
                                                  backoff=0.01) as client:
        with pytest.raises(QafError) as err:
            client.get_json("/api/v2/assets/aX/")
        asked = len(server.received)
    assert str(err.value) == (f"{server.url} accepted the connection but sent no answer to GET /api/v2/assets/aX/ "
                              "within 0.2 s, 2 times — the server is overloaded or stuck; try again later")
    assert asked == 2  # retried once, then the clear error
