"""Action ids of the country action plans: one per country, criterion, level step and action, e.g.
``JOR-2a.3-1to2-1``; the same in every run and every report language, and the key of ``qaf-kobo actions import``.

The parts are joined by "-": the country key, the criterion id, the step ``<L>to<L+1>`` and the action's number
within that step (``0`` when the framework lists no action for the step). A country code of letters and digits is
its own key; any other code (the data can hold any text) becomes its letters and digits, "_" for the rest, and 8
hex digits of its SHA-256, so that two codes never share a key and a key never holds "-".
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_PLAIN = re.compile(r"[A-Za-z0-9]+")
_ACTION_ID = re.compile(r"(?P<country>[A-Za-z0-9_]+)-(?P<criterion>[A-Za-z0-9]+\.\d+)-(?P<level>\d+)to(?P<target>\d+)-(?P<k>\d+)")


def country_key(country: object) -> str:
    """The country part of an action id (see the module's docstring)."""
    code = str(country)
    if _PLAIN.fullmatch(code):
        return code
    readable = re.sub(r"[^A-Za-z0-9]", "_", code)[:16]
    return f"{readable}_{hashlib.sha256(code.encode('utf-8')).hexdigest()[:8]}"


def action_id(country: object, criterion_id: str, level: int, k: int) -> str:
    """The id of the k-th action (0: none listed) that moves ``criterion_id`` from ``level`` to the next level in
    ``country``."""
    return f"{country_key(country)}-{criterion_id}-{level}to{level + 1}-{k}"


@dataclass(frozen=True)
class ActionKey:
    """The parts of an action id."""

    country_key: str
    criterion_id: str
    level: int
    k: int


def parse_action_id(text: str) -> ActionKey | None:
    """The parts of an action id, or None when ``text`` is not one (the step must be one level up)."""
    match = _ACTION_ID.fullmatch(text.strip())
    if not match or int(match["target"]) != int(match["level"]) + 1:
        return None
    return ActionKey(match["country"], match["criterion"], int(match["level"]), int(match["k"]))
