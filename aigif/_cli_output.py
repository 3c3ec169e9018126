"""Writing a command's output file: atomic, and never over an existing file without ``--force``.

Every command that writes goes through here, so each says the same thing when it refuses, whether
it refuses early (before the work) or at the move into place, having lost a race.
"""

from __future__ import annotations

import os

from ._errors import FileError
from ._files import write_bytes_atomic


def refuse_existing(path, force: bool) -> None:
    """The early check, before any work is done (``write_output`` is the real guard)."""
    if not force and os.path.lexists(path):  # lexists: a dangling symbolic link is a file too
        raise exists_error(path)


def write_output(path, data: bytes, force: bool) -> None:
    """Write atomically; an existing file is replaced only with ``--force``."""
    try:
        write_bytes_atomic(path, data, overwrite=force)
    except FileError as error:
        if error.code != "exists":
            raise
        raise exists_error(path) from None


def exists_error(path) -> FileError:
    """The refusal, with the hint the library cannot give (its switch is ``overwrite=True``)."""
    return FileError(f"{os.fspath(path)} exists and is not overwritten (use --force)", code="exists")
