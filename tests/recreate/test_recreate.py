"""Recreation end to end with the built-in tiny model: save -> recreate, bit-exact.

Issue requirements covered here:

* "``aigif.save`` generates an image with a pinned diffusers pipeline and records its syntax;
  ``aigif.recreate`` replays it; on the same platform the pixels are bit-exact, and a recorded
  pixel digest proves it" (R6.6 pixel digest: SHA-256 over 8-bit RGB, row-major);
* "a random seed is drawn and recorded when none is given; the platform is recorded (device, arch,
  torch, diffusers, threads, determinism, attention) and its thread count is honoured";
* "refuse, before loading anything, what cannot be honoured (sizes not multiple of 8, limits,
  unknown schedulers, CUDA RNG on CPU, adapters, VAE, strength, an unavailable device), unless
  ``--force``, which says what it ignored";
* "when the model is missing but the file stores its pixels, return the stored pixels and say why".

The built-in model (``aigif/_recreate/models/tiny-sd``) may be rebuilt with other weights: no pixel value or
hash is hard-coded; every expectation is computed from a run in the same test. One module-scoped
``Engine`` is reused (the model loads once); the public ``aigif.recreate`` is pointed at it by a
fixture, since it has no ``engine`` argument.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import textwrap

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from PIL import Image  # noqa: E402

import aigif  # noqa: E402
import aigif._recreate as R  # noqa: E402
from aigif import (Adapter, AigifFile, Compression, Data, Model, ModelRef, Pass, Payload, Platform,  # noqa: E402
                   RecreateError, SchedulerOptions)
from aigif._recreate import _engine, _platform  # noqa: E402
from aigif._recreate._engine import Engine  # noqa: E402
from helpers import raises_code  # noqa: E402

pytestmark = pytest.mark.usefixtures("module_caches")  # tests/recreate/conftest.py

PROMPT = "a lighthouse at dusk, oil painting"


@pytest.fixture(scope="module")
def engine():
    """One engine for the module: the tiny model is loaded once (here, so no test pays for it)."""
    shared = Engine()
    shared.load(Model(id="aigif-tiny-sd"))
    return shared


@pytest.fixture(autouse=True)
def _public_api_uses_shared_engine(engine, monkeypatch):
    """``aigif.recreate``/``aigif.verify`` build their own ``Engine``; give them the shared one."""
    real = _engine.Engine

    def factory(device="cpu", model_dirs=(), allow_download=False):
        if device == "cpu" and not list(model_dirs) and not allow_download:
            return engine
        return real(device=device, model_dirs=list(model_dirs), allow_download=allow_download)

    monkeypatch.setattr(R, "Engine", factory)


def _rgb(image) -> bytes:
    return image.convert("RGB").tobytes()


def _digest(image) -> str:
    """R6.6, computed independently of the library."""
    return "sha256:" + hashlib.sha256(image.convert("RGB").tobytes()).hexdigest()


def _syntax(*, seed=7, steps=4, width=64, height=64, scheduler="euler", options=SchedulerOptions(),
            threads=None, **data) -> AigifFile:
    return AigifFile(platform=Platform(threads=threads),
                     model=Model(id="aigif-tiny-sd", scheduler=scheduler, scheduler_options=options),
                     data=Data(prompt=PROMPT, width=width, height=height, seed=seed, steps=steps,
                               guidance_scale=5.0, **data))


# ---------------------------------------------------------------------------------------------
# 1. bit-exact save -> recreate

SCHEDULERS = [
    pytest.param("ddim", SchedulerOptions(), "DDIMScheduler", id="ddim"),
    pytest.param("dpmpp_2m", SchedulerOptions(), "DPMSolverMultistepScheduler", id="dpmpp_2m"),
    pytest.param("dpmpp_2m", SchedulerOptions(sigmas="karras"), "DPMSolverMultistepScheduler",
                 id="dpmpp_2m-karras"),
    pytest.param("euler", SchedulerOptions(), "EulerDiscreteScheduler", id="euler"),
    pytest.param("euler_a", SchedulerOptions(), "EulerAncestralDiscreteScheduler", id="euler_a"),
]


@pytest.mark.parametrize("width, height", [(64, 64), (128, 96)], ids=["64x64", "128x96"])
@pytest.mark.parametrize("scheduler, options, cls", SCHEDULERS)
def test_save_then_recreate_is_bit_exact(tmp_path, engine, scheduler, options, cls, width, height):
    """Issue: save -> recreate with the built-in model is bit-exact (float32, same platform), and the
    file's pixel digest proves it: ``info["aigif"]["digest"] == "verified"``, expectation bit-exact."""
    path = tmp_path / "image.aigif"
    obj, image = R.save(path, prompt=PROMPT, seed=1234, steps=5, width=width, height=height,
                            scheduler=scheduler, scheduler_options=options, pixel_digest=True, engine=engine)
    assert image.size == (width, height)
    assert engine.load(obj.model).pipe.scheduler.__class__.__name__ == cls
    back = aigif.read(path)
    assert back.model.scheduler == scheduler and back.model.scheduler_options == options
    assert back.model.dtype == "float32"
    assert (back.data.width, back.data.height, back.data.seed, back.data.steps) == (width, height, 1234, 5)
    assert back.payload.pixel_digest == _digest(image)

    recreated = aigif.recreate(path)
    assert recreated.size == (width, height)
    assert _rgb(recreated) == _rgb(image)
    report = recreated.info["aigif"]
    assert report["source"] == "recreated"
    assert report["digest"] == "verified"
    assert report["expectation"] == "bit-exact", report["differences"]
    assert report["bit_exact"].startswith("bit-exact: yes")


