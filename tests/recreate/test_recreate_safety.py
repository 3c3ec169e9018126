"""Recreation safety: what a file from a stranger can and cannot make the recreator do.

Issue 7, part 3 ("Hardening"), and reproducibility notes §5: a file cannot make the recreator

* unpickle anything (pickle-only weights are refused; ``torch.load`` and ``pickle`` are never called,
  even when a booby-trapped pickle sits next to the safetensors weights);
* run code: a ``model_index.json`` naming a class outside the allow-list, or a folder holding a ``.py``
  file, is refused before diffusers sees it, and the planted code never runs (it would create a
  marker file); ``trust_remote_code``/``custom_pipeline`` are never passed;
* read outside the model directories: a model name that is a path (``../``, ``/abs``, ``C:\\x``) is
  refused, and so is a model folder, weight file or subfolder that links outside the directory it
  was found in (the Hugging Face cache's own links to its blobs are fine);
* spend without bound: sizes, steps and threads beyond the recreation budget are refused before torch
  is imported (proved in subprocesses), and the budget is the user's to raise (``--max-pixels`` ...);
  scheduler_config keys must be options of the scheduler and values bounded JSON scalars.

Traps are real: the pickle would create a file if unpickled and the planted modules would create a
file if imported (controls prove both). The few tests that run the tiny model end to end are marked
slow.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")

import aigif  # noqa: E402
import aigif._recreate as R  # noqa: E402
from aigif import Adapter, AigifFile, Data, Model, ModelRef, Payload, Platform, RecreateError  # noqa: E402
from aigif._cli._recreate import MAX_PIXELS_HELP, MAX_STEPS_HELP, MAX_THREADS_HELP  # noqa: E402
from aigif._recreate import _engine, _models, _schedulers  # noqa: E402
from aigif._recreate._safety import Budget, screen  # noqa: E402
from helpers import raises_code  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_caches(tmp_path, monkeypatch):
    """Hash cache and Hugging Face cache in empty tmp dirs; the Hub is never contacted."""
    import huggingface_hub.constants

    hub = tmp_path / "hf-home" / "hub"
    monkeypatch.setenv("AIGIF_CACHE_DIR", str(tmp_path / "aigif-cache"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hub))


def _file(model_id="aigif-tiny-sd", *, width=64, height=64, steps=4, threads=None, **model) -> AigifFile:
    return AigifFile(platform=Platform(threads=threads), model=Model(id=model_id, scheduler="euler", **model),
                     data=Data(prompt="a small test", width=width, height=height, seed=3, steps=steps,
                               guidance_scale=5.0))


def _builtin() -> Path:
    return _models.builtin_dir(_models.registry()["aigif-tiny-sd"])


@pytest.fixture
def models(tmp_path) -> Path:
    """An empty --model-dir."""
    base = tmp_path / "models"
    base.mkdir()
    return base


def _copy(target: Path) -> Path:
    shutil.copytree(_builtin(), target)
    return target


def _edit_index(folder: Path, **changes) -> None:
    index = json.loads((folder / "model_index.json").read_text("utf-8"))
    index.update(changes)
    (folder / "model_index.json").write_text(json.dumps(index), encoding="utf-8")


@pytest.fixture
def loads(monkeypatch) -> list:
    """Every call of ``DiffusionPipeline.from_pretrained`` (its keyword arguments); the call then fails,
    so a refusal that should come first is proved to come first."""
    calls = []

    def spy(cls, *args, **kwargs):
        calls.append(kwargs)
        raise AssertionError("from_pretrained was called")

    monkeypatch.setattr(diffusers.DiffusionPipeline, "from_pretrained", classmethod(spy))
    return calls


@pytest.fixture
def unpickling(monkeypatch) -> list:
    """``torch.load`` and every pickle entry point, replaced by traps that record and refuse."""
    calls = []

    def trap(name):
        def refuse(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called")
        return refuse

    class Unpickler:
        def __init__(self, *args, **kwargs):
            trap("pickle.Unpickler")()

    monkeypatch.setattr(torch, "load", trap("torch.load"))
    monkeypatch.setattr(torch.serialization, "load", trap("torch.serialization.load"))
    monkeypatch.setattr(pickle, "load", trap("pickle.load"))
    monkeypatch.setattr(pickle, "loads", trap("pickle.loads"))
    monkeypatch.setattr(pickle, "Unpickler", Unpickler)
    return calls


class _Trap:
    """Unpickled, this opens (creates) ``marker``: what a malicious checkpoint does, harmlessly."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _booby_trapped_pickle(marker: Path) -> bytes:
    return pickle.dumps(_Trap(marker))


