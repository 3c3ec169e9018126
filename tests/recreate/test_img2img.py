"""Image to image and inpainting from the stored init image and mask (R6.10, fields 29 and 31): saved
losslessly in the file, resized to the generation's size, recreated bit for bit."""

import dataclasses

import pytest
from PIL import Image as PILImage

import aigif
from aigif import Pass, RecreateError
from aigif._recreate import _engine
from helpers import raises_code

pytestmark = pytest.mark.usefixtures("module_caches")

SETTINGS = dict(prompt="a red cube on a table", width=64, height=64, seed=5, steps=3, pixel_digest=True)


@pytest.fixture(scope="module")
def init():
    """80 x 72: not the generation's size, so it is resized (Lanczos, A1111's 'Just resize')."""
    return PILImage.effect_noise((80, 72), 60).convert("RGB")


@pytest.fixture(scope="module")
def mask():
    mask = PILImage.new("L", (64, 64))
    mask.paste(255, (16, 16, 48, 48))
    return mask


def test_img2img_from_a_stored_init_image_is_bit_exact(tmp_path, init):
    path = tmp_path / "init.png"
    init.save(path)
    saved = aigif.save(tmp_path / "x.aigif", init_image=path, strength=0.7, **SETTINGS)
    stored = aigif.read(tmp_path / "x.aigif").payload.init_image
    assert (stored.compressor, stored.width, stored.height) == ("png", 80, 72)  # kept as given, losslessly
    assert _engine_image(stored, 3).tobytes() == init.tobytes()
    assert aigif.read(tmp_path / "x.aigif").data.strength == 0.7
    image = aigif.recreate(tmp_path / "x.aigif")
    assert image.info["aigif"]["digest"] == "verified", image.info["aigif"]
    assert image.size == (64, 64) and saved.image.tobytes() == image.tobytes()


def _engine_image(stored, channels):
    from aigif import _pixels

    return _pixels.decode_image(stored.compressor, stored.width, stored.height, stored.data, channels)


def test_the_strength_and_the_init_image_change_the_image(init):
    """With 3 steps, 0.4 runs 1 step and 0.7 runs 2 (diffusers and A1111 img2img run int(steps x strength))."""
    plain = aigif.save(None, **SETTINGS).file.payload.pixel_digest
    digests = {aigif.save(None, init_image=init, strength=s, **SETTINGS).file.payload.pixel_digest for s in (0.4, 0.7)}
    other = aigif.save(None, init_image=init.transpose(PILImage.Transpose.FLIP_LEFT_RIGHT), strength=0.7,
                       **SETTINGS).file.payload.pixel_digest
    assert len(digests | {plain, other}) == 4


def test_inpainting_with_a_stored_mask_is_bit_exact(tmp_path, init, mask):
    saved = aigif.save(tmp_path / "x.aigif", init_image=init, mask=mask, strength=0.9, **SETTINGS)
    stored = aigif.read(tmp_path / "x.aigif").payload.mask
    assert (stored.compressor, stored.width, stored.height) == ("png", 64, 64)
    assert _engine_image(stored, 1).mode == "L" and _engine_image(stored, 1).tobytes() == mask.tobytes()
    image = aigif.recreate(tmp_path / "x.aigif")
    assert image.info["aigif"]["digest"] == "verified", image.info["aigif"]
    unmasked = aigif.save(None, init_image=init, strength=0.9, **SETTINGS).image
    assert saved.image.tobytes() != unmasked.tobytes()


def test_img2img_then_a_hires_pass_is_bit_exact(tmp_path, init):
    aigif.save(tmp_path / "x.aigif", init_image=init, strength=0.6, passes=[Pass("hires", 0.5, width=128, height=128)],
               **SETTINGS)
    image = aigif.recreate(tmp_path / "x.aigif")
    assert image.info["aigif"]["digest"] == "verified" and image.size == (128, 128)


@pytest.fixture
def no_loading(monkeypatch):
    def boom(self, model):
        raise AssertionError(f"a model was loaded ({model.id}) before the refusal")

    monkeypatch.setattr(_engine.Engine, "_load", boom)


def _obj(**payload):
    return aigif.AigifFile(model=aigif.Model(id="aigif-tiny-sd", scheduler="euler"),
                           data=aigif.Data(prompt="x", width=64, height=64, steps=3, strength=0.5),
                           payload=aigif.Payload(**payload))


def test_an_init_image_over_the_budget_is_refused_before_loading(no_loading):
    huge = aigif.Image("png", 4096, 4096, b"\x89PNG")
    with raises_code("limit-exceeded", RecreateError) as info:
        aigif.recreate(_obj(init_image=huge))
    assert info.value.path == "payload.init_image"


def test_an_init_image_that_does_not_decode_to_its_size_is_refused(tmp_path, init):
    from aigif import _pixels

    compressor, _, _, data = _pixels.encode_image(init, 3)
    with raises_code("cannot-honour", RecreateError) as info:
        aigif.recreate(_obj(init_image=aigif.Image(compressor, 64, 64, data)))  # it is 80 x 72
    assert info.value.path == "payload.init_image" and "80x72" in info.value.message


def test_save_refuses_a_strength_without_an_init_image_and_an_unreadable_one(tmp_path, no_loading):
    with raises_code("cannot-honour", RecreateError):
        aigif.save(tmp_path / "x.aigif", strength=0.5, **SETTINGS)
    (tmp_path / "not.png").write_bytes(b"not an image")
    with raises_code("invalid-value", aigif.UsageError):
        aigif.save(tmp_path / "x.aigif", init_image=tmp_path / "not.png", strength=0.5, **SETTINGS)
    assert not (tmp_path / "x.aigif").exists()


def test_a_raw_init_image_and_mask_are_used_as_stored(init, mask):
    """Compressor ``none`` (raw samples, R6.10) gives the same pixels as the PNG ``save`` stores."""
    saved = aigif.save(None, init_image=init, mask=mask, strength=0.9, **SETTINGS)
    raw = dataclasses.replace(saved.file, payload=dataclasses.replace(
        saved.file.payload, init_image=aigif.Image("none", 80, 72, init.tobytes()),
        mask=aigif.Image("none", 64, 64, mask.tobytes())))
    assert aigif.recreate(raw).info["aigif"]["digest"] == "verified"
