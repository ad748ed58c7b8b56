"""Scoring: stored submissions → tidy tables of criteria, sections, domains and countries, plus data-quality findings.

``score(store_path, ...)`` reads a store and (optionally) writes CSV + Parquet; ``score_submissions(raw, fw, ...)``
is the pure part. Both return ``Scores``.

The pipeline (and pandas with it) is imported when one of its names is first used, so that a module of this
package that needs no pandas, such as ``rules``, loads without it (the command line starts faster).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qaf_kobo.scoring.pipeline import TABLES, Scores, score, score_submissions, write_scores

__all__ = ["TABLES", "Scores", "score", "score_submissions", "write_scores"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from qaf_kobo.scoring import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