def _planted_code(marker: Path) -> str:
    return f"import pathlib\npathlib.Path({str(marker)!r}).write_text('the planted code ran')\n"


def test_the_traps_work(tmp_path):
    """Control: the booby-trapped pickle and the planted module do create their marker when run,
    so "the marker never appears" below means they were never run."""
    pickled, planted = tmp_path / "pickled", tmp_path / "planted"
    pickle.loads(_booby_trapped_pickle(pickled))
    script = tmp_path / "pipeline.py"
    script.write_text(_planted_code(planted))
    runpy.run_path(str(script))
    assert pickled.exists() and planted.exists()


# ---------------------------------------------------------------------------------------------
# 1. pickle weights


@pytest.mark.parametrize("suffix", [".bin", ".ckpt", ".pt", ".pth", ".pkl"])
def test_pickle_only_model_is_refused_and_nothing_is_unpickled(models, tmp_path, loads, unpickling, suffix):
    """A folder whose weights are all pickles (booby-trapped) -> ``model-refused``; neither
    ``torch.load`` nor pickle is called, diffusers is never asked, the trap never fires."""
    folder = _copy(models / "pickled")
    marker = tmp_path / "unpickled"
    for weights in list(folder.rglob("*.safetensors")):
        weights.unlink()
        weights.with_suffix(suffix).write_bytes(_booby_trapped_pickle(marker))
    with raises_code("model-refused", RecreateError) as info:
        aigif.recreate(_file("pickled"), model_dirs=[models])
    assert "pickle" in info.value.message
    assert unpickling == [] and loads == [] and not marker.exists()


@pytest.mark.slow
def test_pickles_beside_safetensors_are_never_read(models, tmp_path, unpickling):
    """End to end with the tiny model: a booby-trapped ``.bin`` beside every safetensors file is
    ignored (``use_safetensors=True``); the recreation succeeds and nothing is unpickled."""
    folder = _copy(models / "both")
    marker = tmp_path / "unpickled"
    for weights in list(folder.rglob("*.safetensors")):
        (weights.parent / "pytorch_model.bin").write_bytes(_booby_trapped_pickle(marker))
        weights.with_suffix(".bin").write_bytes(_booby_trapped_pickle(marker))
    image = aigif.recreate(_file("both"), model_dirs=[models])
    assert image.info["aigif"]["source"] == "recreated" and image.size == (64, 64)
    assert unpickling == [] and not marker.exists()


# ---------------------------------------------------------------------------------------------
# 2. code in the model folder


def _plant(folder: Path, relative: str, marker: Path) -> None:
    (folder / relative).parent.mkdir(parents=True, exist_ok=True)
    (folder / relative).write_text(_planted_code(marker))


CODE = [
    pytest.param({"_class_name": "EvilPipeline"}, "pipeline.py", id="custom-pipeline-class"),
    pytest.param({"_class_name": ["pipeline", "EvilPipeline"]}, "pipeline.py", id="custom-pipeline-module"),
    pytest.param({"unet": ["evil_unet", "EvilUNet"]}, "unet/evil_unet.py", id="custom-component"),
    pytest.param({"text_encoder": ["transformers", "AutoModel"]}, "text_encoder/modeling_evil.py",
                 id="remote-code-auto-class"),
    pytest.param({}, "pipeline.py", id="stray-pipeline-file"),
    pytest.param({}, "unet/deep/inside/helper.py", id="nested-file"),
    pytest.param({}, "__pycache__/pipeline.cpython-311.pyc", id="compiled-file"),
]


