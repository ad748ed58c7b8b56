"""``qaf-kobo framework show``: print the QAF as an outline or as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click

from qaf_kobo.cli import main
from qaf_kobo.framework import load_framework
from qaf_kobo.outline import framework_outline


@main.group()
def framework() -> None:
    """The QAF itself: domains, sections, criteria, levels and actions."""


@framework.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a readable outline.")
@click.option("--file", "path", type=click.Path(path_type=Path), help="A framework file other than the shipped QAF.")
def show(as_json: bool, path: Path | None) -> None:
    """Print the framework (validated on loading)."""
    fw = load_framework(path)
    click.echo(json.dumps(fw.to_dict(), ensure_ascii=False, indent=2) if as_json else framework_outline(fw))
