"""A session on one ODK Central server, built on pyodk: login with the web user's email and password, timeouts,
retries, one error type — and neither the password nor the session token in any message, log, or file.

pyodk's :class:`~pyodk.client.Client` provides the services (projects, forms, submissions); its HTTP session is
replaced by :class:`CentralSession`, a subclass of pyodk's ``Session`` (its documented customisation point) that

- logs in itself (``POST /v1/sessions``, retried on 429/502/503/504 and dropped connections), keeping the token
  in memory only — pyodk would otherwise cache it in ``~/.pyodk_cache.toml``;
- retries GETs with backoff (honouring Retry-After) on http and https alike (pyodk mounts its adapter for https
  only), and sets a timeout on every request;
- turns every error answer into a :class:`CentralError` carrying Central's problem code, with the password and
  token redacted, instead of pyodk's error, which quotes the answer and logs it at ERROR level (a proxy that
  echoes request headers would put the token in the log).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from pyodk._utils.config import CentralConfig, Config
from pyodk._utils.session import Session
from pyodk.client import Client
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from qaf_kobo.central.credentials import CentralCredentials, normalize_server
from qaf_kobo.errors import QafError
from qaf_kobo.network_problem import network_problem

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 502, 503, 504)
T = TypeVar("T")


class CentralError(QafError):
    """A request to Central failed: ``status`` is the HTTP status (None when unreachable), ``code`` Central's
    problem code (``404.1``), ``server_message`` its message."""

    def __init__(self, message: str, status: int | None = None, code: str = "", server_message: str = "") -> None:
        super().__init__(message)
        self.status, self.code, self.server_message = status, code, server_message


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


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


class CentralSession(Session):
    """pyodk's Session with qaf-kobo's login, retries, timeouts and errors (see the module docstring)."""

    def __init__(self, credentials: CentralCredentials, *, timeout: tuple[float, float] = (10.0, 150.0),
                 retries: int = 6, backoff: float = 0.5, pool_size: int = 8) -> None:
        super().__init__(base_url=credentials.base_url, api_version="v1", username=credentials.username,
                         password=credentials.password, cache_path=None)
        self.auth = None  # pyodk's Auth would log in (and log its errors) on its own; we log in explicitly
        self.credentials = credentials
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.requests_made = 0
        self._count_lock = threading.Lock()
        self._token = ""
        retry = Retry(total=retries, connect=retries, read=retries, status=retries, other=retries,
                      backoff_factor=backoff, backoff_max=30, status_forcelist=RETRY_STATUSES,
                      allowed_methods=frozenset({"GET", "HEAD"}), respect_retry_after_header=True,
                      raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"CentralSession({self.credentials.base_url!r}, user={self.credentials.username!r})"

    @property
    def secrets(self) -> list[str]:
        """What must never be shown: the password and the session token."""
        return [self.credentials.password, self._token]

    def redact(self, text: str) -> str:
        """``text`` without the password or the token."""
        return redact(text, self.secrets)

    # --- requests ---------------------------------------------------------------------------------------------
    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """One request (urllib3's retries included), with a timeout; QafError-shaped when the server is unreachable."""
        kwargs.setdefault("timeout", self.timeout)
        with self._count_lock:
            self.requests_made += 1
        try:
            return super().request(method, url, *args, **kwargs)
        except requests.exceptions.ChunkedEncodingError:
            if str(method).upper() == "GET":
                raise  # the caller fetches it again (retrying_body)
            path = urlsplit(self.urljoin(str(url))).path
            raise CentralError(f"the answer to {method} {path} was cut short") from None
        except requests.exceptions.RequestException as exc:
            request = f"{method} {urlsplit(self.urljoin(str(url))).path}"
            raise CentralError(network_problem(self.credentials.base_url, request, exc, self.retries + 1,
                                               self.timeout[1])) from None

    def response_or_error(self, method: str, url: str, logger: logging.Logger, *args: Any,
                          **kwargs: Any) -> requests.Response:
        """pyodk's hook for every service call: the response, or a CentralError (nothing logged at ERROR)."""
        response = self.request(*args, method=method, url=url, **kwargs)
        if response.status_code >= 400:
            raise self.error(method, response)
        return response

    def error(self, method: str, resp: requests.Response) -> CentralError:
        """A CentralError for an error answer, its text redacted."""
        code, message = problem_of(resp)
        code_text = f"{code}: " if code else ""
        path = urlsplit(resp.url).path
        if resp.status_code == 401:
            text = (f"the Central server did not accept the login of {self.credentials.username} ({code_text}{message}) "
                    f"— check username and password in {self.credentials.source or 'the pyodk config'}")
        elif resp.status_code == 403:
            text = (f"{self.credentials.username} has no permission for {method} {path} on "
                    f"{self.credentials.base_url} ({code_text}{message})")
        else:
            text = f"{method} {path} failed: HTTP {resp.status_code} ({code_text}{message})"
        return CentralError(self.redact(text), resp.status_code, code, self.redact(message))

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        """GET and decode JSON; an answer cut short or garbled in transit is fetched again (with backoff)."""
        return self.retrying_body(lambda: self.response_or_error("GET", url, log, params=params).json(),
                                  f"GET {urlsplit(self.urljoin(url)).path}")

    def retrying_body(self, fetch: Callable[[], T], what: str) -> T:
        """``fetch()``, again when the body arrived incomplete (ValueError, ChunkedEncodingError)."""
        for attempt in range(self.retries + 1):
            try:
                return fetch()
            except (ValueError, requests.exceptions.ChunkedEncodingError) as exc:
                if attempt == self.retries:
                    raise CentralError(f"the server's answer to {what} was incomplete {self.retries + 1} times in a "
                                       f"row ({type(exc).__name__})") from None
                log.info("incomplete answer to %s (%s); retrying", what, type(exc).__name__)
                time.sleep(min(self.backoff * 2 ** attempt, 30))
        raise AssertionError("unreachable")

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
                resp = self.request("POST", "sessions", json={"email": self.credentials.username,
                                                              "password": self.credentials.password})
            except CentralError as err:  # unreachable, or the answer was cut short
                last = err
                continue
            if resp.status_code in RETRY_STATUSES:
                last = self.error("POST", resp)
                continue
            if resp.status_code == 404:
                raise CentralError(f"{self.credentials.base_url} has no /v1/sessions: is --server an ODK Central "
                                   "server?", 404)
            if resp.status_code >= 400:
                raise self.error("POST", resp)
            try:
                token = resp.json()["token"]
            except ValueError:
                last = CentralError("the answer to POST /v1/sessions was incomplete")
                continue
            except (KeyError, TypeError):
                raise CentralError(f"the answer to POST /v1/sessions from {self.credentials.base_url} has no session "
                                   "token; is --server an ODK Central server?", resp.status_code) from None
            self._token = str(token)
            self.headers["Authorization"] = f"Bearer {self._token}"
            return
        assert last is not None
        raise last

    def logout(self) -> None:
        """End the session on the server (best effort) and forget the token."""
        if self._token:
            try:
                self.request("DELETE", "sessions/current")
            except (CentralError, requests.exceptions.RequestException):
                pass
        self.headers.pop("Authorization", None)


class CentralClient:
    """pyodk's Client on one Central server (``client.pyodk.forms`` …) over a :class:`CentralSession`. Use as a
    context manager: entering logs in, leaving logs out."""

    def __init__(self, server: str, credentials: CentralCredentials, *, retries: int = 6, backoff: float = 0.5,
                 timeout: tuple[float, float] = (10.0, 150.0)) -> None:
        self.server = normalize_server(server)
        self.credentials = credentials.for_server(self.server)
        self.session = CentralSession(self.credentials, timeout=timeout, retries=retries, backoff=backoff)
        config = Config(central=CentralConfig(base_url=self.server, username=credentials.username,
                                              password=credentials.password,
                                              default_project_id=credentials.default_project_id))
        self.pyodk = Client(config=config, session=self.session)

    def __repr__(self) -> str:
        return f"CentralClient({self.server!r})"

    def __enter__(self) -> CentralClient:
        self.session.login()
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.logout()
        self.session.close()

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far (retries by urllib3 not counted)."""
        return self.session.requests_made

    def get_json(self, path_or_url: str, params: dict[str, Any] | None = None) -> Any:
        """GET an API path (``projects/1``) or an absolute URL (a next link) and decode the JSON."""
        return self.session.get_json(path_or_url, params)

    def download(self, path: str) -> bytes:
        """GET an API path and return the body as it came (an export such as ``…/submissions.csv.zip``)."""
        return self.session.retrying_body(lambda: self.session.response_or_error("GET", path, log).content,
                                          f"GET {urlsplit(self.session.urljoin(path)).path}")

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
            return self.get_json(self.session.urlformat("projects/{pid}/forms/{fid}", pid=project_id, fid=form_id))
        except CentralError as err:
            if err.status in (403, 404):
                raise CentralError(f"form {form_id!r} not found in project {project_id} on {self.server} — check "
                                   "--form (the form id, as Central lists it)", err.status, err.code,
                                   err.server_message) from None
            raise