@pytest.mark.parametrize("index, planted", CODE)
def test_code_in_the_model_folder_is_refused_and_never_runs(models, tmp_path, loads, index, planted):
    """A ``model_index.json`` naming a class outside the allow-list, or any Python file in the folder
    -> ``model-refused`` before diffusers is called; the planted module never runs."""
    folder = _copy(models / "custom")
    marker = tmp_path / "code-ran"
    _edit_index(folder, **index)
    _plant(folder, planted, marker)
    with raises_code("model-refused", RecreateError):
        aigif.recreate(_file("custom"), model_dirs=[models])
    assert loads == [] and not marker.exists()


@pytest.mark.parametrize("index", [
    {"_class_name": ["pipeline", "EvilPipeline"]}, {"_class_name": None}, {"unet": ["diffusers"]},
    {"unet": [["diffusers"], {"x": 1}]}, {"unet": ["diffusers", "UNet2DConditionModel", "extra"]},
], ids=["list-class", "null-class", "short-spec", "nested-spec", "long-spec"])
def test_malformed_model_index_is_refused_not_a_crash(models, loads, index):
    """A downloaded repository controls its ``model_index.json``: odd types are refused cleanly."""
    _edit_index(_copy(models / "odd"), **index)
    with raises_code("model-refused", RecreateError):
        aigif.recreate(_file("odd"), model_dirs=[models])
    assert loads == []


def test_model_index_that_is_not_an_object_is_refused(models, loads):
    (_copy(models / "odd") / "model_index.json").write_text("[1, 2]")
    with raises_code("model-refused", RecreateError):
        aigif.recreate(_file("odd"), model_dirs=[models])
    assert loads == []


# ---------------------------------------------------------------------------------------------
# 3. no remote code, safetensors only, local files only


@pytest.mark.parametrize("allow_download", [False, True], ids=["offline", "allow-download"])
def test_engine_asks_diffusers_for_safetensors_and_no_remote_code(loads, allow_download):
    """The one ``from_pretrained`` call (the built-in model): ``use_safetensors=True``,
    ``local_files_only=True`` (downloads, if allowed, go through ``snapshot_download`` only),
    ``trust_remote_code=False``, and no ``custom_pipeline``, ``custom_revision`` or ``variant``."""
    with raises_code("model-refused", RecreateError):  # the spy refuses the load
        aigif.recreate(_file(), allow_download=allow_download)
    assert len(loads) == 1
    kwargs = loads[0]
    assert kwargs["use_safetensors"] is True and kwargs["local_files_only"] is True
    assert kwargs["trust_remote_code"] is False
    assert not {"custom_pipeline", "custom_revision", "variant", "revision", "cache_dir"} & set(kwargs)


@pytest.mark.slow
def test_end_to_end_recreation_runs_no_remote_code_and_unpickles_nothing(monkeypatch, tmp_path, unpickling):
    """The built-in tiny model, end to end, forced past a VAE, an adapter and embedded weights that all
    name booby-trapped pickles: the image is recreated, diffusers' and transformers' remote-code
    loaders are never called, no loader is asked for remote code, and nothing is unpickled."""
    import transformers
    import transformers.dynamic_module_utils
    from diffusers.pipelines import pipeline_loading_utils
    from diffusers.utils import dynamic_modules_utils

    remote, pipelines, components = [], [], []
    for module in (pipeline_loading_utils, dynamic_modules_utils, transformers.dynamic_module_utils):
        monkeypatch.setattr(module, "get_class_from_dynamic_module",
                            lambda *args, **kwargs: remote.append(args) or pytest.fail("remote code loader"))
    real_pipeline = diffusers.DiffusionPipeline.from_pretrained.__func__
    real_component = transformers.PreTrainedModel.from_pretrained.__func__

    def pipeline_spy(cls, *args, **kwargs):
        pipelines.append(kwargs)
        return real_pipeline(cls, *args, **kwargs)

    def component_spy(cls, *args, **kwargs):
        components.append(kwargs)
        return real_component(cls, *args, **kwargs)

    monkeypatch.setattr(diffusers.DiffusionPipeline, "from_pretrained", classmethod(pipeline_spy))
    monkeypatch.setattr(transformers.PreTrainedModel, "from_pretrained", classmethod(component_spy))
    marker = tmp_path / "unpickled"
    trap = tmp_path / "trap.ckpt"
    trap.write_bytes(_booby_trapped_pickle(marker))
    for named in (dict(vae=ModelRef(name=str(trap))), dict(adapters=(Adapter(name=str(trap)),))):
        with pytest.raises(RecreateError) as refused:  # a file named by a path: refused before torch, forced or not
            aigif.recreate(_file(**named), force=True)
        assert refused.value.code == "model-refused"
    obj = dataclasses.replace(_file(), payload=Payload(model=_booby_trapped_pickle(marker)))
    image = aigif.recreate(obj, force=True)
    assert image.info["aigif"]["source"] == "recreated"
    assert len(image.info["aigif"]["notes"]) == 1  # the embedded weights: ignored, and said so
    assert len(pipelines) == 1 and pipelines[0]["trust_remote_code"] is False
    assert components and all(not kwargs.get("trust_remote_code") for kwargs in components)
    assert all(kwargs.get("use_safetensors") is not False for kwargs in components)
    assert remote == [] and unpickling == [] and not marker.exists()


