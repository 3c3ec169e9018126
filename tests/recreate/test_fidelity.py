"""Recreation conformance: ``aigif conformance recreate``, its reference set and its report logic.

Issue 4, deliverable 4: "``aigif conformance recreate`` recreates a set of reference files (tiny-sd;
DDIM, DPM++ 2M and Euler a; two sizes) whose reference PNGs were made on the reference platform and
ship with the suite, and reports a matrix like the paper's Table V: saving platform x recreation
platform -> PSNR (exact; "identical" when equal), MS-SSIM, maximum absolute difference."

* the shipped set (``conformance/recreate``): its manifest's SHA-256s match the files, every file
  reads and holds what the manifest says, each PNG's pixels are its file's pixel digest;
* the comparison and report logic on small synthetic images: identical -> "identical" (never a
  capped PSNR), one value off by one -> the exact finite PSNR and a largest difference of 1;
* suite loading refuses a missing folder, a tampered PNG (even with its SHA-256 updated), a
  malformed manifest, a name that leaves the folder;
* the command as a user runs it (subprocesses, marked slow): on this machine — the reference
  platform, CPU, torch 2.13.0, float32, 2 threads — every file recreates identically (exit 0);
  with ``--dtype bfloat16`` they differ (exit 3, says so); errors are one line with a code, exit 1.

The CLI tests run ``python -m aigif conformance recreate`` as a user would.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

from PIL import Image  # noqa: E402

from aigif._recreate import _fidelity  # noqa: E402
from aigif._recreate._metrics import compare  # noqa: E402
from helpers import ROOT, raises_code  # noqa: E402

SUITE = ROOT / "conformance" / "recreate"
MANIFEST = SUITE / "manifest.json"



def _manifest() -> dict:
    return json.loads(MANIFEST.read_text("utf-8"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pixels(path: Path) -> bytes:
    with Image.open(path) as image:
        return image.convert("RGB").tobytes()


# ---------------------------------------------------------------------------------------------
# 1. The shipped reference set


def test_manifest_sha256s_match_the_shipped_files():
    """Every file the manifest lists exists and has the SHA-256 it records."""
    for case in _manifest()["cases"]:
        assert _sha256(SUITE / case["file"]) == case["file_sha256"], case["file"]
        assert _sha256(SUITE / case["image"]) == case["image_sha256"], case["image"]


def test_sha256sums_covers_every_generated_file():
    """``SHA256SUMS`` (``sha256sum -c`` format) lists every file but itself and the hand-written README."""
    listed = {}
    for line in (SUITE / "SHA256SUMS").read_text("utf-8").splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    on_disk = {p.name for p in SUITE.iterdir() if p.name not in ("SHA256SUMS", "README.md")}
    assert set(listed) == on_disk
    for name, digest in listed.items():
        assert _sha256(SUITE / name) == digest, name


def test_the_set_covers_what_the_issue_asks():
    """tiny-sd; DDIM, DPM++ 2M and Euler a; two sizes; a seed above 2^53; float32 on the CPU."""
    doc = _manifest()
    cases = doc["cases"]
    assert doc["format"] == "aigif-recreate-conformance" and doc["version"] == 1
    assert {c["scheduler"] for c in cases} == {"ddim", "dpmpp_2m", "euler_a"}
    assert {(c["width"], c["height"]) for c in cases} == {(128, 128), (256, 256)}
    for scheduler in ("ddim", "dpmpp_2m", "euler_a"):
        assert {c["width"] for c in cases if c["scheduler"] == scheduler} == {128, 256}
    assert any(c["seed"] > 2**53 for c in cases) and max(c["seed"] for c in cases) == 2**64 - 1
    assert {c["dtype"] for c in cases} == {"float32"}
    platform = doc["reference_platform"]
    assert platform["device"] == "cpu" and platform["torch"].startswith("2.13.0") and platform["threads"]
    assert platform["determinism_profile"] == "cpu-portable-1" and platform["cpu_capability"] == "DEFAULT"


def test_each_file_holds_what_the_manifest_says_and_its_png_is_its_digest():
    """The AIGIF file records the manifest's parameters, the reference platform and a pixel digest,
    and that digest is the SHA-256 of the shipped PNG's RGB pixels (R6.6)."""
    import aigif

    doc = _manifest()
    for case in doc["cases"]:
        obj = aigif.read(SUITE / case["file"])
        assert obj.model.id == "aigif-tiny-sd"
        assert (obj.model.scheduler, obj.model.dtype) == (case["scheduler"], case["dtype"])
        assert (obj.data.width, obj.data.height, obj.data.seed, obj.data.steps) == \
            (case["width"], case["height"], case["seed"], case["steps"])
        assert aigif.to_json(obj)["platform"] == doc["reference_platform"]
        assert obj.payload.pixel_digest == case["pixel_digest"]
        assert case["pixel_digest"] == "sha256:" + hashlib.sha256(_pixels(SUITE / case["image"])).hexdigest()


