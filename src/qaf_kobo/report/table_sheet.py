"""A table sheet: a header row over a DataFrame, one Column (heading, kind, width) per frame column.

``write_table`` gives every table sheet the same frame: wrapped headings with a row height that fits them,
column widths and formats, frozen header, autofilter and print setup; the rows are written column-prepared
(see ``Cells.column``), row by row as XlsxWriter's constant-memory mode requires.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.errors import QafError
from qaf_kobo.report.cells import KINDS, Cells
from qaf_kobo.report.wording import Wording

MAX_ROWS = 1_048_576
"""Rows of an Excel sheet (the header included)."""
A4 = 9
A4_LANDSCAPE_PIXELS = (11.69 - 2 * 0.4) * 96
"""The printable width of an A4 landscape page inside ``setup_print``'s margins, in screen pixels (96 a inch)."""
PRINTED_WIDTH = 0.97 * A4_LANDSCAPE_PIXELS
"""The width a sheet printed at a fixed scale may take: 3 % left for the clients' rounding."""
FITTED_ROWS = 5_000
"""Tables up to this many rows get row heights that show their wrapped text whole (bigger ones are not printed)."""


@dataclass(frozen=True)
class Column:
    """One column of a table sheet."""

    heading: str
    kind: str = "text"
    width: float = 14


@dataclass(frozen=True)
class Table:
    """Columns and their values (``frame`` has one column per Column, in order)."""

    columns: tuple[Column, ...]
    frame: pd.DataFrame

    def __post_init__(self) -> None:
        if len(self.frame.columns) != len(self.columns):
            raise ValueError(f"{len(self.columns)} columns but the frame has {len(self.frame.columns)}")
        unknown = {c.kind for c in self.columns} - set(KINDS)
        if unknown:
            raise ValueError(f"unknown column kind(s): {', '.join(sorted(unknown))}")

    def __len__(self) -> int:
        return len(self.frame)

    def parts(self, rows: int) -> list[Table]:
        """The table cut into tables of at most ``rows`` rows each (one, possibly empty, when it fits)."""
        starts = range(0, max(len(self), 1), rows)
        return [Table(self.columns, self.frame.iloc[start:start + rows]) for start in starts]


def print_extent(ws: Worksheet) -> tuple[int, int]:
    """The last row and column (0-based) that hold a cell or a chart: what a printed page must show."""
    last_row, last_col = ws.dim_rowmax or 0, ws.dim_colmax or 0
    for row, col, chart, x_offset, y_offset, x_scale, y_scale, anchor, *_ in ws.charts:
        corners = ws._position_object_pixels(col, row, x_offset, y_offset, chart.width * x_scale,
                                             chart.height * y_scale, anchor)
        last_col, last_row = max(last_col, corners[4]), max(last_row, corners[5])
    return last_row, last_col


FOOTER_LIMIT = 255
"""The longest page footer Excel takes, in UTF-16 code units (a character beyond the BMP, such as an emoji, takes
two); XlsxWriter leaves out a longer footer altogether."""


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def footer_text(left: str, right: str) -> str:
    """A page footer: ``left`` (workbook and country), the sheet's name in the middle, ``right`` (date and page,
    with ``&P`` and ``&N`` for the page and the pages) on the right; text's own ``&`` doubled; ``left`` cut to fit
    within FOOTER_LIMIT."""
    middle = "&C&A&R" + right
    room = FOOTER_LIMIT - _utf16_units(middle) - 2
    escaped = left.replace("&", "&&")
    if _utf16_units(escaped) > room:  # cut at a character (half of a surrogate pair is dropped), never within "&&"
        escaped = escaped.encode("utf-16-le", "surrogatepass")[:2 * room].decode("utf-16-le", "ignore")
        if (len(escaped) - len(escaped.rstrip("&"))) % 2:
            escaped = escaped[:-1]
    return "&L" + escaped + middle


