"""How long each action has: the suggested expected completion date is the day the action first appeared in a
generated plan plus a horizon in months per current level (``report --horizon LEVEL=MONTHS``, ``[report.horizons]`` in a pipeline config).

The default for level k (1 = lowest) is 3 × 2^(k−1) months, at most 12: for the QAF 3 months for Critical to
address, 6 for Requires improvement and 12 for Meets minimum levels; for any framework, the same rule over its levels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from qaf_kobo.errors import QafError
from qaf_kobo.framework import Framework

FIRST_HORIZON = 3
LONGEST_HORIZON = 12
MOST_MONTHS = 120


def default_horizons(fw: Framework) -> dict[int, int]:
    """Months per level code, for every level but the top one (which has no actions)."""
    return {level.code: min(FIRST_HORIZON * 2 ** (level.code - 1), LONGEST_HORIZON) for level in fw.levels[:-1]}


def _level_code(name: str, fw: Framework) -> int:
    """The code of a level given by its code, its name (``critical``) or its English label, in any case."""
    wanted = name.strip().casefold()
    for level in fw.levels:
        if wanted in (str(level.code), level.name.casefold(), level.label.casefold()):
            return level.code
    known = ", ".join(f"{level.code} ({level.name})" for level in fw.levels[:-1])
    raise QafError(f"unknown level {name.strip()!r} for a horizon (levels with actions: {known})")


def horizons(fw: Framework, overrides: Mapping[str, int] | Iterable[str] = ()) -> dict[int, int]:
    """The default horizons with ``overrides`` applied: ``{"critical": 2}`` or ``["critical=2", "1=2"]`` (a level's
    name, English label or code, then whole months from 1 to 120). A bad entry raises QafError naming it."""
    months = default_horizons(fw)
    pairs = overrides.items() if isinstance(overrides, Mapping) else (_split(spec) for spec in overrides)
    for name, value in pairs:
        code = _level_code(str(name), fw)
        if code == fw.levels[-1].code:
            raise QafError(f"no horizon for {fw.levels[-1].label}: the top level has no actions")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise QafError(f"horizon {name}={value}: months must be a whole number") from None
        if not 1 <= number <= MOST_MONTHS:
            raise QafError(f"horizon {name}={value}: months must be between 1 and {MOST_MONTHS}")
        months[code] = number
    return months


def _split(spec: str) -> tuple[str, str]:
    name, sep, value = str(spec).partition("=")
    if not sep or not name.strip() or not value.strip():
        raise QafError(f"horizon {spec!r}: expected LEVEL=MONTHS, e.g. critical=3 or 1=3")
    return name, value


def due_dates(dates: pd.Series, levels: pd.Series, months: Mapping[int, int]) -> pd.Series:
    """``dates`` plus the horizon of each row's level (NaT where the date or the level's horizon is missing)."""
    dates = pd.to_datetime(dates, errors="coerce")
    out = pd.Series(pd.NaT, index=dates.index, dtype="datetime64[us]")
    for code, number in months.items():
        rows = (levels == code).to_numpy() & dates.notna().to_numpy()
        if rows.any():
            shifted = dates[rows] + pd.DateOffset(months=number)
            out[rows] = shifted.astype("datetime64[us]")
    return out
