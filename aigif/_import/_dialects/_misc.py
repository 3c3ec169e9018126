"""Smaller dialects: Tensor.Art, Hugging Face Space / generic ``parameters`` JSON, Easy Diffusion, Draw Things."""

from __future__ import annotations

import html
import re
from typing import Any

from .._found import Carrier, Found, Lora
from . import _common as c

# Synonyms seen across JSON writers (HF Spaces, Easy Diffusion, Draw Things, Tensor.Art, Stability Matrix).
_PROMPT = ("prompt", "Prompt", "positive_prompt", "PositivePrompt", "positivePrompt", "c")
_NEGATIVE = ("negative_prompt", "negativePrompt", "NegativePrompt", "Negative Prompt", "negative", "Negative", "uc")
_SEED = ("seed", "Seed")
_STEPS = ("num_inference_steps", "steps", "Steps")
_CFG = ("guidance_scale", "cfg_scale", "cfgScale", "CfgScale", "cfg", "scale", "Guidance Scale", "CFG scale")
_WIDTH = ("width", "Width")
_HEIGHT = ("height", "Height")
_SIZE = ("resolution", "size", "Size")
_SAMPLER = ("sampler", "sampler_name", "Sampler", "ksamplerName")
_SCHEDULE = ("schedule", "scheduler", "Scheduler", "Schedule type")
_MODEL = ("Model", "model", "model_name", "ModelName", "base_model", "use_stable_diffusion_model",
          "Stable Diffusion model")
_MODEL_HASH = ("Model hash", "model_hash", "ModelHash")
_CLIP_SKIP = ("clip_skip", "clipSkip", "Clip Skip", "Clip skip")
_VAE = ("vae", "use_vae_model", "VAE model", "sdVae", "VAE")
_STRENGTH = ("strength", "denoising_strength", "prompt_strength")


def _first(data: dict[str, Any], keys: tuple[str, ...], used: set[str]) -> tuple[str | None, Any]:
    for key in keys:
        if key in data and data[key] not in (None, ""):
            used.add(key)
            return key, data[key]
    return None, None


def found_from_json(data: dict[str, Any], carriers: list[Carrier], tool: str, where: str) -> Found:
    """A flat JSON object with the usual generation keys → Found (everything else in ``extra``)."""
    found = c.new_found(tool, carriers)
    used: set[str] = set()
    key, value = _first(data, _PROMPT, used)
    if isinstance(value, str):
        found.prompt = value
    key, value = _first(data, _NEGATIVE, used)
    if isinstance(value, str):
        found.negative_prompt = value
    key, value = _first(data, _SEED, used)
    if value is not None:
        found.seed = c.seed(value, f"{where}: {key}")
    key, value = _first(data, _STEPS, used)
    if value is not None:
        found.steps = c.steps(value, f"{where}: {key}")
    key, value = _first(data, _CFG, used)
    if value is not None:
        found.guidance_scale = c.cfg(value, f"{where}: {key}")
    key, value = _first(data, _WIDTH, used)
    if value is not None:
        found.width = c.dimension(value, f"{where}: {key}")
    key, value = _first(data, _HEIGHT, used)
    if value is not None:
        found.height = c.dimension(value, f"{where}: {key}")
    if found.width is None:
        key, value = _first(data, _SIZE, used)
        if value is not None:
            found.width, found.height = c.size(value, f"{where}: {key}")
    key, value = _first(data, _SAMPLER, used)
    if value is not None:
        found.sampler = str(value)
    key, value = _first(data, _SCHEDULE, used)
    if value is not None:
        found.schedule = str(value)
    key, value = _first(data, _MODEL, used)
    if isinstance(value, str):
        found.model_name = value
    elif isinstance(value, dict):
        used.discard(key)
    key, value = _first(data, _MODEL_HASH, used)
    if value is not None:
        found.model_hash = str(value)
    key, value = _first(data, _CLIP_SKIP, used)
    if value is not None:
        if isinstance(value, bool) or str(value).lower() in ("true", "false"):  # Easy Diffusion: a boolean
            found.clip_skip = 2 if value is True or str(value).lower() == "true" else 1
        else:
            found.clip_skip = c.as_int(value, f"{where}: {key}", low=0, high=64) or 1
    key, value = _first(data, _VAE, used)
    if isinstance(value, str):
        found.vae_name = value
    key, value = _first(data, _STRENGTH, used)
    if value is not None:
        assert key is not None  # _first returns a key with every value
        amount = c.strength(value, f"{where}: {key}")
        has_init = any(k in data for k in ("init_image", "initImage", "init_img", "image"))
        if has_init or (tool == "drawthings" and amount < 1):
            found.img2img = True
            found.strength = amount
            c.add_problem(found, "img2img: the source image is not stored")
        else:
            found.extra[key] = c.compact(value)
    for key, value in data.items():
        if key not in used:
            c.put_extra(found, key, value)
    return found


