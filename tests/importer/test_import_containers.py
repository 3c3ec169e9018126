"""The importer's container layer: which texts each image carries, and how they are decoded.

The expected carriers of the real corpus files (``EXPECTED``) were read with independent tools,
not with ``read_carriers``: chunk order and types with a ``struct`` walk, texts with Pillow
(``Image.text`` after ``load()``, ``getexif()``), stealth payloads with numpy
(``alpha.T.reshape(-1) & 1``, ``np.packbits``, ``gzip``), and spot-checked by hand with ``zlib``.
Synthetic files (EXIF byte-order and charset variants, stealth payloads, broken containers) are
built here, byte by byte, by helpers that share no code with the library.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

from aigif import FileError, SourceError
from aigif._import._containers import MAX_TEXT, read_carriers
from aigif._import._exif import decode_user_comment
from aigif._import._found import Carrier
from aigif._import._stealth import PngPixels, _first_pixels

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "import"
ORIGINALS = ROOT.parent / "shared" / "corpus" / "images"  # present on the project's machines, not in CI

# (where, key, len(text), text[:40]) of every carrier, in file order.
EXPECTED = {
    'automatic1111/prompt-extractor__SD.png': [
        ('png:iTXt', 'parameters', 644, '(masterpiece), (best quality), (ultra-de'),
    ],
    'automatic1111/sd-metadata__sd-webui.jpg': [
        ('exif:UserComment', 'UserComment', 339, 'general, masterpiece, best quality, amaz'),
    ],
    'automatic1111/sd-metadata__sd-webui.png': [
        ('png:iTXt', 'parameters', 337, 'general, masterpiece, best quality, amaz'),
    ],
    'automatic1111/sd-parsers__automatic1111_cropped.jpg': [
        ('exif:UserComment', 'UserComment', 180, 'photo of a duck\nNegative prompt: monochr'),
    ],
    'automatic1111/sd-parsers__automatic1111_cropped.png': [
        ('png:tEXt', 'parameters', 180, 'photo of a duck\nNegative prompt: monochr'),
    ],
    'automatic1111/sd-parsers__automatic1111_stealth.png': [
        ('stealth:alpha', 'stealth_pngcomp', 234, 'a circle\nNegative prompt: a square\nSteps'),
    ],
    'automatic1111/sd-parsers__text_after_idat.png': [
        ('png:tEXt', 'date:create', 25, '2023-04-22T00:01:01+00:00'),
        ('png:tEXt', 'date:modify', 25, '2023-04-22T00:01:01+00:00'),
        ('png:tEXt', 'date:timestamp', 25, '2023-04-22T13:40:57+00:00'),
        ('png:tEXt', 'filename:d', 23, 'resources/automatic1111'),
        ('png:tEXt', 'filename:e', 3, 'png'),
        ('png:tEXt', 'filename:f', 21, 'automatic1111_cropped'),
        ('png:zTXt', 'parameters', 180, 'photo of a duck\nNegative prompt: monochr'),
    ],
    'comfyui/ComfyUI_examples__hypernetwork_example_output.png': [
        ('png:tEXt', 'prompt', 1008, '{"3": {"inputs": {"seed": 57263685696640'),
        ('png:tEXt', 'workflow', 3553, '{"last_node_id": 11, "last_link_id": 23,'),
    ],
    'comfyui/ComfyUI_examples__sdxl_simple_example.png': [
        ('png:tEXt', 'prompt', 1690, '{"4": {"inputs": {"ckpt_name": "sd_xl_ba'),
        ('png:tEXt', 'workflow', 16109, '{"last_node_id": 48, "last_link_id": 44,'),
    ],
    'comfyui/ComfyUI_examples__sdxlturbo_example.png': [
        ('png:tEXt', 'prompt', 1041, '{"5": {"inputs": {"width": 512, "height"'),
        ('png:tEXt', 'workflow', 4701, '{"last_node_id": 27, "last_link_id": 54,'),
    ],
    'comfyui/comfyui-prompt-reader-node__simple_example.png': [
        ('png:tEXt', 'workflow', 8434, '{"last_node_id":8,"last_link_id":40,"nod'),
    ],
    'comfyui/sd-metadata__comfyui-save-image-extended.webp': [
        ('exif:0x010E', 'ImageDescription', 4689, 'Workflow: {"id": "00000000-0000-0000-000'),
        ('exif:0x010F', 'Make', 2513, 'Prompt: {"14": {"inputs": {"filename_pre'),
    ],
    'comfyui/sd-metadata__comfyui-saveimagewithmetadata.png': [
        ('png:tEXt', 'parameters', 371, 'general, masterpiece, best quality, amaz'),
        ('png:tEXt', 'prompt', 2345, '{"13": {"inputs": {"filename_prefix": "C'),
        ('png:tEXt', 'workflow', 4547, '{"id": "00000000-0000-0000-0000-00000000'),
    ],
    'comfyui/sd-metadata__comfyui.png': [
        ('png:tEXt', 'prompt', 1949, '{"CheckpointLoader_Base": {"inputs": {"c'),
        ('png:tEXt', 'workflow', 4092, '{"id": "00000000-0000-0000-0000-00000000'),
    ],
    'comfyui/sd-parsers__img2img_cropped.png': [
        ('png:tEXt', 'prompt', 1106, '{"3": {"inputs": {"seed": 28082364247025'),
        ('png:tEXt', 'workflow', 3421, '{"last_node_id": 13, "last_link_id": 12,'),
    ],
    'comfyui/sd-parsers__night_evening_day_morning_cropped.png': [
        ('png:tEXt', 'prompt', 4538, '{"3": {"inputs": {"seed": 33560813053932'),
        ('png:tEXt', 'workflow', 12799, '{"last_node_id": 47, "last_link_id": 113'),
    ],
    'comfyui/sd-parsers__noisy_latents_3_subjects_cropped.png': [
        ('png:tEXt', 'prompt', 6512, '{"4": {"inputs": {"config_name": "v1-inf'),
        ('png:tEXt', 'workflow', 14563, '{"last_node_id": 79, "last_link_id": 191'),
    ],
    'comfyui/sd-parsers__unclip_2pass_cropped.png': [
        ('png:tEXt', 'prompt', 3536, '{"3": {"inputs": {"seed": 11062578330053'),
        ('png:tEXt', 'workflow', 10336, '{"last_node_id": 51, "last_link_id": 131'),
    ],
    'fooocus/sd-parsers__fooocus1_cropped.png': [
        ('png:tEXt', 'parameters', 2455, '{"adm_guidance": "(1.5, 0.8, 0.3)", "bas'),
        ('png:tEXt', 'fooocus_scheme', 7, 'fooocus'),
    ],
    'forge/sd-metadata__easy-reforge.png': [
        ('png:iTXt', 'parameters', 534, '1girl, solo, hatsune miku, テスト, \n<lora:N'),
    ],
    'forge/sd-metadata__forge.png': [
        ('png:iTXt', 'parameters', 359, 'general, masterpiece, best quality, amaz'),
        ('stealth:alpha', 'stealth_pngcomp', 359, 'general, masterpiece, best quality, amaz'),
    ],
    'invokeai/InvokeAI__000001.1863159593.png': [
        ('png:tEXt', 'Dream', 62, 'banana sushi -s 50 -S 1863159593 -W 512 '),
        ('png:tEXt', 'sd-metadata', 547, '{"model": "stable diffusion", "model_id"'),
    ],
    'invokeai/InvokeAI__000002.1151955949.png': [
        ('png:tEXt', 'Dream', 61, 'banana sushi -s 50 -S 1151955949 -W 512 '),
        ('png:tEXt', 'sd-metadata', 546, '{"model": "stable diffusion", "model_id"'),
    ],
    'invokeai/InvokeAI__000003.2736230502.png': [
        ('png:tEXt', 'Dream', 61, 'banana sushi -s 50 -S 2736230502 -W 512 '),
        ('png:tEXt', 'sd-metadata', 546, '{"model": "stable diffusion", "model_id"'),
    ],
    'invokeai/InvokeAI__000019.1592514025.png': [
        ('png:tEXt', 'Dream', 58, '"fire" -s 10 -S 1592514025 -W 384 -H 384'),
        ('png:tEXt', 'sd-metadata', 429, '{"model": "stable diffusion", "model_id"'),
    ],
    'invokeai/InvokeAI__blue-sphere-0.75-red-cube-0.25-hybrid.png': [
        ('png:tEXt', 'invokeai_metadata', 419, '{"app_version": "3.0.2post1", "generatio'),
        ('png:tEXt', 'invokeai_graph', 3035, '{"id": "text_to_image_graph", "nodes": {'),
    ],
    'invokeai/InvokeAI__image1.png': [
        ('png:tEXt', 'date:create', 25, '2022-11-28T19:36:57+00:00'),
        ('png:tEXt', 'date:modify', 25, '2022-11-28T19:32:35+00:00'),
        ('png:tEXt', 'Dream', 71, 'japanese gardener -s 30 -S 2202748743 -W'),
        ('png:zTXt', 'sd-metadata', 539, '{"model": "stable diffusion", "model_id"'),
    ],
    'invokeai/InvokeAI__step4.png': [
        ('png:tEXt', 'Dream', 328, '"A fantastical translucent poney made of'),
        ('png:tEXt', 'sd-metadata', 700, '{"model": "stable diffusion", "model_id"'),
    ],
    'invokeai/sd-parsers__invokeai_dream1.png': [
        ('png:tEXt', 'Dream', 445, '"professional full body photo of young w'),
    ],
    'invokeai/sd-parsers__invokeai_imeta1.png': [
        ('png:tEXt', 'invokeai_metadata', 796, '{"generation_mode":"sdxl_txt2img","posit'),
    ],
    'invokeai/sd-parsers__invokeai_sdmeta1.png': [
        ('png:tEXt', 'Dream', 445, '"professional full body photo of young w'),
        ('png:tEXt', 'sd-metadata', 966, '{"model": "stable diffusion", "model_wei'),
    ],
    'novelai/novelai-python__sample-0316.png': [
        ('png:tEXt', 'Title', 18, 'AI generated image'),
        ('png:tEXt', 'Description', 72, ' silvery white, best quality, amazing qu'),
        ('png:tEXt', 'Software', 7, 'NovelAI'),
        ('png:tEXt', 'Source', 28, 'Stable Diffusion XL C1E1DE52'),
        ('png:tEXt', 'Generation time', 17, '6.492950826010201'),
        ('png:tEXt', 'Comment', 1060, '{"prompt": " silvery white, best quality'),
        ('stealth:alpha', 'stealth_pngcomp', 1339, '{"Description": " silvery white, best qu'),
    ],
    'novelai/prompt-extractor__NovelAI.png': [
        ('png:tEXt', 'Comment', 320, '{"steps": 20, "sampler": "k_euler_ancest'),
        ('png:tEXt', 'Source', 25, 'Stable Diffusion ADDB53AF'),
        ('png:tEXt', 'Software', 7, 'NovelAI'),
        ('png:tEXt', 'Description', 282, 'masterpiece, best quality, {{{extremely '),
        ('png:tEXt', 'Title', 18, 'AI generated image'),
    ],
    'novelai/sd-metadata__novelai-full.png': [
        ('png:tEXt', 'Title', 23, 'NovelAI generated image'),
        ('png:iTXt', 'Description', 69, '1girl, solo, hatsune miku, #テスト, very ae'),
        ('png:tEXt', 'Software', 7, 'NovelAI'),
        ('png:tEXt', 'Source', 31, 'NovelAI Diffusion V4.5 4BDE2A90'),
        ('png:tEXt', 'Generation time', 22, '2.9481947422027588e-05'),
        ('png:tEXt', 'Comment', 2513, '{"prompt": "1girl, solo, hatsune miku, #'),
        ('stealth:alpha', 'stealth_pngcomp', 2904, '{"Description": "1girl, solo, hatsune mi'),
    ],
    'novelai/sd-parsers__novelai1_cropped.png': [
        ('png:tEXt', 'Title', 18, 'AI generated image'),
        ('png:tEXt', 'Description', 44, 'masterpiece, best quality,  cat, space, '),
        ('png:tEXt', 'Software', 7, 'NovelAI'),
        ('png:tEXt', 'Source', 25, 'Stable Diffusion 1D44365E'),
        ('png:tEXt', 'Comment', 515, '{"steps": 50, "sampler": "k_euler_ancest'),
    ],
    'other/sd-metadata__gimp.jpg': [
        ('jpeg:COM', 'Comment', 12, 'GIMPで再保存しただけ'),
    ],
    'other/sd-metadata__huggingface-space.png': [
        ('png:tEXt', 'parameters', 471, '{"prompt": "general, masterpiece, best q'),
    ],
    'sdnext/sd-metadata__sd-next-en.png': [
        ('png:tEXt', 'parameters', 362, 'general, masterpiece, best quality, amaz'),
    ],
    'swarmui/sd-metadata__swarmui.png': [
        ('png:tEXt', 'prompt', 1081, '{"4": {"class_type": "CheckpointLoaderSi'),
        ('png:tEXt', 'parameters', 830, '{\n  "sui_image_params": {\n    "prompt": '),
    ],}


def fixture_files() -> list[str]:
    return sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("*/*") if p.suffix != ".tsv")


# ---------------------------------------------------------------------------------------------
# The real files


def test_every_fixture_is_listed_with_its_licence_and_expected_carriers():
    lines = (FIXTURES / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    assert header[:6] == ["local_file", "repo", "path", "commit", "license", "generator"]
    rows = [dict(zip(header, line.split("\t"))) for line in lines[1:]]
    assert sorted(row["local_file"] for row in rows) == fixture_files() == sorted(EXPECTED)
    assert all(row["license"] and row["repo"] and len(row["commit"]) == 40 for row in rows)
    assert sum((FIXTURES / f).stat().st_size for f in fixture_files()) < 1_000_000


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_carriers(name):
    info, carriers = read_carriers(FIXTURES / name)
    assert [(c.where, c.key, len(c.text), c.text[:40]) for c in carriers] == EXPECTED[name]
    assert all(c.note is None for c in carriers)  # the corpus needs none of the repairs
    with Image.open(FIXTURES / name) as image:  # the container facts agree with Pillow's
        assert (info.format, info.width, info.height, info.mode) == (image.format, *image.size, image.mode)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cropped_fixture_yields_what_the_original_yields(name):
    original = ORIGINALS / name
    if not original.exists():
        pytest.skip("the shared corpus is not on this machine")
    info, carriers = read_carriers(original)
    small_info, small_carriers = read_carriers(FIXTURES / name)
    assert small_carriers == carriers
    assert (small_info.format, small_info.mode) == (info.format, info.mode)


def test_png_texts_agree_with_pillow_in_full():
    for name in EXPECTED:
        if not name.endswith(".png"):
            continue
        with Image.open(FIXTURES / name) as image:
            image.load()  # Pillow sees chunks after IDAT only once the pixels are read
            pillow = dict(image.text)
        ours = {c.key: c.text for c in read_carriers(FIXTURES / name)[1] if c.where.startswith("png:")}
        assert ours == pillow, name


def test_exif_texts_agree_with_pillow_in_full():
    _, carriers = read_carriers(FIXTURES / "comfyui/sd-metadata__comfyui-save-image-extended.webp")
    with Image.open(FIXTURES / "comfyui/sd-metadata__comfyui-save-image-extended.webp") as image:
        exif = image.getexif()
    assert [c.text for c in carriers] == [exif[0x010E], exif[0x010F]]
    for name in ("automatic1111/sd-metadata__sd-webui.jpg", "automatic1111/sd-parsers__automatic1111_cropped.jpg"):
        with Image.open(FIXTURES / name) as image:
            raw = image.getexif().get_ifd(0x8769)[0x9286]
        assert raw[:8] == b"UNICODE\x00"
        assert read_carriers(FIXTURES / name)[1][0].text == raw[8:].decode("utf-16-be")


def test_stealth_payloads_repeat_the_text_chunks():
    # Forge writes the same infotext twice; NovelAI's payload is its text chunks (minus Title) as JSON.
    carriers = read_carriers(FIXTURES / "forge/sd-metadata__forge.png")[1]
    assert carriers[0].text == carriers[1].text
    assert carriers[1].text.endswith(", Model: waiIllustriousSDXL_v160, Version: f2.0.1v1.10.1-previous-669-gdfdcbab6")
    for name in ("novelai/novelai-python__sample-0316.png", "novelai/sd-metadata__novelai-full.png"):
        carriers = read_carriers(FIXTURES / name)[1]
        payload = json.loads(carriers[-1].text)
        chunks = {c.key: c.text for c in carriers[:-1]}
        assert sorted(payload) == ["Comment", "Description", "Generation time", "Software", "Source"]
        assert all(payload[key] == chunks[key] for key in payload)
    text = read_carriers(FIXTURES / "automatic1111/sd-parsers__automatic1111_stealth.png")[1][0].text
    assert text.startswith("a circle\nNegative prompt: a square\nSteps: 20, Sampler: Euler, ")


def test_the_negative_control_has_only_a_gimp_comment():
    info, carriers = read_carriers(FIXTURES / "other/sd-metadata__gimp.jpg")
    assert carriers == [Carrier("jpeg:COM", "Comment", "GIMPで再保存しただけ")]


# ---------------------------------------------------------------------------------------------
# Builders (independent of the library)


def chunk(kind: bytes, body: bytes, crc: int | None = None) -> bytes:
    if crc is None:
        crc = zlib.crc32(kind + body)
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _filter_row(kind: int, row: bytes, prev: bytes, bpp: int) -> bytes:
    out = bytearray()
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 0:
            pred = 0
        elif kind == 1:
            pred = a
        elif kind == 2:
            pred = b
        elif kind == 3:
            pred = (a + b) // 2
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
        out.append((x - pred) % 256)
    return bytes([kind]) + bytes(out)


def make_png(image: Image.Image, before=(), after=(), filters=(0,), interlace=False, idat_crc=None) -> bytes:
    """A PNG of ``image`` (L, LA, RGB or RGBA, 8-bit), with extra chunks before and after IDAT."""
    colour = {"L": 0, "RGB": 2, "LA": 4, "RGBA": 6}[image.mode]
    bpp = len(image.getbands())
    width, height = image.size
    raw = image.tobytes()
    if interlace:
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        data = b""
        for x0, y0, dx, dy in passes:
            xs, ys = range(x0, width, dx), range(y0, height, dy)
            if xs and ys:
                for y in ys:
                    data += b"\x00" + b"".join(raw[(y * width + x) * bpp:(y * width + x + 1) * bpp] for x in xs)
    else:
        stride = width * bpp
        prev = bytes(stride)
        data = b""
        for y in range(height):
            row = raw[y * stride:(y + 1) * stride]
            data += _filter_row(filters[y % len(filters)], row, prev, bpp)
            prev = row
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, int(interlace))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + b"".join(before)
            + chunk(b"IDAT", zlib.compress(data), idat_crc) + b"".join(after) + chunk(b"IEND", b""))


def text_chunk(key: str, value: bytes) -> bytes:
    return chunk(b"tEXt", key.encode("latin-1") + b"\x00" + value)


def tiff(order: str, ifd0: list, exif: list | None = None) -> bytes:
    """A TIFF/EXIF block. Entries: (tag, type, value bytes); values over 4 bytes go to a data area."""
    e = "<" if order == "II" else ">"
    ifd0 = list(ifd0) + ([(0x8769, 4, None)] if exif is not None else [])
    ifds = [sorted(ifd0, key=lambda t: t[0])] + ([sorted(exif, key=lambda t: t[0])] if exif is not None else [])
    offsets, at = [], 8
    for ifd in ifds:
        offsets.append(at)
        at += 2 + 12 * len(ifd) + 4
    data_area, out = b"", b""
    for ifd in ifds:
        out += struct.pack(e + "H", len(ifd))
        for tag, typ, value in ifd:
            if value is None:
                value = struct.pack(e + "I", offsets[1])
            size = {1: 1, 2: 1, 7: 1, 3: 2, 4: 4}[typ]
            if len(value) <= 4:
                field = value.ljust(4, b"\x00")
            else:
                field = struct.pack(e + "I", at + len(data_area))
                data_area += value + b"\x00" * (len(value) & 1)
            out += struct.pack(e + "HHI", tag, typ, len(value) // size) + field
        out += b"\x00\x00\x00\x00"
    return (b"II*\x00" if order == "II" else b"MM\x00*") + struct.pack(e + "I", 8) + out + data_area


def make_jpeg(*segments: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 10, 10)).save(buffer, "JPEG")
    data = buffer.getvalue()
    return data[:2] + b"".join(segments) + data[2:]


def jpeg_segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def make_webp(*chunks: bytes, lossless=False, mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (3, 2), (1, 2, 3, 4)[:len(mode)]).save(buffer, "WEBP", lossless=lossless)
    data = buffer.getvalue()
    body = data[12:] + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) & 1)


def write(tmp_path: Path, data: bytes, name: str = "image.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def unicode(text: str, codec: str) -> bytes:
    return b"UNICODE\x00" + text.encode(codec)


# ---------------------------------------------------------------------------------------------
# EXIF: byte orders, charset prefixes, placements


A1111 = "a photo of a duck, テスト\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, Seed: 1"


@pytest.mark.parametrize("order, codec, note", [
    ("MM", "utf-16-be", None),  # piexif / A1111
    ("II", "utf-16-be", "UTF-16BE despite the II TIFF header"),  # Civitai
    ("II", "utf-16-le", None),  # SwarmUI
    ("MM", "utf-16-le", "UTF-16LE despite the MM TIFF header"),
])
def test_user_comment_utf16_endianness_by_inspection(tmp_path, order, codec, note):
    blob = tiff(order, [], [(0x9286, 7, unicode(A1111, codec))])
    info, carriers = read_carriers(write(tmp_path, make_jpeg(jpeg_segment(0xE1, b"Exif\x00\x00" + blob))))
    assert info.format == "JPEG"
    assert carriers == [Carrier("exif:UserComment", "UserComment", A1111, note)]


@pytest.mark.parametrize("value, text, note", [
    (b"ASCII\x00\x00\x00" + b'{"Comment": "caf\xc3\xa9"}', '{"Comment": "café"}', None),  # NovelAI WebP
    (b"ASCII\x00\x00\x00caf\xe9", "café", "ASCII prefix: not UTF-8: decoded as Latin-1"),
    (b"\x00" * 8 + "naïve".encode(), "naïve", None),
    (b'{"prompt": {"3": {}}, "workflow": {}}', '{"prompt": {"3": {}}, "workflow": {}}',
     "no character-code prefix: read as UTF-8"),  # ComfyUI SaveImagePlus
    (b"UNICODE\x00" + "テスト, cat".encode(), "テスト, cat",
     "UNICODE prefix but UTF-8 bytes (no zero bytes): decoded as UTF-8"),
    (b"UNICODE\x00\xff\xfe" + "cat".encode("utf-16-le"), "cat", "UTF-16LE by its byte-order mark"),
    (unicode("cat\x00\x00", "utf-16-be"), "cat", "2 trailing NUL character(s) removed"),
    (unicode("cat", "utf-16-be") + b"\x00", "cat", "odd byte count: last byte dropped"),
])
def test_user_comment_charset_prefixes(value, text, note):
    assert decode_user_comment(value, ">") == (text, note)


def test_user_comment_without_ascii_falls_back_on_the_tiff_byte_order():
    cjk = "猫と犬の写真"
    assert decode_user_comment(unicode(cjk, "utf-16-le"), "<") == (cjk, None)
    assert decode_user_comment(unicode(cjk, "utf-16-be"), ">") == (cjk, None)


def test_exif_in_ifd0_and_the_tags_comfyui_novelai_and_fooocus_use(tmp_path):
    blob = tiff("II", [
        (0x9286, 2, b'{"prompt": {}}\x00'),  # SaveImagePlus: IFD0, ASCII type, no prefix
        (0x010E, 2, b"\x00\x00\x00\x00masterpiece, 1girl\x00"),  # NovelAI: 4 leading NULs
        (0x010F, 2, b'workflow:{"nodes": []}\x00'),
        (0x0110, 2, b'prompt:{"3": {}}\x00'),
        (0x010D, 2, b"NovelAI generated image\x00"),
        (0x010C, 2, b'extra:{"a": 1}\x00'),  # ComfyUI's countdown for a third extra_pnginfo key
        (0x0131, 2, b"Fooocus v2.5.0\x00"),
        (0x013B, 2, b"ai\x00"),
        (0x0100, 4, struct.pack("<I", 512)),  # a number: not text
    ], [
        (0x927C, 7, b"fooocus"),
    ])
    _, carriers = read_carriers(write(tmp_path, make_webp(riff_chunk(b"EXIF", blob))))
    assert carriers == [
        Carrier("exif:0x010C", "0x010C", 'extra:{"a": 1}'),
        Carrier("exif:0x010D", "DocumentName", "NovelAI generated image"),
        Carrier("exif:0x010E", "ImageDescription", "masterpiece, 1girl", "4 leading NUL bytes removed"),
        Carrier("exif:0x010F", "Make", 'workflow:{"nodes": []}'),
        Carrier("exif:0x0110", "Model", 'prompt:{"3": {}}'),
        Carrier("exif:0x0131", "Software", "Fooocus v2.5.0"),
        Carrier("exif:0x013B", "Artist", "ai"),
        Carrier("exif:UserComment", "UserComment", '{"prompt": {}}',
                "no character-code prefix: read as UTF-8; found in IFD0, not in the Exif sub-IFD"),
        Carrier("exif:0x927C", "MakerNote", "fooocus", "found in the Exif IFD"),
    ]


def test_exif_everywhere_it_is_found(tmp_path):
    blob = tiff("MM", [], [(0x9286, 7, unicode("a cat", "utf-16-be"))])
    expected = [Carrier("exif:UserComment", "UserComment", "a cat")]
    png = make_png(Image.new("RGB", (1, 1)), before=[chunk(b"eXIf", blob)])
    assert read_carriers(write(tmp_path, png, "a.png"))[1] == expected
    webp = make_webp(riff_chunk(b"EXIF", b"Exif\x00\x00" + blob), lossless=True, mode="RGBA")
    info, carriers = read_carriers(write(tmp_path, webp, "a.webp"))
    assert carriers == expected
    with Image.open(tmp_path / "a.webp") as image:
        assert (info.format, info.width, info.height, info.mode) == (image.format, *image.size, image.mode)


def test_binary_maker_notes_and_blank_comments_are_not_texts(tmp_path):
    blob = tiff("II", [(0x010F, 2, b"Canon\x00")], [
        (0x927C, 7, b"\x01\x00\x02\x00\x07\x00\x00\x00\x10\x00"),
        (0x9286, 7, b"\x00" * 8 + b" " * 40),
    ])
    _, carriers = read_carriers(write(tmp_path, make_jpeg(jpeg_segment(0xE1, b"Exif\x00\x00" + blob))))
    assert carriers == [Carrier("exif:0x010F", "Make", "Canon")]


@pytest.mark.parametrize("blob, message, field", [
    (b"XX*\x00\x08\x00\x00\x00", "TIFF header", "exif"),
    (b"MM\x00*\x00\x00\x10\x00", "offset", "exif"),
    (tiff("MM", [], [(0x9286, 7, unicode("a cat", "utf-16-be"))])[:-4], "runs past the end", "exif:UserComment"),
])
def test_malformed_exif_is_bad_metadata(tmp_path, blob, message, field):
    with pytest.raises(SourceError) as caught:
        read_carriers(write(tmp_path, make_jpeg(jpeg_segment(0xE1, b"Exif\x00\x00" + blob)), "bad.jpg"))
    assert caught.value.code == "bad-metadata" and caught.value.path == field
    assert message in caught.value.message and "bad.jpg" in caught.value.message


def test_jpeg_xmp_and_comments_in_segment_order(tmp_path):
    xmp = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/>テスト</x:xmpmeta>'
    data = make_jpeg(jpeg_segment(0xFE, b"first"),
                     jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp.encode()),
                     jpeg_segment(0xFE, b"caf\xe9\x00"))
    _, carriers = read_carriers(write(tmp_path, data))
    assert carriers == [
        Carrier("jpeg:COM", "Comment", "first"),
        Carrier("jpeg:XMP", "XMP", xmp),
        Carrier("jpeg:COM", "Comment", "café", "1 trailing NUL byte removed; not UTF-8: decoded as Latin-1"),
    ]
    webp = make_webp(riff_chunk(b"XMP ", xmp.encode()))
    assert read_carriers(write(tmp_path, webp, "x.webp"))[1] == [Carrier("webp:XMP", "XMP", xmp)]


# ---------------------------------------------------------------------------------------------
# PNG text chunks


def test_an_empty_png_keyword_gets_a_name_and_a_note_so_the_text_can_be_kept(tmp_path):
    """PNG forbids an empty keyword and R6.8 cannot store one: the text is kept under a named key."""
    data = make_png(Image.new("RGB", (2, 2)), before=[chunk(b"tEXt", b"\x00Steps: 20"), chunk(b"tEXt", b"")])
    _, carriers = read_carriers(write(tmp_path, data))
    assert [(c.key, c.text) for c in carriers] == [("(empty keyword)", "Steps: 20"), ("(empty keyword)", "")]
    assert all("empty keyword" in c.note for c in carriers)


def test_png_text_chunks_in_file_order_including_after_idat(tmp_path):
    itxt_plain = chunk(b"iTXt", b"parameters\x00\x00\x00en\x00Parameters\x00" + "テスト".encode())
    itxt_zip = chunk(b"iTXt", b"workflow\x00\x01\x00\x00\x00" + zlib.compress(b'{"nodes": []}'))
    ztxt = chunk(b"zTXt", b"sd-metadata\x00\x00" + zlib.compress(b'{"model": "x"}'))
    data = make_png(Image.new("RGB", (2, 2)), before=[text_chunk("Dream", b"a cat -s 50"), itxt_plain],
                    after=[itxt_zip, ztxt, text_chunk("Comment", b"")])
    _, carriers = read_carriers(write(tmp_path, data))
    assert carriers == [
        Carrier("png:tEXt", "Dream", "a cat -s 50"),
        Carrier("png:iTXt", "parameters", "テスト"),
        Carrier("png:iTXt", "workflow", '{"nodes": []}'),
        Carrier("png:zTXt", "sd-metadata", '{"model": "x"}'),
        Carrier("png:tEXt", "Comment", ""),
    ]


def test_raw_utf8_in_text_and_trailing_nul(tmp_path):
    value = '{"prompt": "テスト, café"}'
    data = make_png(Image.new("RGB", (1, 1)), before=[
        text_chunk("generation_data", value.encode() + b"\x00"),  # Tensor.Art
        text_chunk("parameters", "café".encode("latin-1")),  # genuine Latin-1 stays Latin-1
        chunk(b"zTXt", b"parameters-json\x00\x00" + zlib.compress("ça".encode())),  # Stability Matrix style
    ])
    _, carriers = read_carriers(write(tmp_path, data))
    assert carriers == [
        Carrier("png:tEXt", "generation_data", value,
                "1 trailing NUL byte removed; raw UTF-8 in tEXt (Latin-1 by the PNG spec): decoded as UTF-8"),
        Carrier("png:tEXt", "parameters", "café"),
        Carrier("png:zTXt", "parameters-json", "ça", "raw UTF-8 in zTXt (Latin-1 by the PNG spec): decoded as UTF-8"),
    ]
    with Image.open(tmp_path / "image.bin") as image:  # what Pillow would have shown
        assert image.text["generation_data"].startswith('{"prompt": "ã\x83\x86')


def test_bad_crc_in_a_text_chunk_is_kept_with_a_note(tmp_path):
    data = make_png(Image.new("RGB", (1, 1)), before=[chunk(b"tEXt", b"parameters\x00a cat", crc=1)])
    assert read_carriers(write(tmp_path, data))[1] == [
        Carrier("png:tEXt", "parameters", "a cat", "bad chunk CRC (the text is kept as stored)")]


def test_ztxt_bomb_is_bad_metadata(tmp_path):
    bomb = zlib.compress(b"\x00" * (MAX_TEXT + 1), 9)
    assert len(bomb) < 40_000
    data = make_png(Image.new("RGB", (1, 1)), after=[chunk(b"zTXt", b"parameters\x00\x00" + bomb)])
    with pytest.raises(SourceError) as caught:
        read_carriers(write(tmp_path, data, "bomb.png"))
    assert caught.value.code == "bad-metadata" and "16 MiB" in caught.value.message
    assert caught.value.path == "parameters"


@pytest.mark.parametrize("body", [
    b"parameters\x00\x00not zlib at all",  # corrupt zTXt
    b"parameters\x00\x00" + zlib.compress(b"a cat")[:-3],  # truncated stream
    b"parameters\x00\x07" + zlib.compress(b"a cat"),  # unknown method
])
def test_corrupt_ztxt_is_bad_metadata(tmp_path, body):
    data = make_png(Image.new("RGB", (1, 1)), before=[chunk(b"zTXt", body)])
    with pytest.raises(SourceError) as caught:
        read_carriers(write(tmp_path, data))
    assert caught.value.code == "bad-metadata"


# ---------------------------------------------------------------------------------------------
# Stealth


def stealth_bits(magic: bytes, payload: bytes, length: int | None = None) -> str:
    bits = "".join(f"{b:08b}" for b in payload)
    header = "".join(f"{b:08b}" for b in magic) + f"{len(bits) if length is None else length:032b}"
    return header + bits


def embed(image: Image.Image, bits: str, channel: str) -> Image.Image:
    """Write ``bits`` into the LSBs, column by column, as sd-webui-stealth-pnginfo does."""
    image = image.copy()
    pixels = image.load()
    width, height = image.size
    it = iter(bits)
    for x in range(width):
        for y in range(height):
            value = list(pixels[x, y])
            for i in ([len(value) - 1] if channel == "alpha" else [0, 1, 2]):
                bit = next(it, None)
                if bit is None:
                    pixels[x, y] = tuple(value)
                    return image
                value[i] = (value[i] & ~1) | int(bit)
            pixels[x, y] = tuple(value)
    return image


def noise(mode: str, size: tuple[int, int], seed: int = 1) -> Image.Image:
    rng = random.Random(seed)
    return Image.frombytes(mode, size, bytes(rng.randrange(256) for _ in range(size[0] * size[1] * len(mode))))


INFOTEXT = "a circle\nNegative prompt: a square\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, テスト"


@pytest.mark.parametrize("magic, mode, channel", [
    (b"stealth_pngcomp", "RGBA", "alpha"),
    (b"stealth_pnginfo", "RGBA", "alpha"),
    (b"stealth_pngcomp", "LA", "alpha"),
    (b"stealth_rgbcomp", "RGB", "rgb"),
    (b"stealth_rgbinfo", "RGB", "rgb"),
    (b"stealth_rgbinfo", "RGBA", "rgb"),
])
@pytest.mark.parametrize("filters", [(0,), (1,), (2,), (3,), (4,), (0, 1, 2, 3, 4)])
def test_stealth_synthetic(tmp_path, magic, mode, channel, filters):
    payload = gzip.compress(INFOTEXT.encode()) if magic.endswith(b"comp") else INFOTEXT.encode()
    image = embed(noise(mode, (40, 30)), stealth_bits(magic, payload), channel)
    data = make_png(image, before=[text_chunk("Software", b"test")], filters=filters)
    info, carriers = read_carriers(write(tmp_path, data))
    assert (info.mode, info.width, info.height) == (mode, 40, 30)
    assert carriers == [Carrier("png:tEXt", "Software", "test"),
                        Carrier(f"stealth:{channel}", magic.decode(), INFOTEXT)]


def test_stealth_in_an_interlaced_png(tmp_path):
    image = embed(noise("RGBA", (40, 30)), stealth_bits(b"stealth_pnginfo", b"a cat"), "alpha")
    path = write(tmp_path, make_png(image, interlace=True))
    with Image.open(path) as check:
        assert check.tobytes() == image.tobytes()  # the interlacing helper is right
    assert read_carriers(path)[1] == [Carrier("stealth:alpha", "stealth_pnginfo", "a cat")]


def test_the_column_peek_matches_pillow_for_every_filter():
    for mode, bpp in (("RGBA", 4), ("RGB", 3), ("LA", 2)):
        for filters in ((0,), (1,), (2,), (3,), (4,), (4, 3, 2, 1, 0)):
            image = noise(mode, (7, 5), seed=len(filters) + bpp)
            data = make_png(image, filters=filters)
            with Image.open(io.BytesIO(data)) as check:
                assert check.tobytes() == image.tobytes()  # the filtering helper is right
            idat = [data[8 + 25 + 8:-12 - 4]]  # the one IDAT body (signature, IHDR, IDAT header; IDAT CRC, IEND)
            px = PngPixels(7, 5, 8, {4: 6, 3: 2, 2: 4}[bpp], False, idat, lambda: data)
            expected = image.transpose(Image.Transpose.TRANSPOSE).tobytes()
            got = _first_pixels(px, bpp, 35)
            assert b"".join(got) == expected, (mode, filters)
            assert b"".join(_first_pixels(px, bpp, 12)) == expected[:12 * bpp]


def test_a_payload_longer_than_the_pixels_is_ignored_or_reported(tmp_path):
    image = embed(noise("RGBA", (20, 20)), stealth_bits(b"stealth_pngcomp", b"\x1f\x8b", length=10**9), "alpha")
    with_text = make_png(image, before=[text_chunk("parameters", b"a cat")])
    assert read_carriers(write(tmp_path, with_text))[1] == [Carrier("png:tEXt", "parameters", "a cat")]
    with pytest.raises(SourceError) as caught:
        read_carriers(write(tmp_path, make_png(image), "cropped.png"))
    assert caught.value.code == "bad-metadata"
    assert "stealth_pngcomp" in caught.value.message and "cropped.png" in caught.value.message


def test_a_corrupt_gzip_payload_is_reported_when_it_is_all_there_is(tmp_path):
    image = embed(noise("RGBA", (20, 20)), stealth_bits(b"stealth_pngcomp", b"not gzip at all"), "alpha")
    with pytest.raises(SourceError) as caught:
        read_carriers(write(tmp_path, make_png(image)))
    assert caught.value.code == "bad-metadata" and "gzip" in caught.value.message


def test_no_stealth_where_none_can_be(tmp_path):
    opaque = make_png(noise("RGBA", (30, 30)))
    grey = make_png(noise("L", (30, 30)))
    tiny = make_png(embed(noise("RGB", (7, 7)), stealth_bits(b"stealth_rgbinfo", b"x"), "rgb"))  # 49 pixels < 51
    for data in (opaque, grey, tiny):
        assert read_carriers(write(tmp_path, data))[1] == []


def test_reading_without_stealth_does_not_import_pillow():
    script = (
        "import sys; from aigif._import._containers import read_carriers; "
        f"info, c = read_carriers({str(FIXTURES / 'swarmui/sd-metadata__swarmui.png')!r}); "
        "assert len(c) == 2; print('PIL' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------------
# Not an image, no metadata


PNG_SIG = b"\x89PNG\r\n\x1a\n"


def _png_bytes() -> bytes:
    return make_png(noise("RGB", (8, 8)), before=[text_chunk("parameters", b"a cat")])


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"Steps: 20, Sampler: Euler a\n", "not an image"),
    (b"GIF89a" + b"\x00" * 20, "GIF"),
    (b"\x89PNG\r\n\x1a\n", "truncated PNG"),
    (_png_bytes()[:60], "truncated PNG"),
    (_png_bytes()[:-12], "truncated PNG"),  # no IEND
    (_png_bytes()[:33] + b"\x00\x00\x00\x00\x00\x01\x02\x03" + _png_bytes()[33:], "invalid chunk type"),
    (make_png(noise("RGB", (8, 8)), idat_crc=0), "bad CRC in the IDAT"),
    (PNG_SIG + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + chunk(b"IEND", b""), "no IDAT"),
    (PNG_SIG + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 3, 2, 0, 0, 0)) + chunk(b"IEND", b""), "IHDR"),
    (PNG_SIG + chunk(b"tEXt", b"parameters\x00a cat") + chunk(b"IEND", b""), "first chunk is not IHDR"),
    (make_jpeg()[:300], "truncated JPEG"),
    (make_jpeg()[:-2], "end-of-image"),
    (b"\xff\xd8\xff\xd9", "end-of-image marker before"),
    (make_webp()[:30], "truncated WebP"),
    (b"RIFF\x04\x00\x00\x00WEBP", "no image data"),
])
def test_not_an_image(tmp_path, data, message):
    with pytest.raises(SourceError) as caught:
        read_carriers(write(tmp_path, data, "thing.png"))
    assert caught.value.code == "not-an-image"
    assert message in caught.value.message and "thing.png" in caught.value.message


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileError) as caught:
        read_carriers(tmp_path / "nope.png")
    assert caught.value.code == "not-found"
    with pytest.raises(FileError):
        read_carriers(tmp_path)


@pytest.mark.parametrize("fmt, options", [("PNG", {}), ("JPEG", {}), ("WEBP", {}), ("WEBP", {"lossless": True})])
def test_an_image_without_metadata_gives_no_carriers(tmp_path, fmt, options):
    buffer = io.BytesIO()
    noise("RGBA" if fmt != "JPEG" else "RGB", (16, 16)).save(buffer, fmt, **options)
    info, carriers = read_carriers(write(tmp_path, buffer.getvalue()))
    assert carriers == []
    with Image.open(tmp_path / "image.bin") as image:
        assert (info.format, info.width, info.height, info.mode) == (image.format, *image.size, image.mode)
