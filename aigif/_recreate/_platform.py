"""This machine's platform, and what to expect when recreating a file recorded elsewhere.

Everything that changes the pixels of a diffusers run is recorded at save time (spec 5.2 and the
platform fields 2–14) and compared here before recreating. See ``../shared``'s reproducibility
notes: the same weights and syntax are bit-exact only with the same device, kernels, library
versions, thread count, attention implementation and determinism flags.
"""

from __future__ import annotations

import platform as _stdlib_platform
import sys
from dataclasses import dataclass, field

import torch

from .._format._model import Platform
from . import _determinism

_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64", "armv8": "aarch64"}


def device_kind(device: str) -> str:
    """A torch device string -> the platform registry's device name (spec 7.4)."""
    kind = torch.device(device).type
    return {"cpu": "cpu", "cuda": "gpu", "mps": "mps", "xpu": "xpu"}.get(kind, kind)


def cuda_code(version: str | None) -> str:
    """``torch.version.cuda`` ("12.1") -> the CUDA registry's name ("cu121")."""
    if not version:
        return "none"
    major, _, minor = version.partition(".")
    return f"cu{major}{minor.split('.')[0]}"


def determinism_flags() -> frozenset[str]:
    flags = set()
    if torch.are_deterministic_algorithms_enabled():
        flags.add("deterministic_algorithms")
    if torch.backends.cudnn.deterministic:
        flags.add("cudnn_deterministic")
    if torch.backends.cudnn.benchmark:
        flags.add("cudnn_benchmark")
    if torch.backends.cuda.matmul.allow_tf32:
        flags.add("tf32_matmul")
    if torch.backends.cudnn.allow_tf32:
        flags.add("tf32_cudnn")
    return frozenset(flags)


def current(device: str = "cpu", attention: str | None = None,
            applied: _determinism.Applied | None = None) -> Platform:
    """The platform a run on ``device`` in this process has, as the file records it."""
    import diffusers

    kind = device_kind(device)
    gpu, cuda = "none", "none"
    software = {"python": _stdlib_platform.python_version()}
    libc, libc_version = _stdlib_platform.libc_ver()
    if libc and libc_version:
        software["libc"] = f"{libc} {libc_version}"
    if kind == "gpu":
        index = torch.device(device).index or 0
        gpu = torch.cuda.get_device_name(index)
        cuda = cuda_code(torch.version.cuda)
        cudnn = torch.backends.cudnn.version()
        if cudnn:
            software["cudnn"] = str(cudnn)
        driver = _cuda_driver()
        if driver:
            software["cuda_driver"] = driver
    for package in ("transformers", "safetensors", "numpy"):
        module = sys.modules.get(package)
        if module is not None and getattr(module, "__version__", None):
            software[package] = module.__version__
    machine = _stdlib_platform.machine().lower()
    vendor, model, _ = _determinism.cpu_identity()
    return Platform(
        device=kind,
        arch=_ARCH_ALIASES.get(machine, machine or "unknown"),
        gpu=gpu,
        cuda=cuda,
        torch=torch.__version__,
        diffusers=diffusers.__version__,
        cpu_capability=torch.backends.cpu.get_cpu_capability(),
        threads=torch.get_num_threads(),
        determinism=determinism_flags(),
        attention=attention,
        software=software,
        cpu_vendor=vendor,
        cpu_model=model,
        determinism_profile=(applied.in_effect if applied is not None else _determinism.NATIVE),
    )


def _cuda_driver() -> str | None:
    """The CUDA driver's version ("12040" -> "12.4"), where torch can tell it."""
    try:
        number = int(torch._C._cuda_getDriverVersion())
    except (AttributeError, RuntimeError, TypeError, ValueError):
        return None
    return f"{number // 1000}.{number % 1000 // 10}" if number > 0 else None


#: What the "close" verdict means in numbers: the range measured between two CPU kernel sets
#: (tools/recreate/cpu_determinism.py, docs/fidelity.md "Bit-exact across CPUs").
CLOSE_PSNR = "PSNR typically 40-95 dB: the same picture, a few levels apart at most"


@dataclass(frozen=True)
class Expectation:
    """What recreating a file here should give, and why."""

    verdict: str  # "bit-exact" | "close" | "degraded"
    differences: tuple[str, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> str:
        text = {"bit-exact": "same platform: bit-exact expected",
                "close": f"same device class, other platform: close ({CLOSE_PSNR}), not bit-exact",
                "degraded": "another device class: visibly similar at best (PSNR often below 40 dB)"}[self.verdict]
        return text + (f" ({'; '.join(self.differences)})" if self.differences else "")


#: Platform attributes that change the pixels when they differ, whatever the profile.
COMPARED = ("arch", "gpu", "cuda", "torch", "diffusers", "attention")
#: Library versions (field 14) that change the pixels; python, safetensors and the like do not.
COMPARED_SOFTWARE = ("transformers", "numpy", "libc", "cudnn", "cuda_driver")
#: What only the native profile depends on: the portable one makes the CPU and thread count irrelevant.
NATIVE_ONLY = ("cpu_vendor", "cpu_model", "cpu_capability", "threads")


def expectation(recorded: Platform, here: Platform) -> Expectation:
    """Compare a file's platform with the one its recreation will run on (``here``), before it runs.

    Bit-exact is predicted only when everything that decides the pixels is known and equal: a
    difference, or an item the file does not record, makes it "close".
    """
    if recorded.device != here.device:
        return Expectation("degraded", (f"device {recorded.device} -> {here.device}",))
    differences = []

    def compare(name: str, before, now) -> None:
        if before is None or before == "unknown":
            differences.append(f"{name} not recorded")
        elif before != now:
            differences.append(f"{name} {before} -> {now}")

    for name in COMPARED:
        compare(name, getattr(recorded, name), getattr(here, name))
    recorded_software, here_software = recorded.software or {}, here.software or {}
    for name in COMPARED_SOFTWARE:
        if name in recorded_software or name in here_software:
            compare(name, recorded_software.get(name), here_software.get(name))
    profile = recorded.determinism_profile
    if profile is None:
        differences.append("determinism profile not recorded")
    elif profile not in (_determinism.NATIVE, _determinism.PORTABLE):
        differences.append(f"determinism profile {profile!r} is not one this version knows")
    elif profile != here.determinism_profile:
        differences.append(f"determinism profile {profile} cannot be applied here ({here.determinism_profile})")
    if profile != _determinism.PORTABLE or here.determinism_profile != _determinism.PORTABLE:
        for name in NATIVE_ONLY:
            compare(name, getattr(recorded, name), getattr(here, name))
    if recorded.determinism is not None and "deterministic_algorithms" not in recorded.determinism:
        differences.append("saved without deterministic algorithms")
    return Expectation("close" if differences else "bit-exact", tuple(differences))
