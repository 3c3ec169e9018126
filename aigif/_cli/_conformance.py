"""``aigif conformance run`` and ``aigif conformance recreate``.

``run`` tests any AIGIF reader against the conformance suite; its logic is the runner package
``aigif._conformance``, imported only when the command runs: ``aigif info``, the reference reader
the suite runs hundreds of times, must not pay for it. Nothing heavy (no torch).

``recreate`` recreates the reference files of the recreation suite here and compares them with
their PNGs (``aigif._recreate._fidelity`` does the work; torch is imported only when it runs).
Exit status: 0 when every file recreates identically, 3 when some differ, 1 on errors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from . import _progress
from ._app import BadUsage, conformance_app
from ._output import check_output, write_output
from ._recreate import DTYPES
from ._text import error_line, plain, shown

DEFAULT_TIMEOUT, MAX_JOBS = 10.0, 64  # = aigif._conformance.DEFAULT_TIMEOUT, MAX_JOBS (a test checks)

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
    from .. import _conformance as runner

    to_stdout = json_out == "-"
    console = Console(stderr=to_stdout, highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        runner.parse_reader(reader)
        if json_out not in (None, "-"):  # refuse now rather than after the whole run
            check_output(json_out, force)
        loaded = runner.load_suite(suite if suite is not None else runner.default_suite())
        cases = runner.select_cases(loaded, only)
        with _progress.files("conformance", len(cases), console=errors, failures=True) as bar:
            failed = 0

            def advance(result: runner.CaseResult) -> None:
                nonlocal failed
                failed += not result.passed
                bar.advance(failed=failed)

            report = runner.run_suite(loaded, reader, timeout=timeout, jobs=jobs, require_codes=require_codes,
                                      only=only, progress=advance)
    except runner.RunnerUsageError as error:
        raise BadUsage(error.message, code=error.code) from None
    _print_run(console, report)
    if json_out is not None:
        text = json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
        if to_stdout:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            write_output(json_out, text.encode("utf-8"), force)
    if report.failures:
        raise typer.Exit(3)


@conformance_app.command("recreate")
def recreate(
    suite: Optional[Path] = typer.Option(None, "--suite", metavar="DIR",
                                         help="The recreation suite, a folder with manifest.json (default: "
                                              "conformance/recreate of this repository)."),
    threads: Optional[int] = typer.Option(None, "--threads", metavar="N", min=1, max=1024,
                                          help="Recreate with N CPU threads instead of the recorded count."),
    dtype: Optional[str] = typer.Option(None, "--dtype", metavar="|".join(DTYPES),
                                        help="Recreate in this data type instead of the recorded one."),
    device: str = typer.Option("cpu", "--device", metavar="DEVICE", help="cpu, cuda, cuda:N or mps."),
    json_out: Optional[str] = typer.Option(None, "--json", metavar="OUT",
                                           help="Write the results as JSON to OUT ('-': standard output)."),
    out_dir: Optional[Path] = typer.Option(None, "--out-dir", metavar="DIR",
                                           help="Also write each recreated image as DIR/NAME.png (DIR is created "
                                                "if missing)."),
    force: bool = typer.Option(False, "--force", help="Overwrite the JSON file and images."),
) -> None:
    """Recreate the reference files on this machine and compare with the reference platform's images.

    Prints, for each file, identical or the exact PSNR, the MS-SSIM and the largest difference.
    Exit status 0 when all are identical, 3 when some differ, 1 on errors.
    """
    # Cheap checks first: none of them needs torch.
    if dtype is not None and dtype not in DTYPES:
        raise BadUsage(f"--dtype {dtype!r}: choose one of {', '.join(DTYPES)}")
    if json_out not in (None, "-"):
        check_output(json_out, force)
    fidelity = _fidelity()
    loaded = fidelity.load_suite(suite if suite is not None else fidelity.default_suite())
    if out_dir is not None:  # every image, before any model loads
        for case in loaded.cases:
            check_output(out_dir / f"{case.name}.png", force, create_folder=True)
    fidelity.check_options(device=device, threads=threads, dtype=dtype)
    console = Console(highlight=False, soft_wrap=True, stderr=json_out == "-")
    if not console.is_terminal:  # a log or a pipe: the table's natural width, not 80 columns
        console.width = max(console.width, 120)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    with _progress.files("loading the model", len(loaded.cases), console=errors) as bar:

        def advance(case, row):
            if row is None:
                bar.update(description=f"recreating {case.name}")
            else:
                bar.advance()
                if row.get("error"):
                    errors.print(error_line(_RowError(row), case.file))

        report = fidelity.run_suite(loaded, device=device, threads=threads, dtype=dtype, out_dir=out_dir,
                                    overwrite=force, progress=advance)
    _print_recreate(console, report)
    document = json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
    if json_out == "-":
        sys.stdout.write(document)
    elif json_out is not None:
        write_output(json_out, document.encode("utf-8"), force)
        console.print(plain(f"wrote {json_out}"))
    if report.exit_status:
        raise typer.Exit(report.exit_status)


class _RowError:
    """A failed row of the recreation report, shown as an error line."""

    def __init__(self, row: dict):
        self.message, self.code, self.path = row["message"], row["error"], None


def _fidelity():
    import aigif

    aigif._recreation()  # a missing 'recreate' extra is one line with its code
    from .._recreate import _fidelity

    return _fidelity


# ---------------------------------------------------------------------------------------------
# What the commands print


def _print_run(console: Console, report) -> None:
    totals = report.totals()
    if report.failures:
        failures = Table(title="failures", title_justify="left", header_style="bold")
        for column, options in (("case", {"no_wrap": True}), ("expected", {}), ("got", {}),
                                ("reason", {"overflow": "fold"})):
            failures.add_column(column, **options)
        for result in report.failures:
            failures.add_row(plain(result.name), plain(result.expected), plain(result.got), plain(result.reason))
        console.print(failures)
    console.print(summary_table(report.reader, totals))
    share = 100 * totals["passed"] / totals["total"]
    verdict = "PASS" if not report.failures else "FAIL"
    console.print(plain(f"{verdict}: {totals['passed']} of {totals['total']} cases passed ({share:.1f} %) "
                        f"in {report.seconds:.1f} s; suite {report.suite.path}"))


def summary_table(reader: str, totals: dict) -> Table:
    """The per-family table of a run (``totals`` as ``Report.totals()``); docs/conformance.md shows it
    as tools/gen_conformance.py renders it for the reference reader."""
    from .._conformance import KINDS

    summary = Table(title=plain(f"reader: {reader}"), title_justify="left", header_style="bold")
    for column in ("family", "cases", "passed", "failed"):
        summary.add_column(column, justify="left" if column == "family" else "right")
    labels = {"y": "y_ (valid: accept)", "n": "n_ (invalid: reject)", "i": "i_ (implementation-defined)"}
    for kind in KINDS:
        counts = totals[kind]
        if counts["total"]:
            summary.add_row(labels[kind], str(counts["total"]), str(counts["passed"]),
                            str(counts["failed"]), style="red" if counts["failed"] else None)
    summary.add_row("all", str(totals["total"]), str(totals["passed"]), str(totals["failed"]), style="bold")
    return summary


def _threads(count) -> str:
    return f"{count} thread{'' if count == 1 else 's'}"


def _print_recreate(console: Console, report) -> None:
    from .._recreate._fidelity import describe, format_ms_ssim

    platform = report.platform or {}
    overrides = report.overrides
    where = (f"torch {platform.get('torch', report.environment.get('torch'))}, {overrides['device']}"
             + (f" {platform['cpu_capability']}" if platform.get("cpu_capability") else "")
             + (f", {_threads(platform['threads'])}" if platform.get("threads") else ""))
    if overrides["dtype"]:
        where += f", {overrides['dtype']}"
    table = Table(title=plain(f"recreation conformance: {shown(report.suite.directory)} on this platform ({where})"),
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column, justify in (("file", "left"), ("scheduler", "left"), ("size", "left"), ("predicted", "left"),
                            ("result", "left"),
                            ("MS-SSIM", "right"), ("max diff", "right"), ("changed", "right"), ("seconds", "right")):
        table.add_column(column, justify=justify, no_wrap=True)
    for row in report.rows:
        failed = bool(row.get("error"))
        table.add_row(plain(row["file"]), plain(row["scheduler"]), f"{row['width']}x{row['height']}",
                      plain(row.get("expectation", "")), plain(describe(row)),
                      "" if failed or row["identical"] else format_ms_ssim(row["ms_ssim"]),
                      "" if failed else str(row["max_abs_diff"]),
                      "" if failed else f"{row['changed_subpixels']:,}", f"{row['seconds']:.2f}")
    console.print(table)
    total = len(report.rows)
    environment = report.environment
    console.print(plain(f"this machine: {environment.get('cpu_vendor') or 'unknown vendor'}, "
                        f"{environment.get('cpu_model') or 'unknown model'}, "
                        f"{environment.get('isa') or 'unknown ISA'}; "
                        f"kernels {environment.get('kernels')}, determinism {platform.get('determinism_profile')}"))
    wrong = [row["file"] for row in report.rows if row.get("prediction_held") is False]
    if wrong:
        console.print(plain(f"the platform check's prediction did not hold for {len(wrong)} file(s): "
                            f"{', '.join(wrong)}"))
    reference = report.suite.reference_platform
    ref = f"torch {reference.get('torch')}, {reference.get('device')}, {_threads(reference.get('threads'))}"
    if report.errors:
        console.print(plain(f"{report.errors} of {total} files could not be recreated; "
                            f"{report.identical} identical, {report.differing} differ"))
    elif report.differing:
        changed = [f"--{name} {value}" for name, value in overrides.items() if value is not None and
                   not (name == "device" and value == "cpu")]
        how = f"recreated with {' '.join(changed)}" if changed else "this platform does not recreate them bit-exactly"
        console.print(plain(f"{report.differing} of {total} images differ from the reference platform's ({ref}): "
                            + how))
    else:
        console.print(plain(f"all {total} images identical to the reference platform's ({ref})"))
    console.print(plain(f"model load {report.load_seconds:.1f} s, total {report.seconds:.1f} s"))