def test_generator_refuses_to_overwrite_without_force(tmp_path):
    """``tools/gen_recreate_refs.py`` never replaces an existing set unless ``--force`` (checked before
    anything is generated: the files are untouched)."""
    copy = tmp_path / "recreate"
    shutil.copytree(SUITE, copy)
    before = {p.name: p.read_bytes() for p in copy.iterdir()}
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_recreate_refs.py"), "--out", str(copy)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "refusing to overwrite" in proc.stderr and "--force" in proc.stderr
    assert {p.name: p.read_bytes() for p in copy.iterdir()} == before


# ---------------------------------------------------------------------------------------------
# 2. Comparison and report logic on synthetic images


def _picture(width=48, height=32, seed=0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8), "RGB")


def _row(a, b, name="x") -> dict:
    comparison = compare(a, b)
    return {"name": name, **_fidelity.comparison_json(comparison, _fidelity.changed_subpixels(a, b),
                                                      a.width * a.height * 3)}


def test_identical_images_report_identical_never_a_capped_psnr():
    image = _picture()
    row = _row(image, image.copy())
    assert row["identical"] is True and row["psnr_db"] is None
    assert row["max_abs_diff"] == 0 and row["changed_subpixels"] == 0 and row["ms_ssim"] == 1.0
    assert _fidelity.describe(row) == "identical"
    cell = _fidelity.summarize([row, row])
    assert cell["identical"] == 2 and cell["min_psnr_db"] is None and cell["mean_psnr_db"] is None
    assert _fidelity.cell_text(cell) == "identical"
    assert "dB" not in _fidelity.cell_text(cell)


def test_one_value_off_by_one_is_the_exact_finite_psnr():
    """One sub-pixel off by 1 in a 48x32 RGB image: MSE = 1/4608, PSNR = 10 log10(255^2 * 4608)."""
    image = _picture()
    array = np.array(image)
    array[5, 7, 1] = array[5, 7, 1] + 1 if array[5, 7, 1] < 255 else 254
    row = _row(image, Image.fromarray(array, "RGB"))
    expected = 10 * math.log10(255.0**2 * (48 * 32 * 3))
    assert row["identical"] is False
    assert row["psnr_db"] == pytest.approx(expected, abs=1e-9) and math.isfinite(row["psnr_db"])
    assert row["max_abs_diff"] == 1 and row["changed_subpixels"] == 1 and row["subpixels"] == 48 * 32 * 3
    assert 0.99 < row["ms_ssim"] < 1.0
    assert _fidelity.describe(row) == f"PSNR {expected:.2f} dB"
    text = _fidelity.cell_text(_fidelity.summarize([row]))
    assert text.startswith(f"{expected:.2f} dB · ") and text.endswith(" · 1")
    assert "1.000000 " not in text  # an MS-SSIM below 1 is never printed as 1


def test_ms_ssim_is_printed_with_enough_digits_to_stay_below_one():
    assert _fidelity.format_ms_ssim(1.0) == "1.000000"
    assert _fidelity.format_ms_ssim(0.9997181) == "0.999718"
    assert _fidelity.format_ms_ssim(0.999999994879943) == "0.99999999"
    assert float(_fidelity.format_ms_ssim(1 - 1e-13)) < 1


def test_a_cell_is_the_worst_case_and_counts_identical_files():
    base = _picture(seed=1)
    off_by_one = np.array(base)
    off_by_one[0, 0, 0] ^= 1
    noisy = np.clip(np.array(base).astype(int) + np.random.default_rng(2).integers(-9, 10, size=off_by_one.shape),
                    0, 255).astype(np.uint8)
    rows = [_row(base, base), _row(base, Image.fromarray(off_by_one)), _row(base, Image.fromarray(noisy))]
    cell = _fidelity.summarize(rows)
    assert (cell["cases"], cell["identical"], cell["errors"]) == (3, 1, 0)
    assert cell["min_psnr_db"] == min(rows[1]["psnr_db"], rows[2]["psnr_db"]) == rows[2]["psnr_db"]
    assert cell["max_abs_diff"] == 9 and cell["min_ms_ssim"] == rows[2]["ms_ssim"]
    # the pooled PSNR is the PSNR of the mean MSE over all three images
    mses = [0.0] + [255.0**2 / 10 ** (r["psnr_db"] / 10) for r in rows[1:]]
    assert cell["mean_psnr_db"] == pytest.approx(10 * math.log10(255.0**2 / (sum(mses) / 3)))
    assert _fidelity.cell_text(cell).endswith("(1/3 identical)")
    errored = _fidelity.summarize(rows + [{"name": "y", "error": "model-not-found"}])
    assert _fidelity.cell_text(errored) == "error (1/4)"


