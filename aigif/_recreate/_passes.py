"""Passes after the first (R6.9, field 25) and the stored init image and mask (R6.10, fields 29, 31).

The first pass is the core syntax: text to image, or, with an init image, image to image (with a
mask, inpainting). Each later ``hires`` pass upscales what the pass before made and denoises it
again with diffusers' image-to-image pipeline, built from the very components of the loaded one
(``from_pipe``: the same UNet, VAE, text encoders, LoRAs and embeddings). docs/recreate.md says
what each upscaler does and where the noise comes from; in short:

* every pass draws from a new CPU generator seeded with the file's seed (A1111 seeds its hires
  pass's noise from the image's seed again, at the new latent size);
* ``latent*`` upscalers resize the latents with ``torch.nn.functional.interpolate`` in A1111's
  modes, and the latents go into the next pass as they are (the noise is the generator's first draw);
* ``none``, ``lanczos`` and ``nearest`` resize the decoded 8-bit image with Pillow as A1111 does,
  and diffusers encodes it again (its latent sample is the generator's first draw, the noise its second);
* a hires pass runs ``steps`` steps, as A1111's does: the schedule has
  ``int(steps / min(strength, 0.999))`` steps, and diffusers runs the last ``steps`` of them.

Refiner passes, upscaling models and passes with another model are refused (``refusals``), or
skipped and noted with ``force``.
"""

from __future__ import annotations

import dataclasses
import inspect

from .._errors import RecreateError, UsageError
from .._format._model import AigifFile, Image, Model, Pass
from .. import _pixels

#: Registry 7.17's latent upscalers -> (interpolate mode, antialias), A1111's ``latent_upscale_modes``.
LATENT = {"latent": ("bilinear", False), "latent-antialiased": ("bilinear", True),
          "latent-bicubic": ("bicubic", False), "latent-bicubic-antialiased": ("bicubic", True),
          "latent-nearest": ("nearest", False), "latent-nearest-exact": ("nearest-exact", False)}
#: Registry 7.17's upscalers that resize the decoded image, with Pillow's filter for the upscale.
PIXEL = {"none": "lanczos", "lanczos": "lanczos", "nearest": "nearest"}


def upscaler(step: Pass):
    """The pass's upscaler (absent: ``latent``, R6.9)."""
    return "latent" if step.upscaler is None else step.upscaler


def refusals(obj: AigifFile) -> tuple[list[tuple[str, str]], frozenset[int]]:
    """What of the passes this version cannot recreate (message, field), and the indexes of those
    passes (skipped when forced). Raises ``cannot-honour`` for what cannot be done even forced: a
    size that is not a multiple of 8 and a scheduler with no diffusers equivalent."""
    from . import _schedulers

    problems, skipped = [], set()
    width, height = obj.data.width, obj.data.height
    for index, step in enumerate(obj.data.passes):
        where, number = f"data.passes[{index}]", index + 2
        width, height = step.width or width, step.height or height
        if width % 8 or height % 8:
            raise RecreateError(f"pass {number} at {width}x{height} is not a multiple of 8, which diffusion models "
                                "need", code="cannot-honour", path=where)
        why = None
        if step.kind == "refiner":
            why = "a refiner pass (another model continuing the same latents) is not recreated yet"
        elif step.kind != "hires":
            why = f"pass kind {step.kind!r} is not one this version knows"
        elif upscaler(step) not in LATENT and upscaler(step) not in PIXEL:
            why = (f"upscaler {upscaler(step)!r} is an upscaling model (ESRGAN and kin), which this version "
                   "cannot load (latent, latent-antialiased, latent-bicubic, latent-bicubic-antialiased, "
                   "latent-nearest, latent-nearest-exact, none, lanczos and nearest are recreated)")
        elif step.model is not None and (step.model != obj.model.id or (step.model_hash or obj.model.hash)
                                         != obj.model.hash):
            why = f"a pass with its own model ({step.model!r}) is not recreated yet"
        if why is not None:
            problems.append((f"pass {number}: {why}", "data.passes"))
            skipped.add(index)
        elif step.scheduler is not None:
            try:
                _schedulers.resolve(dataclasses.replace(obj.model, scheduler=step.scheduler))
            except RecreateError as error:
                raise RecreateError(f"pass {number}: {error.message}", code=error.code, path=where) from None
    return problems, frozenset(skipped)


