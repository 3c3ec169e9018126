"""The field table of spec section 6.7: one row per field, and everything else derives from it.

A row says where the field lives in ``AigifFile`` (and so in the JSON form, whose keys are the
dataclass names), how the schema parses it (a construct), how the fast path reads it (a function of
a ``Reader``), how a parsed value becomes the object's value, how the writer turns the object's
value back into the construct's (``None``: leave the field out, R6.4) and how ``from_json`` reads
it. The schema's field switch, the fast path, object assembly, the writer and the JSON form all
take their fields from ``TABLE``; a new field is one row here, one attribute in ``_model`` and its
spec text.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from typing import Any, Callable

import construct as c
from construct import this
from construct.core import stream_read_entire, stream_write

from . import _compression
from . import _limits as L
from ._model import Adapter, AigifFile, Faithfulness, Image, ModelRef, Pass, SchedulerOptions, SourceText
from ._registry import ESCAPE_4BIT, ESCAPE_EXP, HASH_LENGTHS, REGISTRIES
from ._wire import Decimal, ExpCode, Exactly, Reader, Reject, Require, UVarInt, Utf8, Violation

R = REGISTRIES

# ---------------------------------------------------------------------------------------------
# Bit tables of fields 1 and 10 (R6.7): the position of a name is its value.

SIGMAS = ("default", "karras", "exponential", "beta")
SPACINGS = ("default", "leading", "linspace", "trailing")
PREDICTIONS = ("default", "epsilon", "v_prediction", "sample")
SCHEDULER_OPTION_BITS = 7  # sigmas (2), timestep spacing (2), prediction type (2), rescale (1)
DETERMINISM_FLAGS = ("deterministic_algorithms", "cudnn_deterministic", "cudnn_benchmark", "tf32_matmul",
                     "tf32_cudnn")

# ---------------------------------------------------------------------------------------------
# Coded values (R4.7) and hashes (R4.5), for both readers and the writer

CODES = {name: reg.names for name, reg in R.items()}  # code -> name; an unknown code stays a number
#: R4.7: escaped names a reader refuses (the registry's first edition; later names stay escapable).
REFUSED_ESCAPES = {name: reg.refused_escapes for name, reg in R.items()}


def coded(registry: str, code: int, name: str | None = None) -> str | int:
    """A code (and the name after its escape) as read -> the object's value."""
    return R[registry].value_of(code, name)


def hash_text(kind: int, digest: bytes) -> str | None:
    """R4.5: a hash as ``"kind:hex"``; kind 0 means none."""
    return None if kind == 0 else f"{coded('hash_kind', kind)}:{digest.hex()}"


def read_escaped(r: Reader, registry: str) -> str:
    """R4.7: the name after an escape code; a name the registry had a code for from its first
    edition is not canonical."""
    name = r.string(nonempty=True)
    if name in REFUSED_ESCAPES[registry]:
        raise Reject
    return name


def read_coded(r: Reader, registry: str) -> str | int:
    """An exp code of ``registry`` (R4.2, R4.7)."""
    data, pos = r.data, r.pos
    if pos < r.end and data[pos] < 0xFF:  # a one-byte code, as nearly all are
        code = data[pos]
        r.pos = pos + 1
    else:
        code = r.exp()
    return read_escaped(r, registry) if code == ESCAPE_EXP else CODES[registry].get(code, code)


def read_nibbles(r: Reader, high: str, low: str) -> tuple:
    """A byte of two 4-bit codes (R5.2, R5.3), each possibly escaped."""
    byte = r.take(1)[0]
    hi, lo = byte >> 4, byte & 15
    return (read_escaped(r, high) if hi == ESCAPE_4BIT else CODES[high].get(hi, hi),
            read_escaped(r, low) if lo == ESCAPE_4BIT else CODES[low].get(lo, lo))


def _read_hash(r: Reader) -> tuple[int, bytes]:
    kind = r.exp()
    digest = r.take(r.uvarint(0, L.MAX_HASH_BYTES))
    name = R["hash_kind"].names.get(kind)
    if name is not None and HASH_LENGTHS[name] != len(digest):
        raise Reject
    return kind, digest


def code_of(registry: str, value, where: str) -> tuple[int, str | None]:
    """The writer's side of R4.7: a value -> (code, escape name or None)."""
    try:
        return R[registry].code_of(value)
    except ValueError as err:
        raise Violation("invalid-value", str(err), where) from None


