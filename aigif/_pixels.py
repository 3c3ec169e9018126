"""Pixel payloads (field 19): lossless encodings of an 8-bit RGB image, and the proof that they are.

Pillow encodes PNG and lossless WebP; JPEG XL needs ``imagecodecs`` (used when installed). Every
encoding the writer keeps has been decoded again and compared with the source pixels, so a pixel
payload is lossless by construction, not by trust in an encoder's flag. Imported only by the
commands that handle pixels: reading a file never needs Pillow.
"""

from __future__ import annotations

import hashlib
import io

from ._errors import UsageError

#: Pixel compressors of registry 7.1 that this module can write, in the order tried.
LOSSLESS = ("png", "webp", "jpegxl")


def available() -> tuple[str, ...]:
    """The codecs of ``LOSSLESS`` this installation can encode and decode (JPEG XL needs imagecodecs)."""
    return tuple(codec for codec in LOSSLESS if codec != "jpegxl" or _jpegxl_available())


def _jpegxl_available() -> bool:
    try:
        import imagecodecs

        return bool(imagecodecs.JPEGXL.available)
    except (ImportError, AttributeError):
        return False


def rgb_bytes(image) -> bytes:
    """R6.6: 8-bit RGB, row-major, top row first."""
    return image.convert("RGB").tobytes() if image.mode != "RGB" else image.tobytes()


def digest(image) -> str:
    """Field 20: SHA-256 over the image's 8-bit RGB pixels."""
    return "sha256:" + hashlib.sha256(rgb_bytes(image)).hexdigest()


def encode(image, codec: str) -> bytes:
    """``image`` (RGB) in ``codec``, losslessly."""
    image = image if image.mode == "RGB" else image.convert("RGB")
    if codec == "none":
        return image.tobytes()
    if codec == "png":
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
    if codec == "webp":
        out = io.BytesIO()
        image.save(out, format="WEBP", lossless=True, quality=100, method=6, exact=True)
        return out.getvalue()
    if codec == "jpegxl":
        import imagecodecs
        import numpy

        array = numpy.asarray(image, dtype=numpy.uint8)
        return bytes(imagecodecs.jpegxl_encode(array, lossless=True, effort=7))
    raise UsageError(f"cannot encode pixels as {codec!r} (lossless: {', '.join(available())})",
                     code="invalid-value")


def decode(data: bytes, codec: str, width: int, height: int):
    """A pixel payload -> a PIL RGB image (raises UsageError when this installation cannot)."""
    from PIL import Image

    if codec == "none":
        return Image.frombytes("RGB", (width, height), data)
    try:
        if codec == "jpegxl":
            import imagecodecs

            return Image.fromarray(imagecodecs.jpegxl_decode(data)).convert("RGB")
        with Image.open(io.BytesIO(data)) as opened:
            return opened.convert("RGB")
    except Exception as err:  # noqa: BLE001 - decoders raise many kinds
        raise UsageError(f"the {codec} pixels cannot be decoded here: {err}", code="invalid-value") from None


def smallest_lossless(image, codecs: tuple[str, ...] | None = None) -> tuple[str, bytes]:
    """The smallest encoding of ``image`` among ``codecs`` that decodes to exactly the same pixels."""
    image = image if image.mode == "RGB" else image.convert("RGB")
    pixels = image.tobytes()
    best = None
    for codec in codecs or available():
        data = encode(image, codec)
        if rgb_bytes(decode(data, codec, *image.size)) != pixels:  # never trust a "lossless" flag
            continue
        if best is None or len(data) < len(best[1]):
            best = (codec, data)
    if best is None:
        raise UsageError("no lossless encoding reproduced the pixels exactly", code="invalid-value")
    return best


#: R6.10: an init image has three channels (RGB), a mask one (0 keeps, 255 repaints).
IMAGE_MODES = {3: "RGB", 1: "L"}


def encode_image(image, channels: int) -> tuple[str, int, int, bytes]:
    """An init image (``channels=3``) or mask (``1``) as an R6.10 image: (compressor, width, height, data),
    a PNG of that many channels, decoded again and compared before it is returned."""
    mode = IMAGE_MODES[channels]
    image = image if image.mode == mode else image.convert(mode)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    data = out.getvalue()
    if decode_image("png", image.width, image.height, data, channels).tobytes() != image.tobytes():
        raise UsageError("the PNG encoder did not keep the image exactly", code="invalid-value")
    return "png", image.width, image.height, data


def decode_image(compressor: str, width: int, height: int, data: bytes, channels: int):
    """An R6.10 image -> a PIL image of ``channels`` channels; ``invalid-value`` when it does not decode
    or its size is not the one recorded."""
    from PIL import Image

    mode = IMAGE_MODES[channels]
    if compressor == "none":
        if len(data) != width * height * channels:
            raise UsageError(f"{len(data)} bytes of raw samples for a {width}x{height} image of {channels} "
                             "channel(s)", code="invalid-value")
        return Image.frombytes(mode, (width, height), data)
    try:
        if compressor == "jpegxl":
            import imagecodecs

            image = Image.fromarray(imagecodecs.jpegxl_decode(data))
        else:
            with Image.open(io.BytesIO(data)) as opened:
                if opened.size != (width, height):  # from the header, before anything is decompressed
                    raise UsageError(f"the {compressor} image is {opened.width}x{opened.height}, not the "
                                     f"{width}x{height} recorded", code="invalid-value")
                opened.load()
                image = opened.copy()
    except UsageError:
        raise
    except Exception as err:  # noqa: BLE001 - decoders raise many kinds
        raise UsageError(f"the {compressor} image cannot be decoded here: {err}", code="invalid-value") from None
    if image.size != (width, height):
        raise UsageError(f"the {compressor} image is {image.width}x{image.height}, not the {width}x{height} recorded",
                         code="invalid-value")
    return image if image.mode == mode else image.convert(mode)
