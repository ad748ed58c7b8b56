"""The built XForm run in a real XForm engine, headless: the ODK Web Forms engine (@getodk/xforms-engine 0.22.0)
under jsdom, driven by tests/engine/drive_form.mjs. Needs node and `make node-deps` (npm ci in tests/engine)."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from qaf_kobo.form.build import build_form
from qaf_kobo.form.contract import NOT_ASSESSED, calc_field, criterion_field, level_field, notes_field, why_field
from qaf_kobo.framework.catalogue import ENGLISH, texts

from conftest import require, require_tool

pytestmark = pytest.mark.system
ENGINE_DIR = Path(__file__).resolve().parent / "engine"


def _code(language: str) -> str:
    """``Français (fr)`` -> ``fr``."""
    return language.rsplit("(", 1)[1].rstrip(")")


def _plain_quotes(text: str) -> str:
    return text.translate(str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}))


def _as_shown(text: str) -> str:
    """Plain quotes and single ordinary spaces (French texts hold no-break spaces before colons)."""
    return " ".join(_plain_quotes(text).split())


class Steps:
    """Steps for the driver; each ``add`` returns the index of its result."""

    def __init__(self) -> None:
        self.steps: list[dict[str, str]] = []

    def add(self, op: str, name: str = "", value: str = "") -> int:
        self.steps.append({"op": op, "name": name, "value": value})
        return len(self.steps) - 1


def _run(xml: Path, steps: Steps, tmp_path: Path) -> dict:
    require_tool("node", why="the ODK Web Forms engine runs on Node")
    require((ENGINE_DIR / "node_modules" / "@getodk" / "xforms-engine").is_dir(),
            "needs tests/engine/node_modules: run `make node-deps`")
    steps_file = tmp_path / "steps.json"
    steps_file.write_text(json.dumps(steps.steps), encoding="utf-8")
    proc = subprocess.run(
        ["node", "drive_form.mjs", str(xml), str(steps_file)], cwd=ENGINE_DIR, capture_output=True, text=True, timeout=120
    )
    assert proc.stdout, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["load"] == "success", out["load"]
    errors = [(steps.steps[i], r) for i, r in enumerate(out["results"]) if isinstance(r, dict) and "error" in r]
    assert not errors, errors
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The full form in every available language."""
    return build_form(tmp_path_factory.mktemp("engine"), stamp="202601010000")


