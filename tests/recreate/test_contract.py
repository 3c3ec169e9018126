"""The importer's verdict is a promise that the recreator keeps (issue 13, item 7).

``aigif import`` judges each image ``exact-possible``, ``approximate`` (its reasons naming what a
recreation leaves out or approximates) or ``not-recreatable``. ``aigif recreate`` refuses, before it
looks for any model, what it cannot honour, and ``--force`` recreates anyway what can be ignored:
``aigif._recreate.preflight``, the function ``recreate`` itself runs (the budget, the model's name
and registry code, the size, the scheduler with its options and configuration, the data type, the
RNG, a VAE, adapters, img2img strength). The contract:

* ``exact-possible``: the preflight passes without ``force``;
* ``approximate``: it passes with ``force``, and each thing ``force`` ignores is among the reasons.

Checked on every real image the import tests use (``tests/data/import``), on the shared corpus's
originals when ``../shared`` is there (CI clones without it), and on every sampler x schedule name
of each tool's vocabulary. Whether the model is on this machine is another matter (the images name
SD 1.5, SDXL fine-tunes ...): the preflight never looks for weights. Then one test per mapping
that this contract made right, several of them run with the built-in tiny model.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")

from PIL import Image, PngImagePlugin  # noqa: E402

import aigif  # noqa: E402
import aigif._recreate as R  # noqa: E402
from aigif import Model, RecreateError  # noqa: E402
from aigif._import import _mapping, _to_aigif  # noqa: E402
from aigif._import._found import Carrier, Found, ImageInfo, Lora  # noqa: E402
from aigif._recreate import _schedulers  # noqa: E402
from aigif._recreate._engine import Engine  # noqa: E402
from helpers import raises_code  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "import"
ORIGINALS = ROOT.parent / "shared" / "corpus" / "images"  # on the project's machines, not in CI
SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def _images(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES)


FIXTURE_NAMES = _images(FIXTURES)
CORPUS_NAMES = sorted(set(FIXTURE_NAMES) | set(_images(ORIGINALS)))  # the fixtures are cropped copies of these

# diffusers' k-diffusion schedulers build their sigma tables from tensors through numpy (a warning per
# value under numpy 2; thousands per scheduler): the preflight builds each scheduler it checks. And
# torchsde's rounding remark, which the engine silences process-wide (pytest resets filters per test).
pytestmark = [pytest.mark.usefixtures("module_caches"),
              pytest.mark.filterwarnings(r"ignore:__array:DeprecationWarning"),
              pytest.mark.filterwarnings(r"ignore:Should have t[ab]<=t1:UserWarning")]

#: The field of a thing ``force`` ignores -> a word the verdict's reasons must then contain.
SAYS = {"data.rng": "noise", "model.adapters": "adapter", "model.vae": "vae", "data.strength": "img2img",
        "model.dtype": "data type", "payload.model": "weights", "data.passes": "pass",
        "payload.init_image": "init image", "payload.mask": "mask", "model.embedding_triggers": "trigger"}


def broken_promise(obj, level: str, reasons: list[str]) -> str | None:
    """How the recreator breaks what the verdict promises about ``obj``; None when it keeps it.

    ``exact-possible`` is a promise about the source's platform (spec 6.7, field 24): noise the
    source drew on a CUDA generator is checked as a recreation on a GPU would be."""
    if level == "exact-possible":
        try:
            if obj.data.rng == "cuda":
                with pytest.MonkeyPatch.context() as mp:
                    mp.setattr(torch.cuda, "is_available", lambda: True)  # the source's platform, not this one
                    R.preflight(obj, device="cuda")
            else:
                R.preflight(obj)
        except RecreateError as error:
            return f"exact-possible, but refused without --force: {error.message} [{error.code}]"
    elif level == "approximate":
        try:
            ignored = R.preflight(obj, force=True)
        except RecreateError as error:
            return f"approximate, but refused even with --force: {error.message} [{error.code}]"
        text = " ".join(reasons).lower()
        for problem in ignored:
            option = re.search(r"has no option (\w+)", problem.message)
            word = option.group(1) if problem.path == "model.scheduler_options" and option else SAYS[problem.path]
            if word.lower() not in text:
                return f"--force ignores {problem.message!r} ({problem.path}), which no reason says: {reasons}"
    else:
        assert level == "not-recreatable", level
    return None


def _keeps_the_contract(path: Path) -> None:
    try:
        obj, report = aigif.import_image(path)
    except aigif.SourceError as error:
        assert error.code == "no-metadata", error
        pytest.skip("no generation metadata: the importer promises nothing")
    assert obj.source.faithfulness.level == report.faithfulness
    problem = broken_promise(obj, report.faithfulness, report.reasons)
    assert problem is None, problem


# ---------------------------------------------------------------------------------------------
# Every real image


def test_the_fixtures_are_a_real_sample():
    """An empty or moved folder must not make the contract pass by checking nothing."""
    assert len(FIXTURE_NAMES) >= 30, FIXTURE_NAMES
    assert {name.split("/")[0] for name in FIXTURE_NAMES} >= {"automatic1111", "comfyui", "invokeai", "novelai",
                                                               "fooocus", "swarmui", "forge", "sdnext"}


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_verdict_is_kept_by_the_recreator(name):
    _keeps_the_contract(FIXTURES / name)


@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_corpus_original_verdict_is_kept_by_the_recreator(name):
    """The originals carry the same metadata as the cropped fixtures, but their own sizes."""
    if not (ORIGINALS / name).is_file():
        pytest.skip("the shared corpus is not on this machine")
    _keeps_the_contract(ORIGINALS / name)


# ---------------------------------------------------------------------------------------------
# Every name of each tool's vocabulary


def _found(tool: str, sampler: str, schedule: str | None, **more) -> Found:
    carriers = [Carrier("png:tEXt", "invokeai_metadata", "{}")] if tool == "invokeai" else []  # InvokeAI >= 3
    values = dict(prompt="a lighthouse at dusk", seed=4242, steps=20, guidance_scale=7.0, width=512, height=512,
                  model_name="v1-5-pruned-emaonly.safetensors", carriers=carriers)
    return Found(tool=tool, sampler=sampler, schedule=schedule, **{**values, **more})


def _imported(found: Found):
    obj, verdict, _ = _to_aigif(found, ImageInfo("PNG", 512, 512, "RGB"), found.carriers, "synthetic.png")
    return obj, verdict


_A1111_SCHEDULES = [None, "Automatic", *sorted(_mapping._SCHEDULES)]
VOCABULARIES = {
    "comfyui": [(s, k) for s in sorted(_mapping._COMFY) for k in sorted(_mapping._COMFY_SCHEDULES)],
    "fooocus": [(s, k) for s in sorted(_mapping._COMFY) for k in ("karras", "normal")],
    "automatic1111": [(s, k) for s in sorted(_mapping._A1111) for k in _A1111_SCHEDULES],
    "huggingface-space": [(s, k) for s in sorted(_mapping._A1111) for k in _A1111_SCHEDULES],  # diffusers-native
    "invokeai": [(s + k, None) for s in sorted(_mapping._INVOKE) for k in ("", "_k")],  # >= 3: diffusers-native
    "novelai": [(s, k) for s in sorted(_mapping._NOVELAI) for k in (None, "karras", "native")],
}


@pytest.mark.parametrize("tool", sorted(VOCABULARIES))
def test_every_sampler_and_schedule_name_keeps_the_contract(tool):
    broken = []
    for sampler, schedule in VOCABULARIES[tool]:
        obj, verdict = _imported(_found(tool, sampler, schedule, rng="gpu" if tool == "automatic1111" else None))
        problem = broken_promise(obj, verdict.level, verdict.reasons)
        if problem:
            broken.append(f"{sampler!r} + {schedule!r} -> {obj.model.scheduler} {obj.model.scheduler_options}: "
                          f"{problem}")
    assert not broken, "\n".join(broken)


def test_the_vocabularies_reach_exact_possible_verdicts():
    """So that the exact-possible half of the contract is exercised (no real image here reaches it)."""
    levels = {_imported(_found("invokeai", sampler, None))[1].level for sampler in _mapping._INVOKE}
    assert "exact-possible" in levels


@pytest.mark.parametrize("changes", [
    pytest.param(dict(loras=[Lora("detail", 0.6), Lora("style", 1.0, kind="lycoris")]), id="loras"),
    pytest.param(dict(loras=[Lora("neg", 1.0, kind="embedding")]), id="embedding"),
    pytest.param(dict(vae_name="vae-ft-mse-840000-ema-pruned.safetensors"), id="vae"),
    pytest.param(dict(rng="nv"), id="nv-rng"),
    pytest.param(dict(rng="gpu"), id="gpu-rng"),
    pytest.param(dict(model_name="SDXL\\juggernautXL_v8Rundiffusion.safetensors"), id="windows-model-path"),
    pytest.param(dict(model_name="checkpoints/SDXL/juggernaut.safetensors"), id="deep-model-path"),
    pytest.param(dict(model_name="sd15/model.safetensors"), id="model-subfolder"),
    pytest.param(dict(width=500, height=500), id="size-not-multiple-of-8"),
    pytest.param(dict(width=1016, height=1528), id="size-multiple-of-8"),
])
@pytest.mark.parametrize("tool", ["automatic1111", "comfyui", "invokeai", "huggingface-space"])
def test_what_force_ignores_is_named_by_the_verdict(tool, changes):
    sampler = {"comfyui": "euler_ancestral", "invokeai": "euler_a"}.get(tool, "Euler a")
    obj, verdict = _imported(_found(tool, sampler, "karras" if tool == "comfyui" else None, **changes))
    problem = broken_promise(obj, verdict.level, verdict.reasons)
    assert problem is None, problem


# ---------------------------------------------------------------------------------------------
# The mappings the contract made right


@pytest.fixture(scope="module")
def engine():
    shared = Engine()
    shared.load(Model(id="aigif-tiny-sd"))
    return shared


def _tiny(obj, *, steps=3):
    """The same syntax on the built-in model, small: proves the scheduler really runs."""
    return dataclasses.replace(obj, model=dataclasses.replace(obj.model, id="aigif-tiny-sd", vae=None, adapters=()),
                               data=dataclasses.replace(obj.data, width=64, height=64, steps=steps, rng="cpu"))


def _rgb(image) -> bytes:
    return image.convert("RGB").tobytes()


def test_no_sigma_options_table_agrees_with_diffusers():
    """The importer's table of schedulers without sigma options (it cannot import diffusers) is the
    installed diffusers' own: exactly the classes whose constructor has no ``use_karras_sigmas``."""
    lacking = {}
    for name, (cls_name, _) in _schedulers.SCHEDULERS.items():
        parameters = inspect.signature(getattr(diffusers, cls_name).__init__).parameters
        if not {"use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas"} & set(parameters):
            lacking[name] = cls_name
    assert lacking == _mapping.NO_SIGMA_OPTIONS


