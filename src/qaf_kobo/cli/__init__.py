"""The ``qaf-kobo`` command: a thin layer over the library (each command parses options and calls one function)."""

from __future__ import annotations

import logging
import sys
import warnings

import click

from qaf_kobo import __version__
from qaf_kobo.errors import QafError


class _Main(click.Group):
    """Turns QafError into one line on stderr and exit code 2 (a traceback only with -v)."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except QafError as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                logging.getLogger("qaf_kobo").exception("details")
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show detail (debug log, tracebacks of errors).")
@click.version_option(__version__, prog_name="qaf-kobo")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Run the Case Management Quality Assessment Framework (QAF) on KoboToolbox / ODK.

    Build the form, deploy it, sync submissions to a local store, score them and write Excel reports.
    """
    ctx.ensure_object(dict)["verbose"] = verbose
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # urllib3 logs each retry as a WARNING; without -v a failed command prints only its one `error:` line
    logging.getLogger("urllib3").setLevel(logging.NOTSET if verbose else logging.ERROR)
    if not verbose:  # openpyxl warns about what it reads in a workbook (a date out of range …); the reader says it
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")


def note(text: str) -> None:
    """A line on stderr about something a command is doing (such as waiting because the server asked it to)."""
    click.echo(f"note: {text}", err=True)


from qaf_kobo.cli import (  # noqa: E402,F401  # noqa: E402,F401  (after form_cmd: deploy joins `form`)
    actions_cmd,  # noqa: E402,F401
    demo_cmd,  # noqa: E402,F401
    deploy_cmd,
    form_cmd,
    framework_cmd,  # noqa: E402,F401  (commands register themselves on `main`)
    report_cmd,  # noqa: E402,F401
    score_cmd,  # noqa: E402,F401
    sync_cmd,
    translations_cmd,
)
