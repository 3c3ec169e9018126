"""``aigif save``, ``aigif recreate`` and ``aigif verify`` as a user runs them (subprocesses).

Issue requirements (CLI): "``aigif save`` prints how small the file is (AIGIF bytes vs raw pixels
vs PNG) and can write the PNG; ``aigif recreate`` writes the image and says whether it is bit-exact,
recreates many files with one model load and prints a summary, never overwrites without
``--force``; ``aigif verify`` says *identical* (exit 0) or prints PSNR (exit 3); every failure is
one line on stderr, ``aigif: error: ... [code]``, exit 1, no traceback and no output written;
``--json`` prints JSON".

Each test starts ``python -m aigif`` (the interpreter running pytest) with the built-in tiny model,
64x64 and 4 steps; each run imports torch and loads the model, so they are all marked slow.
``COLUMNS`` is removed from the environment so output width is the non-terminal default.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from PIL import Image  # noqa: E402

import aigif  # noqa: E402

pytestmark = pytest.mark.slow

PROMPT = "a lighthouse at dusk"


def _env(base: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "AIGIF_DEBUG")}
    env.update(HF_HOME=str(base / "hf-home"), HF_HUB_CACHE=str(base / "hf-home" / "hub"), HF_HUB_OFFLINE="1",
               AIGIF_CACHE_DIR=str(base / "aigif-cache"), PYTHONIOENCODING="utf-8")
    return env


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aigif", *map(str, args)], cwd=cwd, env=_env(cwd),
                          capture_output=True, text=True, timeout=600)


def _flat(text: str) -> str:
    """Output with line wrapping undone (rich wraps long lines at the console width)."""
    return " ".join(text.split())


def _pixels(path: Path) -> bytes:
    with Image.open(path) as image:
        return image.convert("RGB").tobytes()


def _no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """One ``aigif save`` run: OUT.aigif and OUT.png in a module-wide working directory."""
    cwd = tmp_path_factory.mktemp("cli")
    proc = run(cwd, "save", "out.aigif", "--prompt", PROMPT, "--seed", "1", "--steps", "4", "--width", "64",
               "--height", "64", "--pixel-digest", "--image", "out.png")
    return cwd, proc


def test_save_prints_sizes_and_writes_both_files(work):
    """Issue: ``aigif save ... --pixel-digest --image OUT.png`` prints the AIGIF size, the raw pixel size
    and the PNG size, and writes both files; the file records the syntax and the pixels' digest."""
    cwd, proc = work
    assert proc.returncode == 0, proc.stderr
    _no_traceback(proc)
    out, png = cwd / "out.aigif", cwd / "out.png"
    assert out.is_file() and png.is_file()
    text = _flat(proc.stdout)
    assert f"{out.stat().st_size:,} bytes" in text
    assert "raw pixels 12,288 bytes" in text  # 64 * 64 * 3
    assert f"PNG {png.stat().st_size:,} bytes" in text
    obj = aigif.read(out)
    assert (obj.data.seed, obj.data.steps, obj.data.width, obj.data.height) == (1, 4, 64, 64)
    assert obj.data.prompt == PROMPT and obj.model.id == "aigif-tiny-sd"
    import hashlib

    assert obj.payload.pixel_digest == "sha256:" + hashlib.sha256(_pixels(png)).hexdigest()
    assert out.stat().st_size < 64 * 64 * 3


def test_recreate_one_file_is_bit_exact(work):
    """Issue: ``aigif recreate OUT -o R.png`` prints "bit-exact: yes" and R.png has OUT.png's pixels."""
    cwd, _ = work
    proc = run(cwd, "recreate", "out.aigif", "-o", "r.png")
    assert proc.returncode == 0, proc.stderr
    _no_traceback(proc)
    assert "bit-exact: yes" in _flat(proc.stdout)
    assert _pixels(cwd / "r.png") == _pixels(cwd / "out.png")


