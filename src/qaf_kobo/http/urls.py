"""Server URLs: a ``--server`` value normalised to a base URL, and origins (scheme, host, port) compared the way
browsers compare them — the one rule for where a token may go."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from qaf_kobo.errors import QafError

Origin = tuple[str, str, int | None]


def normalize_server(server: str, *, example: str, secrets_from: str, strip: str = "") -> str:
    """A server's base URL (scheme://host[:port][/path]) without a trailing slash (nor the suffix ``strip``, such
    as ``/v1``), its host in lower case; a QafError naming ``example`` for a value that is not such a URL, and
    one for a URL carrying a user name or password (they come from ``secrets_from``)."""
    parts = urlsplit(server.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise QafError(f"--server must be a URL such as {example}, not {server!r}")
    if parts.username or parts.password:
        raise QafError(f"--server must not contain a user name or password; they come from {secrets_from}")
    path = parts.path.rstrip("/")
    if strip and path.endswith(strip):
        path = path[: -len(strip)]
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))


def origin(url: str) -> Origin:
    """The origin of a URL — scheme, host, port (the scheme's default when not given) — as browsers compare it."""
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:  # a port that is not a number
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def origin_text(url: str) -> str:
    """An origin for a message: ``https://host:443``."""
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}"


class OriginError(QafError):
    """A link or redirect points away from the server the credentials are for; nothing was sent there."""


def checked_url(url: str, home: str, what: str = "the server's answer", credential: str = "the API token") -> str:
    """``url`` when it is on ``home``'s origin; else an OriginError naming both origins (and ``credential``,
    what would have been sent)."""
    if origin(url) != origin(home):
        raise OriginError(f"{what} points to {origin_text(url)}, which is not the server qaf-kobo was given "
                          f"({origin_text(home)}); qaf-kobo sends {credential} to no other address — check "
                          "--server (its scheme and port) and the server's own URL settings")
    return url
