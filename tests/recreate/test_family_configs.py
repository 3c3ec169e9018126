"""The shipped configurations of the single-file families (SD 1.x, SD 2.x 512/768-v, SDXL base and
refiner) and the CLIP tokenizer, verified without weights.

For each family, the diffusers models are built from the shipped configuration on the meta device; a
synthetic LDM header is made from them - the UNet and VAE through the repository's own
diffusers -> LDM mapping (tools/recreate/build_model_fixtures.py), the text encoders from the
architecture facts of CLIP ViT-L/14 and OpenCLIP ViT-H/14, ViT-bigG/14 (open_clip's layout, written
here independently of diffusers). Then ``_single_file`` must recognise the header as the family, and
diffusers' own LDM -> diffusers conversion must give every parameter of every model, each with its
shape, and nothing else."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from aigif._recreate import _clip_bpe, _single_file  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "aigif" / "_recreate" / "configs"


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "recreate" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


fixtures = _tool("build_model_fixtures")
builder = _tool("build_family_configs")


# ---------------------------------------------------------------------------------------------
# the CLIP tokenizer


def test_the_derived_tokenizer_gives_clips_published_token_ids():
    """Ids published for CLIP's tokenizer: elixir-nx/bumblebee's CLIP tokenizer test ("a photo of a
    cat"/"dog" with openai/clip-vit-base-patch32, which shares the vocabulary) and clip.tokenize output
    quoted in nishio/external_brain_in_markdown pages/CLIP.md ("a painting of a cat", "bozuman")."""
    tokenizer = _clip_bpe.tokenizer(CONFIGS / "sd1" / "tokenizer" / "tokenizer_config.json")
    assert tokenizer("a photo of a cat").input_ids == [49406, 320, 1125, 539, 320, 2368, 49407]
    assert tokenizer("a photo of a dog").input_ids == [49406, 320, 1125, 539, 320, 1929, 49407]
    assert tokenizer("a painting of a cat").input_ids == [49406, 320, 3086, 539, 320, 2368, 49407]
    assert tokenizer("bozuman").input_ids == [49406, 647, 4091, 786, 49407]
    assert (tokenizer.bos_token_id, tokenizer.eos_token_id, len(tokenizer)) == (49406, 49407, 49408)
    assert tokenizer.model_max_length == 77


@pytest.mark.parametrize("folder, pad", [("sd1/tokenizer", 49407), ("sd2/tokenizer", 0), ("sd2-v/tokenizer", 0),
                                         ("sdxl-base/tokenizer", 49407), ("sdxl-base/tokenizer_2", 0),
                                         ("sdxl-refiner/tokenizer_2", 0)])
def test_each_tokenizer_pads_as_its_text_encoder_was_trained(folder, pad):
    tokenizer = _clip_bpe.tokenizer(CONFIGS / folder / "tokenizer_config.json")
    ids = tokenizer("a cat", padding="max_length", max_length=77).input_ids
    assert ids[:4] == [49406, 320, 2368, 49407] and set(ids[4:]) == {pad} and len(ids) == 77


def test_a_changed_vocabulary_file_is_refused(tmp_path, monkeypatch):
    changed = tmp_path / _clip_bpe.VOCAB_FILE
    changed.write_bytes(_clip_bpe.bpe_file().read_bytes() + b"\0")
    monkeypatch.setattr(_clip_bpe, "bpe_file", lambda: changed)
    _clip_bpe.vocab_and_merges.cache_clear()
    try:
        with pytest.raises(ValueError, match="SHA-256"):
            _clip_bpe.vocab_and_merges()
    finally:
        _clip_bpe.vocab_and_merges.cache_clear()


# ---------------------------------------------------------------------------------------------
# the configurations are what the script derives


def test_the_shipped_configurations_are_the_derived_ones(tmp_path):
    builder.main(["--out", str(tmp_path)])
    for family in builder.FAMILIES:
        made = sorted(p.relative_to(tmp_path) for p in (tmp_path / family).rglob("*") if p.is_file())
        shipped = sorted(p.relative_to(CONFIGS) for p in (CONFIGS / family).rglob("*") if p.is_file())
        assert made == shipped
        for rel in made:
            assert (tmp_path / rel).read_bytes() == (CONFIGS / rel).read_bytes(), rel


# ---------------------------------------------------------------------------------------------
# every key of a real-layout checkpoint lands on a parameter of the same shape


def _clip_l_ldm(prefix: str, width: int, layers: int) -> dict:
    """transformers' CLIPTextModel layout, as SD 1.x and SDXL checkpoints keep CLIP ViT-L/14."""
    t = {f"{prefix}embeddings.token_embedding.weight": [49408, width],
         f"{prefix}embeddings.position_embedding.weight": [77, width],
         f"{prefix}final_layer_norm.weight": [width], f"{prefix}final_layer_norm.bias": [width]}
    for i in range(layers):
        p = f"{prefix}encoder.layers.{i}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            t |= {f"{p}self_attn.{proj}.weight": [width, width], f"{p}self_attn.{proj}.bias": [width]}
        for norm in ("layer_norm1", "layer_norm2"):
            t |= {f"{p}{norm}.weight": [width], f"{p}{norm}.bias": [width]}
        t |= {f"{p}mlp.fc1.weight": [4 * width, width], f"{p}mlp.fc1.bias": [4 * width],
              f"{p}mlp.fc2.weight": [width, 4 * width], f"{p}mlp.fc2.bias": [width]}
    return t


def _open_clip_ldm(prefix: str, width: int, layers: int, embed: int) -> dict:
    """open_clip's text tower layout (token_embedding, positional_embedding, transformer.resblocks,
    ln_final, text_projection, logit_scale), as SD 2.x and SDXL checkpoints keep it."""
    t = {f"{prefix}token_embedding.weight": [49408, width], f"{prefix}positional_embedding": [77, width],
         f"{prefix}ln_final.weight": [width], f"{prefix}ln_final.bias": [width],
         f"{prefix}text_projection": [width, embed], f"{prefix}logit_scale": []}
    for i in range(layers):
        p = f"{prefix}transformer.resblocks.{i}."
        t |= {f"{p}ln_1.weight": [width], f"{p}ln_1.bias": [width], f"{p}ln_2.weight": [width],
              f"{p}ln_2.bias": [width], f"{p}attn.in_proj_weight": [3 * width, width],
              f"{p}attn.in_proj_bias": [3 * width], f"{p}attn.out_proj.weight": [width, width],
              f"{p}attn.out_proj.bias": [width], f"{p}mlp.c_fc.weight": [4 * width, width],
              f"{p}mlp.c_fc.bias": [4 * width], f"{p}mlp.c_proj.weight": [width, 4 * width],
              f"{p}mlp.c_proj.bias": [width]}
    return t


#: family -> (text encoders: (component, LDM layout, its prefix)); widths/layers are the facts of [OC]
TEXT = {
    "sd1": [("text_encoder", _clip_l_ldm("cond_stage_model.transformer.text_model.", 768, 12),
             "cond_stage_model.transformer.text_model.")],
    "sd2": [("text_encoder", _open_clip_ldm("cond_stage_model.model.", 1024, 24, 1024), "cond_stage_model.model.")],
    "sdxl-base": [("text_encoder", _clip_l_ldm("conditioner.embedders.0.transformer.text_model.", 768, 12),
                   "conditioner.embedders.0.transformer.text_model."),
                  ("text_encoder_2", _open_clip_ldm("conditioner.embedders.1.model.", 1280, 32, 1280),
                   "conditioner.embedders.1.model.")],
    "sdxl-refiner": [("text_encoder_2", _open_clip_ldm("conditioner.embedders.0.model.", 1280, 32, 1280),
                      "conditioner.embedders.0.model.")],
}
TEXT["sd2-v"] = TEXT["sd2"]


def _meta(shapes: dict) -> dict:
    return {k: torch.empty(v, device="meta") for k, v in shapes.items()}


def _shapes(state: dict) -> dict:
    return {k: list(v.shape) for k, v in state.items()}


def _models(family: str):
    from accelerate import init_empty_weights
    from diffusers import AutoencoderKL, UNet2DConditionModel
    import transformers

    folder = CONFIGS / family
    with init_empty_weights():
        unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(folder / "unet"))
        vae = AutoencoderKL.from_config(AutoencoderKL.load_config(folder / "vae"))
        texts = {}
        for component, *_ in TEXT[family]:
            config = transformers.CLIPTextConfig.from_pretrained(folder / component)
            texts[component] = getattr(transformers, config.architectures[0])(config)
    return unet, vae, texts


