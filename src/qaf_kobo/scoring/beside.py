"""Stages run beside the main thread: a stage whose tables the main thread does not need yet is handed to one helper
thread when the submissions are many, and run in place when they are few.

With many submissions most of a stage's time is spent in numpy and arrow, which let the other thread run; with few,
handing a stage over costs more than it saves (measured: 5 submissions scored in 128 ms with the helper, 119 ms
without). The helper is one long-lived thread: starting threads for every run cost a further 40 ms per run. A
stage handed over may wait only for stages handed over before it (they run in order), and a stage that runs in the
helper runs what it hands over in place, so no stage waits for one queued behind it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

BESIDE_FROM = 2_000
"""Submissions from which stages are handed to the helper thread."""

P = ParamSpec("P")
R = TypeVar("R")
_in_helper = threading.local()


def _mark_helper() -> None:
    _in_helper.yes = True


_HELPER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scoring-beside", initializer=_mark_helper)


def beside(submissions: int, stage: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> Future[R]:
    """``stage(*args, **kwargs)`` in the helper thread when there are ``BESIDE_FROM`` submissions or more (and this
    is not the helper), else at once; its future either way (an error is raised by ``result()``)."""
    if submissions >= BESIDE_FROM and not getattr(_in_helper, "yes", False):
        return _HELPER.submit(stage, *args, **kwargs)
    done: Future[R] = Future()
    try:
        done.set_result(stage(*args, **kwargs))
    except Exception as error:  # raised where the result is asked for, as from the helper
        done.set_exception(error)
    return done
