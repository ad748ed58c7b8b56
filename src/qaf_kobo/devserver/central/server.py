"""``CentralDevServer``: the ODK Central-compatible server (API v1, OData, OpenRosa) for the demo and the tests.

It follows what was measured on a real Central backend (v2026.2): sessions from email and password (401.2 for
a wrong one), projects, forms created from XForm XML, drafts published with a version, OData ``Submissions``
newest first in ``$top`` pages linked by ``@odata.nextLink`` (a ``$skiptoken``), ``$filter`` on ``__system``
timestamps, ``__id`` = the first instanceID kept across edits, soft delete / restore / purge, review states,
and OpenRosa submissions; its ``Date`` header is the server's clock, its links are built from a configured public
URL (``public_url``, as Central's DOMAIN), an OData row never shows ``meta/deprecatedID``, and the codes of the
cases measured (401.2 without a login, 400.35 for a bad ``$skiptoken``, 409.9 before the form version on an edit,
a review-state error naming ``state``) are Central's. Built from the layers of :mod:`qaf_kobo.devserver`: the state and routes under the
fault injector, served by the loopback server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from qaf_kobo.devserver.central.odata import Query
from qaf_kobo.devserver.central.routes import CentralApp
from qaf_kobo.devserver.central.state import CentralState, Form, Submission
from qaf_kobo.devserver.faults import FaultInjector
from qaf_kobo.devserver.loopback import LoopbackServer

MAX_BODY_BYTES = 100_000_000  # what Central advertises to OpenRosa clients


class CentralDevServer(LoopbackServer):
    """The server. Use as a context manager (``with CentralDevServer(users={...}) as server: server.url``).

    ``users`` maps web users' emails to passwords (``email``/``password`` is a shortcut for one). The test hooks
    act on a form given by ``project_id``/``form_id``, by default the most recently published one, and take
    the server's clock; ``clock_offset`` sets that clock apart from the machine's.
    """

    def __init__(self, *, email: str | None = None, password: str | None = None, users: Mapping[str, str] | None = None,
                 host: str = "127.0.0.1", port: int = 0, latency: float = 0.0, clock_offset: timedelta = timedelta(0),
                 quiet: bool = True, public_url: str | None = None) -> None:
        accounts = dict(users or {})
        if email is not None and password is not None:
            accounts[email] = password
        self.state = CentralState(accounts)
        self.state.clock.offset = clock_offset
        self.central_app = CentralApp(self.state)
        self.public_url = public_url
        self.faults = FaultInjector(self.central_app)
        super().__init__(self.faults, host=host, port=port, latency=latency, max_content_length=MAX_BODY_BYTES,
                         quiet=quiet)

    def bind(self) -> CentralDevServer:
        """Bind the socket; links in answers then point to ``public_url`` (Central's configured domain), by
        default this server's own address."""
        super().bind()
        self.central_app.domain = (self.public_url or self.url).rstrip("/")
        return self

    # --- faults and clock -----------------------------------------------------------------------------------
    def between_pages(self, action: Callable[[], None]) -> None:
        """Run ``action()`` once, when the next OData request following a next link (a ``$skiptoken``) arrives,
        before it is answered: what a sync reads on later pages then sees the change."""
        self.faults.hook("skiptoken", action)

    def inject_fault(self, kind: str, times: int = 1, path: str = ".svc/", retry_after: int = 1, after: int = 0) -> None:
        """See :meth:`FaultInjector.inject`; by default the next OData request."""
        self.faults.inject(kind, times, path, retry_after, after)

    def clear_faults(self) -> None:
        """Forget the faults not yet used."""
        self.faults.clear()

    def now(self) -> datetime:
        """The server's current time (UTC, milliseconds)."""
        return self.state.now()

    def freeze_clock(self, at: datetime | None) -> None:
        """Stop the server's clock at ``at`` (None lets it run again): events then share one millisecond."""
        self.state.clock.frozen = at

    def advance_clock(self, delta: timedelta) -> None:
        """Move the server's clock (a frozen one too) by ``delta``."""
        with self.state.lock:
            if self.state.clock.frozen is not None:
                self.state.clock.frozen += delta
            else:
                self.state.clock.offset += delta

    # --- projects and forms ---------------------------------------------------------------------------------
    def create_project(self, name: str = "QAF") -> int:
        """A new project; returns its id."""
        return self.state.create_project(name).id

    def create_form(self, xform: str | bytes | Path, project_id: int | None = None, publish: bool = True) -> str:
        """A form from XForm XML (text, bytes or a file) in a project (default: a new one); returns its id."""
        data = Path(xform).read_bytes() if isinstance(xform, Path) else xform
        pid = project_id if project_id is not None else self.create_project()
        return self.state.create_form(pid, data, publish).xml_form_id

    def add_app_user(self, project_id: int, name: str = "Collect") -> str:
        """An app user of a project; returns its token (the URL key Collect uses)."""
        return self.state.add_app_user(project_id, name).token

    def _form(self, project_id: int | None, form_id: str | None) -> Form:
        if project_id is None or form_id is None:
            form = self.state.latest_form()
            return form if form_id is None or form.xml_form_id == form_id else self.state.form(form.project_id, form_id)
        return self.state.form(project_id, form_id)

    # --- submissions ----------------------------------------------------------------------------------------
    def add_submission(self, answers: Mapping[str, Any], project_id: int | None = None, form_id: str | None = None,
                       *, instance_id: str | None = None, device_id: str | None = None) -> str:
        """Submit answers keyed as the Kobo API keys them (``details_scope/country``) as the first web user
        would; returns the submission's ``__id``."""
        with self.state.lock:
            form = self._form(project_id, form_id)
            xml = self.state.answers_hook(form, answers, instance_id)
            submitter = next(iter(self.state.users.values()), None)
            sub, _ = self.state.submit(form.project_id, xml, submitter_id=submitter.id if submitter else None,
                                       device_id=device_id, trusted=True)
            return sub.instance_id

    def add_submissions(self, rows: Iterable[Mapping[str, Any]], project_id: int | None = None,
                        form_id: str | None = None) -> list[str]:
        """``add_submission`` for many rows; returns their ``__id`` values."""
        with self.state.lock:
            return [self.add_submission(row, project_id, form_id) for row in rows]

    def edit_submission(self, instance_id: str, changes: Mapping[str, Any], project_id: int | None = None,
                        form_id: str | None = None) -> str:
        """Edit as Central does: a new version with a new ``meta/instanceID`` and ``meta/deprecatedID``; ``__id``
        kept; ``updatedAt`` set, ``edits`` + 1, review state ``edited``. A change to None removes the answer.
        Returns the new instanceID."""
        with self.state.lock:
            form = self._form(project_id, form_id)
            xml = self.state.edit_xml(form, instance_id, changes)
            sub = self.state.submission(form, instance_id)
            self.state.submit(form.project_id, xml, submitter_id=sub.submitter_id, trusted=True)
            return sub.current.instance_id

    def set_review_state(self, instance_id: str, state: str, project_id: int | None = None,
                         form_id: str | None = None) -> None:
        """Set a review state: ``approved``, ``rejected``, ``hasIssues`` or ``edited`` (sets ``updatedAt``)."""
        self.state.review(self._form(project_id, form_id), instance_id, state)

    def delete_submission(self, instance_id: str, project_id: int | None = None, form_id: str | None = None) -> None:
        """Soft delete (``deletedAt`` set, ``updatedAt`` unchanged)."""
        self.state.delete(self._form(project_id, form_id), instance_id)

    def restore_submission(self, instance_id: str, project_id: int | None = None, form_id: str | None = None) -> None:
        """Restore a soft-deleted submission (``deletedAt`` cleared, ``updatedAt`` unchanged)."""
        self.state.restore(self._form(project_id, form_id), instance_id)

    def purge_submission(self, instance_id: str, project_id: int | None = None, form_id: str | None = None) -> None:
        """Remove a soft-deleted submission for good."""
        self.state.purge(self._form(project_id, form_id), instance_id)

    def purge_expired(self, project_id: int | None = None, form_id: str | None = None) -> int:
        """Central's nightly purge: remove submissions deleted more than 30 days ago; returns how many."""
        return self.state.purge(self._form(project_id, form_id), force=False)

    def submission(self, instance_id: str, project_id: int | None = None, form_id: str | None = None,
                   *, deleted: bool = False) -> Submission:
        """The server's record of one submission (for assertions)."""
        return self.state.submission(self._form(project_id, form_id), instance_id, deleted)

    def odata_rows(self, project_id: int | None = None, form_id: str | None = None, *,
                   deleted: bool = False) -> list[dict[str, Any]]:
        """Every row OData shows (``$expand=*``), newest first; with ``deleted``, the deleted ones too."""
        form = self._form(project_id, form_id)
        args = {"$expand": "*"} | ({"$filter": "__system/deletedAt eq null or __system/deletedAt ne null"}
                                   if deleted else {})
        rows, _, _ = self.state.query(form, Query.from_args(args, form.current.schema))
        return rows
