"""Submissions exported by hand from a server's web page, read into the store's row format (reading only).

What it reads:
- **KoboToolbox XLSX and CSV exports** made with "XML values and headers" — the default for a new export —
  with or without "Include groups in headers" (group separator ``/`` or ``.``, told from the headers), select_multiple answers in one column,
  separate columns or both, from any form version, with or without media URLs. Repeat groups come from the
  XLSX's other sheets (a CSV export has none), linked by what survives Excel's 31-character cut of sheet names.
  Kobo's HXL tag row is skipped. Bare column names (groups not in the headers) are mapped to the
  form's field paths when ``field_paths`` is given. An export has no ``meta/rootUuid``: a submission is known by
  Kobo's ``_id``, which edits keep, as ``meta/rootUuid = "kobo-id:<_id>"``.
- **Central's "all submissions" CSV zip** (``<form id>.csv`` and one CSV per repeat), group names joined by
  ``-`` (the default) or removed, select multiple split or not, geopoints in four columns. ``KEY`` is Central's
  ``__id`` and becomes ``meta/rootUuid``, as the OData sync does. The form's CSV taken out of the zip is read
  too (without its repeats).

What it cannot read, with an error naming the file and what to change: exports with question *labels* as
headers ("Labels" or a language instead of "XML values and headers"), another group separator than ``/`` or
``.``, Kobo exports without the ``_id``/``_uuid`` columns, old KoBoCAT CSVs, encrypted workbooks, legacy ``.xls``
files, and other file kinds (GeoJSON, KML, SPSS, media ZIPs). With the form's fields given, a file of another
form is refused (:mod:`qaf_kobo.sync.export_form`); two rows with one ``_id`` (or ``KEY``), or an ``_id`` that is
not a whole number, are refused. No export carries deletions.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from qaf_kobo.central.rows import as_text, store_row
from qaf_kobo.errors import QafError
from qaf_kobo.sync.export_form import GENERIC, check_same_form, own_paths

KOBO_VALIDATION = {"approved": "validation_status_approved", "not approved": "validation_status_not_approved",
                   "on hold": "validation_status_on_hold"}
KOBO_DROPPED = {"_index", "_parent_index", "_parent_table_name", "_notes", "_tags"}
CENTRAL_SYSTEM = {"SubmitterID": "submitterId", "SubmitterName": "submitterName", "AttachmentsPresent":
                  "attachmentsPresent", "AttachmentsExpected": "attachmentsExpected", "Status": "status",
                  "ReviewState": "reviewState", "DeviceID": "deviceId", "Edits": "edits", "FormVersion": "formVersion"}
OTHER_SEPARATORS = ("-", ":", "__", "|", "\\", " ")
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
    """A spreadsheet cell as the Kobo API writes answers: text; dates as ``YYYY-MM-DD``, date-times in ISO (with
    the milliseconds the cell holds); whole numbers without ``.0``; empty cells as None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float, bool)):
        return as_text(value)
    text = str(value)
    return text if text.strip() else None


@dataclass(frozen=True)
class _Fields:
    """The form's field paths, when known: name → full path, the set of full paths and the form's own ones."""

    by_name: Mapping[str, str]
    paths: frozenset[str]
    own: frozenset[str]

    @classmethod
    def of(cls, field_paths: Mapping[str, str] | None) -> _Fields:
        names = dict(field_paths or {})
        return cls(names, frozenset(names.values()), own_paths(names))

    @property
    def known(self) -> bool:
        return bool(self.paths)

    def resolve(self, header: str) -> str | None:
        """The full path of a header (a full path or a bare name); None when the form has no such field."""
        if header in self.paths:
            return header
        return self.by_name.get(header)


# --- KoboToolbox ---------------------------------------------------------------------------------------------
KOBOCAT_REPEAT = re.compile(r"\[\d+\]/")


def _data_headers(headers: list[str]) -> list[str]:
    return [h for h in headers if h and not h.startswith("_")]


def _separator(headers: list[str], fields: _Fields) -> str:
    """The group separator of a Kobo export's headers: ``/`` (the default) or ``.`` (a choice in Kobo's export
    settings), told from the headers themselves."""
    data = _data_headers(headers)
    if any("/" in h for h in data) or not any("." in h for h in data):
        return "/"
    if fields.known:
        dotted = [h for h in data if "." in h and fields.resolve(h) is None]
        return "." if any(fields.resolve(h.replace(".", "/")) or fields.resolve(h.rsplit(".", 1)[0].replace(".", "/"))
                          for h in dotted) else "/"
    return "."


