"""Property tests over the whole object model: every field of every dataclass, written and read back.

Properties (R10.1, R10.2, R11):

* ``loads(dumps(x))`` has the same canonical JSON form as ``x`` - except ``compression.text_compressor``
  when ``x`` left it as ``None``: the read object names the compressor the writer chose (R10.3);
* ``dumps(loads(dumps(x))) == dumps(x)`` (a rewrite reproduces the file);
* ``from_json(to_json(y))`` writes the same bytes again, also after a trip through JSON text.
"""

from __future__ import annotations

import dataclasses
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aigif
from aigif._format._registry import ESCAPE_4BIT, ESCAPE_EXP, REGISTRIES
from aigif._format._fields import BY_TAG as FIELDS, DETERMINISM_FLAGS

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------------------------
# Strategies

#: Text with the characters that break naive code: NUL, emoji, CJK, combining marks, RTL, line breaks.
SPECIAL = ["", "\x00", "\U0001F408", "\U0001F468\u200d\U0001F469\u200d\U0001F467", "\u732b", "\u5bcc\u58eb\u5c71",
           "e\u0301", "\u05e9\u05dc\u05d5\u05dd", "\r\n", "\t", "\ufeff", "\U0010FFFF", "\\", '"', "\u2028"]
chars = st.characters(codec="utf-8")  # every scalar value, no surrogates (R4.3)
texts = st.one_of(st.text(chars, max_size=40), st.sampled_from(SPECIAL),
                  st.lists(st.sampled_from(SPECIAL + ["a", " ", "masterpiece, "]), max_size=12).map("".join))
names = st.text(chars, min_size=1, max_size=24)  # R4.3: a name is non-empty


def coded(registry: str) -> st.SearchStrategy:
    """A value of an open registry: a known name, an unknown code (an int), or a free name (escape)."""
    reg = REGISTRIES[registry]
    escape = ESCAPE_4BIT if reg.width == 4 else ESCAPE_EXP
    top = 15 if reg.width == 4 else 2039
    unknown = st.integers(0, top).filter(lambda c: c not in reg.names and c != escape)
    free = names.filter(lambda n: n not in reg.codes)
    return st.one_of(st.sampled_from(sorted(reg.codes)), unknown, free)


HASH_LENGTHS = REGISTRIES["hash_kind"].extra["length"]
KNOWN_KINDS = sorted(k for k in REGISTRIES["hash_kind"].codes if k != "none")


@st.composite
def hashes(draw) -> str:
    """R4.5: "kind:hex" with a known kind and its length, or an unknown kind (by number), any length <= 64."""
    if draw(st.booleans()):
        kind = draw(st.sampled_from(KNOWN_KINDS))
        return f"{kind}:{draw(st.binary(min_size=HASH_LENGTHS[kind], max_size=HASH_LENGTHS[kind])).hex()}"
    code = draw(st.integers(1, 2039).filter(lambda c: c not in REGISTRIES["hash_kind"].names))
    return f"{code}:{draw(st.binary(max_size=64)).hex()}"


decimals = st.floats(allow_nan=False, allow_infinity=False)
string_maps = st.dictionaries(names, texts, max_size=4)
maybe = lambda strategy: st.none() | strategy  # noqa: E731

compressions_text = st.sampled_from([None, "none", "zlib", "zstd", "zstd-dict"])

platforms = st.builds(
    aigif.Platform,
    device=coded("device"), arch=coded("arch"), gpu=coded("gpu"), cuda=coded("cuda"),
    torch=maybe(names), diffusers=maybe(names), cpu_capability=maybe(names),
    threads=maybe(st.integers(1, 65535)),
    determinism=maybe(st.frozensets(st.sampled_from(DETERMINISM_FLAGS))),
    attention=maybe(names), software=string_maps,
    cpu_vendor=maybe(names), cpu_model=maybe(names), determinism_profile=maybe(coded("determinism_profile")),
)

