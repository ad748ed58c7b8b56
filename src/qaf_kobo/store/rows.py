"""What the store accepts of a submission: a JSON object whose ids and metadata are single values SQLite can hold,
numbers that are finite, text that is valid Unicode, and nesting that every reader can follow."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from qaf_kobo.errors import QafError

MAX_DEPTH = 64
"""Deepest nesting of objects and lists in one submission. A KoboToolbox row nests two levels per repeat group;
Python's own JSON reader gives up near a thousand."""
COLUMN_KEYS = ("_id", "meta/rootUuid", "meta/instanceID", "meta/deprecatedID", "_uuid", "_submission_time",
               "__version__", "_xform_id_string")
"""The keys the store copies into its own columns (or keys rows by): each must be a single value — KoboToolbox
gives ``_id`` as a whole number and the others as text; any number or text is kept as it is."""
SQLITE_INTEGERS = range(-(2 ** 63), 2 ** 63)


class RowError(QafError):
    """A submission the store cannot take: which one (its number in the batch, and its ids) and why."""

    def __init__(self, number: int, label: str, problem: str) -> None:
        super().__init__(f"submission {number}{f' ({label})' if label else ''}: {problem}")
        self.number, self.label, self.problem = number, label, problem


def row_label(row: Any) -> str:
    """How a message names a row: its ``_id`` and rootUuid, as far as they are readable."""
    if not isinstance(row, dict):
        return ""
    parts = [f"{key} {_show(row[key])}" for key in ("_id", "meta/rootUuid") if key in row]
    return ", ".join(parts)


def stored_json(row: Any, *, check_text: bool = False) -> str:
    """The row as the store keeps it (JSON text), or ValueError saying why the store cannot keep it.

    Checks that ``_id`` and the text metadata (COLUMN_KEYS) are single values SQLite can hold, that every
    number is finite and that nesting stays within MAX_DEPTH. With ``check_text`` every string is checked to be
    valid Unicode (SQLite refuses the lone surrogates that JSON's ``\\ud800`` escapes can produce); without it,
    the store finds them when it writes (see ``unicode_problem``)."""
    if not isinstance(row, dict):
        raise ValueError(f"it is {_kind(row)}, not a JSON object")
    for key in COLUMN_KEYS:
        value = row.get(key)
        wanted = "a whole number" if key == "_id" else "text"
        if isinstance(value, (dict, list)):
            raise ValueError(f"{key} is {_kind(value)}, not {wanted}")
        if isinstance(value, int) and value not in SQLITE_INTEGERS:
            raise ValueError(f"{key} {value} is out of range (a whole number of at most 19 digits)")
    try:
        text = json.dumps(row, ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise ValueError("it holds a number that is not finite (NaN or Infinity)") from None
    except RecursionError:
        raise ValueError(f"it is nested more than {MAX_DEPTH} levels deep") from None
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(row) > MAX_DEPTH:
        raise ValueError(f"it is nested more than {MAX_DEPTH} levels deep")
    if check_text and (problem := unicode_problem(row)):
        raise ValueError(problem)
    return text


def stored_row(raw: str) -> dict[str, Any]:
    """The row a stored JSON text holds; an empty row when the text is not a JSON object (the store writes only
    objects, but its file may have been edited by hand): an incoming version then replaces it, and the text is kept
    in the history."""
    try:
        value = json.loads(raw)
    except (ValueError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}


def unicode_problem(row: Any) -> str | None:
    """Where a row holds text that is not valid Unicode (a lone surrogate), or None."""
    for where, text in _strings(row):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            bad = text[exc.start:exc.end].encode("utf-8", "backslashreplace").decode("ascii")
            return f"{where} holds {bad}, half of a surrogate pair, which is not valid Unicode text"
    return None


def _strings(value: Any) -> Iterator[tuple[str, str]]:
    """Every string in a JSON value, keys included, with where it is (``the value of "a"[0]``, ``a key in …``)."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, place = stack.pop()
        if isinstance(item, str):
            yield f"the value of {place}" if place else "the row", item
        elif isinstance(item, dict):
            for key, child in item.items():
                yield f"a key in {place or 'the row'}", key
                stack.append((child, f"{place}.{_show(key)}" if place else _show(key)))
        elif isinstance(item, list):
            stack.extend((child, f"{place}[{i}]") for i, child in enumerate(item))


def _depth(value: Any) -> int:
    """The nesting depth of a JSON value (1 for a flat object), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "a boolean", int: "a number", float: "a number"}
    kind = "null" if value is None else names.get(type(value), type(value).__name__)
    return kind + (f" ({_show(value)})" if isinstance(value, (str, int, float)) else "")


def _show(value: Any, limit: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= limit else text[:limit - 1] + "…"
