"""A report workbook is a list of sheets written with XlsxWriter; the reports are the regional
``<framework>_summary_<date>.xlsx`` and one ``<framework>_<code>_<date>.xlsx`` per country (``qaf_summary_…``
for the QAF). Both hold a Country action plan and the marker that lets ``qaf-kobo actions import`` read it back.

XlsxWriter writes in constant memory (one row at a time), never turns a string into a formula, number or link.
Every workbook is written to a temporary name and the set is renamed when all are complete (``output_files``): a
failed write (a full disk) leaves no half file and no partial set. A big report
writes the country workbooks in worker processes while the main process writes the regional one (XlsxWriter is
pure Python: one workbook keeps one core busy).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import multiprocessing
import os
import re
import signal
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import xlsxwriter

from qaf_kobo.cycle_collector import paused
from qaf_kobo.errors import QafError
from qaf_kobo.framework import Framework
from qaf_kobo.framework.catalogue import ENGLISH
from qaf_kobo.output_files import OutputSet, output_folder, write_atomically
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.plan_marker import PlanFacts, write_marker
from qaf_kobo.report.report_data import ReportData, limit_to_countries, report_data
from qaf_kobo.report.sheets import Sheet, closed_actions, country_plan, sheets_for
from qaf_kobo.report.table_sheet import footer_text, setup_print
from qaf_kobo.report.wording import Wording, wording
from qaf_kobo.scoring import Scores

__all__ = ["limit_to_countries", "workbook_names", "write_reports", "write_workbook"]

PARALLEL_FROM = 200_000
"""Criteria rows (submissions × criteria) from which the country workbooks are written in worker processes: below,
starting the workers costs more than it saves."""
MAX_WORKERS = 4
_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def _base(plans: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """Per Action id, the tracked values as the plan sheets show them (the marker's base)."""
    def texts(values: pd.Series) -> list[str]:
        return [v.strip() if isinstance(v, str) else "" for v in values.astype(object)]

    dates = [d.date().isoformat() if pd.notna(d) else "" for d in pd.to_datetime(plans["expected_completion"])]
    columns = (texts(plans["responsible_section"]), texts(plans["responsible_person"]), dates,
               list(plans["stage"]), texts(plans["action_taken"]))
    return {ident: tuple(row) for ident, *row in zip(plans["action_id"], *columns)}


def _facts(data: ReportData, fw: Framework, words: Wording) -> PlanFacts:
    return PlanFacts(data.generated_at, words.lang, fw.id, fw.version, words.sheet(country_plan.KEY),
                     country_plan.column_keys(data.country is None), words.sheet(closed_actions.KEY),
                     _base(data.plans))


def footer(data: ReportData, fw: Framework, words: Wording) -> str:
    """The page footer of every sheet: the workbook's title and country, the sheet, the report date, "page N of M"."""
    framework = fw.id.upper()
    if data.country is None:
        title = words("report.print.regional", framework=framework)
    else:
        names = data.scores.assessments.drop_duplicates("country").set_index("country")["country_name"]
        country = f"{words.country(data.country, names.get(data.country))} ({data.country})"
        title = words("report.print.country", framework=framework, country=country)
    return footer_text(title, words("report.print.page", date=data.report_date.isoformat(), page="&P", pages="&N"))


def localised(scores: Scores, words: Wording) -> Scores:
    """The scores with the assessments' country names in the report language (pycountry's translations)."""
    assessments = scores.assessments
    codes = assessments["country"].astype(object)
    first = assessments.drop_duplicates("country").set_index("country")["country_name"]
    names = {code: words.country(code, first.get(code)) for code in first.index}
    return dataclasses.replace(scores, assessments=assessments.assign(
        country_name=codes.map(names).where(codes.notna(), assessments["country_name"])))


def write_workbook(data: ReportData, fw: Framework, words: Wording, path: str | Path,
                   sheets: Sequence[Sheet] | None = None) -> Path:
    """Write one workbook of these sheets (default: the regional or the country sheets for this framework, as
    ``data`` is) and, when it holds the Country action plan, the plan marker; returns ``path``."""
    return write_atomically(path, lambda partial: _write_book(data, fw, words, partial, sheets))


@paused()
def _write_book(data: ReportData, fw: Framework, words: Wording, path: Path,
                sheets: Sequence[Sheet] | None = None) -> Path:
    """Write the workbook to ``path`` itself (the caller renames it when complete)."""
    sheets = sheets if sheets is not None else sheets_for(fw, data.country is not None)
    with tempfile.TemporaryDirectory(prefix="qaf-xlsx-") as rows_folder:
        book = xlsxwriter.Workbook(str(path), {**_OPTIONS, "tmpdir": rows_folder})
        book.set_properties({"created": data.generated_at.replace(tzinfo=None)})  # saved time of an untouched copy
        try:
            cells = Cells(book, words)
            for sheet in sheets:
                ws = book.add_worksheet(words.sheet(sheet.KEY))
                if words.right_to_left:
                    ws.right_to_left()
                sheet.write(ws, cells, data, fw, words)
            page_footer = footer(data, fw, words)
            for ws in book.worksheets():
                setup_print(ws, page_footer)
            if country_plan in sheets:
                write_marker(book, cells, _facts(data, fw, words))
        finally:
            book.close()
    return path


MAX_CODE = 40
"""The longest country code kept whole in a file name; a longer one is cut and ends with a hash of the whole."""


def _file_code(country: str) -> str:
    """The country's code as file names show it: other characters as ``_``; cut at MAX_CODE characters with a
    short hash of the whole value (so two long values that begin alike still differ)."""
    code = re.sub(r"[^A-Za-z0-9_-]", "_", country)
    if len(code) <= MAX_CODE:
        return code
    return f"{code[:MAX_CODE - 9]}-{hashlib.sha256(country.encode('utf-8')).hexdigest()[:8]}"


def workbook_names(countries: Sequence[str], stamp: str, prefix: str = "qaf") -> dict[str, str]:
    """The file name of the regional workbook (key "") and of each country's, starting with ``prefix`` (the
    framework's id); names differ even where two codes write alike (``=1+1`` and ``﹦1+1``) or differ only in
    case: the later one gets ``-2``, ``-3`` …"""
    names = {"": f"{prefix}_summary_{stamp}.xlsx"}
    taken = {names[""].casefold()}
    for country in countries:
        code = _file_code(country)
        name, n = f"{prefix}_{code}_{stamp}.xlsx", 1
        while name.casefold() in taken:
            n += 1
            name = f"{prefix}_{code}-{n}_{stamp}.xlsx"
        names[country] = name
        taken.add(name.casefold())
    return names


@paused()
def write_reports(
    scores: Scores, fw: Framework, out_dir: str | Path, countries: list[str] | None = None, lang: str = ENGLISH,
    date: dt.date | None = None, *, tracking: pd.DataFrame | None = None, horizons: dict[int, int] | None = None,
    generated_at: dt.datetime | None = None, workers: int | None = None,
    first_seen: Mapping[str, dt.date] | None = None, on_plans: Callable[[pd.DataFrame], None] | None = None,
) -> list[Path]:
    """Write the regional workbook and one workbook per country (only ``countries`` when given); return the paths
    written, each a different file. ``tracking``: what the store tracks of the plans (``store.actions``);
    ``horizons``: months per level code (``report.horizons``); ``date``: the report date (file names, overdue);
    ``workers``: processes for the country workbooks (default: up to MAX_WORKERS, one per core, from
    PARALLEL_FROM criteria rows on; 1: none); ``first_seen``: the day each action first appeared in a plan
    (``store.actions``); ``on_plans``: called with the plans before any workbook is written (to keep the day new
    actions first appeared).

    An unknown language, or a requested country without assessments, raises QafError.
    """
    words = wording(fw, lang)
    out = output_folder(out_dir)
    present = sorted(str(c) for c in pd.unique(scores.assessments["country"].dropna()) if str(c).strip())
    if countries:
        wanted = list(dict.fromkeys(c.strip().upper() for c in countries))
        missing = [c for c in wanted if c not in present]
        if missing:
            raise QafError(f"no assessments for country {', '.join(missing)} (found: {', '.join(present) or 'none'})")
        scores = limit_to_countries(scores, wanted)
        present = sorted(wanted)
    scores = localised(scores, words)
    data = report_data(scores, fw, tracking, horizons, generated_at, date or dt.date.today(), first_seen)
    if on_plans is not None:
        on_plans(data.plans)
    names = workbook_names(present, data.report_date.isoformat(), fw.id)
    if workers is None:
        workers = min(MAX_WORKERS, os.cpu_count() or 1) if len(scores.criteria) >= PARALLEL_FROM else 1
    workers = min(workers, len(present))
    with OutputSet(out) as files:  # every workbook written, or none
        if workers < 2:
            _write_book(data, fw, words, files.part(names[""]))
            for country in present:
                _write_book(data.for_country(country), fw, words, files.part(names[country]))
        else:
            _write_parallel(data, fw, lang, files, names, present, workers)
    return files.paths


def _write_parallel(data: ReportData, fw: Framework, lang: str, files: OutputSet, names: dict[str, str],
                    present: list[str], workers: int) -> None:
    """The country workbooks in worker processes while this one writes the regional workbook."""
    regional = files.part(names[""])
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_leave_interrupts_to_the_main_process) as pool:
        jobs = [pool.submit(_write_country, data.for_country(country), fw, lang, files.part(names[country]))
                for country in present]
        try:
            _write_book(data, fw, wording(fw, lang), regional)
            for job in jobs:
                job.result()
        except BaseException:
            for job in jobs:
                job.cancel()
            raise


def _leave_interrupts_to_the_main_process() -> None:
    """In a worker: Ctrl-C reaches the whole process group; the main process says what happened, once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _write_country(data: ReportData, fw: Framework, lang: str, path: Path) -> Path:
    """A country workbook, in a worker process (written to ``path`` itself: the main process renames it)."""
    return _write_book(data, fw, wording(fw, lang), path)
