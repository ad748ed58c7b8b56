"""Fuzz: generated export files — KoboToolbox CSV and XLSX, Central CSV — with real and unknown headers, ragged
rows, quotes, separators and formula-like text go through ``import`` (then ``score``): each exits 0 or 2, never
with a traceback, and the submissions already in the store stay exactly as they were."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from functools import cache
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from test_import_fuzz import base_store, check, invoke, stored

from kobo_server import qaf_form

KOBO_META = ["_id", "_uuid", "_submission_time", "_validation_status", "__version__", "_index"]
CENTRAL_META = ["SubmissionDate", "KEY", "ReviewState", "FormVersion", "Edits"]


@cache
def form_headers() -> tuple[str, ...]:
    """A few real field headers of the built form: bare names and group paths (with "/" and with "-")."""
    paths = [p for p in dict.fromkeys(qaf_form().paths.values()) if not p.startswith("meta/")][:12]
    return (*paths, *(p.rsplit("/", 1)[-1] for p in paths), *(p.replace("/", "-") for p in paths))


cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "1", "2", "4", "na", "JOR", "=1+1", "@SUM(A1)", '"quoted"', "a;b", "a,b", "line\nbreak",
                     "2026-03-01", "2026-03-01T10:00:00.000+03:00", "Approved", "Not approved", "uuid:x",
                     "99999999999999999999999", "-1", "\ufeff", "\x00"]),
    st.integers(min_value=-(10 ** 20), max_value=10 ** 20).map(str),
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, list[list[str]]]:
    """(kind, rows): a header of real, metadata and unknown names (repeats allowed), then 0–4 rows, some ragged."""
    kind = draw(st.sampled_from(["kobo-csv", "kobo-xlsx", "central-csv"]))
    meta = KOBO_META if kind.startswith("kobo") else CENTRAL_META
    names = st.one_of(st.sampled_from(form_headers()), st.sampled_from(meta), st.sampled_from(meta),
                      st.sampled_from(form_headers()), st.text(max_size=6))  # one unknown name in five
    header = draw(st.lists(names, min_size=1, max_size=14))
    if kind == "central-csv" and draw(st.booleans()):
        header = ["SubmissionDate", *header, "KEY"]  # what makes a CSV Central's
    width = len(header)
    body = [draw(st.lists(cell, min_size=max(width - 2, 0), max_size=width + 2)) for _ in range(draw(
        st.integers(min_value=0, max_value=4)))]
    return kind, [header, *body]


def write(folder: Path, kind: str, rows: list[list[str]], separator: str) -> Path:
    if kind == "kobo-xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        for line in rows:
            sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) for value in line])  # control characters: no cell
        path = folder / "export.xlsx"
        book.save(path)
        return path
    text = io.StringIO()
    csv.writer(text, delimiter=separator if kind == "kobo-csv" else ",").writerows(rows)
    path = folder / "export.csv"
    path.write_text(text.getvalue(), encoding="utf-8", errors="surrogatepass")
    return path


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.sampled_from([";", ","]))
@example(("kobo-csv", [["start", "\r"]]), ";")  # a carriage return in the header line: a traceback before
@example(("central-csv", [["SubmissionDate", "a\rb", "KEY"], ["2026-03-01", "1", "uuid:x"]]), ",")
def test_fuzzed_exports_through_import_and_score(table: tuple[str, list[list[str]]], separator: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="qaf-export-fuzz-"))
    try:
        store = work / "s.sqlite"
        shutil.copy(base_store(), store)
        before = stored(store)
        path = write(work, *table, separator)
        imported = invoke("import", str(path), "--store", str(store), "--source", "downloads")
        check(imported)
        assert stored(store) == before
        if imported.exit_code == 0:
            check(invoke("score", "--store", str(store), "--out", str(work / "scores")))
            assert stored(store) == before
    finally:
        shutil.rmtree(work)