scheduler_options = st.builds(
    aigif.SchedulerOptions,
    sigmas=st.sampled_from(["default", "karras", "exponential", "beta"]),
    timestep_spacing=st.sampled_from(["default", "leading", "linspace", "trailing"]),
    prediction_type=st.sampled_from(["default", "epsilon", "v_prediction", "sample"]),
    rescale_betas_zero_snr=st.booleans(),
)

model_refs = st.builds(aigif.ModelRef, name=names, hash=maybe(hashes()))
adapters = st.builds(aigif.Adapter, name=names, kind=coded("adapter_kind"), hash=maybe(hashes()), weight=decimals)

models = st.builds(
    aigif.Model,
    id=coded("model"), dtype=coded("dtype"), scheduler=coded("scheduler"),
    scheduler_options=scheduler_options, scheduler_config=string_maps, vae=maybe(model_refs),
    adapters=st.lists(adapters, max_size=3).map(tuple), clip_skip=st.integers(0, 64), hash=maybe(hashes()),
)

EXTENSION_TAGS = [t for t in range(0, 2040, 2) if t not in FIELDS]
extensions = st.lists(st.builds(aigif.Extension, tag=st.sampled_from(EXTENSION_TAGS), data=st.binary(max_size=16)),
                      max_size=3, unique_by=lambda e: e.tag).map(lambda es: tuple(sorted(es, key=lambda e: e.tag)))


sources = st.builds(
    aigif.Source, tool=maybe(st.text(min_size=1, max_size=12)), version=maybe(st.text(min_size=1, max_size=12)),
    faithfulness=maybe(st.builds(aigif.Faithfulness, level=coded("faithfulness"),
                                 reasons=st.lists(texts, max_size=3).map(tuple))),
    metadata=st.lists(st.builds(aigif.SourceText, where=st.text(min_size=1, max_size=10),
                                key=st.text(min_size=1, max_size=10), text=texts), max_size=3).map(tuple),
)


@st.composite
def files(draw) -> aigif.AigifFile:
    """An AigifFile drawn over every field of the dataclass tree."""
    pixel_mode = draw(st.sampled_from([None, "none", "png", "jpegxl", "webp"]))
    if pixel_mode == "none":  # R6.6: raw RGB must be exactly width x height x 3 bytes
        height, width = draw(st.integers(1, 6)), draw(st.integers(1, 6))
        pixels = draw(st.binary(min_size=height * width * 3, max_size=height * width * 3))
    else:
        height, width = draw(st.integers(1, 16384)), draw(st.integers(1, 16384))
        pixels = None if pixel_mode is None else draw(st.binary(max_size=40))
    model_mode = draw(st.sampled_from([None, "none", "int8"]))
    model_payload = None if model_mode is None else draw(st.binary(max_size=40))
    data = aigif.Data(
        prompt=draw(texts), negative_prompt=draw(texts), height=height, width=width,
        seed=draw(st.integers(0, 2**64 - 1)), steps=draw(st.integers(1, 10000)), guidance_scale=draw(decimals),
        rng=draw(coded("rng")), eta=draw(decimals), strength=draw(maybe(st.floats(0.0, 1.0))),
        guidance_rescale=draw(decimals),
    )
    return aigif.AigifFile(
        compression=aigif.Compression(pixel_compressor=pixel_mode or "none", text_compressor=draw(compressions_text),
                                      model_compressor=model_mode or "none"),
        platform=draw(platforms),
        model=draw(models),
        data=data,
        payload=aigif.Payload(pixels=pixels, pixel_digest=draw(maybe(hashes())), model=model_payload),
        source=draw(sources),
        extensions=draw(extensions),
    )


def canonical_text(doc: dict) -> str:
    """JSON text that tells -0.0 from 0.0 and 7 from 7.0, for a strict comparison."""
    return json.dumps(doc, sort_keys=True, ensure_ascii=False)


def without_text_compressor(doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))
    del doc["compression"]["text_compressor"]
    return doc


