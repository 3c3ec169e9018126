""""Stealth" metadata: text hidden in the least significant bits of a PNG's pixels.

Written by the sd-webui-stealth-pnginfo extension (A1111, Forge) and by NovelAI. The bit stream is
the LSB of each pixel's alpha (``stealth_png*``) or of its R, G and B in turn (``stealth_rgb*``),
pixels taken **column by column** (x outer, y inner), bits packed most significant first:

    15-byte magic | 32-bit big-endian payload length in bits | payload (gzip for ``*comp``)

Cheap first: the magic and the length (152 bits, i.e. the first 152 pixels for alpha, 51 for RGB)
are read by unfiltering only the first column(s) of the PNG ourselves, which costs a few hundred
byte operations whatever the image size; nothing else is decoded unless the magic matches. The
payload is then read from Pillow's decoded pixels, cropped to the columns it occupies, with bytes
operations only (``translate`` to ASCII bits, ``int(bits, 2)``), so numpy is not needed.

Every length is bounded: one beyond what the pixels can hold is refused, never allocated.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from typing import Callable, Sequence

__all__ = ["MAGICS", "StealthError", "PngPixels", "find_stealth", "MAX_PAYLOAD"]

#: magic -> (where the bits are, gzip-compressed?)
MAGICS = {
    b"stealth_pnginfo": ("alpha", False),
    b"stealth_pngcomp": ("alpha", True),
    b"stealth_rgbinfo": ("rgb", False),
    b"stealth_rgbcomp": ("rgb", True),
}
_MAGIC_BITS = 15 * 8
_HEADER_BITS = _MAGIC_BITS + 32
MAX_PAYLOAD = 16 * 1024 * 1024  # decompressed bytes

# byte -> b"0" or b"1" (its least significant bit, as an ASCII digit)
_LSB_DIGIT = bytes(0x30 + (i & 1) for i in range(256))


class StealthError(ValueError):
    """A stealth magic was found but its payload cannot be read."""


@dataclass(frozen=True)
class PngPixels:
    """What the stealth reader needs to know about a PNG (from our own chunk walk)."""

    width: int
    height: int
    bit_depth: int
    color_type: int  # 2 RGB, 4 grey+alpha, 6 RGBA (others cannot carry stealth data)
    interlaced: bool
    idat: Sequence[bytes | memoryview]  # the IDAT chunk bodies, in order
    pillow_png: Callable[[], bytes]  # a minimal PNG (critical chunks + tRNS) for Pillow to decode


def find_stealth(px: PngPixels) -> tuple[str, str, str, str | None] | None:
    """``(where, magic, text, note)`` of the stealth payload, ``None`` if the image has none.

    Raises ``StealthError`` when a magic matches but the payload is unusable.
    """
    if px.bit_depth != 8 or px.color_type not in (2, 4, 6):
        return None  # 16-bit samples lose their LSB in Pillow; writers only use 8-bit RGB(A)
    has_alpha = px.color_type in (4, 6)
    has_rgb = px.color_type in (2, 6)
    bpp = {2: 3, 4: 2, 6: 4}[px.color_type]
    pixels = px.width * px.height
    # The header of the alpha variant spans 152 pixels, of the RGB variant 51.
    want = _HEADER_BITS if has_alpha else -(-_HEADER_BITS // 3)
    want = min(want, pixels)
    if want < -(-_HEADER_BITS // 3):
        return None
    first = _full_pixels(px, want) if px.interlaced else _first_pixels(px, bpp, want)
    if first is None:
        return None  # the pixel data does not decode: not our concern here
    candidates = []
    if has_alpha and len(first) >= _HEADER_BITS:
        candidates.append(("alpha", bytes(p[bpp - 1] for p in first[:_HEADER_BITS]).translate(_LSB_DIGIT)))
    if has_rgb:
        rgb = b"".join(bytes(p[:3]) for p in first[:-(-_HEADER_BITS // 3)])
        candidates.append(("rgb", rgb.translate(_LSB_DIGIT)[:_HEADER_BITS]))
    for channel, bits in candidates:
        if len(bits) < _HEADER_BITS:
            continue
        magic = int(bits[:_MAGIC_BITS], 2).to_bytes(15, "big")
        if MAGICS.get(magic, (None,))[0] != channel:
            continue
        length = int(bits[_MAGIC_BITS:_HEADER_BITS], 2)
        return _read_payload(px, channel, magic, length)
    return None


def _read_payload(px: PngPixels, channel: str, magic: bytes, length: int) -> tuple[str, str, str, str | None]:
    name = magic.decode("ascii")
    compressed = MAGICS[magic][1]
    per_pixel = 1 if channel == "alpha" else 3
    capacity = px.width * px.height * per_pixel - _HEADER_BITS
    notes = []
    if length == 0:
        raise StealthError(f"{name} in the {channel} channel declares an empty payload")
    if length > capacity:
        raise StealthError(f"{name} in the {channel} channel declares {length} payload bits, but the "
                           f"{px.width}x{px.height} pixels hold only {capacity} after the header (was the "
                           f"image cropped or edited?)")
    if length % 8:
        notes.append(f"payload length {length} bits is not whole bytes: last {length % 8} bits ignored")
        length -= length % 8
    total = _HEADER_BITS + length
    pixels = -(-total // per_pixel)
    columns = -(-pixels // px.height)
    bits = _lsb_bits(px, channel, columns)[:total]
    if int(bits[:_MAGIC_BITS], 2).to_bytes(15, "big") != magic:
        raise StealthError(f"{name}: the decoded pixels do not repeat the magic found in the first column")
    payload = int(bits[_HEADER_BITS:], 2).to_bytes(length // 8, "big")
    if compressed:
        payload = _gunzip(payload, name, channel)
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        text = payload.decode("latin-1")
        notes.append("payload is not UTF-8: decoded as Latin-1")
    return f"stealth:{channel}", name, text, "; ".join(notes) or None


def _gunzip(payload: bytes, name: str, channel: str) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(payload, MAX_PAYLOAD + 1)
    except zlib.error as err:
        raise StealthError(f"{name} in the {channel} channel: the gzip payload is corrupt ({err})") from None
    if len(out) > MAX_PAYLOAD:
        raise StealthError(f"{name} in the {channel} channel decompresses to more than "
                           f"{MAX_PAYLOAD // (1024 * 1024)} MiB")
    if not inflater.eof:
        raise StealthError(f"{name} in the {channel} channel: the gzip payload is truncated")
    return out


def _first_pixels(px: PngPixels, bpp: int, count: int) -> list[bytes] | None:
    """The first ``count`` pixels in column-major order, unfiltering only the columns they lie in.

    In column 0 a PNG row filter's left neighbours are zero, so only the row above matters; each
    further column needs the ones to its left, which we have. Returns ``None`` if the zlib stream
    or a filter byte is corrupt.
    """
    columns = -(-count // px.height)
    rows = px.height if columns > 1 else count
    stride = 1 + px.width * bpp
    need = rows * stride
    inflater = zlib.decompressobj()
    raw = bytearray()
    try:
        for chunk in px.idat:
            raw += inflater.decompress(chunk, need - len(raw))
            if len(raw) >= need:
                break
    except zlib.error:
        return None
    if len(raw) < need:
        return None
    width = columns * bpp
    prev = bytearray(width)
    out_rows = []
    for r in range(rows):
        at = r * stride
        kind = raw[at]
        cur = bytearray(raw[at + 1:at + 1 + width])
        if kind == 1:  # Sub
            for i in range(bpp, width):
                cur[i] = (cur[i] + cur[i - bpp]) & 0xFF
        elif kind == 2:  # Up
            for i in range(width):
                cur[i] = (cur[i] + prev[i]) & 0xFF
        elif kind == 3:  # Average
            for i in range(width):
                left = cur[i - bpp] if i >= bpp else 0
                cur[i] = (cur[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            for i in range(width):
                a = cur[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        elif kind != 0:
            return None
        out_rows.append(cur)
        prev = cur
    return [bytes(out_rows[y][x * bpp:(x + 1) * bpp]) for x in range(columns) for y in range(rows)][:count]


def _decode(px: PngPixels):
    from PIL import Image  # the importer's dependency; only reached when pixels are needed

    try:
        image = Image.open(io.BytesIO(px.pillow_png()))
        image.load()
    except Image.DecompressionBombError as err:
        raise StealthError(f"the image is too large to read its pixels ({err})") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise StealthError(f"the pixels do not decode ({err})") from None
    return image


def _full_pixels(px: PngPixels, count: int) -> list[bytes] | None:
    """The first pixels in column-major order via Pillow (interlaced images only); ``None`` if the
    pixels do not decode."""
    try:
        image = _decode(px)
    except StealthError:
        return None
    columns = -(-count // px.height)
    band = image.crop((0, 0, columns, px.height)).transpose(_transpose()).tobytes()
    bpp = len(image.getbands())
    return [band[i * bpp:(i + 1) * bpp] for i in range(count)]


def _lsb_bits(px: PngPixels, channel: str, columns: int) -> bytes:
    """The LSB stream of the first ``columns`` columns, as ASCII ``0``/``1`` digits."""
    image = _decode(px)
    band = image.crop((0, 0, min(columns, px.width), px.height))
    band = band.getchannel("A") if channel == "alpha" else band.convert("RGB")
    return band.transpose(_transpose()).tobytes().translate(_LSB_DIGIT)


def _transpose():
    from PIL import Image

    return Image.Transpose.TRANSPOSE
