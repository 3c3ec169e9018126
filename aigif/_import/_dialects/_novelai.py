"""NovelAI: ``Description``/``Software``/``Source``/``Comment`` (JSON) text chunks, the same set gzip'd in the
alpha channel, or (WebP) EXIF Software/ImageDescription/UserComment ``{"Comment": ...}``.

The prompt is ``Comment.prompt`` (v3+), else the V4 base caption, else ``Description`` (2022 images store it
only there); the negative is ``uc`` (else the V4 negative base caption). ``Source`` names the model.
``strength``/``noise`` are written by every 2022 image, txt2img included, so only ``request_type`` marks img2img.
"""

from __future__ import annotations

from typing import Any

from .._found import Carrier, Found
from . import _common as c

NOT_PUBLIC = "NovelAI models are not public"
_USED = {"prompt", "uc", "seed", "steps", "scale", "sampler", "noise_schedule", "width", "height"}


def is_novelai(fields: dict[str, str]) -> bool:
    software = fields.get("Software", "")
    return software.strip().startswith("NovelAI")


def found_from_fields(fields: dict[str, str], carriers: list[Carrier]) -> Found:
    """``fields``: the NovelAI chunk set (Title, Description, Software, Source, Generation time, Comment)."""
    found = c.new_found("novelai", carriers)
    found.rng = "gpu"  # NovelAI samples on its own GPUs
    c.add_problem(found, NOT_PUBLIC)
    comment_text = fields.get("Comment")
    comment: dict[str, Any] = {}
    if comment_text is not None:
        value = c.load_json(c.clean(comment_text), "Comment")
        if not isinstance(value, dict):
            raise c.bad("Comment", "not a JSON object")
        comment = value
    prompt = comment.get("prompt")
    v4 = comment.get("v4_prompt")
    if not isinstance(prompt, str) and isinstance(v4, dict):
        prompt = ((v4.get("caption") or {}).get("base_caption")) if isinstance(v4.get("caption"), dict) else None
    description = fields.get("Description")
    if description is not None:
        description = c.clean(description)
    if not isinstance(prompt, str):
        prompt = description
    elif description is not None and description != prompt:
        found.extra["Description"] = description
    found.prompt = prompt
    negative = comment.get("uc")
    v4n = comment.get("v4_negative_prompt")
    if not isinstance(negative, str) and isinstance(v4n, dict) and isinstance(v4n.get("caption"), dict):
        negative = v4n["caption"].get("base_caption")
    found.negative_prompt = negative if isinstance(negative, str) else None
    for key, value in (("v4_prompt", v4), ("v4_negative_prompt", v4n)):
        if isinstance(value, dict) and isinstance(value.get("caption"), dict):
            chars = c.as_list(value["caption"].get("char_captions"))
            if chars:
                c.add_problem(found, f"NovelAI V4 character prompts ({len(chars)}) in {key}, placed by position")
    if comment.get("seed") is not None:
        found.seed = c.seed(comment["seed"], "Comment: seed")
    if comment.get("steps") is not None:
        found.steps = c.steps(comment["steps"], "Comment: steps")
    if comment.get("scale") is not None:
        found.guidance_scale = c.cfg(comment["scale"], "Comment: scale")
    if comment.get("sampler") is not None:
        found.sampler = str(comment["sampler"])
    if comment.get("noise_schedule") is not None:
        found.schedule = str(comment["noise_schedule"])
    if comment.get("width") is not None:
        found.width = c.dimension(comment["width"], "Comment: width")
    if comment.get("height") is not None:
        found.height = c.dimension(comment["height"], "Comment: height")
    request = str(comment.get("request_type", ""))
    if "img2img" in request.lower() or "infill" in request.lower():
        found.img2img = True
        c.add_problem(found, "img2img: the source image is not stored")
        if comment.get("strength") is not None:
            found.strength = c.strength(comment["strength"], "Comment: strength")
    source = fields.get("Source")
    software = c.clean(fields.get("Software", ""))
    if source:
        found.model_name = c.clean(source)
    elif software and software != "NovelAI":  # WebP: Software = "NovelAI Diffusion V4.5 C02D4F98"
        found.model_name = software
    for key, value in comment.items():
        if key not in _USED:
            c.put_extra(found, key, value)
    for key in ("Title", "Generation time"):
        if key in fields:
            found.extra[key] = c.clean(fields[key])
    return found
