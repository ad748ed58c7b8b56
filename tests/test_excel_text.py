"""Text written with openpyxl stays text: never a formula, quote-prefixed when it starts with = + - @."""

from __future__ import annotations

import zipfile

import openpyxl

from qaf_kobo.excel_text import keep_text, needs_quote


def test_keep_text_stores_risky_strings_as_quote_prefixed_text(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["heading", "=SUM(A1)"])
    ws.append(["=1+1", "+44", "-note", "@cmd", "plain", 7])
    keep_text(ws, min_row=2)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode().replace("<f>SUM(A1)</f>", "", 1)
    ws = openpyxl.load_workbook(path).active
    risky = ws[2][:4]
    assert [c.value for c in risky] == ["=1+1", "+44", "-note", "@cmd"]
    assert all(c.data_type == "s" and c.quotePrefix for c in risky)
    assert not ws["E2"].quotePrefix and ws["F2"].value == 7 and ws["F2"].data_type == "n"
    assert ws["B1"].data_type == "f"  # rows above min_row are left alone


def test_needs_quote_only_for_text_starting_with_a_formula_character():
    assert [needs_quote(v) for v in ("=a", "+a", "-a", "@a", "a=b", " =a", "", 5)] == [True] * 4 + [False] * 4
