"""The figures of each round: per country × round, × round × section and × round × domain, each with the previous
round beside it; and the agency × section levels of one round. Every figure a report shows of a round comes from
here, computed once from the assessments counted in the round (``scoring.rounds``) and their sections and domains.

- A section's level in a round is the lower median of its assessments' section levels (``level``: assessed, else
  computed); ``n_<level>`` counts those assessments per level.
- A domain's level in a round is the rule (``min``: the lowest, ``median``: the lower median) over its sections'
  levels in the round, so a domain is never below all of its sections; the same rule the sections table applies
  per assessment (``scoring.domains``).
- An index (0–100) is the mean over the assessed criteria of the round's assessments: 0 at the lowest level, 100 at
  the highest. It can rise while a level falls: a level is set by the weakest (or middle) section, the index by
  every criterion.
- A round's sections per level, meeting the minimum, improved and fell count sections (of the framework) by their
  level in the round.

Rows are keyed by ``country`` and ``round`` (text, "" for none), ``section_id`` or ``domain_id``; ``position`` is
the round's place in the country's time order (1: earliest) and ``from_latest`` 0 for its latest round.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qaf_kobo.framework import Framework
from qaf_kobo.scoring.keyed import id_positions
from qaf_kobo.scoring.rounds import labels
from qaf_kobo.scoring.rules import NO_LEVEL, combine_levels, lower_median_of_counts


def positions(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Each value's position in ``index`` (−1: not there), looked up once per distinct value (fast for the
    categorical columns scoring hands over, and for text alike)."""
    codes, uniques = pd.factorize(values)
    if not len(uniques):
        return np.full(len(codes), -1)
    position = index.get_indexer(pd.Index(np.asarray(uniques, dtype=object).astype(str), dtype=object))
    return np.where(codes >= 0, position[np.maximum(codes, 0)], -1)


def round_columns(fw: Framework) -> tuple[str, ...]:
    """The columns of the rounds table (country × round)."""
    return ("country", "round", "position", "from_latest", "previous_round", "n_assessments", "n_left_out",
            "latest_date", *(f"n_{level.name}" for level in fw.levels), "n_not_assessed", "n_meeting_minimum",
            "share_meets_minimum", "index", "previous_n_meeting_minimum", "previous_index", "index_change",
            "n_improved", "n_fell", "n_unchanged")


def country_columns(fw: Framework) -> tuple[str, ...]:
    """The columns of the countries table (country × round × section): assessments per level ``n_<level name>``."""
    return ("country", "round", "section_id", "n_assessments", *(f"n_{level.name}" for level in fw.levels),
            "share_meets_minimum", "median_level", "latest_assessment_date", "previous_level", "level_change")


COUNTRY_DOMAIN_COLUMNS: tuple[str, ...] = ("country", "round", "domain_id", "level", "index", "n_assessed",
                                           "previous_level", "previous_index", "level_change", "index_change")


