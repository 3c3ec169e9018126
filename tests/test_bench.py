"""tools/bench/bench.py: the encoders and statistics of the benchmark, on synthetic records, and smoke runs.

The records here are made up for the tests; the real records file is for measuring only and is
never read by the tests.
"""

from __future__ import annotations

import io
import json
import struct
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tools" / group) for group in ("", "format", "bench", "recreate", "importer")]

import _bench_formats as formats  # noqa: E402
import _bench_pixels as pixels  # noqa: E402
import _bench_speed as speed  # noqa: E402
import bench  # noqa: E402

import aigif  # noqa: E402

#: The Table I example (spec 14.1) as a record.
TABLE1 = {"prompt": "A cute cat", "negative_prompt": "worst quality", "seed": 829557441, "steps": 25, "cfg": 7.5,
          "sampler": "DDIM", "width": 1024, "height": 1024, "model": None}

SYNTHETIC = [
    TABLE1,
    {"prompt": "a red bicycle leaning on a brick wall, morning light, 35mm photo",
     "negative_prompt": "blurry, low quality", "seed": 12345, "steps": 30, "cfg": 7, "sampler": "DPM++ 2M Karras",
     "width": 512, "height": 768, "model": "my_finetune_v2"},
    {"prompt": "an isometric castle, pixel art", "negative_prompt": None, "seed": None, "steps": None, "cfg": None,
     "sampler": None, "width": None, "height": None, "model": "v1-5-pruned-emaonly"},
    {"prompt": "ein Bergsee im Nebel, Ölgemälde, 山", "negative_prompt": "text, watermark", "seed": 2**40 + 5,
     "steps": 300, "cfg": 6.5, "sampler": "DPM++ 2M Karras MOD", "width": 640, "height": 640,
     "model": "sd_xl_base_1.0"},
    {"prompt": "a lighthouse at dusk", "negative_prompt": "", "seed": -7, "steps": 20, "cfg": 5.5,
     "sampler": "Euler a", "width": 768, "height": 512, "model": "mix, version: 3"},
]


def gradient(width: int, height: int):
    """A smooth RGB test image (lossless WebP at method 6 is slow on noise)."""
    from PIL import Image

    ramp = Image.linear_gradient("L").resize((width, height))
    return Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT), ramp.rotate(90)))


def write_records(path: Path, records=SYNTHETIC, copies: int = 1) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for _ in range(copies) for r in records), "utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# (a) the four encodings


def test_paper_layout_of_table1_is_about_50_bytes_and_reads_back():
    blob = formats.paper_layout(TABLE1)
    text = zlib.compress(b"A cute cat\0worst quality", 9)
    assert len(blob.data) == 20 + len(text) == 52  # spec 14.1: "about 50 bytes"
    assert blob.data[:7] == bytes([0x00, 0x80, 0x10, 28, 1, 0x00, 0x10])  # zlib; gpu; 3090; cu121; sd-v1-5; fp16 ddim
    assert blob.data[7:-13] == text
    assert blob.data[-13:] == struct.pack(">HHIBf", 1024, 1024, 829557441, 25, 7.5)
    assert blob.unfit == ()
    back = formats.read_paper_layout(blob.data)
    assert back == {"device": "gpu", "gpu": "NVIDIA GeForce RTX 3090", "cuda": "cu121",
                    "model": "stable-diffusion-v1-5", "dtype": "float16", "scheduler": "ddim", "prompt": "A cute cat",
                    "negative_prompt": "worst quality", "height": 1024, "width": 1024, "seed": 829557441,
                    "steps": 25, "cfg": 7.5}


def test_paper_layout_widths_are_documented_and_add_up():
    fixed = sum(width for *_, width in formats.PAPER_WIDTHS if width)
    assert fixed == 2 + 3 + 1 + 2 + 2 + 4 + 1 + 4 == 19  # plus the 1-byte model exp code = 20
    assert formats._TAIL.size == 13


def test_paper_layout_carries_escaped_names_in_the_zlib_strings():
    record = SYNTHETIC[3]  # an unknown sampler variant, a known checkpoint, a seed and steps too wide
    blob = formats.paper_layout(record)
    back = formats.read_paper_layout(blob.data)
    assert back["model"] == "stable-diffusion-xl-base-1.0"
    assert back["scheduler"] == "DPM++ 2M Karras MOD"
    assert back["prompt"] == record["prompt"]
    assert set(blob.unfit) == {"seed", "steps"}
    assert back["seed"] == record["seed"] % 2**32 and back["steps"] == 255
    unknown = formats.read_paper_layout(formats.paper_layout(SYNTHETIC[1]).data)
    assert unknown["model"] == "my_finetune_v2" and unknown["scheduler"] == "dpmpp_2m"