def test_euler_ancestral_karras_is_approximate_and_recreates_forced(engine):
    """The user's report: ComfyUI ``euler_ancestral`` + ``karras``, judged approximate, was refused by
    ``recreate --force`` (``EulerAncestralDiscreteScheduler has no option(s) use_karras_sigmas``).
    diffusers 0.42's Euler ancestral has no Karras sigmas: the verdict says so, and ``--force``
    recreates with the scheduler's own schedule, noting it."""
    obj, report = aigif.import_image(FIXTURES / "comfyui" / "sd-metadata__comfyui.png")
    assert (obj.model.scheduler, obj.model.scheduler_options.sigmas) == ("euler_a", "karras")  # kept as recorded
    assert report.faithfulness == "approximate"
    assert any("Karras sigmas" in r and "EulerAncestralDiscreteScheduler" in r for r in report.reasons), report.reasons
    with raises_code("cannot-honour", RecreateError) as info:
        R.preflight(obj)
    assert info.value.path == "model.scheduler_options" and "use_karras_sigmas" in info.value.message
    assert "--force" in info.value.message
    assert [p.path for p in R.preflight(obj, force=True)] == ["model.scheduler_options"]

    small = _tiny(obj)
    result = R.recreate(small, force=True, engine=engine)
    assert result.source == "recreated"
    assert len(result.notes) == 1 and "use_karras_sigmas" in result.notes[0], result.notes
    assert type(engine.load(small.model).pipe.scheduler).__name__ == "EulerAncestralDiscreteScheduler"
    plain = dataclasses.replace(small.model, scheduler_options=aigif.SchedulerOptions())
    assert _rgb(result.image) == _rgb(engine.generate(dataclasses.replace(small, model=plain))[0])