@pytest.mark.parametrize("recorded", ["os.system", "__class__", "AttnProcessor2_0.__init__", "XFormersAttnProcessor"])
def test_recorded_attention_name_is_never_looked_up(monkeypatch, recorded):
    """Field 12 names a class that is set on the pipeline; a name outside the allow-list
    (``_engine.ATTENTION``) is replaced by the model's own processor, never looked up."""
    engine = _engine.Engine()
    monkeypatch.setattr(engine, "load", lambda model: _engine.Loaded(None, "verified", {}, "AttnProcessor2_0"))
    obj = dataclasses.replace(_file(), platform=Platform(attention=recorded))
    assert engine._attention(obj) == "AttnProcessor2_0"


def test_embedded_model_weights_are_not_honoured_unless_forced(loads):
    """Field 21 (embedded weights) is never loaded: without ``force`` the file is refused
    (``cannot-honour``, at ``payload.model``) before any model loads."""
    obj = dataclasses.replace(_file(), payload=Payload(model=b"\x80\x04weights"))
    with raises_code("cannot-honour", RecreateError) as info:
        aigif.recreate(obj)
    assert info.value.path == "payload.model" and loads == []


@pytest.mark.slow
def test_remote_code_is_disabled_for_diffusers(tmp_path):
    """In a fresh process, recreation sets ``DIFFUSERS_DISABLE_REMOTE_CODE`` before diffusers reads it
    (diffusers' global switch: no remote code, no remote kernels), unless the user set it."""
    code = ("import os\nos.environ.pop('DIFFUSERS_DISABLE_REMOTE_CODE', None)\nimport aigif\n"
            "obj = aigif.AigifFile(model=aigif.Model(id='aigif-tiny-sd'))\n"
            "aigif._recreation()._engine.preflight(obj, 'cpu')  # imports diffusers\n"
            "from diffusers.utils import constants\nprint(constants.DIFFUSERS_DISABLE_REMOTE_CODE)\n")
    proc = _python(tmp_path, code)
    assert proc.returncode == 0 and proc.stdout.strip() == "True", proc.stdout + proc.stderr


# ---------------------------------------------------------------------------------------------
# 4. paths: names, links, the Hugging Face cache


PATH_NAMES = ["../../etc", "..", ".", "../outside", "./x", "/etc", "/abs/path", "//server/share", "C:\\x", "C:x",
              "a\\b", "owner/../x", "owner/./x", "a/b/c", "x/", "~/.ssh", ".git", "x\x00y", "x\ny", "NUL",
              "con.txt", " x", "x "]


@pytest.mark.parametrize("name", PATH_NAMES)
def test_model_names_that_are_paths_are_refused_first(models, monkeypatch, name):
    """A free model name (R5.3) that could reach outside a --model-dir -> ``model-refused`` at
    ``model.id``, before an engine exists or any place is looked in."""
    monkeypatch.setattr(R, "Engine", lambda **kwargs: pytest.fail("an engine was made"))
    monkeypatch.setattr(_models, "locate", lambda *args: pytest.fail("a folder was looked for"))
    with raises_code("model-refused", RecreateError) as info:
        aigif.recreate(_file(name), model_dirs=[models])
    assert info.value.path == "model.id"