# -- Hugging Face Space (diffusers apps) -------------------------------------------------------------


def is_hf_space(data: dict[str, Any]) -> bool:
    return "prompt" in data and ("num_inference_steps" in data or "resolution" in data)


# -- Easy Diffusion ------------------------------------------------------------------------------------

ED_SNAKE = ("prompt", "negative_prompt", "seed", "use_stable_diffusion_model", "clip_skip", "use_vae_model",
            "sampler_name", "width", "height", "num_inference_steps", "guidance_scale", "use_lora_model",
            "lora_alpha", "prompt_strength", "use_hypernetwork_model", "hypernetwork_strength")
ED_LABEL = ("Prompt", "Negative Prompt", "Seed", "Stable Diffusion model", "Clip Skip", "VAE model", "Sampler",
            "Width", "Height", "Steps", "Guidance Scale", "LoRA model", "LoRA Strength", "Prompt Strength")


def is_easydiffusion(data: dict[str, Any]) -> bool:
    return ("use_stable_diffusion_model" in data or "Stable Diffusion model" in data
            or ("num_inference_steps" in data and "sampler_name" in data and "seed" in data))


def found_from_easydiffusion(data: dict[str, Any], carriers: list[Carrier]) -> Found:
    found = found_from_json(data, carriers, "easydiffusion", "Easy Diffusion")
    for key in ("use_lora_model", "LoRA model"):
        names = found.extra.pop(key, None)
        if names and names not in ("None", "null"):
            weights_text = found.extra.pop("lora_alpha", found.extra.pop("LoRA Strength", "1"))
            names_list = [n.strip() for n in str(names).strip("[]").replace('"', "").split(",") if n.strip()]
            weights = [w.strip() for w in str(weights_text).strip("[]").split(",") if w.strip()]
            for i, name in enumerate(names_list):
                found.loras.append(Lora(name, c.as_float(weights[i] if i < len(weights) else 1.0, "lora_alpha")))
    return found


# -- Draw Things (XMP) ------------------------------------------------------------------------------

_USER_COMMENT = re.compile(r"<exif:UserComment>(.*?)</exif:UserComment>", re.DOTALL)
_LI = re.compile(r"<rdf:li[^>]*>(.*?)</rdf:li>", re.DOTALL)


def drawthings_json(xmp: str) -> dict[str, Any] | None:
    m = _USER_COMMENT.search(xmp)
    if not m:
        return None
    inner = m.group(1)
    li = _LI.search(inner)
    text = html.unescape((li.group(1) if li else inner).strip())
    return c.try_json_object(text)


def found_from_drawthings(data: dict[str, Any], carriers: list[Carrier]) -> Found:
    found = found_from_json(data, carriers, "drawthings", "Draw Things")
    loras = data.get("lora")
    if isinstance(loras, list):
        found.extra.pop("lora", None)
        for item in loras:
            if isinstance(item, dict) and item.get("file"):
                found.loras.append(Lora(str(item["file"]), c.as_float(item.get("weight", 1.0), "lora weight")))
    return found


# -- Tensor.Art --------------------------------------------------------------------------------------


def found_from_tensorart(data: dict[str, Any], carriers: list[Carrier], graph_found: Found | None) -> Found:
    """``generation_data`` gives prompt, negative and model (name, hash); the executed ComfyUI graph gives the
    sampling (Tensor.Art writes ``seed: "-1"`` in generation_data; the real seed is in the graph)."""
    gen = found_from_json(data, carriers, "tensorart", "generation_data")
    base = data.get("baseModel")
    if isinstance(base, dict):
        gen.model_name = base.get("modelFileName") or base.get("label") or gen.model_name
        gen.model_hash = base.get("hash") or gen.model_hash
        gen.extra["baseModel"] = c.compact(base)
    if graph_found is None:
        if gen.seed is None and str(data.get("seed", "")).strip() == "-1":
            c.add_problem(gen, "Tensor.Art wrote seed -1 and no graph holds the real seed")
        return gen
    out = graph_found
    out.tool = "tensorart"
    out.carriers = list(carriers)
    for attr in ("prompt", "negative_prompt", "model_name", "model_hash"):
        value = getattr(gen, attr)
        if value is not None:
            if getattr(out, attr) not in (None, value):
                out.extra[f"graph {attr}"] = c.compact(getattr(out, attr))
            setattr(out, attr, value)
    for attr in ("seed", "steps", "guidance_scale", "width", "height", "sampler", "schedule", "clip_skip",
                 "vae_name"):
        mine, theirs = getattr(out, attr), getattr(gen, attr)
        if mine is None:
            setattr(out, attr, theirs)
        elif theirs is not None and theirs != mine:
            out.extra[f"generation_data {attr}"] = c.compact(theirs)
    for key, value in gen.extra.items():
        if key not in out.extra:
            out.extra[key] = value
    return out
