"""A KoboToolbox-compatible HTTP server (KPI API v2 + OpenRosa ``/submission``) for the demo and the tests.

It behaves as /work/shared/reference/kobo-api.md describes KPI: token auth (401 for a bad token, 404 for an
asset the caller may not see), assets, asynchronous XLSForm imports converted with pyxform, deployments,
``/data/`` with KPI's paging, query, sort and fields rules, and OpenRosa submissions. For tests it can inject
faults, add latency and serve static folders from the same origin. Loopback only by default.
"""

from __future__ import annotations

import bisect
import copy
import io
import json
import re
import secrets
import socket
import string
import threading
import time
import uuid as uuidlib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from werkzeug.datastructures import MultiDict
from werkzeug.middleware.shared_data import SharedDataMiddleware
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from qaf_kobo.kobo.devquery import UnsupportedQuery, matches, project, sort_rows
from qaf_kobo.kobo.openrosa import DUPLICATE, SUBMIT_OK, XFormInfo, openrosa_error, submission_answers, xform_info

FAULT_KINDS = ("429", "502", "drop", "truncate", "cut", "echo")
VALIDATION_LABELS = {"validation_status_approved": "Approved", "validation_status_not_approved": "Not approved",
                     "validation_status_on_hold": "On hold"}
_ALPHABET = string.ascii_letters + string.digits


def _uid(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(21))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _bare(value: str) -> str:
    return value[5:] if value.startswith("uuid:") else value


