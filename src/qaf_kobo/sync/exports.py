"""Submissions exported by hand from a server's web page, read into the store's row format (reading only).

What it reads:
- **KoboToolbox XLSX and CSV exports** made with "XML values and headers" — the default for a new export —
  with or without "Include groups in headers" (group separator ``/``), select_multiple answers in one column,
  separate columns or both, from any form version, with or without media URLs. Repeat groups come from the
  XLSX's other sheets (a CSV export has none). Bare column names (groups not in the headers) are mapped to the
  form's field paths when ``field_paths`` is given. An export has no ``meta/rootUuid``: a submission is known by
  Kobo's ``_id``, which edits keep, as ``meta/rootUuid = "kobo-id:<_id>"``.
- **Central's "all submissions" CSV zip** (``<form id>.csv`` and one CSV per repeat), group names joined by
  ``-`` (the default) or removed, select multiple split or not, geopoints in four columns. ``KEY`` is Central's
  ``__id`` and becomes ``meta/rootUuid``, as the OData sync does. The form's CSV taken out of the zip is read
  too (without its repeats).

What it cannot read, with an error naming the file and what to change: exports with question *labels* as
headers ("Labels" or a language instead of "XML values and headers"), another group separator than ``/``,
Kobo exports without the ``_id``/``_uuid`` columns, legacy ``.xls`` files, and other file kinds (GeoJSON, KML,
SPSS, media ZIPs). No export carries deletions.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from qaf_kobo.central.rows import as_text, store_row
from qaf_kobo.errors import QafError

KOBO_VALIDATION = {"approved": "validation_status_approved", "not approved": "validation_status_not_approved",
                   "on hold": "validation_status_on_hold"}
KOBO_DROPPED = {"_index", "_parent_index", "_parent_table_name", "_notes", "_tags"}
CENTRAL_SYSTEM = {"SubmitterID": "submitterId", "SubmitterName": "submitterName", "AttachmentsPresent":
                  "attachmentsPresent", "AttachmentsExpected": "attachmentsExpected", "Status": "status",
                  "ReviewState": "reviewState", "DeviceID": "deviceId", "Edits": "edits", "FormVersion": "formVersion"}
OTHER_SEPARATORS = (".", "-", ":", "__", "|", "\\", " ")
XML_NAME = re.compile(r"^[A-Za-z_][\w.\-]*$")
KOBO_HOW = "export again from KoboToolbox (Downloads) with 'Value and header format: XML values and headers'"


@dataclass
class ExportFile:
    """The rows of one export file, its ``kind`` (``kobo-xlsx``, ``kobo-csv``, ``central-zip``, ``central-csv``)
    and notes."""

    path: Path
    kind: str
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


# --- cells ---------------------------------------------------------------------------------------------------
def cell_text(value: Any) -> str | None:
    """A spreadsheet cell as the Kobo API writes answers: text; dates as ``YYYY-MM-DD``, date-times in ISO;
    whole numbers without ``.0``; empty cells as None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float, bool)):
        return as_text(value)
    text = str(value)
    return text if text.strip() else None


@dataclass(frozen=True)
class _Fields:
    """The form's field paths, when known: name → full path, and the set of full paths."""

    by_name: Mapping[str, str]
    paths: frozenset[str]

    @classmethod
    def of(cls, field_paths: Mapping[str, str] | None) -> _Fields:
        names = dict(field_paths or {})
        return cls(names, frozenset(names.values()))

    @property
    def known(self) -> bool:
        return bool(self.paths)

    def resolve(self, header: str) -> str | None:
        """The full path of a header (a full path or a bare name); None when the form has no such field."""
        if header in self.paths:
            return header
        return self.by_name.get(header)


