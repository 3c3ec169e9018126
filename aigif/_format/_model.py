"""The AIGIF object: a frozen, typed dataclass tree, one class per section of spec section 5.

Every field's default is the value that the file expresses by *leaving it out* (R6.4), so an object
built with defaults writes the smallest file, and reading never invents a value that was not there.
Registry-coded values are names (``"ddim"``); a code this library does not know is kept as its
number; a value with no code is a free name, written with the escape code (R4.7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

Coded = str | int

__all__ = [
    "AigifFile", "Compression", "Platform", "Model", "SchedulerOptions", "ModelRef", "Adapter", "Data",
    "Payload", "Extension", "Source", "Faithfulness", "SourceText", "Pass", "Image",
]


@dataclass(frozen=True)
class Compression:
    """Table I (a). ``save_pixels``/``save_model`` follow from the payload, so they are not stored twice."""

    pixel_compressor: str = "none"
    #: ``None`` lets the writer pick the smallest encoding (R10.3); a read file always names one.
    text_compressor: str | None = None
    model_compressor: str = "none"


@dataclass(frozen=True)
class Platform:
    """Table I (b): where the image was generated, so that a recreator can judge compatibility."""

    device: Coded = "cpu"
    arch: Coded = "unknown"
    gpu: Coded = "none"
    cuda: Coded = "none"
    torch: str | None = None
    diffusers: str | None = None
    cpu_capability: str | None = None
    threads: int | None = None
    determinism: frozenset[str] | None = None
    attention: str | None = None
    software: Mapping[str, str] = field(default_factory=dict)
    cpu_vendor: str | None = None
    cpu_model: str | None = None
    determinism_profile: Coded | None = None


@dataclass(frozen=True)
class SchedulerOptions:
    """Options that change a scheduler's result (R6.7, field 1); ``"default"`` keeps the model's own."""

    sigmas: str = "default"  # karras | exponential | beta
    timestep_spacing: str = "default"  # leading | linspace | trailing
    prediction_type: str = "default"  # epsilon | v_prediction | sample
    rescale_betas_zero_snr: bool = False


@dataclass(frozen=True)
class ModelRef:
    """A model file named outside the registry: its name and, where known, a hash ``"kind:hex"``."""

    name: str
    hash: str | None = None


@dataclass(frozen=True)
class Adapter:
    """A LoRA, embedding or other adapter applied with a weight (R6.7, field 7)."""

    name: str
    kind: Coded = "lora"
    hash: str | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class Pass:
    """A pass after the first (R6.9, field 25). ``None``: the part was not recorded, and the pass uses
    the previous pass's size, the ``latent`` upscaler, and the file's model, scheduler, steps,
    guidance scale and prompts."""

    kind: Coded  # "hires" | "refiner" (registry 7.16)
    strength: float  # hires: denoising strength; refiner: the switch point (fraction of the schedule)
    width: int | None = None
    height: int | None = None
    upscaler: Coded | None = None  # registry 7.17, or an upscaling model's name
    upscaler_hash: str | None = None
    model: Coded | None = None
    model_hash: str | None = None
    scheduler: Coded | None = None
    steps: int | None = None
    guidance_scale: float | None = None
    prompt: str | None = None
    negative_prompt: str | None = None


@dataclass(frozen=True)
class Image:
    """An init image or mask (R6.10, fields 29 and 31): encoded by a pixel compressor, with its size."""

    compressor: str  # pixel compressor (registry 7.1)
    width: int
    height: int
    data: bytes


#: R6.11: the extensions left out of an embedding's name to give its default trigger.
TRIGGER_EXTENSIONS = frozenset({"safetensors", "pt", "bin", "ckpt", "pth"})


def default_trigger(name: str) -> str:
    """R6.11: an embedding's name without its model-file extension (A1111 and ComfyUI trigger by it)."""
    stem, dot, extension = name.rpartition(".")
    return stem if dot and stem and extension.lower() in TRIGGER_EXTENSIONS else name


@dataclass(frozen=True)
class Model:
    """Table I (c): which weights, in which precision, sampled how."""

    id: Coded = "stable-diffusion-v1-5"
    dtype: Coded = "float32"
    scheduler: Coded = "ddim"
    scheduler_options: SchedulerOptions = SchedulerOptions()  # immutable, so one shared default is safe
    scheduler_config: Mapping[str, str] = field(default_factory=dict)
    vae: ModelRef | None = None
    adapters: tuple[Adapter, ...] = ()
    clip_skip: int = 0
    hash: str | None = None
    #: Embedding name -> the text that triggers it; absent names trigger by their stem (R6.11).
    embedding_triggers: Mapping[str, str] = field(default_factory=dict)

    def trigger(self, embedding: str) -> str:
        """The text that triggers the embedding named ``embedding`` in the prompts (R6.11)."""
        return self.embedding_triggers.get(embedding) or default_trigger(embedding)


@dataclass(frozen=True)
class Data:
    """Table I (d): the generation parameters."""

    prompt: str = ""
    negative_prompt: str = ""
    height: int = 512
    width: int = 512
    seed: int = 0
    steps: int = 50
    guidance_scale: float = 7.5
    rng: Coded = "cpu"
    eta: float = 0.0
    strength: float | None = None
    guidance_rescale: float = 0.0
    passes: tuple[Pass, ...] = ()  # hires fix, refiner (R6.9)


@dataclass(frozen=True)
class Payload:
    """Table I (e): the pixels when the syntax is not enough, and a digest to prove bit-exactness."""

    pixels: bytes | None = None
    pixel_digest: str | None = None
    model: bytes | None = None
    init_image: Image | None = None  # img2img / inpainting input (R6.10)
    mask: Image | None = None


@dataclass(frozen=True)
class Faithfulness:
    """How faithfully the syntax can recreate an imported image (field 24, registry 7.14)."""

    level: Coded  # "exact-possible" | "approximate" | "not-recreatable"
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceText:
    """One text the source image carried, verbatim (R6.8): where it was, under which key."""

    where: str  # "png:iTXt", "exif:UserComment", "stealth:alpha", ...
    key: str  # "parameters", "prompt", "workflow", ...
    text: str


@dataclass(frozen=True)
class Source:
    """Where an imported image came from (fields 18, 22, 24, 26): nothing the source said is lost."""

    tool: str | None = None
    version: str | None = None
    faithfulness: Faithfulness | None = None
    metadata: tuple[SourceText, ...] = ()


@dataclass(frozen=True)
class Extension:
    """An ancillary field this library does not know, kept byte for byte (R6.3)."""

    tag: int
    data: bytes


@dataclass(frozen=True)
class AigifFile:
    """One AIGIF v1 file."""

    compression: Compression = field(default_factory=Compression)
    platform: Platform = field(default_factory=Platform)
    model: Model = field(default_factory=Model)
    data: Data = field(default_factory=Data)
    payload: Payload = field(default_factory=Payload)
    source: Source = field(default_factory=Source)
    extensions: tuple[Extension, ...] = ()
    #: The text block exactly as read, so that rewriting an unchanged file reproduces it (R10.2).
    #: It is used only while the compressor and both strings are still the ones it holds.
    stored_text: tuple[str, str, str, bytes] | None = field(default=None, repr=False, compare=False)
    #: The source metadata's stored block as read, for the same reason: (entries, compressor code, raw).
    stored_metadata: tuple[tuple[SourceText, ...], int, bytes] | None = field(default=None, repr=False,
                                                                             compare=False)

    version = 1
