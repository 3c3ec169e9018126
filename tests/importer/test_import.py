"""The importer end to end: ``aigif.import_image`` and ``aigif import`` (mapping, faithfulness, pixels, CLI).

The container and dialect layers have their own tests (test_import_containers.py,
test_import_dialects.py); these check what a user gets: the AIGIF values, the faithfulness verdict
with its reasons, the verbatim source metadata, lossless pixels, and the command's behaviour on good
and bad input. Expected values come from reading each corpus file's metadata and the mapping rules
of the research notes (A1111 "Automatic" schedules, ComfyUI/InvokeAI/NovelAI sampler names).
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

import aigif
from aigif._import import _mapping
from aigif._import._found import Found, Lora
from helpers import A1111_TEXT, png_with, run

DATA = Path(__file__).resolve().parents[1] / "data" / "import"


def corpus(name: str) -> Path:
    return DATA / name


# ---------------------------------------------------------------------------------------------
# Golden: every corpus file with metadata (values read from the files' metadata by hand)

#: file -> (tool, faithfulness, seed, steps, scheduler, sigmas, model id)
GOLDEN = {
    "automatic1111/sd-metadata__sd-webui.png": ("AUTOMATIC1111", "approximate", 3782896554, 20, "dpmpp_2m", "karras",
                                                "waiIllustriousSDXL_v160"),
    "automatic1111/sd-metadata__sd-webui.jpg": ("AUTOMATIC1111", "approximate", 3623174757, 20, "dpmpp_2m", "karras",
                                                "waiIllustriousSDXL_v160"),
    "automatic1111/prompt-extractor__SD.png": ("AUTOMATIC1111", "approximate", 367472097, 28, "euler_a", "default",
                                               "unknown-model"),
    "automatic1111/sd-parsers__automatic1111_cropped.png": ("AUTOMATIC1111", "approximate", 235284042, 15, "unipc",
                                                            "default", "realistic_realisticVisionV20_v20"),
    "automatic1111/sd-parsers__automatic1111_cropped.jpg": ("AUTOMATIC1111", "approximate", 235284042, 15, "unipc",
                                                            "default", "realistic_realisticVisionV20_v20"),
    "automatic1111/sd-parsers__text_after_idat.png": ("AUTOMATIC1111", "approximate", 235284042, 15, "unipc",
                                                      "default", "realistic_realisticVisionV20_v20"),
    # "Schedule type: Automatic" with Euler: uniform sigmas (the sampler's default)
    "automatic1111/sd-parsers__automatic1111_stealth.png": ("AUTOMATIC1111", "approximate", 2015833630, 20, "euler",
                                                            "default", "realisticVisionV51_v51VAE"),
    "forge/sd-metadata__forge.png": ("Forge", "approximate", 747066619, 25, "euler", "karras",
                                     "waiIllustriousSDXL_v160"),
    "forge/sd-metadata__easy-reforge.png": ("Forge", "approximate", 2582194946, 4, "lcm", "default",
                                            "copycatNoob_v11"),
    "sdnext/sd-metadata__sd-next-en.png": ("SD.Next", "not-recreatable", 2251068289, 20, "Default", "default",
                                           "waiIllustriousSDXL_v160"),
    "comfyui/ComfyUI_examples__hypernetwork_example_output.png": ("ComfyUI", "approximate", 572636856966402, 20,
                                                                  "unipc", "default", "stable-diffusion-v1-5"),
    "comfyui/ComfyUI_examples__sdxl_simple_example.png": ("ComfyUI", "approximate", 721897303308196, 25, "euler",
                                                          "default", "stable-diffusion-xl-base-1.0"),
    "comfyui/ComfyUI_examples__sdxlturbo_example.png": ("ComfyUI", "not-recreatable", 0, 1,
                                                        "euler_ancestral SDTurboScheduler", "default", "sdxl-turbo"),
    "comfyui/comfyui-prompt-reader-node__simple_example.png": ("ComfyUI", "not-recreatable", 0, 1, "unknown",
                                                               "default", "unknown-model"),
    "comfyui/sd-metadata__comfyui.png": ("ComfyUI", "approximate", 422847914351919, 20, "euler_a", "karras",
                                         "waiIllustriousSDXL_v160"),
    "comfyui/sd-metadata__comfyui-saveimagewithmetadata.png": ("ComfyUI", "approximate", 38802053347333, 20,
                                                               "euler_a", "karras", "waiIllustriousSDXL_v160"),
    "comfyui/sd-metadata__comfyui-save-image-extended.webp": ("ComfyUI", "approximate", 602057552457611, 20,
                                                              "euler_a", "karras", "waiIllustriousSDXL_v160"),
    "comfyui/sd-parsers__img2img_cropped.png": ("ComfyUI", "not-recreatable", 280823642470253, 20, "dpmpp_2m",
                                                "default", "stable-diffusion-v1-5"),
    "comfyui/sd-parsers__night_evening_day_morning_cropped.png": ("ComfyUI", "not-recreatable", 335608130539327, 13,
                                                                  "dpmpp_sde", "default", "Anything-V3.0"),
    "comfyui/sd-parsers__noisy_latents_3_subjects_cropped.png": ("ComfyUI", "not-recreatable", 512136241112371, 16,
                                                                 "dpmpp_sde", "default", "Anything-V3.0"),
    "comfyui/sd-parsers__unclip_2pass_cropped.png": ("ComfyUI", "not-recreatable", 1106257833005336, 26, "unipc",
                                                     "default", None),
    "invokeai/InvokeAI__000001.1863159593.png": ("InvokeAI", "approximate", 1863159593, 50, "lms", "default", None),
    "invokeai/InvokeAI__000002.1151955949.png": ("InvokeAI", "approximate", 1151955949, 50, "pndm", "default", None),
    "invokeai/InvokeAI__000003.2736230502.png": ("InvokeAI", "approximate", 2736230502, 50, "ddim", "default", None),
    "invokeai/InvokeAI__000019.1592514025.png": ("InvokeAI", "approximate", 1592514025, 10, "euler", "default", None),
    "invokeai/InvokeAI__image1.png": ("InvokeAI", "approximate", 2202748743, 30, "euler_a", "default", None),
    "invokeai/InvokeAI__step4.png": ("InvokeAI", "approximate", 1654590180, 20, "euler_a", "default", None),
    "invokeai/InvokeAI__blue-sphere-0.75-red-cube-0.25-hybrid.png": ("InvokeAI", "approximate", 242772932, 15, "euler",
                                                                     "default", "stable-diffusion-v1-5"),
    "invokeai/sd-parsers__invokeai_dream1.png": ("InvokeAI", "not-recreatable", 2980747362, 50, "lms", "default", None),
    "invokeai/sd-parsers__invokeai_sdmeta1.png": ("InvokeAI", "not-recreatable", 2980747362, 50, "lms", "default",
                                                  None),
    "invokeai/sd-parsers__invokeai_imeta1.png": ("InvokeAI", "not-recreatable", 3293022630, 35, "euler", "default",
                                                 "juggernautXL"),
    "novelai/novelai-python__sample-0316.png": ("NovelAI", "not-recreatable", 1148692016, 28, "euler", "default", None),
    "novelai/prompt-extractor__NovelAI.png": ("NovelAI", "not-recreatable", 1138862044, 20, "euler_a", "default", None),
    "novelai/sd-metadata__novelai-full.png": ("NovelAI", "not-recreatable", 2043807047, 28, "euler_a", "karras", None),
    "novelai/sd-parsers__novelai1_cropped.png": ("NovelAI", "not-recreatable", 2253955223, 50, "euler_a", "default",
                                                 None),
    "fooocus/sd-parsers__fooocus1_cropped.png": ("Fooocus", "not-recreatable", 6952411511246973023, 30,
                                                 "dpmpp_2m_sde", "karras", "juggernautXL_v8Rundiffusion"),
    "swarmui/sd-metadata__swarmui.png": ("SwarmUI", "approximate", 2083100758, 20, "euler_a", "karras",
                                         "waiIllustriousSDXL_v160"),
    "other/sd-metadata__huggingface-space.png": ("huggingface-space", "approximate", 443800072, 24, "dpmpp_2m",
                                                 "karras", "WAI NSFW illustrious SDXL v16"),
}


def test_golden_covers_every_corpus_file_with_metadata():
    files = {str(p.relative_to(DATA)) for p in DATA.rglob("*") if p.suffix.lower() in (".png", ".jpg", ".webp")}
    assert set(GOLDEN) == files - {"other/sd-metadata__gimp.jpg"}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_corpus_file_imports_with_the_expected_values(name):
    tool, level, seed, steps, scheduler, sigmas, model_id = GOLDEN[name]
    obj, report = aigif.import_image(corpus(name))
    assert (report.tool, report.faithfulness) == (tool, level), report.reasons
    assert obj.source.faithfulness.level == level and list(obj.source.faithfulness.reasons) == report.reasons
    assert report.reasons or level == "exact-possible"
    assert (obj.data.seed, obj.data.steps) == (seed, steps)
    assert (obj.model.scheduler, obj.model.scheduler_options.sigmas) == (scheduler, sigmas)
    if model_id is not None:
        assert obj.model.id == model_id
    assert obj.platform.device == "unknown"
    data = aigif.dumps(obj)
    back = aigif.loads(data)  # a valid file, read back unchanged
    assert (back.data, back.model, back.source) == (obj.data, obj.model, obj.source)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_nothing_is_dropped_every_carrier_is_kept_verbatim(name):
    from aigif._import._containers import read_carriers

    obj, _ = aigif.import_image(corpus(name))
    _, carriers = read_carriers(corpus(name))
    assert [(t.where, t.key, t.text) for t in obj.source.metadata] == [(c.where, c.key, c.text) for c in carriers]


def test_a1111_values_map_to_diffusers_conventions(tmp_path):
    obj, report = aigif.import_image(png_with(tmp_path, {"parameters": A1111_TEXT}))
    d, m = obj.data, obj.model
    assert (d.prompt, d.negative_prompt, d.seed, d.steps, d.guidance_scale) == ("a lighthouse at dusk", "blurry",
                                                                                4242, 20, 7.0)
    assert (d.width, d.height) == (512, 768)  # from "Size", not from the 8x8 pixels
    assert m.id == "stable-diffusion-v1-5" and m.hash == "autov2:45a21ea00a"
    assert m.scheduler == "dpmpp_2m" and m.scheduler_options.sigmas == "karras"  # Automatic = Karras for DPM++ 2M
    assert m.clip_skip == 1  # A1111 "Clip skip: 2" is diffusers' clip_skip=1
    assert d.rng == "cuda"  # A1111's default RNG is the GPU
    assert obj.source.tool == "AUTOMATIC1111" and obj.source.version == "v1.10.1"
    assert report.faithfulness == "approximate"
    assert any("GPU" in reason for reason in report.reasons)
    assert obj.source.metadata[0].text == A1111_TEXT


def test_a_diffusers_native_source_can_be_exact(tmp_path):
    meta = {"generation_mode": "txt2img", "positive_prompt": "a red apple on a table", "negative_prompt": "",
            "width": 512, "height": 512, "seed": 7, "rand_device": "cpu", "cfg_scale": 7.5, "steps": 30,
            "scheduler": "dpmpp_2m_k", "model": {"name": "stable-diffusion-v1-5", "base": "sd-1", "type": "main"},
            "app_version": "5.0.0"}
    obj, report = aigif.import_image(png_with(tmp_path, {"invokeai_metadata": json.dumps(meta)}))
    assert report.faithfulness == "exact-possible", report.reasons
    assert report.reasons == []
    assert (obj.model.id, obj.model.scheduler, obj.model.scheduler_options.sigmas) == ("stable-diffusion-v1-5",
                                                                                         "dpmpp_2m", "karras")
    assert obj.data.rng == "cpu" and obj.data.guidance_scale == 7.5


# ---------------------------------------------------------------------------------------------
# The mapping tables


@pytest.mark.parametrize("tool, sampler, schedule, expected", [
    ("automatic1111", "DPM++ 2M Karras", None, ("dpmpp_2m", "karras", "default")),  # pre-1.9 combined name
    ("automatic1111", "DPM++ 2M", None, ("dpmpp_2m", "default", "default")),  # pre-1.9: uniform
    ("automatic1111", "DPM++ 2M", "Automatic", ("dpmpp_2m", "karras", "default")),  # >= 1.9: the default
    ("automatic1111", "DPM++ 2M SDE", "Automatic", ("dpmpp_2m_sde", "exponential", "default")),
    ("automatic1111", "Euler a", "Automatic", ("euler_a", "default", "default")),
    ("automatic1111", "Euler", "SGM Uniform", ("euler", "default", "trailing")),
    ("automatic1111", "DPM++ 2M SDE Heun", "Karras", ("dpmpp_2m_sde", "karras", "default")),
    ("automatic1111", "PLMS", None, ("pndm", "default", "default")),
    ("comfyui", "dpmpp_2m_sde_gpu", "karras", ("dpmpp_2m_sde", "karras", "default")),
    ("comfyui", "uni_pc_bh2", "normal", ("unipc", "default", "default")),
    ("comfyui", "euler", "simple", ("euler", "default", "trailing")),
    ("comfyui", "sample_dpmpp_2m", "normal", ("dpmpp_2m", "default", "default")),  # early-2023 graphs
    ("invokeai", "euler_k", None, ("euler", "karras", "default")),
    ("invokeai", "k_euler_a", None, ("euler_a", "default", "default")),
    ("novelai", "k_euler_ancestral", "karras", ("euler_a", "karras", "default")),
])
def test_sampler_names_map_to_registry_schedulers(tool, sampler, schedule, expected):
    choice = _mapping.scheduler_for(Found(tool=tool, sampler=sampler, schedule=schedule))
    assert choice.equivalent
    assert (choice.name, choice.options.sigmas, choice.options.timestep_spacing) == expected


def test_scheduler_arguments_are_kept_as_diffusers_config():
    heun = _mapping.scheduler_for(Found(tool="automatic1111", sampler="DPM++ 2M SDE Heun", schedule="Automatic"))
    assert heun.config == {"solver_type": '"heun"'}
    bh2 = _mapping.scheduler_for(Found(tool="comfyui", sampler="uni_pc_bh2", schedule="normal"))
    assert bh2.config == {"solver_type": '"bh2"'}


@pytest.mark.parametrize("tool, sampler, schedule", [
    ("automatic1111", "DPM++ 2S a", "Karras"), ("automatic1111", "DPM fast", None), ("automatic1111", "Restart", None),
    ("automatic1111", "Euler", "Align Your Steps"), ("comfyui", "dpmpp_2s_ancestral", "normal"),
    ("comfyui", "res_multistep", "normal"), ("comfyui", "euler", "kl_optimal"),
])
def test_samplers_without_a_diffusers_equivalent_are_kept_by_name(tool, sampler, schedule):
    choice = _mapping.scheduler_for(Found(tool=tool, sampler=sampler, schedule=schedule))
    assert not choice.equivalent and sampler in choice.name
    verdict = _mapping.judge(Found(tool=tool, sampler=sampler, schedule=schedule, seed=1, steps=1,
                                   guidance_scale=1.0), choice, True)
    assert verdict.level == "not-recreatable"


@pytest.mark.parametrize("text, expected", [
    ("45a21ea00a", "autov2:45a21ea00a"), ("925997e9", "autov1:925997e9"), ("45B5BD0819CF", "autov3:45b5bd0819cf"),
    ("0x" + "ab" * 32, "sha256:" + "ab" * 32), ("blake3:" + "cd" * 32, "blake3:" + "cd" * 32),
    ("not a hash", None), ("abc", None), ("", None),
])
def test_hashes_are_recognised_by_form(text, expected):
    assert _mapping.parse_hash(text) == expected


@pytest.mark.parametrize("name, expected", [
    ("v1-5-pruned-emaonly.ckpt", ("stable-diffusion-v1-5", True)),
    ("sd_xl_base_1.0.safetensors", ("stable-diffusion-xl-base-1.0", True)),
    ("stabilityai/sdxl-turbo", ("sdxl-turbo", True)),
    ("waiIllustriousSDXL_v160 [45a21ea00a]", ("waiIllustriousSDXL_v160", False)),
    (None, ("unknown-model", False)),
])
def test_model_names_resolve_to_the_registry_only_when_unambiguous(name, expected):
    assert _mapping.model_id(name) == expected


def test_loras_become_adapters_with_weights_and_hashes():
    found = Found(tool="automatic1111", loras=[Lora("detail", 0.6, "45b5bd0819cf"), Lora("style", 1.0)])
    adapters = _mapping.adapters_for(found)
    assert [(a.name, a.weight, a.hash) for a in adapters] == [("detail", 0.6, "autov3:45b5bd0819cf"),
                                                              ("style", 1.0, None)]


# ---------------------------------------------------------------------------------------------
# Pixels


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_keep_pixels_embeds_the_exact_pixels_in_the_smallest_lossless_codec(tmp_path, mode):
    from aigif import _pixels

    path = tmp_path / "noisy.png"
    image = Image.frombytes("RGB", (37, 23), bytes((i * 7919) % 251 for i in range(37 * 23 * 3)))
    (image.convert("RGBA") if mode == "RGBA" else image).save(
        path, pnginfo=_info({"parameters": A1111_TEXT}))
    obj, report = aigif.import_image(path, keep_pixels=True)
    codec = obj.compression.pixel_compressor
    assert report.pixels == codec and codec in _pixels.available()
    decoded = _pixels.decode(obj.payload.pixels, codec, 37, 23)
    assert decoded.tobytes() == image.tobytes()
    assert obj.payload.pixel_digest == _pixels.digest(image)
    sizes = {c: len(_pixels.encode(image, c)) for c in _pixels.available()}
    assert len(obj.payload.pixels) == min(sizes.values())
    back = aigif.loads(aigif.dumps(obj))
    assert back.payload == obj.payload


def test_keep_pixels_says_when_an_alpha_channel_is_not_kept(tmp_path):
    path = tmp_path / "alpha.png"
    image = Image.new("RGBA", (4, 4), (1, 2, 3, 128))
    image.save(path, pnginfo=_info({"parameters": A1111_TEXT}))
    _, report = aigif.import_image(path, keep_pixels=True)
    assert any("alpha" in note for note in report.notes)


def _info(texts: dict) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        info.add_text(key, value)
    return info


# ---------------------------------------------------------------------------------------------
# Bad input: one clear error, nothing written


def test_no_metadata_names_where_it_looked(tmp_path):
    path = tmp_path / "plain.png"
    Image.new("RGB", (4, 4)).save(path)
    with pytest.raises(aigif.SourceError) as err:
        aigif.import_image(path)
    assert err.value.code == "no-metadata" and "looked in" in err.value.message and "plain.png" in err.value.message


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is text, not a PNG")
    with pytest.raises(aigif.SourceError) as err:
        aigif.import_image(path)
    assert err.value.code == "not-an-image"


def test_malformed_metadata_names_the_field(tmp_path):
    path = png_with(tmp_path, {"parameters": A1111_TEXT.replace("Seed: 4242", "Seed: 12abc")})
    with pytest.raises(aigif.SourceError) as err:
        aigif.import_image(path)
    assert err.value.code == "bad-metadata" and "Seed" in str(err.value)


def test_cli_single_image(tmp_path):
    image = png_with(tmp_path, {"parameters": A1111_TEXT})
    out = tmp_path / "out.aigif"
    result = run(["import", str(image), "-o", str(out)])
    assert result.status == 0, result.stderr
    obj = aigif.read(out)
    assert obj.data.seed == 4242 and obj.source.tool == "AUTOMATIC1111"
    text = result.stdout.decode()
    assert "faithfulness: approximate" in text and "wrote" in text
    again = run(["import", str(image), "-o", str(out)])  # R10.4: no overwrite without --force
    assert again.status == 1 and again.error_code() == "exists"
    assert run(["import", str(image), "-o", str(out), "--force"]).status == 0


def test_cli_bad_single_image_writes_nothing(tmp_path):
    image = tmp_path / "plain.png"
    Image.new("RGB", (4, 4)).save(image)
    out = tmp_path / "out.aigif"
    result = run(["import", str(image), "-o", str(out)])
    assert result.status == 1 and result.error_code() == "no-metadata"
    assert not out.exists() and list(tmp_path.iterdir()) == [image]


def test_cli_folder_converts_the_good_and_reports_the_bad(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    png_with(folder, {"parameters": A1111_TEXT}, name="a.png")
    png_with(folder, {"parameters": A1111_TEXT.replace("4242", "9")}, name="b.png")
    Image.new("RGB", (4, 4)).save(folder / "c.png")  # no metadata
    (folder / "d.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")  # not an image
    out = tmp_path / "out"
    out.mkdir()
    result = run(["import", str(folder), "--out-dir", str(out), "--json"])
    assert result.status == 1  # something was skipped
    report = json.loads(result.stdout)
    assert report["totals"]["converted"] == 2 and report["totals"]["skipped"] == 2
    assert {Path(r["image"]).name: r.get("error") for r in report["files"]} == {
        "a.png": None, "b.png": None, "c.png": "no-metadata", "d.png": "not-an-image"}
    assert sorted(p.name for p in out.iterdir()) == ["a.aigif", "b.aigif"]
    assert aigif.read(out / "b.aigif").data.seed == 9
    assert len([line for line in result.stderr.splitlines() if line.startswith("aigif: error:")]) == 2
    assert "Traceback" not in result.stderr


def test_cli_folder_table_and_totals(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    png_with(folder, {"parameters": A1111_TEXT}, name="a.png")
    png_with(folder, {"parameters": A1111_TEXT}, name="a.jpg.png")
    result = run(["import", str(folder), "--keep-pixels"])
    assert result.status == 0, result.stderr
    text = result.stdout.decode()
    assert "2 of 2 converted (2 with pixels), 0 skipped" in text and "bytes of AIGIF" in text
    assert (folder / "a.aigif").exists() and (folder / "a.jpg.aigif").exists()


def test_cli_same_stem_different_formats_do_not_collide(tmp_path):
    png_with(tmp_path, {"parameters": A1111_TEXT}, name="x.png")
    Image.open(tmp_path / "x.png").convert("RGB").save(tmp_path / "x.webp", lossless=True)
    result = run(["import", str(tmp_path / "x.png"), str(tmp_path / "x.webp")])
    assert (tmp_path / "x.png.aigif").exists()
    assert result.status == 1  # the WebP copy has no metadata: reported, the PNG still converted


def test_info_shows_the_source_metadata(tmp_path):
    image = png_with(tmp_path, {"parameters": A1111_TEXT})
    out = tmp_path / "out.aigif"
    assert run(["import", str(image), "-o", str(out)]).status == 0
    shown = run(["info", str(out)])
    assert shown.status == 0
    text = shown.stdout.decode()
    assert "png:tEXt parameters" in text and "Negative prompt: blurry" in text and "approximate" in text


def test_folder_without_images_is_a_usage_error(tmp_path):
    result = run(["import", str(tmp_path)])
    assert result.status == 1 and result.error_code() == "not-found"


def test_importing_does_not_need_pillow_for_plain_png_text(tmp_path):
    """Reading PNG text chunks is done without Pillow (only stealth metadata and pixels need it)."""
    import subprocess
    import sys

    image = png_with(tmp_path, {"parameters": A1111_TEXT})
    code = ("import sys, aigif; aigif.import_image(sys.argv[1]); "
            "print('PIL' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(image)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_zlib_compressed_text_after_the_image_data(tmp_path):
    """zTXt after IDAT (as ImageMagick writes it) is found."""
    base = png_with(tmp_path, {}).read_bytes()
    iend = base.rindex(b"IEND") - 4
    body = b"parameters\x00\x00" + zlib.compress(A1111_TEXT.encode("latin-1"))
    chunk = len(body).to_bytes(4, "big") + b"zTXt" + body
    chunk += zlib.crc32(chunk[4:]).to_bytes(4, "big")
    path = tmp_path / "late.png"
    path.write_bytes(base[:iend] + chunk + base[iend:])
    obj, _ = aigif.import_image(path)
    assert obj.data.seed == 4242 and obj.source.metadata[0].where == "png:zTXt"


def test_cli_output_in_a_missing_folder_is_an_error_and_creates_nothing(tmp_path):
    image = png_with(tmp_path, {"parameters": A1111_TEXT})
    result = run(["import", str(image), "-o", str(tmp_path / "missing" / "out.aigif")])
    assert result.status == 1 and result.error_code() == "io-error"
    assert not (tmp_path / "missing").exists()