# ---------------------------------------------------------------------------------------------
# Properties


@given(files())
@SETTINGS
def test_read_back_equals_what_was_written(obj):
    """R10.1/R11: every field survives dumps -> loads; an unset text compressor becomes the writer's choice."""
    data = aigif.dumps(obj)
    back = aigif.loads(data)
    assert back.compression.text_compressor in {"none", "zlib", "zstd", "zstd-dict"}
    if obj.compression.text_compressor is None:
        assert canonical_text(without_text_compressor(aigif.to_json(back))) == canonical_text(
            without_text_compressor(aigif.to_json(obj)))
    else:
        assert back.compression.text_compressor == obj.compression.text_compressor
        assert canonical_text(aigif.to_json(back)) == canonical_text(aigif.to_json(obj))
        assert back == obj  # dataclass equality (the stored text block is not compared)
    assert back.extensions == obj.extensions  # R6.3: byte for byte
    assert back.payload == obj.payload


@given(files())
@SETTINGS
def test_rewrite_is_identical(obj):
    """R10.1/R10.2: dumps(loads(dumps(x))) == dumps(x), and writing is deterministic."""
    data = aigif.dumps(obj)
    assert aigif.dumps(obj) == data
    assert aigif.dumps(aigif.loads(data)) == data


@given(files())
@SETTINGS
def test_json_form_rebuilds_the_same_bytes(obj):
    """R11: from_json(to_json(y)) writes y's bytes again, also through JSON text (json.dumps/loads)."""
    data = aigif.dumps(obj)
    y = aigif.loads(data)
    doc = aigif.to_json(y)
    text = json.dumps(doc)
    assert aigif.dumps(aigif.from_json(doc)) == data
    assert aigif.dumps(aigif.from_json(json.loads(text))) == data
    assert aigif.dumps(aigif.from_json(text)) == data  # from_json accepts JSON text too
    assert json.loads(text) == doc  # the JSON form is plain JSON: nothing is lost by serialising it


@given(files())
@SETTINGS
def test_object_equality_survives_the_json_form(obj):
    """from_json(to_json(y)) == y for a read object (the dataclasses compare field by field)."""
    y = aigif.loads(aigif.dumps(obj))
    assert aigif.from_json(json.loads(json.dumps(aigif.to_json(y)))) == y


@given(files(), compressions_text.filter(lambda c: c is not None))
@settings(max_examples=60, deadline=None)
def test_changing_only_the_text_compressor_keeps_the_contents(obj, compressor):
    """R5.5/R10.2: the text block is re-encoded when the compressor changes; the strings are unchanged."""
    y = aigif.loads(aigif.dumps(obj))
    other = dataclasses.replace(y, compression=dataclasses.replace(y.compression, text_compressor=compressor))
    z = aigif.loads(aigif.dumps(other))
    assert z.compression.text_compressor == compressor
    assert (z.data.prompt, z.data.negative_prompt) == (obj.data.prompt, obj.data.negative_prompt)
    assert canonical_text(without_text_compressor(aigif.to_json(z))) == canonical_text(
        without_text_compressor(aigif.to_json(y)))


def test_strategies_reach_every_dataclass_field():
    """Guard: the strategies above name every field of the dataclass tree (so a new field is not forgotten)."""
    import inspect

    source = inspect.getsource(inspect.getmodule(test_strategies_reach_every_dataclass_field))
    for cls in (aigif.AigifFile, aigif.Compression, aigif.Platform, aigif.Model, aigif.SchedulerOptions,
                aigif.ModelRef, aigif.Adapter, aigif.Data, aigif.Payload, aigif.Extension, aigif.Source,
                aigif.Faithfulness, aigif.SourceText):
        for f in dataclasses.fields(cls):
            if f.name in ("stored_text", "stored_metadata"):
                continue
            assert f"{f.name}=" in source, f"{cls.__name__}.{f.name} is not drawn"
