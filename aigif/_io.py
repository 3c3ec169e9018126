"""Files: reading with clear errors, and atomic writes that never clobber by accident."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ._codec import dumps, loads
from ._errors import FileError
from ._model import AigifFile

PathLike = str | os.PathLike

_UMASK = os.umask(0o022)  # read once (os.umask can only be read by setting it) and put back
os.umask(_UMASK)


def read(source: PathLike | bytes | bytearray | memoryview) -> AigifFile:
    """Read an AIGIF file from a path or from bytes. Raises ``AigifError`` subclasses only."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return loads(source)
    return loads(read_bytes(source))


def read_bytes(path: PathLike) -> bytes:
    try:
        with open(path, "rb", buffering=0) as handle:  # unbuffered: one read, no buffer copy
            return handle.readall()
    except FileNotFoundError:
        raise FileError(f"no such file: {os.fspath(path)}", code="not-found") from None
    except IsADirectoryError:
        raise FileError(f"is a directory: {os.fspath(path)}", code="io-error") from None
    except (OSError, ValueError) as err:  # ValueError: a NUL in the path
        raise FileError(f"cannot read {os.fspath(path)!r}: {getattr(err, 'strerror', None) or err}",
                        code="io-error") from None


def write(obj: AigifFile, path: PathLike, *, overwrite: bool = False) -> int:
    """Write ``obj`` to ``path`` atomically; returns the number of bytes written.

    The bytes are produced first, so an object that cannot be written leaves no file behind.
    """
    data = dumps(obj)
    write_bytes_atomic(path, data, overwrite=overwrite)
    return len(data)


def write_bytes_atomic(path: PathLike, data: bytes, *, overwrite: bool = False) -> None:
    """Write to a temporary file beside ``path``, fsync it, then move it into place.

    Without ``overwrite`` the move is a hard link, which fails if ``path`` exists, so two writers
    racing for one name cannot both win, and an existing file is never replaced.
    """
    try:
        _write_atomic(Path(path), data, overwrite)
    except FileError:
        raise
    except (OSError, ValueError) as err:  # ValueError: a NUL in the path
        raise FileError(f"cannot write {os.fspath(path)!r}: {getattr(err, 'strerror', None) or err}",
                        code="io-error") from None


def _write_atomic(target: Path, data: bytes, overwrite: bool) -> None:
    directory = target.parent if str(target.parent) else Path(".")
    if not overwrite and target.exists():
        raise FileError(f"{target} exists and is not overwritten", code="exists")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise FileError(f"cannot write in {directory}: {err.strerror or err}", code="io-error") from None
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a written file gets the usual mode
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise FileError(f"{target} exists and is not overwritten", code="exists") from None
            except OSError:  # no hard links on this file system: best effort
                if target.exists():
                    raise FileError(f"{target} exists and is not overwritten", code="exists") from None
                os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
