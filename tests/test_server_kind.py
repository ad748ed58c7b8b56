"""Which kind of server a URL is, asked of the local KoboToolbox- and Central-compatible servers over HTTP."""

from __future__ import annotations

import pytest
from werkzeug.wrappers import Response

from qaf_kobo.devserver import DevServer
from qaf_kobo.devserver.central import CentralDevServer
from qaf_kobo.devserver.loopback import LoopbackServer
from qaf_kobo.errors import QafError
from qaf_kobo.remote.kinds import detect_kind, server_kind


def test_each_server_is_told_apart_without_credentials() -> None:
    with DevServer(token="t") as kobo, CentralDevServer(email="a@b.org", password="p" * 20) as central:
        assert detect_kind(kobo.url) == "kobo"
        assert detect_kind(central.url + "/") == "central"
        assert detect_kind(central.url + "/v1") == "central"
        assert server_kind(kobo.url, "central") == "central"  # --kind is taken as given
        assert central.request_count("/v1/sessions", "POST") == 0


def test_another_server_or_none_is_a_clear_error() -> None:
    page = lambda environ, start_response: Response("<h1>Welcome</h1>", 404)(environ, start_response)  # noqa: E731
    with LoopbackServer(page) as other:
        with pytest.raises(QafError, match="cannot tell whether .* give --kind kobo|central"):
            detect_kind(other.url)
    with pytest.raises(QafError, match="cannot reach http://127.0.0.1:9"):
        detect_kind("http://127.0.0.1:9")
    with pytest.raises(QafError, match="--kind must be kobo or central"):
        server_kind("http://127.0.0.1:9", "ona")