def test_exp_code_boundaries():
    assert formats._exp(0) == b"\x00"
    assert formats._exp(254) == b"\xfe"
    assert formats._exp(255) == b"\xff\x00"
    assert formats._exp(509) == b"\xff\xfe"


def test_to_aigif_maps_models_samplers_and_missing_values():
    karras = formats.to_aigif(SYNTHETIC[1])
    assert karras.model.id == "my_finetune_v2"  # not in the registry: the escape
    assert karras.model.scheduler == "dpmpp_2m" and karras.model.scheduler_options.sigmas == "karras"
    assert karras.platform == formats.PLATFORM and karras.model.dtype == "float16"
    assert karras.compression.text_compressor is None  # the writer chooses
    sparse = formats.to_aigif(SYNTHETIC[2])
    assert sparse.model.id == "stable-diffusion-v1-5"  # a known checkpoint file name
    assert sparse.model.scheduler == "ddim"
    assert (sparse.data.seed, sparse.data.steps, sparse.data.guidance_scale, sparse.data.width,
            sparse.data.height, sparse.data.negative_prompt) == (0, 50, 7.5, 512, 512, "")
    assert formats.to_aigif(TABLE1).model.id == "stable-diffusion-v1-5"  # no model: code 0 (R11.5)
    assert formats.to_aigif(SYNTHETIC[4]).data.seed == 2**64 - 7
    for record in SYNTHETIC:
        obj = formats.to_aigif(record)
        assert aigif.loads(aigif.dumps(obj)).data == obj.data


def test_a1111_infotext_is_written_as_a1111_writes_it():
    assert formats.a1111_infotext(TABLE1) == (
        "A cute cat\nNegative prompt: worst quality\n"
        "Steps: 25, Sampler: DDIM, CFG scale: 7.5, Seed: 829557441, Size: 1024x1024")
    assert formats.a1111_infotext(SYNTHETIC[2]) == "an isometric castle, pixel art\nModel: v1-5-pruned-emaonly"
    quoted = formats.a1111_infotext(SYNTHETIC[4])
    assert "Negative prompt" not in quoted  # empty: A1111 leaves the line out
    assert quoted.endswith('Size: 768x512, Model: "mix, version: 3"')
    assert "CFG scale: 5.5, Seed: -7" in quoted
    assert formats.a1111_infotext({**TABLE1, "cfg": 7.0}).count("CFG scale: 7,") == 1


def test_json_zlib_round_trips_present_keys():
    data = formats.json_zlib(SYNTHETIC[2])
    assert formats.read_json_zlib(data) == {"prompt": "an isometric castle, pixel art",
                                            "model": "v1-5-pruned-emaonly"}
    text = zlib.decompress(formats.json_zlib(SYNTHETIC[3])).decode("utf-8")
    assert '", "' not in text and '": ' not in text  # compact separators
    assert "Ölgemälde" in text  # UTF-8, not \\u escapes


# ---------------------------------------------------------------------------------------------
# Statistics


def test_percentile_is_linear_between_ranks():
    assert formats.percentile([4, 1, 3, 2], 50) == 2.5
    assert formats.percentile([1, 2, 3, 4], 90) == pytest.approx(3.7)
    assert formats.percentile([5], 90) == 5
    assert formats.percentile(range(11), 90) == 9
    with pytest.raises(ValueError):
        formats.percentile([], 50)


def test_summary():
    s = formats.summary([10, 20, 30, 40])
    assert s == {"n": 4, "mean": 25, "median": 25, "p90": pytest.approx(37), "min": 10, "max": 40, "total": 100}


