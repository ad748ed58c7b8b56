"""Sync from, or deploy to, a server of either kind: which kind it is (from the options, else asked of the server),
its credentials (a Kobo token, or a Central login by pyodk's conventions), then the kind's own sync or deploy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qaf_kobo.central.credentials import load_credentials
from qaf_kobo.central.deploy import CentralDeployment
from qaf_kobo.central.deploy import deploy as deploy_central
from qaf_kobo.errors import QafError
from qaf_kobo.framework import Framework
from qaf_kobo.http.retry import DEFAULT_MAX_WAIT, Notice
from qaf_kobo.kobo.deploy import Deployment
from qaf_kobo.kobo.deploy import deploy as deploy_kobo
from qaf_kobo.kobo.token import load_token
from qaf_kobo.server_kind import Kind, server_kind
from qaf_kobo.store import DEFAULT_STORE
from qaf_kobo.sync.central import sync_central
from qaf_kobo.sync.kobo import sync
from qaf_kobo.sync.result import Progress, SyncResult


@dataclass(frozen=True)
class Target:
    """What to talk to on a server: a Kobo asset, or a Central project (and form)."""

    asset_uid: str | None = None
    project_id: int | None = None
    form_id: str | None = None

    def kind(self, server: str, kind: str | None) -> Kind:
        """The kind the options name (``--asset``: kobo; ``--project``: central), checked against ``--kind``;
        when they name none, the server is asked."""
        if self.asset_uid and self.project_id is not None:
            raise QafError("give either --asset (KoboToolbox) or --project and --form (ODK Central), not both")
        named: Kind | None = "kobo" if self.asset_uid else "central" if self.project_id is not None or self.form_id else None
        found = server_kind(server, kind) if kind is not None or named is None else named
        if named is not None and found != named:
            raise QafError(f"--kind {found} does not go with "
                           f"{'--asset' if named == 'kobo' else '--project/--form'}")
        return found


def sync_server(server: str, target: Target, store_path: Path | str = DEFAULT_STORE, *, kind: str | None = None,
                source: str | None = None, full: bool = False, progress: Progress | None = None,
                token_file: Path | None = None, config_file: Path | None = None, max_wait: float = DEFAULT_MAX_WAIT,
                notice: Notice | None = None) -> SyncResult:
    """Sync one Kobo asset or one Central form into the store, as the source ``source`` (``max_wait`` and
    ``notice``: how KoboToolbox's Retry-After waits are bounded and told)."""
    if target.kind(server, kind) == "kobo":
        if not target.asset_uid:
            raise QafError("a KoboToolbox server needs --asset UID (the project's asset uid)")
        return sync(server, target.asset_uid, load_token(token_file), store_path, full=full, progress=progress,
                    source=source, max_wait=max_wait, notice=notice)
    if target.project_id is None or not target.form_id:
        raise QafError("an ODK Central server needs --project N and --form ID (the form id, as Central lists it)")
    credentials = load_credentials(config_file).for_server(server)
    return sync_central(server, target.project_id, target.form_id, credentials, store_path, source=source,
                        full=full, progress=progress)


def deploy_to_server(server: str, target: Target, *, kind: str | None = None, out_dir: Path = Path("forms/build"),
                     framework: Framework | None = None, token_file: Path | None = None,
                     config_file: Path | None = None, **options: Any) -> Deployment | CentralDeployment:
    """Build the form and deploy it: to KoboToolbox (a new project, or ``asset_uid``'s) or to a Central project
    (its XForm XML, as a new form or a new version)."""
    if target.kind(server, kind) == "kobo":
        return deploy_kobo(server, load_token(token_file), target.asset_uid, out_dir=out_dir, framework=framework,
                           **options)
    if target.project_id is None:
        raise QafError("an ODK Central server needs --project N (the project to publish the form in)")
    credentials = load_credentials(config_file).for_server(server)
    return deploy_central(server, credentials, target.project_id, out_dir=out_dir, framework=framework, **options)