def test_matrix_markdown_rows_are_saving_and_columns_recreation_platforms():
    same = {"cases": 1, "compared": 1, "identical": 1, "errors": 0, "min_psnr_db": None, "min_ms_ssim": 1.0,
            "max_abs_diff": 0}
    other = {"cases": 1, "compared": 1, "identical": 0, "errors": 0, "min_psnr_db": 91.5, "min_ms_ssim": 0.9999999,
             "max_abs_diff": 1}
    text = _fidelity.matrix_markdown(["A", "B"], {("A", "A"): same, ("A", "B"): other, ("B", "A"): other},
                                     {"C": "no GPU"})
    lines = text.splitlines()
    assert lines[0] == "| saved on ↓ / recreated on → | A | B |"
    assert lines[2] == "| A | identical | 91.50 dB · 0.9999999 · 1 |"
    assert lines[3] == "| B | 91.50 dB · 0.9999999 · 1 | — |"
    assert lines[4].startswith("| C | not run: no GPU |")


def test_report_exit_status():
    """0 when all identical, 3 when some differ, 1 when some could not be recreated."""
    suite = _fidelity.Suite(Path("s"), (), {}, {})
    report = _fidelity.Report(suite, {})
    report.rows = [{"identical": True}]
    assert report.exit_status == 0
    report.rows.append({"identical": False})
    assert report.exit_status == 3 and (report.identical, report.differing) == (1, 1)
    report.rows.append({"error": "model-not-found"})
    assert report.exit_status == 1 and report.errors == 1
    assert report.to_json()["summary"] == {"cases": 3, "identical": 1, "differ": 1, "errors": 1, "exit_status": 1}


def test_override_changes_only_what_is_asked():
    import aigif

    obj = aigif.read(SUITE / "ddim-128.aigif")
    assert _fidelity.override(obj) == obj
    one = _fidelity.override(obj, threads=1)
    assert one.platform.threads == 1 and one.model == obj.model and one.data == obj.data
    bf16 = _fidelity.override(obj, dtype="bfloat16")
    assert bf16.model.dtype == "bfloat16" and bf16.platform == obj.platform


# ---------------------------------------------------------------------------------------------
# 3. Loading a suite: every problem is refused with a code before anything runs


def test_the_shipped_suite_loads():
    suite = _fidelity.load_suite(SUITE)
    assert len(suite.cases) == len(_manifest()["cases"]) >= 6
    assert suite.reference_platform == _manifest()["reference_platform"]


@pytest.fixture
def suite_copy(tmp_path) -> Path:
    copy = tmp_path / "recreate"
    shutil.copytree(SUITE, copy)
    return copy


def _rewrite_manifest(folder: Path, change) -> None:
    doc = json.loads((folder / "manifest.json").read_text("utf-8"))
    change(doc)
    (folder / "manifest.json").write_text(json.dumps(doc), "utf-8")


def _tamper_png(path: Path) -> None:
    """Change one pixel value by one and save a valid PNG again."""
    with Image.open(path) as image:
        array = np.array(image.convert("RGB"))
    array[0, 0, 0] ^= 1
    Image.fromarray(array, "RGB").save(path)


def test_missing_folder_or_manifest_is_not_found(tmp_path):
    with raises_code("not-found"):
        _fidelity.load_suite(tmp_path / "nowhere")
    with raises_code("not-found"):
        _fidelity.load_suite(tmp_path)


def test_tampered_png_is_refused(suite_copy):
    _tamper_png(suite_copy / "ddim-128.png")
    with raises_code("suite-tampered") as info:
        _fidelity.load_suite(suite_copy)
    assert "ddim-128.png" in info.value.message


def test_tampered_png_with_its_sha256_updated_is_still_refused(suite_copy):
    """The manifest's SHA-256 can be edited; the AIGIF file's pixel digest still catches the PNG."""
    _tamper_png(suite_copy / "ddim-128.png")
    digest = _sha256(suite_copy / "ddim-128.png")

    def update(doc):
        doc["cases"][0]["image_sha256"] = digest

    _rewrite_manifest(suite_copy, update)
    with raises_code("suite-tampered") as info:
        _fidelity.load_suite(suite_copy)
    assert "pixel digest" in info.value.message


