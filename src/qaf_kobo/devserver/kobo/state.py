"""What the Kobo-compatible server holds — assets, their versions, submissions in ``_id`` order with their JSON,
XLSForm imports — and the operations that the test hooks, the KPI routes and OpenRosa share.

Every operation takes the state's re-entrant ``lock``; a caller combining several takes it around them.
"""

from __future__ import annotations

import bisect
import copy
import json
import secrets
import string
import threading
import time
import uuid as uuidlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from qaf_kobo.devserver.kobo.query import UnsupportedQuery, matches, sort_rows
from qaf_kobo.devserver.kobo.xlsform import XFormInfo, convert, form_title

VALIDATION_LABELS = {"validation_status_approved": "Approved", "validation_status_not_approved": "Not approved",
                     "validation_status_on_hold": "On hold"}
_ALPHABET = string.ascii_letters + string.digits

Row = tuple[dict[str, Any], str]
"""A submission as ``/data/`` shows it, and its JSON text."""


def new_uid(prefix: str) -> str:
    """A KPI-style uid: a letter and 21 random letters or digits."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(21))


def now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(timezone.utc)


def bare(value: str) -> str:
    """A uuid without its ``uuid:`` prefix."""
    return value[5:] if value.startswith("uuid:") else value


@dataclass
class Version:
    """One version of an asset's form (the XLSForm, and its XForm once converted)."""

    uid: str
    date: datetime
    xform: str | None = None
    info: XFormInfo | None = None
    xlsx: bytes | None = None


@dataclass
class Asset:
    """A KPI asset: its versions, deployment and submissions."""

    uid: str
    name: str
    owner: str
    asset_type: str = "survey"
    versions: list[Version] = field(default_factory=list)
    deployed_version_id: str | None = None
    deployment_active: bool = False
    date_created: datetime = field(default_factory=now)
    date_modified: datetime = field(default_factory=now)
    date_deployed: datetime | None = None
    enketo_id: str = field(default_factory=lambda: "".join(secrets.choice(_ALPHABET) for _ in range(8)))
    public: bool = False
    ids: list[int] = field(default_factory=list)  # _id of each row, ascending
    rows: list[Row] = field(default_factory=list)  # same order

    @property
    def version_id(self) -> str | None:
        """The uid of the newest version."""
        return self.versions[-1].uid if self.versions else None

    def version(self, uid: str | None) -> Version | None:
        """The version with this uid, if any."""
        return next((v for v in self.versions if v.uid == uid), None)

    def visible_to(self, user: str | None) -> bool:
        """Whether ``user`` (None = anonymous) may see the asset."""
        return self.public or (user is not None and self.owner == user)

    @property
    def deployment_status(self) -> str:
        """KPI's ``_deployment_status``: deployed, archived or draft."""
        if self.deployed_version_id is None:
            return "draft"
        return "deployed" if self.deployment_active else "archived"


@dataclass
class ImportTask:
    """An XLSForm import (``POST /api/v2/imports/``), converted in a background thread."""

    uid: str
    owner: str
    status: str = "processing"
    messages: dict[str, Any] = field(default_factory=dict)
    polls: int = 0
    done: threading.Event = field(default_factory=threading.Event)


