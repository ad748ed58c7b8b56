"""Changes made on the server while a multi-page sync runs (the test servers change their data between two pages)
are all in the store after the next sync — for ODK Central without --full; for KoboToolbox as far as its
incremental sync promises (new submissions), and the rest (edits, validation statuses, deletions) with --full."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from qaf_kobo.central.credentials import load_credentials
from qaf_kobo.devserver import DevServer
from qaf_kobo.devserver.central import CentralDevServer
from qaf_kobo.store import open_store
from qaf_kobo.sync.central import sync_central
from qaf_kobo.sync.kobo import sync

from central_server import EMAIL, PASSWORD, qaf_answers, qaf_form, seed, write_config
from central_server import assert_store_equals_server as assert_central_store_equals_server
from kobo_server import TOKEN, assert_store_equals_server, store_rows
from kobo_server import seed as seed_kobo


def test_central_changes_between_pages_come_with_the_next_sync_without_full(tmp_path: Path) -> None:
    with CentralDevServer(email=EMAIL, password=PASSWORD, clock_offset=timedelta(hours=-5)) as server:
        creds = load_credentials(write_config(tmp_path / "c.toml", server.url))
        pid, fid, ids = seed(server, 1050)  # two OData pages of 1,000, newest first
        server.advance_clock(timedelta(minutes=10))
        store = tmp_path / "s.sqlite"
        added: list[str] = []
        rejected, edited, gone_read, gone_unread = ids[-1], ids[0], ids[-2], ids[1]  # page 1: ids[-1000:]

        def meanwhile() -> None:  # after page 1 was answered, before page 2
            added.append(server.add_submission(qaf_answers(5000)))
            server.advance_clock(timedelta(seconds=30))
            server.set_review_state(rejected, "rejected")  # already read on page 1
            server.delete_submission(gone_read)  # already read on page 1
            server.delete_submission(gone_unread)  # on page 2: not read at all
            server.advance_clock(timedelta(seconds=30))
            server.edit_submission(edited, {qaf_form().key("agency"): "Edited agency"})  # the oldest: on page 2

        server.between_pages(meanwhile)
        first = sync_central(server.url, pid, fid, creds, store)
        assert added and first.new == 1049  # page 2: the edit read, the row deleted there not
        result = sync_central(server.url, pid, fid, creds, store)
        assert (result.new, result.updated, result.deleted, result.total) == (1, 1, 1, 1049)
        assert_central_store_equals_server(store, server, pid, fid, result.source)
        with open_store(store) as st:
            status = dict(st.conn.execute("SELECT root_uuid, validation_status FROM submissions"))
        assert status[rejected.removeprefix("uuid:")] == "validation_status_not_approved"  # not scored
        assert added[0].removeprefix("uuid:") in status


def test_kobo_changes_between_pages(tmp_path: Path) -> None:
    with DevServer(token=TOKEN, max_page_size=50) as server:
        uid = seed_kobo(server, 120)  # three pages of 50
        rows = server.submissions(uid)
        store = tmp_path / "s.sqlite"
        added: list[str] = []
        oldest, second, newest = (rows[i]["meta/rootUuid"] for i in (0, 1, -1))

        def meanwhile() -> None:  # after page 1 was answered, before the next
            added.append(server.add_submission(qaf_answers(5000), uid)["meta/rootUuid"])
            server.edit_submission(oldest, {qaf_form().key("agency"): "Edited agency"}, uid)  # read on page 1
            server.set_validation_status(second, "validation_status_not_approved", uid)  # read on page 1
            server.delete_submission(newest, uid)  # on the last page

        server.between_pages(meanwhile)
        sync(server.url, uid, TOKEN, store)
        sync(server.url, uid, TOKEN, store)
        # promised without --full: every submission created on the server is in the store, the new one included
        assert added[0] in store_rows(store) and set(store_rows(store)) >= {r["meta/rootUuid"] for r in
                                                                            server.submissions(uid)}
        # edits, validation statuses and deletions are found by the id scan of --full
        full = sync(server.url, uid, TOKEN, store, full=True)
        assert full.updated == 2  # the newest may have been read before its deletion, or not
        assert_store_equals_server(store, server, uid)
