"""Text in Excel cells (and CSV files) that a spreadsheet never evaluates, whatever it starts with.

openpyxl stores a string starting with ``=`` as a formula; Excel, LibreOffice and Google Sheets also
re-evaluate text starting with ``= + - @`` when a user re-enters the cell (F2, Enter) unless the cell is
quote-prefixed. Every workbook the project writes uses these helpers for text that comes from the field
or from the data; CSV files, which have no cell styles, start such text with QUOTE instead.
"""

from __future__ import annotations

from openpyxl.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet treat typed text as a formula (a tab or carriage return first is
skipped by some when a CSV file is opened, letting the formula after it through)."""
QUOTE = "'"
"""What a CSV cell starts with to be read as text: the text of CSV files cannot carry a quote-prefix style."""


def needs_quote(text: object) -> bool:
    """True for text that a spreadsheet would evaluate when re-entered (it starts with = + - @, tab or CR)."""
    return isinstance(text, str) and text.startswith(FORMULA_TRIGGERS)


def keep_cell_text(cell: Cell) -> None:
    """Keep a cell's string a string: never a formula (``t="s"``), quote-prefixed when it starts with = + - @."""
    if not isinstance(cell.value, str):
        return
    if cell.data_type == "f":
        cell.data_type = "s"
    if needs_quote(cell.value):
        cell.quotePrefix = True


def keep_text(ws: Worksheet, min_row: int = 1) -> None:
    """``keep_cell_text`` on every cell of the sheet from ``min_row`` down."""
    for cells in ws.iter_rows(min_row=min_row):
        for cell in cells:
            keep_cell_text(cell)
