"""The code registries (spec section 7, ``aigif/registries.json``): consistent, and usable through a file."""

from __future__ import annotations

import json
from collections import Counter

import pytest

import aigif
from aigif._format._registry import ESCAPE_4BIT, ESCAPE_EXP, REGISTRIES
from helpers import ROOT, make_file, nibbles, string

RAW_TEXT = (ROOT / "aigif" / "registries.json").read_text("utf-8")


def _pairs_checked(pairs):
    counts = Counter(key for key, _ in pairs)
    duplicates = [key for key, n in counts.items() if n > 1]
    assert not duplicates, f"duplicate JSON keys in registries.json: {duplicates}"
    return dict(pairs)


RAW = json.loads(RAW_TEXT, object_pairs_hook=_pairs_checked)  # json.loads alone would hide duplicate codes
TABLES = {name: table for name, table in RAW.items() if not name.startswith("_")}

OPEN_WITH_ESCAPE = sorted(n for n, t in TABLES.items() if t["open"] and t.get("escape", True))
CLOSED = sorted(n for n, t in TABLES.items() if not t["open"])


def test_the_seventeen_registries_of_section_7():
    assert set(TABLES) == {"pixel_compressor", "text_compressor", "model_compressor", "device", "arch", "gpu",
                           "cuda", "model", "dtype", "scheduler", "rng", "hash_kind", "adapter_kind", "faithfulness",
                           "determinism_profile", "pass_kind", "upscaler"}
    assert set(REGISTRIES) == set(TABLES)
    assert set(CLOSED) == {"pixel_compressor", "text_compressor", "model_compressor"}  # R4.7: compressors


@pytest.mark.parametrize("name", sorted(TABLES))
def test_registry_is_consistent(name):
    """R7.0/R4.7: codes are integers in range and unique; names are unique, non-empty and exact."""
    table = TABLES[name]
    assert table["width"] in (4, "exp")
    assert isinstance(table["open"], bool)
    codes = [int(code) for code in table["entries"]]
    assert all(str(code) == key for code, key in zip(codes, table["entries"]))  # no "01", " 1"
    names = list(table["entries"].values())
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names), f"duplicate names in {name}"
    assert all(isinstance(n, str) and n and n == n.strip() for n in names)
    assert 0 in codes  # code 0 is the default of every core field (R11.5)
    if table["width"] == 4:
        assert all(0 <= c <= 15 for c in codes)
        if table["open"]:
            assert max(codes) <= 14, "15 is the escape of an open 4-bit registry (R4.7)"
    else:
        assert all(0 <= c <= 2039 for c in codes)  # R4.2
        assert not any(224 <= c <= 253 for c in codes), "224-253 are for private use (R7.0)"
        if table["open"] and table.get("escape", True):
            assert ESCAPE_EXP not in codes, "254 is the escape of an open exp registry (R4.7)"
    for extra in ("doc", "hf", "length"):
        if extra in table:
            assert set(table[extra]) <= set(names), f"{name}.{extra} names an entry that does not exist"
    # the loaded registry is the file
    assert REGISTRIES[name].names == {int(k): v for k, v in table["entries"].items()}
    assert REGISTRIES[name].open == table["open"]


def test_hash_kinds_have_lengths():
    """R4.5: every known kind has a length of at most 64; none has 0."""
    lengths = TABLES["hash_kind"]["length"]
    assert set(lengths) == set(TABLES["hash_kind"]["entries"].values())
    assert lengths["none"] == 0
    assert all(0 < n <= 64 for k, n in lengths.items() if k != "none")
    assert TABLES["hash_kind"].get("escape") is False  # no escape: unknown kinds are numbers


def test_escape_codes():
    assert (ESCAPE_4BIT, ESCAPE_EXP) == (15, 254)
    for name in OPEN_WITH_ESCAPE:
        assert REGISTRIES[name].escape == (15 if TABLES[name]["width"] == 4 else 254)
    for name in CLOSED + ["hash_kind"]:
        assert REGISTRIES[name].escape is None


