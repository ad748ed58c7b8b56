"""Test helpers for the Kobo side: the devserver on 127.0.0.1 (a free port, in a thread), QAF-shaped rows,
and the check that a store holds exactly what the server holds."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qaf_kobo.kobo.devserver import DevServer
from qaf_kobo.store import open_store

TOKEN = "qaf-test-token-7Hq2xZ9pLw4sK1vB"


def qaf_answers(i: int, rng: random.Random | None = None) -> dict[str, Any]:
    """One assessment's answers shaped like the QAF form (~60 keys: sections, criteria, levels, notes)."""
    rng = rng or random.Random(i)
    row: dict[str, Any] = {"start": "2026-03-01T09:00:00.000+02:00", "end": "2026-03-01T10:30:00.000+02:00",
                           "today": "2026-03-01", "intro/country": rng.choice(["JOR", "LBN", "IRQ"]),
                           "intro/agency": f"Agency {i % 17}", "intro/assessor": f"Assessor {i % 5}",
                           "intro/round": "baseline 2025"}
    for s in range(1, 11):
        for c in range(1, 5):
            row[f"s_{s}/c_{s}_{c}"] = str(rng.choice([1, 2, 3, 4]))
        row[f"s_{s}/level_{s}"] = str(rng.choice([1, 2, 3, 4]))
        if rng.random() < 0.3:
            row[f"s_{s}/notes_{s}"] = f"note {i}-{s} — ملاحظة"
    return row


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
