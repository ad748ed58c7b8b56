"""Sync a form's submissions from ODK Central into the local store: incremental by the server's timestamps, or a
full id scan that also finds restores and purges.

Each OData page is written in one transaction. The watermark — the server's clock when it answered the first
page, minus a margin (see :mod:`qaf_kobo.central.submissions`) — is saved only when a sync completes, because
pages come newest first: an interrupted sync is simply run again from the same watermark. Whatever changed on
the server after the first page was answered (a new submission, a review of a row already read, a deletion) is
after the watermark and comes with the next sync; rows read again unchanged are dropped by the store.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from qaf_kobo.central.client import CentralClient
from qaf_kobo.central.credentials import CentralCredentials
from qaf_kobo.central.rows import odata_store_row
from qaf_kobo.central.submissions import fetch_one, id_scan, incremental_filter, iter_pages, next_watermark
from qaf_kobo.errors import QafError
from qaf_kobo.store import DEFAULT_STORE, Store, UpsertCounts, default_name, open_store, utc_now
from qaf_kobo.sync.result import Progress, SyncResult

log = logging.getLogger(__name__)

FULL_READ_AT = 200  # more changed rows than this in a full scan: read every page instead of one row per request


def sync_central(server: str, project_id: int, form_id: str, credentials: CentralCredentials,
                 store_path: Path | str = DEFAULT_STORE, *, source: str | None = None, full: bool = False,
                 progress: Progress | None = None, retries: int = 6) -> SyncResult:
    """Pull what changed on the server since the last sync (with ``full``, also restores and purges) into the
    store, as the submissions of the source ``source`` (default ``central:<host>/<project>/<form>``). Errors are
    kept as the source's last error and raised as QafError."""
    with CentralClient(server, credentials, retries=retries) as client, open_store(store_path) as store:
        name = source or default_name("central", client.server, f"{project_id}/{form_id}")
        lock = store.lock()
        try:
            store.add_source(name, "central", client.server, f"{project_id}/{form_id}")
            try:
                result = _sync(store, client, name, project_id, form_id, full, progress)
            except Exception as exc:
                _record_error(store, name, exc)
                raise
        finally:
            lock.release()
    log.info("%s", result.summary())
    return result


def _record_error(store: Store, name: str, exc: BaseException) -> None:
    try:
        store.set_source_state(name, {"last_error": f"{utc_now()} {exc}"})
    except QafError:
        pass  # the store cannot be written: the error raised says why


def _sync(store: Store, client: CentralClient, name: str, project_id: int, form_id: str, full: bool,
          progress: Progress | None) -> SyncResult:
    form = client.form(project_id, form_id)
    checks = client.requests_made
    state = store.source_state(name)
    mark = state.get("watermark")
    counts, deleted, fetched = UpsertCounts(), 0, 0
    new_mark: str | None = None
    for page in iter_pages(client, project_id, form_id, filter=incremental_filter(mark) if mark else None):
        new_mark = new_mark or next_watermark(page)
        rows: list[dict[str, Any]] = []
        gone: list[dict[str, Any]] = []
        for row in page.rows:
            (gone if (row.get("__system") or {}).get("deletedAt") else rows).append(row)
        counts.add(store.upsert_page([odata_store_row(r) for r in rows], source=name))
        deleted += store.mark_deleted([str(r["__id"]) for r in gone], source=name)
        fetched += len(page.rows)
        if progress:
            progress(fetched, max(page.count or 0, fetched))
    if full:
        deleted += _full_scan(store, client, name, project_id, form_id, counts)
    store.set_source_state(name, {"watermark": new_mark, "last_sync": utc_now(), "last_error": None,
                                  "form_version": str(form.get("version") or "") or None})
    return SyncResult(name, counts.new, counts.updated, deleted, store.source_count(name), client.requests_made,
                             client.requests_made - checks)


def _stamp(row: dict[str, Any]) -> tuple[Any, Any]:
    return row.get("__system/updatedAt"), row.get("__system/reviewState")


def _full_scan(store: Store, client: CentralClient, name: str, project_id: int, form_id: str,
               counts: UpsertCounts) -> int:
    """Compare every id on the server with the source's active rows: fetch those missing or changed (restored
    ones included), mark those the server no longer shows (deleted, or purged) as deleted."""
    on_server = id_scan(client, project_id, form_id)
    local = {str(row["meta/rootUuid"]): _stamp(row) for row in store.active_submissions(name)}
    changed = [root for root, stamp in on_server.items() if local.get(root) != stamp]
    fetched = 0
    if len(changed) > FULL_READ_AT:
        for page in iter_pages(client, project_id, form_id):
            counts.add(store.upsert_page([odata_store_row(r) for r in page.rows], source=name))
            fetched += len(page.rows)
    else:
        rows = [row for row in (fetch_one(client, project_id, form_id, root) for root in changed) if row is not None]
        for i in range(0, len(rows), 500):
            counts.add(store.upsert_page([odata_store_row(r) for r in rows[i:i + 500]], source=name))
        fetched = len(rows)
    gone = [root for root in local if root not in on_server]
    log.debug("full scan: %d ids on the server, %d changed, %d fetched, %d gone", len(on_server), len(changed),
              fetched, len(gone))
    return store.mark_deleted(gone, source=name)
