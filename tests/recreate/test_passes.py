"""Passes after the first (R6.9, field 25): hires fix on the built-in tiny model, saved and recreated
bit for bit; the upscalers as A1111 defines them; what is refused (refiner passes, upscaling models)."""

import dataclasses

import pytest
import torch
from PIL import Image as PILImage

import aigif
from aigif import Pass, RecreateError
from aigif._recreate import _engine, _passes
from helpers import raises_code

pytestmark = pytest.mark.usefixtures("module_caches")

SETTINGS = dict(prompt="a red cube on a table", width=64, height=64, seed=5, steps=3, pixel_digest=True)
HIRES = Pass("hires", 0.5, width=128, height=128)


def _digest(**options) -> str:
    return aigif.save(None, **SETTINGS, **options).file.payload.pixel_digest


@pytest.mark.parametrize("step", [
    HIRES,
    Pass("hires", 0.5, width=128, height=128, upscaler="lanczos"),
    Pass("hires", 0.6, width=128, height=128, upscaler="latent-bicubic-antialiased", scheduler="euler_a", steps=2,
         guidance_scale=3.0, prompt="a blue cube", negative_prompt="blurry"),
    Pass("hires", 0.0, width=128, height=96, upscaler="nearest"),
], ids=["latent", "lanczos", "own-steps-scheduler-guidance-prompt", "strength-0-nearest"])
def test_save_then_recreate_a_hires_pass_is_bit_exact(tmp_path, step):
    saved = aigif.save(tmp_path / "x.aigif", passes=[step], **SETTINGS)
    assert saved.image.size == (step.width, step.height)
    assert aigif.read(tmp_path / "x.aigif").data.passes == (step,)
    image = aigif.recreate(tmp_path / "x.aigif")
    assert image.info["aigif"]["digest"] == "verified", image.info["aigif"]
    assert image.size == (step.width, step.height)


def test_two_hires_passes_in_a_row_are_bit_exact(tmp_path):
    """Each pass works on the result of the one before: latents into a pixel upscale, then latents again."""
    passes = [Pass("hires", 0.5, width=96, height=96, upscaler="none"), Pass("hires", 0.4, width=128, height=128)]
    aigif.save(tmp_path / "x.aigif", passes=passes, **SETTINGS)
    assert aigif.recreate(tmp_path / "x.aigif").info["aigif"]["digest"] == "verified"


def test_the_pass_strength_changes_the_image():
    digests = {_digest(passes=[dataclasses.replace(HIRES, strength=s)]) for s in (0.5, 0.7)}
    assert len(digests) == 2


def test_the_pass_prompt_and_upscaler_change_the_image():
    digests = {_digest(passes=[HIRES]), _digest(passes=[dataclasses.replace(HIRES, prompt="a green ball",
                                                                            negative_prompt="")]),
               _digest(passes=[dataclasses.replace(HIRES, upscaler="latent-nearest")])}
    assert len(digests) == 3


def test_a_hires_pass_runs_its_steps_as_a1111_does():
    """A1111 runs a second pass's requested steps: the schedule is steps / strength long (2 / 0.3 -> 6),
    and diffusers runs the last 30 % of it: 2 steps, then the first pass's 3."""
    calls = []
    aigif.save(None, passes=[Pass("hires", 0.3, width=128, height=128, steps=2)], progress=lambda *a: calls.append(a),
               **SETTINGS)
    assert calls == [(1, 3), (2, 3), (3, 3), (1, 2), (2, 2)]
    assert _passes.schedule_steps(2, 0.3) == 6 and _passes.schedule_steps(20, 1.0) == 20
    for steps in range(1, 60):  # diffusers runs int(n * strength) steps: exactly the requested ones
        for strength in (0.01, 0.1, 1 / 3, 0.35, 0.5, 0.7, 0.999, 1.0):
            n, given = _passes.denoising(steps, strength)
            assert int(n * given) == steps, (steps, strength)


def test_latent_upscalers_are_a1111s_interpolation_modes():
    latents = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    results = {}
    for name, (mode, antialias) in _passes.LATENT.items():
        out = _passes.upscale_latents(latents, Pass("hires", 0.5, upscaler=name), 128, 96, 8)
        assert out.shape == (1, 4, 12, 16)
        assert torch.equal(out, torch.nn.functional.interpolate(latents, size=(12, 16), mode=mode,
                                                                antialias=antialias))
        results[name] = out
    assert len({r.numpy().tobytes() for r in results.values()}) == 6  # all six differ on a non-integer scale
    assert _passes.upscaler(Pass("hires", 0.5)) == "latent"  # R6.9: absent means latent


def test_pixel_upscalers_resize_as_a1111_does():
    image = PILImage.effect_noise((40, 30), 50).convert("RGB")
    lanczos, nearest = PILImage.Resampling.LANCZOS, PILImage.Resampling.NEAREST

    def up(name, w, h):
        return _passes.upscale_pixels(image, Pass("hires", 0.5, upscaler=name), w, h).tobytes()

    assert up("none", 80, 64) == image.resize((80, 64), lanczos).tobytes()  # 'None': Lanczos to the size
    assert up("nearest", 80, 60) == image.resize((80, 60), nearest).resize((80, 56), lanczos).resize(
        (80, 60), lanczos).tobytes()  # an exact 2x, but 60 is no multiple of 8
    square = image.crop((0, 0, 32, 32))
    assert _passes.upscale_pixels(square, Pass("hires", 0.5, upscaler="nearest"), 64, 64).tobytes() == \
        square.resize((64, 64), nearest).tobytes()
    assert up("nearest", 80, 64) == image.resize((85, 64), nearest).resize((80, 64), lanczos).tobytes()
    assert up("lanczos", 80, 64) == image.resize((85, 64), lanczos).resize((80, 64), lanczos).tobytes()


