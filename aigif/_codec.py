"""Bytes <-> ``AigifFile``: runs the construct schema and converts at the boundary.

Nothing construct-shaped leaves this module: parsed ``Container``s become dataclasses, and every
construct error becomes a ``FormatError`` (reading) or ``UsageError`` (writing) with a stable code.
"""

from __future__ import annotations

from typing import Any

import construct as c

from . import _fastread
from . import _schema as S
from ._errors import FormatError, UsageError
from ._assemble import assemble, coded, determinism, faithfulness, hash_text, scheduler_options, source_metadata
from ._model import Adapter, AigifFile, ModelRef, SourceText
from ._primitives import Violation
from ._registry import HASH_LENGTHS, REGISTRIES

R = REGISTRIES

SIGMAS, SPACINGS, PREDICTIONS = S.SIGMAS, S.SPACINGS, S.PREDICTIONS


# ---------------------------------------------------------------------------------------------
# reading


def loads(data: bytes | bytearray | memoryview) -> AigifFile:
    """Parse one AIGIF file held in memory. Raises ``FormatError`` and nothing else on bad bytes.

    Valid files take the fast path; anything it does not accept goes to the schema, which is the
    definition of the format and names the error (see ``_fastread``).
    """
    data = bytes(data)
    try:
        return _fastread.parse(data)
    except Exception:  # noqa: BLE001 - whatever the fast path doubts, the schema decides
        return loads_schema(data)


def loads_schema(data: bytes) -> AigifFile:
    """Parse with the construct schema alone: slower, the reference for every decision."""
    head = data[: len(S.SIGNATURE)]
    if head != S.SIGNATURE[: len(head)] or not head:
        raise FormatError("not an AIGIF file (the signature does not match)", code="bad-signature")
    try:
        parsed = S.AigifFile.parse(data)
    except Violation as err:
        raise FormatError(err.detail, code=err.code, path=_path(err)) from None
    except c.ChecksumError:
        raise FormatError("the CRC-32 does not match the file's contents", code="bad-checksum") from None
    except c.TerminatedError:
        raise FormatError("bytes follow the checksum", code="trailing-bytes") from None
    except c.StreamError as err:
        raise FormatError("the file ends before its structure does", code="truncated", path=_path(err)) from None
    except c.ConstError:
        raise FormatError("not an AIGIF file (the signature does not match)", code="bad-signature") from None
    return _to_object(parsed.body.value)


def _path(err: c.ConstructError) -> str | None:
    parts = [p for p in str(err.path or "").split(" -> ")
             if p and not p.startswith("(") and p not in {"body", "value", "codes", "extension"}]
    return ".".join(parts) or None


def _coded(registry: str, code: int, escaped) -> str | int:
    return coded(registry, code, escaped.name if escaped is not None else None)


def _field_value(name: str | int, value):
    """A parsed field's Container -> its value in the object (R6.7)."""
    if name == "scheduler_options":
        return scheduler_options(value)
    if name == "determinism":
        return determinism(value)
    if name in ("scheduler_config", "software"):
        return {e.key: e.value for e in value.entries}
    if name == "vae":
        return ModelRef(value.name, hash_text(value.hash.kind, value.hash.digest))
    if name == "adapters":
        return tuple(Adapter(name=a.ref.name, kind=_coded("adapter_kind", a.kind, a.kind_name),
                             hash=hash_text(a.ref.hash.kind, a.ref.hash.digest), weight=a.weight) for a in value)
    if name in ("rng", "determinism_profile"):
        return _coded(name, value.code, value.name)
    if name in ("model_hash", "pixel_digest"):
        return hash_text(value.hash.kind, value.hash.digest)
    if name == "faithfulness":
        return faithfulness(_coded("faithfulness", value.level, value.level_name), value.reasons)
    if name == "source_metadata":
        return source_metadata([(e.where, e.key, e.text) for e in value.entries], value.compressor, value.raw)
    return value


def _to_object(body) -> AigifFile:
    comp, plat, mod, dat = body.compression, body.platform, body.model, body.data
    fields = {}
    for f in body.extension.fields:
        name = S.FIELDS[f.tag][0] if f.tag in S.FIELDS else f.tag
        fields[name] = _field_value(name, f.value)
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


# ---------------------------------------------------------------------------------------------
# writing


def dumps(obj: AigifFile) -> bytes:
    """Serialise canonically (R10). Raises ``UsageError`` if ``obj`` cannot be written as a valid file."""
    if not isinstance(obj, AigifFile):
        raise UsageError(f"expected an AigifFile, got {type(obj).__name__}", code="invalid-value")
    try:
        body = _to_container(obj)
        return S.AigifFile.build(dict(body=dict(value=body)))
    except Violation as err:
        raise UsageError(err.detail, code=err.code, path=_path(err)) from None
    except (c.ConstructError, ValueError, TypeError, AttributeError, KeyError) as err:
        raise UsageError(f"cannot write this object: {err}", code="invalid-value") from None


