"""``qaf-kobo sync``, ``import``, ``status`` and ``devserver``: the store side of KoboToolbox and ODK Central."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from qaf_kobo.cli import main, note
from qaf_kobo.cli.options import CONFIG_FILE_OPTION, KIND_OPTION, TOKEN_FILE_OPTION, framework_option
from qaf_kobo.framework import Framework
from qaf_kobo.http.retry import DEFAULT_MAX_WAIT
from qaf_kobo.store import DEFAULT_STORE

STORE_OPTION = click.option("--store", "store_path", type=click.Path(path_type=Path), default=DEFAULT_STORE,
                            show_default=True, help="The SQLite store of submissions.")
SOURCE_OPTION = click.option("--source", help="Name of the source the submissions belong to in the store (default: "
                                              "kobo:<host>/<asset>, central:<host>/<project>/<form>, export:imported).")


@main.command("sync")
@click.option("--server", required=True, help="KoboToolbox or ODK Central server, e.g. https://kf.kobotoolbox.org.")
@click.option("--asset", "asset_uid", help="KoboToolbox: the project's asset uid.")
@click.option("--project", "project_id", type=int, help="ODK Central: the project number.")
@click.option("--form", "form_id", help="ODK Central: the form id.")
@KIND_OPTION
@SOURCE_OPTION
@STORE_OPTION
@click.option("--full", is_flag=True, help="Also scan all ids: finds what an incremental sync cannot (Kobo: edits "
                                           "and deletions; Central: restores and purges).")
@click.option("--max-wait", type=click.FloatRange(min=0), default=DEFAULT_MAX_WAIT, show_default=True,
              metavar="SECONDS", help="KoboToolbox: longest wait the server may ask for (Retry-After) before a retry; "
                                      "a longer one stops the sync with an error.")
@TOKEN_FILE_OPTION
@CONFIG_FILE_OPTION
def sync_command(server: str, asset_uid: str | None, project_id: int | None, form_id: str | None, kind: str | None,
                 source: str | None, store_path: Path, full: bool, max_wait: float, token_file: Path | None,
                 config_file: Path | None) -> None:
    """Pull new and changed submissions of a KoboToolbox asset or an ODK Central form into the store."""
    from qaf_kobo.remote import Target, open_remote

    remote = open_remote(server, Target(asset_uid, project_id, form_id), kind=kind, token_file=token_file,
                         config_file=config_file, max_wait=max_wait)
    if sys.stderr.isatty():
        from tqdm import tqdm

        with tqdm(unit=" submissions", desc="sync", file=sys.stderr) as bar:
            def progress(fetched: int, total: int) -> None:
                bar.total = total
                bar.update(fetched - bar.n)

            result = remote.sync(store_path, source=source, full=full, progress=progress,
                                 notice=lambda text: bar.write(f"note: {text}", file=sys.stderr))
    else:
        result = remote.sync(store_path, source=source, full=full, notice=note)
    click.echo(result.summary())


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@SOURCE_OPTION
@STORE_OPTION
@framework_option
def import_command(files: tuple[Path, ...], source: str | None, store_path: Path, fw: Framework) -> None:
    """Load submissions saved by hand — files or folders of JSON from the API, KoboToolbox XLSX/CSV exports
    ("XML values and headers") or Central's submissions CSV zip — into the store."""
    from qaf_kobo.form.structure import xlsform_paths
    from qaf_kobo.form.xlsform import build_xlsform
    from qaf_kobo.sync.files import import_files

    paths = xlsform_paths(build_xlsform(fw, fw.version).survey)
    click.echo(import_files(list(files), store_path, source=source, field_paths=paths).summary())


@main.command("status")
@STORE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status_command(store_path: Path, as_json: bool) -> None:
    """What the store holds: submissions, deletions, form versions, last sync and last error."""
    from qaf_kobo.store.status import format_status, store_status

    status = store_status(store_path)
    click.echo(json.dumps(status, indent=2) if as_json else format_status(status))


@main.command("devserver")
@click.option("--port", type=int, default=8000, show_default=True, help="0 picks a free port.")
@click.option("--page-cap", type=int, default=1000, show_default=True, help="Largest /data/ page (KPI: 1000).")
@click.option("--latency", type=float, default=0.0, help="Seconds added to every request.")
@click.option("--seed-demo", is_flag=True, help="Deploy the form (of --framework) and add demo submissions.")
@click.option("--anonymous-submissions", is_flag=True,
              help="Accept OpenRosa submissions without the token (a project that does not require authentication).")
@click.option("--token-out", type=click.Path(path_type=Path), default=Path("data/devserver.token"), show_default=True,
              help="Token file used (created with mode 0600 if missing) when $KOBO_TOKEN and --token-file are not set.")
@TOKEN_FILE_OPTION
@framework_option
def devserver_command(port: int, page_cap: int, latency: float, seed_demo: bool, anonymous_submissions: bool,
                      token_out: Path, token_file: Path | None, fw: Framework) -> None:
    """Run the KoboToolbox-compatible server on 127.0.0.1 (for the demo and for trying qaf-kobo offline)."""
    from qaf_kobo.workflows.devserver_launch import serve_until_interrupted, start_devserver

    launched = start_devserver(port, page_cap, latency, seed_demo, token_file, token_out,
                               anonymous_submissions=anonymous_submissions, framework=fw)
    for line in launched.banner():
        click.echo(line)
    serve_until_interrupted(launched.server)
