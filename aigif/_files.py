"""Files: reading with clear errors, and atomic writes that never clobber by accident.

Every layer that touches the disk (the reader and writer, import, recreation, the command line)
reads and writes through here, so each failure is a ``FileError`` that names the file.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterable
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
        raise FileError(f"{os.fspath(path)}: no such file", code="not-found") from None
    except IsADirectoryError:
        raise FileError(f"{os.fspath(path)}: is a directory, not a file", code="io-error") from None
    except (OSError, ValueError) as err:  # ValueError: a NUL in the path
        raise FileError(f"{os.fspath(path)!r}: cannot read: {getattr(err, 'strerror', None) or err}",
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
    _refuse_early(target, overwrite)
    tmp = _stage(target, data)  # ours to remove until it has been moved into place
    placed = False
    try:
        _place(tmp, target, overwrite)
        placed = True
    finally:
        if not placed:
            _remove(tmp)
    _sync_directory(target.parent)


def write_all_atomic(items: Iterable[tuple[PathLike, bytes]], *, overwrite: bool = False) -> None:
    """Write several files, all or nothing: ``items`` are ``(path, bytes)`` pairs.

    Every file first goes to its temporary file (as ``write_bytes_atomic`` writes one), so a full
    disk or a folder that refuses a file fails before any name changes. Only then are they moved
    into place, in order; if a move fails, the files already moved are taken back: a new one is
    removed, and with ``overwrite`` a replaced one is put back from a hard link kept beside it (on a
    file system without hard links, a replaced file cannot be put back). Failures are those of
    ``write_bytes_atomic``.
    """
    items = list(items)
    targets = [Path(path) for path, _ in items]
    try:
        for target in targets:
            _refuse_early(target, overwrite)
        staged: list[tuple[str, Path]] = []  # (temporary file, target) not yet moved into place
        try:
            for target, (_, data) in zip(targets, items):
                staged.append((_stage(target, data), target))
            placed: list[tuple[Path, bool, str | None]] = []  # (target, replaced a file?, its hard link)
            try:
                while staged:
                    tmp, target = staged[0]
                    existed = overwrite and os.path.lexists(target)
                    backup = _keep_old(target) if existed else None
                    try:
                        _place(tmp, target, overwrite)
                    except BaseException:
                        if backup is not None:
                            _remove(backup)
                        raise
                    staged.pop(0)
                    placed.append((target, existed, backup))
            except BaseException:
                for target, existed, backup in reversed(placed):  # take back what was moved
                    if backup is not None:
                        os.replace(backup, target)
                    elif not existed:
                        _remove(os.fspath(target))
                raise
            for _, _, backup in placed:
                if backup is not None:
                    _remove(backup)
        finally:
            for tmp, _ in staged:
                _remove(tmp)
    except FileError:
        raise
    except (OSError, ValueError) as err:  # ValueError: a NUL in a path
        raise FileError(f"cannot write {', '.join(map(str, targets))}: {getattr(err, 'strerror', None) or err}",
                        code="io-error") from None
    for folder in dict.fromkeys(target.parent for target in targets):
        _sync_directory(folder)


def _refuse_early(target: Path, overwrite: bool) -> None:
    if target.is_dir():  # a directory (or a link to one) is never replaced, --force or not
        raise FileError(f"{target} is a directory", code="io-error")
    if not overwrite and os.path.lexists(target):  # early and friendly; the hard link is the real guard
        raise _exists(target)


def _stage(target: Path, data: bytes) -> str:
    """``data`` in a new temporary file beside ``target``, on disk (fsynced); returns its name."""
    directory = target.parent  # Path("x").parent is Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{_short(target.name)}.", suffix=".tmp")
    except OSError as err:
        raise FileError(f"cannot write in {directory}: {err.strerror or err}", code="io-error") from None
    try:
        with os.fdopen(fd, "wb") as handle:  # owns fd from here, so it is closed on any failure
            os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a written file gets the usual mode
            handle.write(data)
            handle.flush()
            os.fsync(fd)  # the bytes are on disk before the name points at them
    except BaseException:
        _remove(tmp)
        raise
    return tmp


def _place(tmp: str, target: Path, overwrite: bool) -> None:
    """Move the temporary file ``tmp`` to ``target`` (replacing it only with ``overwrite``)."""
    if overwrite:
        os.replace(tmp, target)  # a symlink at target is replaced itself, never followed
        return
    try:
        os.link(tmp, target)  # fails if target exists, even one that appeared a moment ago
    except FileExistsError:
        raise _exists(target) from None
    except OSError:  # no hard links on this file system (FAT, some network shares)
        _claim_and_replace(tmp, target)
    else:
        _remove(tmp)  # the file has its real name; drop the temporary one


def _keep_old(target: Path) -> str | None:
    """A hard link to the file at ``target`` beside it (a link itself, not followed), so that it can be
    put back; None when the file system has no hard links."""
    backup = os.path.join(target.parent, f".{_short(target.name)}.{secrets.token_hex(4)}.old.tmp")
    try:
        os.link(target, backup, follow_symlinks=False)
    except (OSError, NotImplementedError):
        return None
    return backup


def check_target(path: PathLike, *, overwrite: bool = False, create_folder: bool = False) -> None:
    """Before any work: would a file be written at ``path``? Refuses, as ``write_bytes_atomic`` would
    later, a directory (``io-error``), an existing file without ``overwrite`` (``exists``), and a
    folder that is missing (unless ``create_folder``: then the nearest folder that exists is checked),
    not a folder, or not writable (``io-error``). The write itself is still the real guard."""
    target = Path(path)
    shown = os.fspath(path)
    if target.is_dir():
        raise FileError(f"{shown} is a directory", code="io-error")
    if not overwrite and os.path.lexists(target):
        raise _exists(target)
    folder = target.parent
    probe = folder
    while create_folder and not os.path.lexists(probe) and probe != probe.parent:
        probe = probe.parent
    if not probe.exists():
        raise FileError(f"{shown}: its directory does not exist", code="io-error")
    if not probe.is_dir():
        raise FileError(f"{shown}: {probe} is not a directory", code="io-error")
    if not _writable(probe):
        raise FileError(f"{shown}: cannot write in {probe}: permission denied", code="io-error")


def _writable(folder: Path) -> bool:
    effective = os.access in os.supports_effective_ids
    return os.access(folder, os.W_OK | os.X_OK, effective_ids=effective)


def make_folder(path: PathLike) -> None:
    """Create the folder ``path`` will be written in (and its parents), if missing."""
    folder = Path(path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise FileError(f"{os.fspath(path)}: cannot create the folder {folder}: {err.strerror or err}",
                        code="io-error") from None


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
