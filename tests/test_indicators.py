"""Evidence behind the ratings: indicators per assessment and country, and every cross-check of the QAF tested on
both sides of its threshold (at, just under and just over the limit)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from qaf_kobo.form.contract import criterion_field
from qaf_kobo.scoring import score_submissions
from qaf_kobo.scoring.indicators import (
    INVALID_FIGURE,
    NOT_SUPPORTED,
    country_indicators,
    cross_check_findings,
    figures,
    indicator_export,
    indicator_table,
    unreadable_findings,
)
from workbooks import load_workbook

from qaf_rows import qaf_answers, qaf_form


def row(i: int, level_5b2: str, **figures: object) -> dict:
    """A QAF submission keyed as the form keys it, with criterion 5b.2 at ``level_5b2`` and these figures."""
    form = qaf_form()
    answers = qaf_answers(i) | {"_id": i, "meta/rootUuid": f"uuid:r{i}", "_uuid": f"r{i}", "__version__": "v1",
                                "_submission_time": "2025-03-01T10:00:00"}
    answers[form.key("c_5b_2")] = level_5b2
    answers[form.key("country")] = "JOR"
    answers[form.key("round")] = "baseline 2025"
    answers |= {form.key(name): str(value) for name, value in figures.items()}
    return answers


def checked(fw, rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The indicator table and the cross-check findings of these rows."""
    raw = pd.DataFrame(rows)
    scores = score_submissions(raw, fw, current_version="v1")
    values, _ = figures(raw, fw)
    indicators = indicator_table(values, scores.assessments, fw)
    return indicators, cross_check_findings(indicators, scores.criteria, fw)


STAFF = {"ev_caseworkers": 10, "ev_female_caseworkers": 4, "ev_supervisors": 2, "ev_data_entry_staff": 3}


@pytest.mark.parametrize(("cases", "finding"), [(250, False), (249, False), (251, True)])
def test_cases_per_caseworker_at_most_25(fw, cases, finding):
    indicators, findings = checked(fw, [row(1, "3", **STAFF, ev_active_cases=cases)])
    value = indicators.loc[indicators["indicator_id"] == "cases_per_caseworker", "value"].item()
    assert value == pytest.approx(cases / 10)
    assert (len(findings) == 1) is finding
    if finding:
        assert findings.loc[0, "check"] == NOT_SUPPORTED
        assert findings.loc[0, "detail"] == ("criterion 5b.2 at Meets minimum levels, but cases per caseworker is 25.1 "
                                             "(target: at most 25)")


@pytest.mark.parametrize(("caseworkers", "finding"), [(60, False), (59, False), (61, True)])
def test_caseworkers_per_supervisor_at_most_6(fw, caseworkers, finding):
    staff = STAFF | {"ev_caseworkers": caseworkers, "ev_supervisors": 10, "ev_data_entry_staff": 20}
    _, findings = checked(fw, [row(1, "4", **staff, ev_active_cases=caseworkers * 10)])
    assert list(findings["detail"].str.contains("caseworkers per supervisor")) == ([True] if finding else [])


@pytest.mark.parametrize(("cases", "finding"), [(300, False), (299, False), (301, True)])
def test_cases_per_data_entry_staff_at_most_100(fw, cases, finding):
    staff = STAFF | {"ev_caseworkers": 20, "ev_supervisors": 4, "ev_data_entry_staff": 3}
    _, findings = checked(fw, [row(1, "3", **staff, ev_active_cases=cases)])
    assert list(findings["detail"].str.contains("cases per data entry staff is")) == ([True] if finding else [])


@pytest.mark.parametrize(("level", "women", "finding"), [("4", 1, False), ("4", 0, True), ("3", 0, False)])
def test_good_practice_needs_a_female_caseworker(fw, level, women, finding):
    _, findings = checked(fw, [row(1, level, **(STAFF | {"ev_female_caseworkers": women}), ev_active_cases=100)])
    assert list(findings["detail"].str.contains("female caseworkers is 0")) == ([True] if finding else [])


def test_ratings_below_the_minimum_and_unknown_figures_are_not_checked(fw):
    rows = [row(1, "2", **STAFF, ev_active_cases=900),   # Requires improvement: 90 cases each is not a contradiction
            row(2, "3"),                                 # no figures at all: unknown, not zero
            row(3, "3", ev_caseworkers=0, ev_active_cases=40)]  # a zero denominator: unknown
    indicators, findings = checked(fw, rows)
    assert findings.empty
    ratio = indicators[indicators["indicator_id"] == "cases_per_caseworker"].set_index("root_uuid")
    assert ratio.loc["r1", "status"] == "not_met"
    assert ratio.loc["r2", "status"] == ratio.loc["r3", "status"] == "unknown"
    assert math.isnan(ratio.loc["r2", "value"]) and math.isnan(ratio.loc["r3", "value"])


