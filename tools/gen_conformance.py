"""Generate the AIGIF v1 conformance suite (``conformance/suite/``) from the case list below.

    python tools/gen_conformance.py            # write conformance/suite/ (replaces the generated files)
    python tools/gen_conformance.py --check    # regenerate in memory; fail if anything on disk differs

Every case is declared here with its expected result, its clauses and a one-line description:

* ``y_`` valid files: built from bytes (the independent encoder of ``tools/format/spec_encoder.py``) or from
  a JSON document; ``expect`` lists JSON values the file must show (checked against the reference
  library, which also writes the full canonical JSON beside the file).
* ``n_`` invalid files: exactly one defect each, with the CRC recomputed, and the one error code a
  reader must report (spec section 9). The generator checks the reference library agrees, so a
  case and the library can never silently drift apart.
* ``i_`` implementation-defined files: a reader may accept (then with the JSON given) or reject
  (then with one of the codes given).

Nothing here reads ``records-dev.jsonl`` or any other shared data.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import re
import struct
import sys
import zlib
from dataclasses import dataclass, field as dc_field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path[:0] = [str(ROOT / "tools" / group) for group in ("", "format", "bench", "recreate", "importer")]

import aigif  # noqa: E402  (the reference reader cross-checks every case)
from spec_encoder import (  # noqa: E402
    SIGNATURE, binary64, compression, zstd_dict_frame, zstd_frame_with_window, decimal_bytes, exp, field, hash_value, make_file, map_value, model_ref,
    nibbles, stored, string, text_block, text_content, uv, zstd_frame,
)

SUITE = ROOT / "conformance" / "suite"
DOCS = ROOT / "docs" / "conformance.md"  # its counts are generated blocks (render_docs)
SPEC = ROOT / "spec" / "aigif-v1.md"
REGISTRIES = json.loads((ROOT / "aigif" / "registries.json").read_text("utf-8"))

# Field tags (spec 6.7).
SCHEDULER_OPTIONS, TORCH, SCHEDULER_CONFIG, DIFFUSERS, VAE, CPU_CAPABILITY, ADAPTERS, THREADS, CLIP_SKIP, \
    DETERMINISM, RNG, ATTENTION, ETA, SOFTWARE, STRENGTH, MODEL_HASH, GUIDANCE_RESCALE = range(1, 18)
SOURCE_TOOL, PIXELS, PIXEL_DIGEST, MODEL_PAYLOAD, SOURCE_VERSION, FAITHFULNESS, SOURCE_METADATA = \
    18, 19, 20, 21, 22, 24, 26
CPU_VENDOR, CPU_MODEL, DETERMINISM_PROFILE = 32, 34, 36
PASSES, EMBEDDING_TRIGGERS, INIT_IMAGE, MASK = 25, 27, 29, 31

#: Clauses with a MUST that no bitstream can test, and where they are tested instead.
NOT_BY_BITSTREAM = {
    "R2.1": "defines the key words; nothing to test",
    "R10.1": "a writer requirement: tests/conformance/test_conformance_suite.py re-encodes every y_ file with the "
             "reference writer and gets the same bytes",
    "R10.4": "a writer requirement (no overwrite, atomic writes): tests/format/test_io.py",
    "R11.5": "JSON to file, a writer requirement: tests/format/test_json.py",
    "R13.1": "how the format is extended (a rule for spec revisions, not for files)",
}


#: Rules that a clause states in prose and that each need a case of their own: "R4.4 has a case" is not
#: enough when a reader can pass it while getting one of its rules wrong. rule -> (family, what).
RULES: dict[str, tuple[str, str]] = {
    "decimal-zero": ("y", "R4.4: 0 is m = 0, k = 0"),
    "decimal-fewest-digits": ("n", "R4.4: k is the number of digits after the point (7 is not 70 x 10^-1)"),
    "decimal-no-trailing-zero": ("n", "R4.4: trailing zeros are removed (7.5 is not 750 x 10^-2)"),
    "decimal-m-form-not-binary64": ("n", "R4.4: a value with an m, k form is not written as binary64"),
    "decimal-binary64-over-2-digits": ("y", "R4.4: more than 2 digits after the point: binary64"),
    "decimal-binary64-m-over-2-53": ("y", "R4.4: |m| above 2^53: binary64"),
    "decimal-m-limit": ("n", "R4.4: |m| above 2^53 in the m, k form is limit-exceeded"),
    "decimal-minus-zero": ("y", "R4.4: -0.0 is written as binary64"),
    "decimal-q-zero": ("n", "R4.4: k = 3 with q != 0 is non-canonical"),
    "decimal-finite": ("n", "R4.4: NaN and infinities are refused"),
    "decimal-shortest": ("n", "R4.4: an m, k that is not its value's shortest string, and not by trailing zeros"),
    "decimal-nearest": ("n", "R4.4: of two shortest strings of one length, the one nearest the value"),
    "decimal-exponent-large": ("y", "R4.4: an exponent-form string (1e+16) whose m is above 2^53: binary64"),
    "decimal-exponent-small": ("y", "R4.4: an exponent-form string (5e-324) with more than 2 digits: binary64"),
    "decimal-exponent-fits": ("y", "R4.4: a value near an exponent form whose m fits (1e15): m, k"),
    "hash-kind-no-escape": ("y", "R4.5, R4.7: hash kind 254 is an unknown kind with its bytes, not an escape"),
}
for _registry, _table in REGISTRIES.items():
    if _registry.startswith("_") or not _table["open"] or not _table.get("escape", True):
        continue
    RULES[f"escape:{_registry}"] = ("y", f"R4.7: a {_registry} without a code, escaped")
    RULES[f"escape-has-code:{_registry}"] = ("n", f"R4.7: an escaped first-edition {_registry} name is refused")
    for _name in _table.get("added", {}):
        RULES[f"escape-added:{_registry}:{_name}"] = (
            "y", f"R4.7: the escaped {_registry} name {_name!r}, added later, is accepted")

# ---------------------------------------------------------------------------------------------
# Small, fixed images for the pixel payload cases. The encoded bytes are constants so the suite does
# not depend on the encoder versions of the machine that generates it; tests/conformance/test_conformance_suite.py
# decodes them (where the codec is installed) and checks they give PIXELS_2x2.

PIXELS_2x2 = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])  # red, green / blue, white
# Made once with Pillow 13.0.0 (PNG, WebP lossless) and imagecodecs 2026.3.6 / libjxl 0.11.2
# (JPEG XL lossless, effort 9).
PNG_2x2 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73"
    "0000001649444154789c63f8cfc0c0f09f819181e1ffffff0c001ef604fd09ed34"
    "3e0000000049454e44ae426082")
WEBP_2x2 = bytes.fromhex("524946461a000000574542505650384c0e0000002f0140000098fff99ffffe87c203")
JXL_2x2 = bytes.fromhex("ff0a081010090804010040004b188b15966e68837060b40b0400508c")


# ---------------------------------------------------------------------------------------------
# The case list's vocabulary


@dataclass
class Case:
    name: str
    clauses: list[str]
    description: str
    data: bytes
    error: str | None = None  # n_
    errors: list[str] | None = None  # i_: codes allowed when rejecting (None: any)
    accept: bool = True  # i_: may a reader accept?
    expect: dict = dc_field(default_factory=dict)  # y_/i_: dotted JSON path -> value the file must show
    rules: tuple[str, ...] = ()  # rules of RULES this case exercises (the coverage self-test counts them)
    canonical: bool = True  # y_: False where a writer writes the same contents differently (R4.7, R15.1)

    @property
    def kind(self) -> str:
        return self.name[0]


CASES: list[Case] = []


def y(name: str, clauses, description: str, data: bytes | None = None, *, doc: dict | None = None,
      expect: dict | None = None, rules=(), canonical: bool = True) -> None:
    if data is None:
        data = aigif.dumps(aigif.from_json(doc))
    CASES.append(Case("y_" + name, _clauses(clauses), description, data, expect=expect or {}, rules=tuple(rules),
                      canonical=canonical))


def n(name: str, error: str, clauses, description: str, data: bytes, *, rules=()) -> None:
    CASES.append(Case("n_" + name, _clauses(clauses), description, data, error=error, rules=tuple(rules)))


def i(name: str, clauses, description: str, data: bytes, *, accept: bool, errors=None, expect=None) -> None:
    CASES.append(Case("i_" + name, _clauses(clauses), description, data, errors=errors, accept=accept,
                      expect=expect or {}))


def _clauses(value) -> list[str]:
    return value.split() if isinstance(value, str) else list(value)


f = make_file  # a file from its parts; the defaults are a minimal valid file


def fields_file(*fields: bytes, **parts) -> bytes:
    return make_file(fields=list(fields), **parts)


def pass_value(kind: bytes = b"\x00", strength: bytes | None = None, *, size: bytes | None = None,
               upscaler: bytes | None = None, model: bytes | None = None, scheduler: bytes | None = None,
               steps: bytes | None = None, guidance: bytes | None = None, prompts: bytes | None = None,
               parts: int | None = None) -> bytes:
    """R6.9: one pass (default: hires, strength 0.5 = 5 x 10^-1), its parts in bit order."""
    optional = (size, upscaler, model, scheduler, steps, guidance, prompts)
    if parts is None:
        parts = sum(1 << bit for bit, part in enumerate(optional) if part is not None)
    strength = decimal_of(0.5) if strength is None else strength
    return kind + strength + uv(parts) + b"".join(part for part in optional if part is not None)


def image_value(compressor: int, width: int, height: int, data: bytes) -> bytes:
    """R6.10: an init image or mask."""
    return exp(compressor) + uv(width) + uv(height) + data


def platform(device: int = 0, arch: int = 0, gpu: bytes = b"\x00", cuda: bytes = b"\x00",
             device_name: bytes = b"", arch_name: bytes = b"") -> bytes:
    """Section 5.2: device|arch nibbles, their escape names, GPU and CUDA (with their names)."""
    return nibbles(device, arch) + device_name + arch_name + gpu + cuda


def model(model_id: bytes = b"\x00", dtype: int = 0, scheduler: int = 0, dtype_name: bytes = b"",
          scheduler_name: bytes = b"") -> bytes:
    """Section 5.3: model ID (with its name), dtype|scheduler nibbles, their escape names."""
    return model_id + nibbles(dtype, scheduler) + dtype_name + scheduler_name


def pixels_file(codec: int, payload: bytes, *, width: int = 2, height: int = 2, extra=()) -> bytes:
    return make_file(comp=compression(save_pixels=1, pixel=codec), width=uv(width), height=uv(height),
                     fields=[field(PIXELS, payload), *extra])  # extras have tags above 19


def truncate(data: bytes, length: int) -> bytes:
    return data[:length]


def decimal_of(value: float) -> bytes:
    """The canonical decimal of R4.4, written from the spec's rule (shortest digits, <= 2 decimals)."""
    if value == 0 and math.copysign(1, value) < 0:
        return binary64(value)
    digits = repr(value)
    if "e" in digits or "E" in digits:
        mantissa, power = digits.lower().split("e")
        power = int(power)
    else:
        mantissa, power = digits, 0
    whole, _, frac = mantissa.partition(".")
    frac = frac.rstrip("0")
    k = len(frac) - power
    m_text = (whole + frac).lstrip("-") or "0"
    if k < 0:
        m_text += "0" * -k
        k = 0
    m = int(m_text) * (-1 if value < 0 else 1)
    if k <= 2 and abs(m) <= 2**53:
        return decimal_bytes(m, k)
    return binary64(value)


# ---------------------------------------------------------------------------------------------
# 1. The worked examples of spec section 14, byte for byte.

TABLE1 = bytes.fromhex(
    "89 41 49 47 0D 0A 1A 0A 01 00 80 10 01 01 00 10 21"
    " 78 DA E3 72 54 48 2E 2D 49 55 48 4E 2C E1 2D CF 2F 2A 2E 51 28 2C 4D CC C9 2C A9 04 00 68 D7 08 EA"
    " 80 08 80 08 C1 95 C8 8B 03 19 D9 04 00 7B 83 ED 26")
EXAMPLE2_DIGEST = bytes.fromhex("3381de4ca9f3a477f25989dfc8b744e7916046b7aa369f61a9a2f7dc0963ec9e")
EXAMPLE2 = fields_file(
    field(SCHEDULER_OPTIONS, uv(1)), field(TORCH, string("2.13.0+cpu")), field(THREADS, uv(2)),
    field(PIXEL_DIGEST, hash_value(1, EXAMPLE2_DIGEST)),
    platform=platform(0, 1), model=model(exp(25), 0, 6), text=text_block("a lighthouse at dusk", ""),
    height=uv(256), width=uv(256), seed=uv(2**64 - 1), steps=uv(20), guidance=decimal_bytes(5, 0))
EXAMPLE3 = make_file(platform=platform(0, 0, gpu=b"\xfe" + string("NVIDIA Jetson Orin")),
                     model=model(b"\xfe" + string("my-finetune-v3"), 0, 15, scheduler_name=string("flow_euler")))

y("table1", "R3.1 R3.2 R3.3 R5.5", "the paper's Table I example, spec 14.1 (zlib text)", TABLE1,
  expect={"data.prompt": "A cute cat", "data.seed": 829557441, "data.guidance_scale": 7.5,
          "platform.gpu": "NVIDIA GeForce GTX 1080 Ti", "compression.text_compressor": "zlib"})
y("example2_fields_seed64_digest", "R4.5 R5.4 R6.1 R6.2", "spec 14.2: fields, seed 2^64-1, pixel digest",
  EXAMPLE2, expect={"data.seed": 2**64 - 1, "platform.threads": 2, "model.scheduler_options": {"sigmas": "karras"},
                    "payload.pixel_digest": "sha256:" + EXAMPLE2_DIGEST.hex()})
y("example3_escapes", "R4.7", "spec 14.3: a GPU, a model and a scheduler without codes", EXAMPLE3,
  expect={"platform.gpu": "NVIDIA Jetson Orin", "model.id": "my-finetune-v3", "model.scheduler": "flow_euler"},
  rules=["escape:gpu", "escape:model", "escape:scheduler"])
y("minimal", "R3.1 R3.2 R3.3 R3.4", "the smallest file: every core value default or zero, no fields", f())

# ---------------------------------------------------------------------------------------------
# 2. Signature, version, checksum, trailing bytes (R3.1-R3.4)

n("signature_png", "bad-signature", "R3.1", "a PNG signature", b"\x89PNG\r\n\x1a\n" + f()[8:])
n("signature_first_byte", "bad-signature", "R3.1", "first byte 0x88 instead of 0x89", b"\x88" + f()[1:])
n("signature_lf_to_crlf", "bad-signature", "R3.1", "newline conversion turned the final LF into CR LF",
  f().replace(b"\x1a\n", b"\x1a\r\n", 1))
