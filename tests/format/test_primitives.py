"""The primitive types of spec section 4, tested on the construct classes of ``aigif._primitives``.

Parsing refuses with ``Violation`` (whose ``code`` becomes the reader's error code); building
refuses anything the reader would refuse, so the writer can only be canonical (R10.1).
"""

from __future__ import annotations

import math
import struct

import construct as c
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aigif._format._wire import Decimal, ExpCode, UVarInt, Utf8, Violation, decimal_form
from helpers import binary64, decimal_bytes, exp, string, uv


def parse_code(con: c.Construct, data: bytes) -> str:
    """What parsing ``data`` with ``con`` does: ``"ok"`` (consuming every byte), or the error code."""
    try:
        c.Struct("value" / con, c.Terminated).parse(data)
    except Violation as err:
        return err.code
    except c.StreamError:
        return "truncated"
    return "ok"


def build_code(con: c.Construct, value) -> str:
    try:
        con.build(value)
    except Violation as err:
        return err.code
    return "ok"


def parse(con: c.Construct, data: bytes):
    """Parse ``data`` exactly (every byte consumed)."""
    return c.Struct("value" / con, c.Terminated).parse(data).value


# ---------------------------------------------------------------------------------------------
# R4.1 uvarint

UVARINT_TABLE = [  # the table of R4.1, plus boundaries
    (0, "00"),
    (1, "01"),
    (127, "7F"),
    (128, "80 01"),
    (1024, "80 08"),
    (16383, "FF 7F"),
    (16384, "80 80 01"),
    (829557441, "C1 95 C8 8B 03"),
    (2**63, "80 80 80 80 80 80 80 80 80 01"),
    (2**64 - 1, "FF FF FF FF FF FF FF FF FF 01"),
]


@pytest.mark.parametrize("value, hexbytes", UVARINT_TABLE)
def test_uvarint_golden_bytes_both_ways(value, hexbytes):
    """R4.1: the spec's table, built and parsed."""
    data = bytes.fromhex(hexbytes)
    assert UVarInt().build(value) == data
    assert parse(UVarInt(), data) == value


@pytest.mark.parametrize("data, code", [
    ("80 00", "non-canonical"),  # R4.1: overlong 0
    ("FF 00", "non-canonical"),  # overlong 127
    ("80 80 80 80 80 80 80 80 80 00", "non-canonical"),  # 10 bytes, last 0x00
    ("80 80 80 80 80 80 80 80 80 80 01", "limit-exceeded"),  # 11 bytes
    ("FF FF FF FF FF FF FF FF FF 80 01", "limit-exceeded"),  # 11 bytes
    ("FF FF FF FF FF FF FF FF FF 02", "limit-exceeded"),  # 2**64 + ...: above 2**64 - 1
    ("80 80 80 80 80 80 80 80 80 7F", "limit-exceeded"),  # 127 * 2**63
    ("80", "truncated"),  # R3.5: ends before the uvarint does
    ("", "truncated"),
])
def test_uvarint_refusals(data, code):
    """R4.1: overlong -> non-canonical; more than 10 bytes or above 2**64 - 1 -> limit-exceeded."""
    assert parse_code(UVarInt(), bytes.fromhex(data)) == code


def test_uvarint_range_of_a_field():
    """R5.4/R6.7: above the maximum is limit-exceeded, below the minimum invalid-value."""
    height = UVarInt(minimum=1, maximum=16384, what="height")
    assert parse_code(height, uv(16384)) == "ok"
    assert parse_code(height, uv(16385)) == "limit-exceeded"
    assert parse_code(height, uv(0)) == "invalid-value"
    assert build_code(height, 16385) == "limit-exceeded"
    assert build_code(height, 0) == "invalid-value"
    absent = UVarInt(minimum=1, maximum=64, below="non-canonical")  # R6.4: 0 is what absence means
    assert parse_code(absent, uv(0)) == "non-canonical"


