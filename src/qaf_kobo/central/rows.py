"""Central's submissions in the store's row format: the shape the Kobo API gives, so one store, one scoring.

- Answers: Central's nested OData groups become flat ``group/sub/field`` keys; repeats become lists of dicts
  keyed by full paths; unanswered fields (null) are left out; every value is text (numbers as Kobo writes them,
  geo values back to ODK's ``lat lon alt acc``).
- Identity: ``meta/rootUuid`` is Central's ``__id`` (the first instanceID, kept across edits); ``meta/instanceID``
  and ``_uuid`` the current version's. Central's OData never shows ``meta/deprecatedID``: an edit is known by
  ``__system/edits`` (kept as ``__system/edits``, which the store's edit chains read) and by an instanceID that
  is not the ``__id``.
- Metadata: ``_submission_time`` (Kobo's form: UTC, seconds), ``__version__`` (the form version),
  ``_validation_status`` from the review state — ``approved`` is approved, ``rejected`` is not approved,
  ``hasIssues`` is on hold — and every ``__system`` property kept as ``__system/<name>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

REVIEW_STATUS = {"approved": ("validation_status_approved", "Approved"),
                 "rejected": ("validation_status_not_approved", "Not approved"),
                 "hasIssues": ("validation_status_on_hold", "On hold")}
"""Central's review state → the Kobo validation status the store and scoring understand."""


def as_text(value: Any) -> str:
    """An OData value as the Kobo API writes answers: text (``12``, ``2.5``, ``true``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _geo_text(value: Mapping[str, Any]) -> str | None:
    """GeoJSON from Central back to ODK's text (``lat lon alt acc``; points joined by ``;``), else None."""
    kind, coordinates = value.get("type"), value.get("coordinates")
    props = value.get("properties") or {}

    def point(coords: list[Any], accuracy: Any) -> str:
        lat_lon = [coords[1], coords[0], *coords[2:]]
        if accuracy is not None:
            lat_lon += [0] * (3 - len(lat_lon)) + [accuracy]
        return " ".join(as_text(c) for c in lat_lon)

    if kind == "Point" and isinstance(coordinates, list) and len(coordinates) >= 2:
        return point(coordinates, props.get("accuracy"))
    line = coordinates[0] if kind == "Polygon" and coordinates else coordinates
    if kind in ("LineString", "Polygon") and isinstance(line, list):
        accuracies = props.get("accuracies") or [None] * len(line)
        return ";".join(point(c, a) for c, a in zip(line, accuracies, strict=False))
    return None


GEO_TYPES = ("Point", "LineString", "Polygon")


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested OData answers → flat keys ``group/sub/field`` (repeats: lists of flat dicts keyed by full paths).
    Nulls, OData annotations (``…@odata.navigationLink``) and join ids (``__id``, ``__Submissions-id``) are left out."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None or key[:2] == "__" or "@" in key:
            continue
        path = prefix + key
        kind = type(value)
        if kind is str:
            out[path] = value
        elif kind is dict:
            if value.get("type") in GEO_TYPES and "coordinates" in value:
                text = _geo_text(value)
                if text is not None:
                    out[path] = text
            else:
                out.update(flatten(value, path + "/"))
        elif kind is list:
            items = [flatten(item, path + "/") for item in value if isinstance(item, dict)]
            if items:
                out[path] = items
        else:
            out[path] = as_text(value)
    return out


def kobo_time(timestamp: str | None) -> str | None:
    """Central's ``2026-03-01T10:00:00.123Z`` as Kobo's ``_submission_time``: ``2026-03-01T10:00:00`` (UTC)."""
    if not timestamp:
        return None
    try:
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return timestamp
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def validation_status(review_state: str | None) -> dict[str, str]:
    """The Kobo ``_validation_status`` for a Central review state (``{}`` when it says nothing about approval)."""
    if review_state not in REVIEW_STATUS:
        return {}
    uid, label = REVIEW_STATUS[review_state]
    return {"uid": uid, "label": label}


def bare(instance_id: str) -> str:
    """An instanceID without its ``uuid:`` prefix."""
    return instance_id[5:] if instance_id.startswith("uuid:") else instance_id


def store_row(root_id: str, answers: dict[str, Any], system: Mapping[str, Any]) -> dict[str, Any]:
    """A store row from a submission's root id (``__id``, ``KEY``), its flat answers and its ``__system``
    properties (Central's names: ``submissionDate``, ``updatedAt``, ``reviewState``, ``formVersion`` …)."""
    instance = answers.get("meta/instanceID") or root_id
    row = dict(answers)
    row["meta/instanceID"] = instance
    row["meta/rootUuid"] = root_id
    row["_uuid"] = bare(instance)
    row["_submission_time"] = kobo_time(system.get("submissionDate"))
    row["__version__"] = system.get("formVersion")
    row["_validation_status"] = validation_status(system.get("reviewState"))
    row["__id"] = root_id
    for name, value in system.items():
        row[f"__system/{name}"] = value
    return row


def odata_store_row(odata: Mapping[str, Any]) -> dict[str, Any]:
    """One OData row of ``Submissions`` (``$expand=*``) as a store row."""
    root = odata.get("__id")
    if not isinstance(root, str) or not root:
        raise ValueError("an OData row without __id")
    return store_row(root, flatten(odata), odata.get("__system") or {})