def _code(registry: str, value, where: str) -> tuple[int, Any]:
    try:
        code, name = R[registry].code_of(value)
    except ValueError as err:
        raise Violation("invalid-value", str(err), where) from None
    return code, None if name is None else {"name": name}


def _hash(text: str | None, where: str, allow_none: bool = False) -> dict:
    if text is None:
        if allow_none:
            return dict(kind=0, len_digest=0, digest=b"")
        raise Violation("invalid-value", "a hash is required here", where)
    kind, sep, hexdigits = str(text).partition(":")
    try:
        digest = bytes.fromhex(hexdigits)
    except ValueError:
        digest = None
    if not sep or digest is None:
        raise Violation("invalid-value", f"hash {text!r} is not 'kind:hex'", where)
    code = int(kind) if kind.isdigit() else R["hash_kind"].codes.get(kind)
    if code is None or code == 0:
        raise Violation("invalid-value", f"unknown hash kind {kind!r}", where)
    expected = HASH_LENGTHS.get(R["hash_kind"].names.get(code), len(digest))
    if len(digest) != expected:
        raise Violation("invalid-value", f"a {kind} hash has {expected} bytes, not {len(digest)}", where)
    return dict(kind=code, len_digest=len(digest), digest=digest)


def _pairs(mapping, where: str) -> dict | None:
    if not mapping:
        return None
    keys = sorted(mapping, key=lambda k: str(k).encode("utf-8", "surrogatepass"))
    return dict(num_entries=len(keys), entries=[dict(key=k, value=mapping[k]) for k in keys])


def _index(options: tuple[str, ...], value: str, what: str) -> int:
    if value not in options:
        raise Violation("invalid-value", f"{what} {value!r} is not one of {', '.join(options)}", "model.scheduler_options")
    return options.index(value)


def _fields(obj: AigifFile) -> list[dict]:
    plat, mod, dat, pay = obj.platform, obj.model, obj.data, obj.payload
    opts = mod.scheduler_options
    option_bits = (_index(SIGMAS, opts.sigmas, "sigmas") | _index(SPACINGS, opts.timestep_spacing, "timestep spacing") << 2
                   | _index(PREDICTIONS, opts.prediction_type, "prediction type") << 4
                   | int(bool(opts.rescale_betas_zero_snr)) << 6)
    determinism = None
    if plat.determinism is not None:
        unknown = set(plat.determinism) - set(S.DETERMINISM_FLAGS)
        if unknown:
            raise Violation("invalid-value", f"unknown determinism flag(s) {sorted(unknown)}", "platform.determinism")
        determinism = sum(1 << bit for bit, name in enumerate(S.DETERMINISM_FLAGS) if name in plat.determinism)
    rng_code, rng_name = _code("rng", dat.rng, "data.rng")
    profile = None
    if plat.determinism_profile is not None:
        code, name = _code("determinism_profile", plat.determinism_profile, "platform.determinism_profile")
        profile = dict(code=code, name=name)
    values = {
        "scheduler_options": option_bits or None,
        "torch": plat.torch,
        "scheduler_config": _pairs(mod.scheduler_config, "model.scheduler_config"),
        "diffusers": plat.diffusers,
        "vae": None if mod.vae is None else dict(name=mod.vae.name, hash=_hash(mod.vae.hash, "model.vae", True)),
        "cpu_capability": plat.cpu_capability,
        "adapters": [_adapter(a) for a in mod.adapters] or None,
        "threads": plat.threads,
        "clip_skip": mod.clip_skip or None,
        "determinism": determinism,
        "rng": dict(code=rng_code, name=rng_name) if rng_code else None,
        "attention": plat.attention,
        "eta": dat.eta or None,
        "software": _pairs(plat.software, "platform.software"),
        "strength": dat.strength,
        "model_hash": None if mod.hash is None else dict(hash=_hash(mod.hash, "model.hash")),
        "guidance_rescale": dat.guidance_rescale or None,
        "pixels": pay.pixels,
        "pixel_digest": None if pay.pixel_digest is None else dict(hash=_hash(pay.pixel_digest, "payload.pixel_digest")),
        "model_payload": pay.model,
        "source_tool": obj.source.tool,
        "source_version": obj.source.version,
        "faithfulness": _faithfulness(obj),
        "source_metadata": _source_metadata(obj),
        "cpu_vendor": plat.cpu_vendor,
        "cpu_model": plat.cpu_model,
        "determinism_profile": profile,
    }
    fields = [dict(tag=S.FIELD_TAGS[name], value=value) for name, value in values.items() if value is not None]
    for ext in obj.extensions:
        if ext.tag in S.FIELDS or not isinstance(ext.data, (bytes, bytearray)):
            raise Violation("invalid-value", f"extension tag {ext.tag} is a known field or holds no bytes", "extensions")
        fields.append(dict(tag=ext.tag, value=bytes(ext.data)))
    fields.sort(key=lambda f: f["tag"])
    return fields


