"""Sync against the devserver over real HTTP: first pull, incremental re-sync, edits and deletions, page caps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.devserver import DevServer
from qaf_kobo.errors import QafError
from qaf_kobo.store import open_store
from qaf_kobo.sync.kobo import sync

from kobo_server import TOKEN, assert_store_equals_server, kobo, qaf_answers, qaf_form, seed, store_rows  # noqa: F401


def test_first_sync_pulls_everything_and_records_meta(kobo: DevServer, tmp_path: Path) -> None:
    uid = seed(kobo, 2500)
    seen: list[tuple[int, int]] = []
    result = sync(kobo.url, uid, TOKEN, tmp_path / "s.sqlite", progress=lambda f, t: seen.append((f, t)))
    assert (result.new, result.updated, result.deleted, result.total) == (2500, 0, 0, 2500)
    assert_store_equals_server(tmp_path / "s.sqlite", kobo, uid)
    assert seen[-1] == (2500, 2500)
    with open_store(tmp_path / "s.sqlite") as store:
        source, = store.sources()
        state = store.source_state(result.source)
    assert (source.name, source.kind, source.server, source.ref) == (
        f"kobo:{kobo.url.split('://')[1]}/{uid}", "kobo", kobo.url, uid) and result.source == source.name
    assert state["deployed_version_id"].startswith("v") and state["last_sync"].endswith("Z")
    assert state["last_id"] == str(max(r["_id"] for r in kobo.submissions(uid)))


def test_resync_with_nothing_new_makes_one_data_request(kobo: DevServer, tmp_path: Path) -> None:
    uid = seed(kobo, 1500)
    store = tmp_path / "s.sqlite"
    sync(kobo.url, uid, TOKEN, store)
    before = kobo.request_count("/data/")
    result = sync(kobo.url, uid, TOKEN, store)
    assert kobo.request_count("/data/") - before == 1
    assert (result.new, result.updated, result.data_requests) == (0, 0, 1)


def test_incremental_sync_gets_new_rows_and_one_committed_late(kobo: DevServer, tmp_path: Path) -> None:
    uid = seed(kobo, 300)
    store = tmp_path / "s.sqlite"
    sync(kobo.url, uid, TOKEN, store)
    top = max(r["_id"] for r in kobo.submissions(uid))
    for i in range(5):
        kobo.add_submission(qaf_answers(1000 + i), uid)
    highest = kobo.add_submission({**qaf_answers(2001), "_id": top + 10_000}, uid)
    assert sync(kobo.url, uid, TOKEN, store).new == 6
    # a row committed after that sync but with a lower _id: the overlap window still finds it
    kobo.add_submission({**qaf_answers(2002), "_id": highest["_id"] - 20}, uid)
    assert sync(kobo.url, uid, TOKEN, store).new == 1
    assert_store_equals_server(store, kobo, uid)


def test_full_sync_finds_edits_and_hard_deletes(kobo: DevServer, tmp_path: Path) -> None:
    uid = seed(kobo, 400)
    store = tmp_path / "s.sqlite"
    sync(kobo.url, uid, TOKEN, store)
    rows = kobo.submissions(uid)
    edited = rows[10]["meta/rootUuid"]
    criterion, notes = qaf_form().key("c_1_1"), qaf_form().key("notes_1")
    kobo.edit_submission(edited, {criterion: "4", notes: None}, uid)
    kobo.set_validation_status(rows[11]["meta/rootUuid"], "validation_status_approved", uid)
    for row in rows[20:23]:
        kobo.delete_submission(row["meta/rootUuid"], uid)

    plain = sync(kobo.url, uid, TOKEN, store)
    assert (plain.updated, plain.deleted) == (0, 0)  # an _id cursor cannot see edits or deletions
    full = sync(kobo.url, uid, TOKEN, store, full=True)
    assert (full.new, full.deleted, full.total) == (0, 3, 397)
    assert full.updated == 2  # the edit (new _uuid) and the new validation status
    assert_store_equals_server(store, kobo, uid)
    with open_store(store) as st:
        history = st.history(edited, full.source)
        status = st.status()
        deleted = st.conn.execute("SELECT COUNT(*) FROM submissions WHERE deleted_at IS NOT NULL").fetchone()[0]
    assert len(history) == 1 and history[0]["_uuid"] == rows[10]["_uuid"]
    assert store_rows(store)[edited][criterion] == "4" and notes not in store_rows(store)[edited]
    assert (status.submissions, status.deleted, deleted) == (397, 3, 3)


def test_full_sync_restores_a_deleted_row_that_comes_back_and_rereads_changed_status(kobo: DevServer,
                                                                                     tmp_path: Path) -> None:
    uid = seed(kobo, 50)
    store = tmp_path / "s.sqlite"
    sync(kobo.url, uid, TOKEN, store)
    row = kobo.submissions(uid)[5]
    kobo.delete_submission(row["meta/rootUuid"], uid)
    assert sync(kobo.url, uid, TOKEN, store, full=True).deleted == 1
    kobo.add_submission(row, uid)
    result = sync(kobo.url, uid, TOKEN, store, full=True)
    assert (result.updated, result.deleted, result.total) == (1, 0, 50)
    assert_store_equals_server(store, kobo, uid)


@pytest.mark.parametrize("cap", [100, 1000, 30000])
def test_sync_is_exact_whatever_the_server_page_cap(cap: int, tmp_path: Path) -> None:
    with DevServer(token=TOKEN, max_page_size=cap) as server:
        uid = seed(server, 2345)
        result = sync(server.url, uid, TOKEN, tmp_path / "s.sqlite")
        assert result.new == 2345
        assert_store_equals_server(tmp_path / "s.sqlite", server, uid)
        # the first page (size = min(cap, 1000)) gives count and size; the rest are fetched at offsets that
        # overlap the previous page by one row (to check the chain is unbroken): ceil((2345 - size) / (size - 1))
        size = min(cap, 1000)
        assert result.data_requests == 1 + -(-(2345 - size) // (size - 1))
        assert result.data_requests == {100: 24, 1000: 3, 30000: 3}[cap]


def test_sequential_keyset_paging_is_exact(kobo: DevServer, tmp_path: Path) -> None:
    uid = seed(kobo, 2100)
    result = sync(kobo.url, uid, TOKEN, tmp_path / "s.sqlite", workers=1)
    assert (result.new, result.data_requests) == (2100, 3)
    assert_store_equals_server(tmp_path / "s.sqlite", kobo, uid)


def test_a_second_sync_on_the_same_store_stops_with_a_clear_message(kobo: DevServer, tmp_path: Path) -> None:
    uid = seed(kobo, 10)
    store_path = tmp_path / "s.sqlite"
    with open_store(store_path) as store:
        lock = store.lock()
        try:
            with pytest.raises(QafError, match="another qaf-kobo sync or import is using"):
                sync(kobo.url, uid, TOKEN, store_path)
        finally:
            lock.release()
    assert sync(kobo.url, uid, TOKEN, store_path).new == 10


def test_two_assets_are_two_sources_and_a_name_keeps_to_its_asset(kobo: DevServer, tmp_path: Path) -> None:
    first, second = seed(kobo, 3), seed(kobo, 4)
    store = tmp_path / "s.sqlite"
    a = sync(kobo.url, first, TOKEN, store)
    b = sync(kobo.url, second, TOKEN, store, source="second")
    assert (a.total, b.total, b.source) == (3, 4, "second")
    with pytest.raises(QafError, match=f"the source 'second' of this store is kobo {kobo.url} asset {second}, not "
                                       f"kobo {kobo.url} asset {first}; give --source another name"):
        sync(kobo.url, first, TOKEN, store, source="second")
    with open_store(store) as st:
        status = st.status()
    assert status.submissions == 7 and [s.submissions for s in status.sources] == [3, 4]


def test_a_source_keeps_to_its_server(kobo: DevServer, tmp_path: Path) -> None:
    uid = seed(kobo, 3)
    store = tmp_path / "s.sqlite"
    sync(kobo.url, uid, TOKEN, store, source="office")
    with open_store(store) as st:
        before = st.status().to_dict()
    with DevServer(token=TOKEN) as other:
        other_uid = seed(other, 2)
        with pytest.raises(QafError, match=f"is kobo {kobo.url} asset {uid}, not kobo {other.url}"):
            sync(other.url, other_uid, TOKEN, store, source="office")
    with open_store(store) as st:
        assert st.status().to_dict() == before


def test_cli_sync_and_status_json(kobo: DevServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uid = seed(kobo, 120)
    kobo.set_validation_status(kobo.submissions(uid)[0]["meta/rootUuid"], "validation_status_approved", uid)
    monkeypatch.setenv("KOBO_TOKEN", TOKEN)
    store = str(tmp_path / "s.sqlite")
    runner = CliRunner()
    result = runner.invoke(main, ["sync", "--server", kobo.url, "--asset", uid, "--store", store])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith(f"synced kobo:{kobo.url.split('://')[1]}/{uid}: 120 new, "
                                                             "0 updated, 0 deleted, 120 submissions")
    kobo.delete_submission(kobo.submissions(uid)[1]["meta/rootUuid"], uid)
    assert runner.invoke(main, ["sync", "--server", kobo.url, "--asset", uid, "--store", store, "--full"]).exit_code == 0
    status = json.loads(runner.invoke(main, ["status", "--store", store, "--json"]).output)
    assert {"submissions", "deleted", "versions", "last_sync", "last_error", "sources"} <= set(status)
    assert (status["submissions"], status["deleted"], status["last_error"]) == (119, 1, None)
    source, = status["sources"]
    assert (source["kind"], source["server"], source["ref"], source["submissions"], source["deleted"]) == (
        "kobo", kobo.url, uid, 119, 1) and source["last_sync"] == status["last_sync"]
    assert sum(status["versions"].values()) == 119
    text = runner.invoke(main, ["status", "--store", store]).output
    assert "119 active, 1 deleted" in text and f"{source['name']} (kobo {kobo.url} {uid}): 119 active" in text
    with open_store(store) as st:
        approved = st.conn.execute("SELECT COUNT(*) FROM submissions WHERE validation_status = "
                                   "'validation_status_approved'").fetchone()[0]
    assert approved == 1


def test_status_of_a_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["status", "--store", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 2 and "no store at" in result.output
