"""The index: one SQLite database, a row per model file found, with every hash of it.

It is a cache, nothing more: deleting it loses only time. It lives at
``platformdirs.user_cache_dir("aigif")/models.sqlite3`` (``$AIGIF_CACHE_DIR/models.sqlite3`` when
that variable is set, or any path given). A file's hashes are reused while its size, mtime and
inode are unchanged, so a multi-gigabyte checkpoint is read once, however often it is scanned and
under however many names (links) it is found.

Two scans may run at once (two terminals, a script and a user): the journal is WAL, every write is
one short ``BEGIN IMMEDIATE`` transaction, and a writer waits for the other (busy timeout) rather
than failing. Hashing happens outside any transaction.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from .._errors import LibraryError

__all__ = ["Index", "IndexedFile", "default_index_path", "SCHEMA_VERSION", "FILE_NAME"]

SCHEMA_VERSION = 1
FILE_NAME = "models.sqlite3"
BUSY_TIMEOUT_S = 60.0


def default_index_path() -> Path:
    """``$AIGIF_CACHE_DIR/models.sqlite3``, else the user's cache folder for aigif."""
    folder = os.environ.get("AIGIF_CACHE_DIR")
    if not folder:
        import platformdirs  # only when an index is opened: ``import aigif`` never pays for it

        folder = platformdirs.user_cache_dir("aigif", appauthor=False)
    return Path(folder) / FILE_NAME


@dataclass(frozen=True)
class IndexedFile:
    """One row: a model file as found (``path``, not resolved), what it is, and its hashes."""

    path: str  # absolute, as found (a link keeps its own name: tools match by that name)
    real_path: str  # the file it resolves to
    name: str  # the file name, as tools show it
    size: int
    mtime_ns: int
    inode: int
    device: int
    kind: str  # checkpoint | lora | lycoris | vae | embedding | upscaler | unknown
    format: str  # safetensors | pickle
    header_kind: str | None = None  # the kind its safetensors header showed, if any
    family: str | None = None
    repo: str | None = None  # the Hugging Face repository, for a file of the hub cache
    sha256: str | None = None
    data_sha256: str | None = None
    autov1: str | None = None
    crc32: str | None = None
    error_code: str | None = None
    error: str | None = None  # the last problem met with this file (then it may have no hashes)

    @property
    def loadable(self) -> bool:
        """Whether aigif would load it: safetensors only (pickle runs code when loaded)."""
        return self.format == "safetensors" and self.error is None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "loadable": self.loadable}


_COLUMNS = [f.name for f in fields(IndexedFile)]
_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, real_path TEXT NOT NULL, name TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, device INTEGER NOT NULL,
    kind TEXT NOT NULL, format TEXT NOT NULL, header_kind TEXT, family TEXT, repo TEXT,
    sha256 TEXT, data_sha256 TEXT, autov1 TEXT, crc32 TEXT, error_code TEXT, error TEXT
);
CREATE INDEX IF NOT EXISTS files_identity ON files (device, inode, size, mtime_ns);
CREATE INDEX IF NOT EXISTS files_sha256 ON files (sha256);
"""
assert all(column in _SCHEMA for column in _COLUMNS)


class Index:
    """An open index (a context manager). Every failure of the database is ``index-error``."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = Path(path) if path is not None else default_index_path()
        with self._guard("open"):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            with self._guard("open"):
                self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = NORMAL")
                self._migrate()
        except BaseException:
            self._db.close()
            raise

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # -- reading

    def files(self, kind: str | None = None) -> list[IndexedFile]:
        """Every row (of one kind), by kind then path."""
        where, args = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        return self._rows(f"SELECT {', '.join(_COLUMNS)} FROM files {where} ORDER BY kind, path", args)

    def known(self, device: int, inode: int, size: int, mtime_ns: int) -> IndexedFile | None:
        """A row of this very file content, hashed and unchanged since (any path that reaches it)."""
        rows = self._rows(f"SELECT {', '.join(_COLUMNS)} FROM files WHERE device = ? AND inode = ? AND size = ? "
                          "AND mtime_ns = ? AND sha256 IS NOT NULL LIMIT 1", (device, inode, size, mtime_ns))
        return rows[0] if rows else None

    def paths_under(self, folder: str) -> list[str]:
        """The paths of the rows found below ``folder``."""
        prefix = folder.rstrip(os.sep) + os.sep
        upper = prefix[:-1] + chr(ord(os.sep) + 1)
        with self._guard("read"):
            return [row[0] for row in self._db.execute("SELECT path FROM files WHERE path >= ? AND path < ?",
                                                       (prefix, upper))]

    # -- writing (each one short transaction)

    def put(self, row: IndexedFile) -> None:
        values = asdict(row)
        updates = ", ".join(f"{column} = excluded.{column}" for column in _COLUMNS[1:])
        with self._write():
            self._db.execute(f"INSERT INTO files ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
                             f"ON CONFLICT (path) DO UPDATE SET {updates}", [values[c] for c in _COLUMNS])

    def forget(self, paths: Sequence[str]) -> None:
        with self._write():
            self._db.executemany("DELETE FROM files WHERE path = ?", [(path,) for path in paths])

    # -- internals

    def _rows(self, sql: str, args: Sequence[object]) -> list[IndexedFile]:
        with self._guard("read"):
            return [IndexedFile(*row) for row in self._db.execute(sql, args)]

    def _migrate(self) -> None:
        with self._write():
            for statement in filter(str.strip, _SCHEMA.split(";")):
                self._db.execute(statement)
            row = self._db.execute("SELECT max(version) FROM schema_version").fetchone()
            version = row[0] if row else None
            if version is None:
                self._db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            elif version > SCHEMA_VERSION:
                raise LibraryError(f"{self.path}: the index was made by a newer aigif (schema {version}, this one "
                                   f"reads {SCHEMA_VERSION}); give another with --index, or delete it",
                                   code="index-error")

    @contextmanager
    def _write(self) -> Iterator[None]:
        with self._guard("write"):
            self._db.execute("BEGIN IMMEDIATE")  # waits (busy timeout) while another scan writes
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        """A database or file-system failure becomes one ``index-error`` that names the index."""
        try:
            yield
        except (sqlite3.Error, OSError) as error:
            raise LibraryError(f"{self.path}: cannot {what} the model index: {error}", code="index-error") from None