def test_engine_scores_sections_and_asks_for_reasons(built, fw, tmp_path):
    s = Steps()
    languages = s.add("languages")
    pages = [s.add("appearance", name, "field-list") for name in ("details", "details_scope", "s_2", "s_7_criteria", "s_7_level", "summary")]
    country_appearance = s.add("appearance", "country", "autocomplete")
    date_default = s.add("value", "assessment_date")
    empty_calc = s.add("value", "calc_2a")
    label_before = s.add("label", "level_2a")
    for field, value in (("c_2a_1", "3"), ("c_2a_2", NOT_ASSESSED), ("c_2a_3", "2"), ("c_2a_4", "4")):
        s.add("select", field, value)
    calc_2a = s.add("value", "calc_2a")
    level_label = s.add("label", "level_2a")
    level_options = s.add("options", "level_2a")
    s.add("select", "level_2a", "2")
    why_when_same = s.add("required", "why_2a")
    s.add("select", "level_2a", "3")
    why_when_differs = s.add("required", "why_2a")
    s.add("set", "why_2a", "Evidence from the file review")
    why_answered = s.add("required", "why_2a")
    for field in ("c_2c_1", "c_2c_2"):
        s.add("select", field, NOT_ASSESSED)
    calc_all_na = s.add("value", "calc_2c")
    s.add("select", "level_2c", "1")
    why_without_suggestion = s.add("required", "why_2c")
    for n in range(1, 6):
        s.add("select", f"c_7_{n}", "4")
    calc_7_all_4 = s.add("value", "calc_7")
    s.add("select", "c_7_5", "1")
    calc_7_one_1 = s.add("value", "calc_7")
    s.add("select", "level_7", "1")
    critical = s.add("value", "critical_sections")
    summary_2a_label = s.add("label", "summary_2a")
    summary_2c_label = s.add("label", "summary_2c")
    summary_2b_empty = s.add("label", "summary_2b")
    pending = s.add("payload")

    out = _run(built.xml, s, tmp_path)
    r = out["results"]
    assert r[languages] == built.languages
    assert all(r[i] is True for i in pages) and r[country_appearance] is True
    assert len(r[date_default]) == 10  # default today()
    assert r[empty_calc] == ""
    assert _as_shown(r[label_before]) == "Assessed level of the section — Suggested: none (no criterion rated)"
    assert r[calc_2a] == "2"  # min(3, 2, 4), na ignored
    assert _as_shown(r[level_label]) == "Assessed level of the section — Suggested: Requires improvement"
    assert [text for _, text in r[level_options]] == [  # static choices: the values stay 1..4
        "Critical to address", "Requires improvement", "Meets minimum levels", "Good practice"]
    assert [value for value, _ in r[level_options]] == ["1", "2", "3", "4"]
    assert r[why_when_same] == {"required": False, "valid": True}
    assert r[why_when_differs] == {"required": True, "valid": False}
    assert r[why_answered] == {"required": True, "valid": True}
    assert r[calc_all_na] == ""
    assert r[why_without_suggestion]["required"] is True  # a level with nothing rated: say why
    assert (r[calc_7_all_4], r[calc_7_one_1]) == ("4", "1")
    assert r[critical] == "2"  # level_2c and level_7 at Critical to address
    assert _as_shown(r[summary_2a_label]) == (
        '2a Identification and registration — suggested: Requires improvement · assessed: Meets minimum levels'
        ' ≠ reason: "Evidence from the file review" · not assessed: 1')
    assert _as_shown(r[summary_2c_label]).endswith(
        "— suggested: none (no criterion rated) · assessed: Critical to address ≠ reason: \"\" · not assessed: 2")
    assert _as_shown(r[summary_2b_empty]).endswith(  # section 2b not filled in yet
        "— suggested: none (no criterion rated) · assessed: not chosen yet · not assessed: 0")
    assert r[pending]["status"] == "pending" and "/data/details/purpose" in r[pending]["violations"]


def test_engine_submission_uses_the_contract_field_names(built, fw, tmp_path):
    s = Steps()
    for field, value in (("agency", "Save the Children"), ("area", "North")):
        s.add("set", field, value)
    s.add("select", "purpose", "planning")
    s.add("select", "country", "JOR")
    s.add("select", "assessment_scope", "inter_agency")
    for section in fw.sections:
        answers = [NOT_ASSESSED if n == 1 else str(1 + n % 4) for n in range(len(section.criteria))]
        for c, answer in zip(section.criteria, answers):
            s.add("select", criterion_field(c), answer)
        s.add("select", level_field(section), min(a for a in answers if a != NOT_ASSESSED))  # same as suggested: no reason
    s.add("language", value=built.languages[-1])  # filled in another language: the data must not change
    ready = s.add("payload")
    out = _run(built.xml, s, tmp_path)
    payload = out["results"][ready]
    assert payload["status"] == "ready", payload["violations"]
    root = ET.fromstring(payload["xml"])
    assert root.tag == "data" and root.get("id") == "qaf_case_management" and root.get("version") == built.version
    values = {el.tag: (el.text or "") for el in root.iter()}
    assert values["country"] == "JOR" and values["assessment_scope"] == "inter_agency" and values["purpose"] == "planning"
    for section in fw.sections:
        answers = [values[criterion_field(c)] for c in section.criteria]
        assessed = [int(a) for a in answers if a != NOT_ASSESSED]
        assert values[calc_field(section)] == str(min(assessed))
        assert values[level_field(section)] == values[calc_field(section)]
        assert why_field(section) in values and notes_field(section) in values
    assert values["instanceID"].startswith("uuid:")
    # no level name is stored: no suggested_<id>/assessed_<id> label field, and every note element is empty
    assert not [tag for tag in values if re.fullmatch(r"(suggested|assessed)_[0-9a-z]+", tag)]
    notes = [tag for tag in values if tag.startswith(("suggested_note_", "no_suggestion_", "summary_"))
             and not tag.startswith("summary_line_")]
    # no suggested-level notes any more (the level's own label says it); the summary's line per section, + 2
    assert len(notes) == len(fw.sections) + 2 and all(values[tag] == "" for tag in notes)
    # the only text the form computes in a language: per section and language the suggested level's name (shown
    # in the assessed level's label) and the summary's line; no other field holds a level name
    per_language = {f"{prefix}_{sec.id}_{_code(name)}" for prefix in ("suggested_name", "summary_line")
                    for sec in fw.sections for name in built.languages}
    assert {tag for tag in values if tag.startswith(("suggested_name_", "summary_line_"))} == per_language
    level_names = {texts(fw, _code(name)).get(f"level.{lv.name}") for name in built.languages for lv in fw.levels}
    assert not [tag for tag, v in values.items() if v in level_names and tag not in per_language]
    assert root.find("s_2a/c_2a_1") is None and root.find("s_2a/s_2a_criteria/c_2a_1") is not None


