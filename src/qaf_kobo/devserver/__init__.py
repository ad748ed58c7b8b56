"""Local servers compatible with the data-collection servers qaf-kobo talks to, for the demo, tests and benchmarks.

Layers: :mod:`.loopback` (serving on 127.0.0.1, latency, static folders, body limit, bounded request log) and
:mod:`.faults` (fault injection) are shared by any compatible server; :mod:`.kobo` is the KoboToolbox one
(:class:`DevServer`); :mod:`.launch` starts it for ``qaf-kobo devserver``.
"""

from __future__ import annotations

from typing import Any

from qaf_kobo.devserver.kobo import DevServer

__all__ = ["DevServer", "LaunchedDevServer", "serve_until_interrupted", "start_devserver"]
_LAUNCH = ("LaunchedDevServer", "serve_until_interrupted", "start_devserver")


def __getattr__(name: str) -> Any:
    """The launch helpers, imported on first use: they import the demo (pandas and the reports), which the tests
    and benchmarks that only need ``DevServer`` should not pay for."""
    if name in _LAUNCH:
        from qaf_kobo.devserver import launch

        return getattr(launch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
