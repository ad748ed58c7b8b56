"""Test helpers for the Kobo side: the devserver on 127.0.0.1 (a free port, in a thread), QAF assessments
(from qaf_rows) and the check that a store holds exactly what the server holds."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qaf_kobo.devserver import DevServer
from qaf_kobo.store import open_store

from qaf_rows import qaf_answers, qaf_form  # noqa: F401  (re-exported for the tests)

TOKEN = "qaf-test-token-7Hq2xZ9pLw4sK1vB"


def seed(server: DevServer, count: int, **asset: Any) -> str:
    """A deployed asset holding ``count`` QAF-shaped submissions; returns its uid."""
    uid = server.create_asset(**asset)
    server.add_submissions((qaf_answers(i) for i in range(count)), uid)
    return uid


def store_rows(store_path: Path) -> dict[str, dict[str, Any]]:
    """rootUuid (with prefix, as the API gives it) → the active submission in the store."""
    with open_store(store_path, create=False) as store:
        return {row["meta/rootUuid"]: row for row in store.active_submissions()}


def assert_store_equals_server(store_path: Path, server: DevServer, uid: str) -> None:
    """The store's active submissions are exactly the server's, and no rootUuid appears twice."""
    on_server = {row["meta/rootUuid"]: row for row in server.submissions(uid)}
    in_store = store_rows(store_path)
    assert set(in_store) == set(on_server)
    assert in_store == on_server
    conn = sqlite3.connect(store_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT kobo_id) FROM submissions WHERE deleted_at IS NULL"
                            ).fetchone() == (len(on_server), len(on_server))
    finally:
        conn.close()


@pytest.fixture
def kobo() -> Iterator[DevServer]:
    """A running devserver that accepts TOKEN."""
    with DevServer(token=TOKEN) as server:
        yield server
