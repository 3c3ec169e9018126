"""A ``Found`` record (the source tool's vocabulary) -> AIGIF values, and how faithful a recreation can be.

The sampler tables follow diffusers' own A1111 mapping and the research notes
(``reference/ecosystem.md`` §3): each tool's sampler and schedule names become one registry
scheduler, scheduler options (field 1) and scheduler arguments (field 3). A name with no diffusers
equivalent is kept by name (the escape, R4.7) and makes the file "not recreatable"; nothing the
source said is dropped, because the verbatim metadata travels with the file as well.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field

from .._format import _limits as L
from .._format._model import Adapter, ModelRef, Pass, SchedulerOptions, default_trigger
from .._format._registry import HASH_LENGTHS, REGISTRIES
from ._found import Found

EXACT, APPROXIMATE, NOT_RECREATABLE = "exact-possible", "approximate", "not-recreatable"
_ORDER = {EXACT: 0, APPROXIMATE: 1, NOT_RECREATABLE: 2}


@dataclass
class Verdict:
    """How faithfully an imported file can be recreated, and every reason that lowered it."""

    level: str = EXACT
    reasons: list[str] = field(default_factory=list)

    def lower(self, level: str, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)
        if _ORDER[level] > _ORDER[self.level]:
            self.level = level


@dataclass(frozen=True)
class SchedulerChoice:
    name: str  # a registry scheduler, or a free name (escape) when diffusers has no equivalent
    options: SchedulerOptions = SchedulerOptions()
    config: dict[str, str] = field(default_factory=dict)  # field 3: diffusers argument -> JSON text
    equivalent: bool = True  # False: no diffusers scheduler reproduces it


# ---------------------------------------------------------------------------------------------
# Sampler vocabularies -> (registry scheduler, extra diffusers arguments). None: no equivalent.

_A1111 = {
    "DPM++ 2M": ("dpmpp_2m", {}), "DPM++ 2M SDE": ("dpmpp_2m_sde", {}),
    "DPM++ 2M SDE Heun": ("dpmpp_2m_sde", {"solver_type": "heun"}),
    "DPM++ 3M SDE": ("dpmpp_3m_sde", {}), "DPM++ SDE": ("dpmpp_sde", {}), "DPM++ 2S a": None,
    "DPM2": ("dpm2", {}), "DPM2 a": ("dpm2_a", {}), "Euler": ("euler", {}), "Euler a": ("euler_a", {}),
    "LMS": ("lms", {}), "Heun": ("heun", {}), "DDIM": ("ddim", {}), "PLMS": ("pndm", {"skip_prk_steps": True}),
    "UniPC": ("unipc", {}), "LCM": ("lcm", {}), "DDPM": ("ddpm", {}), "DEIS": ("deis", {}), "TCD": ("tcd", {}),
    "DPM fast": None, "DPM adaptive": None, "Restart": None, "DDIM CFG++": None, "Euler CFG++": None,
    "Euler a CFG++": None, "DPM++ 2M CFG++": None,
    # SD.Next names its samplers after diffusers classes; the ones that differ from A1111's:
    "DPM++ 3M": ("dpmpp_2m", {"solver_order": 3}), "DPM++ 2M EDM": None, "Euler SGM": ("euler", {}),
    "KDPM2": ("dpm2", {}), "KDPM2 a": ("dpm2_a", {}), "LMSD": ("lms", {}), "PNDM": ("pndm", {}),
    "DPM SDE": ("dpmpp_sde", {}), "Euler Ancestral": ("euler_a", {}),
}
#: The A1111 >= 1.9 "Automatic" schedule: the sampler's own default.
_A1111_AUTOMATIC = {"DPM++ 2M": "Karras", "DPM++ SDE": "Karras", "DPM++ 2S a": "Karras", "DPM2": "Karras",
                    "DPM2 a": "Karras", "Restart": "Karras", "DPM++ 2M SDE": "Exponential",
                    "DPM++ 2M SDE Heun": "Exponential", "DPM++ 3M SDE": "Exponential"}
_COMFY = {
    "euler": ("euler", {}), "euler_ancestral": ("euler_a", {}), "heun": ("heun", {}), "dpm_2": ("dpm2", {}),
    "dpm_2_ancestral": ("dpm2_a", {}), "lms": ("lms", {}), "dpmpp_2m": ("dpmpp_2m", {}),
    "dpmpp_2m_sde": ("dpmpp_2m_sde", {}), "dpmpp_2m_sde_gpu": ("dpmpp_2m_sde", {}),
    "dpmpp_2m_sde_heun": ("dpmpp_2m_sde", {"solver_type": "heun"}),
    "dpmpp_2m_sde_heun_gpu": ("dpmpp_2m_sde", {"solver_type": "heun"}),
    "dpmpp_3m_sde": ("dpmpp_3m_sde", {}), "dpmpp_3m_sde_gpu": ("dpmpp_3m_sde", {}),
    "dpmpp_sde": ("dpmpp_sde", {}), "dpmpp_sde_gpu": ("dpmpp_sde", {}), "ddim": ("ddim", {}),
    "uni_pc": ("unipc", {"solver_type": "bh1"}), "uni_pc_bh2": ("unipc", {"solver_type": "bh2"}),
    "lcm": ("lcm", {}), "ddpm": ("ddpm", {}), "deis": ("deis", {}), "tcd": ("tcd", {}),
}
_COMFY_SCHEDULES = {"normal": None, "karras": "karras", "exponential": "exponential", "beta": "beta",
                    "sgm_uniform": "trailing", "simple": "trailing", "ddim_uniform": "leading"}
_INVOKE = {  # InvokeAI >= 3 is diffusers-native: its names map 1:1 (ecosystem.md §3.4)
    "ddim": ("ddim", {}), "ddpm": ("ddpm", {}), "deis": ("deis", {}), "lms": ("lms", {}), "pndm": ("pndm", {}),
    "heun": ("heun", {}), "euler": ("euler", {}), "euler_a": ("euler_a", {}), "kdpm_2": ("dpm2", {}),
    "kdpm_2_a": ("dpm2_a", {}), "dpmpp_2s": ("dpmpp_2s", {}), "dpmpp_2m": ("dpmpp_2m", {}),
    "dpmpp_2m_sde": ("dpmpp_2m_sde", {}), "dpmpp_3m": ("dpmpp_2m", {"solver_order": 3}),
    "dpmpp_sde": ("dpmpp_sde", {}), "unipc": ("unipc", {}), "lcm": ("lcm", {}), "tcd": ("tcd", {}),
    # InvokeAI 2.x and lstein/stable-diffusion (k-diffusion names)
    "k_lms": ("lms", {}), "k_euler": ("euler", {}), "k_euler_a": ("euler_a", {}), "k_heun": ("heun", {}),
    "k_dpm_2": ("dpm2", {}), "k_dpm_2_a": ("dpm2_a", {}), "k_dpmpp_2": ("dpmpp_2m", {}), "plms": ("pndm", {}),
    "k_dpmpp_2_a": None,
}
_NOVELAI: dict[str, tuple[str, dict[str, object]] | None]
_NOVELAI = {"k_euler": ("euler", {}), "k_euler_ancestral": ("euler_a", {}), "k_dpmpp_2m": ("dpmpp_2m", {}),
            "k_dpmpp_sde": ("dpmpp_sde", {}), "ddim": ("ddim", {}), "ddim_v3": ("ddim", {}),
            "k_dpmpp_2s_ancestral": None, "k_dpm_2": ("dpm2", {}), "k_dpm_2_ancestral": ("dpm2_a", {}),
            "k_lms": ("lms", {}), "k_heun": ("heun", {}), "k_dpm_fast": None, "k_dpm_adaptive": None}
#: Schedule names (A1111 labels, lower-cased) -> a scheduler option; None: the model's default.
_SCHEDULES = {"uniform": None, "automatic": None, "normal": None, "karras": "karras", "exponential": "exponential",
              "beta": "beta", "sgm uniform": "trailing", "sgmuniform": "trailing", "simple": "trailing",
              "ddim": "leading", "native": None}
_NO_SCHEDULE_EQUIVALENT = {"polyexponential", "kl optimal", "kl_optimal", "align your steps", "linear_quadratic",
                           "karras exponential"}
_A1111_LEGACY_SUFFIXES = ("Karras", "Exponential", "Polyexponential", "SGM Uniform", "SGMUniform", "KL Optimal",
                          "Align Your Steps", "Simple", "Normal", "DDIM", "Beta", "Uniform")
#: Registry schedulers whose diffusers class has no sigma-schedule option (``use_karras_sigmas``,
#: ``use_exponential_sigmas``, ``use_beta_sigmas``), by class: the recreator cannot honour a Karras,
#: exponential or beta schedule on them and, forced, keeps the class's own (the verdict says so).
#: tests/recreate/test_contract.py holds this table to the installed diffusers.
NO_SIGMA_OPTIONS = {"ddim": "DDIMScheduler", "pndm": "PNDMScheduler", "euler_a": "EulerAncestralDiscreteScheduler",
                    "lcm": "LCMScheduler", "tcd": "TCDScheduler", "ddpm": "DDPMScheduler"}
_COMFY_TOOLS = {"comfyui", "swarmui", "fooocus", "fooocus-mre", "ruined-fooocus", "tensorart"}
_INVOKE_TOOLS = {"invokeai"}
DIFFUSERS_NATIVE = {"huggingface-space", "diffusers", "aigif"}


def diffusers_native(found: Found) -> bool:
    """Sources that ran a diffusers pipeline: InvokeAI >= 3, SD.Next's diffusers backend, HF diffusers apps."""
    if found.tool in DIFFUSERS_NATIVE:
        return True
    if found.tool == "invokeai":  # 3.x and later write invokeai_metadata; 2.x ran k-diffusion samplers
        return any(carrier.key == "invokeai_metadata" for carrier in found.carriers)
    if found.tool == "sdnext":
        return found.extra.get("Backend", "").lower() == "diffusers" or "Pipeline" in found.extra
    return False


