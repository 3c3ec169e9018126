"""What a model file is: its kind (checkpoint, LoRA, ...), its format and, where it shows, its family.

Two witnesses, the header first: a ``.safetensors`` header lists the tensors' names, and each kind
names its tensors its own way (the rules of ``HEADER_RULES``, first match wins). A file the header
does not settle (a pickle file, an upscaler, an unusual layout) takes the kind of the nearest
folder with a known name (``FOLDER_KINDS``: the folders of A1111/Forge and ComfyUI); else it is
``unknown``. Pickle files (``.ckpt``, ``.pt``, ``.pth``, ``.bin``) are listed but never opened
beyond hashing their bytes: unpickling runs code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from pathlib import PurePath

from ._safetensors import Header

__all__ = ["KINDS", "FOLDER_KINDS", "FORMATS", "file_format", "folder_kind", "header_kind", "family", "hub_repo"]

KINDS = ("checkpoint", "lora", "lycoris", "vae", "embedding", "upscaler", "unknown")

#: Folder names (compared in lower case) of A1111/Forge (models/Stable-diffusion, models/Lora,
#: models/LyCORIS, models/VAE, embeddings, models/ESRGAN, models/RealESRGAN) and ComfyUI
#: (models/checkpoints, models/loras, models/vae, models/embeddings, models/upscale_models).
FOLDER_KINDS = {
    "stable-diffusion": "checkpoint", "checkpoints": "checkpoint",
    "lora": "lora", "loras": "lora",
    "lycoris": "lycoris",
    "vae": "vae",
    "embeddings": "embedding",
    "esrgan": "upscaler", "realesrgan": "upscaler", "upscale_models": "upscaler",
}

#: File name endings of model files, and their format.
FORMATS = {".safetensors": "safetensors", ".ckpt": "pickle", ".pt": "pickle", ".pth": "pickle", ".bin": "pickle"}


def file_format(name: str) -> str | None:
    """``safetensors``, ``pickle``, or None for a file that is not a model file."""
    return FORMATS.get(PurePath(name).suffix.lower())


def folder_kind(path: PurePath) -> str | None:
    """The kind of the nearest enclosing folder with a known name, if any."""
    for part in reversed(path.parent.parts):
        kind = FOLDER_KINDS.get(part.lower())
        if kind is not None:
            return kind
    return None


def _any(names: Collection[str], *, starts: tuple[str, ...] = (), contains: tuple[str, ...] = ()) -> bool:
    return any(name.startswith(starts) or any(part in name for part in contains) for name in names)


Rule = Callable[[Collection[str]], bool]

#: (kind, test on the tensor names), first match wins: LyCORIS before LoRA (LoHa and LoKr tensors
#: live under the same ``lora_unet_`` prefixes), embeddings before checkpoints.
HEADER_RULES: tuple[tuple[str, Rule], ...] = (
    ("lycoris", lambda names: _any(names, contains=("hada_", "lokr_", ".oft_", "oft_blocks"))),
    ("lora", lambda names: _any(names, starts=("lora_unet_", "lora_te"),
                                contains=(".lora_down.", ".lora_up.", ".lora_A.", ".lora_B.", ".lora.down."))),
    ("embedding", lambda names: "emb_params" in names or {"clip_l", "clip_g"} <= set(names)
     or _any(names, starts=("string_to_param",))),
    ("checkpoint", lambda names: _any(names, starts=("model.diffusion_model.",))),
    ("vae", lambda names: _any(names, starts=("encoder.",)) and _any(names, starts=("decoder.",))),
)


def header_kind(header: Header) -> str | None:
    """The kind the tensor names show, or None when no rule matches."""
    names = header.shapes.keys()
    return next((kind for kind, rule in HEADER_RULES if rule(names)), None)


#: (family, tensor-name prefixes or parts that show it), first match wins.
_FAMILY_BY_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("flux", ("model.diffusion_model.double_blocks.", "lora_unet_double_blocks_")),
    ("sd3", ("model.diffusion_model.joint_blocks.",)),
    ("sdxl", ("conditioner.embedders.1.", "lora_te1_", "lora_te2_", "clip_g")),
    ("sd2", ("cond_stage_model.model.",)),
    ("sd1", ("cond_stage_model.transformer.", "lora_te_")),
)
#: (family, pattern of kohya's ``ss_base_model_version`` or modelspec's ``modelspec.architecture``).
_FAMILY_BY_METADATA: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("flux", re.compile(r"flux", re.I)),
    ("sd3", re.compile(r"sd3|stable-diffusion-v3", re.I)),
    ("sdxl", re.compile(r"sdxl|stable-diffusion-xl", re.I)),
    ("sd2", re.compile(r"sd_v2|stable-diffusion-v2", re.I)),
    ("sd1", re.compile(r"sd_v1|stable-diffusion-v1", re.I)),
)
#: Width of an embedding's vectors -> family (SD 1.x CLIP-L 768, SD 2.x OpenCLIP-H 1024).
_FAMILY_BY_WIDTH = {768: "sd1", 1024: "sd2"}


def family(header: Header) -> str | None:
    """``sd1``, ``sd2``, ``sdxl``, ``sd3`` or ``flux`` when the header shows it, else None."""
    for key in ("modelspec.architecture", "ss_base_model_version"):
        value = header.metadata.get(key, "")
        match = next((name for name, pattern in _FAMILY_BY_METADATA if pattern.search(value)), None)
        if match:
            return match
    names = header.shapes.keys()
    match = next((name for name, marks in _FAMILY_BY_NAMES if _any(names, starts=marks)), None)
    if match:
        return match
    shape = header.shapes.get("emb_params")
    return _FAMILY_BY_WIDTH.get(shape[-1]) if shape else None


_HUB_FOLDER = re.compile(r"^models--(.+)$")


def hub_repo(parts: Iterable[str]) -> str | None:
    """The Hugging Face repository of a file in the hub cache (``models--owner--name/snapshots/...``)."""
    for part in parts:
        match = _HUB_FOLDER.match(part)
        if match:
            return match.group(1).replace("--", "/")
    return None
