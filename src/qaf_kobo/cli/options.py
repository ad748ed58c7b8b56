"""Options shared by several commands."""

from __future__ import annotations

import click

from qaf_kobo.framework import DEFAULT_FRAMEWORK, Framework, find_framework, framework_names


def _framework(ctx: click.Context, param: click.Parameter, value: str) -> Framework:
    return find_framework(value)


framework_option = click.option(
    "--framework", "fw", default=DEFAULT_FRAMEWORK, show_default=True, metavar="NAME|PATH", callback=_framework,
    help=f"A shipped framework ({', '.join(framework_names())}) or the path of a framework.yaml.",
)
"""``--framework NAME|PATH``: the command receives the loaded Framework as ``fw``."""
