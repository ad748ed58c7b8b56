"""What the Central-compatible server holds — users and sessions, projects, forms with their published versions
and draft, submissions with their versions — and the operations the routes and the test hooks share.

Timestamps come from the server's own clock, in UTC with millisecond precision (as Postgres gives them to
Central); the clock can be offset from the machine's or frozen, so tests can make a server whose time is not
the client's, or two events in the same millisecond. Every operation takes the state's re-entrant ``lock``.
"""

from __future__ import annotations

import bisect
import secrets
import string
import threading
import uuid as uuidlib
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from qaf_kobo.devserver.central import problem
from qaf_kobo.devserver.central.instance import answers_of, build_submission, instance_facts, render_data
from qaf_kobo.devserver.central.odata import Query, Selection, run, select_data
from qaf_kobo.devserver.central.problem import Problem
from qaf_kobo.devserver.central.xform import FormSchema, XFormError, parse_xform
from qaf_kobo.devserver.kobo.openrosa import Refused, parse_submission

PURGE_AFTER = timedelta(days=30)
SESSION_LIFETIME = timedelta(hours=24)
REVIEW_STATES = ("hasIssues", "edited", "rejected", "approved")
_ALPHANUMERIC = string.ascii_letters + string.digits


def iso(moment: datetime | None) -> str | None:
    """A timestamp as Central writes it: ``2026-03-01T10:00:00.123Z``."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _token(length: int) -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


class Clock:
    """The server's clock: UTC, millisecond precision, ``offset`` from the machine's clock, or ``frozen``."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.frozen: datetime | None = None

    def now(self) -> datetime:
        """The current server time."""
        moment = self.frozen or datetime.now(timezone.utc) + self.offset
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@dataclass
class User:
    """A web user (who logs in with email and password)."""

    id: int
    email: str
    password: str = field(repr=False)
    display_name: str
    created_at: datetime


@dataclass
class AppUser:
    """A project's app user (Collect): submits with the token in the URL (``/v1/key/<token>/…``)."""

    id: int
    display_name: str
    project_id: int
    token: str = field(repr=False)
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


@dataclass
class Session:
    """A login session: its bearer token and whose it is."""

    token: str = field(repr=False)
    user_id: int
    created_at: datetime
    expires_at: datetime
    csrf: str = field(repr=False, default_factory=lambda: _token(64))


@dataclass
class FormDef:
    """One version of a form's definition (published or the draft)."""

    id: int
    schema: FormSchema
    created_at: datetime
    published_at: datetime | None = None


@dataclass
class SubmissionDef:
    """One version of a submission: its instanceID, its XML and the form version it answers."""

    instance_id: str
    xml: bytes
    created_at: datetime
    form_version: str
    submitter_id: int | None
    device_id: str | None
    deprecated_id: str | None = None


@dataclass
class Submission:
    """A submission: ``instance_id`` is its first instanceID (Central's ``__id``), kept across edits."""

    seq: int
    instance_id: str
    created_at: datetime
    defs: list[SubmissionDef]
    submitter_id: int | None = None
    device_id: str | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    review_state: str | None = None
    rendered: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def current(self) -> SubmissionDef:
        """The current version."""
        return self.defs[-1]

    @property
    def sort_key(self) -> tuple[datetime, int]:
        """Where the submission sits in Central's order (newest first = descending)."""
        return self.created_at, self.seq


@dataclass
class Form:
    """A form: its published versions (oldest first), its draft, and its submissions oldest first."""

    project_id: int
    xml_form_id: str
    created_at: datetime
    published: list[FormDef] = field(default_factory=list)
    draft: FormDef | None = None
    state: str = "open"
    updated_at: datetime | None = None
    enketo_id: str = field(default_factory=lambda: _token(31))
    enketo_once_id: str = field(default_factory=lambda: _token(64))
    draft_token: str = field(default_factory=lambda: _token(64), repr=False)
    rows: list[Submission] = field(default_factory=list, repr=False)
    by_root: dict[str, Submission] = field(default_factory=dict, repr=False)
    by_version: dict[str, Submission] = field(default_factory=dict, repr=False)

    @property
    def current(self) -> FormDef:
        """The published version, or the draft of a form never published."""
        return self.published[-1] if self.published else self.draft  # type: ignore[return-value]

    def index_of(self, instance_id: str) -> int | None:
        """The position of a submission (deleted or not) in ``rows``."""
        sub = self.by_root.get(instance_id)
        if sub is None:
            return None
        at = bisect.bisect_left(self.rows, sub.sort_key, key=lambda s: s.sort_key)
        return at if at < len(self.rows) and self.rows[at] is sub else None


