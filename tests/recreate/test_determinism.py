"""Determinism profiles (``aigif._recreate._determinism``, issue 12).

The cross-machine evidence (every CPU variation this machine can produce, each scheduler) is
``tools/recreate/cpu_determinism.py``'s matrix; here: the profile's rules, what ``apply`` reports in a
process that used torch first, and the digest-verified round trips the issue asks for (saved with
one thread count, recreated with another; a thread count edited in the file's JSON).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from helpers import ROOT, raises_code  # noqa: E402

from aigif import UsageError  # noqa: E402
from aigif._recreate import _determinism  # noqa: E402
from aigif._recreate._determinism import NATIVE, PORTABLE, Applied  # noqa: E402


@pytest.mark.parametrize("name, profile", [(None, PORTABLE), ("portable", PORTABLE), (PORTABLE, PORTABLE),
                                           ("native", NATIVE)])
def test_resolve_names_and_aliases(name, profile):
    assert _determinism.resolve(name) == profile


def test_resolve_refuses_an_unknown_profile():
    with raises_code("invalid-value", UsageError):
        _determinism.resolve("fast")


@pytest.mark.parametrize("recorded, device, profile", [
    (PORTABLE, "cpu", PORTABLE), (PORTABLE, "cuda:0", NATIVE), (NATIVE, "cpu", NATIVE), (None, "cpu", NATIVE),
    (7, "cpu", NATIVE),
])
def test_a_recreation_applies_the_files_profile_on_the_cpu_only(recorded, device, profile):
    """Old files (no profile) were made natively; the CPU profile means nothing on a GPU."""
    assert _determinism.for_file(recorded, device) == profile


def test_a_save_applies_the_cpu_profile_on_the_cpu_only():
    assert _determinism.for_save(None, "cpu") == PORTABLE
    assert _determinism.for_save("native", "cpu") == NATIVE
    assert _determinism.for_save("portable", "cuda") == NATIVE


def test_machine_outside_the_profile_is_named(monkeypatch):
    """Bad input of the issue: a machine the profile cannot cover (aarch64, no AVX2) is said so."""
    monkeypatch.setattr(_determinism._stdlib_platform, "machine", lambda: "aarch64")
    assert _determinism.machine_reasons() == ["the portable CPU profile covers x86-64 CPUs; this one is aarch64"]
    monkeypatch.setattr(_determinism._stdlib_platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(_determinism, "cpu_identity", lambda: ("AuthenticAMD", "Old", frozenset({"sse2", "avx"})))
    assert _determinism.machine_reasons() == ["this CPU has no AVX2 or FMA, which the portable profile's guarantee needs"]
    monkeypatch.setattr(_determinism, "cpu_identity", lambda: (None, None, None))
    assert "cannot be confirmed" in _determinism.machine_reasons()[0]


def test_apply_outside_the_profile_falls_back_to_native_and_says_why(monkeypatch):
    monkeypatch.setattr(_determinism, "machine_reasons", lambda: ["this CPU has no AVX2"])
    applied = _determinism.apply(PORTABLE)
    assert applied == Applied(PORTABLE, NATIVE, ("this CPU has no AVX2",))
    assert "native, not cpu-portable-1 (this CPU has no AVX2)" in applied.summary


def test_apply_holds_in_this_process():
    """conftest prepared the profile before torch was imported, as the aigif command does."""
    applied = _determinism.apply(PORTABLE)
    assert applied.in_effect == (NATIVE if _determinism.machine_reasons() else PORTABLE), applied
    assert torch.backends.cpu.get_cpu_capability() == "DEFAULT"
    assert _determinism.apply(NATIVE) == Applied(NATIVE, NATIVE)


def test_settings_pin_the_kernels_and_put_everything_back():
    nnpack = lambda: torch._C._get_nnpack_enabled()  # noqa: E731
    before = (torch.get_num_threads(), torch.backends.mkldnn.enabled, nnpack())
    with _determinism.settings(Applied(PORTABLE, PORTABLE), 1):
        assert not torch.backends.mkldnn.enabled and not nnpack()
        assert torch.get_num_threads() == before[0], "the portable profile runs with any thread count"
    with _determinism.settings(Applied(NATIVE, NATIVE), 1):
        assert torch.get_num_threads() == 1, "native: the recorded thread count"
        assert torch.backends.mkldnn.enabled == before[1]
    assert (torch.get_num_threads(), torch.backends.mkldnn.enabled, nnpack()) == before


LATE = r"""
import json, sys, torch
if sys.argv[1] == "used":
    torch.ones(64) + 1  # ATen picks its kernels on first use
