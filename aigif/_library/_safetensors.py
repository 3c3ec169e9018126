"""The header of a ``.safetensors`` file, read without touching its tensors.

A safetensors file is an 8-byte little-endian length ``N``, then ``N`` bytes of JSON (an object
mapping each tensor's name to its dtype, shape and offsets, plus an optional ``__metadata__``
object of strings), then the tensor data. Only the header is read, and a header larger than
``MAX_HEADER`` is refused before it is read: a hostile length cannot make the scan allocate
gigabytes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import LibraryError

__all__ = ["Header", "read_header", "MAX_HEADER"]

MAX_HEADER = 100_000_000  # bytes; real headers are kilobytes to a few megabytes


@dataclass(frozen=True)
class Header:
    """What a safetensors header says: the tensors' names and shapes, and the metadata strings."""

    length: int  # N: the data starts at 8 + N
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def data_offset(self) -> int:
        return 8 + self.length


def read_header(path: str | Path) -> Header:
    """The header of the file at ``path``; ``LibraryError`` ``bad-safetensors`` when it is truncated,
    too large or not a JSON object (``OSError`` as the file system raises it)."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise _bad(path, f"truncated: {size} bytes, shorter than the 8-byte header length")
        length = int.from_bytes(prefix, "little")
        if length > MAX_HEADER:
            raise _bad(path, f"header of {length:,} bytes, larger than the {MAX_HEADER:,} accepted")
        if 8 + length > size:
            raise _bad(path, f"truncated: the header says {length:,} bytes, the file has {size - 8:,} after the length")
        text = handle.read(length)
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise _bad(path, f"the header is not JSON ({error})") from None
    if not isinstance(document, dict):
        raise _bad(path, "the header is not a JSON object")
    return Header(length=length, shapes=_shapes(document), metadata=_metadata(document))


def _shapes(document: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    shapes = {}
    for name, entry in document.items():
        if name == "__metadata__":
            continue
        shape = entry.get("shape") if isinstance(entry, dict) else None
        shapes[name] = tuple(n for n in shape if isinstance(n, int)) if isinstance(shape, list) else ()
    return shapes


def _metadata(document: dict[str, Any]) -> dict[str, str]:
    metadata = document.get("__metadata__")
    if not isinstance(metadata, dict):
        return {}
    return {str(key): value for key, value in metadata.items() if isinstance(value, str)}


def _bad(path: str | Path, problem: str) -> LibraryError:
    return LibraryError(f"{os.fspath(path)}: not a valid safetensors file: {problem}", code="bad-safetensors")
