"""The AIGIF v1 bitstream as one declarative construct schema: the executable definition of the format.

Read it side by side with ``spec/aigif-v1.md``: each construct names the clause it enforces. Names
follow the Kaitai style guide (``len_*``, ``num_*``) so that ``spec/aigif.ksy`` lines up field by
field. The schema is never ``.compile()``d: compiled construct parsers skip length checks.
"""

from __future__ import annotations

import zlib

import construct as c
import zstandard
from construct import this
from construct.core import stream_read_entire, stream_write

from . import _dictionaries
from . import _limits as L
from ._primitives import Decimal, ExpCode, Exactly, Require, UVarInt, Utf8, Violation
from ._registry import ESCAPE_4BIT, ESCAPE_EXP, HASH_LENGTHS, REGISTRIES

SIGNATURE = b"\x89AIG\r\n\x1a\n"  # R3.1
VERSION = 1  # R3.2

# ---------------------------------------------------------------------------------------------
# Coded values and their escapes (R4.7)


def EscapeName(registry: str):
    """The name that follows an escape code: non-empty, and not a name the registry has a code for."""
    names = set(REGISTRIES[registry].codes)
    return c.Struct(
        "name" / Utf8(nonempty=True),
        Require(lambda ctx: ctx.name not in names, "non-canonical",
                f"escaped {registry} name has a registry code and must be written as that code"),
    )


Hash = c.Struct(  # R4.5
    "kind" / ExpCode(),
    "len_digest" / UVarInt(maximum=L.MAX_HASH_BYTES, what="hash length"),
    "digest" / c.Bytes(this.len_digest),
    Require(lambda ctx: HASH_LENGTHS.get(REGISTRIES["hash_kind"].names.get(ctx.kind), ctx.len_digest)
            == ctx.len_digest, "invalid-value", "hash length does not match its kind"),
)

StandaloneHash = c.Struct(
    "hash" / Hash,
    Require(lambda ctx: ctx.hash.kind != 0, "non-canonical", "a hash field of kind none is left out instead"),
)

ModelRef = c.Struct(  # R4.8
    "name" / Utf8(nonempty=True),
    "hash" / Hash,
)


def Map(what: str):
    """R4.6: 1..256 (key, value) string pairs, keys non-empty and strictly ascending as UTF-8 bytes."""
    return c.Struct(
        "num_entries" / UVarInt(minimum=1, maximum=L.MAX_ENTRIES, what=f"{what} entry count", below="non-canonical"),
        "entries" / c.Array(this.num_entries, c.Struct("key" / Utf8(nonempty=True), "value" / Utf8())),
        Require(lambda ctx: all(a.key.encode() < b.key.encode() for a, b in zip(ctx.entries, ctx.entries[1:])),
                "non-canonical", f"{what} keys must be unique and in ascending order"),
    )


Adapter = c.Struct(  # R6.7
    "kind" / ExpCode(),
    "kind_name" / c.If(this.kind == ESCAPE_EXP, EscapeName("adapter_kind")),
    "ref" / ModelRef,
    "weight" / Decimal(what="adapter weight"),
)

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
        content = decompress_text(self.compressor(context), raw, path)
        inner = Exactly(self.CONTENT, "the text block")._parse(_substream(content), context, path)
        return c.Container(prompt=inner.prompt, negative_prompt=inner.negative_prompt, raw=raw)

    def _build(self, obj, stream, context, path):
        raw = obj.get("raw")
        if raw is None:
            content = self.CONTENT.build(dict(prompt=obj["prompt"], negative_prompt=obj["negative_prompt"]))
            raw = compress_text(self.compressor(context), content)
        stream_write(stream, raw, len(raw), path)
        return obj


def _substream(data: bytes):
    import io

    return io.BytesIO(data)


