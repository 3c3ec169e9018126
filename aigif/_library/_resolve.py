"""Resolution: which indexed file each model reference of an AIGIF file names.

A reference (the checkpoint ``model.id`` + ``model.hash``, ``model.vae``, each of
``model.adapters``) is looked up by hash first, then by name:

- a hash of a kind the index holds (``HASH_COLUMNS``) is compared with that column; a short kind
  compares a prefix (AutoV2 is the first 10 hex digits of the SHA-256). One file content matching
  is ``found``; several different contents matching a short hash are ``ambiguous``;
- no hash match, but a file of that name: ``hash-mismatch`` (the file there is not the one used);
- no hash, or one of a kind the index does not hold (BLAKE3): the name decides, ``found`` or
  ``ambiguous`` (several different files of that name);
- nothing: ``missing``.

A name matches a file name with or without its extension, case-sensitively first, then ignoring
case; only files of a kind the reference can be (a LoRA is looked for among LoRA and LyCORIS
files) match by name, while a hash match is trusted whatever folder the file lies in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._format._model import AigifFile
from ._index import IndexedFile
from ._kinds import FORMATS

__all__ = ["Reference", "Resolution", "references", "resolve", "resolve_all", "HASH_COLUMNS", "STATUSES"]

STATUSES = ("found", "missing", "hash-mismatch", "ambiguous")

#: AIGIF hash kind -> the index columns it is compared with, and how many hex digits. A 12-digit
#: AutoV3 value is also compared with the SHA-256's first 12: A1111 records ``TI hashes`` (and the
#: ``Lora hashes`` of non-safetensors LoRAs) that way, and files imported before hash kind
#: ``sha256-12`` existed store those 12 digits as autov3.
HASH_COLUMNS: dict[str, tuple[tuple[str, int], ...]] = {
    "sha256": (("sha256", 64),),
    "autov2": (("sha256", 10),),
    "autov1": (("autov1", 8),),
    "autov3": (("data_sha256", 12), ("sha256", 12)),
    "sha256-12": (("sha256", 12),),  # A1111 'TI hashes' (registry 7.12 code 7)
    "crc32": (("crc32", 8),),
}

#: The kinds of indexed file a reference may name (None: any).
_COMPATIBLE: dict[str, frozenset[str] | None] = {
    "checkpoint": frozenset({"checkpoint"}), "vae": frozenset({"vae"}),
    "lora": frozenset({"lora", "lycoris"}), "lycoris": frozenset({"lora", "lycoris"}),
    "embedding": frozenset({"embedding"}),
}


@dataclass(frozen=True)
class Reference:
    """One model file an AIGIF file names: where (``model.adapters[0]``), what kind, name and hash."""

    field: str
    kind: str
    name: str
    hash: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "kind": self.kind, "name": self.name, "hash": self.hash}


@dataclass(frozen=True)
class Resolution:
    """What a reference resolves to. ``files`` are the files matched (one when found)."""

    reference: Reference
    status: str  # one of STATUSES
    matched_by: str | None  # "hash", "name", or None when missing
    files: tuple[IndexedFile, ...] = ()
    note: str = ""

    @property
    def path(self) -> str | None:
        return self.files[0].path if len(self.files) == 1 else None

    def to_json(self) -> dict[str, Any]:
        return {**self.reference.to_json(), "status": self.status, "matched_by": self.matched_by,
                "path": self.path, "note": self.note,
                "files": [{"path": f.path, "kind": f.kind, "format": f.format, "loadable": f.loadable,
                           "sha256": f.sha256} for f in self.files]}


def references(obj: AigifFile) -> list[Reference]:
    """Every model reference of ``obj``: the checkpoint, the VAE, the adapters, in that order."""
    model = obj.model
    found = [Reference("model", "checkpoint", str(model.id), model.hash)]
    if model.vae is not None:
        found.append(Reference("model.vae", "vae", model.vae.name, model.vae.hash))
    found += [Reference(f"model.adapters[{i}]", str(adapter.kind), adapter.name, adapter.hash)
              for i, adapter in enumerate(model.adapters)]
    return found


def resolve_all(obj: AigifFile, files: Sequence[IndexedFile]) -> list[Resolution]:
    return [resolve(reference, files) for reference in references(obj)]


def resolve(reference: Reference, files: Sequence[IndexedFile]) -> Resolution:
    """Resolve one reference against the index's rows (see the module's rules)."""
    by_name = _by_name(reference, files)
    kind, _, digits = (reference.hash or "").partition(":")
    columns = HASH_COLUMNS.get(kind)
    if reference.hash and columns:
        by_hash = [row for row in files if any(_starts(getattr(row, column), digits.lower(), length)
                                               for column, length in columns)]
        if by_hash:
            return _pick(reference, by_hash, "hash")
        if by_name:
            return Resolution(reference, "hash-mismatch", "name", tuple(by_name),
                              f"a file of that name is there, but its hashes differ from {reference.hash}")
        return Resolution(reference, "missing", None, (), f"no file has the hash {reference.hash} or that name")
    note = f"{kind} hashes are not indexed: matched by name only" if reference.hash else ""
    if by_name:
        return _pick(reference, by_name, "name", note)
    return Resolution(reference, "missing", None, (), note or "no file of that name")


def _pick(reference: Reference, rows: list[IndexedFile], matched_by: str, note: str = "") -> Resolution:
    """``found`` when the rows are one content (copies or links of one file), else ``ambiguous``."""
    compatible = _COMPATIBLE.get(reference.kind)
    contents = _contents(rows)
    if len(contents) > 1 and compatible is not None:
        fitting = [row for row in rows if row.kind in compatible]
        contents = _contents(fitting) or contents
    if len(contents) == 1:
        group = next(iter(contents.values()))
        best = sorted(group, key=lambda row: (_name_key(row.name) != _name_key(reference.name), row.path))[0]
        return Resolution(reference, "found", matched_by, (best,), note)
    every = tuple(row for group in contents.values() for row in group)
    return Resolution(reference, "ambiguous", matched_by, every,
                      note or f"{len(contents)} different files match; name the one meant")


def _contents(rows: list[IndexedFile]) -> dict[str, list[IndexedFile]]:
    groups: dict[str, list[IndexedFile]] = {}
    for row in rows:
        groups.setdefault(row.sha256 or row.real_path, []).append(row)
    return groups


def _by_name(reference: Reference, files: Sequence[IndexedFile]) -> list[IndexedFile]:
    compatible = _COMPATIBLE.get(reference.kind)
    pool = [row for row in files if compatible is None or row.kind in compatible]
    key = _name_key(reference.name)
    exact = [row for row in pool if _name_key(row.name) == key]
    return exact or [row for row in pool if _name_key(row.name).casefold() == key.casefold()]


_EXTENSION = re.compile("(" + "|".join(re.escape(ext) for ext in FORMATS) + ")$", re.IGNORECASE)


def _name_key(name: str) -> str:
    """The file name without folders (``/`` or ``\\``) and without a model file's extension."""
    return _EXTENSION.sub("", re.split(r"[/\\]", name)[-1])


def _starts(value: str | None, digits: str, length: int) -> bool:
    return value is not None and len(digits) == length and value[:length] == digits
