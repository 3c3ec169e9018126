"""The ``aigif`` command line.

Every failure the user can cause ends the same way: one line on stderr naming the problem and its
code, exit status 1 (bad input) or 2 (bad usage), and no traceback.
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import __version__, _cli_conformance, _cli_fidelity, _cli_import, _cli_recreate
from ._format._write import dumps
from ._errors import AigifError, UsageError
from ._cli_output import write_output
from ._format._read import read
from ._files import read_bytes
from ._format._json import dumps_json, from_json, to_json
from ._format._model import AigifFile

try:  # typer >= 0.22 ships its own copy of click; older releases use click itself
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors

app = typer.Typer(
    name="aigif",
    help="Store AI-generated images as their generation syntax (AIGIF v1).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aigif {__version__} (AIGIF format version 1)")
        raise typer.Exit()


@app.callback()
def _root(
    version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True,
                                           help="Show the version and exit."),
) -> None:
    """Store AI-generated images as their generation syntax (AIGIF v1)."""


@app.command()
def info(
    file: str = typer.Argument(..., metavar="FILE", help="The .aigif file to show ('-' reads standard input)."),
    as_json: bool = typer.Option(False, "--json", help="Print the canonical JSON form instead of a table."),
) -> None:
    """Show what an AIGIF file holds."""
    data = sys.stdin.buffer.read() if file == "-" else read_bytes(file)
    obj = read(data)
    if as_json:
        sys.stdout.write(dumps_json(obj) + "\n")
        return
    _print_table(obj, "standard input" if file == "-" else file, len(data))


@app.command()
def build(
    params: str = typer.Argument(..., metavar="PARAMS.json",
                                 help="Canonical JSON parameters ('-' reads standard input)."),
    output: str = typer.Option(..., "-o", "--output", metavar="OUT.aigif",
                               help="The .aigif file to write ('-' writes to standard output)."),
    force: bool = typer.Option(False, "--force", help="Overwrite OUTPUT if it exists."),
) -> None:
    """Write an AIGIF file from its canonical JSON form."""
    text = sys.stdin.buffer.read() if params == "-" else read_bytes(params)
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as err:
        source = "standard input" if params == "-" else params
        raise UsageError(f"{source} is not valid JSON ({err})", code="invalid-json") from None
    data = dumps(from_json(doc))
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_output(output, data, force)
    Console(stderr=True, highlight=False).print(_plain(f"wrote {output} ({len(data):,} bytes)"))


# ---------------------------------------------------------------------------------------------


def _plain(text: str, lines: bool = False) -> Text:
    """Text from a file, made safe for a terminal: never rich markup, never a control character
    (``lines`` keeps line breaks, for multi-line texts such as an imported infotext)."""
    return Text("".join(f"\\x{ord(ch):02x}" if unicodedata.category(ch) == "Cc" and not (lines and ch == "\n")
                        else ch for ch in text))


def _print_table(obj: AigifFile, name: str, size: int) -> None:
    doc = to_json(obj)
    table = Table(title=_plain(f"{name} — AIGIF v{doc['version']}, {size:,} bytes"), title_justify="left",
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
                    table.add_row(section if first else "", _plain(f"{entry['where']} {entry['key']}"),
                                  _plain(entry["text"], lines=True))
                    first = False
                continue
            if section == "source" and key == "faithfulness":
                reasons = "".join(f"\n- {reason}" for reason in value["reasons"])
                table.add_row(section if first else "", key, _plain(f"{value['level']}{reasons}", lines=True))
                first = False
                continue
            table.add_row(section if first else "", key, _plain(_show(section, key, value, obj)))
            first = False
    Console(highlight=False, soft_wrap=False).print(table)


def _show(section: str, key: str, value, obj: AigifFile) -> str:
    if section == "payload" and key in ("pixels", "model"):
        raw = obj.payload.pixels if key == "pixels" else obj.payload.model
        codec = obj.compression.pixel_compressor if key == "pixels" else obj.compression.model_compressor
        return f"{len(raw):,} bytes ({codec})"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if section == "data" else value
    return json.dumps(value, ensure_ascii=False)


_cli_recreate.register(app, _plain)  # save, recreate, verify (they import torch only when run)
_cli_conformance.register(app, _plain)  # conformance run (no torch)
_cli_fidelity.register(_cli_conformance.conformance_app, _plain)  # conformance recreate (torch when run)
_cli_import.register(app, _plain)  # import (Pillow only when pixels are needed)


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn every error into one line and an exit status."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        status = app(args=argv, standalone_mode=False, prog_name="aigif")
    except AigifError as error:
        err.print(f"aigif: error: {error.message}" + (f" (at {error.path})" if error.path else "")
                  + f" [{error.code}]", markup=False)
        sys.exit(1)
    except click_errors.UsageError as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # plain 'aigif': show the help
            error.show()
            sys.exit(2)
        hint = f" (see '{error.ctx.command_path} --help')" if error.ctx and error.ctx.parent else " (see 'aigif --help')"
        err.print(f"aigif: usage error: {error.format_message()}{hint}", markup=False)
        sys.exit(2)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except BrokenPipeError:
        sys.exit(1)
    except Exception as error:  # a bug: still one line, unless AIGIF_DEBUG asks for the traceback
        if os.environ.get("AIGIF_DEBUG"):
            raise
        err.print(f"aigif: internal error: {type(error).__name__}: {error} (please report it; "
                  "AIGIF_DEBUG=1 shows the traceback) [internal-error]", markup=False)
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)
