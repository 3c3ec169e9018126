"""The text compressors of spec R5.5/R5.6 (registry 7.2), by code: each compresses as the reference
writer does (R10.3) and decompresses with the bounds a reader must keep (no bombs).

The registry is the one place a compressor is known: the schema, the fast path and the writer all
call ``compress``/``decompress`` with a code, and ``CODES`` is what the writer may choose from.
"""

from __future__ import annotations

import zlib
from typing import Protocol

import zstandard

from . import _dictionaries
from . import _limits as L
from ._wire import Violation


def compress(code: int, content: bytes) -> bytes:
    """R10.3: the reference writer's compressed form of ``content``."""
    compressor = _COMPRESSORS.get(code)
    if compressor is None:
        raise Violation("unsupported-compressor", f"text compressor {code}")
    return compressor.compress(content)


def decompress(code: int, raw: bytes, limit: int = L.MAX_TEXT_BLOCK_BYTES, window: int = L.MAX_ZSTD_WINDOW,
               path=None, exact: int | None = None) -> bytes:
    """R5.5, R6.8: one stored block, zlib stream or zstd frame, nothing after it, at most ``limit`` bytes out.

    The defaults are the text block's (R5.5). With ``exact`` (the source metadata's declared length,
    R6.8) the content must be exactly that long, and exceeding it is a broken block, not a limit.
    """
    compressor = _COMPRESSORS.get(code)
    if compressor is None:
        raise Violation("unsupported-compressor", f"text compressor {code}", path)
    try:
        return compressor.decompress(raw, limit, window, path, exact)
    except (zlib.error, zstandard.ZstdError) as err:
        raise Violation("bad-compressed-data", f"cannot decompress: {err}", path) from None


class Compressor(Protocol):
    """One entry of the registry: the writer's form, and a bounded reader."""

    def compress(self, content: bytes) -> bytes: ...

    def decompress(self, raw: bytes, limit: int, window: int, path: str | None, exact: int | None) -> bytes: ...


class _Stored:
    """Code 0, ``none``: the content as is."""

    @staticmethod
    def compress(content: bytes) -> bytes:
        return content

    @staticmethod
    def decompress(raw: bytes, limit: int, window: int, path, exact: int | None) -> bytes:
        if exact is not None and len(raw) != exact:
            raise Violation("bad-compressed-data", f"stored block of {len(raw)} bytes, declared {exact}", path)
        if len(raw) > limit:
            raise Violation("limit-exceeded", f"text block of {len(raw)} bytes (limit {limit})", path)
        return raw


class _Zlib:
    """Code 1: one zlib stream (RFC 1950), level 9."""

    @staticmethod
    def compress(content: bytes) -> bytes:
        return zlib.compress(content, 9)

    @staticmethod
    def decompress(raw: bytes, limit: int, window: int, path, exact: int | None) -> bytes:
        engine = zlib.decompressobj()
        out = engine.decompress(raw, limit + 1)
        if len(out) > limit:
            raise Violation(_over(exact), f"compressed block expands beyond {limit} bytes", path)
        if not engine.eof or engine.unused_data or engine.unconsumed_tail:
            raise Violation("bad-compressed-data", "zlib stream is incomplete or followed by other bytes", path)
        if exact is not None and len(out) != exact:
            raise Violation("bad-compressed-data", f"zlib stream holds {len(out)} bytes, declared {exact}", path)
        return out