# --- KoboToolbox ---------------------------------------------------------------------------------------------
def _check_kobo_headers(path: Path, headers: list[str], fields: _Fields) -> None:
    data = [h for h in headers if h and not h.startswith("_")]
    labels = [h for h in data if not all(XML_NAME.match(part) for part in h.split("/"))]
    if labels:
        raise QafError(f"{path}: the columns are question labels, not XML names (e.g. {labels[0]!r}); {KOBO_HOW}")
    if not fields.known or not data:
        return
    for header in data:
        if fields.resolve(header) is None:
            for sep in OTHER_SEPARATORS:
                if sep in header and header.replace(sep, "/") in fields.paths:
                    raise QafError(f"{path}: group names are joined by {sep!r} in the headers (e.g. {header!r}); "
                                   "export again with the group separator '/' (or without 'Include groups in headers')")
    if not any(fields.resolve(h) or fields.resolve(h.rsplit("/", 1)[0]) for h in data):
        raise QafError(f"{path}: none of its columns is a field of the form (e.g. {data[0]!r}): is it an export of "
                       f"another form, or made with labels? {KOBO_HOW}")
    if not {"_id", "_uuid"} & set(headers):
        raise QafError(f"{path}: no _id or _uuid column; export again including the metadata columns "
                       "(_id, _uuid, _submission_time, _validation_status)")


@dataclass(frozen=True)
class _Column:
    """What a column of a Kobo export holds: an answer or metadata (``key``; '' = left out), or one choice of a
    select_multiple shown as its own column (``multiple``, ``choice``)."""

    key: str
    multiple: str | None = None
    choice: str | None = None


def _kobo_columns(headers: list[str], fields: _Fields, prefix: str = "") -> list[_Column]:
    present = set(headers)
    out = []
    for header in headers:
        if not header or header in KOBO_DROPPED or header.startswith("_submission__"):
            out.append(_Column(""))
            continue
        if header.startswith("_"):
            out.append(_Column(header))
            continue
        full = fields.resolve(header)
        base, _, choice = header.rpartition("/")
        if full is None and base and (base in present or fields.resolve(base) is not None):
            out.append(_Column("", fields.resolve(base) or prefix + base, choice))  # "q/choice" of a select_multiple
        elif full is None and header.endswith("_URL") and fields.resolve(header[:-4]) is not None:
            out.append(_Column(""))  # the media URL column of an attachment question
        else:
            out.append(_Column(full or prefix + header))
    return out


def _kobo_record(values: list[Any], columns: list[_Column]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    chosen: dict[str, list[str]] = {}
    for column, value in zip(columns, values, strict=False):
        text = cell_text(value)
        if column.multiple is not None:
            if text in ("1", "true", "True"):
                chosen.setdefault(column.multiple, []).append(column.choice or "")
        elif column.key and text is not None:
            record[column.key] = text
    for key, choices in chosen.items():
        record.setdefault(key, " ".join(choices))  # separate columns only: the answer rebuilt from them
    return record


def _kobo_row(path: Path, record: dict[str, Any]) -> dict[str, Any]:
    kobo_id, uuid = record.get("_id"), record.get("_uuid")
    if kobo_id is None and uuid is None:
        raise QafError(f"{path}: a row has neither _id nor _uuid")
    row = dict(record)
    if kobo_id is not None:
        try:
            row["_id"] = int(float(kobo_id))
        except ValueError:
            raise QafError(f"{path}: _id {kobo_id!r} is not a number") from None
    if uuid is not None:
        row["meta/instanceID"] = "uuid:" + uuid.removeprefix("uuid:")
    if "meta/rootUuid" not in row:
        row["meta/rootUuid"] = f"kobo-id:{row['_id']}" if kobo_id is not None else row["meta/instanceID"]
    status = str(row.pop("_validation_status", "") or "")
    uid = KOBO_VALIDATION.get(status.strip().lower(), status if status.startswith("validation_status_") else "")
    row["_validation_status"] = {"uid": uid, "label": status} if uid else {}
    return row


def _kobo_table(path: Path, rows: Iterable[list[Any]], fields: _Fields, prefix: str = "",
                check: bool = True) -> tuple[list[str], list[dict[str, Any]]]:
    iterator = iter(rows)
    try:
        headers = ["" if h is None else str(h).strip() for h in next(iterator)]
    except StopIteration:
        raise QafError(f"{path}: the file is empty") from None
    if check:
        _check_kobo_headers(path, headers, fields)
    columns = _kobo_columns(headers, fields, prefix)
    records = []
    for values in iterator:
        if any(cell_text(v) is not None for v in values):
            record = _kobo_record(list(values), columns)
            for name in ("_index", "_parent_index", "_parent_table_name"):
                if name in headers and headers.index(name) < len(values):
                    record[name] = cell_text(values[headers.index(name)])
            records.append(record)
    return headers, records


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in KOBO_DROPPED}