def scheduler_for(found: Found) -> SchedulerChoice | None:
    """The registry scheduler, options and arguments for the source's sampler and schedule."""
    sampler, schedule = found.sampler, found.schedule
    if not sampler:
        return None
    tool = found.tool
    if tool in _COMFY_TOOLS or (sampler in _COMFY and sampler not in _A1111):
        name = sampler.removeprefix("sample_")  # early 2023 graphs: "sample_dpmpp_2m"
        if name.endswith("_karras") and schedule is None:  # ComfyUI saver nodes: "euler_ancestral_karras"
            name, schedule = name.removesuffix("_karras"), "karras"
        return _choice(_COMFY, name, schedule and _COMFY_SCHEDULES.get(schedule.lower(), "?"), schedule)
    if tool in _INVOKE_TOOLS or sampler in _INVOKE:
        name, karras = (sampler[:-2], "karras") if sampler.endswith("_k") and sampler[:-2] in _INVOKE else (sampler, None)
        return _choice(_INVOKE, name, karras, schedule)
    if tool == "novelai" or sampler in _NOVELAI:
        return _choice(_NOVELAI, sampler, schedule and _SCHEDULES.get(schedule.lower(), "?"), schedule)
    # The A1111 family (also SD.Next, Civitai, Fooocus's a1111 scheme, HF Spaces).
    name = sampler
    if schedule is None:  # pre-1.9 infotext: the schedule is part of the name; no suffix means uniform
        for suffix in _A1111_LEGACY_SUFFIXES:
            if name.endswith(" " + suffix) and name[: -len(suffix) - 1] in _A1111:
                name, schedule = name[: -len(suffix) - 1], suffix
                break
    elif schedule.lower() == "automatic":
        schedule = _A1111_AUTOMATIC.get(name, "Uniform")
    sigma = found.extra.get("Sampler sigma")  # SD.Next
    if schedule is None and sigma:
        schedule = sigma
    return _choice(_A1111, name, schedule and _SCHEDULES.get(schedule.lower(), "?"), schedule)


