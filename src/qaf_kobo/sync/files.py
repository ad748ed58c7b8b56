"""``qaf-kobo import``: load submissions saved by hand into the store, as the submissions of one source — JSON
from the API (a /data/ page, a JSON list or JSON lines), KoboToolbox XLSX/CSV exports and Central's CSV zip
(read by :mod:`qaf_kobo.sync.exports`), given as files or folders.

An export is a picture of the server on the day it was made: it shows no deletions, so a submission deleted on
the server since stays in the store; only a sync, which sees the server, finds deletions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qaf_kobo.errors import QafError
from qaf_kobo.store import DEFAULT_STORE, Store, UpsertCounts, open_store, root_uuid_of, stored_json
from qaf_kobo.store.rows import MAX_DEPTH, row_label
from qaf_kobo.sync.exports import EXPORT_SUFFIXES, read_export

IMPORTED = "export:imported"
"""The source of files imported without ``--source`` (as of a schema 1 store filled by ``import``)."""
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
NO_DELETIONS = ("exports carry no deletions: a submission deleted on the server since stays in the store "
                "(a sync from the server finds deletions)")

SHAPES = "a /data/ page ({\"count\", \"next\", \"previous\", \"results\"}), a JSON list of submissions, or JSON lines"


@dataclass
class ImportResult:
    """What an import did: files read, submissions in them, and the upsert counts."""

    files: int
    submissions: int
    counts: UpsertCounts
    source: str = IMPORTED
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The lines printed at the end: the counts, then what the files could not tell."""
        c = self.counts
        return "\n".join([
            f"imported {self.submissions} submissions from {self.files} file(s) into {self.source}: {c.new} new, "
            f"{c.updated} updated, {c.unchanged} unchanged, {c.stale} older than the stored version"
            + (f", {c.deleted} skipped: deleted on the server" if c.deleted else ""),
            *(f"note: {n}" for n in self.notes)])


def read_submissions(path: Path) -> list[dict[str, Any]]:
    """The submissions in one saved file; anything that is not one of the three shapes, or a submission the store
    cannot keep (see ``store.rows``), is a QafError naming the file and the submission."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise QafError(f"{path}: cannot read it ({exc.__class__.__name__})") from None
    try:
        whole: Any = json.loads(text)
    except RecursionError:
        raise _too_deep(path, text) from None
    except ValueError:
        whole = _json_lines(path, text)
    if isinstance(whole, dict) and isinstance(whole.get("results"), list):
        rows = whole["results"]
    elif isinstance(whole, list):
        rows = whole
    elif isinstance(whole, dict) and any(k in whole for k in ("meta/rootUuid", "meta/instanceID", "_uuid")):
        rows = [whole]  # JSON lines with one line
    else:
        raise QafError(f"{path}: not {SHAPES}")
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise QafError(f"{path}: submission {number} is not a JSON object")
        try:
            stored_json(row, check_text=True)
            root_uuid_of(row)
        except (QafError, ValueError) as exc:
            label = row_label(row)
            raise QafError(f"{path}: submission {number}{f' ({label})' if label else ''}: {exc}") from None
    return rows


def _json_lines(path: Path, text: str) -> list[Any]:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except RecursionError:
                raise QafError(f"{path}: line {number} is nested more than {MAX_DEPTH} levels deep") from None
            except ValueError:
                raise QafError(f"{path}: not {SHAPES} (line {number} is not JSON)") from None
    if not rows:
        raise QafError(f"{path}: empty file, not {SHAPES}")
    return rows


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]')


def _too_deep(path: Path, text: str) -> QafError:
    """The error for a file nested too deeply for Python's JSON reader: which submission (counted in the file's
    list, or in a page's ``results``) first goes deeper than the store accepts, and on which line."""
    stack: list[str] = []
    rows_level, row, last_text = 0, 1, ""
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token[0] == '"':
            last_text = token
        elif token in "[{":
            if token == "[" and not rows_level and (not stack or (stack == ["{"] and last_text == '"results"')):
                rows_level = len(stack) + 1
            stack.append(token)
            if len(stack) > MAX_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                where = f"submission {row} (line {line})" if rows_level else f"line {line}"
                return QafError(f"{path}: {where} is nested more than {MAX_DEPTH} levels deep")
        elif token in "]}":
            if stack:
                stack.pop()
        elif len(stack) == rows_level:
            row += 1
    return QafError(f"{path}: the JSON is nested too deeply to read")


def _check_same_form(store: Store, source: str, files: list[tuple[Path, list[dict[str, Any]]]]) -> None:
    """Refuse rows of another form than the source's (``_xform_id_string``, which KoboToolbox sets to the asset
    uid, in JSON from the API): one source holds one form. A source without rows takes the form of the first row
    that names one."""
    known = store.form_ids(source)
    held = f"form {', '.join(sorted(known))}"
    for path, rows in files:
        for number, row in enumerate(rows, 1):
            form = row.get("_xform_id_string")
            if not form:
                continue
            if not known:
                known, held = {form}, f"form {form} (from {path})"
            elif form not in known:
                raise QafError(f"{path}: submission {number} is from form {form} (_xform_id_string), but the source "
                               f"{source} of {store.path} holds the submissions of {held}; import it with another "
                               "--source")


def import_paths(paths: list[Path]) -> list[Path]:
    """The files to import: each file given, and the JSON and export files of each folder given (sorted)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (*JSON_SUFFIXES,
                                                                                             *EXPORT_SUFFIXES))
            if not found:
                raise QafError(f"{path}: no JSON, XLSX, CSV or zip files in this folder")
            files += found
        elif path.exists():
            files.append(path)
        else:
            raise QafError(f"{path}: no such file or folder")
    return files


def read_file(path: Path, field_paths: Mapping[str, str] | None) -> tuple[list[dict[str, Any]], list[str]]:
    """The submissions of one file (JSON from the API, or an export) and notes about it."""
    if path.suffix.lower() in EXPORT_SUFFIXES or path.suffix.lower() == ".xls":
        export = read_export(path, field_paths)
        return export.rows, [f"{path.name}: {n}" for n in export.notes]
    return read_submissions(path), []


def import_files(paths: list[Path], store_path: Path | str = DEFAULT_STORE, *, source: str | None = None,
                 ref: str | None = None, field_paths: Mapping[str, str] | None = None) -> ImportResult:
    """Read every file first (a bad one changes nothing), then upsert all submissions in one transaction, as the
    source ``source`` (an ``export`` source; default ``export:imported``; ``ref`` says which folder it is).
    ``field_paths`` (the form's field name → path) lets exports without group names in their headers be read.

    Versions of one submission are applied oldest first; a submission deleted on the server stays deleted (only
    a sync, which sees the server, can bring it back). Rows of another form than the source's are refused."""
    files: list[tuple[Path, list[dict[str, Any]]]] = []
    notes = []
    for path in import_paths(paths):
        rows, said = read_file(path, field_paths)
        files.append((path, rows))
        notes += said
    notes.append(NO_DELETIONS)
    rows = [row for _, batch in files for row in batch]
    name = source or IMPORTED
    with open_store(store_path) as store:
        lock = store.lock()
        try:
            _check_same_form(store, name, files)
            where = ref if ref is not None else ("imported" if name == IMPORTED else "")
            counts = store.upsert_page(rows, source=name, from_server=False, new_source=("export", "", where))
        finally:
            lock.release()
    return ImportResult(len(files), len(rows), counts, name, notes)
