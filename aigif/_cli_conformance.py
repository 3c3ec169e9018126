"""``aigif conformance run``: test any AIGIF reader against the conformance suite.

The logic lives in ``aigif/_conformance.py``, imported only when the command runs: ``aigif info``,
the reference reader the suite runs hundreds of times, must not pay for it. Nothing heavy (no torch).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ._errors import FileError
from ._cli_output import refuse_existing, write_output

conformance_app = typer.Typer(
    name="conformance",
    help="Test an AIGIF reader against the conformance suite.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_plain = None  # set by register(): makes text from readers and files safe to print
DEFAULT_TIMEOUT, MAX_JOBS = 10.0, 64  # = _conformance.DEFAULT_TIMEOUT, MAX_JOBS (a test checks)


def register(app: typer.Typer, plain) -> None:
    """Add ``aigif conformance ...`` to the ``aigif`` app (``plain`` makes untrusted text safe to print)."""
    global _plain
    _plain = plain
    app.add_typer(conformance_app, name="conformance")


READER_HELP = ("The reader command; {file} stands for the absolute path of one suite file (appended as the last "
               "argument if absent). Split like a shell would, but run without one. It must print the canonical "
               "JSON and exit 0 to accept, or exit 1 (naming the error code) to reject.")


@conformance_app.command()
def run(
    reader: str = typer.Option(..., "--reader", metavar="\"CMD {file}\"", help=READER_HELP),
    suite: Optional[Path] = typer.Option(None, "--suite", metavar="DIR",
                                         help="The suite directory (default: conformance/suite of this repository)."),
    timeout: float = typer.Option(DEFAULT_TIMEOUT, "--timeout", metavar="S", min=0.001, max=86400,
                                  help="Seconds per file before the reader is killed."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", metavar="N", min=1, max=MAX_JOBS,
                                       help="Readers run at once (default: the number of CPUs, at most 16)."),
    json_out: Optional[str] = typer.Option(None, "--json", metavar="OUT",
                                           help="Write the results as JSON to OUT ('-': standard output, "
                                                "and the tables go to standard error)."),
    force: bool = typer.Option(False, "--force", help="Overwrite the --json file if it exists."),
    require_codes: bool = typer.Option(False, "--require-codes",
                                       help="A rejection must name an error code (else only a wrong code fails)."),
    only: List[str] = typer.Option([], "--only", metavar="PATTERN",
                                   help="Run only cases whose name matches this glob, e.g. 'n_*' (repeatable)."),
) -> None:
    """Run a reader over every suite file and compare its answers with the expected ones.

    Exit status: 0 when every case passes, 3 when some case fails, 1 for a missing, malformed or
    altered suite (or an output file that exists), 2 for a reader command that cannot run at all.
    """
    from . import _conformance

    plain = _plain or (lambda text: text)
    to_stdout = json_out == "-"
    console = Console(stderr=to_stdout, highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        _conformance.parse_reader(reader)
        if json_out not in (None, "-"):  # refuse now rather than after the whole run
            refuse_existing(json_out, force)
            if not (Path(json_out).parent if str(Path(json_out).parent) else Path(".")).is_dir():
                raise FileError(f"cannot write {json_out}: its directory does not exist", code="io-error")
        loaded = _conformance.load_suite(suite if suite is not None else _conformance.default_suite())
        cases = _conformance.select_cases(loaded, only)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TextColumn("{task.fields[failed]} failed"), console=errors, transient=True) as progress:
            task = progress.add_task("conformance", total=len(cases), failed=0)
            failed = 0

            def advance(result: _conformance.CaseResult) -> None:
                nonlocal failed
                failed += not result.passed
                progress.update(task, advance=1, failed=failed)

            report = _conformance.run_suite(loaded, reader, timeout=timeout, jobs=jobs, require_codes=require_codes,
                                            only=only, progress=advance)
    except _conformance.RunnerUsageError as error:
        errors.print(f"aigif: usage error: {error.message} [{error.code}] (see 'aigif conformance run --help')",
                     markup=False)
        raise typer.Exit(2)
    _print_report(console, plain, report)
    if json_out is not None:
        text = json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
        if to_stdout:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            write_output(json_out, text.encode("utf-8"), force)
    if report.failures:
        raise typer.Exit(3)


def _print_report(console: Console, plain, report) -> None:
    from ._conformance import KINDS

    totals = report.totals()
    if report.failures:
        failures = Table(title="failures", title_justify="left", header_style="bold")
        for column, options in (("case", {"no_wrap": True}), ("expected", {}), ("got", {}),
                                ("reason", {"overflow": "fold"})):
            failures.add_column(column, **options)
        for result in report.failures:
            failures.add_row(plain(result.name), plain(result.expected), plain(result.got), plain(result.reason))
        console.print(failures)
    summary = Table(title=plain(f"reader: {report.reader}"), title_justify="left", header_style="bold")
    for column in ("family", "cases", "passed", "failed"):
        summary.add_column(column, justify="left" if column == "family" else "right")
    labels = {"y": "y_ (valid: accept)", "n": "n_ (invalid: reject)", "i": "i_ (implementation-defined)"}
    for kind in KINDS:
        counts = totals[kind]
        if counts["total"]:
            summary.add_row(labels[kind], str(counts["total"]), str(counts["passed"]),
                            str(counts["failed"]), style="red" if counts["failed"] else None)
    summary.add_row("all", str(totals["total"]), str(totals["passed"]), str(totals["failed"]), style="bold")
    console.print(summary)
    share = 100 * totals["passed"] / totals["total"]
    verdict = "PASS" if not report.failures else "FAIL"
    console.print(plain(f"{verdict}: {totals['passed']} of {totals['total']} cases passed ({share:.1f} %) "
                        f"in {report.seconds:.1f} s; suite {report.suite.path}"))
