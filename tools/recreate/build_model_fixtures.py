#!/usr/bin/env python3
"""Build tiny model files in the formats users actually have, from the built-in tiny-sd.

Recreation must load what A1111, Forge and ComfyUI users keep on disk: single-file checkpoints in
the original LDM/CompVis key layout, LoRAs in kohya's and in diffusers/PEFT's layout, A1111
textual-inversion embeddings and separate VAE files. Real ones are gigabytes and cannot be
downloaded here, so this script makes tiny ones from ``aigif/_recreate/models/tiny-sd``:

* ``tiny-sd-ldm.safetensors``: the tiny-sd pipeline as one LDM checkpoint (``model.diffusion_model.*``,
  ``first_stage_model.*``, ``cond_stage_model.transformer.*``); the same weights, so it must recreate
  the same pixels as the diffusers folder. The key mapping (diffusers -> LDM) is written here and
  checked against diffusers' own LDM -> diffusers conversion: the round trip must give back every
  tensor bit for bit, or the build fails.
* ``tiny-vae-warm.safetensors``: the tiny VAE in LDM layout (``encoder.*``, ``decoder.*``) with its
  decoder's output layer perturbed, so that using it changes the image.
* ``tiny-lora-kohya.safetensors`` (UNet and text encoder, ``lora_unet_*``/``lora_te_*`` with
  ``lora_down``/``lora_up``/``alpha``), ``tiny-lora-kohya-unet.safetensors`` (UNet only), and
  ``tiny-lora-peft.safetensors`` (diffusers/PEFT layout, ``unet.*.lora_A/lora_B``).
* ``tinyemb.safetensors``: an A1111 embedding (``emb_params``, 3 vectors of the text encoder's width 64).

They are laid out in an A1111 tree (``a1111/models/Stable-diffusion``, ``models/Lora``,
``models/VAE``, ``embeddings``) and a ComfyUI tree (``comfyui/models/checkpoints``, ``models/loras``,
``models/vae``, ``models/embeddings``); the second tree hard-links the first's files where it can.

Deterministic: random values are integers from a seeded ``torch.Generator`` (Mersenne Twister, the
same on every platform) scaled exactly to float32; tensors are written in sorted key order with
fixed metadata, so two builds are byte-identical (tests/recreate/test_model_fixtures.py checks).

Usage: python tools/recreate/build_model_fixtures.py --out DIR   (prints the SHA-256 of every file)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY = REPO_ROOT / "aigif" / "_recreate" / "models" / "tiny-sd"
SEED = 20250715
METADATA = {"format": "pt"}

CHECKPOINT = "tiny-sd-ldm.safetensors"
VAE = "tiny-vae-warm.safetensors"
LORA_KOHYA = "tiny-lora-kohya.safetensors"
LORA_KOHYA_UNET = "tiny-lora-kohya-unet.safetensors"
LORA_PEFT = "tiny-lora-peft.safetensors"
EMBEDDING = "tinyemb.safetensors"

#: kind -> (A1111 folder, ComfyUI folder), relative to the tree's root
TREES = {
    "checkpoint": ("models/Stable-diffusion", "models/checkpoints"),
    "vae": ("models/VAE", "models/vae"),
    "lora": ("models/Lora", "models/loras"),
    "embedding": ("embeddings", "models/embeddings"),
}
FILES = {CHECKPOINT: "checkpoint", VAE: "vae", LORA_KOHYA: "lora", LORA_KOHYA_UNET: "lora", LORA_PEFT: "lora",
         EMBEDDING: "embedding"}


# ---------------------------------------------------------------------------------------------
# diffusers -> LDM key layout


def _resnet_unet(rest: str) -> str:
    for new, old in (("norm1", "in_layers.0"), ("conv1", "in_layers.2"), ("norm2", "out_layers.0"),
                     ("conv2", "out_layers.3"), ("time_emb_proj", "emb_layers.1"), ("conv_shortcut", "skip_connection")):
        if rest.startswith(new + "."):
            return old + rest[len(new):]
    raise KeyError(rest)


def unet_to_ldm(state: dict, config: dict) -> dict:
    """The UNet's diffusers keys in the LDM layout (``input_blocks``, ``middle_block``, ``output_blocks``)."""
    per = config["layers_per_block"] + 1
    fixed = {"time_embedding.linear_1": "time_embed.0", "time_embedding.linear_2": "time_embed.2",
             "conv_in": "input_blocks.0.0", "conv_norm_out": "out.0", "conv_out": "out.2",
             # SDXL's size/crop/aesthetic conditioning (``num_classes: sequential``, ``adm_in_channels``)
             "add_embedding.linear_1": "label_emb.0.0", "add_embedding.linear_2": "label_emb.0.2"}
    up_has_attention = ["CrossAttn" in kind for kind in config["up_block_types"]]
    out = {}
    for key, value in state.items():
        head, _, leaf = key.rpartition(".")
        if head in fixed:
            out[f"{fixed[head]}.{leaf}"] = value
            continue
        if m := re.fullmatch(r"down_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)", key):
            block, part, layer, rest = int(m[1]), m[2], int(m[3]), m[4]
            index = block * per + layer + 1
            new = f"input_blocks.{index}.0.{_resnet_unet(rest)}" if part == "resnets" else f"input_blocks.{index}.1.{rest}"
        elif m := re.fullmatch(r"down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)", key):
            new = f"input_blocks.{(int(m[1]) + 1) * per}.0.op.{m[2]}"
        elif m := re.fullmatch(r"mid_block\.resnets\.(\d+)\.(.+)", key):
            new = f"middle_block.{2 * int(m[1])}.{_resnet_unet(m[2])}"
        elif m := re.fullmatch(r"mid_block\.attentions\.0\.(.+)", key):
            new = f"middle_block.1.{m[1]}"
        elif m := re.fullmatch(r"up_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)", key):
            block, part, layer, rest = int(m[1]), m[2], int(m[3]), m[4]
            index = block * per + layer
            new = f"output_blocks.{index}.0.{_resnet_unet(rest)}" if part == "resnets" else f"output_blocks.{index}.1.{rest}"
        elif m := re.fullmatch(r"up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)", key):
            block = int(m[1])
            new = f"output_blocks.{block * per + per - 1}.{2 if up_has_attention[block] else 1}.conv.{m[2]}"
        else:
            raise KeyError(f"no LDM name for UNet key {key}")
        out[new] = value
    return out


