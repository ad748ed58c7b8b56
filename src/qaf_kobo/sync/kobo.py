"""Sync an asset's submissions from KoboToolbox into the local store, as one source: incremental by ``_id``, or a
full scan."""

from __future__ import annotations

import logging
from pathlib import Path

from qaf_kobo.errors import QafError
from qaf_kobo.http.retry import DEFAULT_MAX_WAIT, Notice
from qaf_kobo.kobo.client import KoboClient
from qaf_kobo.kobo.submissions import ID_FIELDS, fetch_by_ids, iter_pages_after, json_kind
from qaf_kobo.store import (
    DEFAULT_STORE,
    Indexed,
    RowError,
    Store,
    UpsertCounts,
    bare_uuid,
    default_name,
    open_store,
    root_uuid_of,
    utc_now,
    validation_uid,
)
from qaf_kobo.sync.result import Progress, SyncResult

log = logging.getLogger(__name__)

OVERLAP_IDS = 100  # re-read this many ids below the last one seen: a row may commit after a higher _id


def sync(server: str, asset_uid: str, token: str, store_path: Path | str = DEFAULT_STORE, full: bool = False,
         progress: Progress | None = None, *, source: str | None = None, workers: int = 4, retries: int = 6,
         max_wait: float = DEFAULT_MAX_WAIT, notice: Notice | None = None) -> SyncResult:
    """Pull new submissions (and with ``full``, edits and hard deletions) of one asset into the store, as the
    submissions of the source ``source`` (default ``kobo:<host>/<asset uid>``).

    Each page is written in one transaction together with the ``_id`` it reached, so an interrupted sync
    leaves the store consistent and the next one carries on without duplicates. ``progress(fetched, total)``
    is called after each page. ``workers`` bounds concurrent page requests; ``retries`` is per request;
    ``max_wait`` is the longest Retry-After obeyed, and ``notice`` hears of every such wait (default: a logged
    warning). Errors are recorded as the source's ``last_error`` (when the store can still be written) and raised
    as QafError.
    """
    with KoboClient(server, token, retries=retries, max_wait=max_wait, notice=notice) as client, \
            open_store(store_path) as store:
        name = source or default_name("kobo", client.server, asset_uid)
        lock = store.lock()
        try:
            store.add_source(name, "kobo", client.server, asset_uid)
            result = _sync_locked(store, client, name, asset_uid, full, progress, workers)
        finally:
            lock.release()
    log.info("%s", result.summary())
    return result


def _sync_locked(store: Store, client: KoboClient, name: str, asset_uid: str, full: bool, progress: Progress | None,
                 workers: int) -> SyncResult:
    try:
        asset = client.get_json(f"/api/v2/assets/{asset_uid}/")
        if not isinstance(asset, dict):
            raise client.error(f"the server's answer to GET /api/v2/assets/{asset_uid}/ is not an asset "
                               f"({json_kind(asset)}) — is --server a KoboToolbox server?")
        deployed = asset.get("deployed_version_id")
        store.set_source_state(name, {"deployed_version_id": deployed if isinstance(deployed, str) and deployed
                                      else None})
        asset_requests = client.requests_made
        counts = _pull_new(client, store, name, asset_uid, progress, workers)
        deleted = _full_scan(client, store, name, asset_uid, counts, workers) if full else 0
        store.set_source_state(name, {"last_sync": utc_now(), "last_error": None})
    except RowError as exc:
        error = client.error(f"the server sent a submission of asset {asset_uid} that qaf-kobo cannot store "
                             f"({exc.label or 'no _id'}): {exc.problem}")
        _record_error(store, name, error)
        raise error from None
    except Exception as exc:
        _record_error(store, name, exc)
        raise
    return SyncResult(name, counts.new, counts.updated, deleted, store.source_count(name), client.requests_made,
                      client.requests_made - asset_requests)


def _record_error(store: Store, name: str, exc: BaseException) -> None:
    """Keep the error as the source's ``last_error`` for ``qaf-kobo status`` — unless the store itself is what
    fails (a full disk, a read-only file): then the error is only raised."""
    try:
        store.set_source_state(name, {"last_error": f"{utc_now()} {exc}"})
    except QafError:
        pass  # the store cannot be written: the error raised next says why


def _pull_new(client: KoboClient, store: Store, name: str, asset_uid: str, progress: Progress | None,
              workers: int) -> UpsertCounts:
    """Keyset pages after the last ``_id`` seen (minus the overlap window), each upserted in one transaction."""
    last_id = int(store.source_state(name).get("last_id") or 0)
    counts, fetched = UpsertCounts(), 0
    for page in iter_pages_after(client, asset_uid, max(0, last_id - OVERLAP_IDS), workers=workers):
        last_id = max([last_id, *(row["_id"] for row in page.results)])
        counts.add(store.upsert_page(page.results, source=name, state={"last_id": str(last_id)}))
        fetched += len(page.results)
        log.debug("page of %d rows, up to _id %d", len(page.results), last_id)
        if progress:
            progress(fetched, max(page.count, fetched))
    return counts


def _full_scan(client: KoboClient, store: Store, name: str, asset_uid: str, counts: UpsertCounts,
               workers: int) -> int:
    """Compare all ids on the server with the store: refetch rows that are missing, edited (new ``_uuid``) or
    have a new validation status (it comes with every id page); mark rows that vanished as deleted."""
    on_server: dict[str, tuple[int, Indexed]] = {}
    for page in iter_pages_after(client, asset_uid, 0, fields=list(ID_FIELDS), workers=workers):
        for number, row in enumerate(page.results, 1):
            try:
                root = root_uuid_of(row)
            except QafError as exc:
                raise RowError(number, f"_id {row['_id']}", str(exc)) from None
            on_server[root] = (row["_id"], Indexed(bare_uuid(str(row.get("_uuid", ""))), validation_uid(row)))
    local = store.active_index(name)
    refetch = [kobo_id for root, (kobo_id, state) in on_server.items() if local.get(root) != state]
    rows = fetch_by_ids(client, asset_uid, refetch)
    for i in range(0, len(rows), 1000):
        counts.add(store.upsert_page(rows[i:i + 1000], source=name))
    gone = [root for root in local if root not in on_server]
    log.debug("full scan: %d ids on the server, %d refetched, %d gone", len(on_server), len(rows), len(gone))
    return store.mark_deleted(gone, source=name)
