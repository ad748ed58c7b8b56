"""The ODK Central-compatible server: state, API v1 routes, OData query options and OpenRosa submissions."""

from qaf_kobo.devserver.central.server import CentralDevServer

__all__ = ["CentralDevServer"]
