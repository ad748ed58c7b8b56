"""A session on one ODK Central server over qaf-kobo's HTTP layer: login with the web user's email and password,
timeouts, retries, one error type — and neither the password nor the session token in any message, log, or file.

- Login is ``POST /v1/sessions`` (retried on 429/502/503/504, dropped connections and answers cut short); the
  token is kept in memory only (pyodk would cache it in ``~/.pyodk_cache.toml``) and ended on leaving.
- Requests go through :class:`~qaf_kobo.http.RemoteSession`: GETs retried with backoff (Retry-After honoured),
  a timeout on each, and the origin guard — a next link or a redirect to another origin than ``--server`` is
  refused before the token is sent there.
- Every error answer becomes a :class:`CentralError` carrying Central's problem code, with the password and
  token redacted (a proxy that echoes request headers would otherwise put the token in a message).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests

from qaf_kobo.central.credentials import CentralCredentials, normalize_server
from qaf_kobo.errors import QafError
from qaf_kobo.http import RETRY_STATUSES, IncompleteAnswer, OriginError, RemoteSession, redact
from qaf_kobo.network_problem import network_problem

log = logging.getLogger(__name__)

T = TypeVar("T")


class CentralError(QafError):
    """A request to Central failed: ``status`` is the HTTP status (None when unreachable), ``code`` Central's
    problem code (``404.1``), ``server_message`` its message."""

    def __init__(self, message: str, status: int | None = None, code: str = "", server_message: str = "") -> None:
        super().__init__(message)
        self.status, self.code, self.server_message = status, code, server_message


def problem_of(resp: requests.Response) -> tuple[str, str]:
    """Central's problem code and message from an error answer (else the first 200 characters of its text)."""
    try:
        body = resp.json()
    except ValueError:
        return "", " ".join(resp.text.split())[:200]
    if isinstance(body, dict):
        code = body.get("code")
        return ("" if code is None else str(code)), str(body.get("message", ""))[:300]
    return "", str(body)[:200]


def api_path(template: str, **values: Any) -> str:
    """An API path with each value quoted as one path segment: ``api_path("projects/{pid}/forms/{fid}", …)``."""
    return template.format(**{k: quote(str(v), safe="") for k, v in values.items()})


