"""The ``aigif`` command line.

Every failure the user can cause ends the same way: one line on stderr naming the problem, the file
it concerns (where there is one) and its code, exit status 1 (bad input) or 2 (bad usage), and no
traceback. ``main`` is the entry point: ``aigif info --json FILE``, which a conformance run starts
once per suite file, is answered by ``_quick`` without loading typer and rich; every other command
line goes to the typer application of ``_main`` and its error boundary.

Importing this package imports nothing but the standard library and the error classes; the
application and its command modules (``app``, ``_core``, ``_recreate``, …) load on first use.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

__all__ = ["app", "main"]

#: The modules that define commands: loading one loads ``_main``, which registers them all.
_COMMANDS = {"_app", "_core", "_conformance", "_import", "_main", "_models", "_recreate"}


def main(argv: list[str] | None = None) -> None:
    """Entry point: run one command line, exit with its status."""
    _quick = importlib.import_module(f"{__name__}._quick")  # not "from . import": that asks __getattr__

    args = sys.argv[1:] if argv is None else list(argv)
    if _quick.handles(args):
        sys.exit(_quick.run(args))
    from ._main import run

    run(argv)


def __getattr__(name: str) -> Any:
    """``app`` and ``usage_line`` of ``_main``, and the command modules, loaded on first use (PEP 562)."""
    if name in ("app", "usage_line"):
        return getattr(importlib.import_module(f"{__name__}._main"), name)
    if name in _COMMANDS:
        importlib.import_module(f"{__name__}._main")  # registers every command first
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
