"""The active submissions of a store as a raw DataFrame (one row per submission), every answer as text.

Columns: the store's ``root_uuid, source, form_version, validation_status, submission_time`` plus the keys of the
Kobo /data/ JSON whose last path segment is one of the fields asked for (full paths such as ``s_2a/c_2a_3``).
The store gives the rows in batches (``Store.raw_batches``); each batch's JSON is parsed by pyarrow's reader
(straight from the stored UTF-8 bytes) in a thread while the next batch is read.

Every value is the text the JSON held, whatever its neighbours hold (``text.value_text``): pyarrow's reader types
a column by the values of its block, so the columns already seen are read as text from the start and a new one it
reads as timestamps is read again as text (a timestamp loses the text: "2025-03-01" and "2025-03-01T10:00:00+03:00"
both become instants); numbers and booleans are cast to text; a batch that pyarrow cannot read as columns (a
number or a nested value in a wanted field read as text, a malformed row) is parsed row by row. An unreadable
row becomes a submission with no answers (flagged later as missing fields). The columns are in the order of the
first row that has a value in each (then by name), whatever the batches, so that where a field sits under two paths
the same one wins (``fields.pick_fields``).

A submission whose JSON was read by an earlier run is taken from the answers kept beside the store
(``answer_cache``), not parsed again: after a sync, only new and changed submissions are parsed. The file is brought
up to date by the load, or later by its caller (``StoreData.keep``), once the work that needs the cores is done.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from qaf_kobo.cycle_collector import paused
from qaf_kobo.scoring.answer_cache import AnswerCache, digest, keep_later
from qaf_kobo.scoring.fields import last_segment
from qaf_kobo.scoring.text import value_text
from qaf_kobo.store import RawBatch, open_store
from qaf_kobo.store.sources import Source

STORE_COLUMNS: tuple[str, ...] = RawBatch._fields[:-1]
"""The store's own columns of each submission (the last field of a batch is the raw JSON)."""


@dataclass(frozen=True)
class StoreData:
    """What scoring reads from a store: the raw submissions (with each one's ``source``) and its sources (name,
    kind, server, ref, the submissions read from it, sync state)."""

    raw: pd.DataFrame
    sources: list[dict[str, str | int | None]] = field(default_factory=list)
    parsed: int = 0
    """How many submissions' JSON was parsed (the others were taken from the answers kept beside the store)."""
    to_keep: tuple[AnswerCache, pa.Table, list[bytes]] | None = None
    """The answers to write beside the store, when ``load_submissions(wait=False)`` left that to the caller."""

    def keep(self) -> Future[None] | None:
        """Write the answers beside the store in the background (``answer_cache.keep_later``), when the load
        left them to write; the future of that write."""
        return keep_later(*self.to_keep) if self.to_keep is not None else None


JSON_BLOCK_BYTES = 4 << 20
"""Block size of the JSON reader, whose threads parse a batch's blocks in parallel: with 100,000 QAF rows on two
cores, 4 MB loaded faster than pyarrow's 1 MB default (more time per block than parsing) and than 16 MB (a
batch in too few blocks to share out) — measured."""
FETCH_ROWS = 15_000
"""Rows read from the store at a time; each batch is parsed in a thread while the next one is read."""
MAX_SLICES = 256
"""Runs of consecutive rows beyond which the answers are copied in order rather than joined as slices (many short
chunks make every later step slower)."""
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)
_TEXT = pa.large_string()


def _read_json(data: bytes, rows: int, schema: pa.Schema | None = None) -> pa.Table | None:
    """One pyarrow pass over JSON lines (``schema``: columns read as these types); None when it fails."""
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer") if schema else None
    try:
        table = pa_json.read_json(pa.BufferReader(data), read_options=pa_json.ReadOptions(block_size=JSON_BLOCK_BYTES),
                                  parse_options=options)
    except _ARROW_ERRORS:
        return None
    return table if table.num_rows == rows else None


