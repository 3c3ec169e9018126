"""``aigif save`` and ``aigif recreate`` with the built-in tiny model (64x64, 4 steps): step progress
(issue 13, item 6.8), the stored-pixel report (6.9) and verdict (6.10), ``--out-dir`` created (6.2).

Each ``python -m aigif`` run imports torch and loads the model, so every test here is slow.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from PIL import Image  # noqa: E402

import aigif  # noqa: E402

pytestmark = pytest.mark.slow

SAVE = ["--prompt", "a lighthouse at dusk", "--seed", "1", "--steps", "4", "--width", "64", "--height", "64"]


def _env(base: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "AIGIF_DEBUG", "TTY_COMPATIBLE",
                                                             "TTY_INTERACTIVE", "FORCE_COLOR")}
    env.update(HF_HOME=str(base / "hf-home"), HF_HUB_OFFLINE="1", AIGIF_CACHE_DIR=str(base / "aigif-cache"),
               PYTHONIOENCODING="utf-8", **extra)
    return env


def aigif_run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aigif", *map(str, args)], cwd=cwd, env=_env(cwd, **env),
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """``save --save-pixels --image`` (no digest): px.aigif and px.png."""
    cwd = tmp_path_factory.mktemp("generation")
    proc = aigif_run(cwd, "save", "px.aigif", *SAVE, "--save-pixels", "--image", "px.png")
    assert proc.returncode == 0, proc.stderr
    return cwd, proc


def test_save_pixels_reports_the_payload(saved):
    """6.9: the pixel payload's size, codec and share of the raw pixels (not "1/1 of the pixels")."""
    cwd, proc = saved
    obj = aigif.read(cwd / "px.aigif")
    payload, codec = obj.payload.pixels, obj.compression.pixel_compressor
    assert payload is not None and obj.payload.pixel_digest is None
    text = " ".join(proc.stdout.split())
    assert "1/1 " not in text
    share = f"{len(payload) / (64 * 64 * 3):.1%}"
    assert f"pixels stored losslessly as {codec}: {len(payload):,} bytes, {share} of the raw pixels" in text
    size = (cwd / "px.aigif").stat().st_size
    assert f"the syntax takes the other {size - len(payload):,} bytes" in text


def test_save_json_reports_the_payload(saved):
    cwd, _ = saved
    proc = aigif_run(cwd, "save", "j.aigif", *SAVE, "--save-pixels", "--pixel-codec", "png", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    obj = aigif.read(cwd / "j.aigif")
    assert summary["pixel_codec"] == "png" and summary["pixel_bytes"] == len(obj.payload.pixels)
    proc = aigif_run(cwd, "save", "k.aigif", *SAVE, "--json")
    summary = json.loads(proc.stdout)
    assert summary["pixel_codec"] is None and summary["pixel_bytes"] is None


def test_stored_pixels_without_a_digest_verify_the_recreation(saved):
    """6.10: the stored pixels are compared ("bit-exact: yes"), not "expected (no digest)"."""
    cwd, _ = saved
    proc = aigif_run(cwd, "recreate", "px.aigif", "-o", "r.png")
    assert proc.returncode == 0, proc.stderr
    assert "bit-exact: yes (verified against the file's stored pixels)" in proc.stdout
    proc = aigif_run(cwd, "recreate", "px.aigif", "-o", "r.png", "--force", "--json")
    row = json.loads(proc.stdout)
    assert row["stored_pixels"] == "identical" and row["digest"] is None
    assert row["bit_exact"].startswith("bit-exact: yes")


def test_stored_pixels_that_differ_say_so(saved):
    cwd, _ = saved
    obj = aigif.read(cwd / "px.aigif")
    with Image.open(cwd / "px.png") as image:
        other = image.convert("RGB")
    other.putpixel((0, 0), (255, 0, 255))
    out = io.BytesIO()
    other.save(out, format="PNG")
    changed = dataclasses.replace(obj, compression=dataclasses.replace(obj.compression, pixel_compressor="png"),
                                  payload=dataclasses.replace(obj.payload, pixels=out.getvalue()))
    aigif.write(changed, cwd / "changed.aigif")
    proc = aigif_run(cwd, "recreate", "changed.aigif", "another.aigif", "--out-dir", "new/folder", "--json")
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert rows[0]["ok"] and rows[0]["stored_pixels"] == "differ"
    assert rows[0]["bit_exact"] == "bit-exact: no (differs from the file's stored pixels)"
    assert rows[1]["error"] == "not-found" and proc.returncode == 1
    assert (cwd / "new" / "folder" / "changed.png").is_file()  # 6.2: --out-dir is created


def test_a_single_recreation_shows_its_steps_on_a_terminal(saved):
    """6.8: ``step N/4`` on standard error when it is a terminal (rich is told so by TTY_COMPATIBLE);
    nothing on standard error otherwise, and standard output stays clean JSON either way."""
    cwd, _ = saved
    proc = aigif_run(cwd, "recreate", "px.aigif", "-o", "tty.png", "--json", TTY_COMPATIBLE="1",
                     TTY_INTERACTIVE="1")
    assert proc.returncode == 0, proc.stderr
    assert "step 4/4" in proc.stderr and "\x1b" in proc.stderr
    assert json.loads(proc.stdout)["ok"] is True
    proc = aigif_run(cwd, "recreate", "px.aigif", "-o", "pipe.png", "--json")
    assert proc.returncode == 0 and proc.stderr == ""
    proc = aigif_run(cwd, "save", "tty.aigif", *SAVE, TTY_COMPATIBLE="1", TTY_INTERACTIVE="1")
    assert proc.returncode == 0 and "step 4/4" in proc.stderr, proc.stderr


def test_the_library_reports_each_step(saved):
    """``progress`` of ``aigif.recreate`` and ``aigif.save``: called after each step; no pixel changes."""
    cwd, _ = saved
    steps = []
    image = aigif.recreate(cwd / "px.aigif", progress=lambda step, total: steps.append((step, total)))
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert image.info["aigif"]["stored_pixels"] == "identical"
    steps.clear()
    aigif.save(None, prompt="a lighthouse at dusk", seed=1, steps=3, width=64, height=64,
               progress=lambda step, total: steps.append((step, total)))
    assert steps == [(1, 3), (2, 3), (3, 3)]
