"""The canonical JSON form (spec section 11): what ``aigif info --json`` prints and conformance compares.

JSON keys are the dataclass field names, section by section. The core of Table I is always listed;
an optional field is listed only when the file holds it (that is, when it differs from its default).
``from_json`` is strict about shape (an unknown key is an error, never ignored); values are checked by
the writer, which refuses anything it could not write as a valid file.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from typing import Any, TypeVar, cast

from .._errors import UsageError
from ._fields import BY_HOME, DETERMINISM_FLAGS
from ._model import (Adapter, AigifFile, Compression, Data, Extension, Faithfulness, Image, Model, ModelRef, Pass,
                     Payload, Platform, SchedulerOptions, Source, SourceText)
from ._write import text_compressor_for

#: Keys listed even when they hold their default: Table I's core (R11.2).
CORE = {
    "compression": ("save_pixels", "pixel_compressor", "text_compressor", "save_model", "model_compressor"),
    "platform": ("device", "arch", "gpu", "cuda"),
    "model": ("id", "dtype", "scheduler"),
    "data": ("prompt", "negative_prompt", "height", "width", "seed", "steps", "guidance_scale"),
}
SECTIONS = {"compression": Compression, "platform": Platform, "model": Model, "data": Data, "payload": Payload,
            "source": Source}
_T = TypeVar("_T")
OPTIONAL_SECTIONS = ("payload", "source")  # listed only when the file has one of their fields


def to_json(obj: AigifFile) -> dict[str, Any]:
    """The canonical JSON object of a file (a dict ready for ``json.dumps``)."""
    out: dict[str, Any] = {"version": obj.version}
    for section, cls in SECTIONS.items():
        value = getattr(obj, section)
        core = CORE.get(section, ())
        entries = {}
        if section == "compression":
            entries["save_pixels"] = obj.payload.pixels is not None
            entries["save_model"] = obj.payload.model is not None
            if value.text_compressor is None:  # not written yet: show what the writer would choose
                value = dataclasses.replace(value, text_compressor=text_compressor_for(obj))
        for f in dataclasses.fields(cls):
            item = getattr(value, f.name)
            if f.name in core or item != _default(f):
                entries[f.name] = _encode(item)
        entries = {key: entries[key] for key in (*core, *entries) if key in entries}
        if entries or section not in OPTIONAL_SECTIONS:
            out[section] = entries
    if obj.extensions:
        out["extensions"] = [{"tag": e.tag, "data": _b64(e.data)} for e in obj.extensions]
    return out


def dumps_json(obj: AigifFile, indent: int | None = 2) -> str:
    """``to_json`` as text; non-ASCII kept as is, so prompts stay readable."""
    return json.dumps(to_json(obj), indent=indent, ensure_ascii=False)


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def _encode(item: Any) -> Any:
    if isinstance(item, bytes):
        return _b64(item)
    if isinstance(item, frozenset):  # determinism flags, in bit order
        return [name for name in DETERMINISM_FLAGS if name in item]
    if isinstance(item, SchedulerOptions):
        return {f.name: getattr(item, f.name) for f in dataclasses.fields(item)
                if getattr(item, f.name) != f.default}
    if isinstance(item, Faithfulness):
        return {"level": item.level, "reasons": list(item.reasons)}
    if isinstance(item, SourceText):
        return {"where": item.where, "key": item.key, "text": item.text}
    if isinstance(item, (ModelRef, Adapter, Pass, Image)):  # required attributes, then those set
        return {f.name: _encode(getattr(item, f.name)) for f in dataclasses.fields(item)
                if _default(f) is dataclasses.MISSING or getattr(item, f.name) != _default(f)}
    if isinstance(item, tuple):
        return [_encode(x) for x in item]
    if isinstance(item, dict):
        return dict(item)
    return item


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ---------------------------------------------------------------------------------------------


def from_json(doc: Any) -> AigifFile:
    """An ``AigifFile`` from its JSON form (a dict, or JSON text). Missing keys take their defaults."""
    if isinstance(doc, (str, bytes)):
        try:
            doc = json.loads(doc)
        except (ValueError, RecursionError) as err:
            raise UsageError(f"not valid JSON: {err}", code="invalid-json") from None
    _expect(doc, dict, "$")
    _keys(doc, {"version", *SECTIONS, "extensions"}, "$")
    if doc.get("version", 1) != 1 or isinstance(doc.get("version"), bool):
        raise UsageError(f"version must be 1, got {doc.get('version')!r}", code="unsupported-version")
    sections = {name: _section(doc, name) for name in SECTIONS}

    comp = dict(sections["compression"])
    payload = _build(Payload, sections["payload"], "payload")
    for flag, present in (("save_pixels", payload.pixels is not None), ("save_model", payload.model is not None)):
        given = comp.pop(flag, present)
        if given is not present:
            raise UsageError(f"is {json.dumps(given)} but the payload {'has' if present else 'has no'} "
                             f"{'pixels' if flag == 'save_pixels' else 'model'}",
                             code="invalid-json", path=f"compression.{flag}")
    return AigifFile(
        compression=_build(Compression, comp, "compression"),
        platform=_build(Platform, sections["platform"], "platform"),
        model=_build(Model, sections["model"], "model"),
        data=_build(Data, sections["data"], "data"),
        payload=payload,
        source=_build(Source, sections["source"], "source"),
        extensions=tuple(_extension(e, f"extensions[{i}]")
                         for i, e in enumerate(_list(doc.get("extensions", []), "extensions", dict))),
    )


def _value(shape: Any, value: Any, path: str) -> Any:
    """A field's JSON value -> the object's, by the field's ``json`` shape (``_fields.Field.json``)."""
    if shape is None:
        return value
    if shape == "bytes":
        return _bytes(value, path)
    if shape == "strmap":
        return _strmap(value, path)
    if shape == "flags":
        return frozenset(_list(value, path, str))
    if isinstance(shape, tuple):  # an array of objects
        (cls,) = shape
        return tuple(_build(cls, item, f"{path}[{i}]") for i, item in enumerate(_list(value, path, dict)))
    return _build(cls=shape, values=_expect(value, dict, path), path=path)


