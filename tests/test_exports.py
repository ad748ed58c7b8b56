"""Exports downloaded by hand: KoboToolbox XLSX/CSV (laid out as formpack's export.py writes them) and Central's
"all submissions" CSV zip (downloaded from the Central-compatible server) read into the same rows the APIs give;
clear errors for the export settings that cannot be read."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from qaf_kobo.central.client import CentralClient
from qaf_kobo.central.rows import odata_store_row
from qaf_kobo.central.submissions import iter_pages
from qaf_kobo.devserver.central import CentralDevServer
from qaf_kobo.errors import QafError
from qaf_kobo.sync.exports import read_export

from central_server import central, credentials, mini_form, qaf_answers, qaf_form, seed, session  # noqa: F401

KOBO_META = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
             "__version__", "_tags", "_index"]
LABELS = {"validation_status_approved": "Approved", "validation_status_not_approved": "Not approved", "": ""}


def kobo_table(rows: list[dict[str, Any]], groups_in_headers: bool = False) -> list[list[Any]]:
    """A Kobo export's first table for QAF answers: every field of the form (a bare name, or its path with
    "Include groups in headers"), then formpack's metadata columns."""
    paths = list(dict.fromkeys(qaf_form().paths.values()))
    leaves = [p for p in paths if not any(q.startswith(p + "/") for q in paths)]
    fields = [p for p in leaves if not p.startswith("meta/")]
    header = [p if groups_in_headers else p.rsplit("/", 1)[-1] for p in fields] + KOBO_META
    body = []
    for n, row in enumerate(rows, 1):
        body.append([row.get(p, "") for p in fields] + [
            row["_id"], row["_uuid"], row["_submission_time"], LABELS[row.get("status", "")], "", "submitted_via_web",
            "", "vAbc", "", n])
    return [header, *body]


def kobo_rows(n: int) -> list[dict[str, Any]]:
    return [{**qaf_answers(i), "_id": 100 + i, "_uuid": f"0000000{i}-aaaa-4bbb-8ccc-dddddddddddd",
             "_submission_time": "2026-03-01T10:00:00"} for i in range(n)]


def write_kobo_csv(path: Path, table: list[list[Any]], sep: str = ";") -> Path:
    """As formpack's ``to_csv``: every value quoted, ``;`` between them."""
    lines = ['"' + f'"{sep}"'.join(str(v).replace('"', '""') for v in line) + '"' for line in table]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, table in sheets.items():
        sheet = book.create_sheet(title)
        for line in table:
            sheet.append([None if v == "" else v for v in line])
    book.save(path)
    return path


def answers(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith(("_", "meta/"))}


def test_kobo_xlsx_default_export_reads_as_the_api_gives_rows(tmp_path: Path) -> None:
    rows = kobo_rows(4)
    rows[1]["status"] = "validation_status_approved"
    rows[2]["status"] = "validation_status_not_approved"
    table = kobo_table(rows)
    date_column = table[0].index("assessment_date")
    table[1][date_column] = date.fromisoformat(table[1][date_column])  # formpack writes dates as dates
    xlsx = write_xlsx(tmp_path / "QAF_-_all_versions_-_English_-_2026-03-01.xlsx", {"QAF assessment": table})
    read = read_export(xlsx, qaf_form().paths)
    assert read.kind == "kobo-xlsx" and len(read.rows) == 4
    for i, row in enumerate(read.rows):
        assert answers(row) == qaf_answers(i)
        assert row["meta/rootUuid"] == f"kobo-id:{100 + i}" and row["_id"] == 100 + i
        assert row["meta/instanceID"] == f"uuid:{rows[i]['_uuid']}" and row["__version__"] == "vAbc"
        assert "_notes" not in row and "_tags" not in row and "_index" not in row
    assert [r["_validation_status"].get("uid") for r in read.rows] == [
        None, "validation_status_approved", "validation_status_not_approved", None]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_dot_group_separator_reads_as_the_slash_one(tmp_path: Path, suffix: str) -> None:
    """Kobo's export settings offer '.' as the group separator: told from the headers, read like '/', and the
    select_multiple choice columns ('grp.q.choice') are not taken for answers."""
    table = kobo_table(kobo_rows(3), groups_in_headers=True)
    dotted = [[h.replace("/", ".") for h in table[0]], *table[1:]]
    write = (lambda p, t: write_xlsx(p, {"QAF": t})) if suffix == "xlsx" else write_kobo_csv
    slash_rows = read_export(write(tmp_path / f"slash.{suffix}", table), qaf_form().paths).rows
    for fields in (qaf_form().paths, None):
        rows = read_export(write(tmp_path / f"dotted.{suffix}", dotted), fields).rows
        assert rows == slash_rows and [answers(r) for r in rows] == [qaf_answers(i) for i in range(3)]