def compress_text(codec: int, content: bytes) -> bytes:
    """R10.3: the reference writer's compressed form (zlib level 9, zstd level 19 with content size)."""
    if codec == 0:
        return content
    if codec == 1:
        return zlib.compress(content, 9)
    if codec == 2:
        return zstandard.ZstdCompressor(level=19, write_content_size=True, write_checksum=False).compress(content)
    if codec == 3:  # R5.6: the newest prompt dictionary
        try:
            return _dictionaries.compressor().compress(content)
        except (OSError, RuntimeError) as err:  # the package's dictionary file is missing or altered
            raise Violation("unsupported-compressor", f"the prompt dictionary is not usable here: {err}") from None
    raise Violation("unsupported-compressor", f"text compressor {codec}")


def decompress_text(codec: int, raw: bytes, path=None) -> bytes:
    """R5.5: exactly one stream, no trailing data, at most MAX_TEXT_BLOCK_BYTES out (no bombs)."""
    return decompress(codec, raw, L.MAX_TEXT_BLOCK_BYTES, L.MAX_ZSTD_WINDOW, path)


def _zstd_window(raw: bytes) -> int | None:
    """The window size a zstd frame header declares (RFC 8878 3.1.1.1.2), or None if it has none."""
    if len(raw) < 6 or raw[:4] != b"\x28\xb5\x2f\xfd" or raw[4] >> 5 & 1:  # single segment: no descriptor
        return None
    exponent, mantissa = raw[5] >> 3, raw[5] & 7
    base = 1 << (10 + exponent)
    return base + (base >> 3) * mantissa


def decompress(codec: int, raw: bytes, limit: int, window: int, path=None, exact: int | None = None) -> bytes:
    """R5.5, R6.8: one zlib stream or zstd frame, nothing after it, at most ``limit`` bytes out.

    With ``exact`` (the source metadata's declared length, R6.8) the content must be exactly that
    long, and exceeding it is a broken block rather than a limit.
    """
    over = "limit-exceeded" if exact is None else "bad-compressed-data"
    if codec == 0:
        if exact is not None and len(raw) != exact:
            raise Violation("bad-compressed-data", f"stored block of {len(raw)} bytes, declared {exact}", path)
        if len(raw) > limit:
            raise Violation("limit-exceeded", f"text block of {len(raw)} bytes (limit {limit})", path)
        return raw
    try:
        if codec == 1:
            engine = zlib.decompressobj()
            out = engine.decompress(raw, limit + 1)
            if len(out) > limit:
                raise Violation(over, f"compressed block expands beyond {limit} bytes", path)
            if not engine.eof or engine.unused_data or engine.unconsumed_tail:
                raise Violation("bad-compressed-data", "zlib stream is incomplete or followed by other bytes", path)
            if exact is not None and len(out) != exact:
                raise Violation("bad-compressed-data", f"zlib stream holds {len(out)} bytes, declared {exact}", path)
            return out
        if codec in (2, 3):
            try:
                params = zstandard.get_frame_parameters(raw)
            except zstandard.ZstdError:  # libzstd refuses windows above 2**31 before it reports them
                declared = _zstd_window(raw)
                if declared is not None and declared > window:
                    raise Violation("limit-exceeded", f"zstd window of {declared} bytes (limit {window})",
                                    path) from None
                raise
            if params.content_size in (zstandard.CONTENTSIZE_UNKNOWN, zstandard.CONTENTSIZE_ERROR):
                raise Violation("bad-compressed-data", "zstd frame does not declare its content size", path)
            if params.content_size > limit:
                raise Violation(over, f"compressed block expands beyond {limit} bytes", path)
            if exact is not None and params.content_size != exact:
                raise Violation("bad-compressed-data", f"zstd frame declares {params.content_size} bytes, "
                                f"the field {exact}", path)
            if params.window_size > window:
                raise Violation("limit-exceeded", f"zstd window of {params.window_size} bytes (limit {window})", path)
            if codec == 2 and params.dict_id:
                raise Violation("bad-compressed-data", f"zstd frame names dictionary {params.dict_id}; "
                                "compressor zstd uses none", path)
            if codec == 2:
                engine = zstandard.ZstdDecompressor(max_window_size=max(window, 1 << 10))
            else:  # R5.6
                if not params.dict_id:
                    raise Violation("bad-compressed-data", "zstd-dict frame names no dictionary", path)
                if params.dict_id not in _dictionaries.DICTIONARIES:
                    raise Violation("unsupported-compressor", f"zstd dictionary {params.dict_id} is not known to "
                                    f"this reader (it knows {', '.join(map(str, _dictionaries.DICTIONARIES))})",
                                    path)
                try:
                    engine = _dictionaries.decompressor(params.dict_id, max(window, 1 << 10))
                except (OSError, RuntimeError) as err:  # R5.6: a dictionary this reader does not hold
                    raise Violation("unsupported-compressor", f"zstd dictionary {params.dict_id} is not usable "
                                    f"here: {err}", path) from None
            # One frame into a buffer of its declared size (checked above): libzstd refuses a frame that
            # holds more than it declares, and anything after the frame is refused, so memory stays bounded.
            # (Arguments by position: max_output_size, read_across_frames, allow_extra_data; keywords cost
            # a third of the call on the reader's fast path.)
            out = engine.decompress(raw, 0, False, False)
            if len(out) != params.content_size:
                raise Violation("bad-compressed-data", "zstd frame holds other than it declares", path)
            return out
    except (zlib.error, zstandard.ZstdError) as err:
        raise Violation("bad-compressed-data", f"cannot decompress: {err}", path) from None
    raise Violation("unsupported-compressor", f"text compressor {codec}", path)


