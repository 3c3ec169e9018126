"""Text for the terminal: file text made safe to print, error lines, paths shown short.

Anything that comes from a file (a prompt, a path, a reader's output) is printed through ``plain``:
never read as rich markup, and without control characters, which could move the cursor, retitle
the terminal or hide what follows.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import AigifError

if TYPE_CHECKING:  # rich is imported when a command prints with it, not by ``aigif info --json``
    from rich.console import Console
    from rich.text import Text


def safe(text: str, lines: bool = False) -> str:
    """``text`` without a control character (``lines`` keeps line breaks, for multi-line texts such
    as an imported infotext): nothing from a file can move the cursor or retitle the terminal."""
    return "".join(f"\\x{ord(ch):02x}" if unicodedata.category(ch) == "Cc" and not (lines and ch == "\n")
                   else ch for ch in text)


def plain(text: str, lines: bool = False) -> Text:
    """``safe(text)`` as rich text: never read as markup."""
    from rich.text import Text

    return Text(safe(text, lines))


def one_line(text: str) -> str:
    """``text`` on one line: every run of white space (line breaks included) becomes one space."""
    return " ".join(text.split())


@contextmanager
def concerning(name) -> Iterator[None]:
    """Errors raised inside concern the file ``name`` (their error line names it, once)."""
    try:
        yield
    except AigifError as error:
        if getattr(error, "file", None) is None:
            about(error, name)
        raise


def about(error: AigifError, name) -> AigifError:
    """Say that ``error`` concerns the file ``name`` (``error_line`` names it)."""
    setattr(error, "file", os.fspath(name))  # an attribute of the command line's, not the library's
    return error


def error_line(error: AigifError, file=None) -> Text:
    """``error_text`` as rich text."""
    from rich.text import Text

    return Text(error_text(error, file))


def error_text(error: AigifError, file=None) -> str:
    """``aigif: error: [FILE: ]MESSAGE[ (at FIELD)] [code]``: one line, naming the file it concerns once
    (the message may name it already), safe to print."""
    file = file if file is not None else getattr(error, "file", None)
    message = one_line(error.message)
    if file is not None and not mentions(message, os.fspath(file)):
        message = f"{os.fspath(file)}: {message}"
    where = f" (at {error.path})" if error.path else ""
    return safe(f"aigif: error: {message}{where} [{error.code}]")


def internal_error_line(error: BaseException) -> str:
    """A bug, on one line all the same (``AIGIF_DEBUG=1`` shows the traceback instead)."""
    return safe(f"aigif: internal error: {type(error).__name__}: {one_line(str(error))} (please report it; "
                "AIGIF_DEBUG=1 shows the traceback) [internal-error]")


def mentions(message: str, name: str) -> bool:
    """Whether ``message`` names the file ``name`` (as a whole path or the end of a longer one)."""
    return bool(name) and re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-]|\.\w)", message) is not None


def shown(path) -> str:
    """A path as short as it can be: relative to the working directory when it lies below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return os.fspath(path)


def fit(console: Console, table) -> None:
    """In a pipe or a log (not a terminal), make ``console`` wide enough that ``table`` does not wrap."""
    from rich.measure import Measurement

    if not console.is_terminal:
        console.width = max(console.width, Measurement.get(console, console.options.update_width(100_000),
                                                           table).maximum)
