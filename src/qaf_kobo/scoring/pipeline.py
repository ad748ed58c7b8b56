"""The scoring run: store → tidy tables → criteria, sections, domains, countries, indicators and quality, written
as CSV + Parquet.

The stages pass tables keyed by ids (see ``keyed``):

    load        store                                  → raw: one row per submission, answers as text
    tidy        raw                                    → submissions; answers (submission × criterion);
                                                          section answers (submission × section); truncated
    criteria    tidy tables                            → criteria (submission × criterion, with level names)
    sections    submissions, answers, section answers  → sections (submission × section)
    domains     submissions, sections, answers         → domains (submission × domain)
                submissions, domains                   → index (one row per submission)
    countries   submissions, sections                  → countries (country × round × section)
    indicators  raw, submissions                       → evidence figures → indicators (submission × indicator),
                                                          country indicators, the indicators export
    quality     tidy tables, sections, indicators,     → quality (one row per finding, the evidence cross-checks
                criteria                                  and unreadable figures among them)

With many submissions, stages that do not need each other's tables run in two threads (``beside``): the evidence
figures, the criteria table, the indicators and the quality checks beside the sections → domains → rounds chain
(and, within tidy, the section answers beside the criterion answers). Each stage is a function of its inputs only,
so the tables never depend on which thread finishes first.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from qaf_kobo.cycle_collector import paused
from qaf_kobo.errors import QafError
from qaf_kobo.excel_text import FORMULA_TRIGGERS, QUOTE
from qaf_kobo.form.contract import FRAMEWORK_FIELD
from qaf_kobo.framework import Framework, default_framework
from qaf_kobo.output_files import OutputSet, output_folder
from qaf_kobo.scoring.beside import beside
from qaf_kobo.scoring.domains import DOMAIN_COLUMNS, domain_table, overall_index
from qaf_kobo.scoring.fields import pick_fields
from qaf_kobo.scoring.indicators import (
    country_indicators,
    cross_check_findings,
    figures,
    indicator_export,
    indicator_table,
    unreadable_findings,
)
from qaf_kobo.scoring.keyed import submission_positions
from qaf_kobo.scoring.load import StoreData, load_submissions
from qaf_kobo.scoring.quality import QUALITY_COLUMNS, quality_table
from qaf_kobo.scoring.round_tables import round_tables
from qaf_kobo.scoring.rounds import left_out
from qaf_kobo.scoring.rules import DEFAULT_RULE, check_rule
from qaf_kobo.scoring.sections import SECTION_COLUMNS, section_table
from qaf_kobo.scoring.text import normalise
from qaf_kobo.scoring.tidy import (
    CRITERIA_COLUMNS,
    Tidy,
    criteria_table,
    latest_version,
    scoring_fields,
    tidy,
    tidy_submissions,
)

ASSESSMENT_COLUMNS: tuple[str, ...] = (
    "root_uuid",
    "source",
    "country",
    "country_name",
    "agency",
    "area",
    "purpose",
    "assessment_date",
    "round",
    "assessment_scope",
    "form_version",
    "older_version",
    "validation_status",
    "submission_time",
    "index",
    "left_out",
)
"""``left_out``: why the assessment is left out of its round's figures ("" when counted; ``scoring.rounds``)."""
TABLES: tuple[str, ...] = ("assessments", "criteria", "sections", "domains", "rounds", "countries", "country_domains",
                           "quality", "indicators", "country_indicators", "indicators_export")


