"""The AIGIF v1 bitstream as one declarative construct schema: the executable definition of the format.

Read it side by side with ``spec/aigif-v1.md``: each construct names the clause it enforces. The
constructs of the ancillary fields (section 6.7) are in ``_fields.TABLE``. Names
follow the Kaitai style guide (``len_*``, ``num_*``) so that ``spec/aigif.ksy`` lines up field by
field. The schema is never ``.compile()``d: compiled construct parsers skip length checks.
"""

from __future__ import annotations

import io
import zlib

import construct as c
from construct import this
from construct.core import stream_read_entire, stream_write

from . import _compression
from . import _limits as L
from ._fields import BY_TAG, REQUIRES, TAG_MODEL_PAYLOAD, TAG_PIXELS, EscapeName
from ._registry import ESCAPE_4BIT, ESCAPE_EXP, REGISTRIES
from ._wire import Decimal, ExpCode, Exactly, Require, UVarInt, Utf8, Violation

SIGNATURE = b"\x89AIG\r\n\x1a\n"  # R3.1
VERSION = 1  # R3.2

# ---------------------------------------------------------------------------------------------
# The core sections (R5)

Compression = c.BitStruct(  # R5.1: 16 bits, most significant first
    "save_pixels" / c.Flag,
    "pixel_compressor" / c.BitsInteger(4),
    "text_compressor" / c.BitsInteger(4),
    "save_model" / c.Flag,
    "model_compressor" / c.BitsInteger(4),
    "reserved" / c.BitsInteger(2),
)

def _known(registry: str, key: str):
    codes = set(REGISTRIES[registry].names)
    return Require(lambda ctx: ctx._.compression[key] in codes, "unsupported-compressor",
                   f"unknown {registry.replace('_', ' ')} code")


CompressionRules = c.Struct(
    Require(lambda ctx: ctx._.compression.reserved == 0, "reserved-bits", "reserved compression bits are not 0"),
    _known("pixel_compressor", "pixel_compressor"),
    _known("text_compressor", "text_compressor"),
    _known("model_compressor", "model_compressor"),
    Require(lambda ctx: ctx._.compression.save_pixels or ctx._.compression.pixel_compressor == 0,
            "non-canonical", "pixel compressor set while no pixels are saved"),
    Require(lambda ctx: ctx._.compression.save_model or ctx._.compression.model_compressor == 0,
            "non-canonical", "model compressor set while no model is saved"),
)

Platform = c.Struct(  # R5.2
    "codes" / c.BitStruct("device" / c.BitsInteger(4), "arch" / c.BitsInteger(4)),
    "device_name" / c.If(this.codes.device == ESCAPE_4BIT, EscapeName("device")),
    "arch_name" / c.If(this.codes.arch == ESCAPE_4BIT, EscapeName("arch")),
    "gpu" / ExpCode(),
    "gpu_name" / c.If(this.gpu == ESCAPE_EXP, EscapeName("gpu")),
    "cuda" / ExpCode(),
    "cuda_name" / c.If(this.cuda == ESCAPE_EXP, EscapeName("cuda")),
)

Model = c.Struct(  # R5.3
    "id" / ExpCode(),
    "id_name" / c.If(this.id == ESCAPE_EXP, EscapeName("model")),
    "codes" / c.BitStruct("dtype" / c.BitsInteger(4), "scheduler" / c.BitsInteger(4)),
    "dtype_name" / c.If(this.codes.dtype == ESCAPE_4BIT, EscapeName("dtype")),
    "scheduler_name" / c.If(this.codes.scheduler == ESCAPE_4BIT, EscapeName("scheduler")),
)


class TextBlock(c.Construct):
    """R5.5: prompt and negative prompt, compressed together by the text compressor.

    Parsing keeps the stored bytes (``raw``) beside the decoded strings so that writing the file
    again reproduces them exactly, whatever compressor settings produced them (R10.2).
    """

    CONTENT = c.Struct("prompt" / Utf8(), "negative_prompt" / Utf8())

    def __init__(self, compressor):
        super().__init__()
        self.compressor = compressor

    def _parse(self, stream, context, path):
        raw = stream_read_entire(stream, path)
        content = _compression.decompress(self.compressor(context), raw, path=path)
        inner = Exactly(self.CONTENT, "the text block")._parse(io.BytesIO(content), context, path)
        return c.Container(prompt=inner.prompt, negative_prompt=inner.negative_prompt, raw=raw)

    def _build(self, obj, stream, context, path):
        raw = obj.get("raw")
        if raw is None:
            content = self.CONTENT.build(dict(prompt=obj["prompt"], negative_prompt=obj["negative_prompt"]))
            raw = _compression.compress(self.compressor(context), content)
        stream_write(stream, raw, len(raw), path)
        return obj


