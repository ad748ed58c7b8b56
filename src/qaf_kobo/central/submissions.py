"""Paged OData reads of a Central form's submissions, as Central allows them.

Central gives ``Submissions`` newest first, ``$top`` rows a page, each page linking the next by
``@odata.nextLink`` (a ``$skiptoken`` naming the last row). ``$orderby`` cannot be combined with that paging
(the next link fails with 501.1), so none is sent. An incremental read asks for the rows whose
``submissionDate``, ``updatedAt`` or ``deletedAt`` is at or after a watermark in the server's own time
(``ge``; rows seen again are dropped by the store); such a filter mentions ``deletedAt``, so deleted rows come
too, marked with ``__system/deletedAt``. Restores and purges change none of those timestamps: only a full id scan
(:func:`id_scan`) finds them.

The watermark of a sync is the server's clock when the first page was answered (its ``Date`` header) minus
:data:`CLOCK_MARGIN` — never the latest timestamp seen: pages come newest first by creation, so a row created,
reviewed or deleted while later pages are read is on no page of this sync, yet may be older than an edit seen
on the last page.
"""

from __future__ import annotations

import email.utils
import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import requests

from qaf_kobo.central.client import CentralClient, CentralError, api_path
from qaf_kobo.kobo.submissions import json_kind

log = logging.getLogger(__name__)

PAGE_ROWS = 1000
CLOCK_MARGIN = timedelta(minutes=2)
"""How far before the first page's ``Date`` the watermark is set: the header has whole seconds, and a
submission's timestamp is taken when its transaction starts, which may commit a little later."""
TIMESTAMPS = ("submissionDate", "updatedAt", "deletedAt")
ID_SELECT = "__id,__system/updatedAt,__system/reviewState"


@dataclass(frozen=True)
class ODataPage:
    """One OData answer: its rows, the total ``count`` of rows matching (when asked), and the next link."""

    rows: list[dict[str, Any]]
    count: int | None
    next_link: str | None
    answered_at: datetime | None = None  # the server's clock (its Date header) when it answered


def incremental_filter(watermark: str) -> str:
    """The ``$filter`` for rows created, edited, reviewed or deleted at or after ``watermark`` (server time)."""
    return " or ".join(f"__system/{name} ge {watermark}" for name in TIMESTAMPS)


def answered_at(response: requests.Response) -> datetime | None:
    """The server's clock when it answered: its ``Date`` header (None when absent or unreadable)."""
    try:
        moment = email.utils.parsedate_to_datetime(response.headers.get("Date", ""))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def next_watermark(first_page: ODataPage) -> str:
    """The watermark to save after a complete sync: the first page's ``Date`` minus :data:`CLOCK_MARGIN`, in
    Central's timestamp form; this machine's clock when the server sent no Date (a proxy may drop it)."""
    moment = first_page.answered_at
    if moment is None:
        log.info("the server's first page had no Date header: the watermark uses this machine's clock")
        moment = datetime.now(timezone.utc)
    return (moment.astimezone(timezone.utc) - CLOCK_MARGIN).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _page(body: Any, what: str, response: requests.Response | None = None) -> ODataPage:
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
    return ODataPage(body["value"], count if isinstance(count, int) else None, next_link,
                     answered_at(response) if response is not None else None)



def submissions_path(project_id: int, form_id: str) -> str:
    """The API path of a form's OData feed of submissions."""
    return api_path("projects/{pid}/forms/{fid}.svc/Submissions", pid=project_id, fid=form_id)


def iter_pages(client: CentralClient, project_id: int, form_id: str, *, filter: str | None = None,
               select: str | None = None, top: int = PAGE_ROWS) -> Iterator[ODataPage]:
    """Every page of ``Submissions`` matching ``filter`` (repeats expanded unless ``select`` is given), newest
    first (with ``$count``), following ``@odata.nextLink`` until there is none — only on ``--server``'s origin:
    a link elsewhere is a CentralError naming both origins, and the session token is not sent there. The next
    page is requested as soon as its link is known, while the caller works on the current one (Central needs
    the link, so pages cannot be asked for further ahead)."""
    what = f"the submissions of form {form_id!r}"
    params = {"$top": str(top), "$count": "true"}
    params |= {"$filter": filter} if filter else {}
    params |= {"$select": select} if select else {"$expand": "*"}
    body, response = client.get(submissions_path(project_id, form_id), params)
    page = _page(body, what, response)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="odata-next") as ahead:
        while True:
            following = ahead.submit(lambda link: _page(client.get_json(link), what), page.next_link) \
                if page.next_link else None
            yield page  # the caller stores this page while the next one is on its way
            if following is None:
                return
            page = following.result()


def fetch_one(client: CentralClient, project_id: int, form_id: str, instance_id: str) -> dict[str, Any] | None:
    """One submission's OData row by its ``__id`` (None when it is deleted or gone)."""
    path = api_path("projects/{pid}/forms/{fid}.svc/Submissions('{iid}')", pid=project_id, fid=form_id,
                    iid=instance_id)
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