@pytest.mark.parametrize("name, repo", [
    ("my-local-model", None), ("Realistic Vision V5.1", None), ("dreamshaper_8.safetensors", None),
    ("owner/repo", "owner/repo"), ("stabilityai/sdxl-turbo", "stabilityai/sdxl-turbo"),
    ("SDXL/Juggernaut XL v9", None), ("owner/re--po", None), ("aigif-tiny-sd", None),
])
def test_plain_names_are_accepted(name, repo):
    """Control: folder names and repository ids pass; only a valid repo id is looked for on the Hub."""
    assert _models.check_name(Model(id=name)) == repo


def test_traversal_to_a_real_model_is_refused(models, tmp_path, loads):
    """A valid model planted outside the --model-dir, reached by ``../`` or an absolute path: refused
    (without the check, ``models / name`` is that folder and it would load)."""
    outside = _copy(tmp_path / "outside" / "evil")
    assert (models / "../outside/evil" / "model_index.json").is_file()
    for name in ("../outside/evil", str(outside)):
        with raises_code("model-refused", RecreateError):
            aigif.recreate(_file(name), model_dirs=[models])
    assert loads == []


@pytest.mark.parametrize("link", ["folder", "weight-file", "subfolder", "model-index"])
def test_links_leading_outside_the_model_dir_are_refused(models, tmp_path, loads, link):
    """A model folder, a weight file, a component folder or ``model_index.json`` that is a link to
    somewhere outside the --model-dir -> ``model-refused`` naming where it leads; diffusers never sees it."""
    outside = _copy(tmp_path / "outside" / "evil")
    if link == "folder":
        (models / "linked").symlink_to(outside, target_is_directory=True)
    else:
        folder = _copy(models / "linked")
        relative = {"weight-file": "unet/diffusion_pytorch_model.safetensors", "subfolder": "unet",
                    "model-index": "model_index.json"}[link]
        target = folder / relative
        shutil.rmtree(target) if target.is_dir() else target.unlink()
        target.symlink_to(outside / relative, target_is_directory=(outside / relative).is_dir())
    with raises_code("model-refused", RecreateError) as info:
        aigif.recreate(_file("linked"), model_dirs=[models])
    assert "outside" in info.value.message
    assert loads == []


def test_links_inside_the_model_dir_and_link_loops_are_fine(models):
    """Control: a component linked to another folder of the same --model-dir is accepted, and a link
    loop does not hang the check."""
    shared = _copy(models / "shared")
    folder = _copy(models / "linked")
    shutil.rmtree(folder / "unet")
    (folder / "unet").symlink_to(shared / "unet", target_is_directory=True)
    (folder / "vae" / "loop").symlink_to(folder, target_is_directory=True)
    entry = _models.entry_for(Model(id="linked"))
    found, _ = _models.locate(entry, [models], allow_download=False)
    assert found == folder
    assert _models.check_folder(found, entry) == "StableDiffusionPipeline"


def _hf_snapshot(hub: Path, repo: str) -> Path:
    """The Hugging Face cache layout: snapshot files are links to ``../../blobs/<sha256>``."""
    import hashlib

    cache = hub / f"models--{repo.replace('/', '--')}"
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = cache / "snapshots" / commit
    (cache / "refs").mkdir(parents=True)
    (cache / "refs" / "main").write_text(commit)
    (cache / "blobs").mkdir()
    for source in sorted(_builtin().rglob("*")):
        if source.is_file():
            blob = cache / "blobs" / hashlib.sha256(source.read_bytes()).hexdigest()
            blob.write_bytes(source.read_bytes())
            link = snapshot / source.relative_to(_builtin())
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(os.path.relpath(blob, link.parent))
    return snapshot


