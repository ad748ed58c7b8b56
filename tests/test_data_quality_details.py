"""Data quality's Detail column in the report language: every shape of scoring's details (``scoring.finding_details``)
read back and worded in French, Arabic and Spanish, its values shown as the report shows them; an unknown detail
kept as scoring wrote it; the English report unchanged."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from qaf_kobo.framework.catalogue import texts
from qaf_kobo.report.detail_wording import REWORDED_IN_ENGLISH, worded_details
from qaf_kobo.report.sheets.data_quality import data_quality_table
from qaf_kobo.report.wording import RLM, wording
from qaf_kobo.scoring import score_submissions
from qaf_kobo.scoring.finding_details import _SLOT, DETAILS, parser
from qaf_kobo.scoring.rounds import NOT_APPROVED
from qaf_kobo.scoring.text import TEXT_LIMIT

from qaf_rows import qaf_form
from scoring_rows import TODAY, submission

WORD = re.compile(r"[A-Za-z][A-Za-z’'-]*[A-Za-z]")
STAFF = {"ev_caseworkers": "10", "ev_female_caseworkers": "4", "ev_supervisors": "2", "ev_data_entry_staff": "3"}
KEPT = {"field", "code", "text", "date", "earliest", "criterion", "section", "answer", "codes", "not_assessed",
        "current", "ids", "agency", "value"}
"""Slots whose values the report shows as scoring wrote them (ids, field names, dates, codes and what people typed)."""


def figures(row: dict, **values: str) -> dict:
    form = qaf_form()
    return row | {form.key(name): value for name, value in values.items()}


@pytest.fixture(scope="module")
def every_shape(fw) -> list:
    """Two scorings whose findings have every detail shape: one source with a deployed version, and two sources
    (a submission older than its own source's latest)."""
    bad = submission(fw, "bad", {"1.1": "5", "1.2": "abc", "1.3": " ", "2a.1": "1", "2a.2": "1", "2a.3": "1", "2a.4": "1"},
                     levels={"1": "x", "2a": "4"},
                     details={"country": "XYZ", "assessment_date": "2030-99-99", "agency": None, "assessment_scope": "everyone"})
    rows = [
        figures(bad, ev_active_cases="about 40"),
        submission(fw, "fut", details={"assessment_date": "2999-01-01", "agency": "IRC"}),
        submission(fw, "old", details={"assessment_date": "2014-12-31", "agency": "Plan"}),
        submission(fw, "d1", details={"agency": "Same"}), submission(fw, "d2", details={"agency": "Same"}),
        submission(fw, "v1", version="v1", details={"agency": "Older"}),
        submission(fw, "long", details={"agency": "A" * (TEXT_LIMIT + 1000)}),
        submission(fw, "no", status=NOT_APPROVED, details={"agency": "No"}),
        submission(fw, "nc", details={"country": None, "agency": "Nowhere"}),
        figures(submission(fw, "ev", details={"agency": "Evidence", "round": "baseline 2025"}),
                **STAFF, ev_active_cases="251"),
    ]
    sources = [submission(fw, uid, version=version, details={"agency": uid}) | {"source": source}
               for uid, version, source in (("k-old", "v1", "kobo"), ("k-new", "v2", "kobo"), ("c", "2.0", "central"))]
    sources[1]["_submission_time"] = "2026-05-02T10:00:00"
    return [score_submissions(pd.DataFrame(rows), fw, current_version="v2", today=TODAY),
            score_submissions(pd.DataFrame(sources), fw, current_version={"kobo": "v2"}, today=TODAY)]


def shape_of(check: str, detail: str) -> str | None:
    return next((shape for shape, (of, _) in DETAILS.items() if of == check and parser(shape).match(detail)), None)


def test_the_scorings_have_every_shape(every_shape):
    found = {shape_of(c, d) for scores in every_shape for c, d in zip(scores.quality["check"], scores.quality["detail"])}
    assert found == set(DETAILS)


@pytest.mark.parametrize("lang", ["fr", "ar", "es"])
def test_every_detail_is_in_the_report_language_with_its_values(fw, every_shape, lang):
    words = wording(fw, lang)
    english = {w for _, template in DETAILS.values() for w in WORD.findall(_SLOT.sub(" ", template))}
    own = {w.casefold() for text in texts(fw, lang).translated.values() for w in WORD.findall(text)}
    shown: dict[str, list[str]] = {}
    for scores in every_shape:
        table = data_quality_table(scores, words).frame
        quality = scores.quality.reset_index(drop=True)
        for check, detail, worded in zip(quality["check"], quality["detail"], table["detail"]):
            shape = shape_of(check, detail)
            values = parser(shape).match(detail).groupdict()
            assert worded != detail, (lang, detail)
            rest = worded.replace(RLM, "")
            kept = sorted((value for slot, value in values.items() if slot in KEPT), key=len, reverse=True)
            assert all(value in rest for value in kept), (lang, values, worded)
            for value in kept:  # the longest first: "1-4" before "1"
                rest = rest.replace(value, " ")
            left = {w for w in WORD.findall(rest) if w in english and w.casefold() not in own}
            assert not left, (lang, detail, worded, left)
            shown.setdefault(shape, []).append(worded.replace(RLM, ""))

    def has(shape: str, *parts: str) -> None:
        assert any(all(part in text for part in parts) for text in shown[shape]), (shape, parts, shown[shape])

    level = words.level
    has("level_far_from_computed_without_reason", "2a", level(4), level(1))
    has("criteria_not_assessed", words.count("criteria", 1), "1.3")
    has("older_form_version", "v1", "v2", words.count("criteria", 43))
    has("older_than_latest", "v1", words.count("criteria", 43))
    has("duplicate_assessment", words.country("KEN"), "Same", words("report.scope.agency"), "2026-03-01",
        words.count("other_submissions", 1))
    has("text_truncated", "agency", words.count("characters", TEXT_LIMIT + 1000), str(TEXT_LIMIT))
    has("rating_not_supported_by_evidence", "5b.2", level(3), words("indicator.cases_per_caseworker.label")[1:],
        "25.1", words("report.indicator.at_most", target="25").replace(RLM, ""))
    has("invalid_evidence_figure", "ev_active_cases", "about 40")
    has("left_out_of_round", words.country("KEN"), words("report.left_out.not_approved"))
    has("left_out_of_round", words("report.detail_value.no_country"), words("report.left_out.no_country"))
    has("left_out_of_round", words.round_label("1"), words("report.left_out.duplicate_assessment"))
    has("left_out_of_round", words("report.left_out.date_out_of_range"))
    has("unknown_country", "XYZ")
    has("missing_field", "agency")


def test_the_english_report_shows_scorings_details(fw, every_shape):
    """English: as scoring wrote them, but for the shapes the report always worded itself."""
    for scores in every_shape:
        table = data_quality_table(scores, wording(fw)).frame
        quality = scores.quality.reset_index(drop=True)
        same = ~quality["check"].isin([DETAILS[shape][0] for shape in REWORDED_IN_ENGLISH]).to_numpy()
        assert table["detail"][same].tolist() == quality["detail"][same].tolist()
        assert all("not applicable or unanswered" in text for text in table["detail"][~same])


def test_a_detail_of_no_known_shape_is_kept_as_scoring_wrote_it(fw):
    checks = pd.Series(["missing_field", "a_future_check", "criteria_not_assessed", "unknown_country"])
    details = pd.Series(["something scoring says in a new way", "no agency",
                         "2 criteria not assessed (na or unanswered): 1.1, 1.2", None], dtype=object)
    worded = worded_details(checks, details, wording(fw, "fr"))
    assert list(worded[:2]) == ["something scoring says in a new way", "no agency"]
    assert worded[2] == "2 critères non évalué(s) (sans objet ou sans réponse) : 1.1, 1.2"
    assert worded[3] is None
    assert details[0] == "something scoring says in a new way"  # the scores are not changed
