"""Every hash a model file is known by, from one streaming read of the file.

Images name their models by short hashes that other tools defined; the index stores enough to
answer each of them without reading the file again:

- ``sha256``: SHA-256 of the whole file. **AutoV2** (A1111's ``Model hash`` since 2023, Civitai
  "AutoV2") is its first 10 hex digits; A1111's ``TI hashes`` (embeddings) are its first 12.
- ``data_sha256``: SHA-256 of a ``.safetensors`` file's bytes after its header, i.e. from offset
  ``8 + N`` where ``N`` is the little-endian 64-bit number in the first 8 bytes. **AutoV3**
  (Civitai) is its first 12 hex digits, and so are A1111's ``Lora hashes`` of safetensors LoRAs
  (the hash of sd-webui-additional-networks, which A1111 reuses for LoRAs). Only safetensors
  files have one.
- ``autov1``: A1111's legacy ``Model hash`` (Civitai "AutoV1"): SHA-256 of the 0x10000 bytes at
  offset 0x100000 (64 KiB from 1 MiB on), first 8 hex digits. A file shorter than that window
  hashes what the window holds (possibly nothing), as the original did.
- ``crc32``: CRC-32 of the whole file (AIGIF hash kind ``crc32``).

Sources (facts only, no code taken): the Civitai REST API reference (``hashes`` of a model file:
AutoV1, AutoV2, AutoV3, SHA256, CRC32, BLAKE3), the ``model_hash``/``calculate_sha256`` and
``addnet_hash_safetensors`` definitions as documented in kohya-ss/sd-scripts ``library/train_util.py``
("old/new model hash used by stable-diffusion-webui", "new model hash used by
sd-webui-additional-networks"), and A1111's infotext fields ``Model hash``, ``Lora hashes``,
``TI hashes``. BLAKE3 (AIGIF kind ``blake3``) needs a package outside the standard library and
is not computed: a reference that only has one is matched by name.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["FileHashes", "hash_file", "hash_stream", "CHUNK", "AUTOV1_OFFSET", "AUTOV1_LENGTH"]

CHUNK = 4 << 20  # bytes per read: large enough that the per-call overhead vanishes
AUTOV1_OFFSET, AUTOV1_LENGTH = 0x100000, 0x10000


@dataclass(frozen=True)
class FileHashes:
    """The digests of one file, as lower-case hex."""

    sha256: str
    autov1: str
    crc32: str
    data_sha256: str | None = None  # safetensors files only

    def as_dict(self) -> dict[str, str | None]:
        return {"sha256": self.sha256, "data_sha256": self.data_sha256, "autov1": self.autov1, "crc32": self.crc32}


def hash_file(path: str | Path, *, safetensors: bool = False) -> FileHashes:
    """Every hash of the file at ``path``, reading it once (``OSError`` as the file system raises it).

    ``safetensors`` asks for ``data_sha256`` too: the data offset is taken from the file's first
    8 bytes, in the same read.
    """
    with open(path, "rb", buffering=0) as handle:
        return hash_stream(handle, safetensors=safetensors)


def hash_stream(stream: BinaryIO, *, safetensors: bool = False) -> FileHashes:
    """``hash_file`` over an open binary stream, from its current position to its end."""
    whole, data = hashlib.sha256(), hashlib.sha256() if safetensors else None
    window = bytearray()  # the AutoV1 window, filled as the read passes over it
    prefix = bytearray()  # the safetensors header length, the first 8 bytes
    crc = 0
    position = 0
    data_offset: int | None = None
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    while True:
        count = stream.readinto(buffer)  # type: ignore[attr-defined]
        if not count:
            break
        chunk = view[:count]
        whole.update(chunk)
        crc = zlib.crc32(chunk, crc)
        end = position + count
        if position < AUTOV1_OFFSET + AUTOV1_LENGTH and end > AUTOV1_OFFSET:
            window += chunk[max(0, AUTOV1_OFFSET - position):AUTOV1_OFFSET + AUTOV1_LENGTH - position]
        if data is not None:
            if data_offset is None:
                prefix += chunk[:8 - len(prefix)]
                if len(prefix) == 8:
                    data_offset = 8 + int.from_bytes(prefix, "little")
            if data_offset is not None and end > data_offset:
                data.update(chunk[max(0, data_offset - position):])
        position = end
    return FileHashes(sha256=whole.hexdigest(), autov1=hashlib.sha256(window).hexdigest()[:8],
                      crc32=f"{crc & 0xFFFFFFFF:08x}",
                      data_sha256=data.hexdigest() if data is not None and data_offset is not None else None)
