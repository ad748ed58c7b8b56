"""Start the KoboToolbox-compatible devserver for ``qaf-kobo devserver``: check the options, pick its token,
optionally seed the demo."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from qaf_kobo.devserver.kobo import DevServer
from qaf_kobo.devserver.loopback import check_port
from qaf_kobo.errors import QafError
from qaf_kobo.framework import Framework, default_framework
from qaf_kobo.kobo.token import ensure_token_file, load_token
from qaf_kobo.workflows.demo import edit_and_delete, seed_server

DEFAULT_TOKEN_OUT = Path("data/devserver.token")


@dataclass(frozen=True)
class LaunchedDevServer:
    """A devserver serving in a background thread, and where the token it accepts comes from (never the token)."""

    server: DevServer
    token_source: str  # "the given token" or "the token in <file>"

    def banner(self) -> list[str]:
        """The lines ``qaf-kobo devserver`` prints: the URL, where the token is, and each asset uid."""
        anonymous = (["OpenRosa submissions without a token are accepted (--anonymous-submissions)"]
                     if self.server.anonymous_submissions else [])
        return [f"KoboToolbox-compatible server on {self.server.url} (accepts {self.token_source}); Ctrl-C stops it",
                *anonymous, *(f"asset: {uid}" for uid in self.server.asset_uids())]


def start_devserver(port: int = 8000, page_cap: int = 1000, latency: float = 0.0, seed_demo: bool = False,
                    token_file: Path | None = None, token_out: Path = DEFAULT_TOKEN_OUT,
                    quiet: bool = False, anonymous_submissions: bool = False,
                    framework: Framework | None = None) -> LaunchedDevServer:
    """Serve on 127.0.0.1:``port`` (0 = a free port) in a background thread and return once it answers.

    The token is the one :func:`load_token` finds (``token_file``, $KOBO_TOKEN, the config file); failing that,
    the one in ``token_out``, created with mode 0600 if missing. ``seed_demo`` deploys the form of ``framework``
    (default: the QAF) and adds the demo's assessments, then edits one and deletes another as the demo does. ``quiet``: no request log.
    ``anonymous_submissions``: accept OpenRosa submissions without a token. Bad options, and a port that cannot
    be bound, are a QafError.
    """
    try:
        check_port(port)
    except ValueError as exc:
        raise QafError(str(exc)) from None
    if page_cap < 1:
        raise QafError(f"the page cap must be at least 1, not {page_cap}")
    if latency < 0:
        raise QafError(f"the latency must be 0 seconds or more, not {latency}")
    try:
        token, source = load_token(token_file), "the given token"
    except QafError:
        token, source = ensure_token_file(token_out), f"the token in {token_out}"
    server = DevServer(token=token, port=port, max_page_size=page_cap, latency=latency, quiet=quiet,
                       anonymous_submissions=anonymous_submissions)
    try:
        server.start()
    except OSError as exc:
        raise QafError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    if seed_demo:
        try:
            edit_and_delete(server, seed_server(server, framework or default_framework()))
        except BaseException:
            server.stop()
            raise
    return LaunchedDevServer(server, source)


def serve_until_interrupted(server: DevServer) -> None:
    """Block until Ctrl-C, then stop ``server``."""
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