def _levels(codes: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.array(np.where(codes == NO_LEVEL, pd.NA, codes), dtype="Int64")


def _ratio(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    return np.divide(total, count, out=np.full(len(total), np.nan), where=count > 0)


class _Blocks:
    """The country × round blocks of the counted assessments, in country then time order."""

    def __init__(self, assessments: pd.DataFrame):
        country, round_ = labels(assessments["country"]), labels(assessments["round"])
        reason = labels(assessments["left_out"]) if "left_out" in assessments else pd.Series("", index=assessments.index)
        counted = ((country != "") & (reason == "")).to_numpy()
        country_codes, countries = pd.factorize(country[counted].to_numpy(dtype=object))
        round_codes, round_names = pd.factorize(round_[counted].to_numpy(dtype=object))
        pairs, codes = np.unique(country_codes.astype(np.int64) * max(len(round_names), 1) + round_codes,
                                 return_inverse=True)
        codes = codes.ravel()
        n = len(pairs)
        key_country = np.asarray(countries, dtype=object)[pairs // max(len(round_names), 1)] if n else []
        key_round = np.asarray(round_names, dtype=object)[pairs % max(len(round_names), 1)] if n else []
        dates = pd.to_datetime(assessments["assessment_date"], errors="coerce").to_numpy(dtype="datetime64[ns]")
        latest = np.full(n, np.iinfo(np.int64).min)
        np.maximum.at(latest, codes, dates[counted].view(np.int64))
        frame = pd.DataFrame({
            "country": np.asarray(key_country, dtype=object),
            "round": np.asarray(key_round, dtype=object),
            "n_assessments": np.bincount(codes, minlength=n),
            "latest_date": latest.view("datetime64[ns]"),
        })
        left = pd.DataFrame({"country": country[~counted & (country != "")], "round": round_[~counted & (country != "")]})
        n_left = left.groupby(["country", "round"]).size()
        frame["n_left_out"] = [int(n_left.get((c, r), 0)) for c, r in zip(frame["country"], frame["round"])]
        order = frame.sort_values(["country", "latest_date", "round"], na_position="first", kind="stable").index.to_numpy()
        renumber = np.empty(n, dtype=np.int64)
        renumber[order] = np.arange(n)
        self.frame = frame.loc[order].reset_index(drop=True)
        self.frame["position"] = self.frame.groupby("country").cumcount() + 1
        self.frame["from_latest"] = self.frame.groupby("country")["position"].transform("max") - self.frame["position"]
        self.previous = np.where(self.frame["position"].to_numpy() > 1, np.arange(n) - 1, -1)
        self.frame["previous_round"] = np.where(self.previous >= 0, self.frame["round"].to_numpy()[self.previous], None)
        block = np.full(len(assessments), -1, dtype=np.int64)
        block[counted] = renumber[codes]
        self.of_assessment = block
        self.uuids = pd.Index(assessments["root_uuid"].astype(str).to_numpy(dtype=object))
        self.n = n
        self._by_dtype: dict[int, np.ndarray] = {}

    def of_rows(self, root_uuid: pd.Series) -> np.ndarray:
        """The block of each row of a table keyed by root_uuid (−1: not counted); a categorical id column (as
        scoring hands over) is looked up once per category."""
        if isinstance(root_uuid.dtype, pd.CategoricalDtype):
            key = id(root_uuid.dtype)
            if key not in self._by_dtype:
                rows = self.uuids.get_indexer(root_uuid.cat.categories.astype(str))
                self._by_dtype[key] = np.append(np.where(rows >= 0, self.of_assessment[np.maximum(rows, 0)], -1), -1)
            return self._by_dtype[key][root_uuid.array.codes]
        rows = positions(root_uuid, self.uuids)
        return np.where(rows >= 0, self.of_assessment[np.maximum(rows, 0)], -1)

    def before(self, values: np.ndarray, fill: object) -> np.ndarray:
        """Per block, the value of its previous round's block (``fill`` when none); ``values``: blocks × …"""
        out = np.full(values.shape, fill, dtype=values.dtype if fill is not None else object)
        has = self.previous >= 0
        out[has] = values[self.previous[has]]
        return out


def _section_levels(blocks: _Blocks, sections: pd.DataFrame, fw: Framework) -> tuple[np.ndarray, np.ndarray]:
    """Per block × section: the assessments per level (blocks × sections × (levels + 1), NO_LEVEL first) and the
    lower median level (blocks × sections int8)."""
    m, k = len(fw.sections), len(fw.levels) + 1
    block = blocks.of_rows(sections["root_uuid"])
    section = id_positions(sections["section_id"], [s.id for s in fw.sections])
    level = pd.to_numeric(sections["level"], errors="coerce").fillna(NO_LEVEL).to_numpy(dtype=np.int64)
    keep = (block >= 0) & (section >= 0)
    cell = (block[keep] * m + section[keep]) * k + level[keep]
    counts = np.bincount(cell, minlength=blocks.n * m * k).reshape(blocks.n, m, k)
    return counts, lower_median_of_counts(counts[:, :, 1:].reshape(-1, k - 1)).reshape(blocks.n, m)


def _domain_indexes(blocks: _Blocks, domains: pd.DataFrame, fw: Framework) -> tuple[np.ndarray, np.ndarray]:
    """Per block × domain: the sum of (index × assessed criteria) over its assessments, and the assessed criteria."""
    d = len(fw.domains)
    block = blocks.of_rows(domains["root_uuid"])
    domain = id_positions(domains["domain_id"], [x.id for x in fw.domains])
    index = pd.to_numeric(domains["index"], errors="coerce").to_numpy(dtype=float)
    assessed = pd.to_numeric(domains["n_assessed"], errors="coerce").fillna(0).to_numpy(dtype=float)
    keep = (block >= 0) & (domain >= 0) & ~np.isnan(index) & (assessed > 0)
    cell = block[keep] * d + domain[keep]
    total = np.bincount(cell, weights=index[keep] * assessed[keep], minlength=blocks.n * d).reshape(blocks.n, d)
    count = np.bincount(cell, weights=assessed[keep], minlength=blocks.n * d).reshape(blocks.n, d)
    return total, count


def _change(latest: np.ndarray, previous: np.ndarray) -> pd.arrays.IntegerArray:
    both = (latest != NO_LEVEL) & (previous != NO_LEVEL)
    return pd.array(np.where(both, latest.astype(np.int64) - previous, pd.NA), dtype="Int64")


def round_tables(assessments: pd.DataFrame, sections: pd.DataFrame, domains: pd.DataFrame, fw: Framework,
                 rule: str) -> dict[str, pd.DataFrame]:
    """The ``rounds``, ``countries`` and ``country_domains`` tables (see the module's docstring) of the counted
    assessments (``assessments``: root_uuid, country, round, assessment_date, left_out) from the sections table
    (root_uuid, section_id, level) and the domains table (root_uuid, domain_id, index, n_assessed)."""
    blocks = _Blocks(assessments)
    n, m, d = blocks.n, len(fw.sections), len(fw.domains)
    counts, section_level = _section_levels(blocks, sections, fw)
    previous_section = blocks.before(section_level, NO_LEVEL)
    rounds = blocks.frame

    with_level = counts[:, :, 1:].sum(axis=2)
    meeting = counts[:, :, fw.minimum:].sum(axis=2)
    countries = pd.DataFrame({
        "country": np.repeat(rounds["country"].to_numpy(dtype=object), m),
        "round": np.repeat(rounds["round"].to_numpy(dtype=object), m),
        "section_id": np.tile(np.array([s.id for s in fw.sections], dtype=object), n),
        "n_assessments": counts.sum(axis=2).ravel().astype(np.int64),
        **{f"n_{level.name}": counts[:, :, level.code].ravel().astype(np.int64) for level in fw.levels},
        "share_meets_minimum": _ratio(meeting.ravel().astype(float), with_level.ravel()),
        "median_level": _levels(section_level.ravel()),
        "latest_assessment_date": np.repeat(rounds["latest_date"].to_numpy(), m),
        "previous_level": _levels(previous_section.ravel()),
        "level_change": _change(section_level.ravel(), previous_section.ravel()),
    })

    position = {s.id: i for i, s in enumerate(fw.sections)}
    groups = [[position[sid] for sid in domain.section_ids] for domain in fw.domains]
    domain_level = combine_levels(section_level, groups, rule) if n else np.zeros((0, d), dtype=np.int8)
    previous_domain = blocks.before(domain_level, NO_LEVEL)
    total, assessed = _domain_indexes(blocks, domains, fw)
    index = np.divide(total, assessed, out=np.full(total.shape, np.nan), where=assessed > 0)
    previous_index = blocks.before(index, np.nan)
    country_domains = pd.DataFrame({
        "country": np.repeat(rounds["country"].to_numpy(dtype=object), d),
        "round": np.repeat(rounds["round"].to_numpy(dtype=object), d),
        "domain_id": np.tile(np.array([x.id for x in fw.domains], dtype=object), n),
        "level": _levels(domain_level.ravel()),
        "index": index.ravel(),
        "n_assessed": assessed.ravel().astype(np.int64),
        "previous_level": _levels(previous_domain.ravel()),
        "previous_index": previous_index.ravel(),
        "level_change": _change(domain_level.ravel(), previous_domain.ravel()),
        "index_change": index.ravel() - previous_index.ravel(),
    })

    per_level = np.stack([(section_level == code).sum(axis=1) for code in range(len(fw.levels) + 1)], axis=1) \
        if n else np.zeros((0, len(fw.levels) + 1), dtype=np.int64)
    rated = per_level[:, 1:].sum(axis=1)
    n_meeting = per_level[:, fw.minimum:].sum(axis=1)
    round_index = _ratio(total.sum(axis=1), assessed.sum(axis=1))
    has_previous = blocks.previous >= 0
    both = (section_level != NO_LEVEL) & (previous_section != NO_LEVEL) & has_previous[:, None]
    rounds = rounds.assign(**{
        **{f"n_{level.name}": per_level[:, level.code] for level in fw.levels},
        "n_not_assessed": per_level[:, NO_LEVEL],
        "n_meeting_minimum": n_meeting,
        "share_meets_minimum": _ratio(n_meeting.astype(float), rated),
        "index": round_index,
        "previous_n_meeting_minimum": pd.array(np.where(has_previous, blocks.before(n_meeting, 0), pd.NA), dtype="Int64"),
        "previous_index": blocks.before(round_index, np.nan),
        "n_improved": pd.array(np.where(has_previous, (both & (section_level > previous_section)).sum(axis=1), pd.NA), dtype="Int64"),
        "n_fell": pd.array(np.where(has_previous, (both & (section_level < previous_section)).sum(axis=1), pd.NA), dtype="Int64"),
        "n_unchanged": pd.array(np.where(has_previous, (both & (section_level == previous_section)).sum(axis=1), pd.NA), dtype="Int64"),
    })
    rounds["index_change"] = rounds["index"] - rounds["previous_index"]
    return {"rounds": rounds.loc[:, list(round_columns(fw))], "countries": countries.loc[:, list(country_columns(fw))],
            "country_domains": country_domains.loc[:, list(COUNTRY_DOMAIN_COLUMNS)]}


def agency_levels(assessments: pd.DataFrame, sections: pd.DataFrame, fw: Framework, country: str, round_: str) -> pd.DataFrame:
    """The agency × section levels of one round: per counted assessment of ``country``'s round ``round_`` (by agency,
    then date), root_uuid, agency, assessment_date and each section's level by id (Int64; missing: not assessed)."""
    reason = labels(assessments["left_out"]) if "left_out" in assessments else ""
    mine = assessments[(labels(assessments["country"]) == country) & (labels(assessments["round"]) == round_)
                       & (reason == "")]
    mine = mine.assign(root_uuid=mine["root_uuid"].astype(str), agency=labels(mine["agency"]))
    rows = sections[sections["root_uuid"].astype(str).isin(set(mine["root_uuid"]))]
    levels = pd.DataFrame({"root_uuid": rows["root_uuid"].astype(str).to_numpy(), "section_id": rows["section_id"].astype(str).to_numpy(),
                           "level": pd.array(pd.to_numeric(rows["level"], errors="coerce"), dtype="Int64")})
    wide = levels.pivot(index="root_uuid", columns="section_id", values="level").reindex(columns=[s.id for s in fw.sections])
    out = mine[["root_uuid", "agency", "assessment_date"]].join(wide, on="root_uuid")
    for s in fw.sections:
        out[s.id] = pd.array(out[s.id], dtype="Int64")
    return out.sort_values(["agency", "assessment_date", "root_uuid"], kind="stable").reset_index(drop=True)


def regional_levels(table: pd.DataFrame, rounds: pd.DataFrame, level: str, key: str, ids: list[str],
                    n_levels: int) -> pd.Series:
    """Per id (``key``: section_id or domain_id), the lower median of the levels (column ``level``) of every
    country's latest round (``rounds``) in ``table`` (countries or country_domains)."""
    latest = rounds.loc[rounds["from_latest"] == 0, ["country", "round"]]
    table = table.merge(latest, on=["country", "round"])
    counts = np.zeros((len(ids), n_levels), dtype=np.int64)
    where = {i: n for n, i in enumerate(ids)}
    for ident, value in zip(table[key], table[level]):
        if ident in where and not pd.isna(value):
            counts[where[ident], int(value) - 1] += 1
    medians = lower_median_of_counts(counts)
    return pd.Series(pd.array(np.where(medians == NO_LEVEL, pd.NA, medians), dtype="Int64"), index=ids)