def read_kobo_xlsx(path: Path, fields: _Fields) -> ExportFile:
    """A KoboToolbox XLSX export: the first sheet, and repeat groups from the sheets that name a parent."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise QafError(f"{path}: cannot read it as an XLSX workbook ({type(exc).__name__})") from None
    try:
        sheets = list(book.worksheets)
        _, records = _kobo_table(path, sheets[0].iter_rows(values_only=True), fields)
        tables = {sheets[0].title: records}
        for sheet in sheets[1:]:
            repeat = fields.resolve(sheet.title) or sheet.title
            _, items = _kobo_table(path, sheet.iter_rows(values_only=True), fields, repeat + "/", check=False)
            tables[sheet.title] = items
            for item in items:
                parent_rows = tables.get(str(item.get("_parent_table_name")), [])
                parent = next((r for r in parent_rows if r.get("_index") == item.get("_parent_index")), None)
                if parent is not None:
                    parent.setdefault(repeat, []).append(item)
    finally:
        book.close()
    for items in list(tables.values())[1:]:
        for item in items:
            for key in [k for k in item if k.startswith("_")]:
                del item[key]
    rows = [_kobo_row(path, _clean(r)) for r in records]
    return ExportFile(path, "kobo-xlsx", rows)


def _csv_rows(text: str) -> list[list[str]]:
    """The rows of a CSV text, "," or ";" separated (as a spreadsheet may save it)."""
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _read_text(path: Path, data: bytes | None = None) -> str:
    try:
        return (data if data is not None else path.read_bytes()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise QafError(f"{path}: not UTF-8 text; export it again (do not re-save it from a spreadsheet program in "
                       "another encoding)") from None
    except OSError as exc:
        raise QafError(f"{path}: cannot read it ({exc.strerror or type(exc).__name__})") from None


def read_kobo_csv(path: Path, fields: _Fields, text: str) -> ExportFile:
    """A KoboToolbox CSV export (``;``-separated as Kobo writes it, or ``,`` after a spreadsheet program)."""
    _, records = _kobo_table(path, _csv_rows(text), fields)
    return ExportFile(path, "kobo-csv", [_kobo_row(path, _clean(r)) for r in records])


# --- ODK Central ---------------------------------------------------------------------------------------------
def _central_keys(headers: list[str], fields: _Fields, prefix: str = "") -> list[str | tuple[str, int]]:
    """Each CSV column's key (``''``: dropped; ``(path, part)``: one of a geopoint's four columns)."""
    dashed = {p[len(prefix):].replace("/", "-"): p for p in fields.paths if p.startswith(prefix)}
    present = set(headers)
    out: list[str | tuple[str, int]] = []
    for header in headers:
        if not header:
            out.append("")
            continue
        geo = re.fullmatch(r"(.+)-(Latitude|Longitude|Altitude|Accuracy)", header)
        if header in dashed:
            out.append(dashed[header])
        elif geo and (geo.group(1) in dashed or not fields.known):
            base = dashed.get(geo.group(1)) or prefix + geo.group(1).replace("-", "/")
            out.append((base, ("Latitude", "Longitude", "Altitude", "Accuracy").index(geo.group(2))))
        elif "/" in header and header.rsplit("/", 1)[0] in present:
            out.append("")  # a select multiple split into one column per choice
        else:
            out.append(fields.by_name.get(header) or prefix + header.replace("-", "/"))
    return out


def _central_record(values: list[str], keys: list[str | tuple[str, int]]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    points: dict[str, list[str]] = {}
    for key, value in zip(keys, values, strict=False):
        if not key or value == "":
            continue
        if isinstance(key, tuple):
            points.setdefault(key[0], ["", "", "", ""])[key[1]] = value
        else:
            record[key] = value
    for key, parts in points.items():
        record[key] = " ".join(p for p in parts if p)
    return record


def read_central_zip(path: Path, fields: _Fields, data: bytes | None = None) -> ExportFile:
    """Central's "all submissions" CSV zip: the form's CSV and one per repeat (joined by ``PARENT_KEY``)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if data is not None else path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise QafError(f"{path}: cannot read it as a zip file ({type(exc).__name__})") from None
    tables: dict[str, list[list[str]]] = {}
    with archive:
        for name in archive.namelist():
            if name.lower().endswith(".csv") and "/" not in name.strip("/"):
                tables[name] = _csv_rows(_read_text(path, archive.read(name)))
    roots = [n for n, rows in tables.items() if rows and rows[0][:1] == ["SubmissionDate"] and "KEY" in rows[0]]
    if len(roots) != 1:
        raise QafError(f"{path}: not a Central submissions export (a zip with <form id>.csv whose first column is "
                       "SubmissionDate); download it from Central's Submissions page with 'Download all'")
    root_name = roots[0]
    return ExportFile(path, "central-zip", _central_rows(path, tables, root_name, fields))


