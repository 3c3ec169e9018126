"""The primitive types of spec section 4, twice: as construct classes and as the fast path's ``Reader``.

Each construct class enforces its clause while parsing (so a bad byte is refused where it is read,
with a stable code) and refuses to build anything the reader would refuse (so the writer is
canonical); the schema (``_schema.py``, ``_fields.py``) is composed from them. ``Reader`` reads the
same primitives in straight-line code for the fast path: it only ever accepts, and raises ``Reject``
at the first doubt, so that the schema decides and names the error (see ``_fastread``).
"""

from __future__ import annotations

import decimal
import math
import struct

import construct as c
from construct.core import stream_read, stream_write

from . import _limits as L


class Violation(c.ConstructError):
    """A spec clause was broken. ``code`` is the stable error code the reader reports."""

    def __init__(self, code: str, message: str, path: str | None = None):
        self.code = code
        self.detail = message
        super().__init__(message, path=path)


def _usage(message: str, path: str | None) -> c.ConstructError:
    # Raised while *building*: the writer (_write.dumps) turns it into UsageError.
    return Violation("invalid-value", message, path)


class UVarInt(c.Construct):
    """R4.1: unsigned LEB128, at most 10 bytes, no overlong forms, value <= 2**64 - 1."""

    def __init__(self, maximum: int = L.MAX_UVARINT, minimum: int = 0, what: str = "value",
                 below: str = "invalid-value"):
        super().__init__()
        self.minimum, self.maximum, self.what = minimum, maximum, what
        self.below = below  # "non-canonical" where the value below the minimum is the field's absence (R6.4)

    def _parse(self, stream, context, path):
        value = shift = 0
        for index in range(L.MAX_UVARINT_BYTES):
            byte = stream_read(stream, 1, path)[0]
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if byte == 0 and index:
                    raise Violation("non-canonical", "overlong uvarint (a final 0x00 byte)", path)
                if value > L.MAX_UVARINT:
                    raise Violation("limit-exceeded", "uvarint above 2**64-1", path)
                if not self.minimum <= value <= self.maximum:
                    code = "limit-exceeded" if value > self.maximum else self.below
                    raise Violation(code, f"{self.what} {value} outside {self.minimum}..{self.maximum}", path)
                return value
            shift += 7
        raise Violation("limit-exceeded", "uvarint longer than 10 bytes", path)

    def _build(self, obj, stream, context, path):
        if isinstance(obj, bool) or not isinstance(obj, int):
            raise _usage(f"{self.what} must be an integer, got {obj!r}", path)
        if not self.minimum <= obj <= self.maximum:
            raise Violation("limit-exceeded" if obj > self.maximum else "invalid-value",
                            f"{self.what} {obj} outside {self.minimum}..{self.maximum}", path)
        out = bytearray()
        value = obj
        while True:
            byte = value & 0x7F
            value >>= 7
            if value:
                out.append(byte | 0x80)
            else:
                out.append(byte)
                break
        stream_write(stream, bytes(out), len(out), path)
        return obj

    def _sizeof(self, context, path):
        raise c.SizeofError("uvarint has a variable size", path=path)


class ExpCode(c.Construct):
    """R4.2: the exp code. n bytes, all but the last 0xFF; value = 255*(n-1) + last; n <= 8."""

    MAX_VALUE = L.MAX_EXP_CODE

    def _parse(self, stream, context, path):
        for index in range(L.MAX_EXP_CODE_BYTES):
            byte = stream_read(stream, 1, path)[0]
            if byte != 0xFF:
                return 255 * index + byte
        raise Violation("limit-exceeded", f"exp code longer than {L.MAX_EXP_CODE_BYTES} bytes", path)

    def _build(self, obj, stream, context, path):
        if isinstance(obj, bool) or not isinstance(obj, int) or not 0 <= obj <= self.MAX_VALUE:
            raise Violation("limit-exceeded", f"exp code value {obj!r} outside 0..{self.MAX_VALUE}", path)
        extra, last = divmod(obj, 255)
        data = b"\xff" * extra + bytes([last])
        stream_write(stream, data, len(data), path)
        return obj

    def _sizeof(self, context, path):
        raise c.SizeofError("exp code has a variable size", path=path)