def test_size_table_on_synthetic_records():
    encoded = formats.encode_all(SYNTHETIC)
    table = formats.size_table(encoded)
    rows = table["rows"]
    assert rows["aigif"]["n"] == len(SYNTHETIC)
    assert rows["paper_layout"]["mean"] == sum(len(b) for b in encoded.paper) / len(SYNTHETIC)
    assert table["aigif_over_paper_mean"] == rows["aigif"]["mean"] / rows["paper_layout"]["mean"]
    assert table["pass"] is (table["aigif_over_paper_mean"] <= 0.5)
    assert table["paper_layout_unfit"] == {"seed": 2, "steps": 1}
    assert table["escaped"] == {"model": 2, "scheduler": 1}
    assert sum(table["aigif_text_compressors"].values()) == len(SYNTHETIC)
    for name in formats.forced_compressors():  # the default picks the smallest per file
        assert rows["aigif"]["mean"] <= rows[f"aigif_text_{name}"]["mean"]


@pytest.mark.parametrize("compressor", ["none", "zlib", "zstd", "zstd-dict"])
def test_aigif_parts_add_up_and_find_the_text_block(compressor):
    record = {"prompt": "masterpiece, best quality, 1girl, solo, long hair", "negative_prompt": "lowres, bad anatomy, grainy sky",
              "seed": 123456789, "steps": 28, "cfg": 7, "width": 512, "height": 768, "model": "someMix_v2"}
    obj = formats.to_aigif(record)
    obj = aigif.AigifFile(**{**obj.__dict__, "compression": aigif.Compression(text_compressor=compressor),
                             "stored_text": None})
    data = aigif.dumps(obj)
    parts = formats.aigif_parts(data)
    assert list(parts) == list(formats.PARTS) and sum(parts.values()) == len(data)
    stored = aigif.loads(data).stored_text[3]
    assert parts["text block: stream header"] + parts["text block: compressed text"] == len(stored)
    assert parts["model: ID, name, data type, scheduler"] == 3 + len("someMix_v2")  # escape, length, name, 4+4 bits
    assert parts["text block: stream header"] == {"none": 0, "zlib": 6}.get(compressor, parts["text block: stream header"])
    if compressor.startswith("zstd"):  # magic 4, frame header descriptor 1, (dictionary ID 2), content size, block 3
        assert parts["text block: stream header"] == (4 + 1 + 1 + 3) + 2 * (compressor == "zstd-dict")
    assert formats.parts_table([data, data]) == parts


def test_load_records_errors(tmp_path):
    with pytest.raises(formats.RecordsError, match="records file not found"):
        formats.load_records(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "x"}\nnot json\n', "utf-8")
    with pytest.raises(formats.RecordsError, match=r"bad.jsonl:2"):
        formats.load_records(bad)
    assert len(formats.load_records(write_records(tmp_path / "r.jsonl", copies=3), limit=7)) == 7


# ---------------------------------------------------------------------------------------------
# (c) timing helpers


@pytest.mark.parametrize("text", ["A cute cat\nSteps: 20", "Bergsee 山, emoji 🐱\nSteps: 20"])
def test_a1111_png_carries_the_parameters_and_stays_a_valid_png(text):
    from PIL import Image

    png = speed.a1111_png(text, speed.base_png(64))
    assert speed.pillow_parameters(io.BytesIO(png)) == text
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        assert image.size == (64, 64)
    kinds = [kind for kind, _ in speed._chunks(png)]
    assert kinds[0] == b"IHDR" and kinds[1] in (b"tEXt", b"iTXt") and kinds[-1] == b"IEND"


def test_interleaved_timing_reports_medians_and_ratios():
    slow = speed.Method("slow", lambda n: sum(range(n)), [2000] * 20)
    fast = speed.Method("fast", lambda n: n, [2000] * 20)
    result = speed.interleaved([slow, fast], rounds=3, ratios={"slow_over_fast": ("slow", "fast")})
    assert result["rounds"] == 3
    for name in ("slow", "fast"):
        row = result["methods"][name]
        assert len(row["round_medians_us"]) == 3 and row["files"] == 20
        assert row["min_round_us"] <= row["median_us"] <= row["max_round_us"]
    assert result["ratios"]["slow_over_fast"]["median"] > 1


# ---------------------------------------------------------------------------------------------
# (b) pixels


def test_codec_sizes_are_lossless_and_honest_about_jpegxl():
    from PIL import Image

    image = Image.effect_noise((48, 32), 40).convert("RGB")
    sizes = pixels.codec_sizes(image)
    assert sizes["raw"] == 48 * 32 * 3
    assert sizes["png"] > 0 and sizes["webp"] > 0
    if pixels.jpegxl_available():
        assert sizes["jpegxl"] > 0
    else:
        assert sizes["jpegxl"] is None  # reported as "not installed", never a number