@dataclass
class Project:
    """A project and its forms."""

    id: int
    name: str
    created_at: datetime
    description: str = ""
    forms: dict[str, Form] = field(default_factory=dict)


class CentralState:
    """The server's data. ``users`` maps emails to passwords."""

    def __init__(self, users: Mapping[str, str]) -> None:
        self.lock = threading.RLock()
        self.clock = Clock()
        self.users: dict[str, User] = {}
        self.app_users: dict[str, AppUser] = {}
        self.sessions: dict[str, Session] = {}
        self.projects: dict[int, Project] = {}
        self._ids = {"user": 0, "project": 0, "def": 0, "submission": 0}
        for email, password in users.items():
            self.add_user(email, password)

    def now(self) -> datetime:
        """The server's current time."""
        return self.clock.now()

    def _next(self, kind: str) -> int:
        with self.lock:
            self._ids[kind] += 1
            return self._ids[kind]

    # --- users and sessions -----------------------------------------------------------------------------------
    def add_user(self, email: str, password: str, display_name: str | None = None) -> User:
        """A web user."""
        with self.lock:
            user = User(self._next("user"), email, password, display_name or email.split("@")[0], self.now())
            self.users[email] = user
            return user

    def user_by_id(self, user_id: int | None) -> User | None:
        """The web user with this id."""
        return next((u for u in self.users.values() if u.id == user_id), None)

    def login(self, email: Any, password: Any) -> Session:
        """A new session for a known email and password; 401.2 otherwise (the same for both, as Central)."""
        with self.lock:
            user = self.users.get(email) if isinstance(email, str) else None
            if user is None or not isinstance(password, str) or not secrets.compare_digest(user.password, password):
                raise problem.authentication_failed()
            now = self.now()
            session = Session(_token(64), user.id, now, now + SESSION_LIFETIME)
            self.sessions[session.token] = session
            return session

    def session_user(self, token: str) -> User | None:
        """The user of a live session token."""
        with self.lock:
            session = self.sessions.get(token)
            if session is None or session.expires_at <= self.now():
                return None
            return self.user_by_id(session.user_id)

    def logout(self, token: str) -> None:
        """End a session (it is kept, expired, so tests can still look for its token)."""
        with self.lock:
            session = self.sessions.get(token)
            if session is not None:
                session.expires_at = self.now()

    def add_app_user(self, project_id: int, display_name: str) -> AppUser:
        """An app user of a project (its token goes in Collect's server URL)."""
        with self.lock:
            self.project(project_id)
            app_user = AppUser(self._next("user"), display_name, project_id, _token(64))
            self.app_users[app_user.token] = app_user
            return app_user

    # --- projects and forms -----------------------------------------------------------------------------------
    def create_project(self, name: str) -> Project:
        """A new project."""
        with self.lock:
            project = Project(self._next("project"), name, self.now())
            self.projects[project.id] = project
            return project

    def project(self, project_id: int) -> Project:
        """A project; 404.1 when there is none."""
        with self.lock:
            project = self.projects.get(project_id)
        if project is None:
            raise problem.not_found()
        return project

    def form(self, project_id: int, form_id: str) -> Form:
        """A form of a project; 404.1 when there is none."""
        form = self.project(project_id).forms.get(form_id)
        if form is None:
            raise problem.not_found()
        return form

    @staticmethod
    def _schema(xml: str | bytes) -> FormSchema:
        try:
            return parse_xform(xml)
        except XFormError as exc:
            if "Required parameter" in str(exc):
                raise problem.missing_parameter("xmlFormId") from None
            text = xml.decode("utf-8", "replace") if isinstance(xml, bytes) else xml
            raise problem.unparseable("xml", len(text)) from None

    def create_form(self, project_id: int, xml: str | bytes, publish: bool = True) -> Form:
        """A new form from XForm XML, published or left as a draft; 409.3 when the project has that form id."""
        schema = self._schema(xml)
        with self.lock:
            project = self.project(project_id)
            if schema.form_id in project.forms:
                raise problem.uniqueness("projectId,xmlFormId", f"{project_id},{schema.form_id}")
            now = self.now()
            form = Form(project_id, schema.form_id, now)
            form.draft = FormDef(self._next("def"), schema, now)
            project.forms[schema.form_id] = form
            if publish:
                self.publish(form)
            return form

    def create_draft(self, form: Form, xml: str | bytes | None) -> FormDef:
        """A draft from new XML (its form id must be this form's), or a copy of the published version."""
        with self.lock:
            if xml is None:
                schema = form.current.schema
            else:
                schema = self._schema(xml)
                if schema.form_id != form.xml_form_id:
                    raise problem.unexpected_value("xmlFormId", schema.form_id,
                                                   f"The XForm you have uploaded has a different xmlFormId than the form "
                                                   f"it is supposed to replace ({form.xml_form_id}).")
            form.draft = FormDef(self._next("def"), schema, self.now())
            form.updated_at = self.now()
            return form.draft

    def publish(self, form: Form, version: str | None = None) -> FormDef:
        """Publish the draft (``version`` rewrites its version); 404.1 without a draft, 409.6 when the version
        was published before."""
        with self.lock:
            draft = form.draft
            if draft is None:
                raise problem.not_found()
            schema = draft.schema.with_version(version) if version is not None else draft.schema
            if any(d.schema.version == schema.version for d in form.published):
                raise problem.version_conflict(form.xml_form_id, schema.version)
            published = FormDef(draft.id, schema, draft.created_at, self.now())
            form.published.append(published)
            form.draft = None
            form.updated_at = published.published_at
            for sub in form.rows:
                sub.rendered.clear()
            return published

    # --- submissions ------------------------------------------------------------------------------------------
    def submit(self, project_id: int, xml: bytes, *, submitter_id: int | None, device_id: str | None = None,
               form_id: str | None = None, trusted: bool = False) -> tuple[Submission, bool]:
        """Receive submission XML (OpenRosa, or the REST API for ``form_id``): a new submission, an edit (with
        ``meta/deprecatedID``), or a resubmission of identical XML; returns the submission and whether it is new.
        XML from the network is parsed safely; ``trusted`` XML (written by the test hooks) quickly."""
        try:
            root = ET.fromstring(xml) if trusted else parse_submission(xml)
        except Refused as refused:
            raise problem.unparseable("xml", len(xml)) if "formatted" in refused.message else Problem(
                400.1, refused.message) from None
        facts = instance_facts(root)
        with self.lock:
            project = self.project(project_id)
            if form_id is not None and facts.form_id != form_id:
                raise problem.unexpected_value("form id", facts.form_id, "did not match the form ID in the URL "
                                                                         f"({form_id}).")
            form = project.forms.get(facts.form_id)
            if form is None or not form.published:
                raise problem.not_found()
            if form.state == "closed":
                raise Problem(409.2, "This form is not currently accepting submissions. Please talk to your program "
                                     "staff if this is unexpected.")
            if facts.deprecated_id:  # Central checks the version edited (404.5, 409.9) before the form version
                self._edit_base(form, facts.deprecated_id)
            if not any(d.schema.version == facts.version for d in form.published):
                raise Problem(404.6, f"The form version specified in this submission '{facts.version}' does not exist.",
                              {"formVersion": facts.version})
            if not facts.instance_id:
                raise problem.missing_parameter("instanceID")
            if facts.deprecated_id:
                return self._edit(form, facts.instance_id, facts.deprecated_id, xml, facts.version, submitter_id,
                                  device_id), True
            existing = form.by_version.get(facts.instance_id)
            if existing is not None:
                if existing.instance_id == facts.instance_id and existing.defs[0].xml == xml:
                    return existing, False
                raise Problem(409.1, "A submission already exists with this ID, but with different XML. Resubmissions "
                                     "to attach additional multimedia must resubmit an identical xml_submission_file.")
            now = self.now()
            sub = Submission(self._next("submission"), facts.instance_id, now,
                             [SubmissionDef(facts.instance_id, xml, now, facts.version, submitter_id, device_id)],
                             submitter_id, device_id)
            bisect.insort(form.rows, sub, key=lambda s: s.sort_key)
            form.by_root[sub.instance_id] = sub
            form.by_version[sub.instance_id] = sub
            return sub, True

    def _edit(self, form: Form, instance_id: str, deprecated_id: str, xml: bytes, version: str,
              submitter_id: int | None, device_id: str | None) -> Submission:
        sub = self._edit_base(form, deprecated_id)
        if instance_id in form.by_version:
            raise Problem(409.8, "You tried to update a submission, but the instanceID you provided already exists on "
                                 "this server. Please try again with a unique instanceID.")
        now = self.now()
        sub.defs.append(SubmissionDef(instance_id, xml, now, version, submitter_id, device_id, deprecated_id))
        form.by_version[instance_id] = sub
        sub.updated_at = now
        sub.review_state = "edited"
        sub.rendered.clear()
        return sub

    @staticmethod
    def _edit_base(form: Form, deprecated_id: str) -> Submission:
        """The submission whose current version an edit replaces: 404.5 when there is none, 409.9 when
        ``deprecated_id`` is no longer its current version."""
        sub = form.by_version.get(deprecated_id)
        if sub is None or sub.deleted_at is not None:
            raise Problem(404.5, "You tried to update an existing submission, but we can't find that submission to "
                                 f"update ({deprecated_id})", {"deprecatedId": deprecated_id})
        if sub.current.instance_id != deprecated_id:
            raise Problem(409.9, f"You tried to update a submission, but the copy you were editing ({deprecated_id}) "
                                 "is now out of date. Please get the new version that has been submitted, and make "
                                 "your edits again.", {"deprecatedId": deprecated_id})
        return sub

    def submission(self, form: Form, instance_id: str, deleted: bool = False) -> Submission:
        """A submission by its ``__id`` (deleted ones only when ``deleted``); 404.1 otherwise."""
        with self.lock:
            sub = form.by_root.get(instance_id)
        if sub is None or (sub.deleted_at is not None) != deleted:
            raise problem.not_found()
        return sub

    def edit_xml(self, form: Form, instance_id: str, changes: Mapping[str, Any]) -> bytes:
        """New XML for an edit of a submission: its current answers with ``changes`` (None removes an answer), a
        new instanceID and ``meta/deprecatedID`` naming the current one."""
        with self.lock:
            sub = self.submission(form, instance_id)
            schema = form.current.schema
            answers = answers_of(schema, ET.fromstring(sub.current.xml))
            for key, value in changes.items():
                if value is None or value == "":
                    answers.pop(key, None)
                else:
                    answers[key] = value
            return build_submission(schema, answers, f"uuid:{uuidlib.uuid4()}", sub.current.instance_id)

    def review(self, form: Form, instance_id: str, state: Any) -> Submission:
        """Set a submission's review state (it sets ``updatedAt``, as Central's update does)."""
        if state not in REVIEW_STATES:
            # Central validates the column, so the problem names the field ``state`` (not ``reviewState``)
            raise problem.unexpected_value("state", str(state), "not a recognized state name")
        with self.lock:
            sub = self.submission(form, instance_id)
            sub.review_state = state
            sub.updated_at = self.now()
            return sub

    def delete(self, form: Form, instance_id: str) -> Submission:
        """Soft-delete: set ``deletedAt`` (``updatedAt`` is not touched)."""
        with self.lock:
            sub = self.submission(form, instance_id)
            sub.deleted_at = self.now()
            return sub

    def restore(self, form: Form, instance_id: str) -> Submission:
        """Undo a soft delete: clear ``deletedAt`` (``updatedAt`` is not touched); 404.1 unless deleted."""
        with self.lock:
            sub = self.submission(form, instance_id, deleted=True)
            sub.deleted_at = None
            return sub

    def purge(self, form: Form, instance_id: str | None = None, *, force: bool = True) -> int:
        """Remove deleted submissions for good: one (``instance_id``), or all of the form's; without ``force``
        only those deleted more than 30 days ago (Central's nightly purge). Returns how many were removed."""
        with self.lock:
            limit = self.now() - PURGE_AFTER
            gone = [s for s in form.rows if s.deleted_at is not None and (force or s.deleted_at < limit)
                    and (instance_id is None or s.instance_id == instance_id)]
            if instance_id is not None and not gone:
                raise problem.not_found()
            for sub in gone:
                form.rows.remove(sub)
                form.by_root.pop(sub.instance_id, None)
                for version in sub.defs:
                    form.by_version.pop(version.instance_id, None)
            return len(gone)

    # --- reading ----------------------------------------------------------------------------------------------
    def system(self, sub: Submission) -> dict[str, Any]:
        """A submission's ``__system`` properties."""
        submitter = self.user_by_id(sub.submitter_id) or next(
            (a for a in self.app_users.values() if a.id == sub.submitter_id), None)
        return {"submissionDate": iso(sub.created_at), "updatedAt": iso(sub.updated_at),
                "submitterId": None if sub.submitter_id is None else str(sub.submitter_id),
                "submitterName": getattr(submitter, "display_name", None), "attachmentsPresent": 0,
                "attachmentsExpected": 0, "status": None, "reviewState": sub.review_state, "deviceId": sub.device_id,
                "edits": len(sub.defs) - 1, "formVersion": sub.defs[0].form_version, "deletedAt": iso(sub.deleted_at)}

    def odata_row(self, form: Form, sub: Submission, selection: Selection, expand: bool = False,
                  wkt: bool = False) -> dict[str, Any]:
        """One row of ``Submissions`` as Central's OData shows it: the fields, ``__id``, ``__system``."""
        schema = form.current.schema
        key = (form.current.id, expand, wkt)
        data = sub.rendered.get(key)
        if data is None:
            data = render_data(schema, ET.fromstring(sub.current.xml), sub.instance_id, expand=expand, wkt=wkt)
            sub.rendered[key] = data
        row = dict(select_data(data, selection.paths))
        row["__id"] = sub.instance_id
        if selection.system:
            system = self.system(sub)
            row["__system"] = {name: system[name] for name in selection.system}
        return row

    def query(self, form: Form, query: Query) -> tuple[list[dict[str, Any]], int | None, str | None]:
        """The rows of one OData page, the total count (when asked) and the instanceId to continue after."""
        with self.lock:
            rows = list(form.rows)
            page = run(query, rows, self.now, form.index_of)
            out = [self.odata_row(form, sub, query.selection, query.expand, query.wkt) for sub in page.rows]
        return out, page.count, page.rows[-1].instance_id if page.more else None

    def answers_hook(self, form: Form, answers: Mapping[str, Any], instance_id: str | None = None) -> bytes:
        """Submission XML for answers given as the Kobo API keys them (for the test hooks)."""
        return build_submission(form.current.schema, answers, instance_id or f"uuid:{uuidlib.uuid4()}")

    def latest_form(self) -> Form:
        """The most recently published form of any project (the default of the test hooks)."""
        with self.lock:
            forms = [f for p in self.projects.values() for f in p.forms.values() if f.published]
        if not forms:
            raise ValueError("no published form on this server: create one with create_form() first")
        return max(forms, key=lambda f: f.published[-1].published_at or f.created_at)
