"""Single-file checkpoints (what A1111, Forge and ComfyUI users keep), recognised and loaded offline.

A single ``.safetensors`` checkpoint in the original LDM/CompVis layout holds the weights but not
the architecture or the scheduler, and diffusers' ``from_single_file`` would fetch those from the
Hub. So the family is recognised here from the safetensors header alone (key names and shapes, no
tensor read, no torch), and diffusers is given a configuration folder shipped with the package
(``aigif/_recreate/configs/<family>``) with ``local_files_only=True``. The header is checked first,
so a truncated file is refused naming it before diffusers opens it; safetensors cannot hold code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable

from .._errors import RecreateError
from . import _models

#: Safetensors headers larger than this are refused unread (real checkpoints' are well under 1 MB).
MAX_HEADER = 100 * 1024 * 1024

_UNET = "model.diffusion_model."
_CLIP_L = "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight"
_OPEN_CLIP_H = "cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight"
_SDXL_CLIP_L = "conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight"
_SDXL_BIG_G = "conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight"
_REFINER_BIG_G = "conditioner.embedders.0.model.transformer.resblocks.0.attn.in_proj_weight"


@dataclass(frozen=True)
class Family:
    """What a checkpoint is: its configuration folder's name, pipeline and prediction type."""

    #: "sd1" | "sd2" (512-base, epsilon) | "sd2-v" (768-v) | "sdxl-base" | "sdxl-refiner" | "aigif-tiny-sd"
    name: str
    pipeline: str
    #: "epsilon" | "v_prediction": what the file says (a ``v_pred`` key, ``modelspec.prediction_type``)
    #: or the family's own; the configuration's scheduler is given it
    prediction: str | None = None


#: ``modelspec.architecture`` (Stability-AI/ModelSpec) of the SD 2.x variants, which have the same shapes
_SD2_ARCHITECTURES = {"stable-diffusion-v2-512": "sd2", "stable-diffusion-v2-768-v": "sd2-v"}
_MODELSPEC_PREDICTION = {"v": "v_prediction", "epsilon": "epsilon"}


