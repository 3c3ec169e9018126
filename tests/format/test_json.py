"""The canonical JSON form (spec section 11): ``aigif.to_json`` and ``aigif.from_json``."""

from __future__ import annotations

import base64
import json

import pytest

import aigif
from aigif._format._registry import REGISTRIES
from helpers import ROOT, TABLE1_BYTES, TABLE1_JSON, raises_code


def build(doc) -> bytes:
    return aigif.dumps(aigif.from_json(doc))


def round_trip(doc) -> dict:
    """The JSON form of the file written from ``doc``."""
    return aigif.to_json(aigif.loads(build(doc)))


def assert_contains(big, small, where="$"):
    """Every key and value of ``small`` is in ``big`` (recursively)."""
    if isinstance(small, dict):
        assert isinstance(big, dict), where
        for key, value in small.items():
            assert key in big, f"{where}.{key} missing"
            assert_contains(big[key], value, f"{where}.{key}")
    else:
        assert big == small and type(big) is type(small) or (isinstance(big, float) and big == small), where


# ---------------------------------------------------------------------------------------------
# Table I

#: The Table I parameters exactly as the project's issue (and examples/table1.json) gives them.
ISSUE_TABLE1 = json.loads("""
{"version": 1,
 "compression": {"save_pixels": false, "pixel_compressor": "none", "text_compressor": "zlib",
                 "save_model": false, "model_compressor": "none"},
 "platform": {"device": "gpu", "gpu": "NVIDIA GeForce GTX 1080 Ti", "cuda": "cu121"},
 "model": {"id": "stable-diffusion-v1-5", "dtype": "float16", "scheduler": "ddim"},
 "data": {"prompt": "A cute cat", "negative_prompt": "worst quality", "height": 1024, "width": 1024,
          "seed": 829557441, "steps": 25, "guidance_scale": 7.5}}
""")


@pytest.mark.parametrize("doc", [ISSUE_TABLE1, TABLE1_JSON,
                                 json.loads((ROOT / "examples" / "table1.json").read_text("utf-8"))],
                         ids=["issue", "spec-section-11", "examples-file"])
def test_table1_json_builds_and_reads_back(doc):
    """14.1/R11.4: the Table I JSON builds the 67-byte file and reads back with at least its keys and values."""
    data = build(doc)
    assert data == TABLE1_BYTES
    back = aigif.to_json(aigif.loads(data))
    assert_contains(back, doc)
    assert back["platform"]["arch"] == "unknown"  # the missing key took code 0 (R11.5)


def test_section_11_example_is_the_exact_json_form():
    """R11.4: the section 11 example is the file's JSON form, key for key."""
    assert aigif.to_json(aigif.loads(TABLE1_BYTES)) == TABLE1_JSON


# ---------------------------------------------------------------------------------------------
# R11.5 defaults, R11.1/R11.2 which keys appear


def test_missing_keys_take_their_defaults():
    """R11.5: code 0 of each registry and prompt "", 512 x 512, seed 0, 50 steps, guidance 7.5."""
    doc = round_trip({})
    assert doc == {
        "version": 1,
        "compression": {"save_pixels": False, "pixel_compressor": "none", "text_compressor": "none",
                        "save_model": False, "model_compressor": "none"},
        "platform": {"device": "cpu", "arch": "unknown", "gpu": "none", "cuda": "none"},
        "model": {"id": "stable-diffusion-v1-5", "dtype": "float32", "scheduler": "ddim"},
        "data": {"prompt": "", "negative_prompt": "", "height": 512, "width": 512, "seed": 0, "steps": 50,
                 "guidance_scale": 7.5},
    }
    for section, key, registry in [("platform", "device", "device"), ("platform", "arch", "arch"),
                                   ("platform", "gpu", "gpu"), ("platform", "cuda", "cuda"),
                                   ("model", "id", "model"), ("model", "dtype", "dtype"),
                                   ("model", "scheduler", "scheduler"),
                                   ("compression", "pixel_compressor", "pixel_compressor"),
                                   ("compression", "model_compressor", "model_compressor")]:
        assert doc[section][key] == REGISTRIES[registry].names[0], key