def test_kobo_csv_with_groups_in_headers_and_after_a_spreadsheet_program(tmp_path: Path) -> None:
    table = kobo_table(kobo_rows(3), groups_in_headers=True)
    semicolons = read_export(write_kobo_csv(tmp_path / "kobo.csv", table), qaf_form().paths)
    assert semicolons.kind == "kobo-csv" and [answers(r) for r in semicolons.rows] == [qaf_answers(i) for i in range(3)]
    resaved = tmp_path / "resaved.csv"
    with resaved.open("w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows(table)
    assert read_export(resaved, qaf_form().paths).rows == semicolons.rows
    assert read_export(resaved).rows == semicolons.rows  # full paths need no form to be read


def test_select_multiple_in_one_column_separate_columns_or_both(tmp_path: Path) -> None:
    paths = {"reasons": "grp/reasons", "note": "grp/note"}
    both = [["reasons", "reasons/a", "reasons/b", "reasons/c", "note", "_id", "_uuid"],
            ["a c", 1, 0, 1, "x", 1, "u1"], ["b", 0, 1, 0, "", 2, "u2"]]
    got = read_export(write_xlsx(tmp_path / "both.xlsx", {"s": both}), paths).rows
    assert [answers(r) for r in got] == [{"grp/reasons": "a c", "grp/note": "x"}, {"grp/reasons": "b"}]
    details = [[h for h in both[0] if h != "reasons"]] + [[v for j, v in enumerate(r) if j != 0] for r in both[1:]]
    assert [answers(r) for r in read_export(write_xlsx(tmp_path / "d.xlsx", {"s": details}), paths).rows] == \
        [answers(r) for r in got]


def test_kobo_xlsx_repeat_sheets_become_lists_of_dicts(tmp_path: Path) -> None:
    paths = {"level": "grp/level", "people": "grp/people", "who": "grp/people/who", "age": "grp/people/age"}
    root = [["level", "_id", "_uuid", "_submission_time", "_index"], ["3", 7, "u7", datetime(2026, 3, 1, 10), 1],
            ["4", 8, "u8", datetime(2026, 3, 2, 11, 30), 2]]
    people = [["who", "age", "_index", "_parent_table_name", "_parent_index", "_submission__id", "_submission__uuid"],
              ["A", 30, 1, "QAF", 1, 7, "u7"], ["B", None, 2, "QAF", 1, 7, "u7"], ["C", 5, 3, "QAF", 2, 8, "u8"]]
    rows = read_export(write_xlsx(tmp_path / "r.xlsx", {"QAF": root, "people": people}), paths).rows
    assert rows[0]["grp/people"] == [{"grp/people/who": "A", "grp/people/age": "30"}, {"grp/people/who": "B"}]
    assert rows[1]["grp/people"] == [{"grp/people/who": "C", "grp/people/age": "5"}]
    assert (rows[0]["_submission_time"], rows[1]["_submission_time"]) == ("2026-03-01T10:00:00", "2026-03-02T11:30:00")


def test_export_settings_it_cannot_read_are_clear_errors(tmp_path: Path) -> None:
    paths = qaf_form().paths
    labels = kobo_table(kobo_rows(1))
    labels[0][labels[0].index("country")] = "Country (ISO 3166)"
    with pytest.raises(QafError, match=r"labels\.csv: the columns are question labels.*XML values and headers"):
        read_export(write_kobo_csv(tmp_path / "labels.csv", labels), paths)
    dashed = kobo_table(kobo_rows(1), groups_in_headers=True)
    dashed[0] = [h.replace("/", "-") for h in dashed[0]]
    with pytest.raises(QafError, match=r"dashed\.xlsx: group names are joined by '-'.*separator '/'"):
        read_export(write_xlsx(tmp_path / "dashed.xlsx", {"s": dashed}), paths)
    no_ids = [[h for h in kobo_table(kobo_rows(1))[0] if h not in ("_id", "_uuid")]]
    with pytest.raises(QafError, match="no _id or _uuid column"):
        read_export(write_xlsx(tmp_path / "no_ids.xlsx", {"s": no_ids + [["x"] * len(no_ids[0])]}), paths)
    other = [["start", "end", "country", "name", "age", "_id", "_uuid"], ["a", "b", "JOR", "a", 1, 1, "u"]]
    with pytest.raises(QafError, match=r"other\.xlsx: an export of another form \(its first sheet is 'Household'\): "
                                       r"it has 1 of this form's own fields .* and 2 column\(s\) this form does not "
                                       r"have \(e\.g\. 'name', 'age'\)"):
        read_export(write_xlsx(tmp_path / "other.xlsx", {"Household": other}), paths)
    for name, match in (("old.xls", "legacy .xls"), ("data.geojson", "not an export qaf-kobo reads"),
                        ("media.zip", "not a Central submissions export")):
        (tmp_path / name).write_bytes(b"PK\x05\x06" + b"\0" * 18 if name.endswith(".zip") else b"x")
        with pytest.raises(QafError, match=match):
            read_export(tmp_path / name, paths)


def test_central_zip_reads_as_the_odata_sync_gives_rows(central: CentralDevServer, credentials, tmp_path: Path) -> None:
    pid, fid, ids = seed(central, 6)
    central.edit_submission(ids[1], {qaf_form().key("agency"): "Edited"})
    central.set_review_state(ids[2], "approved")
    central.set_review_state(ids[3], "rejected")
    central.delete_submission(ids[4])
    http = session(central)
    base = f"{central.url}/v1/projects/{pid}/forms/{fid}/submissions.csv.zip"
    (tmp_path / "qaf.zip").write_bytes(http.get(base, timeout=30).content)
    (tmp_path / "bare.zip").write_bytes(http.get(base, params={"groupPaths": "false"}, timeout=30).content)
    with CentralClient(central.url, credentials) as client:
        synced = {r["__id"]: odata_store_row(r) for p in iter_pages(client, pid, fid) for r in p.rows}
    for name in ("qaf.zip", "bare.zip"):
        read = read_export(tmp_path / name, qaf_form().paths)
        assert read.kind == "central-zip" and len(read.rows) == 5  # no deletions in an export
        for row in read.rows:
            api = synced[row["meta/rootUuid"]]
            assert answers(row) == answers(api)
            for key in ("meta/instanceID", "_uuid", "_submission_time", "__version__", "_validation_status",
                        "__system/reviewState", "__system/edits", "__system/submissionDate"):
                assert row[key] == api[key], key
    with zipfile.ZipFile(tmp_path / "qaf.zip") as archive:
        (tmp_path / f"{fid}.csv").write_bytes(archive.read(f"{fid}.csv"))
    unzipped = read_export(tmp_path / f"{fid}.csv", qaf_form().paths)
    assert unzipped.kind == "central-csv" and len(unzipped.rows) == 5 and "repeats" in unzipped.notes[0]


def test_central_zip_repeats_and_geopoints(central: CentralDevServer, tmp_path: Path) -> None:
    pid = central.create_project()
    central.create_form(mini_form("1"), pid)
    central.add_submission({"grp/sub/level": "3", "grp/count": "12", "where": "31.9 35.9 800 5",
                            "people": [{"people/who": "A", "people/age": "30"}, {"people/who": "B"}]}, pid, "mini")
    data = session(central).get(f"{central.url}/v1/projects/{pid}/forms/mini/submissions.csv.zip", timeout=30).content
    (tmp_path / "mini.zip").write_bytes(data)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == ["mini.csv", "mini-people.csv"]
    row = read_export(tmp_path / "mini.zip").rows[0]
    assert answers(row) == {"grp/sub/level": "3", "grp/count": "12", "where": "31.9 35.9 800 5",
                            "people": [{"people/who": "A", "people/age": "30"}, {"people/who": "B"}]}
