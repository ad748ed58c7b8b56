"""Remote servers — KoboToolbox and ODK Central — behind one interface: the kinds (:mod:`.kinds`) and the remote
of each kind with its ``deploy`` and ``sync`` (:mod:`.remotes`, imported when first used: it brings in the form
builder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qaf_kobo.remote.kinds import KINDS, Kind, detect_kind, server_kind

if TYPE_CHECKING:
    from qaf_kobo.remote.remotes import CentralRemote, KoboRemote, Remote, Target, open_remote

__all__ = ["KINDS", "CentralRemote", "Kind", "KoboRemote", "Remote", "Target", "detect_kind", "open_remote",
           "server_kind"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from qaf_kobo.remote import remotes

        return getattr(remotes, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
