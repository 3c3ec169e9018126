"""Import into the issue-15 fields: passes (field 25: hires fix, refiner), LoRAs and embeddings with
their hashes (field 7), the VAE, embedding triggers (field 27), and the verdict that names each
resource and each pass.

The infotexts and graphs are written here, small, in the shape each tool writes them (A1111's
``modules/processing.py`` and ``extra_networks.py`` read for the facts: the hires target is
``int(side * factor)``, ``Size`` is the first pass's, ``<lora:…>`` tags leave the positive prompt
before it is encoded). The last tests go over the real images of ``tests/data/import`` (and the
shared corpus's originals when ``../shared`` is there) and print which resources they need.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import aigif
from aigif._format._model import Pass
from aigif._import import _to_aigif
from aigif._import._dialects import parse
from aigif._import._dialects._a1111 import hires_target
from aigif._import._found import Carrier, ImageInfo

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "import"
ORIGINALS = ROOT.parent / "shared" / "corpus" / "images"  # on the project's machines, not in CI
SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def png(key: str, text: str) -> Carrier:
    return Carrier("png:tEXt", key, text)


def imported(*carriers: Carrier, size: tuple[int, int] = (1, 1)):
    """(AIGIF file, verdict, notes) for these carriers, as ``import_image`` makes them (image of ``size``)."""
    found = parse(list(carriers))
    assert found is not None
    obj, verdict, notes = _to_aigif(found, ImageInfo("PNG", size[0], size[1], "RGB"), list(carriers), "test.png")
    back = aigif.loads(aigif.dumps(obj))  # every value written here is one the format holds
    assert (back.data, back.model) == (obj.data, obj.model)
    return obj, verdict, notes


def a1111(params: str, prompt: str = "a cat", negative: str = "blurry", size: tuple[int, int] = (1, 1)):
    text = (f"{prompt}\nNegative prompt: {negative}\nSteps: 20, Sampler: DPM++ 2M, Schedule type: Karras, "
            f"CFG scale: 7, Seed: 1234, {params}, Model hash: 45a21ea00a, Model: someModel_v1, Version: v1.10.1")
    return imported(png("parameters", text), size=size)


# ---------------------------------------------------------------------------------------------
# A1111 / Forge hires fix


def test_hires_factor_is_a_pass_and_size_stays_the_first_pass():
    obj, verdict, _ = a1111("Size: 512x768, Denoising strength: 0.55, Hires upscale: 2, Hires upscaler: Latent")
    assert (obj.data.width, obj.data.height) == (512, 768)  # A1111 writes the first pass's size
    assert obj.data.strength is None  # the denoising strength is the hires pass's, not img2img's
    assert obj.data.passes == (Pass("hires", 0.55, width=1024, height=1536, upscaler="latent"),)
    assert verdict.level == "approximate"
    # the recreator runs such a pass: the verdict names it, and it lowers nothing
    assert [r for r in verdict.reasons if "pass" in r] == [
        "the hires pass (Latent, x2, denoise 0.55): recorded as pass 2, which the recreator runs"]


@pytest.mark.parametrize(("first", "scale", "resize", "target"), [
    ((832, 1216), 1.25, None, (1040, 1520)),
    ((512, 512), 1.33, None, (680, 680)),  # int(512 * 1.33) = 680: truncated, not rounded
    ((1024, 1024), 1.5, None, (1536, 1536)),
    ((512, 768), None, (1024, 0), (1024, 1536)),  # one side given: the other keeps the aspect ratio
    ((512, 768), None, (0, 1000), (666, 1000)),  # 1000 * 512 // 768
    ((512, 768), None, (1920, 1080), (1920, 1080)),  # both: cover, then crop to exactly this
    ((512, 512), None, None, (1024, 1024)),  # no factor written: A1111's default 2
])
def test_hires_target_size_as_a1111_computes_it(first, scale, resize, target):
    assert hires_target(first[0], first[1], scale, resize) == target


def test_hires_size_not_a_multiple_of_8_is_recorded_and_said():
    """A1111 resizes to int(512 * 1.3) = 665; its latents are 665 // 8 = 83 wide, so the result is 664."""
    obj, verdict, _ = a1111("Size: 512x512, Denoising strength: 0.5, Hires upscale: 1.3")
    assert (obj.data.passes[0].width, obj.data.passes[0].height) == (664, 664)  # a latent upscale: exact
    assert not any("665" in r for r in verdict.reasons)
    obj, verdict, _ = a1111("Size: 512x512, Denoising strength: 0.5, Hires upscale: 1.3, Hires upscaler: Lanczos")
    assert (obj.data.passes[0].width, obj.data.passes[0].height) == (664, 664)
    assert any("resized to 665x665, which its latents round down to 664x664" in r for r in verdict.reasons)


