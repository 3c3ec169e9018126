"""Reading: bytes -> ``AigifFile``, and the reader's one error boundary.

Valid files take the fast path (``_fastread``); whatever it does not accept goes to the construct
schema, which is the definition of the format and names the error. Only ``AigifError`` leaves
``loads``: every construct error becomes a ``FormatError`` with a stable code here, and nowhere
else. Anything else is a bug in this package and surfaces as one.
"""

from __future__ import annotations

from typing import Any

import construct as c

from .. import _files
from .._errors import FormatError
from . import _fastread
from . import _schema as S
from ._assemble import assemble
from ._fields import BY_TAG, Field, coded
from ._model import AigifFile
from ._wire import Violation

PathLike = _files.PathLike

#: Signatures of files people mistake for AIGIF files -> what to tell them (R3.1 is still the code).
_OTHER_FORMATS = (
    (b"\x89PNG\r\n\x1a\n", "this is a PNG image: 'aigif import' reads the generation data of AI images"),
    (b"\xff\xd8\xff", "this is a JPEG image: 'aigif import' reads the generation data of AI images"),
    (b"RIFF", "this is a RIFF (WebP?) image: 'aigif import' reads the generation data of AI images"),
    (b"\xff\x0a", "this is a JPEG XL image: 'aigif import' reads the generation data of AI images"),
    (b"\x00\x00\x00\x0cJXL ", "this is a JPEG XL image: 'aigif import' reads the generation data of AI images"),
    (b"{", "this looks like JSON: 'aigif build' writes an AIGIF file from its JSON form"),
)


def read(source: PathLike | bytes | bytearray | memoryview) -> AigifFile:
    """Read an AIGIF file from a path or from bytes. Raises ``AigifError`` subclasses only."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return loads(source)
    return loads(_files.read_bytes(source))


def loads(data: bytes | bytearray | memoryview) -> AigifFile:
    """Parse one AIGIF file held in memory. Raises ``FormatError`` and nothing else on bad bytes."""
    data = bytes(data)
    try:
        return _fastread.parse(data)
    except _fastread.Reject:  # only doubt falls back; a bug in the fast path propagates
        return loads_schema(data)


def loads_schema(data: bytes) -> AigifFile:
    """Parse with the construct schema alone: slower, the reference for every decision."""
    head = data[: len(S.SIGNATURE)]
    if not head or head != S.SIGNATURE[: len(head)]:
        raise FormatError(_not_aigif(data), code="bad-signature")
    try:
        parsed = S.AigifFile.parse(data)
    except Violation as err:
        raise FormatError(err.detail, code=err.code, path=error_path(err)) from None
    except c.ChecksumError:
        raise FormatError("the CRC-32 does not match the file's contents", code="bad-checksum") from None
    except c.TerminatedError:
        raise FormatError("bytes follow the checksum", code="trailing-bytes") from None
    except c.StreamError as err:
        raise FormatError("the file ends before its structure does", code="truncated", path=error_path(err)) from None
    except c.ConstError:
        raise FormatError(_not_aigif(data), code="bad-signature") from None
    return _to_object(parsed.body.value)


def _not_aigif(data: bytes) -> str:
    """R3.1: what the first bytes are instead of the signature, when we can tell."""
    if not data:
        return "the file is empty"
    for signature, hint in _OTHER_FORMATS:
        if data.startswith(signature):
            return f"not an AIGIF file: {hint}"
    return "not an AIGIF file (the signature does not match)"


def error_path(err: c.ConstructError) -> str | None:
    """Construct's path of an error -> the dotted path of the object it concerns."""
    parts = [p for p in str(err.path or "").split(" -> ")
             if p and not p.startswith("(") and p not in {"body", "value", "codes", "extension"}]
    return ".".join(parts) or None


def _coded(registry: str, code: int, escaped: Any) -> str | int:
    return coded(registry, code, escaped.name if escaped is not None else None)


def _to_object(body: Any) -> AigifFile:
    comp, plat, mod, dat = body.compression, body.platform, body.model, body.data
    fields: dict[Field | int, Any] = {}
    for f in body.extension.fields:
        field = BY_TAG.get(f.tag)
        if field is None:
            fields[f.tag] = f.value  # R6.3: an unknown ancillary field, kept as bytes
        else:
            fields[field] = field.parsed(f.value)
    return assemble(
        (comp.pixel_compressor, comp.text_compressor, comp.model_compressor),
        (_coded("device", plat.codes.device, plat.device_name), _coded("arch", plat.codes.arch, plat.arch_name),
         _coded("gpu", plat.gpu, plat.gpu_name), _coded("cuda", plat.cuda, plat.cuda_name)),
        (_coded("model", mod.id, mod.id_name), _coded("dtype", mod.codes.dtype, mod.dtype_name),
         _coded("scheduler", mod.codes.scheduler, mod.scheduler_name)),
        (dat.text.prompt, dat.text.negative_prompt, dat.text.raw),
        (dat.height, dat.width, dat.seed, dat.steps),
        dat.guidance_scale,
        fields,
    )