def test_saving_euler_ancestral_with_karras_is_still_refused():
    """``save`` makes no promise it cannot keep: the option it could not honour is refused outright."""
    with raises_code("cannot-honour", RecreateError):
        R.save(None, prompt="a cat", steps=2, width=64, height=64, scheduler="euler_a",
                   scheduler_options=aigif.SchedulerOptions(sigmas="karras"))


@pytest.mark.parametrize("scheduler, cls", [("lms", "LMSDiscreteScheduler"), ("dpmpp_sde", "DPMSolverSDEScheduler")])
def test_schedulers_needing_extra_packages_are_installed_with_recreation(scheduler, cls):
    """LMS (scipy) and DPM++ SDE (torchsde) are mapped from A1111/InvokeAI/ComfyUI names; without
    those packages diffusers has placeholders and even ``--force`` was refused (InvokeAI's ``k_lms``
    image, judged approximate). The ``recreate`` extra now installs them."""
    assert not getattr(diffusers, cls).__module__.startswith("diffusers.utils.dummy_")
    requirements = " ".join(_pyproject_extra("recreate"))
    assert {"lms": "scipy", "dpmpp_sde": "torchsde"}[scheduler] in requirements
    obj = aigif.AigifFile(model=Model(id="aigif-tiny-sd", scheduler=scheduler),
                          data=aigif.Data(prompt="a cat", width=64, height=64, seed=1, steps=3, guidance_scale=5.0))
    assert R.preflight(obj) == []