def test_hires_resize_and_all_optional_parts():
    obj, verdict, _ = a1111(
        'Size: 512x768, Denoising strength: 0.4, Hires resize: 1024x1536, Hires steps: 12, '
        'Hires upscaler: R-ESRGAN 4x+, Hires sampler: Euler a, Hires schedule type: Uniform, Hires CFG Scale: 4.5, '
        'Hires checkpoint: otherModel_v2 [0123456789], Hires prompt: "a cat, detailed", '
        'Hires negative prompt: "lowres, blurry"')
    (p,) = obj.data.passes
    assert p == Pass("hires", 0.4, width=1024, height=1536, upscaler="R-ESRGAN 4x+", model="otherModel_v2",
                     model_hash="autov2:0123456789", scheduler="euler_a", steps=12, guidance_scale=4.5,
                     prompt="a cat, detailed", negative_prompt="lowres, blurry")
    text = " | ".join(verdict.reasons)
    assert "upscaling model 'R-ESRGAN 4x+'" in text and "model 'otherModel_v2' (autov2:0123456789)" in text
    assert "schedule (Uniform) differs" in text  # the first pass's is Karras: AIGIF records one set of options


def test_hires_defaults_are_left_out():
    obj, _, _ = a1111("Size: 512x512, Denoising strength: 0.7, Hires upscale: 2, Hires steps: 0, "
                      "Hires upscaler: Latent (bicubic antialiased), Hires sampler: Use same sampler, "
                      "Hires checkpoint: Use same checkpoint")
    assert obj.data.passes == (Pass("hires", 0.7, width=1024, height=1024, upscaler="latent-bicubic-antialiased"),)


@pytest.mark.parametrize(("name", "registry"), [
    ("Latent", "latent"), ("Latent (antialiased)", "latent-antialiased"), ("Latent (bicubic)", "latent-bicubic"),
    ("Latent (bicubic antialiased)", "latent-bicubic-antialiased"), ("Latent (nearest)", "latent-nearest"),
    ("Latent (nearest-exact)", "latent-nearest-exact"), ("None", "none"), ("Lanczos", "lanczos"),
    ("Nearest", "nearest"), ("4x-UltraSharp", "4x-UltraSharp"), ("ESRGAN_4x", "ESRGAN_4x"),
])
def test_hires_upscaler_names(name, registry):
    obj, verdict, _ = a1111(f"Size: 512x512, Denoising strength: 0.5, Hires upscale: 2, Hires upscaler: {name}")
    assert obj.data.passes[0].upscaler == registry
    assert any(f"upscaling model {name!r}" in r for r in verdict.reasons) == (name == registry)


def test_hires_hires_prompt_alone_keeps_the_first_negative():
    obj, _, _ = a1111('Size: 512x512, Denoising strength: 0.5, Hires upscale: 2, Hires prompt: "a dog"')
    assert (obj.data.passes[0].prompt, obj.data.passes[0].negative_prompt) == ("a dog", "blurry")


def test_old_first_pass_size_means_size_is_final():
    obj, _, _ = a1111("Size: 1024x1024, Denoising strength: 0.6, First pass size: 512x512")
    assert (obj.data.width, obj.data.height) == (512, 512)
    assert obj.data.passes == (Pass("hires", 0.6, width=1024, height=1024),)
    obj, _, _ = a1111("Size: 1024x768, Denoising strength: 0.6, First pass size: 0x0")  # chosen automatically
    assert (obj.data.width, obj.data.height) == (640, 448)  # ~512x512 pixels, sides rounded up to 64
    assert (obj.data.passes[0].width, obj.data.passes[0].height) == (1024, 768)


