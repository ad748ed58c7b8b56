"""``qaf-kobo form build``: a framework (the QAF by default) as an XLSForm and XForm (``form deploy`` is added by
cli/deploy_cmd.py)."""

from __future__ import annotations

from pathlib import Path

import click

from qaf_kobo.cli import main
from qaf_kobo.cli.options import OPEN_IN_OPTION, framework_option
from qaf_kobo.framework import Framework
from qaf_kobo.output_files import FORMS_OUT


def _ids(value: str | None) -> list[str] | None:
    return [part.strip() for part in value.split(",") if part.strip()] if value else None


@main.group()
def form() -> None:
    """The form of a framework for KoboToolbox / ODK Collect / Enketo."""


@form.command("build")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=FORMS_OUT, show_default=True,
              help="Folder for <form id>.xlsx and .xml (qaf_case_management for the QAF).")
@click.option("--sections", help="Only these sections, e.g. 1,2a,7 (default: all).")
@click.option("--lang", "languages", help="Languages, e.g. en,fr,ar,es (default: every available language).")
@click.option("--validate/--no-validate", default=None,
              help="Check the XForm with ODK Validate (needs Java; default: when java is on PATH).")
@click.option("--strict", is_flag=True, help="A missing translation is an error instead of a warning.")
@OPEN_IN_OPTION
@framework_option
def build(out_dir: Path, sections: str | None, languages: str | None, validate: bool | None, strict: bool,
          opens_in: str, fw: Framework) -> None:
    """Build the XLSForm (upload it to KoboToolbox) and its XForm."""
    from qaf_kobo.form.build import build_form

    built = build_form(out_dir, sections=_ids(sections), languages=_ids(languages), validate=validate, strict=strict,
                       framework=fw, opens_in=opens_in)
    for warning in built.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"XLSForm: {built.xlsx}\nXForm:   {built.xml}\nversion {built.version}; languages: {', '.join(built.languages)}"
               + ("; ODK Validate: valid" if built.validated else "; ODK Validate: not run (needs java)"))
