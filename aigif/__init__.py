"""AIGIF: store an AI-generated image as its generation syntax, not its pixels.

The public surface is small: ``read``/``write`` for files, ``loads``/``dumps`` for bytes,
``to_json``/``from_json`` for the canonical JSON form, the ``AigifFile`` dataclass tree and one error
hierarchy rooted at ``AigifError``. Importing this package never imports torch.
"""

from ._errors import AigifError, FileError, FormatError, RecreateError, SourceError, UsageError
from ._format._json import from_json, to_json
from ._format._model import (Adapter, AigifFile, Compression, Data, Extension, Faithfulness, Model, ModelRef,
                             Payload, Platform, SchedulerOptions, Source, SourceText)
from ._format._read import loads, read
from ._format._write import dumps, write
from ._version import SPEC_VERSION, __version__


def _recreation():
    """The recreation subpackage, imported on first use: it brings torch and diffusers."""
    try:
        from . import _recreate
    except ImportError as err:
        raise RecreateError(f"recreation needs the 'recreate' extra (pip install 'aigif[recreate]'): {err}",
                            code="missing-dependency") from None
    return _recreate


def _budget(recreation, limits: dict):
    """The recreation budget with the ``max_pixels``, ``max_steps``, ``max_threads`` given (others default)."""
    return recreation.Budget(**{name: value for name, value in limits.items() if value is not None})


def recreate(source, *, device: str = "cpu", model_dirs=(), allow_download: bool = False, force: bool = False,
             max_pixels: int | None = None, max_steps: int | None = None, max_threads: int | None = None):
    """Recreate the image of an AIGIF file (a path, bytes or an ``AigifFile``) as a ``PIL.Image``.

    The report — whether the platform check expects bit-exactness, whether a stored pixel digest
    matched, whether the weights were verified — is in ``image.info["aigif"]``. A file beyond the
    recreation budget (by default 2048 x 2048 pixels, 1,000 steps, 256 threads; the ``max_*``
    options raise it) is refused before torch is imported. Imports torch.
    """
    recreation = _recreation()
    result = recreation.recreate(source, device=device, model_dirs=model_dirs, allow_download=allow_download,
                                 force=force, budget=_budget(recreation, {
                                     "max_pixels": max_pixels, "max_steps": max_steps, "max_threads": max_threads}))
    result.image.info["aigif"] = result.report()
    return result.image


def save(path, *, prompt: str, **options):
    """Generate an image with diffusers and write its AIGIF file; returns ``(AigifFile, PIL.Image)``.

    Options: ``model`` (default ``"aigif-tiny-sd"``), ``negative_prompt``, ``width``, ``height``,
    ``seed`` (random and recorded if omitted), ``steps``, ``guidance_scale``, ``scheduler``,
    ``scheduler_options``, ``dtype``, ``device``, ``save_pixels``, ``pixel_digest``, ``image_path``,
    ``model_dirs``, ``allow_download``, ``overwrite``, ``determinism`` (``"portable"``, the default on
    the CPU: the same pixels on any x86-64 CPU with AVX2 at any thread count; or ``"native"``: the
    fastest kernels, bit-exact on the same CPU model only), and the recreation budget
    ``max_pixels``, ``max_steps``, ``max_threads`` (as for ``recreate``). Imports torch, after
    setting up the profile; called after the application used torch itself, it applies the profile
    as far as it can and the file records the one that held.
    """
    recreation = _recreation()
    limits = {name: options.pop(name, None) for name in ("max_pixels", "max_steps", "max_threads")}
    return recreation.save(path, prompt=prompt, budget=_budget(recreation, limits), **options)


def import_image(path, *, keep_pixels: bool = False):
    """Import an image made by another tool (A1111, ComfyUI, InvokeAI, NovelAI, Fooocus, SwarmUI, …).

    Returns ``(AigifFile, ImportReport)``: the file (its ``source`` holds the original metadata
    verbatim and the faithfulness verdict) and a report (tool, faithfulness, reasons, carriers).
    Raises ``SourceError`` (``not-an-image``, ``no-metadata``, ``bad-metadata``). Needs Pillow only
    for stealth metadata and ``keep_pixels``.
    """
    from ._import import import_image as run

    return run(path, keep_pixels=keep_pixels)


def verify(source, image, *, device: str = "cpu", model_dirs=(), allow_download: bool = False,
           force: bool = False, max_pixels: int | None = None, max_steps: int | None = None,
           max_threads: int | None = None) -> dict:
    """Recreate ``source`` and compare it with ``image`` (a path or ``PIL.Image``). Imports torch."""
    recreation = _recreation()
    result, comparison = recreation.verify(source, image, device=device, model_dirs=model_dirs,
                                           allow_download=allow_download, force=force, budget=_budget(recreation, {
                                               "max_pixels": max_pixels, "max_steps": max_steps,
                                               "max_threads": max_threads}))
    return {**comparison.to_json(), "recreation": result.report()}

__all__ = [
    "read", "write", "loads", "dumps", "to_json", "from_json", "save", "recreate", "verify", "import_image",
    "AigifFile", "Compression", "Platform", "Model", "SchedulerOptions", "ModelRef", "Adapter", "Data",
    "Payload", "Source", "Faithfulness", "SourceText", "Extension",
    "AigifError", "FormatError", "UsageError", "FileError", "RecreateError", "SourceError",
    "__version__", "SPEC_VERSION",
]