def _choice(table: dict, name: str, option: str | None, schedule: str | None) -> SchedulerChoice:
    entry = table.get(name, "missing")
    if entry is None or entry == "missing" or option == "?":
        return SchedulerChoice(_escape_name(name, schedule), equivalent=False)
    registry_name, arguments = entry
    sigmas, spacing = "default", "default"
    if option in ("karras", "exponential", "beta"):
        sigmas = option
    elif option in ("trailing", "leading", "linspace"):
        spacing = option
    config = {key: json.dumps(value) for key, value in sorted(arguments.items())}
    return SchedulerChoice(registry_name, SchedulerOptions(sigmas=sigmas, timestep_spacing=spacing), config)


def _escape_name(name: str, schedule: str | None) -> str:
    return name if not schedule or schedule.lower() in ("automatic", "normal", "uniform") else f"{name} {schedule}"


# ---------------------------------------------------------------------------------------------
# Models and hashes

#: Checkpoint file stems of official releases -> registry model. Only names that are unambiguous.
KNOWN_CHECKPOINTS = {
    "v1-5-pruned-emaonly": "stable-diffusion-v1-5", "v1-5-pruned": "stable-diffusion-v1-5",
    "v1-5-pruned-emaonly-fp16": "stable-diffusion-v1-5", "sd-v1-4": "stable-diffusion-v1-4",
    "v2-1_768-ema-pruned": "stable-diffusion-2-1", "v2-1_512-ema-pruned": "stable-diffusion-2-1-base",
    "sd_xl_base_1.0": "stable-diffusion-xl-base-1.0", "sd_xl_base_1.0_0.9vae": "stable-diffusion-xl-base-1.0",
    "sd_xl_refiner_1.0": "stable-diffusion-xl-refiner-1.0", "sd_xl_turbo_1.0": "sdxl-turbo",
    "sd_xl_turbo_1.0_fp16": "sdxl-turbo", "sd_turbo": "sd-turbo", "sd3_medium": "stable-diffusion-3-medium",
    "sd3.5_medium": "stable-diffusion-3.5-medium", "sd3.5_large": "stable-diffusion-3.5-large",
    "sd3.5_large_turbo": "stable-diffusion-3.5-large-turbo", "flux1-dev": "flux.1-dev",
    "flux1-schnell": "flux.1-schnell", "ssd-1b": "ssd-1b",
}
_HASH_BY_LENGTH = {8: "autov1", 10: "autov2", 12: "autov3", 64: "sha256"}


