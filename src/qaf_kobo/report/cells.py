"""Cells of the report workbooks: formats by kind and level, text that stays text, dates only in Excel's range.

Every text is written with ``write_string`` (never a formula, whatever it starts with); text starting with
= + - @, a tab or a carriage return gets the quote-prefixed twin of its format, so that re-entering the cell in
a spreadsheet does not evaluate it either. Control characters that XML cannot hold are removed and text is cut
to Excel's 32,767 characters. A date or time outside 1900-01-01 … 9999-12-31 is written as its ISO text.
Level colours and names come from the framework (``fw.levels``) and the report wording.

``Cells.column`` prepares a whole column at once (each distinct value rendered once, a writer and a format per
cell) so that table sheets write their rows with one call per cell and no per-cell decisions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.excel_text import needs_quote
from qaf_kobo.report.wording import Wording

KINDS = ("text", "wrap", "int", "rank", "number", "percent", "date", "suggested_date", "datetime", "bool", "level",
         "level_code")
"""Column kinds: ``text``/``wrap`` text (never evaluated, wrapped: nothing is cut on paper), numbers (``int``, ``rank``:
a whole number centred, apart from the text beside it, ``number``, ``percent``), ``date`` and
``datetime`` (``suggested_date``: a date in grey italics, a suggestion), ``bool``, ``level``: a level code shown as the level's name on the level's colour (the cell holds the
name), and ``level_code``: the same look, but the cell holds the code (a number whose format shows the name: it
sorts in level order, and a number cell is cheaper to write in big sheets)."""

MAX_CELL_TEXT = 32_767
"""Excel's limit of characters in one cell."""
"""First characters of text that gets a quote prefix (a spreadsheet would evaluate it when re-entered)."""
FIRST_DATE = np.datetime64("1900-01-01", "us")
END_OF_DATES = np.datetime64("10000-01-01", "us")
"""Excel's dates: from 1900-01-01 up to (not including) the year 10000."""

NOT_ASSESSED_COLOUR = "E7E6E6"
HEADER_COLOUR = "1F4E78"
BORDER_COLOUR = "BFBFBF"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = np.datetime64("1899-12-30", "us")
_FIRST_REAL_LEAP_DAY = 61  # Excel counts a 29 February 1900 that never was: earlier serials are one less
_PROPERTIES: dict[str, dict] = {
    "header": {"bold": True, "font_color": "#FFFFFF", "bg_color": f"#{HEADER_COLOUR}", "text_wrap": True},
    "header_up": {"bold": True, "font_color": "#FFFFFF", "bg_color": f"#{HEADER_COLOUR}", "text_wrap": True,
                  "rotation": 90, "valign": "bottom"},
    "strong": {"bold": True, "text_wrap": True},
    "text": {"text_wrap": True},
    "wrap": {"text_wrap": True},
    "int": {"num_format": "0"},
    "rank": {"num_format": "0", "align": "center"},
    "number": {"num_format": "0.0"},
    "percent": {"num_format": "0%"},
    "date": {"num_format": DATE_FORMAT},
    "suggested_date": {"num_format": DATE_FORMAT, "italic": True, "font_color": "#7F7F7F"},
    "datetime": {"num_format": DATETIME_FORMAT},
    "bool": {},
    "level": {},
    "level_code": {},
}


def literal_format(text: str) -> str:
    """An Excel number format that shows ``text`` whatever the number (a double quote cannot be quoted: escaped)."""
    return '"' + text.replace('"', '"\\""') + '"'


def clean_text(value: object) -> str:
    """Text without the control characters that XML (and so xlsx) cannot hold, cut to Excel's limit per cell."""
    return _ILLEGAL_XML.sub("", str(value))[:MAX_CELL_TEXT]


