"""The loopback HTTP server that a KoboToolbox- or ODK-compatible dev server runs on.

:class:`LoopbackServer` serves any WSGI app on 127.0.0.1 (port 0 = a free port) in a thread or in the
foreground, adds latency, mounts static folders, refuses bodies over a size limit before reading them and keeps
a bounded :class:`RequestLog`. It knows nothing about the API it serves.
"""

from __future__ import annotations

import io
import ipaddress
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Self

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.shared_data import SharedDataMiddleware
from werkzeug.serving import LISTEN_QUEUE, BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import get_content_length

WSGIApp = Any  # a WSGI callable (environ, start_response) -> iterable of bytes


class RequestLog:
    """The requests a server received: exact counts per (method, path), and the ``recent`` latest ones.

    Memory is bounded: the recent requests roll over, and counts are kept for at most ``max_paths`` distinct
    (method, path). Past that, :meth:`count` raises instead of answering wrong.
    """

    def __init__(self, recent: int = 1000, max_paths: int = 10_000) -> None:
        self._recent: deque[tuple[str, str]] = deque(maxlen=recent)
        self._counts: Counter[tuple[str, str]] = Counter()
        self._max_paths = max_paths
        self._uncounted = 0
        self._lock = threading.Lock()

    def add(self, method: str, path: str) -> None:
        """Record one request."""
        key = (method, path)
        with self._lock:
            self._recent.append(key)
            if key in self._counts or len(self._counts) < self._max_paths:
                self._counts[key] += 1
            else:
                self._uncounted += 1

    def count(self, path_contains: str = "", method: str = "GET") -> int:
        """How many requests with this method had a path containing ``path_contains``."""
        with self._lock:
            if self._uncounted:
                raise RuntimeError(f"request log full: {self._uncounted} requests to paths beyond the first "
                                   f"{self._max_paths} were not counted")
            return sum(n for (m, p), n in self._counts.items() if m == method and path_contains in p)

    def recent(self) -> list[tuple[str, str]]:
        """The latest requests as (method, path), oldest first."""
        with self._lock:
            return list(self._recent)


class _CappedInput(io.RawIOBase):
    """A request body of unannounced length (chunked) that raises RequestEntityTooLarge past ``limit`` bytes."""

    def __init__(self, stream: Any, limit: int) -> None:
        self._stream, self._left = stream, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._stream.readinto(buffer)
        self._left -= count
        if self._left < 0:
            raise RequestEntityTooLarge()
        return count


def check_port(port: int) -> int:
    """``port`` if it is a TCP port number (0 = a free port), else ValueError."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"the port must be a number from 0 to 65535 (0 = any free port), not {port!r}")
    return port


def check_loopback(host: str) -> str:
    """``host`` if it is a loopback address, else ValueError (these servers never listen on a network)."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the server listens on a loopback address only (127.0.0.1, ::1, localhost), not {host!r}")
    return host


class _Handler(WSGIRequestHandler):
    """werkzeug's handler, except that a ``Date`` header the app sets (a server with its own clock) replaces the
    one the HTTP server writes from the machine's clock, instead of following it as a second one."""

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "date":
            buffer = getattr(self, "_headers_buffer", [])
            buffer[:] = [line for line in buffer if not line.lower().startswith(b"date:")]
        super().send_header(keyword, value)


class _QuietHandler(_Handler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """No access log (tests and benchmarks make thousands of requests)."""


class LoopbackServer:
    """Serves ``app`` on a loopback address. Use as a context manager (``with server: server.url``) or call
    ``serve_forever()``.

    ``latency`` seconds are added to every request; ``static`` mounts folders at URL prefixes
    (``{"/enketo/": Path("web")}``); a body over ``max_content_length`` bytes gets 413 before it is read;
    ``quiet``: no access log on stderr.
    """

    def __init__(self, app: WSGIApp, *, host: str = "127.0.0.1", port: int = 0, latency: float = 0.0,
                 static: dict[str, Path] | None = None, max_content_length: int | None = None,
                 quiet: bool = True) -> None:
        if latency < 0:
            raise ValueError(f"the latency must be 0 seconds or more, not {latency}")
        self.host, self.port = check_loopback(host), check_port(port)
        self.latency = latency
        self.max_content_length = max_content_length
        self.quiet = quiet
        self.log = RequestLog()
        if static:
            app = SharedDataMiddleware(app, {prefix.rstrip("/"): str(path) for prefix, path in static.items()})
        self._inner = app
        self._base = ""
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # --- running --------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL (``http://127.0.0.1:<port>``) once bound."""
        return self._base

    def bind(self) -> Self:
        """Bind the socket (port 0 = a free port) without serving yet; OSError if it cannot be bound."""
        handler = _QuietHandler if self.quiet else _Handler
        # Bound here, not by werkzeug: on failure werkzeug prints to stderr and calls sys.exit(1).
        with socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET) as listener:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(LISTEN_QUEUE)
            self._server = make_server(self.host, self.port, self.app, threaded=True, request_handler=handler,
                                       fd=listener.fileno())  # werkzeug serves a duplicate of the socket
        self.port = self._server.port
        self._base = f"http://{self.host}:{self.port}"
        return self

    def start(self) -> Self:
        """Serve in a background thread."""
        if self._server is None:
            self.bind()
        assert self._server is not None
        self._thread = threading.Thread(target=self._server.serve_forever, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        if self._server is None:
            self.bind()
        assert self._server is not None
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the request log ------------------------------------------------------------------------------------
    def request_count(self, path_contains: str = "", method: str = "GET") -> int:
        """How many requests with this method reached a path containing ``path_contains`` (faults included)."""
        return self.log.count(path_contains, method)

    @property
    def requests(self) -> list[tuple[str, str]]:
        """The latest requests as (method, path), oldest first (a bounded window; see :class:`RequestLog`)."""
        return self.log.recent()

    # --- the WSGI front -------------------------------------------------------------------------------------
    def app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """The WSGI app actually served: log the request, wait ``latency``, enforce the body limit, then the
        static folders or the wrapped app."""
        request = Request(environ)
        self.log.add(request.method, request.path)
        if self.latency:
            time.sleep(self.latency)
        limit = self.max_content_length
        if limit is not None:
            length = get_content_length(environ)
            if length is not None and length > limit:
                return self._too_large(environ, start_response)
            if length is None and environ.get("wsgi.input_terminated"):  # chunked: stop reading at the limit
                environ["wsgi.input"] = _CappedInput(environ["wsgi.input"], limit)
        try:
            return self._inner(environ, start_response)
        except RequestEntityTooLarge:
            return self._too_large(environ, start_response)

    def _too_large(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        response = Response(f"Request body too large: this server accepts at most {self.max_content_length} bytes.\n",
                            413, {"Connection": "close"}, content_type="text/plain; charset=utf-8")
        return response(environ, start_response)
