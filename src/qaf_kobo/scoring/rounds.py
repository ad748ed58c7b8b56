"""Round assignment: which assessments form a country's round, which are left out of its figures and why.

A round is a country's assessments that name the same round (free text; none named is the round ""). An assessment
is counted in its round's figures unless it is left out, for one reason (LEFT_OUT, first that applies):

- ``no_country``: it names no country (no round to count it in);
- ``not_approved``: its validation status is "not approved";
- ``date_out_of_range``: its assessment date is not a date, is in the future or before the quality check's
  earliest date (the Data quality check of the same name);
- ``duplicate_assessment``: another submission has the same country, agency, scope and date (the Data quality
  check of the same name); of those, the one submitted last is counted.

The scores' ``assessments`` table carries the reason in its ``left_out`` column ("" when counted) and Data quality
lists every assessment left out (check ``left_out_of_round``). Rounds are ordered in time by their latest counted
assessment date (a round without dates first, ties by name); the last is the country's latest round.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qaf_kobo.scoring.quality import DUPLICATE_KEYS, EARLIEST_DATE

NOT_APPROVED = "validation_status_not_approved"
LEFT_OUT: tuple[str, ...] = ("no_country", "not_approved", "date_out_of_range", "duplicate_assessment")


def labels(values: pd.Series) -> pd.Series:
    """Codes or round names as stripped text; missing as "" (categories are stripped once each)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        text = np.append(values.cat.categories.astype(str).str.strip().to_numpy(dtype=object), "")
        return pd.Series(text[values.array.codes], index=values.index, dtype=object)
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def left_out(submissions: pd.DataFrame, today: pd.Timestamp) -> np.ndarray:
    """Per submission (tidy submissions table), the LEFT_OUT reason it is left out of its round's figures, or ""."""
    reason = np.full(len(submissions), "", dtype=object)
    duplicate = np.zeros(len(submissions), dtype=bool)
    complete = submissions[list(DUPLICATE_KEYS)].notna().all(axis=1).to_numpy()
    if complete.any():
        keyed = submissions.loc[complete, [*DUPLICATE_KEYS, "submission_time", "root_uuid"]]
        ids = keyed["root_uuid"]  # categories are the ids sorted: their codes sort as the ids do
        keyed = keyed.assign(root_uuid=ids.array.codes if isinstance(ids.dtype, pd.CategoricalDtype) else ids.astype(str))
        keyed = keyed.sort_values(["submission_time", "root_uuid"], na_position="first", kind="stable")
        earlier = keyed.duplicated(list(DUPLICATE_KEYS), keep="last")
        duplicate[keyed.index[earlier.to_numpy()]] = True
    date, text = submissions["assessment_date"], submissions["assessment_date_text"]
    bad_date = ((text.notna() & date.isna()) | (date > today.normalize()) | (date < EARLIEST_DATE)).to_numpy()
    status = submissions["validation_status"].astype(object).to_numpy()
    for name, where in (("duplicate_assessment", duplicate), ("date_out_of_range", bad_date),
                        ("not_approved", status == NOT_APPROVED), ("no_country", submissions["country"].isna().to_numpy())):
        reason[where] = name  # in reverse LEFT_OUT order: the first reason that applies is written last
    return reason


def assessment_keys(assessments: pd.DataFrame) -> pd.DataFrame:
    """Country and round (as text, "" when missing) by root_uuid."""
    details = assessments.drop_duplicates("root_uuid")
    return pd.DataFrame({
        "country": labels(details["country"]).to_numpy(),
        "round": (labels(details["round"]) if "round" in details else pd.Series("", index=details.index)).to_numpy(),
    }, index=pd.Index(details["root_uuid"].astype(object).to_numpy(), name="root_uuid"))


def round_of(rounds: pd.DataFrame, from_latest: int) -> pd.DataFrame:
    """Per country, its latest round (``from_latest=0``) or the one before (1): country, round, n_assessments,
    latest_date (from the scores' ``rounds`` table)."""
    chosen = rounds[rounds["from_latest"] == from_latest]
    return chosen.loc[:, ["country", "round", "n_assessments", "latest_date"]].reset_index(drop=True)