def test_hugging_face_cache_links_are_accepted_and_escapes_refused(tmp_path, loads):
    """Control and refusal in the Hugging Face cache: a snapshot whose files link to the cache's blobs
    is found and passes the checks; one of its files linked outside the cache is refused."""
    hub = tmp_path / "hf-home" / "hub"
    snapshot = _hf_snapshot(hub, "owner/tiny")
    entry = _models.entry_for(Model(id="owner/tiny"))
    found, _ = _models.locate(entry, [], allow_download=False)
    assert found.resolve() == snapshot.resolve()
    assert _models.check_folder(found, entry) == "StableDiffusionPipeline"

    outside = _copy(tmp_path / "outside" / "evil")
    weight = snapshot / "unet" / "diffusion_pytorch_model.safetensors"
    weight.unlink()
    weight.symlink_to(outside / "unet" / "diffusion_pytorch_model.safetensors")
    with raises_code("model-refused", RecreateError):
        aigif.recreate(_file("owner/tiny"))
    assert loads == []


# ---------------------------------------------------------------------------------------------
# 5. scheduler configuration (field 3)


BAD_CONFIG = [
    pytest.param({"_class_name": '"EvilScheduler"'}, id="_class_name"),
    pytest.param({"_diffusers_version": '"0.1"'}, id="private-key"),
    pytest.param({"self": "1"}, id="self"),
    pytest.param({"kwargs": "{}"}, id="kwargs"),
    pytest.param({"not_an_option": "1"}, id="unknown-key"),
    pytest.param({"beta-start": "0.1"}, id="not-an-identifier"),
    pytest.param({"num_train_timesteps": "1000000000000"}, id="huge-int"),
    pytest.param({"num_train_timesteps": "1e300"}, id="huge-float"),
    pytest.param({"num_train_timesteps": str(10**4000)[:4000]}, id="4000-digit-int"),
    pytest.param({"beta_end": "NaN"}, id="nan"),
    pytest.param({"beta_end": "Infinity"}, id="infinity"),
    pytest.param({"beta_schedule": '{"class": "x"}'}, id="object-value"),
    pytest.param({"trained_betas": "[[0.1]]"}, id="nested-list"),
    pytest.param({"trained_betas": '["a"]'}, id="list-of-strings"),
    pytest.param({"steps_offset": "[" * 5000}, id="deep-nesting"),
    pytest.param({"steps_offset": "one"}, id="not-json"),
]


@pytest.mark.parametrize("config", BAD_CONFIG)
def test_scheduler_config_is_held_to_the_scheduler_options(loads, config):
    """Field 3 reaches the scheduler's constructor, so only its own options with bounded JSON scalar
    values pass; anything else -> ``cannot-honour`` at ``model.scheduler_config``, before loading."""
    with raises_code("cannot-honour", RecreateError) as info:
        aigif.recreate(_file(scheduler_config=config))
    assert info.value.path == "model.scheduler_config"
    assert loads == []


def test_accepted_scheduler_config_passes_preflight():
    """Control: real options with sane values pass (``steps_offset``, ``beta_schedule``, a betas list)."""
    config = {"steps_offset": "1", "beta_schedule": '"scaled_linear"', "trained_betas": "[0.1, 0.2]"}
    assert _engine.preflight(_file(scheduler_config=config), "cpu") == []


def test_values_diffusers_refuses_are_a_clean_error():
    """A value of the right type that the scheduler refuses when built -> ``cannot-honour``, not a crash."""
    base = json.loads((_builtin() / "scheduler" / "scheduler_config.json").read_text("utf-8"))
    with raises_code("cannot-honour", RecreateError):
        _schedulers.build(_file(scheduler_config={"beta_schedule": '"evil"'}).model, base)


def test_placeholder_scheduler_class_is_cannot_honour(monkeypatch, loads):
    """diffusers puts a placeholder class in place of a scheduler whose extra package (scipy, torchsde)
    is missing; it is refused before loading, not a crash when it is built."""
    placeholder = type("LMSDiscreteScheduler", (), {"__module__": "diffusers.utils.dummy_torch_and_scipy_objects",
                                                    "__init__": lambda self, *args, **kwargs: None})
    monkeypatch.setattr(diffusers, "LMSDiscreteScheduler", placeholder)
    obj = _file()
    obj = dataclasses.replace(obj, model=dataclasses.replace(obj.model, scheduler="lms"))
    with raises_code("cannot-honour", RecreateError) as info:
        aigif.recreate(obj)
    assert info.value.path == "model.scheduler" and loads == []


