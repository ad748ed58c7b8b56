"""What a sync did, whichever the server: rows new, updated and marked deleted; the source's active rows; requests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Progress = Callable[[int, int], None]
"""Called with (rows read so far, rows expected) while a sync reads pages."""


@dataclass
class SyncResult:
    """What a sync did: rows new, updated and marked deleted; active rows of the source; HTTP requests made."""

    source: str
    new: int
    updated: int
    deleted: int
    total: int
    requests: int
    data_requests: int

    def summary(self) -> str:
        """The one-line summary printed at the end of a sync."""
        return (f"synced {self.source}: {self.new} new, {self.updated} updated, {self.deleted} deleted, "
                f"{self.total} submissions from this source in the store ({self.requests} requests)")