def model_id(name: str | None) -> tuple[str, bool]:
    """(AIGIF model value, known): a registry model when the name says so, otherwise the name itself."""
    if not name:
        return "unknown-model", False
    registry = REGISTRIES["model"]
    stem = re.sub(r"\.(safetensors|ckpt|pt|pth|bin|gguf)$", "", name.strip(), flags=re.IGNORECASE)
    stem = stem.replace("\\", "/")  # a subfolder of a Windows tool's model folder ("SDXL\\model.safetensors")
    stem = stem.rsplit("/", 1)[-1] if stem.count("/") > 1 else stem  # a model name is NAME or OWNER/NAME (R5.3)
    stem = stem.rsplit("/", 1)[-1] if stem.count("/") and stem.rsplit("/", 1)[-1] in KNOWN_CHECKPOINTS else stem
    stem = re.sub(r"\s*\[[0-9a-fA-F]{8,10}\]$", "", stem)  # A1111 titles: "name [45a21ea00a]"
    for candidate in (stem, stem.lower()):
        if candidate in registry.codes:
            return candidate, True
        if candidate in KNOWN_CHECKPOINTS:
            return KNOWN_CHECKPOINTS[candidate], True
    for entry in _hub_repos().items():  # a Hugging Face repository id
        if stem == entry[1] or stem.lower() == entry[1].lower():
            return entry[0], True
    return stem, False


def _hub_repos() -> dict[str, str]:
    hf = REGISTRIES["model"].extra.get("hf", {})
    return {name: repo for name, repo in hf.items() if repo}


def parse_hash(text: str | None, kind_hint: str | None = None) -> str | None:
    """A tool's hash text -> AIGIF hash text ``kind:hex`` (R4.5), or None when it is not a hash we know.

    The kind comes from a ``kind:`` prefix, else from ``kind_hint`` when the length fits it (A1111's
    ``TI hashes`` are ``sha256-12``, its ``Lora hashes`` AutoV3: both 12 digits), else from the length."""
    if not text:
        return None
    value = text.strip().lower()
    kind = None
    if ":" in value:
        kind, value = value.split(":", 1)
        kind = {"blake3": "blake3", "sha256": "sha256", "autov2": "autov2", "autov1": "autov1",
                "autov3": "autov3", "sha256-12": "sha256-12"}.get(kind)
        if kind is None:
            return None
    value = value.removeprefix("0x")
    if not re.fullmatch(r"[0-9a-f]+", value):
        return None
    if kind is None and kind_hint and HASH_LENGTHS.get(kind_hint) == len(value) / 2:
        kind = kind_hint
    kind = kind or _HASH_BY_LENGTH.get(len(value))
    if kind is None or HASH_LENGTHS.get(kind) != len(value) // 2 or len(value) % 2:
        return None
    return f"{kind}:{value}"


