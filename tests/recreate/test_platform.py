"""Platform capture and the compatibility verdict (``aigif._recreate._platform``).

Issue requirement: "record the platform an image was made on (device, arch, GPU, CUDA, torch,
diffusers, threads, determinism, attention) and, before recreating, say what to expect: identical
platform -> bit-exact; same device class, other platform -> close, listing the differences;
another device class -> degraded".

There is no GPU on the machines these tests run on: the CUDA code paths are exercised with fakes
(``torch.cuda.get_device_name``, ``torch.version.cuda`` and ``torch.backends.cudnn.version`` are
monkeypatched). No model is loaded; these tests are fast.
"""

from __future__ import annotations

import dataclasses
import platform as stdlib_platform

import pytest

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")

from aigif import Platform  # noqa: E402
from aigif._recreate import _determinism, _platform  # noqa: E402
from aigif._recreate._engine import deterministic  # noqa: E402
from aigif._recreate._platform import cuda_code, current, device_kind, expectation  # noqa: E402

FULL_CPU = Platform(device="cpu", arch="x86_64", gpu="none", cuda="none", torch="2.13.0+cpu", diffusers="0.42.1",
                    cpu_capability="AVX2", threads=2,
                    determinism=frozenset({"deterministic_algorithms", "cudnn_deterministic"}),
                    attention="AttnProcessor2_0", cpu_vendor="GenuineIntel", cpu_model="Intel(R) Xeon(R) Processor",
                    determinism_profile="native",
                    software={"python": "3.11.7", "transformers": "5.25.0", "numpy": "2.4.6", "libc": "glibc 2.36"})
FULL_GPU = dataclasses.replace(FULL_CPU, device="gpu", gpu="NVIDIA GeForce RTX 4090", cuda="cu121")
PORTABLE_CPU = dataclasses.replace(FULL_CPU, cpu_capability="DEFAULT", determinism_profile="cpu-portable-1")
NATIVE_ONLY = _determinism.Applied("native", "native")


# --------------------------------------------------------------------------------------------
# cuda_code / device_kind


@pytest.mark.parametrize("version, code", [("12.1", "cu121"), ("11.8", "cu118"), ("12.4.1", "cu124"),
                                           (None, "none"), ("", "none")])
def test_cuda_code(version, code):
    """``torch.version.cuda`` -> the CUDA registry's name (spec 7.5): "12.1" -> "cu121", None -> "none"."""
    assert cuda_code(version) == code


@pytest.mark.parametrize("device, kind", [("cpu", "cpu"), ("cuda", "gpu"), ("cuda:1", "gpu"), ("mps", "mps")])
def test_device_kind(device, kind):
    """torch device strings map to the platform registry's device names (spec 7.4)."""
    assert device_kind(device) == kind


# --------------------------------------------------------------------------------------------
# current()


def test_current_cpu_records_this_machine():
    """Issue: the platform records device cpu, arch, torch, diffusers, threads, determinism, attention."""
    here = current("cpu", "AttnProcessor")
    assert here.device == "cpu"
    assert here.gpu == "none" and here.cuda == "none"
    machine = stdlib_platform.machine().lower()
    assert here.arch == _platform._ARCH_ALIASES.get(machine, machine or "unknown")
    assert here.torch == torch.__version__
    assert here.diffusers == diffusers.__version__
    assert here.threads == torch.get_num_threads()
    assert isinstance(here.determinism, frozenset)
    assert here.attention == "AttnProcessor"
    assert here.software["python"] == stdlib_platform.python_version()
    assert here.cpu_capability == torch.backends.cpu.get_cpu_capability()


def test_current_inside_deterministic_records_the_flags_and_threads():
    """Under ``deterministic(n)`` the recorded platform shows deterministic algorithms, no TF32, n threads."""
    before = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())
    with deterministic(NATIVE_ONLY, 1):
        here = current("cpu")
    assert here.threads == 1
    assert "deterministic_algorithms" in here.determinism
    assert "cudnn_deterministic" in here.determinism
    assert not {"tf32_matmul", "tf32_cudnn", "cudnn_benchmark"} & here.determinism
    assert (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()) == before


