"""The XLSForm rows built from the framework (pure: no files)."""

from __future__ import annotations

import re

import pytest

from qaf_kobo.errors import QafError
from qaf_kobo.form.contract import (
    NOT_ASSESSED,
    OTHER_PURPOSE,
    PURPOSES,
    calc_field,
    criterion_field,
    descriptor_list,
    level_field,
    notes_field,
    section_group,
    why_field,
)
from qaf_kobo.form.xlsform import (
    DEFAULT_LANGUAGE,
    MAX_QUESTIONS_PER_PAGE,
    build_xlsform,
    form_languages,
    suggested_level_xpath,
    text_xpath,
    why_required_xpath,
    xpath_literal,
)
from qaf_kobo.framework.catalogue import Translation, english

EN = DEFAULT_LANGUAGE


def _form(fw, languages=None, translations=None, strict=False):
    return build_xlsform(fw, "1.0.0.1", form_languages(fw, languages or ["en"], translations), strict=strict)


def _pt(fw, strings: dict[str, str]) -> dict[str, Translation]:
    return {"pt": Translation("pt", "Português", "ltr", "draft", strings)}


def test_contract_field_names_come_from_the_framework(fw):
    form = _form(fw)
    names = [row["name"] for row in form.survey if row["name"]]
    assert len(names) == len(set(names)), "names must be unique"
    for field in ("start", "end", "purpose", "assessment_date", "country", "area", "agency", "assessment_scope", "round"):
        assert field in names
    for section in fw.sections:
        for name in (section_group(section), calc_field(section), level_field(section), why_field(section), notes_field(section)):
            assert name in names
        assert [n for n in names if n.startswith(f"c_{section.id}_")] == [criterion_field(c) for c in section.criteria]
    assert sum(1 for n in names if n.startswith("c_")) == len(fw.criteria) == 43


def test_the_purpose_is_chosen_in_every_language_and_other_asks_for_it_in_words(fw):
    form = _form(fw, ["en", "fr", "ar", "es"])
    rows = {row["name"]: row for row in form.survey if row["name"]}
    assert rows["purpose"]["type"] == "select_one purpose" and rows["purpose"]["required"] == "yes"
    other = rows["purpose_other"]
    assert (other["type"], other["required"]) == ("text", "yes") and "multiline" in other["appearance"]
    assert other["relevant"] == f"${{purpose}} = '{OTHER_PURPOSE}'"
    choices = [r for r in form.choices if r["list_name"] == "purpose"]
    assert [r["name"] for r in choices] == list(PURPOSES)
    for column in [c for c in choices[0] if c.startswith("label::")]:
        labels = [r[column] for r in choices]
        assert all(labels) and len(set(labels)) == len(labels), column  # every choice named, each its own words
    assert len({r["label::Français (fr)"] for r in choices} & {r["label::English (en)"] for r in choices}) == 0


def test_every_criterion_has_its_own_choice_list_with_descriptors_and_not_assessed(fw):
    form = _form(fw)
    types = {row["name"]: row["type"] for row in form.survey}
    for c in fw.criteria:
        list_name = descriptor_list(c)
        assert types[criterion_field(c)] == f"select_one {list_name}"
        choices = [(r["name"], r[f"label::{EN}"]) for r in form.choices if r["list_name"] == list_name]
        named = [(str(lv.code), f"{lv.label} — {text}") for lv, text in zip(fw.levels, c.levels)]
        assert choices == [*named, (NOT_ASSESSED, "Not assessed")]  # values unchanged, each led by its level's name


def test_every_descriptor_carries_its_level_name_in_every_language(fw):
    form = _form(fw, ["en", "fr", "ar", "es"])
    languages = [name for name in form.languages]
    level_rows = [r for r in form.choices if r["list_name"] == "level"]
    for c in fw.criteria:
        rows = [r for r in form.choices if r["list_name"] == descriptor_list(c) and r["name"] != NOT_ASSESSED]
        assert [r["name"] for r in rows] == [str(lv.code) for lv in fw.levels]
        for row, level in zip(rows, level_rows):
            for lang in languages:
                assert row[f"label::{lang}"].startswith(f"{level[f'label::{lang}']} — "), (c.id, lang)


