"""What every sheet's page setup must say, read from the file with openpyxl (used by test_report and test_print)."""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet


def assert_printed_to_width(ws: Worksheet, where: object) -> None:
    """A4 landscape and one page wide (fit to width), or, for a sheet with page breaks of its own (a wide table in
    parts side by side, a chart on a page of its own), a fixed scale of 60–100 % with the parts' id columns
    repeated and the parts of a row band printed one after the other."""
    setup = ws.page_setup
    assert (setup.orientation, setup.paperSize) == ("landscape", 9), where
    if ws.col_breaks.brk or ws.row_breaks.brk:
        assert not ws.sheet_properties.pageSetUpPr.fitToPage and 60 <= setup.scale <= 100, where
        if ws.col_breaks.brk:
            assert ws.print_title_cols and setup.pageOrder == "overThenDown", where
    else:
        assert setup.fitToWidth in (1, None) and setup.fitToHeight == 0, where  # 1 is the default
        assert ws.sheet_properties.pageSetUpPr.fitToPage, where
