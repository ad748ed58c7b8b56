"""``qaf-kobo translations export|import|stamp``: the translation round trip through a workbook."""

from __future__ import annotations

from pathlib import Path

import click

from qaf_kobo.cli import main
from qaf_kobo.cli.options import framework_option
from qaf_kobo.framework import Framework


def _listed(ids: list[str], limit: int = 10) -> str:
    return ", ".join(ids[:limit]) + (f" … and {len(ids) - limit} more" if len(ids) > limit else "")


@main.group()
def translations() -> None:
    """Translate the form and report wording and a framework's strings (forms/ui/translations/ and
    forms/<framework>/translations/)."""


@translations.command("export")
@click.option("--lang", "code", required=True, help="Language code, e.g. pt (its current translation is included).")
@click.argument("file", type=click.Path(path_type=Path))
@framework_option
def export(code: str, file: Path, fw: Framework) -> None:
    """Write FILE.xlsx: id, English, current translation, status — for a translator."""
    from qaf_kobo.workflows.translations_io import export_translation

    click.echo(f"wrote {export_translation(fw, code, file)}")


@translations.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write DIR/ui/<code>.yaml and DIR/<framework>/<code>.yaml (set QAF_TRANSLATIONS_DIR=DIR to use them); "
                   "default: next to the shipped files in a checkout, else ~/.config/qaf-kobo/translations.")
@framework_option
def import_(file: Path, out_dir: Path | None, fw: Framework) -> None:
    """Read a translated FILE.xlsx back into the language's translation files."""
    from qaf_kobo.workflows.translations_io import import_translation

    report = import_translation(fw, file, out_dir)
    click.echo(f"wrote {' and '.join(map(str, report.paths))}: {report.translated} string(s) translated")
    if report.untranslated:
        click.echo(f"untranslated ({len(report.untranslated)}): {_listed(report.untranslated)}")
    if report.changed:
        click.echo(f"English changed since translation ({len(report.changed)}): {_listed(report.changed)}")


@translations.command("stamp")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--all", "restamp", is_flag=True, help="Re-stamp every translated string (after reviewing them).")
@framework_option
def stamp(file: Path, restamp: bool, fw: Framework) -> None:
    """Record in FILE which English text each translation was made from (source_hashes)."""
    from qaf_kobo.workflows.translations_io import stamp_source_hashes

    count = stamp_source_hashes(fw, file, only_missing=not restamp)
    click.echo(f"{file}: {count} source hash(es) stamped")
