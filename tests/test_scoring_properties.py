"""Property tests of scoring: rule min never lifts a section above a criterion; submission order, the order of the
rows passed between the stages, white space in grouping fields and a row's neighbours change nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qaf_kobo.form.contract import criterion_field, level_field
from qaf_kobo.framework import default_framework
from qaf_kobo.scoring import TABLES, score_submissions
from qaf_kobo.scoring.domains import domain_table
from qaf_kobo.scoring.quality import quality_table
from qaf_kobo.scoring.round_tables import round_tables
from qaf_kobo.scoring.sections import section_table
from qaf_kobo.scoring.tidy import tidy

from qaf_rows import qaf_form

FW = default_framework()
CODES = st.sampled_from(["1", "2", "3", "4", "na", None, "7", "x"])
TODAY = pd.Timestamp("2026-06-01")
DETAIL_VALUES = {"country": ["KEN", "UGA", "XYZ", None], "agency": ["A", "B", "Save the Children", None],
                 "assessment_date": ["2026-01-01", "2026-02-30", "2026-01-01T08:00:00+03:00", None],
                 "round": ["1", "2", "baseline 2025", None], "area": ["North", "Upper Nile", None],
                 "assessment_scope": ["agency", "inter_agency", None]}


@st.composite
def submissions(draw, max_size: int = 6) -> list[dict]:
    """Kobo rows with random answers (including na, missing and invalid codes) and random details."""
    n = draw(st.integers(min_value=1, max_value=max_size))
    rows = []
    for i in range(n):
        row = {"meta/rootUuid": f"uuid:s{i}", "__version__": draw(st.sampled_from(["v1", "v2"])),
               "_submission_time": draw(st.sampled_from(["2026-05-01T10:00:00", "2026-05-02T10:00:00"]))}
        for name, values in DETAIL_VALUES.items():
            value = draw(st.sampled_from(values))
            if value is not None:
                row[qaf_form().key(name)] = value
        for section in FW.sections:
            # The built form's paths, or other group names (as an older form version may have had).
            renamed = draw(st.booleans())
            key = (lambda field, sid=section.id: f"page_{sid}/{field}") if renamed else qaf_form().key  # noqa: E731
            for criterion in section.criteria:
                code = draw(CODES)
                if code is not None:
                    row[key(criterion_field(criterion))] = code
            level = draw(st.sampled_from(["1", "2", "3", "4", None]))
            if level is not None:
                row[key(level_field(section))] = level
        rows.append(row)
    return rows


def _section_criteria(scores) -> dict[tuple[str, str], list[int]]:
    assessed = scores.criteria.dropna(subset=["level"])
    return {
        (uid, str(sid)): [int(v) for v in group["level"]]
        for (uid, sid), group in assessed.groupby(["root_uuid", "section_id"], observed=True)
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions())
def test_min_rule_level_is_one_of_the_criteria_and_never_above_any(rows):
    scores = score_submissions(pd.DataFrame(rows), FW, rule="min", current_version="v2", today=TODAY)
    levels = _section_criteria(scores)
    for _, row in scores.sections.iterrows():
        found = levels.get((row["root_uuid"], str(row["section_id"])), [])
        if not found:
            assert pd.isna(row["computed_level"]) and row["n_assessed"] == 0
            continue
        assert row["computed_level"] in found
        assert all(row["computed_level"] <= level for level in found)
        assert row["n_assessed"] == len(found)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions())
def test_median_rule_level_is_one_of_the_criteria_between_min_and_max(rows):
    scores = score_submissions(pd.DataFrame(rows), FW, rule="median", current_version="v2", today=TODAY)
    levels = _section_criteria(scores)
    for _, row in scores.sections.iterrows():
        found = sorted(levels.get((row["root_uuid"], str(row["section_id"])), []))
        if found:
            assert row["computed_level"] == found[(len(found) - 1) // 2]


def _canonical(table: pd.DataFrame) -> pd.DataFrame:
    """A table in an order that does not depend on submission order."""
    out = table.astype({c: "str" for c in table.columns if isinstance(table[c].dtype, pd.CategoricalDtype)})
    return out.sort_values(list(out.columns), kind="stable", na_position="first").reset_index(drop=True)


@settings(max_examples=14, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # 2 scorings of up to 8 rows
@given(submissions(max_size=8), st.randoms(use_true_random=False), st.sampled_from(["min", "median"]))
def test_shuffling_submissions_changes_nothing(rows, random, rule):
    shuffled = rows[:]
    random.shuffle(shuffled)
    first = score_submissions(pd.DataFrame(rows), FW, rule=rule, today=TODAY)
    second = score_submissions(pd.DataFrame(shuffled), FW, rule=rule, today=TODAY)
    for name in TABLES:
        pd.testing.assert_frame_equal(_canonical(getattr(first, name)), _canonical(getattr(second, name)), check_dtype=False)
    assert first.about["current_version"] == second.about["current_version"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions(max_size=5), st.randoms(use_true_random=False), st.sampled_from(["min", "median"]))
def test_stages_find_rows_by_their_ids_not_their_positions(rows, random, rule):
    """The tables passed between the stages, rows shuffled, give the same sections, domains, countries and quality."""
    tables = tidy(pd.DataFrame(rows), FW, "v2")

    def shuffled(table: pd.DataFrame) -> pd.DataFrame:
        return table.iloc[random.sample(range(len(table)), len(table))].reset_index(drop=True)

    sections = section_table(tables.submissions, tables.answers, tables.section_answers, FW, rule)
    mixed_tables = type(tables)(tables.submissions, shuffled(tables.answers), shuffled(tables.section_answers),
                                shuffled(tables.truncated))
    mixed = section_table(tables.submissions, mixed_tables.answers, mixed_tables.section_answers, FW, rule)
    pd.testing.assert_frame_equal(sections, mixed)
    mixed_sections = shuffled(sections)
    pd.testing.assert_frame_equal(domain_table(tables.submissions, sections, tables.answers, FW, rule),
                                  domain_table(tables.submissions, mixed_sections, mixed_tables.answers, FW, rule))
    domains = domain_table(tables.submissions, sections, tables.answers, FW, rule)
    assessments = tables.submissions.assign(left_out="")
    for name, table in round_tables(assessments, sections, domains, FW, rule).items():
        pd.testing.assert_frame_equal(table, round_tables(assessments, mixed_sections, shuffled(domains), FW, rule)[name])
    pd.testing.assert_frame_equal(quality_table(tables, sections, FW, "v2", TODAY),
                                  quality_table(mixed_tables, mixed_sections, FW, "v2", TODAY))


@st.composite
def spaced(draw, text: str, any_case: bool = False) -> str:
    """The text with white space added around it and inside it (``any_case``: and in any letter case)."""
    pad = st.sampled_from(["", " ", "  ", "\t", "\u00a0", " \n"])
    words = [draw(st.sampled_from([word, word.lower()])) if any_case else word for word in text.split(" ")]
    return draw(pad) + (draw(pad) + " ").join(words) + draw(pad)


@settings(max_examples=14, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions(max_size=5), st.data())
def test_white_space_in_grouping_fields_changes_nothing(rows, data):
    messy = []
    for row in rows:
        row = dict(row)
        for name in ("country", "agency", "round", "area"):
            key = qaf_form().key(name)
            if key in row:
                row[key] = data.draw(spaced(row[key], any_case=name == "country"))
        messy.append(row)
    clean = score_submissions(pd.DataFrame(rows), FW, current_version="v2", today=TODAY)
    again = score_submissions(pd.DataFrame(messy), FW, current_version="v2", today=TODAY)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(clean, name), getattr(again, name))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # ~6 scorings an example
@given(submissions(max_size=6))
def test_a_submission_scores_the_same_alone_or_among_others(rows):
    """Dates, answers and levels of a submission never depend on its neighbours (of one form version: the criteria
    an older version has are found from all its submissions), except whether it is left out of its round."""
    rows = [row | {"__version__": "v2"} for row in rows]
    together = score_submissions(pd.DataFrame(rows), FW, current_version="v2", today=TODAY)
    for row in rows:
        alone = score_submissions(pd.DataFrame([row]), FW, current_version="v2", today=TODAY)
        uid = alone.assessments["root_uuid"].iloc[0]
        mine = together.assessments[together.assessments["root_uuid"] == uid].reset_index(drop=True)
        # left_out depends on the neighbours by design: a duplicate is one among others
        pd.testing.assert_frame_equal(alone.assessments.drop(columns="left_out"), mine.drop(columns="left_out"),
                                      check_dtype=False)
        for name in ("criteria", "sections", "domains"):
            table = getattr(together, name)
            pd.testing.assert_frame_equal(_canonical(getattr(alone, name)),
                                          _canonical(table[table["root_uuid"] == uid]), check_dtype=False)


def test_rows_follow_submission_then_framework_order():
    rows = [{"meta/rootUuid": f"uuid:{u}", qaf_form().key("country"): "KEN"} for u in ("b", "a")]
    scores = score_submissions(pd.DataFrame(rows), FW, current_version="v2", today=TODAY)
    k = len(FW.criteria)
    assert scores.criteria["root_uuid"].tolist() == ["b"] * k + ["a"] * k
    assert scores.criteria["criterion_id"].tolist()[:k] == [c.id for c in FW.criteria]
    assert np.array_equal(scores.sections["section_id"].astype(str).to_numpy()[: len(FW.sections)], [s.id for s in FW.sections])