def test_recreate_many_files_prints_a_summary(work):
    """Issue: ``aigif recreate`` of 3 files with ``--out-dir`` writes 3 images and prints
    "3 of 3 recreated" (each verified bit-exact against its digest)."""
    cwd, _ = work
    names = ["first.aigif", "second.aigif", "third.aigif"]
    for name in names:
        shutil.copy(cwd / "out.aigif", cwd / name)
    (cwd / "many").mkdir()
    proc = run(cwd, "recreate", *names, "--out-dir", "many")
    assert proc.returncode == 0, proc.stderr
    _no_traceback(proc)
    text = _flat(proc.stdout)
    assert "3 of 3 recreated, 3 verified bit-exact, 0 failed" in text
    for name in names:
        assert _pixels(cwd / "many" / (Path(name).stem + ".png")) == _pixels(cwd / "out.png")


def test_existing_output_is_not_overwritten(work):
    """Issue: an existing output without ``--force`` -> exit 1, ``[exists]``, file untouched; with
    ``--force`` it is replaced."""
    cwd, _ = work
    target = cwd / "taken.png"
    target.write_bytes(b"keep me")
    proc = run(cwd, "recreate", "out.aigif", "-o", "taken.png")
    assert proc.returncode == 1
    _no_traceback(proc)
    assert "[exists]" in proc.stderr
    assert target.read_bytes() == b"keep me"
    proc = run(cwd, "recreate", "out.aigif", "-o", "taken.png", "--force")
    assert proc.returncode == 0, proc.stderr
    assert _pixels(target) == _pixels(cwd / "out.png")


def test_save_does_not_overwrite(work):
    """``aigif save`` to an existing file without ``--force`` -> exit 1 ``[exists]``, file untouched."""
    cwd, _ = work
    before = (cwd / "out.aigif").read_bytes()
    proc = run(cwd, "save", "out.aigif", "--prompt", "other", "--seed", "2", "--steps", "4", "--width", "64",
               "--height", "64")
    assert proc.returncode == 1
    _no_traceback(proc)
    assert "[exists]" in proc.stderr
    assert (cwd / "out.aigif").read_bytes() == before


def test_verify_identical(work):
    """Issue: ``aigif verify OUT OUT.png`` -> "identical", exit 0."""
    cwd, _ = work
    proc = run(cwd, "verify", "out.aigif", "out.png")
    assert proc.returncode == 0, proc.stderr
    _no_traceback(proc)
    assert "identical" in proc.stdout
    assert "PSNR" not in proc.stdout


def test_verify_different_image(work):
    """Issue: ``aigif verify`` against a different image -> a PSNR line, exit 3."""
    cwd, _ = work
    with Image.open(cwd / "out.png") as image:
        other = image.convert("RGB")
    for x in range(8):
        other.putpixel((x, x), (255, 0, 255))
    other.save(cwd / "other.png")
    proc = run(cwd, "verify", "out.aigif", "other.png")
    assert proc.returncode == 3, proc.stderr
    _no_traceback(proc)
    text = _flat(proc.stdout)
    assert re.search(r"PSNR \d+\.\d\d dB", text), text
    assert "MS-SSIM" in text and "max |difference|" in text


# ---------------------------------------------------------------------------------------------
# failures: one line, exit 1, nothing written

BAD_FILES = {
    "bad-signature": "a-file-that-is-not-an-aigif-file-at-all.aigif",
    "truncated": "a-truncated-copy-of-a-perfectly-good-file.aigif",
    "model-not-found": "a-file-naming-a-model-that-exists-nowhere.aigif",
}