@pytest.mark.slow
def test_clip_skip_deeper_than_the_text_encoder_is_a_clean_error():
    """Clip skip 5 on the tiny model's 3-layer text encoder: diffusers fails inside the pipeline; the
    recreator reports ``cannot-honour`` instead of a traceback."""
    with raises_code("cannot-honour", RecreateError):
        aigif.recreate(_file(clip_skip=5))


# ---------------------------------------------------------------------------------------------
# 6. the budget


OVER_BUDGET = [
    pytest.param(dict(width=2056, height=2048), "data", "--max-pixels", id="pixels-just-over"),
    pytest.param(dict(width=16384, height=16384), "data", "--max-pixels", id="pixels-spec-maximum"),
    pytest.param(dict(width=16384, height=264), "data", "--max-pixels", id="pixels-panorama"),
    pytest.param(dict(steps=1001), "data.steps", "--max-steps", id="steps-just-over"),
    pytest.param(dict(steps=10_000), "data.steps", "--max-steps", id="steps-spec-maximum"),
    pytest.param(dict(threads=257), "platform.threads", "--max-threads", id="threads-just-over"),
    pytest.param(dict(threads=65_535), "platform.threads", "--max-threads", id="threads-spec-maximum"),
]


@pytest.mark.parametrize("changes, path, option", OVER_BUDGET)
def test_over_budget_is_refused_before_an_engine_exists(monkeypatch, changes, path, option):
    """Sizes, steps and threads the spec allows but the default budget does not -> ``limit-exceeded``
    naming the field and the option that raises the budget; no engine is made, nothing loads."""
    monkeypatch.setattr(R, "Engine", lambda **kwargs: pytest.fail("an engine was made"))
    with raises_code("limit-exceeded", RecreateError) as info:
        aigif.recreate(_file(**changes))
    assert info.value.path == path and option in info.value.message


def test_the_budget_boundary_is_inclusive():
    """Control: 2048 x 2048, 1,000 steps and 256 threads are within the default budget."""
    screen(_file(width=2048, height=2048, steps=1000, threads=256))


def test_a_raised_budget_lets_the_file_through(monkeypatch):
    """With ``Budget(max_pixels=...)`` a 4096 x 4096 file passes the screening and goes on to load
    the model (stopped here by a failing loader)."""
    monkeypatch.setattr(_engine.Engine, "_load", lambda self, model: pytest.fail("loading (as expected)"))
    monkeypatch.setattr(R, "Engine", _engine.Engine)
    big = _file(width=4096, height=4096)
    with raises_code("limit-exceeded", RecreateError):
        R.recreate(big)
    with pytest.raises(pytest.fail.Exception, match="loading"):
        R.recreate(big, budget=Budget(max_pixels=4096 * 4096))


def test_the_public_functions_take_the_budget_options(monkeypatch):
    """``aigif.recreate``/``verify``/``save`` raise the budget with ``max_pixels``/``max_steps``/``max_threads``."""
    monkeypatch.setattr(_engine.Engine, "_load", lambda self, model: pytest.fail("loading (as expected)"))
    monkeypatch.setattr(R, "Engine", _engine.Engine)
    long = _file(steps=1500)
    with raises_code("limit-exceeded", RecreateError):
        aigif.recreate(long)
    with pytest.raises(pytest.fail.Exception, match="loading"):
        aigif.recreate(long, max_steps=1500)
    with pytest.raises(pytest.fail.Exception, match="loading"):
        aigif.verify(long, Image.new("RGB", (64, 64)), max_steps=2000)
    with raises_code("limit-exceeded", RecreateError):
        aigif.save(None, prompt="x", seed=1, steps=4, width=4096, height=4096, max_pixels=4096 * 2048)


def test_save_keeps_to_the_budget_and_writes_nothing(tmp_path, monkeypatch):
    """``save`` refuses what a default recreation would refuse, before generating, writing nothing."""
    monkeypatch.setattr(_engine.Engine, "_load", lambda self, model: pytest.fail("a model was loaded"))
    out, png = tmp_path / "big.aigif", tmp_path / "big.png"
    with raises_code("limit-exceeded", RecreateError):
        aigif.save(out, prompt="x", seed=1, steps=4, width=4096, height=4096, image_path=png)
    assert not out.exists() and not png.exists()


