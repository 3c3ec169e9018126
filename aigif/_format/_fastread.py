"""The fast path of the reader: straight-line code for files that are valid.

The construct schema (``_schema.py``) is the definition of the format, but interpreting it costs
about 200 µs a file, ten times what Pillow needs to pull a text chunk out of a PNG. This module
reads the same bytes in one pass with every check of the spec, and it only ever *accepts*: at the
first doubt it raises ``Reject``, and ``_read.loads`` hands the file to the schema, which decides
and names the error. So error codes always come from the schema, and the fast path can only be
wrong by accepting a file that the schema refuses or by building another object — which
``tests/format/test_fastread.py`` checks differentially against the schema on valid, mutated and
random inputs. Any other exception is a bug in this module and propagates as one.
"""

from __future__ import annotations

import zlib

from . import _compression
from . import _limits as L
from ._assemble import assemble
from ._fields import BY_TAG, CODES, MODEL_PAYLOAD, PIXELS, REFUSED_ESCAPES, REQUIRES, read_coded, read_nibbles
from ._model import AigifFile
from ._registry import ESCAPE_4BIT, ESCAPE_EXP, REGISTRIES
from ._schema import SIGNATURE
from ._wire import Reader, Reject, Violation, uvarint_at

R = REGISTRIES
#: What invalid bytes make the straight-line code raise before a check of its own does (a read past
#: the end of ``data``, bad UTF-8, a compressed block the compression registry refuses): a file that
#: is not provably valid, so the schema decides. Nothing else is caught.
_DOUBTS = (Reject, IndexError, UnicodeDecodeError, Violation)


#: R3.1, R3.2: the first 9 bytes of every file this reader implements.
_HEAD = SIGNATURE + b"\x01"
_crc32 = zlib.crc32


def _options_table() -> dict[int, tuple[int, int, int, int, int]]:
    """5.1: every valid pair of option bytes -> (save pixels, pixel, text, save model, model) codes (R5.1)."""
    table = {}
    for save_pixels in (0, 1):
        for pixel in PIXEL_CODES if save_pixels else (0,):
            for text in TEXT_CODES:
                for save_model in (0, 1):
                    for model in MODEL_CODES if save_model else (0,):
                        bits = save_pixels << 15 | pixel << 11 | text << 7 | save_model << 6 | model << 2
                        table[bits] = (save_pixels, pixel, text, save_model, model)
    return table


def _nibble_table(high: str, low: str) -> tuple:
    """A byte of two 4-bit codes -> (high value, low value); None where either is the escape (R4.7)."""
    return tuple(None if byte >> 4 == ESCAPE_4BIT or byte & 15 == ESCAPE_4BIT else
                 (CODES[high].get(byte >> 4, byte >> 4), CODES[low].get(byte & 15, byte & 15))
                 for byte in range(256))


def _exp_table(registry: str) -> tuple:
    """A one-byte exp code -> its value; None for the escape and for 0xFF (more bytes follow)."""
    return tuple(None if code in (ESCAPE_EXP, 0xFF) else CODES[registry].get(code, code) for code in range(256))


PIXEL_CODES, TEXT_CODES, MODEL_CODES = (tuple(R[name].names) for name in
                                        ("pixel_compressor", "text_compressor", "model_compressor"))
_OPTIONS = _options_table()
_DEVICE_ARCH, _DTYPE_SCHEDULER = _nibble_table("device", "arch"), _nibble_table("dtype", "scheduler")
_GPU, _CUDA, _MODEL = _exp_table("gpu"), _exp_table("cuda"), _exp_table("model")
#: Zigzag decimal heads already proven canonical (R4.4) -> their value: guidance scales repeat.
_DECIMALS: dict[int, float] = {}
_MODEL_NAMES = REFUSED_ESCAPES["model"]


def _decimal_at(data: bytes, pos: int, end: int) -> tuple[float, int]:
    """R4.4 through a cache of heads already proven canonical: guidance scales repeat (7, 7.5, ...)."""
    head, after = uvarint_at(data, pos, end)
    value = _DECIMALS.get(head)
    if value is None:
        r = Reader(data, pos, end)
        value, after = r.decimal(), r.pos
        if head & 3 != 3 and len(_DECIMALS) < 4096:  # k = 3 is binary64: the head alone is not the value
            _DECIMALS[head] = value
    return value, after


def parse(data: bytes) -> AigifFile:
    """Read a valid file quickly; raise ``Reject`` for anything else."""
    try:
        return _parse(data)
    except _DOUBTS:
        raise Reject from None


