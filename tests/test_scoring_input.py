"""Scoring on awkward input read from a store: white space in grouping fields, time-stamped dates, values of any
JSON type, text that a spreadsheet would evaluate, and text too long to keep."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from qaf_kobo.excel_text import FORMULA_TRIGGERS
from qaf_kobo.framework.catalogue import english
from qaf_kobo.scoring import TABLES, score
from qaf_kobo.scoring import load as scoring_load
from qaf_kobo.scoring.quality import CHECKS
from qaf_kobo.scoring.text import TEXT_LIMIT

from scoring_rows import findings, make_store, section_row, submission


def read_csv(path: Path) -> list[dict[str, str]]:
    """A CSV file's rows with every cell as the exact text written."""
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------- free-text grouping fields
def test_grouping_fields_differing_only_by_white_space_are_one_group(fw, tmp_path):
    variants = {  # uid: (round, agency, area, country)
        "b1": ("baseline", "UNICEF", "North District", "KEN"),
        "b2": ("baseline ", " UNICEF", "North   District", " ken"),
        "r1": (" Round 1", "UNICEF", "North District", "KEN"),
        "r2": ("Round 1", "UNICEF\t", "North\u00a0District", "Ken "),
        "r3": ("Round  1", "UNICEF", "North District", "KEN"),
        "n1": (None, "UNICEF", "North District", "KEN"),
        "n2": ("  ", "  ", " ", "KEN"),
    }
    rows = [submission(fw, uid, details={"round": rnd, "agency": agency, "area": area, "country": country,
                                         "assessment_date": f"2026-01-{i + 1:02d}"})
            for i, (uid, (rnd, agency, area, country)) in enumerate(variants.items())]
    scores = score(make_store(tmp_path / "qaf.sqlite", rows))

    by_uid = scores.assessments.set_index("root_uuid")
    assert by_uid["round"].dropna().to_dict() == {"b1": "baseline", "b2": "baseline", "r1": "Round 1", "r2": "Round 1",
                                                  "r3": "Round 1"}
    assert by_uid.loc[["n1", "n2"], "round"].isna().all()
    assert set(by_uid["agency"].dropna()) == {"UNICEF"} and pd.isna(by_uid.loc["n2", "agency"])
    assert set(by_uid["area"].dropna()) == {"North District"} and set(by_uid["country"]) == {"KEN"}
    assert findings(scores, "n2")["missing_field"] == ["no agency"]  # white space alone is no answer

    for name in ("criteria", "sections", "domains"):
        assert sorted(getattr(scores, name)["round"].dropna().unique()) == ["Round 1", "baseline"], name
    assert sorted(scores.countries["round"].unique()) == ["", "Round 1", "baseline"]  # no round: the round ""
    countries = scores.countries
    # One row per country × round × section, whatever the report does to the text (it strips it).
    stripped = countries.assign(round=countries["round"].astype("str").str.strip())
    assert not stripped.duplicated(["country", "round", "section_id"]).any()
    first = countries[countries["section_id"] == fw.sections[0].id]
    assert list(zip(first["round"], first["n_assessments"])) == [
        ("baseline", 2), ("Round 1", 3), ("", 2)]  # rounds in time order (by their latest assessment date)
    heat = countries.pivot(index=["country", "round"], columns="section_id", values="median_level")  # no duplicate entries
    assert heat.shape == (3, len(fw.sections))

    assert sorted(score(tmp_path / "qaf.sqlite", countries=[" ken "]).assessments["root_uuid"]) == sorted(variants)


# --------------------------------------------------------------------------- dates
@pytest.mark.parametrize("odd", ["2025-03-01T10:00:00", "2025-03-01T10:00:00+03:00", "2025-03-01T23:30:00.000-05:00",
                                 "2025-03-01 10:00"])
@pytest.mark.parametrize("fetch_rows", [20_000, 7])
def test_a_time_stamped_date_among_plain_ones_keeps_every_date(fw, tmp_path, monkeypatch, odd, fetch_rows):
    """pyarrow types a column of ISO dates as timestamps; one date-time among them must not erase any date."""
    monkeypatch.setattr(scoring_load, "FETCH_ROWS", fetch_rows)
    good = [submission(fw, f"g{i:03d}", details={"agency": f"A{i}", "assessment_date": str(pd.Timestamp("2025-01-01")
                                                                                          + pd.Timedelta(days=i % 180))[:10]})
            for i in range(200)]
    twin = submission(fw, "twin", details={"agency": "Twin", "assessment_date": "2025-03-01"})
    stamped = submission(fw, "stamped", details={"agency": "Twin", "assessment_date": odd})
    scores = score(make_store(tmp_path / "qaf.sqlite", [*good[:100], stamped, *good[100:], twin]), keep_answers=False)

    dates = scores.assessments.set_index("root_uuid")["assessment_date"]
    assert dates.notna().all() and len(dates) == 202
    assert dates["stamped"] == pd.Timestamp("2025-03-01") and dates["g007"] == pd.Timestamp("2025-01-08")
    assert "date_out_of_range" not in set(scores.quality["check"])
    # The date of the date-time counts: the two are duplicates; the latest date of the block is right.
    assert sorted(scores.quality.loc[scores.quality["check"] == "duplicate_assessment", "root_uuid"]) == ["stamped", "twin"]
    assert scores.countries["latest_assessment_date"].max() == pd.Timestamp("2025-06-29")
    assert scores.criteria.loc[scores.criteria["root_uuid"] == "stamped", "assessment_date"].eq(pd.Timestamp("2025-03-01")).all()


