"""The dialect layer of the importer: carriers (texts an image holds) → one ``Found`` record.

Unit tests build carriers by hand for each dialect's grammar edge cases; the golden tests read every
corpus file (tests/data/import/ when present, else the shared corpus) and compare with expected values
that were read by hand from each file's raw metadata text (not snapshotted from the parser's output).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from aigif._errors import SourceError
from aigif._import._dialects import parse
from aigif._import._dialects._a1111 import parse_infotext, scan_params
from aigif._import._dialects._comfyui import workflow_to_graph
from aigif._import._dialects._invokeai import parse_dream
from aigif._import._found import Carrier, Found, Lora


def png(key: str, text: str) -> Carrier:
    return Carrier("png:tEXt", key, text)


def exif(tag: str, text: str) -> Carrier:
    return Carrier(f"exif:{tag}", tag, text)


def one(*carriers: Carrier) -> Found:
    found = parse(list(carriers))
    assert found is not None
    return found


def bad(*carriers: Carrier) -> SourceError:
    with pytest.raises(SourceError) as err:
        parse(list(carriers))
    assert err.value.code == "bad-metadata"
    return err.value


A1111 = ("a photo of a cat, masterpiece\nNegative prompt: blurry, lowres\n"
         "Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234, Size: 512x768, "
         "Model hash: 45a21ea00a, Model: someModel_v1, Version: v1.10.1")


# ---------------------------------------------------------------------------------------------
# A1111 infotext grammar


def test_a1111_basic_fields():
    f = one(png("parameters", A1111))
    assert f.tool == "automatic1111" and f.tool_version == "v1.10.1"
    assert f.prompt == "a photo of a cat, masterpiece" and f.negative_prompt == "blurry, lowres"
    assert (f.steps, f.sampler, f.schedule, f.guidance_scale, f.seed) == (20, "DPM++ 2M", "Karras", 7.0, 1234)
    assert (f.width, f.height, f.model_hash, f.model_name) == (512, 768, "45a21ea00a", "someModel_v1")
    assert f.clip_skip == 1 and f.rng == "gpu"  # absent keys that matter: A1111's defaults
    assert f.passes == 1 and not f.img2img and f.problems == [] and f.extra == {}
    assert [c.key for c in f.carriers] == ["parameters"]


def test_a1111_pre_1_9_keeps_combined_sampler_and_no_schedule():
    text = "cat\nSteps: 28, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 367472097, Size: 704x384, " \
           "Model hash: 925997e9, Clip skip: 2, ENSD: 31337"
    f = one(png("parameters", text))
    assert f.sampler == "DPM++ 2M Karras" and f.schedule is None
    assert f.model_hash == "925997e9" and f.clip_skip == 2 and f.extra == {"ENSD": "31337"}
    assert f.negative_prompt is None


def test_a1111_quoted_values_with_commas_colons_and_newlines():
    text = ('cat <lora:foo:0.7> <lora:bar:0.5:0.2>\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, '
            'Lora hashes: "foo: 0123456789ab, bar: ba9876543210", '
            'ControlNet 0: "Module: canny, Model: control_v11p [d14c016b], Weight: 1", '
            'Hires prompt: "line one,\\nline \\"two\\"", Size: 64x64')
    f = one(png("parameters", text))
    assert f.width == 64  # parsing went on after the quoted values
    assert f.loras == [Lora("foo", 0.7, "0123456789ab"), Lora("bar", 0.5, "ba9876543210")]
    assert f.prompt == "cat <lora:foo:0.7> <lora:bar:0.5:0.2>"  # tags stay in the prompt
    assert f.extra["ControlNet 0"] == "Module: canny, Model: control_v11p [d14c016b], Weight: 1"
    assert f.hires == {"Hires prompt": 'line one,\nline "two"'}
    assert any("ControlNet" in p for p in f.problems)


def test_a1111_scan_matches_re_param_and_reads_brackets():
    line = 'Steps: 8, Size: 832x1216, Civitai resources: [{"type":"checkpoint","modelName":"A, B [x]"},' \
           '{"type":"lora","weight":0.7,"modelName":"L"}], Civitai metadata: {"remixOfId":1}, Hashes: {"model": "ab"}'
    assert scan_params(line) == [
        ("Steps", "8"), ("Size", "832x1216"),
        ("Civitai resources", '[{"type":"checkpoint","modelName":"A, B [x]"},{"type":"lora","weight":0.7,'
                              '"modelName":"L"}]'),
        ("Civitai metadata", '{"remixOfId":1}'), ("Hashes", '{"model": "ab"}')]


def test_civitai_resources_unquoted_json():
    text = ('cat\nNegative prompt:  negativeXL_D, greyscale\nSteps: 22, Sampler: DPM++ 2M Karras, CFG scale: 3.8, '
            'Seed: 894409639, Size: 832x1216, Clip skip: 2, Created Date: 2024-09-23T06:17:42.9952795Z, '
            'Civitai resources: [{"type":"checkpoint","modelVersionId":128078,"modelName":"SD XL",'
            '"modelVersionName":"v1.0 VAE fix"},{"type":"lora","weight":0.85,"modelVersionId":210432,'
            '"modelName":"Double Exposure"},{"type":"embed","modelVersionId":134583,"modelName":"negativeXL"}], '
            'Civitai metadata: {}')
    f = one(exif("UserComment", text))
    assert f.tool == "civitai" and f.seed == 894409639 and f.clip_skip == 2
    assert f.negative_prompt == "negativeXL_D, greyscale"
    assert f.model_name == "SD XL" and f.model_hash is None
    assert f.loras == [Lora("Double Exposure", 0.85), Lora("negativeXL", 1.0, kind="embedding")]
    assert f.extra["Created Date"] == "2024-09-23T06:17:42.9952795Z"
    assert json.loads(f.extra["Civitai resources"])[0]["modelVersionId"] == 128078


def test_a1111_dynamic_prompts_template_lines():
    text = (A1111 + "\nTemplate: a photo of a {cat|dog},\nmasterpiece\nNegative Template: blurry")
    f = one(png("parameters", text))
    assert f.seed == 1234 and f.prompt == "a photo of a cat, masterpiece"  # the resolved prompt was encoded
    assert f.extra["Template"] == "a photo of a {cat|dog},\nmasterpiece"
    assert f.extra["Negative Template"] == "blurry"


def test_a1111_break_and_quoted_negative_prompt_inside_prompt():
    text = ('a sign that reads "Negative prompt: none"\nBREAK\nsecond chunk\nNegative prompt: ugly\n'
            'Steps: 20, Sampler: Euler, CFG scale: 7, Seed: 5')
    f = one(png("parameters", text))
    assert f.prompt == 'a sign that reads "Negative prompt: none"\nBREAK\nsecond chunk'
    assert f.negative_prompt == "ugly"


def test_a1111_crlf_line_breaks():
    text = "line one, \r\nline two\r\n\r\nNegative prompt: neg \r\n\r\nSteps: 20, Sampler: Euler, CFG scale: 7, " \
           "Seed: 5, Size: 512x512\r\n"
    info = parse_infotext(text)
    assert info.prompt == "line one, \r\nline two\r\n" and info.negative == "neg \r\n"
    assert one(png("parameters", text)).width == 512


def test_a1111_prompt_kept_exactly():
    text = "general, masterpiece, \n1girl, テスト\n\nNegative prompt: bad, censor, \n\nSteps: 20, Sampler: Euler, " \
           "CFG scale: 7, Seed: 5"
    f = one(png("parameters", text))
    assert f.prompt == "general, masterpiece, \n1girl, テスト\n" and f.negative_prompt == "bad, censor, \n"


def test_a1111_last_line_needs_three_pairs():
    f = one(png("parameters", "a cat\nstyle: oil, mood: calm"))
    assert f.prompt == "a cat\nstyle: oil, mood: calm" and f.seed is None
    assert f.extra == {"infotext": "no parameters line"}


def test_a1111_hires_fix_is_a_second_pass():
    text = ("cat\nSteps: 4, Sampler: LCM, Schedule type: SGM Uniform, CFG scale: 1, Seed: 2582194946, "
            "Size: 1024x1024, Denoising strength: 0.6, Hires upscale: 1.5, Hires upscaler: Latent (nearest-exact), "
            "Version: f1.3.0-v1.10.1RC-latest-1038-g19395bf9")
    f = one(png("parameters", text))
    assert f.tool == "forge" and f.passes == 2 and f.strength is None and not f.img2img
    assert f.hires == {"Hires upscale": "1.5", "Hires upscaler": "Latent (nearest-exact)", "Denoising strength": "0.6"}
    assert (f.width, f.height) == (1024, 1024)


def test_a1111_img2img_and_variation_seed():
    text = ("cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 10, Size: 256x512, Denoising strength: 0.85, "
            "Mask blur: 4, Variation seed: 123, Variation seed strength: 0.2, Seed resize from: 512x512")
    f = one(png("parameters", text))
    assert f.img2img and f.strength == 0.85 and f.passes == 1
    assert "img2img: the source image is not stored" in f.problems
    assert "variation seed 123 strength 0.2" in f.problems
    assert any("Seed resize from" in p for p in f.problems)
    assert f.extra["Mask blur"] == "4" and f.extra["Variation seed"] == "123"


def test_a1111_writers_detected():
    base = "cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 5, Size: 512x512"
    assert one(png("parameters", base + ", Version: f2.0.1v1.10.1-previous-669-gdfdcbab6")).tool == "forge"
    sdnext = one(png("parameters", "cat\nSteps: 20, Size: 1024x1024, Seed: 1, CFG scale: 6, App: SD.Next, "
                                   "Version: 56a8aea, Pipeline: StableDiffusionXLPipeline"))
    assert sdnext.tool == "sdnext" and sdnext.sampler == "Default" and sdnext.tool_version == "56a8aea"
    assert one(png("parameters", base + ", Version: ComfyUI")).tool == "comfyui"
    assert one(png("parameters", base)).tool == "automatic1111"


def test_a1111_hashes_json_and_ti_hashes():
    text = ('cat <lora:style:0.45>, emb\nSteps: 10, Sampler: Euler, CFG scale: 5, Seed: 1, '
            'Hashes: {"model": "45a21ea00a", "lora:style": "abcdef123456", "embed:emb": "1234567890"}, '
            'TI hashes: "emb: 1234567890"')
    f = one(png("parameters", text))
    assert f.model_hash == "45a21ea00a"
    assert f.loras == [Lora("style", 0.45, "abcdef123456"),
                       Lora("emb", 1.0, "1234567890", "embedding", hash_kind="sha256-12")]  # A1111 TI hashes
    assert f.extra["Hashes"].startswith("{")


def test_a1111_lora_hash_without_tag_is_a_problem():
    f = one(png("parameters", 'cat\nSteps: 10, Sampler: Euler, CFG scale: 5, Seed: 1, Lora hashes: "ghost: 12ab"'))
    assert f.loras == [Lora("ghost", 1.0, "12ab")]
    assert any("ghost" in p and "weight" in p for p in f.problems)


def test_a1111_prompt_starting_with_brace_is_not_json():
    f = one(png("parameters", "{{best quality}}, 1girl\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 5"))
    assert f.prompt == "{{best quality}}, 1girl" and f.seed == 5
    assert one(png("parameters", "{masterpiece}, a cat")).prompt == "{masterpiece}, a cat"
    ed = one(png("prompt", "{masterpiece}, a cat"), png("seed", "5"), png("negative_prompt", "ugly"))
    assert (ed.tool, ed.prompt, ed.seed) == ("easydiffusion", "{masterpiece}, a cat", 5)


def test_paddlenlp_key_per_line():
    text = ("best quality, 1girl\nNegative prompt: umbrella, lowres\nSteps: 48\nSampler: DDIM\nCFG scale: 12.0\n"
            "Seed: 543900313\nwidth: 512\nheight: 768\neta: 0.0\nmodel_name: Linaqruf/anything-v3.0")
    f = one(png("parameters", text), png("Software", "PaddleNLP"))
    assert f.tool == "paddlenlp" and f.prompt == "best quality, 1girl" and f.negative_prompt == "umbrella, lowres"
    assert (f.steps, f.sampler, f.guidance_scale, f.seed, f.width, f.height) == (48, "DDIM", 12.0, 543900313, 512, 768)
    assert f.model_name == "Linaqruf/anything-v3.0" and f.eta == 0.0


def test_fooocus_a1111_scheme_back_to_fooocus_names():
    text = ("cat\nNegative prompt: ugly\nSteps: 30, Sampler: DPM++ 2M SDE Karras, Seed: 42, Size: 768x1280, "
            "CFG scale: 4, Sharpness: 2, Scheduler: karras, Raw prompt: cat, Version: Fooocus v2.4.3")
    f = one(png("parameters", text), png("fooocus_scheme", "a1111"))
    assert f.tool == "fooocus" and f.sampler == "dpmpp_2m_sde" and f.schedule == "karras"
    assert f.extra["Sampler"] == "DPM++ 2M SDE Karras" and f.extra["Raw prompt"] == "cat"


@pytest.mark.parametrize("line, field", [
    ("Steps: 20, Sampler: Euler, CFG scale: 7, Seed: 12x", "Seed"),
    ("Steps: 20, Sampler: Euler, CFG scale: 7, Seed: -5", "Seed"),
    (f"Steps: 20, Sampler: Euler, CFG scale: 7, Seed: {2**64}", "Seed"),
    ("Steps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: -512x512", "Size"),
    ("Steps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 0x512", "Size"),
    ("Steps: many, Sampler: Euler, CFG scale: 7, Seed: 1", "Steps"),
    ("Steps: 20, Sampler: Euler, CFG scale: nan, Seed: 1", "CFG scale"),
    ("Steps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Seed: 2", "Seed"),
])
def test_a1111_malformed_values(line, field):
    err = bad(png("parameters", "cat\n" + line))
    assert field in err.path and field in str(err)


def test_seed_up_to_2_64_minus_1():
    assert one(png("parameters", f"cat\nSteps: 1, Sampler: Euler, CFG scale: 7, Seed: {2**64 - 1}")).seed == 2**64 - 1


def test_stealth_copy_must_agree_with_the_text_chunk():
    stealth = Carrier("stealth:alpha", "stealth_pngcomp", A1111)
    f = one(png("parameters", A1111), stealth)
    assert [c.where for c in f.carriers] == ["png:tEXt", "stealth:alpha"]
    err = bad(png("parameters", A1111), Carrier("stealth:alpha", "stealth_pngcomp", A1111.replace("1234", "99")))
    assert "seed" in err.path
    alone = one(stealth)
    assert alone.seed == 1234 and alone.carriers == [stealth]


def test_jpeg_comment_only_counts_with_a_parameters_line():
    assert parse([Carrier("jpeg:COM", "Comment", "re-saved in GIMP")]) is None
    assert one(Carrier("jpeg:COM", "Comment", A1111)).seed == 1234


def test_exif_user_comment_needs_a_parameters_line():
    assert parse([exif("UserComment", "Shot on a sunny day")]) is None
    assert one(exif("UserComment", A1111)).seed == 1234


def test_png_parameters_and_exif_copy_must_agree():
    f = one(png("parameters", A1111), Carrier("exif:UserComment", "UserComment", A1111))
    assert f.seed == 1234
    other = A1111.replace("Steps: 20", "Steps: 21")
    err = bad(png("parameters", A1111), Carrier("exif:UserComment", "UserComment", other))
    assert "steps" in err.path


def test_no_generation_metadata():
    assert parse([]) is None
    assert parse([png("date:create", "2023-04-22T00:01:01+00:00"), png("Software", "GIMP")]) is None


def test_malformed_parameters_json():
    err = bad(png("parameters", '{"prompt": "cat", "seed": '))
    assert err.path == "parameters"


# ---------------------------------------------------------------------------------------------
# ComfyUI API graphs


def node(class_type: str, **inputs) -> dict:
    return {"class_type": class_type, "inputs": inputs}


def basic_graph(**sampler_inputs) -> dict:
    ks = dict(seed=42, steps=20, cfg=7.5, sampler_name="dpmpp_2m", scheduler="karras", denoise=1.0,
              model=["11", 0], positive=["6", 0], negative=["7", 0], latent_image=["5", 0])
    ks.update(sampler_inputs)
    return {
        "4": node("CheckpointLoaderSimple", ckpt_name="sd15/model.safetensors"),
        "10": node("LoraLoader", lora_name="a.safetensors", strength_model=0.8, strength_clip=0.5,
                   model=["4", 0], clip=["4", 1]),
        "11": node("LoraLoader", lora_name="b.safetensors", strength_model=1.2, strength_clip=1.2,
                   model=["10", 0], clip=["10", 1]),
        "12": node("CLIPSetLastLayer", stop_at_clip_layer=-2, clip=["11", 1]),
        "5": node("EmptyLatentImage", width=512, height=768, batch_size=1),
        "6": node("CLIPTextEncode", text="a cat", clip=["12", 0]),
        "7": node("CLIPTextEncode", text="blurry", clip=["12", 0]),
        "3": node("KSampler", **ks),
        "8": node("VAEDecode", samples=["3", 0], vae=["4", 2]),
        "9": node("SaveImage", filename_prefix="ComfyUI", images=["8", 0]),
    }


def comfy(graph: dict, *more: Carrier) -> Found:
    return one(png("prompt", json.dumps(graph)), *more)


def test_comfy_loras_clip_skip_and_checkpoint():
    f = comfy(basic_graph())
    assert f.tool == "comfyui" and f.rng == "cpu"
    assert (f.seed, f.steps, f.guidance_scale, f.sampler, f.schedule) == (42, 20, 7.5, "dpmpp_2m", "karras")
    assert (f.prompt, f.negative_prompt, f.width, f.height) == ("a cat", "blurry", 512, 768)
    assert f.model_name == "sd15/model.safetensors" and f.clip_skip == 2
    assert f.loras == [Lora("a.safetensors", 0.8, clip_weight=0.5), Lora("b.safetensors", 1.2)]
    assert f.extra["LoRA a.safetensors strength_clip"] == "0.5"
    assert f.passes == 1 and f.problems == []


def test_comfy_two_chained_samplers_first_pass_is_the_record():
    g = basic_graph()
    g["20"] = node("LatentUpscale", upscale_method="nearest-exact", width=1024, height=1536, crop="disabled",
                   samples=["3", 0])
    g["21"] = node("KSampler", seed=7, steps=10, cfg=5.0, sampler_name="euler", scheduler="normal", denoise=0.5,
                   model=["4", 0], positive=["6", 0], negative=["7", 0], latent_image=["20", 0])
    g["8"] = node("VAEDecode", samples=["21", 0], vae=["4", 2])
    f = comfy(g)
    assert f.passes == 2 and f.seed == 42 and (f.width, f.height) == (512, 768)
    assert f.hires["node"] == "21" and f.hires["seed"] == "7" and f.hires["denoise"] == "0.5"
    assert "model" not in f.hires and f.hires["loras"] == "[]"  # same checkpoint, without the first pass's LoRAs
    assert "LatentUpscale" in f.hires["via"]
    assert f.problems == []  # the second pass is recorded (test_import_passes.py has its values)
    assert [(p.kind, p.strength, p.width, p.height, p.upscaler) for p in f.later] == [
        ("hires", 0.5, 1024, 1536, "latent-nearest-exact")]


def test_comfy_two_outputs_from_independent_samplers():
    g = basic_graph()
    g["30"] = node("KSampler", seed=99, steps=30, cfg=4.0, sampler_name="euler", scheduler="normal", denoise=1.0,
                   model=["4", 0], positive=["6", 0], negative=["7", 0], latent_image=["5", 0])
    g["31"] = node("VAEDecode", samples=["30", 0], vae=["4", 2])
    g["32"] = node("SaveImage", filename_prefix="B", images=["31", 0])
    f = comfy(g)
    assert f.seed == 99 and f.passes == 1  # the last written of two equal chains
    assert any("saves 2 images" in p for p in f.problems)


def test_comfy_sampler_custom_advanced():
    g = {
        "1": node("UNETLoader", unet_name="flux1-dev.safetensors", weight_dtype="default"),
        "2": node("DualCLIPLoader", clip_name1="t5xxl.safetensors", clip_name2="clip_l.safetensors", type="flux"),
        "3": node("CLIPTextEncode", text="a fox", clip=["2", 0]),
        "4": node("FluxGuidance", guidance=3.5, conditioning=["3", 0]),
        "5": node("BasicGuider", model=["1", 0], conditioning=["4", 0]),
        "6": node("RandomNoise", noise_seed=2**63 + 5),
        "7": node("KSamplerSelect", sampler_name="euler"),
        "8": node("BasicScheduler", scheduler="simple", steps=28, denoise=1.0, model=["1", 0]),
        "9": node("EmptySD3LatentImage", width=1024, height=1024, batch_size=1),
        "10": node("SamplerCustomAdvanced", noise=["6", 0], guider=["5", 0], sampler=["7", 0], sigmas=["8", 0],
                   latent_image=["9", 0]),
        "11": node("VAEDecode", samples=["10", 1], vae=["12", 0]),
        "12": node("VAELoader", vae_name="ae.safetensors"),
        "13": node("SaveImage", filename_prefix="flux", images=["11", 0]),
    }
    f = comfy(g)
    assert (f.seed, f.steps, f.sampler, f.schedule) == (2**63 + 5, 28, "euler", "simple")
    assert f.guidance_scale == 3.5 and f.extra["FluxGuidance"] == "3.5"
    assert (f.prompt, f.negative_prompt, f.model_name, f.vae_name) == ("a fox", None, "flux1-dev.safetensors",
                                                                        "ae.safetensors")
    assert (f.width, f.height) == (1024, 1024) and f.clip_skip == 1


def test_comfy_sdxl_text_encoder_and_string_nodes():
    g = basic_graph()
    g["40"] = node("PrimitiveStringMultiline", value="a cat")
    g["41"] = node("StringConcatenate", string_a=["40", 0], string_b="in the snow", delimiter=", ")
    g["6"] = node("CLIPTextEncodeSDXL", width=1024, height=1024, crop_w=0, crop_h=0, target_width=1024,
                  target_height=1024, text_g=["41", 0], text_l="cat", clip=["12", 0])
    f = comfy(g)
    assert f.prompt == "a cat, in the snow" and f.extra["positive text_l"] == "cat"


def test_comfy_seed_from_a_node_and_too_big():
    g = basic_graph(seed=["50", 0])
    g["50"] = node("Seed (rgthree)", seed=123456789)
    assert comfy(g).seed == 123456789
    g["50"] = node("Seed (rgthree)", seed=2**64)
    err = bad(png("prompt", json.dumps(g)))
    assert "seed" in err.path


def test_comfy_cycles_and_dangling_links_do_not_hang():
    g = basic_graph(positive=["60", 0], negative=["99", 0])
    g["60"] = node("ConditioningCombine", conditioning_1=["61", 0], conditioning_2=["6", 0])
    g["61"] = node("ConditioningCombine", conditioning_1=["60", 0], conditioning_2=["7", 0])
    f = comfy(g)
    assert f.prompt is None and f.negative_prompt is None
    assert any("cycle" in p for p in f.problems)
    assert any("node 99" in p for p in f.problems)
    g = basic_graph(latent_image=["70", 0])
    g["70"] = node("LatentUpscaleBy", upscale_method="nearest-exact", scale_by=1.5, samples=["70", 0])
    assert comfy(g).width is None  # a latent that loops on itself: no size, no hang


def test_comfy_area_composition_joins_texts():
    g = basic_graph(positive=["60", 0])
    g["60"] = node("ConditioningCombine", conditioning_1=["61", 0], conditioning_2=["6", 0])
    g["61"] = node("ConditioningSetArea", width=256, height=256, x=0, y=0, strength=1.0, conditioning=["62", 0])
    g["62"] = node("CLIPTextEncode", text="the sky", clip=["12", 0])
    f = comfy(g)
    assert f.prompt == "the sky\na cat"
    assert any("ConditioningSetArea (node 61)" in p for p in f.problems)
    assert any("combines 2 texts" in p for p in f.problems)


def test_comfy_img2img_and_batch():
    g = basic_graph(latent_image=["80", 0], denoise=0.6)
    g["80"] = node("VAEEncode", pixels=["81", 0], vae=["4", 2])
    g["81"] = node("LoadImage", image="in.png")
    f = comfy(g)
    assert f.img2img and f.strength == 0.6 and f.width is None
    g = basic_graph()
    g["5"]["inputs"]["batch_size"] = 4
    f = comfy(g)
    assert f.extra["batch_size"] == "4" and any("batch of 4" in p for p in f.problems)


def test_comfy_saved_file_beats_a_preview():
    g = basic_graph()
    g["30"] = node("KSampler", seed=99, steps=30, cfg=4.0, sampler_name="euler", scheduler="normal", denoise=1.0,
                   model=["4", 0], positive=["6", 0], negative=["7", 0], latent_image=["5", 0])
    g["31"] = node("VAEDecode", samples=["30", 0], vae=["4", 2])
    g["32"] = node("PreviewImage", images=["31", 0])
    f = comfy(g)
    assert f.seed == 42 and f.problems == [] and f.extra["samplers not in this image"] == "30"


def test_comfy_post_processing_after_decode():
    g = basic_graph()
    g["90"] = node("ImageUpscaleWithModel", upscale_model=["91", 0], image=["8", 0])
    g["91"] = node("UpscaleModelLoader", model_name="4x.pth")
    g["9"]["inputs"]["images"] = ["90", 0]
    assert any("ImageUpscaleWithModel" in p for p in comfy(g).problems)


def test_comfy_exif_prefix_variants_and_saveimageplus():
    text = json.dumps(basic_graph())
    for tag, prefix in (("Model", "prompt:"), ("Make", "Prompt: ")):
        f = one(exif(tag, prefix + text), exif("ImageDescription", "Workflow: {}"))
        assert f.seed == 42 and f.tool == "comfyui"
    f = one(Carrier("exif:UserComment", "UserComment", json.dumps({"prompt": basic_graph(), "workflow": {}})))
    assert f.seed == 42


def test_comfy_malformed_prompt_json():
    err = bad(png("prompt", '{"3": {"class_type": "KSampler", '))
    assert err.path == "prompt"


def test_comfy_saver_text_and_graph_graph_wins():
    text = ("a cat\nNegative prompt: blurry\nSteps: 20, Sampler: dpmpp_2m_karras, CFG scale: 7.5, Seed: 41, "
            "Size: 512x768, Model: model.safetensors, Model hash: 45a21ea00a, Hashes: {\"model\": \"45a21ea00a\"}")
    f = one(png("parameters", text), png("prompt", json.dumps(basic_graph())))
    assert f.tool == "comfyui" and f.seed == 42 and f.extra["parameters: seed"] == "41"
    assert f.model_hash == "45a21ea00a" and f.sampler == "dpmpp_2m"
    assert f.extra["parameters: Sampler"] == "dpmpp_2m_karras"


def test_comfy_workflow_only():
    workflow = {
        "nodes": [
            {"id": 4, "type": "CheckpointLoaderSimple", "mode": 0, "widgets_values": ["m.safetensors"]},
            {"id": 5, "type": "EmptyLatentImage", "mode": 0, "widgets_values": [512, 512, 1]},
            {"id": 6, "type": "CLIPTextEncode", "mode": 0, "widgets_values": [""],
             "inputs": [{"name": "clip", "link": 1}, {"name": "text", "link": 2, "widget": {"name": "text"}}]},
            {"id": 7, "type": "CLIPTextEncode", "mode": 0, "widgets_values": ["ugly"],
             "inputs": [{"name": "clip", "link": 3}]},
            {"id": 13, "type": "PrimitiveNode", "mode": 0, "widgets_values": ["a red fox"]},
            {"id": 3, "type": "KSampler", "mode": 0, "widgets_values": [77, "randomize", 25, 6.5, "euler", "normal", 1],
             "inputs": [{"name": "model", "link": 4}, {"name": "positive", "link": 5},
                        {"name": "negative", "link": 6}, {"name": "latent_image", "link": 7}]},
            {"id": 8, "type": "VAEDecode", "mode": 0, "inputs": [{"name": "samples", "link": 8}]},
            {"id": 9, "type": "SaveImage", "mode": 0, "widgets_values": ["x"],
             "inputs": [{"name": "images", "link": 9}]},
            {"id": 20, "type": "KSampler", "mode": 2, "widgets_values": [1, "fixed", 5, 1, "euler", "normal", 1]},
        ],
        "links": [[1, 4, 1, 6, 0, "CLIP"], [2, 13, 0, 6, 1, "STRING"], [3, 4, 1, 7, 0, "CLIP"],
                  [4, 4, 0, 3, 0, "MODEL"], [5, 6, 0, 3, 1, "CONDITIONING"], [6, 7, 0, 3, 2, "CONDITIONING"],
                  [7, 5, 0, 3, 3, "LATENT"], [8, 3, 0, 8, 0, "LATENT"], [9, 8, 0, 9, 0, "IMAGE"]],
    }
    graph = workflow_to_graph(workflow)
    assert "20" not in graph and graph["6"]["inputs"]["text"] == "a red fox"
    f = one(png("workflow", json.dumps(workflow)))
    assert (f.seed, f.steps, f.guidance_scale, f.prompt, f.negative_prompt) == (77, 25, 6.5, "a red fox", "ugly")
    assert f.model_name == "m.safetensors" and (f.width, f.height) == (512, 512)
    assert f.problems[0].startswith("only the UI workflow is stored")


# ---------------------------------------------------------------------------------------------
# InvokeAI


def test_dream_unquoted_glued_and_variations():
    d = parse_dream("banana sushi -s50 -S 1863159593 -W512 -H 512 -C7.5 -Ak_lms -V 1614299449:0.2 -cf 0.75")
    assert d["prompt"] == "banana sushi" and d["steps"] == "50" and d["width"] == "512" and d["sampler"] == "k_lms"
    assert d["with_variations"] == "1614299449:0.2" and d["codeformer_fidelity"] == "0.75"
    f = one(png("Dream", "banana sushi -s50 -S 1863159593 -W512 -H 512 -C7.5 -Ak_lms -V 1614299449:0.2"))
    assert (f.tool, f.steps, f.seed, f.width, f.guidance_scale, f.sampler) == ("invokeai", 50, 1863159593, 512, 7.5,
                                                                             "k_lms")
    assert any("variation" in p for p in f.problems)


def test_dream_quoted_prompt_with_negative_brackets():
    f = one(png("Dream", '"a poney [woman, saddle] made of water [blue]" -s 20 -W 512 -H 768 -C 7.5 -A k_euler_a '
                         '-S 1654590180'))
    assert f.prompt == "a poney made of water " and f.negative_prompt == "woman, saddle blue"
    assert f.extra["prompt (as typed)"] == "a poney [woman, saddle] made of water [blue]"
    assert parse([png("Dream", "<too lazy to implement>")]) is None


def test_sd_metadata_images_list_and_dream_agreement():
    meta = {"model": "stable diffusion", "model_id": "stable-diffusion-1.4", "model_hash": "fe" * 32,
            "app_id": "lstein/stable-diffusion", "app_version": "v1.15",
            "images": [{"steps": 20, "cfg_scale": 7.5, "seed": 5, "width": 512, "height": 768, "type": "txt2img",
                        "prompt": [{"prompt": "a cat [dog]", "weight": 1.0}], "sampler": "k_euler_a",
                        "postprocessing": [{"type": "gfpgan", "strength": 0.8}]}]}
    dream = png("Dream", '"a cat [dog]" -s 20 -S 5 -W 512 -H 768 -C 7.5 -A k_euler_a')
    f = one(dream, png("sd-metadata", json.dumps(meta)))
    assert (f.prompt, f.negative_prompt, f.model_name, f.model_hash, f.tool_version) == (
        "a cat ", "dog", "stable-diffusion-1.4", "fe" * 32, "v1.15")
    assert any("gfpgan" in p for p in f.problems)
    err = bad(png("Dream", '"a cat" -s 20 -S 6 -W 512 -H 768 -C 7.5 -A k_euler_a'),
              png("sd-metadata", json.dumps(meta)))
    assert "seed" in err.path


def test_invokeai_metadata_3x_and_graph_seed():
    meta = {"app_version": "3.0.2post1", "generation_mode": "txt2img", "positive_prompt": "a (cat)+",
            "negative_prompt": "", "width": 512, "height": 512, "seed": 242772932, "rand_device": "cpu",
            "cfg_scale": 7.5, "steps": 15, "scheduler": "euler_k", "clip_skip": 0,
            "model": {"model_name": "stable-diffusion-v1-5", "base_model": "sd-1", "model_type": "main"},
            "loras": [{"lora": {"model_name": "detail", "base_model": "sd-1"}, "weight": 0.6}]}
    graph = {"nodes": {"noise": {"id": "noise", "type": "noise", "seed": 2681508600}}, "edges": []}
    f = one(png("invokeai_metadata", json.dumps(meta)), png("invokeai_graph", json.dumps(graph)))
    assert (f.seed, f.sampler, f.clip_skip, f.rng, f.model_name) == (242772932, "euler_k", 1, "cpu",
                                                                   "stable-diffusion-v1-5")
    assert f.loras == [Lora("detail", 0.6)] and f.extra["invokeai_graph noise seed"] == "2681508600"


def test_invokeai_metadata_6x_fields():
    meta = {"app_version": "6.2.0", "generation_mode": "sdxl_img2img", "positive_prompt": "p", "negative_prompt": "n",
            "width": 1024, "height": 1024, "seed": 1, "cfg_scale": 5, "steps": 30, "scheduler": "dpmpp_2m_k",
            "strength": 0.7, "model": {"key": "k", "hash": "blake3:" + "ab" * 32, "name": "juggernaut", "base": "sdxl",
                                       "type": "main"},
            "loras": [{"model": {"key": "l", "hash": "blake3:" + "cd" * 32, "name": "style", "base": "sdxl",
                                 "type": "lora"}, "weight": 0.75}],
            "vae": {"key": "v", "hash": "blake3:" + "ef" * 32, "name": "sdxl-vae", "base": "sdxl", "type": "vae"},
            "hrf_enabled": False, "controlnets": []}
    f = one(png("invokeai_metadata", json.dumps(meta)))
    assert f.model_hash == "blake3:" + "ab" * 32 and f.vae_name == "sdxl-vae"
    assert f.loras == [Lora("style", 0.75, "blake3:" + "cd" * 32)]
    assert f.img2img and f.strength == 0.7 and f.passes == 1


# ---------------------------------------------------------------------------------------------
# NovelAI, Fooocus, SwarmUI, misc


def nai(comment: dict, **chunks: str) -> list[Carrier]:
    base = {"Title": "NovelAI generated image", "Description": comment.get("prompt", "desc"), "Software": "NovelAI",
            "Source": "Stable Diffusion XL C1E1DE52", "Comment": json.dumps(comment)}
    base.update(chunks)
    return [png(k, v) for k, v in base.items()]


def test_novelai_v3():
    comment = {"prompt": " silvery white", "steps": 28, "height": 128, "width": 128, "scale": 10.0, "seed": 1148692016,
               "noise_schedule": "native", "sampler": "k_euler", "uc": "nsfw, {bad}", "cfg_rescale": 0.38,
               "request_type": "PromptGenerateRequest"}
    f = one(*nai(comment))
    assert (f.tool, f.prompt, f.negative_prompt, f.seed, f.steps, f.guidance_scale) == (
        "novelai", " silvery white", "nsfw, {bad}", 1148692016, 28, 10.0)
    assert (f.sampler, f.schedule, f.width, f.model_name) == ("k_euler", "native", 128, "Stable Diffusion XL C1E1DE52")
    assert f.problems == ["NovelAI models are not public"] and f.extra["cfg_rescale"] == "0.38"


def test_novelai_v4_prompts_and_stealth_agreement():
    comment = {"prompt": "1girl", "steps": 28, "height": 1216, "width": 832, "scale": 5.0, "seed": 7,
               "sampler": "k_euler_ancestral", "noise_schedule": "karras",
               "v4_prompt": {"caption": {"base_caption": "1girl", "char_captions": [
                   {"char_caption": "girl, red hair", "centers": [{"x": 0.5, "y": 0.5}]}]}},
               "v4_negative_prompt": {"caption": {"base_caption": "lowres", "char_captions": []}}}
    carriers = nai(comment, Source="NovelAI Diffusion V4.5 4BDE2A90")
    stealth = {c.key: c.text for c in carriers if c.key != "Title"}
    f = one(*carriers, Carrier("stealth:alpha", "stealth_pngcomp", json.dumps(stealth)))
    assert f.negative_prompt == "lowres" and f.schedule == "karras"
    assert any("character prompts (1)" in p for p in f.problems)
    stealth["Comment"] = json.dumps(dict(comment, seed=8))
    err = bad(*carriers, Carrier("stealth:alpha", "stealth_pngcomp", json.dumps(stealth)))
    assert "seed" in err.path
    only = one(Carrier("stealth:alpha", "stealth_pngcomp", json.dumps(dict(stealth, Comment=json.dumps(comment)))))
    assert only.tool == "novelai" and only.seed == 7


def test_novelai_webp_exif():
    comment = {"prompt": "1girl", "steps": 28, "height": 1216, "width": 832, "scale": 5.0, "seed": 3,
               "sampler": "k_euler_ancestral", "uc": "lowres"}
    f = one(exif("Software", "NovelAI Diffusion V4.5 C02D4F98"), exif("DocumentName", "NovelAI generated image"),
            exif("ImageDescription", "1girl"),
            exif("UserComment", json.dumps({"Comment": json.dumps(comment), "Generation time": "1.5"})))
    assert (f.tool, f.prompt, f.seed, f.model_name) == ("novelai", "1girl", 3, "NovelAI Diffusion V4.5 C02D4F98")


def test_novelai_2022_strength_is_not_img2img():
    f = one(*nai({"steps": 20, "sampler": "k_euler_ancestral", "seed": 1, "strength": 0.69, "noise": 0.667,
                  "scale": 12.0, "uc": "lowres"}, Description="{masterpiece}"))
    assert f.prompt == "{masterpiece}" and not f.img2img and f.extra["strength"] == "0.69"
    assert f.width is None and f.schedule is None


def test_novelai_bad_comment():
    bad(*nai({}, Comment="{not json"))


def test_fooocus_full_prompt_with_break():
    data = {"full_prompt": ["cat, cinematic", "cat, detailed"], "full_negative_prompt": ["ugly"], "prompt": "cat",
            "negative_prompt": "", "seed": "6952411511246973023", "steps": 30, "guidance_scale": 4,
            "resolution": "(768, 1280)", "sampler": "dpmpp_2m_sde_gpu", "scheduler": "karras", "sharpness": 2,
            "adm_guidance": "(1.5, 0.8, 0.3)", "base_model": "juggernautXL", "base_model_hash": "aeb7e9e689",
            "loras": [["add-detail.safetensors", 0.5, "0123456789"]], "refiner_model": "None", "clip_skip": 2,
            "metadata_scheme": "fooocus", "version": "Fooocus v2.4.3", "vae": "Default (model)"}
    f = one(png("parameters", json.dumps(data)), png("fooocus_scheme", "fooocus"))
    assert f.prompt == "cat, cinematic BREAK cat, detailed" and f.negative_prompt == "ugly"
    assert f.extra["prompt"] == "cat" and f.seed == 6952411511246973023 and (f.width, f.height) == (768, 1280)
    assert f.loras == [Lora("add-detail.safetensors", 0.5, "0123456789")] and f.passes == 1
    assert f.tool_version == "v2.4.3" and f.vae_name is None


def test_ruined_fooocus():
    data = {"Prompt": "cat", "Negative": "ugly", "steps": 30, "cfg": 8, "width": 1024, "height": 1024,
            "seed": 2020047614, "sampler_name": "dpmpp_2m_sde_gpu", "scheduler": "karras",
            "base_model_name": "wai.safetensors", "base_model_hash": "BEFC", "loras": [], "start_step": 0,
            "denoise": 1.0, "clip_skip": 1, "software": "RuinedFooocus"}
    f = one(png("parameters", json.dumps(data)))
    assert (f.tool, f.seed, f.sampler, f.model_hash, f.clip_skip) == ("ruined-fooocus", 2020047614,
                                                                       "dpmpp_2m_sde_gpu", "BEFC", 1)


def test_swarmui_wins_over_its_graph():
    data = {"sui_image_params": {"prompt": "cat", "negativeprompt": "ugly", "model": "wai", "seed": 5, "steps": 20,
                                 "cfgscale": 7.0, "width": 1024, "height": 1024, "sampler": "euler_ancestral",
                                 "scheduler": "karras", "loras": ["detail"], "loraweights": ["0.7"],
                                 "swarm_version": "0.9.7.4"},
            "sui_models": [{"name": "wai.safetensors", "param": "model", "hash": "0x22d8"},
                           {"name": "detail.safetensors", "param": "loras", "hash": "0xabcd"}]}
    f = one(png("prompt", json.dumps(basic_graph())), png("parameters", json.dumps(data, indent=2)))
    assert (f.tool, f.seed, f.model_name, f.model_hash, f.tool_version) == ("swarmui", 5, "wai", "0x22d8", "0.9.7.4")
    assert f.loras == [Lora("detail", 0.7, "0xabcd")] and f.extra["prompt graph seed"] == "42"
    assert [c.key for c in f.carriers] == ["parameters", "prompt"]


def test_tensorart_seed_from_graph():
    data = {"prompt": "cat", "negativePrompt": "ugly", "width": 1024, "height": 1024, "steps": 25, "cfgScale": 7,
            "seed": "-1", "clipSkip": 2, "baseModel": {"modelFileName": "WAI-16", "hash": "A5F5"},
            "ksamplerName": "euler_ancestral"}
    graph = basic_graph()
    graph["4"] = node("ECHOCheckpointLoaderSimple", ckpt_name="EMS-1234.safetensors")
    f = one(png("generation_data", json.dumps(data) + "\x00"), png("prompt", json.dumps(graph)))
    assert (f.tool, f.seed, f.prompt, f.model_name, f.model_hash) == ("tensorart", 42, "cat", "WAI-16", "A5F5")
    assert f.extra["generation_data seed"] == "-1"


def test_stability_matrix_cross_check():
    text = "cat\r\nNegative prompt: ugly\r\nSteps: 20, Sampler: Euler Ancestral Karras, CFG scale: 5, Seed: 3, " \
           "Size: 1024x1024, Model hash: A5F58EB1C3, Model: wai"
    sm = {"PositivePrompt": "cat", "NegativePrompt": "ugly", "Steps": 20, "Sampler": "Euler Ancestral",
          "CfgScale": 5, "Seed": 3, "Width": 1024, "Height": 1024, "ModelName": "wai"}
    f = one(png("parameters", text), png("parameters-json", json.dumps(sm)))
    assert f.tool == "stability-matrix" and f.sampler == "Euler Ancestral Karras" and f.schedule is None
    bad(png("parameters", text), png("parameters-json", json.dumps(dict(sm, Seed=4))))


def test_invokeai_graph_only():
    graph = {"id": "g", "nodes": {
        "pos": {"id": "pos", "type": "compel", "prompt": "a cat"},
        "neg": {"id": "neg", "type": "compel", "prompt": "ugly"},
        "noise": {"id": "noise", "type": "noise", "seed": 11, "width": 512, "height": 640},
        "dl": {"id": "dl", "type": "denoise_latents", "steps": 30, "cfg_scale": 6.5, "scheduler": "dpmpp_2m_k"},
        "mm": {"id": "mm", "type": "main_model_loader", "model": {"model_name": "sd15", "base_model": "sd-1"}}},
        "edges": [{"source": {"node_id": "pos", "field": "conditioning"},
                   "destination": {"node_id": "dl", "field": "positive_conditioning"}},
                  {"source": {"node_id": "neg", "field": "conditioning"},
                   "destination": {"node_id": "dl", "field": "negative_conditioning"}}]}
    f = one(png("invokeai_graph", json.dumps(graph)))
    assert (f.prompt, f.negative_prompt, f.seed, f.steps, f.sampler, f.width, f.height, f.model_name) == (
        "a cat", "ugly", 11, 30, "dpmpp_2m_k", 512, 640, "sd15")
    assert f.problems[0].startswith("only the InvokeAI graph")


def test_fooocus_mre_comment():
    data = {"prompt": "cat", "negative_prompt": "ugly", "width": 1152, "height": 896, "base_model": "sdxl.safetensors",
            "sampler": "dpmpp_2m_sde_gpu", "scheduler": "karras", "seed": 12, "cfg": 7, "steps": 30,
            "software": "Fooocus-MRE"}
    for carrier in (png("Comment", json.dumps(data)), Carrier("jpeg:COM", "Comment", json.dumps(data))):
        f = one(carrier)
        assert (f.tool, f.seed, f.width, f.model_name) == ("fooocus-mre", 12, 1152, "sdxl.safetensors")


def test_huggingface_space_json():
    data = {"prompt": "cat", "negative_prompt": "ugly", "resolution": "1024 x 1024", "guidance_scale": 5.5,
            "num_inference_steps": 24, "seed": 443800072, "sampler": "DPM++ 2M Karras", "Model": "WAI",
            "Model hash": "BDB5", "use_upscaler": None}
    f = one(png("parameters", json.dumps(data)))
    assert (f.tool, f.width, f.height, f.steps, f.sampler, f.schedule) == ("huggingface-space", 1024, 1024, 24,
                                                                          "DPM++ 2M Karras", None)
    assert f.extra["use_upscaler"] == "null"


def test_easydiffusion_chunks_and_drawthings_xmp():
    f = one(png("prompt", "a cat"), png("negative_prompt", "ugly"), png("seed", "5"),
            png("use_stable_diffusion_model", "sd-v1-5"), png("clip_skip", "True"), png("num_inference_steps", "25"),
            png("guidance_scale", "7.5"), png("sampler_name", "euler_a"), png("width", "512"), png("height", "512"))
    assert (f.tool, f.prompt, f.seed, f.model_name, f.clip_skip, f.steps) == ("easydiffusion", "a cat", 5, "sd-v1-5",
                                                                              2, 25)
    xmp = ('<x:xmpmeta><rdf:RDF><rdf:Description><exif:UserComment><rdf:Alt><rdf:li xml:lang="x-default">'
           '{&quot;c&quot;:&quot;a fox&quot;,&quot;uc&quot;:&quot;ugly&quot;,&quot;seed&quot;:9,&quot;steps&quot;:'
           '20,&quot;scale&quot;:6,&quot;size&quot;:&quot;512x768&quot;,&quot;sampler&quot;:&quot;DPM++ 2M Karras'
           '&quot;,&quot;model&quot;:&quot;sd_xl_base_1.0_f16.ckpt&quot;,&quot;strength&quot;:1}</rdf:li></rdf:Alt>'
           '</exif:UserComment></rdf:Description></rdf:RDF></x:xmpmeta>')
    f = one(Carrier("png:iTXt", "XML:com.adobe.xmp", xmp))
    assert (f.tool, f.prompt, f.negative_prompt, f.seed, f.width, f.height) == ("drawthings", "a fox", "ugly", 9,
                                                                              512, 768)


# ---------------------------------------------------------------------------------------------
# Golden tests on the real corpus (expected values read by hand from each file's raw metadata)

ROOT = Path(__file__).resolve().parents[1]  # tests/
CORPUS = ROOT / "data" / "import" if (ROOT / "data" / "import").is_dir() else Path("/work/shared/corpus/images")

WAI = "waiIllustriousSDXL_v160"
MIKU = "general, masterpiece, best quality, amazing quality, \n1girl, solo, hatsune miku, "
NEG_MIKU = "bad quality, worst quality, worst detail, sketch, censor,"
ANIME_NEG = "(hands), text, error, cropped, (worst quality:1.2)"
SAMPLE = ("tool", "seed", "steps", "guidance_scale", "width", "height", "sampler", "schedule", "model_name",
          "model_hash", "clip_skip", "passes", "img2img", "tool_version", "vae_name", "strength")

GOLDEN = {
    "automatic1111/prompt-extractor__SD.png": dict(
        tool="automatic1111", prompt="(masterpiece), (best quality), (ultra-detailed)",
        negative="bad anatomy,bad hands",
        seed=367472097, steps=28, guidance_scale=7.0, width=704, height=384, sampler="Euler a", schedule=None,
        model_name=None, model_hash="925997e9", clip_skip=2, passes=1, extra={"ENSD": "31337"}),
    "automatic1111/sd-metadata__sd-webui.jpg": dict(
        tool="automatic1111", tool_version="v1.10.1", prompt=MIKU, negative=NEG_MIKU, seed=3623174757, steps=20,
        guidance_scale=5.5, width=1024, height=1024, sampler="DPM++ 2M", schedule="Karras", model_name=WAI,
        model_hash="45a21ea00a", clip_skip=1, passes=1),
    "automatic1111/sd-metadata__sd-webui.png": dict(
        tool="automatic1111", tool_version="v1.10.1", prompt=MIKU + "テスト", negative=NEG_MIKU, seed=3782896554,
        steps=20, guidance_scale=7.0, width=1024, height=1024, sampler="DPM++ 2M", schedule="Karras", model_name=WAI,
        model_hash="45a21ea00a", clip_skip=1, passes=1),
    "automatic1111/sd-parsers__automatic1111_cropped.jpg": dict(
        tool="automatic1111", prompt="photo of a duck", negative="monochrome", seed=235284042, steps=15,
        guidance_scale=5.0, width=512, height=400, sampler="UniPC", schedule=None,
        model_name="realistic_realisticVisionV20_v20", model_hash="c0d1994c73", clip_skip=1, passes=1),
    "automatic1111/sd-parsers__automatic1111_cropped.png": dict(
        tool="automatic1111", prompt="photo of a duck", negative="monochrome", seed=235284042, steps=15,
        guidance_scale=5.0, width=512, height=400, sampler="UniPC", schedule=None,
        model_name="realistic_realisticVisionV20_v20", model_hash="c0d1994c73", clip_skip=1, passes=1),
    "automatic1111/sd-parsers__text_after_idat.png": dict(
        tool="automatic1111", prompt="photo of a duck", negative="monochrome", seed=235284042, steps=15,
        guidance_scale=5.0, width=512, height=400, sampler="UniPC", schedule=None,
        model_name="realistic_realisticVisionV20_v20", model_hash="c0d1994c73", clip_skip=1, passes=1),
    "automatic1111/sd-parsers__automatic1111_stealth.png": dict(
        tool="automatic1111", tool_version="v1.9.4-169-ga30b19dd", prompt="a circle", negative="a square",
        seed=2015833630, steps=20, guidance_scale=7.0, width=64, height=64, sampler="Euler", schedule="Automatic",
        model_name="realisticVisionV51_v51VAE", model_hash="15012c538f", clip_skip=2, passes=1,
        carriers=["stealth:alpha"]),
    "forge/sd-metadata__easy-reforge.png": dict(
        tool="forge", tool_version="f1.3.0-v1.10.1RC-latest-1038-g19395bf9",
        prompt="1girl, solo, hatsune miku, テスト, \n<lora:NoobV065sHyperDmd:1> masterpiece",
        negative="bad anatomy, worst quality, low quality", seed=2582194946, steps=4, guidance_scale=1.0,
        width=1024, height=1024, sampler="LCM", schedule="SGM Uniform", model_name="copycatNoob_v11",
        model_hash="6c015a2deb", clip_skip=1, passes=2, strength=None,
        loras=[Lora("NoobV065sHyperDmd", 1.0, "45b5bd0819cf")],
        hires={"Hires CFG Scale": "1", "Hires upscale": "1.5", "Hires upscaler": "Latent (nearest-exact)",
               "Denoising strength": "0.6"},
        later=[("hires", 0.6, 1536, 1536, "latent-nearest-exact", None)], problems=[]),
    "forge/sd-metadata__forge.png": dict(
        tool="forge", tool_version="f2.0.1v1.10.1-previous-669-gdfdcbab6", prompt=MIKU + "テスト", negative=NEG_MIKU,
        seed=747066619, steps=25, guidance_scale=5.0, width=1024, height=1024, sampler="Euler", schedule="Karras",
        model_name=WAI, model_hash="45a21ea00a", clip_skip=1, passes=1, carriers=["png:iTXt", "stealth:alpha"]),
    "sdnext/sd-metadata__sd-next-en.png": dict(
        tool="sdnext", tool_version="56a8aea", prompt=MIKU, negative=NEG_MIKU, seed=2251068289, steps=20,
        guidance_scale=6.0, width=1024, height=1024, sampler="Default", schedule=None, model_name=WAI,
        model_hash="45a21ea00a", clip_skip=1, passes=1,
        extra={"App": "SD.Next", "Pipeline": "StableDiffusionXLPipeline", "Operations": "txt2img"}),
    "comfyui/ComfyUI_examples__hypernetwork_example_output.png": dict(
        tool="comfyui", prompt="woman (fennec ears fox ears:1.1), marble statue, museum", negative="text, watermark",
        seed=572636856966402, steps=20, guidance_scale=8.0, width=512, height=512, sampler="uni_pc_bh2",
        schedule="normal", model_name="v1-5-pruned-emaonly.ckpt", model_hash=None, clip_skip=1, passes=1,
        loras=[Lora("dantionMarbleStatues_10.pt", 1.0, kind="hypernetwork")], problems=[]),
    "comfyui/ComfyUI_examples__sdxl_simple_example.png": dict(
        tool="comfyui", prompt="evening sunset scenery blue sky nature, glass bottle with a galaxy in it",
        negative="text, watermark", seed=721897303308196, steps=25, guidance_scale=8.0, width=1024, height=1024,
        sampler="euler", schedule="normal", model_name="sd_xl_base_1.0.safetensors", clip_skip=1, passes=2,
        hires_has={"node": "11", "model": "sd_xl_refiner_1.0.safetensors", "start_at_step": "20"},
        extra_has={"end_at_step": "20"}, later=[("refiner", 0.8, None, None, None, "sd_xl_refiner_1.0.safetensors")],
        problems=[]),
    "comfyui/ComfyUI_examples__sdxlturbo_example.png": dict(
        tool="comfyui", prompt="beautiful landscape scenery glass bottle with a galaxy inside cute fennec fox",
        negative="text, watermark", seed=0, steps=1, guidance_scale=1.0, width=512, height=512,
        sampler="euler_ancestral", schedule="SDTurboScheduler", model_name="sd_xl_turbo_1.0_fp16.safetensors",
        clip_skip=1, passes=1, problems=[]),
    "comfyui/comfyui-prompt-reader-node__simple_example.png": dict(
        tool="comfyui", prompt=None, seed=None, steps=None, sampler=None, model_name=None, width=None, passes=1,
        problem_start="only the UI workflow is stored"),
    "comfyui/sd-metadata__comfyui-save-image-extended.webp": dict(
        tool="comfyui", prompt=MIKU, negative=NEG_MIKU, seed=602057552457611, steps=20, guidance_scale=5.0,
        width=1024, height=1024, sampler="euler_ancestral", schedule="karras",
        model_name=WAI + ".safetensors", clip_skip=2, passes=1, problems=[]),
    "comfyui/sd-metadata__comfyui-saveimagewithmetadata.png": dict(
        tool="comfyui", prompt=MIKU, negative=NEG_MIKU, seed=38802053347333, steps=20, guidance_scale=5.0,
        width=1024, height=1024, sampler="euler_ancestral", schedule="karras", model_name=WAI + ".safetensors",
        model_hash="45a21ea00a", clip_skip=2, passes=1, extra_has={"parameters: Sampler": "euler_ancestral_karras"},
        carriers=["png:tEXt", "png:tEXt", "png:tEXt"]),
    "comfyui/sd-metadata__comfyui.png": dict(
        tool="comfyui", prompt=MIKU + "テスト, ", negative=NEG_MIKU, seed=422847914351919, steps=20,
        guidance_scale=5.0, width=1024, height=1024, sampler="euler_ancestral", schedule="karras",
        model_name=WAI + ".safetensors", model_hash=None, clip_skip=2, passes=1, problems=[]),
    "comfyui/sd-parsers__img2img_cropped.png": dict(
        tool="comfyui", prompt="photograph of victorian woman with wings, sky clouds, meadow grass\n",
        negative="watermark, text\n", seed=280823642470253, steps=20, guidance_scale=8.0, width=None, height=None,
        sampler="sample_dpmpp_2m", schedule="normal", model_name="v1-5-pruned-emaonly.ckpt", clip_skip=1, passes=1,
        img2img=True, strength=0.8700000000000001),
    "comfyui/sd-parsers__night_evening_day_morning_cropped.png": dict(
        tool="comfyui", prompt="(best quality) (night:1.3) (darkness) sky (black)", negative=ANIME_NEG,
        seed=335608130539327, steps=13, guidance_scale=8.5, width=704, height=1280, sampler="dpmpp_sde",
        schedule="normal", model_name="Anything-V3.0.ckpt", clip_skip=2, passes=2,
        vae_name="vae-ft-mse-840000-ema-pruned.safetensors",
        hires_has={"node": "24", "seed": "1122440447966177", "model": "AbyssOrangeMix2_hard.safetensors"}),
    "comfyui/sd-parsers__noisy_latents_3_subjects_cropped.png": dict(
        tool="comfyui", prompt="sky clouds nature national park beautiful winter snow scenery HDR landscape (sunset)\n",
        negative=ANIME_NEG, seed=512136241112371, steps=16, guidance_scale=7.0, width=1280, height=704,
        sampler="sample_dpmpp_sde", schedule="normal", model_name="Anything-V3.0.ckpt", clip_skip=2, passes=6,
        hires_has={"node": "24", "seed": "1084614416978598", "denoise": "0.54"}),
    "comfyui/sd-parsers__unclip_2pass_cropped.png": dict(
        tool="comfyui", prompt="\n(waifu, anime, exceptional, best aesthetic", negative="lowres, (bad anatomy)",
        seed=1106257833005336, steps=26, guidance_scale=8.0, width=1280, height=704, sampler="uni_pc_bh2",
        schedule="normal", model_name="wd-1-5-beta2-aesthetic-unclip-h-fp32.safetensors", clip_skip=1, passes=2,
        vae_name="kl-f8-anime2.ckpt", hires_has={"node": "41", "model": "cardosAnimated_v20.safetensors"}),
    "invokeai/InvokeAI__000001.1863159593.png": dict(
        tool="invokeai", tool_version="v2.02", prompt="banana sushi", negative=None, seed=1863159593, steps=50,
        guidance_scale=7.5, width=512, height=512, sampler="k_lms", model_name=None,
        model_hash="cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516", passes=1, problems=[]),
    "invokeai/InvokeAI__000002.1151955949.png": dict(
        tool="invokeai", prompt="banana sushi", seed=1151955949, steps=50, guidance_scale=7.5, width=512,
        height=512, sampler="plms", passes=1, problems=[]),
    "invokeai/InvokeAI__000003.2736230502.png": dict(
        tool="invokeai", prompt="banana sushi", seed=2736230502, steps=50, guidance_scale=7.5, sampler="ddim",
        passes=1, problems=[]),
    "invokeai/InvokeAI__000019.1592514025.png": dict(
        tool="invokeai", tool_version="v1.15", prompt="fire", seed=1592514025, steps=10, guidance_scale=7.5,
        width=384, height=384, sampler="k_euler", model_name="stable-diffusion-1.4",
        model_hash="fe4efff1e174c627256e44ec2991ba279b3816e364b49f9be2abc0b3ff3f8556", passes=1),
    "invokeai/InvokeAI__image1.png": dict(
        tool="invokeai", tool_version="v2.2.0", prompt="japanese gardener", seed=2202748743, steps=30,
        guidance_scale=7.5, width=512, height=512, sampler="k_euler_a", passes=1, problems=[]),
    "invokeai/InvokeAI__step4.png": dict(
        tool="invokeai", prompt="A fantastical translucent poney made of water and foam",
        negative="woman blue saddle", seed=1654590180, steps=20, guidance_scale=7.5, width=512, height=768,
        sampler="k_euler_a", model_name="stable-diffusion-1.4", passes=1, img2img=False),
    "invokeai/InvokeAI__blue-sphere-0.75-red-cube-0.25-hybrid.png": dict(
        tool="invokeai", tool_version="3.0.2post1", prompt='("blue sphere", "red cube").blend(0.75, 0.25)',
        negative="", seed=242772932, steps=15, guidance_scale=7.5, width=512, height=512, sampler="euler",
        model_name="stable-diffusion-v1-5", clip_skip=1, passes=1,
        extra_has={"invokeai_graph noise seed": "2681508600"}),
    "invokeai/sd-parsers__invokeai_dream1.png": dict(
        tool="invokeai", prompt="professional full body photo of young woman",
        negative="rendering, glowing eyes, skinny",
        seed=2980747362, steps=50, guidance_scale=5.0, width=512, height=768, sampler="k_lms", passes=1,
        problem_has="post-processing"),
    "invokeai/sd-parsers__invokeai_imeta1.png": dict(
        tool="invokeai", prompt="digital artwork, oil painting. painterly brushstrokes, holidays,",
        negative="grainy+, photo, oversaturated", seed=3293022630, steps=35, guidance_scale=8.0, width=1024,
        height=1024, sampler="euler", model_name="juggernautXL", vae_name="VAEFix", passes=1,
        problem_has="IP-Adapter"),
    "invokeai/sd-parsers__invokeai_sdmeta1.png": dict(
        tool="invokeai", tool_version="2.3.0", prompt="professional full body photo of young woman",
        negative="rendering, glowing eyes, skinny", seed=2980747362, steps=50, guidance_scale=5.0, width=512,
        height=768, sampler="k_lms", model_name="deliberateForInvoke_v08",
        model_hash="56d1442a0feefd64836a19ac8e3527ec71c884fc962e246ddf67b03e42921272", passes=1,
        problem_has="codeformer"),
    "novelai/novelai-python__sample-0316.png": dict(
        tool="novelai", prompt=" silvery white, best quality", negative="nsfw, lowres, {bad}", seed=1148692016,
        steps=28, guidance_scale=10.0, width=128, height=128, sampler="k_euler", schedule="native",
        model_name="Stable Diffusion XL C1E1DE52", passes=1, problems=["NovelAI models are not public"]),
    "novelai/prompt-extractor__NovelAI.png": dict(
        tool="novelai", prompt="masterpiece, best quality, {{{extremely detailed CG unity 8k wallpaper}}}",
        negative="lowres, bad anatomy, bad hands", seed=1138862044, steps=20, guidance_scale=12.0, width=None,
        sampler="k_euler_ancestral", schedule=None, model_name="Stable Diffusion ADDB53AF", passes=1,
        problems=["NovelAI models are not public"]),
    "novelai/sd-metadata__novelai-full.png": dict(
        tool="novelai", prompt="1girl, solo, hatsune miku, #テスト, very aesthetic, masterpiece, no text",
        negative="nsfw, lowres, artistic error", seed=2043807047, steps=28, guidance_scale=5.0, width=832,
        height=1216, sampler="k_euler_ancestral", schedule="karras", model_name="NovelAI Diffusion V4.5 4BDE2A90",
        passes=1, problems=["NovelAI models are not public"]),
    "novelai/sd-parsers__novelai1_cropped.png": dict(
        tool="novelai", prompt="masterpiece, best quality,  cat, space, icon", negative="lowres, bad anatomy",
        seed=2253955223, steps=50, guidance_scale=10.0, sampler="k_euler_ancestral",
        model_name="Stable Diffusion 1D44365E", passes=1),
    "fooocus/sd-parsers__fooocus1_cropped.png": dict(
        tool="fooocus", tool_version="v2.4.3", prompt="cinematic still a smiling goldfish . emotional",
        negative="(worst quality, low quality, normal quality", seed=6952411511246973023, steps=30,
        guidance_scale=4.0, width=768, height=1280, sampler="dpmpp_2m_sde_gpu", schedule="karras",
        model_name="juggernautXL_v8Rundiffusion", model_hash="aeb7e9e689", clip_skip=2, passes=1,
        extra_has={"prompt": "a smiling goldfish", "performance": "Speed"}),
    "swarmui/sd-metadata__swarmui.png": dict(
        tool="swarmui", tool_version="0.9.7.4", prompt=MIKU + "#テスト", negative=NEG_MIKU, seed=2083100758,
        steps=20, guidance_scale=7.0, width=1024, height=1024, sampler="euler_ancestral", schedule="karras",
        model_name=WAI, model_hash="0x22d8cb95b807b0c242576b676a12b07ae6b782b57ae4fe07a07254801b2d5d61", passes=1),
    "other/sd-metadata__huggingface-space.png": dict(
        tool="huggingface-space", prompt=MIKU + "テスト", negative=NEG_MIKU, seed=443800072, steps=24,
        guidance_scale=5.5, width=1024, height=1024, sampler="DPM++ 2M Karras", schedule=None,
        model_name="WAI NSFW illustrious SDXL v16",
        model_hash="BDB59BAC77D94AE7A55FF893170F9554C3F349E48A1B73C0C17C0B7C6F4D41A2", passes=1),
    "other/sd-metadata__gimp.jpg": None,  # negative control: only a JPEG comment from GIMP
}


def _carriers(path: Path) -> list[Carrier]:
    """The container layer when it is there; otherwise Pillow (text chunks, EXIF, the alpha LSB payload)."""
    try:
        from aigif._import._containers import read_carriers
    except ImportError:
        return _pillow_carriers(path)
    return read_carriers(path)[1]


def _pillow_carriers(path: Path) -> list[Carrier]:  # pragma: no cover - used only without _containers
    from PIL import Image

    out: list[Carrier] = []
    with Image.open(path) as im:
        if im.format == "PNG":
            out += [png(k, v) for k, v in im.text.items()]
        exif_data = im.getexif()
        for tag, name in ((0x010E, "ImageDescription"), (0x010F, "Make"), (0x0110, "Model"), (0x0131, "Software")):
            if isinstance(exif_data.get(tag), str):
                out.append(exif(name, exif_data[tag]))
        comment = exif_data.get_ifd(0x8769).get(0x9286)
        if isinstance(comment, bytes):
            body = comment[8:]
            be = len(body) > 1 and body[0] == 0
            text = body.decode("utf-16-be" if be else "utf-16-le") if comment[:8] == b"UNICODE\0" else body.decode()
            out.append(exif("UserComment", text))
        if "comment" in im.info:
            out.append(Carrier("jpeg:COM", "Comment", im.info["comment"].decode("utf-8", "replace")))
        if im.mode == "RGBA":
            alpha, (w, h) = im.getchannel("A").tobytes(), im.size

            def bits(start: int, count: int) -> int:
                value = 0
                for i in range(start, start + count):
                    value = value << 1 | (alpha[(i % h) * w + i // h] & 1)
                return value

            if bits(0, 120).to_bytes(15, "big") == b"stealth_pngcomp":
                n = bits(120, 32)
                payload = bits(152, n).to_bytes(n // 8, "big")
                out.append(Carrier("stealth:alpha", "stealth_pngcomp", gzip.decompress(payload).decode()))
    return out


def test_golden_covers_the_corpus():
    files = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.suffix.lower() in
             (".png", ".jpg", ".jpeg", ".webp")}
    assert files and files <= set(GOLDEN)  # every image there has hand-checked expectations


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden(name):
    expected = GOLDEN[name]
    if not (CORPUS / name).exists():
        pytest.skip(f"{name} is not in {CORPUS}")
    found = parse(_carriers(CORPUS / name))
    if expected is None:
        assert found is None
        return
    assert found is not None
    for key, value in expected.items():
        if key in SAMPLE or key in ("loras", "hires"):
            assert getattr(found, key) == value, key
        elif key == "prompt":
            assert value is None and found.prompt is None or found.prompt.startswith(value), key
        elif key == "negative":
            assert value is None and found.negative_prompt is None or found.negative_prompt.startswith(value), key
        elif key == "extra":
            assert found.extra == value
        elif key == "extra_has":
            assert value.items() <= found.extra.items()
        elif key == "hires_has":
            assert value.items() <= (found.hires or {}).items()
        elif key == "later":  # the passes after the first, as (kind, strength, width, height, upscaler, model)
            assert [(p.kind, p.strength, p.width, p.height, p.upscaler, p.model) for p in found.later] == value
        elif key == "problems":
            assert found.problems == value
        elif key == "problem_has":
            assert any(value in p for p in found.problems), found.problems
        elif key == "problem_start":
            assert found.problems[0].startswith(value)
        elif key == "carriers":
            assert [c.where for c in found.carriers] == value
        else:  # pragma: no cover
            raise AssertionError(f"unknown expectation {key}")
    if "loras" not in expected:
        assert found.loras == []
    assert found.carriers  # every record says what it was parsed from
    if found.passes > 1:  # every later pass is either recorded or a reason the image cannot be recreated
        assert found.problems or len(found.later) == found.passes - 1
