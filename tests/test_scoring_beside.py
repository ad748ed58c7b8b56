"""Stages run beside the main thread give the tables they give in place, raise where their result is asked for,
and never wait for a stage queued behind them."""

from __future__ import annotations

import threading
from unittest import mock

import pandas as pd
import pytest

from qaf_kobo.scoring import TABLES, beside, score_submissions

from scoring_rows import TODAY, submission


def test_the_tables_are_the_same_with_the_helper_thread_or_without(fw):
    rows = [submission(fw, f"s{i}", {"1.1": str(1 + i % 4), "2.1": "na"}, details={"country": ["KEN", "UGA"][i % 2]})
            for i in range(12)]
    rows[3] = {k: v for k, v in rows[3].items() if not k.endswith("c_3_1")}  # unanswered: a quality finding
    raw = pd.DataFrame(rows)
    with mock.patch.object(beside, "BESIDE_FROM", 10**9):
        alone = score_submissions(raw, fw, today=TODAY)
    with mock.patch.object(beside, "BESIDE_FROM", 0):
        helped = score_submissions(raw, fw, today=TODAY)
    assert len(alone.quality) and len(alone.criteria) == 12 * len(fw.criteria)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(alone, name), getattr(helped, name), obj=name)


def _thread() -> str:
    return threading.current_thread().name


def test_many_submissions_go_to_the_helper_few_stay_and_errors_come_back():
    assert beside.beside(beside.BESIDE_FROM, _thread).result(timeout=10).startswith("scoring-beside")
    assert beside.beside(beside.BESIDE_FROM - 1, _thread).result() == _thread()

    def fails() -> None:
        raise ValueError("stage failed")

    for rows in (beside.BESIDE_FROM, 1):
        with pytest.raises(ValueError, match="stage failed"):
            beside.beside(rows, fails).result(timeout=10)


def test_a_stage_in_the_helper_runs_what_it_hands_over_in_place():
    def outer() -> tuple[str, str]:
        inner = beside.beside(beside.BESIDE_FROM, _thread)  # queued behind this stage, it would never run
        return _thread(), inner.result(timeout=10)

    helper, inner = beside.beside(beside.BESIDE_FROM, outer).result(timeout=20)
    assert helper == inner and helper.startswith("scoring-beside")
