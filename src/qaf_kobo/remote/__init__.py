"""Remote servers — KoboToolbox and ODK Central — behind one interface: the kinds (:mod:`.kinds`) and the remote
of each kind with its ``deploy`` and ``sync`` (:mod:`.remotes`)."""

from qaf_kobo.remote.kinds import KINDS, Kind, detect_kind, server_kind
from qaf_kobo.remote.remotes import CentralRemote, KoboRemote, Remote, Target, open_remote

__all__ = ["KINDS", "CentralRemote", "Kind", "KoboRemote", "Remote", "Target", "detect_kind", "open_remote",
           "server_kind"]