def _with_slashes(headers: list[str], separator: str, fields: _Fields) -> list[str]:
    if separator == "/":
        return headers
    return [h if not h or h.startswith("_") or fields.resolve(h) else h.replace(separator, "/") for h in headers]


def _looks_like(path: Path, sheet: str | None) -> str:
    if sheet is not None:
        return f"its first sheet is {sheet!r}"
    stem = re.split(r"_-_|\s-\s", path.stem)[0]
    return f"the file is named {stem!r}"


def _check_kobo_headers(path: Path, headers: list[str], fields: _Fields, sheet: str | None) -> None:
    if any("\x00" in h for h in headers):
        column = next(i for i, h in enumerate(headers, 1) if "\x00" in h)
        raise QafError(f"{path}: the header row holds a NUL byte (column {column}): the file is damaged or is not "
                       "a text export; download the export again")
    data = _data_headers(headers)
    present = set(headers)
    if any(KOBOCAT_REPEAT.search(h) for h in data):
        example = next(h for h in data if KOBOCAT_REPEAT.search(h))
        raise QafError(f"{path}: an old KoBoCAT CSV export (repeat answers in numbered columns such as {example!r}); "
                       "export again from KoboToolbox (Downloads) as XLSX, with 'XML values and headers'")
    if "PARENT_KEY" in present and "KEY" in present:
        raise QafError(f"{path}: a repeat table of ODK Central's export (it has PARENT_KEY): import the zip it came "
                       "from (Central: Submissions → Download), which holds the form's CSV and its repeats")
    labels = [h for h in data if not all(XML_NAME.match(part) for part in h.split("/"))
              and not ("/" in h and h.rsplit("/", 1)[0] in present)]  # "q/1": a numeric choice of select_multiple q
    if labels:
        raise QafError(f"{path}: the columns are question labels, not XML names (e.g. {labels[0]!r}); {KOBO_HOW}")
    if fields.known and data:
        for header in data:
            if fields.resolve(header) is None:
                for sep in OTHER_SEPARATORS:
                    if sep in header and header.replace(sep, "/") in fields.paths:
                        raise QafError(f"{path}: group names are joined by {sep!r} in the headers (e.g. {header!r}); "
                                       "export again with the group separator '/' (or without 'Include groups in "
                                       "headers')")
    if not {"_id", "_uuid"} & present:
        if {"X_id", "X_uuid"} & present:
            raise QafError(f"{path}: re-saved from R (columns X_id, X_uuid instead of _id, _uuid): import the export "
                           "as KoboToolbox made it")
        raise QafError(f"{path}: no _id or _uuid column; export again including the metadata columns "
                       "(_id, _uuid, _submission_time, _validation_status)")


def _check_form(path: Path, sheets: list[list[str]], fields: _Fields, sheet: str | None) -> None:
    """Refuse an export of another form, judged by the answer columns of all its sheets."""
    if fields.known:
        columns = dict(column for headers in sheets for column in _kobo_answer_columns(headers, fields))
        check_same_form(path, list(columns.items()), fields.own, _looks_like(path, sheet))


def _kobo_answer_columns(headers: list[str], fields: _Fields) -> list[tuple[str, str | None]]:
    """(header, the form's field path or None) of each answer column (metadata, generic fields, select_multiple
    choice, geopoint part and media URL columns left out)."""
    present = set(headers)
    out: dict[str, str | None] = {}
    for header in _data_headers(headers):
        name = header.rsplit("/", 1)[-1]
        base = header.rsplit("/", 1)[0] if "/" in header else ""
        if name in GENERIC or name.startswith("_") or (header.endswith("_URL") and header[:-4] in present):
            continue
        if base and fields.resolve(header) is None and (base in present or fields.resolve(base) is not None):
            header = base  # a choice column of select_multiple ``base``
        out.setdefault(header, fields.resolve(header))
    return list(out.items())


GEO_PART = re.compile(r"(?:(.*)/)?_(.+)_(?:latitude|longitude|altitude|precision)")