def test_a_final_size_written_as_size_is_recognised_by_the_image():
    """The issue's case: ``Size: 1536x1536`` on a 1536x1536 image upscaled x1.5 is the final size."""
    obj, _, notes = a1111("Size: 1536x1536, Denoising strength: 0.5, Hires upscale: 1.5", size=(1536, 1536))
    assert (obj.data.width, obj.data.height) == (1024, 1024)
    assert (obj.data.passes[0].width, obj.data.passes[0].height) == (1536, 1536)
    assert any("final size" in n for n in notes)
    obj, _, notes = a1111("Size: 1024x1024, Denoising strength: 0.5, Hires upscale: 1.5", size=(1536, 1536))
    assert (obj.data.width, obj.data.height) == (1024, 1024) and not any("final size" in n for n in notes)


def test_sdnext_hires_size_is_the_target():
    text = ("a cat\nSteps: 20, Size: 512x512, Seed: 1, CFG scale: 6, Sampler: Euler a, App: SD.Next, "
            "Second pass: True, Hires steps: 10, Hires upscaler: Latent, Hires upscale: 2, Hires resize: 0x0, "
            "Hires size: 1024x1024, Denoising strength: 0.45")
    obj, _, _ = imported(png("parameters", text))
    assert obj.data.passes == (Pass("hires", 0.45, width=1024, height=1024, upscaler="latent", steps=10),)


def test_hires_without_a_strength_is_not_recreatable():
    obj, verdict, _ = a1111("Size: 512x512, Hires upscale: 2")
    assert obj.data.passes == () and verdict.level == "not-recreatable"


# ---------------------------------------------------------------------------------------------
# Refiners


def test_a1111_refiner():
    obj, verdict, _ = a1111("Size: 1024x1024, Refiner: sd_xl_refiner_1.0 [7440042bbd], Refiner switch at: 0.8")
    assert obj.data.passes == (Pass("refiner", 0.8, model="stable-diffusion-xl-refiner-1.0",
                                    model_hash="autov2:7440042bbd"),)
    assert verdict.level == "approximate"
    assert any("refiner pass" in r and "leaves the pass out" in r for r in verdict.reasons), verdict.reasons


def test_hires_and_refiner_together_in_a1111_order():
    obj, _, _ = a1111("Size: 1024x1024, Denoising strength: 0.3, Hires upscale: 1.5, "
                      "Refiner: sd_xl_refiner_1.0 [7440042bbd], Refiner switch at: 0.8")
    assert [p.kind for p in obj.data.passes] == ["hires", "refiner"]


def test_fooocus_refiner():
    data = {"prompt": "a cat", "negative_prompt": "", "full_prompt": ["a cat"], "full_negative_prompt": [],
            "steps": 30, "guidance_scale": 4, "seed": "5", "resolution": "(1024, 1024)", "sampler": "dpmpp_2m_sde_gpu",
            "scheduler": "karras", "base_model": "juggernautXL_v8", "refiner_model": "sd_xl_refiner_1.0.safetensors",
            "refiner_switch": 0.667, "metadata_scheme": "fooocus", "version": "Fooocus v2.4.3"}
    obj, _, _ = imported(png("parameters", json.dumps(data)), png("fooocus_scheme", "fooocus"))
    assert obj.data.passes == (Pass("refiner", 0.667, model="stable-diffusion-xl-refiner-1.0"),)