def _faithfulness(obj: AigifFile) -> dict | None:
    judged = obj.source.faithfulness
    if judged is None:
        return None
    level, level_name = _code("faithfulness", judged.level, "source.faithfulness.level")
    if isinstance(judged.reasons, (str, bytes)):
        raise Violation("invalid-value", "reasons must be a list of strings", "source.faithfulness.reasons")
    return dict(level=level, level_name=level_name, reasons=list(judged.reasons))


def _source_metadata(obj: AigifFile) -> dict | None:
    """R6.8; R10.2/R10.3: reuse the stored block while the entries are unchanged, else pick the smallest."""
    entries = obj.source.metadata
    if not entries:
        return None
    if isinstance(entries, (str, bytes)) or not all(isinstance(e, SourceText) for e in entries):
        raise Violation("invalid-value", "metadata must be a list of SourceText", "source.metadata")
    rows = [dict(where=e.where, key=e.key, text=e.text) for e in entries]
    stored = obj.stored_metadata
    if stored is not None and tuple(stored[0]) == tuple(entries):
        return dict(compressor=stored[1], entries=rows, raw=stored[2])
    if len(rows) > S.L.MAX_ENTRIES:
        raise Violation("limit-exceeded", f"{len(rows)} source metadata entries (limit {S.L.MAX_ENTRIES})",
                        "source.metadata")
    content = S.SourceEntries.build(dict(num_entries=len(rows), entries=rows))
    if len(content) > S.L.MAX_SOURCE_METADATA_BYTES:
        raise Violation("limit-exceeded", f"source metadata of {len(content)} bytes "
                        f"(limit {S.L.MAX_SOURCE_METADATA_BYTES})", "source.metadata")
    _, code, raw = min(_candidates(content))
    return dict(compressor=code, entries=rows, raw=raw)


def _candidates(content: bytes) -> list[tuple[int, int, bytes]]:
    """R10.3: (size, code, stored block) for every text compressor this installation can use."""
    out = []
    for code in sorted(R["text_compressor"].names):
        try:
            raw = S.compress_text(code, content)
        except Violation:  # zstd-dict without its dictionary file: the others still work
            continue
        out.append((len(raw), code, raw))
    return out


def _adapter(a: Adapter) -> dict:
    kind, kind_name = _code("adapter_kind", a.kind, "model.adapters")
    return dict(kind=kind, kind_name=kind_name, ref=dict(name=a.name, hash=_hash(a.hash, "model.adapters", True)),
                weight=a.weight)


def _to_container(obj: AigifFile) -> dict:
    comp, plat, mod, dat, pay = obj.compression, obj.platform, obj.model, obj.data, obj.payload
    device, device_name = _code("device", plat.device, "platform.device")
    arch, arch_name = _code("arch", plat.arch, "platform.arch")
    gpu, gpu_name = _code("gpu", plat.gpu, "platform.gpu")
    cuda, cuda_name = _code("cuda", plat.cuda, "platform.cuda")
    model_id, model_name = _code("model", mod.id, "model.id")
    dtype, dtype_name = _code("dtype", mod.dtype, "model.dtype")
    scheduler, scheduler_name = _code("scheduler", mod.scheduler, "model.scheduler")
    pixel_compressor, _ = _code("pixel_compressor", comp.pixel_compressor, "compression.pixel_compressor")
    model_compressor, _ = _code("model_compressor", comp.model_compressor, "compression.model_compressor")
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


def text_compressor_for(obj: AigifFile) -> str:
    """The text compressor the writer uses for ``obj`` (its own choice when none is set, R10.3)."""
    try:
        code, _ = _text(obj)
    except Violation as err:
        raise UsageError(err.detail, code=err.code, path=_path(err)) from None
    return R["text_compressor"].names[code]


def _text(obj: AigifFile) -> tuple[int, dict]:
    """R10.2/R10.3: reuse the stored block while it still holds these strings; else pick the encoding."""
    prompt, negative = obj.data.prompt, obj.data.negative_prompt
    for value, where in ((prompt, "data.prompt"), (negative, "data.negative_prompt")):
        if not isinstance(value, str):
            raise Violation("invalid-value", f"expected a string, got {type(value).__name__}", where)
    wanted = obj.compression.text_compressor
    stored = obj.stored_text
    if stored is not None and stored[1:3] == (prompt, negative) and wanted in (None, stored[0]):
        return R["text_compressor"].codes[stored[0]], dict(prompt=prompt, negative_prompt=negative, raw=stored[3])
    content = S.TextBlock.CONTENT.build(dict(prompt=prompt, negative_prompt=negative))
    if wanted is None:
        _, code, raw = min(_candidates(content))
    else:
        code, _ = _code("text_compressor", wanted, "compression.text_compressor")
        raw = S.compress_text(code, content)
    return code, dict(prompt=prompt, negative_prompt=negative, raw=raw)

