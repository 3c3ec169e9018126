"""Builders for the model-library tests: tiny safetensors files written by hand, and tool trees."""

from __future__ import annotations

import json
import struct
from pathlib import Path

#: Tensor names that show each kind (as the tools that make such files name them).
NAMES = {
    "checkpoint": ["model.diffusion_model.input_blocks.0.0.weight", "cond_stage_model.transformer.text_model.x",
                   "first_stage_model.encoder.conv_in.weight"],
    "lora": ["lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight",
             "lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight", "lora_te_text_model_x.alpha"],
    "lycoris": ["lora_unet_down_blocks_0_attentions_0_proj_in.hada_w1_a",
                "lora_unet_down_blocks_0_attentions_0_proj_in.hada_w1_b"],
    "vae": ["encoder.conv_in.weight", "decoder.conv_out.weight"],
    "embedding": ["emb_params"],
}


def safetensors_bytes(names, *, data: bytes = b"\x00" * 32, metadata: dict | None = None,
                      shapes: dict | None = None) -> bytes:
    header = {name: {"dtype": "F32", "shape": list((shapes or {}).get(name, [1])), "data_offsets": [0, 4]}
              for name in names}
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def write_safetensors(path: Path, names, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(safetensors_bytes(names, **options))
    return path


def a1111_tree(root: Path) -> dict[str, Path]:
    """An A1111/Forge root with one file per model folder, plus things a scan must skip."""
    files = {
        "checkpoint": write_safetensors(root / "models" / "Stable-diffusion" / "dream.safetensors", NAMES["checkpoint"]),
        "lora": write_safetensors(root / "models" / "Lora" / "style" / "inkwash.safetensors", NAMES["lora"],
                                  data=b"\x01" * 40),
        "lycoris": write_safetensors(root / "models" / "LyCORIS" / "loha.safetensors", NAMES["lycoris"]),
        "vae": write_safetensors(root / "models" / "VAE" / "kl-f8.safetensors", NAMES["vae"]),
        "embedding": write_safetensors(root / "embeddings" / "easyneg.safetensors", NAMES["embedding"],
                                       shapes={"emb_params": [8, 768]}),
    }
    (root / "models" / "ESRGAN").mkdir(parents=True)
    files["upscaler"] = root / "models" / "ESRGAN" / "4x.pth"
    files["upscaler"].write_bytes(b"PK\x03\x04 not unpickled" * 10)
    (root / "venv" / "lib").mkdir(parents=True)  # a tool root's other folders are not walked
    write_safetensors(root / "venv" / "lib" / "stray.safetensors", NAMES["vae"])
    (root / "models" / "Lora" / "inkwash.png").write_bytes(b"\x89PNG preview")  # not a model file
    return files


def comfy_tree(root: Path) -> dict[str, Path]:
    return {
        "checkpoint": write_safetensors(root / "models" / "checkpoints" / "sdxl.safetensors",
                                        [*NAMES["checkpoint"], "conditioner.embedders.1.model.x"]),
        "lora": write_safetensors(root / "models" / "loras" / "detail.safetensors", NAMES["lora"]),
        "vae": write_safetensors(root / "models" / "vae" / "ae.safetensors", NAMES["vae"]),
        "embedding": write_safetensors(root / "models" / "embeddings" / "neg.safetensors", ["clip_l", "clip_g"]),
        "upscaler": write_safetensors(root / "models" / "upscale_models" / "4x.safetensors", ["conv_first.weight"]),
    }
