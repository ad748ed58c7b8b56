"""The ``qaf-kobo`` command: a thin layer over the library (each command parses options and calls one function).

Ctrl-C never shows a traceback: while the command starts, nothing has been done yet; later, the message says what
was kept (the store is written in transactions, output files whole or not at all) and the exit code is 130.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

INTERRUPTED = 130
"""The exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells use it."""


def _interrupted_while_starting(signum: int, frame: object) -> None:
    sys.stderr.write("interrupted: nothing was done\n")
    sys.exit(INTERRUPTED)


_STARTING = signal.getsignal(signal.SIGINT) is signal.default_int_handler and \
    threading.current_thread() is threading.main_thread()
"""Whether Ctrl-C exits quietly while the commands are imported (under half a second: each imports the library it
uses only when it runs); afterwards it is Python's own KeyboardInterrupt again, which ``_Main`` turns into a line."""
if _STARTING:
    signal.signal(signal.SIGINT, _interrupted_while_starting)

import logging  # noqa: E402
import warnings  # noqa: E402

import click  # noqa: E402

from qaf_kobo import __version__  # noqa: E402
from qaf_kobo.errors import QafError  # noqa: E402

KEPT = {
    "sync": "the pages synced before it are in the store (each written whole); the next sync carries on from there",
    "import": "each file is imported whole or not at all: what the store holds is consistent; run it again",
    "actions": "the plans are read back whole or not at all: the store holds what it held before, or all of it",
    "run": "the sources synced before it are in the store (each page whole), no report was written; run it again",
}
"""What an interrupted command kept, by command; the others write nothing until their output is complete."""


def interrupted_message(command: str | None) -> str:
    """The line for a command stopped by Ctrl-C: what was kept."""
    kept = KEPT.get(command or "", "no output file was left half-written (each is written whole or not at all), and "
                                   "the store is unchanged")
    return f"interrupted: {kept}"


class _Main(click.Group):
    """Turns QafError into one line on stderr and exit code 2 (a traceback only with -v), and Ctrl-C into a line
    saying what was kept and exit code 130."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QafError as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                logging.getLogger("qaf_kobo").exception("details")
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except (KeyboardInterrupt, click.Abort):
            click.echo(interrupted_message(ctx.invoked_subcommand), err=True)
            sys.exit(INTERRUPTED)
        finally:
            _answers_written()


def _answers_written() -> None:
    """Wait for the answers scoring keeps beside a store, written in the background (``scoring.answer_cache``), so
    that a command returns with every file written, also when it is called from Python."""
    kept = sys.modules.get("qaf_kobo.scoring.answer_cache")
    if kept is not None:
        kept.all_written()


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


def run() -> None:
    """The program's entry point (``qaf-kobo``, ``python -m qaf_kobo``): the command, then an exit Ctrl-C cannot break.

    Once the command has returned, its work is done; Python's own teardown follows, during which it restores the
    default Ctrl-C action, and a Ctrl-C there would kill the process by signal. So Ctrl-C is ignored from then on."""
    try:
        main()
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:  # between the command's last line and this one
        code = INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)


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

if _STARTING:
    signal.signal(signal.SIGINT, signal.default_int_handler)