@dataclass
class Scores:
    """The tables of one scoring run (see TABLES) and ``about``: rule, versions, counts, source and filters."""

    assessments: pd.DataFrame
    criteria: pd.DataFrame
    sections: pd.DataFrame
    domains: pd.DataFrame
    rounds: pd.DataFrame
    """Per country × round (``scoring.round_tables``): assessments counted and left out, sections per level and
    meeting the minimum, the index, and the previous round's figures beside them."""
    countries: pd.DataFrame
    """Per country × round × section: assessments per level, the round's level, the previous round's level."""
    country_domains: pd.DataFrame
    """Per country × round × domain: the domain's level (the rule over its sections' levels) and index."""
    quality: pd.DataFrame
    indicators: pd.DataFrame
    """Per assessment × evidence indicator: value, target, met / not met / unknown (``scoring.indicators``)."""
    country_indicators: pd.DataFrame
    """Per country × round × indicator: the median of the values given, how many gave one, met or not."""
    indicators_export: pd.DataFrame
    """The country indicators in long format (country, indicator, period, value, target)."""
    about: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name, in TABLES order."""
        return {name: getattr(self, name) for name in TABLES}



@paused()
def score_submissions(
    raw: pd.DataFrame,
    fw: Framework | None = None,
    rule: str = DEFAULT_RULE,
    current_version: str | dict[str, str] | None = None,
    today: pd.Timestamp | None = None,
) -> Scores:
    """Score raw submissions (one Kobo /data/ row per submission; fields found by their last path segment).

    ``current_version`` is the deployed form version (or, for several sources, their deployed versions by source
    name); when None (or for a source not named), the version of the source's most recent submission.
    ``today`` (default: today) bounds the assessment dates accepted by the quality check.
    """
    check_rule(rule)
    fw = fw or default_framework()
    today = (today or pd.Timestamp.today()).normalize()
    n = len(raw)
    figured = beside(n, figures, raw.reset_index(drop=True), fw)
    tables = tidy(raw, fw, current_version)
    current: str | None = None  # with several sources, each has its own current version
    if tables.submissions["source"].nunique() <= 1 and not isinstance(current_version, dict):
        current = current_version if current_version is not None else latest_version(tables.submissions)
    submissions, answers = tables.submissions, tables.answers
    found = beside(n, _criteria_and_evidence, tables, figured, fw)
    sections = section_table(submissions, answers, tables.section_answers, fw, rule)
    reasons = left_out(submissions, today)
    criteria, indicators, country_level, evidence = found.result()
    quality = beside(n, quality_table, tables, sections, fw, current, today, evidence, reasons)
    domains = domain_table(submissions, sections, answers, fw, rule)
    assessments = _assessments(submissions, overall_index(submissions, domains, fw), reasons)
    sections, domains = sections[list(SECTION_COLUMNS)], domains[list(DOMAIN_COLUMNS)]
    scores = Scores(
        assessments=assessments,
        criteria=criteria,
        sections=sections,
        domains=domains,
        **round_tables(assessments, sections, domains, fw, rule),
        quality=quality.result()[list(QUALITY_COLUMNS)],
        indicators=indicators,
        country_indicators=country_level,
        indicators_export=indicator_export(country_level, fw),
    )
    versions = sorted(v for v in tables.submissions["form_version"].dropna().unique())
    scores.about = {
        "rule": rule,
        "framework_version": fw.version,
        "form_versions": [str(v) for v in versions],
        "current_version": current,
        "n_submissions": len(submissions),
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return scores


def _criteria_and_evidence(tables: Tidy, figured: Future[tuple[pd.DataFrame, pd.DataFrame]], fw: Framework,
                           ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The criteria table, the evidence indicators per assessment and per country × round, and the evidence
    findings (figures that cannot be read, ratings the figures do not support); ``figured``: the figures read."""
    criteria = criteria_table(tables, fw)[list(CRITERIA_COLUMNS)]
    values, unreadable = figured.result()
    indicators = indicator_table(values, tables.submissions, fw)
    evidence = pd.concat([unreadable_findings(unreadable, tables.submissions), cross_check_findings(indicators, criteria, fw)],
                         ignore_index=True)
    return criteria, indicators, country_indicators(values, tables.submissions, fw), evidence


