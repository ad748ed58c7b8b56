"""The store's times: ISO 8601 UTC text with seconds (``2026-05-01T10:00:00Z``)."""

from __future__ import annotations

import datetime as dt


def utc_text(moment: dt.datetime) -> str:
    """A time as ISO UTC with seconds; a naive time is taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"


def utc_now() -> str:
    """The current time as ISO UTC with seconds."""
    return utc_text(dt.datetime.now(dt.timezone.utc))
