"""Scoring: stored submissions → tidy tables of criteria, sections, domains and countries, plus data-quality findings.

``score(store_path, ...)`` reads a store and (optionally) writes CSV + Parquet; ``score_submissions(raw, fw, ...)``
is the pure part. Both return ``Scores``.
"""

from qaf_kobo.scoring.pipeline import TABLES, Scores, score, score_submissions, write_scores

__all__ = ["TABLES", "Scores", "score", "score_submissions", "write_scores"]
