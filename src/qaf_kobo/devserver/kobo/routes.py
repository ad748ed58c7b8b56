"""KPI's API v2 on the Kobo-compatible server: a werkzeug routing ``Map`` of the endpoints to handler functions
that answer with KPI's JSON (paging, auth and error rules as /work/shared/reference/kobo-api.md describes).

Order of checks, as in KPI: an unknown token is 401 before anything else; then the path (404) and the method
(405, except that an asset the caller may not see is 404 first); then the handler.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from qaf_kobo.devserver.kobo import openrosa
from qaf_kobo.devserver.kobo.context import Call, InvalidToken, Settings
from qaf_kobo.devserver.kobo.query import UnsupportedQuery, project
from qaf_kobo.devserver.kobo.state import Asset, KoboState


class ApiError(Exception):
    """An HTTP error answer with a JSON body (or a plain-text one when ``body`` is a string)."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}

    def response(self) -> Response:
        """The answer."""
        if isinstance(self.body, str):
            return Response(self.body, self.status, self.headers, content_type="text/plain; charset=utf-8")
        return _json(self.body, self.status, self.headers)


NOT_FOUND = {"detail": "Not found."}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _asset(call: Call, user: str | None, asset_uid: str) -> Asset:
    asset = call.state.visible_asset(asset_uid, user)
    if asset is None:
        raise ApiError(404, NOT_FOUND)
    return asset


# --- helpers: paging and query parameters ----------------------------------------------------------------------
def _limits(args: MultiDict, settings: Settings) -> tuple[int, int]:
    try:
        limit = int(args["limit"]) if "limit" in args else settings.page_size
        if limit <= 0:
            raise ValueError
    except ValueError:
        raise ApiError(400, {"limit": "A positive integer is required"}) from None
    try:
        start = max(0, int(args.get("start", args.get("offset", "0"))))
    except ValueError:
        raise ApiError(400, {"start": "A positive integer is required"}) from None
    return min(limit, settings.max_page_size), start


def _page(request: Request, count: int, limit: int, start: int, results: str) -> str:
    """A KPI page, ``results`` being the JSON text of the rows joined by ", "; ``next``/``previous`` keep the
    other query parameters and rewrite only ``limit`` and ``start``."""
    def link(new_start: int | None) -> str:
        args = request.args.copy()
        args["limit"] = str(limit)
        args.pop("offset", None)
        if new_start is None:
            args.pop("start", None)
        else:
            args["start"] = str(new_start)
        return request.base_url + "?" + urlencode(list(args.items(multi=True)))

    nxt = link(start + limit) if start + limit < count else None
    prev = None if start <= 0 else link(None if start - limit <= 0 else start - limit)
    return f'{{"count": {count}, "next": {json.dumps(nxt)}, "previous": {json.dumps(prev)}, "results": [{results}]}}'


def _json_param(args: MultiDict, name: str, kind: type, default: Any) -> Any:
    if name not in args:
        return default
    try:
        value = json.loads(args[name])
    except (ValueError, RecursionError):
        raise ApiError(400, {name: "Value must be valid JSON."}) from None
    if not isinstance(value, kind):
        raise ApiError(400, {name: "Value must be valid JSON."})
    return value


def _base(call: Call) -> str:
    return call.request.host_url.rstrip("/")