def _geo_part(header: str, present: set[str]) -> bool:
    """Whether a column is one of the four parts formpack adds after a geopoint column (``grp/_where_latitude``;
    formpack may put the group on the parts and not on the point)."""
    match = GEO_PART.fullmatch(header)
    return match is not None and any(h.rsplit("/", 1)[-1] == match.group(2) for h in present)


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
        if _geo_part(header, present):
            out.append(_Column(""))  # formpack's latitude, longitude… columns of a geopoint (the answer has them)
            continue
        full = fields.resolve(header) or (header if prefix and header.startswith(prefix) else None)
        base, _, choice = header.rpartition("/")
        if full is None and base and (base in present or fields.resolve(base) is not None):
            key = fields.resolve(base) or (base if prefix and base.startswith(prefix) else prefix + base)
            out.append(_Column("", key, choice))  # "q/choice" of a select_multiple
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
            if text in ("1", "true", "True", "TRUE"):
                chosen.setdefault(column.multiple, []).append(column.choice or "")
        elif column.key and text is not None:
            record[column.key] = text
    for key, choices in chosen.items():
        record.setdefault(key, " ".join(choices))  # separate columns only: the answer rebuilt from them
    return record


WHOLE = re.compile(r"[+-]?\d+")
MAX_ID = 2 ** 63 - 1


def _kobo_row(path: Path, number: int, record: dict[str, Any]) -> dict[str, Any]:
    kobo_id, uuid = record.get("_id"), record.get("_uuid")
    if kobo_id is None and uuid is None:
        raise QafError(f"{path}: row {number} has neither an _id nor a _uuid (KoboToolbox fills both in every "
                       "export); export it again from KoboToolbox")
    row = dict(record)
    if kobo_id is not None:
        written = str(kobo_id).strip()
        if not WHOLE.fullmatch(written):
            raise QafError(f"{path}: row {number}: _id {kobo_id!r} is not a whole number (KoboToolbox's ids are)")
        if abs(int(written)) > MAX_ID:
            raise QafError(f"{path}: row {number}: _id {kobo_id!r} is larger than any KoboToolbox id")
        row["_id"] = int(written)
    if uuid is not None:
        row["meta/instanceID"] = "uuid:" + uuid.removeprefix("uuid:")
    if "meta/rootUuid" not in row:
        row["meta/rootUuid"] = f"kobo-id:{row['_id']}" if kobo_id is not None else row["meta/instanceID"]
    status = str(row.pop("_validation_status", "") or "")
    uid = KOBO_VALIDATION.get(status.strip().lower(), status if status.startswith("validation_status_") else "")
    row["_validation_status"] = {"uid": uid, "label": status} if uid else {}
    return row


def _hxl_row(values: list[Any]) -> bool:
    """Kobo's HXL tag row (a second row of ``#tags``, when questions have HXL tags)."""
    texts = [t for t in (cell_text(v) for v in values) if t is not None]
    return bool(texts) and all(t.startswith("#") for t in texts)


@dataclass
class _Table:
    """A sheet of a Kobo export: its headers (``/`` joining groups) and records, each with its row number."""

    headers: list[str]
    records: list[tuple[int, dict[str, Any]]]
    separator: str = "/"


def _kobo_table(path: Path, rows: Iterable[Iterable[Any]], fields: _Fields, prefix: str = "",
                sheet: str | None = None, check: bool = True, separator: str | None = None) -> _Table:
    iterator = iter(rows)
    try:
        raw = ["" if h is None else str(h).strip() for h in next(iterator)]
    except StopIteration:
        raise QafError(f"{path}: the file is empty") from None
    separator = separator or _separator(raw, fields)
    headers = _with_slashes(raw, separator, fields)
    if check:
        _check_kobo_headers(path, headers, fields, sheet)
    columns = _kobo_columns(headers, fields, prefix)
    links = [(name, headers.index(name)) for name in ("_index", "_parent_index", "_parent_table_name")
             if name in headers]
    records = []
    for number, values in enumerate(iterator, 2):
        values = list(values)
        if not any(cell_text(v) is not None for v in values) or (number == 2 and _hxl_row(values)):
            continue
        record = _kobo_record(values, columns)
        for name, at in links:
            if at < len(values):
                record[name] = cell_text(values[at])
        records.append((number, record))
    return _Table(headers, records, separator)


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in KOBO_DROPPED}