def adapters_for(found: Found) -> tuple[Adapter, ...]:
    out = []
    for lora in found.loras:  # a kind without a registry code is kept by name (R4.7)
        out.append(Adapter(name=lora.name, kind=lora.kind or "lora", hash=parse_hash(lora.hash, lora.hash_kind),
                           weight=float(lora.weight)))
    return tuple(out)


def embedding_triggers_for(found: Found) -> dict[str, str]:
    """Field 27, only where the default trigger (the name without a model-file extension, R6.11) is
    not the text the prompt uses.

    A1111's ``TI hashes`` name each embedding as the prompt writes it, which is the default trigger,
    so the map is empty unless a name happens to end in a model-file extension; ComfyUI's prompts
    write ``embedding:NAME``, which is recorded."""
    out = {}
    for lora in found.loras:
        trigger = lora.trigger or lora.name
        if lora.kind == "embedding" and default_trigger(lora.name) != trigger:
            out[lora.name] = trigger
    return out


# ---------------------------------------------------------------------------------------------
# Prompts: A1111's extra-network tags

#: Tools that take ``<lora:…>``-style tags out of the positive prompt before encoding it
#: (A1111 ``extra_networks.parse_prompt``: every match of ``<(\w+):([^>]+)>`` becomes "").
EXTRA_NETWORK_TOOLS = {"automatic1111", "forge", "sdnext", "civitai"}
_EXTRA_NETWORK = re.compile(r"<(\w+):([^>]+)>")


def encoded_prompt(found: Found, text: str | None) -> str:
    """The positive prompt as the tool encoded it: extra-network tags removed where the tool removes them."""
    text = text or ""
    return _EXTRA_NETWORK.sub("", text) if found.tool in EXTRA_NETWORK_TOOLS else text


# ---------------------------------------------------------------------------------------------
# Passes after the first (R6.9)

_UPSCALERS = set(REGISTRIES["upscaler"].codes)