def test_missing_keys_in_part_of_a_section():
    doc = round_trip({"data": {"prompt": "a red fox", "seed": 7}, "model": {"scheduler": "euler_a"}})
    assert doc["data"] == {"prompt": "a red fox", "negative_prompt": "", "height": 512, "width": 512, "seed": 7,
                           "steps": 50, "guidance_scale": 7.5}
    assert doc["model"] == {"id": "stable-diffusion-v1-5", "dtype": "float32", "scheduler": "euler_a"}


def test_null_text_compressor_lets_the_writer_choose():
    """R11.5/R10.3: a missing or null text_compressor lets the writer pick the smallest."""
    assert round_trip({"compression": {"text_compressor": None}, "data": {"prompt": "x"}})["compression"][
        "text_compressor"] == "none"
    long = "masterpiece, best quality, " * 40
    assert round_trip({"data": {"prompt": long}})["compression"]["text_compressor"] in {"zlib", "zstd", "zstd-dict"}


def test_optional_keys_appear_exactly_when_the_file_holds_them():
    """R11.1/R11.2: core keys always; a 6.7 field's key only when present; payload/extensions only if any."""
    bare = round_trip({})
    assert "payload" not in bare and "extensions" not in bare
    doc = round_trip({"platform": {"threads": 4}, "model": {"clip_skip": 2}, "data": {"eta": 0.5},
                      "payload": {"pixel_digest": "crc32:00000000"}, "extensions": [{"tag": 100, "data": ""}]})
    assert doc["platform"]["threads"] == 4 and doc["model"]["clip_skip"] == 2 and doc["data"]["eta"] == 0.5
    assert doc["payload"] == {"pixel_digest": "crc32:00000000"}
    assert doc["extensions"] == [{"tag": 100, "data": ""}]
    # values equal to what absence means are not fields (R6.4), so they do not appear either
    doc = round_trip({"model": {"clip_skip": 0, "scheduler_options": {}, "scheduler_config": {}, "adapters": []},
                      "data": {"eta": 0, "rng": "cpu", "guidance_rescale": 0.0}, "platform": {"software": {}}})
    assert set(doc["model"]) == {"id", "dtype", "scheduler"}
    assert set(doc["data"]) == {"prompt", "negative_prompt", "height", "width", "seed", "steps", "guidance_scale"}
    assert set(doc["platform"]) == {"device", "arch", "gpu", "cuda"}


# ---------------------------------------------------------------------------------------------
# Strictness: unknown keys, versions, flags, types


@pytest.mark.parametrize("doc", [
    {"foo": 1},
    {"compression": {"save_pixel": False}},
    {"platform": {"gpu_name": "x"}},
    {"model": {"sampler": "ddim"}},
    {"data": {"sampler": "ddim"}},
    {"data": {"cfg": 7}},
    {"payload": {"digest": "crc32:00000000"}},
    {"model": {"scheduler_options": {"karras": True}}},
    {"model": {"vae": {"name": "v", "sha": "x"}}},
    {"model": {"adapters": [{"name": "a", "strength": 1}]}},
])
def test_unknown_keys_are_invalid_json(doc):
    """R11.5: an unknown key is an error (invalid-json), never ignored."""
    with raises_code("invalid-json", aigif.UsageError):
        build(doc)


def test_unknown_key_in_an_extension_entry_is_invalid_json():
    """R11.5 (regression: from_json used to ignore unknown keys inside an extensions entry)."""
    with raises_code("invalid-json", aigif.UsageError):
        build({"extensions": [{"tag": 100, "data": "", "critical": False}]})


@pytest.mark.parametrize("version", [2, 0, "1", True, None, 1.5])
def test_version_other_than_1_is_refused(version):
    """R11.1/R3.2: the JSON form's version is the number 1."""
    with pytest.raises(aigif.UsageError) as info:
        build({"version": version})
    assert info.value.code in {"unsupported-version", "invalid-json"}
    if version == 2:
        assert info.value.code == "unsupported-version"


def test_version_may_be_left_out():
    assert build({"version": 1}) == build({})


