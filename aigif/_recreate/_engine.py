"""Running a file's syntax through diffusers, deterministically, with each model loaded once.

``save`` and ``recreate`` both go through ``Engine.generate`` under the same determinism settings
(``deterministic``), so what is recorded at save time is exactly what recreation replays: a CPU
generator seeded from the file, deterministic algorithms, TF32 off, the recorded attention
processor, and the determinism profile (``_determinism``): under ``cpu-portable-1`` any thread
count, under ``native`` the recorded one.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from .. import _pixels
from .._errors import RecreateError, UsageError
from .._format._model import AigifFile, Model
from . import _adapters, _determinism, _models, _passes, _platform, _resources, _safety, _schedulers
from ._safety import Problem

# Read by diffusers when it is first imported, which is after this module (notes §5: "disables remote
# code globally"); a user's own setting is kept. Recreation never asks for remote code either way.
os.environ.setdefault("DIFFUSERS_DISABLE_REMOTE_CODE", "true")

DTYPES = {name: getattr(torch, name) for name in _safety.DTYPES}
ATTENTION = ("AttnProcessor", "AttnProcessor2_0")


@contextlib.contextmanager
def deterministic(applied: _determinism.Applied, threads: int | None):
    """Determinism settings for one run; the process's own settings are put back afterwards."""
    matmul = torch.backends.cuda.matmul
    saved = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
             torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic, matmul.allow_tf32,
             torch.backends.cudnn.allow_tf32)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # needed by deterministic cuBLAS
    try:
        with _determinism.settings(applied, threads):
            torch.use_deterministic_algorithms(True, warn_only=True)
            torch.backends.cudnn.benchmark = False
            torch.backends.cudnn.deterministic = True
            matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
            yield
    finally:
        enabled, warn_only, benchmark, cudnn_det, tf32_matmul, tf32_cudnn = saved
        torch.use_deterministic_algorithms(enabled, warn_only=warn_only)
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = benchmark, cudnn_det
        matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32_matmul, tf32_cudnn


pixel_digest = _pixels.digest  # spec field 20: SHA-256 over 8-bit RGB (R6.6)


def preflight(obj: AigifFile, device: str) -> list[Problem]:
    """Everything else that can be refused without loading a model (after ``_safety.screen``, which
    needs no torch; ``aigif._recreate.preflight`` runs both, as ``recreate`` does). Refuses what
    cannot be done at all; returns what this recreator cannot honour (message and field), which the
    caller refuses, or, forced, ignores and notes."""
    data, model = obj.data, obj.model
    for side, value in (("width", data.width), ("height", data.height)):
        if value < 8 or value % 8:
            raise RecreateError(f"{data.width}x{data.height} is not a multiple of 8, which diffusion models need",
                                code="cannot-honour", path=f"data.{side}")
    _, _, unhonoured = _schedulers.resolve(model)  # an unknown scheduler, or a configuration it does not take
    entry = _models.entry_for(model)  # a model code this version does not know
    _quiet()  # diffusers logs what of a configuration a scheduler class ignores
    _schedulers.build(model, entry.scheduler or {})  # values it refuses (the model's own configuration comes later)
    problems = []
    if model.dtype not in DTYPES:
        problems.append((f"data type {model.dtype!r} is not supported", "model.dtype"))
    kind = _platform.device_kind(device)
    if kind == "gpu" and not torch.cuda.is_available():
        raise RecreateError(f"device {device!r} requested but CUDA is not available", code="cannot-honour")
    if data.rng not in ("cpu", "cuda") or (data.rng == "cuda" and kind != "gpu"):
        problems.append((f"noise from RNG {data.rng!r} cannot be reproduced on {device}", "data.rng"))
    problems += _adapters.refusals(model)  # adapter kinds this version cannot apply
    if obj.payload.init_image is not None and data.strength is None:  # R6.10 (a reader refuses it; an object may not)
        problems.append(("the init image needs a strength (field 15), which the file does not hold", "data.strength"))
    if obj.payload.mask is not None and obj.payload.init_image is None:
        problems.append(("the mask needs an init image, which the file does not hold", "payload.mask"))
    if obj.payload.init_image is None and data.strength is not None:  # R6.10: the reader refuses the converse
        problems.append(("img2img (strength) needs an init image, which the file does not hold", "data.strength"))
    problems += _passes.refusals(obj)[0]  # R6.9: refiner passes, upscaling models, another model
    embeddings = {a.name for a in model.adapters if a.kind == "embedding"}
    problems += [(f"embedding trigger for {name!r}, which is not an embedding of this file", "model.embedding_triggers")
                 for name in model.embedding_triggers if name not in embeddings]  # R6.11
    if obj.payload.model is not None:
        problems.append(("embedded model weights (field 21) are never loaded; the named model is used",
                         "payload.model"))
    problems += [(message, "model.scheduler_options") for message in unhonoured]
    return [Problem(message, path) for message, path in problems]


