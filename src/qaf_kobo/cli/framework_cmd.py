"""``qaf-kobo framework show``: print a framework as an outline or as JSON."""

from __future__ import annotations

import json

import click

from qaf_kobo.cli import main
from qaf_kobo.cli.options import framework_option
from qaf_kobo.framework import Framework
from qaf_kobo.framework.outline import framework_outline


@main.group()
def framework() -> None:
    """The framework itself: domains, sections, criteria, levels and actions."""


@framework.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a readable outline.")
@framework_option
def show(as_json: bool, fw: Framework) -> None:
    """Print the framework (validated on loading)."""
    click.echo(json.dumps(fw.to_dict(), ensure_ascii=False, indent=2) if as_json else framework_outline(fw))
