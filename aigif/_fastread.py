"""The fast path of the reader: straight-line code for files that are valid.

The construct schema (``_schema.py``) is the definition of the format, but interpreting it costs
about 200 µs a file, ten times what Pillow needs to pull a text chunk out of a PNG. This module
reads the same bytes in one pass with every check of the spec, and it only ever *accepts*: at the
first doubt it raises ``Reject``, and ``_codec.loads`` hands the file to the schema, which decides
and names the error. So error codes always come from the schema, and the fast path can only be
wrong by accepting a file that the schema refuses or by building another object — which
``tests/test_fastread.py`` checks differentially against the schema on valid, mutated and random
inputs.
"""

from __future__ import annotations

import math
import struct
import zlib

from . import _limits as L
from ._assemble import assemble, coded, determinism, faithfulness, hash_text, scheduler_options, source_metadata
from ._model import Adapter, AigifFile, ModelRef
from ._primitives import decimal_form
from ._registry import ESCAPE_4BIT, ESCAPE_EXP, HASH_LENGTHS, REGISTRIES
from ._schema import FIELDS, SIGNATURE, decompress, decompress_text

R = REGISTRIES
PIXEL_CODECS, TEXT_CODECS, MODEL_CODECS = (frozenset(R[name].names) for name in
                                           ("pixel_compressor", "text_compressor", "model_compressor"))
NAMES = {name: frozenset(reg.codes) for name, reg in R.items()}
CODES = {name: reg.names for name, reg in R.items()}  # code -> name; an unknown code stays a number
_unpack_double = struct.Struct(">d").unpack_from


class Reject(Exception):
    """Not provably valid here: let the schema decide."""


class _Reader:
    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, pos: int, end: int):
        self.data, self.pos, self.end = data, pos, end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise Reject
        self.pos += 1
        return self.data[self.pos - 1]

    def take(self, length: int) -> bytes:
        start = self.pos
        if start + length > self.end:
            raise Reject
        self.pos = start + length
        return self.data[start:self.pos]

    def uvarint(self, minimum: int = 0, maximum: int = L.MAX_UVARINT) -> int:
        # R4.1 (and the field's range, R6.7)
        data, pos, end = self.data, self.pos, self.end
        if pos < end and data[pos] < 0x80:  # one byte: most lengths, steps, small codes
            value = data[pos]
            if not minimum <= value <= maximum:
                raise Reject
            self.pos = pos + 1
            return value
        value = shift = 0
        for index in range(L.MAX_UVARINT_BYTES):
            if pos >= end:
                raise Reject
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                if (byte == 0 and index) or not minimum <= value <= maximum:
                    raise Reject
                self.pos = pos
                return value
            shift += 7
        raise Reject

    def exp(self) -> int:
        # R4.2
        for index in range(L.MAX_EXP_CODE_BYTES):
            byte = self.byte()
            if byte != 0xFF:
                return 255 * index + byte
        raise Reject

    def string(self, nonempty: bool = False, maximum: int = L.MAX_STRING_BYTES) -> str:
        # R4.3 (UnicodeDecodeError is an exception like any other: the schema takes over)
        length = self.uvarint(1 if nonempty else 0, maximum)
        return self.take(length).decode("utf-8")

    def escaped(self, registry: str) -> str:
        # R4.7
        name = self.string(nonempty=True)
        if name in NAMES[registry]:
            raise Reject
        return name

    def decimal(self) -> float:
        # R4.4
        head = self.uvarint()
        k, q = head & 3, head >> 2
        if k == 3:
            if q:
                raise Reject
            (value,) = _unpack_double(self.take(8))
            if not math.isfinite(value) or decimal_form(value) is not None:
                raise Reject
            return value
        m = (q >> 1) ^ -(q & 1)
        if abs(m) > 2**53:
            raise Reject
        value = float(f"{m}e-{k}") if k else float(m)
        if decimal_form(value) != (m, k):
            raise Reject
        return value

    def hash(self) -> tuple[int, bytes]:
        # R4.5
        kind = self.exp()
        digest = self.take(self.uvarint(0, L.MAX_HASH_BYTES))
        name = R["hash_kind"].names.get(kind)
        if name is not None and HASH_LENGTHS[name] != len(digest):
            raise Reject
        return kind, digest

    def map(self) -> dict[str, str]:
        # R4.6
        entries = {}
        previous = None
        for _ in range(self.uvarint(1, L.MAX_ENTRIES)):
            key = self.string(nonempty=True)
            encoded = key.encode("utf-8")
            if previous is not None and not previous < encoded:
                raise Reject
            previous = encoded
            entries[key] = self.string()
        return entries

    def done(self) -> None:
        if self.pos != self.end:
            raise Reject


