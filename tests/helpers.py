"""Shared helpers for the test suite: byte builders, the spec's example files, error assertions.

The byte-level helpers (``uv``, ``exp``, ``string``, ``field``, ``make_file``, from
``tools/format/spec_encoder.py``) are a small, independent encoder written from the spec text, not from
the library: tests use them to build
files with exactly one defect, so that a refusal is provably caused by that defect. ``make_file``
and ``reseal`` always recompute the trailing CRC-32 (R3.3); otherwise every mutation would be
reported as ``bad-checksum`` and the test would check nothing else (the PngSuite lesson).

Test modules import these with ``from helpers import ...`` (``tests/conftest.py`` puts ``tests/`` on
sys.path, pytest's rootdir-conftest rule); the fixtures and the session set-up are in ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import io
import re
import struct
import sys
import zlib
from pathlib import Path

import pytest

import aigif
from aigif import _cli

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "spec" / "aigif-v1.md"

SIGNATURE = b"\x89AIG\r\n\x1a\n"  # R3.1

# ---------------------------------------------------------------------------------------------
# The worked examples of spec section 14, transcribed from the spec's byte tables.

#: 14.1, the paper's Table I example (67 bytes).
TABLE1_HEX = (
    "89 41 49 47 0D 0A 1A 0A"  # signature
    " 01"  # version
    " 00 80"  # compression: text compressor zlib
    " 10"  # device gpu, arch unknown
    " 01"  # GPU 1
    " 01"  # CUDA 1
    " 00"  # model 0
    " 10"  # float16, ddim
    " 21"  # text block length 33
    " 78 DA E3 72 54 48 2E 2D 49 55 48 4E 2C E1 2D CF 2F 2A 2E 51 28 2C 4D CC C9 2C A9 04 00 68 D7 08 EA"
    " 80 08 80 08"  # height, width 1024
    " C1 95 C8 8B 03"  # seed 829557441
    " 19"  # steps 25
    " D9 04"  # guidance 7.5
    " 00"  # no fields
    " 7B 83 ED 26"  # CRC-32
)
TABLE1_BYTES = bytes.fromhex(TABLE1_HEX)

#: The JSON form of 14.1, as printed in spec section 11 (R11.4).
TABLE1_JSON = {
    "version": 1,
    "compression": {"save_pixels": False, "pixel_compressor": "none", "text_compressor": "zlib",
                    "save_model": False, "model_compressor": "none"},
    "platform": {"device": "gpu", "arch": "unknown", "gpu": "NVIDIA GeForce GTX 1080 Ti", "cuda": "cu121"},
    "model": {"id": "stable-diffusion-v1-5", "dtype": "float16", "scheduler": "ddim"},
    "data": {"prompt": "A cute cat", "negative_prompt": "worst quality", "height": 1024, "width": 1024,
             "seed": 829557441, "steps": 25, "guidance_scale": 7.5},
}

#: 14.2: fields, a 64-bit seed and a pixel digest (115 bytes).
EXAMPLE2_DIGEST = "3381de4ca9f3a477f25989dfc8b744e7916046b7aa369f61a9a2f7dc0963ec9e"
EXAMPLE2_JSON = {
    "version": 1,
    "compression": {"save_pixels": False, "pixel_compressor": "none", "text_compressor": "none",
                    "save_model": False, "model_compressor": "none"},
    "platform": {"device": "cpu", "arch": "x86_64", "gpu": "none", "cuda": "none",
                 "torch": "2.13.0+cpu", "threads": 2},
    "model": {"id": "aigif-tiny-sd", "dtype": "float32", "scheduler": "dpmpp_2m",
              "scheduler_options": {"sigmas": "karras"}},
    "data": {"prompt": "a lighthouse at dusk", "negative_prompt": "", "height": 256, "width": 256,
             "seed": 18446744073709551615, "steps": 20, "guidance_scale": 5.0},
    "payload": {"pixel_digest": "sha256:" + EXAMPLE2_DIGEST},
}
EXAMPLE2_BYTES = (
    bytes.fromhex("89 41 49 47 0D 0A 1A 0A 01")
    + bytes.fromhex("00 00")  # nothing saved, text none
    + bytes.fromhex("01")  # cpu, x86_64
    + bytes.fromhex("00 00")  # GPU none, CUDA none
    + bytes.fromhex("19")  # model 25 = aigif-tiny-sd
    + bytes.fromhex("06")  # float32, dpmpp_2m
    + bytes.fromhex("16")  # text block length 22
    + b"\x14" + b"a lighthouse at dusk" + b"\x00"
    + bytes.fromhex("80 02 80 02")  # 256 x 256
    + bytes.fromhex("FF FF FF FF FF FF FF FF FF 01")  # seed 2**64 - 1
    + bytes.fromhex("14")  # steps 20
    + bytes.fromhex("28")  # guidance 5
    + bytes.fromhex("04")  # 4 fields
    + bytes.fromhex("01 01 01")  # scheduler_options = karras
    + bytes.fromhex("02 0B 0A") + b"2.13.0+cpu"  # torch
    + bytes.fromhex("08 01 02")  # threads 2
    + bytes.fromhex("14 22 01 20") + bytes.fromhex(EXAMPLE2_DIGEST)  # pixel_digest
    + bytes.fromhex("25 BC D1 2A")  # CRC-32 as printed in the spec
)

#: 14.3: escapes (78 bytes). The spec lists offsets 11-60; the rest follows from "everything else
#: default" and the writer's own text compressor choice (none: 3 bytes beat any stream). The CRC
#: is not printed in the spec, so it is computed (R3.3).
EXAMPLE3_JSON = {
    "platform": {"gpu": "NVIDIA Jetson Orin"},
    "model": {"id": "my-finetune-v3", "scheduler": "flow_euler"},
    "data": {"prompt": "x"},
}


def _example3() -> bytes:
    body = (
        SIGNATURE + b"\x01"
        + b"\x00\x00"  # compression: text none
        + b"\x00"  # offset 11: cpu, unknown
        + b"\xfe\x12" + b"NVIDIA Jetson Orin"  # offset 12: GPU escape
        + b"\x00"  # offset 32: CUDA none
        + b"\xfe\x0e" + b"my-finetune-v3"  # offset 33: model escape
        + b"\x0f"  # offset 49: float32, scheduler escape
        + b"\x0a" + b"flow_euler"  # offset 50: scheduler name
        + b"\x03\x01x\x00"  # text block: prompt "x", negative ""
        + b"\x80\x04\x80\x04"  # 512 x 512
        + b"\x00"  # seed 0
        + b"\x32"  # steps 50
        + b"\xd9\x04"  # guidance 7.5
        + b"\x00"  # no fields
    )
    return body + struct.pack(">I", zlib.crc32(body))


EXAMPLE3_BYTES = _example3()


# ---------------------------------------------------------------------------------------------
# The independent encoder (spec section 4) lives in tools/format/spec_encoder.py, shared with the
# conformance generator; it is re-exported here for the tests.

sys.path[:0] = [str(ROOT / "tools" / group) for group in ("", "format", "bench", "recreate", "importer")]
from spec_encoder import (  # noqa: E402
    binary64, compression, decimal_bytes, exp, field, hash_value, make_file, map_value, model_ref, nibbles,
    reseal, stored, string, text_block, text_content, uv, zstd_dict_frame, zstd_frame,
)

MINIMAL_FILE = make_file()


# ---------------------------------------------------------------------------------------------
# Objects and error assertions


def table1() -> aigif.AigifFile:
    """The object of spec 14.1 (text compressor zlib as in the paper)."""
    return aigif.AigifFile(
        compression=aigif.Compression(text_compressor="zlib"),
        platform=aigif.Platform(device="gpu", gpu="NVIDIA GeForce GTX 1080 Ti", cuda="cu121"),
        model=aigif.Model(id="stable-diffusion-v1-5", dtype="float16", scheduler="ddim"),
        data=aigif.Data(prompt="A cute cat", negative_prompt="worst quality", height=1024, width=1024,
                        seed=829557441, steps=25, guidance_scale=7.5),
    )


@contextlib.contextmanager
def raises_code(code: str, cls: type[aigif.AigifError] = aigif.AigifError):
    """Expect an ``AigifError`` of class ``cls`` with the stable ``code`` (never the message)."""
    with pytest.raises(cls) as info:
        yield info
    assert info.value.code == code, f"expected [{code}], got [{info.value.code}]: {info.value}"


def read_code(data: bytes) -> str:
    """The error code ``aigif.loads`` reports for ``data``, or ``"ok"`` if it accepts it.

    Anything but a ``FormatError`` is a failure of R9.1, so it is re-raised as an assertion.
    """
    try:
        aigif.loads(data)
    except aigif.FormatError as err:
        return err.code
    except BaseException as err:  # noqa: BLE001 - R9.1: nothing else may escape
        raise AssertionError(f"R9.1: loads raised {type(err).__name__}: {err!r} for {bytes(data).hex()}") from err
    return "ok"


def assert_refused(data: bytes, code: str) -> None:
    """``aigif.loads(data)`` must raise ``FormatError`` with ``code``."""
    with raises_code(code, aigif.FormatError):
        aigif.loads(data)


def assert_write_refused(obj: aigif.AigifFile, code: str) -> None:
    """``aigif.dumps(obj)`` must raise ``UsageError`` with ``code``."""
    with raises_code(code, aigif.UsageError):
        aigif.dumps(obj)


# ---------------------------------------------------------------------------------------------
# The command line, run in-process, and images made by other tools


ERROR_LINE = re.compile(r"^aigif: error: .* \[([a-z0-9-]+)\]$")
USAGE_LINE = re.compile(r"^aigif: usage error: .+")


class Result:
    def __init__(self, status: int, stdout: bytes, stderr: str):
        self.status, self.stdout, self.stderr = status, stdout, stderr

    @property
    def lines(self) -> list[str]:
        return self.stderr.splitlines()

    def error_code(self) -> str:
        """The [code] of the single error line (asserting there is exactly one, and no traceback)."""
        assert "Traceback" not in self.stderr
        assert len(self.lines) == 1, self.stderr
        match = ERROR_LINE.match(self.lines[0])
        assert match, self.lines[0]
        return match.group(1)


def run(args: list[str], stdin: bytes = b"", monkeypatch=None) -> Result:
    """Run ``main(args)`` in-process with its own stdin/stdout/stderr; return status and output."""
    out, err = io.BytesIO(), io.BytesIO()
    streams = {
        "stdin": io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"),
        "stdout": io.TextIOWrapper(out, encoding="utf-8", write_through=True),
        "stderr": io.TextIOWrapper(err, encoding="utf-8", write_through=True),
    }
    saved = {name: getattr(sys, name) for name in streams}
    for name, stream in streams.items():
        setattr(sys, name, stream)
    try:
        _cli.main(args)
        status = 0
    except SystemExit as done:
        status = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    finally:
        for name, stream in saved.items():
            setattr(sys, name, stream)
    streams["stdout"].flush()
    streams["stderr"].flush()
    return Result(status, out.getvalue(), err.getvalue().decode("utf-8"))


def png_with(tmp_path: Path, texts: dict[str, str], size=(8, 8), name="image.png", mode="RGB") -> Path:
    """A small PNG with these text chunks (as A1111 and most tools write them)."""
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        info.add_text(key, value)
    path = tmp_path / name
    Image.new(mode, size, (10, 200, 30) if mode == "RGB" else (10, 200, 30, 255)).save(path, pnginfo=info)
    return path


A1111_TEXT = ("a lighthouse at dusk\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M, Schedule type: Automatic, "
              "CFG scale: 7, Seed: 4242, Size: 512x768, Model hash: 45a21ea00a, Model: v1-5-pruned-emaonly, "
              "Clip skip: 2, Version: v1.10.1")


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```(?:bash|sh|console)?\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]
