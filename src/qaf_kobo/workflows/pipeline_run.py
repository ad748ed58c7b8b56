"""``qaf-kobo run``: sync → score → report for a real deployment, as a pipeline config describes it."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from qaf_kobo.errors import QafError
from qaf_kobo.framework import find_framework
from qaf_kobo.kobo.token import DEFAULT_TOKEN_FILE, load_token
from qaf_kobo.report.run import score_for_report
from qaf_kobo.report.workbook import write_reports
from qaf_kobo.sync.kobo import SyncResult, sync
from qaf_kobo.workflows.pipeline_config import PipelineConfig


@dataclass(frozen=True)
class RunResult:
    """What one pipeline run did."""

    sync: SyncResult
    n_scored: int
    out_dir: Path
    workbooks: list[Path]


def pipeline_token(config: PipelineConfig) -> str:
    """The token from the environment variable the config names, else the 0600 token file."""
    value = os.environ.get(config.kobo.token_env, "").strip()
    if value:
        return value
    try:
        return load_token(environ={})
    except QafError:
        raise QafError(f"no Kobo API token: the config names ${config.kobo.token_env}, which is not set "
                       f"(nor is there a token file {DEFAULT_TOKEN_FILE} with mode 0600)") from None


def run_pipeline(config: PipelineConfig, token: str, today: date | None = None,
                 progress: Callable[[str], None] = lambda line: None,
                 notice: Callable[[str], None] | None = None) -> RunResult:
    """Sync the store from Kobo, score it, and write the workbooks to ``<out_dir>/<date>/``. ``notice`` hears of
    waits the server asks for (default: a logged warning)."""
    day = (today or date.today()).isoformat()
    out_dir = config.report.out_dir / day
    progress(f"sync   {config.kobo.server} asset {config.kobo.asset_uid} → {config.store.path}")
    synced = sync(config.kobo.server, config.kobo.asset_uid, token, config.store.path, full=config.kobo.full_scan,
                  max_wait=config.kobo.max_wait, notice=notice)
    progress(f"       {synced.new} new, {synced.updated} updated, {synced.deleted} deleted, {synced.total} in the store")
    countries = config.report.countries or None
    fw = find_framework(config.scoring.framework)
    scores = score_for_report(config.store.path, countries, config.scoring.rule, config.scoring.only_approved, fw,
                              out_dir)
    progress(f"score  {len(scores.assessments)} assessments scored ({config.scoring.rule} rule) → {out_dir}")
    workbooks = write_reports(scores, fw, out_dir, countries=countries, lang=config.report.lang)
    progress(f"report {len(workbooks)} workbooks → {out_dir}")
    return RunResult(synced, len(scores.assessments), out_dir, workbooks)
