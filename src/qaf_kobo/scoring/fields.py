"""Find form fields in raw submissions by the last segment of their path (``s_2a/c_2a_3`` → ``c_2a_3``).

Group names may change between form versions, so a field can sit under several paths; the first
non-empty value (in column order) wins.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from qaf_kobo.scoring.text import as_text


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
    """One text column per wanted field name (NaN where absent), collapsing the paths it appears under."""
    found = columns_by_field(raw, names)
    out: dict[str, pd.Series] = {}
    for name in names:
        paths = found.get(name, [])
        if not paths:
            out[name] = pd.Series(float("nan"), index=raw.index, dtype="str")
            continue
        column = as_text(raw[paths[0]])
        for path in paths[1:]:
            column = column.fillna(as_text(raw[path]))
        out[name] = column
    return pd.DataFrame(out, index=raw.index)
