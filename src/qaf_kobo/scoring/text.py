"""Field values as text: one text whatever the JSON held, free text normalised, long text capped.

Kobo sends every answer as a JSON string, but files imported by hand (and edits made elsewhere) may hold
numbers, booleans or nested values; scoring reads them all as the text the JSON held, so that a value's meaning
never depends on the values around it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

TEXT_LIMIT = 2_000
"""Characters of a field's text kept in the tables (longer text is cut, ending with "…", and flagged).

A field's text is repeated on every criterion, section and domain row of its submission (69 rows for the QAF),
so one 1 MB agency name becomes tens of MB of CSV per submission; 2,000 characters (about a page) is far above
any genuine name, reason or note, and far below a spreadsheet cell's limit (32,767 in Excel).
"""
ELLIPSIS = "…"


def value_text(value: object) -> str | None:
    """One JSON value as text: strings as they are, ``true``/``false``, numbers as arrow writes them (``1``,
    ``2.5``), lists and objects as compact JSON; None (or NaN) for no value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return pa.scalar(float(value), pa.float64()).cast(pa.string()).as_py()
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return str(value)


def as_text(values: pd.Series) -> pd.Series:
    """A column as text (``value_text`` for anything but text), NaN for missing; empty text counts as missing
    (Kobo omits unanswered keys)."""
    if values.dtype != "str":
        if values.dtype.kind in "iufb":  # numbers and booleans: one arrow cast (1.0 → "1", True → "true")
            text = pa.array(values, from_pandas=True).cast(pa.large_string())
            values = pd.Series(text.to_pandas(), index=values.index, dtype="str")
        else:
            values = pd.Series([value_text(v) for v in values], index=values.index, dtype="str")
    return values.where(values != "")


def per_distinct(values: pd.Series, change: Callable[[str], str | None]) -> pd.Series:
    """``change`` applied to each distinct text once (missing stays missing; a result of None or "" is missing)."""
    position, distinct = pd.factorize(values)
    changed = [change(str(v)) for v in distinct]
    out = pd.Series([v if v else None for v in changed] + [None], dtype="str")  # position −1: missing
    return pd.Series(out.to_numpy()[position], index=values.index, dtype="str")


def normalised(text: str) -> str:
    """Text with white space stripped at both ends and each inner run of it (any Unicode space) made one space."""
    return " ".join(text.split())


def normalise(values: pd.Series, upper: bool = False) -> pd.Series:
    """A free-text grouping field normalised (``normalised``; also upper-cased when ``upper``); empty → missing."""
    return per_distinct(values, (lambda v: normalised(v).upper()) if upper else normalised)


def capped(values: pd.Series, limit: int = TEXT_LIMIT) -> tuple[pd.Series, np.ndarray]:
    """Text longer than ``limit`` characters cut to ``limit`` (its last one "…"), and the rows cut with their
    lengths (an n × 2 array: row, length; empty when nothing is cut)."""
    text = pa.array(values, type=pa.large_string())
    if (pc.max(pc.binary_length(text)).as_py() or 0) <= limit:  # bytes ≥ characters: nothing is longer
        return values, np.empty((0, 2), dtype=np.int64)
    lengths = values.str.len().fillna(0).to_numpy(dtype=np.int64)
    long = np.flatnonzero(lengths > limit)
    values = values.copy()
    values.iloc[long] = values.iloc[long].str.slice(0, limit - 1) + ELLIPSIS
    return values, np.column_stack([long, lengths[long]])