@pytest.mark.parametrize("registry, code, name", [
    ("pixel_compressor", 1, "png"),
    ("text_compressor", 1, "zlib"),
    ("model_compressor", 1, "int8"),
    ("device", 0, "cpu"),
    ("device", 1, "gpu"),
    ("gpu", 1, "NVIDIA GeForce GTX 1080 Ti"),
    ("cuda", 1, "cu121"),
    ("model", 0, "stable-diffusion-v1-5"),
    ("dtype", 0, "float32"),
    ("dtype", 1, "float16"),
    ("scheduler", 0, "ddim"),
    ("pixel_compressor", 0, "none"),
    ("text_compressor", 0, "none"),
    ("text_compressor", 2, "zstd"),
    ("model_compressor", 0, "none"),
    ("gpu", 0, "none"),
    ("cuda", 0, "none"),
    ("arch", 0, "unknown"),
    ("rng", 0, "cpu"),
    ("hash_kind", 0, "none"),
    ("hash_kind", 1, "sha256"),
    ("adapter_kind", 0, "lora"),
    ("model", 25, "aigif-tiny-sd"),
    ("scheduler", 6, "dpmpp_2m"),
    ("determinism_profile", 0, "native"),
    ("determinism_profile", 1, "cpu-portable-1"),
])
def test_the_papers_code_points_hold(registry, code, name):
    """Section 7: the paper's code points are kept (and the codes the worked examples use)."""
    assert TABLES[registry]["entries"][str(code)] == name


def test_determinism_profile_registry_maps_codes_and_names():
    """7.15 (field 36): open, exp width, escape 254; code 0 (native) is an ordinary value, unlike rng's 0."""
    reg = REGISTRIES["determinism_profile"]
    assert (reg.width, reg.open, reg.escape) == ("exp", True, ESCAPE_EXP)
    assert reg.names == {0: "native", 1: "cpu-portable-1"}
    assert reg.code_of("native") == reg.code_of(0) == (0, None)
    assert reg.code_of("cpu-portable-1") == reg.code_of(1) == (1, None)
    assert reg.code_of("gpu-deterministic-x") == (ESCAPE_EXP, "gpu-deterministic-x")
    assert reg.code_of(100) == (100, None) and reg.code_of(2039) == (2039, None)
    assert (reg.value_of(0), reg.value_of(1), reg.value_of(100)) == ("native", "cpu-portable-1", 100)
    assert reg.value_of(ESCAPE_EXP, "gpu-deterministic-x") == "gpu-deterministic-x"
    for bad in ("", ESCAPE_EXP, 2040, -1, True, 1.0, None):
        with pytest.raises(ValueError):
            reg.code_of(bad)
    assert "Native" not in reg.codes  # R7.0: names match exactly, so "Native" would be an escape
    assert set(reg.doc) == {"native", "cpu-portable-1"}


def _object_with(registry: str, name: str) -> tuple[aigif.AigifFile, callable]:
    """An object holding ``name`` in the place of ``registry``, and a getter for it."""
    f = aigif
    if registry == "pixel_compressor":
        pixels = b"\x00" * 3 if name == "none" else b"payload"
        return (f.AigifFile(compression=f.Compression(pixel_compressor=name), payload=f.Payload(pixels=pixels),
                            data=f.Data(height=1, width=1)), lambda o: o.compression.pixel_compressor)
    if registry == "text_compressor":
        return f.AigifFile(compression=f.Compression(text_compressor=name)), lambda o: o.compression.text_compressor
    if registry == "model_compressor":
        return (f.AigifFile(compression=f.Compression(model_compressor=name), payload=f.Payload(model=b"st")),
                lambda o: o.compression.model_compressor)
    if registry == "hash_kind":
        length = TABLES["hash_kind"]["length"][name]
        return f.AigifFile(model=f.Model(hash=f"{name}:{'ab' * length}")), lambda o: o.model.hash.split(":")[0]
    places = {
        "device": (lambda v: f.AigifFile(platform=f.Platform(device=v)), lambda o: o.platform.device),
        "arch": (lambda v: f.AigifFile(platform=f.Platform(arch=v)), lambda o: o.platform.arch),
        "gpu": (lambda v: f.AigifFile(platform=f.Platform(gpu=v)), lambda o: o.platform.gpu),
        "cuda": (lambda v: f.AigifFile(platform=f.Platform(cuda=v)), lambda o: o.platform.cuda),
        "model": (lambda v: f.AigifFile(model=f.Model(id=v)), lambda o: o.model.id),
        "dtype": (lambda v: f.AigifFile(model=f.Model(dtype=v)), lambda o: o.model.dtype),
        "scheduler": (lambda v: f.AigifFile(model=f.Model(scheduler=v)), lambda o: o.model.scheduler),
        "rng": (lambda v: f.AigifFile(data=f.Data(rng=v)), lambda o: o.data.rng),
        "adapter_kind": (lambda v: f.AigifFile(model=f.Model(adapters=(f.Adapter("a", kind=v),))),
                         lambda o: o.model.adapters[0].kind),
        "faithfulness": (lambda v: f.AigifFile(source=f.Source(faithfulness=f.Faithfulness(v))),
                         lambda o: o.source.faithfulness.level),
        "determinism_profile": (lambda v: f.AigifFile(platform=f.Platform(determinism_profile=v)),
                                lambda o: o.platform.determinism_profile),
        "pass_kind": (lambda v: f.AigifFile(data=f.Data(passes=(f.Pass(v, 0.5),))), lambda o: o.data.passes[0].kind),
        "upscaler": (lambda v: f.AigifFile(data=f.Data(passes=(f.Pass("hires", 0.5, upscaler=v),))),
                     lambda o: o.data.passes[0].upscaler),
    }
    make, get = places[registry]
    return make(name), get


