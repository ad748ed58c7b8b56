"""A broken framework file gives an error naming the file, the entry and the problem — one case per test."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from qaf_kobo.errors import FrameworkError
from qaf_kobo.framework import load_framework
from qaf_kobo.framework.files import framework_path
from qaf_kobo.framework.load import MAX_NESTING


def broken_copy(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    data = yaml.safe_load(framework_path().read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(FrameworkError) as info:
        load_framework(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    return message


def test_the_shipped_file_loads() -> None:
    assert len(load_framework(framework_path()).criteria) == 43


def test_unknown_key(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["sections"][4]["criteria"][0].update(colour="red"))
    assert "sections[4].criteria[0].colour: unknown key" in error_of(path)


def test_extra_level_descriptor(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["sections"][4]["criteria"][1]["levels"].append("Excellent"))
    message = error_of(path)
    assert "sections[4].criteria[1].levels: expected 4 level descriptors, one per level (Critical to address, " in message
    assert "found 5" in message


def test_missing_level_descriptor(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["sections"][0]["criteria"][2]["levels"].pop())
    message = error_of(path)
    assert "sections[0].criteria[2].levels" in message and "found 3" in message


def test_missing_key(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["sections"][3]["criteria"][0].pop("title"))
    assert "sections[3].criteria[0].title: missing key" in error_of(path)


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_hint(tmp_path: Path, blank: str) -> None:
    path = broken_copy(tmp_path, lambda d: d["sections"][2]["criteria"][1].update(hint=blank))
    assert "sections[2].criteria[1].hint: the hint is empty: say what to look at, or leave the key out" in error_of(path)


def test_a_criterion_without_a_hint_loads(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["sections"][2]["criteria"][1].pop("hint"))
    fw = load_framework(path)
    assert fw.criterion("2a.2").hint == "" and fw.criterion("2a.1").hint.startswith("Look at ")


def test_duplicate_criterion_id(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["sections"][0]["criteria"][1]["id"] = "1.1"

    message = error_of(broken_copy(tmp_path, change))
    assert "sections[0].criteria[1].id" in message and "duplicate criterion id '1.1'" in message


def test_duplicate_section_id(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["sections"][4]["id"] = "2b"
        for c in d["sections"][4]["criteria"]:
            c["id"] = c["id"].replace("2c", "2b")

    assert "sections[4].id: duplicate section id '2b'" in error_of(broken_copy(tmp_path, change))


def test_action_pointing_at_unknown_criterion(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["actions"][7].update(criterion="9.9"))
    assert "actions[7].criterion: unknown criterion '9.9'" in error_of(path)


def test_unknown_transition(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["actions"][0].update(transition="1-3"))
    message = error_of(path)
    assert "actions[0].transition: no step '1-3' between the 4 levels (steps: 1-2, 2-3, 3-4)" in message


def test_action_for_a_step_above_the_top_level(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["actions"][0].update(transition="4-5"))
    assert "actions[0].transition: no step '4-5'" in error_of(path)


def test_unknown_reference(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["sections"][0]["criteria"][0]["references"].append(99))
    assert "sections[0].criteria[0].references[1]: unknown reference 99" in error_of(path)


def test_title_too_long(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["sections"][0]["criteria"][0].update(title="x" * 61))
    assert "sections[0].criteria[0].title" in error_of(path)


def test_level_name_repeated(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["levels"][2].update(name="critical"))
    assert "levels[2].name: duplicate level name 'critical'" in error_of(path)


def test_minimum_level_that_is_not_a_level(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d.update(minimum_level="excellent"))
    assert "minimum_level: 'excellent' is not one of the levels (critical, " in error_of(path)


@pytest.mark.parametrize("count", [1, 7])
def test_too_few_or_too_many_levels(tmp_path: Path, count: int) -> None:
    def change(d: dict[str, Any]) -> None:
        d["levels"] = [{"name": f"l{i}", "label": f"Level {i}"} for i in range(count)]

    assert "levels: List should have at " in error_of(broken_copy(tmp_path, change))


def test_domain_without_sections(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["domains"].append({"id": "9", "title": "Empty"}))
    assert "domains[8]: domain '9' has no section" in error_of(path)


def test_byte_that_is_not_utf8_is_located(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    text = framework_path().read_bytes()
    line = text[:text.index(b"title: Case management response")].count(b"\n") + 1
    path.write_bytes(text.replace(b"title: Case management response", b"title: Caf\xe9 response", 1))
    assert f"line {line}, column 13: byte 0xe9 is not UTF-8" in error_of(path)


def test_absurd_nesting_is_located(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("id: qaf\nlevels: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    assert f"line 2, column {8 + MAX_NESTING}: nested more than {MAX_NESTING} levels deep" in error_of(path)


def test_yaml_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "syntax.yaml"
    path.write_text("version: 1\nsections: [\n  - id: '1'\n", encoding="utf-8")
    message = error_of(path)
    assert "YAML syntax error at line" in message


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot read the framework file" in error_of(tmp_path / "nowhere.yaml")


def test_ratio_of_a_figure_the_form_does_not_ask(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["evidence"]["pages"][0]["ratios"][0].update(denominator="ev_nobody"))
    assert "evidence.pages[0].ratios[0].denominator: 'ev_nobody' is not a figure of the form" in error_of(path)


def test_indicator_with_two_targets(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["evidence"]["indicators"][0].update(min=1))
    assert "evidence.indicators[0]: give the target as exactly one of min or max" in error_of(path)


def test_cross_check_of_an_unknown_level_criterion_and_indicator(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["evidence"]["cross_checks"][0].update(
        criterion="5b.9", levels=["excellent"], indicator="happiness"))
    message = error_of(path)
    assert "evidence.cross_checks[0].criterion: unknown criterion '5b.9'" in message
    assert "evidence.cross_checks[0].levels[0]: 'excellent' is not one of the levels" in message
    assert "evidence.cross_checks[0].indicator: unknown indicator 'happiness'" in message


def test_figure_capped_by_a_figure_asked_later(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["evidence"]["pages"][0]["fields"][1].update(at_most="ev_active_cases"))
    assert "evidence.pages[0].fields[1].at_most: 'ev_active_cases' is not a figure asked before this one" in error_of(path)


def test_a_key_given_twice_names_the_key_and_both_lines(tmp_path: Path) -> None:
    text = framework_path().read_text(encoding="utf-8")
    first = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("title:"))
    path = tmp_path / "twice.yaml"
    path.write_text(text + "title: Another title\n", encoding="utf-8")
    last = len(text.splitlines()) + 1
    assert error_of(path) == (f"{path}: the key 'title' is given twice, on line {first} and on line {last} (YAML "
                              "would keep only the second): keep one")


def test_a_key_given_twice_inside_an_entry(tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text("id: x\nlevels:\n- {name: a, label: A, name: b}\n", encoding="utf-8")
    assert "the key 'name' is given twice, on line 3 and on line 3" in error_of(path)


def test_a_form_reference_in_framework_text_is_refused_on_loading(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["sections"][2]["criteria"][1]["levels"].__setitem__(0, "See ${x} first."))
    assert ("sections[2].criteria[1].levels[0]: '${x} first.': ${…} in a form is a reference to a question, and the "
            "form cannot be built; write the text without it") in error_of(path)