def _cut_matches(title: str, name: str) -> bool:
    """Whether a sheet title is ``name`` as Excel's 31-character limit left it (formpack cuts to 28 and adds
    ``...``; a repeated cut name gets `` (1)``)."""
    title = re.sub(r" \(\d+\)$", "", title)
    if title.endswith("..."):
        return name.startswith(title[:-3]) and len(name) > len(title) - 3
    return len(title) >= 28 and name.startswith(title)


def _repeat_path(title: str, headers: list[str], fields: _Fields) -> str:
    """The full path of the repeat a sheet holds: the form's (by the sheet's name), else from the sheet's headers
    (with groups in headers, the path up to the part the sheet is named after), else the sheet's name."""
    known = fields.resolve(title) or next((p for n, p in fields.by_name.items() if _cut_matches(title, n)), None)
    if known:
        return known
    for header in _data_headers(headers):
        parts = header.split("/")[:-1]
        for i in range(len(parts), 0, -1):
            if parts[i - 1] == title or _cut_matches(title, parts[i - 1]):
                return "/".join(parts[:i])
    return title


def read_kobo_xlsx(path: Path, fields: _Fields) -> ExportFile:
    """A KoboToolbox XLSX export: the first sheet, and repeat groups from the sheets that name a parent."""
    from openpyxl import load_workbook

    _check_workbook_file(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise QafError(f"{path}: cannot read it as an XLSX workbook ({type(exc).__name__})") from None
    notes: list[str] = []
    try:
        sheets = list(book.worksheets)
        first = _kobo_table(path, sheets[0].iter_rows(values_only=True), fields, sheet=sheets[0].title)
        root = [r for _, r in first.records]
        tables: list[tuple[str, str, list[dict[str, Any]]]] = [(sheets[0].title, "", root)]
        sheet_headers = [first.headers]
        for sheet in sheets[1:]:
            rows = sheet.iter_rows(values_only=True)
            head = next(rows, None)
            if head is None:
                continue
            raw = ["" if h is None else str(h).strip() for h in head]
            headers = _with_slashes(raw, first.separator if first.separator != "/" else _separator(raw, fields), fields)
            repeat = _repeat_path(sheet.title, headers, fields)
            sheet_headers.append(headers)
            table = _kobo_table(path, [headers, *rows], fields, repeat + "/", check=False, separator="/")
            items = [r for _, r in table.records]
            lost = _link(tables, items, repeat)
            tables.append((sheet.title, repeat.rsplit("/", 1)[-1], items))
            if lost:
                notes.append(f"{lost} row(s) of sheet {sheet.title!r} name a parent row that is not in the file "
                             "(_parent_table_name, _parent_index): left out")
    finally:
        book.close()
    _check_form(path, sheet_headers, fields, sheets[0].title)
    for _, _, items in tables[1:]:
        for item in items:
            for key in [k for k in item if k.startswith("_")]:
                del item[key]
    rows = [_kobo_row(path, n, _clean(r)) for n, r in first.records]
    _check_unique_ids(path, [n for n, _ in first.records], rows)
    return ExportFile(path, "kobo-xlsx", rows, notes)


def _link(tables: list[tuple[str, str, list[dict[str, Any]]]], items: list[dict[str, Any]], repeat: str) -> int:
    """Put each repeat item into its parent row (the table named by ``_parent_table_name``, cut to a sheet title
    or not; the row with that ``_index``); the number of items whose parent is not found."""
    by_index: dict[str, dict[str, dict[str, Any]]] = {}
    for title, name, rows in tables:
        rows_by_index = {str(r.get("_index")): r for r in rows}
        for key in {title, name} - {""}:
            by_index.setdefault(key, rows_by_index)
    lost = 0
    for item in items:
        parent_name = str(item.get("_parent_table_name"))
        index = by_index.get(parent_name)
        if index is None:
            cut = [tables_index for title, tables_index in by_index.items() if _cut_matches(title, parent_name)]
            index = cut[0] if len(cut) == 1 else (by_index.get(tables[0][0]) if len(tables) == 1 else None)
        parent = index.get(str(item.get("_parent_index"))) if index is not None else None
        if parent is None:
            lost += 1
        else:
            parent.setdefault(repeat, []).append(item)
    return lost


def _check_unique_ids(path: Path, numbers: list[int], rows: list[dict[str, Any]], key: str = "_id") -> None:
    """One export holds each submission once: two rows with the same id are refused, naming both."""
    seen: dict[Any, int] = {}
    for number, row in zip(numbers, rows, strict=True):
        value = row.get(key)
        if value is None:
            continue
        if value in seen:
            raise QafError(f"{path}: rows {seen[value]} and {number} have the same {key} {value}: an export holds "
                           "each submission once; export it again, or remove the row that is wrong")
        seen[value] = number


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _check_workbook_file(path: Path) -> None:
    """An encrypted (password-protected) workbook, or a legacy .xls renamed .xlsx, is one clear error."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(8)
            if magic != OLE2:
                return
            data = handle.read(64 * 2 ** 20)
    except OSError as exc:
        raise QafError(f"{path}: cannot read it ({exc.strerror or type(exc).__name__})") from None
    if "EncryptedPackage".encode("utf-16-le") in data:
        raise QafError(f"{path}: the workbook is encrypted (password-protected); open it in Excel, remove the password "
                       "(File → Info → Protect Workbook → Encrypt with Password) and save it, or export it again")
    raise QafError(f"{path}: a legacy .xls (Excel 97–2003) workbook named .xlsx; export again as XLSX")


def _csv_rows(lines: Iterable[str]) -> Iterator[list[str]]:
    """The rows of a CSV text (as lines), "," or ";" separated (as a spreadsheet may save it)."""
    iterator = iter(lines)
    first = next(iterator, "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return csv.reader(itertools.chain([first], iterator), delimiter=delimiter)


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
    table = _kobo_table(path, _csv_rows(io.StringIO(text, newline="")), fields)
    _check_form(path, [table.headers], fields, None)
    numbers = [n for n, _ in table.records]
    rows = [_kobo_row(path, n, _clean(r)) for n, r in table.records]
    _check_unique_ids(path, numbers, rows)
    return ExportFile(path, "kobo-csv", rows)


# --- ODK Central ---------------------------------------------------------------------------------------------
MAX_MEMBER_BYTES = 1 << 30
"""The largest CSV a Central zip may hold, uncompressed (1 GiB: a few million QAF submissions)."""
MAX_RATIO = 200
"""The largest compression ratio of a CSV in a Central zip above 1 MiB (real exports: under 20)."""


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
            base = dashed.get(geo.group(1)) or fields.by_name.get(geo.group(1)) or \
                prefix + geo.group(1).replace("-", "/")
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


def _check_member(path: Path, info: zipfile.ZipInfo) -> None:
    """A member too large, or compressed too well to be an export (a zip bomb), is refused before it is read."""
    if info.file_size > MAX_MEMBER_BYTES or (
            info.file_size > 1 << 20 and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
        raise QafError(f"{path}: {info.filename} is {info.file_size:,} bytes uncompressed from "
                       f"{info.compress_size:,}: more than a submissions export holds (at most "
                       f"{MAX_MEMBER_BYTES >> 20:,} MiB, compressed at most {MAX_RATIO} to 1); download it again")


def _member_lines(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[str]:
    """The lines of a zip member, read as they are needed."""
    _check_member(path, info)
    with io.TextIOWrapper(archive.open(info), encoding="utf-8-sig", newline="") as handle:
        try:
            yield from handle
        except UnicodeDecodeError:
            raise QafError(f"{path}: {info.filename} is not UTF-8 text; download the export again") from None
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise QafError(f"{path}: {info.filename} is damaged ({type(exc).__name__}); download it again") from None


def _head(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """The first 64 KB of a member, as text (enough for its header)."""
    try:
        with archive.open(info) as handle:
            head = handle.read(1 << 16)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise QafError(f"{path}: {info.filename} cannot be read ({type(exc).__name__}); download it again") from None
    return head.decode("utf-8-sig", errors="replace")


def _header(text: str) -> list[str]:
    """The first CSV record of a text (a line break inside quotes included), or [] when it is not CSV."""
    try:
        return next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        return []


def _is_central(header: list[str]) -> bool:
    """Whether a header is that of Central's submissions CSV."""
    return header[:1] == ["SubmissionDate"] and "KEY" in header


def read_central_zip(path: Path, fields: _Fields, data: bytes | None = None) -> ExportFile:
    """Central's "all submissions" CSV zip: the form's CSV and one per repeat (joined by ``PARENT_KEY``), read
    row by row; no other member is read, and a member too large is refused first."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if data is not None else path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise QafError(f"{path}: cannot read it as a zip file ({type(exc).__name__})") from None
    with archive:
        members = [i for i in archive.infolist() if i.filename.lower().endswith(".csv")
                   and "/" not in i.filename.strip("/") and not i.is_dir()]
        roots = []
        for info in members:
            if _is_central(_header(_head(path, archive, info))):
                roots.append(info)
        if len(roots) != 1:
            raise QafError(f"{path}: not a Central submissions export (a zip with <form id>.csv whose first column is "
                           "SubmissionDate); download it from Central's Submissions page with 'Download all'")
        stem = roots[0].filename[:-4]
        repeats = [i for i in members if i.filename.startswith(stem + "-")]
        tables = {i.filename: csv.reader(_member_lines(path, archive, i)) for i in [roots[0], *repeats]}
        try:
            rows = _central_rows(path, tables, roots[0].filename, fields)
        except csv.Error as exc:
            raise QafError(f"{path}: a CSV in the zip cannot be read ({exc}); download it again") from None
    return ExportFile(path, "central-zip", rows)


def _central_rows(path: Path, tables: Mapping[str, Iterable[list[str]]], root_name: str,
                  fields: _Fields) -> list[dict[str, Any]]:
    root = iter(tables[root_name])
    headers = next(root, [])
    meta = {"SubmissionDate", "KEY", *CENTRAL_SYSTEM}
    keys = _central_keys([("" if h in meta else h) for h in headers], fields)
    stem = Path(root_name).stem
    if fields.known:
        columns = [(h, k if isinstance(k, str) else k[0]) for h, k in zip(headers, keys, strict=True)
                   if k and h.rsplit("-", 1)[-1] not in GENERIC and not h.startswith("meta-")]
        check_same_form(path, [(h, k if k in fields.paths else None) for h, k in columns], fields.own,
                        f"Central form {stem!r}")
    by_key: dict[str, dict[str, Any]] = {}
    rows: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    numbers: list[int] = []
    for number, values in enumerate(root, 2):
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
            raise QafError(f"{path}: row {number} of {root_name} has no KEY")
        if key in by_key:
            first = numbers[[k for k, _, _ in rows].index(key)]
            raise QafError(f"{path}: rows {first} and {number} of {root_name} have the same KEY {key}: an export holds "
                           "each submission once; download it again")
        by_key[key] = record
        rows.append((key, record, system))
        numbers.append(number)
    for name, table in tables.items():
        if name == root_name:
            continue
        lines = iter(table)
        item_headers = next(lines, [])
        if "PARENT_KEY" not in item_headers:
            continue
        repeat_name = name[len(stem) + 1:-4].split("~")[0] if name.startswith(stem + "-") else name[:-4]
        repeat = fields.resolve(repeat_name) or repeat_name
        item_keys = _central_keys([("" if h in ("PARENT_KEY", "KEY") else h) for h in item_headers], fields,
                                  repeat + "/")
        for values in lines:
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
    names to their full paths (``FormStructure.paths``): with it, a file of another form is refused. A QafError
    names the file and what to change."""
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
        if _is_central(_header(text)):
            try:
                rows = _central_rows(path, {path.name: _csv_rows(io.StringIO(text, newline=""))}, path.name, fields)
            except csv.Error as exc:
                raise QafError(f"{path}: cannot be read as CSV ({exc})") from None
            return ExportFile(path, "central-csv", rows, ["only the form's own table: repeats are in the other CSV "
                                                          "files of Central's zip (import the zip itself)"])
        try:
            return read_kobo_csv(path, fields, text)
        except csv.Error as exc:
            raise QafError(f"{path}: cannot be read as CSV ({exc})") from None
    raise QafError(f"{path}: not an export qaf-kobo reads (KoboToolbox XLSX or CSV with XML values and headers, "
                   "Central's submissions CSV zip, or JSON from the API)")
