"""Sync from ODK Central into the store over real HTTP: a source per form, incremental on the server's own
timestamps, edits / reviews / soft deletes, restores and purges by --full, resumable after a failure, faults
retried, clear errors, and Kobo and Central submissions side by side."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from qaf_kobo.central.client import CentralError
from qaf_kobo.central.credentials import CentralCredentials, load_credentials
from qaf_kobo.central.submissions import CLOCK_MARGIN
from qaf_kobo.devserver import DevServer
from qaf_kobo.devserver.central import CentralDevServer
from qaf_kobo.errors import QafError
from qaf_kobo.store import open_store
from qaf_kobo.sync.central import sync_central
from qaf_kobo.sync.kobo import sync

from central_server import (  # noqa: F401
    EMAIL,
    PASSWORD,
    assert_store_equals_server,
    central,
    credentials,
    qaf_answers,
    qaf_form,
    seed,
    write_config,
)


def test_first_sync_then_nothing_new_is_one_odata_request(central: CentralDevServer, credentials: CentralCredentials,
                                                         tmp_path: Path) -> None:
    pid, fid, ids = seed(central, 2345)
    central.advance_clock(timedelta(minutes=10))  # the rows are older than the margin of the watermark
    store = tmp_path / "s.sqlite"
    seen: list[tuple[int, int]] = []
    started = central.now()
    first = sync_central(central.url, pid, fid, credentials, store, progress=lambda f, t: seen.append((f, t)))
    assert (first.new, first.updated, first.deleted, first.total) == (2345, 0, 0, 2345)
    assert first.source == f"central:{central.url.split('://')[1]}/{pid}/{fid}" and seen[-1] == (2345, 2345)
    assert_store_equals_server(store, central, pid, fid, first.source)
    with open_store(store) as st:
        state = st.source_state(first.source)
        source, = st.sources()
    mark = datetime.fromisoformat(state["watermark"].replace("Z", "+00:00"))
    # the server's clock when it answered the first page (its Date: whole seconds), minus the margin
    assert started - CLOCK_MARGIN - timedelta(seconds=1) <= mark <= central.now() - CLOCK_MARGIN
    assert state["last_sync"].endswith("Z")
    assert (source.kind, source.server, source.ref) == ("central", central.url, f"{pid}/{fid}")
    before = central.request_count(".svc/Submissions")
    again = sync_central(central.url, pid, fid, credentials, store)
    assert central.request_count(".svc/Submissions") - before == again.data_requests == 1
    assert (again.new, again.updated, again.total) == (0, 0, 2345)


def test_edits_reviews_deletions_and_new_rows_on_the_servers_clock(tmp_path: Path) -> None:
    with CentralDevServer(email=EMAIL, password=PASSWORD, clock_offset=timedelta(hours=-7)) as server:
        creds = load_credentials(write_config(tmp_path / "c.toml", server.url))
        pid, fid, ids = seed(server, 40)
        store = tmp_path / "s.sqlite"
        sync_central(server.url, pid, fid, creds, store)
        server.edit_submission(ids[3], {qaf_form().key("agency"): "Edited agency", qaf_form().key("notes_1"): None})
        server.set_review_state(ids[4], "approved")
        server.set_review_state(ids[5], "rejected")
        server.delete_submission(ids[6])
        new = server.add_submission(qaf_answers(400))
        result = sync_central(server.url, pid, fid, creds, store)
        assert (result.new, result.updated, result.deleted, result.total) == (1, 3, 1, 40)
        assert_store_equals_server(store, server, pid, fid, result.source)
        with open_store(store) as st:
            status = dict(st.conn.execute("SELECT root_uuid, validation_status FROM submissions"))
            history = st.history(ids[3], result.source)
            deleted = st.conn.execute("SELECT root_uuid FROM submissions WHERE deleted_at IS NOT NULL").fetchall()
        bare = lambda i: i.removeprefix("uuid:")  # noqa: E731
        assert status[bare(ids[4])] == "validation_status_approved"
        assert status[bare(ids[5])] == "validation_status_not_approved"  # rejected: not scored
        assert deleted == [(bare(ids[6]),)] and bare(new) in status
        assert len(history) == 1 and history[0]["meta/instanceID"] == ids[3]


def test_restores_and_purges_are_found_by_a_full_scan_only(central: CentralDevServer, credentials: CentralCredentials,
                                                           tmp_path: Path) -> None:
    pid, fid, ids = seed(central, 30)
    central.advance_clock(timedelta(minutes=10))  # the rows are older than the margin of the watermark
    store = tmp_path / "s.sqlite"
    sync_central(central.url, pid, fid, credentials, store)
    central.delete_submission(ids[1])
    assert sync_central(central.url, pid, fid, credentials, store).deleted == 1
    central.restore_submission(ids[1])
    central.delete_submission(ids[2])
    central.purge_submission(ids[2])  # gone before any sync saw its deletion
    plain = sync_central(central.url, pid, fid, credentials, store)
    assert (plain.new, plain.updated, plain.deleted, plain.total) == (0, 0, 0, 29)  # neither moves a timestamp
    full = sync_central(central.url, pid, fid, credentials, store, full=True)
    assert (full.updated, full.deleted, full.total) == (1, 1, 29)
    assert_store_equals_server(store, central, pid, fid, full.source)


def test_an_interrupted_sync_resumes_with_nothing_lost_or_twice(central: CentralDevServer,
                                                                credentials: CentralCredentials, tmp_path: Path) -> None:
    pid, fid, ids = seed(central, 2500)
    store = tmp_path / "s.sqlite"
    central.inject_fault("502", times=1000, after=1)  # the first page arrives, then the server keeps failing
    with pytest.raises(QafError, match="HTTP 502"):
        sync_central(central.url, pid, fid, credentials, store, retries=1)
    with open_store(store) as st:
        status = st.status()
    assert status.submissions == 1000 and "502" in (status.last_error or "")
    assert "watermark" not in status.sources[0].state  # pages come newest first: no watermark until complete
    central.clear_faults()
    central.add_submission(qaf_answers(9000))
    result = sync_central(central.url, pid, fid, credentials, store)
    assert (result.new, result.total) == (1501, 2501)
    assert_store_equals_server(store, central, pid, fid, result.source)
    with open_store(store) as st:
        assert st.status().last_error is None


@pytest.mark.parametrize("kind", ["429", "drop", "truncate", "cut"])
def test_faults_are_retried(central: CentralDevServer, credentials: CentralCredentials, tmp_path: Path,
                            kind: str) -> None:
    pid, fid, _ = seed(central, 1200)
    central.inject_fault(kind, times=2, after=1)
    result = sync_central(central.url, pid, fid, credentials, tmp_path / "s.sqlite")
    assert result.new == 1200
    assert_store_equals_server(tmp_path / "s.sqlite", central, pid, fid, result.source)


def test_clear_errors_for_a_wrong_password_project_or_form(central: CentralDevServer, tmp_path: Path) -> None:
    pid, fid, _ = seed(central, 2)
    store = tmp_path / "s.sqlite"
    wrong = load_credentials(write_config(tmp_path / "w.toml", central.url, password="wrong-password-123"))
    with pytest.raises(CentralError, match=f"did not accept the login of {EMAIL}.*check username and password in"):
        sync_central(central.url, pid, fid, wrong, store)
    good = load_credentials(write_config(tmp_path / "g.toml", central.url))
    with pytest.raises(CentralError, match="project 99 not found"):
        sync_central(central.url, 99, fid, good, store)
    with pytest.raises(CentralError, match="form 'qaf' not found in project"):
        sync_central(central.url, pid, "qaf", good, store, source="mine")
    with open_store(store) as st:
        assert "form 'qaf' not found" in st.source_state("mine")["last_error"]


def test_kobo_and_central_submissions_side_by_side(central: CentralDevServer, credentials: CentralCredentials,
                                                   tmp_path: Path) -> None:
    pid, fid, ids = seed(central, 3)
    store = tmp_path / "s.sqlite"
    with DevServer(token="kobo-token-for-this-test") as kobo:
        uid = kobo.create_asset()
        same = central.odata_rows(pid, fid)[0]
        kobo.add_submission({**qaf_answers(7), "meta/instanceID": same["__id"]}, uid)  # one id in both sources
        kobo.add_submission(qaf_answers(8), uid)
        sync(kobo.url, uid, "kobo-token-for-this-test", store, source="jordan")
    sync_central(central.url, pid, fid, credentials, store, source="iraq")
    with open_store(store) as st:
        status = st.status()
        batches = list(st.raw_batches())
    assert status.submissions == 5 and [(s.source.name, s.submissions) for s in status.sources] == [("jordan", 2),
                                                                                                  ("iraq", 3)]
    roots = [r for b in batches for r in b.root_uuid]
    sources = [s for b in batches for s in b.source]
    shared = same["__id"].removeprefix("uuid:")
    assert sorted(sources) == ["iraq"] * 3 + ["jordan"] * 2
    assert f"jordan:{shared}" in roots and f"iraq:{shared}" in roots and len(set(roots)) == 5
