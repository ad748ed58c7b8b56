"""A table sheet: columns with a heading, a kind and a width, over a DataFrame; and the sheet's frame in openpyxl.

openpyxl writes the frame (header row, widths, frozen header, autofilter, print setup, a style probe row);
``sheet_data.splice_rows`` then writes the data rows straight into the saved file, which is ~20× faster
than openpyxl's cell objects and keeps a 10,000-submission workbook within seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from qaf_kobo.report.styles import apply_style, style_keys, write_text

KINDS = ("text", "wrap", "int", "number", "percent", "date", "datetime", "bool", "level")
"""``text``/``wrap``: text, never evaluated (see ``styles.write_text``); ``level``: a level code 1–4 as its name and colour."""

PROBE_ROW = 2
MAX_ROWS = 1_048_576


@dataclass(frozen=True)
class Column:
    """One column of a table sheet."""

    heading: str
    kind: str = "text"
    width: float = 14
    labels: dict[int, str] = field(default_factory=dict)
    """For ``level`` columns: the name shown for each level code and for no level (key 0)."""


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

    @property
    def last_cell(self) -> str:
        """The bottom-right cell of header and data, e.g. ``M341``."""
        return f"{get_column_letter(len(self.columns))}{len(self.frame) + 1}"


def setup_print(ws: Worksheet, title_rows: str = "1:1") -> None:
    """Landscape, fit to one page wide, header rows repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = title_rows


def prepare_table_sheet(ws: Worksheet, table: Table) -> None:
    """Header row, widths, frozen header, autofilter, print setup, and the style probe row for splice_rows."""
    for col, column in enumerate(table.columns, 1):
        write_text(ws.cell(row=1, column=col), column.heading, "header")
        ws.column_dimensions[get_column_letter(col)].width = column.width
    # Headings wrap; give the row the lines the longest needs (spreadsheets do not always grow it on opening).
    lines = max(math.ceil(len(c.heading) / max(c.width - 4, 1)) for c in table.columns)
    ws.row_dimensions[1].height = 15 * min(max(lines, 1), 4)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{table.last_cell}"
    setup_print(ws)
    for col, key in enumerate(style_keys(), 1):
        apply_style(ws.cell(row=PROBE_ROW, column=col), key)
