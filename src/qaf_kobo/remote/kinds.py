"""The kinds of remote server (:data:`KINDS`), and which kind a URL is — KoboToolbox or ODK Central — asked of the
server itself, without credentials.

ODK Central answers any ``/v1/…`` path with a JSON "problem" carrying a numeric ``code`` (``401.2`` for a
caller without a login); KoboToolbox (KPI) answers ``/api/v2/assets/`` with DRF's JSON (``detail``, or a page).
"""

from __future__ import annotations

from typing import Any, Literal

import requests

from qaf_kobo.central.credentials import normalize_server
from qaf_kobo.errors import QafError

Kind = Literal["kobo", "central"]
KINDS: tuple[Kind, ...] = ("kobo", "central")
"""Every kind of remote server, in the order options and messages list them."""


def _json(http: requests.Session, url: str, timeout: float) -> Any:
    try:
        resp = http.get(url, timeout=timeout, headers={"Accept": "application/json"}, allow_redirects=False)
    except requests.exceptions.RequestException as exc:
        raise QafError(f"cannot reach {url.split('/v1/')[0].split('/api/v2/')[0]} ({type(exc).__name__}) — check "
                       "--server and the network") from None
    try:
        return resp.json()
    except ValueError:
        return None


def detect_kind(server: str, *, timeout: float = 15.0) -> Kind:
    """``central`` or ``kobo`` for the server at ``server``; a QafError when it is neither (or unreachable)."""
    base = normalize_server(server)
    with requests.Session() as http:
        central = _json(http, f"{base}/v1/users/current", timeout)
        if isinstance(central, dict) and isinstance(central.get("code"), (int, float)):
            return "central"
        kobo = _json(http, f"{base}/api/v2/assets/?limit=1", timeout)
        if isinstance(kobo, dict) and ("detail" in kobo or "results" in kobo):
            return "kobo"
    raise QafError(f"cannot tell whether {base} is a KoboToolbox or an ODK Central server (neither /api/v2/ nor "
                   "/v1/ answered as they do); check --server, or give --kind kobo|central")


def server_kind(server: str, kind: str | None = None) -> Kind:
    """``kind`` when given (checked), else what :func:`detect_kind` finds."""
    if kind is None:
        return detect_kind(server)
    if kind not in KINDS:
        raise QafError(f"--kind must be {' or '.join(KINDS)}, not {kind!r}")
    return kind
