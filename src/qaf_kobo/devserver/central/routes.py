"""ODK Central's API v1 on the compatible server: a werkzeug routing ``Map`` of the endpoints the client, pyodk
and Collect use, answering with Central's JSON, OData and OpenRosa XML.

Order of checks, as in Central: a bad bearer token is 401.2 before anything else; a path without ``/v1`` is
404.2; an unknown path or method is 404.1; then the handler (callers without a login get 401.2 on web-user
endpoints, app users 403.1). As Central: JSON answers are ``application/json; charset=utf-8``, links
(``@odata.nextLink``, ``@odata.context``) are built from the configured domain rather than the address the
request came to, and the ``Date`` header is the server's own clock (a sync's watermark is taken from it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode
from xml.sax.saxutils import escape

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.http import http_date
from werkzeug.routing import BaseConverter, Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from qaf_kobo.devserver.central import problem
from qaf_kobo.devserver.central.context import Call
from qaf_kobo.devserver.central.csv_export import submissions_zip
from qaf_kobo.devserver.central.odata import Query, skiptoken
from qaf_kobo.devserver.central.problem import Problem
from qaf_kobo.devserver.central.state import AppUser, CentralState, Form, FormDef, Project, Submission, User, iso

XLSX_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.ms-excel")
OPENROSA_HEADERS = {"X-OpenRosa-Version": "1.0", "X-OpenRosa-Accept-Content-Length": "100000000",
                    "Content-Language": "en"}
_SINGLE_ROW = re.compile(r"^Submissions\('((?:uuid:)?[A-Za-z0-9-]+)'\)$")


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status, content_type="application/json; charset=utf-8")


def _success() -> Response:
    return _json({"success": True})


# --- JSON of Central's resources -------------------------------------------------------------------------------
def user_json(user: User) -> dict[str, Any]:
    """A web user as ``/v1/users/current`` shows it."""
    return {"id": user.id, "type": "user", "displayName": user.display_name, "email": user.email,
            "createdAt": iso(user.created_at), "updatedAt": None, "deletedAt": None}


def project_json(project: Project) -> dict[str, Any]:
    """A project."""
    return {"id": project.id, "name": project.name, "description": project.description, "archived": False,
            "keyId": None, "createdAt": iso(project.created_at), "updatedAt": None, "deletedAt": None}


def form_json(form: Form, definition: FormDef | None = None) -> dict[str, Any]:
    """A form (its published version, or ``definition``: the draft or an older version)."""
    definition = definition or form.current
    draft = definition is form.draft
    schema = definition.schema
    return {"projectId": form.project_id, "xmlFormId": form.xml_form_id, "state": form.state,
            "enketoId": form.enketo_id, "enketoOnceId": form.enketo_once_id, "createdAt": iso(form.created_at),
            "updatedAt": iso(form.updated_at), "keyId": None, "version": schema.version, "hash": schema.md5,
            "sha": schema.md5, "sha256": schema.sha256, "draftToken": form.draft_token if draft else None,
            "publishedAt": iso(definition.published_at), "name": schema.title or None, "webformsEnabled": False}


def submission_json(sub: Submission) -> dict[str, Any]:
    """A submission's metadata (the REST API's view, not its data)."""
    return {"instanceId": sub.instance_id, "submitterId": sub.submitter_id, "deviceId": sub.device_id,
            "createdAt": iso(sub.created_at), "updatedAt": iso(sub.updated_at), "reviewState": sub.review_state,
            "userAgent": None, "deletedAt": iso(sub.deleted_at),
            "currentVersion": {"instanceId": sub.current.instance_id, "createdAt": iso(sub.current.created_at),
                               "current": True, "submitterId": sub.current.submitter_id}}


# --- helpers ---------------------------------------------------------------------------------------------------
def _body_json(request: Request) -> dict[str, Any]:
    data = request.get_data()
    try:
        body = json.loads(data or b"{}")
    except (ValueError, RecursionError):
        raise problem.unparseable("json", len(data)) from None
    if not isinstance(body, dict):
        raise problem.unparseable("json", len(data))
    return body


def _form_xml(request: Request) -> bytes:
    """An uploaded form definition: XForm XML only (this server has no XLSForm conversion service)."""
    if (request.mimetype or "") in XLSX_TYPES:
        raise Problem(501.3, "This ODK Central has not been configured to allow XLSForm conversion. Please upload an "
                             "XForms XML file (try XLSForm Online) or contact your server administrator.")
    return request.get_data()


def _true(value: str | None) -> bool:
    return (value or "").lower() == "true"


def _url_with(call: Call, **changes: str | None) -> str:
    """The request's URL on the configured domain with some query parameters set or removed (as Central's
    ``urlWithQueryParams``)."""
    request = call.request
    pairs = parse_qsl(request.query_string.decode("utf-8"), keep_blank_values=True)
    for key, value in changes.items():
        name = "$" + key
        kept = [(k, v) for k, v in pairs if k != name]
        if value is not None:
            first = next((i for i, (k, _) in enumerate(pairs) if k == name), None)
            kept.insert(first if first is not None else len(kept), (name, value))
        pairs = kept
    return call.base_url + request.path + ("?" + urlencode(pairs) if pairs else "")


# --- sessions and users ----------------------------------------------------------------------------------------
def session_create(call: Call) -> Response:
    """``POST /v1/sessions``: log in with email and password."""
    body = _body_json(call.request)
    session = call.state.login(body.get("email"), body.get("password"))
    return _json({"createdAt": iso(session.created_at), "expiresAt": iso(session.expires_at), "token": session.token,
                  "csrf": session.csrf})


def session_delete(call: Call, token: str) -> Response:
    """``DELETE /v1/sessions/<token>`` (or ``current``): log out."""
    call.user()
    if token == "current":
        token = call.request.headers.get("Authorization", "").partition(" ")[2].strip()
    call.state.logout(token)
    return _success()


def user_current(call: Call) -> Response:
    """``GET /v1/users/current``."""
    return _json(user_json(call.user()))


# --- projects and forms ----------------------------------------------------------------------------------------
def projects(call: Call) -> Response:
    """``/v1/projects``: GET lists, POST creates."""
    call.user()
    if call.request.method == "POST":
        name = _body_json(call.request).get("name")
        if not isinstance(name, str) or not name:
            raise problem.missing_parameter("name")
        return _json(project_json(call.state.create_project(name)))
    with call.state.lock:
        return _json([project_json(p) for p in call.state.projects.values()])


def project_detail(call: Call, pid: int) -> Response:
    """``GET /v1/projects/<id>``."""
    call.user()
    return _json(project_json(call.state.project(pid)))


def forms(call: Call, pid: int) -> Response:
    """``/v1/projects/<id>/forms``: GET lists; POST creates from XForm XML (a draft unless ``publish=true``)."""
    call.user()
    project = call.state.project(pid)
    if call.request.method == "POST":
        form = call.state.create_form(pid, _form_xml(call.request), publish=_true(call.request.args.get("publish")))
        return _json(form_json(form))
    with call.state.lock:
        return _json([form_json(f) for f in project.forms.values()])


def form_detail(call: Call, pid: int, fid: str) -> Response:
    """``GET /v1/projects/<id>/forms/<xmlFormId>``."""
    call.user()
    return _json(form_json(call.state.form(pid, fid)))


def form_xml(call: Call, pid: int, fid: str) -> Response:
    """``GET …/forms/<xmlFormId>.xml``: the published XForm."""
    call.user()
    form = call.state.form(pid, fid)
    if not form.published:
        raise problem.not_found()
    return Response(form.published[-1].schema.xml, content_type="application/xml")


def form_versions(call: Call, pid: int, fid: str) -> Response:
    """``GET …/forms/<xmlFormId>/versions``: the published versions, newest first."""
    call.user()
    form = call.state.form(pid, fid)
    return _json([form_json(form, d) for d in reversed(form.published)])


def draft(call: Call, pid: int, fid: str) -> Response:
    """``…/forms/<xmlFormId>/draft``: POST makes a draft (from the XML sent, or a copy of the published
    version); GET shows it; DELETE drops it (409.7 for a form never published)."""
    call.user()
    form = call.state.form(pid, fid)
    method = call.request.method
    if method == "POST":
        data = _form_xml(call.request)
        call.state.create_draft(form, data or None)
        return _success()
    if form.draft is None:
        raise problem.not_found()
    if method == "DELETE":
        if not form.published:
            raise Problem(409.7, "Could not delete draft, because the form has not been published. Either delete the "
                                 "whole form, or replace the draft.")
        form.draft = None
        return _success()
    return _json(form_json(form, form.draft))


def draft_publish(call: Call, pid: int, fid: str) -> Response:
    """``POST …/draft/publish[?version=]``."""
    call.user()
    call.state.publish(call.state.form(pid, fid), call.request.args.get("version"))
    return _success()


# --- submissions (REST) ----------------------------------------------------------------------------------------
def submissions(call: Call, pid: int, fid: str) -> Response:
    """``…/forms/<xmlFormId>/submissions``: GET lists (newest first; ``deleted=true`` lists the deleted);
    POST receives submission XML."""
    user = call.user()
    form = call.state.form(pid, fid)
    if call.request.method == "POST":
        sub, _ = call.state.submit(pid, call.request.get_data(), submitter_id=user.id,
                                   device_id=call.request.args.get("deviceID"), form_id=fid)
        return _json(submission_json(sub))
    deleted = _true(call.request.args.get("deleted"))
    with call.state.lock:
        rows = [s for s in reversed(form.rows) if (s.deleted_at is not None) == deleted]
        return _json([submission_json(s) for s in rows])


def submission(call: Call, pid: int, fid: str, iid: str) -> Response:
    """``…/submissions/<instanceId>``: GET metadata; PUT edits with XML naming the current version in
    ``meta/deprecatedID``; PATCH sets ``reviewState``; DELETE soft-deletes."""
    user = call.user()
    state = call.state
    form = state.form(pid, fid)
    method = call.request.method
    if method == "GET":
        return _json(submission_json(state.submission(form, iid)))
    if method == "PATCH":
        return _json(submission_json(state.review(form, iid, _body_json(call.request).get("reviewState"))))
    if method == "DELETE":
        state.delete(form, iid)
        return _success()
    sub = state.submission(form, iid)
    xml = call.request.get_data()
    if b"deprecatedID" not in xml:
        raise Problem(400.19, "This PUT endpoint expects a deprecatedID metadata tag pointing at the current version "
                              "instanceID. I cannot find that tag in your request.")
    edited, _ = state.submit(pid, xml, submitter_id=user.id, form_id=fid)
    if edited is not sub:
        raise problem.not_found()
    return _json(submission_json(edited))


def submission_restore(call: Call, pid: int, fid: str, iid: str) -> Response:
    """``POST …/submissions/<instanceId>/restore``: undo a soft delete."""
    call.user()
    call.state.restore(call.state.form(pid, fid), iid)
    return _success()


def submission_attachments(call: Call, pid: int, fid: str, iid: str) -> Response:
    """``GET …/submissions/<instanceId>/attachments``: this server keeps no media, so none are expected."""
    call.user()
    call.state.submission(call.state.form(pid, fid), iid)
    return _json([])


def submissions_csv_zip(call: Call, pid: int, fid: str) -> Response:
    """``GET …/submissions.csv.zip``: Central's "all submissions" download (``groupPaths=false`` removes group
    names from the headers); deleted submissions are not in it."""
    call.user()
    state = call.state
    form = state.form(pid, fid)
    with state.lock:
        subs = [s for s in reversed(form.rows) if s.deleted_at is None]
        data = submissions_zip(form.current.schema, subs, state.system,
                               group_paths=call.request.args.get("groupPaths", "true").lower() != "false")
    return Response(data, content_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{fid}.zip"'})


# --- OData -----------------------------------------------------------------------------------------------------
def _odata_response(text: str) -> Response:
    return Response(text, content_type="application/json; charset=utf-8", headers={"OData-Version": "4.0"})


def odata_service(call: Call, pid: int, fid: str) -> Response:
    """``GET …/forms/<xmlFormId>.svc``: the OData service document."""
    call.user()
    form = call.state.form(pid, fid)
    if not form.published:
        raise problem.not_found()
    base = call.base_url + call.request.path
    tables = [{"name": "Submissions", "kind": "EntitySet", "url": "Submissions"}]
    stack = list(form.current.schema.fields)
    while stack:
        f = stack.pop(0)
        if f.type == "repeat":
            name = "Submissions." + f.path.replace("/", ".")
            tables.append({"name": name, "kind": "EntitySet", "url": name})
        stack.extend(f.children)
    return _odata_response(json.dumps({"@odata.context": f"{base}/$metadata", "value": tables}))


def odata_table(call: Call, pid: int, fid: str, table: str) -> Response:
    """``GET …/forms/<xmlFormId>.svc/Submissions`` (paged, filtered) or ``…/Submissions('<instanceId>')``."""
    call.user()
    state = call.state
    form = state.form(pid, fid)
    if not form.published:
        raise problem.not_found()
    args = {k: v for k, v in call.request.args.items()}
    query = Query.from_args(args, form.current.schema)
    service_root = call.base_url + call.request.path.rsplit("/", 1)[0]
    context = f'"@odata.context":{json.dumps(service_root + "/$metadata#Submissions")}'
    single = _SINGLE_ROW.match(table)
    if single:
        with state.lock:
            row = state.odata_row(form, state.submission(form, single.group(1)), query.selection, query.expand, query.wkt)
        return _odata_response('{"value":[' + json.dumps(row) + "]," + context + "}")
    if table != "Submissions":
        raise problem.not_found()
    rows, count, cursor = state.query(form, query)
    parts = ['{"value":[', ",".join(json.dumps(r) for r in rows), "],", context]
    if cursor is not None:
        parts.append(',"@odata.nextLink":' + json.dumps(_url_with(call, skip=None, skiptoken=skiptoken(cursor))))
    if count is not None:
        parts.append(f',"@odata.count":{count}')
    parts.append("}")
    return _odata_response("".join(parts))


# --- OpenRosa --------------------------------------------------------------------------------------------------
def _openrosa(message: str, status: int, nature: str = "") -> Response:
    body = ('<OpenRosaResponse xmlns="http://openrosa.org/http/response" items="0">'
            f'<message nature="{nature}">{escape(message)}</message></OpenRosaResponse>')
    return Response(body, status, headers=OPENROSA_HEADERS, content_type="text/xml; charset=utf-8")


def openrosa_submission(call: Call, pid: int) -> Response:
    """``/v1/projects/<id>/submission`` (also under ``/v1/key/<token>/``): HEAD answers 204; POST receives a
    multipart ``xml_submission_file`` (201). Errors are OpenRosa XML."""
    try:
        if call.request.headers.get("X-OpenRosa-Version") != "1.0":
            value = call.request.headers.get("X-OpenRosa-Version")
            raise Problem(400.6, "An expected header field (X-OpenRosa-Version) did not match the expected format "
                                 f"(got: {'[nothing]' if value is None else value}).")
        actor = call.actor()
        if actor is None:
            raise Problem(401.4, "This resource requires authentication.")
        if isinstance(actor, AppUser) and actor.project_id != pid:
            raise problem.insufficient_rights()
        if call.request.method == "HEAD":
            return Response(status=204, headers=OPENROSA_HEADERS)
        upload = call.request.files.get("xml_submission_file")
        if upload is None:
            raise Problem(400.7, "Required multipart POST field xml_submission_file missing.")
        call.state.submit(pid, upload.read(), submitter_id=actor.id, device_id=call.request.args.get("deviceID"))
        return _openrosa("full submission upload was successful!", 201)
    except Problem as err:
        return _openrosa(err.message, err.status, "error")


ROUTES = Map([
    Rule("/v1/sessions", endpoint=session_create, methods=["POST"]),
    Rule("/v1/sessions/<token>", endpoint=session_delete, methods=["DELETE"]),
    Rule("/v1/users/current", endpoint=user_current, methods=["GET"]),
    Rule("/v1/projects", endpoint=projects, methods=["GET", "POST"]),
    Rule("/v1/projects/<int:pid>", endpoint=project_detail, methods=["GET"]),
    Rule("/v1/projects/<int:pid>/forms", endpoint=forms, methods=["GET", "POST"]),
    Rule("/v1/projects/<int:pid>/forms/<formid:fid>", endpoint=form_detail, methods=["GET"]),
    Rule("/v1/projects/<int:pid>/forms/<formid:fid>.xml", endpoint=form_xml, methods=["GET"]),
    Rule("/v1/projects/<int:pid>/forms/<formid:fid>/versions", endpoint=form_versions, methods=["GET"]),
    Rule("/v1/projects/<int:pid>/forms/<formid:fid>/draft", endpoint=draft, methods=["GET", "POST", "DELETE"]),
    Rule("/v1/projects/<int:pid>/forms/<formid:fid>/draft/publish", endpoint=draft_publish, methods=["POST"]),
    Rule("/v1/projects/<int:pid>/forms/<formid:fid>/submissions.csv.zip", endpoint=submissions_csv_zip,
         methods=["GET"]),
    Rule("/v1/projects/<int:pid>/forms/<formid:fid>/submissions", endpoint=submissions, methods=["GET", "POST"]),
    Rule("/v1/projects/<int:pid>/forms/<formid:fid>/submissions/<iid>", endpoint=submission,
         methods=["GET", "PUT", "PATCH", "DELETE"]),
    Rule("/v1/projects/<int:pid>/forms/<formid:fid>/submissions/<iid>/restore", endpoint=submission_restore,
         methods=["POST"]),
    Rule("/v1/projects/<int:pid>/forms/<formid:fid>/submissions/<iid>/attachments", endpoint=submission_attachments,
         methods=["GET"]),
    Rule("/v1/projects/<int:pid>/forms/<formid:fid>.svc", endpoint=odata_service, methods=["GET"]),
    Rule("/v1/projects/<int:pid>/forms/<formid:fid>.svc/<table>", endpoint=odata_table, methods=["GET"]),
    Rule("/v1/projects/<int:pid>/submission", endpoint=openrosa_submission, methods=["POST", "HEAD"]),
], converters={"formid": type("FormIdConverter", (BaseConverter,), {"regex": r"[^/]+?"})},
    merge_slashes=False, strict_slashes=False)
"""Paths as Central's (no trailing slashes)."""

