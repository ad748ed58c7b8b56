"""XLSForm → XForm for the Kobo-compatible server (with pyxform, as KPI does), and what it needs from an XForm."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from qaf_kobo.cycle_collector import paused

XFORMS = "{http://www.w3.org/2002/xforms}"


@dataclass(frozen=True)
class XFormInfo:
    """What the server needs from an XForm: the instance root's ``id`` and ``version``, and the repeat paths."""

    form_id: str
    version: str
    title: str
    repeats: frozenset[str]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def xform_info(xml: str) -> XFormInfo:
    """Read an XForm's primary instance root attributes, title and repeat nodesets (paths without the root)."""
    root = ET.fromstring(xml)
    instance = next(root.iter(f"{XFORMS}instance"))
    data = next(iter(instance))
    title = next((el.text or "" for el in root.iter() if _local(el.tag) == "title"), "")
    prefix = "/" + _local(data.tag) + "/"
    repeats = frozenset(el.get("nodeset", "")[len(prefix):] for el in root.iter(f"{XFORMS}repeat")
                        if el.get("nodeset", "").startswith(prefix))
    return XFormInfo(data.get("id", ""), data.get("version", ""), title, repeats)


@paused()
def convert(data: bytes) -> tuple[str, XFormInfo]:
    """XLSForm bytes → (XForm XML, its facts) with pyxform; pyxform's errors pass through unchanged."""
    from pyxform.xls2xform import convert as pyxform_convert

    xform = pyxform_convert(xlsform=io.BytesIO(data), file_type=".xlsx").xform
    return xform, xform_info(xform)


def form_title(data: bytes) -> str | None:
    """``settings.form_title`` of an XLSForm, if set."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    if "settings" not in book.sheetnames:
        return None
    rows = list(book["settings"].iter_rows(values_only=True))
    if len(rows) < 2 or "form_title" not in rows[0]:
        return None
    value = rows[1][rows[0].index("form_title")]
    return str(value) if value else None
