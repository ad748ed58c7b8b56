"""A broken framework file gives an error naming the file, the entry and the problem — one case per test."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from qaf_kobo.errors import FrameworkError
from qaf_kobo.framework import load_framework
from qaf_kobo.resources import framework_path


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
    assert len(load_framework().criteria) == 43


def test_unknown_key(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["sections"][4]["criteria"][0].update(colour="red"))
    assert "sections[4].criteria[0].colour: unknown key" in error_of(path)


def test_extra_level_descriptor(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["sections"][4]["criteria"][1]["levels"].append("Excellent"))
    message = error_of(path)
    assert "sections[4].criteria[1].levels" in message and "exactly 4 level descriptors" in message and "found 5" in message


def test_missing_level_descriptor(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["sections"][0]["criteria"][2]["levels"].pop())
    message = error_of(path)
    assert "sections[0].criteria[2].levels" in message and "found 3" in message


def test_missing_key(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["sections"][3]["criteria"][0].pop("title"))
    assert "sections[3].criteria[0].title: missing key" in error_of(path)


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
    assert "actions[0].transition: unknown transition '1-3'" in message and "1-2, 2-3, 3-4" in message


def test_unknown_reference(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["sections"][0]["criteria"][0]["references"].append(99))
    assert "sections[0].criteria[0].references[1]: unknown reference 99" in error_of(path)


def test_title_too_long(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["sections"][0]["criteria"][0].update(title="x" * 61))
    assert "sections[0].criteria[0].title" in error_of(path)


def test_levels_out_of_order(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, lambda d: d["levels"].reverse())
    assert "levels: expected the four levels" in error_of(path)


def test_yaml_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "syntax.yaml"
    path.write_text("version: 1\nsections: [\n  - id: '1'\n", encoding="utf-8")
    message = error_of(path)
    assert "YAML syntax error at line" in message


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot read the framework file" in error_of(tmp_path / "nowhere.yaml")