Data = c.Struct(  # R5.4
    "text" / c.Prefixed(UVarInt(what="text block length"), TextBlock(this._.compression.text_compressor)),
    "height" / UVarInt(minimum=L.MIN_SIZE, maximum=L.MAX_SIZE, what="height"),
    "width" / UVarInt(minimum=L.MIN_SIZE, maximum=L.MAX_SIZE, what="width"),
    "seed" / UVarInt(what="seed"),
    "steps" / UVarInt(minimum=L.MIN_STEPS, maximum=L.MAX_STEPS, what="steps"),
    "guidance_scale" / Decimal(what="guidance scale"),
)

# ---------------------------------------------------------------------------------------------
# Fields (R6): tag, length, value; odd tags are critical.

SCHEDULER_OPTION_BITS = 7  # R6.7: sigmas (2), timestep spacing (2), prediction type (2), rescale (1)
SIGMAS = ("default", "karras", "exponential", "beta")
SPACINGS = ("default", "leading", "linspace", "trailing")
PREDICTIONS = ("default", "epsilon", "v_prediction", "sample")
DETERMINISM_FLAGS = ("deterministic_algorithms", "cudnn_deterministic", "cudnn_benchmark", "tf32_matmul",
                     "tf32_cudnn")

SourceEntries = c.Struct(  # R6.8: the decompressed content of the source metadata
    "num_entries" / UVarInt(minimum=1, maximum=L.MAX_ENTRIES, what="source metadata entry count",
                            below="non-canonical"),
    "entries" / c.Array(this.num_entries, c.Struct(
        "where" / Utf8(nonempty=True),
        "key" / Utf8(nonempty=True),
        "text" / Utf8(maximum=L.MAX_SOURCE_METADATA_BYTES),
    )),
)