def hash_value(text: str | None, where: str, allow_none: bool = False) -> dict:
    """The writer's side of R4.5: ``"kind:hex"`` -> the Hash construct's value."""
    if text is None:
        if allow_none:
            return dict(kind=0, len_digest=0, digest=b"")
        raise Violation("invalid-value", "a hash is required here", where)
    if not isinstance(text, str):
        raise Violation("invalid-value", f"hash {text!r} is not 'kind:hex'", where)
    kind, sep, hexdigits = text.partition(":")
    try:
        digest = bytes.fromhex(hexdigits)
    except ValueError:
        digest = None
    if not sep or digest is None:
        raise Violation("invalid-value", f"hash {text!r} is not 'kind:hex'", where)
    code = int(kind) if kind.isdigit() else R["hash_kind"].codes.get(kind)
    if code is None or code == 0:
        raise Violation("invalid-value", f"unknown hash kind {kind!r}", where)
    name = R["hash_kind"].names.get(code)
    expected = len(digest) if name is None else HASH_LENGTHS.get(name, len(digest))
    if len(digest) != expected:
        raise Violation("invalid-value", f"a {kind} hash has {expected} bytes, not {len(digest)}", where)
    return dict(kind=code, len_digest=len(digest), digest=digest)


# ---------------------------------------------------------------------------------------------
# Constructs the fields are made of


def EscapeName(registry: str):
    """The name that follows an escape code: non-empty, and not a first-edition name of the registry."""
    names = REFUSED_ESCAPES[registry]
    return c.Struct(
        "name" / Utf8(nonempty=True),
        Require(lambda ctx: ctx.name not in names, "non-canonical",
                f"escaped {registry} name has a registry code and must be written as that code"),
    )


def CodedValue(registry: str):
    """An exp code of an open registry with its escape (R4.7)."""
    return c.Struct("code" / ExpCode(), "name" / c.If(this.code == ESCAPE_EXP, EscapeName(registry)))


Hash = c.Struct(  # R4.5
    "kind" / ExpCode(),
    "len_digest" / UVarInt(maximum=L.MAX_HASH_BYTES, what="hash length"),
    "digest" / c.Bytes(this.len_digest),
    Require(lambda ctx: HASH_LENGTHS.get(R["hash_kind"].names.get(ctx.kind, ""), ctx.len_digest)
            == ctx.len_digest, "invalid-value", "hash length does not match its kind"),
)

StandaloneHash = c.Struct(
    "hash" / Hash,
    Require(lambda ctx: ctx.hash.kind != 0, "non-canonical", "a hash field of kind none is left out instead"),
)

