"""The prompt dictionaries of spec R5.6: zstd dictionaries shipped with the package, by dictionary ID.

A ``zstd-dict`` frame names its dictionary in its header. Each dictionary file is checked against
the SHA-256 the spec publishes the first time it is used, and its decompressor (cheap) and level-19
compressor (about 10 ms to prepare) are then kept for the life of the process.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources

import zstandard

#: dictionary ID -> (file in aigif/dictionaries, SHA-256), as in spec R5.6.
DICTIONARIES = {
    32768: ("prompts-v1.zdict", "e22ba2b2bb34f43a386faf45dcccef11572fed03047e560942cdaf4bdb71fd05"),
}
NEWEST = max(DICTIONARIES)  # what the writer uses


@lru_cache(maxsize=None)
def dictionary(dict_id: int) -> zstandard.ZstdCompressionDict:
    """The dictionary with this ID (KeyError if the spec has none; RuntimeError if the file is not as published)."""
    name, sha256 = DICTIONARIES[dict_id]
    data = resources.files("aigif").joinpath("dictionaries").joinpath(name).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise RuntimeError(f"aigif/dictionaries/{name} is not the published dictionary {dict_id} (SHA-256 differs)")
    return zstandard.ZstdCompressionDict(data, dict_type=zstandard.DICT_TYPE_FULLDICT)


@lru_cache(maxsize=None)
def decompressor(dict_id: int, max_window_size: int) -> zstandard.ZstdDecompressor:
    return zstandard.ZstdDecompressor(dict_data=dictionary(dict_id), max_window_size=max_window_size)


@lru_cache(maxsize=None)
def compressor() -> zstandard.ZstdCompressor:
    """R10.3: level 19, content size in the header, no checksum, the newest dictionary."""
    return zstandard.ZstdCompressor(level=19, dict_data=dictionary(NEWEST), write_content_size=True,
                                    write_checksum=False, write_dict_id=True)
