"""``qaf-kobo report`` as a library call: score the store, then write the workbooks."""

from __future__ import annotations

from pathlib import Path

from qaf_kobo.framework import Framework, default_framework
from qaf_kobo.framework.catalogue import ENGLISH
from qaf_kobo.report.wording import wording
from qaf_kobo.report.workbook import write_reports
from qaf_kobo.scoring import score

DEFAULT_STORE = Path("data/qaf.sqlite")
DEFAULT_OUT = Path("reports")


def build_reports(
    store_path: str | Path = DEFAULT_STORE,
    out_dir: str | Path = DEFAULT_OUT,
    countries: list[str] | None = None,
    lang: str = ENGLISH,
    rule: str = "min",
    only_approved: bool = False,
    fw: Framework | None = None,
) -> list[Path]:
    """Score the submissions of ``store_path`` and write the regional and per-country workbooks into ``out_dir``.

    An unknown language or rule, or a country the store has no assessment of, raises QafError (naming the
    languages, rules or countries there are).
    """
    fw = fw or default_framework()
    wording(fw, lang)  # an unknown language fails before any work
    scores = score(store_path, rule=rule, only_approved=only_approved, countries=countries, fw=fw)
    wanted = {c.strip().upper() for c in countries or ()}
    if wanted - set(scores.assessments["country"].dropna().astype(str)):
        # a country the store does not hold: score it all, so that the error names the countries it does hold
        scores = score(store_path, rule=rule, only_approved=only_approved, fw=fw)
    return write_reports(scores, fw, out_dir, countries=countries, lang=lang)