def test_the_assessed_level_names_the_suggested_one_in_its_label(fw):
    form = _form(fw)
    level = [(r["name"], r[f"label::{EN}"]) for r in form.choices if r["list_name"] == "level"]
    assert level == [(str(lv.code), lv.label) for lv in fw.levels]  # static choices, each level once, values 1..n
    assert "allow_choice_duplicates" not in form.settings and "choice_filter" not in form.survey_columns()
    rows = {r["name"]: r for r in form.survey if r["name"]}
    assert rows["level_2a"][f"label::{EN}"] == "Assessed level of the section — Suggested: ${suggested_name_2a_en}"
    assert rows["suggested_name_2a_en"]["calculation"].startswith("if(${calc_2a} = '', 'none (no criterion rated)', if(${calc_2a} = 1, ")
    assert not [name for name in rows if name.startswith(("suggested_note_", "no_suggestion_"))]  # said once, in the label
    assert rows["why_2a"]["appearance"] == "multiline"  # the reason is a multi-line box, as the notes are


def test_guidance_says_what_to_look_at_and_names_each_document_once(fw):
    rows = {r["name"]: r for r in _form(fw, ["en", "ar"]).survey if r["name"]}
    guidance = rows["c_1_2"][f"guidance_hint::{EN}"]
    assert guidance.count("Template SOPs") == 1 and guidance.endswith("p. 25, p. 26")
    arabic = rows["c_1_2"]["guidance_hint::العربية (ar)"]
    assert arabic.count("Template SOPs") == 1 and ";" not in arabic
    integration = rows["c_3_2"][f"hint::{EN}"]  # the criterion's hint, then the QAF's footnote that explains it
    assert integration.startswith(fw.criterion("3.2").hint) and integration.endswith("national best practices and evidence.")
    assert "\u2066" + "2a.1\u2069" in rows["c_2a_1"]["label::العربية (ar)"]  # a Latin code kept left to right in Arabic
    assert "\u2066" not in rows["c_2a_1"][f"label::{EN}"]


def test_each_section_page_says_where_it_is_in_the_form(fw):
    rows = {r["name"]: r for r in _form(fw).survey if r["name"]}
    numbered = [(name, rows[name][f"label::{EN}"]) for name in ("s_1_criteria", "s_2", "s_2b", "s_8")]
    assert [label.split(":")[0] for _, label in numbered] == [
        "Section 1 (1 of 17)", "Section 2 (2 of 17)", "Section 2b (4 of 17)", "Section 8 (17 of 17)"]
    assert "label::English (en)" not in rows["s_7"]  # a two-page section: each page has the heading, not the group
    assert rows["s_7_level"][f"label::{EN}"].startswith("Section 7 (") and " of 17): " in rows["s_7_level"][f"label::{EN}"]


def test_no_page_has_more_than_six_questions(fw):
    form = _form(fw)
    pages, stack = [], []
    for row in form.survey:
        if row["type"] == "begin_group":
            stack.append([row["name"], row.get("appearance") == "field-list", 0])
        elif row["type"] == "end_group":
            name, is_page, count = stack.pop()
            if is_page:
                pages.append((name, count))
        elif row["type"] not in ("note", "calculate", "start", "end"):
            assert any(s[1] for s in stack), f"{row['name']} is not on a field-list page"
            next(s for s in reversed(stack) if s[1])[2] += 1
    assert pages and all(count <= MAX_QUESTIONS_PER_PAGE for _, count in pages), pages
    # section 7 (5 criteria) is split into two pages inside its group s_7
    assert ("s_7_criteria", 5) in pages and ("s_7_level", 3) in pages
    assert ("s_2b", 4) in pages