def excel_dates(values: pd.Series, kind: str = "date") -> tuple[np.ndarray, np.ndarray]:
    """Dates (or times) as Excel serial days, and as ISO text where they fall outside Excel's range.

    Returns ``(serials, texts)``: ``serials`` is float (NaN where there is no date in range); ``texts`` is
    object (the ISO text of a date outside 1900-01-01 … 9999-12-31, else None). ``kind="date"`` drops the time.
    """
    stamps = values
    if not pd.api.types.is_datetime64_any_dtype(stamps):
        stamps = pd.to_datetime(values.astype(object), errors="coerce", utc=True, format="mixed")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert(None)
    moments = stamps.to_numpy().astype("datetime64[us]")
    present = ~np.isnat(moments)
    inside = present & (moments >= FIRST_DATE) & (moments < END_OF_DATES)
    unit = "D" if kind == "date" else "m"
    days = (moments.astype(f"datetime64[{unit}]") - _EXCEL_EPOCH) / np.timedelta64(1, "D")
    days = np.where(days < _FIRST_REAL_LEAP_DAY, days - 1, days)
    serials = np.where(inside, days, np.nan)
    texts = np.full(len(moments), None, dtype=object)
    outside = present & ~inside
    if outside.any():
        iso = np.datetime_as_string(np.asarray(moments[outside]), unit=unit)  # type: ignore[call-overload]
        texts[outside] = np.char.replace(iso.astype(str), "T", " ").astype(object)
    return serials, texts


@dataclass(frozen=True)
class PreparedColumn:
    """One column's cells, ready to write: per row a writer (None: no cell), a value and a format."""

    writers: list[Callable | None]
    values: list
    formats: list[Format | None]


