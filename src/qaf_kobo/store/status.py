"""``qaf-kobo status``: what the store holds and how the last sync went."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qaf_kobo.store import DEFAULT_STORE, open_store


def store_status(store_path: Path | str = DEFAULT_STORE) -> dict[str, Any]:
    """Active and deleted submissions, active ones per form version, last sync, server, asset and last error."""
    with open_store(store_path, read_only=True) as store:
        return {"store": str(store_path), **store.status().to_dict()}


def format_status(status: dict[str, Any]) -> str:
    """The status as readable lines."""
    lines = [f"store: {status['store']}",
             f"submissions: {status['submissions']} active, {status['deleted']} deleted on the server",
             f"server: {status['server'] or '-'}  asset: {status['asset_uid'] or '-'}  "
             f"deployed version: {status['deployed_version_id'] or '-'}",
             f"last sync: {status['last_sync'] or 'never'}"]
    for version, count in status["versions"].items():
        lines.append(f"  form version {version or '(none)'}: {count}")
    if status["last_error"]:
        lines.append(f"last error: {status['last_error']}")
    return "\n".join(lines)