def _assessments(submissions: pd.DataFrame, index: pd.DataFrame, reasons: np.ndarray) -> pd.DataFrame:
    """The assessments table: the submissions (text as text) with their overall index, found by ``root_uuid``, and
    why each is left out of its round's figures (``reasons``, in submission order)."""
    out = submissions.copy()
    for name in out.columns:
        if isinstance(out[name].dtype, pd.CategoricalDtype):
            out[name] = pd.Series(pa.array(out[name].array, from_pandas=True).dictionary_decode().to_pandas(), dtype="str")
    position = submission_positions(submissions, index["root_uuid"])
    values = np.full(len(submissions), np.nan)
    values[position[position >= 0]] = index["index"].to_numpy()[position >= 0]
    out["index"] = values
    out["left_out"] = pd.Series(reasons, dtype="str")
    return out[list(ASSESSMENT_COLUMNS)]


def score(
    store_path: str | Path,
    rule: str = DEFAULT_RULE,
    only_approved: bool = False,
    countries: list[str] | tuple[str, ...] | None = None,
    out_dir: str | Path | None = None,
    fw: Framework | None = None,
    keep_answers: bool = True,
) -> Scores:
    """Score the active submissions of a store; with ``out_dir``, also write the tables (see write_scores).
    ``keep_answers``: reuse and keep up to date the answers kept beside the store (``answer_cache``), so that only
    submissions new or changed since the last run are parsed; the file is written in the background once the
    submissions are scored, while the caller goes on (``answer_cache.keep_later``).

    Submissions marked "not approved" are left out (``only_approved``: only approved ones are kept);
    ``countries`` keeps only these ISO3 codes. Submissions that answer another framework (their ``framework``
    field) are a QafError: a store is scored with the framework its form was built from.
    """
    check_rule(rule)
    fw = fw or default_framework()
    if out_dir is not None:
        output_folder(out_dir, store=store_path, create=False)  # before any work
    data = load_submissions(store_path, scoring_fields(fw), only_approved=only_approved, keep=keep_answers, wait=False)
    raw = data.raw
    check_framework(raw, fw, store_path)
    current = _current_version(data, raw)
    wanted = sorted(set(normalise(pd.Series(list(countries), dtype="str"), upper=True).dropna())) if countries else None
    if wanted:
        country = normalise(pick_fields(raw, ["country"])["country"], upper=True)
        raw = raw[country.isin(wanted).to_numpy()]
    scores = score_submissions(raw, fw, rule=rule, current_version=current)
    scores.about.update(
        {
            "store_path": str(store_path),
            "server": data.sources[0].get("server") if len(data.sources) == 1 else None,
            "asset_uid": data.sources[0].get("ref") if len(data.sources) == 1 else None,
            "sources": [{k: s.get(k) for k in ("name", "kind", "server", "ref", "submissions", "last_sync")}
                        for s in data.sources],
            "filters": {
                "validation_status": "approved only" if only_approved else "all except not approved",
                "countries": wanted or [],
            },
        }
    )
    data.keep()  # the answers kept beside the store, written in the background now that the cores are free
    if out_dir is not None:
        write_scores(scores, out_dir)
    return scores


def _current_version(data: StoreData, raw: pd.DataFrame) -> str | dict[str, str] | None:
    """The form version submissions are compared with: the one deployed, for a store of one source; for several,
    each source's deployed version where its sync recorded one (the others: that source's latest)."""
    if len(data.sources) > 1:
        return {str(s["name"]): str(s["deployed_version_id"]) for s in data.sources if s.get("deployed_version_id")}
    deployed = data.sources[0].get("deployed_version_id") if data.sources else None
    return str(deployed) if deployed else latest_version(tidy_submissions(raw[_version_columns(raw)]))


