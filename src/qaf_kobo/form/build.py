"""Build a framework's form files: write the XLSForm (.xlsx, openpyxl), convert it to an XForm (pyxform),
optionally check it with ODK Validate (Java), and return the paths and the warnings."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from openpyxl import Workbook, load_workbook
from pyxform.errors import PyXFormError
from pyxform.validators.odk_validate import ODKValidateError
from pyxform.xls2xform import convert

from qaf_kobo.cycle_collector import paused
from qaf_kobo.errors import QafError
from qaf_kobo.excel_text import keep_text
from qaf_kobo.form.xlsform import XlsForm, build_xlsform, form_languages
from qaf_kobo.framework import Framework, default_framework
from qaf_kobo.framework.catalogue import ENGLISH, Translation
from qaf_kobo.output_files import FORMS_OUT, OutputSet, output_folder, write_atomically


@dataclass(frozen=True)
class BuiltForm:
    """The files of one build, its settings.version, its languages, the warnings (missing translations) and
    whether ODK Validate accepted it (False: not run)."""

    xlsx: Path
    xml: Path
    version: str
    languages: list[str]
    warnings: list[str]
    validated: bool = False


def build_stamp(now: datetime | None = None) -> str:
    """A build stamp that increases with time: UTC ``yyyymmddHHMM`` (digits only, as Collect expects)."""
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y%m%d%H%M")


def write_xlsform(form: XlsForm, path: Path) -> Path:
    """Write the survey, choices and settings sheets; every cell is text (never a formula). Atomic: a temporary
    file renamed when complete."""
    return write_atomically(path, lambda partial: _save_xlsform(form, partial))


def _save_xlsform(form: XlsForm, path: Path) -> Path:
    wb = Workbook()
    sheets = (
        ("survey", form.survey_columns(), form.survey),
        ("choices", form.choices_columns(), form.choices),
        ("settings", list(form.settings), [form.settings]),
    )
    for index, (title, columns, rows) in enumerate(sheets):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws.title = title
        ws.append(columns)
        for row in rows:
            ws.append([row.get(column, "") or None for column in columns])
        keep_text(ws, min_row=2)
    wb.save(path)
    return path


def read_xlsform(path: Path) -> dict[str, list[list[str]]]:
    """The cells of an XLSForm's sheets (header included), as text: for comparing two builds."""
    wb = load_workbook(path, read_only=True)
    try:
        return {ws.title: [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)] for ws in wb}
    finally:
        wb.close()


def convert_xlsform(xlsx: Path, xml: Path, validate: bool = False, shown: Path | None = None) -> list[str]:
    """Convert with pyxform (and ODK Validate when ``validate``); returns pyxform's warnings; errors -> QafError
    naming ``shown`` (default: ``xlsx``), the file the user will see."""
    warnings: list[str] = []
    shown = shown or xlsx
    try:
        result = convert(str(xlsx), warnings=warnings, validate=validate, pretty_print=True)
    except ODKValidateError as exc:
        raise QafError(f"{shown}: ODK Validate rejected the form: {' '.join(str(exc).split())}") from exc
    except PyXFormError as exc:
        raise QafError(f"{shown}: pyxform cannot convert the form: {' '.join(str(exc).split())}") from exc
    except OSError as exc:
        if validate and "java" in str(exc).lower():
            raise QafError("ODK Validate needs Java (install a JRE, or build with --no-validate)") from exc
        raise
    xml.write_text(result.xform, encoding="utf-8")
    return list(dict.fromkeys(warnings + list(result.warnings)))


@paused()
def build_form(
    out_dir: Path = FORMS_OUT,
    sections: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    validate: bool | None = False,
    strict: bool = False,
    framework: Framework | None = None,
    translations: Mapping[str, Translation] | None = None,
    stamp: str | None = None,
    opens_in: str = ENGLISH,
) -> BuiltForm:
    """Build ``<out_dir>/<form id>.xlsx`` and ``.xml`` (``qaf_case_management`` for the QAF; default framework: the QAF).

    ``sections`` limits the form (unknown ids: FrameworkError); ``languages`` defaults to every available one;
    ``translations`` replaces the shipped translation files; ``stamp`` (default: now) ends settings.version;
    ``opens_in``: the language the form opens in, and of its title (an XForm has one: a client's title bar).
    ``validate``: run ODK Validate (it needs Java); None runs it when ``java`` is on PATH.
    pyxform warnings and missing translations are listed in ``warnings`` (``strict``: QafError).
    """
    fw = framework or default_framework()
    out_dir = output_folder(out_dir, create=False)  # before any work
    if sections:
        fw = fw.with_sections(list(sections))
    version = f"{fw.version}.{stamp or build_stamp()}"
    form = build_xlsform(fw, version, form_languages(fw, languages, translations), strict=strict, opens_in=opens_in)
    if validate is None:
        validate = shutil.which("java") is not None
    with OutputSet(output_folder(out_dir)) as files:  # both files, or neither
        xlsx = out_dir / f"{fw.form_id}.xlsx"
        written = _save_xlsform(form, files.part(xlsx.name))
        pyxform_warnings = convert_xlsform(written, files.part(f"{fw.form_id}.xml"), validate=validate, shown=xlsx)
    xlsx, xml = files.paths
    return BuiltForm(xlsx, xml, version, form.languages, form.warnings + [f"pyxform: {w}" for w in pyxform_warnings],
                     validated=validate)