def _parse(data: bytes) -> AigifFile:
    """The core is read inline (one-byte codes and lengths through lookup tables, longer ones through
    ``Reader``): this is the path nearly every file takes, so it is where the time goes.
    """
    size = len(data)
    end = size - 4
    if size < 13 or data[:9] != _HEAD:  # R3.1, R3.2
        raise Reject
    if _crc32(data[:end]) != int.from_bytes(data[end:], "big"):  # R3.3
        raise Reject
    options = _OPTIONS.get(data[9] << 8 | data[10])  # 5.1, R5.1
    if options is None:
        raise Reject
    save_pixels, pixel_compressor, text_compressor, save_model, model_compressor = options
    r = Reader(data, 11, end)
    # 5.2 platform, 5.3 model: the common case is one byte per code
    pair = _DEVICE_ARCH[data[11]]
    if pair is None:
        r.pos = 11
        pair = read_nibbles(r, "device", "arch")
    else:
        r.pos = 12
    gpu = _GPU[data[r.pos]]
    if gpu is None:
        gpu = read_coded(r, "gpu")
    else:
        r.pos += 1
    cuda = _CUDA[data[r.pos]]
    if cuda is None:
        cuda = read_coded(r, "cuda")
    else:
        r.pos += 1
    model_id = _MODEL[data[r.pos]]
    if model_id is None:
        if data[r.pos] == ESCAPE_EXP and data[r.pos + 1] < 0x80:  # R4.7: a free name, as most are
            start = r.pos + 2
            r.pos = start + data[start - 1]
            model_id = data[start:r.pos].decode("utf-8")
            if r.pos > end or not model_id or model_id in _MODEL_NAMES:
                raise Reject
        else:
            model_id = read_coded(r, "model")
    else:
        r.pos += 1
    model = _DTYPE_SCHEDULER[data[r.pos]]
    if model is None:
        model = read_nibbles(r, "dtype", "scheduler")
    else:
        r.pos += 1
    # 5.4, 5.5 data
    length, start = uvarint_at(data, r.pos, end)
    r.pos = start + length
    if r.pos > end:
        raise Reject
    raw = data[start:r.pos]
    content = _compression.decompress(text_compressor, raw)
    size = len(content)
    length, at = uvarint_at(content, 0, size)  # R4.3: the prompt, then the negative prompt
    prompt = content[at:at + length].decode("utf-8")
    second, at = uvarint_at(content, at + length, size)
    if at + second != size or max(length, second) > L.MAX_STRING_BYTES:  # R5.5 (filled exactly), R4.3
        raise Reject
    negative_prompt = content[at:].decode("utf-8")
    height, pos = uvarint_at(data, r.pos, end)
    width, pos = uvarint_at(data, pos, end)
    seed, pos = uvarint_at(data, pos, end)
    steps, pos = uvarint_at(data, pos, end)
    if not (L.MIN_SIZE <= height <= L.MAX_SIZE and L.MIN_SIZE <= width <= L.MAX_SIZE
            and L.MIN_STEPS <= steps <= L.MAX_STEPS):  # R5.4
        raise Reject
    numbers = (height, width, seed, steps)
    guidance_scale, pos = _decimal_at(data, pos, end)
    # 6 fields
    fields: dict = {}
    count, pos = uvarint_at(data, pos, end)
    last_tag = -1
    for _ in range(count if count <= L.MAX_FIELDS else -1):
        tag = data[pos]
        if tag == 0xFF:  # R4.2: a tag of more than one byte
            r.pos = pos
            tag = r.exp()
            pos = r.pos
        else:
            pos += 1
        if tag <= last_tag:  # R6.2
            raise Reject
        last_tag = tag
        length, start = uvarint_at(data, pos, end)
        pos = start + length
        if pos > end:
            raise Reject
        field = BY_TAG.get(tag)
        if field is not None:
            inner = Reader(data, start, pos)
            fields[field] = field.read(inner)
            inner.done()  # R6.1
        elif tag % 2:  # R6.3
            raise Reject
        else:
            fields[tag] = data[start:pos]
    if count > L.MAX_FIELDS or bool(save_pixels) != (PIXELS in fields) or \
            bool(save_model) != (MODEL_PAYLOAD in fields):  # R6.1, R6.5
        raise Reject
    if save_pixels and pixel_compressor == 0 and len(fields[PIXELS]) != 3 * numbers[0] * numbers[1]:  # R6.6
        raise Reject
    if any(needs in fields and needed not in fields for needs, needed in REQUIRES):  # R6.10
        raise Reject
    r.pos = pos
    r.done()  # R3.4 (the checksum is the last 4 bytes, checked above)
    return assemble((pixel_compressor, text_compressor, model_compressor), (*pair, gpu, cuda), (model_id, *model),
                    (prompt, negative_prompt, raw), numbers, guidance_scale, fields)
