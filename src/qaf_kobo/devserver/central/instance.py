"""Submission XML on the Central-compatible server: what a submission says about itself, its answers rendered as
Central's OData JSON, and submission XML written from answers (for the test hooks and edits).

Answers outside the hooks are the XML itself; parsing it safely is :func:`qaf_kobo.devserver.kobo.openrosa.parse_submission`.
"""

from __future__ import annotations

import hashlib
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from qaf_kobo.devserver.central.xform import Field, FormSchema

_INT = re.compile(r"\s*[+-]?\d+")
_FLOAT = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_SHORT_OFFSET = re.compile(r"[+-]\d\d$")


def local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


@dataclass(frozen=True)
class InstanceFacts:
    """What a submission says about itself: the form id and version, its instanceID and the one it replaces."""

    form_id: str
    version: str
    instance_id: str
    deprecated_id: str | None


def _meta_text(root: ET.Element, name: str) -> str | None:
    for child in root:
        if local(child.tag) == "meta":
            for item in child:
                if local(item.tag) == name and item.text and item.text.strip():
                    return item.text.strip()
    return None


def instance_facts(root: ET.Element) -> InstanceFacts:
    """The facts of a parsed submission (``instanceID`` from ``meta``, else the root's ``instanceID``)."""
    instance_id = _meta_text(root, "instanceID") or (root.get("instanceID") or "").strip()
    return InstanceFacts(root.get("id", ""), root.get("version", ""), instance_id, _meta_text(root, "deprecatedID"))


# --- OData rendering -------------------------------------------------------------------------------------------
def _frame(fields: tuple[Field, ...]) -> dict[str, Any]:
    """Every field of a level as null (groups as nested frames), as Central starts each row."""
    out: dict[str, Any] = {}
    for f in fields:
        if f.type == "structure":
            out[f.name] = _frame(f.children)
        elif f.type != "repeat":
            out[f.name] = None
    return out


def _number(text: str, pattern: re.Pattern[str]) -> float | None:
    match = pattern.match(text)
    return float(match.group()) if match else None


def _point(text: str) -> tuple[list[float], float | None] | None:
    parts = [_number(p, _FLOAT) for p in text.split()]
    if len(parts) < 2 or parts[0] is None or parts[1] is None:
        return None
    coordinates = [parts[1], parts[0]]
    if len(parts) > 2 and parts[2] is not None:
        coordinates.append(parts[2])
    return coordinates, parts[3] if len(parts) > 3 else None


def _js_number(value: float) -> int | float:
    """A number as JavaScript's JSON writes it (2.0 → 2)."""
    return int(value) if value.is_integer() and abs(value) < 2 ** 53 else value


def _geo(kind: str, text: str, wkt: bool) -> Any:
    if kind == "geopoint":
        point = _point(text)
        if point is None:
            return None
        coordinates, accuracy = point
        if wkt:
            return f"POINT ({' '.join(str(_js_number(c)) for c in coordinates)})"
        out: dict[str, Any] = {"type": "Point", "coordinates": [_js_number(c) for c in coordinates]}
        if accuracy is not None:
            out["properties"] = {"accuracy": _js_number(accuracy)}
        return out
    points = [p for p in (_point(s) for s in re.split(r"; ?", text)) if p is not None]
    if not points:
        return None
    vertices = [[_js_number(c) for c in p[0]] for p in points]
    if wkt:
        joined = ",".join(" ".join(str(c) for c in p) for p in vertices)
        return f"LINESTRING ({joined})" if kind == "geotrace" else f"POLYGON (({joined}))"
    out = {"type": "LineString", "coordinates": vertices} if kind == "geotrace" else {
        "type": "Polygon", "coordinates": [vertices]}
    accuracies = [p[1] for p in points]
    if any(a is not None for a in accuracies):
        out["properties"] = {"accuracies": accuracies}
    return out


def typed_value(kind: str, text: str, wkt: bool = False) -> Any:
    """A field's text as Central's OData gives it: ``int`` and ``decimal`` as numbers (null when not a number),
    geo types as GeoJSON (or WKT), ``dateTime`` with a full offset, everything else as the text."""
    if kind == "int":
        match = _INT.match(text)
        return int(match.group()) if match else None
    if kind == "decimal":
        value = _number(text, _FLOAT)
        return None if value is None or not math.isfinite(value) else _js_number(value)
    if kind in ("geopoint", "geotrace", "geoshape"):
        return _geo(kind, text, wkt)
    if kind == "dateTime":
        trimmed = text.strip()
        return trimmed + ":00" if _SHORT_OFFSET.search(trimmed) else trimmed
    return text


def _row_id(context: list[str]) -> str:
    return hashlib.sha1("%%".join(context).encode("utf-8")).hexdigest()