n("signature_crlf_to_lf", "bad-signature", "R3.1", "newline conversion turned CR LF into LF",
  f().replace(b"\r\n", b"\n", 1))
n("signature_ascii", "bad-signature", "R3.1", "the signature without its high first byte", b"AIG\r\n\x1a\n\x00" + f()[8:])
n("empty", "bad-signature", "R3.1", "zero bytes", b"")
n("not_a_prefix_short", "bad-signature", "R3.1", "3 bytes that do not begin the signature", b"GIF")
n("truncated_signature_1", "truncated", "R3.1 R3.5", "the first byte of the signature only", SIGNATURE[:1])
n("truncated_signature_7", "truncated", "R3.1 R3.5", "7 bytes of the signature", SIGNATURE[:7])
n("truncated_after_signature", "truncated", "R3.5", "the signature and nothing else", SIGNATURE)
n("version_0", "unsupported-version", "R3.2", "version byte 0", f(version=b"\x00"))
n("version_2", "unsupported-version", "R3.2", "version byte 2 (a future major version)", f(version=b"\x02"))
n("version_255", "unsupported-version", "R3.2", "version byte 255", f(version=b"\xff"))
n("version_2_then_garbage", "unsupported-version", "R3.2 R9.2",
  "version 2 followed by bytes that are not v1 at all: the version is checked first",
  SIGNATURE + b"\x02" + bytes(range(256)))
n("version_2_only", "unsupported-version", "R3.2", "version 2 and nothing after it", SIGNATURE + b"\x02")
n("checksum_flipped_bit", "bad-checksum", "R3.3", "one bit of the CRC-32 flipped",
  f()[:-1] + bytes([f()[-1] ^ 1]))
n("checksum_zero", "bad-checksum", "R3.3", "CRC-32 written as 00 00 00 00", f(crc=b"\x00\x00\x00\x00"))
n("checksum_little_endian", "bad-checksum", "R3.3", "the right CRC-32 stored little-endian",
  f()[:-4] + f()[-4:][::-1])
n("checksum_of_wrong_bytes", "bad-checksum", "R3.3", "the CRC-32 of the file without its signature",
  f()[:-4] + struct.pack(">I", zlib.crc32(f()[8:-4])))
n("checksum_body_changed", "bad-checksum", "R3.3", "the seed changed after the CRC was computed",
  f()[:-4 - 6] + b"\x07" + f()[-4 - 5:])
n("trailing_zero_byte", "trailing-bytes", "R3.4", "one 00 byte after the checksum", f() + b"\x00")
n("trailing_newline", "trailing-bytes", "R3.4", "a newline after the checksum", f() + b"\n")
n("trailing_second_file", "trailing-bytes", "R3.4", "two AIGIF files concatenated", f() + f())
n("trailing_polyglot_zip", "trailing-bytes", "R3.4", "a ZIP end-of-central-directory appended (polyglot)",
  f() + b"PK\x05\x06" + bytes(18))

# ---------------------------------------------------------------------------------------------
# 3. Truncation at every section boundary (R3.5): a rich file cut after each part and inside each part.

RICH_PARTS = [
    ("signature", SIGNATURE),
    ("version", b"\x01"),
    ("compression", compression(save_pixels=1, pixel=0, text=1)),
    ("platform_nibbles", nibbles(15, 1)),
    ("device_name", string("tpu")),
    ("gpu", b"\xff\x05"),
    ("cuda", b"\x01"),
    ("model_id", b"\xfe" + string("my-model")),
    ("dtype_scheduler", nibbles(0, 6)),
    ("text_length", uv(len(zlib.compress(text_content("a red fox", "blurry"), 9)))),
    ("text_stored", zlib.compress(text_content("a red fox", "blurry"), 9)),
    ("height", uv(2)),
    ("width", uv(2)),
    ("seed", uv(2**40 + 7)),
    ("steps", uv(30)),
    ("guidance", decimal_bytes(75, 1)),
    ("field_count", uv(3)),
    ("field_torch", field(TORCH, string("2.13.0+cpu"))),
    ("field_eta", field(ETA, binary64(0.125))),
    ("field_pixels", field(PIXELS, PIXELS_2x2)),
]
RICH_BODY = b"".join(part for _, part in RICH_PARTS)
RICH = RICH_BODY + struct.pack(">I", zlib.crc32(RICH_BODY))
y("rich", "R3.5 R5.1 R5.2 R5.3 R6.6", "every core part, an escape, exp codes, fields and raw pixels "
  "(the file the truncation cases cut)", RICH,
  expect={"platform.device": "tpu", "model.id": "my-model", "data.seed": 2**40 + 7, "data.eta": 0.125,
          "payload.pixels": base64.b64encode(PIXELS_2x2).decode()})