def test_invokeai_refiner_and_hires_fix():
    meta = {"generation_mode": "sdxl_txt2img", "positive_prompt": "a cat", "negative_prompt": "", "width": 1024,
            "height": 1024, "seed": 1, "rand_device": "cpu", "cfg_scale": 7.0, "steps": 30, "scheduler": "euler",
            "model": {"name": "sdxl", "base": "sdxl", "type": "main"},
            "refiner_model": {"name": "sdxl-refiner", "hash": "blake3:" + "ab" * 32},
            "refiner_start": 0.75, "refiner_steps": 20, "refiner_cfg_scale": 5.0, "refiner_scheduler": "dpmpp_2m_k",
            "refiner_positive_aesthetic_score": 6, "refiner_negative_aesthetic_score": 2.5}
    obj, verdict, _ = imported(png("invokeai_metadata", json.dumps(meta)))
    assert obj.data.passes == (Pass("refiner", 0.75, model="sdxl-refiner", model_hash="blake3:" + "ab" * 32,
                                    scheduler="dpmpp_2m", steps=20, guidance_scale=5.0),)
    assert any("aesthetic scores" in r for r in verdict.reasons)
    meta = dict(meta, hrf_enabled=True, hrf_strength=0.45, hrf_method="ESRGAN")
    del meta["refiner_model"]
    obj, verdict, _ = imported(png("invokeai_metadata", json.dumps(meta)))
    assert [(p.kind, p.strength) for p in obj.data.passes] == [("hires", 0.45)]
    assert verdict.level == "not-recreatable"  # the first pass's size is not recorded
    assert any("first pass's size" in r for r in verdict.reasons)



@pytest.mark.parametrize(("extra", "expected"), [
    ({"refinermethod": "StepSwap", "refinercontrolpercentage": 0.2, "refinermodel": "sd_xl_refiner_1.0"},
     Pass("refiner", 0.8, model="stable-diffusion-xl-refiner-1.0")),
    ({"refinermethod": "PostApply", "refinercontrolpercentage": 0.4, "refinerupscale": 1.5,
      "refinerupscalemethod": "latent-bicubic", "refinersteps": 15},
     Pass("hires", 0.4, width=1536, height=1536, upscaler="latent-bicubic", steps=15)),
    ({"refinercontrolpercentage": 0.3, "refinerupscale": 2, "refinerupscalemethod": "model-4x-UltraSharp.pth"},
     Pass("hires", 0.3, width=2048, height=2048, upscaler="4x-UltraSharp.pth")),
])
def test_swarmui_refiner_stage(extra, expected):
    params = {"prompt": "a cat", "negativeprompt": "", "model": "someModel", "seed": 1, "steps": 20, "cfgscale": 7.0,
              "width": 1024, "height": 1024, "sampler": "euler", "scheduler": "normal", **extra}
    obj, _, _ = imported(png("parameters", json.dumps({"sui_image_params": params})))
    assert obj.data.passes == (expected,)

# ---------------------------------------------------------------------------------------------
# LoRAs, embeddings, VAE


def test_lora_and_ti_hashes_become_adapters_and_tags_leave_the_prompt():
    obj, verdict, notes = a1111(
        'Size: 512x512, Lora hashes: "detail: 0123456789ab, style: abcdef012345", '
        'TI hashes: "easynegative: c74b4e810b03, badhandv4: 5e40d722fc3d"',
        prompt="a cat, <lora:detail:0.6>, <lora:style:1.2> masterpiece", negative="easynegative, badhandv4")
    adapters = {a.name: a for a in obj.model.adapters}
    assert (adapters["detail"].weight, adapters["detail"].hash) == (0.6, "autov3:0123456789ab")
    assert (adapters["style"].weight, adapters["style"].hash) == (1.2, "autov3:abcdef012345")
    assert adapters["easynegative"].kind == "embedding" and adapters["easynegative"].hash == "sha256-12:c74b4e810b03"
    assert obj.model.embedding_triggers == {}  # the name as written is the trigger (R6.11's default)
    assert obj.data.prompt == "a cat, ,  masterpiece"  # A1111's parse_prompt replaces each tag by ""
    assert obj.data.negative_prompt == "easynegative, badhandv4"  # A1111 parses only the positive prompt
    assert "<lora:detail:0.6>" in obj.source.metadata[0].text and any("<lora:" in n for n in notes)
    text = " | ".join(verdict.reasons)
    assert "needs lora 'detail' (weight 0.6, autov3:0123456789ab)" in text
    assert "needs embedding 'easynegative' (sha256-12:c74b4e810b03)" in text
    assert "weighting syntax" not in text  # the tags were the only syntax, and they are gone


def test_an_embedding_named_like_a_file_gets_its_trigger_recorded():
    obj, _, _ = a1111('Size: 512x512, TI hashes: "neg.pt: c74b4e810b03"', negative="neg.pt")
    assert obj.model.embedding_triggers == {"neg.pt": "neg.pt"}


