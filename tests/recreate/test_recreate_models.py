"""Finding, checking and verifying models (``aigif._recreate._models``).

Issue requirements covered here (reproducibility notes §5, "a file must not be able to make us run
code"):

* a missing model -> ``model-not-found``, naming the model and every place looked (the built-in
  models, each ``--model-dir`` and the Hugging Face cache); nothing is downloaded unless allowed;
* pinned SHA-256 hashes are verified -> ``hash-mismatch`` for a changed weight file; a verification
  is cached (``AIGIF_CACHE_DIR``) so a multi-GB file is hashed once, and rehashed when it changes;
* a model folder is checked before diffusers sees it -> ``model-refused`` for a pipeline or
  component outside the allow-list, pickle-only weights, or Python code in the folder.

Model folders are copies of the built-in tiny model (which another process may rebuild: hashes are
always computed from the copy, never hard-coded). Refusals happen before any weights load, so most
tests here are fast.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")

import aigif  # noqa: E402
from aigif import AigifFile, Data, Model, RecreateError  # noqa: E402
from aigif._recreate import _engine, _models  # noqa: E402
from helpers import raises_code  # noqa: E402

WEIGHTS = ("text_encoder/model.safetensors", "unet/diffusion_pytorch_model.safetensors",
           "vae/diffusion_pytorch_model.safetensors")


@pytest.fixture(autouse=True)
def _isolated_caches(tmp_path, monkeypatch):
    """Hash cache and Hugging Face cache in empty tmp dirs; the Hub is never contacted."""
    import huggingface_hub.constants

    hf_home = tmp_path / "hf-home"
    monkeypatch.setenv("AIGIF_CACHE_DIR", str(tmp_path / "aigif-cache"))
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.setenv("HF_HUB_CACHE", str(hf_home / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hf_home / "hub"))


def _builtin() -> Path:
    return _models.builtin_dir(_models.registry()["aigif-tiny-sd"])


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def tiny_copy(tmp_path) -> Path:
    """A private copy of the built-in tiny model."""
    target = tmp_path / "copy" / "tiny-sd"
    shutil.copytree(_builtin(), target)
    return target


@pytest.fixture
def pinned(tiny_copy, monkeypatch):
    """The registry's ``aigif-tiny-sd`` entry pinned to the copy's files, and the copy as built-in."""
    pins = {p.relative_to(tiny_copy).as_posix(): _sha(p) for p in sorted(tiny_copy.rglob("*"))
            if p.is_file() and p.name != "SHA256SUMS"}
    assert set(WEIGHTS) <= set(pins)
    original = _models.registry

    def registry():
        entries = original()
        entries["aigif-tiny-sd"] = dataclasses.replace(entries["aigif-tiny-sd"], files=pins)
        return entries

    monkeypatch.setattr(_models, "registry", registry)
    monkeypatch.setattr(_models, "builtin_dir", lambda entry: tiny_copy)
    return tiny_copy, _models.registry()["aigif-tiny-sd"]


def _syntax(model_id="aigif-tiny-sd") -> AigifFile:
    return AigifFile(model=Model(id=model_id, scheduler="euler"),
                     data=Data(prompt="a small test", width=64, height=64, seed=3, steps=4, guidance_scale=5.0))


def _flip_byte(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    at = len(data) // 2 if offset is None else offset
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


# ---------------------------------------------------------------------------------------------
# 3. model-not-found


def test_escaped_hub_name_not_found_names_every_place(tmp_path):
    """Issue: a missing model -> ``model-not-found`` whose message names the model, each --model-dir
    given and the Hugging Face cache (pointed at an empty tmp dir); no download without permission."""
    first, second = tmp_path / "models-a", tmp_path / "models-b"
    first.mkdir()
    second.mkdir()
    with raises_code("model-not-found", RecreateError) as info:
        aigif.recreate(_syntax("nobody/no-such-model"), model_dirs=[first, second])
    message = info.value.message
    assert "nobody/no-such-model" in message
    assert str(first) in message and str(second) in message
    assert "Hugging Face cache" in message and str(tmp_path / "hf-home" / "hub") in message
    assert "--allow-download" in message


def test_registry_model_not_on_disk_names_every_place(tmp_path):
    """Issue: a registry model that is not on disk (stable-diffusion-v1-5, empty HF cache, no
    download) -> ``model-not-found`` naming the model, its repository, the --model-dir and the cache."""
    models = tmp_path / "models"
    models.mkdir()
    with raises_code("model-not-found", RecreateError) as info:
        aigif.recreate(_syntax("stable-diffusion-v1-5"), model_dirs=[models])
    message = info.value.message
    assert "stable-diffusion-v1-5" in message
    assert "stable-diffusion-v1-5/stable-diffusion-v1-5" in message  # the Hub repository looked for
    assert str(models) in message
    assert "Hugging Face cache" in message and str(tmp_path / "hf-home" / "hub") in message


def test_no_download_unless_allowed(monkeypatch):
    """Without ``allow_download`` only the local cache is consulted (``local_files_only=True``)."""
    import huggingface_hub

    calls = []

    def fake_snapshot_download(repo, **kwargs):
        calls.append((repo, kwargs.get("local_files_only", False)))
        raise huggingface_hub.errors.LocalEntryNotFoundError("not cached (fake)")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    with raises_code("model-not-found", RecreateError):
        aigif.recreate(_syntax("nobody/no-such-model"))
    assert calls == [("nobody/no-such-model", True)]

    calls.clear()
    with raises_code("model-not-found", RecreateError) as info:
        aigif.recreate(_syntax("nobody/no-such-model"), allow_download=True)
    assert calls == [("nobody/no-such-model", True), ("nobody/no-such-model", False)]
    assert "could not be downloaded" in info.value.message


def test_locate_finds_model_dir_layouts(tmp_path):
    """An escaped name is looked for under each --model-dir as NAME, OWNER--NAME and the last part."""
    for folder_name in ("owner--repo", "repo"):
        base = tmp_path / folder_name / "base"
        (base / folder_name).mkdir(parents=True)
        (base / folder_name / "model_index.json").write_text("{}")
        entry = _models.entry_for(Model(id="owner/repo"))
        found, looked = _models.locate(entry, [tmp_path / "nowhere", base], allow_download=False)
        assert found == base / folder_name
        assert str(tmp_path / "nowhere" / "owner" / "repo") in looked


def test_builtin_is_found_first():
    """The built-in tiny model needs no --model-dir and no cache."""
    folder, looked = _models.locate(_models.registry()["aigif-tiny-sd"], [], allow_download=False)
    assert (folder / "model_index.json").is_file()
    assert looked == [str(folder)]


# ---------------------------------------------------------------------------------------------
# 4. pinned hashes and the verification cache


def test_untampered_copy_verifies(pinned):
    """A copy whose files match the pins verifies."""
    folder, entry = pinned
    assert _models.verify(folder, entry) == "verified"


@pytest.mark.parametrize("weight", WEIGHTS)
def test_tampered_weight_is_hash_mismatch(pinned, weight):
    """Issue: one flipped byte in a pinned weight file -> ``hash-mismatch`` naming the file; refused
    before diffusers loads anything."""
    folder, _ = pinned
    _flip_byte(folder / weight)
    with raises_code("hash-mismatch", RecreateError) as info:
        aigif.recreate(_syntax())
    assert weight.split("/")[-1] in info.value.message


def test_tampered_weight_refused_by_save(pinned, tmp_path):
    """``save`` verifies the same way, and writes nothing when the weights are wrong."""
    folder, _ = pinned
    _flip_byte(folder / WEIGHTS[1])
    out = tmp_path / "out.aigif"
    with raises_code("hash-mismatch", RecreateError):
        aigif.save(out, prompt="x", seed=1, steps=4, width=64, height=64)
    assert not out.exists()


def test_missing_pinned_file_is_model_not_found(pinned):
    """A pinned file that is missing from the folder -> ``model-not-found`` naming it."""
    folder, entry = pinned
    (folder / WEIGHTS[2]).unlink()
    with raises_code("model-not-found", RecreateError) as info:
        _models.verify(folder, entry)
    assert "diffusion_pytorch_model.safetensors" in info.value.message


def test_verification_cache_is_written_reused_and_invalidated(pinned, tmp_path, monkeypatch):
    """Issue: a verification is cached in AIGIF_CACHE_DIR: the second verify hashes nothing; after a
    file's mtime changes it is hashed again (and only it)."""
    folder, entry = pinned
    calls = []
    original = _models.sha256_of

    def counting(path):
        calls.append(Path(path).name)
        return original(path)

    monkeypatch.setattr(_models, "sha256_of", counting)
    assert _models.verify(folder, entry) == "verified"
    assert len(calls) == len(entry.files)
    cache_file = tmp_path / "aigif-cache" / "verified-sha256.json"
    assert cache_file.is_file()
    cached = json.loads(cache_file.read_text("utf-8"))
    assert set(cached.values()) == set(entry.files.values())

    calls.clear()
    assert _models.verify(folder, entry) == "verified"
    assert calls == [], "the second verification reuses the cache"

    unet = folder / WEIGHTS[1]
    stat = unet.stat()
    os.utime(unet, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert _models.verify(folder, entry) == "verified"
    assert calls == ["diffusion_pytorch_model.safetensors"]


def test_cache_sees_a_changed_file(pinned, monkeypatch):
    """A file changed after a cached verification (new mtime) is rehashed -> ``hash-mismatch``."""
    folder, entry = pinned
    assert _models.verify(folder, entry) == "verified"
    _flip_byte(folder / WEIGHTS[0])
    stat = (folder / WEIGHTS[0]).stat()
    os.utime(folder / WEIGHTS[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    with raises_code("hash-mismatch", RecreateError):
        _models.verify(folder, entry)


def test_corrupt_cache_file_is_ignored(pinned, tmp_path):
    """A garbled cache file costs a rehash, never a failure."""
    folder, entry = pinned
    cache = tmp_path / "aigif-cache"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "verified-sha256.json").write_text("{not json")
    assert _models.verify(folder, entry) == "verified"
    assert json.loads((cache / "verified-sha256.json").read_text("utf-8"))


def test_builtin_model_weights_are_pinned():
    """The built-in model's registry entry pins its weight files, matching the shipped files."""
    entry = _models.registry()["aigif-tiny-sd"]
    assert set(WEIGHTS) <= set(entry.files)
    for relative, expected in entry.files.items():
        assert _sha(_builtin() / relative) == expected
    assert _models.verify(_builtin(), entry) == "verified"
    sums = dict(reversed(line.split("  ", 1)) for line in (_builtin() / "SHA256SUMS").read_text().splitlines())
    assert sums == entry.files  # the registry and the shipped SHA256SUMS agree


# ---------------------------------------------------------------------------------------------
# 5. folder refusals (check_folder)


@pytest.fixture
def local_model(tmp_path):
    """A copy of tiny-sd under a --model-dir, named by an escaped model id (the folder name)."""
    base = tmp_path / "model-dir"
    folder = base / "my-local-model"
    shutil.copytree(_builtin(), folder)
    return base, folder


def _edit_index(folder: Path, **changes) -> None:
    index = json.loads((folder / "model_index.json").read_text("utf-8"))
    index.update(changes)
    (folder / "model_index.json").write_text(json.dumps(index), encoding="utf-8")


@pytest.fixture
def no_weights_loaded(monkeypatch):
    """Fail if diffusers is asked to load anything: refusals come before ``from_pretrained``."""
    import diffusers

    def boom(*args, **kwargs):
        raise AssertionError("from_pretrained was called before the refusal")

    monkeypatch.setattr(diffusers.StableDiffusionPipeline, "from_pretrained", boom)


def _refused(base: Path) -> RecreateError:
    with raises_code("model-refused", RecreateError) as info:
        aigif.recreate(_syntax("my-local-model"), model_dirs=[base])
    return info.value


def test_pipeline_outside_allow_list_is_refused(local_model, no_weights_loaded):
    """Issue: a model_index.json naming a pipeline outside the allow-list ("MyCustomPipeline")."""
    base, folder = local_model
    _edit_index(folder, _class_name="MyCustomPipeline")
    assert "MyCustomPipeline" in _refused(base).message


def test_missing_pipeline_class_is_refused(local_model, no_weights_loaded):
    """A model_index.json without ``_class_name`` names no allowed pipeline."""
    base, folder = local_model
    index = json.loads((folder / "model_index.json").read_text("utf-8"))
    del index["_class_name"]
    (folder / "model_index.json").write_text(json.dumps(index), encoding="utf-8")
    _refused(base)


def test_unreadable_model_index_is_refused(local_model, no_weights_loaded):
    """A model_index.json that is not JSON is refused, not a crash."""
    base, folder = local_model
    (folder / "model_index.json").write_text("{ this is not json", encoding="utf-8")
    _refused(base)


@pytest.mark.parametrize("component, spec", [
    ("unet", ["my_library", "UNet2DConditionModel"]),
    ("unet", ["diffusers", "MyCustomUNet"]),
    ("text_encoder", ["transformers", "AutoModel"]),
    ("scheduler", ["my_schedulers", "DDIMScheduler"]),
    ("extra_component", ["custom_module", "Anything"]),
], ids=["unet-library", "unet-class", "text-encoder-class", "scheduler-library", "extra-component"])
def test_component_outside_allow_list_is_refused(local_model, no_weights_loaded, component, spec):
    """Issue: a component from a non-allowed library or class -> ``model-refused``, naming it."""
    base, folder = local_model
    _edit_index(folder, **{component: spec})
    message = _refused(base).message
    assert component in message and spec[1] in message


def test_pickle_only_weights_are_refused(local_model, no_weights_loaded):
    """Issue: a component folder with only ``.bin`` (pickle) weights -> ``model-refused``."""
    base, folder = local_model
    unet = folder / "unet"
    (unet / "diffusion_pytorch_model.safetensors").rename(unet / "diffusion_pytorch_model.bin")
    message = _refused(base).message
    assert "pickle" in message


@pytest.mark.parametrize("suffix", [".ckpt", ".pt", ".pth", ".pkl"])
def test_other_pickle_suffixes_are_refused(local_model, no_weights_loaded, suffix):
    """The other pickle formats are refused the same way."""
    base, folder = local_model
    vae = folder / "vae"
    (vae / "diffusion_pytorch_model.safetensors").rename(vae / f"diffusion_pytorch_model{suffix}")
    _refused(base)


def test_python_file_in_component_folder_is_refused(local_model, no_weights_loaded):
    """Issue: a folder containing a ``.py`` file -> ``model-refused`` (remote code is never run)."""
    base, folder = local_model
    (folder / "unet" / "modeling_custom.py").write_text("raise SystemExit('should never run')\n")
    assert "Python" in _refused(base).message


def test_python_file_at_top_level_is_refused(local_model, no_weights_loaded):
    """Issue: a folder containing a ``.py`` file -> ``model-refused``, wherever the file is."""
    base, folder = local_model
    (folder / "pipeline.py").write_text("raise SystemExit('should never run')\n")
    _refused(base)


def test_registry_model_folder_holding_another_pipeline_is_refused(pinned, no_weights_loaded):
    """A registry model's folder must hold the registry's pipeline class."""
    folder, _ = pinned
    _edit_index(folder, _class_name="StableDiffusionXLPipeline")
    with raises_code("model-refused", RecreateError) as info:
        aigif.recreate(_syntax())
    assert "StableDiffusionXLPipeline" in info.value.message


# ---------------------------------------------------------------------------------------------
# positive controls: the checked folders do load


@pytest.mark.slow
def test_local_copy_under_model_dir_recreates_like_the_builtin(local_model):
    """Control for the refusals: an unmodified copy under --model-dir, named by an escaped id, loads
    (weights "unpinned": a free name has no pins) and gives the built-in model's pixels."""
    base, _ = local_model
    local = aigif.recreate(_syntax("my-local-model"), model_dirs=[base])
    builtin = aigif.recreate(_syntax())
    assert local.info["aigif"]["weights"] == "unpinned"
    assert local.info["aigif"]["source"] == "recreated"
    assert local.tobytes() == builtin.tobytes()


@pytest.mark.slow
def test_pinned_copy_recreates_with_verified_weights(pinned):
    """Control for hash-mismatch: the pinned, untampered copy loads and reports weights "verified"."""
    image = aigif.recreate(_syntax())
    assert image.info["aigif"]["weights"] == "verified"
    assert image.size == (64, 64)


def test_engine_load_refuses_tampered_weights_before_diffusers(pinned, no_weights_loaded):
    """The hash check is part of ``Engine.load``: diffusers never sees tampered weights."""
    folder, _ = pinned
    _flip_byte(folder / WEIGHTS[0])
    with raises_code("hash-mismatch", RecreateError):
        _engine.Engine().load(Model(id="aigif-tiny-sd"))


@pytest.mark.slow
def test_builtin_model_rebuilds_with_the_same_content():
    """A tools/ script rebuilds tiny-sd deterministically: the same weights, tokenizer and configs (issue 12)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, str(root / "tools" / "recreate" / "build_tiny_sd.py"), "--check"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "the same weights, tokenizer and configuration" in result.stderr


def test_model_content_ignores_version_stamps_but_not_values(tmp_path):
    """build_tiny_sd --check compares what decides the model, not a library's version stamp."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_tiny_sd", Path(__file__).resolve().parents[2]
                                                  / "tools" / "recreate" / "build_tiny_sd.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    (tmp_path / "config.json").write_text('{"hidden_size": 32, "transformers_version": "5.23.0"}', "utf-8")
    (tmp_path / "w.safetensors").write_bytes(b"\x00\x01")
    before = tool.model_content(tmp_path)
    (tmp_path / "config.json").write_text('{\n  "transformers_version": "5.25.0",\n  "hidden_size": 32\n}', "utf-8")
    assert tool.model_content(tmp_path) == before
    (tmp_path / "config.json").write_text('{"hidden_size": 33, "transformers_version": "5.25.0"}', "utf-8")
    assert tool.model_content(tmp_path)["config.json"] != before["config.json"]
    (tmp_path / "w.safetensors").write_bytes(b"\x00\x02")
    assert tool.model_content(tmp_path)["w.safetensors"] != before["w.safetensors"]
