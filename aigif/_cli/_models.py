"""``aigif models scan``, ``aigif models list`` and ``aigif models which``: the local model library.

``scan`` indexes the model files under folders (a tool's root is narrowed to its model folders),
``list`` shows the index, ``which`` tells, before any generation, which local file each model
reference of an AIGIF file resolves to and what is missing. The work is ``aigif._library``,
imported when a command runs (it brings sqlite3 and platformdirs, which ``aigif info`` never needs).
Exit status of ``which``: 0 when every reference is found, 3 when some is missing, differs or is
ambiguous, 1 on errors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Optional

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from . import _progress
from ._app import BadUsage, models_app
from ._text import concerning, error_line, fit, plain, shown

if TYPE_CHECKING:
    from .._library import Index, IndexedFile, Resolution, ScanSummary

INDEX_HELP = "The index database (default: $AIGIF_CACHE_DIR/models.sqlite3, else the user's cache folder)."
KINDS = ("checkpoint", "lora", "lycoris", "vae", "embedding", "upscaler", "unknown")  # = aigif._library.KINDS


def _index_option() -> Any:
    return typer.Option(None, "--index", metavar="PATH", help=INDEX_HELP)


@models_app.command()
def scan(
    folders: List[Path] = typer.Argument(..., metavar="DIR", help="Folders to index: a tool's root (A1111, Forge, "
                                         "ComfyUI), its models folder, a Hugging Face cache, or any folder."),
    index_path: Optional[Path] = _index_option(),
    whole: bool = typer.Option(False, "--whole", help="Walk each DIR whole, even a tool's root (by default only "
                                                      "its model folders are walked)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Index the model files under each DIR: kind, family and every hash, read once per file.

    A file unchanged since the last scan (same size, mtime and inode) is not read again. A file
    that cannot be indexed is reported on one line, and the scan goes on.
    """
    summary = _scan(folders, index_path, discover=not whole)
    if as_json:
        sys.stdout.write(json.dumps(summary.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        _print_summary(Console(highlight=False, soft_wrap=True), summary)


@models_app.command("list")
def list_(
    kind: Optional[str] = typer.Option(None, "--kind", metavar="|".join(KINDS), help="Only files of this kind."),
    index_path: Optional[Path] = _index_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the files as JSON."),
) -> None:
    """List the indexed model files: kind, family, format, size, AutoV2 hash and path."""
    if kind is not None and kind not in KINDS:
        raise BadUsage(f"--kind {kind!r}: choose one of {', '.join(KINDS)}")
    with _open(index_path) as index:
        rows = index.files(kind)
    if as_json:
        sys.stdout.write(json.dumps([row.to_json() for row in rows], indent=2, ensure_ascii=False) + "\n")
        return
    _print_files(Console(highlight=False, soft_wrap=True), rows)


@models_app.command()
def which(
    file: Path = typer.Argument(..., metavar="FILE.aigif", help="The AIGIF file whose model references to resolve."),
    index_path: Optional[Path] = _index_option(),
    model_dirs: List[Path] = typer.Option([], "--model-dir", metavar="DIR",
                                          help="Scan this folder first, as 'aigif models scan DIR' (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print the resolutions as JSON."),
) -> None:
    """Show which local file each model reference of FILE.aigif resolves to, and what is missing.

    By hash first (any hash kind the file records), then by name. Exit status 0 when every
    reference is found, 3 when some is missing, has another hash, or is ambiguous.
    """
    from .._files import read_bytes
    from .._format._read import read
    from .._library import resolve_all

    with concerning(file):
        obj = read(read_bytes(file))
    if model_dirs:
        _scan(model_dirs, index_path, discover=True, quiet=as_json)
    with _open(index_path) as index:
        rows = index.files()
    resolutions = resolve_all(obj, rows)
    if as_json:
        document = {"file": str(file), "index": str(index.path), "indexed_files": len(rows),
                    "references": [resolution.to_json() for resolution in resolutions],
                    "all_found": all(r.status == "found" for r in resolutions)}
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        console = Console(highlight=False, soft_wrap=True)
        if not rows:
            Console(stderr=True, highlight=False).print(plain(
                f"the index {index.path} is empty: run 'aigif models scan DIR' or give --model-dir DIR"))
        _print_resolutions(console, str(file), resolutions)
    if not all(r.status == "found" for r in resolutions):
        raise typer.Exit(3)


# ---------------------------------------------------------------------------------------------


def _open(index_path: Optional[Path]) -> Index:
    from .._library import Index

    return Index(index_path)


def _scan(folders: List[Path], index_path: Optional[Path], *, discover: bool, quiet: bool = False) -> ScanSummary:
    """Scan with a progress bar; each problem is an error line on standard error."""
    from .._library import scan as scan_folders

    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    with _open(index_path) as index, _progress.files("scanning", 0, console=errors) as bar:

        def advance(path: Path, number: int, count: int) -> None:
            bar.update(total=count, completed=number - 1, description=f"indexing {path.name}")

        summary = scan_folders(list(folders), index, discover=discover, progress=advance)
    for problem in summary.problems:
        errors.print(error_line(problem.error()))
    return summary


def _size(count: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:,} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1000  # type: ignore[assignment]
    return str(count)


def _print_summary(console: Console, summary: ScanSummary) -> None:
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(summary.kinds.items())) or "no model files"
    console.print(plain(f"indexed {summary.files} files ({_size(summary.bytes)}) in {len(summary.folders)} "
                        f"folders: {kinds}"))
    console.print(plain(f"read {summary.hashed} ({_size(summary.hashed_bytes)}), reused {summary.reused} from the "
                        f"index, forgot {summary.forgotten} gone, {len(summary.problems)} problems"))


def _print_files(console: Console, rows: List[IndexedFile]) -> None:
    table = Table(box=box.SIMPLE_HEAD, header_style="bold")
    for column in ("kind", "name", "family", "format", "size", "autov2", "path"):
        table.add_column(column, no_wrap=column != "path", overflow="fold")
    for row in rows:
        fmt = row.format if row.loadable else f"{row.format} (not loadable)" if row.error is None else \
            f"error [{row.error_code}]"
        table.add_row(row.kind, plain(row.name), row.family or "", plain(fmt), _size(row.size),
                      (row.sha256 or "")[:10], plain(shown(row.path)))
    fit(console, table)
    console.print(table)
    console.print(plain(f"{len(rows)} files"))


_STATUS_STYLE = {"found": "green", "missing": "red", "hash-mismatch": "yellow", "ambiguous": "yellow"}


def _print_resolutions(console: Console, name: str, resolutions: List[Resolution]) -> None:
    table = Table(title=plain(f"{name}: model references"), title_justify="left", box=box.SIMPLE_HEAD,
                  header_style="bold")
    for column in ("field", "kind", "name", "hash", "status", "file"):
        table.add_column(column, no_wrap=column not in ("name", "file"), overflow="fold")
    for resolution in resolutions:
        reference = resolution.reference
        where = "\n".join(shown(f.path) + ("" if f.loadable else " (not loadable)") for f in resolution.files)
        detail = where or resolution.note
        if resolution.note and where and resolution.status != "found":
            detail = f"{where}\n{resolution.note}"
        status = plain(resolution.status + (f" by {resolution.matched_by}" if resolution.status == "found" else ""))
        status.stylize(_STATUS_STYLE[resolution.status])
        table.add_row(reference.field, reference.kind, plain(reference.name), reference.hash or "", status,
                      plain(detail, lines=True))
    fit(console, table)
    console.print(table)
    found = sum(r.status == "found" for r in resolutions)
    console.print(plain(f"{found} of {len(resolutions)} references found"))