def answers_as_strings(data: dict[str, Any]) -> dict[str, Any]:
    """Answers as KPI stores them: numbers as strings, empty answers left out (``_`` metadata kept as given)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key.startswith("_"):
            out[key] = value
        elif value is None or value == "":
            continue
        elif isinstance(value, list):
            out[key] = [answers_as_strings(item) if isinstance(item, dict) else item for item in value]
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            out[key] = str(value)
        else:
            out[key] = value
    return out


def _keyset(asset: Asset, query: dict[str, Any], sort: dict[str, int]) -> list[Row] | None:
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


class KoboState:
    """The server's data. ``username`` owns the assets the hooks create and signs validation statuses."""

    def __init__(self, username: str) -> None:
        self.username = username
        self.lock = threading.RLock()
        self.assets: dict[str, Asset] = {}
        self.imports: dict[str, ImportTask] = {}
        self._next_id = 1

    # --- assets ---------------------------------------------------------------------------------------------
    def create_asset(self, name: str, xlsx: Path | bytes | None = None, deploy: bool = True,
                     owner: str | None = None, public: bool = False) -> str:
        """A survey asset (optionally with an XLSForm, converted with pyxform), deployed unless told otherwise."""
        asset = Asset(new_uid("a"), name, owner or self.username, public=public)
        version = Version(new_uid("v"), now())
        if xlsx is not None:
            data = xlsx if isinstance(xlsx, bytes) else Path(xlsx).read_bytes()
            version.xlsx, (version.xform, version.info) = data, convert(data)
        asset.versions.append(version)
        with self.lock:
            self.assets[asset.uid] = asset
            if deploy:
                self.deploy(asset, active=True)
        return asset.uid

    def deploy(self, asset: Asset, active: bool) -> None:
        """Deploy the asset's newest version (active or archived)."""
        with self.lock:
            asset.deployed_version_id = asset.version_id
            asset.deployment_active = active
            asset.date_deployed = now()

    def visible_asset(self, uid: str, user: str | None) -> Asset | None:
        """The asset if ``user`` may see it (KPI does not reveal the others)."""
        with self.lock:
            asset = self.assets.get(uid)
        return asset if asset is not None and asset.visible_to(user) else None

    def visible_assets(self, user: str | None) -> list[Asset]:
        """The assets ``user`` may see, oldest first."""
        with self.lock:
            return [a for a in self.assets.values() if a.visible_to(user)]

    def hook_asset(self, asset_uid: str | None) -> Asset:
        """The asset a test hook means: the given one, else the most recently deployed survey."""
        with self.lock:
            if asset_uid is not None:
                return self.assets[asset_uid]
            deployed = [a for a in self.assets.values() if a.deployed_version_id]
        if not deployed:
            raise ValueError("no deployed asset on this server: deploy a form or call create_asset() first")
        return max(deployed, key=lambda a: a.date_deployed or a.date_created)

    def accepting_asset(self, form_id: str) -> Asset | None:
        """The actively deployed asset an OpenRosa submission with this form ``id`` goes to (the newest)."""
        with self.lock:
            candidates = []
            for asset in self.assets.values():
                version = asset.version(asset.deployed_version_id)
                if not asset.deployment_active or version is None:
                    continue
                if form_id == asset.uid or (version.info is not None and version.info.form_id == form_id):
                    candidates.append(asset)
        return max(candidates, key=lambda a: a.date_deployed or a.date_created, default=None)

    # --- submissions ----------------------------------------------------------------------------------------
    def store_new(self, asset: Asset, row: dict[str, Any], *, kobo_id: int | None = None,
                  submission_time: str | None = None, submitted_by: str | None = None) -> dict[str, Any]:
        """Store ``row`` with KPI's metadata filled in where missing; an existing ``_id`` is replaced."""
        with self.lock:
            instance = row.get("meta/instanceID") or "uuid:" + bare(str(row.get("_uuid") or uuidlib.uuid4()))
            row["meta/instanceID"] = instance
            root = row.get("meta/rootUuid") or instance
            row["meta/rootUuid"] = "uuid:" + bare(str(root))
            row.setdefault("__version__", asset.deployed_version_id or asset.version_id)
            row.setdefault("_xform_id_string", asset.uid)
            row["_uuid"] = bare(instance)
            row.setdefault("_attachments", [])
            row.setdefault("_status", "submitted_via_web")
            row.setdefault("_geolocation", [None, None])
            row.setdefault("_submission_time", submission_time or now().strftime("%Y-%m-%dT%H:%M:%S"))
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

    def add_submission(self, data: dict[str, Any], asset_uid: str | None = None) -> dict[str, Any]:
        """Store answers as if sent to the asset; returns a copy of the stored row."""
        with self.lock:
            return copy.deepcopy(self.store_new(self.hook_asset(asset_uid), answers_as_strings(data)))

    def add_submissions(self, rows: Iterable[dict[str, Any]], asset_uid: str | None = None) -> int:
        """:meth:`add_submission` for many rows at once; returns how many were added."""
        count = 0
        with self.lock:
            asset = self.hook_asset(asset_uid)
            for data in rows:
                self.store_new(asset, answers_as_strings(data))
                count += 1
        return count

    def _index_of_root(self, asset: Asset, root_uuid: str) -> int:
        root = bare(root_uuid)
        for index, (row, _) in enumerate(asset.rows):
            if bare(str(row.get("meta/rootUuid", ""))) == root:
                return index
        raise KeyError(f"no submission with rootUuid {root_uuid}")

    def _replace(self, asset: Asset, root_uuid: str, change: Any) -> dict[str, Any]:
        """Replace the row with this rootUuid by ``change(copy of the row)``; returns a copy of the new row."""
        with self.lock:
            index = self._index_of_root(asset, root_uuid)
            row = copy.deepcopy(asset.rows[index][0])
            change(row)
            asset.rows[index] = (row, json.dumps(row))
            return copy.deepcopy(row)

    def edit_submission(self, root_uuid: str, changes: dict[str, Any], asset_uid: str | None = None) -> dict[str, Any]:
        """Edit as KPI does: new ``_uuid``/instanceID, ``meta/deprecatedID`` set; ``_id``, rootUuid and
        ``_submission_time`` kept. A change to None removes the answer."""
        def edit(row: dict[str, Any]) -> None:
            row.update(answers_as_strings(changes))
            for key, value in changes.items():
                if value is None or value == "":
                    row.pop(key, None)
            new_uuid = str(uuidlib.uuid4())
            row["meta/deprecatedID"] = row.get("meta/instanceID", "uuid:" + row["_uuid"])
            row["meta/instanceID"] = "uuid:" + new_uuid
            row["_uuid"] = new_uuid

        return self._replace(self.hook_asset(asset_uid), root_uuid, edit)

    def set_validation_status(self, root_uuid: str, status_uid: str | None, asset_uid: str | None = None) -> None:
        """Set (or with None clear) a submission's validation status, e.g. ``validation_status_approved``."""
        status = {} if status_uid is None else {
            "timestamp": int(time.time()), "uid": status_uid, "by_whom": self.username,
            "label": VALIDATION_LABELS.get(status_uid, status_uid)}
        self._replace(self.hook_asset(asset_uid), root_uuid, lambda row: row.update(_validation_status=status))

    def delete_submission(self, root_uuid: str, asset_uid: str | None = None) -> None:
        """Hard-delete a submission (KPI keeps no tombstone)."""
        with self.lock:
            asset = self.hook_asset(asset_uid)
            index = self._index_of_root(asset, root_uuid)
            del asset.ids[index]
            del asset.rows[index]

    def submissions(self, asset_uid: str | None = None) -> list[dict[str, Any]]:
        """Copies of the asset's submissions in ``_id`` order, exactly as ``/data/`` returns them."""
        with self.lock:
            return [json.loads(text) for _, text in self.hook_asset(asset_uid).rows]

    def select(self, asset: Asset, query: dict[str, Any], sort: dict[str, int]) -> list[Row]:
        """The rows matching a ``/data/`` ``query``, in ``sort`` order; UnsupportedQuery for what KPI refuses."""
        with self.lock:
            fast = _keyset(asset, query, sort)
            if fast is not None:
                return fast
            rows = list(asset.rows)
        try:  # a long scan runs outside the lock
            picked = [pair for pair in rows if matches(pair[0], query)]
        except RecursionError:
            raise UnsupportedQuery("query nested too deeply") from None
        if not sort:
            return picked
        text_of = {id(row): text for row, text in picked}
        return [(row, text_of[id(row)]) for row in sort_rows([row for row, _ in picked], sort)]

    def find_row(self, asset: Asset, item: str) -> Row | None:
        """The row whose ``_id``, rootUuid (without ``uuid:``) or ``_uuid`` is ``item`` (the first match)."""
        with self.lock:
            return next(((row, text) for row, text in asset.rows
                         if item in (str(row["_id"]), bare(str(row.get("meta/rootUuid", ""))), row.get("_uuid"))),
                        None)

    def row_with_uuid(self, asset: Asset, uuid: str | None) -> dict[str, Any] | None:
        """The current row whose ``_uuid`` is ``uuid`` (with or without ``uuid:``), if any."""
        if not uuid:
            return None
        with self.lock:
            return next((row for row, _ in asset.rows if row["_uuid"] == bare(uuid)), None)

    # --- imports --------------------------------------------------------------------------------------------
    def start_import(self, owner: str, data: bytes, name: str, library: bool, target: Asset | None) -> ImportTask:
        """Begin converting an uploaded XLSForm in the background, as KPI's Celery task does."""
        task = ImportTask(new_uid("i"), owner)
        with self.lock:
            self.imports[task.uid] = task
        threading.Thread(target=self._run_import, args=(task, data, name, library, target), daemon=True).start()
        return task

    def _run_import(self, task: ImportTask, data: bytes, name: str, library: bool, target: Asset | None) -> None:
        try:
            if library and target is None:
                asset = Asset(new_uid("a"), name, task.owner, asset_type="block")
                asset.versions.append(Version(new_uid("v"), now(), xlsx=data))
                kind = "created"
            else:
                xform, info = convert(data)
                version = Version(new_uid("v"), now(), xform, info, data)
                title = form_title(data) or name
                kind = "updated" if target else "created"
                asset = target or Asset(new_uid("a"), title, task.owner)
                with self.lock:
                    asset.versions.append(version)
                    asset.asset_type = "survey"
                    asset.name = title
                    asset.date_modified = now()
            with self.lock:
                self.assets.setdefault(asset.uid, asset)
                task.messages = {kind: [{"uid": asset.uid, "kind": "asset", "summary": {}, "owner__username": task.owner}]}
                task.status = "complete"
        except Exception as exc:  # noqa: BLE001 - every conversion problem becomes the import's error, as in KPI
            task.messages = {"error_type": type(exc).__name__, "error": str(exc)}
            task.status = "error"
        finally:
            task.done.set()

    def poll_import(self, uid: str, user: str | None) -> ImportTask | None:
        """The import for its owner, counting the poll (the first always answers "processing", as Celery lags)."""
        with self.lock:
            task = self.imports.get(uid)
            if task is None or task.owner != user:
                return None
            task.polls += 1
            return task