def test_a_date_that_is_no_date_is_flagged_alone(fw, tmp_path):
    rows = [submission(fw, "ok", details={"agency": "A"}),
            submission(fw, "bad", details={"agency": "B", "assessment_date": "2025-02-30T10:00:00"}),
            submission(fw, "junk", details={"agency": "C", "assessment_date": "2025-03-01Tlater"})]
    scores = score(make_store(tmp_path / "qaf.sqlite", rows))
    assert findings(scores, "bad")["date_out_of_range"] == ["assessment_date '2025-02-30T10:00:00' is not a date (YYYY-MM-DD)"]
    assert findings(scores, "junk")["date_out_of_range"] == ["assessment_date '2025-03-01Tlater' is not a date (YYYY-MM-DD)"]
    assert scores.assessments.set_index("root_uuid").loc["ok", "assessment_date"] == pd.Timestamp("2026-03-01")


# --------------------------------------------------------------------------- JSON value types
def test_values_of_any_json_type_are_read_as_the_text_they_hold(fw, tmp_path, monkeypatch):
    numbers = submission(fw, "numbers", {"1.1": 4, "1.2": 3.0, "1.3": 2.5}, details={"round": 2, "area": True, "agency": "N"})
    nested = submission(fw, "nested", details={"country": {"code": "KEN"}, "agency": "M"}, notes={"1": ["a", 1]})
    plain = submission(fw, "plain", details={"agency": "P"})
    store = make_store(tmp_path / "qaf.sqlite", [plain, numbers, nested])
    monkeypatch.setattr(scoring_load, "FETCH_ROWS", 20_000)
    together = score(store, keep_answers=False)  # each run parses every row (none taken from the answers kept)
    monkeypatch.setattr(scoring_load, "FETCH_ROWS", 1)  # each row its own batch: pyarrow types its values alone
    apart = score(store, keep_answers=False)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(together, name), getattr(apart, name))

    by_uid = together.assessments.set_index("root_uuid")
    assert (by_uid.loc["numbers", "round"], by_uid.loc["numbers", "area"]) == ("2", "true")
    criteria = together.criteria[together.criteria["root_uuid"] == "numbers"].set_index("criterion_id")
    assert (criteria.loc["1.1", "level"], criteria.loc["1.2", "level"]) == (4, 3)
    assert findings(together, "numbers")["invalid_answer_code"] == ["criterion 1.3: answer '2.5' is not 1-4 or na"]
    assert by_uid.loc["nested", "country"] == '{"CODE":"KEN"}'  # country codes are upper-cased
    assert findings(together, "nested")["unknown_country"] == ["'{\"CODE\":\"KEN\"}' is not an ISO 3166-1 alpha-3 country code"]
    assert section_row(together, "nested", "1")["notes"] == '["a",1]'


# --------------------------------------------------------------------------- spreadsheets
def test_csv_text_that_a_spreadsheet_would_evaluate_starts_with_a_quote(fw, tmp_path):
    risky = {"agency": "=cmd|' /C calc'!A0", "area": '=HYPERLINK("http://127.0.0.1/x","open")', "round": "@SUM(1+1)",
             "purpose": "\t=1+1", "assessment_scope": "-agency"}
    row = submission(fw, "r", {"1.1": "1"}, details=risky, levels={"1": "4", "2a": "3"}, why={"1": "+1 reason"},
                     notes={"2a": "\r=2+2"})
    out = tmp_path / "out"
    score(make_store(tmp_path / "qaf.sqlite", [row]), out_dir=out)

    assessment = read_csv(out / "assessments.csv")[0]
    assert {name: assessment[name] for name in risky} == {name: "'" + text for name, text in risky.items()}
    assert float(assessment["index"]) > 0  # numbers stay numbers
    sections = {r["section_id"]: r for r in read_csv(out / "sections.csv")}
    assert (sections["1"]["why"], sections["2a"]["notes"]) == ("'+1 reason", "'\r=2+2")
    assert read_csv(out / "criteria.csv")[0]["agency"] == "'=cmd|' /C calc'!A0"
    assert read_csv(out / "countries.csv")[0]["round"] == "'@SUM(1+1)"
    assert any(r["detail"] == "assessment_scope '-agency' is not one of agency, inter_agency, inter_agency_gov"
               for r in read_csv(out / "quality.csv"))
    for name in TABLES:
        cells = [cell for r in read_csv(out / f"{name}.csv") for cell in r.values()]
        assert cells and not [cell for cell in cells if cell.startswith(FORMULA_TRIGGERS)], name
    parquet = pd.read_parquet(out / "assessments.parquet")  # Parquet keeps the text as it is
    assert (parquet.loc[0, "agency"], parquet.loc[0, "purpose"]) == (risky["agency"], risky["purpose"])
    assert pd.read_parquet(out / "sections.parquet").set_index("section_id").loc["2a", "notes"] == "\r=2+2"