from aigif._recreate import _determinism
_determinism.prepare(_determinism.PORTABLE)
applied = _determinism.apply(_determinism.PORTABLE)
print(json.dumps([applied.in_effect, list(applied.reasons)]))
"""


def _late(mode: str) -> list:
    environment = {key: value for key, value in os.environ.items() if key not in _determinism.ENVIRONMENT}
    done = subprocess.run([sys.executable, "-c", LATE, mode], capture_output=True, text=True, env=environment,
                          cwd=ROOT, timeout=300, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_profile_after_torch_was_used_reports_native_with_the_reason():
    """Issue: called after torch ran with other settings, the report says exactly which guarantee holds."""
    if _determinism.machine_reasons():
        pytest.skip("this machine is outside the portable profile")
    in_effect, reasons = _late("used")
    assert in_effect == NATIVE
    assert any("ATen already runs its" in reason for reason in reasons), reasons


@pytest.mark.slow
def test_profile_after_torch_was_imported_but_not_used_is_verified_by_the_probe():
    """Set after ``import torch`` but before any work: a fresh process computes the same probe."""
    if _determinism.machine_reasons():
        pytest.skip("this machine is outside the portable profile")
    assert _late("imported") == [PORTABLE, []]


# --------------------------------------------------------------------------------------------
# The "done when" and the platform-check matrix: each run in a fresh process, as a user's.

SIZE = ["--width", "64", "--height", "64", "--steps", "4"]


def _aigif(tmp_path, *args, environment=None):
    env = {key: value for key, value in os.environ.items()
           if key not in ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "OMP_NUM_THREADS")}
    env.update(environment or {})
    done = subprocess.run([sys.executable, "-m", "aigif", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=600)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _save(tmp_path, name, *options, threads=1, environment=None):
    done = _aigif(tmp_path, "save", name, "--prompt", "a red fox in the snow", "--seed", "11", "--pixel-digest",
                  *SIZE, *options, environment={"OMP_NUM_THREADS": str(threads), **(environment or {})})
    assert done.returncode == 0, done.stderr
    return tmp_path / name


def _recreate(tmp_path, file, threads=2, environment=None) -> dict:
    out = tmp_path / f"{file.stem}-{threads}-{len(list(tmp_path.iterdir()))}.png"
    done = _aigif(tmp_path, "recreate", file, "-o", out, "--json",
                  environment={"OMP_NUM_THREADS": str(threads), **(environment or {})})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _edited(tmp_path, file, name, change) -> object:
    """``aigif info --json`` -> edit -> ``aigif build``, as the issue does by hand."""
    document = json.loads(_aigif(tmp_path, "info", "--json", file).stdout)
    change(document)
    (tmp_path / f"{name}.json").write_text(json.dumps(document), "utf-8")
    done = _aigif(tmp_path, "build", f"{name}.json", "-o", f"{name}.aigif")
    assert done.returncode == 0, done.stderr
    return tmp_path / f"{name}.aigif"


def _holds(report: dict) -> bool:
    """The prediction is honest: "bit-exact expected" is never followed by "differs"."""
    return not (report["expectation"] == "bit-exact" and report["digest"] == "differs")


@pytest.mark.slow
def test_saved_with_one_thread_recreated_with_two_and_the_reverse_bit_exact(tmp_path):
    """Issue, done when: 1 thread -> 2 and 2 -> 1, verified by digest, under the default profile."""
    if _determinism.machine_reasons():
        pytest.skip("this machine is outside the portable profile")
    one = _save(tmp_path, "one.aigif", threads=1)
    two = _save(tmp_path, "two.aigif", threads=2)
    for file, threads in ((one, 2), (two, 1)):
        report = _recreate(tmp_path, file, threads=threads)
        assert (report["digest"], report["expectation"]) == ("verified", "bit-exact"), report
        assert report["determinism"]["in_effect"] == PORTABLE


@pytest.mark.slow
def test_edited_thread_count_still_recreates_bit_exact(tmp_path):
    """Issue, done when: a thread count changed in the file's JSON recreates bit-exact (portable)."""
    if _determinism.machine_reasons():
        pytest.skip("this machine is outside the portable profile")
    saved = _save(tmp_path, "saved.aigif", threads=1)
    edited = _edited(tmp_path, saved, "edited", lambda doc: doc["platform"].update(threads=7))
    report = _recreate(tmp_path, edited, threads=2)
    assert (report["digest"], report["expectation"]) == ("verified", "bit-exact"), report