def test_calculations_and_conditions():
    from qaf_kobo.framework import default_framework

    section = default_framework().section("2c")
    calc = suggested_level_xpath(section, 4)
    term = lambda f: f"if(${{{f}}} = '' or ${{{f}}} = 'na', 5, number(${{{f}}}))"  # noqa: E731
    lowest = f"min({term('c_2c_1')}, {term('c_2c_2')})"
    assert calc == f"if({lowest} = 5, '', {lowest})"
    single = suggested_level_xpath(default_framework().section("2b"), 4)
    assert "min(" not in single and single.startswith("if(if(${c_2b_1}")
    assert why_required_xpath(section) == "${level_2c} != '' and (${calc_2c} = '' or ${level_2c} != ${calc_2c})"


def test_levels_are_shown_in_each_language_s_own_text(fw):
    """On a section's level page the assessed level's label in each language shows that language's own calculate
    of the suggested level's name; the summary's line of a section is one note whose label in each language shows
    that language's own calculate. Both follow a language switch in every client (no jr:choice-name calculate,
    computed in one language)."""
    fw2 = fw.with_sections(["2a", "7"])
    pt = {f"level.{lv.name}": f"PT {lv.label}" for lv in fw2.levels} | {
        "form.level.suggested": "Nível sugerido: {level}", "form.summary.line": "{section}: {suggested} / {assessed}",
    }
    form = _form(fw2, ["en", "pt"], _pt(fw2, pt))
    rows = {r["name"]: r for r in form.survey if r["name"]}
    assert not any("choice-name" in r.get("calculation", "") for r in form.survey)
    assert [r["name"] for r in form.survey if r["type"] == "calculate"] == [
        "framework", "framework_version", *(r.name for r in fw2.evidence.ratios),
        *(name for sid in ("2a", "7") for name in (f"calc_{sid}", f"suggested_name_{sid}_en", f"suggested_name_{sid}_pt", f"not_assessed_{sid}")),
        "critical_sections", *(f"summary_line_{sid}_{code}" for sid in ("2a", "7") for code in ("en", "pt"))]
    assert (rows["framework"]["calculation"], rows["framework_version"]["calculation"]) == ("'qaf'", f"'{fw2.version}'")
    for number, section in enumerate(fw2.sections, 1):
        level_label = rows[level_field(section)]
        assert level_label["label::Português (pt)"].endswith(f" — Nível sugerido: ${{suggested_name_{section.id}_pt}}")
        assert level_label[f"label::{EN}"].endswith(f" — Suggested: ${{suggested_name_{section.id}_en}}")
        calc = f"${{{calc_field(section)}}}"
        for lv in fw2.levels[:-1]:
            assert f"if({calc} = {lv.code}, 'PT {lv.label}'" in rows[f"suggested_name_{section.id}_pt"]["calculation"]
            assert f"if({calc} = {lv.code}, '{lv.label}'" in rows[f"suggested_name_{section.id}_en"]["calculation"]
        last = fw2.levels[-1]  # a code that is none of the others is the last level's
        assert rows[f"suggested_name_{section.id}_en"]["calculation"].endswith(f", '{last.label}'))))")
        # one note per section; its label in each language ends in that language's own computed line
        assert [r["name"] for r in form.survey if re.fullmatch(rf"summary_(line_)?{section.id}(_[a-z]+)?", r["name"])] == [
            f"summary_line_{section.id}_en", f"summary_line_{section.id}_pt", f"summary_{section.id}"]
        title = fw2.section(section.id).title
        note = rows[f"summary_{section.id}"]
        assert "relevant" not in note
        assert note[f"label::{EN}"] == f"{section.id} {title} — suggested: ${{summary_line_{section.id}_en}}"  # no markdown
        assert note["label::Português (pt)"] == f"{section.id} {title}: ${{summary_line_{section.id}_pt}}"
        english = rows[f"summary_line_{section.id}_en"]["calculation"]
        portuguese = rows[f"summary_line_{section.id}_pt"]["calculation"]
        calc, level = f"${{{calc_field(section)}}}", f"${{{level_field(section)}}}"
        # the suggested level's name comes from the assessed level's question (computed once per language)
        assert english.startswith(f"concat(${{suggested_name_{section.id}_en}}, ' · assessed: ', if({level} = '', 'not chosen yet'")
        assert f"if({level} = 3, 'Meets minimum levels'" in english and f"if({calc} = 2" not in english
        assert f"if({why_required_xpath(section)}, concat(' ≠ reason: “', ${{why_{section.id}}}, '”'), '')" in english
        assert english.endswith(f"concat(' · not assessed: ', ${{not_assessed_{section.id}}}))")
        assert f"${{suggested_name_{section.id}_pt}}" in portuguese and f"if({level} = 2, 'PT Requires improvement'" in portuguese
        assert "' / '" in portuguese


