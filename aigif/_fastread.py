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
    if name in ("torch", "diffusers", "cpu_capability", "attention"):
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


def parse(data: bytes) -> AigifFile:
    """Read a valid file quickly; raise ``Reject`` (or any exception) for anything else."""
    size = len(data)
    if data[:8] != SIGNATURE or size < 13 or data[8] != 1:  # R3.1, R3.2
        raise Reject
    r = _Reader(data, 9, size - 4)
    # 5.1 compression options: [save pixels 1][pixel 4][text 4][save model 1][model 4][reserved 2]
    b0, b1 = r.byte(), r.byte()
    save_pixels, pixel_codec = b0 >> 7, b0 >> 3 & 15
    text_codec, save_model, model_codec = (b0 & 7) << 1 | b1 >> 7, b1 >> 6 & 1, b1 >> 2 & 15
    if (b1 & 3 or pixel_codec not in PIXEL_CODECS or text_codec not in TEXT_CODECS
            or model_codec not in MODEL_CODECS or (not save_pixels and pixel_codec)
            or (not save_model and model_codec)):  # R5.1
        raise Reject
    # 5.2 platform
    device, arch = _coded_byte(r, "device", "arch")
    platform = (device, arch, _coded_exp(r, "gpu"), _coded_exp(r, "cuda"))
    # 5.3 model
    model_id = _coded_exp(r, "model")
    model = (model_id, *_coded_byte(r, "dtype", "scheduler"))
    # 5.4, 5.5 data
    raw = r.take(r.uvarint())
    content = decompress_text(text_codec, raw)
    t = _Reader(content, 0, len(content))
    prompt, negative_prompt = t.string(), t.string()
    t.done()
    numbers = (r.uvarint(L.MIN_SIZE, L.MAX_SIZE), r.uvarint(L.MIN_SIZE, L.MAX_SIZE), r.uvarint(),
               r.uvarint(L.MIN_STEPS, L.MAX_STEPS))
    guidance_scale = r.decimal()
    # 6 fields
    fields: dict = {}
    last_tag = -1
    for _ in range(r.uvarint(0, L.MAX_FIELDS)):
        tag = r.exp()
        if tag <= last_tag:  # R6.2
            raise Reject
        last_tag = tag
        length = r.uvarint(0, L.MAX_FIELD_BYTES)
        start = r.pos
        value = r.take(length)
        if tag in FIELDS:
            name = FIELDS[tag][0]
            inner = _Reader(data, start, start + length)
            fields[name] = _field(inner, name)
            inner.done()  # R6.1
        elif tag % 2:  # R6.3
            raise Reject
        else:
            fields[tag] = value
    if bool(save_pixels) != ("pixels" in fields) or bool(save_model) != ("model_payload" in fields):  # R6.5
        raise Reject
    if save_pixels and pixel_codec == 0 and len(fields["pixels"]) != 3 * numbers[0] * numbers[1]:  # R6.6
        raise Reject
    r.done()
    if zlib.crc32(memoryview(data)[: size - 4]) != int.from_bytes(data[size - 4:], "big"):  # R3.3, R3.4
        raise Reject
    return assemble((pixel_codec, text_codec, model_codec), platform, model, (prompt, negative_prompt, raw),
                    numbers, guidance_scale, fields)

