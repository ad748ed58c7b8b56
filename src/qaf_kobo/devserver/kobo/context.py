"""What every endpoint of the Kobo-compatible server gets: the request, the state, the settings, and who asks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from werkzeug.wrappers import Request

from qaf_kobo.devserver.kobo.state import KoboState


class Settings(Protocol):
    """The server's adjustable settings (``DevServer`` has them as attributes)."""

    tokens: dict[str, str]  # API token -> user name
    page_size: int  # KPI's DEFAULT_API_PAGE_SIZE
    max_page_size: int  # KPI's MAX_API_PAGE_SIZE
    anonymous_submissions: bool  # OpenRosa submissions without a token are accepted


class InvalidToken(Exception):
    """An ``Authorization: Token`` header with a key the server does not know."""


@dataclass(frozen=True)
class Call:
    """One request to the server, with what its handler needs."""

    request: Request
    state: KoboState
    settings: Settings

    def user(self) -> str | None:
        """The user of the request's ``Authorization: Token <key>`` header; None when anonymous (no header, or
        another scheme); InvalidToken for an unknown key — as KPI's TokenAuthentication."""
        scheme, _, key = self.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "token":
            return None
        user = self.settings.tokens.get(key.strip())
        if user is None:
            raise InvalidToken
        return user
