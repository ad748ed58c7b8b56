"""The translation round trip for offices that translate themselves: export a language's strings to a workbook
(id, English, translation), import it back into its translation files, and (re)stamp ``source_hashes``.

A workbook holds both parts of a language for one framework — the shared wording (``form.*``, ``report.*``) and
the framework's own strings; import writes each part to its own file (see ``catalogue``).

``source_hashes[id]`` is the fingerprint of the English text a translation was made from; when the English text
changes later, the translation is reported as "English changed since translation".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from openpyxl import Workbook, load_workbook

from qaf_kobo.errors import QafError
from qaf_kobo.excel_text import keep_text
from qaf_kobo.framework import Framework
from qaf_kobo.framework.catalogue import (
    ENGLISH,
    LANGUAGE_NAMES,
    UI_PREFIXES,
    Translation,
    clear_translation_cache,
    english,
    framework_translations,
    installed_translations,
    load_translation,
    source_hash,
)
from qaf_kobo.framework.files import framework_dir, ui_dir, writable_translations_dir
from qaf_kobo.output_files import output_file, write_atomically

HEADER = ["id", "English", "translation", "status"]
ABOUT_KEYS = ("language", "name", "direction", "status")
DRAFT_STATUS = "draft, to be reviewed by a native-speaking child-protection specialist"
UNTRANSLATED = "untranslated"
CHANGED = "English changed since translation"
_RTL = {"ar", "fa", "he", "ps", "ur", "ku", "ckb", "dv", "yi"}


@dataclass(frozen=True)
class ImportReport:
    """What an import found: the files it wrote (the wording's, then the framework's), the untranslated ids and
    those whose English changed."""

    paths: list[Path]
    code: str
    translated: int
    untranslated: list[str]
    changed: list[str]


def translation_paths(fw: Framework, code: str, out_dir: Path | None = None) -> tuple[Path, Path]:
    """The two files a language's translation goes to: the wording's and the framework's. ``out_dir`` puts them
    in the user-folder layout under it (``ui/<code>.yaml``, ``<framework id>/<code>.yaml``)."""
    if out_dir is not None:
        return Path(out_dir) / "ui" / f"{code}.yaml", Path(out_dir) / fw.id / f"{code}.yaml"
    return (writable_translations_dir("ui", ui_dir()) / f"{code}.yaml",
            writable_translations_dir(fw.id, framework_dir(fw.source)) / f"{code}.yaml")


def current_translation(fw: Framework, code: str) -> Translation | None:
    """The installed translation of a language, both parts together (None when there is none)."""
    ui, own = installed_translations().get(code), framework_translations(fw).get(code)
    if ui is None and own is None:
        return None
    first = ui or own
    assert first is not None
    parts = [t for t in (ui, own) if t is not None]
    return Translation(first.code, first.name, first.direction, first.status,
                       {k: v for t in parts for k, v in t.strings.items()},
                       {k: v for t in parts for k, v in t.source_hashes.items()})


def stale_ids(fw: Framework, translation: Translation) -> list[str]:
    """Translated ids whose English text changed since they were translated (per ``source_hashes``)."""
    current = english(fw)
    return [
        key for key, text in translation.strings.items()
        if text and key in current and key in translation.source_hashes and translation.source_hashes[key] != source_hash(current[key])
    ]


def _text(value: str) -> str | None:
    return value or None


def export_translation(fw: Framework, code: str, path: Path) -> Path:
    """Write ``path`` (xlsx): sheet "strings" (id, English, current translation, status) and sheet "about", for
    the wording and the framework's strings, starting from the installed translation (if any)."""
    if code == ENGLISH:
        raise QafError("English is the source language: export another language, e.g. --lang pt")
    output_file(path, create=False)
    current = current_translation(fw, code)
    strings = current.strings if current else {}
    stale = set(stale_ids(fw, current)) if current else set()
    wb = Workbook()
    ws = wb.active
    ws.title = "strings"
    ws.append(HEADER)
    for key, text in english(fw).items():
        translated = strings.get(key, "")
        status = UNTRANSLATED if not translated else (CHANGED if key in stale else "")
        ws.append([key, text, _text(translated), _text(status)])
    about = wb.create_sheet("about")
    meta = {
        "language": code,
        "name": current.name if current else LANGUAGE_NAMES.get(code, code),
        "direction": current.direction if current else ("rtl" if code in _RTL else "ltr"),
        "status": current.status if current else DRAFT_STATUS,
    }
    for key in ABOUT_KEYS:
        about.append([key, meta[key]])
    for sheet in (ws, about):
        keep_text(sheet)
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 70
    ws.column_dimensions["C"].width = 70
    return write_atomically(path, wb.save)


