"""What went wrong when a server's answer never came, said in one line for either client (KoboToolbox, Central):
the address unreachable, the secure connection refused, the server silent, or the connection dropped."""

from __future__ import annotations

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError, ProtocolError, ReadTimeoutError


def network_problem(server: str, request: str, exc: requests.exceptions.RequestException, attempts: int,
                    read_timeout: float) -> str:
    """The message for ``exc``, raised by ``request`` (e.g. "GET /v1/projects/1") to ``server`` after ``attempts``
    tries; requests reports a read timeout that outlived the retries as a ConnectionError, so its cause decides."""
    cause = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.exceptions.SSLError):
        return (f"the secure connection to {server} failed ({type(cause or exc).__name__} on {request}) — "
                "check the server's certificate and whether --server should start with http:// or https://")
    if isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(cause, (NewConnectionError,
                                                                               NameResolutionError)):
        return f"cannot reach {server} ({type(cause or exc).__name__} on {request}) — check --server and the network"
    if isinstance(exc, requests.exceptions.ReadTimeout) or isinstance(cause, ReadTimeoutError):
        return (f"{server} accepted the connection but sent no answer to {request} within {read_timeout:g} s, "
                f"{attempts} times — the server is overloaded or stuck; try again later")
    if isinstance(cause, ProtocolError) or isinstance(exc, requests.exceptions.ConnectionError):
        return (f"{server} closed the connection without answering {request}, {attempts} times in a row "
                "(the server or a proxy in front of it is failing; try again later)")
    return f"{request} on {server} failed ({type(exc).__name__})"
