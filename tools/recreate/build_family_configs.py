#!/usr/bin/env python3
"""Derive the diffusers configuration folders of the single-file checkpoint families.

A single-file checkpoint (A1111/ComfyUI's ``.safetensors``) holds weights, not architecture.
``aigif/_recreate/_single_file.py`` recognises its family from the header and loads it with
``from_single_file(config=<folder>, local_files_only=True)``; this script writes those folders,
``aigif/_recreate/configs/<family>/``, for ``sd1``, ``sd2`` (512, epsilon), ``sd2-v`` (768,
v-prediction), ``sdxl-base`` and ``sdxl-refiner``.

Nothing is remembered from diffusers-format repositories on the Hub. Every number comes from the
original inference configurations (quoted below, with their source) or from the text encoders'
architecture facts, and goes through diffusers' own converters
(``create_unet_diffusers_config_from_ldm``, ``create_vae_diffusers_config_from_ldm``) and
transformers' ``CLIPTextConfig``; each model is then instantiated on the meta device and its
resolved configuration saved, so the files hold every default of the installed versions.

Sources (read through the project's ``search``/``read_file`` tools):

* [V1]  CompVis/stable-diffusion @ 36de52cb, configs/stable-diffusion/v1-inference.yaml
* [V2]  Stability-AI/stablediffusion @ cf1d67a6, configs/stable-diffusion/v2-inference.yaml and
        v2-inference-v.yaml (identical but for ``parameterization: "v"``); ldm/modules/encoders/modules.py
        (FrozenOpenCLIPEmbedder: ViT-H-14, ``penultimate`` = the last of 24 blocks is skipped, then ln_final)
* [XLB] Stability-AI/generative-models @ 3df5c81a, configs/inference/sd_xl_base.yaml
* [XLR] Stability-AI/generative-models @ 07bf8251, configs/inference/sd_xl_refiner.yaml
* [DIS] Stability-AI/generative-models @ 0ad7de9a, sgm/modules/diffusionmodules/discretizer.py:
        ``LegacyDDPMDiscretization(linear_start=0.00085, linear_end=0.0120, num_timesteps=1000)``, the
        schedule of both SDXL configurations (they set no values of their own)
* [SMP] same, scripts/demo/sampling.py: SDXL-base-1.0 ``is_legacy: False`` -> the unconditional text
        embedding is forced to zeros (``force_uc_zero_embeddings=["txt"]``) when there is no negative
        prompt; SDXL-refiner-1.0 ``is_legacy: True`` -> not
* [OC]  mlfoundations/open_clip (open_clip_torch 3.3.0 wheel, MIT): model_configs/ViT-L-14.json
        (text: width 768, heads 12, layers 12, embed_dim 768), ViT-H-14.json (text: width 1024, heads
        16, layers 24, embed_dim 1024), ViT-bigG-14.json (text: width 1280, heads 20, layers 32,
        embed_dim 1280); all: context_length 77, vocab_size 49408; model.py: ``CLIPTextCfg.mlp_ratio
        = 4.0``, activation ``nn.GELU`` unless ``quick_gelu`` (the OpenAI-trained weights, ViT-L/14,
        use QuickGELU); tokenizer.py: ``tokenize`` pads with 0 (the token ``!``)
* [MS]  Stability-AI/ModelSpec README: ``modelspec.architecture`` ids (``stable-diffusion-v2-512``,
        ``stable-diffusion-v2-768-v``, ...) and ``modelspec.prediction_type`` (``v`` | ``epsilon``)
* [DF]  diffusers 0.42 ``loaders/single_file_utils.py``: ``DIFFUSERS_TO_LDM_DEFAULT_IMAGE_SIZE_MAP``
        (v1 512, v2 768, xl 1024) and ``SCHEDULER_DEFAULT_CONFIG`` (the base of a scheduler made
        from an LDM configuration); SD 2 512-base's image size, 512, is its name ([V2] README,
        "SD 2.0-base ... 512x512")

Deterministic: the same installed diffusers/transformers give byte-identical files
(tests/recreate/test_family_configs.py rebuilds them and compares).

Usage: python tools/recreate/build_family_configs.py [--out DIR]   (default: the package's configs)
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
import warnings
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIGS = REPO_ROOT / "aigif" / "_recreate" / "configs"
FAMILIES = ("sd1", "sd2", "sd2-v", "sdxl-base", "sdxl-refiner")

# ---------------------------------------------------------------------------------------------
# The original inference configurations: only what the converters read, values as in the source.

_SD_VAE = {"double_z": True, "z_channels": 4, "in_channels": 3, "out_ch": 3, "ch": 128, "ch_mult": [1, 2, 4, 4],
           "num_res_blocks": 2, "attn_resolutions": [], "dropout": 0.0}  # [V1] [V2] [XLB] [XLR] ddconfig

V1 = {"model": {"params": {  # [V1]
    "linear_start": 0.00085, "linear_end": 0.0120, "timesteps": 1000, "scale_factor": 0.18215,
    "unet_config": {"params": {"in_channels": 4, "out_channels": 4, "model_channels": 320,
                               "attention_resolutions": [4, 2, 1], "num_res_blocks": 2, "channel_mult": [1, 2, 4, 4],
                               "num_heads": 8, "use_spatial_transformer": True, "transformer_depth": 1,
                               "context_dim": 768, "legacy": False}},
    "first_stage_config": {"params": {"embed_dim": 4, "ddconfig": dict(_SD_VAE)}},
}}}

V2 = {"model": {"params": {  # [V2] v2-inference.yaml; v2-inference-v.yaml adds parameterization: "v"
    "linear_start": 0.00085, "linear_end": 0.0120, "timesteps": 1000, "scale_factor": 0.18215,
    "unet_config": {"params": {"in_channels": 4, "out_channels": 4, "model_channels": 320,
                               "attention_resolutions": [4, 2, 1], "num_res_blocks": 2, "channel_mult": [1, 2, 4, 4],
                               "num_head_channels": 64, "use_spatial_transformer": True,
                               "use_linear_in_transformer": True, "transformer_depth": 1, "context_dim": 1024,
                               "legacy": False}},
    "first_stage_config": {"params": {"embed_dim": 4, "ddconfig": dict(_SD_VAE)}},
}}}
V2_V = copy.deepcopy(V2)
V2_V["model"]["params"]["parameterization"] = "v"

XL_BASE = {"model": {"params": {  # [XLB]; schedule from [DIS]
    "scale_factor": 0.13025,
    "network_config": {"params": {"adm_in_channels": 2816, "num_classes": "sequential", "in_channels": 4,
                                  "out_channels": 4, "model_channels": 320, "attention_resolutions": [4, 2],
                                  "num_res_blocks": 2, "channel_mult": [1, 2, 4], "num_head_channels": 64,
                                  "use_spatial_transformer": True, "use_linear_in_transformer": True,
                                  "transformer_depth": [1, 2, 10], "context_dim": 2048, "legacy": False}},
    "first_stage_config": {"params": {"embed_dim": 4, "ddconfig": dict(_SD_VAE)}},
}}}

XL_REFINER = {"model": {"params": {  # [XLR]; schedule from [DIS]
    "scale_factor": 0.13025,
    "network_config": {"params": {"adm_in_channels": 2560, "num_classes": "sequential", "in_channels": 4,
                                  "out_channels": 4, "model_channels": 384, "attention_resolutions": [4, 2],
                                  "num_res_blocks": 2, "channel_mult": [1, 2, 4, 4], "num_head_channels": 64,
                                  "use_linear_in_transformer": True, "transformer_depth": 4,
                                  "context_dim": [1280, 1280, 1280, 1280]}},
    "first_stage_config": {"params": {"embed_dim": 4, "ddconfig": dict(_SD_VAE)}},
}}}

SGM_SCHEDULE = {"linear_start": 0.00085, "linear_end": 0.0120, "timesteps": 1000}  # [DIS]

# Text encoders [OC]. SD 2.x takes the penultimate of ViT-H's 24 blocks, then ln_final ([V2]): a
# 23-block CLIPTextModel. SDXL takes hidden states [-2] of both encoders (``layer: hidden,
# layer_idx: 11`` and ``penultimate``, [XLB]) - diffusers' pipeline selects them - and the pooled,
# projected output of bigG's last block, so those keep every block.
CLIP_L = dict(hidden_size=768, num_attention_heads=12, num_hidden_layers=12, projection_dim=768,
              hidden_act="quick_gelu")
OPEN_CLIP_H = dict(hidden_size=1024, num_attention_heads=16, num_hidden_layers=24 - 1, projection_dim=1024,
                   hidden_act="gelu")
OPEN_CLIP_BIG_G = dict(hidden_size=1280, num_attention_heads=20, num_hidden_layers=32, projection_dim=1280,
                       hidden_act="gelu")
TEXT_COMMON = dict(vocab_size=49408, max_position_embeddings=77, layer_norm_eps=1e-5,  # [OC]; nn.LayerNorm's eps
                   bos_token_id=49406, eos_token_id=49407)  # the special tokens' ids (aigif/_recreate/_clip_bpe.py)
MLP_RATIO = 4  # [OC]

# Tokenizers: the shared CLIP BPE (aigif/_recreate/tokenizers/clip); padding with <|endoftext|>
# (OpenAI CLIP) or with "!" = id 0 (OpenCLIP's tokenize, [OC]).
PAD_OPENAI, PAD_OPENCLIP = "<|endoftext|>", "!"

#: family -> (pipeline, LDM configuration, image size [DF], prediction type, text encoders, scheduler class)
#: text encoders: (component suffix, class, architecture, pad token)
FAMILIES_SPEC = {
    "sd1": ("StableDiffusionPipeline", V1, 512, "epsilon", [("", "CLIPTextModel", CLIP_L, PAD_OPENAI)],
            "DDIMScheduler"),
    "sd2": ("StableDiffusionPipeline", V2, 512, "epsilon", [("", "CLIPTextModel", OPEN_CLIP_H, PAD_OPENCLIP)],
            "DDIMScheduler"),
    "sd2-v": ("StableDiffusionPipeline", V2_V, 768, "v_prediction",
              [("", "CLIPTextModel", OPEN_CLIP_H, PAD_OPENCLIP)], "DDIMScheduler"),
    "sdxl-base": ("StableDiffusionXLPipeline", XL_BASE, 1024, "epsilon",
                  [("", "CLIPTextModel", CLIP_L, PAD_OPENAI),
                   ("_2", "CLIPTextModelWithProjection", OPEN_CLIP_BIG_G, PAD_OPENCLIP)], "EulerDiscreteScheduler"),
    "sdxl-refiner": ("StableDiffusionXLImg2ImgPipeline", XL_REFINER, 1024, "epsilon",
                     [("_2", "CLIPTextModelWithProjection", OPEN_CLIP_BIG_G, PAD_OPENCLIP)], "EulerDiscreteScheduler"),
}


def _dump(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", "utf-8")


def _save_diffusers(model_or_scheduler, folder: Path) -> None:
    """The resolved configuration, as diffusers writes it, with sorted keys (so builds are identical)."""
    config = dict(model_or_scheduler.config)
    config = {"_class_name": type(model_or_scheduler).__name__, "_diffusers_version": _diffusers_version(),
              **{k: v for k, v in config.items() if not k.startswith("_")}}
    _dump(folder / ("scheduler_config.json" if folder.name == "scheduler" else "config.json"),
          json.loads(json.dumps(config, default=list)))


def _diffusers_version() -> str:
    import diffusers

    return diffusers.__version__


def unet_config(ldm: dict, image_size: int) -> dict:
    from diffusers.loaders.single_file_utils import create_unet_diffusers_config_from_ldm

    with warnings.catch_warnings():  # passing image_size is "deprecated"; the value is the family's fact
        warnings.simplefilter("ignore")
        return create_unet_diffusers_config_from_ldm(ldm, {}, image_size=image_size)


def vae_config(ldm: dict, image_size: int) -> dict:
    from diffusers.loaders.single_file_utils import create_vae_diffusers_config_from_ldm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return create_vae_diffusers_config_from_ldm(ldm, {}, image_size=image_size)


def scheduler_config(ldm: dict, prediction: str) -> dict:
    """diffusers' base scheduler configuration with the family's schedule ([V1]/[V2], [DIS] for SDXL).

    LDM's ``linear`` schedule is ``linspace(sqrt(start), sqrt(end))**2``, diffusers' ``scaled_linear``."""
    from diffusers.loaders.single_file_utils import SCHEDULER_DEFAULT_CONFIG

    params = ldm["model"]["params"]
    schedule = {k: params.get(k, SGM_SCHEDULE[k]) for k in SGM_SCHEDULE}
    config = dict(SCHEDULER_DEFAULT_CONFIG)
    config.update(beta_schedule="scaled_linear", beta_start=schedule["linear_start"], beta_end=schedule["linear_end"],
                  num_train_timesteps=schedule["timesteps"], prediction_type=prediction, clip_sample=False,
                  set_alpha_to_one=False)
    return config


def text_config(arch: dict, cls_name: str, pad_token_id: int):
    from transformers import CLIPTextConfig

    return CLIPTextConfig(**TEXT_COMMON, **arch, intermediate_size=MLP_RATIO * arch["hidden_size"],
                          pad_token_id=pad_token_id, architectures=[cls_name])


def tokenizer_config(pad: str) -> dict:
    return {"tokenizer_class": "CLIPTokenizer", "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
            "unk_token": "<|endoftext|>", "pad_token": pad, "model_max_length": 77,
            "vocabulary": "aigif/_recreate/tokenizers/clip/bpe_simple_vocab_16e6.txt.gz"}


def model_index(pipeline: str, encoders: list) -> dict:
    names = {suffix for suffix, *_ in encoders}
    index: dict = {"_class_name": pipeline, "_diffusers_version": _diffusers_version(),
                   "feature_extractor": [None, None], "image_encoder": [None, None],
                   "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"]}
    for suffix, cls_name, *_ in encoders:
        index[f"text_encoder{suffix}"] = ["transformers", cls_name]
        index[f"tokenizer{suffix}"] = ["transformers", "CLIPTokenizer"]
    if pipeline == "StableDiffusionPipeline":
        index |= {"safety_checker": [None, None], "requires_safety_checker": False}
    else:
        for suffix in ("", "_2"):
            if suffix not in names:
                index[f"text_encoder{suffix}"] = [None, None]
                index[f"tokenizer{suffix}"] = [None, None]
        index["force_zeros_for_empty_prompt"] = pipeline == "StableDiffusionXLPipeline"  # [SMP]
        if pipeline == "StableDiffusionXLImg2ImgPipeline":
            index["requires_aesthetics_score"] = True  # [XLR]: the aesthetic_score embedder
    return index


def build_family(name: str, out: Path) -> None:
    import diffusers
    from accelerate import init_empty_weights
    from diffusers import AutoencoderKL, UNet2DConditionModel

    pipeline, ldm, image_size, prediction, encoders, scheduler_cls = FAMILIES_SPEC[name]
    folder = out / name
    if folder.exists():
        shutil.rmtree(folder)
    with init_empty_weights():
        unet = UNet2DConditionModel.from_config(unet_config(ldm, image_size))
        vae = AutoencoderKL.from_config(vae_config(ldm, image_size))
    _save_diffusers(unet, folder / "unet")
    _save_diffusers(vae, folder / "vae")
    scheduler = getattr(diffusers, scheduler_cls).from_config(scheduler_config(ldm, prediction))
    _save_diffusers(scheduler, folder / "scheduler")
    for suffix, cls_name, arch, pad in encoders:
        pad_id = 49407 if pad == PAD_OPENAI else 0
        config = text_config(arch, cls_name, pad_id).to_dict()
        config.pop("transformers_version", None)  # the installed version, not a fact of the model
        _dump(folder / f"text_encoder{suffix}" / "config.json", config)
        _dump(folder / f"tokenizer{suffix}" / "tokenizer_config.json", tokenizer_config(pad))
    _dump(folder / "model_index.json", model_index(pipeline, encoders))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CONFIGS, help="the configs folder (each family's is replaced)")
    parser.add_argument("families", nargs="*", default=list(FAMILIES))
    args = parser.parse_args(argv)
    for name in args.families:
        build_family(name, args.out)
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
