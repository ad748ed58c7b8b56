"""Write the data rows of table sheets straight into a saved xlsx: one vectorised pass per column, no cell objects.

Every text value becomes an inline string (``t="inlineStr"``) — never a formula, whatever it starts with — and
one starting with = + - @ gets its style's quote-prefixed twin, so that re-entering the cell in a spreadsheet
does not evaluate it either; numbers and dates are numbers (dates as Excel serial days, with a date format).
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from qaf_kobo.report.styles import LEVEL_COLOURS, clean_text, style_keys, text_style
from qaf_kobo.report.table import PROBE_ROW, Table

_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_PROBE = re.compile(rf'<c r="([A-Z]+){PROBE_ROW}" s="(\d+)"')
_ROWS_PER_CHUNK = 5000


def _text_cell(styles: dict[str, int], key: str, value: object) -> str:
    text = clean_text(value)
    return f'<c s="{styles[text_style(key, text)]}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def _map_unique(values: pd.Series, render) -> np.ndarray:
    """Render each distinct value once (reports repeat level names and action texts many times)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    rendered = np.array([render(u) for u in uniques] + [None], dtype=object)
    return rendered[codes]  # code -1 (missing) picks the trailing None


def _column_cells(values: pd.Series, kind: str, styles: dict[str, int], labels: dict[int, str]) -> np.ndarray:
    """The ``<c>`` elements of one column."""
    values = values.reset_index(drop=True)
    if kind == "level":
        codes = pd.to_numeric(values, errors="coerce").fillna(0).astype(int)
        return _map_unique(codes, lambda c: _text_cell(styles, f"level_{c}" if c in LEVEL_COLOURS else "level_none", labels.get(c, "")))
    style = styles[kind]
    empty = f'<c s="{style}"/>'
    if kind in ("text", "wrap"):
        cells = _map_unique(values.astype(object).where(values.notna() & (values.astype(str) != ""), None),
                            lambda v: _text_cell(styles, kind, v))
    elif kind == "bool":
        cells = _map_unique(values.astype(object), lambda v: f'<c s="{style}" t="b"><v>{int(bool(v))}</v></c>')
    else:
        if kind in ("date", "datetime"):
            stamps = pd.to_datetime(values, errors="coerce", utc=False)
            if getattr(stamps.dt, "tz", None) is not None:
                stamps = stamps.dt.tz_convert(None)
            numbers = (stamps - _EXCEL_EPOCH) / pd.Timedelta(days=1)
            if kind == "date":
                numbers = np.floor(numbers)
        else:
            numbers = pd.to_numeric(values, errors="coerce")
        numbers = pd.Series(numbers, dtype="float64")
        numbers = numbers.where(np.isfinite(numbers))
        present = numbers.notna().to_numpy()
        text = numbers.map(lambda x: repr(int(x)) if x == int(x) else repr(x), na_action="ignore")
        cells = np.where(present, (f'<c s="{style}"><v>' + text.astype(object) + "</v></c>").to_numpy(), None)
    cells[pd.isna(cells)] = empty
    return cells


def render_rows(table: Table, styles: dict[str, int], first_row: int = 2) -> Iterator[str]:
    """The ``<row>`` elements of the table's data, in chunks of text."""
    columns = [
        _column_cells(table.frame.iloc[:, i], c.kind, styles, c.labels) for i, c in enumerate(table.columns)
    ]
    rows = zip(*columns) if columns else iter(())
    chunk: list[str] = []
    for number, cells in enumerate(rows, first_row):
        chunk.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(chunk) == _ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> part name, from xl/workbook.xml and its relationships."""
    workbook = archive.read("xl/workbook.xml").decode("utf-8")
    rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {m["id"]: m["target"] for m in re.finditer(r'<Relationship[^>]*?Id="(?P<id>[^"]+)"[^>]*?Target="(?P<target>[^"]+)"', rels)}
    targets |= {m["id"]: m["target"] for m in re.finditer(r'<Relationship[^>]*?Target="(?P<target>[^"]+)"[^>]*?Id="(?P<id>[^"]+)"', rels)}
    parts = {}
    for m in re.finditer(r'<sheet [^>]*?name="(?P<name>[^"]*)"[^>]*?r:id="(?P<id>[^"]+)"', workbook):
        target = targets[m["id"]]
        path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        parts[_unescape_attr(m["name"])] = path
    return parts


def _unescape_attr(value: str) -> str:
    return value.replace("&quot;", '"').replace("&apos;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _splice_sheet(xml: str, table: Table, out) -> None:
    """Write the sheet part with the probe row replaced by the table's data rows."""
    row_start = xml.index(f'<row r="{PROBE_ROW}"')
    row_end = xml.index("</row>", row_start) + len("</row>")
    styles_by_column = dict(_PROBE.findall(xml[row_start:row_end]))
    styles = {key: int(styles_by_column[get_column_letter(i)]) for i, key in enumerate(style_keys(), 1)}
    head = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{table.last_cell}"/>', xml[:row_start], count=1)
    out.write(head.encode("utf-8"))
    for chunk in render_rows(table, styles):
        out.write(chunk.encode("utf-8"))
    out.write(xml[row_end:].encode("utf-8"))


def splice_rows(draft: Path, path: Path, tables: dict[str, Table]) -> None:
    """Copy ``draft`` to ``path``, replacing the probe row of each named sheet (see ``prepare_table_sheet``) by its rows."""
    temporary = path.with_name(path.name + ".part")
    try:
        with zipfile.ZipFile(draft) as source, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
            parts = {part: tables[title] for title, part in _sheet_parts(source).items() if title in tables}
            for info in source.infolist():
                if info.filename in parts:
                    with target.open(info.filename, "w", force_zip64=True) as out:
                        _splice_sheet(source.read(info).decode("utf-8"), parts[info.filename], out)
                else:
                    target.writestr(info, source.read(info), compress_type=zipfile.ZIP_DEFLATED)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
