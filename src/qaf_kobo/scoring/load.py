"""Read the active submissions of the SQLite store into a raw DataFrame (one row per submission).

Columns: the store's ``root_uuid, form_version, validation_status, submission_time`` plus every key of the
Kobo /data/ JSON (full paths such as ``s_2a/c_2a_3``). The JSON of all rows is parsed in one go by
pyarrow's multi-threaded reader; if that fails (a malformed row, mixed value types), each row is parsed
on its own and an unreadable row becomes a submission with no answers (flagged later as missing fields).
"""

from __future__ import annotations

import io
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json

from qaf_kobo.errors import QafError

STORE_VERSION = 1
STORE_COLUMNS: tuple[str, ...] = ("root_uuid", "form_version", "validation_status", "submission_time")
NOT_APPROVED = "validation_status_not_approved"
APPROVED = "validation_status_approved"


@dataclass(frozen=True)
class StoreData:
    """What scoring reads from a store: the raw submissions and the store's meta table."""

    raw: pd.DataFrame
    meta: dict[str, str]


def _connect(store_path: Path) -> sqlite3.Connection:
    if not store_path.is_file():
        raise QafError(f"no store at {store_path}: run `qaf-kobo sync` (or `qaf-kobo import`) first, or pass --store")
    try:
        con = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
        version = con.execute("PRAGMA user_version").fetchone()[0]
        tables = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise QafError(f"{store_path} is not a qaf-kobo store ({exc})") from None
    if version != STORE_VERSION or not {"meta", "submissions"} <= tables:
        con.close()
        raise QafError(f"{store_path} is not a qaf-kobo store (schema version {version}, expected {STORE_VERSION})")
    return con


def _parse_all(texts: list[str]) -> pd.DataFrame:
    """Parse JSON texts into columns: one pyarrow pass, or row by row when that pass fails."""
    if not texts:
        return pd.DataFrame(index=pd.RangeIndex(0))
    if not any("\n" in text for text in texts):
        try:
            table = pa_json.read_json(io.BytesIO("\n".join(texts).encode("utf-8")))
            if table.num_rows == len(texts):
                keep = [name for name in table.column_names if not pa.types.is_nested(table.schema.field(name).type)]
                return table.select(keep).to_pandas()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeEncodeError):
            pass
    return pd.DataFrame.from_records([_parse_one(text) for text in texts])


def _parse_one(text: str) -> dict:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}


def load_submissions(store_path: str | Path, only_approved: bool = False) -> StoreData:
    """The active submissions (``deleted_at IS NULL``), leaving out "not approved" ones (or keeping only approved)."""
    path = Path(store_path)
    con = _connect(path)
    try:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        where = "deleted_at IS NULL AND " + (
            "validation_status = ?" if only_approved else "validation_status IS NOT ?"
        )
        rows = con.execute(
            f"SELECT {', '.join(STORE_COLUMNS)}, raw_json FROM submissions WHERE {where} ORDER BY rowid",
            (APPROVED if only_approved else NOT_APPROVED,),
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise QafError(f"cannot read the submissions of {path} ({exc})") from None
    finally:
        con.close()
    answers = _parse_all([row[-1] for row in rows])
    store = pd.DataFrame.from_records([row[:-1] for row in rows], columns=list(STORE_COLUMNS))
    answers = answers.drop(columns=[c for c in STORE_COLUMNS if c in answers.columns])
    raw = pd.concat([store, answers.set_axis(store.index)], axis=1) if len(answers.columns) else store
    return StoreData(raw=raw, meta=meta)
