"""Per submission × domain: the computed level over the domain's section levels (same rule) and the 0–100 index."""

from __future__ import annotations

import numpy as np
import pandas as pd

from qaf_kobo.framework import Framework
from qaf_kobo.scoring.rules import combine, index_0_100
from qaf_kobo.scoring.sections import as_matrix, criterion_levels
from qaf_kobo.scoring.tidy import KEY_COLUMNS, Tidy, level_names, nullable_levels, repeat_keys

DOMAIN_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, "domain_id", "computed_level", "computed_level_name", "n_assessed", "index")


def domain_table(tidy: Tidy, sections: pd.DataFrame, fw: Framework, rule: str) -> pd.DataFrame:
    """The domains table (DOMAIN_COLUMNS): rule over section computed levels; index over assessed criteria."""
    n = len(tidy.submissions)
    section_position = {s.id: i for i, s in enumerate(fw.sections)}
    criterion_position = {c.id: i for i, c in enumerate(fw.criteria)}
    section_groups = [[section_position[sid] for sid in d.section_ids] for d in fw.domains]
    criterion_groups = [[criterion_position[c.id] for sid in d.section_ids for c in fw.section(sid).criteria] for d in fw.domains]

    levels = criterion_levels(tidy)
    section_levels = as_matrix(sections["computed_level"], n)
    computed = combine(section_levels, section_groups, rule).ravel() if n else np.array([], dtype=float)
    index = index_0_100(levels, criterion_groups).ravel() if n else np.array([], dtype=float)
    n_assessed = (
        np.stack([(~np.isnan(levels[:, g])).sum(axis=1) for g in criterion_groups], axis=1).ravel() if n else np.array([], dtype=int)
    )

    out = pd.DataFrame(repeat_keys(tidy.keys, len(fw.domains)))
    out["domain_id"] = pd.Categorical.from_codes(np.tile(np.arange(len(fw.domains)), n), categories=[d.id for d in fw.domains])
    out["computed_level"] = nullable_levels(computed)
    out["computed_level_name"] = level_names(computed)
    out["n_assessed"] = n_assessed.astype(np.int16)
    out["index"] = index
    return out


def overall_index(tidy: Tidy) -> np.ndarray:
    """Per submission, the index over all assessed criteria (NaN when none is assessed)."""
    levels = criterion_levels(tidy)
    return index_0_100(levels, [list(range(levels.shape[1]))])[:, 0] if len(levels) else np.array([], dtype=float)