def passes_for(found: Found, first: SchedulerChoice | None) -> tuple[tuple[Pass, ...], list[tuple[str, str]]]:
    """The passes the source recorded (field 25), and (level, reason) pairs for the verdict."""
    out: list[Pass] = []
    reasons: list[tuple[str, str]] = []
    for later in found.later[:L.MAX_PASSES]:
        what = f"the {later.kind} pass" + (f" ({later.summary})" if later.summary else "")
        said = len(reasons)
        for problem in later.problems:
            reasons.append((NOT_RECREATABLE, f"{what}: {problem}"))
        for approximation in later.approximations:
            reasons.append((APPROXIMATE, f"{what}: {approximation}"))
        strength = later.strength
        if strength is None or not 0.0 <= strength <= 1.0:
            reasons.append((NOT_RECREATABLE, f"{what}: its strength {strength} is not a fraction 0-1"))
            continue
        width, height = later.width, later.height
        if width is not None and height is not None:
            if not (L.MIN_SIZE <= width <= L.MAX_SIZE and L.MIN_SIZE <= height <= L.MAX_SIZE):
                reasons.append((NOT_RECREATABLE, f"{what}: its size {width}x{height} is outside "
                                                 f"{L.MIN_SIZE}..{L.MAX_SIZE}"))
                width = height = None
            elif width % 8 or height % 8:  # the source's latents (and so its result) are a multiple of 8
                rounded = (width // 8 * 8, height // 8 * 8)
                reasons.append((APPROXIMATE, f"{what}: the source resized to {width}x{height}, which its latents "
                                             f"round down to {rounded[0]}x{rounded[1]}, the size recorded"))
                width, height = rounded
        else:
            width = height = None
        upscaler = later.upscaler
        upscaler_hash = parse_hash(later.upscaler_hash) if upscaler else None
        left_out = None  # why the recreator leaves this pass out (it runs hires passes with AIGIF's upscalers)
        if upscaler is not None and upscaler not in _UPSCALERS:
            reasons.append((APPROXIMATE, f"{what} needs the upscaling model {upscaler!r}"
                                         + (f" ({upscaler_hash})" if upscaler_hash else "")))
            left_out = "the recreator cannot load upscaling models yet"
        model = model_hash = None
        if later.model:
            model, known = model_id(later.model)
            model_hash = parse_hash(later.model_hash)
            if not known:
                reasons.append((APPROXIMATE, f"{what} needs the model {model!r}"
                                             + (f" ({model_hash})" if model_hash else "")
                                             + ": recreation needs a local copy (--model-dir)"))
            left_out = left_out or "the recreator does not run a pass with its own model yet"
        scheduler = None
        if later.sampler:
            choice = scheduler_for(dataclasses.replace(found, sampler=later.sampler, schedule=later.schedule))
            if choice is not None:
                scheduler = choice.name
                if not choice.equivalent:
                    reasons.append((NOT_RECREATABLE, f"{what}: sampler {choice.name!r} has no diffusers equivalent"))
                elif first is not None and (choice.options, dict(choice.config)) != (first.options, dict(first.config)):
                    reasons.append((APPROXIMATE, f"{what}: its schedule ({later.schedule or 'default'}) differs from "
                                                 "the first pass's; AIGIF records one set of scheduler options"))
        prompt = negative = None
        if later.prompt is not None or later.negative_prompt is not None:
            prompt = encoded_prompt(found, later.prompt)
            negative = later.negative_prompt or ""
        out.append(Pass(later.kind, float(strength), width=width, height=height, upscaler=upscaler,
                        upscaler_hash=upscaler_hash, model=model, model_hash=model_hash, scheduler=scheduler,
                        steps=later.steps, guidance_scale=later.guidance_scale, prompt=prompt,
                        negative_prompt=negative))
        if later.kind == "refiner":
            left_out = "the recreator does not run refiner passes yet"
        elif later.kind != "hires":
            left_out = f"the recreator does not know pass kind {later.kind!r}"
        if left_out:
            reasons.append((APPROXIMATE, f"{what}: {left_out}; a forced recreation leaves the pass out"))
        if len(reasons) == said:  # each pass is named, also one the recreator runs as recorded (lowers nothing)
            reasons.append((EXACT, f"{what}: recorded as pass {len(out) + 1}, which the recreator runs"))
    if len(found.later) > L.MAX_PASSES:
        reasons.append((NOT_RECREATABLE, f"{len(found.later) + 1} passes; AIGIF records at most {L.MAX_PASSES + 1}"))
    return tuple(out), reasons


def vae_for(found: Found) -> ModelRef | None:
    if not found.vae_name or found.vae_name.lower() in ("none", "automatic", "baked vae", "default"):
        return None
    return ModelRef(name=found.vae_name, hash=parse_hash(found.vae_hash))


# ---------------------------------------------------------------------------------------------
# Faithfulness

_WEIGHTING = re.compile(r"\([^()]*:\s*-?\d+(\.\d+)?\s*\)|\(\(|\[[^\[\]]+\]|\bBREAK\b|<lora:|<lyco:|<hypernet:"
                        r"|\{\{|::|\+\+|--|\)\d|\.blend\(|\.and\(")
_TOOL_NAMES = {"automatic1111": "AUTOMATIC1111", "forge": "Forge", "sdnext": "SD.Next", "comfyui": "ComfyUI",
               "invokeai": "InvokeAI", "novelai": "NovelAI", "fooocus": "Fooocus", "swarmui": "SwarmUI",
               "civitai": "Civitai", "stability-matrix": "Stability Matrix", "tensorart": "Tensor.Art"}


def tool_label(tool: str) -> str:
    return _TOOL_NAMES.get(tool, tool)


def judge(found: Found, scheduler: SchedulerChoice | None, model_known: bool) -> Verdict:
    """How faithfully a diffusers recreation can follow what the source tool did, and why."""
    verdict = Verdict()
    label = tool_label(found.tool)
    for problem in found.problems:
        verdict.lower(NOT_RECREATABLE, problem)
    if found.tool == "novelai":
        verdict.lower(NOT_RECREATABLE, "NovelAI models are not public")
    for what, value in (("seed", found.seed), ("steps", found.steps), ("sampler", found.sampler)):
        if value is None:
            verdict.lower(NOT_RECREATABLE, f"the image does not record its {what}")
    if found.guidance_scale is None:
        verdict.lower(NOT_RECREATABLE, "the image does not record its guidance (CFG) scale")
    if scheduler is not None and not scheduler.equivalent:
        if found.sampler == "Default":
            verdict.lower(NOT_RECREATABLE, "the sampler is the model's own default, which the image does not name")
        else:
            verdict.lower(NOT_RECREATABLE, f"sampler {scheduler.name!r} has no diffusers equivalent")
    unread = found.passes - 1 - len(found.later)
    if unread > 0:
        verdict.lower(NOT_RECREATABLE, f"{found.passes} sampler passes, {unread} of which the metadata does not "
                                       "describe well enough to record")
    if found.img2img:
        verdict.lower(NOT_RECREATABLE, "img2img: the source image is not stored")
    _unsupported_by_the_recreator(found, scheduler, verdict)
    if not model_known:
        model_hash = parse_hash(found.model_hash)
        verdict.lower(APPROXIMATE, f"model {found.model_name!r}{f' ({model_hash})' if model_hash else ''} is not in "
                                   "the AIGIF registry: recreation needs a local copy (--model-dir)"
                      if found.model_name else "the model is not recorded")
    native = diffusers_native(found)
    if not native:
        if found.rng in (None, "gpu"):
            verdict.lower(APPROXIMATE, f"{label} draws the initial noise on the GPU; diffusers' CPU noise differs")
        verdict.lower(APPROXIMATE, f"{label} samples with k-diffusion or its own samplers, not diffusers; "
                                   "results are close, not identical")
    if found.rng == "nv":
        verdict.lower(APPROXIMATE, "A1111 'NV' noise (a CPU emulation of NVIDIA's RNG) has no diffusers equivalent")
    prompt_text = encoded_prompt(found, found.prompt) + "\n" + (found.negative_prompt or "")
    if _WEIGHTING.search(prompt_text):
        verdict.lower(APPROXIMATE, "the prompt uses weighting syntax that plain diffusers reads as text")
    if found.eta not in (None, 0.0) and not native:
        verdict.lower(APPROXIMATE, "eta / ENSD noise settings are not mapped exactly")
    if "ENSD" in found.extra:
        verdict.lower(APPROXIMATE, f"ENSD {found.extra['ENSD']} (A1111 eta noise seed delta) has no diffusers "
                                   "equivalent")
    return verdict


def _unsupported_by_the_recreator(found: Found, scheduler: SchedulerChoice | None, verdict: Verdict) -> None:
    """What ``aigif recreate`` cannot honour and ``--force`` ignores, named so that an ``approximate``
    verdict says what a recreation leaves out (the recreator's preflight; tests/recreate/test_contract.py)."""
    if scheduler is not None and scheduler.equivalent and scheduler.options.sigmas != "default" \
            and scheduler.name in NO_SIGMA_OPTIONS:
        sigmas = scheduler.options.sigmas
        verdict.lower(APPROXIMATE, f"{'Karras' if sigmas == 'karras' else sigmas} sigmas: diffusers' "
                                   f"{NO_SIGMA_OPTIONS[scheduler.name]} has no use_{sigmas}_sigmas option, so a "
                                   "recreation keeps the scheduler's default schedule")
    for adapter in adapters_for(found):  # each resource a recreation needs, by name and hash
        hashed = f", {adapter.hash}" if adapter.hash else ""
        if adapter.kind in ("lora", "lycoris", "embedding"):
            weight = "" if adapter.kind == "embedding" else f"weight {fmt(adapter.weight)}"
            detail = ", ".join(part for part in (weight, hashed.lstrip(", ")) if part)
            verdict.lower(APPROXIMATE, f"needs {adapter.kind} {adapter.name!r}" + (f" ({detail})" if detail else "")
                          + _LOOKED_UP[bool(adapter.hash)])
            if adapter.kind == "embedding" and adapter.weight != 1.0:
                verdict.lower(APPROXIMATE, f"adapter {adapter.name!r}: an embedding is applied at weight 1, "
                                           f"not {fmt(adapter.weight)}")
        else:
            verdict.lower(APPROXIMATE, f"adapter {adapter.name!r} is a {adapter.kind}{hashed}, which the recreator "
                                       "cannot apply: a forced recreation leaves it out")
    for lora in found.loras:
        if lora.clip_weight is not None and lora.clip_weight != lora.weight:
            verdict.lower(APPROXIMATE, f"{lora.kind} {lora.name!r}: model strength {fmt(lora.weight)} and clip "
                                       f"strength {fmt(lora.clip_weight)} differ; AIGIF records one weight (the "
                                       "model's), which a recreation applies to both")
    vae = vae_for(found)
    if vae is not None:
        verdict.lower(APPROXIMATE, f"needs VAE {vae.name!r}" + (f" ({vae.hash})" if vae.hash else "")
                      + _LOOKED_UP[bool(vae.hash)])


_LOOKED_UP = {True: ": found by name and checked by hash under --model-dir", False: ": found by name under --model-dir"}


def fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
