"""The text tags of an EXIF (TIFF) block, decoded the way real AI tools wrote them.

A small TIFF walker of our own, rather than Pillow's: it sees the exact bytes of every tag (Pillow
turns ASCII tags into ``str`` with its own rules), it knows where each tag sat (IFD0 or the Exif
sub-IFD), and it bounds every offset. Only the tags that AI tools are known to use are read; every
other tag (camera settings, thumbnails, GPS, binary maker notes) is never looked at.

``UserComment`` is decoded by the rule of the ecosystem notes, not by the TIFF byte order: its
``UNICODE\\0`` payload is UTF-16 in whichever byte order the text itself shows (Civitai writes an
``II`` header with UTF-16BE, SwarmUI ``II`` with UTF-16LE, piexif/A1111 ``MM`` with BE).
"""

from __future__ import annotations

import struct

from ._found import Carrier

__all__ = ["ExifError", "exif_carriers", "decode_user_comment"]


class ExifError(ValueError):
    """The EXIF block, or one of the text tags we read from it, is malformed."""

    def __init__(self, message: str, field: str = "exif"):
        super().__init__(message)
        self.field = field  # "exif", or the tag's name when one tag is at fault


#: Tag number -> name, for the tags read from IFD0 or the Exif sub-IFD.
TEXT_TAGS = {
    0x010D: "DocumentName",  # NovelAI "NovelAI generated image"; ComfyUI extra keys count down to here
    0x010E: "ImageDescription",  # NovelAI prompt (after 4 NULs); ComfyUI extras; save-image-extended "Workflow: "
    0x010F: "Make",  # ComfyUI "workflow:"; save-image-extended "Prompt: "
    0x0110: "Model",  # ComfyUI "prompt:"; legacy StableSwarmUI JSON
    0x0131: "Software",  # NovelAI, Fooocus, Civitai
    0x013B: "Artist",  # Civitai "ai"
    0x927C: "MakerNote",  # Fooocus metadata scheme ("fooocus" / "a1111"); binary camera notes are skipped
    0x9286: "UserComment",  # A1111, Forge, Civitai, SwarmUI, Fooocus, NovelAI WebP, ComfyUI SaveImagePlus
}
#: ComfyUI's WebP savers give further extra_pnginfo keys the tags below 0x010E, counting down; an
#: ASCII value in this range (where TIFF defines only numeric tags) is one of those.
_COUNTDOWN = range(0x0100, 0x010D)
_EXIF_IFD = 0x8769
_TEXT_TYPES = {1, 2, 7, 129}  # BYTE, ASCII, UNDEFINED, UTF-8 (EXIF 3.0)
_MAX_ENTRIES = 4096

_UNICODE = b"UNICODE\x00"
_ASCII = b"ASCII\x00\x00\x00"
_JIS = b"JIS\x00\x00\x00\x00\x00"
_UNDEFINED = b"\x00" * 8


def exif_carriers(blob: bytes) -> list[Carrier]:
    """The text tags of one EXIF block (a TIFF structure, with or without the ``Exif\\0\\0`` prefix)."""
    data = bytes(blob)
    if data[:4] == b"Exif" and data[4:6] in (b"\x00\x00", b"\x00\xff"):
        data = data[6:]
    if data[:4] == b"II*\x00":
        order = "<"
    elif data[:4] == b"MM\x00*":
        order = ">"
    else:
        raise ExifError("the EXIF block does not start with a TIFF header (II*\\0 or MM\\0*)")
    (ifd0,) = struct.unpack(order + "I", data[4:8])
    carriers: list[Carrier] = []
    exif_ifd = None
    for tag, typ, count, value in _entries(data, order, ifd0, "IFD0"):
        if tag == _EXIF_IFD and typ in (4, 13) and count == 1:
            (exif_ifd,) = struct.unpack(order + "I", value)
        elif tag in TEXT_TAGS or (tag in _COUNTDOWN and typ == 2):
            _add(carriers, tag, typ, data, order, value, count, "IFD0")
    if exif_ifd is not None and exif_ifd != ifd0:
        for tag, typ, count, value in _entries(data, order, exif_ifd, "Exif IFD"):
            if tag in TEXT_TAGS:
                _add(carriers, tag, typ, data, order, value, count, "Exif IFD")
    return carriers


def _entries(data: bytes, order: str, offset: int, name: str):
    """(tag, type, count, 4-byte value field) of each entry of the IFD at ``offset``."""
    if offset < 8 or offset + 2 > len(data):
        raise ExifError(f"the EXIF {name} offset {offset} lies outside the {len(data)}-byte block")
    (n,) = struct.unpack(order + "H", data[offset:offset + 2])
    if n > _MAX_ENTRIES or offset + 2 + 12 * n > len(data):
        raise ExifError(f"the EXIF {name} claims {n} entries, more than the block holds")
    for i in range(n):
        at = offset + 2 + 12 * i
        tag, typ, count = struct.unpack(order + "HHI", data[at:at + 8])
        yield tag, typ, count, data[at + 8:at + 12]