@pytest.mark.parametrize("value", [2**64, 2**70, -1, True, 1.0, "1", None])
def test_uvarint_build_refuses_what_no_reader_accepts(value):
    """R10.1: the writer never produces a uvarint above 2**64 - 1, nor a non-integer."""
    with pytest.raises(Violation) as info:
        UVarInt().build(value)
    assert info.value.code in {"limit-exceeded", "invalid-value"}
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        assert info.value.code == "limit-exceeded"


@given(st.integers(min_value=0, max_value=2**64 - 1))
@settings(max_examples=300)
def test_uvarint_round_trip_and_length(value):
    """R4.1: every value has exactly one encoding, of ceil(bits / 7) bytes, ending in a non-zero byte."""
    data = UVarInt().build(value)
    assert data == uv(value)
    assert len(data) == max(1, math.ceil(value.bit_length() / 7))
    assert len(data) == 1 or data[-1] != 0
    assert parse(UVarInt(), data) == value


# ---------------------------------------------------------------------------------------------
# R4.2 exp code

EXP_TABLE = [  # the table of R4.2
    (0, "00"),
    (253, "FD"),
    (254, "FE"),
    (255, "FF 00"),
    (509, "FF FE"),
    (510, "FF FF 00"),
    (764, "FF FF FE"),
    (1785, "FF FF FF FF FF FF FF 00"),
    (2039, "FF FF FF FF FF FF FF FE"),
]


@pytest.mark.parametrize("value, hexbytes", EXP_TABLE)
def test_exp_code_golden_bytes_both_ways(value, hexbytes):
    """R4.2: value = 255 * (n - 1) + last byte."""
    data = bytes.fromhex(hexbytes)
    assert ExpCode().build(value) == data
    assert parse(ExpCode(), data) == value


def test_exp_code_every_value_round_trips_with_one_encoding():
    """R4.2: all 2040 values, each with exactly one encoding of 1 + value // 255 bytes."""
    seen = set()
    for value in range(2040):
        data = ExpCode().build(value)
        assert data == exp(value)
        assert len(data) == 1 + value // 255
        assert all(b == 0xFF for b in data[:-1]) and data[-1] != 0xFF
        assert parse(ExpCode(), data) == value
        seen.add(data)
    assert len(seen) == 2040


def test_exp_code_eight_ff_bytes_is_limit_exceeded():
    """R4.2: an 8th byte 0xFF is refused with limit-exceeded (whatever follows)."""
    assert parse_code(ExpCode(), b"\xff" * 8) == "limit-exceeded"
    assert parse_code(ExpCode(), b"\xff" * 8 + b"\x00") in {"limit-exceeded"}
    assert parse_code(ExpCode(), b"\xff" * 7) == "truncated"


@pytest.mark.parametrize("value", [2040, 5000, -1, True])
def test_exp_code_build_refuses_out_of_range(value):
    """R4.2/R8.1: the largest value is 2039; a writer never produces more."""
    with pytest.raises(Violation) as info:
        ExpCode().build(value)
    assert info.value.code in {"limit-exceeded", "invalid-value"}


# ---------------------------------------------------------------------------------------------
# R4.3 string

def test_string_golden_bytes():
    assert Utf8().build("A cute cat") == b"\x0aA cute cat"
    assert Utf8().build("") == b"\x00"
    assert parse(Utf8(), b"\x03\xe7\x8c\xab") == "\u732b"


@pytest.mark.parametrize("raw, why", [
    (b"\xc0\xaf", "overlong encoding of '/'"),
    (b"\xe0\x80\xaf", "3-byte overlong"),
    (b"\xed\xa0\x80", "UTF-16 surrogate U+D800"),
    (b"\xed\xbf\xbf", "UTF-16 surrogate U+DFFF"),
    (b"\xf4\x90\x80\x80", "above U+10FFFF"),
    (b"\xff", "never valid"),
    (b"\x80", "lone continuation byte"),
    (b"a\xe2\x82", "truncated sequence"),
])
def test_string_invalid_utf8_is_bad_utf8(raw, why):
    """R4.3: strict UTF-8 (RFC 3629): overlong forms, surrogates and > U+10FFFF are refused."""
    assert parse_code(Utf8(), string(raw)) == "bad-utf8", why


