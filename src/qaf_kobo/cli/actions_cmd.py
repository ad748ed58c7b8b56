"""``qaf-kobo actions import``: read edited Country action plans back into the store."""

from __future__ import annotations

from pathlib import Path

import click

from qaf_kobo.cli import main
from qaf_kobo.cli.options import framework_option
from qaf_kobo.framework import Framework
from qaf_kobo.store import DEFAULT_STORE


@main.group("actions")
def actions() -> None:
    """The country action plans: read back what coordinators wrote into them."""


@actions.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--store", "store_path", type=click.Path(path_type=Path), default=DEFAULT_STORE, show_default=True,
              help="The store the next report reads.")
@framework_option
def import_command(files: tuple[Path, ...], store_path: Path, fw: Framework) -> None:
    """Read the cells changed in the Country action plan and Closed actions sheets of FILES (regional or country
    workbooks, any report language) into the store, by Action id: Responsible section / agency, Responsible
    person, Expected completion date, Implementation stage and Action taken. A cell changed since the file was
    written both in the store and in the file is a conflict: the later save is kept, and it is listed. Nothing is
    written when a file has an error (every bad cell is listed)."""
    from qaf_kobo.workflows.plan_import import import_action_plans

    done = import_action_plans(files, store_path, fw)
    result = done.result
    for conflict in result.conflicts:
        click.echo(conflict.describe())
    click.echo(f"{done.rows} row(s) read from {len(done.files)} file(s): {result.new} cell(s) set, {result.updated} "
               f"changed, {result.unchanged} already so, {len(result.conflicts)} conflict(s) (the later save kept)")
