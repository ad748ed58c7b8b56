"""The KoboToolbox-compatible server: state, KPI routes, OpenRosa and the ``/data/`` query language."""

from qaf_kobo.devserver.kobo.server import DevServer

__all__ = ["DevServer"]