def test_engine_switches_to_every_language(built, fw, tmp_path):
    s = Steps()
    checks = []
    for name in built.languages:
        s.add("language", value=name)
        checks.append((name, s.add("label", "c_2a_1"), s.add("options", "level_2a"), s.add("label", "level_2a")))
    out = _run(built.xml, s, tmp_path)
    assert len(built.languages) >= 1
    for name, label, options, level_label in checks:
        code = _code(name)
        strings = texts(fw, code)
        code_shown = "\u20662a.1\u2069" if strings.direction == "rtl" else "2a.1"  # kept left to right in Arabic
        assert out["results"][label] == _plain_quotes(f"{code_shown} {strings.get('criterion.2a.1.title')}")
        assert [text for _, text in out["results"][options]] == [_plain_quotes(strings.get(f"level.{lv.name}")) for lv in fw.levels]
        none = strings.get("form.level.suggested").replace("{level}", strings.get("form.summary.no_suggestion"))
        assert _as_shown(out["results"][level_label]) == _as_shown(f"{strings.get('form.level.label')} — {none}")
        if code != ENGLISH and strings.translated.get("criterion.2a.1.title"):
            assert out["results"][label] != f"2a.1 {fw.criterion('2a.1').title}"


def test_level_names_follow_the_active_language(built, fw, tmp_path):
    """After each language switch the assessed level's label (which names the suggested level) and the summary's
    suggested and assessed levels read the level names of that language (each language's own computed name and
    line, not a value that a client computes once in one language)."""
    clicks = {"2a": (("3", NOT_ASSESSED, "2", "4"), "3"), "2b": (("1",), "1"), "7": (("4", "4", NOT_ASSESSED, "3", "4"), "2")}
    s = Steps()
    for sid, (criteria, level) in clicks.items():
        section = fw.section(sid)
        assert len(criteria) == len(section.criteria)
        for criterion, value in zip(section.criteria, criteria):
            s.add("select", criterion_field(criterion), value)
        s.add("select", level_field(section), level)
    checks = []
    for name in [*built.languages[1:], built.languages[0]]:  # away from English, then back
        s.add("language", value=name)
        for sid, (criteria, level) in clicks.items():
            suggested = min(v for v in criteria if v != NOT_ASSESSED)
            labels = [s.add("label", level_field(fw.section(sid))), s.add("label", f"summary_{sid}")]
            checks.append((name, sid, suggested, level, labels))
    r = _run(built.xml, s, tmp_path)["results"]
    assert len(built.languages) >= 2
    for name, sid, suggested, level, (level_label, summary) in checks:
        strings = texts(fw, _code(name))
        level_name = {str(lv.code): _plain_quotes(strings.get(f"level.{lv.name}")) for lv in fw.levels}
        said = strings.get("form.level.suggested").replace("{level}", level_name[suggested])
        assert _as_shown(r[level_label]) == _as_shown(f"{strings.get('form.level.label')} — {said}"), (name, sid)
        line = strings.get("form.summary.line").split("{section}")[1]
        expected = line.replace("{suggested}", level_name[suggested]).replace("{assessed}", level_name[level])
        assert _as_shown(expected) in _as_shown(r[summary]), (name, sid)
        if _code(name) != ENGLISH and strings.translated.get("level.critical"):
            assert level_name["1"] != texts(fw, ENGLISH).get("level.critical")


