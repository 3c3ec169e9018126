"""AIGIF: store an AI-generated image as its generation syntax, not its pixels.

The public surface is small: ``read``/``write`` for files, ``loads``/``dumps`` for bytes,
``to_json``/``from_json`` for the canonical JSON form, the ``AigifFile`` dataclass tree and one error
hierarchy rooted at ``AigifError``. Importing this package never imports torch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

from ._errors import AigifError, FileError, FormatError, RecreateError, SourceError, UsageError
from ._format._json import from_json, to_json
from ._format._model import (Adapter, AigifFile, Compression, Data, Extension, Faithfulness, Image, Model, ModelRef,
                             Pass, Payload, Platform, SchedulerOptions, Source, SourceText)
from ._format._read import loads, read
from ._format._write import dumps, write
from ._version import SPEC_VERSION, __version__

if TYPE_CHECKING:  # neither is imported to read or write a file
    import PIL.Image

    from ._import import ImportReport


PathLike = str | os.PathLike[str]
#: Called with ``(step, total)`` after each diffusion step.
Progress = Callable[[int, int], None]


class Saved(NamedTuple):
    """What ``save`` made: the file written and its image."""

    file: AigifFile
    image: PIL.Image.Image


@dataclass(frozen=True)
class Verification:
    """What ``verify`` found: the comparison of the recreated image with the one given, and the report
    of the recreation (as in ``recreate(...).info["aigif"]``)."""

    identical: bool
    psnr_db: float | None  # None when identical
    ms_ssim: float
    max_abs_diff: int
    recreation: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The same as a dict, as ``aigif verify --json`` prints it."""
        return {"identical": self.identical, "psnr_db": self.psnr_db, "ms_ssim": self.ms_ssim,
                "max_abs_diff": self.max_abs_diff, "recreation": self.recreation}


def _recreation() -> ModuleType:
    """The recreation subpackage, imported on first use: it brings torch and diffusers."""
    try:
        from . import _recreate
    except ImportError as err:
        raise RecreateError(f"recreation needs the 'recreate' extra (pip install 'aigif[recreate]'): {err}",
                            code="missing-dependency") from None
    return _recreate


def recreate(source: PathLike | bytes | AigifFile, *, device: str = "cpu", model_dirs: Iterable[PathLike] = (),
             allow_download: bool = False, force: bool = False, max_pixels: int | None = None,
             max_steps: int | None = None, max_threads: int | None = None,
             progress: Progress | None = None) -> PIL.Image.Image:
    """Recreate the image of an AIGIF file (a path, bytes or an ``AigifFile``) as a ``PIL.Image``.

    The report — whether the platform check expects bit-exactness, whether a stored pixel digest
    matched, whether the weights were verified — is in ``image.info["aigif"]``. A file beyond the
    recreation budget (by default 2048 x 2048 pixels, 1,000 steps, 256 threads; the ``max_*``
    options raise it) is refused before torch is imported. ``progress``, if given, is called with
    ``(step, total)`` after each diffusion step. Imports torch.
    """
    recreation = _recreation()
    result = recreation.recreate(source, device=device, model_dirs=model_dirs, allow_download=allow_download,
                                 force=force, budget=recreation.Budget.of(max_pixels, max_steps, max_threads),
                                 progress=progress)
    image: PIL.Image.Image = result.image
    image.info["aigif"] = result.report()
    return image