Data = c.Struct(  # R5.4
    "text" / c.Prefixed(UVarInt(what="text block length"), TextBlock(this._.compression.text_compressor)),
    "height" / UVarInt(minimum=L.MIN_SIZE, maximum=L.MAX_SIZE, what="height"),
    "width" / UVarInt(minimum=L.MIN_SIZE, maximum=L.MAX_SIZE, what="width"),
    "seed" / UVarInt(what="seed"),
    "steps" / UVarInt(minimum=L.MIN_STEPS, maximum=L.MAX_STEPS, what="steps"),
    "guidance_scale" / Decimal(what="guidance scale"),
)

# ---------------------------------------------------------------------------------------------
# Fields (R6): tag, length, value; odd tags are critical. The known ones are the rows of
# ``_fields.TABLE`` (section 6.7).


class UnknownField(c.Construct):
    """R6.3: an unknown ancillary (even) field is kept as raw bytes; an unknown critical one is refused."""

    def _parse(self, stream, context, path):
        if context.tag % 2:
            raise Violation("unknown-critical-field", f"unknown critical field {context.tag}", path)
        return stream_read_entire(stream, path)

    def _build(self, obj, stream, context, path):
        if context.tag % 2:
            raise Violation("invalid-value", f"field {context.tag} is critical and unknown to this writer", path)
        stream_write(stream, obj, len(obj), path)
        return obj


Field = c.Struct(
    "tag" / ExpCode(),
    "value" / c.Prefixed(
        UVarInt(maximum=L.MAX_FIELD_BYTES, what="field length"),
        Exactly(c.Switch(this.tag, {tag: field.construct for tag, field in BY_TAG.items()}, default=UnknownField()),
                "the field"),
    ),
)


def _tags(ctx):
    return [f.tag for f in ctx.fields]


def _value(ctx, tag):
    return next((f.value for f in ctx.fields if f.tag == tag), b"")


Fields = c.Struct(
    "fields" / c.PrefixedArray(UVarInt(maximum=L.MAX_FIELDS, what="field count"), Field),
    Require(lambda ctx: all(a < b for a, b in zip(_tags(ctx), _tags(ctx)[1:])), "field-order",
            "field tags must be unique and in ascending order"),
    Require(lambda ctx: ctx._.compression.save_pixels <= (TAG_PIXELS in _tags(ctx)), "missing-field",
            "save pixels is set but the file has no pixels field"),
    Require(lambda ctx: ctx._.compression.save_pixels >= (TAG_PIXELS in _tags(ctx)), "non-canonical",
            "the file has a pixels field but save pixels is not set"),
    Require(lambda ctx: not ctx._.compression.save_pixels or ctx._.compression.pixel_compressor != 0
            or len(_value(ctx, TAG_PIXELS)) == 3 * ctx._.data.height * ctx._.data.width, "invalid-value",
            "raw pixels must be exactly width x height x 3 bytes"),
    Require(lambda ctx: ctx._.compression.save_model <= (TAG_MODEL_PAYLOAD in _tags(ctx)), "missing-field",
            "save model is set but the file has no model payload field"),
    Require(lambda ctx: ctx._.compression.save_model >= (TAG_MODEL_PAYLOAD in _tags(ctx)), "non-canonical",
            "the file has a model payload field but save model is not set"),
    *(Require(lambda ctx, needs=needs, needed=needed: needs.tag not in _tags(ctx) or needed.tag in _tags(ctx),
              "missing-field", f"the {needs.name.replace('_', ' ')} requires the {needed.name.replace('_', ' ')}")
      for needs, needed in REQUIRES),  # R6.10
)

# ---------------------------------------------------------------------------------------------
# The file (R3)


class Version(c.Construct):
    """R3.2: one byte; a reader refuses every version but 1 before reading further."""

    def _parse(self, stream, context, path):
        version = c.core.stream_read(stream, 1, path)[0]
        if version != VERSION:
            raise Violation("unsupported-version", f"AIGIF version {version} (this reader knows 1)", path)
        return version

    def _build(self, obj, stream, context, path):
        stream_write(stream, bytes([VERSION]), 1, path)
        return VERSION

    def _sizeof(self, context, path):
        return 1


Body = c.Struct(
    "signature" / c.Const(SIGNATURE),
    "version" / Version(),
    "compression" / Compression,
    "compression_rules" / CompressionRules,
    "platform" / Platform,
    "model" / Model,
    "data" / Data,
    "extension" / Fields,
)

AigifFile = c.Struct(
    "body" / c.RawCopy(Body),
    "crc32" / c.Checksum(c.Int32ub, zlib.crc32, this.body.data),  # R3.3
    c.Terminated,  # R3.4
)
