#!/usr/bin/env python3
"""An independent AIGIF v1 reader: the Python parser Kaitai Struct generates from spec/aigif.ksy.

    python conformance/readers/kaitai_python.py FILE          # canonical JSON (exit 0) or refusal (exit 1)
    python conformance/readers/kaitai_python.py --batch F...  # one JSON line per file
    python conformance/readers/kaitai_python.py --batch -     # the same for paths read from stdin, line by line

Build the parser first with ``python tools/format/kaitai_build.py`` (the tests do). This adapter uses only
the generated parser, the ``kaitaistruct`` runtime, the standard library, ``zstandard`` for zstd
frames (Python 3.11 has no zstd in its standard library), aigif/registries.json for registry
names and the prompt dictionaries' files in aigif/dictionaries/ (R5.6), read as files and checked
against the SHA-256 the spec publishes: never the ``aigif`` package, so that it is a second reading
of the spec.

What it adds to the generated parser is what Kaitai cannot express (docs/kaitai.md): the short-input
rule of the signature (R3.1), the CRC-32 (R3.3), trailing bytes (R3.4), decimal canonical forms
(R4.4), map key order (R4.6), escaped names of a registry's first edition (R4.7), text block
decompression with
its cap (R5.5; the zstd frame's structure, its size and window limits and its dictionary ID are
checked by the .ksy's ``zstd_frame`` first), the prompt dictionaries (R5.6), exact fill of field
values (R6.1), and the mapping of Kaitai's exceptions to the error codes of spec section 9. Checks
run as each object is read (hooks on the generated classes' ``_read``), so the first defect in file
order is the one reported (R9.2).

Exit status: 0 accepted (JSON on stdout), 1 refused (``kaitai-python: error: ... [code]`` on
stderr), 2 for anything else: a crash of this reader, which the conformance runner counts as a
failure.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import math
import os
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("AIGIF_KAITAI_BUILD", ROOT / "build" / "kaitai"))
REGISTRIES_PATH = ROOT / "aigif" / "registries.json"
DICTIONARY_DIR = Path(os.environ.get("AIGIF_KAITAI_DICTIONARIES", ROOT / "aigif" / "dictionaries"))
PROG = "kaitai-python"

SIGNATURE = b"\x89AIG\r\n\x1a\n"  # R3.1
MAX_CONTENT = 131_076  # R5.5: two maximal strings with their 3-byte lengths

#: R5.6: the prompt dictionaries, dictionary ID -> (file in aigif/dictionaries, SHA-256), as the spec
#: publishes them (tests/conformance/test_kaitai.py compares this table with the spec's).
DICTIONARIES = {
    32768: ("prompts-v1.zdict", "e22ba2b2bb34f43a386faf45dcccef11572fed03047e560942cdaf4bdb71fd05"),
}


class Refusal(Exception):
    """The file is refused with a spec section 9 error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _load_generated():
    path = BUILD / "python" / "aigif.py"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run tools/format/kaitai_build.py first")
    spec = importlib.util.spec_from_file_location("aigif_kaitai_generated", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Aigif


try:  # a reader that cannot start must not exit 1, which would read as "refused"
    import kaitaistruct
    from kaitaistruct import BytesIO, KaitaiStream, KaitaiStruct

    Aigif = _load_generated()
    ERRORS: dict[str, dict] = json.loads((BUILD / "errors.json").read_text("utf-8"))
    _REG = json.loads(REGISTRIES_PATH.read_text("utf-8"))
except Exception as _err:  # noqa: BLE001
    print(f"{PROG}: cannot start: {type(_err).__name__}: {_err}", file=sys.stderr)
    sys.exit(2)
NAMES: dict[str, dict[int, str]] = {key: {int(code): name for code, name in table["entries"].items()}
                                    for key, table in _REG.items() if not key.startswith("_")}
#: R4.7: names no file may escape, the registries' first editions (a name "added" later stays escapable).
REFUSED_ESCAPES: dict[str, set[str]] = {key: set(NAMES[key].values()) - set(table.get("added", {}))
                                        for key, table in _REG.items() if not key.startswith("_")}


# ---------------------------------------------------------------------------------------------
# Decimals (R4.4)


def decimal_form(value: float) -> tuple[int, int] | None:
    """(m, k) with value == m * 10**-k written from its shortest round-trip digits, k <= 2 and
    |m| <= 2**53; None when the value must be written as binary64 (also -0.0)."""
    if not math.isfinite(value) or (value == 0 and math.copysign(1.0, value) < 0):
        return None
    if value == 0:
        return 0, 0
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    power = (int(exponent) if exponent else 0) - len(fraction)
    stripped = digits.rstrip("0")
    power += len(digits) - len(stripped)
    k = max(0, -power)
    if k > 2:
        return None
    m = int(stripped) * 10 ** max(0, power)
    if m > 2**53:
        return None
    return (-m if value < 0 else m), k


def check_decimal(dec) -> None:
    """Hook on ``decimal``: limits, finiteness, the canonical form, then the allowed range."""
    head = dec.head.value
    k, q = head & 3, head >> 2
    if k == 3:  # q == 0 is a `valid` of the .ksy
        value = dec.binary64
        if not math.isfinite(value):
            raise Refusal("invalid-value", "a decimal is not finite")
        if decimal_form(value) is not None:
            raise Refusal("non-canonical", f"decimal {value!r} written as binary64 has a decimal form")
    else:
        m = (q >> 1) ^ -(q & 1)
        if abs(m) > 2**53:
            raise Refusal("limit-exceeded", "decimal significand above 2**53")
        value = float(f"{m}e-{k}")
        if decimal_form(value) != (m, k):
            raise Refusal("non-canonical", f"decimal {m}e-{k} is not the shortest form of {value!r}")
    allowed = int(dec.allowed)
    if allowed == int(Aigif.DecimalRange.nonzero) and value == 0:
        raise Refusal("non-canonical", "a zero eta or guidance rescale is written by leaving the field out")
    if allowed == int(Aigif.DecimalRange.zero_to_one) and not 0.0 <= value <= 1.0:
        raise Refusal("invalid-value", f"strength {value!r} outside 0..1")
    dec.number = value


# ---------------------------------------------------------------------------------------------
# Names, maps (R4.6, R4.7)


def check_escaped_name(escaped) -> None:
    """Hook on ``escaped_name``: a first-edition name of the registry must be written as its code."""
    if escaped.name.value in REFUSED_ESCAPES[escaped.registry]:
        raise Refusal("non-canonical", f"escaped {escaped.registry} name {escaped.name.value!r} has a code")


def check_map(mapping) -> None:
    """Hook on ``map``: keys strictly ascending as UTF-8 bytes (so no duplicates)."""
    keys = [entry.key.value.encode("utf-8") for entry in mapping.entries]
    if any(a >= b for a, b in zip(keys, keys[1:])):
        raise Refusal("non-canonical", "map keys are not unique and in ascending order")


# ---------------------------------------------------------------------------------------------
# The text block (R5.5)


def inflate(stored: bytes, cap: int, over: str) -> bytes:
    """Exactly one zlib stream; more than ``cap`` bytes out is refused with ``over`` as soon as seen."""
    engine = zlib.decompressobj()
    try:
        out = engine.decompress(stored, cap + 1)
    except zlib.error as err:
        raise Refusal("bad-compressed-data", f"zlib: {err}") from None
    if len(out) > cap:
        raise Refusal(over, f"the content exceeds {cap} bytes")
    if not engine.eof or engine.unused_data or engine.unconsumed_tail:
        raise Refusal("bad-compressed-data", "not exactly one complete zlib stream")
    return out


def zstd_frame(stored):
    """The .ksy's ``zstd_frame`` of a stored block (RFC 8878 3.1.1), parsed now: its checks (the
    declared size, the content and window limits of R5.5/R6.8, one frame and nothing after it) come
    before any decoding. Running out of bytes inside it is a frame that ends early."""
    try:
        return stored.zstd_frame
    except EOFError:
        raise Refusal("bad-compressed-data", "zstd: the frame ends early") from None


_LOADED: dict[int, object] = {}  # dictionary ID -> zstandard.ZstdCompressionDict, once checked


def prompt_dictionary(dict_id: int):
    """R5.6: the prompt dictionary with this ID, read from its file once and checked against the
    published SHA-256. A dictionary this reader does not hold (not in its table, no file, other
    bytes) cannot decode the block: ``unsupported-compressor``."""
    if dict_id not in _LOADED:
        import zstandard

        if dict_id not in DICTIONARIES:  # the .ksy knows it, this table does not: the same refusal
            raise Refusal("unsupported-compressor", f"zstd dictionary {dict_id} is not held by this reader")
        name, sha256 = DICTIONARIES[dict_id]
        try:
            data = (DICTIONARY_DIR / name).read_bytes()
        except OSError as err:
            raise Refusal("unsupported-compressor", f"zstd dictionary {dict_id}: cannot read "
                          f"{DICTIONARY_DIR / name} ({err.strerror})") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise Refusal("unsupported-compressor", f"zstd dictionary {dict_id}: {DICTIONARY_DIR / name} "
                          "is not the published dictionary (its SHA-256 differs)")
        _LOADED[dict_id] = zstandard.ZstdCompressionDict(data, dict_type=zstandard.DICT_TYPE_FULLDICT)
    return _LOADED[dict_id]


def unzstd(stored) -> bytes:
    frame = zstd_frame(stored)
    size = frame.content_size
    import zstandard  # libzstd; imported only when a file needs it

    data = stored.data
    options = {}
    if int(stored.compressor) == int(Aigif.TextCompressor.zstd_dict):  # R5.6: the .ksy checked the ID
        options["dict_data"] = prompt_dictionary(int(frame.dictionary))
    # Streaming, in small steps: the window (at most 1 or 16 MiB, checked above) is all libzstd
    # allocates, and output beyond the declared size is refused as soon as it appears. With
    # max_window_size libzstd itself refuses a larger window, should the .ksy's check ever miss one.
    engine = zstandard.ZstdDecompressor(max_window_size=1 << stored.max_window_log, **options).decompressobj()
    out = bytearray()
    step = 256 if size <= MAX_CONTENT else 1 << 16
    try:
        for start in range(0, len(data), step):
            out += engine.decompress(data[start:start + step])
            if len(out) > size:
                raise Refusal("bad-compressed-data", "the zstd frame holds more than it declares")
    except zstandard.ZstdError as err:
        raise Refusal("bad-compressed-data", f"zstd: {err}") from None
    if not engine.eof or len(out) != size:
        raise Refusal("bad-compressed-data", "the zstd frame is incomplete or does not match its size")
    return bytes(out)


def unpack(stored) -> bytes:
    """The content of a ``stored_block`` (R5.5, R6.8): the .ksy has checked a `none` block's size."""
    codec = int(stored.compressor)
    if codec == 0:
        return stored.data
    if codec == 1:
        if stored.declared < 0:  # the text block: its limit
            return inflate(stored.data, stored.max_content, "limit-exceeded")
        content = inflate(stored.data, stored.declared, "bad-compressed-data")  # R6.8: exactly n bytes
        if len(content) != stored.declared:
            raise Refusal("bad-compressed-data", f"the zlib stream holds {len(content)} bytes, not {stored.declared}")
        return content
    return unzstd(stored)  # the .ksy's checks leave only 2 (zstd) and 3 (zstd-dict)


def parse_content(cls, content: bytes, parent, what: str):
    """Parse decompressed content with a generated type; it must fill the content exactly."""
    io = KaitaiStream(BytesIO(content))
    try:
        parsed = cls(io, parent, parent._root)
    except EOFError:
        raise Refusal("malformed-field", f"the {what} ends inside its values") from None
    if not io.is_eof():
        raise Refusal("malformed-field", f"bytes left over after the {what}")
    return parsed


def check_text_block(block) -> None:
    """Hook on ``text_block``: decompress (capped), then the two strings must fill the content."""
    block.content = parse_content(Aigif.TextContent, unpack(block.stored), block, "text content")


def check_source_metadata(meta) -> None:
    """Hook on ``source_metadata`` (R6.8): decompress to exactly n bytes, then the entries fill them."""
    meta.content = parse_content(Aigif.SourceContent, unpack(meta.stored), meta, "source metadata")


# ---------------------------------------------------------------------------------------------
# Fields (R6.1)


def check_field(field) -> None:
    """Hook on ``field``: parse a known value now; it must fill its length exactly."""
    try:
        body = field.value.body
    except EOFError:
        raise Refusal("malformed-field", f"field {field.tag.value} needs more bytes than its length") from None
    if isinstance(body, KaitaiStruct) and not body._io.is_eof():
        raise Refusal("malformed-field", f"field {field.tag.value} leaves bytes over")


def _hook(cls, check) -> None:
    read = cls._read

    def _read(self):
        read(self)
        check(self)

    cls._read = _read


_hook(Aigif.Decimal, check_decimal)
_hook(Aigif.EscapedName, check_escaped_name)
_hook(Aigif.Map, check_map)
_hook(Aigif.TextBlock, check_text_block)
_hook(Aigif.SourceMetadata, check_source_metadata)
_hook(Aigif.Field, check_field)


# ---------------------------------------------------------------------------------------------
# Reading


def parse(data: bytes):
    """The parse tree of a valid file; raises Refusal with the code of the first defect."""
    if len(data) < len(SIGNATURE) or data[: len(SIGNATURE)] != SIGNATURE:
        if data and SIGNATURE.startswith(data):
            raise Refusal("truncated", "the input ends inside the signature")
        raise Refusal("bad-signature", "not an AIGIF file (the signature does not match)")
    io = KaitaiStream(BytesIO(data))
    try:
        root = Aigif(io)
    except kaitaistruct.ValidationFailedError as err:
        check = ERRORS.get(err.src_path)
        if check is None:  # a check without a code: a bug of the .ksy or the build
            raise RuntimeError(f"no error code for the check at {err.src_path}: {err}") from err
        raise Refusal(check["code"], f"{check['id']}: {check['doc'] or 'check failed'} (.ksy {err.src_path})") from None
    except EOFError:
        raise Refusal("truncated", "the file ends before its structure does") from None
    except UnicodeDecodeError as err:
        raise Refusal("bad-utf8", f"a string is not well-formed UTF-8 ({err.reason})") from None
    end = io.pos()
    if zlib.crc32(data[: end - 4]) != root.crc32:
        raise Refusal("bad-checksum", "the CRC-32 does not match the file's contents")
    if end != len(data):
        raise Refusal("trailing-bytes", f"{len(data) - end} byte(s) after the checksum")
    return root


# ---------------------------------------------------------------------------------------------
# The canonical JSON form (spec section 11)


def _coded(registry: str, code: int, escaped) -> str | int:
    if escaped is not None:
        return escaped.name.value
    return NAMES[registry].get(code, code)


def _hash_text(h) -> str | None:
    kind = h.kind.value
    if kind == 0:
        return None
    return f"{NAMES['hash_kind'].get(kind, kind)}:{h.digest.hex()}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _model_ref(ref, extra: dict | None = None) -> dict:
    out = {"name": ref.name.value}
    out.update(extra or {})
    digest = _hash_text(ref.hash)
    if digest is not None:
        out["hash"] = digest
    return out


def _pass_json(p) -> dict:
    """R6.9, R11.3: kind and strength, then exactly the parts that are present, in bit order."""
    out = {"kind": _coded("pass_kind", p.kind.value, getattr(p, "kind_name", None)), "strength": p.strength.number}
    if p.parts.value & 1:
        out.update(width=p.width.value, height=p.height.value)
    for bit, key in ((2, "upscaler"), (4, "model")):
        if p.parts.value & bit:
            ref = getattr(p, key)
            out[key] = _coded(key, ref.code.value, getattr(ref, "name", None))
            digest = _hash_text(ref.hash)
            if digest is not None:
                out[f"{key}_hash"] = digest
    if p.parts.value & 8:
        out["scheduler"] = _coded("scheduler", p.scheduler.code.value, getattr(p.scheduler, "name", None))
    if p.parts.value & 16:
        out["steps"] = p.steps.value
    if p.parts.value & 32:
        out["guidance_scale"] = p.guidance_scale.number
    if p.parts.value & 64:
        out.update(prompt=p.prompt.value, negative_prompt=p.negative_prompt.value)
    return out


def _field_json(tag: int, body):
    """(section, key, JSON value) of a known field (spec 6.7 and R11.3)."""
    T = Aigif.FieldTag
    if tag == T.scheduler_options:
        options = {}
        for key in ("sigmas", "timestep_spacing", "prediction_type"):
            value = getattr(body, key)
            if int(value):
                options[key] = value.name
        if body.rescale_betas_zero_snr:
            options["rescale_betas_zero_snr"] = True
        return "model", "scheduler_options", options
    if tag in (T.torch, T.diffusers, T.cpu_capability, T.attention, T.cpu_vendor, T.cpu_model):
        return "platform", T(tag).name, body.value
    if tag in (T.scheduler_config, T.software):
        return ("model" if tag == T.scheduler_config else "platform"), T(tag).name, \
            {entry.key.value: entry.value.value for entry in body.entries}
    if tag == T.vae:
        return "model", "vae", _model_ref(body)
    if tag == T.adapters:
        adapters = []
        for a in body.adapters:
            entry = {"name": a.ref.name.value}
            kind = _coded("adapter_kind", a.kind.value, getattr(a, "kind_name", None))
            if kind != "lora":
                entry["kind"] = kind
            digest = _hash_text(a.ref.hash)
            if digest is not None:
                entry["hash"] = digest
            if a.weight.number != 1.0:
                entry["weight"] = a.weight.number
            adapters.append(entry)
        return "model", "adapters", adapters
    if tag == T.threads:
        return "platform", "threads", body.count.value
    if tag == T.clip_skip:
        return "model", "clip_skip", body.layers.value
    if tag == T.determinism:
        bits = body.flags.value
        return "platform", "determinism", [f.name for f in Aigif.DeterminismFlag if bits >> int(f) & 1]
    if tag == T.rng:
        return "data", "rng", _coded("rng", body.code.value, getattr(body, "name", None))
    if tag == T.determinism_profile:
        return "platform", "determinism_profile", _coded("determinism_profile", body.code.value,
                                                         getattr(body, "name", None))
    if tag in (T.eta, T.strength, T.guidance_rescale):
        return "data", T(tag).name, body.number
    if tag == T.model_hash:
        return "model", "hash", _hash_text(body)
    if tag == T.pixel_digest:
        return "payload", "pixel_digest", _hash_text(body)
    if tag == T.pixels:
        return "payload", "pixels", _b64(body.data)
    if tag == T.model_payload:
        return "payload", "model", _b64(body.data)
    if tag in (T.source_tool, T.source_version):
        return "source", "tool" if tag == T.source_tool else "version", body.value
    if tag == T.faithfulness:
        return "source", "faithfulness", {
            "level": _coded("faithfulness", body.level.value, getattr(body, "level_name", None)),
            "reasons": [reason.value for reason in body.reasons]}
    if tag == T.source_metadata:
        return "source", "metadata", [{"where": e.where.value, "key": e.key.value, "text": e.text.value}
                                      for e in body.content.entries]
    if tag == T.passes:
        return "data", "passes", [_pass_json(p) for p in body.passes]
    if tag == T.embedding_triggers:
        return "model", "embedding_triggers", {entry.key.value: entry.value.value for entry in body.triggers.entries}
    if tag in (T.init_image, T.mask):
        return "payload", T(tag).name, {"compressor": NAMES["pixel_compressor"][body.compressor.value],
                                        "width": body.width.value, "height": body.height.value,
                                        "data": _b64(body.data)}
    raise AssertionError(f"field {tag} has no JSON form")


def to_json(root) -> dict:
    comp, plat, mod, dat = root.compression, root.platform, root.model, root.data
    text = dat.text.content
    doc: dict = {
        "version": root.version,
        "compression": {
            "save_pixels": comp.save_pixels,
            "pixel_compressor": NAMES["pixel_compressor"][int(comp.pixel_compressor)],
            "text_compressor": NAMES["text_compressor"][int(comp.text_compressor)],
            "save_model": comp.save_model,
            "model_compressor": NAMES["model_compressor"][int(comp.model_compressor)],
        },
        "platform": {
            "device": _coded("device", int(plat.device), getattr(plat, "device_name", None)),
            "arch": _coded("arch", int(plat.arch), getattr(plat, "arch_name", None)),
            "gpu": _coded("gpu", plat.gpu.value, getattr(plat, "gpu_name", None)),
            "cuda": _coded("cuda", plat.cuda.value, getattr(plat, "cuda_name", None)),
        },
        "model": {
            "id": _coded("model", mod.model_id.value, getattr(mod, "model_name", None)),
            "dtype": _coded("dtype", int(mod.dtype), getattr(mod, "dtype_name", None)),
            "scheduler": _coded("scheduler", int(mod.scheduler), getattr(mod, "scheduler_name", None)),
        },
        "data": {
            "prompt": text.prompt.value,
            "negative_prompt": text.negative_prompt.value,
            "height": dat.height.value,
            "width": dat.width.value,
            "seed": dat.seed.value,
            "steps": dat.steps.value,
            "guidance_scale": dat.guidance_scale.number,
        },
    }
    payload: dict = {}
    source: dict = {}
    extensions = []
    for field in root.fields:
        tag = field.tag.value
        body = field.value.body
        if isinstance(body, bytes) and tag not in (Aigif.FieldTag.pixels, Aigif.FieldTag.model_payload):
            extensions.append({"tag": tag, "data": _b64(body)})  # R6.3: unknown ancillary, kept
            continue
        section, key, value = _field_json(tag, body)
        {"payload": payload, "source": source}.get(section, doc.get(section))[key] = value
    if payload:
        doc["payload"] = payload
    if source:
        doc["source"] = source
    if extensions:
        doc["extensions"] = extensions
    return doc


def read(data: bytes) -> dict:
    return to_json(parse(data))


def dumps(doc: dict, indent: int | None = 2) -> str:
    return json.dumps(doc, indent=indent, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# Command line


def _one(path: str) -> int:
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        print(f"{PROG}: cannot read {path}: {err.strerror}", file=sys.stderr)
        return 2
    try:
        doc = read(data)
    except Refusal as err:
        print(f"{PROG}: error: {err} [{err.code}]", file=sys.stderr)
        return 1
    sys.stdout.buffer.write((dumps(doc) + "\n").encode("utf-8"))
    return 0


def _batch(paths: list[str]) -> int:
    """One JSON line per file: {"file", "json"} accepted, {"file", "error"} refused, {"file", "crash"}."""
    if paths == ["-"]:  # one path per line, answered as it comes (a caller may keep this process open)
        paths = (line.rstrip("\r\n") for line in iter(sys.stdin.readline, "") if line.strip())
    out = sys.stdout.buffer
    for path in paths:
        try:
            line = {"file": path, "json": read(Path(path).read_bytes())}
        except Refusal as err:
            line = {"file": path, "error": err.code, "message": str(err)}
        except Exception as err:  # noqa: BLE001 - reported per file, as a crash
            line = {"file": path, "crash": f"{type(err).__name__}: {err}"}
        out.write((dumps(line, indent=None) + "\n").encode("utf-8"))
        out.flush()
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--batch"]:
        return _batch(argv[1:])
    if len(argv) != 1 or argv[0].startswith("-"):
        print(f"usage: {PROG} FILE | --batch FILE... | --batch - (paths on stdin)", file=sys.stderr)
        return 2
    try:
        return _one(argv[0])
    except Exception:  # noqa: BLE001 - a crash of this reader: exit 2, never 1 (which means "refused")
        import traceback

        traceback.print_exc()
        print(f"{PROG}: crashed on {argv[0]}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