def test_xpath_text_quotes_any_text():
    assert xpath_literal("l'autre") == '"l\'autre"' and xpath_literal('say "why"') == "'say \"why\"'"
    assert xpath_literal("""l'"x'""") == """concat('l', "'", '"x', "'", '')"""
    assert text_xpath("a ${why_2a} b") == "concat('a ', ${why_2a}, ' b')" and text_xpath("${x}") == "${x}"


def test_settings(fw):
    form = _form(fw)
    assert form.settings["form_id"] == "qaf_case_management"
    assert form.settings["version"] == "1.0.0.1"
    assert form.settings["default_language"] == "English (en)"
    assert form.settings["style"] == "pages"
    assert "${country}" in form.settings["instance_name"] and "${agency}" in form.settings["instance_name"]
    assert "translation_status" not in form.settings


def test_countries_are_iso_alpha3_with_translated_names(fw):
    form = _form(fw, ["en", "pt"], _pt(fw, {}))
    countries = {r["name"]: r for r in form.choices if r["list_name"] == "country"}
    assert len(countries) == 249 and all(len(code) == 3 and code.isupper() for code in countries)
    assert countries["DEU"][f"label::{EN}"] == "Germany"
    assert countries["DEU"]["label::Português (pt)"] == "Alemanha"  # pycountry's own translation


def test_every_language_gets_every_translated_column(fw):
    fw2 = fw.with_sections(["2b"])
    form = _form(fw2, ["en", "pt"], _pt(fw2, {"form.not_assessed": "Não avaliado"}))
    columns = form.survey_columns()
    for kind in ("label", "hint", "guidance_hint", "required_message", "constraint_message"):
        assert f"{kind}::{EN}" in columns and f"{kind}::Português (pt)" in columns
    assert "label::Português (pt)" in form.choices_columns()
    na = next(r for r in form.choices if r["list_name"] == "descriptors_2b_1" and r["name"] == NOT_ASSESSED)
    assert na["label::Português (pt)"] == "Não avaliado"
    assert form.settings["translation_status"] == "pt: draft"


def test_missing_translation_falls_back_to_english_with_a_warning(fw):
    fw2 = fw.with_sections(["2b"])
    form = _form(fw2, ["en", "pt"], _pt(fw2, {"form.not_assessed": "Não avaliado"}))
    assert len(form.warnings) == 1 and form.warnings[0].startswith("Português (pt): ")
    missing = len([k for k in english(fw2) if k.startswith(("form.", "section.2b", "criterion.2b", "level.", "reference."))])
    assert "string(s) not translated, English used: form.required_message, " in form.warnings[0]
    assert 0 < int(form.warnings[0].split(": ")[1].split()[0]) <= missing
    why = next(r for r in form.survey if r["name"] == "why_2b")
    assert why["label::Português (pt)"] == why[f"label::{EN}"] == english(fw)["form.why.label"]
    with pytest.raises(QafError, match="--strict.*Português"):
        _form(fw2, ["en", "pt"], _pt(fw2, {}), strict=True)