def vae_to_ldm(state: dict, config: dict) -> dict:
    """The VAE's diffusers keys in the LDM layout (``down.N.block.M``, ``mid.attn_1`` with 1x1-conv q/k/v)."""
    blocks = len(config["up_block_types"])
    fixed = {"encoder.conv_norm_out": "encoder.norm_out", "decoder.conv_norm_out": "decoder.norm_out"}
    attention = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}
    out = {}
    for key, value in state.items():
        head, _, leaf = key.rpartition(".")
        if m := re.fullmatch(r"(encoder|decoder)\.mid_block\.attentions\.0\.(.+)", head):
            new = f"{m[1]}.mid.attn_1.{attention[m[2]]}.{leaf}"
            if value.ndim == 2:
                value = value[:, :, None, None]  # LDM's attention is 1x1 convolutions
        elif m := re.fullmatch(r"(encoder|decoder)\.mid_block\.resnets\.(\d+)\.(.+)", key):
            new = f"{m[1]}.mid.block_{int(m[2]) + 1}.{m[3].replace('conv_shortcut', 'nin_shortcut')}"
        elif m := re.fullmatch(r"encoder\.down_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key):
            new = f"encoder.down.{m[1]}.block.{m[2]}.{m[3].replace('conv_shortcut', 'nin_shortcut')}"
        elif m := re.fullmatch(r"encoder\.down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)", key):
            new = f"encoder.down.{m[1]}.downsample.conv.{m[2]}"
        elif m := re.fullmatch(r"decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key):
            new = f"decoder.up.{blocks - 1 - int(m[1])}.block.{m[2]}.{m[3].replace('conv_shortcut', 'nin_shortcut')}"
        elif m := re.fullmatch(r"decoder\.up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)", key):
            new = f"decoder.up.{blocks - 1 - int(m[1])}.upsample.conv.{m[2]}"
        else:
            new = f"{fixed.get(head, head)}.{leaf}"  # conv_in, conv_out, quant_conv, post_quant_conv
        out[new] = value
    return out


def _check_round_trip(ldm: dict, unet: dict, vae: dict, unet_config: dict, vae_config: dict) -> None:
    """diffusers' own LDM -> diffusers conversion must give back every tensor bit for bit."""
    import torch
    from diffusers.loaders.single_file_utils import convert_ldm_unet_checkpoint, convert_ldm_vae_checkpoint

    for name, back, original in (("unet", convert_ldm_unet_checkpoint(ldm, unet_config), unet),
                                 ("vae", convert_ldm_vae_checkpoint(ldm, vae_config), vae)):
        if set(back) != set(original):
            raise SystemExit(f"{name}: round trip keys differ: {sorted(set(back) ^ set(original))[:5]}")
        bad = [k for k in original if not (back[k].shape == original[k].shape and torch.equal(back[k], original[k]))]
        if bad:
            raise SystemExit(f"{name}: round trip values differ: {bad[:5]}")


# ---------------------------------------------------------------------------------------------
# random values, the same on every platform


class Values:
    """Uniform values in (-scale, scale) from a seeded Mersenne Twister, as exact float32 multiples of 2^-23."""

    def __init__(self, seed: int):
        import torch

        self.generator = torch.Generator("cpu").manual_seed(seed)

    def __call__(self, *shape: int, scale: float = 1.0):
        import torch

        ints = torch.randint(-(2 ** 23), 2 ** 23, shape, generator=self.generator, dtype=torch.int64)
        return (ints.to(torch.float64) * (scale / 2 ** 23)).to(torch.float32).contiguous()


# ---------------------------------------------------------------------------------------------
# the files


def _load(path: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(path))


def _save(tensors: dict, path: Path, metadata: dict | None = None) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: tensors[k].contiguous() for k in sorted(tensors)}, str(path), metadata=metadata or METADATA)