@pytest.mark.parametrize("doc", [
    {"compression": {"save_pixels": True}},
    {"compression": {"save_model": True}},
    {"compression": {"save_pixels": False, "pixel_compressor": "png"}, "payload": {"pixels": "AAAA"}},
    {"compression": {"save_model": False}, "payload": {"model": "AAAA"}},
    {"compression": {"save_pixels": 1, "pixel_compressor": "png"}, "payload": {"pixels": "AAAA"}},
])
def test_save_flags_must_agree_with_the_payload(doc):
    """R11.5: save_pixels and save_model, if given, MUST agree with the payload (invalid-json)."""
    with raises_code("invalid-json", aigif.UsageError):
        build(doc)


def test_save_flags_that_agree_are_accepted():
    doc = round_trip({"compression": {"save_pixels": True, "pixel_compressor": "png", "save_model": True},
                      "payload": {"pixels": "AAAA", "model": "AQID"}})
    assert doc["compression"]["save_pixels"] is True and doc["compression"]["save_model"] is True


@pytest.mark.parametrize("doc", [{"data": {"steps": None}}, {"platform": {"device": None}},
                                 {"data": {"eta": None}}, {"model": {"adapters": None}}])
def test_null_where_the_default_is_not_null_is_invalid_json(doc):
    """R11.5: a key is either given a value of its type or left out; null stands only for an absent field."""
    with raises_code("invalid-json", aigif.UsageError):
        aigif.from_json(doc)


@pytest.mark.parametrize("doc", [
    {"data": {"prompt": 5}},
    {"data": {"negative_prompt": ["x"]}},
    {"data": {"seed": "1"}},
    {"data": {"seed": True}},
    {"data": {"seed": 1.0}},
    {"data": {"height": 512.5}},
    {"data": {"height": "512"}},
    {"data": {"guidance_scale": "7.5"}},
    {"data": {"guidance_scale": True}},
    {"platform": {"threads": "4"}},
    {"model": {"clip_skip": 1.5}},
    {"platform": {"gpu": 1.0}},
    {"platform": {"cpu_vendor": 5}},
    {"platform": {"cpu_model": ["x"]}},
    {"platform": {"cpu_model": ""}},
    {"platform": {"determinism_profile": 1.0}},
    {"platform": {"determinism_profile": True}},
    {"platform": {"determinism_profile": [1]}},
    {"platform": {"determinism_profile": ""}},
])
def test_wrong_value_types_are_invalid_value(doc):
    """A value of the wrong type is refused with a UsageError (code invalid-value), never written."""
    with raises_code("invalid-value", aigif.UsageError):
        build(doc)


@pytest.mark.parametrize("doc", [
    [],
    "just a string",
    {"data": []},
    {"platform": "gpu"},
    {"platform": {"determinism": "deterministic_algorithms"}},
    {"platform": {"software": {"python": 3.12}}},
    {"platform": {"software": []}},
    {"model": {"adapters": {"name": "a"}}},
    {"model": {"adapters": ["a"]}},
    {"model": {"vae": "sdxl-vae"}},
    {"extensions": {"tag": 100, "data": ""}},
    {"extensions": [{"tag": "100", "data": ""}]},
    {"extensions": [{"tag": 100, "data": 5}]},
])
def test_wrong_json_shapes_are_invalid_json(doc):
    """R11.5: the document must have the form of section 11 (invalid-json)."""
    with raises_code("invalid-json", aigif.UsageError):
        aigif.from_json(doc) if not isinstance(doc, str) else aigif.from_json(json.dumps(doc))


def test_json_text_that_does_not_parse_is_invalid_json():
    for text in ["{", "", "{'data': {}}", b"\xff\xfe"]:
        with raises_code("invalid-json", aigif.UsageError):
            aigif.from_json(text)


def test_from_json_accepts_text_and_bytes():
    text = json.dumps(TABLE1_JSON)
    assert build(text) == build(text.encode("utf-8")) == TABLE1_BYTES


@pytest.mark.parametrize("doc", [{"model": {"adapters": [{"kind": "lora"}]}}, {"model": {"vae": {}}},
                                 {"model": {"vae": {"hash": "crc32:00000000"}}}])
def test_missing_required_name_is_a_usage_error(doc):
    """A model reference and an adapter have no default name (R4.8): a UsageError, not a crash.

    (Regression: from_json used to raise TypeError here.)"""
    with pytest.raises(aigif.UsageError) as info:
        build(doc)
    assert info.value.code in {"invalid-json", "invalid-value"}