@pytest.fixture(scope="module")
def failures(work):
    """Run each bad input once through ``recreate -o`` and ``verify``; tests inspect the results."""
    cwd, _ = work
    good = (cwd / "out.aigif").read_bytes()
    (cwd / BAD_FILES["bad-signature"]).write_text("hello, I am plain text\n")
    (cwd / BAD_FILES["truncated"]).write_bytes(good[: len(good) // 2])
    obj = aigif.read(cwd / "out.aigif")
    aigif.write(dataclasses.replace(obj, model=dataclasses.replace(obj.model, id="nobody/no-such-model")),
                cwd / BAD_FILES["model-not-found"])
    results = {}
    for code, name in BAD_FILES.items():
        results["recreate", code] = run(cwd, "recreate", name, "-o", f"from-{code}.png")
        results["verify", code] = run(cwd, "verify", name, "out.png")
    return cwd, results


CASES = [pytest.param(command, code, id=f"{command}-{code}") for command in ("recreate", "verify")
         for code in BAD_FILES]


@pytest.mark.parametrize("command, code", CASES)
def test_failure_is_exit_1_with_code_and_no_output(failures, command, code):
    """Issue: a non-AIGIF file / truncated file / unknown model -> exit 1, ``aigif: error: ... [code]``
    on stderr, no traceback, no output image written."""
    cwd, results = failures
    proc = results[command, code]
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    _no_traceback(proc)
    flat = _flat(proc.stderr)
    assert flat.startswith("aigif: error: ") and flat.endswith(f"[{code}]"), proc.stderr
    assert not (cwd / f"from-{code}.png").exists()
    if code == "model-not-found":
        assert "nobody/no-such-model" in flat


@pytest.mark.parametrize("command, code", [
    pytest.param(command, code, id=f"{command}-{code}")
    for command in ("recreate", "verify") for code in BAD_FILES])
def test_failure_is_exactly_one_stderr_line(failures, command, code):
    """Issue: every failure is exactly one stderr line ``aigif: error: ... [code]``, whatever its length."""
    _, results = failures
    lines = results[command, code].stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert re.fullmatch(rf"aigif: error: .* \[{re.escape(code)}\]", lines[0]), lines


# ---------------------------------------------------------------------------------------------
# --json


def test_save_json(work):
    """``aigif save --json`` prints one JSON object with the sizes and the seed."""
    cwd, _ = work
    proc = run(cwd, "save", "j.aigif", "--prompt", PROMPT, "--seed", "5", "--steps", "4", "--width", "64",
               "--height", "64", "--pixel-digest", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["aigif_bytes"] == (cwd / "j.aigif").stat().st_size
    assert summary["raw_pixel_bytes"] == 64 * 64 * 3
    assert summary["png_bytes"] > 0
    assert summary["seed"] == 5 and summary["model"] == "aigif-tiny-sd"


def test_recreate_json(work):
    """``aigif recreate --json`` prints one JSON object per file, errors included."""
    cwd, _ = work
    shutil.copy(cwd / "out.aigif", cwd / "json-one.aigif")
    (cwd / "json-two.aigif").write_bytes(b"not an aigif file")
    (cwd / "json-out").mkdir()
    proc = run(cwd, "recreate", "json-one.aigif", "json-two.aigif", "--out-dir", "json-out", "--json")
    assert proc.returncode == 1  # one of the two failed
    rows = [json.loads(line) for line in proc.stdout.strip().splitlines()]
    assert [row["ok"] for row in rows] == [True, False]
    assert rows[0]["digest"] == "verified" and rows[0]["source"] == "recreated"
    assert rows[0]["expectation"] == "bit-exact"
    assert rows[1]["error"] == "bad-signature"
    assert _pixels(cwd / "json-out" / "json-one.png") == _pixels(cwd / "out.png")
    assert not (cwd / "json-out" / "json-two.png").exists()


def test_verify_json(work):
    """``aigif verify --json`` prints the comparison as JSON (identical: psnr_db null, never 80/100)."""
    cwd, _ = work
    proc = run(cwd, "verify", "out.aigif", "out.png", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["identical"] is True and result["psnr_db"] is None
    assert result["ms_ssim"] == 1.0 and result["max_abs_diff"] == 0
    assert result["recreation"]["digest"] == "verified"
