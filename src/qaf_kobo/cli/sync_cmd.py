"""``qaf-kobo sync``, ``import``, ``status`` and ``devserver``: the store side of KoboToolbox."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from qaf_kobo.cli import main, note
from qaf_kobo.kobo.retry import DEFAULT_MAX_WAIT
from qaf_kobo.kobo.token import load_token
from qaf_kobo.store import DEFAULT_STORE
from qaf_kobo.store.status import format_status, store_status
from qaf_kobo.sync.files import import_files
from qaf_kobo.sync.kobo import sync as run_sync

STORE_OPTION = click.option("--store", "store_path", type=click.Path(path_type=Path), default=DEFAULT_STORE,
                            show_default=True, help="The SQLite store of submissions.")
TOKEN_FILE_OPTION = click.option("--token-file", type=click.Path(path_type=Path),
                                 help="File holding the API token (mode 0600). Default: $KOBO_TOKEN, then "
                                      "~/.config/qaf-kobo/token.")


@main.command("sync")
@click.option("--server", required=True, help="KoboToolbox server, e.g. https://kf.kobotoolbox.org.")
@click.option("--asset", "asset_uid", required=True, help="The project's asset uid.")
@STORE_OPTION
@click.option("--full", is_flag=True, help="Also scan all ids to find edited and deleted submissions.")
@click.option("--max-wait", type=click.FloatRange(min=0), default=DEFAULT_MAX_WAIT, show_default=True,
              metavar="SECONDS", help="Longest wait the server may ask for (Retry-After) before a retry; a longer "
                                      "one stops the sync with an error.")
@TOKEN_FILE_OPTION
def sync_command(server: str, asset_uid: str, store_path: Path, full: bool, max_wait: float,
                 token_file: Path | None) -> None:
    """Pull new (with --full also edited and deleted) submissions into the store."""
    token = load_token(token_file)
    if sys.stderr.isatty():
        from tqdm import tqdm

        with tqdm(unit=" submissions", desc="sync", file=sys.stderr) as bar:
            def progress(fetched: int, total: int) -> None:
                bar.total = total
                bar.update(fetched - bar.n)

            result = run_sync(server, asset_uid, token, store_path, full=full, progress=progress, max_wait=max_wait,
                              notice=lambda text: bar.write(f"note: {text}", file=sys.stderr))
    else:
        result = run_sync(server, asset_uid, token, store_path, full=full, max_wait=max_wait, notice=note)
    click.echo(result.summary())


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@STORE_OPTION
def import_command(files: tuple[Path, ...], store_path: Path) -> None:
    """Load submissions saved from the API: a /data/ page, a JSON list or JSON lines."""
    click.echo(import_files(list(files), store_path).summary())


@main.command("status")
@STORE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status_command(store_path: Path, as_json: bool) -> None:
    """What the store holds: submissions, deletions, form versions, last sync and last error."""
    status = store_status(store_path)
    click.echo(json.dumps(status, indent=2) if as_json else format_status(status))


@main.command("devserver")
@click.option("--port", type=int, default=8000, show_default=True, help="0 picks a free port.")
@click.option("--page-cap", type=int, default=1000, show_default=True, help="Largest /data/ page (KPI: 1000).")
@click.option("--latency", type=float, default=0.0, help="Seconds added to every request.")
@click.option("--seed-demo", is_flag=True, help="Deploy the QAF form and add demo submissions.")
@click.option("--anonymous-submissions", is_flag=True,
              help="Accept OpenRosa submissions without the token (a project that does not require authentication).")
@click.option("--token-out", type=click.Path(path_type=Path), default=Path("data/devserver.token"), show_default=True,
              help="Token file used (created with mode 0600 if missing) when $KOBO_TOKEN and --token-file are not set.")
@TOKEN_FILE_OPTION
def devserver_command(port: int, page_cap: int, latency: float, seed_demo: bool, anonymous_submissions: bool,
                      token_out: Path, token_file: Path | None) -> None:
    """Run the KoboToolbox-compatible server on 127.0.0.1 (for the demo and for trying qaf-kobo offline)."""
    from qaf_kobo.devserver import serve_until_interrupted, start_devserver

    launched = start_devserver(port, page_cap, latency, seed_demo, token_file, token_out,
                               anonymous_submissions=anonymous_submissions)
    for line in launched.banner():
        click.echo(line)
    serve_until_interrupted(launched.server)
