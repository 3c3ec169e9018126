"""Import: an image made by another tool -> an AIGIF file, and how faithfully it can be recreated.

Three stages, each in its own module: ``_containers`` finds the texts an image carries,
``_dialects`` reads them in the source tool's vocabulary (a ``Found``), and ``_mapping`` turns that
into AIGIF values and a faithfulness verdict. This module puts them together. Everything the
source image said is kept verbatim in the file's source metadata (field 26, R6.8), so nothing is
dropped even where AIGIF has no field for it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from .._errors import SourceError, UsageError
from .._format import _limits as L
from .._format._model import AigifFile, Compression, Data, Faithfulness, Model, Payload, Platform, Source, SourceText
from ._containers import read_carriers
from ._dialects import parse
from ._found import Carrier, Found, ImageInfo
from ._mapping import (NOT_RECREATABLE, adapters_for, embedding_triggers_for, encoded_prompt, judge, model_id,
                       parse_hash, passes_for, scheduler_for, tool_label, vae_for)

__all__ = ["import_image", "ImportReport", "IMAGE_SUFFIXES", "LOOKED_IN"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
LOOKED_IN = ("PNG text chunks (tEXt, iTXt, zTXt, also after the image data), EXIF (UserComment, "
             "ImageDescription, Make, Model, Software, MakerNote), XMP, JPEG comments, "
             "alpha-channel 'stealth' metadata")
_RNG = {"cpu": "cpu", "gpu": "cuda", "nv": "a1111-nv"}


@dataclass
class ImportReport:
    """What ``import_image`` found, and how faithfully the result can be recreated."""

    path: str
    tool: str
    faithfulness: str  # "exact-possible" | "approximate" | "not-recreatable"
    reasons: list[str]
    image: ImageInfo
    carriers: list[str]  # "png:iTXt parameters", ...
    pixels: str | None = None  # the pixel compressor used with keep_pixels
    notes: list[str] = field(default_factory=list)  # what the importer did that a user should know

    def to_json(self) -> dict:
        return {"path": self.path, "tool": self.tool, "faithfulness": self.faithfulness,
                "reasons": list(self.reasons), "image_info": dataclasses.asdict(self.image),
                "carriers": list(self.carriers), "pixels": self.pixels, "notes": list(self.notes)}


def import_image(path, *, keep_pixels: bool = False) -> tuple[AigifFile, ImportReport]:
    """Read the generation metadata of an image (PNG, JPEG, WebP) and map it onto AIGIF.

    Raises ``SourceError``: ``not-an-image``, ``no-metadata`` (nothing in any of the places
    looked), ``bad-metadata`` (malformed or contradictory: the message names the field).
    With ``keep_pixels``, the pixels are embedded losslessly (the smallest of the lossless codecs
    that decodes back to identical pixels) with their SHA-256 digest.
    """
    try:
        return _import(os.fspath(path), keep_pixels)
    except ModuleNotFoundError as err:
        if err.name != "PIL":
            raise
        raise UsageError("this image needs Pillow (stealth metadata or --keep-pixels): "
                         "pip install 'aigif[import]'", code="missing-dependency") from None


def _import(name: str, keep_pixels: bool) -> tuple[AigifFile, ImportReport]:
    info, carriers = read_carriers(name)
    found = parse(carriers) if carriers else None
    if found is None:
        raise SourceError(f"{name}: no generation metadata found (looked in: {LOOKED_IN})", code="no-metadata")
    obj, verdict, notes = _to_aigif(found, info, carriers, name)
    pixels = None
    if keep_pixels:
        obj, pixels, pixel_notes = _with_pixels(obj, name, info)
        notes += pixel_notes
    report = ImportReport(path=name, tool=tool_label(found.tool), faithfulness=verdict.level,
                          reasons=list(verdict.reasons), image=info,
                          carriers=[f"{c.where} {c.key}" for c in carriers], pixels=pixels, notes=notes)
    return obj, report


def _to_aigif(found: Found, info: ImageInfo, carriers: list[Carrier], name: str):
    notes: list[str] = []
    scheduler = scheduler_for(found)
    model_value, model_known = model_id(found.model_name)
    _size_written_after_the_passes(found, info, notes)
    verdict = judge(found, scheduler, model_known)
    passes, pass_reasons = passes_for(found, scheduler)
    for level, reason in pass_reasons:
        verdict.lower(level, reason)
    width = found.width if found.width is not None else info.width
    height = found.height if found.height is not None else info.height
    if found.width is None or found.height is None:
        notes.append(f"size taken from the image ({info.width}x{info.height})")
    for what, value in (("width", width), ("height", height)):
        if not L.MIN_SIZE <= value <= L.MAX_SIZE:  # R5.4
            raise SourceError(f"{name}: {what} {value} is outside {L.MIN_SIZE}..{L.MAX_SIZE}", code="bad-metadata",
                              path=what)
    if width % 8 or height % 8:  # the recreator refuses such a size, even forced
        taken = " (the image's own size: the metadata does not record one)" if found.width is None or \
            found.height is None else ""
        verdict.lower(NOT_RECREATABLE, f"{width}x{height} is not a multiple of 8, which diffusion models need{taken}")
    seed, steps, guidance = found.seed, found.steps, found.guidance_scale
    placeholders = [text for value, text in ((seed, "seed 0"), (steps, "1 step"), (guidance, "guidance 0"))
                    if value is None]
    seed = 0 if seed is None else seed
    steps = 1 if steps is None else steps
    guidance = 0.0 if guidance is None else guidance
    if placeholders:
        notes.append("not recorded by the source, written as placeholders: " + ", ".join(placeholders))
    if not 0 <= seed <= L.MAX_UVARINT:  # R5.4
        raise SourceError(f"{name}: seed {seed} is outside 0..2^64-1", code="bad-metadata", path="seed")
    if not L.MIN_STEPS <= steps <= L.MAX_STEPS:  # R5.4
        raise SourceError(f"{name}: {steps} steps is outside {L.MIN_STEPS}..{L.MAX_STEPS}", code="bad-metadata",
                          path="steps")
    model_hash = parse_hash(found.model_hash)
    if found.model_hash and model_hash is None:
        notes.append(f"model hash {found.model_hash!r} is not a hash AIGIF knows; kept in the source metadata")
    clip_skip = max(0, (found.clip_skip or 1) - 1)  # A1111 "Clip skip: 2" is diffusers' clip_skip=1
    if clip_skip > 64:
        raise SourceError(f"{name}: clip skip {found.clip_skip} is outside 1..65", code="bad-metadata",
                          path="clip_skip")
    strength = found.strength if found.img2img and found.strength is not None else None
    if strength is not None and not 0.0 <= strength <= 1.0:
        raise SourceError(f"{name}: denoising strength {strength} is outside 0..1", code="bad-metadata",
                          path="strength")
    rng = _RNG.get(found.rng, found.rng) if found.rng else "cpu"  # the dialects set each tool's default
    model = Model(
        id=model_value, hash=model_hash,
        scheduler=scheduler.name if scheduler else "unknown",
        scheduler_options=scheduler.options if scheduler else Model().scheduler_options,
        scheduler_config=dict(scheduler.config) if scheduler else {},
        vae=vae_for(found), adapters=adapters_for(found), clip_skip=clip_skip,
        embedding_triggers=embedding_triggers_for(found),
    )
    prompt = encoded_prompt(found, found.prompt)
    if prompt != (found.prompt or ""):
        notes.append(f"{tool_label(found.tool)} takes its <lora:…>-style tags out of the prompt before encoding it: "
                     "the prompt is stored without them (the adapters record them; the source metadata keeps the "
                     "prompt as written)")
    data = Data(prompt=prompt, negative_prompt=found.negative_prompt or "", width=width,
                height=height, seed=seed, steps=steps, guidance_scale=float(guidance), rng=rng,
                eta=float(found.eta or 0.0), strength=strength, passes=passes)
    source = Source(tool=tool_label(found.tool), version=found.tool_version or None,
                    faithfulness=Faithfulness(verdict.level, tuple(verdict.reasons)),
                    metadata=tuple(SourceText(c.where, c.key, c.text) for c in carriers))
    obj = AigifFile(compression=Compression(), platform=Platform(device="unknown"), model=model, data=data,
                    source=source)
    return obj, verdict, notes



def _size_written_after_the_passes(found: Found, info: ImageInfo, notes: list[str]) -> None:
    """A hires image whose ``Size`` is the final size: the first pass's size is derived from the factor.

    A1111 and Forge write the first pass's size; a writer that writes the final one instead is
    recognised by the image itself: as big as ``Size``, where a factor above 1 says it should be bigger."""
    hires = next((p for p in found.later if p.kind == "hires"), None)
    if hires is None or not hires.scale or hires.scale <= 1 or not found.width or not found.height:
        return
    image = (info.width, info.height)
    if image != (found.width, found.height) or (hires.width, hires.height) == image:
        return
    first = (round(found.width / hires.scale), round(found.height / hires.scale))
    if (int(first[0] * hires.scale), int(first[1] * hires.scale)) != (found.width, found.height):
        notes.append(f"the metadata's size {found.width}x{found.height} is the image's final size, and no first-pass "
                     f"size gives it at x{hires.scale}: kept as the generation size")
        return
    notes.append(f"the metadata's size {found.width}x{found.height} is taken as the image's final size (the image is "
                 f"that big, and the hires fix upscales x{hires.scale}): the first pass was {first[0]}x{first[1]} "
                 "(an image A1111 saved before its hires fix would look the same)")
    hires.width, hires.height = found.width, found.height
    found.width, found.height = first


def _with_pixels(obj: AigifFile, name: str, info: ImageInfo):
    from PIL import Image, UnidentifiedImageError

    from .. import _pixels

    notes = []
    try:
        with Image.open(name) as opened:
            opened.load()
            source = opened
            if source.mode in ("RGBA", "LA", "PA") or (source.mode == "P" and "transparency" in source.info):
                alpha = source.convert("RGBA").getchannel("A")
                if alpha.getextrema() != (255, 255):
                    notes.append("the alpha channel is not kept (AIGIF pixels are RGB); any metadata hidden in "
                                 "it is kept in the source metadata")
            image = source.convert("RGB")
    except (UnidentifiedImageError, OSError) as err:
        raise SourceError(f"{name}: the pixels cannot be decoded ({err})", code="not-an-image") from None
    if image.size != (obj.data.width, obj.data.height):
        notes.append(f"the image is {image.size[0]}x{image.size[1]}; the metadata says "
                     f"{obj.data.width}x{obj.data.height} (kept as the metadata says)")
    codec, payload = _pixels.smallest_lossless(image)
    digest = _pixels.digest(image)
    obj = dataclasses.replace(obj, compression=dataclasses.replace(obj.compression, pixel_compressor=codec),
                              payload=Payload(pixels=payload, pixel_digest=digest))
    notes.append(f"pixels kept as lossless {codec} ({len(payload):,} bytes), verified identical")
    return obj, codec, notes


def image_paths(items) -> list[Path]:
    """Files and folders -> image files (folders are searched recursively, in sorted order)."""
    out = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            out.append(path)
    return out
