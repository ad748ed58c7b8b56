"""The translation round trip: export a workbook, translate it, import it back; English changes are noticed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from qaf_kobo.cli import main
from qaf_kobo.errors import QafError
from qaf_kobo.framework import load_framework
from qaf_kobo.framework.catalogue import clear_translation_cache, english, load_translation, source_hash
from qaf_kobo.workflows.translations_io import (
    CHANGED,
    UNTRANSLATED,
    export_translation,
    import_translation,
    stamp_source_hashes,
)


def _translate(path: Path, translations: dict[str, str]) -> None:
    """What a translator does: fill the translation column of some rows."""
    wb = load_workbook(path)
    ws = wb["strings"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value in translations:
            row[2].value = translations[row[0].value]
    wb.save(path)


def _rows(path: Path) -> dict[str, tuple]:
    ws = load_workbook(path)["strings"]
    return {r[0]: r[1:] for r in ws.iter_rows(min_row=2, values_only=True)}


@pytest.fixture(autouse=True)
def own_folder(tmp_path, monkeypatch):
    """Translations this test imports go to its own folder, which the catalogue reads (as for an installed
    qaf-kobo); nothing is written next to the shipped files."""
    monkeypatch.setenv("QAF_TRANSLATIONS_DIR", str(tmp_path / "mine"))
    clear_translation_cache()
    yield tmp_path / "mine"
    monkeypatch.delenv("QAF_TRANSLATIONS_DIR")
    clear_translation_cache()


def test_export_writes_every_id_with_english(fw, tmp_path):
    path = export_translation(fw, "pt", tmp_path / "pt.xlsx")
    rows = _rows(path)
    assert list(rows) == list(english(fw))
    assert rows["criterion.2a.1.title"] == (fw.criterion("2a.1").title, None, UNTRANSLATED)
    about = {r[0]: r[1] for r in load_workbook(path)["about"].iter_rows(values_only=True)}
    assert about["language"] == "pt" and about["direction"] == "ltr" and about["status"].startswith("draft")


def test_round_trip_reports_untranslated_and_english_changes(fw, tmp_path, own_folder):
    sheet = export_translation(fw, "pt", tmp_path / "pt.xlsx")
    _translate(sheet, {"criterion.2a.1.title": "Identificação de casos", "level.critical": "=Crítico",
                       "report.sheet.about": "Sobre"})
    report = import_translation(fw, sheet)
    assert report.paths == [own_folder / "ui" / "pt.yaml", own_folder / "qaf" / "pt.yaml"]
    assert report.translated == 3 and report.changed == []
    assert len(report.untranslated) == len(english(fw)) - 3 and "level.good_practice" in report.untranslated
    wording, saved = (load_translation(path) for path in report.paths)
    assert wording.strings == {"report.sheet.about": "Sobre"}
    assert saved.strings == {"level.critical": "=Crítico", "criterion.2a.1.title": "Identificação de casos"}
    assert saved.source_hashes["criterion.2a.1.title"] == source_hash(fw.criterion("2a.1").title)

    # re-export from what was imported: the translation is there, and a formula-like text stays text
    again = export_translation(fw, "pt", tmp_path / "pt2.xlsx")
    assert _rows(again)["criterion.2a.1.title"][1:] == ("Identificação de casos", None)
    cell = next(r for r in load_workbook(again)["strings"].iter_rows(min_row=2) if r[0].value == "level.critical")[2]
    assert cell.value == "=Crítico" and cell.data_type == "s"

    # the English title changes later: the translation is flagged, on export and on import
    title = fw.criterion("2a.1").title
    source = fw.source.read_text(encoding="utf-8").replace(f"title: {title}\n", f"title: {title} (revised)\n", 1)
    assert f"{title} (revised)" in source
    changed_file = tmp_path / "framework.yaml"
    changed_file.write_text(source, encoding="utf-8")
    fw_changed = load_framework(changed_file)
    assert _rows(export_translation(fw_changed, "pt", tmp_path / "pt3.xlsx"))["criterion.2a.1.title"][2] == CHANGED
    report = import_translation(fw_changed, again)
    assert report.changed == ["criterion.2a.1.title"]


def test_import_rejects_unknown_ids_and_writes_nothing(fw, tmp_path):
    sheet = export_translation(fw, "pt", tmp_path / "pt.xlsx")
    wb = load_workbook(sheet)
    wb["strings"].append(["criterion.99.1.title", "Nothing", "Nada", None])
    wb.save(sheet)
    with pytest.raises(QafError, match=r"unknown string id\(s\): criterion\.99\.1\.title \(row \d+\)"):
        import_translation(fw, sheet, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_import_rejects_a_workbook_that_is_not_an_export(fw, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    with pytest.raises(QafError, match="cannot read the workbook"):
        import_translation(fw, bad, tmp_path / "out")


def test_stamp_source_hashes_keeps_existing_stamps(fw, tmp_path):
    path = tmp_path / "xx.yaml"
    path.write_text(
        yaml.safe_dump({"language": "xx", "name": "X", "status": "draft", "strings": {"level.critical": "A", "level.good_practice": "B"},
                        "source_hashes": {"level.critical": "00000000"}}),
        encoding="utf-8",
    )
    assert stamp_source_hashes(fw, path) == 1
    hashes = load_translation(path).source_hashes
    assert hashes == {"level.critical": "00000000", "level.good_practice": source_hash("Good practice")}
    assert stamp_source_hashes(fw, path, only_missing=False) == 2
    assert load_translation(path).source_hashes["level.critical"] == source_hash("Critical to address")


def test_cli_round_trip(tmp_path):
    runner = CliRunner()
    sheet = tmp_path / "pt.xlsx"
    result = runner.invoke(main, ["translations", "export", "--lang", "pt", str(sheet)])
    assert result.exit_code == 0, result.output
    _translate(sheet, {"level.critical": "Crítico"})
    result = runner.invoke(main, ["translations", "import", str(sheet), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "1 string(s) translated" in result.output and "untranslated (" in result.output
    assert load_translation(tmp_path / "out" / "qaf" / "pt.yaml").strings == {"level.critical": "Crítico"}
    result = runner.invoke(main, ["translations", "export", "--lang", "en", str(sheet)])
    assert result.exit_code == 2 and "error: English is the source language" in result.output


def test_an_office_translation_outside_the_package_is_used_by_form_and_report(fw, tmp_path, own_folder):
    """The round trip for an installed qaf-kobo: import writes to the user's folder, build and report read it."""
    from qaf_kobo.form.build import build_form
    from qaf_kobo.framework.catalogue import available_languages
    from qaf_kobo.report.wording import wording

    sheet = export_translation(fw, "pt", tmp_path / "pt.xlsx")
    _translate(sheet, {"level.critical": "Crítico a tratar", "report.sheet.about": "Sobre"})
    report = import_translation(fw, sheet)
    assert all(path.is_relative_to(own_folder) and path.is_file() for path in report.paths)
    assert "pt" in available_languages()
    built = build_form(tmp_path / "form", languages=["en", "pt"], framework=fw)
    assert "Crítico a tratar" in built.xml.read_text(encoding="utf-8")
    assert any("pt" in w for w in built.warnings)  # the untranslated rest falls back to English, listed
    assert wording(fw, "pt").texts.get("level.critical") == "Crítico a tratar"


def test_a_framework_without_strings_in_a_language_falls_back_to_english(fw):
    """CPSS ships no French strings: its form in French has French wording, English framework strings, a warning."""
    from qaf_kobo.framework import find_framework
    from qaf_kobo.framework.catalogue import texts

    cpss = find_framework("cpss")
    french = texts(cpss, "fr")
    assert french.get("form.required_message") == texts(fw, "fr").get("form.required_message") != "This answer is required."
    assert french.get("section.1.title") == "Legal and policy framework"  # not the QAF's French "section.1.title"
    assert "level.system_building" in french.missing and not any(k.startswith(("form.", "report.")) for k in french.missing)