def _fill(element: ET.Element, fields: tuple[Field, ...], target: dict[str, Any], instance_id: str,
          context: list[str], link: list[str], expand: bool, wkt: bool) -> None:
    by_name = {f.name: f for f in fields}
    counts: dict[str, int] = {}
    for child in element:
        f = by_name.get(local(child.tag))
        if f is None:
            continue  # not in the form's schema: Central leaves it out
        if f.type == "structure":
            _fill(child, f.children, target[f.name], instance_id, [*context, f"{f.name}#"], [*link, f.name], expand, wkt)
        elif f.type == "repeat":
            counts[f.name] = counts.get(f.name, 0) + 1
            where = [*context, f"{f.name}#{counts[f.name]}"]
            target[f"{f.name}@odata.navigationLink"] = "/".join([f"Submissions('{instance_id}')", *link, f.name])
            if expand:
                bag = _frame(f.children)
                bag["__id"] = _row_id(where)
                target.setdefault(f.name, []).append(bag)
                _fill(child, f.children, bag, instance_id, where, [*link, f"{f.name}('{bag['__id']}')"], expand, wkt)
        elif child.text is not None:
            target[f.name] = typed_value(f.type, child.text, wkt)


def render_data(schema: FormSchema, root: ET.Element, instance_id: str, *, expand: bool = False,
                wkt: bool = False) -> dict[str, Any]:
    """A submission's answers as one OData row of ``Submissions`` (without ``__id`` and ``__system``): every
    field of the form present (null when unanswered), groups nested, repeats inline only with ``expand``."""
    data = _frame(schema.fields)
    _fill(root, schema.fields, data, instance_id, [f"Submissions#{instance_id}"], [], expand, wkt)
    return data


# --- writing submission XML ------------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _build(out: list[str], fields: tuple[Field, ...], answers: Mapping[str, Any], ids: dict[str, str | None]) -> None:
    for f in fields:
        if f.type == "repeat":
            for item in answers.get(f.path) or []:
                out.append(f"<{f.name}>")
                _build(out, f.children, item, ids)
                out.append(f"</{f.name}>")
            continue
        if f.path in ids and ids[f.path] is None:
            continue  # no deprecatedID on an original
        if f.type == "structure":
            out.append(f"<{f.name}>")
            _build(out, f.children, answers, ids)
            out.append(f"</{f.name}>")
            continue
        value = ids[f.path] if f.path in ids else answers.get(f.path)
        out.append(f"<{f.name}/>" if value is None or value == "" else f"<{f.name}>{escape(_text(value))}</{f.name}>")


def _with_deprecated_id(fields: tuple[Field, ...]) -> tuple[Field, ...]:
    """The form's fields with ``meta/deprecatedID`` in its ``meta`` group, where an edit's XML names the version
    it replaces (the schema itself leaves it out: Central's OData never shows it)."""
    out = []
    for f in fields:
        if f.path == "meta" and f.type == "structure" and all(c.name != "deprecatedID" for c in f.children):
            f = Field(f.path, f.type, (*f.children, Field("meta/deprecatedID", "string")))
        out.append(f)
    return tuple(out)


def build_submission(schema: FormSchema, answers: Mapping[str, Any], instance_id: str,
                     deprecated_id: str | None = None, version: str | None = None) -> bytes:
    """Submission XML for ``answers`` keyed by full path (``details_scope/country``; repeats as lists of dicts
    keyed the same way), in the form's order, with ``meta/instanceID`` (and ``meta/deprecatedID`` for an edit)."""
    ids = {"meta/instanceID": instance_id, "meta/deprecatedID": deprecated_id}
    fields = _with_deprecated_id(schema.fields)
    if "meta/instanceID" not in schema.by_path:
        fields = (*fields, Field("meta", "structure", (Field("meta/instanceID", "string"),
                                                       Field("meta/deprecatedID", "string"))))
    attrs = {"id": schema.form_id, "version": schema.version if version is None else version}
    out = [f"<{schema.root} " + " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items()) + ">"]
    _build(out, fields, answers, ids)
    out.append(f"</{schema.root}>")
    return "".join(out).encode("utf-8")


def _answers(element: ET.Element, fields: tuple[Field, ...], out: dict[str, Any]) -> dict[str, Any]:
    by_name = {f.name: f for f in fields}
    for child in element:
        f = by_name.get(local(child.tag))
        if f is None:
            continue
        if f.type == "repeat":
            out.setdefault(f.path, []).append(_answers(child, f.children, {}))
        elif f.type == "structure":
            _answers(child, f.children, out)
        elif child.text:
            out[f.path] = child.text
    return out


def answers_of(schema: FormSchema, root: ET.Element) -> dict[str, Any]:
    """A submission's answers keyed by full path (the inverse of :func:`build_submission`)."""
    return _answers(root, schema.fields, {})
