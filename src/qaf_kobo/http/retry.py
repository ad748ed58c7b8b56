"""The retry policy of every remote session: backoff on 429/5xx and dropped connections, and a server's
Retry-After obeyed up to a limit, with a note saying what qaf-kobo is waiting for."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from urllib3.exceptions import InvalidHeader, MaxRetryError, ResponseError
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 502, 503, 504)
DEFAULT_MAX_WAIT = 60.0
"""Seconds qaf-kobo waits when the server asks for it (Retry-After); a longer wait is an error, not a pause."""
NOTE_AFTER = 5.0
"""A backoff at least this long is announced, like every Retry-After wait."""

Notice = Callable[[str], None]


def retry_after_seconds(headers: Any) -> float | None:
    """The wait a ``Retry-After`` header asks for, in seconds (a number or an HTTP date, read by urllib3); None
    when it is absent or unreadable (then the usual backoff applies)."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return float(_READER.parse_retry_after(value))
    except (InvalidHeader, OverflowError, ValueError):
        return None


def seconds_text(seconds: float) -> str:
    """A wait for people: "30 s", "2 min", "2 min 5 s", "3 h 20 min", "400 days"."""
    seconds = round(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min" + (f" {seconds % 60} s" if seconds % 60 else "")
    if seconds < 172800:
        return f"{seconds // 3600} h" + (f" {seconds % 3600 // 60} min" if seconds % 3600 // 60 else "")
    return f"{seconds // 86400} days"


class PoliteRetry(Retry):
    """urllib3's Retry, except that a Retry-After longer than ``max_wait`` ends the retries (the answer is then
    returned as it is, for the client to explain), and every wait of Retry-After or a long backoff is announced
    through ``notice``."""

    def __init__(self, *args: Any, max_wait: float = DEFAULT_MAX_WAIT, notice: Notice | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_wait = max_wait
        self.notice = notice

    def new(self, **kwargs: Any) -> PoliteRetry:
        kwargs.setdefault("max_wait", self.max_wait)
        kwargs.setdefault("notice", self.notice)
        return super().new(**kwargs)

    def increment(self, method: str | None = None, url: str | None = None, response: Any = None,
                  error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None) -> PoliteRetry:
        if response is not None:
            wait = retry_after_seconds(response.headers)
            if wait is not None and wait > self.max_wait:
                raise MaxRetryError(_pool, url or "", ResponseError(f"Retry-After {seconds_text(wait)} is too long"))
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def sleep_for_retry(self, response: Any) -> bool:
        wait = retry_after_seconds(response.headers)
        if not wait:
            return False
        self._announce(f"waiting {seconds_text(wait)}: the server asked for it (HTTP {response.status}, Retry-After)")
        time.sleep(wait)
        return True

    def _sleep_backoff(self) -> None:
        wait = self.get_backoff_time()
        if wait >= NOTE_AFTER and self.history:
            last = self.history[-1]
            what = f"HTTP {last.status}" if last.status else type(last.error).__name__
            self._announce(f"waiting {seconds_text(wait)} before trying again ({what}, {len(self.history)} failed attempts)")
        super()._sleep_backoff()

    def _announce(self, text: str) -> None:
        (self.notice or log.warning)(text)


_READER = Retry()  # reads Retry-After headers
_READER.retry_after_max = 10 ** 9  # uncapped where urllib3 caps them (2.5 on): the cap is max_wait's job