class Cells:
    """The formats of one workbook (by kind, level, quote prefix and edge) and the writers that use them."""

    def __init__(self, book: Workbook, words: Wording) -> None:
        self.book = book
        self.words = words
        self._formats: dict[tuple, Format] = {}
        self.level_colours = {level.code: level.colour for level in words.fw.levels}

    def format(self, kind: str = "text", level: int | None = None, quoted: bool = False, top_edge: bool = False,
               size: float | None = None) -> Format:
        """The format of a cell of this kind (``level`` for a level's colour, None and kind "level": not assessed;
        ``size``: a font size other than the default)."""
        key = (kind, level, quoted, top_edge, size)
        if key not in self._formats:
            properties = {"valign": "top", "border": 1, "border_color": f"#{BORDER_COLOUR}", **_PROPERTIES[kind]}
            if size:
                properties["font_size"] = size
            if self.words.right_to_left:
                properties["reading_order"] = 2  # right to left, whatever the text's first character
            if kind in ("level", "level_code"):
                colour = self.level_colours.get(level, NOT_ASSESSED_COLOUR) if level is not None else NOT_ASSESSED_COLOUR
                properties["bg_color"] = f"#{colour}"
            if kind == "level_code" and level in self.level_colours:
                properties["num_format"] = literal_format(clean_text(self.words.level(level))[:250])
            if quoted:
                properties["quote_prefix"] = True
            if top_edge:
                properties |= {"top": 2, "top_color": "#000000"}
            self._formats[key] = self.book.add_format(properties)
        return self._formats[key]

    def column_format(self, kind: str) -> Format:
        """The format of a table column (cells typed in later get it): the kind's number format and wrapping,
        without the border of written cells (that would run down the whole sheet)."""
        key = ("column", kind)
        if key not in self._formats:
            properties = {"valign": "top", **_PROPERTIES[kind]}
            self._formats[key] = self.book.add_format(properties)
        return self._formats[key]

    def text_format(self, text: str, kind: str = "text", level: int | None = None, top_edge: bool = False,
                    size: float | None = None) -> Format:
        """The format for this text in a cell of ``kind``: quote-prefixed when the text needs it."""
        return self.format(kind, level, needs_quote(text), top_edge, size)

    def text(self, ws: Worksheet, row: int, col: int, value: object, kind: str = "text", top_edge: bool = False,
             size: float | None = None) -> None:
        """Write text that a spreadsheet never evaluates (a blank cell for None or NaN)."""
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            ws.write_blank(row, col, None, self.format(kind, top_edge=top_edge, size=size))
            return
        text = clean_text(value)
        ws.write_string(row, col, text, self.text_format(text, kind, top_edge=top_edge, size=size))

    def number(self, ws: Worksheet, row: int, col: int, value: object, kind: str = "int", top_edge: bool = False,
               size: float | None = None) -> None:
        """Write a number (a blank cell when it is missing)."""
        if value is None or pd.isna(value):
            ws.write_blank(row, col, None, self.format(kind, top_edge=top_edge, size=size))
            return
        ws.write_number(row, col, float(value), self.format(kind, top_edge=top_edge, size=size))  # type: ignore[arg-type]

    def level(self, ws: Worksheet, row: int, col: int, code: int | None, top_edge: bool = False, short: bool = False,
              size: float | None = None) -> None:
        """Write a level's name on its colour ("Not assessed" on grey for no level); ``short``: its short name
        (heat maps: a legend gives the full names)."""
        code = None if code is None or pd.isna(code) else int(code)
        name = clean_text(self.words.level_short(code) if short else self.words.level(code))
        ws.write_string(row, col, name, self.text_format(name, "level", code, top_edge, size))

    def date(self, ws: Worksheet, row: int, col: int, value: object, kind: str = "datetime") -> None:
        """Write a date or time: a number with a date format in Excel's range, its ISO text outside it."""
        cell = self.column(ws, pd.Series([value]), kind)
        if cell.writers[0] is not None:
            cell.writers[0](row, col, cell.values[0], cell.formats[0])

    def column(self, ws: Worksheet, values: pd.Series, kind: str) -> PreparedColumn:
        """The cells of a column of ``kind``: each distinct value rendered once."""
        values = values.reset_index(drop=True)
        n = len(values)
        if kind in ("text", "wrap"):
            return self._texts(ws, values.astype(object).where(values.notna(), None), kind)
        if kind in ("level", "level_code"):
            codes = pd.to_numeric(values, errors="coerce").astype("Float64").fillna(0).astype(int)
            return self._levels(ws, codes, kind)
        if kind == "bool":
            flags = values.astype(object)
            present = flags.notna().to_numpy()
            writers = [ws.write_boolean if ok else None for ok in present]
            return PreparedColumn(writers, [bool(v) if ok else None for v, ok in zip(flags, present)], [self.format(kind)] * n)
        if kind in ("date", "datetime"):
            serials, texts = excel_dates(values, kind)
            prepared = self._numbers(ws, serials, kind)
            outside = np.flatnonzero(pd.notna(texts))
            if len(outside):
                as_text = self._texts(ws, pd.Series(texts[outside], dtype=object), "text")
                for j, i in enumerate(outside):
                    prepared.writers[i], prepared.values[i], prepared.formats[i] = (
                        as_text.writers[j], as_text.values[j], as_text.formats[j])
            return prepared
        return self._numbers(ws, pd.to_numeric(values, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan), kind)

    def _numbers(self, ws: Worksheet, numbers: np.ndarray, kind: str) -> PreparedColumn:
        present = np.isfinite(numbers)
        writers = np.where(present, ws.write_number, ws.write_blank).tolist()  # a blank keeps the border
        return PreparedColumn(writers, numbers.tolist(), [self.format(kind)] * len(numbers))

    def _texts(self, ws: Worksheet, values: pd.Series, kind: str) -> PreparedColumn:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        texts = [clean_text(u) for u in uniques]
        blank = (ws.write_blank, None, self.format(kind))  # an empty cell keeps its border (a form to fill in)
        rendered = [(ws.write_string, text, self.text_format(text, kind)) if text else blank for text in texts]
        rendered.append(blank)  # code -1: missing
        return self._gather(rendered, codes)

    def _levels(self, ws: Worksheet, codes: pd.Series, kind: str) -> PreparedColumn:
        distinct = sorted(set(codes.tolist()))
        rendered = []
        for code in distinct:
            level = code if code in self.level_colours else None
            name = clean_text(self.words.level(level))
            if kind == "level_code" and level is not None:
                rendered.append((ws.write_number, level, self.format(kind, level)))
            else:
                rendered.append((ws.write_string, name, self.text_format(name, "level", level)))
        positions = np.searchsorted(np.array(distinct, dtype=np.int64), codes.to_numpy(dtype=np.int64))
        return self._gather(rendered, positions)

    @staticmethod
    def _gather(rendered: list[tuple], codes: np.ndarray) -> PreparedColumn:
        writers, values, formats = (np.array([r[i] for r in rendered], dtype=object)[codes].tolist() for i in range(3))
        return PreparedColumn(writers, values, formats)
