"""Levels per country × round, for the country profiles and the Domains sheet: each section's level, each
domain's level and index, and the regional medians the profiles compare with.

- A section's level in a country × round is scoring's ``median_level`` (the heat map's cell).
- A domain's level combines, per assessment, its sections' levels (``level``: assessed, else computed) by the
  scoring rule (``min`` or ``median``), the way scoring combines criteria into sections; the country × round
  level is the lower median of those assessment levels, the way scoring makes a section's country level.
- A domain's index in a country × round is the mean of its assessments' domain index (0–100).
- The regional median of a section or domain is the lower median of the levels of every country's latest round.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from qaf_kobo.framework import Framework
from qaf_kobo.scoring.rounds import labels, round_of
from qaf_kobo.scoring.rules import NO_LEVEL, combine_levels, lower_median_of_counts


@dataclass(frozen=True)
class CountryLevels:
    """``sections``: country, round, section_id, level; ``domains``: country, round, domain_id, level, index;
    ``regional_sections`` / ``regional_domains``: level by section id / domain id (nullable Int64)."""

    sections: pd.DataFrame
    domains: pd.DataFrame
    regional_sections: pd.Series
    regional_domains: pd.Series

    def of(self, countries: list[str]) -> CountryLevels:
        """These countries' levels; the regional medians stay those of every country."""
        return CountryLevels(self.sections[self.sections["country"].isin(countries)],
                             self.domains[self.domains["country"].isin(countries)],
                             self.regional_sections, self.regional_domains)


def assessment_keys(assessments: pd.DataFrame) -> pd.DataFrame:
    """Country and round (as text, "" when missing) by root_uuid."""
    details = assessments.drop_duplicates("root_uuid")
    return pd.DataFrame({
        "country": labels(details["country"]).to_numpy(),
        "round": (labels(details["round"]) if "round" in details else pd.Series("", index=details.index)).to_numpy(),
    }, index=pd.Index(details["root_uuid"].astype(object).to_numpy(), name="root_uuid"))


def _section_levels(scores) -> pd.DataFrame:
    countries = scores.countries
    frame = pd.DataFrame({
        "country": labels(countries["country"]),
        "round": labels(countries["round"]) if "round" in countries else "",
        "section_id": countries["section_id"].astype(str),
        "level": pd.array(countries["median_level"], dtype="Int64"),
    })
    return frame[frame["country"] != ""].reset_index(drop=True)


def positions(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Each value's position in ``index`` (−1: not there), looked up once per distinct value (fast for the
    categorical columns scoring hands over, and for text alike)."""
    codes, uniques = pd.factorize(values)
    if not len(uniques):
        return np.full(len(codes), -1)
    position = index.get_indexer(pd.Index(np.asarray(uniques, dtype=object).astype(str), dtype=object))
    return np.where(codes >= 0, position[np.maximum(codes, 0)], -1)


def by_submission(values: pd.Series, uuids: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """The rows of a long table keyed by root_uuid: each row's position in ``uuids`` (−1: not there), and whether
    it is there."""
    rows = positions(values, uuids)
    return rows, rows >= 0


def _ids(values: pd.Series, ids: list[str]) -> np.ndarray:
    """Each row's position in ``ids`` (−1: not one of them)."""
    return positions(values, pd.Index(ids, dtype=object))


def _assessment_domain_levels(scores, fw: Framework, uuids: pd.Index) -> np.ndarray:
    """The submissions' (``uuids``) n × domains int8 level matrix (NO_LEVEL: none)."""
    sections = scores.sections
    rows, known = by_submission(sections["root_uuid"], uuids)
    cols = _ids(sections["section_id"], [s.id for s in fw.sections])
    known &= cols >= 0
    matrix = np.zeros((len(uuids), len(fw.sections)), dtype=np.int8)
    levels = pd.to_numeric(sections["level"], errors="coerce").fillna(NO_LEVEL).to_numpy(dtype=np.int8)
    matrix[rows[known], cols[known]] = levels[known]
    position = {s.id: i for i, s in enumerate(fw.sections)}
    groups = [[position[sid] for sid in domain.section_ids] for domain in fw.domains]
    rule = str((getattr(scores, "about", None) or {}).get("rule") or "min")
    return combine_levels(matrix, groups, rule)


