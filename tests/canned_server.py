"""A tiny HTTP server on 127.0.0.1 that gives canned answers and records every request with its headers.

For answers the KoboToolbox-compatible devserver never gives — an HTML page with status 200, a row without
``_id``, a ``next`` link to another port, a Retry-After in 2037. Real HTTP over loopback, in a thread.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

Answer = Callable[[Request], Response]


@dataclass(frozen=True)
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


def json_answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response."""
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def asset_and_data(data: Callable[[Request], Response]) -> Answer:
    """A KoboToolbox asset (``/api/v2/assets/<uid>/``, deployed) whose ``/data/`` answers come from ``data``."""

    def answer(request: Request) -> Response:
        if request.path.endswith("/data/"):
            return data(request)
        if request.path.startswith("/api/v2/assets/"):
            return json_answer({"uid": request.path.split("/")[4], "deployed_version_id": "v1"})
        return json_answer({"detail": "Not found."}, 404)

    return answer


class CannedServer:
    """``with CannedServer(answer) as server:`` — ``answer(request)`` gives each response; ``server.received``
    lists the requests, ``server.url`` is ``http://127.0.0.1:<port>``."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> CannedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _app(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        with self._lock:
            self.received.append(Received(request.method, request.path, dict(request.args), dict(request.headers)))
        return self.answer(request)(environ, start_response)