def schedule_steps(steps: int, strength: float) -> int:
    """The length of a hires pass's schedule, so that it runs ``steps`` steps (A1111's
    ``setup_img2img_steps`` for a second pass: the requested steps divided by the strength)."""
    return max(int(steps / min(strength, 0.999)), 1)


def denoising(steps: int, strength: float) -> tuple[int, float]:
    """diffusers' ``num_inference_steps`` and ``strength`` for a hires pass that runs the last ``steps``
    steps of a ``schedule_steps`` schedule, as A1111's does (diffusers runs ``int(n * strength)``:
    half a step more keeps float rounding from taking one away)."""
    n = schedule_steps(steps, strength)
    return n, min(1.0, (min(steps, n) + 0.5) / n)


def decode(image: Image, channels: int, where: str):
    try:
        return _pixels.decode_image(image.compressor, image.width, image.height, image.data, channels)
    except UsageError as err:
        raise RecreateError(err.message, code="cannot-honour", path=where) from None


def init_inputs(obj: AigifFile) -> dict:
    """The image-to-image arguments of the first pass: the init image (and mask), each resized to
    the generation's size with Lanczos as A1111's 'Just resize' does, and the strength (field 15)."""
    from PIL import Image as PIL

    payload, size = obj.payload, (obj.data.width, obj.data.height)
    if payload.init_image is None or obj.data.strength is None:  # without its strength: refused, or forced, ignored
        return {}
    image = decode(payload.init_image, 3, "payload.init_image")
    arguments = {"image": image if image.size == size else image.resize(size, PIL.Resampling.LANCZOS),
                 "strength": obj.data.strength}
    if payload.mask is not None:
        mask = decode(payload.mask, 1, "payload.mask")
        arguments["mask_image"] = mask if mask.size == size else mask.resize(size, PIL.Resampling.LANCZOS)
    return arguments


def upscale_latents(latents, step: Pass, width: int, height: int, factor: int):
    import torch

    mode, antialias = LATENT[upscaler(step)]
    return torch.nn.functional.interpolate(latents, size=(height // factor, width // factor), mode=mode,
                                           antialias=antialias)


def upscale_pixels(image, step: Pass, width: int, height: int):
    """A1111's ``resize_image`` for 'None' (Lanczos to the size) and for its 'Lanczos' and 'Nearest'
    upscalers (scaled by the larger ratio with that filter, fitted with Lanczos to that size rounded
    down to a multiple of 8, then with Lanczos to the exact size)."""
    from PIL import Image as PIL

    lanczos = PIL.Resampling.LANCZOS
    name = upscaler(step)
    scale = max(width / image.width, height / image.height)
    if name != "none" and scale > 1.0:
        fit = (int(image.width * scale // 8 * 8), int(image.height * scale // 8 * 8))
        image = image.resize((int(image.width * scale), int(image.height * scale)),
                             lanczos if PIXEL[name] == "lanczos" else PIL.Resampling.NEAREST)
        image = image if image.size == fit else image.resize(fit, lanczos)
    return image if image.size == (width, height) else image.resize((width, height), lanczos)


def pass_model(model: Model, step: Pass) -> Model:
    """The model with the pass's scheduler (absent: the file's), and the file's scheduler options."""
    return model if step.scheduler is None else dataclasses.replace(model, scheduler=step.scheduler)


def accepted(pipe, arguments: dict, where: str) -> dict:
    """``arguments`` that ``pipe`` takes; a setting the file uses that it does not take is refused."""
    parameters = inspect.signature(pipe.__call__).parameters
    optional = ("height", "width", "callback_on_step_end")  # implied by the image; progress changes no pixel
    missing = sorted(key for key in arguments if key not in parameters and key not in optional)
    if missing:
        raise RecreateError(f"diffusers' {type(pipe).__name__} takes no {', '.join(missing)}", code="cannot-honour",
                            path=where)
    return {key: value for key, value in arguments.items() if key in parameters}


__all__ = ["LATENT", "PIXEL", "refusals", "schedule_steps", "init_inputs", "upscale_latents", "upscale_pixels",
           "upscaler", "pass_model", "accepted", "denoising"]
