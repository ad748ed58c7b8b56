"""The QAF as data: counts, verbatim text against the seeds, references, actions, and the JSON shape."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from qaf_kobo.form.contract import calc_field, criterion_field, level_field, notes_field, section_group, why_field
from qaf_kobo.framework import Framework

import seed_text

SECTION_IDS = ["1", "2", "2a", "2b", "2c", "2d", "2e", "2f", "3", "4", "5a", "5b", "5c", "5d", "6", "7", "8"]
# The only edits to the source text: obvious typos (nothing else is reworded).
TYPO_FIXES = {"An child protection risk analysis": "A child protection risk analysis"}


def test_counts(fw: Framework) -> None:
    assert len(fw.domains) == 8
    assert [s.id for s in fw.sections] == SECTION_IDS
    assert len(fw.criteria) == 43
    assert len(fw.references) == 29
    assert sum(len(a) for c in fw.criteria for a in c.actions) == 135
    assert [d.id for d in fw.domains] == [str(i) for i in range(1, 9)]
    assert fw.domains[1].section_ids == ("2", "2a", "2b", "2c", "2d", "2e", "2f")
    assert fw.domains[4].section_ids == ("5a", "5b", "5c", "5d")


def test_criterion_ids_in_document_order(fw: Framework) -> None:
    ids = [c.id for c in fw.criteria]
    assert ids[:5] == ["1.1", "1.2", "1.3", "1.4", "1.5"]
    assert ids[5:12] == ["2.1", "2.2", "2.3", "2a.1", "2a.2", "2a.3", "2a.4"]
    assert ids[-1] == "8.3"
    for section in fw.sections:
        assert [c.id for c in section.criteria] == [f"{section.id}.{n}" for n in range(1, len(section.criteria) + 1)]


def test_field_names(fw: Framework) -> None:
    assert criterion_field(fw.criterion("2a.3")) == "c_2a_3"
    section = fw.section("2a")
    assert (section_group(section), calc_field(section), level_field(section), why_field(section), notes_field(section)) == (
        "s_2a", "calc_2a", "level_2a", "why_2a", "notes_2a",
    )


def test_levels(fw: Framework) -> None:
    assert [(lv.code, lv.name, lv.label) for lv in fw.levels] == [
        (1, "critical", "Critical to address"),
        (2, "requires_improvement", "Requires improvement"),
        (3, "meets_minimum", "Meets minimum levels"),
        (4, "good_practice", "Good practice"),
    ]
    assert [lv.colour for lv in fw.levels] == ["F8696B", "FFB366", "FFE699", "A9D08E"]
    assert fw.minimum_level.name == "meets_minimum" and fw.transitions == ("1-2", "2-3", "3-4")
    assert (fw.id, fw.form_id) == ("qaf", "qaf_case_management")


def test_titles(fw: Framework) -> None:
    seed_titles = seed_text.section_titles()
    for section in fw.sections:
        assert section.title.lower() == seed_titles[section.id].lower()
    for domain in fw.domains:
        assert domain.title.lower() == seed_titles[f"domain {domain.id}"].lower()
    for criterion in fw.criteria:
        assert 0 < len(criterion.title) <= 60, criterion.id
    assert len({c.title for c in fw.criteria}) == 43


def test_descriptors_verbatim_from_seed(fw: Framework) -> None:
    seed = seed_text.descriptors()
    assert list(seed) == SECTION_IDS
    for section in fw.sections:
        assert len(seed[section.id]) == len(section.criteria), section.id
        for criterion, expected in zip(section.criteria, seed[section.id], strict=True):
            for ours, theirs in zip(criterion.levels, expected, strict=True):
                for typo, fix in TYPO_FIXES.items():
                    theirs = theirs.replace(typo, fix)
                assert ours == theirs, criterion.id


def test_no_conversion_artefacts(fw: Framework) -> None:
    texts = [t for c in fw.criteria for t in (*c.levels, *(a for acts in c.actions for a in acts))]
    for text in texts:
        assert "[bookmark" not in text and "footnoteRef" not in text and "[  ]" not in text
        assert "  " not in text and text == text.strip()
        assert not re.search(r"[a-z)][0-9]{1,2}\b", text), text  # a footnote number glued to a word


def test_references_match_footnotes(fw: Framework) -> None:
    footnotes = seed_text.footnotes()
    assert {r.id: r.text for r in fw.references} == footnotes
    raw = seed_text.raw_descriptor_lines()
    for section in fw.sections:
        for criterion, lines in zip(section.criteria, raw[section.id], strict=True):
            assert {r.id for r in criterion.references} == seed_text.cited_footnotes(lines), criterion.id
    cited = {r.id for c in fw.criteria for r in c.references}
    assert cited == set(range(1, 30))
    sops = fw.criterion("1.5").references[0]
    assert sops.source.startswith("Global Case Management Task Force: Template SOPs")
    assert fw.criterion("1.2").references[0].locator == "p. 25"


def test_actions_verbatim_none_lost_or_duplicated(fw: Framework) -> None:
    seed = seed_text.actions()
    for section in fw.sections:
        for t, transition in enumerate(fw.transitions):
            ours = [a for c in section.criteria for a in c.actions[t]]
            assert Counter(ours) == Counter(seed[section.id][transition]), (section.id, transition)
            # and in the seed's order within each criterion
            for criterion in section.criteria:
                order = [seed[section.id][transition].index(a) for a in criterion.actions[t]]
                assert order == sorted(order)


def test_every_criterion_has_actions_for_every_transition(fw: Framework) -> None:
    for criterion in fw.criteria:
        assert all(len(a) >= 1 for a in criterion.actions), criterion.id
        assert criterion.next_actions(4) == ()
        assert criterion.next_actions(1) == criterion.actions[0]


def test_assignment_by_meaning_where_counts_differ(fw: Framework) -> None:
    assert fw.criterion("1.1").actions[1] == (
        "Conduct assessment of internal capacity to conduct quality case management.",
        "Develop strategy for response.",
    )
    assert len(fw.criterion("2d.1").actions[0]) == 2
    assert fw.criterion("2e.3").actions[1] == ("Jointly conduct case reviews with child and family (where possible and appropriate).",)
    assert fw.criterion("2e.1").actions[1][0].startswith("Develop a set format for caseworkers to record their follow-ups")


def test_json_shape(fw: Framework) -> None:
    data = fw.to_dict()
    assert data["version"] == fw.version and fw.version
    assert data["levels"][0] == {"code": 1, "name": "critical", "label": "Critical to address", "colour": "F8696B"}
    assert data["minimum_level"] == "meets_minimum" and data["form_id"] == "qaf_case_management"
    assert {"id": "1", "title": "Case management response"}.items() <= data["domains"][0].items()
    section = data["sections"][2]
    assert (section["id"], section["domain"], section["title"]) == ("2a", "2", "Identification and registration")
    criterion = section["criteria"][0]
    assert set(criterion) >= {"id", "title", "levels", "references", "actions"}
    assert len(criterion["levels"]) == 4 and list(criterion["actions"]) == ["1-2", "2-3", "3-4"]
    assert criterion["actions"]["1-2"] == ["Identify cases for child protection case management."]


def test_with_sections(fw: Framework) -> None:
    short = fw.with_sections(["1", "2a", "7"])
    assert [s.id for s in short.sections] == ["1", "2a", "7"]
    assert [d.id for d in short.domains] == ["1", "2", "7"]
    from qaf_kobo.errors import FrameworkError

    with pytest.raises(FrameworkError, match="unknown section id.*9z"):
        fw.with_sections(["1", "9z"])
