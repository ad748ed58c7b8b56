"""Scoring on hand-built submissions: levels worked out by hand, quality findings, store filters, files, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from qaf_kobo.cli import main
from qaf_kobo.errors import QafError
from qaf_kobo.scoring import TABLES, score, score_submissions
from qaf_kobo.scoring.rules import NO_LEVEL, combine, lower_median_of_counts

from scoring_rows import TODAY, findings, make_store, section_row, submission


# --------------------------------------------------------------------------- levels worked out by hand
def test_section_domain_and_index_levels_by_hand(fw):
    # Section 2a: 4 → good practice, 1 → critical, na, 3 → meets minimum. The assessor says 4 without a reason.
    row = submission(fw, "a", {"2a.1": "4", "2a.2": "1", "2a.3": "na", "2a.4": "3", "2b.1": "na"},
                     levels={"2a": "4", "2c": "3"}, notes={"2a": "=cmd|' /C calc'!A0"})
    raw = pd.DataFrame([row])

    low = score_submissions(raw, fw, rule="min", current_version="v2", today=TODAY)
    s2a = section_row(low, "a", "2a")
    assert s2a["computed_level"] == 1  # lowest of 4, 1, 3
    assert s2a["computed_level_name"] == "critical"
    assert (s2a["n_criteria"], s2a["n_assessed"]) == (4, 3)
    assert s2a["assessed_level"] == 4 and s2a["assessed_level_name"] == "good_practice"
    assert not s2a["agrees"]
    assert s2a["notes"] == "=cmd|' /C calc'!A0"
    s2b = section_row(low, "a", "2b")
    assert pd.isna(s2b["computed_level"]) and s2b["n_assessed"] == 0 and pd.isna(s2b["computed_level_name"])
    assert section_row(low, "a", "2c")["agrees"]  # 3 and 3
    assert pd.isna(section_row(low, "a", "1")["agrees"])  # no assessed level given

    criteria = low.criteria[low.criteria["section_id"] == "2a"].set_index("criterion_id")
    assert criteria["level"].tolist()[:2] == [4, 1] and pd.isna(criteria.loc["2a.3", "level"])
    assert criteria.loc["2a.2", "level_name"] == "critical" and pd.isna(criteria.loc["2a.3", "level_name"])

    domains = low.domains.set_index("domain_id")
    # Domain 2 holds 16 criteria; 2a.3 and 2b.1 are na → 14 assessed: 4 → 100, 1 → 0, twelve at 3 → 66.67 each.
    # A domain's level: the rule over its sections' levels (assessed, else computed): 2a assessed 4, computed 1.
    levels = low.sections[low.sections["root_uuid"] == "a"].set_index("section_id")["level"]
    assert domains.loc["2", "level"] == min(levels[sid] for sid in fw.domain_of("2a").section_ids if pd.notna(levels[sid]))
    assert domains.loc["2", "n_assessed"] == 14
    assert domains.loc["2", "index"] == pytest.approx((100 + 0 + 12 * 200 / 3) / 14)
    assert domains.loc["1", "level"] == 3 and domains.loc["1", "index"] == pytest.approx(200 / 3)
    # Overall: 43 criteria, 41 assessed: (100 + 0 + 39 × 66.67) / 41.
    assert low.assessments.loc[0, "index"] == pytest.approx((100 + 0 + 39 * 200 / 3) / 41)

    far = findings(low, "a")["level_far_from_computed_without_reason"]
    assert far == ["section 2a: assessed level 4, computed level 1, no reason given"]
    assert findings(low, "a")["criteria_not_assessed"] == ["2 criteria not assessed (na or unanswered): 2a.3, 2b.1"]

    middle = score_submissions(raw, fw, rule="median", current_version="v2", today=TODAY)
    assert section_row(middle, "a", "2a")["computed_level"] == 3  # median of 1, 3, 4
    # Domain 2 under median: section levels 3, 3 (2a), none (2b), 3, 3, 3, 3 → 3.
    assert middle.domains.set_index("domain_id").loc["2", "level"] == 3
    assert "level_far_from_computed_without_reason" not in findings(middle, "a")
    assert low.about["rule"] == "min" and middle.about["rule"] == "median"


def test_median_of_an_even_count_is_the_lower_middle_level():
    levels = np.array([[1, 2, 3, 4], [2, 2, 4, 4], [4, np.nan, 1, np.nan], [np.nan] * 4])
    out = combine(levels, [[0, 1, 2, 3]], "median")[:, 0]
    assert out[:3].tolist() == [2, 2, 1] and np.isnan(out[3])
    assert combine(levels, [[0, 1, 2, 3]], "min")[:3, 0].tolist() == [1, 2, 1]


def test_a_reason_silences_the_far_level_finding_and_one_level_apart_is_fine(fw):
    reasoned = submission(fw, "r", {"1.1": "1"}, levels={"1": "4"}, why={"1": "documented in the case review"})
    near = submission(fw, "n", {"1.1": "2"}, levels={"1": "3"})
    scores = score_submissions(pd.DataFrame([reasoned, near]), fw, current_version="v2", today=TODAY)
    assert "level_far_from_computed_without_reason" not in set(scores.quality["check"])
    assert section_row(scores, "r", "1")["why"] == "documented in the case review"


@pytest.mark.parametrize(("answer", "assessed", "flagged"), [
    ("1", "3", True),   # two levels above the computed one: the boundary
    ("3", "1", True),   # two below
    ("2", "3", False),  # one apart
    ("1", "4", True),   # three apart
])
def test_an_assessed_level_two_or_more_from_the_computed_one_needs_a_reason(fw, answer, assessed, flagged):
    row = submission(fw, "f", {"3.1": answer}, default=answer, levels={"3": assessed})
    scores = score_submissions(pd.DataFrame([row]), fw, current_version="v2", today=TODAY)
    assert section_row(scores, "f", "3")["computed_level"] == int(answer)
    far = findings(scores, "f").get("level_far_from_computed_without_reason", [])
    assert far == ([f"section 3: assessed level {assessed}, computed level {answer}, no reason given"] if flagged else [])


def test_criteria_tell_na_unanswered_and_invalid_answers_apart(fw):
    row = submission(fw, "s", {"1.1": "na", "1.2": None, "1.3": "9", "1.4": "2"})
    criteria = score_submissions(pd.DataFrame([row]), fw, current_version="v2", today=TODAY).criteria.set_index("criterion_id")
    assert [criteria.loc[c, "answer_status"] for c in ("1.1", "1.2", "1.3", "1.4")] == [
        "not_assessed", "missing", "invalid", "assessed"]
    assert criteria.loc["1.4", "level"] == 2 and criteria.loc[["1.1", "1.2", "1.3"], "level"].isna().all()


def test_the_tidy_tables_have_the_columns_their_contract_names(fw):
    from qaf_kobo.scoring.tidy import ANSWER_COLUMNS, SECTION_ANSWER_COLUMNS, TRUNCATED_COLUMNS, tidy

    row = submission(fw, "s", {"1.1": "na", "1.3": "9"}, why={"2a": "seen"})
    tables = tidy(pd.DataFrame([row, submission(fw, "t", details={"agency": "x" * 5000})]), fw, "v2")
    assert list(tables.answers.columns) == list(ANSWER_COLUMNS) and len(tables.answers) == 2 * len(fw.criteria)
    assert list(tables.section_answers.columns) == list(SECTION_ANSWER_COLUMNS)
    assert len(tables.section_answers) == 2 * len(fw.sections)
    assert list(tables.truncated.columns) == list(TRUNCATED_COLUMNS)
    assert tables.truncated[["root_uuid", "field"]].astype(str).values.tolist() == [["t", "agency"]]


def test_two_submissions_with_one_root_uuid_are_a_clear_error(fw):
    rows = [submission(fw, "same", details={"agency": "A"}), submission(fw, "same", details={"agency": "B"})]
    with pytest.raises(QafError, match="share a root_uuid with another \\(same\\)"):
        score_submissions(pd.DataFrame(rows), fw, current_version="v2", today=TODAY)


def test_submission_times_with_and_without_an_offset_are_read_as_utc(fw):
    rows = [submission(fw, "z", details={"agency": "A"}), submission(fw, "o", details={"agency": "B"})]
    rows[1]["_submission_time"] = "2026-05-01T12:00:00+03:00"
    scores = score_submissions(pd.DataFrame(rows), fw, today=TODAY)
    times = scores.assessments.set_index("root_uuid")["submission_time"]
    assert times["z"] == pd.Timestamp("2026-05-01T10:00:00") and times["o"] == pd.Timestamp("2026-05-01T09:00:00")
    assert scores.about["current_version"] == "v2"


# --------------------------------------------------------------------------- bad input lands in quality
def test_bad_input_becomes_findings_not_a_crash(fw):
    bad = submission(fw, "bad", {"1.1": "5", "1.2": "abc", "1.3": " "}, levels={"1": "x"},
                     details={"country": "XYZ", "assessment_date": "2030-99-99", "agency": None, "assessment_scope": "everyone"})
    future = submission(fw, "fut", details={"assessment_date": "2999-01-01", "agency": "IRC"})
    early = submission(fw, "old", details={"assessment_date": "2014-12-31", "agency": "Plan"})
    empty = {"meta/rootUuid": "uuid:empty", "_submission_time": "2026-05-01T10:00:00"}
    scores = score_submissions(pd.DataFrame([bad, future, early, empty]), fw, current_version="v2", today=TODAY)

    got = findings(scores, "bad")
    assert got["unknown_country"] == ["'XYZ' is not an ISO 3166-1 alpha-3 country code"]
    assert got["date_out_of_range"] == ["assessment_date '2030-99-99' is not a date (YYYY-MM-DD)"]
    assert got["missing_field"] == ["no agency"]
    assert got["invalid_answer_code"] == [
        "criterion 1.1: answer '5' is not 1-4 or na",
        "criterion 1.2: answer 'abc' is not 1-4 or na",
        "section 1 assessed level: answer 'x' is not 1-4",
        "assessment_scope 'everyone' is not one of agency, inter_agency, inter_agency_gov",
    ]
    assert got["criteria_not_assessed"] == ["1 criteria not assessed (na or unanswered): 1.3"]  # a blank answer
    # Invalid codes give no level: section 1 is scored on 1.4 and 1.5 only.
    s1 = section_row(scores, "bad", "1")
    assert (s1["n_assessed"], s1["computed_level"]) == (2, 3) and pd.isna(s1["assessed_level"])
    assessment = scores.assessments.set_index("root_uuid").loc["bad"]
    assert assessment["country_name"] == "XYZ" and pd.isna(assessment["assessment_date"])

    assert findings(scores, "fut")["date_out_of_range"] == ["assessment_date 2999-01-01 is in the future"]
    assert findings(scores, "old")["date_out_of_range"] == ["assessment_date 2014-12-31 is before 2015-01-01"]
    nothing = findings(scores, "empty")
    assert nothing["missing_field"] == ["no country", "no agency", "no assessment_date", "no assessment_scope"]
    assert nothing["criteria_not_assessed"][0].startswith("43 criteria not assessed")
    assert scores.assessments.set_index("root_uuid").loc["empty", "index"] != scores.assessments.set_index("root_uuid").loc["empty", "index"]  # NaN
    assert set(scores.quality["check"]) <= {
        "criteria_not_assessed", "level_far_from_computed_without_reason", "duplicate_assessment", "invalid_answer_code",
        "older_form_version", "date_out_of_range", "unknown_country", "missing_field", "left_out_of_round",
    }
    left = scores.assessments.set_index("root_uuid")["left_out"]
    assert (left["fut"], left["old"], left["empty"]) == ("date_out_of_range", "date_out_of_range", "no_country")
    assert findings(scores, "old")["left_out_of_round"][0].endswith(": date out of range")


def test_duplicates_flag_every_member_and_only_exact_matches(fw):
    rows = [
        submission(fw, "d1"), submission(fw, "d2"), submission(fw, "d3"),
        submission(fw, "other-date", details={"assessment_date": "2026-03-02"}),
        submission(fw, "other-scope", details={"assessment_scope": "inter_agency"}),
    ]
    scores = score_submissions(pd.DataFrame(rows), fw, current_version="v2", today=TODAY)
    flagged = scores.quality[scores.quality["check"] == "duplicate_assessment"]
    assert sorted(flagged["root_uuid"]) == ["d1", "d2", "d3"]
    assert flagged["detail"].iloc[0] == "same country, agency, scope and date (KEN, UNICEF, agency, 2026-03-01) as 2 other submission(s)"


def test_older_form_version_is_scored_on_its_criteria_and_found_by_last_segment(fw):
    current = submission(fw, "new", details={"agency": "A"})
    # v1 had other group names and no section 8 at all.
    older = submission(fw, "old", {"7.1": "1"}, version="v1", groups="page_{}", drop_sections=("8",), details={"agency": "B"})
    older_na = submission(fw, "old2", {"2a.1": "na"}, version="v1", groups="page_{}", drop_sections=("8",), details={"agency": "C"})
    scores = score_submissions(pd.DataFrame([current, older, older_na]), fw, current_version="v2", today=TODAY)
    by_uid = scores.assessments.set_index("root_uuid")
    assert not by_uid.loc["new", "older_version"] and by_uid.loc["old", "older_version"]
    assert section_row(scores, "old", "7")["computed_level"] == 1  # found under page_7/c_7_1
    s8 = section_row(scores, "old", "8")
    assert (s8["n_criteria"], s8["n_assessed"]) == (0, 0) and pd.isna(s8["computed_level"])
    assert section_row(scores, "new", "8")["n_criteria"] == 3
    got = findings(scores, "old")
    assert got["older_form_version"] == ["form version v1 (current: v2); scored on the 40 criteria it has"]
    assert "criteria_not_assessed" not in got  # section 8 is not in its form
    assert findings(scores, "old2")["criteria_not_assessed"] == ["1 criteria not assessed (na or unanswered): 2a.1"]
    # Without a known deployed version, the version of the most recent submission is the current one.
    older["_submission_time"] = "2026-05-02T00:00:00"
    latest = score_submissions(pd.DataFrame([current, older]), fw, today=TODAY)
    assert latest.about["current_version"] == "v1"
    assert latest.assessments.set_index("root_uuid")["older_version"].to_dict() == {"new": True, "old": False}


def test_each_source_is_compared_with_its_own_deployed_version_even_when_times_tie(fw):
    """Two sources, every submission at the same second: the deployed version each source's sync recorded decides,
    not the order of version ids (which are random on KoboToolbox)."""
    rows = [submission(fw, uid, version=version, details={"agency": uid}) | {"source": source}
            for uid, version, source in (("k-old", "vZZZ", "kobo"), ("k-new", "vAAA", "kobo"), ("c-new", "2.0", "central"))]
    scores = score_submissions(pd.DataFrame(rows), fw, current_version={"kobo": "vAAA"}, today=TODAY)
    older = scores.assessments.set_index("root_uuid")["older_version"].to_dict()
    assert older == {"k-old": True, "k-new": False, "c-new": False}
    assert findings(scores, "k-old")["older_form_version"][0].startswith("form version vZZZ (older than its source's latest)")


def test_countries_table_counts_levels_per_country_section_and_round(fw):
    rows = [
        submission(fw, "k1", {"1.1": "1"}, details={"agency": "A", "assessment_date": "2026-01-10"}),
        submission(fw, "k2", {"1.1": "4", "1.2": "4", "1.3": "4", "1.4": "4", "1.5": "4"}, details={"agency": "B"}),
        submission(fw, "k3", details={"agency": "C", "assessment_date": "2026-02-01"}, levels={"1": "2"}),  # assessed wins
        submission(fw, "k4", {"1.1": "2"}, details={"agency": "D", "round": "2"}),
        submission(fw, "u1", {"1.1": "2"}, details={"country": "UGA", "round": None}),
    ]
    scores = score_submissions(pd.DataFrame(rows), fw, current_version="v2", today=TODAY)
    table = scores.countries
    ken1 = table[(table["country"] == "KEN") & (table["round"] == "1") & (table["section_id"] == "1")].iloc[0]
    # Levels in section 1, round 1: k1 → 1, k2 → 4, k3 → 2 (assessed).
    assert (ken1["n_assessments"], ken1["n_critical"], ken1["n_requires_improvement"], ken1["n_meets_minimum"],
            ken1["n_good_practice"]) == (3, 1, 1, 0, 1)
    assert ken1["share_meets_minimum"] == pytest.approx(1 / 3)
    assert ken1["median_level"] == 2
    assert ken1["latest_assessment_date"] == pd.Timestamp("2026-03-01")
    ken2 = table[(table["country"] == "KEN") & (table["round"] == "2") & (table["section_id"] == "1")].iloc[0]
    assert (ken2["n_assessments"], ken2["n_requires_improvement"]) == (1, 1)
    uga = table[table["country"] == "UGA"]
    assert len(uga) == len(fw.sections) and (uga["round"] == "").all()  # no round: one block
    assert list(table.columns) == ["country", "round", "section_id", "n_assessments", "n_critical", "n_requires_improvement",
                                   "n_meets_minimum", "n_good_practice", "share_meets_minimum", "median_level",
                                   "latest_assessment_date", "previous_level", "level_change"]


# --------------------------------------------------------------------------- the store, filters and files
def test_score_reads_the_store_with_filters_and_writes_csv_parquet_and_about(fw, tmp_path):
    rows = [
        submission(fw, "plain", details={"agency": "A"}),
        submission(fw, "approved", {"1.1": "1"}, details={"agency": "B"}, status="validation_status_approved"),
        submission(fw, "rejected", details={"agency": "C"}, status="validation_status_not_approved"),
        submission(fw, "gone", details={"agency": "D"}),
        submission(fw, "uganda", details={"agency": "E", "country": "UGA"}),
    ]
    store = make_store(tmp_path / "qaf.sqlite", rows, deleted=("gone",))
    out = tmp_path / "out"
    scores = score(store, out_dir=out)
    assert sorted(scores.assessments["root_uuid"]) == ["approved", "plain", "uganda"]
    assert scores.about["server"] == "http://127.0.0.1:9" and scores.about["asset_uid"] == "aTEST"
    assert scores.about["current_version"] == "v2" and scores.about["n_submissions"] == 3
    assert scores.assessments.set_index("root_uuid").loc["approved", "validation_status"] == "validation_status_approved"
    assert sorted(score(store, only_approved=True).assessments["root_uuid"]) == ["approved"]
    assert sorted(score(store, countries=["uga"]).assessments["root_uuid"]) == ["uganda"]

    for name in TABLES:
        table = getattr(scores, name)
        csv = pd.read_csv(out / f"{name}.csv")
        assert list(csv.columns) == list(table.columns) and len(csv) == len(table)
        parquet = pd.read_parquet(out / f"{name}.parquet")
        assert list(parquet.columns) == list(table.columns) and len(parquet) == len(table)
    criteria = pd.read_csv(out / "criteria.csv", dtype=str, keep_default_na=False)
    first = criteria[(criteria["root_uuid"] == "approved") & (criteria["criterion_id"] == "1.1")].iloc[0]
    assert (first["level"], first["level_name"], first["assessment_date"]) == ("1", "critical", "2026-03-01")
    sections = pd.read_parquet(out / "sections.parquet")
    assert sections.loc[(sections["root_uuid"] == "approved") & (sections["section_id"] == "1"), "computed_level"].item() == 1
    about = json.loads((out / "about.json").read_text())
    assert about["rule"] == "min" and about["framework_version"] == fw.version and about["form_versions"] == ["v2"]


def test_an_empty_store_gives_empty_tables_with_headers(fw, tmp_path):
    store = make_store(tmp_path / "empty.sqlite", [])
    out = tmp_path / "out"
    scores = score(store, out_dir=out)
    full = score_submissions(pd.DataFrame([submission(fw, "x")]), fw, current_version="v2", today=TODAY)
    for name in TABLES:
        assert getattr(scores, name).empty
        assert list(getattr(scores, name).columns) == list(getattr(full, name).columns)
        assert pd.read_csv(out / f"{name}.csv").columns.tolist() == list(getattr(full, name).columns)
    result = CliRunner().invoke(main, ["score", "--store", str(store), "--out", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    assert "no submissions to score" in result.output


def test_unreadable_json_in_the_store_is_a_submission_without_answers(fw, tmp_path):
    store = make_store(tmp_path / "qaf.sqlite", [submission(fw, "good")])
    import sqlite3

    with sqlite3.connect(store) as con:
        con.execute("INSERT INTO submissions (source_id, root_uuid, raw_json, first_seen, last_seen) VALUES (1, 'broken', "
                    "'{not json', 'x', 'x')")
    scores = score(store)
    assert sorted(scores.assessments["root_uuid"]) == ["broken", "good"]
    assert "no country" in findings(scores, "broken")["missing_field"]
    assert section_row(scores, "good", "1")["computed_level"] == 3


def test_missing_or_foreign_store_and_bad_rule_are_one_line_errors(tmp_path):
    with pytest.raises(QafError, match="no store at"):
        score(tmp_path / "nothing.sqlite")
    foreign = tmp_path / "foreign.sqlite"
    foreign.write_bytes(b"not a database at all" * 100)
    with pytest.raises(QafError, match="not a qaf-kobo store"):
        score(foreign)
    with pytest.raises(QafError, match="unknown scoring rule"):
        score_submissions(pd.DataFrame(), rule="mean")
    result = CliRunner().invoke(main, ["score", "--store", str(tmp_path / "nothing.sqlite")])
    assert result.exit_code == 2 and result.output.startswith("error: no store at") and "Traceback" not in result.output


def test_cli_prints_a_summary_and_writes_the_tables(fw, tmp_path):
    row = submission(fw, "c", {"1.1": "1"})
    store = make_store(tmp_path / "qaf.sqlite", [row, submission(fw, "d", details={"agency": "Z"})])
    out = tmp_path / "reports"
    result = CliRunner().invoke(main, ["score", "--store", str(store), "--out", str(out), "--rule", "median"])
    assert result.exit_code == 0, result.output
    # Rule median: section 1 of "c" has 1, 3, 3, 3, 3 → 3, and d's 3: KEN's round meets the minimum in section 1.
    assert "scored 2 submissions (rule median): 0 left out of their round's figures" in result.output
    median_line = next(line for line in result.output.splitlines() if line.startswith("  KEN"))
    assert str(out) in result.output
    assert json.loads((out / "about.json").read_text())["rule"] == "median"
    result = CliRunner().invoke(main, ["score", "--store", str(store), "--out", str(out)])
    min_line = next(line for line in result.output.splitlines() if line.startswith("  KEN"))
    meets = lambda line: int(line.split(": ", 1)[1].split(" of ")[0])  # noqa: E731
    assert meets(min_line) == meets(median_line) - 1  # rule min: section 1 of "c" at 1, the round's lower median 1


def test_the_store_read_in_batches_scores_like_one_pass(fw, tmp_path, monkeypatch):
    """Batches parsed apart may type a column differently (a date in one, not a date in another): same scores."""
    from qaf_kobo.scoring import load

    rows = [submission(fw, f"b{i}", details={"assessment_date": "soon" if i == 3 else f"2026-01-0{i + 1}"}) for i in range(5)]
    rows[4]["_id"] = "not a number"
    store = make_store(tmp_path / "qaf.sqlite", rows)
    monkeypatch.setattr(load, "FETCH_ROWS", 10_000)
    whole = score(store, keep_answers=False)  # each run parses every row (none taken from the answers kept)
    monkeypatch.setattr(load, "FETCH_ROWS", 2)
    batched = score(store, keep_answers=False)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(whole, name), getattr(batched, name))
    assert findings(batched, "b3")["date_out_of_range"] == ["assessment_date 'soon' is not a date (YYYY-MM-DD)"]
    assert batched.assessments["assessment_date"].notna().sum() == 4


def test_countries_median_is_the_lower_median_of_an_even_count(fw):
    """Two assessments at 2 and 3 in one section: the median level is 2 (the lower middle), never 2.5."""
    section = fw.sections[0]
    rows = []
    for name, level in (("a", "2"), ("b", "3")):
        row = submission(fw, name, {c.id: level for c in section.criteria}, details={"agency": name.upper()})
        rows.append(row)
    table = score_submissions(pd.DataFrame(rows), fw, current_version="v2", today=TODAY).countries
    cell = table[table["section_id"] == section.id].iloc[0]
    assert (cell["n_requires_improvement"], cell["n_meets_minimum"], cell["median_level"]) == (1, 1, 2)


def test_lower_median_takes_the_lower_middle_level():
    # levels {1, 4} -> 1; {1, 2, 3} -> 2; {2, 3, 4, 4} -> 3; none -> no level
    counts = [[1, 0, 0, 1], [1, 1, 1, 0], [0, 1, 1, 2], [0, 0, 0, 0]]
    assert lower_median_of_counts(np.array(counts)).tolist() == [1, 2, 3, NO_LEVEL]


@given(st.lists(st.integers(1, 5), min_size=1, max_size=40))
def test_lower_median_is_the_middle_of_the_sorted_levels(levels):
    counts = [[levels.count(code) for code in (1, 2, 3, 4, 5)]]
    assert lower_median_of_counts(np.array(counts)).tolist() == [sorted(levels)[(len(levels) - 1) // 2]]