def _extension(entry: dict[str, Any], path: str) -> Extension:
    _keys(entry, {"tag", "data"}, path)
    return Extension(tag=_expect(entry.get("tag"), int, f"{path}.tag"), data=_bytes(entry.get("data"), f"{path}.data"))


def _section(doc: dict[str, Any], name: str) -> dict[str, Any]:
    section: dict[str, Any] = _expect(doc.get(name, {}), dict, name)
    return section


def _build(cls: type[_T], values: dict[str, Any], path: str) -> _T:
    """Check the keys against the dataclass and convert the fields' values; the writer checks the rest.

    A section's attributes that are fields of the table are converted by their row's JSON shape; a
    list where a nested object holds a tuple of strings (a faithfulness' reasons) becomes a tuple.
    """
    section = path.split(".", 1)[0]
    fields = dataclasses.fields(cast(Any, cls))  # a dataclass: _T cannot say so
    _keys(values, {f.name for f in fields}, path)
    for f in fields:
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and f.name not in values:
            raise UsageError(f"missing key {f.name!r}", code="invalid-json", path=path)
        if values.get(f.name, 0) is None and f.default is not None:  # null only where absence is null
            raise UsageError("must not be null (leave the key out for its default)", code="invalid-json",
                             path=f"{path}.{f.name}")
    converted: dict[str, Any] = {}
    for key, value in values.items():
        field = BY_HOME.get((section, key)) if path == section else None
        if value is None:
            converted[key] = value
        elif field is not None:
            converted[key] = _value(field.json, value, f"{path}.{key}")
        elif _default_of(cls, key) == ():
            converted[key] = tuple(_list(value, f"{path}.{key}", str))
        elif _declared(cls, key).type == "bytes":  # an image's data
            converted[key] = _bytes(value, f"{path}.{key}")
        else:
            converted[key] = value
    return cls(**converted)


def _declared(cls: type, name: str) -> dataclasses.Field[Any]:
    return {f.name: f for f in dataclasses.fields(cls)}[name]


def _default_of(cls: type, name: str) -> Any:
    declared = _declared(cls, name)
    return None if declared.default is dataclasses.MISSING else declared.default


def _keys(values: dict[str, Any], known: set[str], path: str) -> None:
    unknown = sorted(set(values) - known)
    if unknown:
        raise UsageError(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})",
                         code="invalid-json", path=path)


def _expect(value: Any, kind: type, path: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        what = {dict: "an object", list: "an array", str: "a string", int: "an integer"}[kind]
        raise UsageError(f"must be {what}", code="invalid-json", path=path)
    return value


def _list(value: Any, path: str, item_kind: type) -> list[Any]:
    items: list[Any] = _expect(value, list, path)
    for i, item in enumerate(items):
        _expect(item, item_kind, f"{path}[{i}]")
    return items


def _strmap(value: Any, path: str) -> dict[str, str]:
    _expect(value, dict, path)
    for key, item in value.items():
        _expect(item, str, f"{path}.{key}")
    return dict(value)


def _bytes(value: Any, path: str) -> bytes:
    _expect(value, str, path)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise UsageError("is not valid base64", code="invalid-json", path=path) from None