def test_missing_listed_file_is_not_found(suite_copy):
    (suite_copy / "euler_a-256.aigif").unlink()
    with raises_code("not-found"):
        _fidelity.load_suite(suite_copy)


@pytest.mark.parametrize("change", [
    lambda doc: doc.update(format="something-else"),
    lambda doc: doc.update(version=2),
    lambda doc: doc.update(cases=[]),
    lambda doc: doc["cases"][0].update(file="../escape.aigif"),
    lambda doc: doc["cases"][0].update(seed="42"),
    lambda doc: doc["cases"][1].update(name=doc["cases"][0]["name"]),
], ids=["format", "version", "no-cases", "path-escape", "seed-type", "duplicate-name"])
def test_malformed_manifest_is_invalid_suite(suite_copy, change):
    _rewrite_manifest(suite_copy, change)
    with raises_code("invalid-suite"):
        _fidelity.load_suite(suite_copy)


def test_manifest_not_json_is_invalid_suite(suite_copy):
    (suite_copy / "manifest.json").write_text("{not json", "utf-8")
    with raises_code("invalid-suite"):
        _fidelity.load_suite(suite_copy)


def test_manifest_parameters_must_match_the_file(suite_copy):
    _rewrite_manifest(suite_copy, lambda doc: doc["cases"][0].update(steps=doc["cases"][0]["steps"] + 1))
    with raises_code("suite-tampered"):
        _fidelity.load_suite(suite_copy)


def test_options_are_checked_before_loading():
    with raises_code("invalid-value"):
        _fidelity.check_options(threads=0)
    with raises_code("invalid-value"):
        _fidelity.check_options(dtype="float64")
    with raises_code("invalid-value"):
        _fidelity.check_options(device="toaster")
    if not torch.cuda.is_available():
        with raises_code("cannot-honour"):
            _fidelity.check_options(device="cuda")


# ---------------------------------------------------------------------------------------------
# 4. The command as a user runs it


def _env(base: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "AIGIF_DEBUG")}
    env.update(HF_HOME=str(base / "hf-home"), HF_HUB_CACHE=str(base / "hf-home" / "hub"), HF_HUB_OFFLINE="1",
               AIGIF_CACHE_DIR=str(base / "aigif-cache"), PYTHONIOENCODING="utf-8")
    # Idle OpenMP threads sleep rather than spin: on a busy 2-core machine spinning made a run 4-10x
    # slower. It changes no pixel (the work is split the same way); the test asserts as much.
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aigif", "conformance", "recreate", *map(str, args)], cwd=cwd,
                          env=_env(cwd), capture_output=True, text=True, timeout=600)


def _one_line_error(proc: subprocess.CompletedProcess, code: str) -> None:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("aigif: error: ") and lines[0].endswith(f"[{code}]"), lines


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.slow
def test_shipped_set_recreates_identically_on_any_avx2_cpu(tmp_path):
    """The set was saved under the portable profile (issue 12): on any x86-64 CPU with AVX2, Intel or
    AMD, at this machine's thread count, every file recreates identically (exit 0), the platform
    check predicted it, the JSON names the machine, and the written images are the reference's."""
    from aigif._recreate import _determinism

    reasons = _determinism.machine_reasons()
    if reasons:
        pytest.skip(f"outside the portable profile, so not bit-exact by design: {reasons[0]}")
    out = tmp_path / "report.json"
    proc = run(tmp_path, "--suite", SUITE, "--json", out, "--out-dir", tmp_path / "images")
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    text = _flat(proc.stdout)
    cases = _manifest()["cases"]
    assert f"all {len(cases)} images identical to the reference platform's" in text
    assert text.count("identical") >= len(cases) + 1 and "dB" not in text
    doc = json.loads(out.read_text("utf-8"))
    assert doc["summary"] == {"cases": len(cases), "identical": len(cases), "differ": 0, "errors": 0,
                              "exit_status": 0}
    assert doc["platform"]["determinism_profile"] == doc["reference_platform"]["determinism_profile"] \
        == "cpu-portable-1"
    vendor, model, _ = _determinism.cpu_identity()
    assert (doc["environment"]["cpu_vendor"], doc["environment"]["cpu_model"]) == (vendor, model)
    assert doc["environment"]["isa"] in ("AVX2", "AVX512") and doc["environment"]["kernels"] == "DEFAULT"
    assert "predicted" in text and "this machine:" in text
    for row, case in zip(doc["results"], cases):
        assert row["identical"] is True and row["psnr_db"] is None and row["max_abs_diff"] == 0
        assert row["expectation"] == "bit-exact", row["differences"]
        assert row["prediction_held"] is True and row["determinism"] == "cpu-portable-1"
        assert row["recreated_digest"] == case["pixel_digest"]
        assert _pixels(tmp_path / "images" / f"{case['name']}.png") == _pixels(SUITE / case["image"])


