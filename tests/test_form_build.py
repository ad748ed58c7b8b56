"""Building the form files: real openpyxl workbook, real pyxform conversion, the XForm parsed with xml.etree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from qaf_kobo.cli import main
from qaf_kobo.errors import FrameworkError
from qaf_kobo.form.build import build_form, build_stamp, read_xlsform, write_xlsform
from qaf_kobo.form.contract import NOT_ASSESSED, calc_field, criterion_field, level_field, section_group, why_field
from qaf_kobo.form.xlsform import XlsForm, suggested_level_xpath
from qaf_kobo.framework import default_framework
from qaf_kobo.framework.catalogue import Translation, texts

FORM_ID = default_framework().form_id
COMMITTED = Path(__file__).resolve().parents[1] / "forms" / f"{FORM_ID}.xlsx"
REGENERATE = ".venv/bin/qaf-kobo form build --lang en --no-validate --out forms && rm forms/qaf_case_management.xml"
NS = {"x": "http://www.w3.org/2002/xforms", "h": "http://www.w3.org/1999/xhtml", "jr": "http://openrosa.org/javarosa"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_form(tmp_path_factory.mktemp("form"), languages=["en"], stamp="202601010000")


@pytest.fixture(scope="module")
def xform(built):
    return ET.parse(built.xml).getroot()


def _paths(xform: ET.Element) -> dict[str, str]:
    """Last path segment -> full bind path."""
    return {b.get("nodeset").rsplit("/", 1)[1]: b.get("nodeset") for b in xform.iter(f"{{{NS['x']}}}bind")}


def test_pyxform_converts_without_warnings_and_files_exist(built):
    assert built.warnings == []
    assert built.xlsx.is_file() and built.xml.is_file()
    assert built.version == "1.0.0.202601010000"
    assert built.languages == ["English (en)"]


def test_xlsx_has_the_three_sheets(built):
    sheets = read_xlsform(built.xlsx)
    assert list(sheets) == ["survey", "choices", "settings"]
    assert sheets["survey"][0][:3] == ["type", "name", "label::English (en)"]
    settings = dict(zip(*sheets["settings"]))
    assert settings["form_id"] == FORM_ID and settings["style"] == "pages" and settings["version"] == built.version


def test_xform_has_the_43_criterion_binds_with_contract_names(xform, fw):
    binds = {b.get("nodeset"): b for b in xform.iter(f"{{{NS['x']}}}bind")}
    criterion_binds = [path for path in binds if path.rsplit("/", 1)[1].startswith("c_")]
    assert len(criterion_binds) == 43
    assert sorted(p.rsplit("/", 1)[1] for p in criterion_binds) == sorted(criterion_field(c) for c in fw.criteria)
    for path in criterion_binds:
        assert binds[path].get("required") == "true()"
        section = path.rsplit("/", 1)[1].split("_")[1]
        assert path.startswith(f"/data/s_{section}/")


def _plain_quotes(text: str) -> str:
    """pyxform turns typographic quotes into plain ones in the XForm (the XLSForm keeps them)."""
    return text.translate(str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}))


def test_choice_labels_equal_the_framework_descriptors(xform, fw):
    itext = {
        t.get("id"): "".join(t.find("x:value", NS).itertext())
        for t in xform.find(".//x:itext/x:translation[@lang='English (en)']", NS)
    }
    for c in fw.criteria:
        instance = xform.find(f".//x:instance[@id='descriptors_{c.section_id}_{c.number}']", NS)
        items = [(i.findtext("x:name", namespaces=NS), itext[i.findtext("x:itextId", namespaces=NS)]) for i in instance.iter(f"{{{NS['x']}}}item")]
        levels = [f"{lv.label} — {_plain_quotes(text)}" for lv, text in zip(fw.levels, c.levels)]
        assert items == [("1", levels[0]), ("2", levels[1]), ("3", levels[2]), ("4", levels[3]), (NOT_ASSESSED, "Not assessed")]


def test_field_list_pages_and_calculations(xform, fw):
    groups = {g.get("ref").rsplit("/", 1)[1]: g for g in xform.iter(f"{{{NS['x']}}}group")}
    paths = _paths(xform)
    binds = {b.get("nodeset"): b for b in xform.iter(f"{{{NS['x']}}}bind")}
    for section in fw.sections:
        assert section_group(section) in groups
        pages = [section_group(section)] if groups[section_group(section)].get("appearance") == "field-list" else [f"{section_group(section)}_criteria", f"{section_group(section)}_level"]
        assert all(groups[p].get("appearance") == "field-list" for p in pages)
        calculation = binds[paths[calc_field(section)]].get("calculate")
        expected = suggested_level_xpath(section, len(fw.levels))
        for c in section.criteria:
            expected = expected.replace(f"${{{criterion_field(c)}}}", f" {paths[criterion_field(c)]} ")
        assert calculation == expected
        assert binds[paths[why_field(section)]].get("required") == (
            f" {paths[level_field(section)]}  != '' and ( {paths[calc_field(section)]}  = '' or  "
            f"{paths[level_field(section)]}  !=  {paths[calc_field(section)]} )"
        )
    assert groups["details"].get("appearance") == "field-list" and groups["summary"].get("appearance") == "field-list"
    assert "instance('descriptors_" not in binds[paths["critical_sections"]].get("calculate")


def test_xform_settings(xform, built):
    data = xform.find(".//x:instance/x:data", NS)
    assert data.get("id") == FORM_ID and data.get("version") == built.version
    assert xform.find("h:body", NS).get("class") == "pages"
    assert xform.find(".//x:itext/x:translation", NS).get("default") == "true()"
    assert "concat(" in xform.find(".//x:bind[@nodeset='/data/meta/instanceName']", NS).get("calculate")
    assert xform.find(".//x:bind[@nodeset='/data/meta/instanceID']", NS) is not None
    assert xform.find(".//x:instance[@id='country']", NS) is not None
    assert not list(xform.iter("{http://www.w3.org/2002/xforms}upload"))  # no media


def test_sections_option_builds_a_shorter_form(tmp_path):
    short = build_form(tmp_path, sections=["1", "2a", "7"], languages=["en"], stamp="1")
    assert short.warnings == []
    root = ET.parse(short.xml).getroot()
    fields = {b.get("nodeset").rsplit("/", 1)[1] for b in root.iter(f"{{{NS['x']}}}bind")}
    assert {"c_1_5", "c_2a_4", "c_7_5", "calc_7"} <= fields and not {"c_2_1", "calc_8"} & fields
    with pytest.raises(FrameworkError, match="unknown section id.*zz"):
        build_form(tmp_path, sections=["1", "zz"], languages=["en"])


def test_languages_become_columns_for_every_translated_field(tmp_path, fw):
    pt = {"pt": Translation("pt", "Português", "ltr", "draft", {"form.not_assessed": "Não avaliado"})}
    built = build_form(tmp_path, sections=["2b"], languages=["en", "pt"], translations=pt, stamp="1")
    assert built.languages == ["English (en)", "Português (pt)"]
    assert [w for w in built.warnings if w.startswith("pyxform")] == []  # no "missing column" warnings
    assert any(w.startswith("Português (pt): ") for w in built.warnings)
    root = ET.parse(built.xml).getroot()
    langs = [t.get("lang") for t in root.iter(f"{{{NS['x']}}}translation")]
    assert langs == ["English (en)", "Português (pt)"]
    pt_texts = [v.text for v in root.find(".//x:translation[@lang='Português (pt)']", NS).iter(f"{{{NS['x']}}}value")]
    assert "Não avaliado" in pt_texts and "-" not in pt_texts  # pyxform fills missing translations with "-"


def test_text_starting_with_equals_stays_text(tmp_path):
    form = XlsForm([{"type": "note", "name": "n", "label::English (en)": "=1+1"}], [], {"form_id": "x"}, ["English (en)"])
    path = write_xlsform(form, tmp_path / "x.xlsx")
    cell = load_workbook(path)["survey"]["C2"]
    assert cell.value == "=1+1" and cell.data_type == "s"


def test_build_stamp_is_digits_and_increases():
    from datetime import datetime, timezone

    earlier = build_stamp(datetime(2026, 1, 1, 9, 5, tzinfo=timezone.utc))
    later = build_stamp(datetime(2026, 1, 1, 10, 0, tzinfo=timezone.utc))
    assert earlier == "202601010905" and earlier.isdigit() and later > earlier


def test_committed_xlsform_is_up_to_date(built):
    assert COMMITTED.is_file(), f"missing {COMMITTED}; build it with: {REGENERATE}"
    fresh, committed = read_xlsform(built.xlsx), read_xlsform(COMMITTED)
    for sheets in (fresh, committed):
        header, values = sheets["settings"]
        sheets["settings"] = [header, ["" if h == "version" else v for h, v in zip(header, values)]]
    assert committed == fresh, f"{COMMITTED} is stale; rebuild it with: {REGENERATE}"


def test_cli_build_help_and_errors(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["form", "--help"]).exit_code == 0
    result = runner.invoke(main, ["form", "build", "--help"])
    assert result.exit_code == 0 and "--sections" in result.output and "--lang" in result.output
    result = runner.invoke(main, ["form", "build", "--sections", "1,nope", "--out", str(tmp_path), "--no-validate"])
    assert result.exit_code == 2
    assert "error: unknown section id(s): nope (known: 1, 2, 2a" in result.output
    assert not (tmp_path / f"{FORM_ID}.xlsx").exists()
    result = runner.invoke(main, ["form", "build", "--lang", "en,xx", "--out", str(tmp_path), "--no-validate"])
    assert result.exit_code == 2 and "'xx'" in result.output


def test_cli_build_writes_the_files(tmp_path):
    result = CliRunner().invoke(main, ["form", "build", "--sections", "2b", "--lang", "en", "--out", str(tmp_path), "--no-validate"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / f"{FORM_ID}.xlsx").is_file() and (tmp_path / f"{FORM_ID}.xml").is_file()
    assert "languages: English (en)" in result.output


def test_xform_says_what_to_look_at_for_every_criterion_in_every_language(tmp_path, fw):
    built = build_form(tmp_path, languages=["en", "fr", "ar", "es"], stamp="1")
    assert [w for w in built.warnings if w.startswith("pyxform")] == []
    root = ET.parse(built.xml).getroot()
    paths = _paths(root)
    for translation in root.iter(f"{{{NS['x']}}}translation"):
        hints, sources = {}, {}
        for text in translation.iter(f"{{{NS['x']}}}text"):
            for value in text.findall("x:value", NS):
                kind = sources if value.get("form") == "guidance" else hints
                kind[text.get("id")] = "".join(value.itertext())
        lang = translation.get("lang")
        looked_at = [hints.get(f"{paths[criterion_field(c)]}:hint", "") for c in fw.criteria]
        assert all(hint.strip() for hint in looked_at), lang
        assert len(set(looked_at)) == 43, lang  # one per criterion
        for c in fw.criteria:
            cited = sources.get(f"{paths[criterion_field(c)]}:hint", "")
            documents = [r.source for r in c.references if r.source]
            assert all(cited.count(d.split(":")[-1].strip()[:20]) <= 1 for d in documents), (c.id, lang, cited)  # each document once


def test_a_form_built_to_open_in_arabic_has_its_title_and_opens_in_it(tmp_path, fw):
    """An XForm has one title (the title bar of Enketo and Collect): ``--open-in ar`` makes it the Arabic one and
    the Arabic translation the default; every language is still there."""
    result = CliRunner().invoke(main, ["form", "build", "--out", str(tmp_path), "--lang", "en,ar", "--open-in", "ar",
                                       "--no-validate"])
    assert result.exit_code == 0, result.output
    xform = ET.parse(tmp_path / f"{FORM_ID}.xml").getroot()
    title = xform.findtext("h:head/h:title", namespaces=NS)
    assert title == texts(fw, "ar").get("framework.title") and title != texts(fw, "en").get("framework.title")
    translations = {t.get("lang"): t.get("default") for t in xform.findall(".//x:itext/x:translation", NS)}
    assert translations == {"العربية (ar)": "true()", "English (en)": None}


def test_a_form_cannot_open_in_a_language_it_does_not_have(tmp_path):
    result = CliRunner().invoke(main, ["form", "build", "--out", str(tmp_path), "--lang", "en,fr", "--open-in", "ar",
                                       "--no-validate"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == "error: the form cannot open in 'ar': it is not one of its languages (en, fr)\n"
    assert not list(tmp_path.iterdir())  # nothing written
