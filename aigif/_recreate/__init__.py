"""Recreation: ``save`` generates an image and records its syntax; ``recreate`` replays it.

This subpackage needs torch and diffusers, so ``aigif/__init__.py`` reaches it only inside the
functions that need it: reading and writing files never load it. Importing it checks that they are
installed but imports neither: ``recreate`` first refuses what the file alone shows to be unsafe or
over budget (``_safety``), in milliseconds, and only then imports torch (``_engine``, ``Engine``,
``compare`` are loaded on first use).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .._format._write import dumps
from .._errors import RecreateError, UsageError
from .._format._read import read
from .._files import check_target, write_all_atomic
from .._format._model import (Adapter, AigifFile, Compression, Data, Image, Model, ModelRef, Pass, Payload,
                              Platform, SchedulerOptions)
from .. import _pixels
from . import _determinism, _models
from ._safety import Budget, Problem, screen

if TYPE_CHECKING:
    from . import _platform
    from ._engine import Engine
    from ._metrics import Comparison

_MISSING = [name for name in ("torch", "diffusers", "transformers") if importlib.util.find_spec(name) is None]
if _MISSING:  # aigif._recreation() turns this into a RecreateError "missing-dependency"
    raise ImportError(f"No module named {', '.join(map(repr, _MISSING))}")

#: Loaded on first use, since they import torch (PEP 562): name -> (module, attribute or None).
_LAZY = {"Engine": ("_engine", "Engine"), "compare": ("_metrics", "compare"), "Comparison": ("_metrics", "Comparison"),
         "_engine": ("_engine", None), "_platform": ("_platform", None), "_metrics": ("_metrics", None)}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = importlib.import_module(f"{__name__}.{module}")
    value = value if attribute is None else getattr(value, attribute)
    globals()[name] = value
    return value


def _new_engine(**options):
    """An ``Engine`` (looked up on this module, where a test may have replaced it)."""
    return (globals().get("Engine") or __getattr__("Engine"))(**options)


@dataclass
class Recreation:
    """The outcome of recreating one file."""

    image: object  # PIL.Image.Image
    source: str  # "recreated" | "stored pixels"
    expectation: _platform.Expectation | None
    weights: str | None  # "verified" | "unpinned" (the model's pinned hashes), None if not loaded
    digest: str | None  # "verified" | "differs" | None (no digest in the file)
    notes: list[str] = field(default_factory=list)
    determinism: _determinism.Applied | None = None  # None when the stored pixels were returned
    stored_pixels: str | None = None  # "identical" | "differ": compared with the file's pixels (no digest)

    def report(self) -> dict:
        applied = self.determinism
        return {"source": self.source, "bit_exact": self.bit_exact,
                "expectation": None if self.expectation is None else self.expectation.verdict,
                "differences": [] if self.expectation is None else list(self.expectation.differences),
                "determinism": None if applied is None else {"requested": applied.requested,
                                                             "in_effect": applied.in_effect,
                                                             "reasons": list(applied.reasons)},
                "weights": self.weights, "digest": self.digest, "stored_pixels": self.stored_pixels,
                "notes": list(self.notes)}

    @property
    def bit_exact(self) -> str:
        """The line users look for: verified against a digest, or what the platform check expects."""
        if self.digest == "verified":
            return "bit-exact: yes (verified against the file's pixel digest)"
        if self.digest == "differs":
            return "bit-exact: no (differs from the file's pixel digest)"
        if self.stored_pixels == "identical":
            return "bit-exact: yes (verified against the file's stored pixels)"
        if self.stored_pixels == "differ":
            return "bit-exact: no (differs from the file's stored pixels)"
        if self.source == "stored pixels":
            return "bit-exact: yes (the file's stored pixels)"
        expected = self.expectation is not None and self.expectation.verdict == "bit-exact"
        return f"bit-exact: {'expected' if expected else 'not expected'} (the file has no pixel digest to check)"


def recreate(source, *, device: str = "cpu", model_dirs=(), allow_download: bool = False, force: bool = False,
             engine: Engine | None = None, announce=None, budget: Budget = Budget(), progress=None) -> Recreation:
    """Recreate the image of an AIGIF file (a path, bytes or an ``AigifFile``).

    Refuses, with a ``RecreateError``, a file beyond ``budget`` or naming an unsafe model
    (``limit-exceeded``, ``model-refused``: before torch is imported), and a file whose model,
    scheduler or data type cannot be honoured here, unless ``force`` (``preflight``, which runs
    first); when the model is missing but the file stores its pixels, the stored pixels are
    returned. ``announce``, if given, receives the platform check's ``Expectation`` before the
    pipeline runs; ``progress``, if given, is called with ``(step, total)`` after each diffusion step.
    A file without a pixel digest but with stored pixels is checked against those pixels.
    """
    obj = source if isinstance(source, AigifFile) else read(source)
    device = device if engine is None else engine.device
    try:
        profile, problems = _preflight(obj, device, force, budget)
        engine = engine or _new_engine(device=device, model_dirs=[Path(d) for d in model_dirs],
                                       allow_download=allow_download)
        loaded = engine.load(obj.model)
    except RecreateError as error:  # what screen() refuses (limit-exceeded, model-refused) is not excused
        if obj.payload.pixels is not None and error.code in ("model-not-found", "cannot-honour"):
            from . import _engine

            image = _engine.decode_pixels(obj)
            return Recreation(image, "stored pixels", None, None, _check_digest(obj, image),
                              [f"not recreated: {error.message}"])
        raise
    from . import _platform

    applied = _determinism.apply(profile)
    expected = _platform.expectation(obj.platform, engine.platform_for(obj, applied))
    if announce is not None:
        announce(expected)
    image, _ = engine.generate(obj, applied, progress=progress)
    notes = [problem.message for problem in problems]
    digest = _check_digest(obj, image)
    stored = None
    if digest is None and obj.payload.pixels is not None:  # no digest, but the pixels are there to compare
        from . import _engine

        try:
            stored = "identical" if _engine.decode_pixels(obj).tobytes() == image.convert("RGB").tobytes() \
                else "differ"
        except RecreateError as error:
            notes.append(f"the stored pixels were not compared: {error.message}")
    return Recreation(image, "recreated", expected, loaded.weights, digest, notes, applied, stored)


def preflight(obj: AigifFile, *, device: str = "cpu", force: bool = False, budget: Budget = Budget()) -> list[Problem]:
    """Every check ``recreate`` makes before it looks for the model, by the same code ``recreate`` runs.

    In order: the budget and the model's name (``screen``, before torch is imported), the file's
    determinism profile (``prepare_for``), then what this recreator cannot honour (the size, the
    scheduler and its options and configuration, the model's registry code, the data type, the
    device, the RNG, a VAE, adapters, img2img strength and the init image, the passes after the first
    (refiner passes, upscaling models, their sizes and schedulers), embedded weights). Needs no model weights,
    and does not look for them: whether the model is here is ``Engine.load``'s question.

    Raises ``RecreateError`` for what is refused (``limit-exceeded``, ``model-refused``,
    ``cannot-honour``); ``force`` lets through what can be ignored, and those things are returned
    (``Problem``: the message a recreation notes, and the field). Without ``force`` it returns ``[]``.
    """
    return _preflight(obj, device, force, budget)[1]


def _preflight(obj: AigifFile, device: str, force: bool, budget: Budget) -> tuple[str, list[Problem]]:
    screen(obj, budget)  # cheap, and refused before torch is imported
    profile = prepare_for(obj, device)  # the profile's environment, before torch is imported
    from . import _engine

    problems = _engine.preflight(obj, device)
    if problems and not force:
        first = problems[0]
        raise RecreateError(f"{first.message} (--force recreates anyway, ignoring it)", code="cannot-honour",
                            path=first.path)
    return profile, problems


def prepare_for(obj: AigifFile, device: str = "cpu") -> str:
    """Set up the determinism profile ``obj`` records (before torch is imported); returns its name.

    ``recreate`` calls it; a caller that builds its own ``Engine`` calls it first, since making an
    engine imports torch.
    """
    profile = _determinism.for_file(obj.platform.determinism_profile, device)
    _determinism.prepare(profile)
    return profile


def _check_digest(obj: AigifFile, image) -> str | None:
    from . import _engine

    if obj.payload.pixel_digest is None:
        return None
    return "verified" if _engine.pixel_digest(image) == obj.payload.pixel_digest else "differs"


def save(path, *, prompt: str, model: str = "aigif-tiny-sd", negative_prompt: str = "", width: int | None = None,
         height: int | None = None, seed: int | None = None, steps: int = 25, guidance_scale: float = 7.5,
         scheduler: str | None = None, scheduler_options: SchedulerOptions = SchedulerOptions(),
         dtype: str = "float32", device: str = "cpu", save_pixels: bool = False, pixel_digest: bool = False,
         image_path=None, model_dirs=(), allow_download: bool = False, overwrite: bool = False,
         engine: Engine | None = None, budget: Budget = Budget(), determinism: str | None = None,
         progress=None, vae: str | ModelRef | None = None, adapters: tuple[Adapter, ...] = (),
         passes: tuple[Pass, ...] = (), init_image=None, mask=None, strength: float | None = None):
    """Generate an image with diffusers and write its AIGIF file (and, if asked, the PNG).

    ``save_pixels`` embeds the pixels: ``True`` in the smallest lossless codec available, or a
    codec's name (``"png"``, ``"webp"``, ``"jpegxl"``); either way they are decoded again and
    compared before the file is written.

    Returns ``(AigifFile, PIL image)``. With no ``seed`` a random one is drawn and recorded.
    ``path=None`` writes no file. Nothing is written unless everything succeeded. ``budget`` is the
    one ``recreate`` applies by default, so that what is saved can be recreated with the defaults.
    ``determinism`` is the profile (``"portable"``, the default on the CPU, or ``"native"``); the file
    records the one that held (``_determinism.apply`` says why, if that is not the one asked for).
    ``progress``, if given, is called with ``(step, total)`` after each diffusion step. ``vae`` (a file
    name, or a ``ModelRef``) and ``adapters`` (LoRAs, embeddings) are found under ``model_dirs``; the
    file records each one's SHA-256 unless a hash was given. ``passes`` are the passes after the first
    (``Pass``: hires fix). ``init_image`` (a path or PIL image) with ``strength`` makes it image to image,
    and ``mask`` (white repaints) inpainting: both are stored losslessly in the file (fields 29, 31).
    """
    profile = _determinism.for_save(determinism, device if engine is None else engine.device)
    _determinism.prepare(profile)
    import torch

    from . import _engine

    for target in (path, image_path):
        if target is not None:
            check_target(target, overwrite=overwrite)
    entry = _models.entry_for(Model(id=model))
    from . import _adapters

    parts = _adapters.hashed(ModelRef(vae) if isinstance(vae, str) else vae, tuple(adapters),
                             engine.model_dirs if engine is not None else [Path(d) for d in model_dirs])
    draft = AigifFile(
        platform=Platform(threads=torch.get_num_threads()),
        model=Model(id=model, dtype=dtype, scheduler=scheduler or entry.default_scheduler,
                    scheduler_options=scheduler_options, vae=parts[0], adapters=parts[1]),
        data=Data(prompt=prompt, negative_prompt=negative_prompt, height=height or entry.default_size,
                  width=width or entry.default_size, seed=secrets.randbits(32) if seed is None else seed,
                  steps=steps, guidance_scale=guidance_scale, strength=strength, passes=tuple(passes)),
        payload=Payload(init_image=_stored_image(init_image, 3), mask=_stored_image(mask, 1)),
    )
    dumps(draft)  # every value is checked (and refused with a UsageError) before anything runs
    screen(draft, budget)
    engine = engine or _new_engine(device=device, model_dirs=[Path(d) for d in model_dirs],
                                   allow_download=allow_download)
    problems = _engine.preflight(draft, engine.device)
    if problems:  # save has no switch that ignores a setting: it makes only what it can record honestly
        first = problems[0]
        supported = f" (supported: {', '.join(_engine.DTYPES)})" if first.path == "model.dtype" else ""
        raise RecreateError(first.message + supported, code="cannot-honour", path=first.path)
    image, used = engine.generate(draft, _determinism.apply(profile), progress=progress)
    codec, pixels = "none", None
    if save_pixels:  # True: the smallest lossless codec; or a codec's name. Decoded again and compared.
        codec, pixels = _pixels.smallest_lossless(image, None if save_pixels is True else (save_pixels,))
    checkpoint = engine.load(draft.model).checkpoint  # a single file: the file records its SHA-256
    if checkpoint is not None:
        draft = dataclasses.replace(draft, model=dataclasses.replace(
            draft.model, hash=f"sha256:{_models.file_sha256(checkpoint)}"))
    obj = dataclasses.replace(
        draft, platform=used, compression=Compression(pixel_compressor=codec),
        payload=dataclasses.replace(draft.payload, pixels=pixels,
                                    pixel_digest=_engine.pixel_digest(image) if pixel_digest else None))
    outputs = [(path, dumps(obj)), (image_path, _engine.encode_png(image) if image_path is not None else b"")]
    write_all_atomic([(target, data) for target, data in outputs if target is not None],
                     overwrite=overwrite)  # both or neither, also when replacing
    return obj, image


def _stored_image(source, channels: int) -> Image | None:
    """An init image (3 channels) or mask (1) to store (R6.10): a path or PIL image, kept as a lossless PNG."""
    if source is None:
        return None
    from PIL import Image as PIL

    if not hasattr(source, "convert"):
        try:
            with PIL.open(source) as opened:
                source = opened.convert(_pixels.IMAGE_MODES[channels])
        except (OSError, ValueError) as err:  # not an image, or one Pillow cannot read
            raise UsageError(f"{source}: cannot read the {'init image' if channels == 3 else 'mask'}: {err}",
                             code="invalid-value") from None
    return Image(*_pixels.encode_image(source, channels))


def verify(source, image, **options) -> tuple[Recreation, Comparison]:
    """Recreate ``source`` and compare the result with ``image`` (a PIL image or a path)."""
    from PIL import Image

    if not hasattr(image, "convert"):
        with Image.open(image) as opened:
            image = opened.convert("RGB")
    result = recreate(source, **options)
    from ._metrics import compare

    return result, compare(result.image, image)


__all__ = ["save", "recreate", "verify", "preflight", "Problem", "prepare_for", "Recreation", "Comparison", "compare",
           "Engine", "Budget", "screen"]
