"""``qaf-kobo actions import``: read edited Country action plans back into the store."""

from __future__ import annotations

from pathlib import Path

import click

from qaf_kobo.cli import main
from qaf_kobo.cli.options import framework_option
from qaf_kobo.framework import Framework
from qaf_kobo.store import DEFAULT_STORE
from qaf_kobo.workflows.plan_import import import_action_plans


@main.group("actions")
def actions() -> None:
    """The country action plans: read back what coordinators wrote into them."""


@actions.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--store", "store_path", type=click.Path(path_type=Path), default=DEFAULT_STORE, show_default=True,
              help="The store the next report reads.")
@framework_option
def import_command(files: tuple[Path, ...], store_path: Path, fw: Framework) -> None:
    """Read Responsible, Expected completion date, Implementation stage and Action taken of every Country action
    plan in FILES (regional or country workbooks, any report language) into the store, by Action id. Nothing is
    written when a file has an error; a row older than what the store holds is skipped, and listed."""
    done = import_action_plans(files, store_path, fw)
    for skipped in done.result.skipped:
        row = skipped.row
        click.echo(f"skipped {row.source_file}, sheet {row.source_sheet!r}, row {row.source_row} ({row.action_id}): "
                   f"{skipped.reason}")
    result = done.result
    click.echo(f"{done.rows} row(s) read from {len(done.files)} file(s): {result.new} new, {result.updated} updated, "
               f"{result.unchanged} unchanged, {len(result.skipped)} skipped (older than the store's)")
