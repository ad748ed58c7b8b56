"""Deploy a built form to ODK Central as XForm XML (Central then needs no XLSForm conversion service).

A new form: ``POST /v1/projects/<id>/forms`` (as a draft) then ``…/draft/publish``, as pyodk's ``forms.create``.
A form Central already has: a draft from the new XML (``POST …/draft``), published with a version string no
published version of the form has used (``…/draft/publish?version=``) — Central refuses a used one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from qaf_kobo.central.client import CentralClient, CentralError, api_path
from qaf_kobo.central.credentials import CentralCredentials
from qaf_kobo.form.build import build_form
from qaf_kobo.form.structure import read_form_structure
from qaf_kobo.framework import Framework
from qaf_kobo.framework.catalogue import ENGLISH


@dataclass(frozen=True)
class CentralDeployment:
    """A published form: project, form id, published version, title, whether it was new, and its links."""

    project_id: int
    form_id: str
    version: str
    name: str
    created: bool
    links: dict[str, str]

    def describe(self) -> str:
        """Lines for the terminal: the form id, its version and the links."""
        lines = [f"form: {self.form_id} in project {self.project_id} "
                 f"({'new form' if self.created else 'new version published'}): {self.name}",
                 f"published version: {self.version}"]
        lines += [f"{name}: {url}" for name, url in self.links.items()]
        return "\n".join(lines)


def form_links(server: str, form: dict[str, Any]) -> dict[str, str]:
    """The links of a published form, from what Central returns (its Enketo ids, project and form id)."""
    pid, fid = form["projectId"], form["xmlFormId"]
    links = {}
    if form.get("enketoId"):
        links["web form"] = f"{server}/-/{form['enketoId']}"
    if form.get("enketoOnceId"):
        links["single submission"] = f"{server}/-/single/{form['enketoOnceId']}"
    links["form page"] = f"{server}/#/projects/{pid}/forms/{quote(fid, safe='')}"
    links["OData feed"] = f"{server}/v1/projects/{pid}/forms/{quote(fid, safe='')}.svc"
    return links


def unused_version(version: str, used: set[str]) -> str:
    """``version``, or ``version-2``, ``version-3`` … whichever no published version has used."""
    candidate, n = version, 1
    while candidate in used:
        n += 1
        candidate = f"{version}-{n}"
    return candidate


def deploy_form(client: CentralClient, xform: Path, project_id: int) -> CentralDeployment:
    """Publish the XForm at ``xform`` in a project: as a new form, or as a new version of the form with its id."""
    xform = Path(xform)
    structure = read_form_structure(xform)
    form_id = structure.form_id
    client.project(project_id)
    path = api_path("projects/{pid}/forms/{fid}", pid=project_id, fid=form_id)
    try:
        client.get_json(path)
        created = False
    except CentralError as err:
        if err.status != 404:
            raise
        created = True
    xml = {"data": xform.read_bytes(), "headers": {"Content-Type": "application/xml"},
           "params": {"ignoreWarnings": "true"}}
    if created:
        client.post_json(api_path("projects/{pid}/forms", pid=project_id), **xml)
        client.post_json(path + "/draft/publish")
        version = structure.version
    else:
        used = {str(v.get("version")) for v in client.get_json(path + "/versions")}
        version = unused_version(structure.version, used)
        client.post_json(path + "/draft", **xml)
        client.post_json(path + "/draft/publish", params={"version": version})
    form = client.get_json(path)
    return CentralDeployment(project_id, form_id, str(form.get("version") or version), str(form.get("name") or ""),
                             created, form_links(client.server, form))


def deploy(server: str, credentials: CentralCredentials, project_id: int, *, out_dir: Path = Path("forms/build"),
           languages: list[str] | None = None, framework: Framework | None = None, opens_in: str = ENGLISH
           ) -> CentralDeployment:
    """Build a framework's form (default: the QAF) into ``out_dir``, opening in ``opens_in`` under that language's
    title, and publish its XForm (see ``deploy_form``)."""
    built = build_form(out_dir, languages=languages, framework=framework, opens_in=opens_in)
    with CentralClient(server, credentials) as client:
        return deploy_form(client, Path(built.xml), project_id)
