"""Central's "all submissions" download (``…/submissions.csv.zip``) on the compatible server: the form's CSV and
one CSV per repeat, laid out as central-backend's ``lib/data/briefcase.js`` writes them.

Root table: ``SubmissionDate``, every field (group names joined by ``-``, or only the field's name with
``groupPaths=false``; a geopoint in four columns), then ``KEY`` (the ``__id``), ``SubmitterID``,
``SubmitterName``, ``AttachmentsPresent``, ``AttachmentsExpected``, ``Status``, ``ReviewState``, ``DeviceID``,
``Edits``, ``FormVersion``. A repeat's table: its fields, ``PARENT_KEY`` and ``KEY`` (``<parent key>/<repeat>[n]``).
Deleted submissions are not exported.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qaf_kobo.devserver.central.instance import local
from qaf_kobo.devserver.central.xform import Field, FormSchema

GEO_PARTS = ("Latitude", "Longitude", "Altitude", "Accuracy")
ROOT_META = ("KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status",
             "ReviewState", "DeviceID", "Edits", "FormVersion")


@dataclass
class _Table:
    """One CSV of the download: its repeat (None: the root), its leaf fields and rows."""

    repeat: Field | None
    fields: list[Field]
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _tables(schema: FormSchema, group_paths: bool) -> dict[str | None, _Table]:
    tables: dict[str | None, _Table] = {}

    def walk(fields: tuple[Field, ...], repeat: Field | None) -> None:
        table = tables[repeat.path if repeat else None]
        for f in fields:
            if f.type == "repeat":
                tables[f.path] = _Table(f, [], [])
                walk(f.children, f)
                tables[f.path].header += ["PARENT_KEY", "KEY"]
            elif f.type == "structure":
                walk(f.children, repeat)
            elif f.path != "meta/deprecatedID":
                base = f.path[len(repeat.path) + 1:] if repeat else f.path
                name = base.replace("/", "-") if group_paths else f.name
                table.fields.append(f)
                table.header += [f"{name}-{part}" for part in GEO_PARTS] if f.type == "geopoint" else [name]

    tables[None] = _Table(None, [], ["SubmissionDate"])
    walk(schema.fields, None)
    tables[None].header += list(ROOT_META)
    return tables


def _values(element: ET.Element, fields: tuple[Field, ...], out: dict[str, Any]) -> dict[str, Any]:
    """Leaf texts by path, and repeats as lists of such dicts (the XML as submitted)."""
    by_name = {f.name: f for f in fields}
    for child in element:
        f = by_name.get(local(child.tag))
        if f is None:
            continue
        if f.type == "repeat":
            out.setdefault(f.path, []).append(_values(child, f.children, {}))
        elif f.type == "structure":
            _values(child, f.children, out)
        else:
            out[f.path] = child.text or ""
    return out


def _cells(table: _Table, values: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for f in table.fields:
        text = values.get(f.path, "")
        out += (text.split() + [""] * 4)[:4] if f.type == "geopoint" else [text]
    return out


def _add(tables: dict[str | None, _Table], values: dict[str, Any], key: str) -> None:
    """Add the rows of the repeats in ``values`` (and of repeats within them) to their tables."""
    for path, items in values.items():
        if isinstance(items, list) and path in tables:
            child = tables[path]
            for n, item in enumerate(items, 1):
                item_key = f"{key}/{child.repeat.name if child.repeat else path}[{n}]"
                child.rows.append([*_cells(child, item), key, item_key])
                _add(tables, item, item_key)


def submissions_zip(schema: FormSchema, submissions: list[Any], system: Callable[[Any], dict[str, Any]],
                    group_paths: bool = True) -> bytes:
    """The zip for ``submissions`` (newest first, deleted ones left out by the caller); ``system`` gives each
    one's ``__system`` properties."""
    tables = _tables(schema, group_paths)
    root = tables[None]
    for sub in submissions:
        values = _values(ET.fromstring(sub.current.xml), schema.fields, {})
        meta = system(sub)
        root.rows.append([meta["submissionDate"], *_cells(root, values), sub.instance_id, meta["submitterId"] or "",
                          meta["submitterName"] or "", meta["attachmentsPresent"], meta["attachmentsExpected"],
                          meta["status"] or "", meta["reviewState"] or "", meta["deviceId"] or "", meta["edits"],
                          meta["formVersion"] or ""])
        _add(tables, values, sub.instance_id)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, table in tables.items():
            name = schema.form_id if path is None else f"{schema.form_id}-{table.repeat.name if table.repeat else path}"
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerows([table.header, *table.rows])
            archive.writestr(f"{name}.csv", text.getvalue())
    return out.getvalue()