def test_karras_sigmas_reach_the_scheduler(engine):
    """``SchedulerOptions(sigmas="karras")`` is applied (``use_karras_sigmas``) and changes the image."""
    plain, _ = engine.generate(_syntax(scheduler="dpmpp_2m"))
    karras, _ = engine.generate(_syntax(scheduler="dpmpp_2m", options=SchedulerOptions(sigmas="karras")))
    assert engine.load(Model(id="aigif-tiny-sd")).pipe.scheduler.config.use_karras_sigmas is True
    assert _rgb(plain) != _rgb(karras)


def test_syntax_changes_change_the_image(engine):
    """The recorded syntax is what drives the image: scheduler, seed and prompt each change the pixels
    (so the bit-exact tests above cannot pass by ignoring them)."""
    base = _syntax(scheduler="ddim")
    variants = [base,
                dataclasses.replace(base, model=dataclasses.replace(base.model, scheduler="euler")),
                dataclasses.replace(base, model=dataclasses.replace(base.model, scheduler="euler_a")),
                dataclasses.replace(base, data=dataclasses.replace(base.data, seed=8)),
                dataclasses.replace(base, data=dataclasses.replace(base.data, prompt="a red cube"))]
    pixels = [_rgb(engine.generate(v)[0]) for v in variants]
    assert len(set(pixels)) == len(pixels)
    assert _rgb(engine.generate(base)[0]) == pixels[0], "the same syntax gives the same pixels"


def test_verify_api_identical_and_different(tmp_path, engine):
    """Issue (verify): recreate and compare: identical for the saved image, PSNR etc. otherwise."""
    path = tmp_path / "v.aigif"
    _, image = R.save(path, prompt=PROMPT, seed=3, steps=4, width=64, height=64, scheduler="euler",
                          pixel_digest=True, engine=engine)
    same = aigif.verify(path, image)
    assert isinstance(same, aigif.Verification)
    assert same.identical is True and same.psnr_db is None
    assert same.recreation["digest"] == "verified" and same.to_json()["identical"] is True
    png = tmp_path / "other.png"
    other = image.copy()
    other.putpixel((0, 0), tuple(255 - v for v in other.getpixel((0, 0))))
    other.save(png)
    different = aigif.verify(path, png)
    assert different.identical is False
    assert different.psnr_db > 0 and different.max_abs_diff > 0


# ---------------------------------------------------------------------------------------------
# 1b. thread counts