def _add(carriers: list[Carrier], tag: int, typ: int, data: bytes, order: str, value: bytes, count: int,
         ifd: str) -> None:
    name = TEXT_TAGS.get(tag, f"0x{tag:04X}")
    if typ not in _TEXT_TYPES:
        return  # a number, not text: nothing a generator wrote
    if count <= 4:
        raw = value[:count]
    else:
        (pointer,) = struct.unpack(order + "I", value)
        if pointer + count > len(data):
            if tag == 0x927C:
                return  # cameras' maker notes are often cut by editors; ours are text and small
            raise ExifError(f"EXIF {name} ({count} bytes at offset {pointer}) runs past the end of the "
                            f"{len(data)}-byte EXIF block", f"exif:{name}")
        raw = data[pointer:pointer + count]
    notes = []
    text: str | None
    if tag == 0x9286:
        text, note = decode_user_comment(raw, order)
        if note:
            notes.append(note)
        if ifd != "Exif IFD":
            notes.append(f"found in {ifd}, not in the Exif sub-IFD")
        where = "exif:UserComment"
    else:
        text, note = _decode_text_tag(raw, typ)
        if text is None:
            return  # binary data (a camera's maker note), not text
        if note:
            notes.append(note)
        if ifd != "IFD0":
            notes.append(f"found in the {ifd}")
        where = f"exif:0x{tag:04X}"
    if not text or not text.strip("\x00 \t\r\n"):
        return  # an empty or blank tag (cameras pad UserComment with spaces) carries nothing
    carriers.append(Carrier(where, name, text, "; ".join(notes) or None))


def _decode_text_tag(raw: bytes, typ: int) -> tuple[str | None, str | None]:
    """An ASCII/BYTE/UNDEFINED/UTF-8 tag: UTF-8, else Latin-1; the TIFF NUL terminator removed."""
    notes = []
    body = raw.rstrip(b"\x00")
    lead = len(body) - len(body.lstrip(b"\x00"))
    if lead:
        body = body[lead:]
        notes.append(f"{lead} leading NUL byte{'s' if lead > 1 else ''} removed")
    if typ != 2 and any(b < 0x09 or 0x0D < b < 0x20 for b in body):
        return None, None  # BYTE/UNDEFINED data with control bytes in it is binary, not text
    try:
        text = body.decode("utf-8")
        if typ == 2 and not body.isascii():
            notes.append("UTF-8 in an ASCII tag")
    except UnicodeDecodeError:
        text = body.decode("latin-1")
        notes.append("not UTF-8: decoded as Latin-1")
    return text, "; ".join(notes) or None


def decode_user_comment(raw: bytes, order: str = ">") -> tuple[str, str | None]:
    """Decode an EXIF ``UserComment`` value; returns (text, note about how, or ``None``).

    The 8-byte character-code prefix decides the charset; ``UNICODE`` is UTF-16 in the byte order the
    text shows (zero high bytes of ASCII characters), whatever the TIFF header says; ``order`` (the
    TIFF byte order, ``">"`` or ``"<"``) only breaks a tie. A value without a known prefix is UTF-8.
    """
    prefix, body = raw[:8], raw[8:]
    if prefix == _UNICODE:
        return _decode_utf16(body, order)
    if prefix in (_ASCII, _UNDEFINED):
        label = "ASCII" if prefix == _ASCII else "undefined (8 NULs)"
        text, note = _utf8_or_latin1(body.rstrip(b"\x00"))
        return text, f"{label} prefix: {note}" if note else None
    if prefix == _JIS:
        body = body.rstrip(b"\x00")
        for codec in ("iso2022_jp", "shift_jis", "utf-8"):
            try:
                return body.decode(codec), f"JIS prefix: decoded as {codec}"
            except UnicodeDecodeError:
                continue
        return body.decode("latin-1"), "JIS prefix: undecodable, read as Latin-1"
    text, note = _utf8_or_latin1(raw.rstrip(b"\x00"))
    return text, "no character-code prefix: " + (note or "read as UTF-8")


def _utf8_or_latin1(body: bytes) -> tuple[str, str | None]:
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError:
        return body.decode("latin-1"), "not UTF-8: decoded as Latin-1"


def _decode_utf16(body: bytes, order: str) -> tuple[str, str | None]:
    notes = []
    tiff = "BE" if order == ">" else "LE"
    header = "MM" if order == ">" else "II"
    if body[:2] in (b"\xfe\xff", b"\xff\xfe"):
        endian = "BE" if body[:2] == b"\xfe\xff" else "LE"
        body = body[2:]
        notes.append(f"UTF-16{endian} by its byte-order mark")
    elif b"\x00" not in body and body:
        # A writer that put UTF-8 after the UNICODE prefix: UTF-16 of any text with ASCII in it has
        # zero bytes, and UTF-16 of pure CJK is (almost) never valid UTF-8.
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return text, "UNICODE prefix but UTF-8 bytes (no zero bytes): decoded as UTF-8"
        endian = tiff
    else:
        even = body[0::2].count(0)
        odd = body[1::2].count(0)
        endian = "BE" if even > odd else "LE" if odd > even else tiff
    if len(body) % 2:
        notes.append("odd byte count: last byte dropped")
        body = body[:-1]
    text = body.decode("utf-16-be" if endian == "BE" else "utf-16-le", errors="surrogatepass")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = body.decode("utf-16-be" if endian == "BE" else "utf-16-le", errors="replace")
        notes.append("unpaired surrogates replaced")
    stripped = text.rstrip("\x00")
    if len(stripped) != len(text):
        notes.append(f"{len(text) - len(stripped)} trailing NUL character(s) removed")
        text = stripped
    if endian != tiff and not any(n.startswith("UTF-16") for n in notes):
        notes.insert(0, f"UTF-16{endian} despite the {header} TIFF header")
    return text, "; ".join(notes) or None