def test_complete_translation_gives_no_warning_and_strict_passes(fw):
    fw2 = fw.with_sections(["2b"])
    complete = {key: f"PT {text}" for key, text in english(fw2).items()}
    form = _form(fw2, ["en", "pt"], _pt(fw2, complete), strict=True)
    assert form.warnings == []
    label = next(r for r in form.survey if r["name"] == "c_2b_1")["label::Português (pt)"]
    assert label == f"2b.1 PT {fw2.criterion('2b.1').title}"


def test_a_translation_that_drops_a_placeholder_is_not_used(fw):
    fw2 = fw.with_sections(["2b"])
    strings = {"form.level.suggested": "Nível sugerido", "level.requires_improvement": "Requer melhoria"}  # lost {level}
    form = _form(fw2, ["en", "pt"], _pt(fw2, strings))
    level = next(r for r in form.survey if r["name"] == "level_2b")
    assert level["label::Português (pt)"].endswith(" — Suggested: ${suggested_name_2b_pt}")
    assert "'Requer melhoria'" in next(r for r in form.survey if r["name"] == "suggested_name_2b_pt")["calculation"]
    assert any("placeholders differ" in w and "form.level.suggested" in w for w in form.warnings)


def test_unknown_language_is_an_error(fw):
    with pytest.raises(QafError, match="'xx'"):
        form_languages(fw, ["en", "xx"], {})
    with pytest.raises(QafError, match="'xx'"):
        form_languages(fw, ["en", "xx"])


def test_every_criterion_says_what_to_look_at_in_every_language(fw):
    form = _form(fw, ["en", "fr", "ar", "es"])
    rows = {r["name"]: r for r in form.survey if r["name"]}
    assert form.warnings == []
    for lang in form.languages:
        hints = [rows[criterion_field(c)].get(f"hint::{lang}", "") for c in fw.criteria]
        assert all(hint.strip() for hint in hints), lang
        assert len(set(hints)) == len(fw.criteria), lang  # distinct per criterion
        for c, hint in zip(fw.criteria, hints):
            assert "Template SOPs" not in hint and "CPWG" not in hint, (c.id, lang)  # sources stay in the guidance
            guidance = rows[criterion_field(c)].get(f"guidance_hint::{lang}", "")
            assert guidance.count("Template SOPs") <= 1 and guidance.count("CPWG") <= 1, (c.id, lang)


def test_a_blank_translated_hint_falls_back_to_english_and_is_listed(fw):
    hints = {f"criterion.{c.id}.hint": f"Olhe {c.id}." for c in fw.criteria}
    strings = english(fw) | hints | {"criterion.2a.2.hint": "  "}  # all translated, but one hint blank
    form = _form(fw, ["en", "pt"], _pt(fw, strings))
    rows = {r["name"]: r for r in form.survey if r["name"]}
    assert rows["c_2a_2"]["hint::Português (pt)"] == fw.criterion("2a.2").hint
    assert rows["c_2a_1"]["hint::Português (pt)"] == "Olhe 2a.1."
    assert form.warnings == ["Português (pt): 1 string(s) not translated, English used: criterion.2a.2.hint"]
    with pytest.raises(QafError, match=r"criterion\.2a\.2\.hint"):
        _form(fw, ["en", "pt"], _pt(fw, strings), strict=True)


def test_a_framework_without_hints_shows_its_footnotes_alone(fw):
    from dataclasses import replace

    bare = replace(fw, sections=tuple(replace(s, criteria=tuple(replace(c, hint="") for c in s.criteria)) for s in fw.sections))
    rows = {r["name"]: r for r in _form(bare).survey if r["name"]}
    assert rows["c_3_2"][f"hint::{EN}"].startswith("What to look at: Including")
    assert "hint::English (en)" not in rows["c_1_1"] and rows["c_1_1"][f"guidance_hint::{EN}"].startswith("Sources: ")
