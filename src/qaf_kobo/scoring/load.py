"""The active submissions of a store as a raw DataFrame (one row per submission).

Columns: the store's ``root_uuid, form_version, validation_status, submission_time`` plus every key of the
Kobo /data/ JSON (full paths such as ``s_2a/c_2a_3``). The store gives the rows in batches (``Store.raw_batches``);
each batch's JSON is parsed by pyarrow's reader (straight from the stored UTF-8 bytes) in a thread while the
next batch is read.
When batches disagree on a column's type, all rows are parsed in one pyarrow pass; if that fails too (a
malformed row, mixed value types), each row is parsed on its own and an unreadable row becomes a submission
with no answers (flagged later as missing fields).
"""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json

from qaf_kobo.store import RawBatch, open_store

STORE_COLUMNS: tuple[str, ...] = RawBatch._fields[:-1]
"""The store's own columns of each submission (the last field of a batch is the raw JSON)."""


@dataclass(frozen=True)
class StoreData:
    """What scoring reads from a store: the raw submissions (with each one's ``source``), the store's meta table,
    and its sources (name, kind, server, ref, active submissions, sync state)."""

    raw: pd.DataFrame
    meta: dict[str, str]
    sources: list[dict[str, str | int | None]] = field(default_factory=list)


JSON_BLOCK_BYTES = 16 << 20
"""Block size of the JSON reader: pyarrow's 1 MB default spends more time per block than parsing (measured)."""
FETCH_ROWS = 20_000
"""Rows read from the store at a time; each batch is parsed in a thread while the next one is read."""
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)


def _read_json(texts: tuple[bytes, ...]) -> pa.Table | None:
    """One pyarrow pass over JSON texts (UTF-8 bytes); None when it fails or a row spans lines."""
    data = b"\n".join(texts)
    if data.count(b"\n") != len(texts) - 1:  # a row spans lines: not one JSON document per line
        return None
    try:
        table = pa_json.read_json(io.BytesIO(data), read_options=pa_json.ReadOptions(block_size=JSON_BLOCK_BYTES))
    except _ARROW_ERRORS:
        return None
    return table if table.num_rows == len(texts) else None


def _as_frame(table: pa.Table) -> pd.DataFrame:
    keep = [name for name in table.column_names if not pa.types.is_nested(table.schema.field(name).type)]
    return table.select(keep).to_pandas()


def _parse_all(batches: list[tuple[bytes, ...]], parsed: list[pa.Table | None]) -> pd.DataFrame:
    """Columns of the JSON texts: the batches parsed (``parsed``) put together when their column types agree,
    else one pyarrow pass over all texts, else row by row (an unreadable row has no answers)."""
    texts = [text for batch in batches for text in batch]
    if not texts:
        return pd.DataFrame(index=pd.RangeIndex(0))
    if all(table is not None for table in parsed):
        try:
            return _as_frame(pa.concat_tables(parsed, promote_options="permissive"))
        except _ARROW_ERRORS:  # a column typed differently in two batches (say a date that is not one)
            pass
    table = _read_json(tuple(texts)) if len(batches) > 1 else None
    if table is not None:
        return _as_frame(table)
    return pd.DataFrame.from_records([_parse_one(text) for text in texts])


def _parse_one(text: bytes) -> dict:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}


def load_submissions(store_path: str | Path, only_approved: bool = False) -> StoreData:
    """The active submissions, leaving out "not approved" ones (or keeping only approved ones)."""
    batches: list[RawBatch] = []
    with open_store(store_path, read_only=True) as store, ThreadPoolExecutor(max_workers=1) as pool:
        meta = store.meta()
        sources = [{**s.to_dict(), **{k: v for k, v in s.state.items() if k in ("deployed_version_id", "form_version")}}
                   for s in store.status().sources]
        jobs = []
        for batch in store.raw_batches(only_approved=only_approved, rows=FETCH_ROWS):
            batches.append(batch)
            jobs.append(pool.submit(_read_json, batch.raw_json))
        parsed = [job.result() for job in jobs]
    answers = _parse_all([batch.raw_json for batch in batches], parsed)
    store_columns = pd.DataFrame({name: pd.Series([v for batch in batches for v in getattr(batch, name)], dtype="str")
                                  for name in STORE_COLUMNS})
    answers = answers.drop(columns=[c for c in STORE_COLUMNS if c in answers.columns])
    raw = pd.concat([store_columns, answers.set_axis(store_columns.index)], axis=1) if len(answers.columns) else store_columns
    return StoreData(raw=raw, meta=meta, sources=sources)
