"""The container layer of the importer: find every text an image carries, before anyone parses it.

PNG, JPEG and WebP are walked here chunk by chunk / segment by segment (it is short, it is fast, it
sees PNG text chunks after IDAT, which Pillow's ``info`` does not, and it knows exactly which bytes
each text came from). EXIF blocks go to ``_exif``; the alpha/RGB "stealth" payload to ``_stealth``,
which is the only part that needs Pillow (to decode pixels, and only when its magic is there).

Texts are returned verbatim: no prompt stripping, no JSON parsing, prefixes such as ComfyUI's
``prompt:`` kept. The only changes are decoding (charset, zlib, gzip) and a few container-level
repairs (raw UTF-8 in a Latin-1 chunk, trailing/leading NUL padding, UTF-16 byte order), each
recorded in the carrier's ``note``.

Errors: a missing file is ``FileError`` (``not-found``); a file that is not a PNG, JPEG or WebP, or
whose container is truncated or corrupt, is ``SourceError`` ``not-an-image``; metadata that cannot be
decoded (corrupt or oversized zlib text, a malformed EXIF block) is ``SourceError``
``bad-metadata``. Whether the texts found are *generation* metadata is for the caller to decide: an
image with no text at all gives an empty list.
"""

from __future__ import annotations

import os
import struct
import zlib

from .._errors import SourceError
from .._files import read_bytes
from ._exif import ExifError, exif_carriers
from ._found import Carrier, ImageInfo
from ._stealth import PngPixels, StealthError, find_stealth

__all__ = ["read_carriers", "MAX_TEXT", "MAX_TEXT_TOTAL"]

MAX_TEXT = 16 * 1024 * 1024  # one decompressed text chunk
MAX_TEXT_TOTAL = 64 * 1024 * 1024  # all decompressed text of one image

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: (bit depth, colour type) -> the mode Pillow gives the image
_PNG_MODES = {(1, 0): "1", (2, 0): "L", (4, 0): "L", (8, 0): "L", (16, 0): "I;16", (8, 2): "RGB",
              (16, 2): "RGB", (1, 3): "P", (2, 3): "P", (4, 3): "P", (8, 3): "P", (8, 4): "LA",
              (16, 4): "RGBA", (8, 6): "RGBA", (16, 6): "RGBA"}
