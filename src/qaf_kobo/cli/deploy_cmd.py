"""``qaf-kobo form deploy``: build the form and deploy it to KoboToolbox or ODK Central."""

from __future__ import annotations

from pathlib import Path

import click

from qaf_kobo.cli.form_cmd import form
from qaf_kobo.cli.options import CONFIG_FILE_OPTION, KIND_OPTION, OPEN_IN_OPTION, TOKEN_FILE_OPTION, framework_option
from qaf_kobo.framework import Framework
from qaf_kobo.output_files import FORMS_OUT


@form.command("deploy")
@click.option("--server", required=True, help="KoboToolbox or ODK Central server, e.g. https://kf.kobotoolbox.org.")
@click.option("--asset", "asset_uid", help="KoboToolbox: replace the form of this existing project and redeploy.")
@click.option("--project", "project_id", type=int, help="ODK Central: the project to publish the form in.")
@KIND_OPTION
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=FORMS_OUT, show_default=True,
              help="Where the built form is written.")
@OPEN_IN_OPTION
@TOKEN_FILE_OPTION
@CONFIG_FILE_OPTION
@framework_option
def deploy_command(server: str, asset_uid: str | None, project_id: int | None, kind: str | None, out_dir: Path,
                   opens_in: str, token_file: Path | None, config_file: Path | None, fw: Framework) -> None:
    """Build the form and deploy it: KoboToolbox imports the XLSForm; ODK Central gets the XForm XML (a new form,
    or a new version published with a new version string). Prints the asset uid or form id and the links."""
    from qaf_kobo.remote import Target, open_remote

    remote = open_remote(server, Target(asset_uid, project_id), kind=kind, token_file=token_file,
                         config_file=config_file)
    deployment = remote.deploy(out_dir=out_dir, framework=fw, opens_in=opens_in)
    click.echo(deployment.describe())