class Utf8(c.Construct):
    """R4.3: a uvarint byte length, then that many bytes of UTF-8 (strict, not normalised).

    ``maximum`` is R4.3's 65,535 bytes, except for the texts of the source metadata (R6.8), which
    only the content length bounds.
    """

    def __init__(self, nonempty: bool = False, maximum: int = L.MAX_STRING_BYTES):
        super().__init__()
        self.nonempty, self.maximum = nonempty, maximum

    def _parse(self, stream, context, path):
        length = _LENGTH._parse(stream, context, path)
        if length > self.maximum:
            raise Violation("limit-exceeded", f"string of {length} bytes (limit {self.maximum})", path)
        if self.nonempty and not length:
            raise Violation("invalid-value", "empty string where a name is required", path)
        data = stream_read(stream, length, path)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise Violation("bad-utf8", f"invalid UTF-8 at byte {err.start} of the string", path) from None

    def _build(self, obj, stream, context, path):
        if not isinstance(obj, str):
            raise _usage(f"expected a string, got {type(obj).__name__}", path)
        try:
            data = obj.encode("utf-8")
        except UnicodeEncodeError:
            raise _usage("string holds a lone surrogate, which UTF-8 cannot encode", path) from None
        if len(data) > self.maximum:
            raise Violation("limit-exceeded", f"string of {len(data)} bytes (limit {self.maximum})", path)
        if self.nonempty and not data:
            raise _usage("a name must not be empty", path)
        _LENGTH._build(len(data), stream, context, path)
        stream_write(stream, data, len(data), path)
        return obj


_LENGTH = UVarInt(what="length")


def decimal_form(value: float) -> tuple[int, int] | None:
    """R4.4: (m, k) with value == m * 10**-k, k <= 2 minimal, |m| <= 2**53; None if there is none.

    The digits are those of ``repr``, the shortest decimal that converts back to ``value``.
    """
    if not math.isfinite(value) or (value == 0 and math.copysign(1.0, value) < 0):
        return None
    text = repr(value)
    if "e" in text:  # very large or very small: let decimal do the exponent arithmetic
        sign, digits, exponent = decimal.Decimal(text).normalize().as_tuple()
        assert isinstance(exponent, int)  # a finite value has a numeric exponent
        if exponent < -2 or exponent > 16:
            return None
        k = max(0, -exponent)
        m = int("".join(map(str, digits))) * 10 ** max(0, exponent) * (-1 if sign else 1)
    else:
        whole, _, fraction = text.partition(".")
        fraction = fraction.rstrip("0")
        if len(fraction) > 2:
            return None
        k = len(fraction)
        m = int(whole + fraction)
    if abs(m) > L.MAX_DECIMAL_SIGNIFICAND:
        return None
    return m, k


class Decimal(c.Construct):
    """R4.4: a number that round-trips exactly: m*10**-k as a zigzag uvarint, or IEEE binary64."""

    def __init__(self, minimum: float = -math.inf, maximum: float = math.inf, nonzero: bool = False,
                 what: str = "value"):
        super().__init__()
        self.minimum, self.maximum, self.nonzero, self.what = minimum, maximum, nonzero, what

    def _check(self, value, path, code_if_bad):
        if self.nonzero and value == 0:
            raise Violation("non-canonical", f"{self.what} 0 is written by leaving the field out", path)
        if not self.minimum <= value <= self.maximum:
            raise Violation(code_if_bad, f"{self.what} {value!r} outside {self.minimum}..{self.maximum}", path)

    def _parse(self, stream, context, path):
        head = _RAW_UVARINT._parse(stream, context, path)
        k, q = head & 3, head >> 2
        if k == 3:
            if q:
                raise Violation("non-canonical", "binary64 escape with nonzero high bits", path)
            (value,) = struct.unpack(">d", stream_read(stream, 8, path))
            if not math.isfinite(value):
                raise Violation("invalid-value", f"{self.what} is not finite", path)
            if decimal_form(value) is not None:
                raise Violation("non-canonical", f"{self.what} {value!r} has a decimal form", path)
        else:
            m = (q >> 1) ^ -(q & 1)
            if abs(m) > L.MAX_DECIMAL_SIGNIFICAND:
                raise Violation("limit-exceeded", "decimal significand above 2**53", path)
            value = float(f"{m}e-{k}")
            if decimal_form(value) != (m, k):
                raise Violation("non-canonical", f"{self.what} {value!r} is not in its shortest form", path)
        self._check(value, path, "invalid-value")
        return value

    def _build(self, obj, stream, context, path):
        if isinstance(obj, bool) or not isinstance(obj, (int, float)):
            raise _usage(f"{self.what} must be a number, got {obj!r}", path)
        value = float(obj)
        if not math.isfinite(value):
            raise _usage(f"{self.what} must be finite", path)
        self._check(value, path, "invalid-value")
        form = decimal_form(value)
        if form is None:
            _RAW_UVARINT._build(3, stream, context, path)
            stream_write(stream, struct.pack(">d", value), 8, path)
        else:
            m, k = form
            _RAW_UVARINT._build(((m << 1) ^ (m >> 63)) << 2 | k, stream, context, path)
        return value

    def _sizeof(self, context, path):
        raise c.SizeofError("decimal has a variable size", path=path)


