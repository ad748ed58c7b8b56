"""Local servers compatible with the data-collection servers qaf-kobo talks to, for the demo, tests and benchmarks.

Layers: :mod:`.loopback` (serving on 127.0.0.1, latency, static folders, body limit, bounded request log) and
:mod:`.faults` (fault injection) are shared by any compatible server; :mod:`.kobo` is the KoboToolbox one
(:class:`DevServer`). ``qaf-kobo devserver`` starts it through :mod:`qaf_kobo.workflows.devserver_launch`, which can
seed the demo.
"""

from __future__ import annotations

from qaf_kobo.devserver.kobo import DevServer

__all__ = ["DevServer"]