OPTIONAL_KEYS = [("platform", k) for k in ("torch", "diffusers", "cpu_capability", "threads", "determinism",
                                            "attention", "software", "cpu_vendor", "cpu_model",
                                            "determinism_profile")] + \
                [("model", k) for k in ("scheduler_options", "scheduler_config", "vae", "adapters", "clip_skip",
                                        "hash")] + \
                [("data", k) for k in ("rng", "eta", "strength", "guidance_rescale")] + \
                [("payload", k) for k in ("pixels", "pixel_digest", "model")]
@pytest.mark.parametrize("section, key", OPTIONAL_KEYS)
def test_null_for_an_optional_key_is_absence_or_an_error(section, key):
    """R11.2/R11.5: a null optional key is either refused (UsageError) or means the field is absent;
    the object must never show a key that its file does not hold."""
    try:
        obj = aigif.from_json({section: {key: None}})
        data = aigif.dumps(obj)
    except aigif.UsageError:
        return
    doc, read = aigif.to_json(obj), aigif.to_json(aigif.loads(data))
    assert key not in doc.get(section, {})
    for d in (doc, read):  # the writer's own choice, when the object leaves it open (R10.3)
        d["compression"].pop("text_compressor")
    assert doc == read


# ---------------------------------------------------------------------------------------------
# R11.3 value forms


def test_base64_payload_round_trip():
    """R11.3: byte strings are standard base64 with padding."""
    pixels = bytes(range(256)) + b"\xfb\xff"  # exercises '+' and '/'
    doc = round_trip({"compression": {"pixel_compressor": "png"},
                      "payload": {"pixels": base64.b64encode(pixels).decode(), "model": "AA=="}})
    assert doc["payload"]["pixels"] == base64.b64encode(pixels).decode("ascii")
    assert doc["payload"]["model"] == "AA=="
    assert aigif.loads(build(doc)).payload.pixels == pixels


@pytest.mark.parametrize("bad", ["AAA", "A", "-_-_", "AA==AA==", "AA AA", "\u00e9"])
def test_invalid_base64_is_invalid_json(bad):
    """R11.3: standard base64 with padding only."""
    with raises_code("invalid-json", aigif.UsageError):
        build({"compression": {"pixel_compressor": "png"}, "payload": {"pixels": bad}})


def test_raw_pixels_must_match_the_image_size():
    """R6.6: pixel compressor none needs width x height x 3 bytes."""
    doc = {"data": {"height": 1, "width": 2}, "payload": {"pixels": base64.b64encode(bytes(6)).decode()}}
    assert round_trip(doc)["payload"]["pixels"] == "AAAAAAAA"
    doc["payload"]["pixels"] = base64.b64encode(bytes(5)).decode()
    with raises_code("invalid-value", aigif.UsageError):
        build(doc)


def test_determinism_list():
    """R11.3/6.7: flags in bit order; [] (all off) is a value, different from leaving the key out."""
    doc = round_trip({"platform": {"determinism": ["tf32_cudnn", "deterministic_algorithms", "cudnn_benchmark"]}})
    assert doc["platform"]["determinism"] == ["deterministic_algorithms", "cudnn_benchmark", "tf32_cudnn"]
    assert round_trip({"platform": {"determinism": []}})["platform"]["determinism"] == []
    assert "determinism" not in round_trip({})["platform"]
    assert build({"platform": {"determinism": []}}) != build({})
    all_flags = ["deterministic_algorithms", "cudnn_deterministic", "cudnn_benchmark", "tf32_matmul", "tf32_cudnn"]
    assert round_trip({"platform": {"determinism": all_flags}})["platform"]["determinism"] == all_flags
    with raises_code("invalid-value", aigif.UsageError):
        build({"platform": {"determinism": ["fast_math"]}})