@dataclass
class Loaded:
    pipe: Any  # a diffusers pipeline
    weights: str  # "verified" | "unpinned"
    base_scheduler: dict
    default_attention: str
    config: Path | None = None  # the diffusers folder whose vae/config.json a separate VAE file is read with
    adapters: _adapters.State | None = None  # the VAE, LoRAs and embeddings applied now
    checkpoint: Path | None = None  # the single file the weights came from, if they did


@dataclass
class Engine:
    """Generates images from syntax; keeps each loaded pipeline for the next file."""

    device: str = "cpu"
    model_dirs: list[Path] = field(default_factory=list)
    allow_download: bool = False
    _loaded: dict = field(default_factory=dict, repr=False)

    def load(self, model: Model) -> Loaded:
        key = (model.id, model.dtype)
        if key not in self._loaded:
            self._loaded[key] = self._load(model)
        return self._loaded[key]

    def _load(self, model: Model) -> Loaded:
        import diffusers

        _quiet()
        entry = _models.entry_for(model)
        dtype = DTYPES.get(str(model.dtype), torch.float32)
        try:
            folder, _ = _models.locate(entry, self.model_dirs, self.allow_download)
        except RecreateError as missing:  # not a diffusers folder: a single-file checkpoint of that name?
            if missing.code != "model-not-found" or not (isinstance(model.id, str)
                                                         and model.id not in _models.registry() and "/" not in model.id):
                raise
            return self._load_single_file(model, entry, dtype, missing)
        pipeline = _models.check_folder(folder, entry)
        weights = _models.verify(folder, entry)
        cls = getattr(diffusers, pipeline)
        try:
            pipe = cls.from_pretrained(folder, dtype=dtype, use_safetensors=True, local_files_only=True,
                                       trust_remote_code=False, **_no_safety_checker(cls))
        except Exception as err:  # noqa: BLE001 - diffusers, transformers and safetensors raise many kinds
            raise RecreateError(f"cannot load model {entry.name!r} from {folder}: {type(err).__name__}: {err}",
                                code="model-refused") from None
        return self._ready(pipe, weights, entry, folder)

    def _load_single_file(self, model: Model, entry: _models.ModelEntry, dtype, missing: RecreateError) -> Loaded:
        """A model named by a single checkpoint file (A1111's models/Stable-diffusion, ComfyUI's checkpoints)."""
        from . import _single_file

        try:
            path = _resources.find_resource("checkpoint", str(model.id), model.hash, self.model_dirs)
        except RecreateError as error:
            if error.code != "model-not-found":
                raise
            raise RecreateError(f"{missing.message}; nor is it a single-file checkpoint: {error.message}",
                                code="model-not-found", path="model.id") from None
        pipe, fam = _single_file.load(path, dtype, _no_safety_checker)
        loaded = self._ready(pipe, "verified" if model.hash else "unpinned", entry, _single_file.config_dir(fam.name))
        return replace(loaded, checkpoint=path)

    def _ready(self, pipe, weights: str, entry: _models.ModelEntry, config: Path | None) -> Loaded:
        pipe.to(self.device)
        pipe.set_progress_bar_config(disable=True)
        _alias_text_model(pipe)
        default_attention = type(next(iter(pipe.unet.attn_processors.values()))).__name__ \
            if hasattr(pipe, "unet") else "unknown"
        base = dict(entry.scheduler or pipe.scheduler.config)
        return Loaded(pipe, weights, base, default_attention, config, _adapters.State(getattr(pipe, "vae", None)))

    def _attention(self, obj: AigifFile) -> str:
        recorded = obj.platform.attention
        return recorded if recorded in ATTENTION else self.load(obj.model).default_attention

    def platform_for(self, obj: AigifFile, applied: _determinism.Applied | None = None):
        """The platform ``generate(obj, applied)`` will run on, known before it runs (for the platform check)."""
        applied = applied or self.applied_for(obj)
        with deterministic(applied, obj.platform.threads):
            return _platform.current(self.device, self._attention(obj), applied)

    def applied_for(self, obj: AigifFile) -> _determinism.Applied:
        """The profile ``obj`` records, as far as it holds in this process."""
        return _determinism.apply(_determinism.for_file(obj.platform.determinism_profile, self.device))

    def generate(self, obj: AigifFile, applied: _determinism.Applied | None = None, progress=None):
        """The image of ``obj``'s syntax (a PIL image), and the platform it was made on. ``progress``,
        if given, is called with ``(step, total)`` after each step (it changes no pixel)."""
        applied = applied or self.applied_for(obj)
        loaded = self.load(obj.model)
        pipe, data = loaded.pipe, obj.data
        assert loaded.adapters is not None
        _adapters.apply(pipe, loaded.adapters, obj.model, self.model_dirs, loaded.config,
                        DTYPES.get(str(obj.model.dtype), torch.float32))
        pipe.scheduler = _schedulers.build(obj.model, loaded.base_scheduler, data.seed)
        attention = self._attention(obj)
        _set_attention(pipe, attention)
        generator_device = "cuda" if data.rng == "cuda" and _platform.device_kind(self.device) == "gpu" else "cpu"
        arguments = dict(prompt=data.prompt, negative_prompt=data.negative_prompt or None, height=data.height,
                         width=data.width, num_inference_steps=data.steps, guidance_scale=data.guidance_scale)
        if data.eta:
            arguments["eta"] = data.eta
        if data.guidance_rescale:
            arguments["guidance_rescale"] = data.guidance_rescale
        if obj.model.clip_skip:
            arguments["clip_skip"] = obj.model.clip_skip
        callback = {}
        if progress is not None:
            def step_end(pipeline, step, timestep, tensors):  # diffusers' per-step callback; tensors unchanged
                progress(step + 1, pipeline.num_timesteps)
                return tensors

            callback["callback_on_step_end"] = step_end
        _, skipped = _passes.refusals(obj)  # what preflight refused; here only when forced: skipped
        passes = [step for index, step in enumerate(data.passes) if index not in skipped]
        with deterministic(applied, obj.platform.threads), torch.inference_mode():
            try:
                image = self._run(loaded, obj, arguments, callback, passes, generator_device)
            except RecreateError:
                raise
            except Exception as err:  # noqa: BLE001 - e.g. a clip skip deeper than the text encoder
                raise RecreateError(f"diffusers cannot run this file's settings: {type(err).__name__}: {err}",
                                    code="cannot-honour") from None
            used = _platform.current(self.device, attention, applied)
        return image, used

    def _run(self, loaded: Loaded, obj: AigifFile, arguments: dict, callback: dict, passes: list,
             generator_device: str):
        """The first pass (text or image to image, or inpainting), then each later pass on its result.
        Each pass returns latents when the next one upscales latents, else a PIL image."""
        pipe, data = loaded.pipe, obj.data

        def seeded():  # every pass starts a new generator from the file's seed (A1111's hires pass does)
            return torch.Generator(generator_device).manual_seed(data.seed)

        def output(index: int) -> str:
            return "latent" if index < len(passes) and _passes.upscaler(passes[index]) in _passes.LATENT else "pil"

        first = _passes.init_inputs(obj)
        runner = pipe
        if first:
            runner = self._derived(pipe, "inpainting" if "mask_image" in first else "image")
        call = {**arguments, **first, **callback, "generator": seeded(), "output_type": output(0)}
        result = runner(**_passes.accepted(runner, call, "payload.init_image" if first else "data")).images
        width, height = data.width, data.height
        for index, step in enumerate(passes):
            width, height = step.width or width, step.height or height
            if _passes.upscaler(step) in _passes.LATENT:
                current = _passes.upscale_latents(result, step, width, height, pipe.vae_scale_factor)
            else:
                current = _passes.upscale_pixels(result[0], step, width, height)
            result = self._hires(loaded, obj, step, current, arguments, callback, seeded(), output(index + 1),
                                 f"data.passes[{index}]")
        return result[0]

    def _hires(self, loaded: Loaded, obj: AigifFile, step, current, arguments: dict, callback: dict, generator,
               output_type: str, where: str):
        """One hires pass: ``current`` (upscaled latents or image) denoised again from the pass's strength."""
        if step.strength == 0:  # nothing to denoise: the upscaled image is the pass's result
            vae = loaded.pipe.vae
            if output_type == "latent":  # the next pass upscales latents
                if torch.is_tensor(current):
                    return current
                pixels = loaded.pipe.image_processor.preprocess(current).to(vae.device, vae.dtype)
                return vae.encode(pixels).latent_dist.mode() * vae.config.scaling_factor
            if not torch.is_tensor(current):
                return [current]
            decoded = vae.decode(current / vae.config.scaling_factor, return_dict=False)[0]
            return loaded.pipe.image_processor.postprocess(decoded, output_type="pil")
        runner = self._derived(loaded.pipe, "image")
        runner.scheduler = _schedulers.build(_passes.pass_model(obj.model, step), loaded.base_scheduler, obj.data.seed)
        steps = step.steps or obj.data.steps
        schedule, strength = _passes.denoising(steps, step.strength)
        call = {**arguments, **callback, "image": current, "strength": strength, "generator": generator,
                "num_inference_steps": schedule, "output_type": output_type}
        if step.guidance_scale is not None:
            call["guidance_scale"] = step.guidance_scale
        if step.prompt is not None:
            call["prompt"], call["negative_prompt"] = step.prompt, step.negative_prompt or None
        return runner(**_passes.accepted(runner, call, where)).images

    @staticmethod
    def _derived(pipe, task: str):
        """diffusers' image-to-image or inpainting pipeline over the loaded pipeline's components (the
        same modules, so LoRAs, embeddings, the VAE and the attention processor are the file's).
        Inpainting with a 4-channel UNet is diffusers' blend of the noised init latents outside the mask."""
        import diffusers

        auto = diffusers.AutoPipelineForInpainting if task == "inpainting" else diffusers.AutoPipelineForImage2Image
        try:
            derived = auto.from_pipe(pipe)
        except Exception as err:  # noqa: BLE001 - a pipeline with no image-to-image counterpart
            raise RecreateError(f"{type(pipe).__name__} has no {task}-to-image pipeline in diffusers: {err}",
                                code="cannot-honour", path="data.passes" if task == "image" else "payload.mask") \
                from None
        derived.scheduler = pipe.scheduler
        derived.set_progress_bar_config(disable=True)
        return derived


