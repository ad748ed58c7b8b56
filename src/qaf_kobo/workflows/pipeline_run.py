"""``qaf-kobo run``: sync every source → score → report for a real deployment, as a pipeline config describes it."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from qaf_kobo.central.credentials import CentralCredentials, load_credentials
from qaf_kobo.errors import QafError
from qaf_kobo.form.structure import xlsform_paths
from qaf_kobo.form.xlsform import build_xlsform
from qaf_kobo.framework import find_framework
from qaf_kobo.kobo.token import DEFAULT_TOKEN_FILE, checked_token, load_token
from qaf_kobo.output_files import output_folder
from qaf_kobo.plans.horizons import horizons
from qaf_kobo.remote import CentralRemote, KoboRemote, Remote
from qaf_kobo.report.workbook import write_reports
from qaf_kobo.sync.files import ImportResult, import_files
from qaf_kobo.sync.result import SyncResult
from qaf_kobo.workflows.pipeline_config import PipelineConfig, SourceSettings, check_sources
from qaf_kobo.workflows.report_run import first_seen_days, keep_first_seen, score_for_report, tracked_actions


@dataclass(frozen=True)
class RunResult:
    """What one pipeline run did: each source's sync or import, then scoring and the workbooks."""

    syncs: list[SyncResult | ImportResult]
    n_scored: int
    out_dir: Path
    workbooks: list[Path]


def source_token(source: SourceSettings, environ: Mapping[str, str] | None = None) -> str:
    """A Kobo source's token: the environment variable the config names, else the 0600 token file."""
    env = os.environ if environ is None else environ
    value = env.get(source.token_env, "").strip()
    if value:
        return checked_token(value, f"${source.token_env} (the token of the source {source.name})")
    try:
        return load_token(environ={})
    except QafError:
        raise QafError(f"no Kobo API token for the source {source.name}: the config names ${source.token_env}, which "
                       f"is not set (nor is there a token file {DEFAULT_TOKEN_FILE} with mode 0600)") from None


def source_login(source: SourceSettings) -> CentralCredentials:
    """A Central source's login, from pyodk's config file (the source's ``config_file``, else pyodk's default)."""
    assert source.server is not None
    return load_credentials(source.config_file).for_server(source.server)


def pipeline_credentials(config: PipelineConfig) -> dict[str, str | CentralCredentials]:
    """Each server source's credentials, found before anything runs (a missing one stops the run at once)."""
    found: dict[str, str | CentralCredentials] = {}
    for source in config.all_sources():
        if source.kind == "kobo":
            found[source.name] = source_token(source)
        elif source.kind == "central":
            found[source.name] = source_login(source)
    return found


def _pull(source: SourceSettings, secret: str | CentralCredentials | None, config: PipelineConfig,
          field_paths: dict[str, str], notice: Callable[[str], None] | None,
          progress: Callable[[str], None]) -> SyncResult | ImportResult:
    store = config.store.path
    if source.kind == "export":
        assert source.folder is not None
        progress(f"import {source.name}: {source.folder} → {store}")
        return import_files([source.folder], store, source=source.name, ref=str(source.folder), field_paths=field_paths)
    remote = source_remote(source, secret)
    progress(f"sync   {source.name}: {source.server} {source_target(source)} → {store}")
    return remote.sync(store, source=source.name, full=source.full_scan, notice=notice)


def source_remote(source: SourceSettings, secret: str | CentralCredentials | None) -> Remote:
    """The remote a server source names, with the credentials found for it."""
    assert source.server is not None
    if isinstance(secret, CentralCredentials):
        return CentralRemote(source.server, source.project, source.form, secret)
    assert isinstance(secret, str)
    return KoboRemote(source.server, source.asset_uid, secret, source.max_wait)


def source_target(source: SourceSettings) -> str:
    """What a server source reads, for the progress lines: ``asset aX…`` or ``project 3 form qaf``."""
    return f"asset {source.asset_uid}" if source.asset_uid else f"project {source.project} form {source.form}"


def run_pipeline(config: PipelineConfig, today: date | None = None,
                 progress: Callable[[str], None] = lambda line: None,
                 notice: Callable[[str], None] | None = None) -> RunResult:
    """Sync (or import) every source into the store, score it once, and write the workbooks to
    ``<out_dir>/<date>/``. ``notice`` hears of waits a KoboToolbox server asks for (default: a logged warning)."""
    report_day = today or date.today()
    out_dir = output_folder(config.report.out_dir / report_day.isoformat(), store=config.store.path, create=False)
    check_sources(config)
    secrets = pipeline_credentials(config)
    fw = find_framework(config.scoring.framework)
    field_paths = xlsform_paths(build_xlsform(fw, fw.version).survey)
    results: list[SyncResult | ImportResult] = []
    for source in config.all_sources():
        result = _pull(source, secrets.get(source.name), config, field_paths, notice, progress)
        if isinstance(result, ImportResult):
            for line in result.summary().splitlines():
                progress(f"       {line}")
        else:
            progress(f"       {result.new} new, {result.updated} updated, {result.deleted} deleted, {result.total} "
                     "from this source in the store")
        results.append(result)
    countries = config.report.countries or None
    scores = score_for_report(config.store.path, countries, config.scoring.rule, config.scoring.only_approved, fw,
                              out_dir)
    progress(f"score  {len(scores.assessments)} assessments from {len(results)} source(s) scored "
             f"({config.scoring.rule} rule) → {out_dir}")
    workbooks = write_reports(scores, fw, out_dir, countries=countries, lang=config.report.lang, date=report_day,
                              tracking=tracked_actions(config.store.path), horizons=horizons(fw, config.report.horizons),
                              first_seen=first_seen_days(config.store.path),
                              on_plans=keep_first_seen(config.store.path, report_day))
    progress(f"report {len(workbooks)} workbooks → {out_dir}")
    return RunResult(results, len(scores.assessments), out_dir, workbooks)
