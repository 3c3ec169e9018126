"""Copy the shared image corpus into tests/data/import/, with the pixels cropped where only metadata matters.

    python tools/importer/crop_import_fixtures.py [--corpus ../shared/corpus] [--out tests/data/import]

Every metadata chunk or segment is copied byte for byte, in its original place; only the pixels
change (as sd-parsers does for its fixtures):

* PNG: IHDR gets the new size and the IDAT chunks are replaced by one IDAT holding the cropped
  pixels (same bit depth, colour type and palette). An image whose alpha (or RGB) LSBs carry a
  "stealth" payload keeps its full height and as many leading columns as the payload occupies (the
  bits run column by column), so the payload survives; any other image is cropped to 1x1.
* JPEG: the APPn and COM segments are kept, the image data is replaced by a 1x1 JPEG.
* WebP: every chunk but the image chunk is kept (the VP8X canvas is set to 1x1); the image chunk is
  replaced by a 1x1 lossy VP8 image.

Small files (up to 32 KiB; most of sd-parsers' fixtures are already cropped) are copied unchanged.
The script checks its own output: the metadata chunks/segments of each fixture are byte-identical to
the original's. It writes SOURCES.tsv beside the images: the shared rows plus a ``fixture`` column.

Needs Pillow (a dev dependency); not numpy.
"""

from __future__ import annotations

import argparse
import io
import shutil
import struct
import sys
import zlib
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
KEEP_VERBATIM = 32 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
STEALTH = {b"stealth_pnginfo": "alpha", b"stealth_pngcomp": "alpha", b"stealth_rgbinfo": "rgb",
           b"stealth_rgbcomp": "rgb"}
LSB = bytes(0x30 + (i & 1) for i in range(256))


# ------------------------------------------------------------------------------------------------ PNG

def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, whole chunk bytes incl. length and CRC) for each chunk."""
    assert data[:8] == PNG_SIGNATURE
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        out.append((data[pos + 4:pos + 8], data[pos:pos + 12 + length]))
        pos += 12 + length
    return out


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(body, zlib.crc32(kind)))


def stealth_columns(image: Image.Image) -> tuple[str, int] | None:
    """(channel, number of leading columns the stealth payload needs), or None."""
    width, height = image.size
    for channel, per_pixel in (("alpha", 1), ("rgb", 3)):
        if channel == "alpha" and "A" not in image.getbands():
            continue
        band = image.getchannel("A") if channel == "alpha" else image.convert("RGB")
        bits = band.transpose(Image.Transpose.TRANSPOSE).tobytes()[:152].translate(LSB)
        magic = int(bits[:120], 2).to_bytes(15, "big")
        if STEALTH.get(magic) == channel:
            length = int(bits[120:152], 2)
            pixels = -(-(152 + length) // per_pixel)
            return channel, min(width, -(-pixels // height))
    return None


def crop_png(data: bytes) -> tuple[bytes, str]:
    chunks = png_chunks(data)
    ihdr = chunks[0][1][8:21]
    width, height, depth, colour, method, filt, interlace = struct.unpack(">IIBBBBB", ihdr)
    if (depth, colour) not in ((8, 2), (8, 3), (8, 6), (8, 4), (8, 0)):
        raise SystemExit(f"unsupported PNG layout for cropping: bit depth {depth}, colour type {colour}")
    image = Image.open(io.BytesIO(data))
    image.load()
    found = stealth_columns(image) if colour in (2, 6, 4) else None
    if found:
        channel, columns = found
        box = (0, 0, columns, height)
        what = (f"pixels cropped to {columns}x{height}: the leading columns that hold the stealth "
                f"{channel}-LSB payload; metadata chunks byte-identical")
    else:
        box = (0, 0, 1, 1)
        what = "pixels cropped to 1x1; metadata chunks byte-identical"
    small = image.crop(box)
    new_w, new_h = small.size
    raw = small.tobytes()  # P stays indices, RGB/RGBA/L/LA interleaved 8-bit samples
    stride = len(raw) // new_h
    scanlines = b"".join(b"\x00" + raw[y * stride:(y + 1) * stride] for y in range(new_h))
    new_ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", new_w, new_h, depth, colour, method, filt, 0))
    out = [PNG_SIGNATURE]
    idat_written = False
    for kind, whole in chunks:
        if kind == b"IHDR":
            out.append(new_ihdr)
        elif kind == b"IDAT":
            if not idat_written:
                out.append(chunk(b"IDAT", zlib.compress(scanlines, 9)))
                idat_written = True
        else:
            out.append(whole)
    return b"".join(out), what


def png_metadata(data: bytes) -> list[bytes]:
    return [whole for kind, whole in png_chunks(data) if kind not in (b"IHDR", b"IDAT")]


# ----------------------------------------------------------------------------------------------- JPEG

def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, whole segment bytes) up to and excluding SOS; then (0xDA, rest of file)."""
    assert data[:2] == b"\xff\xd8"
    out, pos = [], 2
    while True:
        marker = data[pos + 1]
        if marker == 0xDA:
            out.append((0xDA, data[pos:]))
            return out
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        out.append((marker, data[pos:pos + 2 + length]))
        pos += 2 + length