@pytest.mark.slow
def test_bfloat16_differs_exit_3_with_exact_psnr(tmp_path, suite_copy):
    """``--dtype bfloat16`` (one 128-pixel file, to stay fast): the image differs, exit 3, the table
    shows a finite PSNR, the summary says it differs and why, the JSON has the numbers."""
    def keep_one(doc):
        doc["cases"] = [c for c in doc["cases"] if c["name"] == "euler_a-128"]

    _rewrite_manifest(suite_copy, keep_one)
    proc = run(tmp_path, "--suite", suite_copy, "--dtype", "bfloat16", "--json", "-")
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    row = doc["results"][0]
    assert row["identical"] is False and row["dtype"] == "bfloat16" and doc["overrides"]["dtype"] == "bfloat16"
    assert 20 < row["psnr_db"] < 100 and row["max_abs_diff"] >= 1 and 0 < row["ms_ssim"] < 1
    assert "dtype float32 -> bfloat16" in row["differences"]
    assert row["expectation"] == "close" and row["prediction_held"] is True
    table = _flat(proc.stderr)  # with --json - the table goes to standard error
    assert f"PSNR {row['psnr_db']:.2f} dB" in table
    assert "1 of 1 images differ from the reference platform's" in table and "--dtype bfloat16" in table


@pytest.mark.slow
def test_missing_suite_folder_is_one_line_not_found(tmp_path):
    _one_line_error(run(tmp_path, "--suite", tmp_path / "no-such-suite"), "not-found")


@pytest.mark.slow
def test_tampered_png_is_one_line_suite_tampered(tmp_path, suite_copy):
    _tamper_png(suite_copy / "dpmpp_2m-128.png")
    proc = run(tmp_path, "--suite", suite_copy)
    _one_line_error(proc, "suite-tampered")
    assert "dpmpp_2m-128.png" in proc.stderr


@pytest.mark.slow
def test_bad_options_and_existing_outputs_are_one_line_errors(tmp_path):
    for option in (["--dtype", "float64"], ["--threads", "0"]):  # bad usage: exit 2, one line (docs/cli.md)
        proc = run(tmp_path, "--suite", SUITE, *option)
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("aigif: usage error: "), lines
        assert "[invalid-value]" in lines[0] and "Traceback" not in proc.stderr
    taken = tmp_path / "taken.json"
    taken.write_text("keep me", "utf-8")
    _one_line_error(run(tmp_path, "--suite", SUITE, "--json", taken), "exists")
    assert taken.read_text("utf-8") == "keep me"
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "ddim-128.png").write_bytes(b"keep me")
    _one_line_error(run(tmp_path, "--suite", SUITE, "--out-dir", tmp_path / "images"), "exists")
    assert (tmp_path / "images" / "ddim-128.png").read_bytes() == b"keep me"


@pytest.mark.slow
def test_generator_is_deterministic(tmp_path):
    """``tools/gen_recreate_refs.py --only ddim-128`` into an empty folder makes that case again: the same
    parameters and pixel digest (on any CPU the portable profile covers); on the platform the set was
    made on, byte for byte the same files."""
    from aigif._recreate import _determinism

    reasons = _determinism.machine_reasons()
    if reasons:
        pytest.skip(f"outside the portable profile, so not bit-exact by design: {reasons[0]}")
    out = tmp_path / "again"
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_recreate_refs.py"), "--out", str(out),
                           "--only", "ddim-128"], capture_output=True, text=True, timeout=600, env=_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    shipped, made = _manifest(), json.loads((out / "manifest.json").read_text("utf-8"))

    def strip(case):  # the files' SHA-256s depend on the platform recorded in them
        return {key: value for key, value in case.items() if not key.endswith("_sha256")}

    assert [strip(case) for case in made["cases"]] == \
        [strip(case) for case in shipped["cases"] if case["name"] == "ddim-128"]
    if (made["reference_platform"], made["pillow"]) == (shipped["reference_platform"], shipped["pillow"]):
        for name in ("ddim-128.aigif", "ddim-128.png"):
            assert (out / name).read_bytes() == (SUITE / name).read_bytes(), name
