"""What a built form looks like from outside: the path of every field and the choices of every select, read
from the XForm (pyxform's output), so that rows can be keyed exactly as a server returns them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from qaf_kobo.cycle_collector import paused
from qaf_kobo.errors import QafError

XF = "{http://www.w3.org/2002/xforms}"


@dataclass(frozen=True)
class FormStructure:
    """What the generator needs to know of a built form: the path of each field and the choices of selects."""

    form_id: str
    version: str
    paths: dict[str, str]  # last path segment -> full path without the root, e.g. c_2a_3 -> s_2a/c_2a_3
    choices: dict[str, list[str]] = field(default_factory=dict)  # field name -> choice values

    def key(self, name: str) -> str:
        """The submission key of a field."""
        return self.paths[name]


@paused()
def read_form_structure(xform: Path) -> FormStructure:
    """Field paths and select choices from an XForm XML file (pyxform output)."""
    root = ET.parse(xform).getroot()
    model = root.find(f".//{XF}model")
    main = model.find(f"{XF}instance") if model is not None else None
    if model is None or main is None or not len(main):
        raise QafError(f"{xform}: not an XForm (no model with a primary instance)")
    data = next(iter(main))
    paths: dict[str, str] = {}

    def walk(node: ET.Element, prefix: str) -> None:
        for child in node:
            name = child.tag.split("}")[-1]
            path = f"{prefix}{name}"
            if len(child):
                walk(child, path + "/")
            paths.setdefault(name, path)

    walk(data, "")
    instances = {inst.get("id"): inst for inst in model.findall(f"{XF}instance") if inst.get("id")}
    choices: dict[str, list[str]] = {}
    for select in root.iter(f"{XF}select1"):
        name = (select.get("ref") or "").rsplit("/", 1)[-1]
        values = [v.text or "" for v in select.findall(f"{XF}item/{XF}value")]
        itemset = select.find(f"{XF}itemset")
        if itemset is not None:
            list_id = itemset.get("nodeset", "").split("'")[1]
            values = [n.text or "" for n in instances[list_id].iter() if n.tag.split("}")[-1] == "name"]
        choices[name] = values
    return FormStructure(data.get("id", ""), data.get("version", ""), paths, choices)


def xlsform_paths(survey: list[dict[str, str]]) -> dict[str, str]:
    """Field name → full path without the root (``c_2a_3`` → ``s_2a/s_2a_criteria/c_2a_3``), from an XLSForm's
    survey rows, nested as pyxform nests them (groups and repeats included; ``meta/instanceID`` added)."""
    paths: dict[str, str] = {}
    stack: list[str] = []
    for entry in survey:
        kind = (entry.get("type") or "").split(" ")[0]
        name = entry.get("name") or ""
        if kind in ("end_group", "end_repeat", "end group", "end repeat"):
            if stack:
                stack.pop()
            continue
        if name:
            paths.setdefault(name, "/".join([*stack, name]))
        if kind in ("begin_group", "begin_repeat"):
            stack.append(name)
    paths.setdefault("meta", "meta")
    paths.setdefault("instanceID", "meta/instanceID")
    paths.setdefault("instanceName", "meta/instanceName")
    return paths
