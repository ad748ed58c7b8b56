"""What every endpoint of the Central-compatible server gets: the request, the state, and who asks."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.wrappers import Request

from qaf_kobo.devserver.central import problem
from qaf_kobo.devserver.central.state import AppUser, CentralState, User

Actor = User | AppUser | None
"""Who makes a request: a web user (session), a project's app user (key in the URL), or anonymous (None)."""


@dataclass(frozen=True)
class Call:
    """One request to the server, with what its handler needs."""

    request: Request
    state: CentralState
    app_user: AppUser | None = None  # from a /v1/key/<token>/ prefix
    domain: str = ""  # the configured public URL links are built from (Central's DOMAIN); "" = the request's host

    @property
    def base_url(self) -> str:
        """Where links in answers point: the configured domain, as Central builds them whatever address the
        client used (a proxy on another port included); the request's own host only when none is configured."""
        return self.domain or self.request.host_url.rstrip("/")

    def actor(self) -> Actor:
        """Who asks: ``Authorization: Bearer <session token>``, else the app user of the URL key, else anonymous.
        An unknown or expired token is 401.2; Basic auth over plain HTTP is 401.3, as Central."""
        scheme, _, credentials = self.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            user = self.state.session_user(credentials.strip())
            if user is None:
                raise problem.authentication_failed()
            return user
        if scheme.lower() == "basic" and self.request.scheme != "https":
            raise problem.https_only()
        return self.app_user

    def user(self) -> User:
        """The web user making the request: a request without any login is 401.2 (as Central v2026.2 answers
        it), an app user on a web user's endpoint 403.1."""
        actor = self.actor()
        if actor is None:
            raise problem.authentication_failed()
        if not isinstance(actor, User):
            raise problem.insufficient_rights()
        return actor