def test_evidence_page_computes_ratios_against_targets_and_checks_ranges(built, fw, tmp_path):
    """The evidence figures are optional (unknown, not zero); the ratios and their targets show offline; a figure
    out of range or above the figure it is part of is refused, with a message in the active language."""
    s = Steps()
    unknown = (s.add("value", "ev_cases_per_caseworker"), s.add("relevant", "ev_cases_per_caseworker_note"))
    s.add("set", "ev_caseworkers", "10")
    still_unknown = s.add("value", "ev_cases_per_caseworker")  # active cases not given: unknown, not 0
    s.add("set", "ev_active_cases", "300")
    above = (s.add("value", "ev_cases_per_caseworker"), s.add("label", "ev_cases_per_caseworker_note"),
             s.add("relevant", "ev_cases_per_caseworker_beyond"), s.add("label", "ev_cases_per_caseworker_beyond"))
    s.add("set", "ev_active_cases", "250")
    at_target = (s.add("value", "ev_cases_per_caseworker"), s.add("relevant", "ev_cases_per_caseworker_beyond"))
    s.add("set", "ev_supervisors", "0")
    no_supervisor = s.add("value", "ev_caseworkers_per_supervisor")  # a denominator of 0: unknown
    s.add("set", "ev_supervisors", "3")
    per_supervisor = (s.add("value", "ev_caseworkers_per_supervisor"), s.add("relevant", "ev_caseworkers_per_supervisor_beyond"))
    s.add("set", "ev_female_caseworkers", "12")
    more_women_than_caseworkers = s.add("constraint", "ev_female_caseworkers")
    s.add("set", "ev_female_caseworkers", "0")
    no_woman = (s.add("constraint", "ev_female_caseworkers"), s.add("relevant", "ev_female_caseworkers_beyond"))
    s.add("set", "ev_plans_2w_pct", "120")
    over_100 = s.add("constraint", "ev_plans_2w_pct")
    s.add("set", "ev_plans_2w_pct", "95.5")
    within = (s.add("constraint", "ev_plans_2w_pct"), s.add("relevant", "ev_plans_2w_pct_beyond"))
    s.add("set", "ev_training_months", "-1")
    negative = s.add("constraint", "ev_training_months")
    s.add("language", value="Français (fr)")
    french = (s.add("label", "ev_cases_per_caseworker_note"), s.add("constraint", "ev_training_months"))
    out = _run(built.xml, s, tmp_path)
    r = out["results"]
    assert r[unknown[0]] == "" and r[unknown[1]] is False and r[still_unknown] == ""
    assert r[above[0]] == "30" and r[above[2]] is True
    assert _as_shown(r[above[1]]) == "Cases per caseworker: 30 (target: at most 25)"
    assert _as_shown(r[above[3]]) == ("⚠️ Cases per caseworker: above the target of at most 25."
                                      " Check the ratings this figure supports.")  # right after the value note
    assert (r[at_target[0]], r[at_target[1]]) == ("25", False)
    assert r[no_supervisor] == "" and (r[per_supervisor[0]], r[per_supervisor[1]]) == ("3.3", False)
    assert r[more_women_than_caseworkers] == {"valid": False, "message": "Enter a number from 0 to 100000, and no more than \"Caseworkers managing cases\"."}
    assert r[no_woman[0]]["valid"] is True and r[no_woman[1]] is True  # below the Good practice target of 1
    assert r[over_100]["valid"] is False and r[within[0]]["valid"] is True and r[within[1]] is False
    assert r[negative]["valid"] is False
    label, message = r[french[0]], r[french[1]]
    assert _as_shown(label) == _as_shown("Cas par travailleur social : 25 (cible : au plus 25)")
    assert _as_shown(message["message"]) == _as_shown("Saisissez un nombre de 0 à 240.")
