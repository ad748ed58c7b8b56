"""Paged OData reads of a Central form's submissions, as Central allows them.

Central gives ``Submissions`` newest first, ``$top`` rows a page, each page linking the next by
``@odata.nextLink`` (a ``$skiptoken`` naming the last row). ``$orderby`` cannot be combined with that paging
(the next link fails with 501.1), so none is sent. An incremental read asks for the rows whose
``submissionDate``, ``updatedAt`` or ``deletedAt`` is at or after a watermark taken from the server's own
timestamps (``ge``: a millisecond may hold several events; rows seen again are dropped by the store); such a
filter mentions ``deletedAt``, so deleted rows come too, marked with ``__system/deletedAt``. Restores and purges
change none of those timestamps: only a full id scan (:func:`id_scan`) finds them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from qaf_kobo.central.client import CentralClient, CentralError
from qaf_kobo.kobo.submissions import json_kind

PAGE_ROWS = 1000
TIMESTAMPS = ("submissionDate", "updatedAt", "deletedAt")
ID_SELECT = "__id,__system/updatedAt,__system/reviewState"


@dataclass(frozen=True)
class ODataPage:
    """One OData answer: its rows, the total ``count`` of rows matching (when asked), and the next link."""

    rows: list[dict[str, Any]]
    count: int | None
    next_link: str | None


def incremental_filter(watermark: str) -> str:
    """The ``$filter`` for rows created, edited, reviewed or deleted at or after ``watermark`` (server time)."""
    return " or ".join(f"__system/{name} ge {watermark}" for name in TIMESTAMPS)


def _moment(text: object) -> datetime | None:
    """A server timestamp as an aware datetime; None when it is not one."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def watermark_of(row: dict[str, Any], current: str | None = None) -> str | None:
    """The latest of ``current`` and a row's ``__system`` timestamps, as the server wrote it (a value that is not
    a timestamp with its offset is passed over: the watermark then stays behind, which only reads more again)."""
    system = row.get("__system")
    system = system if isinstance(system, dict) else {}
    candidates = [(m, t) for t in (current, *(system.get(name) for name in TIMESTAMPS)) if (m := _moment(t))]
    return max(candidates, key=lambda c: c[0])[1] if candidates else None


def _page(body: Any, what: str) -> ODataPage:
    """An OData page of submissions; a CentralError naming the answer when it is not one, or when a row is not a
    submission (a JSON object with a non-empty text ``__id``)."""
    if not isinstance(body, dict) or not isinstance(body.get("value"), list):
        raise CentralError(f"the answer to {what} is not an OData page (no value list)")
    for number, row in enumerate(body["value"], 1):
        if not isinstance(row, dict):
            raise CentralError(f"the answer to {what}: row {number} of the page is {json_kind(row)}, not a "
                               "submission")
        if not isinstance(row.get("__id"), str) or not row["__id"]:
            raise CentralError(f"the answer to {what}: row {number} of the page has no __id (a submission's id) — "
                               f"__id is {json.dumps(row.get('__id'))[:60]}")
        if not isinstance(row.get("__system", {}), dict):
            raise CentralError(f"the answer to {what}: row {number} of the page has a __system that is "
                               f"{json_kind(row['__system'])}, not an object of timestamps and states")
    count = body.get("@odata.count")
    next_link = body.get("@odata.nextLink")
    if next_link is not None and not isinstance(next_link, str):
        raise CentralError(f"the answer to {what} has an @odata.nextLink that is not a link: "
                           f"{json.dumps(next_link)[:60]}")
    return ODataPage(body["value"], count if isinstance(count, int) else None, next_link)



def iter_pages(client: CentralClient, project_id: int, form_id: str, *, filter: str | None = None,
               select: str | None = None, top: int = PAGE_ROWS, next_link: str | None = None) -> Iterator[ODataPage]:
    """Every page of ``Submissions`` matching ``filter`` (repeats expanded unless ``select`` is given), newest
    first, following ``@odata.nextLink`` until there is none; ``next_link`` resumes at a page. The first page
    comes through pyodk's ``get_table`` (with ``$count``), the others from their links."""
    what = f"the submissions of form {form_id!r}"
    if next_link is None:
        body = client.session.retrying_body(
            lambda: client.pyodk.submissions.get_table(form_id=form_id, project_id=project_id, top=top, count="true",
                                                      filter=filter, select=select,
                                                      expand=None if select else "*"), what)
    else:
        body = client.get_json(next_link)
    page = _page(body, what)
    yield page
    while page.next_link:
        page = _page(client.get_json(page.next_link), what)
        yield page


def fetch_one(client: CentralClient, project_id: int, form_id: str, instance_id: str) -> dict[str, Any] | None:
    """One submission's OData row by its ``__id`` (None when it is deleted or gone)."""
    path = client.session.urlformat("projects/{pid}/forms/{fid}.svc/", pid=project_id, fid=form_id)
    path += "Submissions('" + client.session.urlquote(instance_id) + "')"
    try:
        body = client.get_json(path, params={"$expand": "*"})
    except CentralError as err:
        if err.status == 404:
            return None
        raise
    rows = _page(body, f"submission {instance_id}").rows
    return rows[0] if rows else None


def id_scan(client: CentralClient, project_id: int, form_id: str, *, top: int = 10 * PAGE_ROWS) -> dict[str, tuple[str | None, str | None]]:
    """Every submission the server shows (deleted ones are hidden): ``__id`` → (``updatedAt``, ``reviewState``)."""
    found: dict[str, tuple[str | None, str | None]] = {}
    for page in iter_pages(client, project_id, form_id, select=ID_SELECT, top=top):
        for row in page.rows:
            system = row.get("__system") or {}
            found[str(row["__id"])] = (system.get("updatedAt"), system.get("reviewState"))
    return found
