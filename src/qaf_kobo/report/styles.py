"""The look of the report workbooks: level colours, cell styles by key, and writing text that stays text."""

from __future__ import annotations

import re

from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from qaf_kobo.excel_text import keep_cell_text, needs_quote
from qaf_kobo.framework import default_framework

LEVEL_COLOURS: dict[int, str] = {level.code: level.colour for level in default_framework().levels}
"""Fill colour per level code (always shown together with the level's name)."""

NOT_ASSESSED_COLOUR = "E7E6E6"
HEADER_COLOUR = "1F4E78"

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

MAX_CELL_TEXT = 32_767
"""Excel's limit of characters in one cell."""

_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TOP = Alignment(vertical="top")
_WRAP = Alignment(vertical="top", wrap_text=True)


def style_keys() -> tuple[str, ...]:
    """Every cell style the report uses, by key."""
    return tuple(STYLES)


def apply_style(cell: Cell, key: str) -> None:
    """Give a cell the style with this key (see STYLES)."""
    spec = STYLES[key]
    cell.font = spec.get("font", Font())
    cell.alignment = spec.get("alignment", _TOP)
    cell.border = _BORDER
    if "fill" in spec:
        cell.fill = spec["fill"]
    if "number_format" in spec:
        cell.number_format = spec["number_format"]
    if spec.get("quote_prefix"):
        cell.quotePrefix = True


def clean_text(value: object) -> str:
    """Text without the control characters that XML (and so xlsx) cannot hold, cut to Excel's limit per cell."""
    return _ILLEGAL_XML.sub("", str(value))[:MAX_CELL_TEXT]


def text_style(key: str, text: str) -> str:
    """The style key for this text: the quote-prefixed twin of ``key`` when the text starts with = + - @
    (for cells written without openpyxl, see ``sheet_data``)."""
    return key + QUOTED if needs_quote(text) else key


def write_text(cell: Cell, value: object, key: str = "text") -> None:
    """Write text that a spreadsheet never evaluates: stored as a string (never ``<f>``), quote-prefixed when risky."""
    text = clean_text(value)
    cell.value = text
    apply_style(cell, key)
    keep_cell_text(cell)


STYLES: dict[str, dict] = {
    "header": {
        "font": Font(bold=True, color="FFFFFF"),
        "fill": PatternFill("solid", fgColor=HEADER_COLOUR),
        "alignment": Alignment(vertical="top", wrap_text=True),
    },
    "text": {},
    "wrap": {"alignment": _WRAP},
    "int": {"number_format": "0"},
    "number": {"number_format": "0.0"},
    "percent": {"number_format": "0%"},
    "date": {"number_format": DATE_FORMAT},
    "datetime": {"number_format": DATETIME_FORMAT},
    "bool": {},
    **{f"level_{code}": {"fill": PatternFill("solid", fgColor=colour)} for code, colour in LEVEL_COLOURS.items()},
    "level_none": {"fill": PatternFill("solid", fgColor=NOT_ASSESSED_COLOUR)},
}
"""Cell styles by key."""

QUOTED = ":quoted"
"""Suffix of the quote-prefixed twin of a text style, for text starting with = + - @ (see ``text_style``)."""

TEXT_STYLES: tuple[str, ...] = ("header", "text", "wrap", *(k for k in STYLES if k.startswith("level_")))
"""The styles that hold text; each has a quote-prefixed twin."""

STYLES |= {key + QUOTED: {**STYLES[key], "quote_prefix": True} for key in TEXT_STYLES}
