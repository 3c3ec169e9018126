"""The typer application with every command, and its error boundary (``run``).

The commands are module-level functions registered with ``@app.command()`` on the apps of
``_app``: ``_core`` (info, build), ``_recreate`` (save, recreate, verify), ``_import`` (import),
``_conformance`` (conformance run, conformance recreate), ``_models`` (models scan, list, which). Importing this module imports none of
torch, diffusers, Pillow or the conformance runner; the commands import them when they run.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console

from .._errors import AigifError
from . import _core, _recreate, _import, _conformance, _models  # noqa: F401 - importing them registers their commands
from ._app import BadUsage, app, click_errors
from ._text import error_line, internal_error_line, one_line, plain

__all__ = ["app", "run", "usage_line"]


def run(argv: list[str] | None = None) -> None:
    """Run the app and turn every error into one line and an exit status."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        status = app(args=argv, standalone_mode=False, prog_name="aigif")
    except AigifError as error:
        err.print(error_line(error))
        sys.exit(1)
    except click_errors.UsageError as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # plain 'aigif': show the help
            error.show()
            sys.exit(2)
        err.print(usage_line(error))
        sys.exit(2)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except BrokenPipeError:
        sys.exit(1)
    except Exception as error:  # a bug: still one line, unless AIGIF_DEBUG asks for the traceback
        if os.environ.get("AIGIF_DEBUG"):
            raise
        err.print(plain(internal_error_line(error)))
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)


def usage_line(error: click_errors.UsageError):
    """``aigif: usage error: MESSAGE [code] (see 'aigif COMMAND --help')``. The code is the command's
    own, ``invalid-value`` for a value an option or argument does not take, else ``usage``."""
    if isinstance(error, BadUsage):
        code = error.code
    else:
        code = "invalid-value" if isinstance(error, click_errors.BadParameter) and \
            not isinstance(error, click_errors.MissingParameter) else "usage"
    hint = f"'{error.ctx.command_path} --help'" if error.ctx and error.ctx.parent else "'aigif --help'"
    return plain(f"aigif: usage error: {one_line(error.format_message())} [{code}] (see {hint})")