@pytest.mark.slow
def test_platform_check_matrix_prediction_matches_the_digest(tmp_path):
    """Issue: for every variation this machine can produce, the prediction matches the digest:
    bit-exact predicted -> verified; where the kernels really differ -> close predicted, and differs."""
    if _determinism.machine_reasons():
        pytest.skip("this machine is outside the portable profile")
    portable = _save(tmp_path, "portable.aigif", threads=1)
    native = _save(tmp_path, "native.aigif", "--determinism", "native", threads=1)
    bf16 = _save(tmp_path, "bf16.aigif", "--dtype", "bfloat16", threads=1)
    faked = _edited(tmp_path, portable, "faked", lambda doc: doc["platform"]["software"].update(transformers="4.0.0"))
    rows = {
        "portable, 2 threads": (_recreate(tmp_path, portable, 2), "bit-exact", "verified"),
        "portable, ATEN_CPU_CAPABILITY=avx2 asked": (
            _recreate(tmp_path, portable, 1, {"ATEN_CPU_CAPABILITY": "avx2"}), "bit-exact", "verified"),
        "portable bfloat16, 2 threads": (_recreate(tmp_path, bf16, 2), "bit-exact", "verified"),
        "portable, transformers faked in the file": (_recreate(tmp_path, faked, 2), "close", None),
        "native, another default thread count": (_recreate(tmp_path, native, 2), "bit-exact", "verified"),
        "native, DEFAULT kernels": (_recreate(tmp_path, native, 1, {"ATEN_CPU_CAPABILITY": "default"}), "close",
                                    "differs"),
    }
    # Kernels below this CPU's own: AVX2 ones only where the CPU runs AVX-512 natively, so that the
    # test means the same on an AVX2-only machine.
    if json.loads(_aigif(tmp_path, "info", "--json", native).stdout)["platform"]["cpu_capability"] == "AVX512":
        rows["native, AVX2 kernels"] = (_recreate(tmp_path, native, 1, {"ATEN_CPU_CAPABILITY": "avx2"}), "close",
                                        "differs")
    for label, (report, predicted, digest) in rows.items():
        assert _holds(report), (label, report)
        assert report["expectation"] == predicted, (label, report)
        if digest is not None:
            assert report["digest"] == digest, (label, report)
    assert "transformers 4.0.0 -> " in " ".join(rows["portable, transformers faked in the file"][0]["differences"])
    assert any(d.startswith("cpu_capability AVX") and d.endswith("-> DEFAULT")
               for d in rows["native, DEFAULT kernels"][0]["differences"])


LIBRARY_LATE = r"""
import json, sys, torch
torch.ones(64) @ torch.ones(64)  # the application used torch first, with its own settings
import aigif
image = aigif.recreate(sys.argv[1])
print(json.dumps(image.info["aigif"]))
"""


@pytest.mark.slow
def test_library_after_torch_was_used_says_the_profile_did_not_hold_and_predicts_close(tmp_path):
    """Issue: a library call after torch ran with other settings reports which guarantee holds; the
    prediction is then close, never a bit-exact that the digest refutes."""
    if _determinism.machine_reasons():
        pytest.skip("this machine is outside the portable profile")
    portable = _save(tmp_path, "portable.aigif", threads=1)
    environment = {key: value for key, value in os.environ.items() if key not in _determinism.ENVIRONMENT}
    done = subprocess.run([sys.executable, "-c", LIBRARY_LATE, str(portable)], capture_output=True, text=True,
                          env=environment, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["determinism"]["in_effect"] == NATIVE and report["determinism"]["reasons"]
    assert report["expectation"] == "close" and _holds(report)


def test_unknown_profile_on_the_command_line_is_a_usage_error(tmp_path):
    """Bad usage: one line naming the choices, exit 2, nothing written, torch never needed."""
    done = _aigif(tmp_path, "save", "x.aigif", "--prompt", "a", "--determinism", "fast")
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "'portable', 'native'" in lines[0] and lines[0].startswith("aigif: usage error:")
    assert not (tmp_path / "x.aigif").exists()
