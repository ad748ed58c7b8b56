"""Deploy an XLSForm to KoboToolbox: import it (new project or replacing one), wait for the import, (re)deploy."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qaf_kobo.form.build import build_form
from qaf_kobo.framework import Framework
from qaf_kobo.framework.catalogue import ENGLISH
from qaf_kobo.kobo.client import KoboClient, KoboError

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Deployment:
    """A deployed project: its asset uid, name, deployed version and the Enketo (web form) links."""

    asset_uid: str
    name: str
    version_id: str
    links: dict[str, str]
    created: bool

    def describe(self) -> str:
        """Lines for the terminal: the asset uid and the web-form links."""
        lines = [f"asset: {self.asset_uid} ({'new project' if self.created else 'form replaced'}): {self.name}",
                 f"deployed version: {self.version_id}"]
        for key in ("url", "offline_url", "preview_url", "single_url"):
            if self.links.get(key):
                lines.append(f"{key}: {self.links[key]}")
        return "\n".join(lines)


def asset_path(asset_uid: str) -> str:
    """The API path of one asset."""
    return f"/api/v2/assets/{asset_uid}/"


def wait_for_import(client: KoboClient, import_url: str, *, timeout: float = 300, interval: float = 0.3) -> dict[str, Any]:
    """Poll an import until ``complete`` (returning its messages) or ``error`` (a KoboError with the server's text)."""
    deadline = time.monotonic() + timeout
    delay = interval
    while True:
        task = client.get_json(import_url)
        status = task.get("status")
        if status == "complete":
            return task.get("messages") or {}
        if status == "error":
            messages = task.get("messages") or {}
            error = messages.get("error") or messages
            kind = messages.get("error_type")
            raise KoboError(f"the server could not import the form: {kind + ': ' if kind else ''}{error}")
        if time.monotonic() > deadline:
            raise KoboError(f"the server's import did not finish within {timeout:.0f} s (status {status!r})")
        time.sleep(delay)
        delay = min(delay * 1.5, 5.0)


def deploy_form(client: KoboClient, xlsx_path: Path, asset_uid: str | None = None, *, name: str | None = None) -> Deployment:
    """Import ``xlsx_path`` and deploy it: as a new project, or (``asset_uid``) as the new form of that project.

    New project: ``POST /api/v2/imports/`` (``library=false``, ``name``), poll, ``POST …/deployment/`` with
    ``active: true``. Existing project: import with ``destination`` = the asset URL, poll, then ``PATCH
    …/deployment/`` with the asset's new ``version_id`` (or ``POST`` if it was never deployed).
    """
    xlsx_path = Path(xlsx_path)
    fields: dict[str, str] = {"library": "false", "name": name or xlsx_path.stem}
    existing = None
    if asset_uid:
        existing = client.get_json(asset_path(asset_uid))
        fields["destination"] = existing.get("url") or client.url(asset_path(asset_uid))
    with xlsx_path.open("rb") as handle:
        task = client.post("/api/v2/imports/", data=fields, files={"file": (xlsx_path.name, handle, XLSX_TYPE)})
    # poll the import on this server's own path (its "url" may name the server as a proxy sees it)
    messages = wait_for_import(client, f"/api/v2/imports/{task['uid']}/" if task.get("uid") else task.get("url", ""))
    done = (messages.get("updated") or messages.get("created") or [{}])[0]
    uid = asset_uid or done.get("uid")
    if not uid:
        raise KoboError(f"the server's import finished without naming the asset: {messages}")
    asset = client.get_json(asset_path(uid))
    if existing is not None and existing.get("has_deployment"):
        client.patch(asset_path(uid) + "deployment/", json={"version_id": asset["version_id"], "active": True})
    else:
        client.post(asset_path(uid) + "deployment/", json={"active": True})
    asset = client.get_json(asset_path(uid))
    return Deployment(uid, asset.get("name", ""), asset.get("deployed_version_id") or asset.get("version_id", ""),
                      asset.get("deployment__links") or {}, created=asset_uid is None)


def deploy(server: str, token: str, asset_uid: str | None = None, *, out_dir: Path = Path("forms/build"),
           languages: list[str] | None = None, framework: Framework | None = None, opens_in: str = ENGLISH
           ) -> Deployment:
    """Build a framework's form (default: the QAF) into ``out_dir``, opening in ``opens_in`` under that language's
    title, and deploy it (see ``deploy_form``)."""
    built = build_form(out_dir, languages=languages, framework=framework, opens_in=opens_in)
    with KoboClient(server, token) as client:
        return deploy_form(client, Path(built.xlsx), asset_uid)
