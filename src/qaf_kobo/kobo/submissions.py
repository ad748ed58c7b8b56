"""Paged reads of an asset's submissions (``/api/v2/assets/<uid>/data/``): keyset paging on ``_id``, never one page."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from qaf_kobo.kobo.client import KoboClient

DATA_LIMIT = 1000  # KPI's maximum page; a server with a lower cap silently gives fewer rows
ID_FIELDS = ("_id", "_uuid", "meta/rootUuid")
IDS_PER_QUERY = 100


@dataclass
class Page:
    """One /data/ answer: its rows, the server's ``count`` of rows matching the query, and the ``next`` link."""

    results: list[dict[str, Any]]
    count: int
    next: str | None


def data_path(asset_uid: str) -> str:
    """The API path of an asset's submissions."""
    return f"/api/v2/assets/{asset_uid}/data/"


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def get_page(client: KoboClient, asset_uid: str, query: dict[str, Any], *, fields: list[str] | None = None,
             start: int = 0, limit: int = DATA_LIMIT) -> Page:
    """One page of rows matching ``query`` in ``_id`` order, from offset ``start``."""
    params: dict[str, Any] = {"query": _dumps(query), "sort": _dumps({"_id": 1}), "limit": limit, "start": start}
    if fields:
        params["fields"] = _dumps(list(fields))
    return _checked_page(client, client.get_json(data_path(asset_uid), params=params), data_path(asset_uid))


def _checked_page(client: KoboClient, body: Any, path: str) -> Page:
    """A /data/ answer checked for what paging relies on: a ``results`` list of objects, each with an integer
    ``_id``; ``count`` a number; ``next`` a link or null. Anything else is a KoboError that quotes the answer."""
    where = f"the server's answer to GET {path}"
    if not isinstance(body, dict):
        raise client.error(f"{where} is {json_kind(body)}, not a page of submissions ({{\"count\", \"next\", "
                           "\"results\"}) — is --server a KoboToolbox server?")
    results, count, link = body.get("results"), body.get("count"), body.get("next")
    if not isinstance(results, list):
        raise client.error(f"{where} has no list of submissions (\"results\": {_show(results)}) — is --server a "
                           "KoboToolbox server?")
    if count is None:
        count = len(results)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise client.error(f"{where} gives the number of submissions as {_show(count)} (\"count\"), not a number")
    if link is not None and not isinstance(link, str):
        raise client.error(f"{where} has a \"next\" link that is not a URL: {_show(link)}")
    for number, row in enumerate(results, 1):
        if not isinstance(row, dict):
            raise client.error(f"{where}: submission {number} of the page is {json_kind(row)}, not a JSON object")
        kobo_id = row.get("_id")
        if kobo_id is None:
            raise client.error(f"{where}: submission {number} of the page has no _id (keys: "
                               f"{_show(sorted(row)[:6])})")
        if isinstance(kobo_id, bool) or not isinstance(kobo_id, int):
            raise client.error(f"{where}: submission {number} of the page has _id {_show(kobo_id)}, not a whole "
                               "number")
    return Page(results, count, link)


def json_kind(value: Any) -> str:
    """What a JSON value is, for a message: "a JSON list", "a JSON string ("abc")"."""
    names = {dict: "object", list: "list", str: "string", bool: "boolean", int: "number", float: "number"}
    kind = "null" if value is None else names.get(type(value), type(value).__name__)
    return f"a JSON {kind}" + (f" ({_show(value)})" if isinstance(value, (str, int, float)) else "")


def _show(value: Any, limit: int = 60) -> str:
    """A JSON value as the server sent it, cut to ``limit`` characters."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def iter_pages_after(client: KoboClient, asset_uid: str, after_id: int, *, fields: list[str] | None = None,
                     workers: int = 4) -> Iterator[Page]:
    """Every row with ``_id > after_id``, page by page in ``_id`` order, each page continuing the previous one.

    The first page gives the server's ``count`` and page size. When more pages follow and ``workers > 1`` the
    rest are fetched concurrently over ``start`` offsets that overlap by one row; a page whose first row is not
    the previous page's last row (rows deleted or committed late while paging) stops that, and keyset paging
    (``_id > last``) finishes the job. So the rows yielded are exact whatever the server's page cap.
    """
    query = {"_id": {"$gt": after_id}}
    first = get_page(client, asset_uid, query, fields=fields)
    yield first
    if not first.results or first.next is None:
        return
    cursor = first.results[-1]["_id"]
    size = len(first.results)
    if workers > 1 and size >= 2:
        chained, cursor = yield from _offset_pages(client, asset_uid, query, fields, first, workers)
        if chained:
            return
    while True:
        page = get_page(client, asset_uid, {"_id": {"$gt": cursor}}, fields=fields)
        if page.results:
            yield page
            cursor = page.results[-1]["_id"]
        if not page.results or page.next is None:
            return


def _offset_pages(client: KoboClient, asset_uid: str, query: dict[str, Any], fields: list[str] | None,
                  first: Page, workers: int) -> Generator[Page, None, tuple[bool, Any]]:
    """Concurrent pages at overlapping offsets after ``first``; returns (reached the end, last ``_id`` of the
    unbroken chain). With no offset page (``count`` says one page) the end is reached only if ``first`` said so."""
    count, size, cursor = first.count, len(first.results), first.results[-1]["_id"]
    stride = size - 1
    starts = iter(range(stride, count - 1, stride))
    pending: deque[Future[Page]] = deque()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kobo-page")

    def refill() -> None:
        while len(pending) < 2 * workers:
            start = next(starts, None)
            if start is None:
                return
            pending.append(pool.submit(get_page, client, asset_uid, query, fields=fields, start=start, limit=size))

    try:
        refill()
        last: Page | None = None
        while pending:
            page = pending.popleft().result()
            refill()
            if not page.results or page.results[0]["_id"] != cursor:
                return False, cursor
            last = Page(page.results[1:], count, page.next)
            yield last
            cursor = page.results[-1]["_id"]
        return (last or first).next is None, cursor
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def fetch_by_ids(client: KoboClient, asset_uid: str, ids: list[int]) -> list[dict[str, Any]]:
    """The full rows of the given ``_id`` values (those that still exist). A page the server cut short is
    continued by asking again for the ids not yet received — never by following its ``next`` link, so every
    request goes to the server's own API path."""
    rows: list[dict[str, Any]] = []
    for i in range(0, len(ids), IDS_PER_QUERY):
        wanted = sorted(ids[i:i + IDS_PER_QUERY])
        while wanted:
            page = get_page(client, asset_uid, {"_id": {"$in": wanted}})
            got = {row["_id"] for row in page.results}
            rows.extend(row for row in page.results if row["_id"] in wanted)
            if page.next is None:
                break
            if not got & set(wanted):
                raise client.error(f"the server's answer to GET {data_path(asset_uid)} says more submissions follow "
                                   "(\"next\") but holds none of the ones asked for")
            wanted = [kobo_id for kobo_id in wanted if kobo_id not in got]
    return rows
