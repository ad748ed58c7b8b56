"""The CPSS benchmarks as data (forms/cpss/framework.yaml): structure, descriptors verbatim from the seed's
Annex, actions verbatim from its section-3 table, and nothing of either lost.

The file is read with yaml.safe_load, not with qaf_kobo's loader, and compared with cpss_seed_text's own
parse of the CPSS document in tests/seeds/002_*.txt. The judgement calls checked here are explained in forms/cpss/README.md.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

import cpss_seed_text as seed

FRAMEWORK = Path(__file__).resolve().parents[1] / "forms" / "cpss" / "framework.yaml"
LEVELS = ("system_building", "system_enhancement", "system_integration", "system_maturity")
TRANSITIONS = ("1-2", "2-3", "3-4")
OUTCOMES = {
    "1": "Legal and policy framework",
    "2": "Governance and coordination structures",
    "3": "A continuum of services",
    "4": "Minimum standards and oversight mechanisms",
    "5": "Human, financial and infrastructure resources",
    "6": "Mechanisms for child participation and community engagement",
    "7": "Data collection and monitoring systems",
}
# The criteria per outcome: the subdomains the Annex distinguishes (README, "Criteria").
CRITERIA_PER_OUTCOME = {"1": 2, "2": 3, "3": 2, "4": 2, "5": 2, "6": 4, "7": 2}
# The one exception to "an intervention belongs to the outcome it is listed under" (README, "Actions"): the last
# row under outcome 3 repeats outcome 4's first intervention word for word and names outcome 4's subject, so it is
# read as outcome 4's; its marks add to those of outcome 4's own row.
REASSIGNED = {("3", "Support to develop policy frameworks for minimum standards and oversight mechanisms"): "4"}
# Interventions the table marks for System Maturity only: a phase-4 mark has no next level, so they give no action.
MATURITY_ONLY = [("4", "Support implementation of independent oversight mechanisms")]

Framework = dict[str, Any]


@pytest.fixture(scope="module")
def cpss() -> Framework:
    """The CPSS framework file as plain data."""
    data = yaml.safe_load(FRAMEWORK.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def criteria(cpss: Framework) -> list[dict[str, Any]]:
    """All criteria in file order."""
    return [c for section in cpss["sections"] for c in section["criteria"]]


def outcome_of(criterion_id: str) -> str:
    """The outcome (section id) of a criterion id like "6.3"."""
    return criterion_id.split(".")[0]


def table_marks() -> dict[tuple[str, str], set[int]]:
    """(outcome, intervention text) -> the phases the section-3 table marks, misplaced rows reassigned."""
    marks: dict[tuple[str, str], set[int]] = {}
    for row in seed.interventions():
        outcome = REASSIGNED.get((row.outcome, row.text), row.outcome)
        marks.setdefault((outcome, row.text), set()).update(row.phases)
    return marks


def test_identity_and_levels(cpss: Framework) -> None:
    assert (cpss["id"], cpss["form_id"], cpss["version"]) == ("cpss", "cpss_benchmarks", "1.0.0")
    assert cpss["title"] == "Child Protection Systems Strengthening benchmarks (UNICEF)"
    assert "Child Protection Systems Strengthening" in cpss["edition"] and "2021" in cpss["edition"]
    assert [lv["name"] for lv in cpss["levels"]] == list(LEVELS)
    assert [lv["label"] for lv in cpss["levels"]] == [p.capitalize() for p in seed.PHASES]
    assert [lv["colour"] for lv in cpss["levels"]] == ["F8696B", "FFB366", "FFE699", "A9D08E"]
    assert cpss["minimum_level"] == "system_integration" and cpss["minimum_level"] in LEVELS


def test_domains_and_sections_are_the_seven_outcomes(cpss: Framework) -> None:
    assert seed.outcome_titles() == OUTCOMES
    assert {d["id"]: d["title"] for d in cpss["domains"]} == OUTCOMES
    assert [d["id"] for d in cpss["domains"]] == list(OUTCOMES)
    assert [(s["id"], s["domain"], s["title"]) for s in cpss["sections"]] == [(k, k, v) for k, v in OUTCOMES.items()]


def test_criteria_shape(cpss: Framework) -> None:
    for section in cpss["sections"]:
        ids = [c["id"] for c in section["criteria"]]
        assert ids == [f"{section['id']}.{n}" for n in range(1, len(ids) + 1)]
        assert len(ids) == CRITERIA_PER_OUTCOME[section["id"]], section["id"]
    titles = [c["title"] for c in criteria(cpss)]
    assert all(0 < len(t) <= 60 for t in titles) and len(set(titles)) == len(titles)
    for criterion in criteria(cpss):
        assert len(criterion["levels"]) == len(LEVELS), criterion["id"]
        assert all(isinstance(d, str) and d.strip() for d in criterion["levels"]), criterion["id"]
        assert not criterion.get("references"), criterion["id"]  # the seed cites nothing in the Annex


def test_descriptors_are_annex_sentences_in_order(cpss: Framework) -> None:
    for phase in range(1, 5):
        annex = seed.sentences(seed.phase_text(phase))
        for criterion in criteria(cpss):
            descriptor = criterion["levels"][phase - 1]
            ours = seed.sentences(descriptor)
            assert " ".join(ours) == descriptor, criterion["id"]  # whole sentences, one space between
            for sentence in ours:
                assert sentence in annex, (criterion["id"], phase, sentence)
            positions = [annex.index(s) for s in ours]
            assert positions == sorted(positions), (criterion["id"], phase)


def test_every_annex_sentence_is_in_exactly_one_descriptor(cpss: Framework) -> None:
    for phase in range(1, 5):
        placed = Counter(s for c in criteria(cpss) for s in seed.sentences(c["levels"][phase - 1]))
        assert placed == Counter(seed.sentences(seed.phase_text(phase))), phase


def test_no_conversion_artefacts(cpss: Framework) -> None:
    texts = [d for c in criteria(cpss) for d in c["levels"]] + [a["text"] for a in cpss["actions"]]
    for text in texts:
        assert text == text.strip() and "  " not in text and "\n" not in text and "\t" not in text
        assert not re.search(r"[\\●<>]", text), text
        assert text[0].isupper(), text  # a fragment of a cut paragraph would start in lower case
    for descriptor in (d for c in criteria(cpss) for d in c["levels"]):
        assert descriptor.endswith("."), descriptor


def test_seed_parser_rejoins_cut_paragraphs() -> None:
    """The parser itself: each phase's text starts with its first paragraph, the cut paragraphs come out
    whole, and phase 1's data paragraph (printed after the "Phase 2" heading) is phase 1's."""
    texts = {p: seed.phase_text(p) for p in range(1, 5)}
    assert texts[1].startswith("This phase is characterized by a limited understanding")
    assert "focus on response services for specific “groups” of children" in texts[1]
    assert "express their views or experiences to service providers and government bodies." in texts[1]
    assert "There is no system in place to gather routine data on child protection" in texts[1]
    assert "Data collection plans and mechanisms to generate data on child protection do not exist." not in texts[2]
    assert "weak due to limited authority, human capacity" in texts[2]
    assert "Ad-hoc approval processes are in place" in texts[2]
    assert "by whom but does not cover essential elements" in texts[3]
    assert "its role is known to stakeholders and its working is reviewed" in texts[4]
    assert texts[4].endswith("improving access to essential services.")
    paragraphs = [para for paras in seed.phase_paragraphs().values() for para in paras]
    assert all(para[0].isupper() and para.endswith(".") for para in paragraphs)


def test_actions_shape_and_order(cpss: Framework) -> None:
    ids = [c["id"] for c in criteria(cpss)]
    keys = [(a["criterion"], a["transition"], a["text"]) for a in cpss["actions"]]
    assert all(set(a) == {"criterion", "transition", "text"} for a in cpss["actions"])
    assert all(c in ids and t in TRANSITIONS and text for c, t, text in keys)
    assert len(set(keys)) == len(keys), "duplicate actions"
    rows = [(r.outcome, r.text) for r in seed.interventions()]
    order = [(ids.index(c), t, rows.index((outcome_of(c), text))) for c, t, text in keys]
    assert order == sorted(order)  # by criterion, then transition, then the table's row order


def test_actions_are_marked_interventions_of_their_outcome(cpss: Framework) -> None:
    marks = table_marks()
    for action in cpss["actions"]:
        key = (outcome_of(action["criterion"]), action["text"])
        assert key in marks, action
        assert int(action["transition"][0]) in marks[key], action


def test_every_marked_intervention_is_an_action(cpss: Framework) -> None:
    actions = {(outcome_of(a["criterion"]), a["transition"], a["text"]) for a in cpss["actions"]}
    expected = {(o, f"{p}-{p + 1}", text) for (o, text), phases in table_marks().items() for p in phases if p < 4}
    assert actions == expected
    assert [key for key, phases in table_marks().items() if phases == {4}] == MATURITY_ONLY


def test_each_intervention_has_one_criterion(cpss: Framework) -> None:
    criterion_of: dict[str, set[str]] = {}
    for action in cpss["actions"]:
        criterion_of.setdefault(action["text"], set()).add(action["criterion"])
    assert all(len(c) == 1 for c in criterion_of.values()), criterion_of
    # judgement calls of the README, "Actions"
    judged = {
        "Support to strengthen horizontal and vertical coordination at national and sub-national levels": "2.3",
        "Support implementation of minimum standards and advocate for establishment of oversight mechanisms": "4.2",
        "Support capacity building on data collection, management, analysis, dissemination, and use": "7.1",
    }
    assert {text: criterion_of[text] for text in judged} == {text: {c} for text, c in judged.items()}


def test_reassigned_row_is_still_misplaced_in_the_seed() -> None:
    rows = {(r.outcome, r.text): r.phases for r in seed.interventions()}
    for (outcome, text), target in REASSIGNED.items():
        assert (outcome, text) in rows and (target, text) in rows
        assert text.removeprefix("Support to develop policy frameworks for ") == OUTCOMES[target].lower()