def test_every_indicator_has_a_row_per_assessment_with_its_target(fw):
    indicators, _ = checked(fw, [row(1, "3", **STAFF, ev_active_cases=100, ev_case_conferences_month=1,
                                     ev_training_months=2, ev_plans_2w_pct=90, ev_reviewed_monthly_pct=89.5)])
    by_id = indicators.set_index("indicator_id")
    assert list(by_id.index) == [i.id for i in fw.evidence.indicators]
    assert (by_id.loc["case_conferences_per_month", "status"], by_id.loc["case_conferences_per_month", "target"]) == ("not_met", 2)
    assert by_id.loc["months_since_training", "status"] == "met"  # at the limit of two months
    assert by_id.loc["care_plans_within_two_weeks", "status"] == "met" and by_id.loc["cases_reviewed_monthly", "status"] == "not_met"
    assert by_id.loc["care_plans_within_two_weeks", "direction"] == "at_least"


def test_country_indicators_and_the_long_export(fw):
    rows = [row(i, "3", **STAFF, ev_active_cases=cases) for i, cases in ((1, 200), (2, 300), (3, 400))] + [row(4, "3")]
    raw = pd.DataFrame(rows)
    scores = score_submissions(raw, fw, current_version="v1")
    values = figures(raw, fw)[0]
    countries = country_indicators(values, scores.assessments, fw)
    jordan = countries[countries["indicator_id"] == "cases_per_caseworker"]
    assert len(jordan) == len(jordan[["country", "round"]].drop_duplicates())
    total = jordan[["n_assessments", "n_with_value"]].sum()
    assert (total["n_assessments"], total["n_with_value"]) == (4, 3)
    export = indicator_export(countries, fw)
    assert list(export.columns) == ["country", "indicator", "period", "value", "target"]
    assert set(export["indicator"]) == {i.label for i in fw.evidence.indicators}


def test_an_answer_that_is_not_a_number_is_unknown_and_flagged(fw):
    raw = pd.DataFrame([row(1, "3", **STAFF, ev_active_cases="about 40")])
    values, unreadable = figures(raw, fw)
    assert math.isnan(values.loc[0, "ev_active_cases"]) and math.isnan(values.loc[0, "ev_cases_per_caseworker"])
    scores = score_submissions(raw, fw, current_version="v1")
    found = unreadable_findings(unreadable, scores.assessments)
    assert found.to_dict("records") == [{"root_uuid": "r1", "check": INVALID_FIGURE,
                                          "detail": "ev_active_cases 'about 40' is not a number (taken as unknown)"}]


def test_the_demo_rows_hold_their_three_planted_contradictions(fw):
    """The demo's generator plants three contradictions; scoring finds exactly those."""
    from qaf_kobo.workflows.demo_data import generate_assessments

    assessments = generate_assessments(fw, qaf_form())
    rows = [a.answers | {"_id": n, "meta/rootUuid": f"uuid:d{n}", "__version__": "v1"} for n, a in enumerate(assessments)]
    _, findings = checked(fw, rows)
    assert len(findings) == 3 and findings["check"].eq(NOT_SUPPORTED).all()
    assert criterion_field(fw.criterion("5b.2")) == "c_5b_2"


def test_workbooks_show_the_indicators_and_the_evidence_findings(fw, tmp_path):

    from qaf_kobo.report import write_reports

    rows = [row(1, "3", **STAFF, ev_active_cases=251), row(2, "3", **STAFF, ev_active_cases=200), row(3, "2")]
    scores = score_submissions(pd.DataFrame(rows), fw, current_version="v1")
    regional = write_reports(scores, fw, tmp_path)[0]
    book = load_workbook(regional)
    sheet = book["Indicators"]
    header = [c.value for c in sheet[1]]
    table = [dict(zip(header, (c.value for c in r))) for r in sheet.iter_rows(min_row=2)]
    cases = [r for r in table if r["Indicator"] == "Cases per caseworker"]
    assert [(r["Target"], r["Value (median)"], r["Assessments with the figure"], r["Target met"]) for r in cases] == [
        ("at most 25", 22.55, 2, "Met")]  # the median of 25.1 and 20.0 (the third gave no figures)
    assert len(table) == len(fw.evidence.indicators) * len(scores.country_indicators[["country", "round"]].drop_duplicates())
    findings = [[c.value for c in r] for r in book["Data quality"].iter_rows(min_row=2)]
    assert any(r[4] == "Rating not supported by the evidence" and "cases per caseworker is 25.1" in r[5] for r in findings)
    export = scores.indicators_export
    assert list(export.columns) == ["country", "indicator", "period", "value", "target"] and len(export) == len(table)