_XMP_JPEG = b"http://ns.adobe.com/xap/1.0/\x00"
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_MODES = {1: "L", 3: "RGB", 4: "CMYK"}
_OTHER_FORMATS = [(b"GIF87a", "a GIF"), (b"GIF89a", "a GIF"), (b"BM", "a BMP"), (b"II*\x00", "a TIFF"),
                  (b"MM\x00*", "a TIFF"), (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000"), (b"\xff\x0a", "a JPEG XL"),
                  (b"\x00\x00\x00\x0cJXL ", "a JPEG XL"), (b"8BPS", "a Photoshop")]


def read_carriers(path) -> tuple[ImageInfo, list[Carrier]]:
    """Every generation-metadata text the image holds, in file order, decoded but otherwise verbatim."""
    data = read_bytes(path)
    return _read(data, os.fspath(path))


def _read(data: bytes, name: str) -> tuple[ImageInfo, list[Carrier]]:
    if data[:8] == _PNG_SIGNATURE:
        return _Png(data, name).read()
    if data[:3] == b"\xff\xd8\xff":
        return _jpeg(data, name)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp(data, name)
    if not data:
        raise SourceError(f"{name}: not an image: the file is empty", code="not-an-image")
    kind = next((what for magic, what in _OTHER_FORMATS if data.startswith(magic)), None)
    if kind is None and data[4:12] in (b"ftypavif", b"ftypheic", b"ftypmif1"):
        kind = "an AVIF/HEIF"
    if kind:
        raise SourceError(f"{name}: {kind} image: only PNG, JPEG and WebP images are imported",
                          code="not-an-image")
    raise SourceError(f"{name}: not an image (not a PNG, JPEG or WebP file)", code="not-an-image")


def _corrupt(name: str, what: str) -> SourceError:
    return SourceError(f"{name}: {what}", code="not-an-image")


def _bad(name: str, what: str, field: str | None = None) -> SourceError:
    return SourceError(f"{name}: {what}", code="bad-metadata", path=field)


def _exif(blob: bytes, name: str, container: str) -> list[Carrier]:
    try:
        return exif_carriers(blob)
    except ExifError as err:
        raise _bad(name, f"{err} (EXIF in {container})", err.field) from None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------------------------------------
# PNG


class _Png:
    def __init__(self, data: bytes, name: str):
        self.data = data
        self.name = name
        self.budget = MAX_TEXT_TOTAL

    def read(self) -> tuple[ImageInfo, list[Carrier]]:
        data, name = self.data, self.name
        view = memoryview(data)
        pos, end = 8, len(data)
        carriers: list[Carrier] = []
        ihdr = None
        idat: list[memoryview] = []
        keep: list[memoryview] = []  # the raw chunks Pillow needs to decode the pixels
        stealth_at = None
        while True:
            if pos + 8 > end:
                raise _corrupt(name, "truncated PNG: the file ends before the IEND chunk")
            length, kind = struct.unpack(">I4s", data[pos:pos + 8])
            if length > 0x7FFFFFFF or pos + 12 + length > end:
                raise _corrupt(name, f"truncated PNG: the {kind.decode('latin-1')!r} chunk at offset {pos} "
                                     f"claims {length} bytes, more than the file holds")
            if not kind.isalpha():
                raise _corrupt(name, f"corrupt PNG: invalid chunk type {kind!r} at offset {pos}")
            body = view[pos + 8:pos + 8 + length]
            (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
            crc_ok = zlib.crc32(body, zlib.crc32(kind)) == crc
            critical = not kind[0] & 0x20
            if not crc_ok and critical:
                raise _corrupt(name, f"corrupt PNG: bad CRC in the {kind.decode('latin-1')} chunk at offset {pos}")
            if ihdr is None and kind != b"IHDR":
                raise _corrupt(name, "corrupt PNG: the first chunk is not IHDR")
            if kind == b"IHDR":
                if ihdr is None:
                    ihdr = self._ihdr(body)
                    keep.append(view[pos:pos + 12 + length])
            elif kind == b"IDAT":
                if stealth_at is None:
                    stealth_at = len(carriers)
                idat.append(body)
                keep.append(view[pos:pos + 12 + length])
            elif kind in (b"PLTE", b"tRNS"):
                keep.append(view[pos:pos + 12 + length])
            elif kind in (b"tEXt", b"zTXt", b"iTXt"):
                carriers.append(self._text(kind.decode("ascii"), bytes(body), crc_ok))
            elif kind == b"eXIf":
                carriers.extend(_exif(bytes(body), name, "the PNG eXIf chunk"))
            elif kind == b"IEND":
                keep.append(view[pos:pos + 12 + length])
                break
            pos += 12 + length
        if not idat:
            raise _corrupt(name, "corrupt PNG: no IDAT chunk (no pixels)")
        # an IDAT chunk was kept, so IHDR came first (checked above) and stealth_at was set
        assert ihdr is not None and stealth_at is not None
        width, height, depth, colour, interlace = ihdr
        info = ImageInfo("PNG", width, height, _PNG_MODES[depth, colour])
        pixels = PngPixels(width, height, depth, colour, bool(interlace), idat,
                           lambda: _PNG_SIGNATURE + b"".join(keep))
        try:
            found = find_stealth(pixels)
        except StealthError as err:
            if not carriers:
                raise _bad(name, f"unreadable stealth metadata: {err}", "stealth") from None
            found = None  # a damaged copy (e.g. the image was cropped); the text chunks remain
        if found:
            carriers.insert(stealth_at, Carrier(*found))
        return info, carriers

    def _ihdr(self, body) -> tuple[int, int, int, int, int]:
        if len(body) != 13:
            raise _corrupt(self.name, f"corrupt PNG: IHDR has {len(body)} bytes, not 13")
        width, height, depth, colour, method, filt, interlace = struct.unpack(">IIBBBBB", body)
        if not (0 < width < 2**31 and 0 < height < 2**31) or (depth, colour) not in _PNG_MODES \
                or method or filt or interlace > 1:
            raise _corrupt(self.name, f"corrupt PNG: invalid IHDR ({width}x{height}, bit depth {depth}, "
                                      f"colour type {colour}, interlace {interlace})")
        return width, height, depth, colour, interlace

    def _text(self, kind: str, body: bytes, crc_ok: bool) -> Carrier:
        notes = [] if crc_ok else ["bad chunk CRC (the text is kept as stored)"]
        where = f"png:{kind}"
        sep = body.find(b"\x00")
        if sep < 0:  # no keyword terminator: all keyword, no text (as Pillow reads it)
            notes.append("malformed chunk: no NUL after the keyword")
            return Carrier(where, _keyword(body, notes), "", "; ".join(notes))
        key = _keyword(body[:sep], notes)
        rest = body[sep + 1:]
        if kind == "tEXt":
            raw = rest
        elif kind == "zTXt":
            if not rest or rest[0] != 0:
                raise _bad(self.name, f"zTXt chunk {key!r}: unknown compression method", key)
            raw = self._inflate(rest[1:], key)
        else:  # iTXt: flag, method, language\0, translated keyword\0, text (UTF-8)
            lang_end = rest.find(b"\x00", 2)
            trans_end = rest.find(b"\x00", lang_end + 1) if lang_end >= 0 else -1
            if len(rest) < 2 or trans_end < 0 or rest[0] > 1 or (rest[0] and rest[1]):
                raise _bad(self.name, f"iTXt chunk {key!r} is malformed (compression fields or the language "
                                      f"and translated-keyword terminators)", key)
            raw = rest[trans_end + 1:]
            if rest[0]:
                raw = self._inflate(raw, key)
        stripped = raw.rstrip(b"\x00")
        if len(stripped) != len(raw):
            notes.append(f"{_plural(len(raw) - len(stripped), 'trailing NUL byte')} removed")
        if kind == "iTXt":
            try:
                text = stripped.decode("utf-8")
            except UnicodeDecodeError:
                text = stripped.decode("latin-1")
                notes.append("iTXt text is not UTF-8: decoded as Latin-1")
        elif stripped.isascii():
            text = stripped.decode("ascii")
        else:
            try:
                text = stripped.decode("utf-8")
                notes.append(f"raw UTF-8 in {kind} (Latin-1 by the PNG spec): decoded as UTF-8")
            except UnicodeDecodeError:
                text = stripped.decode("latin-1")
        return Carrier(where, key, text, "; ".join(notes) or None)

    def _inflate(self, raw: bytes, key: str) -> bytes:
        inflater = zlib.decompressobj()
        cap = min(MAX_TEXT, self.budget)
        try:
            out = inflater.decompress(raw, cap + 1)
        except zlib.error as err:
            raise _bad(self.name, f"text chunk {key!r}: corrupt compressed data ({err})", key) from None
        if len(out) > cap:
            limit = "16 MiB" if cap == MAX_TEXT else "the 64 MiB allowed for all text of one image"
            raise _bad(self.name, f"text chunk {key!r} decompresses to more than {limit}", key)
        if not inflater.eof:
            raise _bad(self.name, f"text chunk {key!r}: truncated compressed data", key)
        self.budget -= len(out)
        return out


# ---------------------------------------------------------------------------------------------
# JPEG


def _jpeg(data: bytes, name: str) -> tuple[ImageInfo, list[Carrier]]:
    carriers: list[Carrier] = []
    info = None
    pos, end = 2, len(data)
    while True:
        if pos >= end:
            raise _corrupt(name, "truncated JPEG: the file ends before the image data")
        if data[pos] != 0xFF:
            raise _corrupt(name, f"corrupt JPEG: no marker at offset {pos}")
        while pos < end and data[pos] == 0xFF:
            pos += 1  # fill bytes
        if pos >= end:
            raise _corrupt(name, "truncated JPEG: the file ends before the image data")
        marker = data[pos]
        pos += 1
        if 0xD0 <= marker <= 0xD8 or marker == 0x01:
            continue  # markers without a length
        if marker == 0xD9:
            raise _corrupt(name, "corrupt JPEG: end-of-image marker before any image data")
        if pos + 2 > end:
            raise _corrupt(name, "truncated JPEG: the file ends inside a segment header")
        (length,) = struct.unpack(">H", data[pos:pos + 2])
        if length < 2 or pos + length > end:
            raise _corrupt(name, f"truncated JPEG: the segment 0xFF{marker:02X} at offset {pos - 2} claims "
                                 f"{length} bytes, more than the file holds")
        segment = data[pos + 2:pos + length]
        if marker == 0xDA:
            break
        if marker in _JPEG_SOF and info is None:
            if len(segment) < 6:
                raise _corrupt(name, "corrupt JPEG: short frame header")
            height, width, layers = struct.unpack(">HHB", segment[1:6])
            if layers not in _JPEG_MODES or not width:
                raise _corrupt(name, f"unsupported JPEG: {layers} components, width {width}")
            info = ImageInfo("JPEG", width, height, _JPEG_MODES[layers])
        elif marker == 0xE1 and segment[:4] == b"Exif" and segment[4:6] in (b"\x00\x00", b"\x00\xff"):
            carriers.extend(_exif(segment[6:], name, f"the JPEG APP1 segment at offset {pos - 2}"))
        elif marker == 0xE1 and segment.startswith(_XMP_JPEG):
            carriers.append(_xmp("jpeg:XMP", segment[len(_XMP_JPEG):]))
        elif marker == 0xFE:
            text, note = _utf8_or_latin1(segment)
            carriers.append(Carrier("jpeg:COM", "Comment", text, note))
        pos += length
    if info is None:
        raise _corrupt(name, "corrupt JPEG: no frame header before the image data")
    if data.rfind(b"\xff\xd9", pos) < 0:
        raise _corrupt(name, "truncated JPEG: no end-of-image marker")
    return info, carriers


def _utf8_or_latin1(raw: bytes) -> tuple[str, str | None]:
    notes = []
    stripped = raw.rstrip(b"\x00")
    if len(stripped) != len(raw):
        notes.append(f"{_plural(len(raw) - len(stripped), 'trailing NUL byte')} removed")
    try:
        text = stripped.decode("utf-8")
    except UnicodeDecodeError:
        text = stripped.decode("latin-1")
        notes.append("not UTF-8: decoded as Latin-1")
    return text, "; ".join(notes) or None


def _xmp(where: str, packet: bytes) -> Carrier:
    if packet[:2] in (b"\xfe\xff", b"\xff\xfe"):
        text = packet.decode("utf-16").rstrip("\x00")
        return Carrier(where, "XMP", text, "UTF-16 XMP packet")
    text, note = _utf8_or_latin1(packet)
    return Carrier(where, "XMP", text, note)


# ---------------------------------------------------------------------------------------------
# WebP


def _webp(data: bytes, name: str) -> tuple[ImageInfo, list[Carrier]]:
    (riff_size,) = struct.unpack("<I", data[4:8])
    end = 8 + riff_size
    if end > len(data):
        raise _corrupt(name, f"truncated WebP: the RIFF header claims {riff_size} bytes, the file has "
                             f"{len(data) - 8}")
    carriers: list[Carrier] = []
    canvas = None
    frame = None
    alpha = False
    kinds = set()
    pos = 12
    while pos + 8 <= end:
        kind, size = struct.unpack("<4sI", data[pos:pos + 8])
        kinds.add(kind)
        body = data[pos + 8:pos + 8 + size]
        if pos + 8 + size > end:
            raise _corrupt(name, f"truncated WebP: the {kind.decode('latin-1')!r} chunk at offset {pos} claims "
                                 f"{size} bytes, more than the file holds")
        if kind == b"VP8X" and canvas is None and size >= 10:
            alpha = bool(body[0] & 0x10)
            canvas = (1 + int.from_bytes(body[4:7], "little"), 1 + int.from_bytes(body[7:10], "little"))
        elif kind == b"VP8 " and frame is None and size >= 10:
            if body[3:6] != b"\x9d\x01\x2a":
                raise _corrupt(name, "corrupt WebP: bad VP8 start code")
            w, h = struct.unpack("<HH", body[6:10])
            frame = (w & 0x3FFF, h & 0x3FFF, False)
        elif kind == b"VP8L" and frame is None and size >= 5:
            if body[0] != 0x2F:
                raise _corrupt(name, "corrupt WebP: bad VP8L signature")
            bits = int.from_bytes(body[1:5], "little")
            frame = (1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF), bool((bits >> 28) & 1))
        elif kind == b"EXIF":
            carriers.extend(_exif(body, name, f"the WebP EXIF chunk at offset {pos}"))
        elif kind == b"XMP ":
            carriers.append(_xmp("webp:XMP", body))
        pos += 8 + size + (size & 1)
    if frame is None and b"ANMF" not in kinds:
        raise _corrupt(name, "corrupt WebP: no image data (no VP8, VP8L or ANMF chunk)")
    if canvas is not None:
        width, height = canvas
    elif frame is not None:
        width, height, alpha = frame
    else:  # ANMF frames need the VP8X chunk's canvas size
        raise _corrupt(name, "corrupt WebP: animation frames (ANMF) without a VP8X canvas header")
    return ImageInfo("WEBP", width, height, "RGBA" if alpha else "RGB"), carriers


def _keyword(raw: bytes, notes: list[str]) -> str:
    """A text chunk's keyword; an empty one (which PNG forbids, and R6.8 cannot store) gets a name."""
    if raw:
        return raw.decode("latin-1")
    notes.append("malformed chunk: empty keyword")
    return "(empty keyword)"
