"""Per submission × domain: the computed level over the domain's section levels (same rule) and the 0–100 index."""

from __future__ import annotations

import numpy as np
import pandas as pd

from qaf_kobo.framework import Framework
from qaf_kobo.scoring.rules import combine_levels, count_levels, index_0_100
from qaf_kobo.scoring.sections import SectionLevels
from qaf_kobo.scoring.tidy import KEY_COLUMNS, Tidy, level_names, nullable_levels, repeat_keys, tiled

DOMAIN_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, "domain_id", "computed_level", "computed_level_name", "n_assessed", "index")


def domain_table(tidy: Tidy, sections: SectionLevels, fw: Framework, rule: str) -> pd.DataFrame:
    """The domains table (DOMAIN_COLUMNS): rule over section computed levels; index over assessed criteria."""
    n = len(tidy.submissions)
    section_position = {s.id: i for i, s in enumerate(fw.sections)}
    criterion_position = {c.id: i for i, c in enumerate(fw.criteria)}
    section_groups = [[section_position[sid] for sid in d.section_ids] for d in fw.domains]
    criterion_groups = [[criterion_position[c.id] for sid in d.section_ids for c in fw.section(sid).criteria] for d in fw.domains]

    levels = tidy.answers.levels
    computed = combine_levels(sections.computed, section_groups, rule).ravel()
    out = pd.DataFrame(repeat_keys(tidy.keys, len(fw.domains)), copy=False)
    out["domain_id"] = tiled([d.id for d in fw.domains], n)
    out["computed_level"] = nullable_levels(computed)
    out["computed_level_name"] = level_names(computed, tidy.level_names)
    out["n_assessed"] = count_levels(levels, criterion_groups).ravel()
    out["index"] = index_0_100(levels, criterion_groups).ravel()
    return out


def overall_index(tidy: Tidy) -> np.ndarray:
    """Per submission, the index over all assessed criteria (NaN when none is assessed)."""
    levels = tidy.answers.levels
    return index_0_100(levels, [list(range(levels.shape[1]))])[:, 0]