_KEY_PREFIX = re.compile(r"^/v1/key/([^/]+)(/v1/.*|/.*)$")


class CentralApp:
    """The WSGI app: the routes above over ``state``."""

    def __init__(self, state: CentralState, domain: str = "") -> None:
        self.state = state
        self.domain = domain

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self._dispatch(request)
        except Problem as err:
            response = err.response()
        response.headers["Date"] = http_date(self.state.now())
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        app_user = None
        key = _KEY_PREFIX.match(request.path)
        if key:  # /v1/key/<app user token>/projects/…: Collect's URL
            app_user = self.state.app_users.get(key.group(1))
            if app_user is None:
                raise problem.authentication_failed()
            path = key.group(2) if key.group(2).startswith("/v1/") else "/v1" + key.group(2)
            request.environ["PATH_INFO"] = path
            request = Request(request.environ)
        call = Call(request, self.state, app_user, self.domain)
        if not request.path.startswith("/v1/"):
            call.actor()
            if re.match(r"^/v\d+/", request.path):
                raise Problem(404.3, f"Unexpected an API version (accepts: 1) (got: {request.path.split('/')[1][1:]}).")
            raise Problem(404.2, "Expected an API version (eg /v1) at the start of the request URL.")
        adapter = ROUTES.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except (NotFound, MethodNotAllowed, RequestRedirect):
            call.actor()  # a bad token is 401 even on a path that does not exist
            raise problem.not_found() from None
        if endpoint is not openrosa_submission:
            call.actor()
        return endpoint(call, **args)

