"""The API token goes only to the configured server's origin (scheme, host, port): not to a ``next`` link that
points elsewhere, not through a redirect elsewhere (both refused with one error naming both origins), never from
https down to http."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.wrappers import Request, Response

from qaf_kobo.kobo.client import KoboClient, KoboError
from qaf_kobo.kobo.submissions import fetch_by_ids
from qaf_kobo.store import open_store
from qaf_kobo.sync.kobo import sync

from canned_server import CannedServer, asset_and_data, json_answer
from kobo_server import TOKEN

PAGE_CAP = 2


def rows(n: int) -> list[dict]:
    return [{"_id": i, "_uuid": f"u{i}", "meta/instanceID": f"uuid:u{i}", "meta/rootUuid": f"uuid:r{i}",
             "_xform_id_string": "aHome", "q": str(i)} for i in range(1, n + 1)]


class PagingKobo:
    """/data/ answers as KoboToolbox pages them (query ``_id`` $gt/$in, ``fields``, ``start``/``limit``, at most
    PAGE_CAP rows), except that every ``next`` link points to ``elsewhere``. The first id scan (a ``fields``
    request) finds ``edited`` rows changed, so that a full sync refetches them."""

    def __init__(self, stored: list[dict], elsewhere: str, edited: tuple[int, ...] = ()) -> None:
        self.rows, self.elsewhere, self.edited = stored, elsewhere, edited

    def __call__(self, request: Request) -> Response:
        query = json.loads(request.args.get("query", "{}")).get("_id", {})
        fields = json.loads(request.args["fields"]) if "fields" in request.args else None
        if fields and self.edited:
            for row in self.rows:
                if row["_id"] in self.edited:
                    row.update({"_uuid": f"{row['_uuid']}-e", "meta/instanceID": f"uuid:{row['_uuid']}-e", "q": "edited"})
            self.edited = ()
        chosen = [r for r in self.rows if r["_id"] > query.get("$gt", 0) and r["_id"] in query.get("$in", [r["_id"]])]
        start, limit = int(request.args.get("start", 0)), min(int(request.args.get("limit", 100)), PAGE_CAP)
        page = [{k: r[k] for k in fields if k in r} if fields else dict(r) for r in chosen[start:start + limit]]
        more = start + limit < len(chosen)
        link = f"{self.elsewhere}{request.full_path.split('?')[0]}?start={start + limit}&limit={limit}" if more else None
        return json_answer({"count": len(chosen), "next": link, "previous": None, "results": page})


def test_a_full_sync_never_sends_the_token_to_a_next_link_on_another_port(tmp_path: Path) -> None:
    with CannedServer(lambda request: json_answer({"count": 0, "next": None, "results": []})) as elsewhere:
        on_server = rows(7)
        with CannedServer(asset_and_data(PagingKobo(on_server, elsewhere.url, edited=(2, 3, 5)))) as home:
            store = tmp_path / "s.sqlite"
            result = sync(home.url, "aHome", TOKEN, store, full=True)
            assert all(r.headers.get("Authorization") == f"Token {TOKEN}" for r in home.received)
            refetches = [r for r in home.received if "$in" in r.query.get("query", "")]
        assert elsewhere.received == []
    assert (result.new, result.updated) == (7, 3)
    assert len(refetches) == 2  # 3 edited rows, 2 a page: the rest asked for again, from home
    with open_store(store) as st:
        assert st.active_submissions() == on_server


def test_an_absolute_url_on_another_origin_is_refused_before_anything_is_sent() -> None:
    with CannedServer(lambda request: json_answer({})) as elsewhere, \
            CannedServer(lambda request: json_answer({})) as home:
        with KoboClient(home.url, TOKEN) as client:
            assert client.get_json(home.url + "/api/v2/assets/") == {}  # the same origin: fine
            for url in (elsewhere.url + "/api/v2/assets/", home.url.replace("127.0.0.1", "localhost") + "/x/"):
                with pytest.raises(KoboError, match="qaf-kobo sends the API token to no other address") as err:
                    client.get_json(url)
                assert TOKEN not in str(err.value)
        assert elsewhere.received == [] and len(home.received) == 1


def test_https_is_never_downgraded_to_http() -> None:
    with KoboClient("https://127.0.0.1:8443", TOKEN) as client:
        with pytest.raises(KoboError, match=r"points to http://127.0.0.1:8443, which is not the server qaf-kobo "
                                            r"was given \(https://127.0.0.1:8443\)"):
            client.url("http://127.0.0.1:8443/api/v2/assets/aX/data/?start=2")
        assert client.url("https://127.0.0.1:8443/api/v2/assets/aX/data/") == \
            "https://127.0.0.1:8443/api/v2/assets/aX/data/"


def test_a_redirect_to_another_origin_is_refused_and_nothing_is_sent_there() -> None:
    with CannedServer(lambda request: json_answer({"moved": True})) as elsewhere:
        moved = lambda request: Response("", 302, {"Location": elsewhere.url + request.path})  # noqa: E731
        with CannedServer(moved) as home, KoboClient(home.url, TOKEN) as client:
            with pytest.raises(KoboError) as err:
                client.get_json("/api/v2/assets/")
            assert home.received[0].headers["Authorization"] == f"Token {TOKEN}"
        text = str(err.value)
        assert elsewhere.url.replace("http://", "") in text and home.url.replace("http://", "") in text
        assert "a redirect from" in text and TOKEN not in text
        assert elsewhere.received == []


def test_fetch_by_ids_continues_a_cut_page_from_the_server_itself() -> None:
    with CannedServer(lambda request: json_answer({})) as elsewhere:
        with CannedServer(asset_and_data(PagingKobo(rows(9), elsewhere.url))) as home, \
                KoboClient(home.url, TOKEN) as client:
            got = fetch_by_ids(client, "aHome", [9, 2, 4, 7, 5, 1])
        assert elsewhere.received == []
    assert [r["_id"] for r in got] == [1, 2, 4, 5, 7, 9]
