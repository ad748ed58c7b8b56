"""Tables keyed by ids: id columns, the submission keys joined onto rows, a keyed column as a matrix, level columns.

Scoring's stages pass long tables to each other: one row per submission (``root_uuid``), per submission ×
criterion (``root_uuid, criterion_id``), per submission × section (``root_uuid, section_id``). Ids are
categoricals: ``root_uuid`` shares the submissions table's dtype, so a row finds its submission by its id's code;
``section_id``, ``criterion_id`` and ``domain_id`` list the framework's ids in framework order. A stage that wants
numpy speed turns a keyed column into a matrix inside its own function (``grid(...).matrix``: rows are the
submissions in submission order, columns the ids asked for), each value placed by its row's ids, never by the
row's position; a table already in that order (as tidy writes them) is reshaped after a cheap check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from qaf_kobo.framework import Framework
from qaf_kobo.scoring.rules import NO_LEVEL

KEY_COLUMNS: tuple[str, ...] = ("root_uuid", "country", "assessment_date", "round", "agency", "assessment_scope")
"""The submission columns repeated on every row of the criteria, sections and domains tables."""


def framework_ids(ids: Sequence[str], codes: np.ndarray) -> pd.Categorical:
    """An id column: ``ids[codes]`` with the ids (framework order) as its categories."""
    return pd.Categorical.from_codes(codes, categories=list(ids), validate=False)


def _root_codes(submissions: pd.DataFrame, root_uuid: pd.Series) -> np.ndarray:
    """Each row's ``root_uuid`` as a code of the submissions' ids dtype (−1 for an id that is not there)."""
    own = submissions["root_uuid"].dtype
    if root_uuid.dtype is not own and root_uuid.dtype != own:
        root_uuid = pd.Series(pd.Categorical(root_uuid.astype("str"), dtype=own))
    return root_uuid.array.codes


def _by_root(submissions: pd.DataFrame, values: np.ndarray, missing: object) -> np.ndarray:
    """``values`` (one per submission) laid out by id code, ``missing`` last (where code −1 lands)."""
    out = np.full(len(submissions["root_uuid"].cat.categories) + 1, missing, dtype=values.dtype)
    out[submissions["root_uuid"].array.codes] = values
    return out


def submission_positions(submissions: pd.DataFrame, root_uuid: pd.Series) -> np.ndarray:
    """For each row of a keyed table, the position of its submission in ``submissions`` (−1 when not there)."""
    return _by_root(submissions, np.arange(len(submissions)), -1)[_root_codes(submissions, root_uuid)]


def id_positions(values: pd.Series, ids: Sequence[str]) -> np.ndarray:
    """For each row, the position of its id among ``ids`` (−1 when not one of them)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return pd.Index(list(ids)).get_indexer(values.astype("str"))
    of_category = pd.Index(list(ids)).get_indexer(values.cat.categories.astype("str"))
    codes = values.array.codes
    if len(of_category) <= len(ids) and np.array_equal(of_category, np.arange(len(of_category))):
        return codes  # the categories are the first ids, in order: a row's code is its position
    return np.append(of_category, -1)[codes]


@dataclass(frozen=True)
class Grid:
    """Where the rows of a keyed table sit in a submissions × ids matrix (rows: the submissions in submission
    order, found by ``root_uuid``; columns: ``ids``, found by the table's id column)."""

    shape: tuple[int, int]
    flat: np.ndarray | None
    """Each row's cell (row-major), −1 for a row whose submission or id is not in the matrix; None when the
    table's rows are exactly the matrix's cells in order (then a column is reshaped, not scattered)."""

    def matrix(self, values: np.ndarray, fill: object) -> np.ndarray:
        """``values`` (one per row of the table) as a matrix, ``fill`` in the cells no row has."""
        if self.flat is None:
            return values.reshape(self.shape)
        out = np.full(self.shape[0] * self.shape[1], fill, dtype=values.dtype)
        known = self.flat >= 0
        out[self.flat[known]] = values[known]
        return out.reshape(self.shape)

    def texts(self, values: pd.Series) -> pd.Series:
        """A text column (one value per row of the table) in the matrix's cell order (row-major), missing in the
        cells no row has."""
        if self.flat is None:
            return pd.Series(values.array, dtype="str")
        source = np.full(self.shape[0] * self.shape[1], -1, dtype=np.int64)
        known = self.flat >= 0
        source[self.flat[known]] = np.flatnonzero(known)
        taken = pa.array(values, type=pa.large_string()).take(pa.array(source, mask=source < 0))
        return pd.Series(taken.to_pandas(), dtype="str")