# --- KPI's JSON for an asset -------------------------------------------------------------------------------
def _asset_json(call: Call, asset: Asset) -> dict[str, Any]:
    """An asset as ``GET /api/v2/assets/<uid>/`` shows it."""
    base = _base(call)
    url = f"{base}/api/v2/assets/{asset.uid}/"
    deployed = asset.deployed_version_id is not None
    links = {}
    if deployed:
        enketo, eid = f"{base}/enketo", asset.enketo_id
        links = {"url": f"{enketo}/x/{eid}", "single_url": f"{enketo}/single/{eid}",
                 "single_once_url": f"{enketo}/single/once/{eid}", "offline_url": f"{enketo}/x/{eid}",
                 "preview_url": f"{enketo}/preview/{eid}", "iframe_url": f"{enketo}/i/{eid}",
                 "single_iframe_url": f"{enketo}/single/i/{eid}",
                 "single_once_iframe_url": f"{enketo}/single/once/i/{eid}"}
    with call.state.lock:
        count = len(asset.rows)
        last_time = max((row["_submission_time"] for row, _ in asset.rows), default=None)
    return {
        "url": url, "uid": asset.uid, "name": asset.name, "asset_type": asset.asset_type,
        "owner__username": asset.owner, "date_created": _iso(asset.date_created),
        "date_modified": _iso(asset.date_modified),
        "date_deployed": _iso(asset.date_deployed) if asset.date_deployed else None,
        "version_id": asset.version_id, "deployed_version_id": asset.deployed_version_id,
        "has_deployment": deployed, "deployment__active": asset.deployment_active,
        "deployment__submission_count": count if deployed else 0,
        "deployment__last_submission_time": last_time, "deployment__encrypted": False,
        "deployment__uuid": asset.enketo_id if deployed else None, "deployment_status": asset.deployment_status,
        "deployment__links": links, "data": f"{url}data/", "xform_link": f"{url}xform/",
        "deployed_versions": {"count": 1 if deployed else 0, "results": [
            {"uid": asset.deployed_version_id, "date_deployed": _iso(asset.date_deployed)}]
            if deployed and asset.date_deployed else []},
        "settings": {}, "summary": {}, "tag_string": "", "permissions": [],
    }


# --- handlers --------------------------------------------------------------------------------------------------
def me(call: Call, user: str | None) -> Response:
    """``/me/``: the current user."""
    if user is None:
        raise ApiError(401, {"detail": "Authentication credentials were not provided."})
    return _json({"username": user})


_SEARCH_FIELDS: dict[str, Callable[[Asset], str]] = {
    "asset_type": lambda a: a.asset_type, "uid": lambda a: a.uid, "name": lambda a: a.name,
    "_deployment_status": lambda a: a.deployment_status}


def asset_list(call: Call, user: str | None) -> Response:
    """``GET /api/v2/assets/``: the assets the caller may see, filtered by ``q`` (``field:value`` terms joined by
    AND), paged."""
    assets = call.state.visible_assets(user)
    for term in filter(None, re.split(r"\s+AND\s+", call.request.args.get("q", "").strip())):
        key, _, value = term.partition(":")
        getter = _SEARCH_FIELDS.get(key)
        if getter is None:
            raise ApiError(400, {"detail": f"Field `{key}` is not allowed."})
        assets = [a for a in assets if getter(a) == value.strip("\"'")]
    limit, start = _limits(call.request.args, call.settings)
    results = [json.dumps(_asset_json(call, a)) for a in assets]
    return Response(_page(call.request, len(results), limit, start, ", ".join(results[start:start + limit])),
                    content_type="application/json")


def import_create(call: Call, user: str | None) -> Response:
    """``POST /api/v2/imports/``: start converting an XLSForm (multipart ``file``; ``library``, ``name``,
    ``destination`` as KPI reads them)."""
    if user is None:
        raise ApiError(401, {"detail": "Authentication credentials were not provided."})
    form = call.request.form
    upload = call.request.files.get("file")
    if upload is None:
        raise ApiError(400, {"detail": "send the XLSForm as the multipart field `file`"})
    target: Asset | None = None
    if form.get("destination"):
        match = re.fullmatch(r"/api/v2/assets/([^/]+)/?", urlsplit(form["destination"]).path)
        target = call.state.assets.get(match.group(1)) if match else None
        if target is None or target.owner != user:
            raise ApiError(400, {"destination": "Invalid hyperlink - Object does not exist."})
    name = form.get("name") or Path(upload.filename or "form").stem
    task = call.state.start_import(user, upload.read(), name, form.get("library") != "false", target)
    return _json({"uid": task.uid, "url": f"{_base(call)}/api/v2/imports/{task.uid}/", "status": "processing"}, 201)