def test_string_nul_and_any_scalar_value_allowed():
    """R4.3: U+0000 and every scalar value, not normalised."""
    for text in ["\x00", "a\x00b", "\U0010FFFF", "e\u0301", "\u00e9", "\U0001F408 \u732b"]:
        data = Utf8().build(text)
        assert data == string(text)
        assert parse(Utf8(), data) == text


def test_string_length_limit():
    """R4.3: at most 65,535 bytes; a longer one is limit-exceeded (checked before reading it)."""
    assert parse(Utf8(), string("a" * 65535)) == "a" * 65535
    assert parse_code(Utf8(), string("a" * 65536)) == "limit-exceeded"
    assert parse_code(Utf8(), uv(65536)) == "limit-exceeded"  # refused before the bytes are needed
    assert parse_code(Utf8(), uv(2**64 - 1)) == "limit-exceeded"
    assert build_code(Utf8(), "a" * 65536) == "limit-exceeded"
    assert build_code(Utf8(), "\u732b" * 21845) == "ok"  # 65,535 bytes
    assert build_code(Utf8(), "\u732b" * 21846) == "limit-exceeded"  # 65,538 bytes


def test_name_must_not_be_empty():
    """R4.3: a name is a non-empty string (invalid-value)."""
    assert parse_code(Utf8(nonempty=True), b"\x00") == "invalid-value"
    assert build_code(Utf8(nonempty=True), "") == "invalid-value"
    assert parse_code(Utf8(nonempty=True), b"\x01a") == "ok"


def test_string_build_refuses_lone_surrogate():
    """R4.3: a lone surrogate is not a Unicode scalar value, so UTF-8 cannot hold it."""
    assert build_code(Utf8(), "\ud800") == "invalid-value"


def test_string_truncated():
    assert parse_code(Utf8(), b"\x05abc") == "truncated"


# ---------------------------------------------------------------------------------------------
# R4.4 decimal

DECIMAL_TABLE = [  # the table of R4.4
    (0.0, "00", (0, 0)),
    (7.0, "38", (7, 0)),
    (7.5, "D9 04", (75, 1)),
    (0.75, "DA 04", (75, 2)),
    (1.15, "9A 07", (115, 2)),
    (-1.0, "04", (-1, 0)),
    (0.125, "03 3F C0 00 00 00 00 00 00", None),
    (-0.0, "03 80 00 00 00 00 00 00 00", None),
]


@pytest.mark.parametrize("value, hexbytes, form", DECIMAL_TABLE)
def test_decimal_golden_bytes_both_ways(value, hexbytes, form):
    """R4.4: the spec's table, built and parsed bit-exactly (including the sign of -0.0)."""
    data = bytes.fromhex(hexbytes)
    assert Decimal().build(value) == data
    back = parse(Decimal(), data)
    assert struct.pack(">d", back) == struct.pack(">d", value)
    assert decimal_form(value) == form


@pytest.mark.parametrize("value, m, k", [
    (0.35, 35, 2), (-2.5, -25, 1), (100.0, 100, 0), (1e15, 10**15, 0), (0.1, 1, 1), (0.01, 1, 2),
    (2.0**53, 2**53, 0), (-(2.0**53), -(2**53), 0), (12345.67, 1234567, 2),
])
def test_decimal_uses_the_scaled_form_when_it_exists(value, m, k):
    """R4.4 canonical form: shortest digits, at most 2 after the point, |m| <= 2**53."""
    assert Decimal().build(value) == decimal_bytes(m, k)


@pytest.mark.parametrize("value", [0.001, 1e-7, 1e16 + 2, 2.0**53 + 2, 1e300, 5e-324, 0.1 + 0.2, -0.0])
def test_decimal_uses_binary64_otherwise(value):
    """R4.4: more than 2 decimals, |m| > 2**53, or -0.0 -> binary64."""
    assert Decimal().build(value) == binary64(value)


