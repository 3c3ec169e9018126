"""Fooocus (``fooocus`` scheme JSON), RuinedFooocus and Fooocus-MRE JSON.

Fooocus encodes each entry of ``full_prompt`` (the prompt after style templates, then the "Fooocus V2"
GPT-2 expansion) on its own and concatenates the results along the token axis
(``modules/default_pipeline.py clip_encode``), which is what A1111's ``BREAK`` does. So the record's prompt
is ``full_prompt`` joined with ``" BREAK "`` — the text that was actually encoded — and the user's
``prompt``/``negative_prompt`` stay in ``extra``. (Fooocus's own A1111 export joins the parts with ", ",
which loses the chunk boundaries.) The ``a1111`` scheme is A1111 text: see ``_a1111``.
"""

from __future__ import annotations

from typing import Any

from .._found import Carrier, Found, FoundPass, Lora
from . import _common as c

BREAK = " BREAK "


def is_fooocus(data: dict[str, Any]) -> bool:
    return ("metadata_scheme" in data or "full_prompt" in data
            or str(data.get("version", "")).startswith("Fooocus"))


def found_from_fooocus(data: dict[str, Any], carriers: list[Carrier]) -> Found:
    where = "parameters"
    found = c.new_found("fooocus", carriers)
    found.rng = "cpu"  # Fooocus (ldm_patched) draws the initial noise on the CPU
    used: set[str] = set()

    def get(key: str) -> Any:
        used.add(key)
        return data.get(key)

    full = get("full_prompt")
    if isinstance(full, list) and all(isinstance(p, str) for p in full) and full:
        found.prompt = BREAK.join(full)
    elif isinstance(data.get("prompt"), str):
        found.prompt = data["prompt"]
    full_negative = get("full_negative_prompt")
    if isinstance(full_negative, list) and all(isinstance(p, str) for p in full_negative):
        found.negative_prompt = BREAK.join(full_negative) if full_negative else ""
    elif isinstance(data.get("negative_prompt"), str):
        found.negative_prompt = data["negative_prompt"]
    if get("seed") is not None:
        found.seed = c.seed(data["seed"], f"{where}: seed")
    if get("steps") is not None:
        found.steps = c.steps(data["steps"], f"{where}: steps")
    if get("guidance_scale") is not None:
        found.guidance_scale = c.cfg(data["guidance_scale"], f"{where}: guidance_scale")
    if get("resolution") is not None:
        found.width, found.height = c.size(data["resolution"], f"{where}: resolution")  # "(width, height)"
    if get("sampler") is not None:
        found.sampler = str(data["sampler"])
    if get("scheduler") is not None:
        found.schedule = str(data["scheduler"])
    if get("base_model") is not None:
        found.model_name = str(data["base_model"])
    if get("base_model_hash") is not None:
        found.model_hash = str(data["base_model_hash"])
    if get("clip_skip") is not None:
        found.clip_skip = c.as_int(data["clip_skip"], f"{where}: clip_skip", low=1, high=64)
    vae = get("vae")
    if isinstance(vae, str) and vae not in ("Default (model)", "None", ""):
        found.vae_name = vae
    elif vae is not None:
        found.extra["vae"] = c.compact(vae)
    version = get("version")
    if isinstance(version, str):
        found.tool_version = version.removeprefix("Fooocus").strip() or version
    for item in c.as_list(get("loras")):
        if isinstance(item, (list, tuple)) and len(item) >= 2:
            name, weight = str(item[0]), c.as_float(item[1], f"{where}: loras")
            hash_ = str(item[2]) if len(item) > 2 and item[2] else None
            if name != "None":
                found.loras.append(Lora(name, weight, hash_))
    refiner = data.get("refiner_model")
    if refiner not in (None, "None", ""):
        found.passes += 1
        _refiner(found, str(refiner), data.get("refiner_switch"), where)
    sharpness = data.get("sharpness")
    adm = data.get("adm_guidance")
    if sharpness not in (None, 0, "0") or adm is not None:
        c.add_problem(found, f"Fooocus patches the sampler (sharpness {sharpness}, ADM guidance {adm}); diffusers "
                             "has no equivalent")
    for key, value in data.items():
        if key not in used:
            c.put_extra(found, key, value)
    return found


