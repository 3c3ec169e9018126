"""Issue 7, corruption detection: every single-byte change and every truncation of every valid
conformance file is refused.

Two halves make the proof:

* **The checksum cannot miss it** (exhaustive, every file, every position, every one of the 255
  changes of a byte, every truncation). A change of one byte at a position followed by *t* bytes
  alters zlib's CRC-32 by a *syndrome* that depends only on the change and on *t* (CRC-32 is affine
  in its input), so "no single-byte change keeps the checksum" is "no syndrome is zero", checked here
  for every change and every *t* up to the largest file. A truncation keeps the checksum only if the
  4 bytes before the cut happen to be the CRC-32 of everything before them; that is computed for
  every cut of every file.
* **The reader refuses a wrong checksum** on every file (R3.3, R9.2): it is given each file with
  single-byte changes at every position and each of its truncations, and must raise ``FormatError``.
  (At three changes a position; all 255 would cost an hour of schema parsing and add nothing that
  the exhaustive half does not already show.)
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

import aigif

SUITE = Path(__file__).resolve().parents[2] / "conformance" / "suite"


def _accepted(path: Path) -> bool:
    try:
        aigif.loads(path.read_bytes())
    except aigif.FormatError:
        return False
    return True


#: Every valid case (``y_``), and the implementation-defined ones (``i_``) this reader accepts.
VALID = [path for path in sorted(SUITE.glob("*.aigif"))
         if path.name.startswith("y_") or (path.name.startswith("i_") and _accepted(path))]
#: The reader half runs on every position of files up to this size; above it (4 files, among them
#: 256 adapters and the 64 KiB prompt, whose schema parse is slow), on their first and last 128
#: bytes and every 61st byte between.
EVERY_POSITION_UP_TO = 512


def _crc_table() -> np.ndarray:
    """zlib's reflected CRC-32 table (polynomial 0xEDB88320)."""
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(0xEDB88320), table >> 1).astype(np.uint32)
    return table


def _syndromes(max_tail: int):
    """Yield (t, syndromes of the 255 byte changes at a position followed by t bytes).

    The syndrome of change d at tail 0 is crc32(d) ^ crc32(0); one more byte after it is one step of
    the CRC register fed a zero byte.
    """
    table = _crc_table()
    deltas = np.arange(1, 256, dtype=np.uint32)
    syndrome = np.array([zlib.crc32(bytes([d])) ^ zlib.crc32(b"\0") for d in range(1, 256)], dtype=np.uint32)
    for tail in range(max_tail + 1):
        yield tail, deltas, syndrome
        syndrome = table[syndrome & 0xFF] ^ (syndrome >> 8)


def test_the_syndromes_are_those_of_zlib():
    """The shortcut must agree with recomputing the CRC of really altered bytes, or it proves nothing."""
    body = bytes(range(37, 37 + 40))
    for tail, deltas, syndrome in _syndromes(len(body) - 1):
        position = len(body) - 1 - tail
        for d, expected in zip(deltas[::17], syndrome[::17]):
            altered = bytearray(body)
            altered[position] ^= int(d)
            assert zlib.crc32(bytes(altered)) ^ zlib.crc32(body) == int(expected)


def test_no_single_byte_change_of_any_valid_file_keeps_its_checksum():
    largest = max(path.stat().st_size for path in VALID)
    zero = [(int(d), tail) for tail, deltas, syndrome in _syndromes(largest) for d in deltas[syndrome == 0]]
    assert zero == [], f"single-byte changes the CRC-32 cannot see: {zero[:5]}"
    # A change inside the checksum itself leaves the content as it was, so the stored value differs.
    assert len(VALID) > 290


def test_no_truncation_of_any_valid_file_keeps_a_matching_checksum():
    for path in VALID:
        data = path.read_bytes()
        crc = 0  # the CRC-32 of data[:cut - 4], kept up to date as the cut moves on
        for cut in range(4, len(data)):  # the prefix data[:cut] would end in the checksum data[cut-4:cut]
            assert crc != int.from_bytes(data[cut - 4:cut], "big"), f"{path.name} cut at {cut}"
            crc = zlib.crc32(data[cut - 4:cut - 3], crc)


def _positions(size: int) -> range | list[int]:
    if size <= EVERY_POSITION_UP_TO:
        return range(size)
    return sorted({*range(128), *range(size - 128, size), *range(128, size - 128, 61)})


@pytest.mark.slow
@pytest.mark.parametrize("path", VALID, ids=lambda path: path.stem)
def test_the_reader_refuses_every_single_byte_change_and_truncation(path):
    data = path.read_bytes()
    for position in _positions(len(data)):
        for change in (0x01, 0x80, 0xFF):
            altered = bytearray(data)
            altered[position] ^= change
            with pytest.raises(aigif.FormatError):
                aigif.loads(bytes(altered))
        with pytest.raises(aigif.FormatError):
            aigif.loads(data[:position])
