"""Fault injection: a WSGI middleware that makes chosen requests fail the way proxies and networks do.

It wraps any app and knows nothing about its routes: a fault applies to requests whose path (with the query
string) contains a given text.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

FAULT_KINDS = ("429", "502", "drop", "truncate", "cut", "echo")


@dataclass
class _Fault:
    kind: str
    remaining: int
    path: str
    retry_after: int
    skip: int


def _close(environ: dict[str, Any]) -> None:
    """Close the client's connection at once (a dropped connection)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class FaultInjector:
    """WSGI middleware around ``app``; requests that no fault matches pass through untouched."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._faults: list[_Fault] = []
        self._hooks: list[list[Any]] = []  # [path, requests still to let through, action]
        self._lock = threading.Lock()

    def hook(self, path: str, action: Callable[[], None], after: int = 0) -> None:
        """Run ``action()`` once, before a request whose path (with query string) contains ``path`` reaches the
        app, after letting ``after`` such requests through: a test changes the data between two pages of a sync."""
        with self._lock:
            self._hooks.append([path, after, action])

    def _run_hook(self, path: str) -> None:
        action = None
        with self._lock:
            for hook in self._hooks:
                if hook[0] in path:
                    if hook[1] > 0:
                        hook[1] -= 1
                        continue
                    self._hooks.remove(hook)
                    action = hook[2]
                    break
        if action is not None:
            action()

    def inject(self, kind: str, times: int = 1, path: str = "", retry_after: int = 1, after: int = 0) -> None:
        """Make ``times`` requests whose path (with query string) contains ``path`` fail, after letting ``after``
        of them through: ``429`` (with Retry-After), ``502`` (a proxy's HTML page), ``drop`` (connection closed,
        no answer), ``truncate`` (body cut short, consistent length), ``cut`` (connection closed half-way through
        the announced body) or ``echo`` (400 whose text echoes the request's Authorization header, as a careless
        proxy might). Only ``truncate`` and ``cut`` let the request reach the app."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}")
        with self._lock:
            self._faults.append(_Fault(kind, times, path, retry_after, after))

    def clear(self) -> None:
        """Forget the faults not yet used."""
        with self._lock:
            self._faults.clear()
            self._hooks.clear()

    def _take(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.path in path:
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.remaining -= 1
                    return fault
        return None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = Request(environ).full_path
        self._run_hook(path)
        fault = self._take(path)
        if fault is None:
            return self.app(environ, start_response)
        if fault.kind == "drop":
            start_response("500 Dropped", [])
            _close(environ)
            return [b""]
        if fault.kind in ("truncate", "cut"):
            response = self._mangled(fault.kind, Response.from_app(self.app, environ, buffered=True), environ)
        elif fault.kind == "429":
            response = self.throttled(fault.retry_after)
        elif fault.kind == "echo":
            response = Response(f"Bad request. Request headers: Authorization: {environ.get('HTTP_AUTHORIZATION', '')}"
                                f"; Accept: {environ.get('HTTP_ACCEPT', '')}", 400, content_type="text/plain")
        else:
            response = Response("<html><body><h1>502 Bad Gateway</h1></body></html>", 502, content_type="text/html")
        return response(environ, start_response)

    def throttled(self, retry_after: int) -> Response:
        """The 429 answer (Django REST framework's throttle message)."""
        return Response(json.dumps({"detail": f"Request was throttled. Expected available in {retry_after} seconds."}),
                        429, {"Retry-After": str(retry_after)}, content_type="application/json")

    @staticmethod
    def _mangled(kind: str, response: Response, environ: dict[str, Any]) -> Response:
        body = response.get_data()
        half = body[: max(1, len(body) // 2)]
        if kind == "truncate":
            response.set_data(half)
            return response

        def cut() -> Iterator[bytes]:
            yield half
            _close(environ)

        cut_response = Response(cut(), status=response.status_code, content_type=response.content_type,
                                direct_passthrough=True)
        cut_response.headers["Content-Length"] = str(len(body))
        return cut_response
