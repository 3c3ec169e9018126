"""``aigif info`` and ``aigif build``: the format itself, light and fast (no torch, no Pillow)."""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console
from rich.table import Table

from .._errors import UsageError
from .._files import read_bytes
from .._format._json import from_json, to_json
from .._format._model import AigifFile
from .._format._read import read
from .._format._write import dumps
from ._app import app
from ._output import check_output, write_output
from ._quick import json_text
from ._text import concerning, plain


@app.command()
def info(
    file: str = typer.Argument(..., metavar="FILE", help="The .aigif file to show ('-' reads standard input)."),
    as_json: bool = typer.Option(False, "--json", help="Print the canonical JSON form instead of a table."),
) -> None:
    """Show what an AIGIF file holds."""
    if as_json:
        sys.stdout.write(json_text(file))
        return
    with concerning("standard input" if file == "-" else file):
        data = sys.stdin.buffer.read() if file == "-" else read_bytes(file)
        obj = read(data)
    _print_table(obj, "standard input" if file == "-" else file, len(data))


@app.command()
def build(
    params: str = typer.Argument(..., metavar="PARAMS.json",
                                 help="Canonical JSON parameters ('-' reads standard input)."),
    output: str = typer.Option(..., "-o", "--output", metavar="OUT.aigif",
                               help="The .aigif file to write ('-' writes to standard output)."),
    force: bool = typer.Option(False, "--force", help="Overwrite OUT.aigif if it exists."),
) -> None:
    """Write an AIGIF file from its canonical JSON form."""
    if output != "-":
        check_output(output, force)  # before reading anything
    source = "standard input" if params == "-" else params
    with concerning(source):
        text = sys.stdin.buffer.read() if params == "-" else read_bytes(params)
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as err:
            raise UsageError(f"{source} is not valid JSON ({err})", code="invalid-json") from None
        data = dumps(from_json(doc))
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    with concerning(output):
        write_output(output, data, force)
    Console(stderr=True, highlight=False).print(plain(f"wrote {output} ({len(data):,} bytes)"))


def _print_table(obj: AigifFile, name: str, size: int) -> None:
    doc = to_json(obj)
    table = Table(title=plain(f"{name} — AIGIF v{doc['version']}, {size:,} bytes"), title_justify="left",
                  show_header=True, header_style="bold")
    table.add_column("section", style="cyan", no_wrap=True)
    table.add_column("field", no_wrap=True)
    table.add_column("value", overflow="fold")
    for section, entries in doc.items():
        if section == "version":
            continue
        if section == "extensions":
            for ext in obj.extensions:
                table.add_row("extensions", f"tag {ext.tag}", f"{len(ext.data):,} bytes (unknown ancillary field)")
            continue
        first = True
        for key, value in entries.items():
            if section == "source" and key == "metadata":  # R6.8: one row per text, shown in full
                for entry in value:
                    table.add_row(section if first else "", plain(f"{entry['where']} {entry['key']}"),
                                  plain(entry["text"], lines=True))
                    first = False
                continue
            if section == "source" and key == "faithfulness":
                reasons = "".join(f"\n- {reason}" for reason in value["reasons"])
                table.add_row(section if first else "", key, plain(f"{value['level']}{reasons}", lines=True))
                first = False
                continue
            table.add_row(section if first else "", key, plain(_show(section, key, value, obj)))
            first = False
    Console(highlight=False, soft_wrap=False).print(table)


def _show(section: str, key: str, value, obj: AigifFile) -> str:
    if section == "payload" and key in ("pixels", "model"):
        raw = obj.payload.pixels if key == "pixels" else obj.payload.model
        codec = obj.compression.pixel_compressor if key == "pixels" else obj.compression.model_compressor
        return f"{len(raw or b''):,} bytes ({codec})"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if section == "data" else value
    return json.dumps(value, ensure_ascii=False)