_SUBPROCESS = textwrap.dedent("""
    import json, sys, hashlib
    import torch
    torch.set_num_threads(1)
    seen = set()

    def hook(module, args):
        if type(module).__name__ == "UNet2DConditionModel":
            seen.add(torch.get_num_threads())

    torch.nn.modules.module.register_module_forward_pre_hook(hook)
    import aigif
    image = aigif.recreate(sys.argv[1])
    print(json.dumps({**image.info["aigif"], "threads_after": torch.get_num_threads(), "seen": sorted(seen),
                      "sha": "sha256:" + hashlib.sha256(image.convert("RGB").tobytes()).hexdigest()}))
""")


@pytest.mark.slow
@pytest.mark.parametrize("determinism, threads_used", [("native", 2), ("portable", 1)])
def test_recreate_in_another_process_with_one_thread(tmp_path, engine, determinism, threads_used):
    """Issue: bit-exact across processes. Saved with 2 threads here, recreated in a process that set
    ``torch.set_num_threads(1)``: under ``native`` the engine honours the *recorded* count; under the
    portable profile (issue 12) it runs with the process's own, and the pixels are the same."""
    path = tmp_path / "threads.aigif"
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        _, image = R.save(path, prompt=PROMPT, seed=99, steps=4, width=64, height=64, scheduler="euler_a",
                              pixel_digest=True, engine=engine, determinism=determinism)
    finally:
        torch.set_num_threads(before)
    assert aigif.read(path).platform.threads == 2
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "AIGIF_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", _SUBPROCESS, str(path)], capture_output=True, text=True,
                          timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["seen"] == [threads_used]
    assert result["threads_after"] == 1, "the process's own thread count is put back"
    assert result["sha"] == _digest(image)
    assert result["digest"] == "verified" and result["expectation"] == "bit-exact"
    assert result["digest"] == "verified"
    assert result["expectation"] == "bit-exact", result["differences"]


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_generation_uses_the_recorded_thread_count(engine, threads):
    """Issue: the engine runs with ``platform.threads`` (records it as used) and restores the process's."""
    seen = []

    def hook(module, args):
        seen.append(torch.get_num_threads())

    before = torch.get_num_threads()
    handle = engine.load(Model(id="aigif-tiny-sd")).pipe.unet.register_forward_pre_hook(hook)
    try:
        _, used = engine.generate(_syntax(threads=threads))
    finally:
        handle.remove()
    assert seen and set(seen) == {threads}
    assert used.threads == threads
    assert torch.get_num_threads() == before


def test_thread_count_edit_control(engine, record_property):
    """Control for the thread-count requirement: a file made with 2 threads, edited to record 1.

    Observed on the 2-CPU x86_64 development machine (torch 2.13.0+cpu): 1 thread gives other
    pixels than 2 (and 2, 3, 4 threads agree), so the edited file's digest no longer matches. That is
    machine dependent; what is asserted is only what is stable: the report is consistent with the
    pixels, and the edited file recreates the same pixels every time.
    """
    original = _syntax(threads=2, scheduler="euler")
    image, _ = engine.generate(original)
    saved = dataclasses.replace(original, payload=Payload(pixel_digest=_engine.pixel_digest(image)))
    edited = dataclasses.replace(saved, platform=dataclasses.replace(saved.platform, threads=1))
    first = R.recreate(edited, engine=engine)
    second = R.recreate(edited, engine=engine)
    same = _rgb(first.image) == _rgb(image)
    record_property("threads_1_vs_2_identical", same)
    assert (first.digest == "verified") == same
    assert first.bit_exact.startswith("bit-exact: yes" if same else "bit-exact: no")
    assert _rgb(first.image) == _rgb(second.image), "deterministic at the edited thread count"
    assert R.recreate(saved, engine=engine).digest == "verified"


# ---------------------------------------------------------------------------------------------
# 2. seed and platform recorded


