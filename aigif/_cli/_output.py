"""The commands' output files: checked before any work, written atomically, never over an existing
file without ``--force``.

Every command that writes goes through here, so each says the same thing when it refuses, whether
it refuses early (``check_output``, before it generates, imports or runs anything) or at the move
into place, having lost a race (``write_output``). A folder named by ``--out-dir`` is created
(with its parents) just before the first file is written into it; ``-o`` never creates one.
"""

from __future__ import annotations

import os

from .._errors import FileError
from .._files import check_target, make_folder, write_bytes_atomic


def check_output(path, force: bool, *, create_folder: bool = False) -> None:
    """Refuse now what the write would refuse later: an existing file (without ``--force``), a
    directory, a missing folder (unless ``create_folder``), a folder that cannot be written."""
    try:
        check_target(path, overwrite=force, create_folder=create_folder)
    except FileError as error:
        raise exists_error(path) if error.code == "exists" else error from None


def write_output(path, data: bytes, force: bool, *, create_folder: bool = False) -> None:
    """Write atomically; an existing file is replaced only with ``--force``."""
    if create_folder:
        make_folder(path)
    try:
        write_bytes_atomic(path, data, overwrite=force)
    except FileError as error:
        if error.code != "exists":
            raise
        raise exists_error(path) from None


def exists_error(path) -> FileError:
    """The refusal, with the hint the library cannot give (its switch is ``overwrite=True``)."""
    return FileError(f"{os.fspath(path)} exists and is not overwritten (use --force)", code="exists")