def _as_text_columns(texts: tuple[bytes, ...], wanted: frozenset[str], known: list[str]) -> pa.Table | None:
    """The wanted columns of JSON texts as text, read by pyarrow (``known`` columns read as text from the start);
    None when a row spans lines, pyarrow cannot read the texts as columns, or a wanted column holds nested values."""
    data = b"\n".join(texts)
    if data.count(b"\n") != len(texts) - 1:  # a row spans lines: not one JSON document per line
        return None
    table = _read_json(data, len(texts), pa.schema([(name, _TEXT) for name in known]) if known else None)
    if table is None:
        return None
    names = [name for name in table.column_names if last_segment(name) in wanted]
    table = table.select(names)
    timestamps = [field.name for field in table.schema if pa.types.is_timestamp(field.type)]
    if timestamps:  # read again, those columns as the text they hold
        again = _read_json(data, len(texts), pa.schema([(name, _TEXT) for name in (*known, *timestamps)]))
        if again is None:
            return None
        table = again.select(names)
    if any(pa.types.is_nested(field.type) for field in table.schema):
        return None
    return pa.table([column.cast(_TEXT) for column in table.columns], names=names)


def _parse_one(text: bytes) -> dict:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}


def _row_by_row(texts: tuple[bytes, ...], wanted: frozenset[str]) -> pa.Table:
    """The wanted columns of JSON texts as text, each row parsed on its own (an unreadable row has no values)."""
    columns: dict[str, list[str | None]] = {}
    for i, text in enumerate(texts):
        for key, value in _parse_one(text).items():
            if isinstance(key, str) and last_segment(key) in wanted:
                columns.setdefault(key, [None] * len(texts))[i] = value_text(value)
    if not columns:
        return _no_columns(len(texts))
    return pa.table({key: pa.array(values, type=_TEXT) for key, values in columns.items()})


class BatchReader:
    """Reads batches of JSON texts, in order, into tables of the wanted columns as text (pyarrow, else row by row).

    The wanted columns of the first row, and those of every batch read, are read as text from the start: pyarrow
    then infers the type of new columns only (and a column it reads as timestamps is read again as text).
    """

    def __init__(self, wanted: frozenset[str]) -> None:
        self.wanted = wanted
        self.known: dict[str, None] = {}

    def __call__(self, texts: tuple[bytes, ...]) -> pa.Table:
        if not self.known and texts:
            self.learn(_parse_one(texts[0]))
        table = _as_text_columns(texts, self.wanted, list(self.known))
        if table is None:
            table = _row_by_row(texts, self.wanted)
        self.learn(table.column_names)
        return table

    def learn(self, names: Iterable[object]) -> None:
        """Read these columns (the wanted ones among them) as text from the start."""
        self.known.update((name, None) for name in names if isinstance(name, str) and last_segment(name) in self.wanted)


def _source(source: Source, state: dict[str, str]) -> dict[str, str | int | None]:
    """What scoring keeps of a source: what it is, its sync state, and the form version deployed when it synced."""
    return {"name": source.name, "kind": source.kind, "server": source.server or None, "ref": source.ref or None,
            "last_sync": state.get("last_sync"),
            **{k: v for k, v in state.items() if k in ("deployed_version_id", "form_version")}}


