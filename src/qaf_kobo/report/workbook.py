"""A report workbook is a list of sheets written with XlsxWriter; the reports are the regional
``<framework>_summary_<date>.xlsx`` and one ``<framework>_<code>_<date>.xlsx`` per country (``qaf_summary_…``
for the QAF).

XlsxWriter writes in constant memory (one row at a time), never turns a string into a formula, number or link,
and writes to a temporary name that is renamed at the end: a failed write leaves no half file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import xlsxwriter

from qaf_kobo.errors import QafError
from qaf_kobo.framework import Framework
from qaf_kobo.framework.catalogue import ENGLISH
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.sheets import Sheet, sheets_for
from qaf_kobo.report.wording import Wording, wording
from qaf_kobo.scoring import Scores

_FRAMES = ("assessments", "criteria", "sections", "domains", "quality", "indicators")
_BY_COUNTRY = ("countries", "country_indicators", "indicators_export")
_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def limit_to_countries(scores: Scores, countries: list[str]) -> Scores:
    """The same Scores with only these countries' assessments (and their rows in every table)."""
    keep = set(scores.assessments.loc[scores.assessments["country"].isin(countries), "root_uuid"])
    changes = {name: getattr(scores, name)[getattr(scores, name)["root_uuid"].isin(keep)] for name in _FRAMES}
    changes |= {name: getattr(scores, name)[getattr(scores, name)["country"].isin(countries)] for name in _BY_COUNTRY}
    return dataclasses.replace(scores, **changes)


def write_workbook(
    scores: Scores, fw: Framework, words: Wording, path: str | Path, sheets: Sequence[Sheet] | None = None,
) -> Path:
    """Write one workbook with these sheets (default: every sheet for this framework) for these scores; returns
    ``path``."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with tempfile.TemporaryDirectory(prefix="qaf-xlsx-") as rows_folder:
            book = xlsxwriter.Workbook(str(partial), {**_OPTIONS, "tmpdir": rows_folder})
            try:
                cells = Cells(book, words)
                for sheet in sheets_for(fw) if sheets is None else sheets:
                    ws = book.add_worksheet(words.sheet(sheet.KEY))
                    if words.right_to_left:
                        ws.right_to_left()
                    sheet.write(ws, cells, scores, fw, words)
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
    date: dt.date | None = None,
) -> list[Path]:
    """Write the regional workbook and one workbook per country (only ``countries`` when given); return the paths
    written, each a different file.

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
    names = workbook_names(present, (date or dt.date.today()).isoformat(), fw.id)
    paths = [write_workbook(scores, fw, words, out / names[""])]
    for country in present:
        paths.append(write_workbook(limit_to_countries(scores, [country]), fw, words, out / names[country]))
    return paths
