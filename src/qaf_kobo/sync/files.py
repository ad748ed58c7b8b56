"""``qaf-kobo import``: load submissions saved from the API (a /data/ page, a JSON list or JSON lines) into the store."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qaf_kobo.errors import QafError
from qaf_kobo.store import DEFAULT_STORE, Store, UpsertCounts, open_store, root_uuid_of, stored_json
from qaf_kobo.store.rows import MAX_DEPTH, row_label

SHAPES = "a /data/ page ({\"count\", \"next\", \"previous\", \"results\"}), a JSON list of submissions, or JSON lines"


@dataclass
class ImportResult:
    """What an import did: files read, submissions in them, and the upsert counts."""

    files: int
    submissions: int
    counts: UpsertCounts

    def summary(self) -> str:
        """The one-line summary printed at the end."""
        c = self.counts
        return (f"imported {self.submissions} submissions from {self.files} file(s): {c.new} new, {c.updated} updated, "
                f"{c.unchanged} unchanged, {c.stale} older than the stored version"
                + (f", {c.deleted} skipped: deleted on the server" if c.deleted else ""))


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


def _check_same_form(store: Store, files: list[tuple[Path, list[dict[str, Any]]]]) -> None:
    """Refuse rows of another form than the store's (``_xform_id_string``, which KoboToolbox sets to the asset
    uid): a later ``sync --full`` of the store's asset would mark them deleted. A store without rows or asset
    takes the form of the first row that names one."""
    asset = store.get_meta("asset_uid")
    known = store.form_ids() or ({asset} if asset else set())
    held = f"asset {asset}" if asset else f"form {', '.join(sorted(known))}"
    for path, rows in files:
        for number, row in enumerate(rows, 1):
            form = row.get("_xform_id_string")
            if not form:
                continue
            if not known:
                known, held = {form}, f"form {form} (from {path})"
            elif form not in known:
                raise QafError(f"{path}: submission {number} is from form {form} (_xform_id_string), but "
                               f"{store.path} holds the submissions of {held}; import it into another --store")


def import_files(paths: list[Path], store_path: Path | str = DEFAULT_STORE) -> ImportResult:
    """Read every file first (a bad one changes nothing), then upsert all submissions in one transaction.

    Versions of one submission are applied oldest first; a submission deleted on the server stays deleted (only
    a sync, which sees the server, can bring it back). Rows of another form than the store's are refused."""
    files = [(Path(p), read_submissions(Path(p))) for p in paths]
    rows = [row for _, batch in files for row in batch]
    with open_store(store_path) as store:
        lock = store.lock()
        try:
            _check_same_form(store, files)
            counts = store.upsert_page(rows, from_server=False)
        finally:
            lock.release()
    return ImportResult(len(files), len(rows), counts)
