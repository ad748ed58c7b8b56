"""Per submission × domain: the level (the rule over its sections' levels) and the 0–100 index.

A domain's level is the rule (``min``: the lowest, ``median``: the lower median) over its sections' ``level``
(assessed, else computed), so a domain is never below all of its sections; its index is the mean over its assessed
criteria. The country × round figures apply the same rule (``scoring.round_tables``).

In: the submissions, the sections table (``root_uuid, section_id, level``) and the answers
(``root_uuid, criterion_id, level``). Out: the domains table (DOMAIN_COLUMNS), keyed by ``root_uuid`` and
``domain_id``. ``overall_index``: in the domains table, out one row per submission (``root_uuid, index``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qaf_kobo.framework import Framework
from qaf_kobo.scoring.keyed import (
    KEY_COLUMNS,
    cells,
    grid,
    level_codes,
    level_names,
    nullable_levels,
    with_keys,
)
from qaf_kobo.scoring.rules import NO_LEVEL, combine_levels, count_levels, index_0_100

DOMAIN_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, "domain_id", "level", "level_name", "n_assessed", "index")


def domain_table(submissions: pd.DataFrame, sections: pd.DataFrame, answers: pd.DataFrame, fw: Framework,
                 rule: str) -> pd.DataFrame:
    """The domains table (DOMAIN_COLUMNS): rule over the sections' levels; index over assessed criteria."""
    section_ids = [s.id for s in fw.sections]
    criterion_position = {c.id: i for i, c in enumerate(fw.criteria)}
    section_groups = [[section_ids.index(sid) for sid in d.section_ids] for d in fw.domains]
    criterion_groups = [[criterion_position[c.id] for sid in d.section_ids for c in fw.section(sid).criteria] for d in fw.domains]

    section_levels = grid(submissions, sections, "section_id", section_ids).matrix(level_codes(sections["level"]), NO_LEVEL)
    levels = grid(submissions, answers, "criterion_id", [c.id for c in fw.criteria]).matrix(level_codes(answers["level"]), NO_LEVEL)
    level = combine_levels(section_levels, section_groups, rule).ravel()
    out = pd.DataFrame(cells(submissions, [d.id for d in fw.domains], "domain_id"), copy=False)
    out["level"] = nullable_levels(level)
    out["level_name"] = level_names(level, fw)
    out["n_assessed"] = count_levels(levels, criterion_groups).ravel()
    out["index"] = index_0_100(levels, criterion_groups, len(fw.levels)).ravel()
    return with_keys(submissions, out)[list(DOMAIN_COLUMNS)]


def overall_index(submissions: pd.DataFrame, domains: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Per submission (``root_uuid``), the ``index`` over all its assessed criteria (NaN when none is assessed):
    the mean of its domains' indexes weighted by their assessed criteria (each criterion is in one domain)."""
    by_domain = grid(submissions, domains, "domain_id", [d.id for d in fw.domains])
    count = by_domain.matrix(domains["n_assessed"].to_numpy(dtype=np.int64), 0)
    index = by_domain.matrix(domains["index"].to_numpy(dtype=float), np.nan)
    total, assessed = np.where(count > 0, index * count, 0).sum(axis=1), count.sum(axis=1)
    return pd.DataFrame({"root_uuid": submissions["root_uuid"].array,
                         "index": np.divide(total, assessed, out=np.full(len(total), np.nan), where=assessed > 0)})
