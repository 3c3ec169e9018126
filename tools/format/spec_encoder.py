"""A small AIGIF v1 encoder written from the spec text, independent of the ``aigif`` package.

The conformance generator (``tools/gen_conformance.py``) and the tests build files byte by byte
with it, so that a file with exactly one defect can be made on purpose and a refusal is provably
caused by that defect. ``make_file`` and ``reseal`` always recompute the trailing CRC-32 (R3.3);
otherwise every mutation would be reported as ``bad-checksum`` and test nothing else (the PngSuite
lesson, ``format_anchors.md`` §3).
"""

from __future__ import annotations

import struct
import zlib

SIGNATURE = b"\x89AIG\r\n\x1a\n"  # R3.1


def checksum(body: bytes) -> bytes:
    """R3.3: the CRC-32 of ``body`` as u32be."""
    return struct.pack(">I", zlib.crc32(body))


def reseal(data: bytes) -> bytes:
    """Recompute the trailing CRC-32 (R3.3) of ``data``: zlib.crc32 of all but the last 4 bytes."""
    body = bytes(data[:-4])
    return body + checksum(body)


def uv(value: int) -> bytes:
    """R4.1 uvarint (LEB128)."""
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def exp(value: int) -> bytes:
    """R4.2 exp code."""
    extra, last = divmod(value, 255)
    return b"\xff" * extra + bytes([last])


def string(text: str | bytes) -> bytes:
    """R4.3 string: uvarint length + bytes (``bytes`` are taken as is, so invalid UTF-8 is possible)."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    return uv(len(data)) + data


def decimal_bytes(m: int, k: int) -> bytes:
    """R4.4 decimal m * 10**-k (k < 3), zigzag-encoded."""
    q = 2 * m if m >= 0 else -2 * m - 1
    return uv(q << 2 | k)


def binary64(value: float) -> bytes:
    """R4.4 decimal through the binary64 escape (k = 3, q = 0)."""
    return b"\x03" + struct.pack(">d", value)


def hash_value(kind: int, digest: bytes) -> bytes:
    """R4.5 hash: exp code kind, uvarint length, bytes."""
    return exp(kind) + uv(len(digest)) + digest


def map_value(entries: list[tuple[str | bytes, str | bytes]], count: int | None = None) -> bytes:
    """R4.6 map: uvarint count, then (name, string) pairs, written in the order given."""
    return uv(len(entries) if count is None else count) + b"".join(string(k) + string(v) for k, v in entries)


def model_ref(name: str | bytes, kind: int = 0, digest: bytes = b"") -> bytes:
    """R4.8 model reference: a name, then a hash (kind 0 = none)."""
    return string(name) + hash_value(kind, digest)


def field(tag: int, value: bytes) -> bytes:
    """R6.1 field: exp code tag, uvarint length, value."""
    return exp(tag) + uv(len(value)) + value


def compression(save_pixels=0, pixel=0, text=0, save_model=0, model=0, reserved=0) -> bytes:
    """R5.1 compression options, bits most significant first."""
    bits = save_pixels << 15 | pixel << 11 | text << 7 | save_model << 6 | model << 2 | reserved
    return struct.pack(">H", bits)


def nibbles(high: int, low: int) -> bytes:
    """Two 4-bit codes in one byte, the first in the high nibble (sections 5.2, 5.3)."""
    return bytes([high << 4 | low])


def text_content(prompt: str | bytes = "x", negative: str | bytes = "") -> bytes:
    """R5.5 the text block's content: the prompt and the negative prompt, as two strings."""
    return string(prompt) + string(negative)


def zstd_frame(content: bytes, *, level: int = 19) -> bytes:
    """One Zstandard frame declaring its content size (R5.5)."""
    import zstandard

    return zstandard.ZstdCompressor(level=level, write_content_size=True,
                                    write_checksum=False).compress(content)


def zstd_dict_frame(content: bytes, *, dict_id: int = 32768, level: int = 19) -> bytes:
    """R5.6: one zstd frame made with the published prompt dictionary (read from aigif/dictionaries/)."""
    import zstandard
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "aigif" / "dictionaries" / {32768: "prompts-v1.zdict"}[dict_id]
    dictionary = zstandard.ZstdCompressionDict(path.read_bytes(), dict_type=zstandard.DICT_TYPE_FULLDICT)
    return zstandard.ZstdCompressor(level=level, dict_data=dictionary, write_content_size=True,
                                    write_checksum=False).compress(content)


def text_block(prompt: str | bytes = "x", negative: str | bytes = "", *, compressor: str = "none") -> bytes:
    """R5.5 text block (uvarint length + stored block) holding two strings."""
    content = text_content(prompt, negative)
    if compressor == "zlib":
        content = zlib.compress(content, 9)
    elif compressor == "zstd":
        content = zstd_frame(content)
    elif compressor == "zstd-dict":
        content = zstd_dict_frame(content)
    elif compressor != "none":
        raise ValueError(compressor)
    return uv(len(content)) + content


def stored(block: bytes) -> bytes:
    """A text block from already-stored bytes (for broken compressed data)."""
    return uv(len(block)) + block


def make_file(*, version: bytes = b"\x01", comp: bytes | None = None, platform: bytes = b"\x00\x00\x00",
              model: bytes = b"\x00\x00", text: bytes | None = None, height: bytes = uv(512),
              width: bytes = uv(512), seed: bytes = b"\x00", steps: bytes = uv(50),
              guidance: bytes = b"\xd9\x04", fields: list[bytes] | tuple[bytes, ...] = (),
              field_count: bytes | None = None, crc: bytes | None = None, trailer: bytes = b"") -> bytes:
    """A file from its parts (spec section 3), with a correct CRC unless ``crc`` is given.

    Defaults give a minimal valid file: prompt "x", 512 x 512, seed 0, 50 steps, guidance 7.5.
    ``platform`` is device/arch byte + GPU + CUDA; ``model`` is model ID + dtype/scheduler byte.
    """
    body = (SIGNATURE + version + (compression() if comp is None else comp) + platform + model
            + (text_block() if text is None else text) + height + width + seed + steps + guidance
            + (uv(len(fields)) if field_count is None else field_count) + b"".join(fields))
    return body + (struct.pack(">I", zlib.crc32(body)) if crc is None else crc) + trailer


def zstd_frame_with_window(content: bytes, window_log: int) -> bytes:
    """A zstd frame for ``content`` whose header declares a window of 2**window_log bytes.

    libzstd writes small frames as "single segment" (no window descriptor), so the header is rebuilt
    by hand (RFC 8878 3.1.1.1): a 4-byte frame content size, the window descriptor, then the blocks.
    """
    import zstandard

    frame = zstandard.ZstdCompressor(level=3, write_content_size=True, write_checksum=False).compress(content)
    descriptor = frame[4]
    single_segment = descriptor >> 5 & 1
    fcs_flag = descriptor >> 6
    fcs_size = {0: single_segment, 1: 2, 2: 4, 3: 8}[fcs_flag]
    blocks = frame[5 + (0 if single_segment else 1) + (descriptor & 3 and [0, 1, 2, 4][descriptor & 3]) + fcs_size:]
    exponent = window_log - 10
    return (frame[:4] + bytes([2 << 6]) + bytes([exponent << 3]) + struct.pack("<I", len(content)) + blocks)
