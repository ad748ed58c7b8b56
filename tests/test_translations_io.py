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
from qaf_kobo.framework.catalogue import english, load_translation, source_hash
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


def test_export_writes_every_id_with_english(fw, tmp_path):
    path = export_translation(fw, "pt", tmp_path / "pt.xlsx", existing=tmp_path / "none.yaml")
    rows = _rows(path)
    assert list(rows) == list(english(fw))
    assert rows["criterion.2a.1.title"] == (fw.criterion("2a.1").title, None, UNTRANSLATED)
    about = {r[0]: r[1] for r in load_workbook(path)["about"].iter_rows(values_only=True)}
    assert about["language"] == "pt" and about["direction"] == "ltr" and about["status"].startswith("draft")


def test_round_trip_reports_untranslated_and_english_changes(fw, tmp_path):
    sheet = export_translation(fw, "pt", tmp_path / "pt.xlsx", existing=tmp_path / "none.yaml")
    _translate(sheet, {"criterion.2a.1.title": "Identificação de casos", "level.critical": "=Crítico"})
    out = tmp_path / "pt.yaml"
    report = import_translation(fw, sheet, out)
    assert report.translated == 2 and report.changed == []
    assert len(report.untranslated) == len(english(fw)) - 2 and "level.good_practice" in report.untranslated
    saved = load_translation(out)
    assert saved.strings == {"level.critical": "=Crítico", "criterion.2a.1.title": "Identificação de casos"}
    assert saved.source_hashes["criterion.2a.1.title"] == source_hash(fw.criterion("2a.1").title)

    # re-export from the saved file: the translation is there, and a formula-like text stays text
    again = export_translation(fw, "pt", tmp_path / "pt2.xlsx", existing=out)
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
    assert _rows(export_translation(fw_changed, "pt", tmp_path / "pt3.xlsx", existing=out))["criterion.2a.1.title"][2] == CHANGED
    report = import_translation(fw_changed, again, out)
    assert report.changed == ["criterion.2a.1.title"]


def test_import_rejects_unknown_ids_and_writes_nothing(fw, tmp_path):
    sheet = export_translation(fw, "pt", tmp_path / "pt.xlsx", existing=tmp_path / "none.yaml")
    wb = load_workbook(sheet)
    wb["strings"].append(["criterion.99.1.title", "Nothing", "Nada", None])
    wb.save(sheet)
    with pytest.raises(QafError, match=r"unknown string id\(s\): criterion\.99\.1\.title \(row \d+\)"):
        import_translation(fw, sheet, tmp_path / "pt.yaml")
    assert not (tmp_path / "pt.yaml").exists()


def test_import_rejects_a_workbook_that_is_not_an_export(fw, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    with pytest.raises(QafError, match="cannot read the workbook"):
        import_translation(fw, bad, tmp_path / "x.yaml")


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
    result = runner.invoke(main, ["translations", "import", str(sheet), "--out", str(tmp_path / "pt.yaml")])
    assert result.exit_code == 0, result.output
    assert "1 string(s) translated" in result.output and "untranslated (" in result.output
    result = runner.invoke(main, ["translations", "export", "--lang", "en", str(sheet)])
    assert result.exit_code == 2 and "error: English is the source language" in result.output


def test_an_office_translation_outside_the_package_is_used_by_form_and_report(fw, tmp_path, monkeypatch):
    """Issue 9's round trip for an installed qaf-kobo: import writes to the user's folder, build and report read it."""
    from qaf_kobo.form.build import build_form
    from qaf_kobo.framework import catalogue
    from qaf_kobo.report.wording import wording

    monkeypatch.setenv("QAF_TRANSLATIONS_DIR", str(tmp_path / "mine"))
    catalogue.installed_translations.cache_clear()
    try:
        sheet = tmp_path / "pt.xlsx"
        export_translation(fw, "pt", sheet)
        wb = load_workbook(sheet)
        ws = wb["strings"] if "strings" in wb.sheetnames else wb.worksheets[0]
        header = [c.value for c in ws[1]]
        id_col, text_col = header.index("id") + 1, header.index("translation") + 1
        for row in range(2, ws.max_row + 1):
            if ws.cell(row, id_col).value == "level.critical":
                ws.cell(row, text_col).value = "Crítico a tratar"
        wb.save(sheet)
        report = import_translation(fw, sheet)
        assert report.path == tmp_path / "mine" / "pt.yaml" and report.path.is_file()
        catalogue.installed_translations.cache_clear()
        assert "pt" in catalogue.available_languages()
        built = build_form(tmp_path / "form", languages=["en", "pt"], framework=fw)
        assert "Crítico a tratar" in built.xml.read_text(encoding="utf-8")
        assert any("pt" in w for w in built.warnings)  # the untranslated rest falls back to English, listed
        assert wording(fw, "pt").texts.get("level.critical") == "Crítico a tratar"
    finally:
        catalogue.installed_translations.cache_clear()