def setup_print(ws: Worksheet, footer: str = "", title_rows: int | None = None) -> None:
    """A4 landscape, fit to one page wide (unless the sheet is printed in parts, see ``print_in_parts``),
    the first ``title_rows`` rows repeated on every page (None: those the sheet set, as a table with a note above
    its header does, else the first), ``footer`` on every page and a print area over every cell and chart. The
    workbook applies it to every sheet it writes."""
    ws.set_landscape()
    ws.set_paper(A4)
    if not (ws.vbreaks or ws.hbreaks):  # a sheet with page breaks of its own set its scale (Fit To ignores them)
        ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.7)
    if title_rows is not None or not ws.repeat_row_range:
        ws.repeat_rows(0, (title_rows or 1) - 1)
    if footer:
        ws.set_footer(footer, margin=0.3)
    last_row, last_col = print_extent(ws)
    ws.print_area(0, 0, last_row, last_col)


def column_pixels(width: float) -> float:
    """A column's printed width in pixels at 100 %: Excel draws 7 a unit of width (Calibri 11), LibreOffice about
    7.4 (Carlito); the larger, rounded up, so that a part fits in both."""
    return width * 7.5


def print_in_parts(ws: Worksheet, widths: Sequence[float], repeat: int, breaks: Sequence[int] | None = None,
                   starts: Sequence[int] | None = None, least_scale: int = 70) -> int:
    """Print a table too wide for one legible page in parts, pages side by side: the columns are cut before each of
    ``breaks`` (None: as few parts as fit at ``least_scale`` %, cut only before one of ``starts``, default any
    column), the first ``repeat`` columns (the row's id) repeated on every part, the parts of a row band printed
    one after the other; at the scale at which the widest part fits (at most 100 %), returned. A table that fits
    one page at ``least_scale`` % stays one page wide (100: the sheet's fit to width applies)."""
    page = PRINTED_WIDTH
    pixels = [column_pixels(w) for w in widths]
    head = sum(pixels[:repeat])
    if breaks is None:
        room, allowed = page * 100 / least_scale, set(range(repeat + 1, len(widths)) if starts is None else starts)
        breaks, used = [], sum(pixels[:repeat])
        for col in range(repeat, len(widths)):
            if col in allowed and used + pixels[col] > room and used > head:
                breaks.append(col)
                used = head
            used += pixels[col]
    if not breaks:
        return 100
    bounds = [0, *breaks, len(widths)]
    parts = [sum(pixels[a:b]) + (head if a else 0) for a, b in zip(bounds, bounds[1:])]
    scale = min(100, int(100 * page / max(parts)))
    ws.set_v_pagebreaks(list(breaks))
    ws.repeat_columns(0, repeat - 1)
    ws.print_across()
    ws.set_print_scale(scale)
    return scale


def print_with_break_before(ws: Worksheet, widths: Sequence[float], row: int) -> int:
    """Print one page wide with a page break before ``row`` (such as a chart below a table, kept whole on a page of
    its own): at the scale at which the columns fit (at most 100 %, returned), as a fit to width would ignore the
    break."""
    scale = min(100, int(100 * PRINTED_WIDTH / sum(column_pixels(w) for w in widths)))
    ws.set_h_pagebreaks([row])
    ws.set_print_scale(scale)
    return scale


def fitted_widths(table: Table, words: Wording) -> Table:
    """The table with column widths that fit: every word of a heading whole (never "managemen t"), and a level
    column the longest level name of the report language."""
    levels = max(len(words.level(code)) for code in [*words.fw.level_codes, None])
    columns = []
    for column in table.columns:
        width = max(column.width, max((len(word) for word in column.heading.split()), default=0) + 2)
        if column.kind in ("level", "level_code"):
            width = max(width, levels + 2)
        columns.append(replace(column, width=width))
    return Table(tuple(columns), table.frame)


def wrapped_lines(text: str, width: float) -> int:
    """The lines ``text`` takes wrapped word by word in a column of ``width`` (bold headings: about width − 2
    characters a line)."""
    room, lines, used = max(width - 2, 1), 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > room:
            lines, used = lines + 1, 0
        used += len(word) + (1 if used else 0)
    return lines


def heading_height(columns: tuple[Column, ...]) -> float:
    """The height of a header row whose headings wrap word by word: the lines the longest needs (at most 8)."""
    lines = max((wrapped_lines(c.heading, c.width) for c in columns), default=1)
    return 15 * min(max(lines, 1), 8)


