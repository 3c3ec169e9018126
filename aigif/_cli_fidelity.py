"""``aigif conformance recreate``: recreate the reference files here and compare with their PNGs.

The command is added to the ``aigif conformance`` sub-app by ``register``. It imports torch only
when it runs (``aigif._recreate._fidelity`` does the work), so ``aigif info`` stays light.
Exit status: 0 when every file recreates identically, 3 when some differ, 1 on errors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich import box
from rich.table import Table

from ._errors import FileError, UsageError
from ._cli_output import refuse_existing, write_output

DTYPES = ("float32", "float16", "bfloat16")


def register(conformance_app: typer.Typer, plain) -> None:
    """Add ``recreate`` to the ``aigif conformance`` app (``plain`` makes file text safe to print)."""

    @conformance_app.command("recreate")
    def recreate(
        suite: Optional[Path] = typer.Option(None, "--suite", metavar="DIR",
                                             help="The recreation suite, a folder with manifest.json (default: "
                                                  "conformance/recreate of this repository)."),
        threads: Optional[int] = typer.Option(None, "--threads", metavar="N",
                                              help="Recreate with N CPU threads instead of the recorded count."),
        dtype: Optional[str] = typer.Option(None, "--dtype", metavar="D",
                                            help="Recreate in float32, float16 or bfloat16 instead of the "
                                                 "recorded data type."),
        device: str = typer.Option("cpu", "--device", metavar="DEVICE", help="cpu, cuda, cuda:N or mps."),
        json_out: Optional[str] = typer.Option(None, "--json", metavar="OUT",
                                               help="Write the results as JSON to OUT ('-': standard output)."),
        out_dir: Optional[Path] = typer.Option(None, "--out-dir", metavar="DIR",
                                               help="Also write each recreated image as DIR/NAME.png."),
        force: bool = typer.Option(False, "--force", help="Overwrite the JSON file and images."),
    ) -> None:
        """Recreate the reference files on this machine and compare with the reference platform's images.

        Prints, for each file, identical or the exact PSNR, the MS-SSIM and the largest difference.
        Exit status 0 when all are identical, 3 when some differ, 1 on errors.
        """
        # Cheap checks first: none of them needs torch.
        if dtype is not None and dtype not in DTYPES:
            raise UsageError(f"--dtype {dtype!r}: choose one of {', '.join(DTYPES)}", code="invalid-value")
        if threads is not None and not 1 <= threads <= 1024:
            raise UsageError(f"--threads {threads}: give 1 to 1024 threads", code="invalid-value")
        if suite is None:
            suite = Path(__file__).resolve().parent.parent / "conformance" / "recreate"
            if not suite.is_dir():
                raise FileError("no recreation suite next to the aigif package (an installed copy has none); give "
                                "one with --suite DIR (conformance/recreate in the AIGIF repository)",
                                code="not-found")
        if not suite.is_dir():
            raise FileError(f"no recreation suite at {suite}: no such folder", code="not-found")
        if json_out not in (None, "-"):
            refuse_existing(json_out, force)

        fidelity = _fidelity()
        loaded = fidelity.load_suite(suite)  # every SHA-256 and digest, before any model loads
        fidelity.check_options(device=device, threads=threads, dtype=dtype)
        console = Console(highlight=False, soft_wrap=True, stderr=json_out == "-")
        if not console.is_terminal:  # a log or a pipe: the table's natural width, not 80 columns
            console.width = max(console.width, 120)
        errors = Console(stderr=True, highlight=False, soft_wrap=True)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=errors, transient=True) as progress:
            task = progress.add_task("loading the model", total=len(loaded.cases))

            def advance(case, row):
                if row is None:
                    progress.update(task, description=f"recreating {case.name}")
                else:
                    progress.advance(task)
                    if row.get("error"):
                        errors.print(plain(f"aigif: error: {case.file}: {row['message']} [{row['error']}]"))

            report = fidelity.run_suite(loaded, device=device, threads=threads, dtype=dtype, out_dir=out_dir,
                                        overwrite=force, progress=advance)
        _print(console, plain, report)
        document = json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
        if json_out == "-":
            sys.stdout.write(document)
        elif json_out is not None:
            write_output(json_out, document.encode("utf-8"), force)
            console.print(plain(f"wrote {json_out}"))
        if report.exit_status:
            raise typer.Exit(report.exit_status)


def _fidelity():
    import aigif

    aigif._recreation()  # a missing 'recreate' extra is one line with its code
    from ._recreate import _fidelity

    return _fidelity


def _threads(count) -> str:
    return f"{count} thread{'' if count == 1 else 's'}"


def _print(console: Console, plain, report) -> None:
    from ._recreate._fidelity import describe, format_ms_ssim

    platform = report.platform or {}
    overrides = report.overrides
    where = (f"torch {platform.get('torch', report.environment.get('torch'))}, {overrides['device']}"
             + (f" {platform['cpu_capability']}" if platform.get("cpu_capability") else "")
             + (f", {_threads(platform['threads'])}" if platform.get("threads") else ""))
    if overrides["dtype"]:
        where += f", {overrides['dtype']}"
    shown = report.suite.directory
    try:  # the default suite is found beside the package: show it relative to the current folder
        shown = shown.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        pass
    table = Table(title=plain(f"recreation conformance: {shown} on this platform ({where})"),
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
                        f"{environment.get('cpu_model') or 'unknown model'}, {environment.get('isa') or 'unknown ISA'}; "
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
