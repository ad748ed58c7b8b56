"""A country plan's progress on the report date, over every tracked action — the open ones (Country action plan)
and the ones the latest round no longer needs (Closed actions): actions per stage, completed and cancelled since
the previous round, overdue (confirmed date passed, neither completed nor cancelled), unassigned (no
Responsible), and overdue per responsible."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from qaf_kobo.plans.stages import CLOSED_STAGES, STAGES

PROGRESS = (*STAGES, "closed_since", "overdue", "unassigned", "no_longer_needed")
"""The counts of the progress: each stage (the needed actions, and every completed or cancelled one, needed or not),
completed or cancelled since the previous round, overdue and unassigned open actions, and the actions no longer
needed (the Closed actions sheet's rows)."""


@dataclass(frozen=True)
class PlanProgress:
    """The counts (keys of PROGRESS, and ``open``: needed actions neither completed nor cancelled) and the overdue actions per responsible (section / agency and person as
    written; "" for nobody), most first."""

    counts: dict[str, int]
    overdue_by_responsible: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> int:
        return self.counts[key]


def responsible_of(plan: pd.DataFrame) -> pd.Series:
    """Who is responsible for each action, in one text: "section / agency — person", either alone, or ""."""
    parts = [plan[c].astype(object).map(lambda v: v.strip() if isinstance(v, str) else "")
             for c in ("responsible_section", "responsible_person")]
    return pd.Series([" — ".join(p for p in pair if p) for pair in zip(*parts)], index=plan.index, dtype=object)


def plan_progress(plan: pd.DataFrame, since: pd.Timestamp | None = None) -> PlanProgress:
    """The progress of one country's plan (``plans.country_plan`` rows); ``since``: the previous round's latest
    assessment date (None: no previous round, every closed action counts)."""
    needed = plan["needed"].astype(bool)
    counted = needed | plan["stage"].isin(CLOSED_STAGES)  # open actions only while needed: no longer needed, they are closed
    counts = {stage: int(((plan["stage"] == stage) & counted).sum()) for stage in STAGES}
    closed = plan["stage"].isin(CLOSED_STAGES)
    if since is not None and pd.notna(since):
        changed = pd.to_datetime(plan["stage_changed_at"], errors="coerce")
        closed &= changed.isna() | (changed >= pd.Timestamp(since))
    counts["closed_since"] = int(closed.sum())
    overdue = plan["overdue"].astype(bool) & needed
    counts["overdue"] = int(overdue.sum())
    who = responsible_of(plan)
    counts["unassigned"] = int((needed & (who == "") & ~plan["stage"].isin(CLOSED_STAGES)).sum())
    counts["no_longer_needed"] = int((~needed).sum())
    counts["open"] = int((needed & ~plan["stage"].isin(CLOSED_STAGES)).sum())
    per = who[overdue].value_counts()
    ranked = sorted(per.items(), key=lambda item: (-item[1], item[0]))
    return PlanProgress(counts, {name: int(n) for name, n in ranked})