# --------------------------------------------------------------------------- long text
def test_text_longer_than_the_limit_is_cut_and_flagged(fw, tmp_path):
    huge = "Agency " + "x" * 1_000_000
    rows = [submission(fw, f"h{i:02d}", {"1.1": "4" * 3000} if i == 0 else None, details={"agency": huge + str(i)},
                       notes={"2a": "n" * 5000} if i == 1 else None) for i in range(30)]
    out = tmp_path / "out"
    scores = score(make_store(tmp_path / "qaf.sqlite", rows), out_dir=out)

    agency = scores.assessments.set_index("root_uuid").loc["h05", "agency"]
    assert len(agency) == TEXT_LIMIT and agency.startswith("Agency xxx") and agency.endswith("…")
    truncated = scores.quality[scores.quality["check"] == "text_truncated"]
    assert len(truncated) == 32
    assert findings(scores, "h05")["text_truncated"] == [f"agency: 1,000,008 characters, cut to the first {TEXT_LIMIT:,}"]
    assert findings(scores, "h00")["text_truncated"] == [
        f"agency: 1,000,008 characters, cut to the first {TEXT_LIMIT:,}",
        f"c_1_1: 3,000 characters, cut to the first {TEXT_LIMIT:,}",
    ]
    assert findings(scores, "h01")["text_truncated"][1] == f"notes_2a: 5,000 characters, cut to the first {TEXT_LIMIT:,}"
    assert len(section_row(scores, "h01", "2a")["notes"]) == TEXT_LIMIT
    assert len(findings(scores, "h00")["invalid_answer_code"][0]) < TEXT_LIMIT + 100
    # 30 submissions × (1 + 43 + 17 + 8) rows that repeat the agency: a few MB, not the ~2 GB of 1 MB each.
    assert sum((out / f"{name}.csv").stat().st_size for name in TABLES) < 8_000_000


def test_the_summary_s_computed_lines_in_a_submission_are_ignored(fw, tmp_path):
    """The form computes the summary's line of each section in each language (``summary_line_2a_ar``) and submits
    it: text for the assessor, which scoring does not read (the scores and findings are those without it)."""
    plain = submission(fw, "p1", {"2a.1": "2"}, levels={"2a": "3"}, why={"2a": "file review"})
    lines = {f"summary/summary_line_{sec.id}_{code}": f"— suggested: 2 · assessed: 3 ≠ reason: “=1+1” ({code})"
             for sec in fw.sections for code in ("en", "ar")}
    with_lines = submission(fw, "l1", {"2a.1": "2"}, levels={"2a": "3"}, why={"2a": "file review"},
                            details={"agency": "Another agency"}) | lines  # not a duplicate of p1
    scores = score(make_store(tmp_path / "qaf.sqlite", [plain, with_lines]))
    assert findings(scores, "l1") == findings(scores, "p1")
    columns = ["section_id", "computed_level", "assessed_level", "why"]
    sections = scores.sections.set_index("root_uuid")
    assert sections.loc["l1", columns].to_dict("records") == sections.loc["p1", columns].to_dict("records")
    assert not any("summary_line" in str(c) for name in TABLES for c in getattr(scores, name).columns)


def test_every_check_has_a_name_in_the_report_wording(fw):
    wording = english(fw)
    assert [check for check in CHECKS if f"report.check.{check}" not in wording] == []


# --------------------------------------------------------------------------- the purpose
def test_a_purpose_is_its_code_the_words_given_for_other_or_the_text_an_older_form_typed(fw, tmp_path):
    purposes = {"code": {"purpose": "planning"}, "other": {"purpose": "other", "purpose_other": "Donor review"},
                "blank_other": {"purpose": "other", "purpose_other": "  "}, "typed": {"purpose": "Pilot, typed"},
                "none": {"purpose": None}}
    rows = [submission(fw, uid, details=details) for uid, details in purposes.items()]
    scores = score(make_store(tmp_path / "qaf.sqlite", rows))
    by_uid = scores.assessments.astype({"root_uuid": str}).set_index("root_uuid")["purpose"]
    assert by_uid.drop("none").to_dict() == {"code": "planning", "other": "Donor review", "blank_other": "other",
                                             "typed": "Pilot, typed"}
    assert pd.isna(by_uid["none"])