def test_random_seed_is_drawn_and_recorded(tmp_path, engine):
    """Issue: with ``seed=None`` a random seed is drawn and recorded, and recreation uses it."""
    seeds = []
    for name in ("a.aigif", "b.aigif"):
        obj, image = R.save(tmp_path / name, prompt=PROMPT, seed=None, steps=4, width=64, height=64,
                                scheduler="euler", pixel_digest=True, engine=engine)
        back = aigif.read(tmp_path / name)
        assert back.data.seed == obj.data.seed
        assert isinstance(back.data.seed, int) and 0 <= back.data.seed < 2**32
        seeds.append(back.data.seed)
    assert seeds[0] != seeds[1], "two draws (collision chance 2**-32)"
    recreated = aigif.recreate(tmp_path / "b.aigif")
    assert recreated.info["aigif"]["digest"] == "verified"
    assert _rgb(recreated) == _rgb(image)


def test_platform_is_recorded_in_the_file(tmp_path, engine):
    """Issue: the file's platform records device cpu, arch, torch, diffusers, threads, determinism and
    attention (spec platform fields)."""
    import diffusers

    path = tmp_path / "p.aigif"
    R.save(path, prompt=PROMPT, seed=5, steps=4, width=64, height=64, scheduler="euler", engine=engine)
    recorded = aigif.read(path).platform
    here = _platform.current("cpu")
    assert recorded.device == "cpu"
    assert recorded.arch == here.arch and recorded.arch != "unknown"
    assert recorded.gpu == "none" and recorded.cuda == "none"
    assert recorded.torch == torch.__version__
    assert recorded.diffusers == diffusers.__version__
    assert recorded.threads == torch.get_num_threads()
    assert recorded.determinism is not None and "deterministic_algorithms" in recorded.determinism
    assert not {"tf32_matmul", "tf32_cudnn", "cudnn_benchmark"} & recorded.determinism
    assert recorded.attention in _engine.ATTENTION
    assert recorded.cpu_capability == here.cpu_capability


def test_recorded_attention_processor_is_used(engine):
    """The recorded attention implementation is set on the pipeline before running (both are exact)."""
    for name in _engine.ATTENTION:
        obj = dataclasses.replace(_syntax(), platform=Platform(attention=name))
        _, used = engine.generate(obj)
        assert used.attention == name
        unet = engine.load(obj.model).pipe.unet
        assert {type(p).__name__ for p in unet.attn_processors.values()} == {name}


# ---------------------------------------------------------------------------------------------
# 6. preflight: refused before any model loads


PREFLIGHT = [
    pytest.param(dict(width=65), "cannot-honour", id="width-not-multiple-of-8"),
    pytest.param(dict(height=100), "cannot-honour", id="height-not-multiple-of-8"),
    pytest.param(dict(width=8192, height=8192), "limit-exceeded", id="8192x8192"),
    pytest.param(dict(steps=5000), "limit-exceeded", id="5000-steps"),
    pytest.param(dict(scheduler="my_sampler"), "cannot-honour", id="unknown-scheduler"),
]
FORCEABLE = [
    pytest.param(dict(rng="cuda"), "data.rng", id="cuda-rng-on-cpu"),
    pytest.param(dict(adapters=(Adapter(name="my-hypernetwork", kind="hypernetwork"),)), "model.adapters",
                 id="adapters"),
    pytest.param(dict(strength=0.5), "data.strength", id="strength"),
    pytest.param(dict(dtype="float8"), "model.dtype", id="dtype"),
    pytest.param(dict(passes=(Pass("refiner", 0.8),)), "data.passes", id="refiner-pass"),
    pytest.param(dict(passes=(Pass("hires", 0.5, width=128, height=128, upscaler="4x-UltraSharp"),)), "data.passes",
                 id="upscaling-model"),
    pytest.param(dict(passes=(Pass("hires", 0.5, model="another-model"),)), "data.passes", id="pass-model"),
    pytest.param(dict(payload=Payload(init_image=aigif.Image("none", 1, 1, bytes(3)))), "data.strength",
                 id="init-image-without-strength"),
    pytest.param(dict(embedding_triggers={"missing.safetensors": "<m>"}), "model.embedding_triggers",
                 id="trigger-without-embedding"),
]