def test_corpus_section_skips_crops_and_totals(tmp_path):
    from PIL import Image

    gradient(300, 260).save(tmp_path / "full.png")
    Image.new("RGB", (1, 1)).save(tmp_path / "crop.png")
    result = pixels.corpus_section(tmp_path)
    assert result["count"] == 1 and result["excluded_small"] == ["crop.png"]
    assert result["totals"]["raw"] == 300 * 260 * 3
    assert result["images"][0]["aigif_import"] is None  # no generation metadata in that PNG
    assert result["totals"]["aigif_import"] is None
    assert "skipped" in pixels.corpus_section(tmp_path / "nowhere")


# ---------------------------------------------------------------------------------------------
# The command


def test_missing_records_file_is_a_clear_error(tmp_path, capsys):
    assert bench.main(["--records", str(tmp_path / "none.jsonl"), "--sections", "sizes",
                       "--json", str(tmp_path / "out.json")]) == 1
    assert "records file not found" in capsys.readouterr().out
    assert not (tmp_path / "out.json").exists()


def test_unknown_section_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--sections", "sizes,colour", "--json", str(tmp_path / "o.json")])
    assert exc.value.code == 2


def test_quick_run_of_sizes_and_speed(tmp_path, capsys):
    records = write_records(tmp_path / "records.jsonl", copies=10)
    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--records", str(records), "--sections", "sizes,speed", "--files", "20",
                       "--rounds", "2", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "bytes per file over 50 records" in printed and "AIGIF read / Pillow read" in printed
    result = json.loads(out.read_text("utf-8"))
    assert result["records"]["count"] == 50
    assert set(result["sizes"]["rows"]) == {"aigif", "paper_layout", "json_zlib", "a1111_infotext",
                                            *(f"aigif_text_{name}" for name in formats.forced_compressors())}
    assert {"zlib", "zstd"} <= set(formats.forced_compressors())
    assert result["speed"]["methods"]["aigif_read_bytes"]["files"] == 20
    assert result["speed"]["paper_decode_us_quoted"] == 300
    assert "pillow" in result["machine"]
    assert "A cute cat" not in out.read_text("utf-8")  # aggregate figures only, never a record


@pytest.mark.slow
def test_quick_run_with_tiny_sd_images(tmp_path):
    pytest.importorskip("diffusers")
    records = write_records(tmp_path / "records.jsonl")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    gradient(256, 256).save(corpus / "image.png")
    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--records", str(records), "--corpus", str(corpus), "--sections", "pixels",
                       "--sizes", "32", "--steps", "1", "--json", str(out)]) == 0
    result = json.loads(out.read_text("utf-8"))["pixels"]
    row = result["tiny_sd"]["images"][0]
    assert row["size"] == 32 and row["raw"] == 32 * 32 * 3
    assert 0 < row["aigif"] < row["png"]
    assert result["corpus"]["count"] == 1


def test_startup_benchmark_runs_and_reports_every_command(tmp_path):
    """tools/bench/bench_startup.py: one round, figures for each command (no timing is asserted here)."""
    import bench_startup

    out = tmp_path / "startup.json"
    assert bench_startup.main(["--runs", "1", "--json", str(out)]) == 0
    result = json.loads(out.read_text("utf-8"))
    assert set(result["commands"]) == {"python -c pass", "aigif info --json FILE", "aigif info FILE (table)"}
    assert all(row["median_s"] > 0 for row in result["commands"].values())
    assert result["target_s"] == 0.1 and isinstance(result["pass"], bool)


def test_scan_benchmark_runs_and_reports_both_sides(tmp_path):
    """tools/bench/bench_scan.py: a tiny folder, one round, figures for the scan and sha256sum."""
    import shutil

    if shutil.which("sha256sum") is None:
        pytest.skip("sha256sum is not installed")
    import bench_scan

    out = tmp_path / "scan.json"
    assert bench_scan.main(["--files", "3", "--size-mb", "0.2", "--rounds", "1", "--json", str(out)]) == 0
    result = json.loads(out.read_text("utf-8"))
    assert result["files"] == 3 and result["bytes"] > 600_000
    assert set(result["results"]) == {"aigif models scan (cold index)", "sha256sum", "aigif models scan (warm index)"}
    assert all(row["median_s"] > 0 and row["mb_per_s"] > 0 for row in result["results"].values())