def test_cli_help_states_the_budget_defaults():
    """The CLI's help texts quote ``Budget()``'s defaults (they are written out to keep the CLI light)."""
    default = Budget()
    assert f"{default.max_pixels:,}" in MAX_PIXELS_HELP
    assert f"{default.max_steps:,}" in MAX_STEPS_HELP
    assert f"{default.max_threads:,}" in MAX_THREADS_HELP


# ---------------------------------------------------------------------------------------------
# 7. in a fresh process: refused without importing torch, one line from the CLI


_HEAVY = ("torch", "diffusers", "transformers")
_REPORT = ("import atexit, sys\n"  # the process says, as it exits, which heavy modules it imported
           f"atexit.register(lambda: print('IMPORTED', *[m for m in {_HEAVY!r} if m in sys.modules],"
           " file=sys.stderr))\n")


def _python(cwd: Path, code: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "AIGIF_DEBUG")}
    env.update(AIGIF_CACHE_DIR=str(cwd / "aigif-cache"), HF_HOME=str(cwd / "hf-home"), HF_HUB_OFFLINE="1",
               PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-c", _REPORT + code, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def _split(stderr: str) -> tuple[list[str], list[str]]:
    """(the other stderr lines, the heavy modules that were imported)."""
    lines = stderr.splitlines()
    imported = [line.split()[1:] for line in lines if line.startswith("IMPORTED")]
    assert len(imported) == 1, stderr
    return [line for line in lines if not line.startswith("IMPORTED")], imported[0]


@pytest.mark.parametrize("model_id, width, code", [
    ("aigif-tiny-sd", 8192, "limit-exceeded"), ("../../etc", 64, "model-refused"),
], ids=["over-budget", "path-name"])
def test_library_refuses_without_importing_torch(tmp_path, model_id, width, code):
    """``aigif.recreate`` refuses an over-budget file or a path-like model name in a fresh process
    without ever importing torch, diffusers or transformers."""
    path = tmp_path / "file.aigif"
    aigif.write(_file(model_id, width=width, height=width), path)
    proc = _python(tmp_path, "import aigif\ntry:\n    aigif.recreate(sys.argv[1])\n"
                             "except aigif.RecreateError as e:\n    print(e.code)\n", str(path))
    others, imported = _split(proc.stderr)
    assert proc.returncode == 0 and proc.stdout.strip() == code, proc.stdout + proc.stderr
    assert others == [] and imported == []


_CLI = "from aigif._cli import main\nmain(sys.argv[1:])\n"


def test_cli_refuses_in_one_line_writes_nothing_and_never_imports_torch(tmp_path):
    """``aigif recreate`` on an over-budget file: exit 1, one line ``aigif: error: FILE: ... [limit-exceeded]``
    naming --max-pixels, no traceback, no image written, torch never imported. With ``--max-pixels``
    raised, the same file gets as far as its next problem (a path-like model name: ``model-refused``),
    still without torch."""
    path = tmp_path / "big.aigif"
    aigif.write(_file("../x", width=4096, height=4096), path)
    out = tmp_path / "out.png"
    proc = _python(tmp_path, _CLI, "recreate", str(path), "-o", str(out))
    lines, imported = _split(proc.stderr)
    assert proc.returncode == 1 and proc.stdout == ""
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"aigif: error: {path}: 4096x4096 is 16,777,216 pixels")
    assert "--max-pixels" in lines[0] and lines[0].endswith("[limit-exceeded]")
    assert imported == [] and not out.exists()

    proc = _python(tmp_path, _CLI, "recreate", str(path), "-o", str(out), "--max-pixels", str(4096 * 4096))
    lines, imported = _split(proc.stderr)
    assert proc.returncode == 1 and len(lines) == 1 and lines[0].endswith("[model-refused]"), proc.stderr
    assert imported == [] and not out.exists()
    assert "Traceback" not in proc.stderr