@pytest.fixture
def no_loading(monkeypatch):
    def boom(self, model):
        raise AssertionError(f"a model was loaded ({model.id}) before the refusal")

    monkeypatch.setattr(_engine.Engine, "_load", boom)


@pytest.mark.parametrize("step, words", [
    (Pass("hires", 0.5, width=128, height=128, upscaler="4x-UltraSharp"), ["4x-UltraSharp", "upscaling model"]),
    (Pass("refiner", 0.8), ["refiner"]),
], ids=["upscaling-model", "refiner"])
def test_unrecreatable_passes_are_refused_naming_them(tmp_path, no_loading, step, words):
    obj = aigif.AigifFile(model=aigif.Model(id="aigif-tiny-sd", scheduler="euler"),
                          data=aigif.Data(prompt="x", width=64, height=64, steps=3, passes=(step,)))
    with raises_code("cannot-honour", RecreateError) as info:
        aigif.recreate(obj)
    assert info.value.path == "data.passes" and all(w in info.value.message for w in words), info.value.message
    with raises_code("cannot-honour", RecreateError):  # save makes only what it can recreate
        aigif.save(tmp_path / "x.aigif", passes=[step], **SETTINGS)
    assert not (tmp_path / "x.aigif").exists()


def test_forced_an_unrecreatable_pass_is_skipped_and_noted():
    plain = aigif.save(None, **SETTINGS)
    obj = dataclasses.replace(plain.file, data=dataclasses.replace(
        plain.file.data, passes=(Pass("hires", 0.5, width=128, height=128, upscaler="4x-UltraSharp"),)))
    image = aigif.recreate(obj, force=True)
    assert image.size == (64, 64) and image.tobytes() == plain.image.tobytes()
    assert any("4x-UltraSharp" in note for note in image.info["aigif"]["notes"])


@pytest.mark.parametrize("step, code", [
    (Pass("hires", 0.5, width=100, height=128), "cannot-honour"),
    (Pass("hires", 0.5, width=4096, height=4096), "limit-exceeded"),
    (Pass("hires", 0.5, steps=5000), "limit-exceeded"),
    (Pass("hires", 0.5, scheduler="my_sampler"), "cannot-honour"),
], ids=["not-multiple-of-8", "over-pixel-budget", "over-step-budget", "unknown-scheduler"])
def test_pass_sizes_steps_and_schedulers_are_checked_before_loading(no_loading, step, code):
    obj = aigif.AigifFile(model=aigif.Model(id="aigif-tiny-sd", scheduler="euler"),
                          data=aigif.Data(prompt="x", width=64, height=64, steps=3, passes=(step,)))
    for force in (False, True):
        with raises_code(code, RecreateError) as info:
            aigif.recreate(obj, force=force)
        assert info.value.path.startswith("data.passes[0]")


def test_the_cli_records_a_hires_pass_and_an_init_image(tmp_path):
    from helpers import run

    PILImage.effect_noise((64, 64), 40).convert("RGB").save(tmp_path / "init.png")
    out = tmp_path / "x.aigif"
    done = run(["save", str(out), "--prompt", "a red cube", "--width", "64", "--height", "64", "--seed", "5",
                "--steps", "3", "--pixel-digest", "--init-image", str(tmp_path / "init.png"), "--strength", "0.7",
                "--hires-scale", "2", "--hires-strength", "0.4", "--hires-upscaler", "lanczos", "--hires-steps", "2",
                "--json"])
    assert done.status == 0, done.stderr
    obj = aigif.read(out)
    assert obj.data.passes == (Pass("hires", 0.4, width=128, height=128, upscaler="lanczos", steps=2),)
    assert obj.data.strength == 0.7 and obj.payload.init_image.width == 64
    assert aigif.recreate(out).info["aigif"]["digest"] == "verified"
    for bad in (["--hires-steps", "2"], ["--strength", "0.5"], ["--hires-scale", "2", "--hires-upscaler", "4x-Ultra"]):
        done = run(["save", str(tmp_path / "y.aigif"), "--prompt", "x", *bad])
        assert done.status == 2, (bad, done.stderr)


def test_pixel_upscalers_fit_to_a_multiple_of_8_first():
    """A1111's upscalers fit their output to the scaled size rounded down to a multiple of 8 (12 x 1.5 = 18 -> 16)."""
    image = PILImage.effect_noise((12, 12), 50).convert("RGB")
    lanczos, nearest = PILImage.Resampling.LANCZOS, PILImage.Resampling.NEAREST
    got = _passes.upscale_pixels(image, Pass("hires", 0.5, upscaler="nearest"), 18, 18)
    assert got.tobytes() == image.resize((18, 18), nearest).resize((16, 16), lanczos).resize((18, 18), lanczos).tobytes()