offset = 0
for part_name, part in RICH_PARTS[1:]:
    offset += len(RICH_PARTS[[p for p, _ in RICH_PARTS].index(part_name) - 1][1])
    n(f"truncated_before_{part_name}", "truncated", "R3.5 R9.1", f"the rich file cut right before its {part_name}",
      truncate(RICH, offset))
    if len(part) > 1:
        n(f"truncated_inside_{part_name}", "truncated", "R3.5 R9.1", f"the rich file cut inside its {part_name}",
          truncate(RICH, offset + len(part) // 2 if part_name != "text_stored" else offset + 3))
n("truncated_before_checksum", "truncated", "R3.5", "everything but the checksum", RICH_BODY)
for cut in (1, 2, 3):
    n(f"truncated_checksum_{4 - cut}_bytes", "truncated", "R3.5", f"the checksum cut to {4 - cut} bytes",
      RICH[:-cut])
n("field_length_past_end", "truncated", "R6.1 R3.5",
  "an ancillary field whose length runs past the end of the file (the checksum is right)",
  make_file(fields=[exp(40) + uv(100) + b"abc"]))

# ---------------------------------------------------------------------------------------------
# 4. uvarint (R4.1) and exp code (R4.2) boundaries

for seed in (0, 1, 127, 128, 16_383, 16_384, 2**32 - 1, 2**32, 2**53, 2**53 + 1, 2**63, 2**64 - 2, 2**64 - 1):
    y(f"seed_{seed}", "R4.1 R5.4 R5.7", f"seed {seed} ({len(uv(seed))}-byte uvarint)", f(seed=uv(seed)),
      expect={"data.seed": seed})
n("uvarint_overlong_zero", "non-canonical", "R4.1", "seed 0 written as 80 00", f(seed=b"\x80\x00"))
n("uvarint_overlong_512", "non-canonical", "R4.1", "height 512 written as 80 84 00 (overlong)",
  f(height=b"\x80\x84\x00"))
n("uvarint_overlong_10_bytes", "non-canonical", "R4.1", "seed 1 padded to 10 bytes",
  f(seed=b"\x81" + b"\x80" * 8 + b"\x00"))
n("uvarint_11_bytes", "limit-exceeded", "R4.1 R8.1", "an 11-byte uvarint seed", f(seed=b"\xff" * 10 + b"\x01"))
n("uvarint_2_64", "limit-exceeded", "R4.1 R8.1", "seed 2^64 (10 bytes, one above the largest)",
  f(seed=b"\x80" * 9 + b"\x02"))
n("uvarint_10th_byte_high", "limit-exceeded", "R4.1 R8.1", "a 10-byte uvarint whose last byte is 7F",
  f(seed=b"\xff" * 9 + b"\x7f"))

for code in (0, 253, 255, 509, 510, 764, 765, 1785, 2039):
    label = "model ID" if code != 0 else "model ID 0"
    y(f"exp_code_{code}", "R4.2 R4.7", f"{label} {code} ({len(exp(code))}-byte exp code; unknown codes by number)",
      f(model=model(exp(code))),
      expect={"model.id": REGISTRIES["model"]["entries"].get(str(code), code)})
for code in (224, 253):
    y(f"private_use_gpu_{code}", "R4.7 R7.0", f"GPU code {code} (private use / unassigned): shown by number",
      f(platform=platform(gpu=exp(code))), expect={"platform.gpu": code})
n("exp_code_9_bytes", "limit-exceeded", "R4.2 R8.1", "a model ID of 8 bytes FF (would need a 9th byte)",
  f(model=b"\xff" * 8 + b"\x00" + b"\x00"))
n("exp_code_9_bytes_tag", "limit-exceeded", "R4.2 R8.1", "a field tag of 8 bytes FF",
  fields_file(b"\xff" * 8 + b"\x00\x00"))

# ---------------------------------------------------------------------------------------------
# 5. Strings (R4.3)

y("prompt_empty", "R4.3 R5.5", "empty prompt and negative prompt", f(text=text_block("", "")),
  expect={"data.prompt": "", "data.negative_prompt": ""})
y("prompt_max_65535", "R4.3 R8.1", "a prompt of 65,535 bytes, the largest string",
  f(text=text_block("a" * 65_535, "")), expect={"data.prompt": "a" * 65_535})
y("prompt_and_negative_max_zstd", "R4.3 R5.5 R8.1",
  "both strings maximal: the content is exactly 131,076 bytes (zstd)",
  f(comp=compression(text=2), text=text_block("p" * 65_535, "n" * 65_535, compressor="zstd")),
  expect={"data.negative_prompt": "n" * 65_535})
y("prompt_nul", "R4.3", "U+0000 inside a prompt is kept", f(text=text_block("a\x00b", "\x00")),
  expect={"data.prompt": "a\x00b"})
y("prompt_unicode_edges", "R4.3", "U+007F, U+0080, U+07FF, U+0800, U+FFFD, U+FFFF, U+10000, U+10FFFF",
  f(text=text_block("\x7f\x80\u07ff\u0800\ufffd\uffff\U00010000\U0010ffff", "\ue000")),
  expect={"data.prompt": "\x7f\x80\u07ff\u0800\ufffd\uffff\U00010000\U0010ffff"})
y("prompt_not_normalised", "R4.3", "NFD and NFC forms of é are kept as written",
  f(text=text_block("e\u0301", "\u00e9")), expect={"data.prompt": "e\u0301", "data.negative_prompt": "\u00e9"})
y("prompt_emoji_rtl", "R4.3", "emoji, a ZWJ sequence and right-to-left text",
  f(text=text_block("🐱‍👤 cat", "שלום عالم")), expect={"data.negative_prompt": "שלום عالم"})
y("prompt_control_and_markup", "R4.3", "control characters and markup are text, not structure",
  f(text=text_block("[bold]x[/bold] <b>\x1b[31m\r\n\t", "\\u0000")), expect={"data.negative_prompt": "\\u0000"})
n("prompt_65536", "limit-exceeded", "R4.3 R8.1", "a prompt of 65,536 bytes",
  f(text=text_block("a" * 65_536, "")))
n("prompt_length_huge", "limit-exceeded", "R4.3 R8.1",
  "a prompt claiming 2^40 bytes: refused before anything is read",
  f(text=stored(uv(2**40) + b"abc")))
for label, raw, what in [
    ("overlong_slash", b"\xc0\xaf", "overlong encoding of '/'"),
    ("overlong_nul", b"\xc0\x80", "overlong encoding of U+0000 (modified UTF-8)"),
    ("surrogate_high", b"\xed\xa0\x80", "UTF-16 high surrogate U+D800"),
    ("surrogate_pair_cesu", b"\xed\xa0\xbd\xed\xb8\x80", "a surrogate pair (CESU-8)"),
    ("above_10ffff", b"\xf4\x90\x80\x80", "code point U+110000"),
    ("f5_byte", b"\xf5\x80\x80\x80", "byte F5"),
    ("ff_byte", b"a\xffb", "byte FF"),
    ("lone_continuation", b"\x80", "a lone continuation byte"),
    ("cut_sequence", b"abc\xe2\x82", "a 3-byte sequence cut at the end of the string"),
    ("latin1", "café".encode("latin-1"), "Latin-1 text, not UTF-8"),
]:
    n(f"utf8_{label}_prompt", "bad-utf8", "R4.3", f"prompt with {what}", f(text=text_block(raw, "")))
n("utf8_negative_prompt", "bad-utf8", "R4.3", "negative prompt with an overlong encoding",
  f(text=text_block("x", b"\xe0\x80\xaf")))
n("utf8_escape_name", "bad-utf8", "R4.3 R4.7", "an escaped GPU name that is not UTF-8",
  f(platform=platform(gpu=b"\xfe" + string(b"GPU\xff"))))
n("utf8_field_torch", "bad-utf8", "R4.3", "the torch version (field 2) with a surrogate",
  fields_file(field(TORCH, string(b"2.\xed\xb0\x80"))))
n("utf8_map_key", "bad-utf8", "R4.3 R4.6", "a software map key that is not UTF-8",
  fields_file(field(SOFTWARE, map_value([(b"py\xc3", "3.12")]))))
n("name_empty_escape", "invalid-value", "R4.3 R4.7", "a GPU escape with an empty name",
  f(platform=platform(gpu=b"\xfe" + string(""))))
n("name_empty_torch", "invalid-value", "R4.3", "an empty torch version (field 2, a name)",
  fields_file(field(TORCH, string(""))))
n("name_empty_map_key", "invalid-value", "R4.3 R4.6", "an empty key in the software map",
  fields_file(field(SOFTWARE, map_value([("", "1")]))))
y("map_value_empty", "R4.6", "a software map value may be an empty string",
  fields_file(field(SOFTWARE, map_value([("cudnn", "")]))), expect={"platform.software": {"cudnn": ""}})

# ---------------------------------------------------------------------------------------------
# 6. Decimals (R4.4), in the guidance scale and the ancillary-free decimal fields

DECIMAL_VALUE_RULES = {0.0: "decimal-zero", 0.125: "decimal-binary64-over-2-digits",
                       2.0**53 + 2: "decimal-binary64-m-over-2-53", 5e-324: "decimal-exponent-small",
                       1e16: "decimal-exponent-large", 1e15: "decimal-exponent-fits"}
for value in (0.0, 7.0, 7.5, 0.75, 1.15, -1.0, 12.34, -0.01, 100.0, 2.0**53, 0.125, -0.0, 0.1 + 0.2, 1e300,
              5e-324, 1.7976931348623157e308, 2.0**53 + 2, 1e16, 1e15, 80000000000000.02):
    label = repr(value).replace("-", "minus_").replace(".", "_").replace("+", "")
    minus_zero = value == 0 and math.copysign(1, value) < 0
    y(f"guidance_{label}", "R4.4", f"guidance scale {value!r} ({'binary64' if decimal_of(value)[0] == 3 else 'm, k'})",
      f(guidance=decimal_of(value)), expect={"data.guidance_scale": value},
      rules=["decimal-minus-zero"] if minus_zero else [DECIMAL_VALUE_RULES[value]] if value in DECIMAL_VALUE_RULES
      else [])
n("decimal_trailing_zero", "non-canonical", "R4.4", "7.5 written as 750 x 10^-2",
  f(guidance=decimal_bytes(750, 2)), rules=["decimal-no-trailing-zero"])
n("decimal_integer_with_k1", "non-canonical", "R4.4", "7 written as 70 x 10^-1", f(guidance=decimal_bytes(70, 1)),
  rules=["decimal-fewest-digits"])
n("decimal_binary64_for_7_5", "non-canonical", "R4.4", "7.5 written as binary64", f(guidance=binary64(7.5)),
  rules=["decimal-m-form-not-binary64"])
n("decimal_binary64_for_0", "non-canonical", "R4.4", "+0.0 written as binary64", f(guidance=binary64(0.0)),
  rules=["decimal-m-form-not-binary64"])
n("decimal_m_for_0_125_impossible", "non-canonical", "R4.4",
  "0.3 written as binary64 (it has a 1-digit form)", f(guidance=binary64(0.3)), rules=["decimal-m-form-not-binary64"])
n("decimal_binary64_for_2_53", "non-canonical", "R4.4", "2^53 written as binary64 (m = 2^53 is allowed)",
  f(guidance=binary64(2.0**53)), rules=["decimal-m-form-not-binary64"])
n("decimal_k3_q_nonzero", "non-canonical", "R4.4", "k = 3 with q = 1 before the binary64",
  f(guidance=uv(1 << 2 | 3) + struct.pack(">d", 0.125)), rules=["decimal-q-zero"])
n("decimal_nan", "invalid-value", "R4.4", "binary64 NaN", f(guidance=b"\x03" + bytes.fromhex("7ff8000000000000")),
  rules=["decimal-finite"])
n("decimal_infinity", "invalid-value", "R4.4", "binary64 +infinity",
  f(guidance=b"\x03" + bytes.fromhex("7ff0000000000000")), rules=["decimal-finite"])
n("decimal_minus_infinity", "invalid-value", "R4.4", "binary64 -infinity",
  f(guidance=b"\x03" + bytes.fromhex("fff0000000000000")), rules=["decimal-finite"])
n("decimal_m_above_2_53", "limit-exceeded", "R4.4 R8.1", "m = 2^53 + 1 with k = 0",
  f(guidance=decimal_bytes(2**53 + 1, 0)), rules=["decimal-m-limit"])
n("decimal_1e16_as_m", "limit-exceeded", "R4.4 R8.1", "1e+16 written as m = 10^16, k = 0 (above 2^53: binary64)",
  f(guidance=decimal_bytes(10**16, 0)), rules=["decimal-m-limit"])
n("decimal_not_shortest_2_53_minus_1", "non-canonical", "R4.4",
  "m = 2^53 - 1 with k = 2: its value's shortest string is 90071992547409.9 (m is not a multiple of 10)",
  f(guidance=decimal_bytes(2**53 - 1, 2)), rules=["decimal-shortest"])
n("decimal_not_nearest", "non-canonical", "R4.4",
  "80000000000000.01: the same binary64 as .02, which is nearer to it (80000000000000.015625)",
  f(guidance=decimal_bytes(8000000000000001, 2)), rules=["decimal-nearest"])
n("decimal_binary64_cut", "truncated", "R4.4 R3.5", "a binary64 guidance cut after 3 bytes",
  (SIGNATURE + b"\x01" + compression() + b"\x00\x00\x00" + b"\x00\x00" + text_block() + uv(512) + uv(512)
   + b"\x00" + uv(50) + b"\x03\x40\x1e\x00"))

# ---------------------------------------------------------------------------------------------
# 7. Hashes (R4.5) and model references (R4.8)

HASH_CODES = {name: int(code) for code, name in REGISTRIES["hash_kind"]["entries"].items()}
HASH_LENGTHS = REGISTRIES["hash_kind"]["length"]
for name, code in HASH_CODES.items():
    digest = bytes(range(1, HASH_LENGTHS[name] + 1))
    if code == 0:
        y("hash_kind_none_in_vae", "R4.5 R4.8", "a VAE reference with hash kind 0 (none)",
          fields_file(field(VAE, model_ref("my-vae.safetensors"))), expect={"model.vae": {"name": "my-vae.safetensors"}})
        continue
    y(f"hash_kind_{name.replace('-', '_')}", "R4.5 R7.0", f"model hash (field 16) of kind {code} {name}, {len(digest)} bytes",
      fields_file(field(MODEL_HASH, hash_value(code, digest))), expect={"model.hash": f"{name}:{digest.hex()}"})
y("hash_unknown_kind_64", "R4.5", "a hash of unknown kind 200 with 64 bytes: kept, shown by number",
  fields_file(field(MODEL_HASH, hash_value(200, bytes(64)))), expect={"model.hash": "200:" + "00" * 64})
y("hash_unknown_kind_0_bytes", "R4.5", "a hash of unknown kind 201 with 0 bytes",
  fields_file(field(MODEL_HASH, hash_value(201, b""))), expect={"model.hash": "201:"})
y("hash_kind_254_not_an_escape", "R4.5 R4.7", "hash kind 254 is an unknown kind, not an escape (hash kind has "
  "none): a length and bytes follow, not a name", fields_file(field(MODEL_HASH, hash_value(254, b"\x05abcde"))),
  expect={"model.hash": "254:056162636465"}, rules=["hash-kind-no-escape"])
n("hash_sha256_31_bytes", "invalid-value", "R4.5", "a SHA-256 model hash of 31 bytes",
  fields_file(field(MODEL_HASH, hash_value(1, bytes(31)))))
n("hash_autov2_32_bytes", "invalid-value", "R4.5", "an AutoV2 hash of 32 bytes (it has 5)",
  fields_file(field(MODEL_HASH, hash_value(2, bytes(32)))))
n("hash_none_with_bytes", "invalid-value", "R4.5", "hash kind none with 4 bytes, in a VAE reference",
  fields_file(field(VAE, model_ref("vae", 0, b"\x01\x02\x03\x04"))))
n("hash_length_65", "limit-exceeded", "R4.5 R8.1", "a hash of unknown kind with 65 bytes",
  fields_file(field(MODEL_HASH, hash_value(200, bytes(65)))))
n("model_hash_kind_none", "non-canonical", "R6.4 R4.5", "field 16 holding hash kind none",
  fields_file(field(MODEL_HASH, hash_value(0, b""))))
n("pixel_digest_kind_none", "non-canonical", "R6.4 R4.5", "field 20 holding hash kind none",
  fields_file(field(PIXEL_DIGEST, hash_value(0, b""))))
y("vae_with_sha256", "R4.8", "a VAE reference with a SHA-256",
  fields_file(field(VAE, model_ref("sdxl_vae.safetensors", 1, bytes(range(32))))),
  expect={"model.vae": {"name": "sdxl_vae.safetensors", "hash": "sha256:" + bytes(range(32)).hex()}})
n("vae_empty_name", "invalid-value", "R4.8 R4.3", "a VAE reference with an empty name",
  fields_file(field(VAE, model_ref(""))))

# ---------------------------------------------------------------------------------------------
# 8. Maps (R4.6)

y("map_one_entry", "R4.6", "a scheduler_config map with one entry",
  fields_file(field(SCHEDULER_CONFIG, map_value([("beta_schedule", '"scaled_linear"')]))),
  expect={"model.scheduler_config": {"beta_schedule": '"scaled_linear"'}})
MAP_256 = [(f"k{index:03d}", str(index)) for index in range(256)]
y("map_256_entries", "R4.6 R8.1", "a software map with 256 entries, the most",
  fields_file(field(SOFTWARE, map_value(MAP_256))), expect={"platform.software": dict(MAP_256)})
y("map_keys_bytewise_order", "R4.6", "keys ordered by UTF-8 bytes: 'Z' < 'a' < 'é'",
  fields_file(field(SOFTWARE, map_value([("Z", "1"), ("a", "2"), ("é", "3")]))),
  expect={"platform.software": {"Z": "1", "a": "2", "é": "3"}})
n("map_257_entries", "limit-exceeded", "R4.6 R8.1", "a software map with 257 entries",
  fields_file(field(SOFTWARE, map_value([(f"k{index:03d}", "1") for index in range(257)]))))
n("map_count_huge", "limit-exceeded", "R4.6 R8.1", "a map count of 2^32 with no entries after it",
  fields_file(field(SOFTWARE, uv(2**32))))
n("map_empty", "non-canonical", "R4.6 R6.4", "a software map with 0 entries", fields_file(field(SOFTWARE, uv(0))))
n("map_keys_unordered", "non-canonical", "R4.6", "map keys b, a",
  fields_file(field(SOFTWARE, map_value([("b", "1"), ("a", "2")]))))
n("map_keys_duplicate", "non-canonical", "R4.6", "map key a twice",
  fields_file(field(SOFTWARE, map_value([("a", "1"), ("a", "2")]))))
n("map_keys_codepoint_order", "non-canonical", "R4.6",
  "keys in UTF-16 order (U+FF5E before U+1F600) instead of UTF-8 byte order",
  fields_file(field(SOFTWARE, map_value([("\U0001f600", "1"), ("\uff5e", "2")]))))

# ---------------------------------------------------------------------------------------------
# 9. Registries (section 7, R4.7, R7.0): every code of every registry, unknown codes, escapes

REG = {name: {int(code): value for code, value in table["entries"].items()}
       for name, table in REGISTRIES.items() if not name.startswith("_")}


def reg_case(registry: str, code: int, value, data: bytes, path: str) -> None:
    y(f"registry_{registry}_{code}", "R7.0 R4.7", f"{registry} code {code}: {value}", data, expect={path: value})


for code, name in REG["device"].items():
    reg_case("device", code, name, f(platform=platform(device=code)), "platform.device")
for code, name in REG["arch"].items():
    reg_case("arch", code, name, f(platform=platform(arch=code)), "platform.arch")
for code, name in REG["gpu"].items():
    reg_case("gpu", code, name, f(platform=platform(gpu=exp(code))), "platform.gpu")
for code, name in REG["cuda"].items():
    reg_case("cuda", code, name, f(platform=platform(cuda=exp(code))), "platform.cuda")
for code, name in REG["model"].items():
    reg_case("model", code, name, f(model=model(exp(code))), "model.id")
for code, name in REG["dtype"].items():
    reg_case("dtype", code, name, f(model=model(dtype=code)), "model.dtype")
for code, name in REG["scheduler"].items():
    reg_case("scheduler", code, name, f(model=model(scheduler=code)), "model.scheduler")
for code, name in REG["text_compressor"].items():
    reg_case("text_compressor", code, name,
             f(comp=compression(text=code), text=text_block("a cat", "blurry", compressor=name)),
             "compression.text_compressor")
for code, name, payload in ((0, "none", PIXELS_2x2), (1, "png", PNG_2x2), (2, "jpegxl", JXL_2x2),
                            (3, "webp", WEBP_2x2)):
    assert REG["pixel_compressor"][code] == name
    reg_case("pixel_compressor", code, name, pixels_file(code, payload), "compression.pixel_compressor")
for code, name in REG["model_compressor"].items():
    reg_case("model_compressor", code, name,
             make_file(comp=compression(save_model=1, model=code), fields=[field(MODEL_PAYLOAD, b"\x00\x01weights")]),
             "compression.model_compressor")
for code, name in REG["rng"].items():
    if code == 0:
        n("rng_cpu_written", "non-canonical", "R6.4 R6.7", "field 11 holding rng cpu (what absence means)",
          fields_file(field(RNG, exp(0))))
        continue
    reg_case("rng", code, name, fields_file(field(RNG, exp(code))), "data.rng")
for code, name in REG["determinism_profile"].items():  # 0 (native) is a value here, unlike rng's 0 (R6.4)
    reg_case("determinism_profile", code, name, fields_file(field(DETERMINISM_PROFILE, exp(code))),
             "platform.determinism_profile")
for code, name in REG["adapter_kind"].items():
    weight = 0.8
    adapter = exp(code) + model_ref("style.safetensors") + decimal_of(weight)
    expect = {"name": "style.safetensors", "weight": weight, **({} if name == "lora" else {"kind": name})}
    y(f"registry_adapter_kind_{code}", "R7.0 R4.7", f"adapter kind {code}: {name}",
      fields_file(field(ADAPTERS, uv(1) + adapter)), expect={"model.adapters": [expect]})

for code, name in REG["pass_kind"].items():
    y(f"registry_pass_kind_{code}", "R7.0 R4.7 R6.9", f"pass kind {code}: {name}",
      fields_file(field(PASSES, uv(1) + pass_value(kind=exp(code)))),
      expect={"data.passes": [{"kind": name, "strength": 0.5}]})
for code, name in REG["upscaler"].items():
    y(f"registry_upscaler_{code}", "R7.0 R4.7 R6.9", f"upscaler code {code}: {name}",
      fields_file(field(PASSES, uv(1) + pass_value(upscaler=exp(code) + hash_value(0, b"")))),
      expect={"data.passes": [{"kind": "hires", "strength": 0.5, "upscaler": name}]})

# Unknown codes of open registries are kept and shown by number (R4.7); escapes carry names.
y("unknown_device_14", "R4.7", "device code 14 (unassigned): shown as 14", f(platform=platform(device=14)),
  expect={"platform.device": 14})
y("unknown_arch_14", "R4.7", "architecture code 14 (unassigned)", f(platform=platform(arch=14)),
  expect={"platform.arch": 14})
y("unknown_dtype_14", "R4.7", "data type code 14 (unassigned)", f(model=model(dtype=14)), expect={"model.dtype": 14})
y("unknown_scheduler_14", "R4.7", "scheduler code 14 is tcd; 15 is the escape", f(model=model(scheduler=14)),
  expect={"model.scheduler": "tcd"})
y("unknown_cuda_200", "R4.7", "CUDA code 200 (unassigned)", f(platform=platform(cuda=exp(200))),
  expect={"platform.cuda": 200})
y("unknown_rng_100", "R4.7", "RNG source 100 (unassigned)", fields_file(field(RNG, exp(100))),
  expect={"data.rng": 100})
y("unknown_adapter_kind_100", "R4.7", "adapter kind 100 (unassigned)",
  fields_file(field(ADAPTERS, uv(1) + exp(100) + model_ref("a") + decimal_of(1.0))),
  expect={"model.adapters": [{"name": "a", "kind": 100}]})
y("escape_device_and_arch", "R4.7", "both 4-bit platform escapes: the device's name comes first",
  f(platform=platform(15, 15, device_name=string("tpu-v5e"), arch_name=string("sparc64"))),
  expect={"platform.device": "tpu-v5e", "platform.arch": "sparc64"}, rules=["escape:device", "escape:arch"])
y("escape_arch_only", "R4.7", "architecture escape with a known device",
  f(platform=platform(1, 15, arch_name=string("mips64"))), expect={"platform.arch": "mips64"})
y("escape_cuda", "R4.7", "a CUDA version without a code", f(platform=platform(cuda=b"\xfe" + string("cu140"))),
  expect={"platform.cuda": "cu140"}, rules=["escape:cuda"])
y("escape_dtype_and_scheduler", "R4.7", "both 4-bit model escapes: the data type's name comes first",
  f(model=model(dtype=15, scheduler=15, dtype_name=string("int4"), scheduler_name=string("flow_match_euler"))),
  expect={"model.dtype": "int4", "model.scheduler": "flow_match_euler"}, rules=["escape:dtype", "escape:scheduler"])
y("escape_model_hf_repo", "R4.7", "a model by its Hugging Face repository id",
  f(model=model(b"\xfe" + string("black-forest-labs/FLUX.1-dev"))),
  expect={"model.id": "black-forest-labs/FLUX.1-dev"})
y("escape_rng", "R4.7", "an RNG source without a code", fields_file(field(RNG, b"\xfe" + string("philox-jax"))),
  expect={"data.rng": "philox-jax"}, rules=["escape:rng"])
y("unknown_determinism_profile_100", "R4.7", "determinism profile 100 (unassigned)",
  fields_file(field(DETERMINISM_PROFILE, exp(100))), expect={"platform.determinism_profile": 100})
y("escape_determinism_profile", "R4.7", "a determinism profile without a code",
  fields_file(field(DETERMINISM_PROFILE, b"\xfe" + string("gpu-deterministic-x"))),
  expect={"platform.determinism_profile": "gpu-deterministic-x"}, rules=["escape:determinism_profile"])
n("determinism_profile_bytes_over", "malformed-field", "R6.1", "field 36 with a byte after its exp code",
  fields_file(field(DETERMINISM_PROFILE, exp(1) + b"\x00")))
y("cpu_vendor_and_model", "R6.7", "the CPU's vendor and model name (fields 32 and 34)",
  fields_file(field(CPU_VENDOR, string("AuthenticAMD")), field(CPU_MODEL, string("AMD EPYC 9R14 96-Core Processor"))),
  expect={"platform.cpu_vendor": "AuthenticAMD", "platform.cpu_model": "AMD EPYC 9R14 96-Core Processor"})
n("cpu_vendor_empty", "invalid-value", "R4.3 R6.7", "field 32 holding an empty name",
  fields_file(field(CPU_VENDOR, string(""))))
n("cpu_model_bytes_over", "malformed-field", "R6.1", "field 34 with a byte after its name",
  fields_file(field(CPU_MODEL, string("x") + b"\x00")))
y("cpu_vendor_intel", "R6.7", "the CPU's vendor alone (field 32)",
  fields_file(field(CPU_VENDOR, string("GenuineIntel"))), expect={"platform.cpu_vendor": "GenuineIntel"})
n("cpu_vendor_bytes_over", "malformed-field", "R6.1", "field 32 with a byte after its name",
  fields_file(field(CPU_VENDOR, string("GenuineIntel") + b"\x00")))
n("cpu_model_empty", "invalid-value", "R4.3 R6.7", "field 34 holding an empty name",
  fields_file(field(CPU_MODEL, string(""))))
y("determinism_profile_private_use_230", "R4.7 R7.0", "determinism profile 230 (private use): shown as 230",
  fields_file(field(DETERMINISM_PROFILE, exp(230))), expect={"platform.determinism_profile": 230})
y("determinism_profile_2039", "R4.2 R6.7", "determinism profile 2039, the largest exp code (8 bytes)",
  fields_file(field(DETERMINISM_PROFILE, exp(2039))), expect={"platform.determinism_profile": 2039})
n("escape_determinism_profile_name_empty", "invalid-value", "R4.3 R4.7",
  "a determinism profile escape with an empty name", fields_file(field(DETERMINISM_PROFILE, b"\xfe" + string(""))))
n("determinism_profile_value_empty", "malformed-field", "R6.1", "field 36 of length 0: no room for its exp code",
  fields_file(field(DETERMINISM_PROFILE, b"")))
y("cpu_fields_after_unknown_30", "R6.2 R6.3 R6.7",
  "fields 32, 34 and 36 after the unassigned ancillary tag 30 (kept as an extension)",
  fields_file(field(ATTENTION, string("AttnProcessor2_0")), field(30, b"\x07"),
              field(CPU_VENDOR, string("GenuineIntel")), field(CPU_MODEL, string("Intel(R) Xeon(R) Platinum 8488C")),
              field(DETERMINISM_PROFILE, exp(1))),
  expect={"platform.attention": "AttnProcessor2_0", "platform.cpu_vendor": "GenuineIntel",
          "platform.cpu_model": "Intel(R) Xeon(R) Platinum 8488C", "platform.determinism_profile": "cpu-portable-1",
          "extensions": [{"tag": 30, "data": "Bw=="}]})
n("cpu_fields_out_of_order", "field-order", "R6.2", "field 36 before field 32",
  fields_file(field(DETERMINISM_PROFILE, exp(0)), field(CPU_VENDOR, string("AuthenticAMD"))))
y("escape_adapter_kind", "R4.7", "an adapter kind without a code",
  fields_file(field(ADAPTERS, uv(1) + b"\xfe" + string("dora") + model_ref("d") + decimal_of(0.5))),
  expect={"model.adapters": [{"name": "d", "kind": "dora", "weight": 0.5}]}, rules=["escape:adapter_kind"])
y("escape_name_case_sensitive", "R4.7 R7.0", "'DDIM' is not 'ddim': names match exactly",
  f(model=model(scheduler=15, scheduler_name=string("DDIM"))), expect={"model.scheduler": "DDIM"})


def escaped(registry: str, name: str) -> tuple[bytes, str, object]:
    """A minimal file holding ``name`` escaped in ``registry``'s one place (R4.7), the JSON path that
    shows it and the value shown there."""
    escape, named = b"\xfe" + string(name), string(name)
    return {
        "device": lambda: (f(platform=platform(15, 0, device_name=named)), "platform.device", name),
        "arch": lambda: (f(platform=platform(0, 15, arch_name=named)), "platform.arch", name),
        "gpu": lambda: (f(platform=platform(gpu=escape)), "platform.gpu", name),
        "cuda": lambda: (f(platform=platform(cuda=escape)), "platform.cuda", name),
        "model": lambda: (f(model=model(escape)), "model.id", name),
        "dtype": lambda: (f(model=model(dtype=15, dtype_name=named)), "model.dtype", name),
        "scheduler": lambda: (f(model=model(scheduler=15, scheduler_name=named)), "model.scheduler", name),
        "rng": lambda: (fields_file(field(RNG, escape)), "data.rng", name),
        "adapter_kind": lambda: (fields_file(field(ADAPTERS, uv(1) + escape + model_ref("a") + decimal_of(1.0))),
                                 "model.adapters", [{"name": "a", "kind": name}]),
        "faithfulness": lambda: (fields_file(field(FAITHFULNESS, escape + uv(0))), "source.faithfulness",
                                 {"level": name, "reasons": []}),
        "determinism_profile": lambda: (fields_file(field(DETERMINISM_PROFILE, escape)),
                                        "platform.determinism_profile", name),
        "pass_kind": lambda: (fields_file(field(PASSES, uv(1) + pass_value(kind=escape))), "data.passes",
                              [{"kind": name, "strength": 0.5}]),
        "upscaler": lambda: (fields_file(field(PASSES, uv(1) + pass_value(upscaler=escape + hash_value(0, b"")))),
                             "data.passes", [{"kind": "hires", "strength": 0.5, "upscaler": name}]),
    }[registry]()


# Every registry with an escape refuses its first-edition names escaped, and accepts names added later
# escaped (R4.7, R13.2: appending a code never makes a file invalid).
FIRST_EDITION_NAME = {"device": "cpu", "arch": "x86_64", "gpu": "NVIDIA GeForce GTX 1080 Ti", "cuda": "cu121",
                      "model": "aigif-tiny-sd", "dtype": "float16", "scheduler": "ddim", "rng": "cuda",
                      "adapter_kind": "lora", "faithfulness": "approximate", "determinism_profile": "native",
                      "pass_kind": "hires", "upscaler": "latent"}
for registry, name in FIRST_EDITION_NAME.items():
    code = next(number for number, value in REG[registry].items() if value == name)
    n(f"escape_{registry}_name_has_code", "non-canonical", "R4.7 R7.0",
      f"{registry} escape naming {name!r} (code {code})", escaped(registry, name)[0],
      rules=[f"escape-has-code:{registry}"])
    for added, revision in REGISTRIES[registry].get("added", {}).items():
        data, path, shown = escaped(registry, added)
        y(f"escape_{registry}_{added}_added_later", "R4.7 R13.2",
          f"{registry} escape naming {added!r}, a code appended on {revision}: a file written before could only "
          "escape it, so it stays valid (a writer writes the code)", data, expect={path: shown},
          rules=[f"escape-added:{registry}:{added}"], canonical=False)
n("escape_name_missing", "truncated", "R4.7 R3.5", "a GPU escape at the end of the file (no name)",
  SIGNATURE + b"\x01" + compression() + b"\x00\xfe")

# ---------------------------------------------------------------------------------------------
# 10. Compression options (R5.1)

n("reserved_bit_0", "reserved-bits", "R5.1", "reserved bit 0 set", f(comp=compression(reserved=1)))
n("reserved_bit_1", "reserved-bits", "R5.1", "reserved bit 1 set", f(comp=compression(reserved=2)))
n("text_compressor_unknown", "unsupported-compressor", "R5.1", "text compressor 15 (reserved)",
  f(comp=compression(text=15)))
n("pixel_compressor_unknown", "unsupported-compressor", "R5.1", "pixel compressor 15 (reserved)",
  pixels_file(15, b"\x00"))
n("model_compressor_unknown", "unsupported-compressor", "R5.1", "model compressor 15 (reserved)",
  make_file(comp=compression(save_model=1, model=15), fields=[field(MODEL_PAYLOAD, b"w")]))
n("pixel_compressor_without_pixels", "non-canonical", "R5.1", "pixel compressor png but save pixels 0",
  f(comp=compression(pixel=1)))
n("model_compressor_without_model", "non-canonical", "R5.1", "model compressor int8 but save model 0",
  f(comp=compression(model=1)))

# ---------------------------------------------------------------------------------------------
# 11. Data configuration limits (R5.4)

y("size_1x1", "R5.4", "a 1 x 1 image", f(height=uv(1), width=uv(1)), expect={"data.height": 1})
y("size_16384", "R5.4 R8.1", "16,384 x 16,384, the largest", f(height=uv(16_384), width=uv(16_384)),
  expect={"data.width": 16_384})
y("size_portrait", "R5.4", "height and width are kept apart: 1216 x 832", f(height=uv(1216), width=uv(832)),
  expect={"data.height": 1216, "data.width": 832})
y("steps_1", "R5.4", "1 step", f(steps=uv(1)), expect={"data.steps": 1})
y("steps_10000", "R5.4 R8.1", "10,000 steps, the most", f(steps=uv(10_000)), expect={"data.steps": 10_000})
n("height_0", "invalid-value", "R5.4 R8.1", "height 0", f(height=uv(0)))
n("width_0", "invalid-value", "R5.4", "width 0", f(width=uv(0)))
n("height_16385", "limit-exceeded", "R5.4 R8.1", "height 16,385", f(height=uv(16_385)))
n("width_16385", "limit-exceeded", "R5.4 R8.1", "width 16,385", f(width=uv(16_385)))
n("width_2_64_minus_1", "limit-exceeded", "R5.4 R8.1", "width 2^64 - 1", f(width=uv(2**64 - 1)))
n("steps_0", "invalid-value", "R5.4 R8.1", "0 steps", f(steps=uv(0)))
n("steps_10001", "limit-exceeded", "R5.4 R8.1", "10,001 steps", f(steps=uv(10_001)))

# ---------------------------------------------------------------------------------------------
# 12. The text block (R5.5)

CONTENT = text_content("a cat", "blurry")
y("text_zlib_level_1", "R5.5", "zlib at level 1: any valid stream is accepted",
  f(comp=compression(text=1), text=stored(zlib.compress(CONTENT, 1))), expect={"data.prompt": "a cat"})
y("text_zlib_stored_block", "R5.5", "zlib with an uncompressed (stored) deflate block",
  f(comp=compression(text=1), text=stored(zlib.compress(CONTENT, 0))), expect={"data.negative_prompt": "blurry"})
y("text_zstd_level_1", "R5.5", "zstd at level 1 with the content size",
  f(comp=compression(text=2), text=stored(zstd_frame(CONTENT, level=1))), expect={"data.prompt": "a cat"})
y("text_zstd_checksum", "R5.5", "a zstd frame with its optional content checksum",
  f(comp=compression(text=2), text=stored(__import__("zstandard").ZstdCompressor(
      level=3, write_content_size=True, write_checksum=True).compress(CONTENT))), expect={"data.prompt": "a cat"})
y("text_zstd_empty", "R5.5", "zstd of the content of two empty strings",
  f(comp=compression(text=2), text=stored(zstd_frame(text_content("", "")))), expect={"data.prompt": ""})
n("zlib_garbage", "bad-compressed-data", "R5.5", "text compressor zlib, stored block not a zlib stream",
  f(comp=compression(text=1), text=stored(b"not zlib at all")))
n("zlib_bad_adler", "bad-compressed-data", "R5.5", "a zlib stream with a wrong Adler-32",
  f(comp=compression(text=1), text=stored(zlib.compress(CONTENT, 9)[:-1] + bytes([zlib.compress(CONTENT, 9)[-1] ^ 1]))))
n("zlib_trailing_data", "bad-compressed-data", "R5.5", "a zlib stream followed by one more byte",
  f(comp=compression(text=1), text=stored(zlib.compress(CONTENT, 9) + b"\x00")))
n("zlib_two_streams", "bad-compressed-data", "R5.5", "two zlib streams in one block",
  f(comp=compression(text=1), text=stored(zlib.compress(text_content("a", ""), 9) + zlib.compress(b"", 9))))
n("zlib_cut", "bad-compressed-data", "R5.5", "a zlib stream missing its last 3 bytes",
  f(comp=compression(text=1), text=stored(zlib.compress(CONTENT, 9)[:-3])))
n("zlib_raw_deflate", "bad-compressed-data", "R5.5", "raw deflate without the zlib header",
  f(comp=compression(text=1), text=stored(zlib.compress(CONTENT, 9)[2:-4])))
n("zlib_gzip", "bad-compressed-data", "R5.5", "a gzip member instead of a zlib stream",
  f(comp=compression(text=1), text=stored(__import__("gzip").compress(CONTENT, mtime=0))))
n("zlib_empty_block", "bad-compressed-data", "R5.5", "text compressor zlib with a 0-byte stored block",
  f(comp=compression(text=1), text=stored(b"")))
n("zlib_bomb", "limit-exceeded", "R5.5 R8.1", "a zlib stream of 1 MiB of zeros (content over 131,076 bytes)",
  f(comp=compression(text=1), text=stored(zlib.compress(bytes(1 << 20), 9))))
n("zlib_content_131077", "limit-exceeded", "R5.5 R8.1", "a zlib stream of exactly 131,077 bytes of content",
  f(comp=compression(text=1), text=stored(zlib.compress(text_content("p" * 65_535, "n" * 65_535) + b"\x00", 9))))
n("zstd_no_content_size", "bad-compressed-data", "R5.5", "a zstd frame that does not declare its size",
  f(comp=compression(text=2), text=stored(__import__("zstandard").ZstdCompressor(
      level=3, write_content_size=False).compress(CONTENT))))
_ZSTD = zstd_frame(CONTENT)
n("zstd_wrong_content_size", "bad-compressed-data", "R5.5", "a zstd frame declaring one byte more than it holds",
  f(comp=compression(text=2), text=stored(_ZSTD[:5] + bytes([_ZSTD[5] + 1]) + _ZSTD[6:])))
n("zstd_trailing_data", "bad-compressed-data", "R5.5", "a zstd frame followed by one more byte",
  f(comp=compression(text=2), text=stored(_ZSTD + b"\x00")))
n("zstd_two_frames", "bad-compressed-data", "R5.5", "two zstd frames",
  f(comp=compression(text=2), text=stored(zstd_frame(text_content("a", "")) + zstd_frame(b""))))
n("zstd_garbage", "bad-compressed-data", "R5.5", "text compressor zstd, stored block not a zstd frame",
  f(comp=compression(text=2), text=stored(b"\x28\xb5\x2f\xfdgarbage")))
n("zstd_skippable_frame", "bad-compressed-data", "R5.5", "a zstd skippable frame instead of a frame",
  f(comp=compression(text=2), text=stored(b"\x50\x2a\x4d\x18\x04\x00\x00\x00abcd")))
n("zstd_declared_bomb", "limit-exceeded", "R5.5 R8.1", "a zstd frame declaring 1 MiB of content",
  f(comp=compression(text=2), text=stored(zstd_frame(bytes(1 << 20)))))
y("text_zstd_window_1mib", "R5.5 R8.1", "a zstd frame whose header declares a 1 MiB window, the largest",
  f(comp=compression(text=2), text=stored(zstd_frame_with_window(CONTENT, 20))), expect={"data.prompt": "a cat"})
n("zstd_window_2mib", "limit-exceeded", "R5.5 R8.1", "a zstd frame declaring a 2 MiB window",
  f(comp=compression(text=2), text=stored(zstd_frame_with_window(CONTENT, 21))))
n("zstd_window_2gib", "limit-exceeded", "R5.5 R8.1", "a zstd frame declaring a 2 GiB window",
  f(comp=compression(text=2), text=stored(zstd_frame_with_window(CONTENT, 31))))
n("zstd_window_4gib", "limit-exceeded", "R5.5 R8.1",
  "a zstd frame declaring a 4 GiB window (libzstd refuses such a header before reporting it)",
  f(comp=compression(text=2), text=stored(zstd_frame_with_window(CONTENT, 32))))
n("zstd_window_2tib", "limit-exceeded", "R5.5 R8.1", "a zstd frame declaring the largest window, 2 TiB",
  f(comp=compression(text=2), text=stored(zstd_frame_with_window(CONTENT, 41))))
DICT_CONTENT = text_content("masterpiece, best quality, 1girl, solo, looking at viewer",
                            "lowres, bad anatomy, bad hands, text, error, worst quality, low quality, blurry")
y("text_zstd_dict", "R5.5 R5.6", "zstd with the prompt dictionary 32768 (a typical prompt and negative prompt)",
  f(comp=compression(text=3), text=stored(zstd_dict_frame(DICT_CONTENT))),
  expect={"compression.text_compressor": "zstd-dict", "data.negative_prompt":
          "lowres, bad anatomy, bad hands, text, error, worst quality, low quality, blurry"})
_DICT_FRAME = zstd_dict_frame(DICT_CONTENT)
_NO_ID = _DICT_FRAME[:4] + bytes([_DICT_FRAME[4] & ~3]) + _DICT_FRAME[5 + [0, 1, 2, 4][_DICT_FRAME[4] & 3]:]
_OTHER_ID = _DICT_FRAME[:5] + (32769).to_bytes(2, "little") + _DICT_FRAME[7:]
n("zstd_dict_unknown_id", "unsupported-compressor", "R5.6", "a zstd-dict frame naming dictionary 32769 (unknown)",
  f(comp=compression(text=3), text=stored(_OTHER_ID)))
n("zstd_dict_no_id", "bad-compressed-data", "R5.6", "a zstd-dict frame that names no dictionary",
  f(comp=compression(text=3), text=stored(_NO_ID)))
n("zstd_dict_plain_frame", "bad-compressed-data", "R5.6", "text compressor zstd-dict with a frame made without one",
  f(comp=compression(text=3), text=stored(zstd_frame(DICT_CONTENT))))
n("zstd_frame_names_dictionary", "bad-compressed-data", "R5.5", "text compressor zstd with a frame naming dictionary 32768",
  f(comp=compression(text=2), text=stored(_DICT_FRAME)))
n("zstd_corrupt_literals", "bad-compressed-data", "R5.5",
  "a zstd frame with one flipped bit in a literals header (lenient decoders decode it anyway)",
  bytes.fromhex(
      "894149470d0a1a0a01010000000000006028b52ffd2074bd020042cf1411a0eda04b65b7ca9fdef8ddeb4bd4fdcf1ae9ed7adc"
      "2baf73b55eb62f3bae909f6cea3adf8b6a805e724de15a58a16d2e9fea1874aecd904578550a41d90a43f27bd66e18ea46f0bd"
      "e47b65c2c83d6eb84b0400800480040032d90400dc4424c4"))
n("text_none_content_131077", "limit-exceeded", "R5.5 R8.1",
  "text compressor none with a stored block of 131,077 bytes (all present)",
  f(text=stored(text_content("p" * 65_535, "n" * 65_535) + b"\x00")))
n("text_content_extra_byte", "malformed-field", "R5.5", "the two strings leave one byte of the content over",
  f(text=stored(CONTENT + b"\x00")))
n("text_content_short", "malformed-field", "R5.5", "the negative prompt's length runs past the content",
  f(text=stored(string("a cat") + uv(10) + b"blur")))
n("text_content_one_string", "malformed-field", "R5.5", "the content holds only the prompt",
  f(text=stored(string("a cat"))))
n("text_content_zlib_extra_byte", "malformed-field", "R5.5", "zlib content with one byte over after the strings",
  f(comp=compression(text=1), text=stored(zlib.compress(CONTENT + b"!", 9))))
n("text_block_length_past_end", "truncated", "R5.5 R3.5",
  "a stored text block length of 2^40: checked against the bytes that remain (section 8)", f(text=uv(2**40)))

# ---------------------------------------------------------------------------------------------
# 13. Fields (R6.1-R6.7)

y("fields_every_known", "R6.1 R6.2 R6.3", "every known field at once, in tag order", aigif.dumps(aigif.from_json({
    "compression": {"text_compressor": "none"},
    "platform": {"device": "cpu", "arch": "x86_64", "torch": "2.13.0+cpu", "diffusers": "0.36.0",
                 "cpu_capability": "AVX2", "threads": 2, "determinism": ["deterministic_algorithms"],
                 "attention": "AttnProcessor2_0", "software": {"python": "3.12.3", "transformers": "4.57.1"},
                 "cpu_vendor": "AuthenticAMD", "cpu_model": "AMD EPYC 9R14 96-Core Processor",
                 "determinism_profile": "cpu-portable-1"},
    "model": {"id": "aigif-tiny-sd", "scheduler": "dpmpp_2m",
              "scheduler_options": {"sigmas": "karras", "timestep_spacing": "trailing"},
              "scheduler_config": {"steps_offset": "1"}, "vae": {"name": "vae.safetensors"},
              "adapters": [{"name": "detail.safetensors", "weight": 0.6}], "clip_skip": 1,
              "hash": "autov2:0123456789"},
    "data": {"prompt": "a cat", "seed": 42, "steps": 20, "guidance_scale": 6.0, "rng": "cuda", "eta": 0.5,
             "strength": 0.75, "guidance_rescale": 0.7},
    "payload": {"pixel_digest": "sha256:" + "ab" * 32}})),
  expect={"model.clip_skip": 1, "data.strength": 0.75, "platform.determinism": ["deterministic_algorithms"]})
for tag in (28, 40, 224, 252, 2038):
    y(f"unknown_ancillary_field_{tag}", "R6.3", f"an unknown ancillary field (tag {tag}) is skipped and kept",
      fields_file(field(tag, b"future data")),
      expect={"extensions": [{"tag": tag, "data": base64.b64encode(b"future data").decode()}]})
y("unknown_ancillary_empty", "R6.3", "an unknown ancillary field of length 0",
  fields_file(field(100, b"")), expect={"extensions": [{"tag": 100, "data": ""}]})
y("unknown_ancillary_after_known", "R6.2 R6.3", "unknown ancillary tag 28 after fields 17 and 19",
  make_file(comp=compression(save_pixels=1), width=uv(2), height=uv(2),
            fields=[field(GUIDANCE_RESCALE, decimal_of(0.7)), field(PIXELS, PIXELS_2x2), field(28, b"\x01\x02")]),
  expect={"extensions": [{"tag": 28, "data": "AQI="}], "data.guidance_rescale": 0.7})
y("unknown_ancillary_bad_inside", "R6.3", "an unknown ancillary field's value is opaque: invalid UTF-8 inside is fine",
  fields_file(field(30, b"\xff\xfe\x00")), expect={"extensions": [{"tag": 30, "data": "//4A"}]})
for tag in (23, 225, 2039):
    n(f"unknown_critical_field_{tag}", "unknown-critical-field", "R6.3", f"an unknown critical field (tag {tag})",
      fields_file(field(tag, b"must understand")))
n("unknown_critical_private_253_after_known", "unknown-critical-field", "R6.3 R7.0",
  "unknown critical tag 253 (private use, never assigned) after a known field",
  fields_file(field(TORCH, string("2.13.0")), field(253, b"")))
n("field_count_257", "limit-exceeded", "R6.1 R8.1", "a field count of 257", f(field_count=uv(257)))
n("field_count_huge", "limit-exceeded", "R6.1 R8.1", "a field count of 2^63", f(field_count=uv(2**63)))
n("field_length_2_32", "limit-exceeded", "R6.1 R8.1", "an ancillary field whose length is 2^32",
  fields_file(exp(40) + uv(2**32)))
n("field_value_longer", "malformed-field", "R6.1", "threads (field 8) with a 2-byte length and a 1-byte value",
  fields_file(exp(THREADS) + uv(2) + uv(2) + b"\x00"))
n("field_value_shorter", "malformed-field", "R6.1", "torch (field 2) whose string runs past the field's length",
  fields_file(exp(TORCH) + uv(3) + uv(6) + b"2.1"))
n("field_value_empty_known", "malformed-field", "R6.1", "threads (field 8) with length 0",
  fields_file(exp(THREADS) + uv(0)))
n("fields_out_of_order", "field-order", "R6.2", "field 8 before field 2",
  fields_file(field(THREADS, uv(2)), field(TORCH, string("2.13.0"))))
n("fields_duplicate", "field-order", "R6.2", "field 2 twice",
  fields_file(field(TORCH, string("2.13.0")), field(TORCH, string("2.13.0"))))
n("fields_unknown_out_of_order", "field-order", "R6.2", "unknown ancillary 40 before known field 2",
  fields_file(field(40, b""), field(TORCH, string("2.13.0"))))
for tag, name, value in [
    (SCHEDULER_OPTIONS, "scheduler_options", uv(0)), (CLIP_SKIP, "clip_skip", uv(0)),
    (ETA, "eta", decimal_of(0.0)), (GUIDANCE_RESCALE, "guidance_rescale", decimal_of(0.0)),
    (ADAPTERS, "adapters", uv(0)), (SCHEDULER_CONFIG, "scheduler_config", uv(0)),
]:
    n(f"default_{name}", "non-canonical", "R6.4", f"field {tag} ({name}) holding what its absence means",
      fields_file(field(tag, value)))
y("determinism_0", "R6.4 R6.7", "determinism 0 is meaningful (all flags off), unlike absence",
  fields_file(field(DETERMINISM, uv(0))), expect={"platform.determinism": []})
y("strength_0_and_1", "R6.7", "strength 1 (a full img2img pass) is kept", fields_file(field(STRENGTH, decimal_of(1.0))),
  expect={"data.strength": 1.0})
y("strength_0", "R6.7", "strength 0 is kept (field present means an img2img pass)",
  fields_file(field(STRENGTH, decimal_of(0.0))), expect={"data.strength": 0.0})
y("eta_negative", "R6.7", "a negative eta is a value like any other", fields_file(field(ETA, decimal_of(-0.5))),
  expect={"data.eta": -0.5})
y("clip_skip_64", "R6.7", "clip skip 64, the most", fields_file(field(CLIP_SKIP, uv(64))),
  expect={"model.clip_skip": 64})
y("threads_65535", "R6.7", "65,535 threads, the most", fields_file(field(THREADS, uv(65_535))),
  expect={"platform.threads": 65_535})
y("scheduler_options_all", "R6.7", "every scheduler option set (value 127)",
  fields_file(field(SCHEDULER_OPTIONS, uv(127))),
  expect={"model.scheduler_options": {"sigmas": "beta", "timestep_spacing": "trailing",
                                      "prediction_type": "sample", "rescale_betas_zero_snr": True}})
y("determinism_all", "R6.7", "every determinism flag set (value 31)", fields_file(field(DETERMINISM, uv(31))),
  expect={"platform.determinism": ["deterministic_algorithms", "cudnn_deterministic", "cudnn_benchmark",
                                   "tf32_matmul", "tf32_cudnn"]})
y("adapters_several", "R6.7", "three adapters with weights 1 (omitted in JSON), -0.5 and 1.25",
  fields_file(field(ADAPTERS, uv(3) + exp(0) + model_ref("a") + decimal_of(1.0)
                    + exp(2) + model_ref("b", 2, b"\x01\x02\x03\x04\x05") + decimal_of(-0.5)
                    + exp(0) + model_ref("c") + decimal_of(1.25))),
  expect={"model.adapters": [{"name": "a"}, {"name": "b", "kind": "embedding", "hash": "autov2:0102030405",
                                                "weight": -0.5}, {"name": "c", "weight": 1.25}]})
y("adapters_256", "R6.7 R8.1", "256 adapters, the most",
  fields_file(field(ADAPTERS, uv(256) + b"".join(exp(0) + model_ref(f"l{index}") + decimal_of(1.0)
                                                 for index in range(256)))),
  expect={"model.adapters": [{"name": f"l{index}"} for index in range(256)]})
n("adapters_257", "limit-exceeded", "R6.7 R8.1", "257 adapters",
  fields_file(field(ADAPTERS, uv(257) + b"".join(exp(0) + model_ref("l") + decimal_of(1.0) for _ in range(257)))))
n("threads_0", "invalid-value", "R6.7", "0 threads", fields_file(field(THREADS, uv(0))))
n("threads_65536", "limit-exceeded", "R6.7 R8.1", "65,536 threads", fields_file(field(THREADS, uv(65_536))))
n("clip_skip_65", "limit-exceeded", "R6.7 R8.1", "clip skip 65", fields_file(field(CLIP_SKIP, uv(65))))
n("scheduler_options_128", "limit-exceeded", "R6.7", "scheduler options with undefined bit 7 set",
  fields_file(field(SCHEDULER_OPTIONS, uv(128))))
n("determinism_32", "limit-exceeded", "R6.7", "determinism with undefined bit 5 set",
  fields_file(field(DETERMINISM, uv(32))))
n("strength_above_1", "invalid-value", "R6.7", "strength 1.5", fields_file(field(STRENGTH, decimal_of(1.5))))
n("strength_negative", "invalid-value", "R6.7", "strength -0.01", fields_file(field(STRENGTH, decimal_of(-0.01))))
n("eta_nan", "invalid-value", "R6.7 R4.4", "eta NaN",
  fields_file(field(ETA, b"\x03" + bytes.fromhex("7ff8000000000000"))))
n("adapter_weight_non_canonical", "non-canonical", "R4.4 R6.7", "an adapter weight 1 written as 10 x 10^-1",
  fields_file(field(ADAPTERS, uv(1) + exp(0) + model_ref("a") + decimal_bytes(10, 1))))
n("eta_decimal_non_canonical", "non-canonical", "R4.4", "eta 0.5 written as binary64",
  fields_file(field(ETA, binary64(0.5))))
n("eta_minus_zero", "non-canonical", "R6.4 R6.7", "eta -0.0: zero, so what absence means (R6.4)",
  fields_file(field(ETA, binary64(-0.0))))
n("guidance_rescale_minus_zero", "non-canonical", "R6.4 R6.7", "guidance rescale -0.0: zero, so what absence means",
  fields_file(field(GUIDANCE_RESCALE, binary64(-0.0))))
y("strength_minus_zero", "R6.7 R4.4", "strength -0.0: within 0-1 (-0.0 = 0), kept with its sign",
  fields_file(field(STRENGTH, binary64(-0.0))), expect={"data.strength": -0.0})
y("adapter_weight_minus_zero", "R6.7 R4.4", "an adapter weight -0.0, kept with its sign",
  fields_file(field(ADAPTERS, uv(1) + exp(0) + model_ref("a") + binary64(-0.0))),
  expect={"model.adapters": [{"name": "a", "weight": -0.0}]})

# Payload flags and fields (R6.5, R6.6)
n("save_pixels_without_field", "missing-field", "R6.5", "save pixels 1, pixel compressor png, no field 19",
  f(comp=compression(save_pixels=1, pixel=1)))
n("pixels_field_without_flag", "non-canonical", "R6.5", "field 19 present but save pixels 0",
  make_file(width=uv(2), height=uv(2), fields=[field(PIXELS, PIXELS_2x2)]))
n("save_model_without_field", "missing-field", "R6.5", "save model 1, no field 21",
  f(comp=compression(save_model=1, model=1)))
n("model_field_without_flag", "non-canonical", "R6.5", "field 21 present but save model 0",
  fields_file(field(MODEL_PAYLOAD, b"weights")))
n("pixels_raw_short", "invalid-value", "R6.6", "raw pixels of 11 bytes for a 2 x 2 image (12 needed)",
  pixels_file(0, PIXELS_2x2[:-1]))
n("pixels_raw_long", "invalid-value", "R6.6", "raw pixels of 16 bytes for a 2 x 2 image (RGBA, not RGB)",
  pixels_file(0, bytes(16)))
y("pixels_raw_with_digest", "R6.6 R6.5", "raw pixels and their SHA-256 digest",
  pixels_file(0, PIXELS_2x2, extra=[field(PIXEL_DIGEST, hash_value(1, hashlib.sha256(PIXELS_2x2).digest()))]),
  expect={"payload.pixel_digest": "sha256:" + hashlib.sha256(PIXELS_2x2).hexdigest()})
y("pixels_png_and_model_payload", "R6.5", "both payloads at once: PNG pixels and int8 weights",
  make_file(comp=compression(save_pixels=1, pixel=1, save_model=1, model=1), width=uv(2), height=uv(2),
            fields=[field(PIXELS, PNG_2x2), field(MODEL_PAYLOAD, bytes(range(256)))]),
  expect={"payload.model": base64.b64encode(bytes(range(256))).decode()})
y("pixel_digest_without_pixels", "R6.5", "a pixel digest alone (the recreator checks its output against it)",
  fields_file(field(PIXEL_DIGEST, hash_value(1, bytes(32)))), expect={"payload.pixel_digest": "sha256:" + "00" * 32})

# ---------------------------------------------------------------------------------------------
# 13b. The source fields of imported images (18, 22, 24, 26; R6.8)


def source_content(entries) -> bytes:
    """R6.8 content: uvarint count, then (where, key, text) with the text's length unbounded by R4.3."""
    out = uv(len(entries))
    for where, key, text in entries:
        data = text.encode("utf-8") if isinstance(text, str) else text
        out += string(where) + string(key) + uv(len(data)) + data
    return out


def source_field(content: bytes, compressor: int = 0, *, length: int | None = None, stored_block=None) -> bytes:
    block = {0: lambda: content, 1: lambda: zlib.compress(content, 9), 2: lambda: zstd_frame(content)}[
        compressor if compressor in (0, 1, 2) else 0]() if stored_block is None else stored_block
    return field(SOURCE_METADATA, exp(compressor) + uv(len(content) if length is None else length) + block)


INFOTEXT = "a red fox, (snow:1.2)\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M, Seed: 42, Size: 512x512"
ONE_ENTRY = source_content([("png:tEXt", "parameters", INFOTEXT)])
y("source_tool_and_version", "R6.3", "source tool and version (fields 18 and 22)",
  fields_file(field(SOURCE_TOOL, string("AUTOMATIC1111")), field(SOURCE_VERSION, string("v1.10.1"))),
  expect={"source.tool": "AUTOMATIC1111", "source.version": "v1.10.1"})
for code, name in REGISTRIES["faithfulness"]["entries"].items():
    y(f"registry_faithfulness_{code}", "R7.0 R4.7", f"faithfulness {code}: {name}, with one reason",
      fields_file(field(FAITHFULNESS, exp(int(code)) + uv(1) + string("because"))),
      expect={"source.faithfulness": {"level": name, "reasons": ["because"]}})
y("faithfulness_no_reasons", "R6.7", "faithfulness with zero reasons",
  fields_file(field(FAITHFULNESS, exp(0) + uv(0))), expect={"source.faithfulness": {"level": "exact-possible",
                                                                                    "reasons": []}})
y("faithfulness_unknown_level", "R4.7", "faithfulness code 100 (unassigned): shown by number",
  fields_file(field(FAITHFULNESS, exp(100) + uv(0))), expect={"source.faithfulness": {"level": 100, "reasons": []}})
y("faithfulness_escape", "R4.7", "a faithfulness level without a code",
  fields_file(field(FAITHFULNESS, b"\xfe" + string("lossy-upscaled") + uv(0))),
  expect={"source.faithfulness": {"level": "lossy-upscaled", "reasons": []}}, rules=["escape:faithfulness"])
n("faithfulness_257_reasons", "limit-exceeded", "R6.7 R8.1", "faithfulness with 257 reasons",
  fields_file(field(FAITHFULNESS, exp(1) + uv(257) + string("r") * 257)))
n("source_tool_empty", "invalid-value", "R4.3", "an empty source tool name", fields_file(field(SOURCE_TOOL, string(""))))
for code, label in ((0, "none"), (1, "zlib"), (2, "zstd")):
    y(f"source_metadata_{label}", "R6.8", f"source metadata, one A1111 infotext, compressor {label}",
      fields_file(source_field(ONE_ENTRY, code)),
      expect={"source.metadata": [{"where": "png:tEXt", "key": "parameters", "text": INFOTEXT}]})
BIG_TEXT = ('{"nodes": [' + ", ".join(f'{{"id": {index}, "type": "KSampler"}}' for index in range(4000)) + "]}")
y("source_metadata_text_above_65535", "R6.8", f"a {len(BIG_TEXT):,}-byte ComfyUI workflow: longer than a string",
  fields_file(source_field(source_content([("png:tEXt", "workflow", BIG_TEXT)]), 2)),
  expect={"source.metadata": [{"where": "png:tEXt", "key": "workflow", "text": BIG_TEXT}]})
y("source_metadata_256_entries", "R6.8 R8.1", "256 source metadata entries, the most",
  fields_file(source_field(source_content([("exif:0x%04X" % index, "Tag", "") for index in range(256)]), 2)),
  expect={"source.metadata": [{"where": "exif:0x%04X" % index, "key": "Tag", "text": ""} for index in range(256)]})
y("source_all_fields", "R6.2 R6.8", "every source field with a core that says where it did not run",
  fields_file(field(SOURCE_TOOL, string("ComfyUI")), field(SOURCE_VERSION, string("0.3.40")),
              field(FAITHFULNESS, exp(1) + uv(2) + string("k-diffusion sampler") + string("GPU noise")),
              source_field(source_content([("png:tEXt", "prompt", '{"3": {}}'), ("png:tEXt", "workflow", "{}")]), 1),
              platform=platform(device=6)),
  expect={"platform.device": "unknown", "source.tool": "ComfyUI",
          "source.metadata": [{"where": "png:tEXt", "key": "prompt", "text": '{"3": {}}'},
                              {"where": "png:tEXt", "key": "workflow", "text": "{}"}]})
n("source_metadata_compressor_unknown", "unsupported-compressor", "R6.8", "source metadata compressor 15",
  fields_file(source_field(ONE_ENTRY, 15)))
n("source_metadata_length_0", "invalid-value", "R6.8", "source metadata declaring 0 bytes of content",
  fields_file(field(SOURCE_METADATA, exp(0) + uv(0))))
n("source_metadata_length_above_16mib", "limit-exceeded", "R6.8 R8.1",
  "source metadata declaring 16,777,217 bytes of content", fields_file(source_field(ONE_ENTRY, 0, length=2**24 + 1)))
n("source_metadata_none_length_mismatch", "bad-compressed-data", "R6.8",
  "compressor none, declared length one byte more than the stored block",
  fields_file(source_field(ONE_ENTRY, 0, length=len(ONE_ENTRY) + 1)))
n("source_metadata_zlib_longer_than_declared", "bad-compressed-data", "R6.8",
  "a zlib stream holding one byte more than the declared length",
  fields_file(source_field(ONE_ENTRY, 1, length=len(ONE_ENTRY) - 1)))
n("source_metadata_zstd_size_mismatch", "bad-compressed-data", "R6.8",
  "a zstd frame declaring a size other than the field's length",
  fields_file(source_field(ONE_ENTRY, 2, length=len(ONE_ENTRY) + 5)))
n("source_metadata_zlib_garbage", "bad-compressed-data", "R6.8", "compressor zlib, stored block not zlib",
  fields_file(source_field(ONE_ENTRY, 1, stored_block=b"not zlib")))
n("source_metadata_zstd_window_32mib", "limit-exceeded", "R6.8 R8.1", "a zstd frame declaring a 32 MiB window",
  fields_file(source_field(ONE_ENTRY, 2, stored_block=zstd_frame_with_window(ONE_ENTRY, 25))))
n("source_metadata_zero_entries", "non-canonical", "R6.8", "source metadata holding 0 entries",
  fields_file(source_field(uv(0), 0)))
n("source_metadata_257_entries", "limit-exceeded", "R6.8 R8.1", "source metadata holding 257 entries",
  fields_file(source_field(source_content([("w", "k", "")] * 257), 2)))
n("source_metadata_extra_byte", "malformed-field", "R6.8", "one byte of content left over after the entries",
  fields_file(source_field(ONE_ENTRY + b"\x00", 0)))
n("source_metadata_text_past_content", "malformed-field", "R6.8", "a text whose length runs past the content",
  fields_file(source_field(uv(1) + string("w") + string("k") + uv(50) + b"short", 0)))
n("source_metadata_empty_key", "invalid-value", "R6.8 R4.3", "an entry with an empty key",
  fields_file(source_field(source_content([("png:tEXt", "", "x")]), 0)))
n("source_metadata_bad_utf8", "bad-utf8", "R6.8 R4.3", "an entry text with a lone surrogate",
  fields_file(source_field(source_content([("png:tEXt", "parameters", b"a\xed\xa0\x80")]), 0)))

# ---------------------------------------------------------------------------------------------
# 13b. Passes (R6.9), embedding triggers (R6.11), init image and mask (R6.10)

SDXL_REFINER = next(code for code, name in REG["model"].items() if name == "stable-diffusion-xl-refiner-1.0")
HIRES = {"kind": "hires", "strength": 0.5}
y("passes_hires_latent", "R6.9", "a hires pass: strength 0.5, to 1024 x 1024, latent upscaler",
  fields_file(field(PASSES, uv(1) + pass_value(size=uv(1024) + uv(1024), upscaler=exp(0) + hash_value(0, b"")))),
  expect={"data.passes": [{**HIRES, "width": 1024, "height": 1024, "upscaler": "latent"}]})
y("passes_hires_upscaling_model", "R6.9 R4.7 R4.5", "a hires pass whose upscaler is a model file, with its SHA-256",
  fields_file(field(PASSES, uv(1) + pass_value(size=uv(1536) + uv(1536), upscaler=b"\xfe" + string("4x-UltraSharp")
                                               + hash_value(1, bytes(range(32)))))),
  expect={"data.passes": [{**HIRES, "width": 1536, "height": 1536, "upscaler": "4x-UltraSharp",
                           "upscaler_hash": "sha256:" + bytes(range(32)).hex()}]})
y("passes_refiner", "R6.9", "an SDXL refiner taking over at 0.8, its model by code with an AutoV2 hash",
  fields_file(field(PASSES, uv(1) + pass_value(kind=exp(1), strength=decimal_of(0.8),
                                               model=exp(SDXL_REFINER) + hash_value(2, b"\x01\x02\x03\x04\x05")))),
  expect={"data.passes": [{"kind": "refiner", "strength": 0.8, "model": "stable-diffusion-xl-refiner-1.0",
                           "model_hash": "autov2:0102030405"}]})
y("passes_every_part", "R6.9", "a pass with all seven parts, in bit order (an escaped scheduler, prompts)",
  fields_file(field(PASSES, uv(1) + pass_value(
      size=uv(768) + uv(1152), upscaler=exp(5) + hash_value(0, b""), model=b"\xfe" + string("my-model") + hash_value(0, b""),
      scheduler=uv(15) + string("flow_euler"), steps=uv(12), guidance=decimal_of(4.5),
      prompts=string("a red fox, detailed fur") + string("blurry")))),
  expect={"data.passes": [{**HIRES, "width": 768, "height": 1152, "upscaler": "latent-nearest-exact",
                           "model": "my-model", "scheduler": "flow_euler", "steps": 12, "guidance_scale": 4.5,
                           "prompt": "a red fox, detailed fur", "negative_prompt": "blurry"}]})
y("passes_no_parts", "R6.9", "a pass with no optional part: everything as the first pass, upscaler latent",
  fields_file(field(PASSES, uv(1) + pass_value())), expect={"data.passes": [HIRES]})
y("passes_scheduler_14", "R6.9", "a pass's scheduler by code (14, tcd)",
  fields_file(field(PASSES, uv(1) + pass_value(scheduler=uv(14)))),
  expect={"data.passes": [{**HIRES, "scheduler": "tcd"}]})
y("passes_8", "R6.9 R8.1", "eight passes after the first, the most: a hires pass, then seven refiner passes",
  fields_file(field(PASSES, uv(8) + pass_value() + pass_value(kind=exp(1)) * 7)),
  expect={"data.passes": [HIRES] + [{"kind": "refiner", "strength": 0.5}] * 7})
y("passes_unknown_kind_100", "R6.9 R4.7", "pass kind 100 (unassigned): shown by number",
  fields_file(field(PASSES, uv(1) + pass_value(kind=exp(100)))),
  expect={"data.passes": [{"kind": 100, "strength": 0.5}]})
y("escape_pass_kind", "R6.9 R4.7", "a pass kind without a code",
  fields_file(field(PASSES, uv(1) + pass_value(kind=b"\xfe" + string("face-detailer")))),
  expect={"data.passes": [{"kind": "face-detailer", "strength": 0.5}]}, rules=["escape:pass_kind"])
y("escape_upscaler", "R6.9 R4.7", "an upscaler without a code (an upscaling model, no hash known)",
  fields_file(field(PASSES, uv(1) + pass_value(upscaler=b"\xfe" + string("R-ESRGAN 4x+") + hash_value(0, b"")))),
  expect={"data.passes": [{**HIRES, "upscaler": "R-ESRGAN 4x+"}]}, rules=["escape:upscaler"])
y("passes_strength_0_and_1", "R6.9", "strengths at both ends of 0-1",
  fields_file(field(PASSES, uv(2) + pass_value(strength=decimal_of(0.0)) + pass_value(strength=decimal_of(1.0)))),
  expect={"data.passes": [{"kind": "hires", "strength": 0.0}, {"kind": "hires", "strength": 1.0}]})
n("passes_count_0", "non-canonical", "R6.9 R6.4", "field 25 holding 0 passes", fields_file(field(PASSES, uv(0))))
n("passes_count_9", "limit-exceeded", "R6.9 R8.1", "nine passes", fields_file(field(PASSES, uv(9) + pass_value() * 9)))
n("pass_strength_1_5", "invalid-value", "R6.9", "a pass strength of 1.5",
  fields_file(field(PASSES, uv(1) + pass_value(strength=decimal_of(1.5)))))
n("pass_strength_non_canonical", "non-canonical", "R6.9 R4.4", "a pass strength 0.5 written as binary64",
  fields_file(field(PASSES, uv(1) + pass_value(strength=binary64(0.5)))))
n("pass_parts_128", "limit-exceeded", "R6.9", "pass parts with the undefined bit 7 set",
  fields_file(field(PASSES, uv(1) + pass_value(parts=128))))
n("pass_width_0", "invalid-value", "R6.9 R5.4", "a pass width of 0",
  fields_file(field(PASSES, uv(1) + pass_value(size=uv(0) + uv(512)))))
n("pass_height_16385", "limit-exceeded", "R6.9 R5.4", "a pass height of 16,385",
  fields_file(field(PASSES, uv(1) + pass_value(size=uv(512) + uv(16_385)))))
n("pass_steps_0", "invalid-value", "R6.9 R5.4", "a pass of 0 steps",
  fields_file(field(PASSES, uv(1) + pass_value(steps=uv(0)))))
n("pass_steps_10001", "limit-exceeded", "R6.9 R5.4", "a pass of 10,001 steps",
  fields_file(field(PASSES, uv(1) + pass_value(steps=uv(10_001)))))
n("pass_scheduler_16", "limit-exceeded", "R6.9", "a pass scheduler code of 16 (above the 4-bit registry)",
  fields_file(field(PASSES, uv(1) + pass_value(scheduler=uv(16)))))
n("pass_upscaler_hash_wrong_length", "invalid-value", "R6.9 R4.5", "an upscaler SHA-256 of 31 bytes",
  fields_file(field(PASSES, uv(1) + pass_value(upscaler=exp(0) + hash_value(1, bytes(31))))))
n("pass_part_missing", "malformed-field", "R6.9 R6.1", "parts announce the steps, the field ends before them",
  fields_file(field(PASSES, uv(1) + pass_value(parts=16))))
n("pass_bytes_over", "malformed-field", "R6.9 R6.1", "a byte after the last pass",
  fields_file(field(PASSES, uv(1) + pass_value() + b"\x00")))
n("pass_prompt_bad_utf8", "bad-utf8", "R6.9 R4.3", "a pass prompt that is not UTF-8",
  fields_file(field(PASSES, uv(1) + pass_value(prompts=uv(2) + b"\xc3\x28" + string("")))))

y("embedding_triggers", "R6.11 R4.6", "an embedding triggered by a token other than its name",
  fields_file(field(ADAPTERS, uv(1) + exp(2) + model_ref("cat-toy.safetensors") + decimal_of(1.0)),
              field(EMBEDDING_TRIGGERS, map_value([("cat-toy.safetensors", "<cat-toy>")]))),
  expect={"model.embedding_triggers": {"cat-toy.safetensors": "<cat-toy>"},
          "model.adapters": [{"name": "cat-toy.safetensors", "kind": "embedding"}]})
y("embedding_triggers_without_adapter", "R6.11", "a trigger whose key names no adapter: the recreator's concern",
  fields_file(field(EMBEDDING_TRIGGERS, map_value([("EasyNegative.safetensors", "easyneg")]))),
  expect={"model.embedding_triggers": {"EasyNegative.safetensors": "easyneg"}})
n("embedding_trigger_empty", "invalid-value", "R6.11", "an empty trigger",
  fields_file(field(EMBEDDING_TRIGGERS, map_value([("a.safetensors", "")]))))
n("embedding_triggers_unordered", "non-canonical", "R6.11 R4.6", "trigger keys b, a",
  fields_file(field(EMBEDDING_TRIGGERS, map_value([("b", "x"), ("a", "y")]))))
n("embedding_triggers_0", "non-canonical", "R6.11 R6.4", "field 27 holding 0 entries",
  fields_file(field(EMBEDDING_TRIGGERS, uv(0))))

STRENGTH_HALF = field(STRENGTH, decimal_of(0.5))
y("init_image_raw", "R6.10", "an img2img input: raw 2 x 2 RGB, with strength 0.5",
  fields_file(STRENGTH_HALF, field(INIT_IMAGE, image_value(0, 2, 2, PIXELS_2x2))),
  expect={"payload.init_image": {"compressor": "none", "width": 2, "height": 2,
                                 "data": base64.b64encode(PIXELS_2x2).decode()}, "data.strength": 0.5})
y("init_image_png_other_size", "R6.10", "a PNG init image whose size (2 x 2) differs from the generation's",
  fields_file(STRENGTH_HALF, field(INIT_IMAGE, image_value(1, 2, 2, PNG_2x2))),
  expect={"payload.init_image": {"compressor": "png", "width": 2, "height": 2,
                                 "data": base64.b64encode(PNG_2x2).decode()}})
y("mask_raw", "R6.10", "an inpainting mask: one 8-bit channel, 2 x 2, with its init image",
  fields_file(STRENGTH_HALF, field(INIT_IMAGE, image_value(0, 2, 2, PIXELS_2x2)),
              field(MASK, image_value(0, 2, 2, b"\x00\xff\xff\x00"))),
  expect={"payload.mask": {"compressor": "none", "width": 2, "height": 2, "data": "AP//AA=="}})
n("init_image_without_strength", "missing-field", "R6.10", "an init image and no strength (field 15)",
  fields_file(field(INIT_IMAGE, image_value(0, 2, 2, PIXELS_2x2))))
n("mask_without_init_image", "missing-field", "R6.10", "a mask and no init image",
  fields_file(STRENGTH_HALF, field(MASK, image_value(0, 2, 2, b"\x00\xff\xff\x00"))))
n("init_image_raw_short", "invalid-value", "R6.10", "a raw 2 x 2 init image of 11 bytes",
  fields_file(STRENGTH_HALF, field(INIT_IMAGE, image_value(0, 2, 2, PIXELS_2x2[:-1]))))
n("mask_raw_rgb", "invalid-value", "R6.10", "a raw 2 x 2 mask of 12 bytes (RGB; a mask has one channel)",
  fields_file(STRENGTH_HALF, field(INIT_IMAGE, image_value(0, 2, 2, PIXELS_2x2)),
              field(MASK, image_value(0, 2, 2, PIXELS_2x2))))
n("init_image_compressor_4", "unsupported-compressor", "R6.10", "an init image of pixel compressor 4 (unassigned)",
  fields_file(STRENGTH_HALF, field(INIT_IMAGE, image_value(4, 2, 2, PIXELS_2x2))))
n("init_image_width_0", "invalid-value", "R6.10 R5.4", "an init image 0 pixels wide",
  fields_file(STRENGTH_HALF, field(INIT_IMAGE, image_value(1, 0, 2, PNG_2x2))))
n("init_image_height_16385", "limit-exceeded", "R6.10 R5.4", "an init image 16,385 pixels high",
  fields_file(STRENGTH_HALF, field(INIT_IMAGE, image_value(1, 2, 16_385, PNG_2x2))))
n("init_image_cut", "malformed-field", "R6.10 R6.1", "an init image field that ends inside its height",
  fields_file(STRENGTH_HALF, field(INIT_IMAGE, exp(1) + uv(2) + b"\x80")))

# ---------------------------------------------------------------------------------------------
# 14. Implementation-defined (i_): a reader may accept or reject, as stated

i("reserved_bits_and_unknown_compressor", "R9.1 R9.2", "two defects in the same two bytes: reserved bits and "
  "text compressor 15; which is reported first is not specified", f(comp=compression(text=15, reserved=3)),
  accept=False, errors=["reserved-bits", "unsupported-compressor"])
i("unknown_critical_and_out_of_order", "R9.1 R9.2", "an unknown critical field 23 that is also out of order",
  fields_file(field(40, b""), field(23, b"")), accept=False, errors=["field-order", "unknown-critical-field"])
i("hash_wrong_length_and_over_64", "R9.1 R9.2", "a SHA-256 hash with 65 bytes: above the limit and the wrong length",
  fields_file(field(MODEL_HASH, hash_value(1, bytes(65)))), accept=False, errors=["limit-exceeded", "invalid-value"])
i("pixels_png_not_decodable", "R6.6", "pixel compressor png with bytes that are not a PNG: the payload is "
  "opaque to a reader (it MAY decode and refuse it)", pixels_file(1, b"not a png"), accept=True,
  errors=["invalid-value"])
i("pixels_png_wrong_size", "R6.6", "a valid 2 x 2 PNG in a file that says 4 x 4", pixels_file(1, PNG_2x2, width=4,
  height=4), accept=True, errors=["invalid-value"])
i("pixel_digest_mismatch", "R6.6", "raw pixels whose SHA-256 differs from the pixel digest: a reader MAY check",
  pixels_file(0, PIXELS_2x2, extra=[field(PIXEL_DIGEST, hash_value(1, bytes(32)))]), accept=True,
  errors=["invalid-value"])
i("init_image_png_not_decodable", "R6.10", "an init image of compressor png whose bytes are not a PNG (a reader MAY "
  "decode it)", fields_file(STRENGTH_HALF, field(INIT_IMAGE, image_value(1, 2, 2, b"not a png"))), accept=True,
  errors=["invalid-value"])
i("scheduler_config_value_not_json", "R4.6", "a scheduler_config value that is not JSON text (the spec says it is "
  "the JSON text of the value; a reader MAY check)", fields_file(field(SCHEDULER_CONFIG, map_value([("x", "{")]))),
  accept=True, errors=["invalid-value"])


# ---------------------------------------------------------------------------------------------
# Generation and checks


def _lookup(doc: dict, path: str):
    node = doc
    for part in path.split("."):
        node = node[part]
    return node


def _same(a, b) -> bool:
    """R11.4 equality: bool is not int, ints compare exactly, floats as binary64."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, float(b)))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, z) for x, z in zip(a, b))
    return type(a) is type(b) and a == b


def outcome(data: bytes):
    """What the reference reader does with ``data``: ("ok", json) or ("error", code)."""
    try:
        return "ok", aigif.to_json(aigif.loads(data))
    except aigif.FormatError as error:
        return "error", error.code


from aigif._errors import FORMAT_CODES  # noqa: E402  (spec section 9)


def normative_clauses(spec_text: str) -> dict[str, str]:
    """Clause ID -> its normative paragraph (up to the first table, note or heading after it)."""
    starts = list(re.finditer(r"\*\*(R\d+\.\d+)[ *]", spec_text))
    out = {}
    for match, following in zip(starts, [*starts[1:], None]):
        body = spec_text[match.start():following.start() if following else len(spec_text)]
        out[match.group(1)] = re.split(r"\n(?:#|\||\*Note)", body)[0]
    return out


def uncovered(cases: list[dict], spec_text: str) -> list[str]:
    """The self-test of the clause -> cases map: every MUST has a case, every code a MUST names an n_ case.

    ``cases`` are index.json entries. A clause no bitstream can test is listed in NOT_BY_BITSTREAM
    with the place where it is tested instead.
    """
    problems = []
    for clause, body in normative_clauses(spec_text).items():
        if "MUST" not in body or clause in NOT_BY_BITSTREAM:
            continue
        citing = [case for case in cases if clause in case["clauses"]]
        if not citing:
            problems.append(f"{clause} has a MUST but no case")
        for code in FORMAT_CODES:
            if f"`{code}`" in body and not any(case.get("error") == code or code in case.get("errors", ())
                                                for case in citing):
                problems.append(f"{clause} names [{code}] but no n_ case citing {clause} expects it")
    return problems


def rule_gaps(cases: list[dict]) -> list[str]:
    """The self-test of RULES: each rule has a case of its family (``cases`` are index.json entries)."""
    problems = []
    for rule, (kind, what) in RULES.items():
        if not any(case["kind"] == kind and rule in case.get("rules", ()) for case in cases):
            problems.append(f"rule {rule} ({what}) has no {kind}_ case")
    for case in cases:
        problems += [f"{case['name']}: rule {rule} is not in RULES" for rule in case.get("rules", ())
                     if rule not in RULES]
    return problems


def family_counts(index: list[dict]) -> dict[str, int]:
    return {"all": len(index), **{kind: sum(case["kind"] == kind for case in index) for kind in "yni"}}


def summary_line(index: list[dict], file_count: int) -> str:
    c = family_counts(index)
    return f"{c['all']} cases (y {c['y']}, n {c['n']}, i {c['i']}), {file_count} files"


def suite_readme(index: list[dict], file_count: int) -> str:
    """conformance/suite/README.md: what a third party who has only this folder needs to know."""
    c = family_counts(index)
    clauses = sorted({clause for case in index for clause in case["clauses"]},
                     key=lambda clause: tuple(int(part) for part in clause[1:].split(".")))
    dictionaries = re.findall(r"\| (\d+) \| `([^`]+\.zdict)` \| ([\d,]+) \| `([0-9a-f]{64})`",
                              SPEC.read_text("utf-8"))
    lines = [
        "# AIGIF v1 conformance suite",
        "",
        "Generated by `tools/gen_conformance.py` from its declarative case list: do not edit; regenerate.",
        "What a conforming reader must do is clause R15.1 of the specification (`spec/aigif-v1.md`);",
        "how to run the suite against any reader is `docs/conformance.md`.",
        "",
        f"**{c['all']} cases** in {file_count} files: {c['y']} `y_` (valid), {c['n']} `n_` (invalid), "
        f"{c['i']} `i_` (implementation-defined); they cite {len(clauses)} clauses and {len(RULES)} rules.",
        "",
        "| family | file | beside it | a reader must |",
        "|---|---|---|---|",
        "| `y_` valid | `y_NAME.aigif` | `y_NAME.json`: the canonical JSON form (spec section 11) "
        "| accept it, with that JSON (compared as in R11.4) |",
        "| `n_` invalid | `n_NAME.aigif` | `n_NAME.error`: one line, the error code (spec section 9) "
        "| refuse it, with that code |",
        "| `i_` implementation-defined | `i_NAME.aigif` | `i_NAME.json` when accepting is allowed "
        "| accept it with that JSON, or refuse it with one of the codes `index.json` lists |",
        "",
        "Every `n_` file has exactly one defect; its CRC-32 is recomputed unless the CRC is the defect.",
        "`SHA256SUMS` lists every file (`sha256sum -c SHA256SUMS`).",
        "",
        "## `index.json`",
        "",
        "`{\"format\": \"aigif-conformance\", \"version\": 1, \"spec\": \"aigif-v1\", \"cases\": [...]}`; each case has:",
        "",
        "| key | meaning |",
        "|---|---|",
        "| `name`, `kind`, `file` | the case, its family (`y`, `n`, `i`) and its `.aigif` file |",
        "| `clauses` | the spec clauses it tests |",
        "| `description` | one line: what the file holds |",
        "| `json` | `y_` and accepting `i_` cases: the file with the expected canonical JSON |",
        "| `error` | `n_` cases: the error code a reader must report |",
        "| `accept`, `errors` | `i_` cases: whether a reader may accept it, and the codes it may refuse it with |",
        "| `rules` | the rules below that the case exercises (absent when none) |",
        "| `canonical` | `false` on the `y_` cases that a conforming writer writes differently from the same JSON "
        "(an escaped name whose code was added later, R4.7): skip them when testing a writer byte for byte "
        "(R15.1) |",
        "",
        "## What a reader needs besides this folder",
        "",
        "The prompt dictionaries of `zstd-dict` text blocks (spec R5.6). A reader that does not hold one",
        "refuses the cases that use it with `unsupported-compressor`, and fails them.",
        "",
        "| ID | file (in the repository and inside the `aigif` package) | bytes | SHA-256 |",
        "|---|---|---|---|",
        *[f"| {ident} | `{path}` | {size} | `{digest}` |" for ident, path, size, digest in dictionaries],
        "",
        "Each is a whole Zstandard dictionary in the format of RFC 8878 section 5: it begins with the magic",
        "number `37 A4 30 EC` and its dictionary ID (u32, little-endian). Load it as such a dictionary",
        "(libzstd `ZSTD_createDDict`, python-zstandard `ZstdCompressionDict(data)`), not as raw content.",
        "",
        "## Rules",
        "",
        "Some clauses state several rules, and a reader can pass a case of the clause while getting one of",
        "them wrong. Each rule below has a case of its own; the generator refuses to write a suite in",
        "which one has none.",
        "",
        "| rule | family | what | cases |",
        "|---|---|---|---|",
    ]
    for rule, (kind, what) in RULES.items():
        names = [case["name"] for case in index if rule in case.get("rules", ())]
        lines.append(f"| `{rule}` | `{kind}_` | {what} | {', '.join(f'`{name}`' for name in names)} |")
    return "\n".join(lines) + "\n"


DOC_BLOCK = re.compile(r"(<!-- BEGIN GENERATED (?P<name>[a-z-]+) .*?-->\n)(.*?)(<!-- END GENERATED (?P=name) -->)",
                       re.DOTALL)


def docs_blocks(index: list[dict], file_count: int) -> dict[str, str]:
    """The generated parts of docs/conformance.md: every number it gives about the suite."""
    import io

    from rich.console import Console

    from aigif._cli._conformance import summary_table

    c = family_counts(index)
    every = {kind: {"total": c[kind], "passed": c[kind], "failed": 0} for kind in "yni"}
    table = io.StringIO()
    Console(file=table, width=100, color_system=None, force_terminal=False).print(
        summary_table("aigif info --json {file}", {"total": c["all"], "passed": c["all"], "failed": 0, **every}))
    accepting_i = sum(case["kind"] == "i" and case["accept"] for case in index)
    return {
        "counts": f"What the families cover ({c['all']} cases: {c['y']} `y_`, {c['n']} `n_`, {c['i']} `i_`). "
                  "The suite's own `README.md` lists the rules each case exercises.\n",
        "generator": "```console\n$ python tools/gen_conformance.py\n"
                     f"wrote conformance/suite: {summary_line(index, file_count)}\n"
                     "$ python tools/gen_conformance.py --check     # what the test suite runs\n"
                     f"conformance suite up to date: {c['all']} cases, {file_count} files\n```\n",
        "reference-run": "```console\n$ aigif conformance run --reader \"aigif info --json {file}\" --require-codes\n"
                         + "\n".join(line.rstrip() for line in table.getvalue().splitlines()) + "\n"
                         f"PASS: {c['all']} of {c['all']} cases passed (100.0 %) in … s; suite "
                         "…/conformance/suite\n```\n",
        "report": f"""```json
{{"format": "aigif-conformance-results", "version": 1,
 "reader": "./myreader --json {{file}}", "suite": "/abs/path/conformance/suite", "spec": "aigif-v1",
 "runner": "aigif 0.1.0", "timeout": 10.0, "require_codes": true, "seconds": 41.2,
 "totals": {{"total": {c['all']}, "passed": {c['all'] - 1}, "failed": 1,
            "y": {{"total": {c['y']}, "passed": {c['y']}, "failed": 0}}, "n": {{"...": "..."}}, "i": {{"...": "..."}},
            "outcomes": {{"accepted": {c['y'] + accepting_i}, "rejected": {c['n'] + c['i'] - accepting_i}, "crash": 0, \
"timeout": 0,
                         "bad-output": 0, "output-too-large": 0}}}},
 "cases": [{{"name": "n_truncated_before_crc", "kind": "n", "verdict": "fail", "outcome": "rejected",
            "expected": "reject [truncated]", "got": "reject [bad-checksum]",
            "reason": "wrong code: expected truncated, got bad-checksum", "seconds": 0.031,
            "code": "bad-checksum", "exit_status": 1, "signal": null,
            "stderr": "the last 1000 characters of stderr (failed cases only)"}}]}}
```
""",
    }


def render_docs(text: str, blocks: dict[str, str]) -> str:
    """``text`` with each generated block replaced; every block must be there exactly once."""
    found = [match.group("name") for match in DOC_BLOCK.finditer(text)]
    if sorted(found) != sorted(blocks):
        raise SystemExit(f"{DOCS.relative_to(ROOT)}: generated blocks {sorted(found)}, expected {sorted(blocks)}")
    return DOC_BLOCK.sub(lambda match: match.group(1) + blocks[match.group("name")] + match.group(4), text)


def build() -> dict[str, bytes]:
    """Every file of the suite, by name, after checking each case against the reference reader."""
    names = [case.name for case in CASES]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise SystemExit(f"duplicate case names: {sorted(duplicates)}")
    spec_clauses = set(re.findall(r"\*\*(R\d+\.\d+)[ *]", SPEC.read_text("utf-8")))
    files: dict[str, bytes] = {}
    index = []
    problems = []
    for case in CASES:
        if not re.fullmatch(r"[yni]_[a-z0-9_]+", case.name):
            problems.append(f"{case.name}: names are [yni]_ then lower-case letters, digits, underscores")
        unknown = [c for c in case.clauses if c not in spec_clauses]
        if unknown or not case.clauses:
            problems.append(f"{case.name}: clauses {unknown or 'missing'} are not in the spec")
        got, value = outcome(case.data)
        entry = {"name": case.name, "kind": case.kind, "file": case.name + ".aigif", "clauses": case.clauses,
                 "description": case.description}
        if case.rules:
            entry["rules"] = list(case.rules)
        if not case.canonical:
            entry["canonical"] = False
        if case.kind == "y" or (case.kind == "i" and case.accept):
            if got == "ok":
                for path, want in case.expect.items():
                    try:
                        have = _lookup(value, path)
                    except (KeyError, TypeError):
                        have = "<absent>"
                    if not _same(have, want):
                        problems.append(f"{case.name}: {path} is {have!r:.80}, the case expects {want!r:.80}")
                files[case.name + ".json"] = (json.dumps(value, indent=1, ensure_ascii=False) + "\n").encode()
                entry["json"] = case.name + ".json"
            elif case.kind == "y":
                problems.append(f"{case.name}: the reference reader refuses it [{value}]")
        if case.kind == "y" and got == "ok" and (aigif.dumps(aigif.loads(case.data)) == case.data) != case.canonical:
            problems.append(f"{case.name}: the reference writer {'changes' if case.canonical else 'reproduces'} "
                            f"its bytes, but the case says canonical={case.canonical}")
        if case.kind == "n":
            if (got, value) != ("error", case.error):
                problems.append(f"{case.name}: expected [{case.error}], the reference reader says "
                                f"{'[' + value + ']' if got == 'error' else 'ok'}")
            files[case.name + ".error"] = (case.error + "\n").encode()
            entry["error"] = case.error
        if case.kind == "i":
            entry["accept"] = case.accept
            if case.errors is not None:
                entry["errors"] = case.errors
            if got == "error" and case.errors is not None and value not in case.errors:
                problems.append(f"{case.name}: the reference reader says [{value}], not one of {case.errors}")
            if got == "ok" and not case.accept:
                problems.append(f"{case.name}: the reference reader accepts a file readers must refuse")
        files[case.name + ".aigif"] = case.data
        index.append(entry)
    problems += uncovered(index, SPEC.read_text("utf-8")) + rule_gaps(index)
    if problems:
        raise SystemExit("the case list and the reference reader disagree:\n  " + "\n  ".join(problems))
    files["index.json"] = (json.dumps({"format": "aigif-conformance", "version": 1, "spec": "aigif-v1",
                                       "generator": "tools/gen_conformance.py", "cases": index},
                                      indent=1, ensure_ascii=False) + "\n").encode()
    files["README.md"] = suite_readme(index, len(files) + 2).encode()  # + itself and SHA256SUMS
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(files[name]).hexdigest()}  {name}\n"
                                  for name in sorted(files)).encode()
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with conformance/suite/; write nothing")
    parser.add_argument("--out", type=Path, default=SUITE, help="the suite directory (default: %(default)s)")
    args = parser.parse_args(argv)
    files = build()
    index = json.loads(files["index.json"])["cases"]
    docs = render_docs(DOCS.read_text("utf-8"), docs_blocks(index, len(files)))
    if args.check:
        on_disk = {p.name: p.read_bytes() for p in args.out.iterdir()} if args.out.is_dir() else {}
        differ = sorted(name for name in files.keys() | on_disk.keys() if files.get(name) != on_disk.get(name))
        if args.out == SUITE and docs != DOCS.read_text("utf-8"):
            differ.append(str(DOCS.relative_to(ROOT)))
        if differ:
            print(f"{len(differ)} file(s) differ from the case list: {', '.join(differ[:10])}"
                  f"{' …' if len(differ) > 10 else ''}\nrun: python tools/gen_conformance.py", file=sys.stderr)
            return 1
        print(f"conformance suite up to date: {len(CASES)} cases, {len(files)} files")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for stale in args.out.iterdir():  # the directory is generated: nothing else lives there
        if stale.name not in files:
            stale.unlink()
    for name, data in files.items():
        target = args.out / name
        if not target.exists() or target.read_bytes() != data:
            tmp = target.with_name("." + name + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(target)
    if args.out == SUITE and docs != DOCS.read_text("utf-8"):
        tmp = DOCS.with_name("." + DOCS.name + ".tmp")
        tmp.write_text(docs, "utf-8")
        tmp.replace(DOCS)
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"wrote {shown}: {summary_line(index, len(files))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
