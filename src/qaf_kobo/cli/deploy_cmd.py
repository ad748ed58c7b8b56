"""``qaf-kobo form deploy``: build the QAF form and deploy it to KoboToolbox."""

from __future__ import annotations

from pathlib import Path

import click

from qaf_kobo.cli.form_cmd import form
from qaf_kobo.cli.options import framework_option
from qaf_kobo.framework import Framework
from qaf_kobo.kobo.deploy import deploy
from qaf_kobo.kobo.token import load_token


@form.command("deploy")
@click.option("--server", required=True, help="KoboToolbox server, e.g. https://kf.kobotoolbox.org.")
@click.option("--asset", "asset_uid", help="Replace the form of this existing project (asset uid) and redeploy.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("forms/build"), show_default=True,
              help="Where the built XLSForm is written.")
@click.option("--token-file", type=click.Path(path_type=Path),
              help="File holding the API token (mode 0600). Default: $KOBO_TOKEN, then ~/.config/qaf-kobo/token.")
@framework_option
def deploy_command(server: str, asset_uid: str | None, out_dir: Path, token_file: Path | None, fw: Framework) -> None:
    """Build the form, import it to the server and deploy it; print the asset uid and the web-form links."""
    click.echo(deploy(server, load_token(token_file), asset_uid, out_dir=out_dir, framework=fw).describe())