def fitted_heights(table: Table, most_lines: int = 8) -> list[float]:
    """Row heights that show the wrapped text of each row whole (an estimate: about 1.1 characters per unit of
    column width, 15 points a line, at most ``most_lines``), for sheets that are read or printed row by row."""
    lines = np.ones(len(table), dtype=np.int64)
    for i, column in enumerate(table.columns):
        if column.kind in ("text", "wrap"):
            texts = table.frame.iloc[:, i].astype(object)
            lengths = texts.where(texts.notna(), "").astype(str).str.len().to_numpy(dtype=np.int64)
            lines = np.maximum(lines, np.ceil(lengths / (column.width * 1.1)).astype(np.int64))
    return (15.0 * np.clip(lines, 1, most_lines)).tolist()


def write_continued(ws: Worksheet, cells: Cells, table: Table, right_to_left: bool = False, note: str | None = None
                    ) -> Iterator[tuple[Worksheet, int]]:
    """``write_table`` (with ``note`` above each sheet's header), going on in sheets named "<name> (2)",
    "<name> (3)" … (added right after ``ws``) when the table has more rows than one Excel sheet holds; yields each
    sheet written, with its number of rows."""
    parts = table.parts(MAX_ROWS - 1 - (note is not None))
    name = ws.get_name()
    for number, part in enumerate(parts, 1):
        if number > 1:
            suffix = f" ({number})"
            ws = cells.book.add_worksheet(name[:31 - len(suffix)] + suffix)
            if right_to_left:
                ws.right_to_left()
        write_table(ws, cells, part, note=note)
        yield ws, len(part)


def write_table(ws: Worksheet, cells: Cells, table: Table, heights: list[float] | None = None,
                restyle: Mapping[int, Sequence[str | None]] | None = None, note: str | None = None,
                heading_notes: Mapping[int, str] | None = None) -> None:
    """The header row, the rows (with these ``heights``, else heights that fit their text up to FITTED_ROWS rows),
    widths that fit headings and level names, frozen header, autofilter and the header rows repeated on paper;
    ``restyle``: per column, per row the kind whose look a cell gets instead of its column's (None: the column's);
    ``note``: a line above the header (the table starts one row lower); ``heading_notes``: per column, a comment
    on its heading."""
    if len(table) + (note is not None) >= MAX_ROWS:
        raise QafError(
            f"the {ws.get_name()} sheet would have {len(table):,} rows, more than an Excel sheet holds; "
            "write it per country with --country"
        )
    top = 0 if note is None else 1
    table = fitted_widths(table, cells.words)
    if heights is None and len(table) <= FITTED_ROWS:
        heights = fitted_heights(table)
    for col, column in enumerate(table.columns):
        ws.set_column(col, col, column.width, cells.column_format(column.kind))
    if note is not None:
        ws.set_row(0, 30)
        ws.merge_range(0, 0, 0, max(len(table.columns) - 1, 1), None, cells.format("strong"))
        cells.text(ws, 0, 0, note, "strong")
    ws.set_row(top, heading_height(table.columns))
    for col, column in enumerate(table.columns):
        cells.text(ws, top, col, column.heading, "header")
    for col, text in (heading_notes or {}).items():  # before any row below: rows are written out one at a time
        ws.write_comment(top, col, text, {"x_scale": 2.5, "y_scale": 2})
    prepared = []
    for col, column in enumerate(table.columns):
        prepared_column = cells.column(ws, table.frame.iloc[:, col], column.kind)
        formats = list(prepared_column.formats)
        if restyle and col in restyle:
            formats = [cells.format(kind) if kind else look for kind, look in zip(restyle[col], formats)]
        prepared.append((col, prepared_column.writers, prepared_column.values, formats))
    for i in range(len(table)):
        row = i + 1 + top
        if heights is not None:
            ws.set_row(row, heights[i])  # before the row's cells: rows are written out one at a time
        for col, writers, values, formats in prepared:
            write = writers[i]
            if write is not None:
                write(row, col, values[i], formats[i])
    ws.freeze_panes(1 + top, 0)
    ws.autofilter(top, 0, len(table) + top, len(table.columns) - 1)
    ws.repeat_rows(0, top)
