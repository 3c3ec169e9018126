"""Kinds and families from safetensors headers (only the header is read), and bad headers refused."""

from __future__ import annotations

import struct
from pathlib import PurePath

import pytest

from aigif._errors import LibraryError
from aigif._library._kinds import family, folder_kind, header_kind
from aigif._library._safetensors import MAX_HEADER, read_header
from library_helpers import NAMES, write_safetensors

CASES = [
    ("lora", NAMES["lora"]),
    ("lora", ["unet.up_blocks.0.attentions.0.to_q.lora_A.weight", "unet.x.lora_B.weight"]),  # PEFT/diffusers
    ("lycoris", NAMES["lycoris"]),
    ("lycoris", ["lora_unet_mid_block_attentions_0_proj_out.lokr_w1", "lora_unet_mid.lokr_w2"]),
    ("lycoris", ["lora_unet_x.oft_blocks"]),
    ("embedding", ["emb_params"]),
    ("embedding", ["clip_l", "clip_g"]),
    ("embedding", ["string_to_param.*"]),
    ("checkpoint", NAMES["checkpoint"]),
    ("vae", NAMES["vae"]),
    (None, ["conv_first.weight", "body.0.weight"]),
]


@pytest.mark.parametrize("kind, names", CASES, ids=[f"{kind}-{i}" for i, (kind, _) in enumerate(CASES)])
def test_the_header_shows_the_kind(tmp_path, kind, names):
    path = write_safetensors(tmp_path / "f.safetensors", names)
    assert header_kind(read_header(path)) == kind


@pytest.mark.parametrize("names, metadata, shapes, expected", [
    (NAMES["checkpoint"], None, None, "sd1"),
    ([*NAMES["checkpoint"], "conditioner.embedders.1.model.x"], None, None, "sdxl"),
    (["model.diffusion_model.x", "cond_stage_model.model.y"], None, None, "sd2"),
    (["model.diffusion_model.double_blocks.0.x"], None, None, "flux"),
    (["lora_te1_x.lora_down.weight"], None, None, "sdxl"),
    (NAMES["lora"], {"ss_base_model_version": "sdxl_base_v1-0"}, None, "sdxl"),
    (NAMES["lora"], {"modelspec.architecture": "stable-diffusion-v1/lora"}, None, "sd1"),
    (["emb_params"], None, {"emb_params": [4, 1024]}, "sd2"),
    (["clip_l", "clip_g"], None, None, "sdxl"),
    (NAMES["vae"], None, None, None),
])
def test_the_header_shows_the_family(tmp_path, names, metadata, shapes, expected):
    path = write_safetensors(tmp_path / "f.safetensors", names, metadata=metadata, shapes=shapes)
    assert family(read_header(path)) == expected


def test_a_file_written_by_the_safetensors_package(tmp_path):
    numpy = pytest.importorskip("numpy")
    numpy_io = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "lora.safetensors"
    numpy_io.save_file({"lora_unet_a.lora_down.weight": numpy.zeros((4, 8), numpy.float32)}, str(path),
                       metadata={"ss_base_model_version": "sd_v1"})
    header = read_header(path)
    assert header_kind(header) == "lora" and family(header) == "sd1"
    assert header.shapes == {"lora_unet_a.lora_down.weight": (4, 8)}


def test_folders_give_the_kind_the_nearest_known_folder_wins():
    assert folder_kind(PurePath("/x/models/Stable-diffusion/sub/a.ckpt")) == "checkpoint"
    assert folder_kind(PurePath("/x/models/Lora/LyCORIS/a.safetensors")) == "lycoris"
    assert folder_kind(PurePath("/x/ComfyUI/models/upscale_models/a.pth")) == "upscaler"
    assert folder_kind(PurePath("/x/downloads/a.safetensors")) is None


@pytest.mark.parametrize("data, problem", [
    (b"\x01\x02", "shorter than the 8-byte header length"),
    (struct.pack("<Q", 500) + b"{}", "the header says 500 bytes"),
    (struct.pack("<Q", MAX_HEADER + 1) + b"{}", "larger than"),
    (struct.pack("<Q", 3) + b"{x}", "not JSON"),
    (struct.pack("<Q", 2) + b"[]", "not a JSON object"),
])
def test_bad_headers_are_refused_by_name(tmp_path, data, problem):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(LibraryError, match=problem) as caught:
        read_header(path)
    assert caught.value.code == "bad-safetensors" and str(path) in caught.value.message