ModelRefConstruct = c.Struct(  # R4.8
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


AdapterConstruct = c.Struct(  # R6.7 field 7
    "kind" / ExpCode(),
    "kind_name" / c.If(this.kind == ESCAPE_EXP, EscapeName("adapter_kind")),
    "ref" / ModelRefConstruct,
    "weight" / Decimal(what="adapter weight"),
)

FaithfulnessConstruct = c.Struct(  # 6.7 field 24
    "level" / ExpCode(),
    "level_name" / c.If(this.level == ESCAPE_EXP, EscapeName("faithfulness")),
    "reasons" / c.PrefixedArray(UVarInt(maximum=L.MAX_REASONS, what="reason count"), Utf8()),
)

def _size(what: str):
    """A width or height (R5.4's limits and codes)."""
    return UVarInt(minimum=L.MIN_SIZE, maximum=L.MAX_SIZE, what=what)


def _bit(index: int):
    return lambda ctx: ctx.parts >> index & 1


PassConstruct = c.Struct(  # R6.9 field 25: one pass after the first
    "kind" / ExpCode(),
    "kind_name" / c.If(this.kind == ESCAPE_EXP, EscapeName("pass_kind")),
    "strength" / Decimal(minimum=0.0, maximum=1.0, what="pass strength"),
    "parts" / UVarInt(maximum=2**L.PASS_PART_BITS - 1, what="pass parts"),
    "size" / c.If(_bit(0), c.Struct("width" / _size("pass width"), "height" / _size("pass height"))),
    "upscaler" / c.If(_bit(1), c.Struct("value" / CodedValue("upscaler"), "hash" / Hash)),
    "model" / c.If(_bit(2), c.Struct("value" / CodedValue("model"), "hash" / Hash)),
    "scheduler" / c.If(_bit(3), c.Struct("code" / UVarInt(maximum=ESCAPE_4BIT, what="pass scheduler"),
                                         "name" / c.If(this.code == ESCAPE_4BIT, EscapeName("scheduler")))),
    "steps" / c.If(_bit(4), UVarInt(minimum=L.MIN_STEPS, maximum=L.MAX_STEPS, what="pass steps")),
    "guidance" / c.If(_bit(5), Decimal(what="pass guidance scale")),
    "prompts" / c.If(_bit(6), c.Struct("prompt" / Utf8(), "negative_prompt" / Utf8())),
)


def ImageConstruct(channels: int, what: str):
    """R6.10 fields 29, 31: pixel compressor, size, then the encoded image to the end of the field."""
    return c.Struct(
        "compressor" / ExpCode(),
        Require(lambda ctx: ctx.compressor in R["pixel_compressor"].names, "unsupported-compressor",
                f"unknown pixel compressor code in the {what}"),
        "width" / _size(f"{what} width"),
        "height" / _size(f"{what} height"),
        "data" / c.GreedyBytes,
        Require(lambda ctx: ctx.compressor != 0 or len(ctx.data) == channels * ctx.width * ctx.height,
                "invalid-value", f"a raw {what} must be exactly width x height x {channels} bytes"),
    )


SourceEntries = c.Struct(  # R6.8: the decompressed content of the source metadata
    "num_entries" / UVarInt(minimum=1, maximum=L.MAX_ENTRIES, what="source metadata entry count",
                            below="non-canonical"),
    "entries" / c.Array(this.num_entries, c.Struct(
        "where" / Utf8(nonempty=True),
        "key" / Utf8(nonempty=True),
        "text" / Utf8(maximum=L.MAX_SOURCE_METADATA_BYTES),
    )),
)


class SourceMetadataConstruct(c.Construct):
    """R6.8: compressor, declared content length, stored block; keeps the stored bytes (R10.2)."""

    HEAD = c.Struct(
        "compressor" / ExpCode(),
        Require(lambda ctx: ctx.compressor in R["text_compressor"].names, "unsupported-compressor",
                "unknown text compressor code in the source metadata"),
        "len_content" / UVarInt(minimum=1, maximum=L.MAX_SOURCE_METADATA_BYTES, what="source metadata length"),
    )

    def _parse(self, stream, context, path):
        head = self.HEAD._parsereport(stream, context, path)
        raw = stream_read_entire(stream, path)
        content = _compression.decompress(head.compressor, raw, L.MAX_SOURCE_METADATA_BYTES,
                                          L.MAX_SOURCE_ZSTD_WINDOW, path, exact=head.len_content)
        parsed = Exactly(SourceEntries, "the source metadata")._parse(io.BytesIO(content), context, path)
        return c.Container(compressor=head.compressor, entries=parsed.entries, raw=raw)

    def _build(self, obj, stream, context, path):
        content = SourceEntries.build(dict(num_entries=len(obj["entries"]), entries=obj["entries"]))
        raw = obj.get("raw")
        if raw is None:
            raw = _compression.compress(obj["compressor"], content)
        self.HEAD._build(dict(compressor=obj["compressor"], len_content=len(content)), stream, context, path)
        stream_write(stream, raw, len(raw), path)
        return obj


# ---------------------------------------------------------------------------------------------
# Values of the object


@functools.lru_cache(maxsize=128)  # frozen, so one object per value is shared
def scheduler_options(bits: int) -> SchedulerOptions:
    """R6.7 field 1."""
    return SchedulerOptions(SIGMAS[bits & 3], SPACINGS[bits >> 2 & 3], PREDICTIONS[bits >> 4 & 3], bool(bits >> 6 & 1))


def _option_bits(options: SchedulerOptions, where: str) -> int | None:
    def index(table: tuple[str, ...], value, what: str) -> int:
        if value not in table:
            raise Violation("invalid-value", f"{what} {value!r} is not one of {', '.join(table)}", where)
        return table.index(value)

    if not isinstance(options, SchedulerOptions):
        raise Violation("invalid-value", "must be a SchedulerOptions", where)
    bits = (index(SIGMAS, options.sigmas, "sigmas") | index(SPACINGS, options.timestep_spacing, "timestep spacing") << 2
            | index(PREDICTIONS, options.prediction_type, "prediction type") << 4
            | int(bool(options.rescale_betas_zero_snr)) << 6)
    return bits or None


def determinism(bits: int) -> frozenset[str]:
    """R6.7 field 10."""
    return frozenset(name for bit, name in enumerate(DETERMINISM_FLAGS) if bits >> bit & 1)


def _determinism_bits(flags, where: str) -> int:
    if isinstance(flags, (str, bytes)) or not isinstance(flags, (set, frozenset, list, tuple)):
        raise Violation("invalid-value", "determinism must be a set of flag names", where)
    unknown = set(flags) - set(DETERMINISM_FLAGS)
    if unknown:
        raise Violation("invalid-value", f"unknown determinism flag(s) {sorted(map(str, unknown))}", where)
    return sum(1 << bit for bit, name in enumerate(DETERMINISM_FLAGS) if name in flags)


def _pairs(mapping, where: str) -> dict | None:
    """R4.6: a mapping -> the Map construct's value, keys sorted as UTF-8 bytes."""
    if not hasattr(mapping, "keys"):
        raise Violation("invalid-value", "must be a mapping of strings to strings", where)
    keys = sorted(mapping, key=lambda k: str(k).encode("utf-8", "surrogatepass"))
    return dict(num_entries=len(keys), entries=[dict(key=k, value=mapping[k]) for k in keys]) if keys else None


def _coded_value(registry: str, skip_zero: bool = False):
    """The writer's side of a coded field: ``None`` for code 0 where 0 is expressed by absence (R6.4)."""
    def build(value, obj, where):
        code, name = code_of(registry, value, where)
        return None if skip_zero and code == 0 else dict(code=code, name=None if name is None else {"name": name})
    return build


def _vae(ref, obj, where):
    if not isinstance(ref, ModelRef):
        raise Violation("invalid-value", "must be a ModelRef", where)
    return dict(name=ref.name, hash=hash_value(ref.hash, where, allow_none=True))


def _adapters(adapters, obj, where):
    if isinstance(adapters, (str, bytes)) or not all(isinstance(a, Adapter) for a in adapters):
        raise Violation("invalid-value", "must be a sequence of Adapter", where)
    out = []
    for a in adapters:
        kind, kind_name = code_of("adapter_kind", a.kind, where)
        out.append(dict(kind=kind, kind_name=None if kind_name is None else {"name": kind_name},
                        ref=dict(name=a.name, hash=hash_value(a.hash, where, allow_none=True)), weight=a.weight))
    return out or None


def _read_adapters(r: Reader) -> tuple[Adapter, ...]:
    adapters = []
    for _ in range(r.uvarint(1, L.MAX_ENTRIES)):
        kind = read_coded(r, "adapter_kind")
        name = r.string(nonempty=True)
        adapters.append(Adapter(name=name, kind=kind, hash=hash_text(*_read_hash(r)), weight=r.decimal()))
    return tuple(adapters)


def _parsed_adapters(value) -> tuple[Adapter, ...]:
    return tuple(Adapter(name=a.ref.name, kind=coded("adapter_kind", a.kind, a.kind_name and a.kind_name.name),
                         hash=hash_text(a.ref.hash.kind, a.ref.hash.digest), weight=a.weight) for a in value)


def _read_standalone_hash(r: Reader) -> str | None:
    kind, digest = _read_hash(r)
    if kind == 0:
        raise Reject
    return hash_text(kind, digest)


def _faithfulness(judged, obj, where):
    if not isinstance(judged, Faithfulness):
        raise Violation("invalid-value", "must be a Faithfulness", where)
    level, level_name = code_of("faithfulness", judged.level, f"{where}.level")
    if isinstance(judged.reasons, (str, bytes)):
        raise Violation("invalid-value", "reasons must be a list of strings", f"{where}.reasons")
    return dict(level=level, level_name=None if level_name is None else {"name": level_name},
                reasons=list(judged.reasons))


def _coded_name(registry: str, value) -> str | int:
    """A parsed ``CodedValue`` -> the object's value."""
    return coded(registry, value.code, value.name and value.name.name)


def _read_passes(r: Reader) -> tuple[Pass, ...]:
    passes = []
    for _ in range(r.uvarint(1, L.MAX_PASSES)):
        kind, strength = read_coded(r, "pass_kind"), r.decimal(0.0, 1.0)
        parts = r.uvarint(0, 2**L.PASS_PART_BITS - 1)
        values: dict[str, Any] = {}
        if parts & 1:
            values.update(width=r.uvarint(L.MIN_SIZE, L.MAX_SIZE), height=r.uvarint(L.MIN_SIZE, L.MAX_SIZE))
        if parts >> 1 & 1:
            values.update(upscaler=read_coded(r, "upscaler"), upscaler_hash=hash_text(*_read_hash(r)))
        if parts >> 2 & 1:
            values.update(model=read_coded(r, "model"), model_hash=hash_text(*_read_hash(r)))
        if parts >> 3 & 1:
            code = r.uvarint(0, ESCAPE_4BIT)
            values["scheduler"] = read_escaped(r, "scheduler") if code == ESCAPE_4BIT else CODES["scheduler"].get(code, code)
        if parts >> 4 & 1:
            values["steps"] = r.uvarint(L.MIN_STEPS, L.MAX_STEPS)
        if parts >> 5 & 1:
            values["guidance_scale"] = r.decimal()
        if parts >> 6 & 1:
            values.update(prompt=r.string(), negative_prompt=r.string())
        passes.append(Pass(kind, strength, **values))
    return tuple(passes)


def _parsed_passes(value) -> tuple[Pass, ...]:
    passes = []
    for p in value:
        values: dict[str, Any] = {}
        if p.size is not None:
            values.update(width=p.size.width, height=p.size.height)
        if p.upscaler is not None:
            values.update(upscaler=_coded_name("upscaler", p.upscaler.value),
                          upscaler_hash=hash_text(p.upscaler.hash.kind, p.upscaler.hash.digest))
        if p.model is not None:
            values.update(model=_coded_name("model", p.model.value),
                          model_hash=hash_text(p.model.hash.kind, p.model.hash.digest))
        if p.scheduler is not None:
            values["scheduler"] = _coded_name("scheduler", p.scheduler)
        if p.steps is not None:
            values["steps"] = p.steps
        if p.guidance is not None:
            values["guidance_scale"] = p.guidance
        if p.prompts is not None:
            values.update(prompt=p.prompts.prompt, negative_prompt=p.prompts.negative_prompt)
        passes.append(Pass(_coded_name("pass_kind", c.Container(code=p.kind, name=p.kind_name)), p.strength,
                           **values))
    return tuple(passes)


def _passes(passes, obj, where):
    """The writer's side of R6.9: each pass's parts are the attributes that are not None."""
    if isinstance(passes, (str, bytes)) or not all(isinstance(p, Pass) for p in passes):
        raise Violation("invalid-value", "must be a sequence of Pass", where)
    out = []
    for index, p in enumerate(passes):
        at = f"{where}[{index}]"
        for first, second in (("width", "height"), ("prompt", "negative_prompt")):
            if (getattr(p, first) is None) != (getattr(p, second) is None):
                raise Violation("invalid-value", f"{first} and {second} are given together or not at all", at)
        for part, its_hash in (("upscaler", "upscaler_hash"), ("model", "model_hash")):
            if getattr(p, part) is None and getattr(p, its_hash) is not None:
                raise Violation("invalid-value", f"{its_hash} is given without {part}", at)
        present = (p.width, p.upscaler, p.model, p.scheduler, p.steps, p.guidance_scale, p.prompt)
        parts = sum(1 << bit for bit, value in enumerate(present) if value is not None)
        kind, kind_name = code_of("pass_kind", p.kind, f"{at}.kind")
        scheduler = None
        if p.scheduler is not None:
            code, name = code_of("scheduler", p.scheduler, f"{at}.scheduler")
            scheduler = dict(code=code, name=None if name is None else {"name": name})
        out.append(dict(
            kind=kind, kind_name=None if kind_name is None else {"name": kind_name}, strength=p.strength, parts=parts,
            size=None if p.width is None else dict(width=p.width, height=p.height),
            upscaler=None if p.upscaler is None else dict(
                value=_coded_value("upscaler")(p.upscaler, obj, f"{at}.upscaler"),
                hash=hash_value(p.upscaler_hash, f"{at}.upscaler_hash", allow_none=True)),
            model=None if p.model is None else dict(
                value=_coded_value("model")(p.model, obj, f"{at}.model"),
                hash=hash_value(p.model_hash, f"{at}.model_hash", allow_none=True)),
            scheduler=scheduler, steps=p.steps, guidance=p.guidance_scale,
            prompts=None if p.prompt is None else dict(prompt=p.prompt, negative_prompt=p.negative_prompt)))
    return out or None


def _image_reader(channels: int):
    """The fast path of R6.10."""
    def read(r: Reader) -> Image:
        code = r.exp()
        name = R["pixel_compressor"].names.get(code)
        if name is None:
            raise Reject
        width, height = r.uvarint(L.MIN_SIZE, L.MAX_SIZE), r.uvarint(L.MIN_SIZE, L.MAX_SIZE)
        data = r.rest()
        if code == 0 and len(data) != channels * width * height:
            raise Reject
        return Image(name, width, height, data)
    return read


def _image(image, obj, where):
    if not isinstance(image, Image):
        raise Violation("invalid-value", "must be an Image", where)
    code, _ = code_of("pixel_compressor", image.compressor, f"{where}.compressor")
    if not isinstance(image.data, (bytes, bytearray)):
        raise Violation("invalid-value", "data must be bytes", f"{where}.data")
    return dict(compressor=code, width=image.width, height=image.height, data=bytes(image.data))


def _image_field(tag: int, name: str, channels: int) -> "Field":
    return Field(tag, name, ("payload", name), ImageConstruct(channels, name.replace("_", " ")),
                 _image_reader(channels),
                 parsed=lambda v: Image(R["pixel_compressor"].names[v.compressor], v.width, v.height, v.data),
                 build=_image, json=Image)


def _read_triggers(r: Reader) -> dict[str, str]:
    triggers = r.map()
    if not all(triggers.values()):
        raise Reject
    return triggers


def source_metadata(entries, code: int, raw: bytes) -> tuple[tuple[SourceText, ...], int, bytes]:
    """R6.8 field 26: the entries, and the stored block they came from (kept for R10.2)."""
    return tuple(SourceText(where, key, text) for where, key, text in entries), code, raw


def _read_source_metadata(r: Reader):
    code = r.exp()
    if code not in _compression.CODES:
        raise Reject
    length = r.uvarint(1, L.MAX_SOURCE_METADATA_BYTES)
    raw = r.rest()
    content = _compression.decompress(code, raw, L.MAX_SOURCE_METADATA_BYTES, L.MAX_SOURCE_ZSTD_WINDOW, exact=length)
    t = Reader(content, 0, len(content))
    entries = [(t.string(nonempty=True), t.string(nonempty=True), t.string(maximum=L.MAX_SOURCE_METADATA_BYTES))
               for _ in range(t.uvarint(1, L.MAX_ENTRIES))]
    t.done()
    return source_metadata(entries, code, raw)


def _source_metadata(entries, obj: AigifFile, where):
    """R6.8; R10.2/R10.3: reuse the stored block while the entries are unchanged, else pick the smallest."""
    if isinstance(entries, (str, bytes)) or not all(isinstance(e, SourceText) for e in entries):
        raise Violation("invalid-value", "metadata must be a list of SourceText", where)
    rows = [dict(where=e.where, key=e.key, text=e.text) for e in entries]
    stored = obj.stored_metadata
    if stored is not None and tuple(stored[0]) == tuple(entries):
        return dict(compressor=stored[1], entries=rows, raw=stored[2])
    if len(rows) > L.MAX_ENTRIES:
        raise Violation("limit-exceeded", f"{len(rows)} source metadata entries (limit {L.MAX_ENTRIES})", where)
    content = SourceEntries.build(dict(num_entries=len(rows), entries=rows))
    if len(content) > L.MAX_SOURCE_METADATA_BYTES:
        raise Violation("limit-exceeded", f"source metadata of {len(content)} bytes "
                        f"(limit {L.MAX_SOURCE_METADATA_BYTES})", where)
    _, code, raw = min(smallest_encodings(content))
    return dict(compressor=code, entries=rows, raw=raw)


def smallest_encodings(content: bytes) -> list[tuple[int, int, bytes]]:
    """R10.3: (size, code, stored block) for every text compressor this installation can use."""
    out = []
    for code in _compression.CODES:
        try:
            raw = _compression.compress(code, content)
        except Violation:  # zstd-dict without its dictionary file: the others still work
            continue
        out.append((len(raw), code, raw))
    return out


# ---------------------------------------------------------------------------------------------
# The table


def _same(value, *_):
    return value


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: rows are keys on the read path
class Field:
    """One row of spec table 6.7."""

    tag: int
    name: str
    #: (section, attribute) of ``AigifFile``; the JSON form uses the same keys (R11).
    home: tuple[str, str]
    construct: c.Construct
    #: The fast path: the value from a ``Reader`` bounded to the field's bytes (raise ``Reject`` on doubt).
    read: Callable[[Reader], Any]
    #: The schema path: the construct's parsed value -> the object's value.
    parsed: Callable[[Any], Any] = _same
    #: The writer: (object's value, the file, "section.attribute") -> the construct's value, or None to
    #: leave the field out. Called only when the value differs from the attribute's default (R6.4).
    build: Callable[[Any, AigifFile, str], Any] = _same
    #: How ``from_json`` reads the value: None (as is), "bytes" (base64), "strmap", "flags", a
    #: dataclass (an object), or a one-class tuple (an array of objects).
    json: Any = None

    @property
    def critical(self) -> bool:
        """R6.3: odd tags are critical."""
        return self.tag % 2 == 1

    @property
    def where(self) -> str:
        return ".".join(self.home)


def _text(tag: int, name: str, home: tuple[str, str]) -> Field:
    """A non-empty UTF-8 string field (R4.3)."""
    return Field(tag, name, home, Utf8(nonempty=True), lambda r: r.string(nonempty=True))


def _hash(tag: int, name: str, home: tuple[str, str]) -> Field:
    """A hash field (R4.5); kind none is written by leaving the field out."""
    return Field(tag, name, home, StandaloneHash, _read_standalone_hash,
                 parsed=lambda v: hash_text(v.hash.kind, v.hash.digest),
                 build=lambda text, obj, where: dict(hash=hash_value(text, where)))


def _nonzero_decimal(tag: int, name: str, home: tuple[str, str]) -> Field:
    """A decimal whose 0 is written by leaving the field out (R6.4)."""
    return Field(tag, name, home, Decimal(nonzero=True, what=name.replace("_", " ")),
                 lambda r: r.decimal(nonzero=True))


def _bytes(tag: int, name: str, home: tuple[str, str]) -> Field:
    return Field(tag, name, home, c.GreedyBytes, Reader.rest, json="bytes")


def _coded_field(tag: int, name: str, home: tuple[str, str], zero_is_absent: bool) -> Field:
    """A coded value of registry ``name``; for rng, code 0 (cpu) is written by leaving the field out."""
    rules = [Require(lambda ctx: ctx.code != 0, "non-canonical",
                     f"{name} {R[name].names[0]} is written by leaving the field out")] if zero_is_absent else []
    construct = c.Struct("code" / ExpCode(), *rules, "name" / c.If(this.code == ESCAPE_EXP, EscapeName(name)))

    def read(r: Reader):
        value = read_coded(r, name)
        if zero_is_absent and value == CODES[name].get(0, 0):
            raise Reject
        return value

    return Field(tag, name, home, construct, read,
                 parsed=lambda v: coded(name, v.code, v.name and v.name.name),
                 build=_coded_value(name, skip_zero=zero_is_absent))


TABLE: tuple[Field, ...] = (
    Field(1, "scheduler_options", ("model", "scheduler_options"),
          UVarInt(minimum=1, maximum=2**SCHEDULER_OPTION_BITS - 1, what="scheduler options", below="non-canonical"),
          lambda r: scheduler_options(r.uvarint(1, 2**SCHEDULER_OPTION_BITS - 1)),
          parsed=scheduler_options, build=lambda options, obj, where: _option_bits(options, where),
          json=SchedulerOptions),
    _text(2, "torch", ("platform", "torch")),
    Field(3, "scheduler_config", ("model", "scheduler_config"), Map("scheduler config"), Reader.map,
          parsed=lambda v: {e.key: e.value for e in v.entries}, build=lambda m, obj, where: _pairs(m, where),
          json="strmap"),
    _text(4, "diffusers", ("platform", "diffusers")),
    Field(5, "vae", ("model", "vae"), ModelRefConstruct,
          lambda r: ModelRef(r.string(nonempty=True), hash_text(*_read_hash(r))),
          parsed=lambda v: ModelRef(v.name, hash_text(v.hash.kind, v.hash.digest)), build=_vae, json=ModelRef),
    _text(6, "cpu_capability", ("platform", "cpu_capability")),
    Field(7, "adapters", ("model", "adapters"),
          c.PrefixedArray(UVarInt(minimum=1, maximum=L.MAX_ENTRIES, what="adapter count", below="non-canonical"),
                          AdapterConstruct),
          _read_adapters, parsed=_parsed_adapters, build=_adapters, json=(Adapter,)),
    Field(8, "threads", ("platform", "threads"), UVarInt(minimum=1, maximum=L.MAX_THREADS, what="threads"),
          lambda r: r.uvarint(1, L.MAX_THREADS)),
    Field(9, "clip_skip", ("model", "clip_skip"),
          UVarInt(minimum=1, maximum=L.MAX_CLIP_SKIP, what="clip skip", below="non-canonical"),
          lambda r: r.uvarint(1, L.MAX_CLIP_SKIP)),
    Field(10, "determinism", ("platform", "determinism"),
          UVarInt(maximum=2**len(DETERMINISM_FLAGS) - 1, what="determinism flags"),
          lambda r: determinism(r.uvarint(0, 2**len(DETERMINISM_FLAGS) - 1)),
          parsed=determinism, build=lambda flags, obj, where: _determinism_bits(flags, where), json="flags"),
    _coded_field(11, "rng", ("data", "rng"), zero_is_absent=True),
    _text(12, "attention", ("platform", "attention")),
    _nonzero_decimal(13, "eta", ("data", "eta")),
    Field(14, "software", ("platform", "software"), Map("software"), Reader.map,
          parsed=lambda v: {e.key: e.value for e in v.entries}, build=lambda m, obj, where: _pairs(m, where),
          json="strmap"),
    Field(15, "strength", ("data", "strength"), Decimal(minimum=0.0, maximum=1.0, what="strength"),
          lambda r: r.decimal(0.0, 1.0)),
    _hash(16, "model_hash", ("model", "hash")),
    _nonzero_decimal(17, "guidance_rescale", ("data", "guidance_rescale")),
    _text(18, "source_tool", ("source", "tool")),
    _bytes(19, "pixels", ("payload", "pixels")),
    _hash(20, "pixel_digest", ("payload", "pixel_digest")),
    _bytes(21, "model_payload", ("payload", "model")),
    _text(22, "source_version", ("source", "version")),
    Field(24, "faithfulness", ("source", "faithfulness"), FaithfulnessConstruct,
          lambda r: Faithfulness(read_coded(r, "faithfulness"),
                                 tuple(r.string() for _ in range(r.uvarint(0, L.MAX_REASONS)))),
          parsed=lambda v: Faithfulness(coded("faithfulness", v.level, v.level_name and v.level_name.name),
                                        tuple(v.reasons)),
          build=_faithfulness, json=Faithfulness),
    Field(25, "passes", ("data", "passes"),
          c.PrefixedArray(UVarInt(minimum=1, maximum=L.MAX_PASSES, what="pass count", below="non-canonical"),
                          PassConstruct),
          _read_passes, parsed=_parsed_passes, build=_passes, json=(Pass,)),
    Field(26, "source_metadata", ("source", "metadata"), SourceMetadataConstruct(), _read_source_metadata,
          parsed=lambda v: source_metadata([(e.where, e.key, e.text) for e in v.entries], v.compressor, v.raw),
          build=_source_metadata, json=(SourceText,)),
    Field(27, "embedding_triggers", ("model", "embedding_triggers"),
          c.Struct("map" / Map("embedding triggers"),
                   Require(lambda ctx: all(e.value for e in ctx.map.entries), "invalid-value",
                           "an embedding trigger must not be empty")),
          _read_triggers, parsed=lambda v: {e.key: e.value for e in v.map.entries},
          build=lambda m, obj, where: dict(map=_pairs(m, where)), json="strmap"),
    _image_field(29, "init_image", 3),
    _image_field(31, "mask", 1),
    _text(32, "cpu_vendor", ("platform", "cpu_vendor")),
    _text(34, "cpu_model", ("platform", "cpu_model")),
    _coded_field(36, "determinism_profile", ("platform", "determinism_profile"), zero_is_absent=False),
)

BY_TAG: dict[int, Field] = {f.tag: f for f in TABLE}
BY_NAME: dict[str, Field] = {f.name: f for f in TABLE}
#: (section, attribute) -> field: how the object and the JSON form find a field.
BY_HOME: dict[tuple[str, str], Field] = {f.home: f for f in TABLE}
PIXELS, MODEL_PAYLOAD, SOURCE_METADATA = BY_NAME["pixels"], BY_NAME["model_payload"], BY_NAME["source_metadata"]
TAG_PIXELS, TAG_MODEL_PAYLOAD = PIXELS.tag, MODEL_PAYLOAD.tag
#: R6.10: a field that requires another (the init image needs a strength, the mask an init image).
REQUIRES = ((BY_NAME["init_image"], BY_NAME["strength"]), (BY_NAME["mask"], BY_NAME["init_image"]))
