"""Files: reading with clear errors, and atomic writes that never clobber by accident.

Every layer that touches the disk (the reader and writer, import, recreation, the command line)
reads and writes through here, so each failure is a ``FileError`` that names the file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ._errors import FileError

PathLike = str | os.PathLike[str]

_UMASK = os.umask(0o022)  # read once (os.umask can only be read by setting it) and put back
os.umask(_UMASK)


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


def write_bytes_atomic(path: PathLike, data: bytes, *, overwrite: bool = False) -> None:
    """Write to a temporary file beside ``path``, fsync it, then move it into place.

    Readers (and a crash, or ``kill -9``, at any moment) see either no file / the old file, or the
    complete new one; the temporary file is removed on any failure, including KeyboardInterrupt.
    Without ``overwrite`` the move is a hard link, which fails if ``path`` exists, so two writers
    racing for one name cannot both win, and an existing file is never replaced. Every failure is
    a ``FileError``: ``exists``, or ``io-error`` (a directory, a missing folder, permission
    denied, disk full).
    """
    try:
        _write_atomic(Path(path), data, overwrite)
    except FileError:
        raise
    except (OSError, ValueError) as err:  # ValueError: a NUL in the path
        raise FileError(f"cannot write {os.fspath(path)!r}: {getattr(err, 'strerror', None) or err}",
                        code="io-error") from None


def _write_atomic(target: Path, data: bytes, overwrite: bool) -> None:
    directory = target.parent  # Path("x").parent is Path(".")
    if target.is_dir():  # a directory (or a link to one) is never replaced, --force or not
        raise FileError(f"{target} is a directory", code="io-error")
    if not overwrite and os.path.lexists(target):  # early and friendly; the hard link below is the real guard
        raise _exists(target)
    tmp = None  # set while the temporary name is ours to remove
    try:
        try:
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{_short(target.name)}.", suffix=".tmp")
        except OSError as err:
            raise FileError(f"cannot write in {directory}: {err.strerror or err}", code="io-error") from None
        with os.fdopen(fd, "wb") as handle:  # owns fd from here, so it is closed on any failure
            os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a written file gets the usual mode
            handle.write(data)
            handle.flush()
            os.fsync(fd)  # the bytes are on disk before the name points at them
        if overwrite:
            os.replace(tmp, target)  # a symlink at target is replaced itself, never followed
        else:
            try:
                os.link(tmp, target)  # fails if target exists, even one that appeared a moment ago
            except FileExistsError:
                raise _exists(target) from None
            except OSError:  # no hard links on this file system (FAT, some network shares)
                _claim_and_replace(tmp, target)
            else:
                _remove(tmp)  # the file has its real name; drop the temporary one before the sync
        tmp = None
        _sync_directory(directory)
    finally:
        if tmp is not None:
            _remove(tmp)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _exists(target: Path) -> FileError:
    return FileError(f"{target} exists and is not overwritten", code="exists")


def _short(name: str) -> str:
    """The name inside the temporary file's name, cut so that the latter stays under 255 bytes."""
    return os.fsdecode(os.fsencode(name)[:200])


def _claim_and_replace(tmp: str, target: Path) -> None:
    """Without hard links: claim the name with O_EXCL (one writer wins), then rename over the claim.

    Still race-free, but a reader may glimpse an empty file for a moment, and a crash between the
    two steps leaves one (docs/library.md, "Writing files safely").
    """
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise _exists(target) from None
    claim = os.fstat(fd)
    os.close(fd)
    try:
        os.replace(tmp, target)
    except BaseException:
        try:  # take the empty claim back, unless someone has replaced it meanwhile
            if os.path.samestat(os.lstat(target), claim):
                os.unlink(target)
        except OSError:
            pass
        raise


def _sync_directory(directory: Path) -> None:
    """fsync the folder, so the new name survives a power cut too (best effort: the file is in place)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # Windows cannot open a folder; nothing to do there
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder
        pass
    finally:
        os.close(fd)


def shipped_suite(name: str) -> Path:
    """A suite in the repository's ``conformance/`` folder beside the package (``suite``, ``recreate``).

    A checkout has them; an installed copy has none, and the error says how to give one.
    """
    folder = Path(__file__).resolve().parent.parent / "conformance" / name
    if not folder.is_dir():
        raise FileError(f"no conformance/{name} next to the aigif package (an installed copy has none); "
                        f"give one with --suite DIR (conformance/{name} in the AIGIF repository)", code="not-found")
    return folder
