"""A report workbook is a list of sheets written with XlsxWriter; the reports are the regional
``<framework>_summary_<date>.xlsx`` and one ``<framework>_<code>_<date>.xlsx`` per country (``qaf_summary_…``
for the QAF). Both hold a Country action plan and the marker that lets ``qaf-kobo actions import`` read it back.

XlsxWriter writes in constant memory (one row at a time), never turns a string into a formula, number or link,
and writes to a temporary name that is renamed at the end: a failed write leaves no half file. A big report
writes the country workbooks in worker processes while the main process writes the regional one (XlsxWriter is
pure Python: one workbook keeps one core busy).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing
import os
import re
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import xlsxwriter

from qaf_kobo.errors import QafError
from qaf_kobo.framework import Framework
from qaf_kobo.framework.catalogue import ENGLISH
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.plan_marker import PlanFacts, write_marker
from qaf_kobo.report.report_data import ReportData, limit_to_countries, report_data
from qaf_kobo.report.sheets import Sheet, country_plan, sheets_for
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


def _facts(data: ReportData, fw: Framework, words: Wording) -> PlanFacts:
    return PlanFacts(data.generated_at, words.lang, fw.id, fw.version, words.sheet(country_plan.KEY),
                     country_plan.column_keys(data.country is None))


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
    path = Path(path)
    sheets = sheets if sheets is not None else sheets_for(fw, data.country is not None)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with tempfile.TemporaryDirectory(prefix="qaf-xlsx-") as rows_folder:
            book = xlsxwriter.Workbook(str(partial), {**_OPTIONS, "tmpdir": rows_folder})
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
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _file_code(country: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", country)


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


def write_reports(
    scores: Scores, fw: Framework, out_dir: str | Path, countries: list[str] | None = None, lang: str = ENGLISH,
    date: dt.date | None = None, *, tracking: pd.DataFrame | None = None, horizons: dict[int, int] | None = None,
    generated_at: dt.datetime | None = None, workers: int | None = None,
) -> list[Path]:
    """Write the regional workbook and one workbook per country (only ``countries`` when given); return the paths
    written, each a different file. ``tracking``: what the store tracks of the plans (``store.actions``);
    ``horizons``: months per level code (``report.horizons``); ``date``: the report date (file names, overdue);
    ``workers``: processes for the country workbooks (default: up to MAX_WORKERS, one per core, from
    PARALLEL_FROM criteria rows on; 1: none).

    An unknown language, or a requested country without assessments, raises QafError.
    """
    words = wording(fw, lang)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    present = sorted(str(c) for c in pd.unique(scores.assessments["country"].dropna()) if str(c).strip())
    if countries:
        wanted = list(dict.fromkeys(c.strip().upper() for c in countries))
        missing = [c for c in wanted if c not in present]
        if missing:
            raise QafError(f"no assessments for country {', '.join(missing)} (found: {', '.join(present) or 'none'})")
        scores = limit_to_countries(scores, wanted)
        present = sorted(wanted)
    scores = localised(scores, words)
    data = report_data(scores, fw, tracking, horizons, generated_at, date or dt.date.today())
    names = workbook_names(present, data.report_date.isoformat(), fw.id)
    if workers is None:
        workers = min(MAX_WORKERS, os.cpu_count() or 1) if len(scores.criteria) >= PARALLEL_FROM else 1
    workers = min(workers, len(present))
    if workers < 2:
        paths = [write_workbook(data, fw, words, out / names[""])]
        for country in present:
            paths.append(write_workbook(data.for_country(country), fw, words, out / names[country]))
        return paths
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        jobs = [pool.submit(_write_country, data.for_country(country), fw, lang, out / names[country])
                for country in present]
        try:
            regional = write_workbook(data, fw, words, out / names[""])
            return [regional, *(job.result() for job in jobs)]
        except BaseException:
            for job in jobs:
                job.cancel()
            raise


def _write_country(data: ReportData, fw: Framework, lang: str, path: Path) -> Path:
    """A country workbook, in a worker process."""
    return write_workbook(data, fw, wording(fw, lang), path)