def save(path: PathLike | None, *, prompt: str, model: str = "aigif-tiny-sd", negative_prompt: str = "",
         width: int | None = None, height: int | None = None, seed: int | None = None, steps: int = 25,
         guidance_scale: float = 7.5, scheduler: str | None = None,
         scheduler_options: SchedulerOptions = SchedulerOptions(), dtype: str = "float32", device: str = "cpu",
         save_pixels: bool | str = False, pixel_digest: bool = False, image_path: PathLike | None = None,
         model_dirs: Iterable[PathLike] = (), allow_download: bool = False, overwrite: bool = False,
         determinism: str | None = None, max_pixels: int | None = None, max_steps: int | None = None,
         max_threads: int | None = None, progress: Progress | None = None, vae: str | ModelRef | None = None,
         adapters: Iterable[Adapter] = (), passes: Iterable[Pass] = (),
         init_image: PathLike | PIL.Image.Image | None = None,
         mask: PathLike | PIL.Image.Image | None = None, strength: float | None = None) -> Saved:
    """Generate an image with diffusers and write its AIGIF file; returns ``Saved(file, image)``.

    ``seed`` is drawn at random and recorded if omitted; ``width``/``height`` default to the model's
    size, ``scheduler`` to its scheduler. ``save_pixels`` embeds the pixels (``True``: the smallest
    lossless codec; or ``"png"``, ``"webp"``, ``"jpegxl"``), ``pixel_digest`` their SHA-256;
    ``image_path`` writes the PNG too (both files are written, or neither); ``path=None`` writes no
    AIGIF file. ``determinism`` is ``"portable"`` (the default on the CPU: the same pixels on any
    x86-64 CPU with AVX2 at any thread count) or ``"native"`` (the fastest kernels, bit-exact on the
    same CPU model only); called after the application used torch itself, the profile is applied as
    far as it can be and the file records the one that held. The budget (``max_*``) and ``progress``
    are as for ``recreate``. ``vae`` (a file name or ``ModelRef``) and ``adapters`` (``Adapter``: LoRAs,
    embeddings) are files found under ``model_dirs`` (docs/recreate.md); each is recorded with its
    SHA-256 unless given a hash. ``passes`` are the passes after the first (``Pass("hires", 0.5,
    width=1024, height=1024)``: hires fix). ``init_image`` (a path or ``PIL.Image``) with ``strength``
    generates image to image, and with ``mask`` (white repaints) inpainting; both are stored in the
    file losslessly. Imports torch.
    """
    recreation = _recreation()
    file, image = recreation.save(
        path, prompt=prompt, model=model, negative_prompt=negative_prompt, width=width, height=height, seed=seed,
        steps=steps, guidance_scale=guidance_scale, scheduler=scheduler, scheduler_options=scheduler_options,
        dtype=dtype, device=device, save_pixels=save_pixels, pixel_digest=pixel_digest, image_path=image_path,
        model_dirs=model_dirs, allow_download=allow_download, overwrite=overwrite, determinism=determinism,
        budget=recreation.Budget.of(max_pixels, max_steps, max_threads), progress=progress, vae=vae,
        adapters=tuple(adapters), passes=tuple(passes), init_image=init_image, mask=mask, strength=strength)
    return Saved(file, image)


def import_image(path: PathLike, *, keep_pixels: bool = False) -> tuple[AigifFile, ImportReport]:
    """Import an image made by another tool (A1111, ComfyUI, InvokeAI, NovelAI, Fooocus, SwarmUI, …).

    Returns ``(AigifFile, ImportReport)``: the file (its ``source`` holds the original metadata
    verbatim and the faithfulness verdict) and a report (tool, faithfulness, reasons, carriers).
    Raises ``SourceError`` (``not-an-image``, ``no-metadata``, ``bad-metadata``). Needs Pillow only
    for stealth metadata and ``keep_pixels``.
    """
    from ._import import import_image as run

    return run(path, keep_pixels=keep_pixels)


def verify(source: PathLike | bytes | AigifFile, image: PathLike | PIL.Image.Image, *, device: str = "cpu",
           model_dirs: Iterable[PathLike] = (), allow_download: bool = False, force: bool = False,
           max_pixels: int | None = None, max_steps: int | None = None, max_threads: int | None = None,
           progress: Progress | None = None) -> Verification:
    """Recreate ``source`` and compare it with ``image`` (a path or ``PIL.Image``). Imports torch."""
    recreation = _recreation()
    result, comparison = recreation.verify(source, image, device=device, model_dirs=model_dirs,
                                           allow_download=allow_download, force=force,
                                           budget=recreation.Budget.of(max_pixels, max_steps, max_threads),
                                           progress=progress)
    return Verification(identical=comparison.identical, psnr_db=comparison.psnr, ms_ssim=comparison.ms_ssim,
                        max_abs_diff=comparison.max_abs_diff, recreation=result.report())


__all__ = [
    "read", "write", "loads", "dumps", "to_json", "from_json", "save", "recreate", "verify", "import_image",
    "Saved", "Verification",
    "AigifFile", "Compression", "Platform", "Model", "SchedulerOptions", "ModelRef", "Adapter", "Data",
    "Payload", "Source", "Faithfulness", "SourceText", "Extension", "Pass", "Image",
    "AigifError", "FormatError", "UsageError", "FileError", "RecreateError", "SourceError",
    "__version__", "SPEC_VERSION",
]
