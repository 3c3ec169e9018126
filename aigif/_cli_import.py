"""``aigif import``: images made by other tools (A1111, ComfyUI, InvokeAI, …) -> AIGIF files.

A folder run converts what it can: a bad image is reported on one line and skipped, the others
are converted, and the exit status says whether anything was skipped. Nothing is written for an
image that fails, and no existing file is replaced without ``--force``.
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

from ._errors import AigifError, UsageError


def register(app: typer.Typer, plain) -> None:
    """Add ``import`` to the ``aigif`` app (``plain`` makes file text safe to print)."""

    @app.command("import")
    def import_(
        images: List[str] = typer.Argument(..., metavar="IMAGE...",
                                           help="PNG, JPEG or WebP images, or folders (searched recursively)."),
        output: Optional[Path] = typer.Option(None, "-o", "--output", metavar="OUT.aigif",
                                              help="The file to write (one IMAGE only)."),
        out_dir: Optional[Path] = typer.Option(None, "--out-dir", metavar="DIR",
                                               help="Write NAME.aigif here (default: next to each image)."),
        keep_pixels: bool = typer.Option(False, "--keep-pixels",
                                         help="Embed the pixels losslessly (the smallest lossless codec, verified)."),
        force: bool = typer.Option(False, "--force", help="Overwrite existing .aigif files."),
        as_json: bool = typer.Option(False, "--json", help="Print a JSON report on stdout."),
    ) -> None:
        """Import the generation metadata of images made by other tools as AIGIF files."""
        from ._cli_output import refuse_existing, write_output
        from ._format._write import dumps
        from ._import import image_paths, import_image

        paths = image_paths(images)
        if not paths:
            raise UsageError("no PNG, JPEG or WebP images found in the given folders", code="not-found")
        if output is not None and (len(paths) != 1 or out_dir is not None):
            raise UsageError("-o/--output takes exactly one IMAGE and no --out-dir", code="invalid-value")
        if out_dir is not None and not out_dir.is_dir():
            raise UsageError(f"--out-dir {out_dir} is not a folder", code="not-found")
        roots = {Path(item).resolve(): Path(item) for item in images if Path(item).is_dir()}
        targets = [output or _target(path, out_dir, roots) for path in paths]
        clashes = {t.resolve() for t in targets if sum(u.resolve() == t.resolve() for u in targets) > 1}
        targets = [t.with_name(p.name + ".aigif") if t.resolve() in clashes else t  # a.png, a.jpg -> a.png.aigif
                   for p, t in zip(paths, targets)]
        if len({t.resolve() for t in targets}) != len(targets):
            raise UsageError("two images would be written to the same .aigif file (the same image given twice?)",
                             code="invalid-value")
        single = len(paths) == 1
        console = Console(highlight=False, stderr=as_json, soft_wrap=True)
        errors = Console(stderr=True, highlight=False, soft_wrap=True)
        rows = []
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=errors, transient=True, disable=single) as progress:
            task = progress.add_task("importing", total=len(paths))
            for path, target in zip(paths, targets):
                size = path.stat().st_size if path.is_file() else 0
                try:
                    refuse_existing(target, force)  # before the work; write_output is the real guard
                    obj, report = import_image(path, keep_pixels=keep_pixels)
                    data = dumps(obj)
                    if out_dir is not None:  # the layout below a folder argument is recreated under --out-dir
                        target.parent.mkdir(parents=True, exist_ok=True)
                    write_output(target, data, force)
                except AigifError as error:
                    if single:
                        raise
                    rows.append({"image": str(path), "ok": False, "error": error.code, "message": error.message,
                                 "image_bytes": size})
                    errors.print(plain(f"aigif: error: {error.message} [{error.code}]"))
                else:
                    rows.append({"image": str(path), "ok": True, "output": str(target), "image_bytes": size,
                                 "aigif_bytes": len(data), **report.to_json()})
                progress.advance(task)
        totals = _totals(rows)
        if as_json:
            sys.stdout.write(json.dumps({"files": rows, "totals": totals}, ensure_ascii=False) + "\n")
        elif single:
            _describe(console, plain, rows[0])
        else:
            _table(console, plain, rows, totals)
        if totals["skipped"]:
            raise typer.Exit(1)


def _target(path: Path, out_dir: Path | None, roots: dict[Path, Path]) -> Path:
    """NAME.aigif next to the image, or under --out-dir keeping the layout below a folder argument."""
    if out_dir is None:
        return path.with_suffix(".aigif")
    resolved = path.resolve()
    for root in roots:
        if root in resolved.parents:
            return out_dir / resolved.relative_to(root).with_suffix(".aigif")
    return out_dir / (path.stem + ".aigif")


def _shown(path: str) -> str:
    """A path as short as it can be: relative to the working directory when it is below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def _totals(rows: list[dict]) -> dict:
    done = [row for row in rows if row["ok"]]
    return {"images": len(rows), "converted": len(done), "with_pixels": sum(bool(row.get("pixels")) for row in done),
            "skipped": len(rows) - len(done), "image_bytes": sum(row["image_bytes"] for row in done),
            "aigif_bytes": sum(row["aigif_bytes"] for row in done),
            "faithfulness": {level: sum(row.get("faithfulness") == level for row in done)
                             for level in ("exact-possible", "approximate", "not-recreatable")}}


def _describe(console: Console, plain, row: dict) -> None:
    console.print(plain(f"wrote {row['output']}: {row['aigif_bytes']:,} bytes (the image: {row['image_bytes']:,} "
                        f"bytes), from {row['tool']} metadata in {', '.join(row['carriers'])}"))
    console.print(plain(f"faithfulness: {row['faithfulness']}"))
    for reason in row["reasons"]:
        console.print(plain(f"  - {reason}"))
    for note in row["notes"]:
        console.print(plain(f"note: {note}"))


def _table(console: Console, plain, rows: list[dict], totals: dict) -> None:
    table = Table(title="import", title_justify="left")
    table.add_column("image", overflow="fold", min_width=24)
    table.add_column("tool", overflow="fold", max_width=13)
    table.add_column("result", overflow="fold", max_width=20)
    table.add_column("faithfulness", overflow="fold", max_width=15)
    table.add_column("bytes", justify="right", no_wrap=True)
    table.add_column("aigif", justify="right", no_wrap=True)
    for row in rows:
        if row["ok"]:
            result = "converted" + (f" + {row['pixels']} pixels" if row.get("pixels") else "")
            table.add_row(plain(_shown(row["image"])), plain(row["tool"]), result, row["faithfulness"],
                          f"{row['image_bytes']:,}", f"{row['aigif_bytes']:,}")
        else:  # the full message is already on stderr
            table.add_row(plain(_shown(row["image"])), "", f"skipped [{row['error']}]", "",
                          f"{row['image_bytes']:,}", "")
    console.print(table)
    ratio = f" ({totals['aigif_bytes'] / totals['image_bytes']:.2%} of the images)" if totals["image_bytes"] else ""
    levels = ", ".join(f"{count} {level}" for level, count in totals["faithfulness"].items() if count)
    console.print(plain(f"{totals['converted']} of {totals['images']} converted ({totals['with_pixels']} with "
                        f"pixels), {totals['skipped']} skipped; {totals['image_bytes']:,} bytes of images -> "
                        f"{totals['aigif_bytes']:,} bytes of AIGIF{ratio}" + (f"; {levels}" if levels else "")))
