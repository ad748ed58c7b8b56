"""The Central session token goes only to the ``--server`` origin (scheme, host, port): a next link that Central
built from its configured domain (another address, as behind a proxy) and a redirect elsewhere are refused with
one error naming both origins, and a listener on that other port receives nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from werkzeug.wrappers import Request, Response

from qaf_kobo.central.client import CentralClient, CentralError
from qaf_kobo.central.credentials import load_credentials
from qaf_kobo.central.submissions import iter_pages
from qaf_kobo.devserver.central import CentralDevServer

from canned_server import CannedServer, json_answer
from central_server import EMAIL, PASSWORD, seed, write_config


def test_a_next_link_on_another_origin_is_refused_and_the_token_never_sent(tmp_path: Path) -> None:
    with CannedServer(lambda request: json_answer({"value": []})) as elsewhere, \
            CentralDevServer(email=EMAIL, password=PASSWORD, public_url=elsewhere.url) as central:
        pid, fid, _ = seed(central, 5)
        creds = load_credentials(write_config(tmp_path / "c.toml", central.url))
        with CentralClient(central.url, creds) as client:
            token = client.session.headers["Authorization"].split()[1]
            pages = iter_pages(client, pid, fid, top=2)
            assert len(next(pages).rows) == 2  # the first page comes from --server itself
            with pytest.raises(CentralError) as err:
                next(pages)
    text = str(err.value)
    assert elsewhere.url.replace("http://", "") in text and central.url.replace("http://", "") in text
    assert token not in text and PASSWORD not in text
    assert elsewhere.received == []


def test_a_redirect_to_another_origin_is_refused_and_the_token_never_sent(tmp_path: Path) -> None:
    with CannedServer(lambda request: json_answer({"id": 1})) as elsewhere:
        def home_answer(request: Request) -> Response:
            if request.path == "/v1/sessions":
                return json_answer({"token": "t" * 64})
            return Response("", 302, {"Location": elsewhere.url + request.path})

        with CannedServer(home_answer) as home:
            creds = load_credentials(write_config(tmp_path / "c.toml", home.url))
            with CentralClient(home.url, creds) as client, pytest.raises(CentralError) as err:
                client.get_json("projects/1")
    text = str(err.value)
    assert "a redirect from" in text and elsewhere.url.replace("http://", "") in text
    assert home.url.replace("http://", "") in text and "t" * 64 not in text
    assert elsewhere.received == []
