"""Find form fields in raw submissions by the last segment of their path (``s_2a/c_2a_3`` → ``c_2a_3``).

Group names may change between form versions, so a field can sit under several paths; the first
non-empty value (in column order) wins.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from qaf_kobo.scoring.text import as_text

_TEXT = pa.large_string()


def last_segment(path: str) -> str:
    """``details_scope/country`` → ``country``."""
    return path.rsplit("/", 1)[-1]


def columns_by_field(raw: pd.DataFrame, names: Collection[str]) -> dict[str, list[str]]:
    """For each wanted field name present in ``raw``, the raw columns whose last path segment is that name."""
    wanted = set(names)
    found: dict[str, list[str]] = {}
    for column in raw.columns:
        if isinstance(column, str) and (name := last_segment(column)) in wanted:
            found.setdefault(name, []).append(column)
    return found


def pick_fields(raw: pd.DataFrame, names: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """One text column per wanted field name (NaN where absent), collapsing the paths it appears under.

    Done in arrow, one call per column (a pandas operation costs ten times more on the few rows of most runs)."""
    found = columns_by_field(raw, names)
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name in names:
        paths = found.get(name, [])
        if not paths:
            columns[name] = pa.nulls(len(raw), _TEXT)
            continue
        column = _text(raw[paths[0]])
        for path in paths[1:]:
            column = pc.coalesce(column, _text(raw[path]))
        columns[name] = column
    if not columns:
        return pd.DataFrame(index=raw.index)
    return pa.table(columns).to_pandas().set_axis(raw.index)


def _text(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """``as_text`` as an arrow array (large strings)."""
    if values.dtype != "str":
        values = as_text(values)
    text = pa.array(values, type=_TEXT, from_pandas=True)
    empty = pc.equal(pc.binary_length(text), 0)
    if not pc.any(empty).as_py():  # the usual case: no text is copied
        return text
    return pc.if_else(empty, pa.scalar(None, _TEXT), text)
