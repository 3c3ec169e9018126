"""Single-file checkpoints (A1111's models/Stable-diffusion, ComfyUI's models/checkpoints): the same
pixels as the diffusers folder, found by name, and refused in one line when unsafe or broken."""

import shutil

import pytest

import aigif
from aigif import RecreateError

pytestmark = pytest.mark.usefixtures("module_caches")

SETTINGS = dict(prompt="a red cube on a table", width=64, height=64, seed=7, steps=3, pixel_digest=True)


@pytest.fixture(scope="module")
def folder_digest():
    return aigif.save(None, model="aigif-tiny-sd", **SETTINGS).file.payload.pixel_digest


@pytest.mark.parametrize("tree", ["a1111", "comfyui"])
def test_the_tiny_single_file_recreates_the_pixels_of_the_diffusers_folder(model_fixtures, tmp_path, tree,
                                                                            folder_digest):
    dirs = [model_fixtures[0] / tree]
    saved = aigif.save(tmp_path / "x.aigif", model="tiny-sd-ldm", model_dirs=dirs, **SETTINGS)
    assert saved.file.payload.pixel_digest == folder_digest  # bit-exact, by digest
    image = aigif.recreate(tmp_path / "x.aigif", model_dirs=dirs)
    assert image.info["aigif"]["digest"] == "verified"


def test_the_file_name_with_its_suffix_and_a_hash_are_accepted(model_fixtures, folder_digest):
    root, hashes = model_fixtures
    sha = hashes["a1111/models/Stable-diffusion/tiny-sd-ldm.safetensors"]
    obj = aigif.save(None, model="tiny-sd-ldm.safetensors", model_dirs=[root / "a1111"], **SETTINGS).file
    assert obj.payload.pixel_digest == folder_digest
    import dataclasses

    pinned = dataclasses.replace(obj, model=dataclasses.replace(obj.model, hash=f"autov2:{sha[:10]}"))
    assert aigif.recreate(pinned, model_dirs=[root / "a1111"]).info["aigif"]["weights"] == "verified"
    wrong = dataclasses.replace(obj, model=dataclasses.replace(obj.model, hash="autov2:0123456789"))
    with pytest.raises(RecreateError) as caught:
        aigif.recreate(wrong, model_dirs=[root / "a1111"])
    assert caught.value.code == "hash-mismatch" and "tiny-sd-ldm.safetensors" in caught.value.message


def test_a_missing_checkpoint_names_every_place_looked(model_fixtures):
    with pytest.raises(RecreateError) as caught:
        aigif.save(None, model="no-such-model", model_dirs=[model_fixtures[0] / "a1111", model_fixtures[0] / "comfyui"],
                   **SETTINGS)
    assert caught.value.code == "model-not-found"
    assert "models/Stable-diffusion" in caught.value.message and "models/checkpoints" in caught.value.message


def test_a_pickle_checkpoint_is_refused_naming_it(tmp_path):
    (tmp_path / "models" / "Stable-diffusion").mkdir(parents=True)
    pickled = tmp_path / "models" / "Stable-diffusion" / "old-model.ckpt"
    pickled.write_bytes(b"\x80\x04not loaded")
    with pytest.raises(RecreateError) as caught:
        aigif.save(None, model="old-model", model_dirs=[tmp_path], **SETTINGS)
    assert caught.value.code == "model-refused" and str(pickled) in caught.value.message


def test_a_truncated_checkpoint_is_refused_naming_it(model_fixtures, tmp_path):
    source = model_fixtures[0] / "a1111/models/Stable-diffusion/tiny-sd-ldm.safetensors"
    target = tmp_path / "models" / "checkpoints" / "cut.safetensors"
    target.parent.mkdir(parents=True)
    target.write_bytes(source.read_bytes()[:1_000_000])
    with pytest.raises(RecreateError) as caught:
        aigif.save(None, model="cut", model_dirs=[tmp_path], **SETTINGS)
    assert caught.value.code == "model-refused" and str(target) in caught.value.message


def test_a_checkpoint_linking_outside_its_model_dir_is_refused(model_fixtures, tmp_path):
    (tmp_path / "inside").mkdir()
    outside = tmp_path / "elsewhere.safetensors"
    shutil.copyfile(model_fixtures[0] / "a1111/models/Stable-diffusion/tiny-sd-ldm.safetensors", outside)
    (tmp_path / "inside" / "linked.safetensors").symlink_to(outside)
    with pytest.raises(RecreateError) as caught:
        aigif.save(None, model="linked", model_dirs=[tmp_path / "inside"], **SETTINGS)
    assert caught.value.code == "model-refused" and "outside" in caught.value.message


def test_save_records_the_single_files_sha256_and_recreation_verifies_it(model_fixtures, tmp_path, folder_digest):
    """A file made from a single-file checkpoint names its weights exactly (field 16), so a recreation
    from another copy of another version is refused, and from the same bytes says 'verified'."""
    root, hashes = model_fixtures
    saved = aigif.save(tmp_path / "x.aigif", model="tiny-sd-ldm", model_dirs=[root / "a1111"], **SETTINGS)
    assert saved.file.model.hash == "sha256:" + hashes["a1111/models/Stable-diffusion/tiny-sd-ldm.safetensors"]
    assert saved.file.payload.pixel_digest == folder_digest
    image = aigif.recreate(tmp_path / "x.aigif", model_dirs=[root / "comfyui"])  # the same bytes, other tree
    assert image.info["aigif"]["weights"] == "verified" and image.info["aigif"]["digest"] == "verified"