def test_comfyui_prompts_keep_their_tags():
    """ComfyUI does not parse ``<lora:…>`` (core nodes): the text is encoded as written."""
    graph = _graph()
    graph["6"]["inputs"]["text"] = "a cat <lora:x:1>"
    obj, _, _ = imported(png("prompt", json.dumps(graph)))
    assert obj.data.prompt == "a cat <lora:x:1>"


def test_vae_with_its_hash():
    obj, verdict, _ = a1111("Size: 512x512, VAE hash: 235745af8d, VAE: sdxl_vae.safetensors")
    assert (obj.model.vae.name, obj.model.vae.hash) == ("sdxl_vae.safetensors", "autov2:235745af8d")
    assert any("needs VAE 'sdxl_vae.safetensors' (autov2:235745af8d)" in r for r in verdict.reasons)


def test_model_hash_and_hash_kinds():
    obj, verdict, _ = a1111("Size: 512x512")
    assert obj.model.hash == "autov2:45a21ea00a"
    assert any("model 'someModel_v1' (autov2:45a21ea00a)" in r for r in verdict.reasons)


# ---------------------------------------------------------------------------------------------
# ComfyUI graphs


def node(class_type: str, **inputs) -> dict:
    return {"class_type": class_type, "inputs": inputs}


def _graph() -> dict:
    return {
        "4": node("CheckpointLoaderSimple", ckpt_name="sd15.safetensors"),
        "10": node("LoraLoader", lora_name="detail.safetensors", strength_model=0.8, strength_clip=0.5,
                   model=["4", 0], clip=["4", 1]),
        "5": node("EmptyLatentImage", width=512, height=768, batch_size=1),
        "6": node("CLIPTextEncode", text="a cat", clip=["10", 1]),
        "7": node("CLIPTextEncode", text="blurry", clip=["10", 1]),
        "3": node("KSampler", seed=42, steps=20, cfg=7.0, sampler_name="euler", scheduler="normal", denoise=1.0,
                  model=["10", 0], positive=["6", 0], negative=["7", 0], latent_image=["5", 0]),
        "30": node("VAELoader", vae_name="vae-ft-mse-840000-ema-pruned.safetensors"),
        "8": node("VAEDecode", samples=["3", 0], vae=["30", 0]),
        "9": node("SaveImage", filename_prefix="ComfyUI", images=["8", 0]),
    }


def _second(graph: dict, latent: list, **inputs) -> dict:
    ks = dict(seed=42, steps=20, cfg=7.0, sampler_name="euler", scheduler="normal", denoise=0.5,
              model=["10", 0], positive=["6", 0], negative=["7", 0], latent_image=latent)
    ks.update(inputs)
    graph["21"] = node("KSampler", **ks)
    graph["8"] = node("VAEDecode", samples=["21", 0], vae=["30", 0])
    return graph


def test_comfyui_lora_vae_and_different_clip_strength():
    obj, verdict, _ = imported(png("prompt", json.dumps(_graph())))
    assert [(a.name, a.weight) for a in obj.model.adapters] == [("detail.safetensors", 0.8)]
    assert obj.model.vae.name == "vae-ft-mse-840000-ema-pruned.safetensors"
    assert any("clip strength 0.5 differ" in r for r in verdict.reasons), verdict.reasons


def test_comfyui_latent_upscale_by_is_a_hires_pass():
    g = _graph()
    g["20"] = node("LatentUpscaleBy", upscale_method="bicubic", scale_by=1.5, samples=["3", 0])
    obj, verdict, _ = imported(png("prompt", json.dumps(_second(g, ["20", 0], denoise=0.45, steps=12))))
    assert obj.data.passes == (Pass("hires", 0.45, width=768, height=1152, upscaler="latent-bicubic", steps=12),)
    assert (obj.data.width, obj.data.height) == (512, 768)
    assert verdict.level == "approximate", verdict.reasons


def test_comfyui_latent_upscale_area_has_no_upscaler():
    g = _graph()
    g["20"] = node("LatentUpscale", upscale_method="area", width=1024, height=1536, crop="disabled", samples=["3", 0])
    obj, verdict, _ = imported(png("prompt", json.dumps(_second(g, ["20", 0]))))
    assert obj.data.passes[0].upscaler == "latent-area" and verdict.level == "not-recreatable"


