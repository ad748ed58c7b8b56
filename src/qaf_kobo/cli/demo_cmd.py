"""``qaf-kobo demo`` (the whole job offline) and ``qaf-kobo run`` (sync → score → report from a pipeline config)."""

from __future__ import annotations

from pathlib import Path

import click

from qaf_kobo.cli import main, note
from qaf_kobo.cli.options import framework_option
from qaf_kobo.framework import Framework


@main.command("demo")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("reports/demo"), show_default=True,
              help="Folder for the workbooks and score tables.")
@click.option("--store", type=click.Path(path_type=Path), default=Path("data/demo.sqlite"), show_default=True,
              help="The demo's store (recreated on every run).")
@click.option("--seed", type=int, default=2026, show_default=True, help="Seed of the synthetic assessments.")
@framework_option
def demo_command(out_dir: Path, store: Path, seed: int, fw: Framework) -> None:
    """Run the whole job offline: local KoboToolbox and ODK Central servers, form, synthetic assessments, sync and
    an imported export, scores, workbooks."""
    from qaf_kobo.workflows.demo import run_demo

    result = run_demo(out_dir, store, seed, progress=click.echo, fw=fw)
    click.echo("")
    click.echo(result.summary())


@main.command("run")
@click.option("--config", "config_path", type=click.Path(path_type=Path), required=True,
              help="A pipeline config, e.g. pipelines/example.toml.")
def run_command(config_path: Path) -> None:
    """Sync → score → report for a real deployment, as the pipeline config says."""
    from qaf_kobo.workflows.pipeline_config import load_pipeline_config
    from qaf_kobo.workflows.pipeline_run import run_pipeline

    config = load_pipeline_config(config_path)
    result = run_pipeline(config, progress=click.echo, notice=note)
    for path in result.workbooks:
        click.echo(f"  {path}")
