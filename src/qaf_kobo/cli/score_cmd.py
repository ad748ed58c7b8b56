"""``qaf-kobo score``: score the stored submissions and write the tables (CSV + Parquet) to a folder."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from qaf_kobo.cli import main
from qaf_kobo.cli.options import framework_option
from qaf_kobo.framework import Framework
from qaf_kobo.output_files import REPORTS_OUT
from qaf_kobo.scoring.rules import DEFAULT_RULE, RULES
from qaf_kobo.store import DEFAULT_STORE


@main.command("score")
@click.option("--store", "store_path", type=click.Path(path_type=Path), default=DEFAULT_STORE, show_default=True,
              help="The SQLite store written by sync or import.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Output folder (default: reports/<today>/).")
@click.option("--rule", type=click.Choice(RULES), default=DEFAULT_RULE, show_default=True,
              help="How criterion levels combine into a section level: the lowest, or the lower median.")
@click.option("--only-approved", is_flag=True, help="Score only submissions with validation status Approved.")
@click.option("--country", "countries", multiple=True, metavar="ISO3", help="Score only this country (repeatable).")
@framework_option
def score_command(store_path: Path, out_dir: Path | None, rule: str, only_approved: bool, countries: tuple[str, ...],
                  fw: Framework) -> None:
    """Turn stored submissions into criteria, sections, domains, countries and data-quality tables."""
    from qaf_kobo.scoring import score
    from qaf_kobo.workflows.report_run import latest_round_lines

    out_dir = out_dir or REPORTS_OUT / date.today().isoformat()
    scores = score(store_path, rule=rule, only_approved=only_approved, countries=list(countries) or None, out_dir=out_dir,
                   fw=fw)
    if scores.about["n_submissions"] == 0:
        click.echo(f"no submissions to score in {store_path} (with these filters); wrote empty tables to {out_dir}")
        return
    left_out = int((scores.assessments["left_out"] != "").sum())
    click.echo(
        f"scored {scores.about['n_submissions']} submissions (rule {rule}): {left_out} left out of their round's "
        f"figures, {len(scores.quality)} data-quality findings; each country's latest round (sections meeting the "
        "minimum, index; the previous round in brackets):"
    )
    for line in latest_round_lines(scores, fw):
        click.echo(f"  {line}")
    click.echo(f"tables written to {out_dir}")
