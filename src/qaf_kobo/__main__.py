"""``python -m qaf_kobo`` runs the CLI."""

from qaf_kobo.cli import run

run()