ALL_NAMES = [(registry, name) for registry in sorted(TABLES) for name in TABLES[registry]["entries"].values()
             if not (registry == "hash_kind" and name == "none")]


@pytest.mark.parametrize("registry, name", ALL_NAMES, ids=[f"{r}:{n}" for r, n in ALL_NAMES])
def test_every_registry_name_round_trips_through_a_file(registry, name):
    """Section 7/R4.7: every registered name is written as its code (never escaped) and read back."""
    obj, get = _object_with(registry, name)
    data = aigif.dumps(obj)
    back = aigif.loads(data)
    assert get(back) == name
    assert aigif.dumps(back) == data
    if name not in ("none", "cpu", "unknown", "lora") and len(name) > 3:
        assert string(name) not in data, "a name with a code must be written as that code (R7.0)"


@pytest.mark.parametrize("registry", CLOSED)
def test_closed_registries_refuse_unknown_names(registry):
    """R4.7/R5.1: a compressor that has no code cannot be written (there is no escape)."""
    obj, _ = _object_with(registry, "brotli")
    with pytest.raises(aigif.UsageError) as info:
        aigif.dumps(obj)
    assert info.value.code == "invalid-value"


def test_added_entries_are_dated_appended_and_stay_escapable():
    """R4.7, R7.0, R13.2: an entry appended after a registry's first edition is dated under ``added``;
    its name stays accepted when escaped, every other name is refused escaped."""
    for name, table in TABLES.items():
        added = table.get("added", {})
        assert set(added) <= set(table["entries"].values()), name
        assert all(len(date) == 10 and date[4] == date[7] == "-" for date in added.values()), name
        if added:  # appended: the added codes come after every first-edition code
            codes = {value: int(code) for code, value in table["entries"].items()}
            assert min(codes[value] for value in added) > max(codes[v] for v in codes if v not in added)
        assert REGISTRIES[name].refused_escapes == frozenset(table["entries"].values()) - set(added)
    assert TABLES["device"]["added"] == {"unknown": "2026-11-22"}


@pytest.mark.parametrize("device, accepted", [("unknown", True), ("cpu", False)])
def test_an_escaped_device_name_is_refused_only_from_the_first_edition(device, accepted):
    """R4.7 through both read paths: the fast path and the schema agree."""
    from aigif._format._read import loads_schema

    escaped = make_file(platform=nibbles(15, 0) + string(device) + b"\x00\x00")  # GPU, CUDA: none
    for read in (aigif.loads, loads_schema):
        if accepted:
            assert read(bytes(escaped)).platform.device == "unknown"
        else:
            with pytest.raises(aigif.FormatError) as info:
                read(bytes(escaped))
            assert info.value.code == "non-canonical"
