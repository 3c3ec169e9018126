"""Hypothesis strategies for ``AigifFile`` objects over every field of the dataclass tree (spec 5-6).

Shared by the round-trip, fast-path and Kaitai tests.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import aigif
from aigif._format._fields import BY_TAG as FIELDS
from aigif._format._fields import DETERMINISM_FLAGS
from aigif._format._registry import ESCAPE_4BIT, ESCAPE_EXP, REGISTRIES

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
    embedding_triggers=st.dictionaries(names, names, max_size=2),
)


@st.composite
def passes(draw) -> aigif.Pass:
    """R6.9: a pass with any subset of its optional parts (pairs given together)."""
    size, prompts = draw(st.booleans()), draw(st.booleans())
    upscaler, pass_model = draw(maybe(coded("upscaler"))), draw(maybe(coded("model")))
    return aigif.Pass(
        kind=draw(coded("pass_kind")), strength=draw(st.floats(0.0, 1.0)),
        width=draw(st.integers(1, 16384)) if size else None, height=draw(st.integers(1, 16384)) if size else None,
        upscaler=upscaler, upscaler_hash=None if upscaler is None else draw(maybe(hashes())),
        model=pass_model, model_hash=None if pass_model is None else draw(maybe(hashes())),
        scheduler=draw(maybe(coded("scheduler"))), steps=draw(maybe(st.integers(1, 10000))),
        guidance_scale=draw(maybe(decimals)),
        prompt=draw(texts) if prompts else None, negative_prompt=draw(texts) if prompts else None,
    )


@st.composite
def images(draw, channels: int) -> aigif.Image:
    """R6.10: raw samples of the exact size, or opaque encoded bytes."""
    compressor = draw(st.sampled_from(["none", "png", "jpegxl", "webp"]))
    width, height = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    size = channels * width * height
    data = draw(st.binary(min_size=size, max_size=size) if compressor == "none" else st.binary(max_size=24))
    return aigif.Image(compressor=compressor, width=width, height=height, data=data)

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
        guidance_rescale=draw(decimals), passes=tuple(draw(st.lists(passes(), max_size=2))),
    )
    init_image = None if data.strength is None else draw(maybe(images(3)))  # R6.10: needs the strength
    mask = None if init_image is None else draw(maybe(images(1)))  # and the mask needs the init image
    return aigif.AigifFile(
        compression=aigif.Compression(pixel_compressor=pixel_mode or "none", text_compressor=draw(compressions_text),
                                      model_compressor=model_mode or "none"),
        platform=draw(platforms),
        model=draw(models),
        data=data,
        payload=aigif.Payload(pixels=pixels, pixel_digest=draw(maybe(hashes())), model=model_payload,
                              init_image=init_image, mask=mask),
        source=draw(sources),
        extensions=draw(extensions),
    )
