"""Mongo-style ``query``/``sort``/``fields`` of KPI's ``/data/`` endpoint, evaluated on submission dicts."""

from __future__ import annotations

import re
from typing import Any

# KPI's MongoHelper.KEY_WHITELIST; any other $key (e.g. $eq) and any dotted key is base64-encoded by KPI and
# so matches nothing — except keys under _validation_status.
WHITELIST = {"$or", "$and", "$in", "$nin", "$not", "$exists", "$gt", "$gte", "$lt", "$lte", "$regex", "$options",
             "$all", "$elemMatch", "$ne", "$expr", "$ifNull"}
UNSUPPORTED = {"$expr", "$ifNull"}


class UnsupportedQuery(ValueError):
    """A query this server cannot run (KPI answers such queries with 400 "Unsupported query")."""


_MISSING = object()


def _lookup(doc: dict[str, Any], key: str) -> Any:
    if key.startswith("_validation_status."):
        status = doc.get("_validation_status")
        return status.get(key.split(".", 1)[1], _MISSING) if isinstance(status, dict) else _MISSING
    return doc.get(key, _MISSING)


def _rank(value: Any) -> int:
    if value is _MISSING or value is None:
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, (int, float)):
        return 1
    if isinstance(value, str):
        return 2
    return 3 if isinstance(value, dict) else 4


def _equals(value: Any, target: Any) -> bool:
    if target is None:
        return value is _MISSING or value is None
    if isinstance(value, list) and not isinstance(target, list):
        return any(_rank(v) == _rank(target) and v == target for v in value)
    return value is not _MISSING and _rank(value) == _rank(target) and value == target


def _compare(value: Any, op: str, target: Any) -> bool:
    if isinstance(value, list):
        return any(_compare(v, op, target) for v in value)
    if value is _MISSING or _rank(value) != _rank(target) or _rank(value) not in (1, 2):
        return False
    return {"$gt": value > target, "$gte": value >= target, "$lt": value < target, "$lte": value <= target}[op]


def _match_ops(value: Any, cond: dict[str, Any]) -> bool:
    for op, arg in cond.items():
        if op == "$options":
            continue
        if op not in WHITELIST:
            return False
        if op in UNSUPPORTED:
            raise UnsupportedQuery(op)
        if op in ("$gt", "$gte", "$lt", "$lte"):
            ok = _compare(value, op, arg)
        elif op == "$ne":
            ok = not _equals(value, arg)
        elif op in ("$in", "$nin"):
            if not isinstance(arg, list):
                raise UnsupportedQuery(op)
            found = any(_equals(value, a) for a in arg)
            ok = found if op == "$in" else not found
        elif op == "$exists":
            ok = (value is not _MISSING) == bool(arg)
        elif op == "$regex":
            flags = re.IGNORECASE if "i" in str(cond.get("$options", "")) else 0
            ok = isinstance(value, str) and re.search(str(arg), value, flags) is not None
        elif op == "$not":
            ok = not (_match_ops(value, arg) if isinstance(arg, dict) else _match_ops(value, {"$regex": arg}))
        elif op == "$all":
            items = value if isinstance(value, list) else [value]
            ok = isinstance(arg, list) and all(any(_equals(i, a) for i in items) for a in arg)
        else:  # $elemMatch
            ok = isinstance(value, list) and any(isinstance(el, dict) and matches(el, arg) for el in value)
        if not ok:
            return False
    return True


def matches(doc: dict[str, Any], query: dict[str, Any]) -> bool:
    """Whether a submission matches a KPI ``query`` (a Mongo filter restricted as KPI restricts it)."""
    if not isinstance(query, dict):
        raise UnsupportedQuery("query must be an object")
    for key, cond in query.items():
        if key in ("$and", "$or"):
            if not isinstance(cond, list):
                raise UnsupportedQuery(key)
            results = (matches(doc, sub) for sub in cond)
            if not (all(results) if key == "$and" else any(results)):
                return False
        elif key.startswith("$"):
            if key in UNSUPPORTED or key in WHITELIST:
                raise UnsupportedQuery(key)
            return False
        elif "." in key and not key.startswith("_validation_status."):
            return False
        else:
            value = _lookup(doc, key)
            is_ops = isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond)
            if not (_match_ops(value, cond) if is_ops else _equals(value, cond)):
                return False
    return True


def _sort_key(value: Any) -> tuple[int, Any]:
    rank = _rank(value)
    return (rank, value) if rank in (1, 2) else (rank, 0)


def sort_rows(rows: list[dict[str, Any]], sort: dict[str, int]) -> list[dict[str, Any]]:
    """Rows sorted by several keys (1 ascending, -1 descending), missing values first as in Mongo."""
    out = list(rows)
    for key, direction in reversed(list(sort.items())):
        out.sort(key=lambda row: _sort_key(_lookup(row, key)), reverse=int(direction) < 0)
    return out


def project(row: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """The row restricted to ``fields`` plus ``_id``, ``_uuid`` and ``meta/rootUuid``, with ``_validation_status``."""
    wanted = set(fields) | {"_id", "_uuid", "meta/rootUuid"}
    out = {k: v for k, v in row.items() if k in wanted}
    out.setdefault("_validation_status", row.get("_validation_status") or {})
    return out