def import_status(call: Call, user: str | None, import_uid: str) -> Response:
    """``GET /api/v2/imports/<uid>/``: processing (always on the first poll), then complete or error."""
    task = call.state.poll_import(import_uid, user)
    if task is None:
        raise ApiError(404, NOT_FOUND)
    status = "processing" if task.polls == 1 or not task.done.is_set() else task.status
    return _json({"uid": task.uid, "url": call.request.base_url, "status": status,
                  "messages": task.messages if status != "processing" else {}})


def asset_detail(call: Call, user: str | None, asset_uid: str) -> Response:
    """``GET /api/v2/assets/<uid>/``."""
    return _json(_asset_json(call, _asset(call, user, asset_uid)))


def deployment(call: Call, user: str | None, asset_uid: str) -> Response:
    """``/api/v2/assets/<uid>/deployment/``: GET shows it; POST deploys (405 if deployed); PATCH with only
    ``active`` archives or unarchives, with the current ``version_id`` redeploys (another one: 500, as KPI)."""
    asset = _asset(call, user, asset_uid)
    method, state = call.request.method, call.state
    if method in ("GET", "HEAD"):
        if asset.deployed_version_id is None:
            raise ApiError(404, NOT_FOUND)
        return _json(_deployment_json(call, asset))
    if user is None or asset.owner != user:
        raise ApiError(403, {"detail": "You do not have permission to perform this action."})
    try:
        body = json.loads(call.request.get_data() or b"{}") if call.request.is_json else call.request.form.to_dict()
    except (ValueError, RecursionError):
        raise ApiError(400, {"detail": "JSON parse error"}) from None
    if not isinstance(body, dict):
        raise ApiError(400, {"non_field_errors": ["Invalid data. Expected a dictionary."]})
    active = str(body.get("active", "false")).lower() in ("true", "1")
    if body.get("backend", "openrosa") != "openrosa":
        raise ApiError(400, {"backend": "This field cannot be modified."})
    with state.lock:
        if method == "POST":
            if asset.deployed_version_id is not None:
                raise ApiError(405, {"detail": "Use PATCH to update an existing deployment"})
            if asset.asset_type != "survey":
                raise ApiError(400, {"error": f"Only surveys may be deployed, but `{asset.asset_type}` is not a "
                                              "survey."})
            state.deploy(asset, active)
        elif asset.deployed_version_id is None:
            raise ApiError(405, {"detail": "Use POST to create a new deployment"})
        elif set(body) == {"active"}:
            asset.deployment_active = active
        elif body.get("version_id") != asset.version_id:
            raise ApiError(500, "NotImplementedError: Only the current version_id can be deployed")
        else:
            state.deploy(asset, active if "active" in body else asset.deployment_active)
    return _json(_deployment_json(call, asset))


def _deployment_json(call: Call, asset: Asset) -> dict[str, Any]:
    return {"backend": "openrosa", "active": asset.deployment_active, "version_id": asset.deployed_version_id,
            "asset": _asset_json(call, asset)}


def xform(call: Call, user: str | None, asset_uid: str) -> Response:
    """``GET /api/v2/assets/<uid>/xform/``: the newest version's XForm."""
    asset = _asset(call, user, asset_uid)
    version = asset.version(asset.version_id)
    if version is None or version.xform is None:
        raise ApiError(404, NOT_FOUND)
    return Response(version.xform, content_type="text/xml; charset=utf-8")