def test_platform_cpu_fields_and_determinism_profile():
    """R11.2/R11.3/6.7: fields 32, 34, 36 under platform.cpu_vendor, .cpu_model and .determinism_profile;
    the profile is a registry name (7.15), an escaped name or an unknown code as a number; 0 (native) is a
    value, shown as such, while a missing key means "not recorded"."""
    doc = round_trip({"platform": {"cpu_vendor": "GenuineIntel", "cpu_model": "Intel(R) Xeon(R) Platinum 8488C",
                                   "determinism_profile": "cpu-portable-1"}})
    assert doc["platform"] == {"device": "cpu", "arch": "unknown", "gpu": "none", "cuda": "none",
                               "cpu_vendor": "GenuineIntel", "cpu_model": "Intel(R) Xeon(R) Platinum 8488C",
                               "determinism_profile": "cpu-portable-1"}
    assert list(doc["platform"])[-3:] == ["cpu_vendor", "cpu_model", "determinism_profile"]
    assert round_trip({"platform": {"determinism_profile": "native"}})["platform"]["determinism_profile"] == "native"
    assert round_trip({"platform": {"determinism_profile": 0}})["platform"]["determinism_profile"] == "native"
    assert round_trip({"platform": {"determinism_profile": 1}})["platform"]["determinism_profile"] == "cpu-portable-1"
    assert round_trip({"platform": {"determinism_profile": 100}})["platform"]["determinism_profile"] == 100
    assert round_trip({"platform": {"determinism_profile": "gpu-x"}})["platform"]["determinism_profile"] == "gpu-x"
    assert build({"platform": {"determinism_profile": "native"}}) != build({})  # 0 is not absence (R6.4)
    assert "determinism_profile" not in round_trip({})["platform"]
    assert build({"platform": {"determinism_profile": None, "cpu_vendor": None, "cpu_model": None}}) == build({})


def test_extensions_list():
    """R11.3: unknown ancillary fields are {"tag", "data"} in tag order."""
    doc = round_trip({"extensions": [{"tag": 200, "data": "AQI="}, {"tag": 100, "data": ""}]})
    assert doc["extensions"] == [{"tag": 100, "data": ""}, {"tag": 200, "data": "AQI="}]
    with pytest.raises(aigif.UsageError):
        build({"extensions": [{"tag": 101, "data": ""}]})  # critical: the writer cannot vouch for it
    with pytest.raises(aigif.UsageError):
        build({"extensions": [{"tag": 9, "data": ""}]})  # a known field is not an extension
    with pytest.raises(aigif.UsageError):
        build({"extensions": [{"tag": 100, "data": ""}, {"tag": 100, "data": ""}]})


def test_value_forms_of_section_11_3():
    """R11.3: scheduler options list only non-defaults; model reference, adapter and hash forms."""
    doc = round_trip({
        "model": {
            "scheduler_options": {"sigmas": "karras", "timestep_spacing": "default", "rescale_betas_zero_snr": False},
            "vae": {"name": "vae.safetensors"},
            "adapters": [{"name": "a", "kind": "lora", "weight": 1.0},
                         {"name": "b", "kind": "embedding", "hash": "autov2:ABCDEF0123", "weight": 0.5}],
            "hash": "sha256:" + "AB" * 32,
        },
        "platform": {"gpu": 1500},
    })
    model = doc["model"]
    assert model["scheduler_options"] == {"sigmas": "karras"}
    assert model["vae"] == {"name": "vae.safetensors"}  # no hash key when there is none
    assert model["adapters"] == [{"name": "a"}, {"name": "b", "kind": "embedding", "hash": "autov2:abcdef0123",
                                                 "weight": 0.5}]
    assert model["hash"] == "sha256:" + "ab" * 32  # lower-case hexadecimal (R4.5)
    assert doc["platform"]["gpu"] == 1500  # an unknown code is a JSON number


def test_hash_kind_names_are_matched_exactly():
    """R7.0: names are matched exactly (case matters) - 'AUTOV2' is not a kind; this documents the choice."""
    with pytest.raises(aigif.UsageError):
        build({"model": {"hash": "SHA256:" + "ab" * 32}})


def test_json_is_plain_json():
    """R11: to_json returns plain JSON values (json.dumps works, non-ASCII kept as is)."""
    obj = aigif.from_json({"data": {"prompt": "\u732b \U0001F408", "seed": 2**64 - 1},
                           "payload": {"model": "AAEC"}, "extensions": [{"tag": 100, "data": "AQ=="}]})
    doc = aigif.to_json(aigif.loads(aigif.dumps(obj)))
    text = json.dumps(doc, ensure_ascii=False)
    assert "\u732b \U0001F408" in text and "18446744073709551615" in text
    assert json.loads(text) == doc