def _obj(**changes) -> AigifFile:
    obj = _syntax()
    model_keys = {"scheduler", "adapters", "vae", "dtype", "id", "embedding_triggers"}
    payload = changes.pop("payload", obj.payload)
    model = {k: v for k, v in changes.items() if k in model_keys}
    data = {k: v for k, v in changes.items() if k not in model_keys}
    return dataclasses.replace(obj, model=dataclasses.replace(obj.model, **model),
                               data=dataclasses.replace(obj.data, **data), payload=payload)


@pytest.fixture
def no_loading(monkeypatch):
    """A fresh (real) engine whose ``_load`` fails the test: a refusal must come before any load."""
    def boom(self, model):
        raise AssertionError(f"a model was loaded ({model.id}) before the refusal")

    monkeypatch.setattr(_engine.Engine, "_load", boom)
    monkeypatch.setattr(R, "Engine", _engine.Engine)


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
@pytest.mark.parametrize("changes, code", PREFLIGHT)
def test_preflight_refusals_before_loading(no_loading, changes, code, force):
    """Issue: sizes not multiple of 8 (cannot-honour), 8192x8192 or 5000 steps (limit-exceeded) and an
    unknown scheduler (cannot-honour) are refused before any model loads, even with ``force``."""
    with raises_code(code, RecreateError):
        aigif.recreate(_obj(**changes), force=force)


@pytest.mark.parametrize("changes, path", FORCEABLE)
def test_unhonourable_options_refused_unless_forced(no_loading, changes, path):
    """Issue: CUDA RNG on CPU, adapter kinds not applied, img2img strength without an init image (or an
    init image without its strength), an unknown dtype, refiner passes, upscaling models and passes with
    their own model (R6.9: not recreated yet) and a trigger for no embedding (R6.11) are refused (cannot-honour, naming the field and ``--force``) before any
    model loads."""
    with raises_code("cannot-honour", RecreateError) as info:
        aigif.recreate(_obj(**changes))
    assert info.value.path == path
    assert "--force" in info.value.message


def test_cuda_device_without_cuda_is_refused(no_loading, monkeypatch):
    """Issue: ``device="cuda"`` when CUDA is unavailable -> cannot-honour, before any model loads.
    (No GPU here; ``torch.cuda.is_available`` is forced to False so this holds on any machine.)"""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with raises_code("cannot-honour", RecreateError) as info:
        aigif.recreate(_obj(), device="cuda")
    assert "cuda" in info.value.message.lower()
    with raises_code("cannot-honour", RecreateError):
        aigif.recreate(_obj(), device="cuda", force=True)


def test_model_code_unknown_to_this_registry_is_cannot_honour():
    """A numeric model code this version's registry does not know (a newer file) -> cannot-honour
    (decided from the registry, before any weights are looked for)."""
    with raises_code("cannot-honour", RecreateError) as info:
        aigif.recreate(_obj(id=4000))
    assert "4000" in info.value.message


def test_force_recreates_ignoring_and_noting_what_it_cannot_honour(engine):
    """Issue: with ``force=True`` recreation proceeds, ignoring CUDA RNG, adapters it cannot apply (a
    hypernetwork) and strength, and the notes say so. Ignoring them means the image is the one of the plain
    syntax. (A VAE and LoRAs are applied since issue 15: tests/recreate/test_adapters.py.)"""
    obj = _obj(rng="cuda", adapters=(Adapter(name="my-hypernetwork", kind="hypernetwork"),), strength=0.5)
    image = aigif.recreate(obj, force=True)
    report = image.info["aigif"]
    assert report["source"] == "recreated"
    notes = " | ".join(report["notes"])
    assert len(report["notes"]) == 3, notes
    for word in ("RNG", "hypernetwork", "strength"):
        assert word in notes, notes
    assert _rgb(image) == _rgb(engine.generate(_obj())[0])


def test_force_with_cuda_rng_only_notes_the_rng(engine):
    """``force`` with only a CUDA-RNG file: one note, naming the RNG."""
    image = aigif.recreate(_obj(rng="cuda"), force=True)
    notes = image.info["aigif"]["notes"]
    assert len(notes) == 1 and "RNG" in notes[0] and "'cuda'" in notes[0]