def _no_safety_checker(cls) -> dict:
    """Arguments that leave out a pipeline's safety checker (never loaded: it changes pixels, not syntax)."""
    return {"safety_checker": None, "requires_safety_checker": False} \
        if "safety_checker" in cls.__init__.__code__.co_varnames else {}


def _set_attention(pipe, name: str) -> None:
    from diffusers.models import attention_processor

    for component in ("unet", "vae"):
        module = getattr(pipe, component, None)
        if module is not None and hasattr(module, "set_attn_processor"):
            current = {type(p).__name__ for p in module.attn_processors.values()}
            if current != {name}:
                module.set_attn_processor(getattr(attention_processor, name)())


def _alias_text_model(pipe) -> None:
    """Clip skip, with transformers 5: diffusers (0.42) applies the final layer norm of a clip-skipped
    prompt as ``text_encoder.text_model.final_layer_norm``, but transformers 5's ``CLIPTextModel`` is
    flat (its ``final_layer_norm`` is its own), so every file with a clip skip failed. The alias is a
    plain attribute, not a submodule: the encoder's modules and weights are unchanged."""
    for name in ("text_encoder", "text_encoder_2"):
        encoder = getattr(pipe, name, None)
        if encoder is not None and "text_model" not in dir(encoder) and hasattr(encoder, "final_layer_norm"):
            object.__setattr__(encoder, "text_model", encoder)


def _quiet() -> None:
    """diffusers and transformers talk a lot on import and load; our output says what matters."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    # DPM++ SDE's Brownian tree, when a float32 time rounds past its end: harmless, and said at every step
    warnings.filterwarnings("ignore", message=r"Should have t[ab]<=t1", module="torchsde")
    for name in ("diffusers", "transformers", "huggingface_hub"):
        logging.getLogger(name).setLevel(logging.ERROR)
    with contextlib.suppress(Exception):
        import transformers

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
    with contextlib.suppress(Exception):
        import diffusers

        diffusers.logging.set_verbosity_error()
        diffusers.utils.logging.disable_progress_bar()


def encode_png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=9)
    return out.getvalue()


def decode_pixels(obj: AigifFile):
    """The stored pixel payload as a PIL image (spec field 19), whatever lossless codec holds it."""
    if obj.payload.pixels is None:
        raise RecreateError("the file stores no pixels", code="cannot-honour", path="payload.pixels")
    try:
        return _pixels.decode(obj.payload.pixels, obj.compression.pixel_compressor, obj.data.width, obj.data.height)
    except UsageError as err:
        raise RecreateError(err.message, code="cannot-honour", path="payload.pixels") from None