def _lower_medians(blocks: np.ndarray, n_blocks: int, levels: np.ndarray, n_levels: int) -> np.ndarray:
    """Per block and column of an n × k level matrix, the lower median of the rows' levels → n_blocks × k."""
    k = levels.shape[1]
    cell = (blocks[:, None] * k + np.arange(k)) * (n_levels + 1) + levels.astype(np.int64)
    counts = np.bincount(cell.ravel(), minlength=n_blocks * k * (n_levels + 1)).reshape(-1, n_levels + 1)[:, 1:]
    return lower_median_of_counts(counts).reshape(n_blocks, k)


def _domain_levels(scores, fw: Framework) -> pd.DataFrame:
    keys = assessment_keys(scores.assessments)
    keys = keys[keys["country"] != ""]
    uuids = keys.index
    matrix = _assessment_domain_levels(scores, fw, uuids)
    blocks, block_keys = pd.factorize(pd.MultiIndex.from_frame(keys.reset_index(drop=True)))
    domain_ids = [d.id for d in fw.domains]
    medians = _lower_medians(blocks, len(block_keys), matrix, len(fw.levels)).ravel()
    domains = scores.domains
    rows, known = by_submission(domains["root_uuid"], uuids)
    cols = _ids(domains["domain_id"], domain_ids)
    known &= cols >= 0
    index = pd.to_numeric(domains["index"], errors="coerce").to_numpy(dtype=float)
    cell = blocks[rows[known]] * len(domain_ids) + cols[known]
    present = ~np.isnan(index[known])
    total = np.bincount(cell[present], weights=index[known][present], minlength=len(medians))
    count = np.bincount(cell[present], minlength=len(medians))
    out = pd.DataFrame({
        "country": np.repeat(block_keys.get_level_values(0).to_numpy(dtype=object), len(domain_ids)),
        "round": np.repeat(block_keys.get_level_values(1).to_numpy(dtype=object), len(domain_ids)),
        "domain_id": np.tile(np.array(domain_ids, dtype=object), len(block_keys)),
        "level": pd.array(np.where(medians == NO_LEVEL, pd.NA, medians), dtype="Int64"),
        "index": np.divide(total, count, out=np.full(len(medians), np.nan), where=count > 0),
    })
    return out.sort_values(["country", "round"], kind="stable").reset_index(drop=True)


def _regional(levels: pd.DataFrame, latest: pd.DataFrame, key: str, ids: list[str], n_levels: int) -> pd.Series:
    """Per id, the lower median over the countries' latest-round levels."""
    chosen = levels.merge(latest[["country", "round"]], on=["country", "round"])
    counts = np.zeros((len(ids), n_levels), dtype=np.int64)
    position = {i: n for n, i in enumerate(ids)}
    for ident, level in zip(chosen[key], chosen["level"]):
        if ident in position and not pd.isna(level):
            counts[position[ident], int(level) - 1] += 1
    medians = lower_median_of_counts(counts)
    return pd.Series(pd.array(np.where(medians == NO_LEVEL, pd.NA, medians), dtype="Int64"), index=ids)


def country_levels(scores, fw: Framework, rounds: pd.DataFrame) -> CountryLevels:
    """Section and domain levels per country × round, with the regional medians (see the module's docstring)."""
    sections, domains = _section_levels(scores), _domain_levels(scores, fw)
    latest = round_of(rounds, 0)
    return CountryLevels(sections, domains,
                         _regional(sections, latest, "section_id", [s.id for s in fw.sections], len(fw.levels)),
                         _regional(domains, latest, "domain_id", [d.id for d in fw.domains], len(fw.levels)))
