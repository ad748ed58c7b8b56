"""One small HTTP session for the KoboToolbox API: base URL, token header, timeouts, retries, one error type."""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from qaf_kobo.errors import QafError

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 502, 503, 504)
ASSET_NOT_FOUND = "asset not found, or the token has no access to it — check --server, --asset and the token"
_ASSET_PATH = re.compile(r"/api/v2/assets/[^/]+/")


class KoboError(QafError):
    """A request to the Kobo server failed; ``status`` is the HTTP status (None when the server was unreachable)."""

    def __init__(self, message: str, status: int | None = None, server_message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.server_message = server_message


def normalize_server(server: str) -> str:
    """The server's base URL (scheme://host[:port][/path]) without a trailing slash; a bad URL is a QafError."""
    parts = urlsplit(server.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise QafError("--server must be a URL such as https://kf.kobotoolbox.org or https://eu.kobotoolbox.org")
    if parts.username or parts.password:
        raise QafError("--server must not contain a user name or password; the token comes from KOBO_TOKEN or the token file")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _server_message(resp: requests.Response, secret: str) -> str:
    """The server's own explanation from an error response (``detail``, ``error`` or the field errors), at most
    200 characters, with ``secret`` (the token) replaced by ``***`` before it is cut."""
    try:
        body = resp.json()
    except ValueError:
        return redact(resp.text.strip(), secret)[:200]
    if isinstance(body, dict):
        for key in ("detail", "error"):
            if isinstance(body.get(key), str):
                return redact(body[key], secret)[:200]
        text = "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in body.items())
        return redact(text, secret)[:200]
    return redact(str(body), secret)[:200]


def redact(text: str, secret: str) -> str:
    """``text`` with every occurrence of ``secret`` replaced by ``***``."""
    return text.replace(secret, "***") if secret else text


class KoboClient:
    """A session on one Kobo server: ``Authorization: Token …`` and ``Accept: application/json`` on every call.

    Retries with backoff on 429 (honouring Retry-After), 502, 503, 504 and dropped connections; a JSON body
    that arrives cut short is fetched again. No retry on 400/401/403/404. Safe to share between threads for GETs.
    """

    def __init__(self, server: str, token: str, *, timeout: tuple[float, float] = (10.0, 150.0),
                 retries: int = 6, backoff: float = 0.5, pool_size: int = 8) -> None:
        self.server = normalize_server(server)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._lock = threading.Lock()
        self.requests_made = 0
        retry = Retry(total=retries, connect=retries, read=retries, status=retries, other=retries,
                      backoff_factor=backoff, backoff_max=30, status_forcelist=RETRY_STATUSES,
                      allowed_methods=frozenset({"GET", "HEAD"}), respect_retry_after_header=True,
                      raise_on_status=False)
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Authorization": f"Token {token}", "Accept": "application/json"})
        self._token = token

    def __repr__(self) -> str:
        return f"KoboClient({self.server!r})"

    def __enter__(self) -> KoboClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self.session.close()

    def url(self, path_or_url: str) -> str:
        """An absolute URL on this server for an API path (absolute URLs, e.g. ``next`` links, pass through)."""
        return path_or_url if "://" in path_or_url else self.server + "/" + path_or_url.lstrip("/")

    def get_json(self, path_or_url: str, params: dict[str, Any] | None = None) -> Any:
        """GET and decode JSON; a body cut short or garbled in transit is fetched again (with backoff)."""
        for attempt in range(self.retries + 1):
            try:
                return self._send("GET", path_or_url, params=params, body_errors=True).json()
            except (ValueError, requests.exceptions.ChunkedEncodingError) as exc:
                if attempt == self.retries:
                    raise self._kobo_error(f"the server's answer to GET {self._path(path_or_url)} was incomplete "
                                           f"{self.retries + 1} times in a row ({type(exc).__name__})")
                log.info("incomplete answer to GET %s (%s); retrying", self._path(path_or_url), type(exc).__name__)
                time.sleep(min(self.backoff * 2 ** attempt, 30))
        raise AssertionError("unreachable")

    def post(self, path: str, *, data: dict[str, Any] | None = None, files: dict[str, Any] | None = None,
             json: Any = None) -> Any:
        """POST (form, multipart or JSON) and decode the JSON answer."""
        return self._decode(self._send("POST", path, data=data, files=files, json=json), path)

    def patch(self, path: str, json: Any) -> Any:
        """PATCH with a JSON body and decode the JSON answer."""
        return self._decode(self._send("PATCH", path, json=json), path)

    def _path(self, path_or_url: str) -> str:
        return urlsplit(self.url(path_or_url)).path

    def _decode(self, resp: requests.Response, path: str) -> Any:
        try:
            return resp.json()
        except ValueError:
            raise self._kobo_error(f"the server's answer to {self._path(path)} is not JSON (HTTP "
                                   f"{resp.status_code})", resp.status_code) from None

    def _send(self, method: str, path_or_url: str, body_errors: bool = False, **kwargs: Any) -> requests.Response:
        """One request (urllib3 retries included); any non-2xx answer becomes a KoboError. With ``body_errors`` a
        body cut short is raised as ChunkedEncodingError for the caller to retry."""
        url = self.url(path_or_url)
        with self._lock:
            self.requests_made += 1
        try:
            resp = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.exceptions.ChunkedEncodingError:
            if body_errors:
                raise
            raise self._kobo_error(f"the server's answer to {method} {self._path(url)} was cut short") from None
        except requests.exceptions.RequestException as exc:
            reason = type(exc).__name__
            raise self._kobo_error(f"cannot reach {self.server} ({reason} on {method} {self._path(url)}) — check "
                                   "--server and the network") from None
        if resp.status_code >= 400:
            raise self._error(method, url, resp)
        return resp

    def _error(self, method: str, url: str, resp: requests.Response) -> KoboError:
        status, message, path = resp.status_code, _server_message(resp, self._token), self._path(url)
        if status == 401:
            text = f"the Kobo server rejected the API token (401: {message}) — check KOBO_TOKEN or the token file"
        elif status == 404 and _ASSET_PATH.search(path.rstrip("/") + "/"):
            text = ASSET_NOT_FOUND
        elif status == 403:
            text = f"the token has no permission for {method} {path} (403: {message})"
        else:
            text = f"{method} {path} failed: HTTP {status}: {message}"
        return self._kobo_error(text, status, message)

    def _kobo_error(self, text: str, status: int | None = None, server_message: str = "") -> KoboError:
        """A KoboError whose texts never contain this client's token (a proxy may echo request headers)."""
        return KoboError(redact(text, self._token), status, redact(server_message, self._token))