def test_save_refuses_before_loading_and_writes_nothing(tmp_path, no_loading):
    """``save`` refuses what recreation would refuse (width 65) before loading, writing no file."""
    path, png = tmp_path / "x.aigif", tmp_path / "x.png"
    with raises_code("cannot-honour", RecreateError):
        aigif.save(path, prompt=PROMPT, seed=1, steps=4, width=65, height=64, image_path=png)
    with raises_code("cannot-honour", RecreateError):
        aigif.save(path, prompt=PROMPT, seed=1, steps=4, width=64, height=64, scheduler="my_sampler")
    assert not path.exists() and not png.exists()


def test_save_does_not_overwrite(tmp_path, no_loading):
    """``save`` refuses an existing output ([exists]) before generating anything, leaving it untouched."""
    path = tmp_path / "x.aigif"
    path.write_bytes(b"keep me")
    with raises_code("exists", aigif.FileError):
        aigif.save(path, prompt=PROMPT, seed=1, steps=4, width=64, height=64)
    assert path.read_bytes() == b"keep me"


# ---------------------------------------------------------------------------------------------
# 7. stored pixels


def _without_model(obj: AigifFile, name: str = "no-such-local-model") -> AigifFile:
    return dataclasses.replace(obj, model=dataclasses.replace(obj.model, id=name))


def test_stored_pixels_when_the_model_is_missing(tmp_path, engine):
    """Issue: a file with stored pixels whose model is unavailable -> the stored pixels are returned,
    ``source == "stored pixels"``, with a note saying why (the model was not found)."""
    path = tmp_path / "px.aigif"
    obj, image = R.save(path, prompt=PROMPT, seed=11, steps=4, width=64, height=64, scheduler="euler",
                            save_pixels=True, pixel_digest=True, engine=engine)
    back = aigif.read(path)
    from aigif import _pixels

    sizes = {codec: len(_pixels.encode(image, codec)) for codec in _pixels.available()}
    assert back.compression.pixel_compressor == min(sizes, key=sizes.get) and back.payload.pixels  # the smallest
    moved = tmp_path / "moved.aigif"
    aigif.write(_without_model(back), moved)
    result = aigif.recreate(moved)
    report = result.info["aigif"]
    assert report["source"] == "stored pixels"
    assert _rgb(result) == _rgb(image)
    assert report["digest"] == "verified"
    assert len(report["notes"]) == 1
    assert "no-such-local-model" in report["notes"][0] and "not found" in report["notes"][0]
    assert report["bit_exact"].startswith("bit-exact: yes")


def test_stored_raw_rgb_pixels_decode(engine):
    """Spec field 19 with ``pixel_compressor="none"``: raw 8-bit RGB rows decode to the same image."""
    obj = _syntax(width=128, height=96)
    image, _ = engine.generate(obj)
    stored = dataclasses.replace(_without_model(obj), compression=Compression(pixel_compressor="none"),
                                 payload=Payload(pixels=_rgb(image), pixel_digest=_digest(image)))
    back = aigif.loads(aigif.dumps(stored))
    assert back.compression.pixel_compressor == "none" and len(back.payload.pixels) == 128 * 96 * 3
    result = aigif.recreate(back)
    assert result.info["aigif"]["source"] == "stored pixels"
    assert result.size == (128, 96)
    assert _rgb(result) == _rgb(image)
    assert result.info["aigif"]["digest"] == "verified"


def test_stored_pixels_when_the_syntax_cannot_be_honoured(engine):
    """Stored pixels also stand in for a syntax this machine cannot honour (an unknown scheduler)."""
    obj = _syntax()
    image, _ = engine.generate(obj)
    stored = dataclasses.replace(obj, model=dataclasses.replace(obj.model, scheduler="my_sampler"),
                                 compression=Compression(pixel_compressor="png"),
                                 payload=Payload(pixels=_engine.encode_png(image)))
    result = R.recreate(aigif.loads(aigif.dumps(stored)), engine=engine)
    assert result.source == "stored pixels"
    assert result.digest is None
    assert "my_sampler" in result.notes[0]
    assert _rgb(result.image) == _rgb(image)
    assert result.bit_exact.startswith("bit-exact: yes (the file's stored pixels)")