def _pyproject_extra(name: str) -> list[str]:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["optional-dependencies"][name]


def test_invokeai_lms_image_recreates_with_the_tiny_model(engine):
    obj, report = aigif.import_image(FIXTURES / "invokeai" / "InvokeAI__000001.1863159593.png")
    assert (obj.model.scheduler, report.faithfulness) == ("lms", "approximate")
    result = R.recreate(_tiny(obj), force=True, engine=engine)
    assert result.source == "recreated" and result.notes == []
    assert type(engine.load(Model(id="aigif-tiny-sd")).pipe.scheduler).__name__ == "LMSDiscreteScheduler"


def test_dpmpp_sde_noise_is_seeded_from_the_file(engine):
    """DPM++ SDE's Brownian noise took its seed from torch's global generator: two recreations of one
    file differed. It is seeded from the file's seed now (as A1111 and ComfyUI seed it)."""
    import torch

    obj = aigif.AigifFile(model=Model(id="aigif-tiny-sd", scheduler="dpmpp_sde"),
                          data=aigif.Data(prompt="a cat", width=64, height=64, seed=11, steps=3, guidance_scale=5.0))
    images = []
    for global_seed in (1, 2):  # whatever else the process drew before
        torch.manual_seed(global_seed)
        images.append(_rgb(engine.generate(obj)[0]))
    assert images[0] == images[1]
    assert engine.load(obj.model).pipe.scheduler.config.noise_sampler_seed == 11
    other = dataclasses.replace(obj, data=dataclasses.replace(obj.data, seed=12))
    assert _rgb(engine.generate(other)[0]) != images[0]


def test_invokeai_dpmpp_2s_maps_to_diffusers_singlestep(engine):
    """InvokeAI's ``dpmpp_2s`` is diffusers' ``DPMSolverSinglestepScheduler``; the importer called it
    exact-possible, but the recreator knew no ``dpmpp_2s`` and refused it even forced."""
    for sampler, sigmas in (("dpmpp_2s", "default"), ("dpmpp_2s_k", "karras")):
        obj, verdict = _imported(_found("invokeai", sampler, None))
        assert (obj.model.scheduler, obj.model.scheduler_options.sigmas) == ("dpmpp_2s", sigmas)
        assert verdict.level == "exact-possible", verdict.reasons
        assert R.preflight(obj) == []
    image, _ = engine.generate(_tiny(obj))
    scheduler = engine.load(Model(id="aigif-tiny-sd")).pipe.scheduler
    assert type(scheduler).__name__ == "DPMSolverSinglestepScheduler" and scheduler.config.use_karras_sigmas
    assert image.size == (64, 64)


def test_adapters_and_vae_are_named_by_the_verdict():
    """The recreator leaves adapters and a separate VAE out (forced); the verdict said nothing of
    either (ComfyUI's hypernetwork example was approximate for other reasons only)."""
    obj, report = aigif.import_image(FIXTURES / "comfyui" / "ComfyUI_examples__hypernetwork_example_output.png")
    assert obj.model.adapters and report.faithfulness == "approximate"
    assert any("adapter" in r and "hypernetwork" in r for r in report.reasons), report.reasons
    obj, verdict = _imported(_found("huggingface-space", "DPM++ 2M", "Karras", vae_name="my-vae.safetensors",
                                    loras=[Lora("detail", 0.6)]))
    assert verdict.level == "approximate"
    assert R.preflight(obj, force=True) == []  # a VAE and LoRAs are applied (issue 15), when found
    assert any("VAE 'my-vae.safetensors'" in r for r in verdict.reasons), verdict.reasons
    assert any("lora 'detail'" in r for r in verdict.reasons), verdict.reasons