def grid(submissions: pd.DataFrame, table: pd.DataFrame, column: str, ids: Sequence[str]) -> Grid:
    """The Grid of a table keyed by ``root_uuid`` and ``column`` (ids among ``ids``); ValueError when a pair of
    ids appears twice (a bug upstream: every table has one row per pair)."""
    root, columns = _root_codes(submissions, table["root_uuid"]), id_positions(table[column], ids)
    n, m = len(submissions), len(ids)
    own = submissions["root_uuid"].array.codes
    if len(root) == n * m and (columns.reshape(n, m) == np.arange(m)).all() and (root.reshape(n, m) == own[:, None]).all():
        return Grid((n, m), None)  # the table lists the cells in order: its columns reshape as they are
    rows = _by_root(submissions, np.arange(n), -1)[root]
    flat = np.where((rows >= 0) & (columns >= 0), rows * m + columns, -1)
    if np.bincount(flat[flat >= 0], minlength=n * m).max(initial=0) > 1:
        raise ValueError(f"a pair of root_uuid and {column} appears twice in the table")
    return Grid((n, m), flat)


def cells(submissions: pd.DataFrame, ids: Sequence[str], column: str) -> dict[str, pd.Categorical]:
    """The id columns of a long table with a row per submission × id (submission order, then ``ids`` order)."""
    n, m = len(submissions), len(ids)
    root_uuid = submissions["root_uuid"].array
    return {
        "root_uuid": pd.Categorical.from_codes(np.repeat(root_uuid.codes, m), dtype=root_uuid.dtype, validate=False),
        column: framework_ids(ids, np.tile(np.arange(m, dtype=np.int16), n)),
    }


def with_keys(submissions: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its submission's KEY_COLUMNS in front, found by ``root_uuid`` (missing for an unknown id)."""
    root, own = _root_codes(submissions, table["root_uuid"]), submissions["root_uuid"].array.codes
    n = len(own)
    m = len(root) // n if n else 0
    # Rows grouped by submission, in submission order, m each (as the tables are built): repeat, do not look up.
    repeated = len(root) == n * m and (root.reshape(n, m) == own[:, None]).all()
    out: dict[str, object] = {"root_uuid": table["root_uuid"].array}
    for name in KEY_COLUMNS[1:]:
        values = submissions[name]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.array.codes
            codes = np.repeat(codes, m) if repeated else _by_root(submissions, codes, -1)[root]
            out[name] = pd.Categorical.from_codes(codes, dtype=values.dtype, validate=False)
        else:  # dates (or other values): missing as NaT, NaN or None
            data = values.to_numpy()
            missing = {"M": np.datetime64("NaT"), "f": np.nan}.get(data.dtype.kind)
            if missing is None:
                data = data.astype(object)
            out[name] = np.repeat(data, m) if repeated else _by_root(submissions, data, missing)[root]
    out.update({name: table[name].array for name in table.columns if name != "root_uuid"})
    return pd.DataFrame(out, copy=False)


# --------------------------------------------------------------------------- level columns
def level_dtype(fw: Framework) -> pd.CategoricalDtype:
    """The level names of a framework as a categorical dtype, lowest first."""
    return pd.CategoricalDtype([level.name for level in fw.levels], ordered=True)


def nullable_levels(levels: np.ndarray) -> pd.arrays.IntegerArray:
    """An int8 level array → a nullable Int8 array (empty where NO_LEVEL)."""
    return pd.arrays.IntegerArray(levels.astype(np.int8, copy=False), levels == NO_LEVEL)


def level_codes(levels: pd.Series) -> np.ndarray:
    """A nullable level column → int8 levels with NO_LEVEL where empty."""
    return levels.to_numpy(dtype=np.int8, na_value=NO_LEVEL)


def level_names(levels: np.ndarray, fw: Framework) -> pd.Categorical:
    """An int8 level array → the framework's level names (empty where NO_LEVEL)."""
    return pd.Categorical.from_codes(levels.astype(np.int8, copy=False) - np.int8(1), dtype=level_dtype(fw), validate=False)