def check_framework(raw: pd.DataFrame, fw: Framework, store_path: str | Path) -> None:
    """QafError when submissions say they answer another framework than ``fw`` (rows without the field, from
    forms built before it existed, are taken to answer ``fw``)."""
    answered = pick_fields(raw, [FRAMEWORK_FIELD])[FRAMEWORK_FIELD].dropna().str.strip()
    others = sorted(set(answered) - {fw.id, ""})
    if others:
        raise QafError(f"{store_path}: its submissions answer framework {', '.join(map(repr, others))}, not "
                       f"{fw.id!r}: score it with --framework {others[0]}")


def _version_columns(raw: pd.DataFrame) -> list[str]:
    """The raw columns that tell a submission's form version and time (enough to find the latest version)."""
    return [c for c in ("root_uuid", "source", "form_version", "__version__", "submission_time", "_submission_time")
            if c in raw.columns]


def _as_text(column: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    """A timestamp column as CSV shows it: ``*_date`` as YYYY-MM-DD, times as YYYY-MM-DDTHH:MM:SS.

    Each distinct value is formatted once (a date repeats on every criterion row of its submission).
    """
    encoded = pc.dictionary_encode(column.cast(pa.timestamp("s"), safe=False).combine_chunks())
    text = pc.strftime(encoded.dictionary, format="%Y-%m-%d" if name.endswith("date") else "%Y-%m-%dT%H:%M:%S")
    return pa.chunked_array([pa.DictionaryArray.from_arrays(encoded.indices, text)])


def _quoted(text: pa.Array) -> pa.Array:
    """Text that a spreadsheet would evaluate (it starts with one of FORMULA_TRIGGERS) prefixed with QUOTE."""
    risky = pc.is_in(pc.utf8_slice_codeunits(text, 0, 1), value_set=pa.array(FORMULA_TRIGGERS, type=text.type))
    return pc.if_else(risky, pc.binary_join_element_wise(pa.scalar(QUOTE, text.type), text, pa.scalar("", text.type)), text)


def _csv_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A text column (plain or dictionary-encoded) with its risky text quoted (see ``_quoted``)."""
    chunks = []
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            chunks.append(pa.DictionaryArray.from_arrays(chunk.indices, _quoted(chunk.dictionary)))
        else:
            chunks.append(_quoted(chunk))
    return pa.chunked_array(chunks, type=chunks[0].type if chunks else column.type)


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _csv_ready(table: pa.Table) -> pa.Table:
    """Columns as CSV shows them (categories are written as their text by the CSV writer); text that a
    spreadsheet would evaluate starts with QUOTE (the Parquet files keep the text as it is)."""
    columns = [
        _as_text(column, name) if pa.types.is_timestamp(column.type) else _csv_text(column) if _is_text(column.type) else column
        for name, column in zip(table.column_names, table.columns)
    ]
    return pa.table(columns, names=table.column_names)


def _write_table(table: pd.DataFrame, csv_path: Path, parquet_path: Path) -> None:
    """Write one table through Python files, so that a failed write (a full disk) is an OSError with its errno."""
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    with open(csv_path, "wb") as handle:
        pa_csv.write_csv(_csv_ready(arrow), handle)
    with open(parquet_path, "wb") as handle:
        pq.write_table(arrow, handle)


def write_scores(scores: Scores, out_dir: str | Path) -> list[Path]:
    """Write each table as ``<name>.csv`` and ``<name>.parquet``, plus ``about.json``; returns the paths written.
    All or nothing: each file under a temporary name, the set renamed when complete (``output_files``).

    The tables are written in parallel threads (pyarrow's writers release the GIL).
    """
    with OutputSet(output_folder(out_dir)) as files:
        with ThreadPoolExecutor(max_workers=min(len(TABLES), os.cpu_count() or 1)) as pool:
            jobs = [pool.submit(_write_table, table, files.part(f"{name}.csv"), files.part(f"{name}.parquet"))
                    for name, table in scores.tables().items()]
            for job in jobs:
                job.result()
        files.part("about.json").write_text(json.dumps(scores.about, indent=2, ensure_ascii=False, default=str) + "\n",
                                            encoding="utf-8")
    return files.paths