class _Error(Exception):
    """An HTTP error answer with a JSON (or given) body."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


@dataclass
class _Version:
    uid: str
    date: datetime
    xform: str | None = None
    info: XFormInfo | None = None
    xlsx: bytes | None = None


@dataclass
class _Asset:
    uid: str
    name: str
    owner: str
    asset_type: str = "survey"
    versions: list[_Version] = field(default_factory=list)
    deployed_version_id: str | None = None
    deployment_active: bool = False
    date_created: datetime = field(default_factory=_now)
    date_modified: datetime = field(default_factory=_now)
    date_deployed: datetime | None = None
    enketo_id: str = field(default_factory=lambda: "".join(secrets.choice(_ALPHABET) for _ in range(8)))
    public: bool = False
    ids: list[int] = field(default_factory=list)          # _id of each row, ascending
    rows: list[tuple[dict[str, Any], str]] = field(default_factory=list)  # (row, its JSON), same order

    @property
    def version_id(self) -> str | None:
        return self.versions[-1].uid if self.versions else None

    def version(self, uid: str | None) -> _Version | None:
        return next((v for v in self.versions if v.uid == uid), None)


@dataclass
class _Import:
    uid: str
    owner: str
    status: str = "processing"
    messages: dict[str, Any] = field(default_factory=dict)
    polls: int = 0
    done: threading.Event = field(default_factory=threading.Event)


@dataclass
class _Fault:
    kind: str
    remaining: int
    path: str
    retry_after: int
    skip: int


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """No access log (tests and benchmarks make thousands of requests)."""


class DevServer:
    """The server. Use as a context manager (``with DevServer() as server: server.url``) or ``serve_forever()``.

    ``tokens`` maps API tokens to user names; ``token`` is a shortcut for one user. ``page_size`` and
    ``max_page_size`` are KPI's DEFAULT_API_PAGE_SIZE and MAX_API_PAGE_SIZE; ``latency`` seconds are added to
    every request; ``static`` mounts folders at URL prefixes (``{"/enketo/": Path("web")}``).
    """

    def __init__(self, *, token: str | None = None, username: str = "qaf", tokens: dict[str, str] | None = None,
                 host: str = "127.0.0.1", port: int = 0, page_size: int = 100, max_page_size: int = 1000,
                 latency: float = 0.0, static: dict[str, Path] | None = None, anonymous_submissions: bool = True,
                 quiet: bool = True) -> None:
        self.tokens = dict(tokens or {})
        if token is not None:
            self.tokens[token] = username
        self.username = username
        self.host, self.port = host, port
        self.page_size, self.max_page_size = page_size, max_page_size
        self.latency = latency
        self.anonymous_submissions = anonymous_submissions
        self.quiet = quiet
        self.requests: list[tuple[str, str]] = []
        self._assets: dict[str, _Asset] = {}
        self._imports: dict[str, _Import] = {}
        self._faults: list[_Fault] = []
        self._next_id = 1
        self._lock = threading.RLock()
        self._base = ""
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        app: Any = self._wsgi
        if static:
            app = SharedDataMiddleware(app, {prefix.rstrip("/"): str(path) for prefix, path in static.items()})
        self.app = app

    # --- running --------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL (``http://127.0.0.1:<port>``) once bound."""
        return self._base

    def bind(self) -> DevServer:
        """Bind the socket (port 0 = a free port) without serving yet."""
        handler = _QuietHandler if self.quiet else WSGIRequestHandler
        self._server = make_server(self.host, self.port, self.app, threaded=True, request_handler=handler)
        self.port = self._server.server_port
        self._base = f"http://{self.host}:{self.port}"
        return self

    def start(self) -> DevServer:
        """Serve in a background thread."""
        if self._server is None:
            self.bind()
        assert self._server is not None
        self._thread = threading.Thread(target=self._server.serve_forever, name="kobo-devserver", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        if self._server is None:
            self.bind()
        assert self._server is not None
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- test and demo hooks ------------------------------------------------------------------------------
    def inject_fault(self, kind: str, times: int = 1, path: str = "/data/", retry_after: int = 1,
                     after: int = 0) -> None:
        """Make ``times`` requests whose path (with query string) contains ``path`` fail, after letting ``after``
        of them through: ``429`` (with Retry-After), ``502``, ``drop`` (connection closed, no answer),
        ``truncate`` (JSON body cut short, consistent length) or ``cut`` (connection closed half-way through the
        announced body) or ``echo`` (400 whose text echoes the request's Authorization header, as a careless
        proxy might)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}")
        with self._lock:
            self._faults.append(_Fault(kind, times, path, retry_after, after))

    def clear_faults(self) -> None:
        """Forget the faults not yet used."""
        with self._lock:
            self._faults.clear()

    def request_count(self, path_contains: str = "", method: str = "GET") -> int:
        """How many requests with this method reached a path containing ``path_contains`` (faults included)."""
        with self._lock:
            return sum(1 for m, p in self.requests if m == method and path_contains in p)

    def create_asset(self, name: str = "QAF assessment", *, xlsx: Path | bytes | None = None, deploy: bool = True,
                     owner: str | None = None, public: bool = False) -> str:
        """A survey asset (optionally with an XLSForm, converted with pyxform), deployed unless told otherwise."""
        asset = _Asset(_uid("a"), name, owner or self.username, public=public)
        version = _Version(_uid("v"), _now())
        if xlsx is not None:
            data = xlsx if isinstance(xlsx, bytes) else Path(xlsx).read_bytes()
            version.xlsx, version.xform, version.info = data, *_convert(data)
        asset.versions.append(version)
        with self._lock:
            self._assets[asset.uid] = asset
            if deploy:
                self._deploy(asset, active=True)
        return asset.uid

    def asset_uids(self) -> list[str]:
        """All asset uids, oldest first."""
        with self._lock:
            return list(self._assets)

    def add_submission(self, data: dict[str, Any], asset_uid: str | None = None) -> dict[str, Any]:
        """Store a submission as if it had been sent to the asset (default: the most recently deployed survey).

        Missing metadata is filled in the way KPI does (``_id``, ``_uuid``, ``meta/instanceID``, ``meta/rootUuid``,
        ``_submission_time``, ``__version__``, ``_validation_status`` …); numbers become strings and empty answers
        are left out. Returns the row as ``/data/`` will show it.
        """
        with self._lock:
            asset = self._asset_for_hook(asset_uid)
            return copy.deepcopy(self._store_new(asset, _answers_as_strings(data)))

    def add_submissions(self, rows: Iterable[dict[str, Any]], asset_uid: str | None = None) -> int:
        """``add_submission`` for many rows at once; returns how many were added."""
        count = 0
        with self._lock:
            asset = self._asset_for_hook(asset_uid)
            for data in rows:
                self._store_new(asset, _answers_as_strings(data))
                count += 1
        return count

    def edit_submission(self, root_uuid: str, changes: dict[str, Any], asset_uid: str | None = None) -> dict[str, Any]:
        """Edit a submission as KPI does: new ``_uuid``/instanceID, ``meta/deprecatedID`` set; ``_id``, rootUuid and
        ``_submission_time`` kept. A change to None removes the answer."""
        with self._lock:
            asset = self._asset_for_hook(asset_uid)
            index = self._index_of_root(asset, root_uuid)
            row = copy.deepcopy(asset.rows[index][0])
            for key, value in _answers_as_strings(changes).items():
                row[key] = value
            for key, value in changes.items():
                if value is None or value == "":
                    row.pop(key, None)
            new_uuid = str(uuidlib.uuid4())
            row["meta/deprecatedID"] = row.get("meta/instanceID", "uuid:" + row["_uuid"])
            row["meta/instanceID"] = "uuid:" + new_uuid
            row["_uuid"] = new_uuid
            asset.rows[index] = (row, json.dumps(row))
            return copy.deepcopy(row)

    def set_validation_status(self, root_uuid: str, status_uid: str | None, asset_uid: str | None = None) -> None:
        """Set (or with None clear) a submission's validation status, e.g. ``validation_status_approved``."""
        with self._lock:
            asset = self._asset_for_hook(asset_uid)
            index = self._index_of_root(asset, root_uuid)
            row = copy.deepcopy(asset.rows[index][0])
            row["_validation_status"] = {} if status_uid is None else {
                "timestamp": int(time.time()), "uid": status_uid, "by_whom": self.username,
                "label": VALIDATION_LABELS.get(status_uid, status_uid)}
            asset.rows[index] = (row, json.dumps(row))

    def delete_submission(self, root_uuid: str, asset_uid: str | None = None) -> None:
        """Hard-delete a submission (KPI keeps no tombstone)."""
        with self._lock:
            asset = self._asset_for_hook(asset_uid)
            index = self._index_of_root(asset, root_uuid)
            del asset.ids[index]
            del asset.rows[index]

    def submissions(self, asset_uid: str | None = None) -> list[dict[str, Any]]:
        """Copies of the asset's submissions in ``_id`` order, exactly as ``/data/`` returns them."""
        with self._lock:
            asset = self._asset_for_hook(asset_uid)
            return [json.loads(text) for _, text in asset.rows]

    # --- internals: state ---------------------------------------------------------------------------------
    def _asset_for_hook(self, asset_uid: str | None) -> _Asset:
        if asset_uid is not None:
            return self._assets[asset_uid]
        deployed = [a for a in self._assets.values() if a.deployed_version_id]
        if not deployed:
            raise ValueError("no deployed asset on this server: deploy a form or call create_asset() first")
        return max(deployed, key=lambda a: a.date_deployed or a.date_created)

    def _index_of_root(self, asset: _Asset, root_uuid: str) -> int:
        root = _bare(root_uuid)
        for index, (row, _) in enumerate(asset.rows):
            if _bare(str(row.get("meta/rootUuid", ""))) == root:
                return index
        raise KeyError(f"no submission with rootUuid {root_uuid}")

    def _store_new(self, asset: _Asset, row: dict[str, Any], *, kobo_id: int | None = None,
                   submission_time: str | None = None, submitted_by: str | None = None) -> dict[str, Any]:
        instance = row.get("meta/instanceID") or "uuid:" + _bare(str(row.get("_uuid") or uuidlib.uuid4()))
        row["meta/instanceID"] = instance
        root = row.get("meta/rootUuid") or instance
        row["meta/rootUuid"] = "uuid:" + _bare(str(root))
        row.setdefault("__version__", asset.deployed_version_id or asset.version_id)
        row.setdefault("_xform_id_string", asset.uid)
        row["_uuid"] = _bare(instance)
        row.setdefault("_attachments", [])
        row.setdefault("_status", "submitted_via_web")
        row.setdefault("_geolocation", [None, None])
        row.setdefault("_submission_time", submission_time or _now().strftime("%Y-%m-%dT%H:%M:%S"))
        row.setdefault("_validation_status", {})
        row.setdefault("_submitted_by", submitted_by)
        if kobo_id is None:
            kobo_id = int(row.get("_id") or self._next_id)
        row["_id"] = kobo_id
        self._next_id = max(self._next_id, kobo_id + 1)
        index = bisect.bisect_left(asset.ids, kobo_id)
        if index < len(asset.ids) and asset.ids[index] == kobo_id:
            asset.rows[index] = (row, json.dumps(row))
        else:
            asset.ids.insert(index, kobo_id)
            asset.rows.insert(index, (row, json.dumps(row)))
        return row

    def _deploy(self, asset: _Asset, active: bool) -> None:
        asset.deployed_version_id = asset.version_id
        asset.deployment_active = active
        asset.date_deployed = _now()

    # --- internals: HTTP ----------------------------------------------------------------------------------
    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        with self._lock:
            self.requests.append((request.method, request.path))
            fault = self._take_fault(request.full_path)
        if self.latency:
            time.sleep(self.latency)
        if fault is not None and fault.kind == "drop":
            start_response("500 Dropped", [])
            _close(environ)
            return [b""]
        try:
            response = self._dispatch(request)
        except _Error as err:
            body = err.body if isinstance(err.body, str) else json.dumps(err.body)
            ctype = "application/json" if not isinstance(err.body, str) else "text/plain; charset=utf-8"
            response = Response(body, status=err.status, headers=err.headers, content_type=ctype)
        if fault is not None:
            response = self._faulty(fault, response, environ)
        return response(environ, start_response)

    def _take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.path in path:
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.remaining -= 1
                return fault
        return None

    def _faulty(self, fault: _Fault, response: Response, environ: dict[str, Any]) -> Response:
        if fault.kind == "429":
            return _json({"detail": f"Request was throttled. Expected available in {fault.retry_after} seconds."},
                         429, {"Retry-After": str(fault.retry_after)})
        if fault.kind == "echo":
            header = environ.get("HTTP_AUTHORIZATION", "")
            return Response(f"Bad request. Request headers: Authorization: {header}; Accept: "
                            f"{environ.get('HTTP_ACCEPT', '')}", 400, content_type="text/plain")
        if fault.kind == "502":
            return Response("<html><body><h1>502 Bad Gateway</h1></body></html>", 502, content_type="text/html")
        body = response.get_data()
        half = body[: max(1, len(body) // 2)]
        if fault.kind == "truncate":
            response.set_data(half)
            return response

        def cut() -> Iterator[bytes]:
            yield half
            _close(environ)

        cut_response = Response(cut(), status=response.status_code, content_type=response.content_type,
                                direct_passthrough=True)
        cut_response.headers["Content-Length"] = str(len(body))
        return cut_response

    def _user(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "token":
            return None
        user = self.tokens.get(key.strip())
        if user is None:
            raise _Error(401, {"detail": "Invalid token."}, {"WWW-Authenticate": "Session"})
        return user

    def _dispatch(self, request: Request) -> Response:
        path, method = request.path, request.method
        if path.rstrip("/") == "/submission":
            return self._submission(request)
        user = self._user(request)
        if path in ("/me/", "/api/v2/me/"):
            if user is None:
                raise _Error(401, {"detail": "Authentication credentials were not provided."})
            return _json({"username": user})
        if path == "/api/v2/assets/" and method == "GET":
            return self._asset_list(request, user)
        if path == "/api/v2/imports/" and method == "POST":
            return self._import_create(request, user)
        match = re.fullmatch(r"/api/v2/imports/([^/]+)/", path)
        if match and method == "GET":
            return self._import_status(request, user, match.group(1))
        match = re.fullmatch(r"/api/v2/assets/([^/]+)/(?:(deployment|xform|data)/(?:([^/]+)/)?|(data\.json))?", path)
        if match is None:
            raise _Error(404, {"detail": "Not found."})
        asset = self._visible_asset(match.group(1), user)
        part, item = match.group(2) or match.group(4), match.group(3)
        if part is None and method == "GET":
            return _json(self._asset_detail(asset, request.host_url.rstrip("/")))
        if part == "deployment" and item is None:
            return self._deployment(request, user, asset)
        if part == "xform" and item is None and method == "GET":
            version = asset.version(asset.version_id)
            if version is None or version.xform is None:
                raise _Error(404, {"detail": "Not found."})
            return Response(version.xform, content_type="text/xml; charset=utf-8")
        if part in ("data", "data.json") and method == "GET":
            return self._data_item(asset, item) if item else self._data_list(request, asset)
        raise _Error(405, {"detail": f'Method "{method}" not allowed.'})

    def _visible_asset(self, uid: str, user: str | None) -> _Asset:
        with self._lock:
            asset = self._assets.get(uid)
        if asset is None or not (asset.public or (user is not None and asset.owner == user)):
            raise _Error(404, {"detail": "Not found."})
        return asset

    def _asset_detail(self, asset: _Asset, base: str) -> dict[str, Any]:
        url = f"{base}/api/v2/assets/{asset.uid}/"
        deployed = asset.deployed_version_id is not None
        links = {}
        if deployed:
            enketo = f"{base}/enketo"
            links = {"url": f"{enketo}/x/{asset.enketo_id}", "single_url": f"{enketo}/single/{asset.enketo_id}",
                     "single_once_url": f"{enketo}/single/once/{asset.enketo_id}",
                     "offline_url": f"{enketo}/x/{asset.enketo_id}", "preview_url": f"{enketo}/preview/{asset.enketo_id}",
                     "iframe_url": f"{enketo}/i/{asset.enketo_id}",
                     "single_iframe_url": f"{enketo}/single/i/{asset.enketo_id}",
                     "single_once_iframe_url": f"{enketo}/single/once/i/{asset.enketo_id}"}
        status = ("deployed" if asset.deployment_active else "archived") if deployed else "draft"
        last_time = max((row["_submission_time"] for row, _ in asset.rows), default=None)
        return {
            "url": url, "uid": asset.uid, "name": asset.name, "asset_type": asset.asset_type,
            "owner__username": asset.owner, "date_created": _iso(asset.date_created),
            "date_modified": _iso(asset.date_modified),
            "date_deployed": _iso(asset.date_deployed) if asset.date_deployed else None,
            "version_id": asset.version_id, "deployed_version_id": asset.deployed_version_id,
            "has_deployment": deployed, "deployment__active": asset.deployment_active,
            "deployment__submission_count": len(asset.rows) if deployed else 0,
            "deployment__last_submission_time": last_time, "deployment__encrypted": False,
            "deployment__uuid": asset.enketo_id if deployed else None, "deployment_status": status,
            "deployment__links": links, "data": f"{url}data/", "xform_link": f"{url}xform/",
            "deployed_versions": {"count": 1 if deployed else 0, "results": [
                {"uid": asset.deployed_version_id, "date_deployed": _iso(asset.date_deployed)}] if deployed else []},
            "settings": {}, "summary": {}, "tag_string": "", "permissions": [],
        }

    def _asset_list(self, request: Request, user: str | None) -> Response:
        with self._lock:
            assets = [a for a in self._assets.values() if a.public or (user is not None and a.owner == user)]
        for term in filter(None, re.split(r"\s+AND\s+", request.args.get("q", "").strip())):
            key, _, value = term.partition(":")
            value = value.strip("\"'")
            getter = {"asset_type": lambda a: a.asset_type, "uid": lambda a: a.uid, "name": lambda a: a.name,
                      "_deployment_status": lambda a: ("deployed" if a.deployment_active else "archived")
                      if a.deployed_version_id else "draft"}.get(key)
            if getter is None:
                raise _Error(400, {"detail": f"Field `{key}` is not allowed."})
            assets = [a for a in assets if getter(a) == value]
        base = request.host_url.rstrip("/")
        results = [self._asset_detail(a, base) for a in assets]
        return _json(self._paginate(request, results, len(results), *self._limits(request.args)))

    def _import_create(self, request: Request, user: str | None) -> Response:
        if user is None:
            raise _Error(401, {"detail": "Authentication credentials were not provided."})
        upload = request.files.get("file")
        if upload is None:
            raise _Error(400, {"detail": "send the XLSForm as the multipart field `file`"})
        data = upload.read()
        name = request.form.get("name") or None
        library = request.form.get("library") not in ("false",)
        target: _Asset | None = None
        destination = request.form.get("destination")
        if destination:
            match = re.fullmatch(r"/api/v2/assets/([^/]+)/?", urlsplit(destination).path)
            target = self._assets.get(match.group(1)) if match else None
            if target is None or target.owner != user:
                raise _Error(400, {"destination": "Invalid hyperlink - Object does not exist."})
        task = _Import(_uid("i"), user)
        with self._lock:
            self._imports[task.uid] = task
        threading.Thread(target=self._run_import, args=(task, data, name or Path(upload.filename or "form").stem,
                                                       library, target), daemon=True).start()
        url = f"{request.host_url.rstrip('/')}/api/v2/imports/{task.uid}/"
        return _json({"uid": task.uid, "url": url, "status": "processing"}, 201)

    def _run_import(self, task: _Import, data: bytes, name: str, library: bool, target: _Asset | None) -> None:
        try:
            if library and target is None:
                asset = _Asset(_uid("a"), name, task.owner, asset_type="block")
                asset.versions.append(_Version(_uid("v"), _now(), xlsx=data))
                kind = "created"
            else:
                xform, info = _convert(data)
                version = _Version(_uid("v"), _now(), xform, info, data)
                title = _form_title(data) or name
                kind = "updated" if target else "created"
                asset = target or _Asset(_uid("a"), title, task.owner)
                with self._lock:
                    asset.versions.append(version)
                    asset.asset_type = "survey"
                    asset.name = title
                    asset.date_modified = _now()
            with self._lock:
                self._assets.setdefault(asset.uid, asset)
                task.messages = {kind: [{"uid": asset.uid, "kind": "asset", "summary": {}, "owner__username": task.owner}]}
                task.status = "complete"
        except Exception as exc:  # noqa: BLE001 - every conversion problem becomes the import's error, as in KPI
            task.messages = {"error_type": type(exc).__name__, "error": str(exc)}
            task.status = "error"
        finally:
            task.done.set()

    def _import_status(self, request: Request, user: str | None, uid: str) -> Response:
        task = self._imports.get(uid)
        if task is None or task.owner != user:
            raise _Error(404, {"detail": "Not found."})
        task.polls += 1
        status = "processing" if task.polls == 1 or not task.done.is_set() else task.status
        return _json({"uid": task.uid, "url": request.base_url, "status": status,
                      "messages": task.messages if status != "processing" else {}})

    def _deployment(self, request: Request, user: str | None, asset: _Asset) -> Response:
        if request.method == "GET":
            if asset.deployed_version_id is None:
                raise _Error(404, {"detail": "Not found."})
            return _json(self._deployment_body(asset, request))
        if user is None or asset.owner != user:
            raise _Error(403, {"detail": "You do not have permission to perform this action."})
        try:
            body = json.loads(request.get_data() or b"{}") if request.is_json else request.form.to_dict()
        except ValueError:
            raise _Error(400, {"detail": "JSON parse error"}) from None
        active = str(body.get("active", "false")).lower() in ("true", "1")
        if body.get("backend", "openrosa") != "openrosa":
            raise _Error(400, {"backend": "This field cannot be modified."})
        with self._lock:
            if request.method == "POST":
                if asset.deployed_version_id is not None:
                    raise _Error(405, {"detail": "Use PATCH to update an existing deployment"})
                if asset.asset_type != "survey":
                    raise _Error(400, {"error": f"Only surveys may be deployed, but `{asset.asset_type}` is not a survey."})
                self._deploy(asset, active)
            elif request.method == "PATCH":
                if asset.deployed_version_id is None:
                    raise _Error(405, {"detail": "Use POST to create a new deployment"})
                if set(body) == {"active"}:
                    asset.deployment_active = active
                else:
                    if body.get("version_id") != asset.version_id:
                        raise _Error(500, "NotImplementedError: Only the current version_id can be deployed")
                    self._deploy(asset, active if "active" in body else asset.deployment_active)
            else:
                raise _Error(405, {"detail": f'Method "{request.method}" not allowed.'})
        return _json(self._deployment_body(asset, request))

    def _deployment_body(self, asset: _Asset, request: Request) -> dict[str, Any]:
        return {"backend": "openrosa", "active": asset.deployment_active, "version_id": asset.deployed_version_id,
                "asset": self._asset_detail(asset, request.host_url.rstrip("/"))}

    def _limits(self, args: MultiDict) -> tuple[int, int]:
        try:
            limit = int(args["limit"]) if "limit" in args else self.page_size
            if limit <= 0:
                raise ValueError
        except ValueError:
            raise _Error(400, {"limit": "A positive integer is required"}) from None
        try:
            start = max(0, int(args.get("start", args.get("offset", "0"))))
        except ValueError:
            raise _Error(400, {"start": "A positive integer is required"}) from None
        return min(limit, self.max_page_size), start

    def _paginate(self, request: Request, results: list[Any], count: int, limit: int, start: int,
                  raw: str | None = None) -> Any:
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
        if raw is None:
            return {"count": count, "next": nxt, "previous": prev, "results": results}
        return (f'{{"count": {count}, "next": {json.dumps(nxt)}, "previous": {json.dumps(prev)}, '
                f'"results": [{raw}]}}')

    def _data_list(self, request: Request, asset: _Asset) -> Response:
        if asset.deployed_version_id is None:
            raise _Error(400, {"detail": "The specified asset has not been deployed"})
        args = request.args
        if "count" in args:
            raise _Error(400, {"count": "Use `count` property of the response instead"})
        limit, start = self._limits(args)
        query = _json_param(args, "query", dict, {})
        sort = _json_param(args, "sort", dict, {"_id": 1})
        fields = _json_param(args, "fields", list, [])
        try:
            sort = {str(k): int(v) for k, v in sort.items()}
        except (TypeError, ValueError):
            raise _Error(400, {"sort": "Value must be valid JSON."}) from None
        with self._lock:
            selected = _fast_select(asset, query, sort)
            if selected is None:
                rows = [row for row, _ in asset.rows]
        if selected is None:
            try:
                picked = [r for r in rows if matches(r, query)]
            except (UnsupportedQuery, re.error, TypeError):
                raise _Error(400, {"detail": "Unsupported query"}) from None
            ordered = sort_rows(picked, sort) if sort else picked
            selected = [(r, None) for r in ordered]
        page = selected[start:start + limit]
        if fields:
            raw = ", ".join(json.dumps(project(row, fields)) for row, _ in page)
        else:
            raw = ", ".join(text if text is not None else json.dumps(row) for row, text in page)
        body = self._paginate(request, [], len(selected), limit, start, raw)
        return Response(body, content_type="application/json")

    def _data_item(self, asset: _Asset, item: str) -> Response:
        with self._lock:
            for row, text in asset.rows:
                if item in (str(row["_id"]), _bare(str(row.get("meta/rootUuid", ""))), row.get("_uuid")):
                    return Response(text, content_type="application/json")
        raise _Error(404, {"detail": "Not found."})

    def _submission(self, request: Request) -> Response:
        headers = {"X-OpenRosa-Version": "1.0", "X-OpenRosa-Accept-Content-Length": "10000000"}
        if request.method in ("HEAD", "GET"):
            return Response(status=204, headers=headers)
        if request.method != "POST":
            raise _Error(405, {"detail": "Method not allowed."})
        try:
            user = self._user(request)
        except _Error:
            return _xml(openrosa_error("Invalid token."), 401, headers)
        if user is None and not self.anonymous_submissions:
            return _xml(openrosa_error("Authentication required."), 401, headers)
        upload = request.files.get("xml_submission_file")
        if upload is None:
            return _xml(openrosa_error("No XML submission file."), 400, headers)
        try:
            root = ET.fromstring(upload.read())
        except (ET.ParseError, ValueError):
            return _xml(openrosa_error("Improperly formatted XML."), 400, headers)
        with self._lock:
            attrs = root.attrib
            asset = self._asset_for_form(attrs.get("id", ""))
            if asset is None:
                return _xml(openrosa_error("Form not found or not accepting submissions."), 404, headers)
            deployed = asset.version(asset.deployed_version_id)
            repeats = deployed.info.repeats if deployed and deployed.info else frozenset()
            answers = submission_answers(root, repeats)
            instance = answers.get("meta/instanceID")
            if not instance:
                return _xml(openrosa_error("The submission has no meta/instanceID."), 400, headers)
            if any(row["_uuid"] == _bare(instance) for row, _ in asset.rows):
                return _xml(DUPLICATE, 202, headers)
            version_attr = attrs.get("version", "")
            answers["__version__"] = next((v.uid for v in reversed(asset.versions)
                                           if v.info and v.info.version == version_attr and version_attr),
                                          version_attr or asset.deployed_version_id)
            answers["_attachments"] = [{"filename": f.filename, "mimetype": f.mimetype, "media_file_basename":
                                        Path(f.filename or "").name} for key, f in request.files.items(multi=True)
                                       if key != "xml_submission_file"]
            previous = self._previous_version(asset, answers.get("meta/deprecatedID"))
            if previous is not None:
                answers.setdefault("meta/rootUuid", previous["meta/rootUuid"])
                self._store_new(asset, answers, kobo_id=previous["_id"], submission_time=previous["_submission_time"],
                                submitted_by=user)
            else:
                self._store_new(asset, answers, submitted_by=user)
        return _xml(SUBMIT_OK, 201, headers)

    def _asset_for_form(self, form_id: str) -> _Asset | None:
        candidates = []
        for asset in self._assets.values():
            version = asset.version(asset.deployed_version_id)
            if not asset.deployment_active or version is None:
                continue
            if form_id == asset.uid or (version.info is not None and version.info.form_id == form_id):
                candidates.append(asset)
        return max(candidates, key=lambda a: a.date_deployed or a.date_created, default=None)

    def _previous_version(self, asset: _Asset, deprecated: str | None) -> dict[str, Any] | None:
        if not deprecated:
            return None
        return next((row for row, _ in asset.rows if row["_uuid"] == _bare(deprecated)), None)


def _close(environ: dict[str, Any]) -> None:
    """Close the client's connection at once (a dropped connection)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def _xml(body: str, status: int, headers: dict[str, str]) -> Response:
    return Response(body, status=status, headers=headers, content_type="text/xml; charset=utf-8")


def _json_param(args: MultiDict, name: str, kind: type, default: Any) -> Any:
    if name not in args:
        return default
    try:
        value = json.loads(args[name])
    except ValueError:
        raise _Error(400, {name: "Value must be valid JSON."}) from None
    if not isinstance(value, kind):
        raise _Error(400, {name: "Value must be valid JSON."})
    return value


def _fast_select(asset: _Asset, query: dict[str, Any], sort: dict[str, int]) -> list[tuple[dict, str]] | None:
    """Rows for the common keyset query (``{}`` or one ``_id`` bound, sorted by ``_id``) by bisection, else None."""
    if sort not in ({"_id": 1}, {}):
        return None
    if not query:
        return list(asset.rows)
    if list(query) != ["_id"] or not isinstance(query["_id"], dict) or len(query["_id"]) != 1:
        return None
    (op, bound), = query["_id"].items()
    if not isinstance(bound, int) or isinstance(bound, bool) or op not in ("$gt", "$gte", "$lt", "$lte"):
        return None
    if op in ("$gt", "$gte"):
        cut = (bisect.bisect_right if op == "$gt" else bisect.bisect_left)(asset.ids, bound)
        return asset.rows[cut:]
    cut = (bisect.bisect_left if op == "$lt" else bisect.bisect_right)(asset.ids, bound)
    return asset.rows[:cut]


def _answers_as_strings(data: dict[str, Any]) -> dict[str, Any]:
    """Answers as KPI stores them: numbers as strings, empty answers left out (``_`` metadata kept as given)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key.startswith("_"):
            out[key] = value
        elif value is None or value == "":
            continue
        elif isinstance(value, list):
            out[key] = [_answers_as_strings(item) if isinstance(item, dict) else item for item in value]
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            out[key] = str(value)
        else:
            out[key] = value
    return out


def _convert(data: bytes) -> tuple[str, XFormInfo]:
    """XLSForm bytes → (XForm XML, its facts) with pyxform; pyxform's errors pass through unchanged."""
    from pyxform.xls2xform import convert

    xform = convert(xlsform=io.BytesIO(data), file_type=".xlsx").xform
    return xform, xform_info(xform)


def _form_title(data: bytes) -> str | None:
    """``settings.form_title`` of an XLSForm, if set."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    if "settings" not in book.sheetnames:
        return None
    rows = list(book["settings"].iter_rows(values_only=True))
    if len(rows) < 2 or "form_title" not in rows[0]:
        return None
    value = rows[1][rows[0].index("form_title")]
    return str(value) if value else None
