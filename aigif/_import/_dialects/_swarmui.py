"""SwarmUI (StableSwarmUI): ``parameters`` JSON ``{"sui_image_params": {...}, "sui_extra_data": {...},
"sui_models": [...]}``. Swarm drives a ComfyUI backend, so the image usually carries a ComfyUI ``prompt``
graph as well: Swarm's own parameters win (they are what the user asked for and what Swarm built the graph
from); the graph is kept as a carrier and only fills what Swarm left out (its seed, when absent)."""

from __future__ import annotations

from typing import Any

from .._found import Carrier, Found, FoundPass, Lora
from . import _common as c

_USED = {"prompt", "negativeprompt", "model", "seed", "steps", "cfgscale", "width", "height", "sampler",
         "scheduler", "swarm_version", "vae", "loras", "loraweights", "clipstopatlayer", "initimagecreativity",
         "variationseed", "variationseedstrength", "initimage"}


def is_swarm(data: dict[str, Any]) -> bool:
    return isinstance(data.get("sui_image_params"), dict)


def found_from_swarm(data: dict[str, Any], carriers: list[Carrier], graph_found: Found | None = None) -> Found:
    where = "sui_image_params"
    params = data["sui_image_params"]
    found = c.new_found("swarmui", carriers)
    found.rng = "cpu"  # ComfyUI backend
    found.prompt = params.get("prompt")
    found.negative_prompt = params.get("negativeprompt")
    if params.get("seed") is not None:
        found.seed = c.seed(params["seed"], f"{where}: seed")
    if params.get("steps") is not None:
        found.steps = c.steps(params["steps"], f"{where}: steps")
    if params.get("cfgscale") is not None:
        found.guidance_scale = c.cfg(params["cfgscale"], f"{where}: cfgscale")
    if params.get("width") is not None:
        found.width = c.dimension(params["width"], f"{where}: width")
    if params.get("height") is not None:
        found.height = c.dimension(params["height"], f"{where}: height")
    if params.get("sampler") is not None:
        found.sampler = str(params["sampler"])
    if params.get("scheduler") is not None:
        found.schedule = str(params["scheduler"])
    if params.get("model") is not None:
        found.model_name = str(params["model"])
    if params.get("vae") is not None:
        found.vae_name = str(params["vae"])
    if params.get("swarm_version") is not None:
        found.tool_version = str(params["swarm_version"])
    if params.get("clipstopatlayer") is not None:
        layer = c.as_int(params["clipstopatlayer"], f"{where}: clipstopatlayer", low=-64, high=64)
        found.clip_skip = abs(layer) if layer else 1
    names = params.get("loras") or []
    weights = params.get("loraweights") or []
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    if isinstance(weights, str):
        weights = [w.strip() for w in weights.split(",") if w.strip()]
    for i, name in enumerate(names if isinstance(names, list) else []):
        weight = weights[i] if isinstance(weights, list) and i < len(weights) else 1.0
        found.loras.append(Lora(str(name), c.as_float(weight, f"{where}: loraweights")))
    creativity = params.get("initimagecreativity")
    if "initimage" in params or creativity is not None:
        found.img2img = True
        if creativity is not None:
            found.strength = c.strength(creativity, f"{where}: initimagecreativity")
        c.add_problem(found, "img2img: the source image is not stored")
    if params.get("variationseed") is not None and params.get("variationseedstrength") not in (None, 0, 0.0, "0"):
        c.add_problem(found, f"variation seed {params['variationseed']} strength {params['variationseedstrength']}")
    if params.get("refinermodel") or params.get("refinercontrolpercentage") not in (None, 0, 0.0, "0") \
            or params.get("refinerupscale") not in (None, 1, 1.0, "1"):
        found.passes += 1
        found.hires = {k: c.compact(v) for k, v in params.items() if k.startswith("refiner")}
        later = _refiner(found, params, where)
        if later is None:
            c.add_problem(found, "refiner/upscale: a second sampler pass finishes the image")
        else:
            found.later.append(later)
    for key, value in params.items():
        if key not in _USED and not (found.hires and key in found.hires):
            c.put_extra(found, key, value)
    for model in c.as_list(data.get("sui_models")):
        if not isinstance(model, dict):
            continue
        param, hash_ = model.get("param"), model.get("hash")
        if param == "model" and hash_ and found.model_hash is None:
            found.model_hash = str(hash_)
        elif param in ("loras", "lora") and hash_:
            stem = str(model.get("name", "")).rsplit(".", 1)[0]
            for i, lora in enumerate(found.loras):
                if lora.name in (model.get("name"), stem) and lora.hash is None:
                    found.loras[i] = Lora(lora.name, lora.weight, str(hash_), lora.kind)
    for key in ("sui_extra_data", "sui_models"):
        if key in data:
            c.put_extra(found, key, data[key])
    for key, value in data.items():
        if key not in ("sui_image_params", "sui_extra_data", "sui_models"):
            c.put_extra(found, key, value)
    if graph_found is not None:
        if found.seed is None:
            found.seed = graph_found.seed
        elif graph_found.seed is not None and graph_found.seed != found.seed:
            found.extra["prompt graph seed"] = str(graph_found.seed)
    return found


#: SwarmUI ``refinerupscalemethod`` prefixes: ``pixel-<PIL/torch method>``, ``latent-<torch mode>``,
#: ``model-<upscaling model file>``.
_SWARM_PIXEL = {"lanczos": "lanczos", "nearest-exact": "nearest"}
_SWARM_LATENT = {"nearest-exact": "latent-nearest-exact", "bilinear": "latent", "bicubic": "latent-bicubic"}


def _refiner(found: Found, params: dict[str, Any], where: str) -> FoundPass | None:
    """SwarmUI's refiner stage: ``StepSwap`` continues the latents with another model from the switch
    point (1 - control percentage), ``PostApply`` (and any upscale) denoises the result again at the
    control percentage, the hires-fix shape."""
    control = params.get("refinercontrolpercentage")
    if control is None:
        return None
    control = c.strength(control, f"{where}: refinercontrolpercentage")
    upscale = params.get("refinerupscale", 1)
    upscale = c.as_float(upscale, f"{where}: refinerupscale", low=0.0, high=64.0) if upscale is not None else 1.0
    method = str(params.get("refinermethod") or "PostApply")
    swap = method.lower() == "stepswap" and upscale == 1.0
    model = params.get("refinermodel")
    out = FoundPass("refiner" if swap else "hires", strength=(1.0 - control) if swap else control,
                    model=str(model) if model else None, summary=f"{method}, control {c.compact(control)}"
                    + (f", x{c.compact(upscale)}" if upscale != 1.0 else ""))
    if upscale != 1.0 and found.width and found.height:
        out.scale = upscale
        out.width, out.height = round(found.width * upscale), round(found.height * upscale)
        upscaler = str(params.get("refinerupscalemethod") or "")
        kind, _, name = upscaler.partition("-")
        out.upscaler = {"pixel": _SWARM_PIXEL, "latent": _SWARM_LATENT}.get(kind, {}).get(name) or (
            name if kind == "model" and name else None)
        if upscaler and out.upscaler is None:
            out.upscaler = upscaler
            out.problems.append(f"SwarmUI's {upscaler!r} upscale has no AIGIF upscaler")
    if params.get("refinersteps") is not None:
        out.steps = c.steps(params["refinersteps"], f"{where}: refinersteps")
    if params.get("refinercfgscale") is not None:
        out.guidance_scale = c.cfg(params["refinercfgscale"], f"{where}: refinercfgscale")
    return out