class CentralClient:
    """A logged-in session on one Central server. Use as a context manager: entering logs in, leaving logs out."""

    def __init__(self, server: str, credentials: CentralCredentials, *, retries: int = 6, backoff: float = 0.5,
                 timeout: tuple[float, float] = (10.0, 150.0), pool_size: int = 8) -> None:
        self.server = normalize_server(server)
        self.credentials = credentials.for_server(self.server)
        self.session = RemoteSession(self.server + "/v1", timeout=timeout, retries=retries, backoff=backoff,
                                     pool_size=pool_size, credential="the session token")
        self.retries, self.backoff, self.timeout = retries, backoff, timeout
        self._token = ""

    def __repr__(self) -> str:
        return f"CentralClient({self.server!r}, user={self.credentials.username!r})"

    def __enter__(self) -> CentralClient:
        self.login()
        return self

    def __exit__(self, *exc: object) -> None:
        self.logout()
        self.session.close()

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far (retries by urllib3 not counted)."""
        return self.session.requests_made

    def redact(self, text: str) -> str:
        """``text`` without the password or the session token."""
        return redact(text, [self.credentials.password, self._token])

    # --- requests ---------------------------------------------------------------------------------------------
    def _path(self, path_or_url: str) -> str:
        return urlsplit(path_or_url if "://" in path_or_url else self.session.url(path_or_url)).path

    def send(self, method: str, path_or_url: str, **kwargs: Any) -> requests.Response:
        """One request (urllib3's retries included); an answer cut short raises ChunkedEncodingError for a GET
        (the caller fetches it again) and is a CentralError otherwise, as is an unreachable server or a link
        to another origin."""
        try:
            return self.session.request(method, path_or_url, **kwargs)
        except OriginError as err:
            raise CentralError(self.redact(str(err))) from None
        except requests.exceptions.ChunkedEncodingError:
            if method == "GET":
                raise
            raise CentralError(f"the answer to {method} {self._path(path_or_url)} was cut short") from None
        except requests.exceptions.RequestException as exc:
            raise CentralError(network_problem(self.server, f"{method} {self._path(path_or_url)}", exc,
                                               self.retries + 1, self.timeout[1])) from None

    def checked(self, method: str, path_or_url: str, **kwargs: Any) -> requests.Response:
        """:meth:`send`, with an error answer (4xx, 5xx) as a CentralError."""
        response = self.send(method, path_or_url, **kwargs)
        if response.status_code >= 400:
            raise self.error(method, response)
        return response

    def error(self, method: str, resp: requests.Response) -> CentralError:
        """A CentralError for an error answer, its text redacted."""
        code, message = problem_of(resp)
        code_text = f"{code}: " if code else ""
        path = urlsplit(resp.url).path
        user = self.credentials.username
        if resp.status_code == 401:
            text = (f"the Central server did not accept the login of {user} ({code_text}{message}) — check "
                    f"username and password in {self.credentials.source or 'the pyodk config'}")
        elif resp.status_code == 403:
            text = f"{user} has no permission for {method} {path} on {self.server} ({code_text}{message})"
        else:
            text = f"{method} {path} failed: HTTP {resp.status_code} ({code_text}{message})"
        return CentralError(self.redact(text), resp.status_code, code, self.redact(message))

    def whole(self, fetch: Callable[[], T], what: str) -> T:
        """``fetch()``, again when the body arrived incomplete (see :meth:`RemoteSession.whole`)."""
        try:
            return self.session.whole(fetch, what)
        except IncompleteAnswer as err:
            raise CentralError(str(err)) from None

    def get(self, path_or_url: str, params: dict[str, Any] | None = None) -> tuple[Any, requests.Response]:
        """GET an API path (``projects/1``) or an absolute URL on the server (a next link): the decoded JSON and
        the response (for its headers); an answer cut short or garbled in transit is fetched again."""
        def fetch() -> tuple[Any, requests.Response]:
            response = self.checked("GET", path_or_url, params=params)
            return response.json(), response
        return self.whole(fetch, f"GET {self._path(path_or_url)}")

    def get_json(self, path_or_url: str, params: dict[str, Any] | None = None) -> Any:
        """GET and decode JSON (see :meth:`get`)."""
        return self.get(path_or_url, params)[0]

    def post_json(self, path: str, **kwargs: Any) -> Any:
        """POST and decode the JSON answer."""
        response = self.checked("POST", path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise CentralError(f"the answer to POST {self._path(path)} is not JSON", response.status_code) from None

    def download(self, path: str) -> bytes:
        """GET an API path and return the body as it came (an export such as ``…/submissions.csv.zip``)."""
        return self.whole(lambda: self.checked("GET", path).content, f"GET {self._path(path)}")

    # --- login ------------------------------------------------------------------------------------------------
    def login(self) -> None:
        """``POST /v1/sessions`` with the email and password; the token goes to this session's headers only.
        Retried on 429/502/503/504, dropped connections and answers cut short; a 401 is a CentralError naming
        the config file."""
        last: CentralError | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(self.backoff * 2 ** (attempt - 1), 30))
            try:
                resp = self.send("POST", "sessions", json={"email": self.credentials.username,
                                                           "password": self.credentials.password})
            except CentralError as err:  # unreachable, or the answer was cut short
                last = err
                continue
            if resp.status_code in RETRY_STATUSES:
                last = self.error("POST", resp)
                continue
            if resp.status_code == 404:
                raise CentralError(f"{self.server} has no /v1/sessions: is --server an ODK Central server?", 404)
            if resp.status_code >= 400:
                raise self.error("POST", resp)
            try:
                token = resp.json()["token"]
            except ValueError:
                last = CentralError("the answer to POST /v1/sessions was incomplete")
                continue
            except (KeyError, TypeError):
                raise CentralError(f"the answer to POST /v1/sessions from {self.server} has no session token; is "
                                   "--server an ODK Central server?", resp.status_code) from None
            self._token = str(token)
            self.session.headers["Authorization"] = f"Bearer {self._token}"
            return
        assert last is not None
        raise last

    def logout(self) -> None:
        """End the session on the server (best effort) and forget the token from the headers."""
        if self._token:
            try:
                self.send("DELETE", "sessions/current")
            except (CentralError, requests.exceptions.RequestException):
                pass
        self.session.headers.pop("Authorization", None)

    # --- resources --------------------------------------------------------------------------------------------
    def project(self, project_id: int) -> dict[str, Any]:
        """A project; a CentralError that says so when it does not exist or the user cannot see it."""
        try:
            return self.get_json(f"projects/{int(project_id)}")
        except CentralError as err:
            if err.status in (403, 404):
                raise CentralError(f"project {project_id} not found on {self.server}, or "
                                   f"{self.credentials.username} may not see it — check --project", err.status,
                                   err.code, err.server_message) from None
            raise

    def form(self, project_id: int, form_id: str) -> dict[str, Any]:
        """A form; CentralErrors that say whether the project or the form is missing."""
        self.project(project_id)
        try:
            return self.get_json(api_path("projects/{pid}/forms/{fid}", pid=project_id, fid=form_id))
        except CentralError as err:
            if err.status in (403, 404):
                raise CentralError(f"form {form_id!r} not found in project {project_id} on {self.server} — check "
                                   "--form (the form id, as Central lists it)", err.status, err.code,
                                   err.server_message) from None
            raise
