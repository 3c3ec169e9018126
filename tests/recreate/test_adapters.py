"""A file's VAE, LoRAs and embeddings: found by name (and hash) under --model-dir, applied, recreated bit
for bit, and taken off again so that the next file gets the clean pipeline."""

import dataclasses

import pytest
import torch
from safetensors.torch import save_file

import aigif
from aigif import Adapter, ModelRef, RecreateError
from aigif._recreate import _resources

pytestmark = pytest.mark.usefixtures("module_caches")

SETTINGS = dict(model="aigif-tiny-sd", prompt="a tinyemb cube on a table", width=64, height=64, seed=11, steps=3,
                pixel_digest=True)
KOHYA = Adapter("tiny-lora-kohya", weight=0.8)
EMBEDDING = Adapter("tinyemb", kind="embedding")


@pytest.fixture(scope="module")
def tree(model_fixtures):
    return model_fixtures[0] / "a1111"


@pytest.fixture(scope="module")
def plain(tree):
    return aigif.save(None, model_dirs=[tree], **SETTINGS).file.payload.pixel_digest


def _round_trip(tmp_path, tree, **options):
    saved = aigif.save(tmp_path / "x.aigif", model_dirs=[tree], **SETTINGS, **options)
    image = aigif.recreate(tmp_path / "x.aigif", model_dirs=[tree])
    assert image.info["aigif"]["digest"] == "verified", image.info["aigif"]
    return saved.file


@pytest.mark.parametrize("options", [
    {"adapters": [KOHYA]},
    {"adapters": [Adapter("tiny-lora-peft", weight=0.7), Adapter("tiny-lora-kohya-unet", weight=-0.5)]},
    {"adapters": [EMBEDDING]},
    {"vae": "tiny-vae-warm"},
    {"vae": "tiny-vae-warm", "adapters": [KOHYA, EMBEDDING]},
], ids=["kohya-lora", "two-loras-peft-and-kohya", "embedding", "vae", "lora-embedding-vae"])
def test_save_then_recreate_is_bit_exact_and_changes_the_image(tmp_path, tree, plain, options):
    file = _round_trip(tmp_path, tree, **options)
    assert file.payload.pixel_digest != plain
    recorded = [a.hash for a in file.model.adapters] + ([file.model.vae.hash] if file.model.vae else [])
    assert all(h and h.startswith("sha256:") for h in recorded)  # the file names the very bytes used


def test_the_comfyui_tree_gives_the_same_pixels(model_fixtures):
    files = [aigif.save(None, model_dirs=[model_fixtures[0] / tree], vae="tiny-vae-warm",
                        adapters=[KOHYA, EMBEDDING], **SETTINGS).file for tree in ("a1111", "comfyui")]
    assert files[0].payload.pixel_digest == files[1].payload.pixel_digest


def test_a_lora_weight_changes_the_image(tree):
    digests = {aigif.save(None, model_dirs=[tree], adapters=[dataclasses.replace(KOHYA, weight=w)],
                          **SETTINGS).file.payload.pixel_digest for w in (0.8, 0.4)}
    assert len(digests) == 2


def test_an_embedding_acts_only_where_its_trigger_is_in_the_prompt(tree, plain):
    untriggered = dict(SETTINGS, prompt="a cube on a table")
    with_file = aigif.save(None, model_dirs=[tree], adapters=[EMBEDDING], **untriggered).file
    without = aigif.save(None, model_dirs=[tree], **untriggered).file
    assert with_file.payload.pixel_digest == without.payload.pixel_digest
    negative = aigif.save(None, model_dirs=[tree], adapters=[EMBEDDING], negative_prompt="tinyemb",
                          **untriggered).file
    assert negative.payload.pixel_digest != without.payload.pixel_digest


@pytest.mark.slow
def test_a_cached_pipeline_comes_back_clean_after_adapters(tree, plain):
    """One engine: the plain file, then every adapter, then the plain file again, bit for bit."""
    from aigif import _recreate

    engine = _recreate.Engine(model_dirs=[tree])
    first = _recreate.save(None, engine=engine, **{k: v for k, v in SETTINGS.items()})[0].payload.pixel_digest
    _recreate.save(None, engine=engine, vae="tiny-vae-warm", adapters=(KOHYA, EMBEDDING,
                   Adapter("tiny-lora-peft", weight=0.5)), **SETTINGS)
    _recreate.save(None, engine=engine, adapters=(Adapter("tiny-lora-kohya-unet", weight=1.0),), **SETTINGS)
    again = _recreate.save(None, engine=engine, **SETTINGS)[0].payload.pixel_digest
    assert first == again == plain
    assert len(engine._loaded) == 1  # one pipeline, adapters switched on it


