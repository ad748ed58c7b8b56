"""OpenRosa XML for the devserver: facts about an XForm, and a submission's XML turned into KPI's /data/ JSON."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

XFORMS = "{http://www.w3.org/2002/xforms}"

SUBMIT_OK = ('<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
             '<message nature="submit_success">Successful submission.</message></OpenRosaResponse>')
DUPLICATE = ('<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
             '<message nature="submit_success">Duplicate submission</message></OpenRosaResponse>')


def openrosa_error(text: str) -> str:
    """An OpenRosa error response body."""
    return f'<OpenRosaResponse xmlns="http://openrosa.org/http/response"><message>{escape(text)}</message></OpenRosaResponse>'


@dataclass(frozen=True)
class XFormInfo:
    """What the devserver needs from an XForm: the instance root's ``id`` and ``version``, and the repeat paths."""

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


def _flatten(elem: ET.Element, prefix: str, repeats: frozenset[str], out: dict[str, Any]) -> None:
    for child in elem:
        path = prefix + _local(child.tag)
        if path in repeats:
            item: dict[str, Any] = {}
            _flatten(child, path + "/", repeats, item)
            out.setdefault(path, []).append(item)
        elif len(child):
            _flatten(child, path + "/", repeats, out)
        elif child.text:
            out[path] = child.text


def submission_answers(root: ET.Element, repeats: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The answers of a parsed submission (``ET.fromstring`` of its XML) as KPI stores them: full paths without
    the root joined by ``/``, values as strings, empty elements left out, repeats as lists of dicts (keys again
    full paths)."""
    answers: dict[str, Any] = {}
    _flatten(root, "", repeats, answers)
    return answers
