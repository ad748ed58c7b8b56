"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

from qaf_kobo.framework import DEFAULT_FRAMEWORK, Framework, find_framework, framework_names
from qaf_kobo.remote import KINDS


def _framework(ctx: click.Context, param: click.Parameter, value: str) -> Framework:
    return find_framework(value)


framework_option = click.option(
    "--framework", "fw", default=DEFAULT_FRAMEWORK, show_default=True, metavar="NAME|PATH", callback=_framework,
    help=f"A shipped framework ({', '.join(framework_names())}) or the path of a framework.yaml.",
)
"""``--framework NAME|PATH``: the command receives the loaded Framework as ``fw``."""

TOKEN_FILE_OPTION = click.option("--token-file", type=click.Path(path_type=Path),
                                 help="KoboToolbox: file holding the API token (mode 0600). Default: $KOBO_TOKEN, "
                                      "then ~/.config/qaf-kobo/token.")
CONFIG_FILE_OPTION = click.option("--config-file", type=click.Path(path_type=Path),
                                  help="ODK Central: pyodk's config file with the login (mode 0600). Default: "
                                       "$PYODK_CONFIG_FILE, then ~/.pyodk_config.toml.")
OPEN_IN_OPTION = click.option(
    "--open-in", "opens_in", default="en", show_default=True, callback=lambda ctx, param, value: value.strip().lower(),
    help="The language the form opens in and of its title (the title bar of Enketo and Collect), e.g. ar.")
KIND_OPTION = click.option("--kind", type=click.Choice(list(KINDS)),
                           help="The kind of server (default: from --asset or --project, else asked of the server).")
