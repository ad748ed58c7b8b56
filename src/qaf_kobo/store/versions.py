"""Edit chains: which stored submission a row belongs to, and which of its versions is older.

A submission keeps its ``meta/rootUuid`` across edits; each version has its own instance id (``_uuid``). A KPI
edit names the version it replaced in ``meta/deprecatedID`` (one step back only); an ODK Central OData row never
does, but counts its edits in ``__system/edits`` — a version with edits is not the original either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qaf_kobo.errors import QafError

Row = dict[str, Any]
"""A submission as the API returns it (flat keys such as ``details_scope/country``)."""


def bare_uuid(value: str) -> str:
    """A uuid without its ``uuid:`` prefix (both forms are accepted everywhere)."""
    return value[5:] if value.startswith("uuid:") else value


def root_uuid_of(row: Row) -> str:
    """The submission's stable key: ``meta/rootUuid`` (else its instance id, for rows from servers before KPI 2.025);
    a QafError for a row that has none (the caller says which row)."""
    for key in ("meta/rootUuid", "meta/instanceID", "_uuid"):
        value = row.get(key)
        if isinstance(value, str) and bare_uuid(value).strip():
            return bare_uuid(value).strip()
    raise QafError("it has neither meta/rootUuid nor _uuid (as text), by which the store keys submissions")


def instance_uuid(row: Row) -> str | None:
    """The version's own id: ``_uuid`` (else ``meta/instanceID``) without the prefix; it changes on every edit."""
    return bare_uuid(str(row.get("_uuid") or row.get("meta/instanceID") or "")) or None


def edit_count(row: Row) -> int:
    """How many times the submission was edited, as Central counts it (``__system/edits``; 0 when absent)."""
    value = row.get("__system/edits")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def deprecated_uuid(row: Row) -> str | None:
    """The id of the version this one replaced (``meta/deprecatedID``, set by an edit), without the prefix."""
    value = row.get("meta/deprecatedID")
    return bare_uuid(value).strip() or None if isinstance(value, str) else None


@dataclass(frozen=True)
class Version:
    """One version of a submission: the row, its instance id and the id of the version it replaced."""

    row: Row
    uuid: str | None
    replaces: str | None
    edits: int = 0

    @classmethod
    def of(cls, row: Row) -> Version:
        """The version a row is."""
        return cls(row, instance_uuid(row), deprecated_uuid(row), edit_count(row))

    def is_original(self, root: str) -> bool:
        """True for the first version (no edit before it), whose instance id is the root."""
        return (self.replaces is None and self.edits == 0) or self.uuid == root


def is_older(incoming: Version, stored: Version, root: str, known_older: set[str]) -> bool:
    """Whether ``incoming`` is known to be an earlier version than ``stored`` (a different version of ``root``):
    its id is among the ids known to be older, or it is the original while the stored one is an edit (unless it
    says it replaced the stored one)."""
    if incoming.uuid is not None and incoming.uuid in known_older:
        return True
    if incoming.replaces == stored.uuid:
        return False
    return incoming.is_original(root) and not stored.is_original(root)


def order_versions(root: str, rows: list[Row]) -> list[Row]:
    """Versions of one submission oldest first, by their ``meta/deprecatedID`` links (the original leads).

    The same ``_uuid`` twice keeps its last copy. Versions the links cannot put in one order (two edits of one
    version, or two unlinked edits) are a QafError.
    """
    if len(rows) == 1:
        return rows
    by_uuid: dict[str, Version] = {}
    for number, row in enumerate(rows):
        version = Version.of(row)
        by_uuid[version.uuid or f"#{number}"] = version
    if len(by_uuid) == 1:
        return [v.row for v in by_uuid.values()]
    problem = f"submission {root} appears in {len(by_uuid)} versions ({', '.join(by_uuid)}) that "
    follows: dict[str, str] = {}
    for uuid, version in by_uuid.items():
        if version.replaces in by_uuid:
            if version.replaces in follows:
                raise QafError(problem + f"include two edits of {version.replaces}; import them separately")
            follows[version.replaces] = uuid
    heads = [u for u, version in by_uuid.items() if version.replaces not in by_uuid]
    heads.sort(key=lambda u: not by_uuid[u].is_original(root))  # the original's chain first
    originals = [by_uuid[u].is_original(root) for u in heads]
    if len(heads) > 2 or (len(heads) == 2 and originals != [True, False]):
        raise QafError(problem + "meta/deprecatedID does not put in one order; import them separately, oldest first")
    ordered: list[str] = []
    for head in heads:
        link: str | None = head
        while link is not None and link not in ordered:
            ordered.append(link)
            link = follows.get(link)
    if len(ordered) != len(by_uuid):
        raise QafError(problem + "link to each other in a circle (meta/deprecatedID)")
    return [by_uuid[u].row for u in ordered]
