"""``qaf-kobo report``: score the store and write the Excel workbooks for coordinators."""

from __future__ import annotations

from pathlib import Path

import click

from qaf_kobo.cli import main
from qaf_kobo.cli.options import framework_option
from qaf_kobo.framework import Framework
from qaf_kobo.framework.catalogue import ENGLISH
from qaf_kobo.output_files import REPORTS_OUT
from qaf_kobo.scoring.rules import DEFAULT_RULE, RULES
from qaf_kobo.store import DEFAULT_STORE


@main.command("report")
@click.option("--store", "store_path", type=click.Path(path_type=Path), default=DEFAULT_STORE, show_default=True,
              help="The local store of submissions.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=REPORTS_OUT, show_default=True,
              help="Folder for the workbooks.")
@click.option("--country", "countries", multiple=True, metavar="ISO3",
              help="Only this country (repeat for several): its workbook, and only it in the summary.")
@click.option("--lang", default=ENGLISH, show_default=True, metavar="CODE",
              help="Language of sheet names, headings, level names and actions: en or any installed translation "
                   "(shipped or imported with `qaf-kobo translations import`).")
@click.option("--rule", type=click.Choice(RULES), default=DEFAULT_RULE, show_default=True,
              help="How a section's level is computed from its criteria.")
@click.option("--only-approved", is_flag=True, help="Only submissions marked approved in KoboToolbox.")
@click.option("--horizon", "horizons", multiple=True, metavar="LEVEL=MONTHS",
              help="Months from the latest assessment to an action's expected completion, per current level, by "
                   "level name or code (repeat for several): critical=3 or 1=3. Default: 3 × 2^(level−1), at most 12.")
@framework_option
def report(store_path: Path, out_dir: Path, countries: tuple[str, ...], lang: str, rule: str, only_approved: bool,
           horizons: tuple[str, ...], fw: Framework) -> None:
    """Write <framework>_summary_<date>.xlsx and one <framework>_<ISO3>_<date>.xlsx per country (runs scoring
    first); qaf_summary_<date>.xlsx for the QAF. The Country action plans carry what `actions import` read back."""
    from qaf_kobo.workflows.report_run import build_reports, fallback_warning

    paths = build_reports(store_path, out_dir, list(countries) or None, lang, rule, only_approved, fw, horizons)
    if warning := fallback_warning(fw, lang):
        click.echo(f"warning: {warning}", err=True)
    for path in paths:
        click.echo(str(path))
    click.echo(f"{len(paths)} workbook(s) written to {out_dir}")
