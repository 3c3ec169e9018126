"""Pixel payloads (field 19): every lossless codec round-trips exactly, and the writer keeps the smallest."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import aigif
from aigif import _pixels


@st.composite
def images(draw):
    width, height = draw(st.integers(1, 24)), draw(st.integers(1, 24))
    kind = draw(st.sampled_from(["noise", "flat", "gradient"]))
    if kind == "noise":
        data = draw(st.binary(min_size=width * height * 3, max_size=width * height * 3))
    elif kind == "flat":
        data = bytes(draw(st.tuples(*[st.integers(0, 255)] * 3))) * (width * height)
    else:
        data = bytes((x * 11 + y * 7 + c * 90) % 256 for y in range(height) for x in range(width) for c in range(3))
    return Image.frombytes("RGB", (width, height), data)


def test_every_lossless_codec_is_available_in_the_test_environment():
    """The dev extra installs imagecodecs, so JPEG XL is proven here too, not only PNG and WebP."""
    assert _pixels.available() == ("png", "webp", "jpegxl")


@settings(max_examples=60, deadline=None)
@given(images())
def test_each_codec_round_trips_the_exact_pixels(image):
    for codec in ("none", *_pixels.available()):
        data = _pixels.encode(image, codec)
        assert _pixels.decode(data, codec, *image.size).tobytes() == image.tobytes(), codec


@settings(max_examples=30, deadline=None)
@given(images())
def test_the_writer_keeps_the_smallest_identical_encoding(image):
    codec, data = _pixels.smallest_lossless(image)
    sizes = {c: len(_pixels.encode(image, c)) for c in _pixels.available()}
    assert len(data) == min(sizes.values()) and sizes[codec] == len(data)
    obj = aigif.AigifFile(compression=aigif.Compression(pixel_compressor=codec),
                          data=aigif.Data(width=image.size[0], height=image.size[1]),
                          payload=aigif.Payload(pixels=data, pixel_digest=_pixels.digest(image)))
    back = aigif.loads(aigif.dumps(obj))
    assert _pixels.decode(back.payload.pixels, codec, *image.size).tobytes() == image.tobytes()


def test_an_encoder_that_is_not_lossless_is_never_kept(monkeypatch):
    """A WebP encoder that comes out smallest but loses a bit of every value is not trusted."""
    image = Image.frombytes("RGB", (4, 4), bytes(range(48)))
    real_encode, real_decode = _pixels.encode, _pixels.decode
    monkeypatch.setattr(_pixels, "encode", lambda img, codec: b"w" if codec == "webp" else real_encode(img, codec))
    monkeypatch.setattr(_pixels, "decode", lambda data, codec, w, h: image.point(lambda v: v & 0xFE)
                        if codec == "webp" else real_decode(data, codec, w, h))
    codec, data = _pixels.smallest_lossless(image)
    assert codec != "webp" and real_decode(data, codec, 4, 4).tobytes() == image.tobytes()


def test_alpha_and_palette_images_are_stored_as_rgb():
    rgba = Image.new("RGBA", (3, 2), (10, 20, 30, 40))
    codec, data = _pixels.smallest_lossless(rgba)
    assert _pixels.decode(data, codec, 3, 2).tobytes() == bytes([10, 20, 30]) * 6


@pytest.mark.parametrize("codec", ["png", "webp", "jpegxl"])
def test_undecodable_payloads_are_a_usage_error(codec):
    with pytest.raises(aigif.UsageError) as err:
        _pixels.decode(b"not an image", codec, 2, 2)
    assert err.value.code == "invalid-value"


def test_unknown_codec_is_refused():
    with pytest.raises(aigif.UsageError):
        _pixels.encode(Image.new("RGB", (1, 1)), "bmp")
