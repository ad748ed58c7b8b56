"""``qaf-kobo translations export|import|stamp``: the translation round trip through a workbook."""

from __future__ import annotations

from pathlib import Path

import click

from qaf_kobo.cli import main
from qaf_kobo.framework import default_framework
from qaf_kobo.workflows.translations_io import export_translation, import_translation, stamp_source_hashes


def _listed(ids: list[str], limit: int = 10) -> str:
    return ", ".join(ids[:limit]) + (f" … and {len(ids) - limit} more" if len(ids) > limit else "")


@main.group()
def translations() -> None:
    """Translate the form and report wording (files in forms/qaf/translations/)."""


@translations.command("export")
@click.option("--lang", "code", required=True, help="Language code, e.g. pt (its current translation is included).")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export(code: str, file: Path) -> None:
    """Write FILE.xlsx: id, English, current translation, status — for a translator."""
    click.echo(f"wrote {export_translation(default_framework(), code, file)}")


@translations.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Translation file to write (default: the shipped one).")
def import_(file: Path, out: Path | None) -> None:
    """Read a translated FILE.xlsx back into the language's translation file."""
    report = import_translation(default_framework(), file, out)
    click.echo(f"wrote {report.path}: {report.translated} string(s) translated")
    if report.untranslated:
        click.echo(f"untranslated ({len(report.untranslated)}): {_listed(report.untranslated)}")
    if report.changed:
        click.echo(f"English changed since translation ({len(report.changed)}): {_listed(report.changed)}")


@translations.command("stamp")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--all", "restamp", is_flag=True, help="Re-stamp every translated string (after reviewing them).")
def stamp(file: Path, restamp: bool) -> None:
    """Record in FILE which English text each translation was made from (source_hashes)."""
    count = stamp_source_hashes(default_framework(), file, only_missing=not restamp)
    click.echo(f"{file}: {count} source hash(es) stamped")
