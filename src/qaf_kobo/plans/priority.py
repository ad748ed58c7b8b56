"""THE priority rule of the country action plans (1 = do first), in one function.

Within a country: actions for a lower current level first (for the QAF: Critical to address before Requires
improvement before Meets minimum levels); within a level, actions needed by more agencies first; then the
framework's own order (section, criterion, action). The README and the About sheet state the same rule.
"""

from __future__ import annotations

import pandas as pd

PRIORITY_COLUMNS = ("country", "current_level", "n_agencies", "criterion_order", "action_k")
"""What the rule reads of each action: its country, current level, how many agencies need it, the criterion's
position in the framework and the action's number within its step."""


def priorities(actions: pd.DataFrame) -> pd.Series:
    """The priority of every action within its country: 1, 2, … in the rule's order (aligned to ``actions``)."""
    if actions.empty:
        return pd.Series([], index=actions.index, dtype="int64")
    ordered = actions.loc[:, list(PRIORITY_COLUMNS)].sort_values(
        list(PRIORITY_COLUMNS), ascending=[True, True, False, True, True], kind="stable")
    ranks = ordered.groupby("country", sort=False, observed=True).cumcount() + 1
    return ranks.reindex(actions.index).astype("int64")
