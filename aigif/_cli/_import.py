"""``aigif import``: images made by other tools (A1111, ComfyUI, InvokeAI, …) -> AIGIF files.

A folder run converts what it can: a bad image is reported on one line naming it and skipped, the
others are converted, and the exit status says whether anything was skipped. Every output is
checked before the first image is imported; nothing is written for an image that fails, and no
existing file is replaced without ``--force``. Pillow is imported only when pixels are needed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from .._errors import AigifError, FileError, UsageError
from . import _progress
from ._app import BadUsage, app
from ._output import check_output, write_output
from ._text import about, error_line, fit, plain, shown


@app.command("import")
def import_(
    images: List[str] = typer.Argument(..., metavar="IMAGE",
                                       help="PNG, JPEG or WebP images, or folders (searched recursively)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", metavar="OUT.aigif",
                                          help="The file to write (one IMAGE only)."),
    out_dir: Optional[Path] = typer.Option(None, "--out-dir", metavar="DIR",
                                           help="Write NAME.aigif in DIR (created if missing; default: next to "
                                                "each image)."),
    keep_pixels: bool = typer.Option(False, "--keep-pixels",
                                     help="Embed the pixels losslessly (the smallest lossless codec, verified)."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing .aigif files."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON report on stdout."),
) -> None:
    """Import the generation metadata of images made by other tools as AIGIF files."""
    from .._format._write import dumps
    from .._import import image_paths, import_image

    if output is not None and out_dir is not None:
        raise BadUsage("-o/--output and --out-dir exclude each other")
    paths = image_paths(images)
    if not paths:
        raise UsageError("no PNG, JPEG or WebP images found in the given folders", code="not-found")
    if output is not None and len(paths) != 1:
        raise BadUsage(f"-o/--output takes exactly one IMAGE ({len(paths)} found); --out-dir DIR takes many")
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise FileError(f"--out-dir {out_dir} is not a folder", code="io-error")
    roots = {Path(item).resolve(): Path(item) for item in images if Path(item).is_dir()}
    targets = [output or _target(path, out_dir, roots) for path in paths]
    clashes = {t.resolve() for t in targets if sum(u.resolve() == t.resolve() for u in targets) > 1}
    targets = [t.with_name(p.name + ".aigif") if t.resolve() in clashes else t  # a.png, a.jpg -> a.png.aigif
               for p, t in zip(paths, targets)]
    if len({t.resolve() for t in targets}) != len(targets):
        raise BadUsage("two images would be written to the same .aigif file (the same image given twice?)")
    single = len(paths) == 1
    console = Console(highlight=False, stderr=as_json, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    rows, refused = [], {}
    for path, target in zip(paths, targets):  # every output, before the first image is imported
        if output is None and out_dir is None and not os.path.lexists(path):
            continue  # no image, and so no folder to write beside it: the import says "no such file"
        try:
            check_output(target, force, create_folder=out_dir is not None)
        except FileError as error:
            if error.code != "exists" or single:
                raise
            refused[path] = error  # reported in its turn; the other images are still converted
    with _progress.files("importing", len(paths), console=errors, disable=single) as bar:
        for path, target in zip(paths, targets):
            size = path.stat().st_size if path.is_file() else 0
            try:
                if path in refused:
                    raise refused[path]
                try:
                    obj, report = import_image(path, keep_pixels=keep_pixels)
                    data = dumps(obj)
                except AigifError as error:
                    raise about(error, path)
                try:
                    write_output(target, data, force, create_folder=out_dir is not None)
                except AigifError as error:
                    raise about(error, target)
            except AigifError as error:
                if single:
                    raise
                rows.append({"image": str(path), "ok": False, "error": error.code, "message": error.message,
                             "image_bytes": size})
                errors.print(error_line(error))
            else:
                rows.append({"image": str(path), "ok": True, "output": str(target), "image_bytes": size,
                             "aigif_bytes": len(data), **report.to_json()})
            bar.advance()
    totals = _totals(rows)
    if as_json:
        sys.stdout.write(json.dumps({"files": rows, "totals": totals}, ensure_ascii=False) + "\n")
    elif single:
        _describe(console, rows[0])
    else:
        _table(console, rows, totals)
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


def _totals(rows: list[dict]) -> dict:
    done = [row for row in rows if row["ok"]]
    return {"images": len(rows), "converted": len(done), "with_pixels": sum(bool(row.get("pixels")) for row in done),
            "skipped": len(rows) - len(done), "image_bytes": sum(row["image_bytes"] for row in done),
            "aigif_bytes": sum(row["aigif_bytes"] for row in done),
            "faithfulness": {level: sum(row.get("faithfulness") == level for row in done)
                             for level in ("exact-possible", "approximate", "not-recreatable")}}


def _describe(console: Console, row: dict) -> None:
    console.print(plain(f"wrote {row['output']}: {row['aigif_bytes']:,} bytes (the image: {row['image_bytes']:,} "
                        f"bytes), from {row['tool']} metadata in {', '.join(row['carriers'])}"))
    console.print(plain(f"faithfulness: {row['faithfulness']}"))
    for reason in row["reasons"]:
        console.print(plain(f"  - {reason}"))
    for note in row["notes"]:
        console.print(plain(f"note: {note}"))


def _table(console: Console, rows: list[dict], totals: dict) -> None:
    """One row per image, paths relative to the working directory when below it. In a terminal a
    long path folds at the terminal's width; in a pipe or a log nothing wraps (the table is as wide
    as its longest row)."""
    table = Table(title="import", title_justify="left")
    table.add_column("image", overflow="fold")
    for column in ("tool", "result", "faithfulness"):
        table.add_column(column, no_wrap=True)
    table.add_column("bytes", justify="right", no_wrap=True)
    table.add_column("aigif", justify="right", no_wrap=True)
    for row in rows:
        if row["ok"]:
            result = "converted" + (f" + {row['pixels']} pixels" if row.get("pixels") else "")
            table.add_row(plain(shown(row["image"])), plain(row["tool"]), plain(result), plain(row["faithfulness"]),
                          f"{row['image_bytes']:,}", f"{row['aigif_bytes']:,}")
        else:  # the full message is already on stderr
            table.add_row(plain(shown(row["image"])), "", plain(f"skipped [{row['error']}]"), "",
                          f"{row['image_bytes']:,}", "")
    fit(console, table)
    console.print(table)
    ratio = f" ({totals['aigif_bytes'] / totals['image_bytes']:.2%} of the images)" if totals["image_bytes"] else ""
    levels = ", ".join(f"{count} {level}" for level, count in totals["faithfulness"].items() if count)
    console.print(plain(f"{totals['converted']} of {totals['images']} converted ({totals['with_pixels']} with "
                        f"pixels), {totals['skipped']} skipped; {totals['image_bytes']:,} bytes of images -> "
                        f"{totals['aigif_bytes']:,} bytes of AIGIF{ratio}" + (f"; {levels}" if levels else "")))
