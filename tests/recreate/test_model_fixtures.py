"""The tiny model files in users' formats (tools/recreate/build_model_fixtures.py), and how a
checkpoint's family is told from its safetensors header (aigif/_recreate/_single_file.py)."""

import importlib.util
import json
from pathlib import Path

import pytest

from aigif import RecreateError
from aigif._recreate import _single_file

TOOL = Path(__file__).resolve().parents[2] / "tools" / "recreate" / "build_model_fixtures.py"


def test_two_builds_are_byte_identical(model_fixtures, tmp_path):
    spec = importlib.util.spec_from_file_location("build_model_fixtures_again", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build(tmp_path / "again") == model_fixtures[1]


def test_the_trees_hold_every_file_where_a1111_and_comfyui_keep_it(model_fixtures):
    hashes = model_fixtures[1]
    for a1111, comfy in (("models/Stable-diffusion", "models/checkpoints"), ("models/VAE", "models/vae"),
                         ("models/Lora", "models/loras"), ("embeddings", "models/embeddings")):
        ours = {p.split("/")[-1]: h for p, h in hashes.items() if p.startswith(f"a1111/{a1111}/")}
        theirs = {p.split("/")[-1]: h for p, h in hashes.items() if p.startswith(f"comfyui/{comfy}/")}
        assert ours and ours == theirs
    assert sum((model_fixtures[0] / "a1111" / p).stat().st_size for p in
               ("models/Stable-diffusion/tiny-sd-ldm.safetensors", "models/VAE/tiny-vae-warm.safetensors")) < 16e6


def test_the_files_are_in_the_real_layouts(model_fixtures):
    a1111 = model_fixtures[0] / "a1111"
    checkpoint = _single_file.read_header(a1111 / "models/Stable-diffusion/tiny-sd-ldm.safetensors")
    prefixes = {k.split(".")[0] for k in checkpoint if k != "__metadata__"}
    assert prefixes == {"model", "first_stage_model", "cond_stage_model"}
    assert "model.diffusion_model.input_blocks.0.0.weight" in checkpoint
    vae = _single_file.read_header(a1111 / "models/VAE/tiny-vae-warm.safetensors")
    assert {k.split(".")[0] for k in vae if k != "__metadata__"} == {"encoder", "decoder", "quant_conv",
                                                                        "post_quant_conv"}
    assert vae["encoder.mid.attn_1.q.weight"]["shape"] == [64, 64, 1, 1]
    lora = _single_file.read_header(a1111 / "models/Lora/tiny-lora-kohya.safetensors")
    assert any(k.startswith("lora_unet_") and k.endswith(".lora_down.weight") for k in lora)
    assert any(k.startswith("lora_te_") and k.endswith(".alpha") for k in lora)
    peft = _single_file.read_header(a1111 / "models/Lora/tiny-lora-peft.safetensors")
    assert all(k.startswith("unet.") and ".lora_" in k for k in peft if k != "__metadata__")
    embedding = _single_file.read_header(a1111 / "embeddings/tinyemb.safetensors")
    assert embedding["emb_params"]["shape"] == [3, 64]


def _header(**shapes):
    return {key: shape if key == "__metadata__" else {"dtype": "F16", "shape": shape, "data_offsets": [0, 0]}
            for key, shape in shapes.items()}


UNET = {"model.diffusion_model.input_blocks.0.0.weight": [320, 4, 3, 3]}


@pytest.mark.parametrize("keys, name, prediction", [
    ({**UNET, _single_file._CLIP_L: [49408, 768]}, "sd1", "epsilon"),
    ({**UNET, _single_file._OPEN_CLIP_H: [3072, 1024]}, "sd2-v", "v_prediction"),  # unmarked: 768-v
    ({**UNET, _single_file._OPEN_CLIP_H: [3072, 1024], "v_pred": []}, "sd2-v", "v_prediction"),
    ({**UNET, _single_file._OPEN_CLIP_H: [3072, 1024],
      "__metadata__": {"modelspec.architecture": "stable-diffusion-v2-512"}}, "sd2", "epsilon"),
    ({**UNET, _single_file._OPEN_CLIP_H: [3072, 1024],
      "__metadata__": {"modelspec.prediction_type": "epsilon"}}, "sd2", "epsilon"),
    ({**UNET, _single_file._SDXL_CLIP_L: [49408, 768], _single_file._SDXL_BIG_G: [3840, 1280], "v_pred": []},
     "sdxl-base", "v_prediction"),
    ({**UNET, _single_file._SDXL_CLIP_L: [49408, 768], _single_file._SDXL_BIG_G: [3840, 1280]}, "sdxl-base",
     "epsilon"),
    ({**UNET, _single_file._REFINER_BIG_G: [3840, 1280]}, "sdxl-refiner", "epsilon"),
    ({**UNET, _single_file._CLIP_L: [1024, 64]}, "aigif-tiny-sd", "epsilon"),
])
def test_a_checkpoint_family_is_told_from_its_header(keys, name, prediction):
    family = _single_file.family(_header(**keys), Path("x.safetensors"))
    assert (family.name, family.prediction) == (name, prediction)


def test_an_unknown_family_is_one_line_naming_the_file():
    with pytest.raises(RecreateError) as caught:
        _single_file.family(_header(**{"transformer.blocks.0.weight": [8, 8]}), Path("/m/flux.safetensors"))
    assert caught.value.code == "cannot-honour" and "/m/flux.safetensors" in caught.value.message


def test_a_truncated_or_malformed_safetensors_file_is_refused_naming_it(model_fixtures, tmp_path):
    data = (model_fixtures[0] / "a1111/models/VAE/tiny-vae-warm.safetensors").read_bytes()
    for name, content in (("cut.safetensors", data[: len(data) // 2]), ("short.safetensors", b"\x01"),
                          ("junk.safetensors", (8).to_bytes(8, "little") + b"not json")):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(RecreateError) as caught:
            _single_file.read_header(path)
        assert caught.value.code == "model-refused" and str(path) in caught.value.message
    json.dumps(_single_file.read_header(model_fixtures[0] / "a1111/models/VAE/tiny-vae-warm.safetensors"))