class _Zstd:
    """Code 2: one zstd frame (RFC 8878) that declares its content size, level 19, no dictionary."""

    dictionary = False

    def compress(self, content: bytes) -> bytes:
        return zstandard.ZstdCompressor(level=19, write_content_size=True, write_checksum=False).compress(content)

    def decompress(self, raw: bytes, limit: int, window: int, path, exact: int | None) -> bytes:
        params = _frame_parameters(raw, window, path)
        if params.content_size in (zstandard.CONTENTSIZE_UNKNOWN, zstandard.CONTENTSIZE_ERROR):
            raise Violation("bad-compressed-data", "zstd frame does not declare its content size", path)
        if params.content_size > limit:
            raise Violation(_over(exact), f"compressed block expands beyond {limit} bytes", path)
        if exact is not None and params.content_size != exact:
            raise Violation("bad-compressed-data", f"zstd frame declares {params.content_size} bytes, "
                            f"the field {exact}", path)
        if params.window_size > window:
            raise Violation("limit-exceeded", f"zstd window of {params.window_size} bytes (limit {window})", path)
        engine = self._engine(params.dict_id, max(window, 1 << 10), path)
        # One frame into a buffer of its declared size (checked above): libzstd refuses a frame that
        # holds more than it declares, and anything after the frame is refused, so memory stays bounded.
        # (Arguments by position: max_output_size, read_across_frames, allow_extra_data; keywords cost
        # a third of the call on the reader's fast path.)
        out = engine.decompress(raw, 0, False, False)
        if len(out) != params.content_size:
            raise Violation("bad-compressed-data", "zstd frame holds other than it declares", path)
        return out

    @staticmethod
    def _engine(dict_id: int, window: int, path) -> zstandard.ZstdDecompressor:
        if dict_id:
            raise Violation("bad-compressed-data", f"zstd frame names dictionary {dict_id}; "
                            "compressor zstd uses none", path)
        return zstandard.ZstdDecompressor(max_window_size=window)


class _ZstdDict(_Zstd):
    """Code 3 (R5.6): one zstd frame made with a published prompt dictionary, named by its ID."""

    def compress(self, content: bytes) -> bytes:
        try:
            return _dictionaries.compressor().compress(content)
        except (OSError, RuntimeError) as err:  # the package's dictionary file is missing or altered
            raise Violation("unsupported-compressor", f"the prompt dictionary is not usable here: {err}") from None

    @staticmethod
    def _engine(dict_id: int, window: int, path) -> zstandard.ZstdDecompressor:
        if not dict_id:
            raise Violation("bad-compressed-data", "zstd-dict frame names no dictionary", path)
        if dict_id not in _dictionaries.DICTIONARIES:
            raise Violation("unsupported-compressor", f"zstd dictionary {dict_id} is not known to this reader "
                            f"(it knows {', '.join(map(str, _dictionaries.DICTIONARIES))})", path)
        try:
            return _dictionaries.decompressor(dict_id, window)
        except (OSError, RuntimeError) as err:  # R5.6: a dictionary this reader does not hold
            raise Violation("unsupported-compressor", f"zstd dictionary {dict_id} is not usable here: {err}",
                            path) from None


def _over(exact: int | None) -> str:
    """Past the limit: a limit for a text block; a broken block where the length was declared (R6.8)."""
    return "limit-exceeded" if exact is None else "bad-compressed-data"


def _frame_parameters(raw: bytes, window: int, path):
    try:
        return zstandard.get_frame_parameters(raw)
    except zstandard.ZstdError:  # libzstd refuses windows above 2**31 before it reports them
        declared = _zstd_window(raw)
        if declared is not None and declared > window:
            raise Violation("limit-exceeded", f"zstd window of {declared} bytes (limit {window})", path) from None
        raise


def _zstd_window(raw: bytes) -> int | None:
    """The window size a zstd frame header declares (RFC 8878 3.1.1.1.2), or None if it has none."""
    if len(raw) < 6 or raw[:4] != b"\x28\xb5\x2f\xfd" or raw[4] >> 5 & 1:  # single segment: no descriptor
        return None
    exponent, mantissa = raw[5] >> 3, raw[5] & 7
    base = 1 << (10 + exponent)
    return base + (base >> 3) * mantissa


#: registry 7.2: code -> compressor. The writer tries each in turn and keeps the smallest (R10.3).
_COMPRESSORS: dict[int, Compressor] = {0: _Stored(), 1: _Zlib(), 2: _Zstd(), 3: _ZstdDict()}
CODES = tuple(_COMPRESSORS)