def test_comfyui_upscale_model_then_image_scale():
    g = _graph()
    g["40"] = node("UpscaleModelLoader", model_name="4x-UltraSharp.pth")
    g["41"] = node("ImageUpscaleWithModel", upscale_model=["40", 0], image=["8b", 0])
    g["8b"] = node("VAEDecode", samples=["3", 0], vae=["30", 0])
    g["42"] = node("ImageScale", upscale_method="lanczos", width=1024, height=1536, crop="disabled", image=["41", 0])
    g["43"] = node("VAEEncode", pixels=["42", 0], vae=["30", 0])
    obj, verdict, _ = imported(png("prompt", json.dumps(_second(g, ["43", 0], denoise=0.35))))
    assert obj.data.passes == (Pass("hires", 0.35, width=1024, height=1536, upscaler="4x-UltraSharp.pth"),)
    assert any("upscaling model '4x-UltraSharp.pth'" in r for r in verdict.reasons)
    del g["42"]
    g["43"]["inputs"]["pixels"] = ["41", 0]  # no explicit size: the model's factor is not in the graph
    obj, verdict, _ = imported(png("prompt", json.dumps(_second(g, ["43", 0], denoise=0.35))))
    assert obj.data.passes[0].width is None and verdict.level == "not-recreatable"
    assert any("x4" in r for r in verdict.reasons)


def test_comfyui_second_seed_is_said():
    g = _graph()
    g["20"] = node("LatentUpscale", upscale_method="nearest-exact", width=1024, height=1536, crop="disabled",
                   samples=["3", 0])
    obj, verdict, _ = imported(png("prompt", json.dumps(_second(g, ["20", 0], seed=7))))
    assert any("seed 7" in r for r in verdict.reasons)


def test_comfyui_sdxl_refiner_chain():
    g = _graph()
    g["3"] = node("KSamplerAdvanced", add_noise="enable", noise_seed=42, steps=25, cfg=7.0, sampler_name="euler",
                  scheduler="normal", start_at_step=0, end_at_step=20, return_with_leftover_noise="enable",
                  model=["10", 0], positive=["6", 0], negative=["7", 0], latent_image=["5", 0])
    g["12"] = node("CheckpointLoaderSimple", ckpt_name="sd_xl_refiner_1.0.safetensors")
    g["11"] = node("KSamplerAdvanced", add_noise="disable", noise_seed=0, steps=25, cfg=7.0, sampler_name="euler",
                   scheduler="normal", start_at_step=20, end_at_step=10000, return_with_leftover_noise="disable",
                   model=["12", 0], positive=["6", 0], negative=["7", 0], latent_image=["3", 0])
    g["8"] = node("VAEDecode", samples=["11", 0], vae=["30", 0])
    obj, _, _ = imported(png("prompt", json.dumps(g)))
    assert obj.data.passes == (Pass("refiner", 0.8, model="stable-diffusion-xl-refiner-1.0"),)


# ---------------------------------------------------------------------------------------------
# Over the real images: what each needs


def _images() -> dict[str, Path]:
    out = {}
    for folder in (FIXTURES, ORIGINALS):  # the originals win: the fixtures are cropped copies
        if folder.is_dir():
            out.update({p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*"))
                        if p.suffix.lower() in SUFFIXES})
    return out


def needs(obj) -> Counter:
    """The resources an imported file asks a recreation for, by kind."""
    counts: Counter = Counter()
    for adapter in obj.model.adapters:
        counts[str(adapter.kind)] += 1
    if obj.model.vae is not None:
        counts["vae"] += 1
    for p in obj.data.passes:
        counts[f"{p.kind} pass"] += 1
        if p.model is not None:
            counts["pass model"] += 1
        if p.upscaler is not None and p.upscaler not in aigif._format._registry.REGISTRIES["upscaler"].codes:
            counts["upscaling model"] += 1
    return counts