def _coded_byte(r: _Reader, high: str, low: str) -> tuple:
    if r.pos >= r.end:
        raise Reject
    byte = r.data[r.pos]
    r.pos += 1
    hi, lo = byte >> 4, byte & 15
    return (r.escaped(high) if hi == ESCAPE_4BIT else CODES[high].get(hi, hi),
            r.escaped(low) if lo == ESCAPE_4BIT else CODES[low].get(lo, lo))


def _coded_exp(r: _Reader, registry: str):
    if r.pos < r.end and r.data[r.pos] < 0xFF:  # a one-byte code, as nearly all are
        code = r.data[r.pos]
        r.pos += 1
    else:
        code = r.exp()
    return r.escaped(registry) if code == ESCAPE_EXP else CODES[registry].get(code, code)


def _field(r: _Reader, name: str):
    """One known field's value (R6.7), from a reader bounded to the field's length."""
    if name in ("torch", "diffusers", "cpu_capability", "attention", "cpu_vendor", "cpu_model"):
        return r.string(nonempty=True)
    if name == "scheduler_options":
        return scheduler_options(r.uvarint(1, 127))
    if name in ("scheduler_config", "software"):
        return r.map()
    if name == "vae":
        ref = r.string(nonempty=True)
        return ModelRef(ref, hash_text(*r.hash()))
    if name == "adapters":
        adapters = []
        for _ in range(r.uvarint(1, L.MAX_ENTRIES)):
            kind = _coded_exp(r, "adapter_kind")
            ref = r.string(nonempty=True)
            digest = hash_text(*r.hash())
            adapters.append(Adapter(name=ref, kind=kind, hash=digest, weight=r.decimal()))
        return tuple(adapters)
    if name == "threads":
        return r.uvarint(1, L.MAX_THREADS)
    if name == "clip_skip":
        return r.uvarint(1, L.MAX_CLIP_SKIP)
    if name == "determinism":
        return determinism(r.uvarint(0, 31))
    if name == "determinism_profile":  # code 0 (native) is a value here, unlike rng's (R6.4)
        return _coded_exp(r, "determinism_profile")
    if name == "rng":
        code = r.exp()
        if code == 0:
            raise Reject
        return r.escaped("rng") if code == ESCAPE_EXP else coded("rng", code)
    if name in ("eta", "guidance_rescale"):
        value = r.decimal()
        if value == 0:
            raise Reject
        return value
    if name == "strength":
        value = r.decimal()
        if not 0.0 <= value <= 1.0:
            raise Reject
        return value
    if name in ("model_hash", "pixel_digest"):
        kind, digest = r.hash()
        if kind == 0:
            raise Reject
        return hash_text(kind, digest)
    if name in ("pixels", "model_payload"):
        return r.take(r.end - r.pos)
    if name in ("source_tool", "source_version"):
        return r.string(nonempty=True)
    if name == "faithfulness":
        level = _coded_exp(r, "faithfulness")
        return faithfulness(level, [r.string() for _ in range(r.uvarint(0, L.MAX_REASONS))])
    if name == "source_metadata":  # R6.8
        codec = r.exp()
        if codec not in TEXT_CODECS:
            raise Reject
        length = r.uvarint(1, L.MAX_SOURCE_METADATA_BYTES)
        raw = r.take(r.end - r.pos)
        content = decompress(codec, raw, L.MAX_SOURCE_METADATA_BYTES, L.MAX_SOURCE_ZSTD_WINDOW, exact=length)
        t = _Reader(content, 0, len(content))
        entries = [(t.string(nonempty=True), t.string(nonempty=True), t.string(maximum=L.MAX_SOURCE_METADATA_BYTES))
                   for _ in range(t.uvarint(1, L.MAX_ENTRIES))]
        t.done()
        return source_metadata(entries, codec, raw)
    raise Reject  # a field the schema knows and this module does not: let the schema read it


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
_MODEL_NAMES = NAMES["model"]