def _lora_targets(unet: dict, text_encoder: dict) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """(module, in, out) of the attention projections a kohya LoRA trains, in the UNet and the text encoder."""
    unet_modules = [(k[:-len(".weight")], v.shape[1], v.shape[0]) for k, v in sorted(unet.items())
                    if re.search(r"attn[12]\.(to_q|to_k|to_v|to_out\.0)\.weight$", k)]
    text_modules = [(k[:-len(".weight")], v.shape[1], v.shape[0]) for k, v in sorted(text_encoder.items())
                    if re.search(r"self_attn\.(q_proj|k_proj|v_proj|out_proj)\.weight$", k)]
    return unet_modules, text_modules


def kohya_lora(values: Values, unet_modules, text_modules, rank: int = 4, alpha: float = 2.0) -> dict:
    """kohya/A1111 layout: ``lora_unet_<module path with _>.lora_down.weight`` and ``lora_te_text_model_...``."""
    import torch

    out = {}
    for prefix, modules in (("lora_unet_", unet_modules), ("lora_te_text_model_", text_modules)):
        for module, fan_in, fan_out in modules:
            name = prefix + module.replace(".", "_")
            out[f"{name}.lora_down.weight"] = values(rank, fan_in, scale=0.5)
            out[f"{name}.lora_up.weight"] = values(fan_out, rank, scale=0.5)
            out[f"{name}.alpha"] = torch.tensor(alpha, dtype=torch.float32)
    return out


def peft_lora(values: Values, unet_modules, rank: int = 4) -> dict:
    """diffusers/PEFT layout: ``unet.<module>.lora_A.weight`` / ``lora_B.weight`` (alpha = rank)."""
    out = {}
    for module, fan_in, fan_out in unet_modules:
        out[f"unet.{module}.lora_A.weight"] = values(rank, fan_in, scale=0.3)
        out[f"unet.{module}.lora_B.weight"] = values(fan_out, rank, scale=0.3)
    return out


def build(out: Path) -> dict[str, str]:
    """Write both trees under ``out``; return {relative path: SHA-256}."""
    import torch

    unet = _load(TINY / "unet" / "diffusion_pytorch_model.safetensors")
    vae = _load(TINY / "vae" / "diffusion_pytorch_model.safetensors")
    text = _load(TINY / "text_encoder" / "model.safetensors")
    unet_config = json.loads((TINY / "unet" / "config.json").read_text("utf-8"))
    vae_config = json.loads((TINY / "vae" / "config.json").read_text("utf-8"))
    values = Values(SEED)

    checkpoint = {f"model.diffusion_model.{k}": v for k, v in unet_to_ldm(unet, unet_config).items()}
    checkpoint |= {f"first_stage_model.{k}": v for k, v in vae_to_ldm(vae, vae_config).items()}
    checkpoint |= {f"cond_stage_model.transformer.text_model.{k}": v for k, v in text.items()}
    _check_round_trip(checkpoint, unet, vae, unet_config, vae_config)

    warm = dict(vae)
    for key in ("decoder.conv_out.weight", "decoder.conv_out.bias"):
        warm[key] = (vae[key] * 1.5 + values(*vae[key].shape, scale=0.05)).to(torch.float32)
    unet_modules, text_modules = _lora_targets(unet, text)
    made = {
        CHECKPOINT: checkpoint,
        VAE: vae_to_ldm(warm, vae_config),
        LORA_KOHYA: kohya_lora(values, unet_modules, text_modules),
        LORA_KOHYA_UNET: kohya_lora(values, unet_modules, []),
        LORA_PEFT: peft_lora(values, unet_modules),
        EMBEDDING: {"emb_params": values(3, text["embeddings.token_embedding.weight"].shape[1], scale=0.05)},
    }
    if out.exists():
        shutil.rmtree(out)
    for index, tree in enumerate(("a1111", "comfyui")):
        for name, tensors in made.items():
            target = out / tree / TREES[FILES[name]][index] / name
            first = out / "a1111" / TREES[FILES[name]][0] / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if index:
                try:
                    os.link(first, target)  # the same bytes, stored once
                except OSError:
                    shutil.copyfile(first, target)
            else:
                _save(tensors, target)
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder (replaced)")
    args = parser.parse_args(argv)
    print(json.dumps(build(args.out), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
