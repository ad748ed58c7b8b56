"""``qaf-kobo import``: load submissions saved from the API (a /data/ page, a JSON list or JSON lines) into the store."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qaf_kobo.errors import QafError
from qaf_kobo.store import DEFAULT_STORE, UpsertCounts, open_store, root_uuid_of

SHAPES = "a /data/ page ({\"count\", \"next\", \"previous\", \"results\"}), a JSON list of submissions, or JSON lines"


@dataclass
class ImportResult:
    """What an import did: files read, submissions in them, and the upsert counts."""

    files: int
    submissions: int
    counts: UpsertCounts

    def summary(self) -> str:
        """The one-line summary printed at the end."""
        c = self.counts
        return (f"imported {self.submissions} submissions from {self.files} file(s): {c.new} new, {c.updated} updated, "
                f"{c.unchanged} unchanged, {c.stale} older than the stored version"
                + (f", {c.deleted} skipped: deleted on the server" if c.deleted else ""))


def read_submissions(path: Path) -> list[dict[str, Any]]:
    """The submissions in one saved file; anything that is not one of the three shapes is a QafError."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise QafError(f"{path}: cannot read it ({exc.__class__.__name__})") from None
    try:
        whole: Any = json.loads(text)
    except ValueError:
        whole = _json_lines(path, text)
    if isinstance(whole, dict) and isinstance(whole.get("results"), list):
        rows = whole["results"]
    elif isinstance(whole, list):
        rows = whole
    elif isinstance(whole, dict) and any(k in whole for k in ("meta/rootUuid", "meta/instanceID", "_uuid")):
        rows = [whole]  # JSON lines with one line
    else:
        raise QafError(f"{path}: not {SHAPES}")
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise QafError(f"{path}: submission {number} is not a JSON object")
        try:
            root_uuid_of(row)
        except QafError as exc:
            raise QafError(f"{path}: submission {number}: {exc}") from None
    return rows


def _json_lines(path: Path, text: str) -> list[Any]:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError:
                raise QafError(f"{path}: not {SHAPES} (line {number} is not JSON)") from None
    if not rows:
        raise QafError(f"{path}: empty file, not {SHAPES}")
    return rows


def import_files(paths: list[Path], store_path: Path | str = DEFAULT_STORE) -> ImportResult:
    """Read every file first (a bad one changes nothing), then upsert all submissions in one transaction.

    Versions of one submission are applied oldest first; a submission deleted on the server stays deleted (only
    a sync, which sees the server, can bring it back)."""
    batches = [read_submissions(Path(p)) for p in paths]
    rows = [row for batch in batches for row in batch]
    with open_store(store_path) as store:
        lock = store.lock()
        try:
            counts = store.upsert_page(rows, from_server=False)
        finally:
            lock.release()
    return ImportResult(len(batches), len(rows), counts)
