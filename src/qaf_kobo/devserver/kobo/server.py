"""``DevServer``: the KoboToolbox-compatible server (KPI API v2 + OpenRosa ``/submission``) for the demo and the tests.

It behaves as /work/shared/reference/kobo-api.md describes KPI: token auth (401 for a bad token, 404 for an
asset the caller may not see), assets, asynchronous XLSForm imports converted with pyxform, deployments,
``/data/`` with KPI's paging, query, sort and fields rules, and OpenRosa submissions (with a token unless
``anonymous_submissions``). Built from the layers of :mod:`qaf_kobo.devserver`: the state and routes under the
fault injector, served by the loopback server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from qaf_kobo.devserver.faults import FaultInjector
from qaf_kobo.devserver.kobo.openrosa import MAX_BODY_BYTES
from qaf_kobo.devserver.kobo.routes import KoboApp
from qaf_kobo.devserver.kobo.state import KoboState
from qaf_kobo.devserver.loopback import LoopbackServer


class DevServer(LoopbackServer):
    """The server. Use as a context manager (``with DevServer() as server: server.url``) or ``serve_forever()``.

    ``tokens`` maps API tokens to user names; ``token`` is a shortcut for one user. ``page_size`` and
    ``max_page_size`` are KPI's DEFAULT_API_PAGE_SIZE and MAX_API_PAGE_SIZE; ``latency`` seconds are added to
    every request; ``static`` mounts folders at URL prefixes (``{"/enketo/": Path("web")}``);
    ``anonymous_submissions`` accepts OpenRosa submissions without a token (as a KoboToolbox project that does
    not require authentication). Bodies over 10 MB (OpenRosa's advertised limit) get 413 unread.
    """

    def __init__(self, *, token: str | None = None, username: str = "qaf", tokens: dict[str, str] | None = None,
                 host: str = "127.0.0.1", port: int = 0, page_size: int = 100, max_page_size: int = 1000,
                 latency: float = 0.0, static: dict[str, Path] | None = None, anonymous_submissions: bool = False,
                 quiet: bool = True) -> None:
        if page_size < 1 or max_page_size < 1:
            raise ValueError(f"page sizes must be at least 1, not {page_size} and {max_page_size}")
        self.tokens = dict(tokens or {})
        if token is not None:
            self.tokens[token] = username
        self.page_size, self.max_page_size = page_size, max_page_size
        self.anonymous_submissions = anonymous_submissions
        self.state = KoboState(username)
        self.faults = FaultInjector(KoboApp(self.state, self))
        super().__init__(self.faults, host=host, port=port, latency=latency, static=static,
                         max_content_length=MAX_BODY_BYTES, quiet=quiet)

    # --- test and demo hooks ------------------------------------------------------------------------------
    def inject_fault(self, kind: str, times: int = 1, path: str = "/data/", retry_after: int = 1,
                     after: int = 0) -> None:
        """See :meth:`FaultInjector.inject`; by default the next request to a ``/data/`` path."""
        self.faults.inject(kind, times, path, retry_after, after)

    def between_pages(self, action: Callable[[], None]) -> None:
        """Run ``action()`` once, when the second request to a ``/data/`` path arrives, before it is answered: a
        sync has read its first page, and reads the rest after the change."""
        self.faults.hook("/data/", action, after=1)

    def clear_faults(self) -> None:
        """Forget the faults not yet used."""
        self.faults.clear()

    def create_asset(self, name: str = "QAF assessment", *, xlsx: Path | bytes | None = None, deploy: bool = True,
                     owner: str | None = None, public: bool = False) -> str:
        """A survey asset (optionally with an XLSForm, converted with pyxform), deployed unless told otherwise."""
        return self.state.create_asset(name, xlsx, deploy, owner, public)

    def asset_uids(self) -> list[str]:
        """All asset uids, oldest first."""
        with self.state.lock:
            return list(self.state.assets)

    def add_submission(self, data: dict[str, Any], asset_uid: str | None = None) -> dict[str, Any]:
        """Store a submission as if it had been sent to the asset (default: the most recently deployed survey).

        Missing metadata is filled in the way KPI does (``_id``, ``_uuid``, ``meta/instanceID``, ``meta/rootUuid``,
        ``_submission_time``, ``__version__``, ``_validation_status`` …); numbers become strings and empty answers
        are left out. Returns the row as ``/data/`` will show it.
        """
        return self.state.add_submission(data, asset_uid)

    def add_submissions(self, rows: Iterable[dict[str, Any]], asset_uid: str | None = None) -> int:
        """``add_submission`` for many rows at once; returns how many were added."""
        return self.state.add_submissions(rows, asset_uid)

    def edit_submission(self, root_uuid: str, changes: dict[str, Any], asset_uid: str | None = None) -> dict[str, Any]:
        """Edit a submission as KPI does: new ``_uuid``/instanceID, ``meta/deprecatedID`` set; ``_id``, rootUuid and
        ``_submission_time`` kept. A change to None removes the answer."""
        return self.state.edit_submission(root_uuid, changes, asset_uid)

    def set_validation_status(self, root_uuid: str, status_uid: str | None, asset_uid: str | None = None) -> None:
        """Set (or with None clear) a submission's validation status, e.g. ``validation_status_approved``."""
        self.state.set_validation_status(root_uuid, status_uid, asset_uid)

    def delete_submission(self, root_uuid: str, asset_uid: str | None = None) -> None:
        """Hard-delete a submission (KPI keeps no tombstone)."""
        self.state.delete_submission(root_uuid, asset_uid)

    def submissions(self, asset_uid: str | None = None) -> list[dict[str, Any]]:
        """Copies of the asset's submissions in ``_id`` order, exactly as ``/data/`` returns them."""
        return self.state.submissions(asset_uid)