#: real image -> what it needs (the fixtures are cropped copies of the shared corpus's images)
EXPECTED = {
    "forge/sd-metadata__easy-reforge.png": {"lora": 1, "hires pass": 1},
    "comfyui/ComfyUI_examples__sdxl_simple_example.png": {"refiner pass": 1, "pass model": 1},
    "comfyui/ComfyUI_examples__hypernetwork_example_output.png": {"hypernetwork": 1},
    "comfyui/sd-parsers__night_evening_day_morning_cropped.png": {"vae": 1, "hires pass": 1, "pass model": 1},
    "comfyui/sd-parsers__unclip_2pass_cropped.png": {"vae": 1, "hires pass": 1, "pass model": 1},
    "comfyui/sd-parsers__noisy_latents_3_subjects_cropped.png": {"vae": 1},  # six composited samplers: unrecorded
    "invokeai/sd-parsers__invokeai_imeta1.png": {"vae": 1},
}


def test_the_real_images_need_what_their_metadata_says():
    images = _images()
    assert images, "tests/data/import is missing"
    for name, expected in EXPECTED.items():
        if name not in images:
            continue
        obj, _ = aigif.import_image(images[name])
        assert dict(needs(obj)) == expected, name


def test_resource_summary_of_the_real_images(capsys):
    """A table for the issue's closing note: how many real images need each kind of resource."""
    images = _images()
    per_kind: Counter = Counter()  # images needing at least one
    resources: Counter = Counter()  # resources in all
    rows = []
    for name, path in images.items():
        try:
            obj, report = aigif.import_image(path)
        except aigif.SourceError:
            continue
        counts = needs(obj)
        resources.update(counts)
        per_kind.update(counts.keys())
        if counts:
            rows.append(f"  {name:<60} {report.faithfulness:<16} "
                        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        for p in obj.data.passes:  # every pass the file records is said by its verdict
            assert any(f"the {p.kind} pass" in r for r in report.reasons), (name, report.reasons)
    with capsys.disabled():
        print(f"\n{len(images)} real images; resources they need:")
        print("\n".join(rows))
        for kind in sorted(per_kind):
            print(f"  {kind:<16} {per_kind[kind]} image(s), {resources[kind]} in all")
    assert per_kind["hires pass"] >= 1 and per_kind["refiner pass"] >= 1 and per_kind["lora"] >= 1


def test_the_corpus_survey_counts_resources_and_what_the_recreator_honours():
    """tools/importer/corpus_resources.py over the committed fixtures (the cropped corpus): each kind
    counted once per resource; a pickle VAE and a refiner pass are not honoured, a LoRA is."""
    import sys

    from helpers import ROOT

    sys.path.insert(0, str(ROOT / "tools" / "importer"))
    import corpus_resources

    result = corpus_resources.survey(ROOT / "tests" / "data" / "import")
    kinds = result["by_kind"]
    assert result["imported"] > 30
    assert kinds["refiner pass"]["resources"] >= 1 and kinds["refiner pass"]["honoured"] == 0
    assert kinds["lora"]["honoured"] == kinds["lora"]["resources"] >= 1
    assert kinds["vae"]["honoured"] < kinds["vae"]["resources"]  # kl-f8-anime2.ckpt: pickle, never loaded
    for counts in kinds.values():
        assert 0 <= counts["honoured"] <= counts["resources"] and counts["images"] <= counts["resources"]


def test_comfyui_embedding_syntax_becomes_an_embedding_with_its_trigger():
    """ComfyUI writes ``embedding:NAME`` in the prompt text: an embedding adapter named NAME, and field
    27 records the text that triggers it (R6.11), so a recreation feeds the same words."""
    from aigif._import._dialects._comfyui import _embeddings
    from aigif._import._found import Found
    from aigif._import._mapping import adapters_for, embedding_triggers_for

    found = Found("comfyui")
    found.loras = _embeddings("a cat, embedding:cat-toy.pt, (embedding:style:1.2)",
                              "embedding:EasyNegative, blurry, embedding:style")
    assert [(a.name, a.kind, a.weight) for a in adapters_for(found)] == [
        ("cat-toy.pt", "embedding", 1.0), ("style", "embedding", 1.0), ("EasyNegative", "embedding", 1.0)]
    assert embedding_triggers_for(found) == {"cat-toy.pt": "embedding:cat-toy.pt", "style": "embedding:style",
                                             "EasyNegative": "embedding:EasyNegative"}