@pytest.mark.parametrize("family", builder.FAMILIES)
def test_a_real_layout_checkpoint_loads_into_the_shipped_configuration(family):
    from diffusers.loaders.single_file_utils import (convert_ldm_clip_checkpoint, convert_ldm_unet_checkpoint,
                                                     convert_ldm_vae_checkpoint, convert_open_clip_checkpoint)

    unet, vae, texts = _models(family)
    unet_shapes, vae_shapes = _shapes(unet.state_dict()), _shapes(vae.state_dict())
    header = {f"model.diffusion_model.{k}": v for k, v in fixtures.unet_to_ldm(unet_shapes, unet.config).items()}
    header |= {f"first_stage_model.{k}": list(v.shape)
               for k, v in fixtures.vae_to_ldm(_meta(vae_shapes), vae.config).items()}
    for _, layout, _ in TEXT[family]:
        header |= layout
    if family == "sd2":
        header["__metadata__"] = {"modelspec.architecture": "stable-diffusion-v2-512"}

    # (a) the header is recognised as the family
    entries = {k: v if k == "__metadata__" else {"dtype": "F16", "shape": v, "data_offsets": [0, 0]}
               for k, v in header.items()}
    recognised = _single_file.family(entries, Path(f"{family}.safetensors"))
    assert recognised.name == family and recognised.pipeline == json.loads(
        (CONFIGS / family / "model_index.json").read_text())["_class_name"]

    # (b) diffusers' conversion gives every parameter with its shape, and nothing else
    checkpoint = _meta({k: v for k, v in header.items() if k != "__metadata__"})
    assert _shapes(convert_ldm_unet_checkpoint(checkpoint, dict(unet.config))) == unet_shapes
    assert _shapes(convert_ldm_vae_checkpoint(checkpoint, dict(vae.config))) == vae_shapes
    for component, layout, prefix in TEXT[family]:
        model = texts[component]
        wrapped = hasattr(model, "text_model")
        if "transformer.text_model." in prefix:  # transformers' layout: the prefix is taken off
            converted = convert_ldm_clip_checkpoint(checkpoint)
        else:
            converted = convert_open_clip_checkpoint(model, checkpoint, prefix=prefix)
        if not wrapped:
            converted = {k.removeprefix("text_model."): v for k, v in converted.items()}
        assert _shapes(converted) == _shapes(model.state_dict()), component


def test_the_sdxl_refiner_loads_as_the_img2img_pipeline():
    index = json.loads((CONFIGS / "sdxl-refiner" / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionXLImg2ImgPipeline" and index["requires_aesthetics_score"]
    assert index["text_encoder"] == [None, None] and index["text_encoder_2"][1] == "CLIPTextModelWithProjection"