_RAW_UVARINT = UVarInt()


class Exactly(c.Subconstruct):
    """R6.1: the subcon must fill its length-delimited substream exactly (a field, the text block)."""

    def __init__(self, subcon, what: str):
        super().__init__(subcon)
        self.what = what

    def _parse(self, stream, context, path):
        try:
            obj = self.subcon._parsereport(stream, context, path)
        except c.StreamError:
            raise Violation("malformed-field", f"{self.what} is shorter than its contents", path) from None
        if stream.read(1):
            raise Violation("malformed-field", f"{self.what} is longer than its contents", path)
        return obj


class Require(c.Construct):
    """A named rule of the spec over already-parsed values; consumes no bytes."""

    def __init__(self, rule, code: str, message: str):
        super().__init__()
        self.flagbuildnone = True
        self.rule, self.code, self.message = rule, code, message

    def _parse(self, stream, context, path):
        if not self.rule(context):
            raise Violation(self.code, self.message, path)

    def _build(self, obj, stream, context, path):
        if not self.rule(context):
            raise Violation(self.code, self.message, path)

    def _sizeof(self, context, path):
        return 0


# ---------------------------------------------------------------------------------------------
# The fast path's reader


class Reject(Exception):
    """Not provably valid on the fast path: let the schema decide."""


_unpack_double = struct.Struct(">d").unpack_from


def uvarint_at(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """R4.1: (value, position after it) of the uvarint at ``pos``, within ``data[:end]``."""
    if pos < end:
        byte = data[pos]
        if byte < 0x80:  # one byte: most lengths, steps, small codes
            return byte, pos + 1
        if pos + 1 < end:
            second = data[pos + 1]
            if 0 < second < 0x80:  # two bytes: sizes, longer lengths
                return (byte & 0x7F) | second << 7, pos + 2
    value = shift = 0
    for index in range(L.MAX_UVARINT_BYTES):
        if pos >= end:
            raise Reject
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            if (byte == 0 and index) or value > L.MAX_UVARINT:
                raise Reject
            return value, pos
        shift += 7
    raise Reject


class Reader:
    """Section 4's primitives over ``data[pos:end]`` (a field's bytes, or the whole body)."""

    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, pos: int, end: int):
        self.data, self.pos, self.end = data, pos, end

    def take(self, length: int) -> bytes:
        start = self.pos
        if start + length > self.end:
            raise Reject
        self.pos = start + length
        return self.data[start:self.pos]

    def rest(self) -> bytes:
        return self.take(self.end - self.pos)

    def uvarint(self, minimum: int = 0, maximum: int = L.MAX_UVARINT) -> int:
        # R4.1 (and the field's range, R6.7)
        value, pos = uvarint_at(self.data, self.pos, self.end)
        if not minimum <= value <= maximum:
            raise Reject
        self.pos = pos
        return value

    def exp(self) -> int:
        # R4.2
        data, pos = self.data, self.pos
        for index in range(L.MAX_EXP_CODE_BYTES):
            if pos >= self.end:
                raise Reject
            byte = data[pos]
            pos += 1
            if byte != 0xFF:
                self.pos = pos
                return 255 * index + byte
        raise Reject

    def string(self, nonempty: bool = False, maximum: int = L.MAX_STRING_BYTES) -> str:
        # R4.3 (a UnicodeDecodeError is turned into Reject by the fast path's boundary)
        length = self.uvarint(1 if nonempty else 0, maximum)
        return self.take(length).decode("utf-8")

    def decimal(self, minimum: float = -math.inf, maximum: float = math.inf, nonzero: bool = False) -> float:
        # R4.4
        head = self.uvarint()
        k, q = head & 3, head >> 2
        if k == 3:
            if q:
                raise Reject
            (value,) = _unpack_double(self.take(8))
            if not math.isfinite(value) or decimal_form(value) is not None:
                raise Reject
        else:
            m = (q >> 1) ^ -(q & 1)
            if abs(m) > L.MAX_DECIMAL_SIGNIFICAND:
                raise Reject
            value = float(f"{m}e-{k}") if k else float(m)
            if decimal_form(value) != (m, k):
                raise Reject
        if (nonzero and value == 0) or not minimum <= value <= maximum:
            raise Reject
        return value

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
