"""What the importer finds in an image, before it becomes an AIGIF file.

Two stages meet here. The container readers (``_containers.py``) find *carriers*: the raw texts an
image holds (a PNG text chunk, an EXIF tag, the alpha-channel "stealth" payload). The dialect parsers
(``_dialects/``) turn carriers into one ``Found`` record in the vocabulary of the tool that made the
image (its own sampler names, its own clip-skip convention). ``_mapping.py`` then maps a ``Found``
onto AIGIF. Keeping the tool's vocabulary here means each stage can be tested on its own, and
nothing is translated twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Carrier:
    """One piece of text an image carries, exactly as stored (decoded to ``str``)."""

    where: str  # "png:tEXt", "png:iTXt", "png:zTXt", "exif:UserComment", "exif:0x0110", "jpeg:COM", "stealth:alpha", ...
    key: str  # the chunk keyword or tag name: "parameters", "prompt", "workflow", "UserComment", "Model", ...
    text: str
    note: str | None = None  # how it was decoded when that was not obvious ("UTF-16LE despite an II header")


@dataclass(frozen=True)
class ImageInfo:
    """What the container says about the image itself."""

    format: str  # "PNG", "JPEG", "WEBP"
    width: int
    height: int
    mode: str  # Pillow mode: "RGB", "RGBA", "P", "L", ...


@dataclass(frozen=True)
class Lora:
    name: str
    weight: float = 1.0
    hash: str | None = None  # as the tool wrote it ("45b5bd0819cf", "blake3:…")
    kind: str = "lora"  # "lora", "lycoris", "embedding", "hypernetwork", …  (aigif adapter kinds)
    hash_kind: str | None = None  # the hash kind when its length does not say it: "sha256-12" (A1111 TI hashes)
    clip_weight: float | None = None  # ComfyUI LoraLoader strength_clip when it differs from the weight
    trigger: str | None = None  # an embedding's text in the prompts when it is not its name (R6.11)


@dataclass
class FoundPass:
    """A pass after the first (hires fix, refiner), in the source's vocabulary. ``None``: not recorded."""

    kind: str  # "hires" | "refiner"
    strength: float | None = None  # hires: denoising strength; refiner: the switch point (0-1)
    width: int | None = None  # the size the pass upscales to
    scale: float | None = None  # the factor the source gave instead of a size (A1111 "Hires upscale")
    height: int | None = None
    upscaler: str | None = None  # an AIGIF upscaler (registry 7.17) or an upscaling model's name
    upscaler_hash: str | None = None
    model: str | None = None  # a checkpoint other than the first pass's (refiner, "Hires checkpoint")
    model_hash: str | None = None
    sampler: str | None = None  # the tool's own names, as for the first pass
    schedule: str | None = None
    steps: int | None = None
    guidance_scale: float | None = None
    prompt: str | None = None
    negative_prompt: str | None = None
    summary: str = ""  # how the source described it, for the verdict ("Latent (nearest-exact), x1.5, denoise 0.6")
    problems: list[str] = field(default_factory=list)  # what of this pass AIGIF cannot record
    approximations: list[str] = field(default_factory=list)  # what it records only approximately


@dataclass
class Found:
    """Generation syntax in the source tool's own vocabulary. ``None`` means "the image does not say"."""

    tool: str  # "automatic1111", "forge", "sdnext", "civitai", "stability-matrix", "comfyui", "invokeai",
    #            "novelai", "fooocus", "ruined-fooocus", "swarmui", "tensorart", "huggingface-space", "easydiffusion", …
    tool_version: str | None = None
    prompt: str | None = None
    negative_prompt: str | None = None
    seed: int | None = None  # 0 .. 2**64-1
    steps: int | None = None
    guidance_scale: float | None = None
    width: int | None = None
    height: int | None = None
    sampler: str | None = None  # the tool's own name: "DPM++ 2M", "dpmpp_2m_sde_gpu", "k_euler_ancestral"
    schedule: str | None = None  # the tool's own schedule name: "Karras", "Automatic", "karras", "normal"
    #                              (None: the tool wrote none, e.g. a pre-1.9 A1111 infotext)
    model_name: str | None = None  # checkpoint file stem, hub id or the tool's model label
    model_hash: str | None = None  # as written: "45a21ea00a" (AutoV2), "925997e9" (legacy), 64 hex, "blake3:…", "0x…"
    vae_name: str | None = None
    vae_hash: str | None = None
    loras: list[Lora] = field(default_factory=list)
    clip_skip: int | None = None  # A1111 convention (1 = last layer, 2 = penultimate); ComfyUI -2 becomes 2
    strength: float | None = None  # denoising strength of an img2img pass (not of a hires pass)
    eta: float | None = None
    rng: str | None = None  # "cpu", "gpu", "nv" (A1111 RNG setting; ComfyUI: "cpu")
    hires: dict[str, str] | None = None  # a second (hires fix / upscale) pass: its parameters as written
    passes: int = 1  # sampler passes that shaped the image (2 for hires fix, refiner, multi-sampler graphs)
    later: list[FoundPass] = field(default_factory=list)  # the passes after the first that could be read
    img2img: bool = False  # the image came from an init image (not stored in the source)
    extra: dict[str, str] = field(default_factory=dict)  # every other key/value the tool wrote, as text
    carriers: list[Carrier] = field(default_factory=list)  # the texts this record was parsed from, verbatim
    problems: list[str] = field(default_factory=list)  # things that make an exact recreation impossible