def test_undecodable_stored_pixels_are_cannot_honour():
    """Stored pixels that are not a PNG (and no model to recreate with) -> cannot-honour, not a crash."""
    obj = dataclasses.replace(_without_model(_syntax()), compression=Compression(pixel_compressor="png"),
                              payload=Payload(pixels=b"definitely not a png"))
    with raises_code("cannot-honour", RecreateError):
        aigif.recreate(obj)


def test_missing_model_without_stored_pixels_is_an_error():
    """Without stored pixels a missing model is ``model-not-found`` (nothing silently substituted)."""
    with raises_code("model-not-found", RecreateError):
        aigif.recreate(_without_model(_syntax()))


# ---------------------------------------------------------------------------------------------
# engine helpers: determinism, digest, PNG


def test_deterministic_restores_the_process_settings_even_on_error():
    """``deterministic`` sets threads/determinism/TF32 for one run and puts the process's back."""
    matmul = torch.backends.cuda.matmul
    before = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(), matmul.allow_tf32)
    with pytest.raises(KeyError):
        with _engine.deterministic(_engine._determinism.Applied("native", "native"), 1):
            assert torch.get_num_threads() == 1
            assert torch.are_deterministic_algorithms_enabled()
            assert matmul.allow_tf32 is False
            raise KeyError("boom")
    assert (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(), matmul.allow_tf32) == before
    with _engine.deterministic(_engine._determinism.Applied("native", "native"), None):  # no recorded count: the process's own is kept
        assert torch.get_num_threads() == before[0]


def test_pixel_digest_is_sha256_of_rgb_rows():
    """R6.6: SHA-256 over 8-bit RGB, row-major, top row first (an RGBA/L input is converted)."""
    image = Image.new("RGB", (3, 2))
    values = [(i, 2 * i, 255 - i) for i in range(6)]
    image.putdata(values)
    expected = hashlib.sha256(bytes(v for pixel in values for v in pixel)).hexdigest()
    assert _engine.pixel_digest(image) == "sha256:" + expected
    assert _engine.pixel_digest(image.convert("RGBA")) == "sha256:" + expected


def test_png_encoding_is_lossless(engine):
    """The PNG written by ``save`` (and stored pixels) decodes to exactly the generated pixels."""
    image, _ = engine.generate(_syntax(width=128, height=96))
    obj = dataclasses.replace(_syntax(width=128, height=96), compression=Compression(pixel_compressor="png"),
                              payload=Payload(pixels=_engine.encode_png(image)))
    assert _rgb(_engine.decode_pixels(obj)) == _rgb(image)


def test_save_writes_the_png_it_describes(tmp_path, engine):
    """``image_path``: the PNG holds exactly the pixels whose digest the file records."""
    path, png = tmp_path / "s.aigif", tmp_path / "s.png"
    _, image = R.save(path, prompt=PROMPT, seed=2, steps=4, width=64, height=64, scheduler="euler",
                          pixel_digest=True, image_path=png, engine=engine)
    with Image.open(png) as written:
        assert _rgb(written) == _rgb(image)
        assert _digest(written) == aigif.read(path).payload.pixel_digest


@pytest.mark.slow
def test_engine_loads_each_model_once(monkeypatch):
    """Issue: the engine loads each model once and reuses it for every file."""
    calls = []
    original = _engine.Engine._load

    def counting(self, model):
        calls.append(model.id)
        return original(self, model)

    monkeypatch.setattr(_engine.Engine, "_load", counting)
    fresh = _engine.Engine()
    first = R.recreate(_syntax(seed=1), engine=fresh)
    second = R.recreate(_syntax(seed=2, scheduler="ddim"), engine=fresh)
    R.save(None, prompt=PROMPT, seed=3, steps=4, width=64, height=64, engine=fresh)
    assert calls == ["aigif-tiny-sd"]
    assert _rgb(first.image) != _rgb(second.image)
