"""The file level, through ``aigif.loads`` and ``aigif.dumps``: golden bytes, one test per error code,
extensions, registries' open ends, and the R9.1 invariant under fuzzing.

Every refusal test builds a file with exactly one defect (``helpers.make_file`` recomputes the CRC),
so the code reported is the one that defect's clause names (R9.2).
"""

from __future__ import annotations

import dataclasses
import json
import struct
import time
import zlib

import pytest
import zstandard
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import aigif
from aigif._format import _read
from aigif._errors import FORMAT_CODES
from helpers import (EXAMPLE2_BYTES, EXAMPLE2_JSON, EXAMPLE3_BYTES, EXAMPLE3_JSON, MINIMAL_FILE, ROOT, SIGNATURE,
                      TABLE1_BYTES, TABLE1_JSON, assert_refused, assert_write_refused, binary64, compression,
                      decimal_bytes, exp, field, make_file, raises_code, read_code, reseal, string, table1,
                      text_block, uv, zstd_dict_frame)

# A file that uses every field of 6.7, escapes and an extension: a rich seed for mutation tests.
FULL = aigif.AigifFile(
    compression=aigif.Compression(pixel_compressor="png", text_compressor="zstd", model_compressor="int8"),
    platform=aigif.Platform(device="tpu", arch="sparc64", gpu="NVIDIA Jetson Orin", cuda="rocm6.2", torch="2.13.0",
                            diffusers="0.35.1", cpu_capability="AVX2", threads=8,
                            determinism=frozenset({"deterministic_algorithms", "tf32_cudnn"}),
                            attention="AttnProcessor2_0", software={"python": "3.12.1", "cudnn": "9.1"},
                            cpu_vendor="GenuineIntel", cpu_model="Intel(R) Xeon(R) Platinum 8488C",
                            determinism_profile="gpu-deterministic-x"),
    model=aigif.Model(id="my-finetune-v3", dtype="float8_e8m0", scheduler="flow_euler",
                      scheduler_options=aigif.SchedulerOptions("karras", "trailing", "v_prediction", True),
                      scheduler_config={"beta_end": "0.012", "steps_offset": "1"},
                      vae=aigif.ModelRef("sdxl-vae-fp16-fix", "autov2:0123456789"),
                      adapters=(aigif.Adapter("detail-tweaker", "lora", None, 0.75),
                                aigif.Adapter("style", "dora", "sha256:" + "ab" * 32, -1.0)),
                      clip_skip=2, hash="sha256:" + "cd" * 32),
    data=aigif.Data(prompt="a cat \U0001F408 \u732b", negative_prompt="blurry", height=768, width=640,
                    seed=2**64 - 1, steps=30, guidance_scale=6.25, rng="philox-4x32", eta=0.3, strength=0.55,
                    guidance_rescale=0.7),
    payload=aigif.Payload(pixels=b"\x89PNG fake", pixel_digest="blake3:" + "ef" * 32, model=b"safetensors"),
    extensions=(aigif.Extension(100, b"future"), aigif.Extension(224, b"")),
)
FULL_BYTES = aigif.dumps(FULL)
SEEDS = [TABLE1_BYTES, EXAMPLE2_BYTES, EXAMPLE3_BYTES, MINIMAL_FILE, FULL_BYTES]


def with_fields(*fields: bytes, **parts) -> bytes:
    return make_file(fields=list(fields), **parts)


# ---------------------------------------------------------------------------------------------
# Worked examples (spec section 14)


def test_example_14_1_golden_bytes_from_object():
    """14.1: the Table I object writes exactly the 67 bytes of the spec's table."""
    data = aigif.dumps(table1())
    assert len(data) == 67
    assert data == TABLE1_BYTES


def test_example_14_1_golden_bytes_from_json():
    """14.1 via the JSON form of section 11 (R11.4)."""
    assert aigif.dumps(aigif.from_json(TABLE1_JSON)) == TABLE1_BYTES


def test_example_14_1_examples_file():
    """examples/table1.json is the same image: it builds the same 67 bytes."""
    doc = json.loads((ROOT / "examples" / "table1.json").read_text("utf-8"))
    assert aigif.dumps(aigif.from_json(doc)) == TABLE1_BYTES


def test_example_14_1_reads_back_to_the_section_11_json():
    """14.1 read: the JSON form equals the one printed in section 11 (R11.4)."""
    obj = aigif.loads(TABLE1_BYTES)
    assert aigif.to_json(obj) == TABLE1_JSON
    assert obj.data.guidance_scale == 7.5
    assert obj.compression.text_compressor == "zlib"


def test_example_14_1_text_block_is_the_zlib_stream_of_the_content():
    """14.1, offset 17: a zlib stream of 0A "A cute cat" 0D "worst quality" (25 bytes)."""
    stream = TABLE1_BYTES[17:50]
    assert zlib.decompress(stream) == b"\x0aA cute cat\x0dworst quality"
    assert TABLE1_BYTES[-4:] == struct.pack(">I", zlib.crc32(TABLE1_BYTES[:-4]))  # R3.3


def test_example_14_1_is_59_bytes_with_the_writers_own_choice():
    """14.1: 'With the writer's own choice of text compressor (none here) the file is 59 bytes' (R10.3)."""
    doc = json.loads(json.dumps(TABLE1_JSON))
    del doc["compression"]["text_compressor"]
    data = aigif.dumps(aigif.from_json(doc))
    assert len(data) == 59
    assert data[9:11] == b"\x00\x00"  # text compressor none
    back = aigif.loads(data)
    assert back.compression.text_compressor == "none"
    expected = json.loads(json.dumps(TABLE1_JSON))
    expected["compression"]["text_compressor"] = "none"
    assert aigif.to_json(back) == expected
    # the same through the object, with text_compressor left as None
    obj = dataclasses.replace(table1(), compression=aigif.Compression())
    assert aigif.dumps(obj) == data


def test_example_14_2_golden_bytes_both_ways():
    """14.2: fields, a 64-bit seed and a pixel digest: 115 bytes, CRC 25 BC D1 2A."""
    assert len(EXAMPLE2_BYTES) == 115
    assert aigif.dumps(aigif.from_json(EXAMPLE2_JSON)) == EXAMPLE2_BYTES
    doc = aigif.to_json(aigif.loads(EXAMPLE2_BYTES))
    assert doc == EXAMPLE2_JSON
    assert doc["data"]["seed"] == 2**64 - 1 and isinstance(doc["data"]["seed"], int)  # R11.3


def test_example_14_3_golden_bytes_both_ways():
    """14.3: escapes for a GPU, a model and a scheduler without codes (R4.7): 78 bytes."""
    data = aigif.dumps(aigif.from_json(EXAMPLE3_JSON))
    assert len(data) == 78
    assert data == EXAMPLE3_BYTES
    assert data[12:14] == b"\xfe\x12" and data[33:35] == b"\xfe\x0e" and data[49:51] == b"\x0f\x0a"
    obj = aigif.loads(EXAMPLE3_BYTES)
    assert (obj.platform.gpu, obj.model.id, obj.model.scheduler) == ("NVIDIA Jetson Orin", "my-finetune-v3",
                                                                     "flow_euler")
    assert aigif.to_json(obj)["platform"]["gpu"] == "NVIDIA Jetson Orin"


@pytest.mark.parametrize("data", SEEDS, ids=["14.1", "14.2", "14.3", "minimal", "full"])
def test_rewrite_reproduces_the_bytes(data):
    """R10.1/R10.2: dumps(loads(b)) == b for valid files."""
    assert aigif.dumps(aigif.loads(data)) == data


