"""The HTTP layer of both remote clients (KoboToolbox, ODK Central): one session class with retries and the
origin guard (:mod:`.session`), the retry policy (:mod:`.retry`), server URLs and origins (:mod:`.urls`), and
redaction of secrets (:mod:`.redact`)."""

from qaf_kobo.http.redact import redact
from qaf_kobo.http.retry import DEFAULT_MAX_WAIT, RETRY_STATUSES, Notice, retry_after_seconds, seconds_text
from qaf_kobo.http.session import IncompleteAnswer, RemoteSession
from qaf_kobo.http.urls import OriginError, checked_url, normalize_server, origin, origin_text

__all__ = ["DEFAULT_MAX_WAIT", "RETRY_STATUSES", "IncompleteAnswer", "Notice", "OriginError", "RemoteSession", "checked_url",
           "normalize_server", "origin", "origin_text", "redact", "retry_after_seconds", "seconds_text"]
