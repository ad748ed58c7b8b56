"""The shipped translations (fr, ar, es): complete, current, faithful to placeholders, and in the built form."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from qaf_kobo.form.build import build_form
from qaf_kobo.framework import Framework
from qaf_kobo.framework.catalogue import (
    LANGUAGE_NAMES,
    UI_PREFIXES,
    Translation,
    available_languages,
    english,
    load_translation,
    source_hash,
    texts,
)
from qaf_kobo.framework.files import forms_dir

SHIPPED = ["fr", "ar", "es"]


def shipped(code: str, part: str = "both") -> Translation:
    """A shipped translation: the wording's file (``ui``), the QAF's (``qaf``), or both parts together."""
    files = {name: load_translation(forms_dir() / name / "translations" / f"{code}.yaml") for name in ("ui", "qaf")}
    if part != "both":
        return files[part]
    ui, qaf = files["ui"], files["qaf"]
    return Translation(ui.code, ui.name, ui.direction, ui.status, ui.strings | qaf.strings,
                       ui.source_hashes | qaf.source_hashes)
ARABIC = re.compile(r"[\u0600-\u06FF]")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|\$\{[a-z_0-9]+\}")


def test_the_four_languages_are_available() -> None:
    assert available_languages() == ["en", "fr", "ar", "es"]


@pytest.mark.parametrize("code", SHIPPED)
def test_every_id_is_translated_and_no_id_is_unknown(fw: Framework, code: str) -> None:
    translation = shipped(code)
    assert set(translation.strings) == set(english(fw))
    assert all(key.startswith(UI_PREFIXES) for key in shipped(code, "ui").strings)
    assert not any(key.startswith(UI_PREFIXES) for key in shipped(code, "qaf").strings)
    assert texts(fw, code).missing == []
    assert all(text.strip() for text in translation.strings.values())


@pytest.mark.parametrize("code", SHIPPED)
@pytest.mark.parametrize("part", ["ui", "qaf"])
def test_status_and_direction(code: str, part: str) -> None:
    translation = shipped(code, part)
    assert translation.status == "draft, to be reviewed by a native-speaking child-protection specialist"
    assert translation.name == LANGUAGE_NAMES[code]
    assert translation.direction == ("rtl" if code == "ar" else "ltr")


@pytest.mark.parametrize("code", SHIPPED)
def test_translated_from_the_current_english(fw: Framework, code: str) -> None:
    """Every translation carries the fingerprint of the English it was made from, and it still matches."""
    translation = shipped(code)
    stale = [k for k, text in english(fw).items() if translation.source_hashes.get(k) != source_hash(text)]
    assert stale == []


@pytest.mark.parametrize("code", SHIPPED)
def test_placeholders_and_numbers_are_kept(fw: Framework, code: str) -> None:
    translation = shipped(code)
    for key, text in english(fw).items():
        assert set(PLACEHOLDER.findall(translation.strings[key])) == set(PLACEHOLDER.findall(text)), key  # plural forms repeat {n}
        if key.startswith(("criterion.", "action.")):
            numbers = lambda s: sorted(re.findall(r"\d+", s))  # noqa: E731
            western = translation.strings[key].translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789"))
            assert numbers(western) == numbers(text), key


def test_arabic_strings_are_in_arabic_script(fw: Framework) -> None:
    arabic = shipped("ar").strings
    words = {k: PLACEHOLDER.sub("", text) for k, text in arabic.items()}  # "{label}: {value}" has no words
    latin_only = [k for k, text in words.items() if re.search(r"[A-Za-z]", text) and not ARABIC.search(text)]
    # Only bare citations may stay in Latin script (document titles, URLs, acronyms).
    assert all(k.startswith("reference.") or k.endswith(".source") for k in latin_only), latin_only  # "QAF 5b.2"


def test_level_names_differ_per_language(fw: Framework) -> None:
    labels = {code: texts(fw, code).get("level.critical") for code in available_languages()}
    assert len(set(labels.values())) == 4


def test_built_xform_has_all_four_languages(tmp_path: Path, fw: Framework) -> None:
    built = build_form(tmp_path, framework=fw, strict=True)
    assert built.warnings == []
    root = ET.parse(built.xml).getroot()
    langs = {t.get("lang") for t in root.iter("{http://www.w3.org/2002/xforms}translation")}
    assert langs == {"English (en)", "Français (fr)", "العربية (ar)", "Español (es)"}
    xml = built.xml.read_text(encoding="utf-8")
    assert shipped("ar").strings["criterion.2a.1.level.1"].replace("’", "'") in xml.replace("’", "'")