def test_full_file_reads_back_equal():
    """Every field of 6.7 at once survives a round trip (compared as JSON, R11.4)."""
    back = aigif.loads(FULL_BYTES)
    assert aigif.to_json(back) == aigif.to_json(FULL)
    assert back.extensions == FULL.extensions


def test_loads_accepts_bytearray_and_memoryview():
    assert aigif.to_json(aigif.loads(bytearray(TABLE1_BYTES))) == TABLE1_JSON
    assert aigif.to_json(aigif.loads(memoryview(TABLE1_BYTES))) == TABLE1_JSON


# ---------------------------------------------------------------------------------------------
# One test per error code of spec section 9 (plus the check that none is missing)


def test_code_truncated():
    """R3.5: input that ends before the structure (checksum included) is truncated."""
    for data in SEEDS:
        for end in range(1, len(data)):
            assert read_code(data[:end]) == "truncated", (data[:end].hex(), end)
    # a text block or field whose length runs past the end of the file (R6.1)
    assert read_code(make_file(fields=[exp(100) + uv(1000)], crc=b"")) == "truncated"
    body = SIGNATURE + b"\x01" + compression() + b"\x00\x00\x00\x00\x00" + uv(500) + b"ab"
    assert read_code(body) == "truncated"


def test_code_truncated_for_a_proper_prefix_of_the_signature():
    """R3.1: input shorter than 8 bytes that is a non-empty prefix of the signature is truncated."""
    for end in range(1, 9):
        assert_refused(SIGNATURE[:end], "truncated")


@pytest.mark.parametrize("data, says", [
    (b"", "the file is empty"),
    (b"\x89PNG\r\n\x1a\n" + bytes(30), "this is a PNG image: 'aigif import'"),
    (b"\xff\xd8\xff\xe0" + bytes(30), "this is a JPEG image: 'aigif import'"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "(WebP?) image: 'aigif import'"),
    (b"\xff\x0a" + bytes(30), "this is a JPEG XL image"),
    (b'{"version": 1}', "looks like JSON: 'aigif build'"),
    (b"GIF89a" + bytes(30), "not an AIGIF file (the signature does not match)"),
])
def test_a_file_of_another_kind_is_named_with_the_command_that_reads_it(data, says):
    """R3.1 is still the code; the message says what the bytes are and what to run instead."""
    with raises_code("bad-signature", aigif.FormatError) as info:
        aigif.loads(data)
    assert says in info.value.message


def test_code_bad_signature():
    """R3.1: any other first 8 bytes; empty input; short input that is not a prefix."""
    assert_refused(b"", "bad-signature")
    for short in [b"G", b"GIF8", b"\x89PNG", b"\x89AIX", b"\x89AIG\r\n\n", b"\x00", b"\x89AIG\n"]:
        assert_refused(short, "bad-signature")
    assert_refused(b"GIF89a" + TABLE1_BYTES[6:], "bad-signature")
    assert_refused(b"\x89PNG\r\n\x1a\n" + TABLE1_BYTES[8:], "bad-signature")
    assert_refused(b"\x89AIG\n\x1a\n" + TABLE1_BYTES[8:], "bad-signature")  # CR LF -> LF conversion
    for i in range(8):  # every single-byte change of the signature, the rest valid
        mutated = bytearray(TABLE1_BYTES)
        mutated[i] ^= 0x20
        assert_refused(bytes(mutated), "bad-signature")
    assert_refused((ROOT / "examples" / "table1.json").read_bytes(), "bad-signature")


def test_code_unsupported_version():
    """R3.2: version 0 and 2 (and any but 1), whatever follows - even garbage or nothing."""
    for version in (0, 2, 3, 0x7F, 0xFF):
        assert_refused(SIGNATURE + bytes([version]), "unsupported-version")
        assert_refused(SIGNATURE + bytes([version]) + b"garbage" * 5, "unsupported-version")
        assert_refused(reseal(SIGNATURE + bytes([version]) + TABLE1_BYTES[9:]), "unsupported-version")
        assert_refused(SIGNATURE + bytes([version]) + TABLE1_BYTES[9:], "unsupported-version")
        assert_refused(SIGNATURE + bytes([version]) + b"\xff" * 100, "unsupported-version")


