"""``aigif info --json FILE`` without typer and rich: the command a conformance run starts once per file.

It does what ``_core.info`` does with ``--json`` (the canonical JSON form on stdout; one error line
and exit 1 for a file that is not valid), importing only the format core, so that a process starts
in under 0.1 s (``tools/bench/bench_startup.py``); a suite of 535 files then runs in seconds.
Anything else on the command line, ``--help`` included, goes to the typer application.
"""

from __future__ import annotations

import os
import sys

from .._errors import AigifError
from ._text import about, error_text, internal_error_line


def handles(args: list[str]) -> bool:
    """``info --json FILE`` or ``info FILE --json``, FILE a path or ``-`` (standard input)."""
    if len(args) != 3 or args[0] != "info" or args.count("--json") != 1:
        return False
    file = args[2] if args[1] == "--json" else args[1]
    return file == "-" or not file.startswith("-")


def json_text(file: str) -> str:
    """The canonical JSON form of ``file`` (``-``: standard input), as ``aigif info --json`` prints it;
    an error names the file. The typer command calls it too, so the two cannot drift apart."""
    from .._files import read_bytes
    from .._format._json import dumps_json
    from .._format._read import read

    try:
        data = sys.stdin.buffer.read() if file == "-" else read_bytes(file)
        return dumps_json(read(data)) + "\n"
    except AigifError as error:
        about(error, "standard input" if file == "-" else file)
        raise


def run(args: list[str]) -> int:
    """The exit status: 0, or 1 with one line on stderr."""
    file = args[2] if args[1] == "--json" else args[1]
    try:
        text = json_text(file)
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    except AigifError as error:
        sys.stderr.write(error_text(error) + "\n")
        return 1
    except BrokenPipeError:
        return 1
    except Exception as error:  # a bug: one line, as for every command, unless AIGIF_DEBUG asks
        if os.environ.get("AIGIF_DEBUG"):
            raise
        sys.stderr.write(internal_error_line(error) + "\n")
        return 1