def read_header(path: Path) -> dict:
    """The safetensors header of ``path`` (name -> {dtype, shape, data_offsets}, and ``__metadata__``).

    Refuses (``model-refused``, naming the file) what is not a whole safetensors file: too short, a
    header that is not JSON, or tensors that reach past the end (a truncated download)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            length = int.from_bytes(handle.read(8), "little")
            if size < 8 or length > min(MAX_HEADER, size - 8):
                raise ValueError(f"its header length {length} does not fit in its {size} bytes")
            header = json.loads(handle.read(length))
        if not isinstance(header, dict):
            raise ValueError("its header is not a JSON object")
        end = max((entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"), default=0)
    except (OSError, ValueError, KeyError, TypeError, IndexError, RecursionError) as err:
        raise RecreateError(f"{path} is not a readable safetensors file ({err})", code="model-refused") from None
    if 8 + length + end > size:
        raise RecreateError(f"{path} is truncated: its tensors need {8 + length + end} bytes, the file has {size}",
                            code="model-refused")
    return header


def family(header: dict, path: Path) -> Family:
    """The family of a checkpoint from its keys and shapes; ``cannot-honour`` naming the file if unknown."""

    def shape(key: str) -> list[int] | None:
        entry = header.get(key)
        return entry.get("shape") if isinstance(entry, dict) else None

    found = header.get("__metadata__")
    metadata: dict = found if isinstance(found, dict) else {}
    # A ``v_pred`` marker key (what v-prediction SDXL checkpoints such as NoobAI carry), else the SAI
    # model spec's ``modelspec.prediction_type`` ("v" | "epsilon"); None when the file says neither.
    prediction = "v_prediction" if "v_pred" in header else \
        _MODELSPEC_PREDICTION.get(str(metadata.get("modelspec.prediction_type", "")).strip().lower())
    has_unet = any(key.startswith(_UNET) for key in header)
    if has_unet and shape(_SDXL_CLIP_L) and shape(_SDXL_BIG_G):
        return Family("sdxl-base", "StableDiffusionXLPipeline", prediction or "epsilon")
    if has_unet and shape(_REFINER_BIG_G) and not shape(_SDXL_CLIP_L):
        return Family("sdxl-refiner", "StableDiffusionXLImg2ImgPipeline", prediction or "epsilon")
    if has_unet and shape(_OPEN_CLIP_H):
        # 512-base (epsilon) and 768-v (v-prediction) have the same shapes: the file's model spec or
        # prediction marker decides; else 768-v, SD 2.x's main release (2.0-v, 2.1-v) and diffusers'
        # own choice for an unmarked SD 2 file. A file's scheduler option (prediction type) still
        # overrides the scheduler's prediction when the image is made (_schedulers.build).
        name = _SD2_ARCHITECTURES.get(str(metadata.get("modelspec.architecture", "")).strip())
        if name is None:
            name = "sd2" if prediction == "epsilon" else "sd2-v"
        return Family(name, "StableDiffusionPipeline", prediction or ("epsilon" if name == "sd2" else "v_prediction"))
    tokens = shape(_CLIP_L)
    if has_unet and tokens == [49408, 768]:
        return Family("sd1", "StableDiffusionPipeline", prediction or "epsilon")
    if has_unet and tokens == [1024, 64]:
        return Family("aigif-tiny-sd", "StableDiffusionPipeline", "epsilon")
    raise RecreateError(f"{path} is not a checkpoint of a family this version knows (SD 1.x, SD 2.x, SDXL base, "
                        "SDXL refiner, aigif-tiny-sd)", code="cannot-honour", path="model.id")


def config_dir(name: str) -> Path | None:
    """The configuration folder shipped for a family, or None."""
    folder = Path(str(resources.files("aigif._recreate").joinpath("configs").joinpath(name)))
    return folder if (folder / "model_index.json").is_file() else None


def tokenizers(fam: Family, config: Path) -> dict:
    """The family's tokenizers as pipeline arguments (``tokenizer``, ``tokenizer_2``): the built-in tiny
    model's own files, or the shared CLIP BPE vocabulary with the special tokens of each
    ``tokenizer*/tokenizer_config.json`` of the configuration (see ``_clip_bpe``)."""
    from transformers import CLIPTokenizer

    from . import _clip_bpe

    if fam.name == "aigif-tiny-sd":
        folder = _models.builtin_dir(_models.registry()["aigif-tiny-sd"]) / "tokenizer"
        return {"tokenizer": CLIPTokenizer.from_pretrained(str(folder), local_files_only=True)}
    return {folder.name: _clip_bpe.tokenizer(folder / "tokenizer_config.json")
            for folder in sorted(config.glob("tokenizer*")) if (folder / "tokenizer_config.json").is_file()}


def load(path: Path, dtype, extra_for: Callable[[type], dict]):
    """A diffusers pipeline from a single-file checkpoint, offline, and the family it is of."""
    import diffusers

    fam = family(read_header(path), path)
    config = config_dir(fam.name)
    if config is None:
        raise RecreateError(f"{path} is an {fam.name} checkpoint, but this version ships no diffusers configuration "
                            f"for {fam.name} (aigif/_recreate/configs/{fam.name}); load it as a diffusers folder "
                            "instead", code="cannot-honour", path="model.id")
    cls = getattr(diffusers, fam.pipeline)
    try:
        components = tokenizers(fam, config)
        scheduler_config = json.loads((config / "scheduler" / "scheduler_config.json").read_text("utf-8"))
        if fam.prediction and scheduler_config.get("prediction_type") != fam.prediction:
            # the file says v-prediction (a v_pred key, its model spec) where the family's default is epsilon
            scheduler_cls = getattr(diffusers, scheduler_config["_class_name"])
            components["scheduler"] = scheduler_cls.from_config(scheduler_config, prediction_type=fam.prediction)
        pipe = cls.from_single_file(str(path), config=str(config), local_files_only=True, dtype=dtype,
                                    **components, **extra_for(cls))
    except RecreateError:
        raise
    except Exception as err:  # noqa: BLE001 - diffusers, transformers and safetensors raise many kinds
        raise RecreateError(f"cannot load checkpoint {path}: {type(err).__name__}: {err}",
                            code="model-refused") from None
    return pipe, fam
