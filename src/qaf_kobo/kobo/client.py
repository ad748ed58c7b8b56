"""One small HTTP session for the KoboToolbox API: base URL, token header, timeouts, retries, one error type."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

import requests

from qaf_kobo.errors import QafError
from qaf_kobo.http import (
    DEFAULT_MAX_WAIT,
    RETRY_STATUSES,
    IncompleteAnswer,
    Notice,
    OriginError,
    RemoteSession,
    redact,
    retry_after_seconds,
    seconds_text,
)
from qaf_kobo.http import normalize_server as _normalize
from qaf_kobo.network_problem import network_problem

log = logging.getLogger(__name__)

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
    return _normalize(server, example="https://kf.kobotoolbox.org or https://eu.kobotoolbox.org",
                      secrets_from="KOBO_TOKEN or the token file")


def _server_message(resp: requests.Response, secret: str) -> str:
    """The server's own explanation from an error response (``detail``, ``error`` or the field errors), at most
    200 characters, with ``secret`` (the token) replaced by ``***`` before it is cut."""
    try:
        body = resp.json()
    except ValueError:
        return redact(resp.text.strip(), [secret])[:200]
    if isinstance(body, dict):
        for key in ("detail", "error"):
            if isinstance(body.get(key), str):
                return redact(body[key], [secret])[:200]
        text = "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in body.items())
        return redact(text, [secret])[:200]
    return redact(str(body), [secret])[:200]


class KoboClient:
    """A session on one Kobo server: ``Authorization: Token …`` and ``Accept: application/json`` on every call.

    Retries with backoff on 429, 502, 503, 504 and dropped connections; a JSON body that arrives cut short is
    fetched again. No retry on 400/401/403/404, nor on an answer that is not JSON at all (an HTML page). A
    Retry-After up to ``max_wait`` seconds is obeyed and announced through ``notice`` (default: a logged
    warning); a longer one ends the request with a KoboError. The token goes only to the server's own origin
    (scheme, host, port): a URL or a redirect elsewhere is refused before anything is sent there. Safe to share
    between threads for GETs.
    """

    def __init__(self, server: str, token: str, *, timeout: tuple[float, float] = (10.0, 150.0),
                 retries: int = 6, backoff: float = 0.5, pool_size: int = 8, max_wait: float = DEFAULT_MAX_WAIT,
                 notice: Notice | None = None) -> None:
        self.server = normalize_server(server)
        self.timeout, self.retries, self.backoff, self.max_wait = timeout, retries, backoff, max_wait
        self.session = RemoteSession(self.server, timeout=timeout, retries=retries, backoff=backoff,
                                     pool_size=pool_size, max_wait=max_wait, notice=notice)
        self.session.headers.update({"Authorization": f"Token {token}", "Accept": "application/json"})
        self._token = token

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far (retries by urllib3 not counted)."""
        return self.session.requests_made

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
        """An absolute URL on this server for an API path. An absolute URL (a ``next`` link) must be on the server's
        own origin — the token goes nowhere else, and never from https to http — else it is a KoboError."""
        try:
            return self.session.url(path_or_url)
        except OriginError as err:
            raise self.error(str(err)) from None

    def get_json(self, path_or_url: str, params: dict[str, Any] | None = None) -> Any:
        """GET and decode JSON; a body cut short or garbled in transit is fetched again (with backoff). An answer
        that is plainly not JSON (an HTML page, say) is a KoboError at once."""
        def fetch() -> Any:
            resp = self._send("GET", path_or_url, params=params, body_errors=True)
            try:
                return resp.json()
            except RecursionError:
                raise self.error(f"the server's answer to GET {self._path(path_or_url)} is JSON nested too deeply "
                                 "to read") from None
            except ValueError:
                if not _maybe_json(resp):
                    raise self._not_json("GET", path_or_url, resp) from None
                raise

        try:
            return self.session.whole(fetch, f"GET {self._path(path_or_url)}")
        except IncompleteAnswer as err:
            raise self.error(str(err)) from None

    def post(self, path: str, *, data: dict[str, Any] | None = None, files: dict[str, Any] | None = None,
             json: Any = None) -> Any:
        """POST (form, multipart or JSON) and decode the JSON answer."""
        return self._decode(self._send("POST", path, data=data, files=files, json=json), "POST", path)

    def patch(self, path: str, json: Any) -> Any:
        """PATCH with a JSON body and decode the JSON answer."""
        return self._decode(self._send("PATCH", path, json=json), "PATCH", path)

    def error(self, text: str, status: int | None = None, server_message: str = "") -> KoboError:
        """A KoboError whose texts never contain this client's token (a proxy may echo request headers)."""
        return KoboError(redact(text, [self._token]), status, redact(server_message, [self._token]))

    def _path(self, path_or_url: str) -> str:
        if "://" in path_or_url:
            return urlsplit(path_or_url).path
        return urlsplit(self.server + "/" + path_or_url.lstrip("/")).path

    def _decode(self, resp: requests.Response, method: str, path: str) -> Any:
        try:
            return resp.json()
        except ValueError:
            raise self._not_json(method, path, resp) from None

    def _not_json(self, method: str, path: str, resp: requests.Response) -> KoboError:
        kind = resp.headers.get("Content-Type", "").split(";")[0].strip() or "no content type"
        what = "an HTML page" if "html" in kind or resp.text.lstrip()[:1] == "<" else f"text that is not JSON ({kind})"
        first = " ".join(_html_text(resp.text).split())[:120]
        return self.error(f"the server answered {method} {self._path(path)} with {what} (HTTP {resp.status_code}"
                          f"{': ' + repr(first) if first else ''}), not the JSON of the KoboToolbox API — check "
                          "--server: is it the KoboToolbox server itself, not a web page, login portal or proxy?",
                          resp.status_code)

    def _send(self, method: str, path_or_url: str, body_errors: bool = False, **kwargs: Any) -> requests.Response:
        """One request (urllib3 retries included); any non-2xx answer becomes a KoboError. With ``body_errors`` a
        body cut short is raised as ChunkedEncodingError for the caller to retry."""
        url = self.url(path_or_url)
        try:
            resp = self.session.request(method, url, **kwargs)
        except OriginError as err:
            raise self.error(str(err)) from None
        except requests.exceptions.ChunkedEncodingError:
            if body_errors:
                raise
            raise self.error(f"the server's answer to {method} {self._path(url)} was cut short") from None
        except requests.exceptions.RequestException as exc:
            raise self.error(network_problem(self.server, f"{method} {self._path(url)}", exc, self.retries + 1,
                                             self.timeout[1])) from None
        if resp.status_code >= 400:
            raise self._error(method, url, resp)
        return resp

    def _error(self, method: str, url: str, resp: requests.Response) -> KoboError:
        status, message, path = resp.status_code, _server_message(resp, self._token), self._path(url)
        wait = retry_after_seconds(resp.headers) if status in RETRY_STATUSES else None
        if wait is not None and wait > self.max_wait:
            text = (f"the server asked qaf-kobo to wait {seconds_text(wait)} before trying {method} {path} again "
                    f"(HTTP {status}, Retry-After: {resp.headers['Retry-After']}), longer than the "
                    f"{seconds_text(self.max_wait)} it waits (--max-wait); try again later")
        elif status == 401:
            text = f"the Kobo server rejected the API token (401: {message}) — check KOBO_TOKEN or the token file"
        elif status == 404 and _ASSET_PATH.search(path.rstrip("/") + "/"):
            text = ASSET_NOT_FOUND
        elif status == 403:
            text = f"the token has no permission for {method} {path} (403: {message})"
        else:
            text = f"{method} {path} failed: HTTP {status}: {message}"
        return self.error(text, status, message)


def _maybe_json(resp: requests.Response) -> bool:
    """Whether an answer that did not decode may be JSON cut or garbled in transit (worth fetching again), rather
    than an answer of another kind (an HTML page, plain text)."""
    kind = resp.headers.get("Content-Type", "").lower()
    return (not kind or "json" in kind) and resp.text.lstrip()[:1] != "<"


def _html_text(text: str) -> str:
    """The readable start of an HTML (or text) answer: the title or the first text, without tags."""
    title = re.search(r"<title[^>]*>(.*?)</title>", text[:5000], re.S | re.I)
    return title.group(1) if title else re.sub(r"<[^>]*>", " ", text[:2000])