def test_current_cuda_with_fakes(monkeypatch):
    """No GPU here: with faked CUDA calls, a cuda run records device gpu, the GPU name and "cu121"."""
    calls = []

    def fake_name(index=0):
        calls.append(index)
        return "NVIDIA Fake GPU 9000"

    monkeypatch.setattr(torch.cuda, "get_device_name", fake_name)
    monkeypatch.setattr(torch.version, "cuda", "12.1")
    monkeypatch.setattr(torch.backends.cudnn, "version", lambda: 8902)
    here = current("cuda:1", "AttnProcessor2_0")
    assert here.device == "gpu"
    assert here.gpu == "NVIDIA Fake GPU 9000"
    assert here.cuda == "cu121"
    assert here.software.get("cudnn") == "8902"
    assert calls == [1], "the GPU of the requested device index is named"
    default = current("cuda")
    assert default.gpu == "NVIDIA Fake GPU 9000" and calls[-1] == 0


def test_current_cuda_without_cudnn_with_fakes(monkeypatch):
    """No GPU here (fakes): no cuDNN version -> no "cudnn" software entry, CUDA still recorded."""
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Fake")
    monkeypatch.setattr(torch.version, "cuda", "11.8")
    monkeypatch.setattr(torch.backends.cudnn, "version", lambda: None)
    here = current("cuda")
    assert here.cuda == "cu118"
    assert "cudnn" not in here.software


# --------------------------------------------------------------------------------------------
# expectation()


def test_identical_platform_is_bit_exact():
    """Issue: identical platform -> bit-exact expected, no differences."""
    verdict = expectation(FULL_CPU, FULL_CPU)
    assert verdict.verdict == "bit-exact"
    assert verdict.differences == ()
    assert "bit-exact expected" in verdict.summary


def test_identical_gpu_platform_is_bit_exact():
    """Identical GPU platforms (fake values; no GPU needed to compare records) -> bit-exact."""
    assert expectation(FULL_GPU, dataclasses.replace(FULL_GPU)).verdict == "bit-exact"


@pytest.mark.parametrize("name, value, listed", [
    ("threads", 1, "threads 2 -> 1"),
    ("torch", "2.5.0+cpu", "torch 2.13.0+cpu -> 2.5.0+cpu"),
    ("diffusers", "0.30.0", "diffusers 0.42.1 -> 0.30.0"),
    ("arch", "aarch64", "arch x86_64 -> aarch64"),
    ("cpu_capability", "AVX512", "cpu_capability AVX2 -> AVX512"),
    ("attention", "AttnProcessor", "attention AttnProcessor2_0 -> AttnProcessor"),
    ("cpu_vendor", "AuthenticAMD", "cpu_vendor GenuineIntel -> AuthenticAMD"),
    ("cpu_model", "AMD EPYC 9R14 96-Core Processor", "cpu_model Intel(R) Xeon(R) Processor -> "
                                                     "AMD EPYC 9R14 96-Core Processor"),
    ("software", {"python": "3.12.0", "transformers": "5.23.0", "numpy": "2.4.6", "libc": "glibc 2.36"},
     "transformers 5.25.0 -> 5.23.0"),
    ("software", {"python": "3.11.7", "transformers": "5.25.0", "numpy": "2.4.6", "libc": "glibc 2.41"},
     "libc glibc 2.36 -> glibc 2.41"),
])
def test_same_device_other_platform_is_close_listing_the_difference(name, value, listed):
    """Issue: same device class, another platform -> close, with the difference listed."""
    here = dataclasses.replace(FULL_CPU, **{name: value})
    verdict = expectation(FULL_CPU, here)
    assert verdict.verdict == "close"
    assert listed in verdict.differences
    assert len(verdict.differences) == 1
    assert listed in verdict.summary


@pytest.mark.parametrize("name, value, listed", [
    ("gpu", "NVIDIA A100-SXM4-80GB", "gpu NVIDIA GeForce RTX 4090 -> NVIDIA A100-SXM4-80GB"),
    ("cuda", "cu118", "cuda cu121 -> cu118"),
])
def test_other_gpu_is_close(name, value, listed):
    """Issue: another GPU or CUDA (fake records) -> close, with the difference listed."""
    verdict = expectation(FULL_GPU, dataclasses.replace(FULL_GPU, **{name: value}))
    assert verdict.verdict == "close"
    assert verdict.differences == (listed,)


@pytest.mark.parametrize("recorded, here, listed", [
    (FULL_CPU, FULL_GPU, "device cpu -> gpu"),
    (FULL_GPU, FULL_CPU, "device gpu -> cpu"),
    (FULL_CPU, dataclasses.replace(FULL_CPU, device="mps"), "device cpu -> mps"),
])
def test_other_device_class_is_degraded(recorded, here, listed):
    """Issue: cpu vs gpu (another device class) -> degraded."""
    verdict = expectation(recorded, here)
    assert verdict.verdict == "degraded"
    assert listed in verdict.differences
    assert "another device class" in verdict.summary


