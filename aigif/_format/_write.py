"""Writing: ``AigifFile`` -> canonical bytes (spec section 10).

The object is turned into the construct schema's values (the core here, the fields through their
rows in ``_fields.TABLE``) and the schema builds the bytes. Whatever the writer or the schema refuses
raises ``Violation`` with a stable code, which ``dumps`` reports as a ``UsageError``; any other
exception is a bug and propagates as one.
"""

from __future__ import annotations

from typing import Any

import construct as c

from .. import _files
from .._errors import UsageError
from . import _compression
from . import _schema as S
from ._fields import TABLE, code_of, smallest_encodings
from ._model import AigifFile, Compression, Data, Model, Payload, Platform, Source
from ._read import error_path
from ._registry import REGISTRIES
from ._wire import Violation

PathLike = _files.PathLike

#: (section, attribute) -> the attribute's default: a field is written only where the object differs (R6.4).
_DEFAULTS = {field.home: getattr(getattr(AigifFile(), field.home[0]), field.home[1]) for field in TABLE}


_SECTIONS = {"compression": Compression, "platform": Platform, "model": Model, "data": Data, "payload": Payload,
             "source": Source}


def write(obj: AigifFile, path: PathLike, *, overwrite: bool = False) -> int:
    """Write ``obj`` to ``path`` atomically; returns the number of bytes written.

    The bytes are produced first, so an object that cannot be written leaves no file behind.
    """
    data = dumps(obj)
    _files.write_bytes_atomic(path, data, overwrite=overwrite)
    return len(data)


def dumps(obj: AigifFile) -> bytes:
    """Serialise canonically (R10). Raises ``UsageError`` if ``obj`` cannot be written as a valid file."""
    if not isinstance(obj, AigifFile):
        raise UsageError(f"expected an AigifFile, got {type(obj).__name__}", code="invalid-value")
    try:
        data: bytes = S.AigifFile.build(dict(body=dict(value=_body(obj))))
        return data
    except Violation as err:
        raise UsageError(err.detail, code=err.code, path=error_path(err)) from None
    except c.ConstructError as err:  # construct's own checks (a count, a size) on a value we passed through
        raise UsageError(f"cannot write this object: {err}", code="invalid-value", path=error_path(err)) from None


def text_compressor_for(obj: AigifFile) -> str:
    """The text compressor the writer uses for ``obj`` (its own choice when none is set, R10.3)."""
    try:
        code, _ = _text(obj)
    except Violation as err:
        raise UsageError(err.detail, code=err.code, path=error_path(err)) from None
    return REGISTRIES["text_compressor"].names[code]


def _fields(obj: AigifFile) -> list[dict[str, Any]]:
    """Section 6: every field whose value differs from its default, then the unknown ones kept (R6.3)."""
    fields = []
    for field in TABLE:
        section, attribute = field.home
        value = getattr(getattr(obj, section), attribute)
        if _is_default(value, _DEFAULTS[field.home]):
            continue
        built = field.build(value, obj, field.where)
        if built is not None:
            fields.append(dict(tag=field.tag, value=built))
    known = {field.tag for field in TABLE}
    for ext in obj.extensions:
        if ext.tag in known or not isinstance(ext.data, (bytes, bytearray)):
            raise Violation("invalid-value", f"extension tag {ext.tag} is a known field or holds no bytes", "extensions")
        fields.append(dict(tag=ext.tag, value=bytes(ext.data)))
    fields.sort(key=lambda f: f["tag"])
    return fields


def _is_default(value: object, default: object) -> bool:
    """R6.4: the value that leaving the field out expresses (so ``eta`` -0.0 is 0, and left out)."""
    return value is default or value == default


def _body(obj: AigifFile) -> dict[str, Any]:
    for name, cls in _SECTIONS.items():
        if not isinstance(getattr(obj, name), cls):
            raise Violation("invalid-value", f"must be a {cls.__name__}", name)
    comp, plat, mod, dat, pay = obj.compression, obj.platform, obj.model, obj.data, obj.payload
    device, device_name = _coded("device", plat.device, "platform.device")
    arch, arch_name = _coded("arch", plat.arch, "platform.arch")
    gpu, gpu_name = _coded("gpu", plat.gpu, "platform.gpu")
    cuda, cuda_name = _coded("cuda", plat.cuda, "platform.cuda")
    model_id, model_name = _coded("model", mod.id, "model.id")
    dtype, dtype_name = _coded("dtype", mod.dtype, "model.dtype")
    scheduler, scheduler_name = _coded("scheduler", mod.scheduler, "model.scheduler")
    pixel_compressor, _ = code_of("pixel_compressor", comp.pixel_compressor, "compression.pixel_compressor")
    model_compressor, _ = code_of("model_compressor", comp.model_compressor, "compression.model_compressor")
    text_compressor, text = _text(obj)
    return dict(
        signature=None,
        version=S.VERSION,
        compression=dict(save_pixels=pay.pixels is not None, pixel_compressor=pixel_compressor,
                         text_compressor=text_compressor, save_model=pay.model is not None,
                         model_compressor=model_compressor, reserved=0),
        compression_rules={},
        platform=dict(codes=dict(device=device, arch=arch), device_name=device_name, arch_name=arch_name,
                      gpu=gpu, gpu_name=gpu_name, cuda=cuda, cuda_name=cuda_name),
        model=dict(id=model_id, id_name=model_name, codes=dict(dtype=dtype, scheduler=scheduler),
                   dtype_name=dtype_name, scheduler_name=scheduler_name),
        data=dict(text=text, height=dat.height, width=dat.width, seed=dat.seed, steps=dat.steps,
                  guidance_scale=dat.guidance_scale),
        extension=dict(fields=_fields(obj)),
    )


def _coded(registry: str, value: object, where: str) -> tuple[int, dict[str, str] | None]:
    code, name = code_of(registry, value, where)
    return code, None if name is None else {"name": name}


def _text(obj: AigifFile) -> tuple[int, dict[str, Any]]:
    """R10.2/R10.3: reuse the stored block while it still holds these strings; else pick the encoding."""
    prompt, negative = obj.data.prompt, obj.data.negative_prompt
    for value, where in ((prompt, "data.prompt"), (negative, "data.negative_prompt")):
        if not isinstance(value, str):
            raise Violation("invalid-value", f"expected a string, got {type(value).__name__}", where)
    wanted = obj.compression.text_compressor
    stored = obj.stored_text
    if stored is not None and stored[1:3] == (prompt, negative) and wanted in (None, stored[0]):
        return REGISTRIES["text_compressor"].codes[stored[0]], dict(prompt=prompt, negative_prompt=negative,
                                                                    raw=stored[3])
    content = S.TextBlock.CONTENT.build(dict(prompt=prompt, negative_prompt=negative))
    if wanted is None:
        _, code, raw = min(smallest_encodings(content))
    else:
        code, _ = code_of("text_compressor", wanted, "compression.text_compressor")
        raw = _compression.compress(code, content)
    return code, dict(prompt=prompt, negative_prompt=negative, raw=raw)
