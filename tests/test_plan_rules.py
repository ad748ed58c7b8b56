"""The rules of the country action plans, as properties: the priority rule, Action ids, horizons."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qaf_kobo.errors import QafError
from qaf_kobo.plans.action_ids import action_id, country_key, parse_action_id
from qaf_kobo.plans.horizons import default_horizons, horizons
from qaf_kobo.plans.priority import PRIORITY_COLUMNS, priorities

from test_report import small_framework


@st.composite
def plans(draw) -> pd.DataFrame:
    """Actions of a few countries: each (country, criterion, level, action number) once, random agency counts."""
    keys = draw(st.lists(st.tuples(st.sampled_from(["JOR", "LBN", "=1+1"]), st.integers(0, 12), st.integers(1, 3),
                                   st.integers(1, 3)), min_size=1, max_size=40, unique=True))
    rows = [(country, level, draw(st.integers(1, 6)), criterion, k) for country, criterion, level, k in keys]
    return pd.DataFrame(rows, columns=list(PRIORITY_COLUMNS))


def rule_key(row: pd.Series) -> tuple:
    """The rule in words: lower level first, then more agencies, then the framework's order."""
    return (row["current_level"], -row["n_agencies"], row["criterion_order"], row["action_k"])


@given(plans())
def test_priorities_number_each_countrys_actions_1_to_n(plan: pd.DataFrame) -> None:
    ranks = priorities(plan)
    for _, group in ranks.groupby(plan["country"]):
        assert sorted(group) == list(range(1, len(group) + 1))


@given(plans())
def test_priority_follows_level_then_agencies_then_framework_order(plan: pd.DataFrame) -> None:
    plan = plan.assign(priority=priorities(plan))
    for _, group in plan.groupby("country"):
        ordered = group.sort_values("priority")
        keys = [rule_key(row) for _, row in ordered.iterrows()]
        assert keys == sorted(keys)


@given(plans(), st.randoms(use_true_random=False))
def test_priority_does_not_depend_on_the_row_order(plan: pd.DataFrame, rng) -> None:
    order = list(plan.index)
    rng.shuffle(order)
    assert priorities(plan.loc[order]).sort_index().tolist() == priorities(plan).tolist()


@given(plans())
def test_a_lower_level_always_comes_first_whatever_the_agencies(plan: pd.DataFrame) -> None:
    plan = plan.assign(priority=priorities(plan))
    for _, group in plan.groupby("country"):
        for level in group["current_level"].unique():
            lower = group[group["current_level"] < level]
            if len(lower):
                assert lower["priority"].max() < group.loc[group["current_level"] == level, "priority"].min()


def test_priorities_of_nothing() -> None:
    assert priorities(pd.DataFrame(columns=list(PRIORITY_COLUMNS))).tolist() == []


@given(st.text(max_size=12), st.text(max_size=12))
def test_country_keys_are_safe_and_never_shared(first: str, second: str) -> None:
    for code in (first, second):
        key = country_key(code)
        assert key and all(c.isascii() and (c.isalnum() or c == "_") for c in key)
    if first != second:
        assert country_key(first) != country_key(second)


@given(st.text(max_size=8), st.sampled_from(["1.1", "2a.3", "5d.12"]), st.integers(1, 9), st.integers(0, 9))
def test_action_ids_read_back_into_their_parts(country: str, criterion: str, level: int, k: int) -> None:
    parts = parse_action_id(action_id(country, criterion, level, k))
    assert parts is not None
    assert (parts.country_key, parts.criterion_id, parts.level, parts.k) == (country_key(country), criterion, level, k)


def test_action_ids_read_as_people_write_them() -> None:
    assert action_id("JOR", "2a.3", 1, 1) == "JOR-2a.3-1to2-1"
    assert country_key("=1+1") != country_key("\ufe661+1") and country_key("=1+1").startswith("_1_1_")
    for text in ("JOR-2a.3-1to3-1", "JOR-2a.3-1-1", "JOR 2a.3 1to2 1", "", "JOR-2a-1to2-1"):
        assert parse_action_id(text) is None, text


@pytest.mark.parametrize("count, months", [(3, [3, 6]), (4, [3, 6, 12]), (5, [3, 6, 12, 12]), (6, [3, 6, 12, 12, 12])])
def test_default_horizons_double_from_three_months_up_to_twelve(tmp_path, count, months) -> None:
    fw = small_framework(tmp_path, count)
    assert default_horizons(fw) == dict(enumerate(months, 1))


def test_horizons_by_name_label_or_code(fw) -> None:
    assert default_horizons(fw) == {1: 3, 2: 6, 3: 12}  # the QAF's: Critical 3, Requires improvement 6, Meets 12
    assert horizons(fw, ["critical=2", "2=4", "Meets minimum levels = 9"]) == {1: 2, 2: 4, 3: 9}
    assert horizons(fw, {"requires_improvement": 5}) == {1: 3, 2: 5, 3: 12}


@pytest.mark.parametrize("spec, message", [
    ("critical", "expected LEVEL=MONTHS"),
    ("urgent=2", "unknown level 'urgent'"),
    ("good_practice=2", "the top level has no actions"),
    ("1=0", "between 1 and 120"),
    ("1=two", "whole number"),
])
def test_a_bad_horizon_is_one_clear_error(fw, spec, message) -> None:
    with pytest.raises(QafError, match=message):
        horizons(fw, [spec])
