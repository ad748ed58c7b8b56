"""What the Central-compatible server reads from an XForm: the form id, version and title, and the schema of its
primary instance (groups, repeats and each field's type), as Central keeps it to render OData rows."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

XFORMS = "{http://www.w3.org/2002/xforms}"


class XFormError(ValueError):
    """An XForm the server cannot read (not XML, no primary instance, no form id)."""


@dataclass(frozen=True)
class Field:
    """One node of the primary instance: ``path`` without the root (``meta/instanceID``), its XForm ``type``
    (``structure`` for a group, ``repeat``, or the bind type: ``string``, ``int``, ``decimal``, ``dateTime`` …)."""

    path: str
    type: str
    children: tuple[Field, ...] = ()

    @property
    def name(self) -> str:
        """The node's own name."""
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class FormSchema:
    """An XForm as the server keeps it: the XML, its facts and the instance schema (``fields``, in order)."""

    xml: str
    form_id: str
    version: str
    title: str
    root: str  # the primary instance root's name (``data``)
    fields: tuple[Field, ...]
    by_path: dict[str, Field] = field(default_factory=dict, compare=False)

    @property
    def md5(self) -> str:
        """Central's ``hash`` of the form: the MD5 of its XML."""
        return hashlib.md5(self.xml.encode("utf-8")).hexdigest()

    @property
    def sha256(self) -> str:
        """Central's ``sha256`` of the form."""
        return hashlib.sha256(self.xml.encode("utf-8")).hexdigest()

    def with_version(self, version: str) -> FormSchema:
        """The same form with another version string, rewritten in the XML as Central does on publish."""
        start = re.compile(rf"<(?:[\w.-]+:)?{re.escape(self.root)}\b[^>]*?\bid=\"{re.escape(self.form_id)}\"[^>]*>")
        match = start.search(self.xml)
        if match is None:
            raise XFormError("the XForm's primary instance root was not found in its text")
        tag = match.group(0)
        attr = f'version="{escape(version, {chr(34): "&quot;"})}"'
        new_tag = (re.sub(r'\bversion="[^"]*"', attr, tag, count=1) if re.search(r'\bversion="', tag)
                   else tag.replace(f'id="{self.form_id}"', f'id="{self.form_id}" {attr}', 1))
        return parse_xform(self.xml[:match.start()] + new_tag + self.xml[match.end():])


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _walk(node: ET.Element, prefix: str, types: dict[str, str], repeats: set[str]) -> tuple[Field, ...]:
    fields: list[Field] = []
    seen: set[str] = set()
    for child in node:
        name = _local(child.tag)
        if name in seen:  # a repeat's template and its first instance: one field
            continue
        seen.add(name)
        path = prefix + name
        if path in repeats:
            fields.append(Field(path, "repeat", _walk(child, path + "/", types, repeats)))
        elif len(child):
            fields.append(Field(path, "structure", _walk(child, path + "/", types, repeats)))
        else:
            fields.append(Field(path, types.get(path, "string")))
    return tuple(fields)


def _index(fields: tuple[Field, ...], out: dict[str, Field]) -> dict[str, Field]:
    for f in fields:
        out[f.path] = f
        _index(f.children, out)
    return out


def parse_xform(xml: str | bytes) -> FormSchema:
    """Read an XForm; XFormError when it is not XML, has no primary instance or its root has no ``id``."""
    text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    try:
        doc = fromstring(text, forbid_dtd=True)
    except DefusedXmlException:
        raise XFormError("the XForm may not contain a DTD or entities") from None
    except ET.ParseError as exc:
        raise XFormError(f"Could not parse the given data ({len(text)} chars) as xml: {exc}") from None
    model = next(doc.iter(f"{XFORMS}model"), None)
    instance = model.find(f"{XFORMS}instance") if model is not None else None
    if instance is None or not len(instance):
        raise XFormError("the XForm has no primary instance")
    data = instance[0]
    form_id = data.get("id", "")
    if not form_id:
        raise XFormError("Required parameter xmlFormId missing.")
    root = _local(data.tag)
    prefix = f"/{root}/"
    types = {b.get("nodeset", "")[len(prefix):]: b.get("type", "string")
             for b in doc.iter(f"{XFORMS}bind") if b.get("nodeset", "").startswith(prefix)}
    repeats = {r.get("nodeset", "")[len(prefix):] for r in doc.iter(f"{XFORMS}repeat")
               if r.get("nodeset", "").startswith(prefix)}
    title = next((el.text or "" for el in doc.iter() if _local(el.tag) == "title"), "")
    fields = _walk(data, "", types, repeats)
    return FormSchema(text, form_id, data.get("version", ""), title, root, fields, _index(fields, {}))