def data_list(call: Call, user: str | None, asset_uid: str) -> Response:
    """``GET /api/v2/assets/<uid>/data/`` (or ``data.json``): KPI's ``limit``/``start``, ``query``, ``sort`` and
    ``fields`` rules; rows in ``_id`` order by default."""
    asset = _asset(call, user, asset_uid)
    if asset.deployed_version_id is None:
        raise ApiError(400, {"detail": "The specified asset has not been deployed"})
    args = call.request.args
    if "count" in args:
        raise ApiError(400, {"count": "Use `count` property of the response instead"})
    limit, start = _limits(args, call.settings)
    query = _json_param(args, "query", dict, {})
    sort = _json_param(args, "sort", dict, {"_id": 1})
    fields = _json_param(args, "fields", list, [])
    try:
        sort = {str(k): int(v) for k, v in sort.items()}
    except (TypeError, ValueError):
        raise ApiError(400, {"sort": "Value must be valid JSON."}) from None
    try:
        selected = call.state.select(asset, query, sort)
    except (UnsupportedQuery, re.error, TypeError):
        raise ApiError(400, {"detail": "Unsupported query"}) from None
    page = selected[start:start + limit]
    if fields:
        results = ", ".join(json.dumps(project(row, fields)) for row, _ in page)
    else:
        results = ", ".join(text for _, text in page)
    return Response(_page(call.request, len(selected), limit, start, results), content_type="application/json")


def data_item(call: Call, user: str | None, asset_uid: str, item: str) -> Response:
    """``GET /api/v2/assets/<uid>/data/<id>/``: by ``_id``, rootUuid or ``_uuid``."""
    found = call.state.find_row(_asset(call, user, asset_uid), item)
    if found is None:
        raise ApiError(404, NOT_FOUND)
    return Response(found[1], content_type="application/json")


ROUTES = Map([
    Rule("/me/", endpoint=me, methods=["GET"]),
    Rule("/api/v2/me/", endpoint=me, methods=["GET"]),
    Rule("/api/v2/assets/", endpoint=asset_list, methods=["GET"]),
    Rule("/api/v2/imports/", endpoint=import_create, methods=["POST"]),
    Rule("/api/v2/imports/<import_uid>/", endpoint=import_status, methods=["GET"]),
    Rule("/api/v2/assets/<asset_uid>/", endpoint=asset_detail, methods=["GET"]),
    Rule("/api/v2/assets/<asset_uid>/deployment/", endpoint=deployment, methods=["GET", "POST", "PATCH"]),
    Rule("/api/v2/assets/<asset_uid>/xform/", endpoint=xform, methods=["GET"]),
    Rule("/api/v2/assets/<asset_uid>/data/", endpoint=data_list, methods=["GET"]),
    Rule("/api/v2/assets/<asset_uid>/data.json", endpoint=data_list, methods=["GET"]),
    Rule("/api/v2/assets/<asset_uid>/data/<item>/", endpoint=data_item, methods=["GET"]),
    Rule("/submission", endpoint=openrosa.submission),
    Rule("/submission/", endpoint=openrosa.submission),
], merge_slashes=False)
"""Paths are exact, trailing slash included (no redirects)."""


class KoboApp:
    """The WSGI app: the routes above over ``state``, with ``settings``."""

    def __init__(self, state: KoboState, settings: Settings) -> None:
        self.state, self.settings = state, settings

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        call = Call(Request(environ), self.state, self.settings)
        try:
            response = self._dispatch(call)
        except ApiError as err:
            response = err.response()
        return response(environ, start_response)

    def _dispatch(self, call: Call) -> Response:
        adapter = ROUTES.bind_to_environ(call.request.environ)
        not_allowed: MethodNotAllowed | None = None
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed as exc:
            not_allowed, (endpoint, args) = exc, adapter.match(method=next(iter(exc.valid_methods or ["GET"])))
        except (NotFound, RequestRedirect):
            endpoint, args = None, {}
        if endpoint is openrosa.submission:  # OpenRosa answers its own errors, in XML
            return openrosa.submission(call)
        try:
            user = call.user()
        except InvalidToken:
            raise ApiError(401, {"detail": "Invalid token."}, {"WWW-Authenticate": "Session"}) from None
        if endpoint is None:
            raise ApiError(404, NOT_FOUND)
        if not_allowed is not None:
            if "asset_uid" in args:
                _asset(call, user, args["asset_uid"])  # an asset the caller may not see stays 404
            raise ApiError(405, {"detail": f'Method "{call.request.method}" not allowed.'})
        return endpoint(call, user, **args)