@pytest.mark.parametrize("options, code, named", [
    ({"adapters": [Adapter("no-such-lora")]}, "model-not-found", "no-such-lora.safetensors"),
    ({"adapters": [Adapter("tiny-lora-kohya", hash="sha256:" + "0" * 64)]}, "hash-mismatch",
     "tiny-lora-kohya.safetensors"),
    ({"adapters": [Adapter("tinyemb", kind="embedding", hash="autov3:000000000000")]}, "hash-mismatch",
     "tinyemb.safetensors"),
    ({"vae": ModelRef("tiny-vae-warm", hash="autov2:0000000000")}, "hash-mismatch", "tiny-vae-warm.safetensors"),
    ({"vae": "missing-vae"}, "model-not-found", "models/VAE"),
    ({"adapters": [Adapter("../escape")]}, "model-refused", "../escape"),
])
def test_a_missing_or_other_resource_is_refused_in_one_line_naming_it(tree, options, code, named):
    with pytest.raises(RecreateError) as caught:
        aigif.save(None, model_dirs=[tree], **SETTINGS, **options)
    assert caught.value.code == code and named in caught.value.message
    assert "\n" not in str(caught.value)


def test_recreating_with_a_changed_lora_file_is_a_hash_mismatch(tmp_path, tree):
    saved = aigif.save(None, model_dirs=[tree], adapters=[KOHYA], **SETTINGS).file
    other = tmp_path / "models" / "Lora"
    other.mkdir(parents=True)
    (other / "tiny-lora-kohya.safetensors").write_bytes((tree / "models/Lora/tiny-lora-kohya-unet.safetensors")
                                                        .read_bytes())
    with pytest.raises(RecreateError) as caught:
        aigif.recreate(saved, model_dirs=[tmp_path])
    assert caught.value.code == "hash-mismatch" and "tiny-lora-kohya.safetensors" in caught.value.message


def _lora_dir(tmp_path, name, tensors, folder="models/Lora"):
    (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(tmp_path / folder / f"{name}.safetensors"))
    return tmp_path


def test_adapters_that_do_not_fit_are_refused_naming_the_file(tmp_path, tree):
    cases = [
        ("loha", {"lora_unet_down_blocks_1_attentions_0_proj_in.hada_w1_a": torch.zeros(4, 64)}, "lora",
         "cannot-honour"),
        ("wide", {"lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight":
                  torch.ones(4, 320), "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q"
                  ".lora_up.weight": torch.ones(320, 4)}, "lora", "model-refused"),
        ("elsewhere", {"lora_unet_input_blocks_99_1_proj_in.lora_down.weight": torch.ones(4, 64),
                       "lora_unet_input_blocks_99_1_proj_in.lora_up.weight": torch.ones(64, 4)}, "lora",
         "model-refused"),
    ]
    for name, tensors, kind, code in cases:
        _lora_dir(tmp_path, name, tensors)
        with pytest.raises(RecreateError) as caught:
            aigif.save(None, model_dirs=[tmp_path, tree], adapters=[Adapter(name, kind=kind)], **SETTINGS)
        assert caught.value.code == code and f"{name}.safetensors" in caught.value.message, (name, caught.value)
    _lora_dir(tmp_path, "wideemb", {"emb_params": torch.ones(2, 768)}, folder="embeddings")
    with pytest.raises(RecreateError) as caught:
        aigif.save(None, model_dirs=[tmp_path, tree], adapters=[Adapter("wideemb", kind="embedding")], **SETTINGS)
    assert caught.value.code == "cannot-honour" and "wideemb.safetensors" in caught.value.message
    assert "768" in caught.value.message and "64" in caught.value.message


def test_a_pickle_adapter_is_refused_naming_it(tmp_path):
    (tmp_path / "embeddings").mkdir()
    (tmp_path / "embeddings" / "old.pt").write_bytes(b"\x80\x04")
    with pytest.raises(RecreateError) as caught:
        _resources.find_resource("embedding", "old", None, [tmp_path])
    assert caught.value.code == "model-refused" and str(tmp_path / "embeddings" / "old.pt") in caught.value.message


def test_kinds_this_version_cannot_apply_are_refused_before_loading(tree):
    obj = aigif.save(None, model_dirs=[tree], **SETTINGS).file
    hyper = dataclasses.replace(obj, model=dataclasses.replace(obj.model, adapters=(
        Adapter("style", kind="hypernetwork"),)))
    with pytest.raises(RecreateError) as caught:
        aigif.recreate(hyper, model_dirs=[tree])
    assert caught.value.code == "cannot-honour" and "'style'" in caught.value.message