def test_code_bad_checksum():
    """R3.3: the CRC-32 of every byte before it, u32be."""
    for data in SEEDS:
        for bit in range(32):
            mutated = bytearray(data)
            mutated[-4 + bit // 8] ^= 1 << (bit % 8)
            assert_refused(bytes(mutated), "bad-checksum")
    # a structurally valid change of the body without resealing: prompt "x" -> "y"
    good = make_file(text=text_block("x"))
    index = good.index(b"\x01x\x00")
    assert_refused(good[:index + 1] + b"y" + good[index + 2:], "bad-checksum")
    # the CRC stored little-endian is wrong (u32be is the rule)
    body = TABLE1_BYTES[:-4]
    assert_refused(body + struct.pack("<I", zlib.crc32(body)), "bad-checksum")


def test_code_trailing_bytes():
    """R3.4: nothing may follow the checksum (no polyglots)."""
    for data in SEEDS:
        assert_refused(data + b"\x00", "trailing-bytes")
        assert_refused(data + data, "trailing-bytes")
    assert_refused(TABLE1_BYTES + b"\x89PNG\r\n\x1a\n", "trailing-bytes")


def test_code_limit_exceeded():
    """Section 8: every limit, one defect at a time."""
    cases = {
        "height 16385 (R5.4)": make_file(height=uv(16385)),
        "width 16385 (R5.4)": make_file(width=uv(16385)),
        "steps 10001 (R5.4)": make_file(steps=uv(10001)),
        "uvarint of 11 bytes (R4.1)": make_file(seed=b"\xff" * 10 + b"\x01"),
        "uvarint above 2**64-1 (R4.1)": make_file(seed=b"\xff" * 9 + b"\x02"),
        "exp code of 8 x FF (R4.2)": make_file(platform=b"\x00" + b"\xff" * 8 + b"\x00\x00"),
        "string of 65,536 bytes (R4.3)": make_file(text=uv(65540) + string("a" * 65536) + string("")),
        "decimal significand (R4.4)": make_file(guidance=decimal_bytes(2**53 + 1, 0)),
        "hash of 65 bytes (R4.5)": with_fields(field(16, exp(100) + uv(65) + b"\x00" * 65)),
        "map of 257 entries (R4.6)": with_fields(field(14, uv(257) + b"".join(
            string(f"k{i:03d}") + string("") for i in range(257)))),
        "257 adapters (6.7)": with_fields(field(7, uv(257) + (exp(0) + string("a") + b"\x00\x00" + b"\x00") * 257)),
        "257 fields (R6.1)": make_file(fields=[field(100 + 2 * i, b"") for i in range(257)]),
        "field of 2**32 bytes (R6.1)": make_file(fields=[exp(100) + uv(2**32)], crc=b""),
        "threads 65536 (6.7)": with_fields(field(8, uv(65536))),
        "clip skip 65 (6.7)": with_fields(field(9, uv(65))),
        "determinism bit 5 (R6.7)": with_fields(field(10, uv(32))),
        "scheduler options bit 7 (R6.7)": with_fields(field(1, uv(128))),
        "text block of 131,077 bytes, none (R5.5)": make_file(text=uv(131077) + b"\x00" * 131077),
    }
    for why, data in cases.items():
        assert read_code(data) == "limit-exceeded", why


def test_r8_2_a_limit_is_checked_before_the_bytes_that_remain():
    """R8.2: limit first, then end of file; the one exception is the text block's own length (R5.5)."""
    assert read_code(make_file(fields=[exp(100) + uv(2**32)], crc=b"")) == "limit-exceeded"  # file ends at once
    assert read_code(make_file(text=uv(9) + uv(2**40) + b"\x00" * 3)) == "limit-exceeded"  # inside 9 bytes
    assert read_code(make_file(fields=[exp(100) + uv(2**32 - 1)], crc=b"")) == "truncated"  # within its limit
    assert read_code(make_file(text=uv(2**40), crc=b"")) == "truncated"  # L has no limit of its own


def test_code_non_canonical():
    """R4.1, R4.4, R4.6, R4.7, R5.1, R6.4, R6.5: valid values in a non-canonical encoding."""
    gtx = "NVIDIA GeForce GTX 1080 Ti"
    cases = {
        "escaped GPU name that has a code (R4.7)": make_file(platform=b"\x00\xfe" + string(gtx) + b"\x00"),
        "escaped device name that has a code": make_file(platform=b"\xf0" + string("gpu") + b"\x00\x00"),
        "escaped arch name that has a code": make_file(platform=b"\x0f" + string("x86_64") + b"\x00\x00"),
        "escaped cuda name that has a code": make_file(platform=b"\x00\x00\xfe" + string("cu121")),
        "escaped model name that has a code": make_file(model=b"\xfe" + string("sdxl-turbo") + b"\x00"),
        "escaped dtype name that has a code": make_file(model=b"\x00\xf0" + string("float16")),
        "escaped scheduler name that has a code": make_file(model=b"\x00\x0f" + string("euler_a")),
        "escaped rng name that has a code": with_fields(field(11, exp(254) + string("cuda"))),
        "escaped determinism profile that has a code": with_fields(field(36, exp(254) + string("cpu-portable-1"))),
        "escaped adapter kind that has a code": with_fields(field(7, uv(1) + exp(254) + string("lora")
                                                                  + string("a") + b"\x00\x00" + b"\x00")),
        "clip_skip 0 (R6.4)": with_fields(field(9, uv(0))),
        "scheduler options 0 (R6.4)": with_fields(field(1, uv(0))),
        "rng cpu written (R6.4)": with_fields(field(11, exp(0))),
        "eta 0 (R6.4)": with_fields(field(13, b"\x00")),
        "guidance rescale 0 (R6.4)": with_fields(field(17, b"\x00")),
        "model hash of kind none (R6.4)": with_fields(field(16, b"\x00\x00")),
        "pixel digest of kind none (R6.4)": with_fields(field(20, b"\x00\x00")),
        "empty software map (R4.6)": with_fields(field(14, uv(0))),
        "empty scheduler config (R4.6)": with_fields(field(3, uv(0))),
        "empty adapter list (R6.4)": with_fields(field(7, uv(0))),
        "unsorted map keys (R4.6)": with_fields(field(14, uv(2) + string("b") + string("1") + string("a") + string("2"))),
        "duplicate map keys (R4.6)": with_fields(field(14, uv(2) + string("a") + string("1") + string("a") + string("2"))),
        "overlong uvarint (R4.1)": make_file(seed=b"\x80\x00"),
        "overlong steps (R4.1)": make_file(steps=b"\xb2\x00"),
        "decimal m=10 k=1 (R4.4)": make_file(guidance=decimal_bytes(10, 1)),
        "7.5 as binary64 (R4.4)": make_file(guidance=binary64(7.5)),
        "pixel compressor without save pixels (R5.1)": make_file(comp=compression(pixel=1)),
        "model compressor without save model (R5.1)": make_file(comp=compression(model=1)),
        "pixels field without its bit (R6.5)": with_fields(field(19, b"png")),
        "model payload without its bit (R6.5)": with_fields(field(21, b"st")),
    }
    for why, data in cases.items():
        assert read_code(data) == "non-canonical", why


def test_code_reserved_bits():
    """R5.1: the two reserved bits must be 0."""
    for reserved in (1, 2, 3):
        assert read_code(make_file(comp=compression(reserved=reserved))) == "reserved-bits"
    assert read_code(reseal(TABLE1_BYTES[:10] + bytes([TABLE1_BYTES[10] | 1]) + TABLE1_BYTES[11:])) == "reserved-bits"


def test_code_unsupported_compressor():
    """R5.1: a compressor code not in its closed registry (7.1-7.3)."""
    for code in range(4, 16):  # pixel compressor: 0-3 assigned
        data = with_fields(field(19, b"px"), comp=compression(save_pixels=1, pixel=code))
        assert read_code(data) == "unsupported-compressor", code
    for code in range(4, 16):  # text compressor: 0-3 assigned
        assert read_code(make_file(comp=compression(text=code))) == "unsupported-compressor", code
    for code in range(2, 16):  # model compressor: 0-1 assigned
        data = with_fields(field(21, b"st"), comp=compression(save_model=1, model=code))
        assert read_code(data) == "unsupported-compressor", code


def _zstd_without_size(content: bytes) -> bytes:
    cobj = zstandard.ZstdCompressor(write_content_size=False).compressobj()
    frame = cobj.compress(content) + cobj.flush()
    assert zstandard.get_frame_parameters(frame).content_size == zstandard.CONTENTSIZE_UNKNOWN
    return frame


def test_code_bad_compressed_data():
    """R5.5: exactly one complete stream/frame, nothing after it, and (zstd) a declared, matching size."""
    content = string("A cute cat") + string("worst quality")
    stream = zlib.compress(content, 9)
    frame = zstandard.ZstdCompressor(write_content_size=True).compress(content)
    assert frame[4] == 0x20 and frame[5] == len(content)  # single segment, 1-byte content size
    zlib_cases = {
        "zlib with trailing garbage": stream + b"\x00",
        "zlib followed by a second stream": stream + stream,
        "zlib cut short": stream[:-1],
        "zlib without its adler32": stream[:-4],
        "zlib with a bad adler32": stream[:-1] + bytes([stream[-1] ^ 1]),
        "not zlib at all": b"hello world",
        "empty stored block": b"",
    }
    for why, stored in zlib_cases.items():
        assert read_code(make_file(comp=compression(text=1), text=uv(len(stored)) + stored)) == "bad-compressed-data", why
    zstd_cases = {
        "zstd frame without content size": _zstd_without_size(content),
        "zstd with trailing garbage": frame + b"\x00",
        "zstd followed by a second frame": frame + frame,
        "zstd cut short": frame[:-1],
        "zstd declaring fewer bytes than it holds": frame[:5] + bytes([len(content) - 1]) + frame[6:],
        "zstd declaring more bytes than it holds": frame[:5] + bytes([len(content) + 1]) + frame[6:],
        "not zstd at all": b"hello world",
        "empty stored block": b"",
    }
    for why, stored in zstd_cases.items():
        assert read_code(make_file(comp=compression(text=2), text=uv(len(stored)) + stored)) == "bad-compressed-data", why


def test_code_bad_utf8():
    """R4.3: every string of the file is strict UTF-8."""
    bad = b"\xc0\xaf"
    cases = {
        "prompt": make_file(text=text_block(bad, "")),
        "negative prompt, surrogate": make_file(text=text_block("x", b"\xed\xa0\x80")),
        "prompt in a zlib block": make_file(comp=compression(text=1), text=text_block(bad, "", compressor="zlib")),
        "prompt in a zstd block": make_file(comp=compression(text=2), text=text_block(bad, "", compressor="zstd")),
        "escaped GPU name": make_file(platform=b"\x00\xfe" + string(bad) + b"\x00"),
        "escaped scheduler name": make_file(model=b"\x00\x0f" + string(b"\xff")),
        "torch version field": with_fields(field(2, string(bad))),
        "software map value": with_fields(field(14, uv(1) + string("python") + string(b"3.\xf4\x90\x80\x80"))),
        "vae name": with_fields(field(5, string(bad) + b"\x00\x00")),
    }
    for why, data in cases.items():
        assert read_code(data) == "bad-utf8", why


def test_code_malformed_field():
    """R6.1/R5.5: a known field's value, or the text content, must fill its length exactly."""
    cases = {
        "clip skip with a byte left over": with_fields(field(9, uv(2) + b"\x00")),
        "threads with a byte left over": with_fields(field(8, b"\x02\x02")),
        "scheduler options, empty value": with_fields(field(1, b"")),
        "torch string longer than its field": with_fields(exp(2) + uv(3) + b"\x0a2.1"),
        "hash shorter than its field": with_fields(field(16, b"\x01\x20" + b"\x00" * 31)),
        "cpu vendor with a byte left over": with_fields(field(32, string("GenuineIntel") + b"\x00")),
        "cpu model string longer than its field": with_fields(exp(34) + uv(3) + string("AMD EPYC")),
        "determinism profile with a byte left over": with_fields(field(36, exp(1) + b"\x00")),
        "determinism profile, empty value": with_fields(field(36, b"")),
        "text content with a byte left over": make_file(text=uv(4) + string("x") + string("") + b"\x00"),
        "text content without the negative prompt": make_file(text=uv(2) + string("x")),
        "text content whose string runs past it": make_file(text=uv(3) + b"\x05ab"),
        "zlib content with a byte left over": make_file(
            comp=compression(text=1), text=(lambda z: uv(len(z)) + z)(zlib.compress(b"\x01x\x00\x00"))),
    }
    for why, data in cases.items():
        assert read_code(data) == "malformed-field", why


def test_code_field_order():
    """R6.2: tags strictly ascending: no duplicates, no descending order."""
    assert read_code(with_fields(field(9, uv(2)), field(1, uv(1)))) == "field-order"
    assert read_code(with_fields(field(9, uv(2)), field(9, uv(2)))) == "field-order"
    assert read_code(with_fields(field(100, b""), field(100, b""))) == "field-order"  # unknown ancillary too
    assert read_code(with_fields(field(2, string("t")), field(102, b""), field(100, b""))) == "field-order"
    assert read_code(with_fields(field(36, exp(0)), field(32, string("GenuineIntel")))) == "field-order"
    assert read_code(with_fields(field(34, string("m")), field(30, b""))) == "field-order"  # 30 is unassigned


def test_code_unknown_critical_field():
    """R6.3: an odd tag this reader does not know."""
    for tag in (101, 23, 33, 225, 253, 255, 2039):
        assert read_code(with_fields(field(tag, b"abc"))) == "unknown-critical-field", tag
        assert read_code(with_fields(field(tag, b""))) == "unknown-critical-field", tag


def test_code_missing_field():
    """R6.5: a save bit without its payload field."""
    assert read_code(make_file(comp=compression(save_pixels=1, pixel=1))) == "missing-field"
    assert read_code(make_file(comp=compression(save_pixels=1))) == "missing-field"
    assert read_code(make_file(comp=compression(save_model=1))) == "missing-field"
    assert read_code(with_fields(field(20, b"\x01\x20" + b"\x00" * 32), comp=compression(save_pixels=1))) == "missing-field"


def test_code_invalid_value():
    """Below a minimum, wrong hash length, empty name, non-finite, raw pixel size (R4.3-R4.6, R5.4, R6.6, R6.7)."""
    cases = {
        "height 0 (R5.4)": make_file(height=uv(0)),
        "width 0 (R5.4)": make_file(width=uv(0)),
        "steps 0 (R5.4)": make_file(steps=uv(0)),
        "empty escaped GPU name (R4.3)": make_file(platform=b"\x00\xfe\x00\x00"),
        "empty escaped device name (R4.3)": make_file(platform=b"\xf0\x00\x00\x00"),
        "empty torch name (R4.3)": with_fields(field(2, b"\x00")),
        "empty cpu vendor (R4.3)": with_fields(field(32, string(""))),
        "empty cpu model (R4.3)": with_fields(field(34, string(""))),
        "empty escaped determinism profile (R4.3)": with_fields(field(36, exp(254) + string(""))),
        "empty map key (R4.6)": with_fields(field(14, uv(1) + string("") + string("1"))),
        "sha256 hash of 4 bytes (R4.5)": with_fields(field(16, b"\x01\x04abcd")),
        "crc32 hash of 5 bytes (R4.5)": with_fields(field(20, b"\x05\x05abcde")),
        "none hash of 1 byte in a vae (R4.5)": with_fields(field(5, string("vae") + b"\x00\x01\x00")),
        "NaN guidance (R4.4)": make_file(guidance=binary64(float("nan"))),
        "infinite guidance (R4.4)": make_file(guidance=binary64(float("inf"))),
        "strength 1.5 (6.7)": with_fields(field(15, decimal_bytes(15, 1))),
        "strength -0.5 (6.7)": with_fields(field(15, decimal_bytes(-5, 1))),
        "threads 0 (6.7)": with_fields(field(8, uv(0))),
        "raw pixels of the wrong size (R6.6)": with_fields(field(19, b"\x00" * 2), comp=compression(save_pixels=1),
                                                           height=uv(1), width=uv(1)),
        "raw pixels one byte too many (R6.6)": with_fields(field(19, b"\x00" * 13), comp=compression(save_pixels=1),
                                                           height=uv(2), width=uv(2)),
    }
    for why, data in cases.items():
        assert read_code(data) == "invalid-value", why


def test_every_format_code_has_its_test():
    """Section 9: one test above per error code, and FORMAT_CODES holds exactly the spec's codes."""
    tested = {name[len("test_code_"):].replace("_", "-") for name in globals() if name.startswith("test_code_")}
    tested.discard("truncated-for-a-proper-prefix-of-the-signature")
    assert tested == set(FORMAT_CODES)
    assert len(FORMAT_CODES) == len(set(FORMAT_CODES)) == 16


def test_valid_counterparts_of_the_refusals_are_accepted():
    """The single-defect tests mean something only if the file without the defect is valid."""
    valid = [
        make_file(height=uv(16384), width=uv(1), steps=uv(10000), seed=b"\xff" * 9 + b"\x01"),
        make_file(platform=b"\x00" + b"\xff" * 7 + b"\xfe" + b"\x00"),  # GPU code 2039 (unknown)
        make_file(text=uv(65539) + string("a" * 65535) + string("")),
        with_fields(field(16, exp(100) + uv(64) + b"\x00" * 64)),
        with_fields(field(14, uv(256) + b"".join(string(f"k{i:03d}") + string("") for i in range(256)))),
        make_file(fields=[field(100 + 2 * i, b"") for i in range(256)]),
        with_fields(field(8, uv(65535)), field(9, uv(64)), field(10, uv(31))),
        with_fields(field(1, uv(127))),
        make_file(comp=compression(text=1), text=text_block("A cute cat", "worst quality", compressor="zlib")),
        make_file(comp=compression(text=2), text=text_block("A cute cat", "worst quality", compressor="zstd")),
        with_fields(field(19, b"\x00" * 3), comp=compression(save_pixels=1), height=uv(1), width=uv(1)),
        with_fields(field(19, b""), comp=compression(save_pixels=1, pixel=1)),
        with_fields(field(21, b""), comp=compression(save_model=1, model=1)),
        with_fields(field(15, b"\x00")),  # strength 0 is a real value (no "absent means 0")
        with_fields(field(10, uv(0))),  # determinism 0 is meaningful (6.7)
        with_fields(field(36, exp(0))),  # determinism profile 0 (native) is meaningful (R6.4, R6.7)
        with_fields(field(36, exp(2039))),  # the largest exp code, unknown (R4.2, R4.7)
        with_fields(field(32, string("GenuineIntel")), field(34, string("x")), field(36, exp(1))),
        with_fields(field(5, string("vae") + b"\x00\x00")),  # a model reference with kind none (R4.8)
        with_fields(field(16, exp(200) + uv(3) + b"abc")),  # unknown hash kind, any length (R4.5)
        make_file(text=text_block("a\x00b", "\x00")),  # NUL in strings (R4.3)
    ]
    for data in valid:
        assert read_code(data) == "ok", data[:80].hex()
        assert aigif.dumps(aigif.loads(data)) == data  # and canonical (R10.1)


# ---------------------------------------------------------------------------------------------
# R9.2: the order of checks


def test_version_is_checked_before_anything_after_it():
    """R3.2/R9.2: a bad version wins over any later defect, even truncation."""
    assert_refused(SIGNATURE + b"\x02" + TABLE1_BYTES[9:20], "unsupported-version")


def test_structure_is_checked_before_the_checksum():
    """R9.2: a structural defect is reported even when the CRC is also wrong; truncation too."""
    bad_crc = make_file(height=uv(0), crc=b"\x00\x00\x00\x00")
    assert_refused(bad_crc, "invalid-value")
    assert_refused(TABLE1_BYTES[:40], "truncated")


def test_checksum_is_checked_before_trailing_bytes():
    """R9.2: checksum (R3.3) before 'nothing follows it' (R3.4)."""
    assert_refused(TABLE1_BYTES[:-1] + bytes([TABLE1_BYTES[-1] ^ 1]) + b"\x00", "bad-checksum")


# ---------------------------------------------------------------------------------------------
# R6.3: unknown ancillary fields are kept, byte for byte


@pytest.mark.parametrize("tag", [28, 30, 100, 224, 252, 254, 256, 2038])
def test_unknown_ancillary_field_is_kept_and_written_back(tag):
    """R6.3: an unknown even tag is skipped by its length, kept in ``extensions`` and rewritten exactly."""
    payload = bytes(range(7)) + b"\xff\x00"
    fields = sorted([(2, field(2, string("2.13.0"))), (9, field(9, uv(1))), (tag, field(tag, payload))])
    data = make_file(fields=[f for _, f in fields])
    obj = aigif.loads(data)
    assert obj.extensions == (aigif.Extension(tag, payload),)
    assert obj.platform.torch == "2.13.0" and obj.model.clip_skip == 1
    assert aigif.dumps(obj) == data
    assert aigif.to_json(obj)["extensions"] == [{"tag": tag, "data": "AAECAwQFBv8A"}]


def test_extension_added_by_the_writer_lands_in_tag_order():
    """R6.2: the writer sorts extensions among the known fields."""
    obj = dataclasses.replace(table1(), extensions=(aigif.Extension(100, b"b"), aigif.Extension(28, b"a")),
                              model=dataclasses.replace(table1().model, clip_skip=3))
    data = aigif.dumps(obj)
    expected = bytes([3]) + field(9, uv(3)) + field(28, b"a") + field(100, b"b")
    assert data[-4 - len(expected):-4] == expected
    assert aigif.loads(data).extensions == (aigif.Extension(28, b"a"), aigif.Extension(100, b"b"))


@pytest.mark.parametrize("ext, code", [
    (aigif.Extension(101, b""), "invalid-value"),  # critical and unknown: the writer cannot vouch for it
    (aigif.Extension(2, b""), "invalid-value"),  # a known field is not an extension
    (aigif.Extension(19, b""), "invalid-value"),
])
def test_writer_refuses_bad_extensions(ext, code):
    assert_write_refused(dataclasses.replace(table1(), extensions=(ext,)), code)


# ---------------------------------------------------------------------------------------------
# R5.5: decompression bombs and the content limit


def test_zlib_bomb_is_refused_quickly():
    """R5.5: a small zlib block that expands beyond 131,076 bytes is limit-exceeded, without inflating it all."""
    stored = zlib.compress(b"\x00" * 20_000_000, 9)  # about 20 KB that would expand to 20 MB
    data = make_file(comp=compression(text=1), text=uv(len(stored)) + stored)
    start = time.perf_counter()
    assert read_code(data) == "limit-exceeded"
    assert time.perf_counter() - start < 1.0


def test_zlib_block_just_over_the_limit():
    """R5.5: 131,077 bytes of content is one too many."""
    stored = zlib.compress(b"\x00" * 131_077, 9)
    assert read_code(make_file(comp=compression(text=1), text=uv(len(stored)) + stored)) == "limit-exceeded"


def test_zstd_declaring_a_huge_size_is_refused_quickly():
    """R5.5: a zstd frame that declares more than 131,076 bytes is limit-exceeded."""
    stored = zstandard.ZstdCompressor(level=3, write_content_size=True).compress(b"\x00" * 50_000_000)
    data = make_file(comp=compression(text=2), text=uv(len(stored)) + stored)
    start = time.perf_counter()
    assert read_code(data) == "limit-exceeded"
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("compressor", ["none", "zlib", "zstd"])
def test_two_maximal_strings_fit_exactly(compressor):
    """R5.5/R4.3: the content limit is two maximal strings: 2 x (3 + 65,535) = 131,076 bytes."""
    obj = aigif.AigifFile(compression=aigif.Compression(text_compressor=compressor),
                          data=aigif.Data(prompt="a" * 65535, negative_prompt="\u00e9" * 32767 + "b"))
    data = aigif.dumps(obj)
    back = aigif.loads(data)
    assert back.data.prompt == obj.data.prompt and back.data.negative_prompt == obj.data.negative_prompt
    assert_write_refused(dataclasses.replace(obj, data=aigif.Data(prompt="a" * 65536)), "limit-exceeded")


# ---------------------------------------------------------------------------------------------
# Registries: unknown codes, escapes (R4.7), R10.2/R10.3 text compressor


@pytest.mark.parametrize("make, path, code", [
    (lambda: make_file(platform=bytes([0xE0]) + b"\x00\x00"), ("platform", "device"), 14),
    (lambda: make_file(platform=bytes([0x0E]) + b"\x00\x00"), ("platform", "arch"), 14),
    (lambda: make_file(platform=b"\x00" + exp(200) + b"\x00"), ("platform", "gpu"), 200),
    (lambda: make_file(platform=b"\x00" + exp(230) + b"\x00"), ("platform", "gpu"), 230),  # private use
    (lambda: make_file(platform=b"\x00\x00" + exp(1000)), ("platform", "cuda"), 1000),
    (lambda: make_file(model=exp(300) + b"\x00"), ("model", "id"), 300),
    (lambda: make_file(model=exp(2039) + b"\x00"), ("model", "id"), 2039),
    (lambda: make_file(model=b"\x00\x90"), ("model", "dtype"), 9),
    (lambda: with_fields(field(11, exp(100))), ("data", "rng"), 100),
    (lambda: with_fields(field(36, exp(100))), ("platform", "determinism_profile"), 100),
    (lambda: with_fields(field(36, exp(230))), ("platform", "determinism_profile"), 230),  # private use
    (lambda: with_fields(field(36, exp(2039))), ("platform", "determinism_profile"), 2039),
])
def test_unknown_open_registry_codes_read_as_ints_and_round_trip(make, path, code):
    """R4.7/R13.2: a reader accepts an unknown code of an open registry and reports it by number."""
    data = make()
    obj = aigif.loads(data)
    section, key = path
    assert getattr(getattr(obj, section), key) == code
    assert aigif.to_json(obj)[section][key] == code  # R11.3: the code as a JSON number
    assert aigif.dumps(obj) == data
    assert aigif.dumps(aigif.from_json(json.loads(json.dumps(aigif.to_json(obj))))) == data


def test_unknown_adapter_and_hash_kinds_round_trip():
    data = with_fields(field(7, uv(1) + exp(100) + string("x") + exp(300) + uv(3) + b"abc" + b"\x00"))
    obj = aigif.loads(data)
    assert obj.model.adapters == (aigif.Adapter(name="x", kind=100, hash="300:616263", weight=0.0),)
    assert aigif.dumps(obj) == data


ESCAPES = [  # (registry, build an object with the free name, read it back)
    ("device", lambda v: aigif.AigifFile(platform=aigif.Platform(device=v)), lambda o: o.platform.device),
    ("arch", lambda v: aigif.AigifFile(platform=aigif.Platform(arch=v)), lambda o: o.platform.arch),
    ("gpu", lambda v: aigif.AigifFile(platform=aigif.Platform(gpu=v)), lambda o: o.platform.gpu),
    ("cuda", lambda v: aigif.AigifFile(platform=aigif.Platform(cuda=v)), lambda o: o.platform.cuda),
    ("model", lambda v: aigif.AigifFile(model=aigif.Model(id=v)), lambda o: o.model.id),
    ("dtype", lambda v: aigif.AigifFile(model=aigif.Model(dtype=v)), lambda o: o.model.dtype),
    ("scheduler", lambda v: aigif.AigifFile(model=aigif.Model(scheduler=v)), lambda o: o.model.scheduler),
    ("rng", lambda v: aigif.AigifFile(data=aigif.Data(rng=v)), lambda o: o.data.rng),
    ("determinism_profile", lambda v: aigif.AigifFile(platform=aigif.Platform(determinism_profile=v)),
     lambda o: o.platform.determinism_profile),
    ("adapter_kind", lambda v: aigif.AigifFile(model=aigif.Model(adapters=(aigif.Adapter("a", kind=v),))),
     lambda o: o.model.adapters[0].kind),
]


@pytest.mark.parametrize("registry, make, get", ESCAPES, ids=[e[0] for e in ESCAPES])
@pytest.mark.parametrize("name", ["free-name", "\u732b\U0001F408", "x" * 300])
def test_escape_for_every_open_registry(registry, make, get, name):
    """R4.7: a value with no code is written as the escape code followed by its name, and read back."""
    data = aigif.dumps(make(name))
    assert string(name) in data
    back = aigif.loads(data)
    assert get(back) == name
    assert aigif.dumps(back) == data


@pytest.mark.parametrize("registry, make, get", ESCAPES, ids=[e[0] for e in ESCAPES])
def test_a_name_with_a_code_is_written_as_its_code(registry, make, get):
    """R4.7/R7.0: a writer given a name the registry has MUST write its code, never the escape."""
    from aigif._format._registry import REGISTRIES

    names = REGISTRIES[registry].names
    name = names[max(names)]
    data = aigif.dumps(make(name))
    assert string(name) not in data
    assert get(aigif.loads(data)) == name


def test_two_escaped_4bit_codes_share_a_byte_first_name_first():
    """R4.7: when two 4-bit codes share a byte, the first code's name comes first (R5.2 device/arch,
    R5.3 dtype/scheduler)."""
    data = aigif.dumps(aigif.AigifFile(platform=aigif.Platform(device="tpu", arch="sparc")))
    assert data[11:11 + 1 + 4 + 6 + 2] == b"\xff" + string("tpu") + string("sparc") + b"\x00\x00"
    data = aigif.dumps(aigif.AigifFile(model=aigif.Model(dtype="fp4", scheduler="flow")))
    assert data[14:14 + 2 + 4 + 5] == b"\x00\xff" + string("fp4") + string("flow")


# ---------------------------------------------------------------------------------------------
# Ancillary platform fields 32 cpu_vendor, 34 cpu_model, 36 determinism_profile (6.7, registry 7.15)


def test_platform_cpu_fields_golden_bytes():
    """6.7: two names and an exp code, in tag order after the older fields; read back by both read paths."""
    obj = aigif.AigifFile(platform=aigif.Platform(threads=4, cpu_vendor="AuthenticAMD",
                                                  cpu_model="AMD EPYC 9R14 96-Core Processor",
                                                  determinism_profile="cpu-portable-1"),
                          data=aigif.Data(prompt="x"))
    data = aigif.dumps(obj)
    assert data == make_file(fields=[field(8, uv(4)), field(32, string("AuthenticAMD")),
                                     field(34, string("AMD EPYC 9R14 96-Core Processor")), field(36, exp(1))])
    for read in (aigif.loads, _read.loads_schema):
        back = read(data)
        assert (back.platform.cpu_vendor, back.platform.cpu_model, back.platform.determinism_profile) == \
            ("AuthenticAMD", "AMD EPYC 9R14 96-Core Processor", "cpu-portable-1")
        assert back == aigif.loads(data)
    assert aigif.to_json(aigif.loads(data))["platform"] == {
        "device": "cpu", "arch": "unknown", "gpu": "none", "cuda": "none", "threads": 4,
        "cpu_vendor": "AuthenticAMD", "cpu_model": "AMD EPYC 9R14 96-Core Processor",
        "determinism_profile": "cpu-portable-1"}


@pytest.mark.parametrize("value", ["native", 0])
def test_determinism_profile_0_is_written_not_taken_for_absence(value):
    """R6.4/R6.7: profile 0 (native) is a value (absence means "not recorded"), unlike rng's 0 (cpu)."""
    data = aigif.dumps(aigif.AigifFile(platform=aigif.Platform(determinism_profile=value), data=aigif.Data(prompt="x")))
    assert data == make_file(fields=[field(36, exp(0))])
    assert aigif.loads(data).platform.determinism_profile == _read.loads_schema(data).platform.determinism_profile \
        == "native"
    absent = aigif.loads(aigif.dumps(aigif.AigifFile()))
    assert absent.platform.determinism_profile is None and "determinism_profile" not in aigif.to_json(absent)["platform"]


def test_platform_cpu_fields_come_after_the_older_platform_fields():
    """The dataclass keeps positional use of Platform working: the new fields are its last three, default None."""
    names = [f.name for f in dataclasses.fields(aigif.Platform)]
    assert names[-3:] == ["cpu_vendor", "cpu_model", "determinism_profile"]
    assert names[:11] == ["device", "arch", "gpu", "cuda", "torch", "diffusers", "cpu_capability", "threads",
                          "determinism", "attention", "software"]
    assert (aigif.Platform().cpu_vendor, aigif.Platform().cpu_model, aigif.Platform().determinism_profile) == \
        (None, None, None)


@pytest.mark.parametrize("seed", [0, 1, 2**31, 2**32, 2**53 - 1, 2**53, 2**53 + 1, 2**63, 2**64 - 2, 2**64 - 1])
def test_seeds_round_trip_exactly(seed):
    """R5.4/R11.3: the seed is a 64-bit integer, exact beyond 2**53, also through JSON text."""
    data = aigif.dumps(aigif.AigifFile(data=aigif.Data(seed=seed)))
    back = aigif.loads(data)
    assert back.data.seed == seed and type(back.data.seed) is int
    text = json.dumps(aigif.to_json(back))
    assert f'"seed": {seed},' in text
    assert aigif.loads(aigif.dumps(aigif.from_json(text))).data.seed == seed


@pytest.mark.parametrize("seed, code", [(2**64, "limit-exceeded"), (-1, "invalid-value")])
def test_seed_out_of_range_is_refused_by_the_writer(seed, code):
    assert_write_refused(aigif.AigifFile(data=aigif.Data(seed=seed)), code)


def test_stored_text_block_is_reused_while_unchanged():
    """R10.2: a block compressed with other settings is copied as it was, not recompressed."""
    content = string("A cute cat") + string("worst quality")
    stored = zlib.compress(content, 1)
    assert stored != zlib.compress(content, 9)
    data = make_file(comp=compression(text=1), text=uv(len(stored)) + stored)
    obj = aigif.loads(data)
    assert aigif.dumps(obj) == data
    # changing the prompt re-encodes (with the reference writer's zlib level 9, R10.3)
    changed = dataclasses.replace(obj, data=dataclasses.replace(obj.data, prompt="A cute dog"))
    new = aigif.loads(aigif.dumps(changed))
    assert new.data.prompt == "A cute dog" and new.compression.text_compressor == "zlib"
    assert zlib.compress(string("A cute dog") + string("worst quality"), 9) in aigif.dumps(changed)
    # asking for another compressor re-encodes too
    other = dataclasses.replace(obj, compression=aigif.Compression(text_compressor="none"))
    assert aigif.dumps(other)[9:11] == b"\x00\x00" and content in aigif.dumps(other)


@pytest.mark.parametrize("compressor", ["zlib", "zstd"])
def test_reference_writer_compressor_settings(compressor):
    """R10.3: zlib level 9; zstd level 19 with the content size in the frame header and no checksum."""
    content = string("masterpiece, best quality, a cat") + string("worst quality")
    if compressor == "zlib":
        expected = zlib.compress(content, 9)
    else:
        expected = zstandard.ZstdCompressor(level=19, write_content_size=True, write_checksum=False).compress(content)
        params = zstandard.get_frame_parameters(expected)
        assert params.content_size == len(content) and not params.has_checksum
    obj = aigif.AigifFile(compression=aigif.Compression(text_compressor=compressor),
                          data=aigif.Data(prompt="masterpiece, best quality, a cat", negative_prompt="worst quality"))
    data = aigif.dumps(obj)
    assert data[16:16 + len(uv(len(expected))) + len(expected)] == uv(len(expected)) + expected


def test_writer_refuses_more_than_256_fields():
    """R6.1/R8.1: at most 256 fields, extensions included."""
    exts = tuple(aigif.Extension(100 + 2 * i, b"") for i in range(256))
    assert len(aigif.loads(aigif.dumps(aigif.AigifFile(extensions=exts))).extensions) == 256
    assert_write_refused(aigif.AigifFile(extensions=exts, platform=aigif.Platform(torch="2.13.0")), "limit-exceeded")


@pytest.mark.parametrize("prompt", ["", "x", "A cute cat", "a " * 40, "masterpiece, best quality, " * 30,
                                    "\u732b" * 200, bytes(range(256)).decode("latin-1") * 3])
def test_writer_picks_the_smallest_text_compressor(prompt):
    """R10.3: the smallest stored block, the lower code on a tie (zlib 9, zstd 19 with content size,
    zstd 19 with the prompt dictionary of R5.6)."""
    content = string(prompt) + string("worst quality")
    candidates = [
        (len(content), 0, "none"),
        (len(zlib.compress(content, 9)), 1, "zlib"),
        (len(zstandard.ZstdCompressor(level=19, write_content_size=True, write_checksum=False).compress(content)),
         2, "zstd"),
        (len(zstd_dict_frame(content)), 3, "zstd-dict"),
    ]
    expected = min(candidates)[2]
    obj = aigif.AigifFile(data=aigif.Data(prompt=prompt, negative_prompt="worst quality"))
    assert aigif.loads(aigif.dumps(obj)).compression.text_compressor == expected


# ---------------------------------------------------------------------------------------------
# The writer refuses what no reader would accept (R10.1)


@pytest.mark.parametrize("obj, code", [
    (aigif.AigifFile(data=aigif.Data(height=0)), "invalid-value"),
    (aigif.AigifFile(data=aigif.Data(height=16385)), "limit-exceeded"),
    (aigif.AigifFile(data=aigif.Data(width=16385)), "limit-exceeded"),
    (aigif.AigifFile(data=aigif.Data(steps=0)), "invalid-value"),
    (aigif.AigifFile(data=aigif.Data(steps=10001)), "limit-exceeded"),
    (aigif.AigifFile(data=aigif.Data(guidance_scale=float("nan"))), "invalid-value"),
    (aigif.AigifFile(data=aigif.Data(strength=1.5)), "invalid-value"),
    (aigif.AigifFile(data=aigif.Data(height=2, width=2), payload=aigif.Payload(pixels=b"\x00" * 11)), "invalid-value"),
    (aigif.AigifFile(compression=aigif.Compression(pixel_compressor="png")), "non-canonical"),
    (aigif.AigifFile(compression=aigif.Compression(text_compressor="lzma")), "invalid-value"),
    (aigif.AigifFile(compression=aigif.Compression(pixel_compressor="gif"), payload=aigif.Payload(pixels=b"")),
     "invalid-value"),
    (aigif.AigifFile(platform=aigif.Platform(gpu="")), "invalid-value"),
    (aigif.AigifFile(platform=aigif.Platform(gpu=254)), "invalid-value"),
    (aigif.AigifFile(platform=aigif.Platform(gpu=2040)), "invalid-value"),
    (aigif.AigifFile(platform=aigif.Platform(device=15)), "invalid-value"),
    (aigif.AigifFile(platform=aigif.Platform(threads=0)), "invalid-value"),
    (aigif.AigifFile(platform=aigif.Platform(torch="")), "invalid-value"),
    (aigif.AigifFile(platform=aigif.Platform(cpu_vendor="")), "invalid-value"),
    (aigif.AigifFile(platform=aigif.Platform(cpu_model="")), "invalid-value"),
    (aigif.AigifFile(platform=aigif.Platform(cpu_model="x" * 65536)), "limit-exceeded"),
    (aigif.AigifFile(platform=aigif.Platform(determinism_profile="")), "invalid-value"),
    (aigif.AigifFile(platform=aigif.Platform(determinism_profile=254)), "invalid-value"),
    (aigif.AigifFile(platform=aigif.Platform(determinism_profile=2040)), "invalid-value"),
    (aigif.AigifFile(platform=aigif.Platform(determinism_profile=-1)), "invalid-value"),
    (aigif.AigifFile(platform=aigif.Platform(determinism_profile=True)), "invalid-value"),
    (aigif.AigifFile(platform=aigif.Platform(determinism=frozenset({"fast"}))), "invalid-value"),
    (aigif.AigifFile(model=aigif.Model(clip_skip=65)), "limit-exceeded"),
    (aigif.AigifFile(model=aigif.Model(hash="sha256:00")), "invalid-value"),
    (aigif.AigifFile(model=aigif.Model(hash="nonsense")), "invalid-value"),
    (aigif.AigifFile(model=aigif.Model(scheduler_options=aigif.SchedulerOptions(sigmas="linear"))), "invalid-value"),
    (aigif.AigifFile(model=aigif.Model(scheduler_config={"": "x"})), "invalid-value"),
    (aigif.AigifFile(platform=aigif.Platform(software={str(i): "" for i in range(257)})), "limit-exceeded"),
    (aigif.AigifFile(data=aigif.Data(prompt="\ud800")), "invalid-value"),
    (aigif.AigifFile(data=aigif.Data(prompt=5)), "invalid-value"),
])
def test_writer_refuses_invalid_objects(obj, code):
    """R10.1/R8.1: dumps raises UsageError with a stable code instead of writing a bad file."""
    assert_write_refused(obj, code)


def test_dumps_refuses_a_non_file():
    with raises_code("invalid-value", aigif.UsageError):
        aigif.dumps({"version": 1})


# ---------------------------------------------------------------------------------------------
# R9.1: the reader returns an AigifFile or raises FormatError - nothing else, whatever the bytes


def _loads_outcome(data: bytes):
    """R9.1 oracle: ("ok", obj) or ("error", code); any other exception fails the test."""
    try:
        obj = aigif.loads(data)
    except aigif.FormatError as err:
        assert err.code in FORMAT_CODES, err.code
        return "error", err.code
    except BaseException as err:  # noqa: BLE001
        pytest.fail(f"R9.1: loads raised {type(err).__name__}: {err!r} for input {bytes(data).hex()}")
    assert isinstance(obj, aigif.AigifFile)
    return "ok", obj


def _check_accepted(data: bytes, obj: aigif.AigifFile) -> None:
    """An accepted file is canonical (R10.1: rewriting gives the same bytes) and JSON-stable (R11)."""
    assert aigif.dumps(obj) == data
    doc = json.loads(json.dumps(aigif.to_json(obj)))
    assert aigif.to_json(aigif.loads(aigif.dumps(aigif.from_json(doc)))) == aigif.to_json(obj)


def _check_schema_agrees(data: bytes, outcome) -> None:
    """The fast reader (if any) and the construct schema agree on every input."""
    loads_schema = _read.loads_schema
    if loads_schema is None:
        return
    try:
        reference = ("ok", aigif.to_json(loads_schema(data)))
    except aigif.FormatError as err:
        reference = ("error", err.code)
    mine = outcome if outcome[0] == "error" else ("ok", aigif.to_json(outcome[1]))
    assert mine == reference, bytes(data).hex()


@given(st.binary(max_size=300))
@settings(max_examples=400, deadline=None)
def test_r9_1_arbitrary_bytes(data):
    _loads_outcome(data)


@given(st.binary(max_size=300))
@settings(max_examples=400, deadline=None)
def test_r9_1_arbitrary_bytes_after_the_signature(tail):
    data = SIGNATURE + b"\x01" + tail
    outcome = _loads_outcome(data)
    _loads_outcome(reseal(data) if len(data) >= 13 else data)
    _check_schema_agrees(data, outcome)


@st.composite
def mutated_files(draw):
    """A valid file with 1-4 random byte flips, insertions, deletions or truncations, usually resealed."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        if op == "truncate":
            data = data[:draw(st.integers(0, len(data)))]
            continue
        if not data:
            continue
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        else:
            del data[at:at + draw(st.integers(1, 4))]
    if len(data) > 12 and draw(st.booleans()):
        data = bytearray(reseal(bytes(data)))
    return bytes(data)


@given(mutated_files())
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(TABLE1_BYTES[:-1])
@example(reseal(TABLE1_BYTES[:20] + TABLE1_BYTES[21:]))
def test_r9_1_mutations_of_valid_files(data):
    """R9.1: mutated valid files are accepted (canonically) or refused with one code; never a crash."""
    outcome = _loads_outcome(data)
    if outcome[0] == "ok":
        _check_accepted(data, outcome[1])
    _check_schema_agrees(data, outcome)


def test_every_single_byte_change_of_table1_is_rejected():
    """R3.3/R9.1: without resealing, every one of the 67 x 255 single-byte changes is refused."""
    for index in range(len(TABLE1_BYTES)):
        for value in range(256):
            if value == TABLE1_BYTES[index]:
                continue
            mutated = TABLE1_BYTES[:index] + bytes([value]) + TABLE1_BYTES[index + 1:]
            assert read_code(mutated) != "ok", (index, value)


def test_every_truncation_of_table1_is_truncated():
    """R3.5: each of the 66 non-empty proper prefixes is refused with truncated (the empty one: R3.1)."""
    assert read_code(b"") == "bad-signature"
    for end in range(1, len(TABLE1_BYTES)):
        assert read_code(TABLE1_BYTES[:end]) == "truncated", end


# ---------------------------------------------------------------------------------------------
# Passes, embedding triggers, init image and mask (R6.9-R6.11): what the writer refuses


def _file(**changes):
    data = aigif.Data(strength=0.5, **changes.pop("data", {}))
    return aigif.AigifFile(data=data, **changes)


@pytest.mark.parametrize("bad_pass, path", [
    (aigif.Pass("hires", 0.5, width=1024), "data.passes[0]"),  # R6.9: width and height go together
    (aigif.Pass("hires", 0.5, prompt="x"), "data.passes[0]"),
    (aigif.Pass("hires", 0.5, upscaler_hash="sha256:" + "00" * 32), "data.passes[0]"),
    (aigif.Pass("refiner", 0.8, model_hash="autov2:0102030405"), "data.passes[0]"),
    (aigif.Pass("hires", 1.5), None),  # R6.9: strength 0-1
    (aigif.Pass("hires", 0.5, scheduler=15), None),  # 15 is the escape: give the name instead
])
def test_the_writer_refuses_a_pass_it_cannot_write(bad_pass, path):
    obj = _file(data={"passes": (bad_pass,)})
    with pytest.raises(aigif.UsageError) as info:
        aigif.dumps(obj)
    assert info.value.code == "invalid-value"
    if path:
        assert info.value.path == path


def test_a_pass_writes_its_parts_in_bit_order_and_reads_back_through_both_paths():
    """R6.9: parts = the attributes given; the fast path and the schema read the same pass."""
    every = aigif.Pass("hires", 0.35, width=1024, height=1536, upscaler="R-ESRGAN 4x+",
                       upscaler_hash="sha256:" + "ab" * 32, model="my-model", model_hash="autov2:0102030405",
                       scheduler="flow_euler", steps=12, guidance_scale=4.5, prompt="a fox", negative_prompt="")
    data = aigif.dumps(_file(data={"passes": (every, aigif.Pass("refiner", 0.8))}))
    assert aigif.loads(data).data.passes == _read.loads_schema(data).data.passes == (every, aigif.Pass("refiner", 0.8))
    assert aigif.to_json(aigif.loads(data))["data"]["passes"][1] == {"kind": "refiner", "strength": 0.8}


@pytest.mark.parametrize("payload, code", [
    (aigif.Payload(init_image=aigif.Image("none", 2, 2, bytes(11))), "invalid-value"),  # R6.10: raw RGB size
    (aigif.Payload(init_image=aigif.Image("none", 1, 1, bytes(3)), mask=aigif.Image("none", 1, 1, bytes(3))),
     "invalid-value"),  # a raw mask has one channel
    (aigif.Payload(init_image=aigif.Image("gif", 1, 1, b"x")), "invalid-value"),  # closed registry 7.1
    (aigif.Payload(init_image=aigif.Image("png", 0, 1, b"x")), "invalid-value"),
])
def test_the_writer_refuses_an_image_it_cannot_write(payload, code):
    with pytest.raises(aigif.UsageError) as info:
        aigif.dumps(_file(payload=payload))
    assert info.value.code == code


def test_an_init_image_needs_the_strength_and_a_mask_the_init_image():
    """R6.10: the writer refuses what the reader would refuse as missing-field."""
    image = aigif.Image("png", 8, 8, b"png bytes")
    for obj in (aigif.AigifFile(payload=aigif.Payload(init_image=image)),
                _file(payload=aigif.Payload(mask=image))):
        with pytest.raises(aigif.UsageError) as info:
            aigif.dumps(obj)
        assert info.value.code == "missing-field"
    ok = _file(payload=aigif.Payload(init_image=image, mask=image))
    assert aigif.loads(aigif.dumps(ok)).payload == ok.payload


def test_embedding_triggers_must_not_be_empty():
    """R6.11."""
    with pytest.raises(aigif.UsageError) as info:
        aigif.dumps(aigif.AigifFile(model=aigif.Model(embedding_triggers={"e.safetensors": ""})))
    assert info.value.code == "invalid-value"
    obj = aigif.AigifFile(model=aigif.Model(embedding_triggers={"e.safetensors": "<e>"}))
    assert aigif.loads(aigif.dumps(obj)).model.embedding_triggers == {"e.safetensors": "<e>"}