def jpeg_metadata(data: bytes) -> list[bytes]:
    return [whole for marker, whole in jpeg_segments(data) if 0xE0 <= marker <= 0xEF or marker == 0xFE]


def crop_jpeg(data: bytes) -> tuple[bytes, str]:
    mode = Image.open(io.BytesIO(data)).mode
    buffer = io.BytesIO()
    Image.new(mode, (1, 1)).save(buffer, "JPEG", quality=90)
    tiny = [whole for marker, whole in jpeg_segments(buffer.getvalue())
            if not (0xE0 <= marker <= 0xEF or marker == 0xFE)]
    return b"\xff\xd8" + b"".join(jpeg_metadata(data)) + b"".join(tiny), \
        "pixels replaced by a 1x1 JPEG; APPn and COM segments byte-identical"


# ----------------------------------------------------------------------------------------------- WebP

def webp_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    out, pos, end = [], 12, 8 + struct.unpack("<I", data[4:8])[0]
    while pos + 8 <= end:
        kind, size = struct.unpack("<4sI", data[pos:pos + 8])
        out.append((kind, data[pos:pos + 8 + size + (size & 1)]))
        pos += 8 + size + (size & 1)
    return out


def webp_metadata(data: bytes) -> list[bytes]:
    return [whole for kind, whole in webp_chunks(data) if kind in (b"EXIF", b"XMP ", b"ICCP")]


def crop_webp(data: bytes) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, "WEBP", quality=80)
    tiny = [whole for kind, whole in webp_chunks(buffer.getvalue()) if kind in (b"VP8 ", b"VP8L")]
    body = []
    for kind, whole in webp_chunks(data):
        if kind == b"VP8X":
            body.append(whole[:8] + whole[8:12] + (0).to_bytes(3, "little") * 2 + whole[18:])
        elif kind in (b"VP8 ", b"VP8L"):
            body.append(tiny[0])
        elif kind in (b"ALPH", b"ANIM", b"ANMF"):
            raise SystemExit("animated or alpha WebP: not supported by this script")
        else:
            body.append(whole)
    payload = b"WEBP" + b"".join(body)
    return b"RIFF" + struct.pack("<I", len(payload)) + payload, \
        "pixels replaced by a 1x1 lossy image; EXIF/XMP chunks byte-identical"


# ------------------------------------------------------------------------------------------------ main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "import")
    args = parser.parse_args(argv)
    lines = (args.corpus / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    rows = [dict(zip(header, line.split("\t"))) for line in lines[1:] if line.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    for row in rows:
        source = args.corpus / "images" / row["local_file"]
        target = args.out / row["local_file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        data = source.read_bytes()
        suffix = source.suffix.lower()
        if len(data) <= KEEP_VERBATIM:
            shutil.copyfile(source, target)
            row["fixture"] = "verbatim copy"
        else:
            crop, metadata = {".png": (crop_png, png_metadata), ".jpg": (crop_jpeg, jpeg_metadata),
                              ".jpeg": (crop_jpeg, jpeg_metadata), ".webp": (crop_webp, webp_metadata)}[suffix]
            small, row["fixture"] = crop(data)
            if metadata(small) != metadata(data):
                raise SystemExit(f"{source}: the cropped file's metadata differs from the original's")
            Image.open(io.BytesIO(small)).load()  # it still decodes
            target.write_bytes(small)
        total += target.stat().st_size
        print(f"{target.stat().st_size:>9}  {row['local_file']}  ({row['fixture']})")
    fields = header + ["fixture"]
    table = ["\t".join(fields)] + ["\t".join(row[name] for name in fields) for row in rows]
    (args.out / "SOURCES.tsv").write_text("\n".join(table) + "\n", encoding="utf-8")
    print(f"{total:>9}  total, {len(rows)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