def load_submissions(store_path: str | Path, fields: Collection[str], only_approved: bool = False,
                     keep: bool = True, wait: bool = True) -> StoreData:
    """The active submissions with the answers to ``fields`` (field names: the last segment of a path), leaving
    out "not approved" submissions (or keeping only approved ones).

    With ``keep``, answers read before are taken from the file kept beside the store and the file is brought up to
    date (``answer_cache``; not by an ``only_approved`` run, which reads only some submissions); without ``wait``,
    the caller writes it when it chooses (``StoreData.keep``): scoring does once it has scored, so that the write
    does not compete with it for the cores.
    """
    read = BatchReader(frozenset(fields))
    kept = AnswerCache(store_path, fields) if keep else None
    if kept is not None:
        read.learn(kept.columns)
    columns: dict[str, list[str | None]] = {name: [] for name in STORE_COLUMNS}
    digests: list[bytes] = []
    found: list[np.ndarray] = []
    # one parsing thread, so that the batches are parsed in order; the cycle collector paused while rows pile up
    with open_store(store_path, read_only=True) as store, ThreadPoolExecutor(max_workers=1) as pool, paused():
        sources = [_source(s, store.source_state(s.name)) for s in store.sources()]
        jobs = []
        for batch in store.raw_batches(only_approved=only_approved, rows=FETCH_ROWS):
            for name in STORE_COLUMNS:
                columns[name].extend(getattr(batch, name))
            texts = batch.raw_json
            if kept is not None:
                hashed = [digest(text) for text in texts]
                digests.extend(hashed)
                found.append(kept.find(hashed))
                if (found[-1] >= 0).any():  # only the others are parsed (and kept in memory meanwhile)
                    texts = tuple(text for text, at in zip(texts, found[-1]) if at < 0)
            if texts:
                jobs.append(pool.submit(read, texts))
        store_columns = pd.DataFrame({name: pd.Series(values, dtype="str") for name, values in columns.items()})
        parsed = [job.result() for job in jobs]  # (the store's columns were made while the last batches were parsed)
    scored = store_columns["source"].value_counts() if "source" in store_columns else pd.Series(dtype=int)
    for source in sources:
        source["submissions"] = int(scored.get(source["name"], 0))
    at = np.concatenate(found) if found else np.full(len(store_columns), -1, dtype=np.int64)
    answers = _in_store_order(kept, at, parsed)
    to_keep = None
    if kept is not None and not only_approved and not kept.unchanged(digests):
        if wait:
            kept.save(answers, digests)
        else:
            to_keep = (kept, answers, digests)
    data = answers.to_pandas()
    raw = pd.concat([store_columns, data.set_axis(store_columns.index)], axis=1) if len(data.columns) else store_columns
    return StoreData(raw=raw, sources=sources, parsed=int((at < 0).sum()), to_keep=to_keep)


def _in_store_order(kept: AnswerCache | None, at: np.ndarray, parsed: list[pa.Table]) -> pa.Table:
    """The answers of every submission read, in store order: those kept (``at``: row in ``kept``, −1 where parsed)
    and those parsed (in order), columns in a canonical order (``_canonical``).

    Rows that follow each other in the same table (as after a sync: the kept ones, then the new ones) are joined as
    slices, without copying their text; rows in many short runs are copied in order (one ``take``)."""
    tables = [kept.table] if kept is not None and (at >= 0).any() else []
    tables += parsed
    if not any(table.num_columns for table in tables):  # (arrow tables of no columns lose their rows when joined)
        return _no_columns(len(at))
    whole = pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]
    kept_rows = tables[0].num_rows if kept is not None and (at >= 0).any() else 0
    misses = at < 0
    row = np.where(misses, kept_rows + np.cumsum(misses) - 1, at)  # each submission's row in ``whole``
    if len(row) == whole.num_rows and (row == np.arange(len(row))).all():
        return _canonical(whole)
    starts = np.flatnonzero(np.diff(row, prepend=-2) != 1)  # runs of consecutive rows
    if len(starts) > MAX_SLICES:
        return _canonical(whole.take(pa.array(row)))
    lengths = np.diff(starts, append=len(row))
    return _canonical(pa.concat_tables([whole.slice(row[s], n) for s, n in zip(starts, lengths)]))


def _canonical(table: pa.Table) -> pa.Table:
    """The columns that hold a value, ordered by the first row that has one (then by name): the columns do not
    depend on how the rows were read (in which batches, or kept from an earlier run)."""
    first = {name: pc.index(pc.is_valid(column), True).as_py() for name, column in zip(table.column_names, table.columns)}
    names = sorted((name for name in table.column_names if first[name] >= 0), key=lambda name: (first[name], name))
    if names == table.column_names:
        return table
    return table.select(names) if names else _no_columns(table.num_rows)


def _no_columns(rows: int) -> pa.Table:
    """A table of ``rows`` rows and no columns (made from a placeholder column, which keeps the row count)."""
    return pa.table({"": pa.nulls(rows, _TEXT)}).drop_columns([""])