def _central_rows(path: Path, tables: dict[str, list[list[str]]], root_name: str, fields: _Fields) -> list[dict[str, Any]]:
    headers, *body = tables[root_name]
    meta = {"SubmissionDate", "KEY", *CENTRAL_SYSTEM}
    keys = _central_keys([("" if h in meta else h) for h in headers], fields)
    by_key: dict[str, dict[str, Any]] = {}
    rows = []
    for values in body:
        if not any(values):
            continue
        cell = dict(zip(headers, values, strict=False))
        record = _central_record(values, keys)
        system: dict[str, Any] = {"submissionDate": cell.get("SubmissionDate") or None}
        for column, name in CENTRAL_SYSTEM.items():
            if column in cell:
                value = cell[column] or None
                system[name] = int(value) if name in ("edits", "attachmentsPresent", "attachmentsExpected") and value \
                    and value.isdigit() else value
        key = cell.get("KEY", "")
        if not key:
            raise QafError(f"{path}: a row of {root_name} has no KEY")
        by_key[key] = record
        rows.append((key, record, system))
    stem = root_name[:-4]
    for name, table in tables.items():
        if name == root_name or not table or "PARENT_KEY" not in table[0]:
            continue
        repeat_name = name[len(stem) + 1:-4].split("~")[0] if name.startswith(stem + "-") else name[:-4]
        repeat = fields.resolve(repeat_name) or repeat_name
        item_headers = table[0]
        item_keys = _central_keys([("" if h in ("PARENT_KEY", "KEY") else h) for h in item_headers], fields,
                                  repeat + "/")
        for values in table[1:]:
            cell = dict(zip(item_headers, values, strict=False))
            item = _central_record(values, item_keys)
            by_key[cell.get("KEY", "")] = item
            parent = by_key.get(cell.get("PARENT_KEY", ""))
            if parent is not None:
                parent.setdefault(repeat, []).append(item)
    return [store_row(key, record, system) for key, record, system in rows]


# --- entry point -----------------------------------------------------------------------------------------------
EXPORT_SUFFIXES = (".xlsx", ".csv", ".zip")


def read_export(path: Path, field_paths: Mapping[str, str] | None = None) -> ExportFile:
    """The submissions of one export file (see the module docstring); ``field_paths`` maps the form's field
    names to their full paths (``FormStructure.paths``). A QafError names the file and what to change."""
    path = Path(path)
    fields = _Fields.of(field_paths)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise QafError(f"{path}: a legacy .xls file; export again as XLSX (or save it as .xlsx)")
    if suffix == ".xlsx":
        return read_kobo_xlsx(path, fields)
    if suffix == ".zip":
        return read_central_zip(path, fields)
    if suffix == ".csv":
        text = _read_text(path)
        first = text.split("\n", 1)[0]
        if first.startswith(("SubmissionDate,", '"SubmissionDate",')) and "KEY" in first:
            rows = _central_rows(path, {path.name: _csv_rows(text)}, path.name, fields)
            return ExportFile(path, "central-csv", rows, ["only the form's own table: repeats are in the other CSV "
                                                          "files of Central's zip (import the zip itself)"])
        return read_kobo_csv(path, fields, text)
    raise QafError(f"{path}: not an export qaf-kobo reads (KoboToolbox XLSX or CSV with XML values and headers, "
                   "Central's submissions CSV zip, or JSON from the API)")

