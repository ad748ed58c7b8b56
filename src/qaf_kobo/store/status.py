"""``qaf-kobo status``: what the store holds, per source, and how each source's last sync went."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qaf_kobo.store import DEFAULT_STORE, open_store


def store_status(store_path: Path | str = DEFAULT_STORE) -> dict[str, Any]:
    """Active and deleted submissions, active ones per form version and per framework, and per source: what it is,
    its counts, last sync and last error."""
    with open_store(store_path, read_only=True) as store:
        status = {"store": str(store_path), **store.status().to_dict(), "frameworks": store.frameworks()}
        if store.backup is not None:
            status["upgraded_from_schema1_backup"] = str(store.backup)
        return status


def format_status(status: dict[str, Any]) -> str:
    """The status as readable lines."""
    lines = [f"store: {status['store']}",
             f"submissions: {status['submissions']} active, {status['deleted']} deleted on the server"]
    for version, count in status["versions"].items():
        lines.append(f"  form version {version or '(none)'}: {count}")
    for framework, count in status["frameworks"].items():
        lines.append(f"  framework {framework or '(not recorded: a form built before qaf-kobo recorded it)'}: {count}")
    lines.append(f"sources: {len(status['sources'])}" if status["sources"] else "sources: none yet")
    for source in status["sources"]:
        where = " ".join(str(part) for part in (source["kind"], source["server"], source["ref"]) if part)
        lines.append(f"  {source['name']} ({where}): {source['submissions']} active, {source['deleted']} deleted; "
                     f"last sync {source['last_sync'] or 'never'}")
        if source["last_error"]:
            lines.append(f"    last error: {source['last_error']}")
    if status.get("upgraded_from_schema1_backup"):
        lines.append(f"upgraded to store schema 2; the earlier file is kept as {status['upgraded_from_schema1_backup']}")
    return "\n".join(lines)
