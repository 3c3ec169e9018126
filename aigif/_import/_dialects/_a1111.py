"""The A1111 "infotext" and the tools that write it.

AUTOMATIC1111, Forge/reForge, SD.Next, Civitai's generator, Stability Matrix, ComfyUI saver nodes
(SaveImageWithMetaData, comfy-image-saver), Fooocus's ``a1111`` scheme and PaddleNLP (one key per line).

Grammar (``modules/infotext_utils.py parse_generation_parameters``): the last line is the
parameters line when ``re_param`` finds at least 3 ``key: value`` pairs in it; a line starting with
``Negative prompt:`` starts the negative prompt; values holding ``,`` ``:`` or a newline are
JSON-quoted. Beyond A1111's own reader: unquoted ``[...]``/``{...}`` values (Civitai resources,
Hashes) are scanned bracket-aware, sd-dynamic-prompts' trailing ``Template:``/``Negative Template:``
lines are taken off first, and the prompt is kept exactly as written (A1111 strips every line; we
only undo the CR of a CRLF separator), so it is the text the tool encoded.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass, field
from typing import AbstractSet

from .._found import Carrier, Found, FoundPass, Lora
from . import _common as c

_KEY = re.compile(r"\s*(\w[\w \-/]+):\s*")
_QUOTED = re.compile(r'"(?:\\.|[^\\"])+"')
_LINE_KEY = re.compile(r"\s*(\w[\w \-/]*):\s?(.*)")


@dataclass
class Infotext:
    prompt: str
    negative: str | None
    params: list[tuple[str, str]] = field(default_factory=list)  # (key, unquoted value), in order
    layout: str = "a1111"  # "a1111", "key-per-line" (PaddleNLP) or "prompt-only"
    template: str | None = None
    negative_template: str | None = None


def _bracket_end(line: str, start: int) -> int | None:
    """Index after the bracket that closes ``line[start]`` (``[`` or ``{``), JSON strings respected."""
    depth, in_string, escaped = 0, False, False
    for i in range(start, len(line)):
        ch = line[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def scan_params(line: str) -> list[tuple[str, str]]:
    """``re_param.findall(line)`` with values starting with ``[``/``{`` read up to their closing bracket.

    Values are returned raw (still quoted); ``unquote`` them.
    """
    out: list[tuple[str, str]] = []
    pos, n = 0, len(line)
    while pos <= n:
        m = _KEY.search(line, pos)
        if not m:
            break
        key, i = m.group(1), m.end()
        value = None
        if i < n and line[i] == '"':
            q = _QUOTED.match(line, i)
            if q and (q.end() == n or line[q.end()] == ","):
                value, pos = q.group(), q.end() + 1
        elif i < n and line[i] in "[{":
            end = _bracket_end(line, i)
            if end is not None:
                rest = end
                while rest < n and line[rest] in " \t":
                    rest += 1
                if rest == n or line[rest] == ",":
                    value, pos = line[i:end], rest + 1
        if value is None:
            j = line.find(",", i)
            j = n if j < 0 else j
            value, pos = line[i:j], j + 1
        out.append((key, value))
    return out


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        try:
            loaded = json.loads(value)
        except ValueError:
            return value
        if isinstance(loaded, str):
            return loaded
    return value


def _is_params_line(line: str) -> bool:
    return len(scan_params(line.rstrip("\r"))) >= 3


def _split_templates(lines: list[str]) -> tuple[list[str], str | None, str | None]:
    """Take sd-dynamic-prompts' ``Template:``/``Negative Template:`` lines off the end."""
    for i in range(1, len(lines)):
        if lines[i].startswith("Template:") and _is_params_line(lines[i - 1]):
            template: list[str] = []
            negative: list[str] | None = None
            for line in lines[i:]:
                if line.startswith("Negative Template:"):
                    negative = [line[len("Negative Template:"):].lstrip(" ")]
                elif negative is not None:
                    negative.append(line)
                elif not template:
                    template.append(line[len("Template:"):].lstrip(" "))
                else:
                    template.append(line)
            return (lines[:i], "\n".join(template).rstrip("\r"),
                    None if negative is None else "\n".join(negative).rstrip("\r"))
    return lines, None, None


_PADDLE_KEYS = {"Steps", "Sampler", "Seed", "CFG scale"}


def parse_infotext(text: str) -> Infotext:
    """Split an infotext into prompt, negative prompt and ``key: value`` pairs (values unquoted)."""
    lines = c.clean(text).strip().split("\n")
    lines, template, negative_template = _split_templates(lines)
    params: list[tuple[str, str]] = []
    layout = "a1111"
    last = lines[-1].rstrip("\r")
    found = scan_params(last)
    if len(lines) >= 1 and len(found) >= 3:
        params = [(k, unquote(v)) for k, v in found]
        body = lines[:-1]
    else:
        # PaddleNLP: one "key: value" per line after the prompt and negative prompt.
        tail: list[tuple[str, str]] = []
        k = len(lines)
        while k > 1:
            line = lines[k - 1].rstrip("\r")
            m = _LINE_KEY.fullmatch(line)
            if not m or line.lstrip().startswith("Negative prompt:"):
                break
            tail.insert(0, (m.group(1), m.group(2)))
            k -= 1
        if len(tail) >= 3 and _PADDLE_KEYS & {key for key, _ in tail}:
            params, body, layout = tail, lines[:k], "key-per-line"
        else:
            body, layout = lines, "prompt-only"
    prompt_lines: list[str] = []
    negative_lines: list[str] | None = None
    for line in body:
        if line.strip().startswith("Negative prompt:"):
            rest = line.lstrip()[len("Negative prompt:"):].lstrip()
            if negative_lines is None:
                negative_lines = [rest]
            else:  # A1111 strips the prefix from every such line
                negative_lines.append(rest)
            continue
        (prompt_lines if negative_lines is None else negative_lines).append(line)
    prompt = "\n".join(prompt_lines)
    prompt = prompt[:-1] if prompt.endswith("\r") else prompt
    negative = None
    if negative_lines is not None:
        negative = "\n".join(negative_lines)
        negative = negative[:-1] if negative.endswith("\r") else negative
    return Infotext(prompt, negative, params, layout, template, negative_template)


# ---------------------------------------------------------------------------------------------

_FORGE_VERSION = re.compile(r"^(f\d|neo\b|classic\b)", re.IGNORECASE)
_IMG2IMG_KEYS = ("Mask blur", "Init image hash", "Image CFG scale", "Inpaint area", "Masked content", "Mask mode",
                 "Inpaint area padding", "Masked area padding")
_A1111_DEFAULTS_TOOLS = {"automatic1111", "forge", "sdnext", "civitai"}  # absent Clip skip means 1
_GPU_DEFAULT_TOOLS = {"automatic1111", "forge"}  # absent RNG means GPU
_CPU_NOISE_TOOLS = {"comfyui", "stability-matrix", "fooocus"}  # ComfyUI-based: noise drawn on the CPU
#: Fooocus modules/flags.py KSAMPLER, inverted (first match wins, as in Fooocus's own reader).
_FOOOCUS_FROM_A1111 = {"Euler": "euler", "Euler a": "euler_ancestral", "Heun": "heun", "DPM2": "dpm_2",
                       "DPM2 a": "dpm_2_ancestral", "LMS": "lms", "DPM fast": "dpm_fast",
                       "DPM adaptive": "dpm_adaptive", "DPM++ 2S a": "dpmpp_2s_ancestral", "DPM++ SDE": "dpmpp_sde",
                       "DPM++ 2M": "dpmpp_2m", "DPM++ 2M SDE": "dpmpp_2m_sde", "LCM": "lcm", "TCD": "tcd",
                       "Restart": "restart", "DDIM": "ddim", "UniPC": "uni_pc"}


def detect_tool(params: dict[str, str], keys: set[str], software: str | None = None) -> str:
    """Which A1111-family writer made this infotext (``keys``: the other carrier keys present)."""
    version = params.get("Version", "")
    if software and software.strip().lower().startswith("paddlenlp"):
        return "paddlenlp"
    if "Civitai resources" in params or "Civitai metadata" in params:
        return "civitai"
    if params.get("App", "").strip().lower() == "sd.next" or "Backend" in params or "Pipeline" in params:
        return "sdnext"
    if version.startswith("Fooocus") or "fooocus_scheme" in keys or "Raw prompt" in params:
        return "fooocus"
    if "parameters-json" in keys or "smproj" in keys:
        return "stability-matrix"
    if version.strip() == "ComfyUI":
        return "comfyui"
    if _FORGE_VERSION.match(version.strip()):
        return "forge"
    return "automatic1111"


def found_from_infotext(text: str, carriers: list[Carrier], *, keys: AbstractSet[str] = frozenset(),
                        software: str | None = None, tool: str | None = None,
                        carrier_name: str = "parameters") -> Found:
    """One ``Found`` from an infotext. ``tool`` forces the writer (else it is detected)."""
    info = parse_infotext(text)
    params: dict[str, str] = {}
    for key, value in info.params:
        if key in params and params[key] != value and key in _CORE:
            raise c.bad(f"{carrier_name}: {key}", f"written twice with different values ({params[key]!r}, {value!r})")
        params[key] = value
    if info.layout == "key-per-line" and software is None:
        software = "PaddleNLP"
    tool = tool or detect_tool(params, set(keys), software)
    found = c.new_found(tool, carriers)
    found.prompt = info.prompt
    found.negative_prompt = info.negative
    _apply(found, params, carrier_name)
    if info.layout == "prompt-only":
        c.put_extra(found, "infotext", "no parameters line")
    if info.template is not None:
        found.extra["Template"] = info.template
    if info.negative_template is not None:
        found.extra["Negative Template"] = info.negative_template
    return found


_CORE = {"Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size", "Model hash", "Model"}


def _apply(found: Found, params: dict[str, str], where: str) -> None:
    tool = found.tool
    used: set[str] = set()

    def take(key: str) -> str | None:
        if key in params:
            used.add(key)
            return params[key]
        return None

    def field(key: str) -> str:
        return f"{where}: {key}"

    # Paddle writes lower-case keys for some fields.
    value = take("Steps")
    if value is not None:
        found.steps = c.steps(value, field("Steps"))
    value = take("Sampler")
    if value is not None:
        found.sampler = value.strip()
    elif tool == "sdnext":
        found.sampler = "Default"  # SD.Next omits the key for its "Default" sampler (the model's own scheduler)
    value = take("Schedule type")
    if value is not None:
        found.schedule = value.strip()
    for key in ("CFG scale", "CFG Scale"):
        value = take(key)
        if value is not None:
            found.guidance_scale = c.cfg(value, field(key))
            break
    value = take("Seed")
    if value is not None:
        found.seed = c.seed(value, field("Seed"))
    value = take("Size")
    if value is not None:
        found.width, found.height = c.size(value, field("Size"))
    if tool == "paddlenlp":
        for key, attr in (("width", "width"), ("height", "height")):
            value = take(key)
            if value is not None:
                setattr(found, attr, c.dimension(value, field(key)))
        value = take("model_name")
        if value is not None:
            found.model_name = value.strip()
        value = take("eta")
        if value is not None:
            found.eta = c.as_float(value, field("eta"))
    value = take("Model hash")
    if value is not None:
        found.model_hash = value.strip()
    value = take("Model")
    if value is not None:
        found.model_name = value.strip()
    value = take("VAE")
    if value is not None:
        found.vae_name = value.strip()
    value = take("VAE hash")
    if value is not None:
        found.vae_hash = value.strip()
    value = take("Clip skip")
    if value is not None:
        found.clip_skip = c.as_int(value, field("Clip skip"), low=0, high=64) or 1
    elif tool in _A1111_DEFAULTS_TOOLS:
        found.clip_skip = 1
    value = take("RNG")
    if value is not None:
        found.rng = value.strip().lower()
    elif tool in _GPU_DEFAULT_TOOLS:
        found.rng = "gpu"
    elif tool in _CPU_NOISE_TOOLS:
        found.rng = "cpu"
    value = take("Eta")
    if value is not None:
        found.eta = c.as_float(value, field("Eta"))
    elif "Eta DDIM" in params and (found.sampler or "").startswith("DDIM"):
        found.eta = c.as_float(take("Eta DDIM"), field("Eta DDIM"))
    value = take("Version")
    if value is not None:
        found.tool_version = value.strip()

    # Fooocus's a1111 scheme: back to Fooocus's own (ComfyUI) sampler names; its "Scheduler" is the schedule.
    if tool == "fooocus" and found.sampler:
        name = found.sampler.removesuffix(" Karras")
        if name in _FOOOCUS_FROM_A1111:
            found.extra["Sampler"] = found.sampler
            found.sampler = _FOOOCUS_FROM_A1111[name]
        value = take("Scheduler")
        if value is not None:
            found.schedule = value.strip()

    # First pass / hires fix.
    hires = {key: val for key, val in params.items() if key.startswith("Hires ") or key == "First pass size"}
    if hires:
        used.update(hires)
        value = take("Denoising strength")
        if value is not None:
            c.strength(value, field("Denoising strength"))
            hires["Denoising strength"] = value
        final: tuple[int, int] | None = None
        if "First pass size" in hires:  # A1111 < 1.0: Size is the final size, this is the first pass
            width: int | None
            height: int | None
            try:
                width, height = c.size(hires["First pass size"], field("First pass size"))
            except Exception:  # "0x0": the first pass size was chosen automatically
                width = height = None
            if found.width and found.height:
                final = (found.width, found.height)
                hires["Size"] = f"{found.width}x{found.height}"
                if not (width and height):  # A1111's old automatic first pass: about 512x512 pixels
                    width, height = _old_first_pass(found.width, found.height)
            if width and height:
                found.width, found.height = width, height
        found.hires = hires
        found.passes += 1
        later = _hires_pass(found, hires, final, where)
        if later is None:
            c.add_problem(found, "hires fix: a second sampler pass upscales the image" + _hires_summary(hires)
                          + ", and its denoising strength is not recorded")
        else:
            found.later.append(later)
    img2img_hint = any(key in params for key in _IMG2IMG_KEYS)
    operations = params.get("Operations", "").lower()
    if "img2img" in operations or "inpaint" in operations:
        img2img_hint = True
    value = None if hires else take("Denoising strength")
    if value is not None:
        found.strength = c.strength(value, field("Denoising strength"))
        found.img2img = True
    elif img2img_hint:
        found.img2img = True
    if found.img2img:
        c.add_problem(found, "img2img: the source image is not stored")

    # Refiner (A1111 >= 1.6 "Refiner: name [hash]", SD.Next "Refiner *", Fooocus "Refiner").
    if any(key.startswith("Refiner") and key != "Refiner Swap Method" and val.strip() not in ("", "None")
           for key, val in params.items()):
        found.passes += 1
        refiner = _refiner_pass(params, where)
        if refiner is None:
            c.add_problem(found, f"refiner: a second model ({params.get('Refiner', 'named in the infotext')}) "
                                 "finishes the image, from a switch point the infotext does not record")
        else:
            found.later.append(refiner)
            used.update(key for key in params if key in _REFINER_KEYS)

    # Noise that a plain seed does not reproduce.
    var_seed, var_strength = params.get("Variation seed"), params.get("Variation seed strength")
    if var_seed is not None or var_strength is not None:
        amount = c.as_float(var_strength, field("Variation seed strength")) if var_strength is not None else None
        if amount != 0.0:
            c.add_problem(found, f"variation seed {var_seed} strength {var_strength}")
    if "Seed resize from" in params and params["Seed resize from"].strip() not in ("-1x-1", "0x0"):
        c.add_problem(found, f"noise resized from {params['Seed resize from'].strip()} (Seed resize from)")

    # Extensions and options that change the pixels after (or besides) the recorded sampling.
    adetailer = sorted({val for key, val in params.items() if key.startswith("ADetailer model")})
    if any(key.startswith("ADetailer") for key in params):
        c.add_problem(found, "ADetailer inpaints detected regions after generation"
                             + (f" ({', '.join(adetailer)})" if adetailer else ""))
    if params.get("Face restoration", "").strip():
        c.add_problem(found, f"post-processing after generation: face restoration ({params['Face restoration']})")
    controlnets = [key for key in params if re.fullmatch(r"ControlNet( \d+)?", key)]
    if controlnets:
        c.add_problem(found, f"ControlNet ({len(controlnets)} unit{'s' if len(controlnets) > 1 else ''}): the "
                             "control image is not stored")
    if params.get("Tiling", "").strip().lower() == "true":
        c.add_problem(found, "seamless (tiling) generation")
    for key in ("Token merging ratio", "NGMS"):
        if key in params and params[key].strip() not in ("0", "0.0"):
            c.add_problem(found, f"{key} {params[key].strip()} changes the sampling")

    _loras(found, params, used, where)

    for key, val in params.items():
        if key not in used:
            c.put_extra(found, key, val)


def _hires_summary(hires: dict[str, str]) -> str:
    parts = []
    if "Hires upscaler" in hires:
        parts.append(hires["Hires upscaler"])
    if "Hires upscale" in hires:
        parts.append(f"x{hires['Hires upscale']}")
    if "Hires resize" in hires:
        parts.append(f"to {hires['Hires resize']}")
    if "Hires steps" in hires:
        parts.append(f"{hires['Hires steps']} steps")
    if "Denoising strength" in hires:
        parts.append(f"denoise {hires['Denoising strength']}")
    return f" ({', '.join(parts)})" if parts else ""


def _loras(found: Found, params: dict[str, str], used: set[str], where: str) -> None:
    """LoRAs from the prompt's tags, with hashes from ``Lora hashes``/``Hashes``; embeddings from ``TI hashes``."""
    loras = c.prompt_tags(found.prompt)
    by_name = {lora.name: i for i, lora in enumerate(loras)}
    hypernet = params.get("Hypernet")
    if hypernet:
        used.update({"Hypernet", "Hypernet strength"})
        weight = 1.0
        if "Hypernet strength" in params:
            weight = c.as_float(params["Hypernet strength"], f"{where}: Hypernet strength")
        if hypernet.strip() not in by_name:
            by_name[hypernet.strip()] = len(loras)
            loras.append(Lora(name=hypernet.strip(), weight=weight, kind="hypernetwork"))
    weights: dict[str, float] = {}
    if "Lora weights" in params:  # Fooocus: "name: weight, ..."
        for name, text in c.name_hash_list(params["Lora weights"]):
            try:
                weights[name] = float(text)
            except ValueError:
                continue
        used.add("Lora weights")

    def set_hash(name: str, value: str, kind: str, hash_kind: str | None = None) -> None:
        key = ("embedding:" + name) if kind == "embedding" else name  # an embedding never takes a LoRA's hash
        if key in by_name:
            i = by_name[key]
            if loras[i].hash is None:
                loras[i] = dataclasses.replace(loras[i], hash=value, hash_kind=hash_kind)
        else:
            weight = weights.get(name)
            if weight is None and kind != "embedding":
                c.add_problem(found, f"LoRA {name!r} is listed with a hash but not in the prompt: its weight is "
                                     "not recorded (1.0 assumed)")
            by_name[key] = len(loras)
            loras.append(Lora(name=name, weight=1.0 if weight is None else weight, hash=value, kind=kind,
                              hash_kind=hash_kind))

    if "Lora hashes" in params:
        for name, value in c.name_hash_list(params["Lora hashes"]):
            set_hash(name, value, "lora")
        used.add("Lora hashes")
    for name, weight in weights.items():
        if name not in by_name:
            by_name[name] = len(loras)
            loras.append(Lora(name=name, weight=weight))
    if "TI hashes" in params:
        for name, value in c.name_hash_list(params["TI hashes"]):
            set_hash(name, value, "embedding", "sha256-12")  # A1111: the whole file's SHA-256, 12 digits
        used.add("TI hashes")
    hashes = c.try_json_object(params.get("Hashes", ""))
    if hashes:  # Civitai helper / SaveImageWithMetaData: {"model": h, "vae": h, "lora:name": h, "embed:name": h}
        for key, value in hashes.items():
            if not isinstance(value, str):
                continue
            kind, _, name = key.partition(":")
            kind = kind.lower()
            if key.lower() == "model" and found.model_hash is None:
                found.model_hash = value
            elif key.lower() == "vae" and found.vae_hash is None:
                found.vae_hash = value
            elif kind in ("lora", "lyco") and name:
                set_hash(name, value, "lora" if kind == "lora" else "lycoris")
            elif kind in ("embed", "embedding", "ti") and name:
                set_hash(name, value, "embedding")
    resources = params.get("Civitai resources")
    if resources:  # Civitai's generator names its resources here (no tags in the prompt, no Model key)
        tagged = any(lora.kind != "embedding" for lora in loras)
        try:
            items = json.loads(resources)
        except ValueError:
            items = None
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            kind = str(item.get("type", "")).lower()
            res_name = item.get("modelName") or item.get("modelVersionName") or item.get("air")
            if kind == "checkpoint" and found.model_name is None and res_name:
                found.model_name = str(res_name)
            elif tagged:
                continue
            elif kind in ("lora", "lycoris", "locon", "dora") and res_name:
                weight = item.get("weight", 1.0)
                try:
                    weight = float(weight)
                except (TypeError, ValueError):
                    weight = 1.0
                loras.append(Lora(name=str(res_name), weight=weight, kind="lycoris" if kind == "lycoris" else "lora"))
            elif kind in ("embed", "embedding", "textualinversion") and res_name:
                loras.append(Lora(name=str(res_name), weight=1.0, kind="embedding"))
    found.loras = loras


# ---------------------------------------------------------------------------------------------
# Passes after the first. Facts from A1111's modules/processing.py (v1.10.1, read, not copied):
# ``Size`` is the first pass's size (p.width x p.height, written before the hires pass); a factor
# gives the target int(width * factor) x int(height * factor) (truncated, not rounded); a
# ``Hires resize`` with one side 0 keeps the aspect ratio (other side = side * H // W); with both
# sides it upscales to cover them and crops the latent to them. ``Hires steps`` 0 means the first
# pass's steps; ``Hires sampler``/``Hires checkpoint``/``Hires prompt`` appear only when they
# differ from the first pass. A1111 < 1.0 wrote the final size as ``Size`` and the first pass as
# ``First pass size`` (0x0: chosen automatically, about 512x512 pixels in multiples of 64).

#: A1111's hires upscaler names -> AIGIF upscalers (registry 7.17); any other name is an upscaling model.
UPSCALERS = {"Latent": "latent", "Latent (antialiased)": "latent-antialiased", "Latent (bicubic)": "latent-bicubic",
             "Latent (bicubic antialiased)": "latent-bicubic-antialiased", "Latent (nearest)": "latent-nearest",
             "Latent (nearest-exact)": "latent-nearest-exact", "None": "none", "Lanczos": "lanczos",
             "Nearest": "nearest"}
_TITLE = re.compile(r"^(.*?)\s*\[([0-9a-fA-F]{8,64})\]\s*$")
_REFINER_KEYS = {"Refiner", "Refiner switch at", "Refiner switch", "Refiner start", "Refiner hash", "Refiner steps"}


def _old_first_pass(width: int, height: int) -> tuple[int, int]:
    """A1111's automatic first pass of its old hires fix: the final aspect ratio at about 512x512
    pixels, each side rounded up to a multiple of 64."""
    scale = math.sqrt(512 * 512 / (width * height))
    return math.ceil(scale * width / 64) * 64, math.ceil(scale * height / 64) * 64


def split_title(text: str) -> tuple[str, str | None]:
    """A1111 checkpoint titles ``name [hash]`` -> (name, hash)."""
    match = _TITLE.match(text.strip())
    return (match.group(1), match.group(2)) if match else (text.strip(), None)


def hires_target(width: int, height: int, scale: float | None, resize: tuple[int, int] | None) -> tuple[int, int]:
    """The size A1111's hires fix upscales a ``width`` x ``height`` first pass to."""
    if resize and (resize[0] or resize[1]):
        rx, ry = resize
        if ry == 0:
            return rx, rx * height // width
        if rx == 0:
            return ry * width // height, ry
        return rx, ry  # upscaled to cover, then cropped to exactly this size
    factor = 2.0 if scale is None else scale  # A1111's default factor
    return int(width * factor), int(height * factor)


def _hires_pass(found: Found, hires: dict[str, str], final: tuple[int, int] | None, where: str) -> FoundPass | None:
    strength = hires.get("Denoising strength")
    if strength is None:
        return None
    out = FoundPass("hires", strength=float(strength), summary=_hires_summary(hires).strip(" ()"))
    scale = resize = None
    if "Hires upscale" in hires:
        scale = c.as_float(hires["Hires upscale"], f"{where}: Hires upscale", low=0.0, high=64.0)
        out.scale = scale
    if "Hires resize" in hires:
        rx, ry = _size_or_zero(hires["Hires resize"], f"{where}: Hires resize")
        resize = (rx, ry) if rx or ry else None
    if "Hires size" in hires:  # SD.Next: the target it computed
        out.width, out.height = c.size(hires["Hires size"], f"{where}: Hires size")
    elif final is not None:
        out.width, out.height = final
    elif found.width and found.height:
        out.width, out.height = hires_target(found.width, found.height, scale, resize)
        if resize and resize[0] and resize[1] and resize[0] * found.height != resize[1] * found.width:
            out.approximations.append(f"A1111 upscales to cover {resize[0]}x{resize[1]} and crops the latents to "
                                      "it; AIGIF's pass resizes to that size")
    elif scale is not None or resize is not None:
        out.problems.append("the hires target size cannot be computed: the first pass's size is not recorded")
    upscaler = hires.get("Hires upscaler", "").strip()
    if upscaler:
        out.upscaler = UPSCALERS.get(upscaler, upscaler)
    if (out.upscaler is None or out.upscaler.startswith("latent")) and out.width and out.height:
        # A latent upscale resizes the latents to (side // 8): the pass's real size is a multiple of 8.
        out.width, out.height = out.width // 8 * 8, out.height // 8 * 8
    steps = hires.get("Hires steps", "").strip()
    if steps and steps != "0":
        out.steps = c.steps(steps, f"{where}: Hires steps")
    sampler = hires.get("Hires sampler", "").strip()
    if sampler and sampler != "Use same sampler":
        out.sampler = sampler
        out.schedule = hires.get("Hires schedule type", found.schedule)
    elif hires.get("Hires schedule type", "").strip() not in ("", "Use same scheduler"):
        out.sampler, out.schedule = found.sampler, hires["Hires schedule type"].strip()
    cfg = hires.get("Hires CFG Scale", hires.get("Hires CFG scale", "")).strip()
    if cfg:
        out.guidance_scale = c.cfg(cfg, f"{where}: Hires CFG Scale")
    prompt, negative = hires.get("Hires prompt", ""), hires.get("Hires negative prompt", "")
    if prompt or negative:  # A1111 writes each only when it differs from the first pass's
        out.prompt = prompt or found.prompt or ""
        out.negative_prompt = negative or found.negative_prompt or ""
    checkpoint = hires.get("Hires checkpoint", "").strip()
    if checkpoint and checkpoint != "Use same checkpoint":
        out.model, out.model_hash = split_title(checkpoint)
    return out


def _size_or_zero(text: str, field: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*x\s*(\d+)\s*", text)
    if not match:
        raise c.bad(field, f"{text!r} is not a size (WIDTHxHEIGHT)")
    return int(match.group(1)), int(match.group(2))


def _refiner_pass(params: dict[str, str], where: str) -> FoundPass | None:
    """A1111 ``Refiner: name [hash]`` + ``Refiner switch at: 0.8`` (SD.Next: ``Refiner start``)."""
    name = params.get("Refiner", "").strip()
    switch = next((params[k] for k in ("Refiner switch at", "Refiner switch", "Refiner start") if k in params), None)
    if not name or name == "None" or switch is None:
        return None
    model, model_hash = split_title(name)
    if params.get("Refiner hash", "").strip():
        model_hash = params["Refiner hash"].strip()
    out = FoundPass("refiner", strength=c.strength(switch, f"{where}: Refiner switch at"), model=model,
                    model_hash=model_hash, summary=f"{name}, switch at {switch.strip()}")
    if params.get("Refiner steps", "").strip() not in ("", "0"):
        out.steps = c.steps(params["Refiner steps"], f"{where}: Refiner steps")
    return out