class SourceMetadata(c.Construct):
    """R6.8: compressor, declared content length, stored block; keeps the stored bytes (R10.2)."""

    HEAD = c.Struct(
        "compressor" / ExpCode(),
        Require(lambda ctx: ctx.compressor in REGISTRIES["text_compressor"].names, "unsupported-compressor",
                "unknown text compressor code in the source metadata"),
        "len_content" / UVarInt(minimum=1, maximum=L.MAX_SOURCE_METADATA_BYTES, what="source metadata length"),
    )

    def _parse(self, stream, context, path):
        head = self.HEAD._parsereport(stream, context, path)
        raw = stream_read_entire(stream, path)
        content = decompress(head.compressor, raw, L.MAX_SOURCE_METADATA_BYTES, L.MAX_SOURCE_ZSTD_WINDOW, path,
                             exact=head.len_content)
        parsed = Exactly(SourceEntries, "the source metadata")._parse(_substream(content), context, path)
        return c.Container(compressor=head.compressor, entries=parsed.entries, raw=raw)

    def _build(self, obj, stream, context, path):
        content = SourceEntries.build(dict(num_entries=len(obj["entries"]), entries=obj["entries"]))
        raw = obj.get("raw")
        if raw is None:
            raw = compress_text(obj["compressor"], content)
        self.HEAD._build(dict(compressor=obj["compressor"], len_content=len(content)), stream, context, path)
        stream_write(stream, raw, len(raw), path)
        return obj


Faithfulness = c.Struct(  # 6.7 field 24
    "level" / ExpCode(),
    "level_name" / c.If(this.level == ESCAPE_EXP, EscapeName("faithfulness")),
    "reasons" / c.PrefixedArray(UVarInt(maximum=L.MAX_REASONS, what="reason count"), Utf8()),
)

#: tag -> (name, value construct). The field registry of spec section 6.7.
FIELDS: dict[int, tuple[str, c.Construct]] = {
    1: ("scheduler_options", UVarInt(minimum=1, maximum=2**SCHEDULER_OPTION_BITS - 1, what="scheduler options",
                                    below="non-canonical")),
    2: ("torch", Utf8(nonempty=True)),
    3: ("scheduler_config", Map("scheduler config")),
    4: ("diffusers", Utf8(nonempty=True)),
    5: ("vae", ModelRef),
    6: ("cpu_capability", Utf8(nonempty=True)),
    7: ("adapters", c.PrefixedArray(UVarInt(minimum=1, maximum=L.MAX_ENTRIES, what="adapter count",
                                             below="non-canonical"), Adapter)),
    8: ("threads", UVarInt(minimum=1, maximum=L.MAX_THREADS, what="threads")),
    9: ("clip_skip", UVarInt(minimum=1, maximum=L.MAX_CLIP_SKIP, what="clip skip", below="non-canonical")),
    10: ("determinism", UVarInt(maximum=2**len(DETERMINISM_FLAGS) - 1, what="determinism flags")),
    11: ("rng", c.Struct("code" / ExpCode(), Require(lambda ctx: ctx.code != 0, "non-canonical",
                                                      "rng cpu is written by leaving the field out"),
                         "name" / c.If(this.code == ESCAPE_EXP, EscapeName("rng")))),
    12: ("attention", Utf8(nonempty=True)),
    13: ("eta", Decimal(nonzero=True, what="eta")),
    14: ("software", Map("software")),
    15: ("strength", Decimal(minimum=0.0, maximum=1.0, what="strength")),
    16: ("model_hash", StandaloneHash),
    17: ("guidance_rescale", Decimal(nonzero=True, what="guidance rescale")),
    18: ("source_tool", Utf8(nonempty=True)),
    19: ("pixels", c.GreedyBytes),
    20: ("pixel_digest", StandaloneHash),
    21: ("model_payload", c.GreedyBytes),
    22: ("source_version", Utf8(nonempty=True)),
    24: ("faithfulness", Faithfulness),
    26: ("source_metadata", SourceMetadata()),
    32: ("cpu_vendor", Utf8(nonempty=True)),
    34: ("cpu_model", Utf8(nonempty=True)),
    36: ("determinism_profile", c.Struct("code" / ExpCode(),
                                         "name" / c.If(this.code == ESCAPE_EXP, EscapeName("determinism_profile")))),
}
FIELD_TAGS = {name: tag for tag, (name, _) in FIELDS.items()}
TAG_PIXELS, TAG_MODEL_PAYLOAD = FIELD_TAGS["pixels"], FIELD_TAGS["model_payload"]


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
        Exactly(c.Switch(this.tag, {tag: sub for tag, (_, sub) in FIELDS.items()}, default=UnknownField()),
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