def test_hashes_of_every_kind(model_fixtures):
    root, hashes = model_fixtures
    path = root / "a1111/models/Lora/tiny-lora-kohya.safetensors"
    sha = hashes["a1111/models/Lora/tiny-lora-kohya.safetensors"]
    data = path.read_bytes()
    import hashlib
    import zlib

    tensors = hashlib.sha256(data[8 + int.from_bytes(data[:8], "little"):]).hexdigest()
    for given in (f"sha256:{sha}", f"autov2:{sha[:10]}", f"autov3:{tensors[:12]}", f"crc32:{zlib.crc32(data):08x}"):
        assert _resources.find_resource("lora", "tiny-lora-kohya.safetensors", given, [root / "a1111"]) == path
    assert tensors != sha  # AutoV3 skips the header


def test_a_recorded_trigger_replaces_the_file_name(tree):
    """R6.11: field 27 gives an embedding another trigger; the same vectors at the same place give the
    same pixels, proven by the file's own digest."""
    saved = aigif.save(None, model_dirs=[tree], adapters=[EMBEDDING], **SETTINGS).file
    renamed = dataclasses.replace(
        saved, data=dataclasses.replace(saved.data, prompt=saved.data.prompt.replace("tinyemb", "<cat-toy>")),
        model=dataclasses.replace(saved.model, embedding_triggers={"tinyemb": "<cat-toy>"}))
    image = aigif.recreate(aigif.loads(aigif.dumps(renamed)), model_dirs=[tree])
    assert image.info["aigif"]["digest"] == "verified", image.info["aigif"]


@pytest.mark.parametrize("name, expected", [("EasyNegative.safetensors", "EasyNegative"), ("bad_hands.pt", "bad_hands"),
                                            ("style.v2.bin", "style.v2"), ("no-extension", "no-extension"),
                                            ("emb.SAFETENSORS", "emb"), ("notes.txt", "notes.txt"), (".pt", ".pt")])
def test_an_embeddings_default_trigger_is_its_name_without_the_extension(name, expected):
    """R6.11: the extensions .safetensors, .pt, .bin, .ckpt and .pth are left out."""
    from aigif._recreate._adapters import trigger

    assert trigger(aigif.Model(), Adapter(name, kind="embedding")) == expected


def test_each_kind_is_looked_for_in_the_folders_of_both_tools(tmp_path):
    """A1111/Forge and ComfyUI folder names, in any case, under the directory or its models folder;
    LoRA and LyCORIS share folders, the kind's own first; the directory itself last."""
    for folder in ("models/Lora", "models/LyCORIS", "models/VAE", "embeddings", "loras", "models/Stable-diffusion"):
        (tmp_path / folder).mkdir(parents=True)
    names = lambda kind: [str(p.relative_to(tmp_path)) for p in _resources.kind_folders(tmp_path, kind)]  # noqa: E731
    assert names("lora") == ["loras", "models/Lora", "models/LyCORIS", "."]
    assert names("lycoris") == ["models/LyCORIS", "loras", "models/Lora", "."]
    assert names("vae") == ["models/VAE", "."]
    assert names("embedding") == ["embeddings", "."]
    assert names("checkpoint") == ["models/Stable-diffusion", "."]
    assert names("hypernetwork") == ["."]


def test_the_command_line_records_a_vae_loras_and_an_embedding(tree, tmp_path):
    """``aigif save --vae --lora NAME[:WEIGHT] --embedding``: the same file as the library call."""
    from helpers import run

    out = tmp_path / "cli.aigif"
    result = run(["save", str(out), "--prompt", SETTINGS["prompt"], "--width", "64", "--height", "64", "--seed", "11",
                  "--steps", "3", "--pixel-digest", "--model-dir", str(tree), "--vae", "tiny-vae-warm",
                  "--lora", "tiny-lora-kohya:0.8", "--embedding", "tinyemb"])
    assert result.status == 0, result.stderr
    obj = aigif.read(out)
    assert obj.model.vae.name == "tiny-vae-warm" and obj.model.vae.hash.startswith("sha256:")
    assert [(a.name, a.kind, a.weight) for a in obj.model.adapters] == [("tiny-lora-kohya", "lora", 0.8),
                                                                        ("tinyemb", "embedding", 1.0)]
    assert aigif.recreate(out, model_dirs=[tree]).info["aigif"]["digest"] == "verified"


@pytest.mark.parametrize("value", ["name:heavy", ":0.5", "x:nan"])
def test_a_lora_option_that_is_not_name_and_weight_is_bad_usage(value, tmp_path):
    from helpers import run

    result = run(["save", str(tmp_path / "x.aigif"), "--prompt", "p", "--lora", value])
    assert result.status == 2 and "--lora" in result.stderr and not (tmp_path / "x.aigif").exists()
