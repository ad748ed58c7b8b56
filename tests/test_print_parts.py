"""How a table too wide for one legible page is cut into parts printed side by side (``print_in_parts``): the
scale, where the cuts fall, the columns repeated on every part; and the page footer of any country name — read
back from the file with openpyxl."""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from qaf_kobo.report.table_sheet import (
    A4_LANDSCAPE_PIXELS,
    FOOTER_LIMIT,
    column_pixels,
    footer_text,
    print_in_parts,
    setup_print,
)


def printed(tmp_path: Path, widths: list[float], **parts) -> tuple[int, openpyxl.worksheet.worksheet.Worksheet]:
    """``print_in_parts`` on a sheet of columns this wide, then the workbook's page setup as written."""
    book = xlsxwriter.Workbook(str(tmp_path / "parts.xlsx"))
    ws = book.add_worksheet("Table")
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
        ws.write(0, col, f"column {col}")
    scale = print_in_parts(ws, widths, **parts)
    setup_print(ws, "&LQAF")
    book.close()
    return scale, openpyxl.load_workbook(tmp_path / "parts.xlsx")["Table"]


def test_a_table_that_fits_a_legible_page_stays_one_page_wide(tmp_path: Path) -> None:
    scale, ws = printed(tmp_path, [20.0] * 8, repeat=1)
    assert scale == 100 and not ws.col_breaks.brk and ws.sheet_properties.pageSetUpPr.fitToPage


def test_a_wide_table_is_cut_where_allowed_each_part_fits_and_the_id_is_repeated(tmp_path: Path) -> None:
    widths = [16.0, 10.0] + [22.0, 11.0] * 8  # an id, a round, then eight (level, index) pairs
    starts = list(range(2, len(widths), 2))
    scale, ws = printed(tmp_path, widths, repeat=2, starts=starts, least_scale=70)
    cuts = [brk.id for brk in ws.col_breaks.brk]  # a break's id: the column after which the page ends (1-based)
    assert cuts and set(cuts) <= set(starts)  # never between a level and its index
    bounds = [0, *cuts, len(widths)]
    parts = [sum(map(column_pixels, widths[a:b])) + (sum(map(column_pixels, widths[:2])) if a else 0)
             for a, b in zip(bounds, bounds[1:])]
    assert 70 <= scale <= 100 and ws.page_setup.scale == scale and not ws.sheet_properties.pageSetUpPr.fitToPage
    assert all(part * scale / 100 <= A4_LANDSCAPE_PIXELS for part in parts)  # every part on its page at that scale
    assert ws.print_title_cols == "$A:$B" and ws.page_setup.pageOrder == "overThenDown"


def test_cuts_given_by_the_sheet_are_kept(tmp_path: Path) -> None:
    widths = [17.0, 8.0, 14.0, 18.0, 22.0, 50.0, 22.0, 22.0, 10.0, 20.0, 20.0, 20.0, 14.0, 16.0, 36.0, 16.0, 36.0]
    scale, ws = printed(tmp_path, widths, repeat=2, breaks=[10])
    assert [brk.id for brk in ws.col_breaks.brk] == [10] and 60 <= scale < 100


@pytest.mark.parametrize("name", ["A" * 300, "&" * 300, "𝔄" * 200, "Côte d’Ivoire & " * 20 + "😀" * 50])
def test_the_footer_of_any_country_name_fits_and_is_written(tmp_path: Path, name: str) -> None:
    """Excel takes 255 UTF-16 units (an emoji is two), XlsxWriter drops a longer footer: the name is cut instead,
    never the sheet, date and page, and never in the middle of a character or of an ``&&``."""
    right = "6 December 2026 · page &P of &N"
    footer = footer_text(f"QAF — {name} (XYZ)", right)
    assert len(footer.encode("utf-16-le")) // 2 <= FOOTER_LIMIT and footer.endswith("&C&A&R" + right)
    left = footer.removeprefix("&L").removesuffix("&C&A&R" + right)
    whole = f"QAF — {name} (XYZ)".replace("&", "&&")
    assert whole.startswith(left)
    assert FOOTER_LIMIT - len(footer.encode("utf-16-le")) // 2 <= 2  # cut as late as it could be
    assert left.replace("&&", "").count("&") == 0  # every & of the name still doubled: none reads as a code
    book = xlsxwriter.Workbook(str(tmp_path / "footer.xlsx"))
    ws = book.add_worksheet("Table")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # XlsxWriter warns when it leaves a footer out
        setup_print(ws, footer)
    book.close()
    written = openpyxl.load_workbook(tmp_path / "footer.xlsx")["Table"].oddFooter
    assert written.left.text == left and written.center.text == "&A"
