"""Plain values read from a file -> the ``AigifFile`` dataclass tree.

Both readers (the construct schema through ``_read`` and the fast path in ``_fastread``) end here,
so the mapping from the bitstream to the object is written once; each field goes to the home its
row of ``_fields.TABLE`` gives.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ._fields import SOURCE_METADATA, Field
from ._model import AigifFile, Compression, Data, Extension, Model, Payload, Platform, Source
from ._registry import REGISTRIES

R = REGISTRIES

def _fresh(cls, values: dict):
    """An instance of a frozen dataclass *without* running its ``__init__``.

    The generated ``__init__`` of a frozen dataclass sets each field through ``object.__setattr__``,
    which makes building the six objects of a file cost more than parsing its bytes. The reader's
    values are already checked, so they are put in place directly; every field not given takes
    its declared default. (``tests/format/test_assemble.py`` checks the result equals normal construction.)
    """
    defaults, factories = _DEFAULTS[cls]
    fields = {**defaults, **values}
    for name, factory in factories:  # mutable defaults (dicts) are made fresh for each object
        if name not in values:
            fields[name] = factory()
    if len(fields) != len(defaults):
        raise TypeError(f"{cls.__name__} has no field(s) {sorted(set(fields) - set(defaults))}")
    obj = _new(cls)
    _setattr(obj, "__dict__", fields)
    return obj


_new, _setattr = object.__new__, object.__setattr__
_DEFAULTS = {
    cls: ({f.name: None if f.default is dataclasses.MISSING else f.default for f in dataclasses.fields(cls)},
          [(f.name, f.default_factory) for f in dataclasses.fields(cls) if f.default_factory is not dataclasses.MISSING])
    for cls in (AigifFile, Compression, Platform, Model, Data, Payload, Source)
}
assert not any(hasattr(cls, "__post_init__") for cls in _DEFAULTS), "_fresh would skip __post_init__"


def assemble(compressors: tuple[int, int, int], platform: tuple, model: tuple, text: tuple, numbers: tuple,
             guidance_scale: float, fields: dict[Field | int, Any]) -> AigifFile:
    """Build the object from core values and the fields (row -> value; unknown tag -> bytes).

    Every file comes through here, so the objects are built as dictionaries in one expression each
    (see ``_fresh``); the fields, which most files have one or none of, are sorted into place after.
    """
    pixel, text_compressor, model_compressor = compressors
    prompt, negative_prompt, raw = text
    height, width, seed, steps = numbers
    device, arch, gpu, cuda = platform
    model_id, dtype, scheduler = model
    compression = _COMPRESSIONS.get(compressors)
    if compression is None:  # frozen and made of strings, so one object per combination is shared
        compression = _COMPRESSIONS[compressors] = _fresh(Compression, {
            "pixel_compressor": PIXEL_COMPRESSORS[pixel], "text_compressor": TEXT_COMPRESSORS[text_compressor],
            "model_compressor": MODEL_COMPRESSORS[model_compressor]})
    sections: dict[str, dict[str, Any]] = {
        "platform": {**_PLATFORM, "device": device, "arch": arch, "gpu": gpu, "cuda": cuda, "software": {}},
        "model": {**_MODEL, "id": model_id, "dtype": dtype, "scheduler": scheduler, "scheduler_config": {},
                  "embedding_triggers": {}},
        "data": {**_DATA, "prompt": prompt, "negative_prompt": negative_prompt, "height": height, "width": width,
                 "seed": seed, "steps": steps, "guidance_scale": guidance_scale},
    }  # and "payload", "source" when a field of theirs is present
    extensions = []
    stored_metadata = None
    for key, value in fields.items():
        if isinstance(key, int):
            extensions.append(Extension(key, value))
            continue
        if key is SOURCE_METADATA:  # (entries, compressor code, stored block): keep the block (R10.2)
            stored_metadata = value
            value = value[0]
        section, attribute = key.home
        sections.setdefault(section, {})[attribute] = value
    payload, source = sections.get("payload"), sections.get("source")
    return _made(AigifFile, {
        "compression": compression,
        "platform": _made(Platform, sections["platform"]),
        "model": _made(Model, sections["model"]),
        "data": _made(Data, sections["data"]),
        "payload": _EMPTY_PAYLOAD if payload is None else _fresh(Payload, payload),
        "source": _EMPTY_SOURCE if source is None else _fresh(Source, source),
        "extensions": tuple(extensions),
        "stored_text": (TEXT_COMPRESSORS[text_compressor], prompt, negative_prompt, raw),
        "stored_metadata": stored_metadata,
    })


def _made(cls, fields: dict):
    """``_fresh`` for a dict that already has every field."""
    obj = _new(cls)
    _setattr(obj, "__dict__", fields)
    return obj


_COMPRESSIONS: dict[tuple[int, int, int], Compression] = {}
#: The defaults of the three sections every file fills (``assemble`` sets the dicts fresh per object).
_PLATFORM, _MODEL, _DATA = (_DEFAULTS[cls][0] for cls in (Platform, Model, Data))
_EMPTY_PAYLOAD = Payload()  # frozen and empty: safe to share
_EMPTY_SOURCE = Source()
PIXEL_COMPRESSORS = R["pixel_compressor"].names
TEXT_COMPRESSORS = R["text_compressor"].names
MODEL_COMPRESSORS = R["model_compressor"].names
