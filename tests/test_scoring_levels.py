"""Scoring any framework of 2–6 levels: a 3-level and a 5-level rubric written as framework files, worked by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from qaf_kobo.framework import Framework, load_framework
from qaf_kobo.scoring import score, score_submissions

from scoring_rows import TODAY, findings, form_of, make_store, section_row, submission


def write_framework(folder: Path, name: str, levels: list[str], minimum: str, sections: dict[str, tuple[str, int]]) -> Framework:
    """A framework file with these level names, minimum level and sections (id → (domain id, number of criteria))."""
    data = {
        "id": name, "title": f"{name} rubric", "version": "0.1.0", "form_id": f"{name}_rubric",
        "levels": [{"name": level, "label": level.capitalize()} for level in levels],
        "minimum_level": minimum,
        "domains": [{"id": d, "title": f"Domain {d}"} for d in dict.fromkeys(domain for domain, _ in sections.values())],
        "sections": [
            {"id": sid, "domain": domain, "title": f"Section {sid}",
             "criteria": [{"id": f"{sid}.{i}", "title": f"Criterion {sid}.{i}", "levels": [f"{sid}.{i} at {level}" for level in levels]}
                          for i in range(1, count + 1)]}
            for sid, (domain, count) in sections.items()
        ],
    }
    path = folder / name / "framework.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_framework(path)


@pytest.fixture(scope="module")
def three(tmp_path_factory) -> Framework:
    return write_framework(tmp_path_factory.mktemp("fw"), "three", ["low", "fair", "high"], "fair",
                           {"a1": ("A", 3), "a2": ("A", 2), "b1": ("B", 1)})


@pytest.fixture(scope="module")
def five(tmp_path_factory) -> Framework:
    return write_framework(tmp_path_factory.mktemp("fw"), "five", ["one", "two", "three", "four", "five"], "four",
                           {"x": ("D", 3), "y": ("D", 2), "z": ("E", 1)})


def test_a_three_level_rubric(three):
    form = form_of(three)
    assert form.key("c_a1_1") == "s_a1/c_a1_1" and form.key("country") == "details_scope/country"
    rows = [
        submission(three, "s1", {"a1.1": "3", "a1.2": "1", "a1.3": "2", "a2.1": "3", "a2.2": "3", "b1.1": "na"},
                   form=form, levels={"a1": "3"}, details={"agency": "A"}),
        submission(three, "s2", {"a1.1": "2", "a1.2": "2", "a1.3": "4", "a2.1": "1", "a2.2": "na", "b1.1": "3"},
                   form=form, details={"agency": "B"}),
    ]
    low = score_submissions(pd.DataFrame(rows), three, rule="min", current_version="v2", today=TODAY)
    middle = score_submissions(pd.DataFrame(rows), three, rule="median", current_version="v2", today=TODAY)

    a1 = section_row(low, "s1", "a1")
    assert (a1["computed_level"], a1["computed_level_name"], a1["assessed_level_name"], a1["level"]) == (1, "low", "high", 3)
    assert section_row(middle, "s1", "a1")["computed_level"] == 2  # lower median of 1, 2, 3
    assert pd.isna(section_row(low, "s1", "b1")["computed_level"])
    domains = low.domains.set_index(["root_uuid", "domain_id"])
    # Index: (level − 1) / 2 × 100 → a1: 100, 0, 50; a2: 100, 100.
    # A domain's level: the rule over its sections' levels (a1: assessed 3; a2: computed 3).
    assert domains.loc[("s1", "A"), "index"] == pytest.approx(70) and domains.loc[("s1", "A"), "level"] == 3
    assert middle.domains.set_index(["root_uuid", "domain_id"]).loc[("s1", "A"), "level"] == 3
    assert low.assessments.set_index("root_uuid").loc["s1", "index"] == pytest.approx(70)
    assert low.assessments.set_index("root_uuid").loc["s2", "index"] == pytest.approx((50 + 50 + 0 + 100) / 4)

    assert findings(low, "s2")["invalid_answer_code"] == ["criterion a1.3: answer '4' is not 1-3 or na"]
    assert findings(low, "s1")["level_far_from_computed_without_reason"] == [
        "section a1: assessed level 3, computed level 1, no reason given"]
    countries = low.countries.set_index("section_id")
    assert list(low.countries.columns[3:7]) == ["n_assessments", "n_low", "n_fair", "n_high"]
    # a1: s1 assessed high, s2 computed fair (2, 2 and an invalid answer); a2: s1 high, s2 low.
    assert countries.loc["a1", ["n_low", "n_fair", "n_high"]].tolist() == [0, 1, 1]
    assert (countries.loc["a1", "share_meets_minimum"], countries.loc["a1", "median_level"]) == (1.0, 2)
    assert (countries.loc["a2", "share_meets_minimum"], countries.loc["a2", "median_level"]) == (0.5, 1)


def test_a_five_level_rubric_read_from_a_store(five, tmp_path):
    form = form_of(five)
    rows = [
        submission(five, "t1", {"x.1": "5", "x.2": "5", "x.3": "5", "y.1": "4", "y.2": "5", "z.1": "6"}, form=form,
                   levels={"z": "6", "x": "5"}, details={"agency": "A"}),
        submission(five, "t2", {"x.1": "1", "x.2": "3", "x.3": "5", "y.1": "na", "y.2": "na", "z.1": "2"}, form=form,
                   levels={"x": "4"}, details={"agency": "B"}),
    ]
    store = make_store(tmp_path / "five.sqlite", rows)
    low, middle = score(store, fw=five), score(store, fw=five, rule="median")

    x = section_row(low, "t1", "x")
    assert (x["computed_level"], x["computed_level_name"], x["agrees"]) == (5, "five", True)  # the top level stays a level
    assert section_row(low, "t1", "y")["computed_level"] == 4 and section_row(middle, "t1", "y")["computed_level"] == 4
    assert (section_row(low, "t2", "x")["computed_level"], section_row(middle, "t2", "x")["computed_level"]) == (1, 3)
    assert pd.isna(section_row(low, "t2", "y")["computed_level"])
    domains = low.domains.set_index(["root_uuid", "domain_id"])
    # Index: (level − 1) / 4 × 100 → x: 100 × 3; y: 75, 100.
    assert domains.loc[("t1", "D"), "index"] == pytest.approx(95) and domains.loc[("t1", "D"), "level"] == 4
    assert findings(low, "t1")["invalid_answer_code"] == [
        "criterion z.1: answer '6' is not 1-5 or na", "section z assessed level: answer '6' is not 1-5"]
    assert findings(low, "t2")["level_far_from_computed_without_reason"] == [
        "section x: assessed level 4, computed level 1, no reason given"]
    countries = low.countries.set_index("section_id")
    assert countries.loc["x", [f"n_{level.name}" for level in five.levels]].tolist() == [0, 0, 0, 1, 1]  # assessed 5 and 4
    assert (countries.loc["x", "share_meets_minimum"], countries.loc["x", "median_level"]) == (1.0, 4)
    assert countries.loc["z", ["n_two", "share_meets_minimum"]].tolist() == [1, 0.0]