def test_a_size_that_is_not_a_multiple_of_8_is_not_recreatable(tmp_path):
    """The recreator refuses such a size even forced; an image without a recorded size, resized or
    cropped after generation, was judged approximate."""
    text = ("a lighthouse\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 42, Model: v1-5-pruned-emaonly")
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", text)
    path = tmp_path / "resized.png"
    Image.new("RGB", (500, 333), (10, 200, 30)).save(path, pnginfo=info)
    obj, report = aigif.import_image(path)
    assert (obj.data.width, obj.data.height) == (500, 333)
    assert report.faithfulness == "not-recreatable"
    assert any("500x333 is not a multiple of 8" in r and "does not record" in r for r in report.reasons)
    Image.new("RGB", (512, 336), (10, 200, 30)).save(path, pnginfo=info)
    assert aigif.import_image(path)[1].faithfulness == "approximate"


@pytest.mark.parametrize("name, expected", [
    ("SDXL\\juggernautXL_v8Rundiffusion.safetensors", "SDXL/juggernautXL_v8Rundiffusion"),
    ("checkpoints\\SDXL\\juggernaut.safetensors", "juggernaut"),
    ("models/Stable-diffusion/SDXL/juggernaut.ckpt", "juggernaut"),
    ("sd15/model.safetensors", "sd15/model"),
    ("juggernautXL", "juggernautXL"),
])
def test_model_paths_become_names_the_recreator_accepts(name, expected):
    """A model file in a subfolder of a tool's model folder (ComfyUI on Windows writes backslashes)
    became a model name the recreator refuses as a path (``model-refused``, which ``--force`` does
    not excuse). A name is NAME or OWNER/NAME (R5.3); a deeper path keeps its file name."""
    assert _mapping.model_id(name) == (expected, False)
    obj, verdict = _imported(_found("comfyui", "euler", "normal", model_name=name))
    assert obj.model.id == expected and verdict.level == "approximate"
    R.preflight(obj, force=True)


def test_preflight_is_what_recreate_runs(monkeypatch):
    """One mechanism: ``recreate`` refuses through ``preflight`` (so the contract above tests it)."""
    calls = []
    real = R._preflight

    def spy(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(R, "_preflight", spy)
    obj, _ = aigif.import_image(FIXTURES / "swarmui" / "sd-metadata__swarmui.png")
    with raises_code("cannot-honour", RecreateError) as info:
        R.recreate(obj)
    assert len(calls) == 1 and info.value.path == "model.scheduler_options"
    calls.clear()
    with raises_code("model-not-found", RecreateError):  # forced past the preflight, to the model's turn
        R.recreate(obj, force=True, model_dirs=[ROOT / "tests" / "data"])
    assert len(calls) == 1


def test_preflight_needs_no_model_and_refuses_like_recreate():
    obj, _ = aigif.import_image(FIXTURES / "automatic1111" / "sd-metadata__sd-webui.png")
    assert obj.model.id == "waiIllustriousSDXL_v160"  # not on this machine
    with raises_code("cannot-honour", RecreateError) as info:
        R.preflight(obj)
    assert info.value.path == "data.rng"
    assert [p.path for p in R.preflight(obj, force=True)] == ["data.rng"]
    with raises_code("limit-exceeded", RecreateError):
        R.preflight(obj, force=True, budget=R.Budget(max_steps=10))
    big = dataclasses.replace(obj, data=dataclasses.replace(obj.data, width=4096, height=4096))
    with raises_code("limit-exceeded", RecreateError):
        R.preflight(big, force=True)
    assert json.dumps([list(p) for p in R.preflight(obj, force=True)])  # plain data, for a report


def test_clip_skip_runs_with_transformers_5(engine):
    """Most imported A1111/ComfyUI images record a clip skip; diffusers 0.42 reaches the text encoder's
    final layer norm as ``text_model.final_layer_norm``, which transformers 5's flat ``CLIPTextModel``
    lacks, so recreating any of them failed after the preflight, forced or not. Each clip skip now
    runs and gives its own image; the encoder's weights are untouched."""
    base = aigif.AigifFile(model=Model(id="aigif-tiny-sd"),
                           data=aigif.Data(prompt="a cat", width=64, height=64, seed=7, steps=3, guidance_scale=5.0))
    images = [_rgb(engine.generate(dataclasses.replace(base, model=Model(id="aigif-tiny-sd", clip_skip=skip)))[0])
              for skip in (0, 1, 2, 1)]
    assert len(set(images[:3])) == 3 and images[3] == images[1]
    encoder = engine.load(base.model).pipe.text_encoder
    assert "text_model" not in dict(encoder.named_modules()) and not any(
        key.startswith("text_model.") for key in encoder.state_dict())
