"""The one HTTP session both remote clients use: base URL, timeouts, urllib3 retries (Retry-After included) on
http and https alike, a request counter, and the origin guard — a link the server gives (a ``next`` page) and
every redirect must stay on the server's own origin, or the request is refused before anything is sent."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter

from qaf_kobo.errors import QafError
from qaf_kobo.http.retry import DEFAULT_MAX_WAIT, RETRY_STATUSES, Notice, PoliteRetry
from qaf_kobo.http.urls import checked_url

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD"})
T = TypeVar("T")


class IncompleteAnswer(QafError):
    """An answer's body arrived cut short or garbled every time it was asked for."""


class RemoteSession(requests.Session):
    """A requests session bound to one server (``base``; ``credential`` names what it carries, for messages): relative paths are joined to it, absolute URLs and
    redirects must stay on its origin (an :class:`~qaf_kobo.http.urls.OriginError` otherwise), every request has
    a timeout and is counted. Safe to share between threads for GETs."""

    def __init__(self, base: str, *, timeout: tuple[float, float] = (10.0, 150.0), retries: int = 6,
                 backoff: float = 0.5, pool_size: int = 8, max_wait: float = DEFAULT_MAX_WAIT,
                 notice: Notice | None = None, retry_methods: frozenset[str] = SAFE_METHODS,
                 credential: str = "the API token") -> None:
        super().__init__()
        self.base, self.timeout, self.retries, self.backoff = base, timeout, retries, backoff
        self.max_wait, self.credential = max_wait, credential
        self.requests_made = 0
        self._lock = threading.Lock()
        retry = PoliteRetry(total=retries, connect=retries, read=retries, status=retries, other=retries,
                            backoff_factor=backoff, backoff_max=30, status_forcelist=RETRY_STATUSES,
                            allowed_methods=retry_methods, respect_retry_after_header=True,
                            raise_on_status=False, max_wait=max_wait, notice=notice)
        adapter = HTTPAdapter(max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def url(self, path_or_url: str) -> str:
        """An absolute URL on this server: an API path joined to the base, an absolute URL (a next link) checked
        to be on the base's origin."""
        if "://" not in path_or_url:
            return self.base + "/" + path_or_url.lstrip("/")
        return checked_url(path_or_url, self.base, credential=self.credential)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """One request (urllib3's retries included) to :meth:`url`, with the session's timeout."""
        kwargs.setdefault("timeout", self.timeout)
        target = self.url(url.decode() if isinstance(url, bytes) else url)
        with self._lock:
            self.requests_made += 1
        return super().request(method, target, *args, **kwargs)

    def whole(self, fetch: Callable[[], T], what: str) -> T:
        """``fetch()``, again with backoff when the body it reads arrived cut short or garbled in transit
        (``ChunkedEncodingError``, or a ``ValueError`` from decoding it) — urllib3 retries only what fails before
        the body; an IncompleteAnswer after ``retries`` more tries."""
        for attempt in range(self.retries + 1):
            try:
                return fetch()
            except (ValueError, requests.exceptions.ChunkedEncodingError) as exc:
                if attempt == self.retries:
                    raise IncompleteAnswer(f"the server's answer to {what} was incomplete {self.retries + 1} times "
                                           f"in a row ({type(exc).__name__})") from None
                log.info("incomplete answer to %s (%s); retrying", what, type(exc).__name__)
                time.sleep(min(self.backoff * 2 ** attempt, 30))
        raise AssertionError("unreachable")

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        """A redirect elsewhere is refused before it is followed (requests alone would only compare each hop
        with the previous one, and send other headers on)."""
        checked_url(prepared_request.url or "", self.base, f"a redirect from {response.url.split('?')[0]}",
                    self.credential)
        super().rebuild_auth(prepared_request, response)
