"""A table sheet: a header row over a DataFrame, one Column (heading, kind, width) per frame column.

``write_table`` gives every table sheet the same frame: wrapped headings with a row height that fits them,
column widths and formats, frozen header, autofilter and print setup; the rows are written column-prepared
(see ``Cells.column``), row by row as XlsxWriter's constant-memory mode requires.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.errors import QafError
from qaf_kobo.report.cells import KINDS, Cells

MAX_ROWS = 1_048_576
"""Rows of an Excel sheet (the header included)."""
A4 = 9


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


def setup_print(ws: Worksheet, title_rows: int = 1) -> None:
    """Landscape A4, fit to one page wide, the first ``title_rows`` rows repeated on every page."""
    ws.set_landscape()
    ws.set_paper(A4)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0, title_rows - 1)


def heading_height(columns: tuple[Column, ...]) -> float:
    """The height of a header row whose headings wrap: the lines the longest needs (at most 4)."""
    lines = max((math.ceil(len(c.heading) / max(c.width - 4, 1)) for c in columns), default=1)
    return 15 * min(max(lines, 1), 4)


def fitted_heights(table: Table, most_lines: int = 8) -> list[float]:
    """Row heights that show the wrapped text of each row whole (an estimate: about 1.1 characters per unit of
    column width, 15 points a line, at most ``most_lines``), for sheets that are read or printed row by row."""
    lines = np.ones(len(table), dtype=np.int64)
    for i, column in enumerate(table.columns):
        if column.kind == "wrap":
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
    """The header row, the rows (with these ``heights``, else Excel's default), widths, frozen header, autofilter
    and print setup of a table sheet; ``restyle``: per column, per row the kind whose look a cell gets instead of
    its column's (None: the column's); ``note``: a line above the header (the table starts one row lower);
    ``heading_notes``: per column, a comment on its heading."""
    if len(table) + (note is not None) >= MAX_ROWS:
        raise QafError(
            f"the {ws.get_name()} sheet would have {len(table):,} rows, more than an Excel sheet holds; "
            "write it per country with --country"
        )
    top = 0 if note is None else 1
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
        values = cells.column(ws, table.frame.iloc[:, col], column.kind)
        formats = values.formats
        if restyle and col in restyle:
            formats = [cells.format(kind) if kind else look for kind, look in zip(restyle[col], formats)]
        prepared.append((col, values.writers, values.values, formats))
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
    setup_print(ws, 1 + top)
