"""InvokeAI, four generations: ``Dream`` command lines, ``sd-metadata`` JSON (2.x, ``image`` or ``images``),
``invokeai_metadata`` (3.x–6.x, trusted over ``invokeai_graph``), and a graph-only fallback.

InvokeAI 2.x (and lstein/stable-diffusion) read ``[...]`` in a prompt as the negative prompt: the record's
prompt is the prompt with those groups removed and spaces squeezed, exactly as InvokeAI built it
(``re.sub(' +', ' ', re.sub(r'\\[(.*?)\\]', '', prompt))``), and the negative is the groups joined by spaces.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from .._found import Carrier, Found, FoundPass, Lora
from . import _common as c

_NEGATIVE_GROUP = re.compile(r"\[(.*?)\]")

#: Dream flags: name → (field, number of values). Longest first so "-cf" wins over "-c".
_FLAGS: dict[str, tuple[str, int]] = {
    "--steps": ("steps", 1), "--seed": ("seed", 1), "--width": ("width", 1), "--height": ("height", 1),
    "--cfg_scale": ("cfg_scale", 1), "--sampler": ("sampler", 1), "--init_img": ("init_img", 1),
    "--strength": ("strength", 1), "--with_variations": ("with_variations", 1),
    "--variation_amount": ("variation_amount", 1), "--gfpgan_strength": ("gfpgan_strength", 1),
    "--upscale": ("upscale", 2), "--codeformer_fidelity": ("codeformer_fidelity", 1), "--seamless": ("seamless", 0),
    "--hires_fix": ("hires_fix", 0), "--init_mask": ("init_mask", 1), "--init_color": ("init_color", 1),
    "--perlin": ("perlin", 1), "--threshold": ("threshold", 1), "--facetool": ("facetool", 1),
    "--fit": ("fit", 0), "--iterations": ("iterations", 1), "--model": ("model", 1),
    "-cf": ("codeformer_fidelity", 1), "-ft": ("facetool", 1),
    "-s": ("steps", 1), "-S": ("seed", 1), "-W": ("width", 1), "-H": ("height", 1), "-C": ("cfg_scale", 1),
    "-A": ("sampler", 1), "-m": ("sampler", 1), "-I": ("init_img", 1), "-f": ("strength", 1),
    "-V": ("with_variations", 1), "-v": ("variation_amount", 1), "-G": ("gfpgan_strength", 1), "-U": ("upscale", 2),
    "-M": ("init_mask", 1), "-n": ("iterations", 1), "-F": ("fit", 0), "-T": ("threshold", 1),
}
_FLAG_ORDER = sorted(_FLAGS, key=len, reverse=True)


def split_negative(prompt: str) -> tuple[str, str | None]:
    """InvokeAI 2.x: ``[...]`` groups are the negative prompt."""
    groups = _NEGATIVE_GROUP.findall(prompt)
    if not groups:
        return prompt, None
    return re.sub(" +", " ", _NEGATIVE_GROUP.sub("", prompt)), " ".join(groups)


def parse_dream(text: str) -> dict[str, Any] | None:
    """A Dream command line → {"prompt": ..., field: value | [values]}; None for the placeholder."""
    text = c.clean(text).strip()
    if not text or text.startswith("<"):
        return None
    if text.startswith("!"):  # "!mask ..." and other commands
        return None
    if text[0] in "\"'":
        quote = text[0]
        i, prompt_chars = 1, []
        while i < len(text):
            ch = text[i]
            if ch == "\\" and i + 1 < len(text):
                prompt_chars.append(text[i + 1])
                i += 2
                continue
            if ch == quote:
                break
            prompt_chars.append(ch)
            i += 1
        prompt, rest = "".join(prompt_chars), text[i + 1:]
    else:
        m = re.search(r"(?:^|\s)-{1,2}[A-Za-z]", text)
        prompt, rest = (text[:m.start()].strip(), text[m.start():]) if m else (text, "")
    try:
        tokens = shlex.split(rest)
    except ValueError:
        tokens = rest.split()
    out: dict[str, Any] = {"prompt": prompt}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        flag = next((f for f in _FLAG_ORDER if token == f or (token.startswith(f) and not f.startswith("--")
                                                                and len(f) >= 2)), None)
        if flag is None or not token.startswith("-"):
            out.setdefault("unknown", []).append(token)
            i += 1
            continue
        name, arity = _FLAGS[flag]
        glued = token[len(flag):]
        values: list[str] = [glued] if glued else []
        i += 1
        while len(values) < arity and i < len(tokens) and not re.match(r"-{1,2}[A-Za-z]", tokens[i]):
            values.append(tokens[i])
            i += 1
        out[name] = True if arity == 0 else (values[0] if arity == 1 and values else values)
    return out


def found_from_dream(text: str, carriers: list[Carrier]) -> Found | None:
    dream = parse_dream(text)
    if dream is None:
        return None
    found = c.new_found("invokeai", carriers)
    typed = dream.pop("prompt")
    prompt, negative = split_negative(typed)
    if negative is not None:
        found.extra["prompt (as typed)"] = typed
    found.prompt, found.negative_prompt = prompt, negative
    _apply_common(found, dream, "Dream")
    for key, value in dream.items():
        if key not in _DREAM_USED:
            c.put_extra(found, f"Dream {key}", value)
    return found


_DREAM_USED = {"steps", "seed", "width", "height", "cfg_scale", "sampler", "strength", "init_img"}


def _apply_common(found: Found, v: dict[str, Any], where: str) -> None:
    if v.get("steps") is not None:
        found.steps = c.steps(v["steps"], f"{where}: steps")
    if v.get("seed") is not None:
        found.seed = c.seed(v["seed"], f"{where}: seed")
    if v.get("width") is not None:
        found.width = c.dimension(v["width"], f"{where}: width")
    if v.get("height") is not None:
        found.height = c.dimension(v["height"], f"{where}: height")
    if v.get("cfg_scale") is not None:
        found.guidance_scale = c.cfg(v["cfg_scale"], f"{where}: cfg_scale")
    if v.get("sampler") is not None:
        found.sampler = str(v["sampler"])
    if v.get("init_img"):
        found.img2img = True
        c.add_problem(found, "img2img: the source image is not stored")
        c.put_extra(found, "init_img", v["init_img"])
        if v.get("strength") is not None:
            found.strength = c.strength(v["strength"], f"{where}: strength")
    elif v.get("strength") is not None:
        c.put_extra(found, "strength", v["strength"])
    # Dream-only post-processing and noise flags
    for key, label in (("gfpgan_strength", "face restoration"), ("codeformer_fidelity", "CodeFormer")):
        if v.get(key) is not None and v[key] not in ("0", "0.0", 0, 0.0):
            c.add_problem(found, f"post-processing after generation: {label} ({key} {v[key]})")
    if v.get("upscale"):
        upscale = v["upscale"]
        upscale = " ".join(map(str, upscale)) if isinstance(upscale, list) else c.compact(upscale)
        c.add_problem(found, f"post-processing after generation: upscale {upscale}")
    if v.get("with_variations"):
        c.add_problem(found, f"variation seeds {v['with_variations']}")
    if v.get("variation_amount") and c.as_float(v["variation_amount"], f"{where}: variation_amount") > 0:
        c.add_problem(found, f"variation amount {v['variation_amount']}")
    if v.get("hires_fix") is True:
        found.passes = 2
        found.hires = {"hires_fix": "true"}
        c.add_problem(found, "hires fix: a second sampler pass upscales the image")
    if v.get("seamless") is True:
        c.add_problem(found, "seamless (tiling) generation")


def found_from_sd_metadata(meta: dict[str, Any], carriers: list[Carrier]) -> Found:
    found = c.new_found("invokeai", carriers)
    image = meta.get("image")
    if image is None and isinstance(meta.get("images"), list) and meta["images"]:
        image = meta["images"][0]
        if len(meta["images"]) > 1:
            c.put_extra(found, "images", meta["images"][1:])
    if not isinstance(image, dict):
        raise c.bad("sd-metadata: image", "missing or not an object")
    raw = image.get("prompt")
    if isinstance(raw, list):
        parts = [p for p in raw if isinstance(p, dict) and isinstance(p.get("prompt"), str)]
        if len(parts) == 1:
            text = parts[0]["prompt"]
        else:
            text = " ".join(f"{p['prompt']}:{c.fmt_num(p.get('weight', 1.0))}" for p in parts)
            if len(parts) > 1:
                c.add_problem(found, f"InvokeAI blends {len(parts)} weighted prompts")
    elif isinstance(raw, str):
        text = raw
    else:
        text = None
    if text is not None:
        prompt, negative = split_negative(text)
        if negative is not None:
            found.extra["prompt (as typed)"] = text
        found.prompt, found.negative_prompt = prompt, negative
    kind = str(image.get("type", "txt2img"))
    values = {k: v for k, v in image.items() if k not in ("upscale", "variations", "hires_fix", "seamless")}
    if kind == "txt2img":
        values.pop("init_img", None)
    elif not values.get("init_img"):
        values["init_img"] = f"(a {kind} source image)"
    _apply_common(found, values, "sd-metadata")
    found.model_name = meta.get("model_weights") or meta.get("model_id") or None
    found.model_hash = meta.get("model_hash") or None
    found.tool_version = meta.get("app_version")
    post = image.get("postprocessing")
    if isinstance(post, list) and post:
        described = ", ".join(
            f"{p.get('type')} ({', '.join(f'{k} {v}' for k, v in p.items() if k != 'type')})" for p in post
            if isinstance(p, dict))
        c.add_problem(found, f"post-processing after generation: {described}")
    if image.get("facetool_strength") and c.as_float(image["facetool_strength"], "sd-metadata: facetool_strength") > 0:
        c.add_problem(found, f"post-processing after generation: {image.get('facetool', 'face restoration')} "
                             f"strength {image['facetool_strength']}")
    if image.get("upscale"):
        c.add_problem(found, f"post-processing after generation: upscale {c.compact(image['upscale'])}")
    variations = image.get("variations")
    if isinstance(variations, list) and variations:
        c.add_problem(found, "variation seeds " + ", ".join(
            f"{v[0]} strength {v[1]}" if isinstance(v, list) and len(v) == 2 else c.compact(v) for v in variations))
    for key, label in (("perlin", "perlin noise"), ("threshold", "threshold")):
        if image.get(key) and c.as_float(image[key], f"sd-metadata: {key}") > 0:
            c.add_problem(found, f"{label} {image[key]} changes the noise/sampling")
    if image.get("hires_fix") is True:
        found.passes = 2
        found.hires = {"hires_fix": "true"}
        c.add_problem(found, "hires fix: a second sampler pass upscales the image")
    if image.get("seamless") is True:
        c.add_problem(found, "seamless (tiling) generation")
    used = {"prompt", "steps", "seed", "width", "height", "cfg_scale", "sampler", "strength", "init_img",
            "postprocessing", "variations", "hires_fix", "seamless"}
    for key, value in image.items():
        if key not in used:
            c.put_extra(found, key, value)
    for key, value in meta.items():
        if key not in ("image", "images", "model_weights", "model_id", "model_hash", "app_version"):
            c.put_extra(found, key, value)
    return found


def _model(value: Any) -> tuple[str | None, str | None, dict]:
    """3.x {model_name, base_model, model_type} / 4.x+ {key, hash, name, base, type} → (name, hash, rest)."""
    if isinstance(value, str):
        return value, None, {}
    if not isinstance(value, dict):
        return None, None, {}
    name = value.get("name") or value.get("model_name")
    hash_ = value.get("hash")
    rest = {k: v for k, v in value.items() if k not in ("name", "model_name", "hash")}
    return (str(name) if name else None), (str(hash_) if hash_ else None), rest


def found_from_metadata(meta: dict[str, Any], carriers: list[Carrier], graph: dict | None = None) -> Found:
    found = c.new_found("invokeai", carriers)
    where = "invokeai_metadata"
    used = set()

    def get(key: str) -> Any:
        used.add(key)
        return meta.get(key)

    found.prompt = get("positive_prompt")
    found.negative_prompt = get("negative_prompt")
    used.update(("seed", "steps", "cfg_scale", "width", "height"))
    c.read_numbers(found, meta, where, seed="seed", steps="steps", cfg="cfg_scale", width="width", height="height")
    if get("scheduler") is not None:
        found.sampler = str(meta["scheduler"])  # InvokeAI's scheduler names the sampler and schedule (euler_k …)
    if get("clip_skip") is not None:
        found.clip_skip = c.as_int(meta["clip_skip"], f"{where}: clip_skip", low=0, high=64) + 1  # layers skipped
    if get("rand_device") is not None:
        found.rng = str(meta["rand_device"]).lower()
    found.tool_version = get("app_version")
    name, hash_, rest = _model(get("model"))
    found.model_name, found.model_hash = name, hash_
    if rest:
        c.put_extra(found, "model", rest)
    name, hash_, rest = _model(get("vae"))
    found.vae_name, found.vae_hash = name, hash_
    for item in c.as_list(get("loras")):
        if not isinstance(item, dict):
            continue
        name, hash_, _ = _model(item.get("model", item.get("lora")))
        if name:
            weight = item.get("weight", 1.0)
            found.loras.append(Lora(name, c.as_float(weight, f"{where}: loras weight"), hash_))
    mode = str(get("generation_mode") or "")
    if mode:
        found.extra["generation_mode"] = mode
    if any(word in mode for word in ("img2img", "inpaint", "outpaint")):
        found.img2img = True
        c.add_problem(found, "img2img: the source image is not stored")
        for key in ("strength", "denoising_strength"):
            if get(key) is not None:
                found.strength = c.strength(meta[key], f"{where}: {key}")
                break
    if get("hrf_enabled") is True:
        found.passes += 1
        found.hires = {k: c.compact(v) for k, v in meta.items() if k.startswith("hrf_")}
        used.update(found.hires)
        if get("hrf_strength") is None:
            c.add_problem(found, "high-resolution fix: a second sampler pass upscales the image, with a strength "
                                 "the metadata does not record")
        else:
            method = str(get("hrf_method") or "")
            later = FoundPass("hires", strength=c.strength(meta["hrf_strength"], f"{where}: hrf_strength"),
                              width=found.width, height=found.height,
                              upscaler={"bilinear": "latent"}.get(method.lower(), method or None),
                              summary=f"{method or 'hrf'}, strength {c.compact(meta['hrf_strength'])}")
            # InvokeAI records the final size and computes the first pass's itself (about the model's
            # native resolution); that size is not in the metadata.
            later.problems.append("InvokeAI records the final size; the first pass's size, which InvokeAI "
                                  "computes, is not recorded")
            found.later.append(later)
    if meta.get("refiner_model"):
        found.passes += 1
        refiner, refiner_hash, _ = _model(meta["refiner_model"])
        start = get("refiner_start")
        if start is None:
            c.add_problem(found, f"refiner: a second model ({refiner}) finishes the image, from a switch point the "
                                 "metadata does not record")
        else:
            later = FoundPass("refiner", strength=c.strength(start, f"{where}: refiner_start"), model=refiner,
                              model_hash=refiner_hash, summary=f"{refiner}, start {c.compact(start)}")
            if get("refiner_steps") is not None:
                later.steps = c.steps(meta["refiner_steps"], f"{where}: refiner_steps")
            if get("refiner_cfg_scale") is not None:
                later.guidance_scale = c.cfg(meta["refiner_cfg_scale"], f"{where}: refiner_cfg_scale")
            if get("refiner_scheduler"):
                later.sampler = str(meta["refiner_scheduler"])
            scores = [f"{k} {c.compact(meta[k])}" for k in ("refiner_positive_aesthetic_score",
                                                             "refiner_negative_aesthetic_score") if get(k) is not None]
            if scores:
                later.approximations.append("the refiner's aesthetic scores (" + ", ".join(scores) + ") have no AIGIF "
                                            "field; a recreation uses the pipeline's defaults")
            found.later.append(later)
    for key, label in (("controlnets", "ControlNet"), ("ipAdapters", "IP-Adapter"), ("t2iAdapters", "T2I-Adapter"),
                       ("ref_images", "reference image")):
        if meta.get(key):
            c.add_problem(found, f"{label}: the control/reference image is not stored")
    if meta.get("seamless_x") or meta.get("seamless_y"):
        c.add_problem(found, "seamless (tiling) generation")
    for key, value in meta.items():
        if key not in used and value not in (None, [], ""):
            c.put_extra(found, key, value)
    if graph is not None:
        noise = _graph_values(graph).get("seed")
        if noise is not None and noise != found.seed:
            found.extra["invokeai_graph noise seed"] = str(noise)
    return found


def _graph_values(graph: dict[str, Any]) -> dict[str, Any]:
    """Seed, steps, cfg, scheduler, size, prompts and model from an ``invokeai_graph`` (no metadata)."""
    nodes = graph.get("nodes")
    if isinstance(nodes, list):
        nodes = {str(n.get("id")): n for n in nodes if isinstance(n, dict)}
    if not isinstance(nodes, dict):
        return {}
    edges = c.as_list(graph.get("edges"))
    out: dict[str, Any] = {}
    for node in nodes.values():
        if not isinstance(node, dict):
            continue
        kind = str(node.get("type", ""))
        if kind == "noise" or kind.endswith("noise"):
            for key in ("seed", "width", "height"):
                if node.get(key) is not None:
                    out.setdefault(key, node[key])
        if "denoise" in kind:
            for key in ("steps", "cfg_scale", "scheduler"):
                if node.get(key) is not None:
                    out.setdefault(key, node[key])
            if node.get("seed") is not None:
                out.setdefault("seed", node["seed"])
        if "model_loader" in kind and node.get("model") is not None:
            out.setdefault("model", node["model"])
    for edge in edges:
        src, dst = c.as_dict(c.as_dict(edge).get("source")), c.as_dict(c.as_dict(edge).get("destination"))
        field = str(dst.get("field", ""))
        node = nodes.get(str(src.get("node_id")))
        if not isinstance(node, dict):
            continue
        if field in ("positive_conditioning", "negative_conditioning"):
            text = node.get("prompt")
            if isinstance(text, str):
                out.setdefault(field.split("_")[0], text)
    return out


def found_from_graph(graph: dict[str, Any], carriers: list[Carrier]) -> Found:
    found = c.new_found("invokeai", carriers)
    v = _graph_values(graph)
    c.add_problem(found, "only the InvokeAI graph is stored, not its generation metadata: values were read from "
                         "the graph's nodes")
    found.prompt, found.negative_prompt = v.get("positive"), v.get("negative")
    if v.get("seed") is not None:
        found.seed = c.seed(v["seed"], "invokeai_graph: seed")
    if v.get("steps") is not None:
        found.steps = c.steps(v["steps"], "invokeai_graph: steps")
    if v.get("cfg_scale") is not None:
        found.guidance_scale = c.cfg(v["cfg_scale"], "invokeai_graph: cfg_scale")
    if v.get("scheduler") is not None:
        found.sampler = str(v["scheduler"])
    if v.get("width") is not None and v.get("height") is not None:
        found.width = c.dimension(v["width"], "invokeai_graph: width")
        found.height = c.dimension(v["height"], "invokeai_graph: height")
    found.model_name, found.model_hash, _ = _model(v.get("model"))
    return found


def same(a: Found, b: Found, what: str) -> None:
    """Two InvokeAI carriers describing one image must agree (Dream vs sd-metadata)."""
    for attr in ("seed", "steps", "width", "height", "guidance_scale", "sampler"):
        x, y = getattr(a, attr), getattr(b, attr)
        if x is not None and y is not None and x != y:
            raise c.bad(f"{what}: {attr}", f"the carriers disagree ({x!r} vs {y!r})")
