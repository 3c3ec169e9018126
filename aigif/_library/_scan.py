"""Scanning: find the model files under the folders given, and index each one.

``model_folders`` turns a tool's root (A1111/Forge, ComfyUI, or their ``models`` folder) into its
standard model folders, so the scan skips the tool's code, virtual environment and outputs; any
other folder is walked whole. The walk follows links to folders (model folders are often links to
a shared disk) and refuses a link back to a folder it is inside. A file that cannot be indexed (a
loop, a broken link, no permission, a truncated safetensors file) is one ``Problem``, and the
scan goes on.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath

from .._errors import FileError, LibraryError
from ._hashes import hash_file
from ._index import Index, IndexedFile
from ._kinds import FOLDER_KINDS, family, file_format, folder_kind, header_kind, hub_repo
from ._safetensors import read_header

__all__ = ["Problem", "ScanSummary", "model_folders", "find_model_files", "scan"]


@dataclass(frozen=True)
class Problem:
    """A file or folder that could not be indexed: where, why, and the error's code."""

    path: str
    code: str
    message: str

    def error(self) -> LibraryError:
        return LibraryError(self.message, code=self.code)


@dataclass
class ScanSummary:
    """What a scan did."""

    folders: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    hashed: int = 0  # files read in full this time
    hashed_bytes: int = 0
    reused: int = 0  # files whose hashes the index already had
    forgotten: int = 0  # rows of files that are gone
    kinds: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"folders": self.folders, "files": self.files, "bytes": self.bytes, "hashed": self.hashed,
                "hashed_bytes": self.hashed_bytes, "reused": self.reused, "forgotten": self.forgotten,
                "kinds": dict(sorted(self.kinds.items())),
                "problems": [{"path": p.path, "code": p.code, "message": p.message} for p in self.problems]}


def model_folders(root: str | os.PathLike[str]) -> list[Path]:
    """The standard model folders under a tool's root, or ``[root]`` when it has none.

    Looks for the folders of ``FOLDER_KINDS`` directly in ``root`` (a ``models`` folder), in
    ``root/models`` (an A1111 or ComfyUI root), and for ``root/embeddings`` (A1111 keeps its
    embeddings beside ``models``). Names are compared in lower case.
    """
    root = Path(root)
    found = []
    for folder in (root, root / "models"):
        try:
            children = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue
        found += [Path(entry.path) for entry in children
                  if entry.name.lower() in FOLDER_KINDS and _is_dir(entry)]
    return found or [root]


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def find_model_files(folder: Path, problems: list[Problem]) -> Iterator[Path]:
    """Every model file below ``folder`` (links followed), in a stable order; problems appended."""
    try:
        top = folder.stat()
    except OSError as error:
        problems.append(_problem(folder, error))
        return
    yield from _walk(folder, [(top.st_dev, top.st_ino)], set(), problems)


def _walk(folder: Path, ancestors: list[tuple[int, int]], seen: set[tuple[int, int]],
          problems: list[Problem]) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as error:
        problems.append(_problem(folder, error))
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            info = entry.stat()  # follows links
        except OSError as error:
            problems.append(_problem(path, error))
            continue
        if stat.S_ISDIR(info.st_mode):
            identity = (info.st_dev, info.st_ino)
            if identity in ancestors:
                problems.append(Problem(str(path), "symlink-loop",
                                        f"{path}: a link back to a folder it is inside; not followed"))
            elif identity not in seen:  # a folder reached twice (two links) is walked once
                seen.add(identity)
                yield from _walk(path, [*ancestors, identity], seen, problems)
        elif stat.S_ISREG(info.st_mode) and file_format(entry.name):
            yield path


def _problem(path: Path, error: OSError) -> Problem:
    if error.errno == errno.ELOOP:
        return Problem(str(path), "symlink-loop", f"{path}: a link that leads back to itself")
    if error.errno == errno.ENOENT and os.path.islink(path):
        return Problem(str(path), "unreadable", f"{path}: a broken link (to {os.readlink(path)})")
    reason = error.strerror or str(error)
    return Problem(str(path), "unreadable", f"{path}: cannot read: {reason}")


Progress = Callable[[Path, int, int], None]  # (file, index from 1, count) before each file


def scan(folders: list[str | os.PathLike[str]], index: Index, *, discover: bool = True,
         progress: Progress | None = None) -> ScanSummary:
    """Index every model file under ``folders`` (each one's standard model folders when
    ``discover``) and forget the rows of files that are gone. A folder that does not exist is a
    ``FileError`` (``not-found``), raised before anything is indexed."""
    summary = ScanSummary()
    for folder in folders:
        if not Path(folder).is_dir():
            code = "not-found" if not os.path.lexists(folder) else "io-error"
            raise FileError(f"{os.fspath(folder)}: no such folder", code=code)
    targets = [target for folder in folders
               for target in (model_folders(folder) if discover else [Path(folder)])]
    summary.folders = [str(Path(os.path.abspath(target))) for target in targets]
    found: list[Path] = []
    for target in targets:
        found += find_model_files(Path(os.path.abspath(target)), summary.problems)
    unique = list(dict.fromkeys(found))
    for number, path in enumerate(unique, 1):
        if progress is not None:
            progress(path, number, len(unique))
        _index_one(path, index, summary)
    for folder_name in summary.folders:
        gone = [path for path in index.paths_under(folder_name) if not os.path.lexists(path)]
        index.forget(gone)
        summary.forgotten += len(gone)
    return summary


def _index_one(path: Path, index: Index, summary: ScanSummary) -> None:
    try:
        info = path.stat()
        real = os.path.realpath(path)
    except OSError as error:
        summary.problems.append(_problem(path, error))
        return
    base = IndexedFile(path=str(path), real_path=real, name=path.name, size=info.st_size, mtime_ns=info.st_mtime_ns,
                       inode=info.st_ino, device=info.st_dev, kind=folder_kind(path) or "unknown",
                       format=file_format(path.name) or "pickle",
                       repo=hub_repo(PurePath(real).parts) or hub_repo(path.parts))
    known = index.known(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    if known is not None:
        row = replace(base, kind=known.header_kind or base.kind, header_kind=known.header_kind, family=known.family,
                      sha256=known.sha256, data_sha256=known.data_sha256, autov1=known.autov1, crc32=known.crc32)
        summary.reused += 1
    else:
        row = _read(base, summary)
        if row.sha256 is not None:
            summary.hashed += 1
            summary.hashed_bytes += info.st_size
    index.put(row)
    summary.files += 1
    summary.bytes += info.st_size
    summary.kinds[row.kind] = summary.kinds.get(row.kind, 0) + 1


def _read(base: IndexedFile, summary: ScanSummary) -> IndexedFile:
    """Read the header (safetensors) and hash the file; a problem is recorded in the row too."""
    path, safetensors = Path(base.path), base.format == "safetensors"
    seen_kind = seen_family = None
    try:
        if safetensors:
            header = read_header(path)
            seen_kind, seen_family = header_kind(header), family(header)
        hashes = hash_file(path, safetensors=safetensors)
    except LibraryError as error:
        problem = Problem(str(path), error.code, error.message)
    except OSError as error:
        problem = _problem(path, error)
    else:
        return replace(base, kind=seen_kind or base.kind, header_kind=seen_kind, family=seen_family,
                       sha256=hashes.sha256, data_sha256=hashes.data_sha256, autov1=hashes.autov1, crc32=hashes.crc32)
    summary.problems.append(problem)
    return replace(base, error_code=problem.code, error=problem.message)
