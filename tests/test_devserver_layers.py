"""The layers any compatible dev server is built from, on a trivial app: the loopback server (port and host
checks, body limit, bounded request log) and the fault injector (each kind; which faults reach the app)."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.wrappers import Request

from qaf_kobo.devserver.faults import FaultInjector
from qaf_kobo.devserver.loopback import LoopbackServer, RequestLog

BODY = b'{"answer": "' + b"x" * 200 + b'"}'


class Echo:
    """A WSGI app that counts its calls and answers BODY (or the length of the body it read)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.calls += 1
        body = BODY
        if environ["REQUEST_METHOD"] == "POST":
            body = str(len(Request(environ).get_data())).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


@pytest.fixture
def app() -> Echo:
    return Echo()


@pytest.fixture
def faulty(app: Echo) -> Iterator[tuple[LoopbackServer, FaultInjector]]:
    faults = FaultInjector(app)
    with LoopbackServer(faults, max_content_length=1000) as server:
        yield server, faults


def test_counts_stay_exact_when_the_recent_window_rolls_over() -> None:
    log = RequestLog(recent=3)
    for i in range(10):
        log.add("GET", f"/data/{i % 2}")
    log.add("POST", "/data/0")
    assert log.count("/data/") == 10 and log.count("/data/1") == 5 and log.count("/data/", "POST") == 1
    assert log.recent() == [("GET", "/data/0"), ("GET", "/data/1"), ("POST", "/data/0")]


def test_a_log_over_its_distinct_path_bound_refuses_to_count() -> None:
    log = RequestLog(max_paths=2)
    for path in ("/a", "/b", "/a"):
        log.add("GET", path)
    assert log.count("/a") == 2
    log.add("GET", "/c")
    log.add("GET", "/a")  # known paths are still counted, and the window still moves
    assert log.recent()[-1] == ("GET", "/a")
    with pytest.raises(RuntimeError, match="1 requests to paths beyond the first 2 were not counted"):
        log.count("/a")


@pytest.mark.parametrize("port", [99999, -5, 65536, True])
def test_a_port_outside_0_65535_is_refused(app: Echo, port: Any) -> None:
    with pytest.raises(ValueError, match="from 0 to 65535"):
        LoopbackServer(app, port=port)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org", ""])
def test_only_loopback_addresses_are_served(app: Echo, host: str) -> None:
    with pytest.raises(ValueError, match="loopback address only"):
        LoopbackServer(app, host=host)


def test_negative_latency_is_refused(app: Echo) -> None:
    with pytest.raises(ValueError, match="latency"):
        LoopbackServer(app, latency=-1)


def test_a_body_over_the_limit_gets_413_before_it_is_read(app: Echo) -> None:
    with LoopbackServer(app, max_content_length=1000) as server:
        assert requests.post(server.url, data=b"y" * 1000, timeout=10).text == "1000"
        # announce 300 MB and send none of it: the answer comes at once, and the app never runs
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.putrequest("POST", "/upload")
        conn.putheader("Content-Length", "300000000")
        conn.endheaders()
        answer = conn.getresponse()
        assert answer.status == 413 and b"at most 1000 bytes" in answer.read()
        conn.close()
        assert app.calls == 1
        # a body sent in chunks is stopped at the limit
        chunked = requests.post(server.url, data=iter([b"z" * 600, b"z" * 600]), timeout=10)
        assert chunked.status_code == 413
        assert server.request_count(method="POST") == 3


def test_each_fault_kind(faulty: tuple[LoopbackServer, FaultInjector], app: Echo) -> None:
    server, faults = faulty
    faults.inject("429", path="/a", retry_after=7)
    faults.inject("502", path="/b")
    faults.inject("echo", path="/c")
    throttled = requests.get(f"{server.url}/a", timeout=10)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    assert requests.get(f"{server.url}/b", timeout=10).status_code == 502
    echoed = requests.get(f"{server.url}/c", headers={"Authorization": "Token abc"}, timeout=10)
    assert echoed.status_code == 400 and "Authorization: Token abc" in echoed.text
    assert app.calls == 0  # these answer in the app's place
    faults.inject("drop", path="/d")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/d", timeout=10)
    assert app.calls == 0
    faults.inject("truncate", path="/e")
    truncated = requests.get(f"{server.url}/e", timeout=10)
    assert truncated.content == BODY[: len(BODY) // 2] and truncated.headers["Content-Length"] == str(len(BODY) // 2)
    faults.inject("cut", path="/f")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(f"{server.url}/f", timeout=10)
    assert app.calls == 2
    assert requests.get(f"{server.url}/a", timeout=10).content == BODY  # every fault used up
    assert server.request_count("/") == 7


def test_faults_count_down_after_skipping_and_can_be_cleared(faulty: tuple[LoopbackServer, FaultInjector]) -> None:
    server, faults = faulty
    faults.inject("502", times=2, path="page=", after=1)
    codes = [requests.get(f"{server.url}/data/?page={i}", timeout=10).status_code for i in range(4)]
    assert codes == [200, 502, 502, 200]
    assert requests.get(f"{server.url}/data/", timeout=10).status_code == 200  # the query string did not match
    faults.inject("502", times=5)
    faults.clear()
    assert requests.get(f"{server.url}/x", timeout=10).status_code == 200
    with pytest.raises(ValueError, match="fault kind"):
        faults.inject("503")