def _uvarint_at(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """R4.1 for the lengths and numbers of the core, as a function (no ``_Reader``): the hot path."""
    byte = data[pos]
    if byte < 0x80:
        return byte, pos + 1
    second = data[pos + 1]
    if 0 < second < 0x80:
        return (byte & 0x7F) | second << 7, pos + 2
    value, shift = byte & 0x7F, 7
    for pos in range(pos + 1, min(pos + L.MAX_UVARINT_BYTES, end)):
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            if byte == 0 or value > L.MAX_UVARINT:
                raise Reject
            return value, pos + 1
        shift += 7
    raise Reject


def _decimal_at(data: bytes, pos: int, end: int) -> tuple[float, int]:
    """R4.4 through a cache of heads already proven canonical: guidance scales repeat (7, 7.5, ...)."""
    head, after = _uvarint_at(data, pos, end)
    value = _DECIMALS.get(head)
    if value is None:
        r = _Reader(data, pos, end)
        value, after = r.decimal(), r.pos
        if head & 3 != 3 and len(_DECIMALS) < 4096:  # k = 3 is binary64: the head alone is not the value
            _DECIMALS[head] = value
    return value, after


def parse(data: bytes) -> AigifFile:
    """Read a valid file quickly; raise ``Reject`` (or any exception) for anything else.

    The core is read inline (one-byte codes and lengths through lookup tables, longer ones through
    ``_Reader``): this is the path nearly every file takes, so it is where the time goes.
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
    save_pixels, pixel_codec, text_codec, save_model, model_codec = options
    r = _Reader(data, 11, end)
    # 5.2 platform, 5.3 model: the common case is one byte per code
    pair = _DEVICE_ARCH[data[11]]
    if pair is None:
        r.pos = 11
        pair = _coded_byte(r, "device", "arch")
    else:
        r.pos = 12
    gpu = _GPU[data[r.pos]]
    if gpu is None:
        gpu = _coded_exp(r, "gpu")
    else:
        r.pos += 1
    cuda = _CUDA[data[r.pos]]
    if cuda is None:
        cuda = _coded_exp(r, "cuda")
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
            model_id = _coded_exp(r, "model")
    else:
        r.pos += 1
    model = _DTYPE_SCHEDULER[data[r.pos]]
    if model is None:
        model = _coded_byte(r, "dtype", "scheduler")
    else:
        r.pos += 1
    # 5.4, 5.5 data
    length, start = _uvarint_at(data, r.pos, end)
    r.pos = start + length
    if r.pos > end:
        raise Reject
    raw = data[start:r.pos]
    content = decompress_text(text_codec, raw)
    size = len(content)
    length, at = _uvarint_at(content, 0, size)  # R4.3: the prompt, then the negative prompt
    prompt = content[at:at + length].decode("utf-8")
    second, at = _uvarint_at(content, at + length, size)
    if at + second != size or max(length, second) > L.MAX_STRING_BYTES:  # R5.5 (filled exactly), R4.3
        raise Reject
    length = second
    negative_prompt = content[at:].decode("utf-8")
    height, pos = _uvarint_at(data, r.pos, end)
    width, pos = _uvarint_at(data, pos, end)
    seed, pos = _uvarint_at(data, pos, end)
    steps, pos = _uvarint_at(data, pos, end)
    if not (L.MIN_SIZE <= height <= L.MAX_SIZE and L.MIN_SIZE <= width <= L.MAX_SIZE
            and L.MIN_STEPS <= steps <= L.MAX_STEPS):  # R5.4
        raise Reject
    numbers = (height, width, seed, steps)
    guidance_scale, pos = _decimal_at(data, pos, end)
    # 6 fields
    fields: dict = {}
    count, pos = _uvarint_at(data, pos, end)
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
        length, start = _uvarint_at(data, pos, end)
        pos = start + length
        if pos > end:
            raise Reject
        if tag in FIELDS:
            name = FIELDS[tag][0]
            inner = _Reader(data, start, pos)
            fields[name] = _field(inner, name)
            inner.done()  # R6.1
        elif tag % 2:  # R6.3
            raise Reject
        else:
            fields[tag] = data[start:pos]
    if count > L.MAX_FIELDS or bool(save_pixels) != ("pixels" in fields) or \
            bool(save_model) != ("model_payload" in fields):  # R6.1, R6.5
        raise Reject
    if save_pixels and pixel_codec == 0 and len(fields["pixels"]) != 3 * numbers[0] * numbers[1]:  # R6.6
        raise Reject
    r.pos = pos
    r.done()  # R3.4 (the checksum is the last 4 bytes, checked above)
    return assemble((pixel_codec, text_codec, model_codec), (*pair, gpu, cuda), (model_id, *model),
                    (prompt, negative_prompt, raw), numbers, guidance_scale, fields)