@pytest.mark.parametrize("data, why", [
    (decimal_bytes(10, 1), "m=10, k=1 is 1.0, which is m=1, k=0"),
    (decimal_bytes(750, 2), "7.5 with a trailing zero"),
    (decimal_bytes(0, 1), "zero with k=1"),
    (decimal_bytes(0, 2), "zero with k=2"),
    (binary64(7.5), "binary64 escape holding 7.5, which has a decimal form"),
    (binary64(0.0), "binary64 escape holding +0.0"),
    (binary64(1e15), "binary64 escape holding an integer"),
    (uv(1 << 2 | 3) + struct.pack(">d", 0.125), "k=3 with q=1"),
    (uv(5 << 2 | 3) + struct.pack(">d", 0.125), "k=3 with q=5"),
])
def test_decimal_non_canonical_encodings_refused(data, why):
    """R4.4: a reader refuses any encoding but the canonical one with non-canonical."""
    assert parse_code(Decimal(), data) == "non-canonical", why


def test_decimal_significand_limit():
    """R4.4: |m| must not exceed 2**53 (limit-exceeded)."""
    assert parse_code(Decimal(), decimal_bytes(2**53, 0)) == "ok"
    assert parse_code(Decimal(), decimal_bytes(-(2**53), 0)) == "ok"
    assert parse_code(Decimal(), decimal_bytes(2**53 + 1, 0)) == "limit-exceeded"
    assert parse_code(Decimal(), decimal_bytes(-(2**53) - 1, 0)) == "limit-exceeded"
    assert parse_code(Decimal(), decimal_bytes(2**60, 1)) == "limit-exceeded"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, struct.unpack(">d", b"\x7f\xf8\x00\x00\x00\x00\x00\x01")[0]])
def test_decimal_non_finite_refused(value):
    """R4.4: NaN and infinities are not representable: invalid-value both ways."""
    assert parse_code(Decimal(), b"\x03" + struct.pack(">d", value)) == "invalid-value"
    assert build_code(Decimal(), value) == "invalid-value"


def test_decimal_truncated_binary64():
    assert parse_code(Decimal(), b"\x03\x3f\xc0") == "truncated"


def test_decimal_range_of_a_field():
    """R6.7: a decimal outside its range is invalid-value; 0 where absence means 0 is non-canonical."""
    strength = Decimal(minimum=0.0, maximum=1.0)
    assert parse_code(strength, decimal_bytes(15, 1)) == "invalid-value"
    assert parse_code(strength, decimal_bytes(-5, 1)) == "invalid-value"
    assert parse_code(strength, decimal_bytes(1, 0)) == "ok"
    assert build_code(strength, 1.5) == "invalid-value"
    eta = Decimal(nonzero=True)
    assert parse_code(eta, b"\x00") == "non-canonical"


@given(st.floats(allow_nan=False, allow_infinity=False))
@example(-0.0)
@example(0.0)
@example(5e-324)
@example(1.7976931348623157e308)
@example(7.5)
@example(0.35)
@example(9007199254740993.0)
@settings(max_examples=500)
def test_every_finite_float_round_trips_bit_exactly(value):
    """R4.4: a decimal round-trips exactly, as the same IEEE 754 binary64 (sign of zero included)."""
    data = Decimal().build(value)
    back = parse(Decimal(), data)
    assert struct.pack(">d", back) == struct.pack(">d", value)
    # and the encoding chosen is the canonical one
    if decimal_form(value) is None:
        assert data == binary64(value)
    else:
        assert data == decimal_bytes(*decimal_form(value))


@given(st.integers(min_value=-(2**53), max_value=2**53), st.integers(min_value=0, max_value=2))
@settings(max_examples=300)
def test_every_accepted_decimal_has_exactly_one_encoding(m, k):
    """R4.4: a scaled encoding is accepted only if it is the one the writer produces."""
    data = decimal_bytes(m, k)
    code = parse_code(Decimal(), data)
    assert code in {"ok", "non-canonical"}
    value = float(f"{m}e-{k}")
    if code == "ok":
        assert parse(Decimal(), data) == value
        assert Decimal().build(value) == data
    else:
        assert Decimal().build(value) != data