def is_ruined(data: dict[str, Any]) -> bool:
    return str(data.get("software", "")).lower().startswith("ruinedfooocus")


def found_from_ruined(data: dict[str, Any], carriers: list[Carrier]) -> Found:
    where = "parameters"
    found = c.new_found("ruined-fooocus", carriers)
    found.rng = "cpu"
    used = {"Prompt", "Negative", "seed", "steps", "cfg", "width", "height", "sampler_name", "scheduler",
            "base_model_name", "base_model_hash", "clip_skip", "loras", "software", "denoise"}
    found.prompt = data.get("Prompt")
    found.negative_prompt = data.get("Negative")
    c.read_numbers(found, data, where, seed="seed", steps="steps", cfg="cfg", width="width", height="height")
    if data.get("sampler_name") is not None:
        found.sampler = str(data["sampler_name"])
    if data.get("scheduler") is not None:
        found.schedule = str(data["scheduler"])
    found.model_name = data.get("base_model_name")
    found.model_hash = data.get("base_model_hash")
    if data.get("clip_skip") is not None:
        found.clip_skip = c.as_int(data["clip_skip"], f"{where}: clip_skip", low=0, high=64) or 1
    loras = data.get("loras")
    for item in loras if isinstance(loras, list) else []:
        if isinstance(item, dict) and item.get("name"):
            found.loras.append(Lora(str(item["name"]), c.as_float(item.get("weight", 1.0), f"{where}: loras")))
        elif isinstance(item, (list, tuple)) and len(item) >= 2:
            found.loras.append(Lora(str(item[0]), c.as_float(item[1], f"{where}: loras")))
        elif isinstance(item, str) and ":" in item:
            name, weight = item.rsplit(":", 1)
            found.loras.append(Lora(name.strip(), c.as_float(weight, f"{where}: loras")))
    denoise = data.get("denoise")
    if denoise is not None and c.as_float(denoise, f"{where}: denoise") < 1.0:
        found.img2img = True
        found.strength = c.strength(denoise, f"{where}: denoise")
        c.add_problem(found, "img2img: the source image is not stored")
    elif denoise is not None:
        found.extra["denoise"] = c.compact(denoise)
    for key, value in data.items():
        if key not in used:
            c.put_extra(found, key, value)
    return found


def is_mre(data: dict[str, Any]) -> bool:
    """Fooocus-MRE ``Comment``/JPEG comment JSON."""
    return "prompt" in data and ("base_model" in data or "base_model_name" in data) and "seed" in data


def found_from_mre(data: dict[str, Any], carriers: list[Carrier]) -> Found:
    where = "Comment"
    found = c.new_found("fooocus-mre", carriers)
    found.rng = "cpu"
    used = {"prompt", "negative_prompt", "seed", "steps", "cfg", "width", "height", "sampler", "scheduler",
            "base_model", "base_model_name", "clip_skip"}
    found.prompt = data.get("prompt")
    found.negative_prompt = data.get("negative_prompt")
    c.read_numbers(found, data, where, seed="seed", steps="steps", cfg="cfg", width="width", height="height")
    if data.get("sampler") is not None:
        found.sampler = str(data["sampler"])
    if data.get("scheduler") is not None:
        found.schedule = str(data["scheduler"])
    found.model_name = data.get("base_model") or data.get("base_model_name")
    if data.get("clip_skip") is not None:
        found.clip_skip = c.as_int(data["clip_skip"], f"{where}: clip_skip", low=1, high=64)
    if data.get("refiner_model") not in (None, "None", ""):
        found.passes += 1
        _refiner(found, str(data["refiner_model"]), data.get("refiner_switch"), where)
    for key, value in data.items():
        if key not in used:
            c.put_extra(found, key, value)
    return found


def _refiner(found: Found, model: str, switch: Any, where: str) -> None:
    """Fooocus ``refiner_model`` + ``refiner_switch`` (the fraction of the steps the base model does)."""
    if switch is None:
        c.add_problem(found, f"refiner: a second model ({model}) finishes the image, from a switch point the "
                             "metadata does not record")
        return
    found.later.append(FoundPass("refiner", strength=c.strength(switch, f"{where}: refiner_switch"), model=model,
                                 summary=f"{model}, switch at {c.compact(switch)}"))