def test_missing_recorded_info_is_close_not_recorded():
    """Issue: a file that does not record its platform -> close, saying what was "not recorded"."""
    verdict = expectation(Platform(), FULL_CPU)  # device cpu is the default; nothing else recorded
    assert verdict.verdict == "close"
    for name in ("arch", "torch", "diffusers", "cpu_capability", "threads", "attention", "cpu_vendor", "cpu_model",
                 "determinism profile"):
        assert f"{name} not recorded" in verdict.differences, verdict.differences


@pytest.mark.parametrize("name", ["torch", "threads", "attention", "cpu_model"])
def test_one_missing_field_is_named(name):
    """A single unrecorded field makes the verdict close and is named as not recorded."""
    verdict = expectation(dataclasses.replace(FULL_CPU, **{name: None}), FULL_CPU)
    assert verdict.verdict == "close"
    assert verdict.differences == (f"{name} not recorded",)


def test_saved_without_deterministic_algorithms_is_close():
    """A file saved without deterministic algorithms cannot promise bit-exactness."""
    recorded = dataclasses.replace(FULL_CPU, determinism=frozenset())
    verdict = expectation(recorded, FULL_CPU)
    assert verdict.verdict == "close"
    assert "saved without deterministic algorithms" in verdict.differences


# --------------------------------------------------------------------------------------------
# The portable profile (issue 12): the CPU and the thread count no longer decide the pixels.


@pytest.mark.parametrize("name, value", [
    ("cpu_vendor", "AuthenticAMD"), ("cpu_model", "AMD EPYC 9R14 96-Core Processor"), ("threads", 7),
])
def test_portable_profile_makes_the_cpu_and_thread_count_irrelevant(name, value):
    """Recorded and applied cpu-portable-1: another CPU model or thread count is still bit-exact."""
    assert expectation(PORTABLE_CPU, dataclasses.replace(PORTABLE_CPU, **{name: value})).verdict == "bit-exact"


def test_portable_file_on_a_machine_that_cannot_apply_it_is_close():
    """A portable file recreated where the profile does not hold (e.g. no AVX2) is close, saying why."""
    here = dataclasses.replace(PORTABLE_CPU, determinism_profile="native", cpu_capability="AVX512",
                               cpu_model="other")
    verdict = expectation(PORTABLE_CPU, here)
    assert verdict.verdict == "close"
    assert "determinism profile cpu-portable-1 cannot be applied here (native)" in verdict.differences
    assert "cpu_model Intel(R) Xeon(R) Processor -> other" in verdict.differences


def test_portable_profile_does_not_excuse_library_versions():
    """The profile pins kernels, not libraries: another torch or transformers is still close."""
    here = dataclasses.replace(PORTABLE_CPU, torch="2.14.1+cpu", cpu_vendor="AuthenticAMD")
    assert expectation(PORTABLE_CPU, here).differences == ("torch 2.13.0+cpu -> 2.14.1+cpu",)


@pytest.mark.parametrize("profile, listed", [
    (None, "determinism profile not recorded"),
    (7, "determinism profile 7 is not one this version knows"),
])
def test_unrecorded_or_unknown_profile_is_close(profile, listed):
    verdict = expectation(dataclasses.replace(FULL_CPU, determinism_profile=profile), FULL_CPU)
    assert verdict.verdict == "close" and listed in verdict.differences


def test_current_records_the_cpu_and_the_profile_in_effect():
    """The platform names this CPU (vendor and model, as /proc/cpuinfo does) and the profile that held."""
    vendor, model, _ = _determinism.cpu_identity()
    here = current("cpu", "AttnProcessor", _determinism.Applied("cpu-portable-1", "cpu-portable-1"))
    assert (here.cpu_vendor, here.cpu_model, here.determinism_profile) == (vendor, model, "cpu-portable-1")
    assert current("cpu").determinism_profile == "native"
    libc, version = stdlib_platform.libc_ver()
    if libc:
        assert here.software["libc"] == f"{libc} {version}"


def test_current_cuda_records_the_driver_with_fakes(monkeypatch):
    """No GPU here (fakes): the CUDA driver version is recorded with the GPU."""
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Fake")
    monkeypatch.setattr(torch.version, "cuda", "12.4")
    monkeypatch.setattr(torch.backends.cudnn, "version", lambda: None)
    monkeypatch.setattr(torch._C, "_cuda_getDriverVersion", lambda: 12040, raising=False)
    assert current("cuda").software["cuda_driver"] == "12.4"
