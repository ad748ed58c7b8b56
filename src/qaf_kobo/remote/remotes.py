"""One notion of a remote: a KoboToolbox asset or an ODK Central form, each with the same two operations —
``deploy`` the form, ``sync`` its submissions into the store — so the CLI and the pipeline never dispatch on the
kind themselves. :func:`open_remote` picks the kind (from the options, else asked of the server) and loads its
credentials (a Kobo token, or a Central login by pyodk's conventions)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from qaf_kobo.central.credentials import CentralCredentials, load_credentials
from qaf_kobo.errors import QafError
from qaf_kobo.framework import Framework
from qaf_kobo.http.retry import DEFAULT_MAX_WAIT, Notice
from qaf_kobo.kobo.token import load_token
from qaf_kobo.remote.kinds import Kind, server_kind
from qaf_kobo.store import DEFAULT_STORE
from qaf_kobo.sync.central import sync_central
from qaf_kobo.sync.kobo import sync as sync_kobo
from qaf_kobo.sync.result import Progress, SyncResult

if TYPE_CHECKING:  # deploying builds the form (pyxform, openpyxl): imported by deploy only, so sync starts sooner
    from qaf_kobo.central.deploy import CentralDeployment
    from qaf_kobo.kobo.deploy import Deployment


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


class Remote(Protocol):
    """A form on a remote server, with its credentials."""

    @property
    def kind(self) -> Kind:
        """Which kind of server it is."""
        ...

    @property
    def server(self) -> str:
        """The server's address (origin)."""
        ...

    def deploy(self, *, out_dir: Path, framework: Framework | None, **options: Any) -> Deployment | CentralDeployment:
        """Build the form and deploy it."""
        ...

    def sync(self, store_path: Path | str = DEFAULT_STORE, *, source: str | None = None, full: bool = False,
             progress: Progress | None = None, notice: Notice | None = None) -> SyncResult:
        """Pull new and changed submissions into the store, as the source ``source``."""
        ...


@dataclass(frozen=True)
class KoboRemote:
    """A KoboToolbox asset (``asset_uid`` None: a project yet to be created by ``deploy``)."""

    server: str
    asset_uid: str | None
    token: str
    max_wait: float = DEFAULT_MAX_WAIT
    kind: Kind = "kobo"

    def deploy(self, *, out_dir: Path, framework: Framework | None, **options: Any) -> Deployment:
        """Import the XLSForm into a new project, or into the asset's, and redeploy."""
        from qaf_kobo.kobo.deploy import deploy as deploy_kobo

        return deploy_kobo(self.server, self.token, self.asset_uid, out_dir=out_dir, framework=framework, **options)

    def sync(self, store_path: Path | str = DEFAULT_STORE, *, source: str | None = None, full: bool = False,
             progress: Progress | None = None, notice: Notice | None = None) -> SyncResult:
        """New submissions by ``_id``; with ``full``, edits, validation statuses and deletions too."""
        if not self.asset_uid:
            raise QafError("a KoboToolbox server needs --asset UID (the project's asset uid)")
        return sync_kobo(self.server, self.asset_uid, self.token, store_path, full=full, progress=progress,
                         source=source, max_wait=self.max_wait, notice=notice)


@dataclass(frozen=True)
class CentralRemote:
    """An ODK Central form (``form_id`` None: deploy names it from the XForm)."""

    server: str
    project_id: int | None
    form_id: str | None
    credentials: CentralCredentials
    kind: Kind = "central"

    def deploy(self, *, out_dir: Path, framework: Framework | None, **options: Any) -> CentralDeployment:
        """Publish the XForm XML in the project: a new form, or a new version of it."""
        if self.project_id is None:
            raise QafError("an ODK Central server needs --project N (the project to publish the form in)")
        from qaf_kobo.central.deploy import deploy as deploy_central

        return deploy_central(self.server, self.credentials, self.project_id, out_dir=out_dir, framework=framework,
                              **options)

    def sync(self, store_path: Path | str = DEFAULT_STORE, *, source: str | None = None, full: bool = False,
             progress: Progress | None = None, notice: Notice | None = None) -> SyncResult:
        """Everything created, edited, reviewed or deleted since the last sync; with ``full``, restores and
        purges too (``notice``: unused, Central asks for no waits)."""
        if self.project_id is None or not self.form_id:
            raise QafError("an ODK Central server needs --project N and --form ID (the form id, as Central lists it)")
        return sync_central(self.server, self.project_id, self.form_id, self.credentials, store_path, source=source,
                            full=full, progress=progress)


def open_remote(server: str, target: Target, *, kind: str | None = None, token_file: Path | None = None,
                config_file: Path | None = None, max_wait: float = DEFAULT_MAX_WAIT) -> Remote:
    """The remote the options describe, with its credentials: the Kobo token (``token_file``, else
    ``$KOBO_TOKEN`` …) or the Central login (``config_file``, else pyodk's), checked to be for ``server``."""
    if target.kind(server, kind) == "kobo":
        return KoboRemote(server, target.asset_uid, load_token(token_file), max_wait)
    credentials = load_credentials(config_file).for_server(server)
    return CentralRemote(server, target.project_id, target.form_id, credentials)