def _read_workbook(path: Path) -> tuple[dict[str, str], list[tuple[int, str, str, str]]]:
    try:
        wb = load_workbook(path, read_only=True)
    except Exception as exc:  # openpyxl raises several types for a non-xlsx file
        raise QafError(f"{path}: cannot read the workbook ({exc})") from exc
    try:
        if "strings" not in wb.sheetnames or "about" not in wb.sheetnames:
            raise QafError(f"{path}: expected the sheets 'strings' and 'about' written by `translations export`")
        rows = list(wb["strings"].iter_rows(values_only=True))
        about = {str(r[0]): "" if r[1] is None else str(r[1]) for r in wb["about"].iter_rows(values_only=True) if r and r[0]}
    finally:
        wb.close()
    if not rows or [str(v) for v in rows[0][:3]] != HEADER[:3]:
        raise QafError(f"{path}: sheet 'strings' must start with the columns {', '.join(HEADER[:3])}")
    cell = lambda row, i: "" if len(row) <= i or row[i] is None else str(row[i])  # noqa: E731
    return about, [(n, cell(r, 0).strip(), cell(r, 1), cell(r, 2).strip()) for n, r in enumerate(rows[1:], 2) if any(r)]


def import_translation(fw: Framework, path: Path, out_dir: Path | None = None) -> ImportReport:
    """Read a workbook made by ``export_translation`` and write its two translation files (see
    ``translation_paths``; default: next to ui.yaml and the framework file in a checkout, else the user's folder).

    Unknown or duplicate ids raise QafError naming them (nothing is written). A translation kept unchanged keeps
    its ``source_hashes`` entry; a new or edited one is stamped with the English shown next to it in the sheet.
    """
    about, rows = _read_workbook(path)
    code = about.get("language", "").strip()
    if not code or code == ENGLISH:
        raise QafError(f"{path}: sheet 'about' must name the language code (e.g. pt), not {code or 'nothing'!r}")
    current_english = english(fw)
    unknown = [f"{key or '(empty)'} (row {n})" for n, key, _, _ in rows if key not in current_english]
    if unknown:
        raise QafError(f"{path}: unknown string id(s): {', '.join(unknown)}")
    seen: set[str] = set()
    duplicates = [key for _, key, _, _ in rows if key in seen or seen.add(key)]  # type: ignore[func-returns-value]
    if duplicates:
        raise QafError(f"{path}: duplicate string id(s): {', '.join(duplicates)}")
    previous = current_translation(fw, code)
    strings: dict[str, str] = {}
    hashes: dict[str, str] = {}
    sheet = {key: (shown_english, text) for _, key, shown_english, text in rows}
    for key, text_en in current_english.items():
        shown_english, text = sheet.get(key, ("", ""))
        if not text:
            continue
        strings[key] = text
        if previous and previous.strings.get(key) == text and key in previous.source_hashes:
            hashes[key] = previous.source_hashes[key]
        else:
            hashes[key] = source_hash(shown_english or text_en)
    translation = Translation(
        code=code,
        name=about.get("name") or LANGUAGE_NAMES.get(code, code),
        direction=about.get("direction") or "ltr",
        status=about.get("status") or DRAFT_STATUS,
        strings=strings,
        source_hashes=hashes,
    )
    if translation.direction not in ("ltr", "rtl"):
        raise QafError(f"{path}: about.direction must be ltr or rtl, not {translation.direction!r}")
    targets = translation_paths(fw, code, out_dir)
    for target, ui in zip(targets, (True, False)):
        keep = {key for key in strings if key.startswith(UI_PREFIXES) == ui}
        write_translation(Translation(code, translation.name, translation.direction, translation.status,
                                      {k: v for k, v in strings.items() if k in keep},
                                      {k: v for k, v in hashes.items() if k in keep}), target)
    clear_translation_cache()
    untranslated = [key for key in current_english if key not in strings]
    changed = [key for key in strings if hashes[key] != source_hash(current_english[key])]
    return ImportReport(list(targets), code, len(strings), untranslated, changed)


def write_translation(translation: Translation, path: Path) -> Path:
    """Write a translation file in the catalogue's format (UTF-8 YAML, keys in a fixed order)."""
    data = {
        "language": translation.code,
        "name": translation.name,
        "direction": translation.direction,
        "status": translation.status,
        "strings": translation.strings,
        "source_hashes": translation.source_hashes,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    return path


def stamp_source_hashes(fw: Framework, path: Path, only_missing: bool = True) -> int:
    """(Re)stamp ``source_hashes`` of a translation file with the current English; returns how many were stamped.

    ``only_missing`` keeps existing stamps (so a later English change is still noticed); False re-stamps every
    translated id — use it after reviewing translations against the new English.
    """
    translation = load_translation(path)
    current = english(fw)
    hashes = {k: v for k, v in translation.source_hashes.items() if k in translation.strings} if only_missing else {}
    stamped = 0
    for key, text in translation.strings.items():
        if text and key in current and key not in hashes:
            hashes[key] = source_hash(current[key])
            stamped += 1
    ordered = {key: hashes[key] for key in translation.strings if key in hashes}
    write_translation(
        Translation(translation.code, translation.name, translation.direction, translation.status, translation.strings, ordered),
        path,
    )
    return stamped
