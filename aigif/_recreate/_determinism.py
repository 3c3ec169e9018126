"""Determinism profiles: the CPU settings that make a run's pixels independent of the machine.

Measured on the built-in model (``tools/recreate/cpu_determinism.py``, docs/fidelity.md "Bit-exact across
CPUs"): with torch's defaults the pixels change with ATen's CPU capability (DEFAULT, AVX2, AVX512
kernels), with MKL's code branch (chosen per CPU: AVX2 and AVX-512 Intel paths, another path on
AMD), with oneDNN's convolutions (JIT-compiled per ISA, split by thread count), and with the thread
count. Profile ``cpu-portable-1`` pins each of them:

- ``ATEN_CPU_CAPABILITY=default``: ATen's DEFAULT kernels, whose vectorised and scalar code compute
  alike, so where a thread's chunk ends does not matter (AVX2 kernels differ at 3 threads);
- ``MKL_CBWR=COMPATIBLE``: MKL's one code branch that Intel documents as giving the same results on
  Intel and non-Intel CPUs (its AVX2 branch falls back to the automatic one on AMD), and MKL kept
  to one thread on the calling thread, since COMPATIBLE has no thread-count-independent mode;
- oneDNN (``torch.backends.mkldnn``) and NNPACK off, so convolutions take ATen's own path.

The two variables are read by the libraries when they first run, not when torch is imported, so
``prepare`` sets them before any torch work; ``Applied`` says what then holds. This module does
not import torch at import time: ``prepare`` must run before it.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import os
import platform as _stdlib_platform
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

NATIVE = "native"
PORTABLE = "cpu-portable-1"
DEFAULT = PORTABLE
#: Accepted on the command line and by the library for the profiles of the registry (spec 7.15).
ALIASES = {"portable": PORTABLE, PORTABLE: PORTABLE, NATIVE: NATIVE}

#: Read by ATen and MKL at their first use, so set before any torch work (prepare).
ENVIRONMENT = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}

#: The CPU features the profile's guarantee is measured and argued for (docs/fidelity.md): glibc's
#: libm picks its FMA variants on such CPUs, whoever made them.
REQUIRED_FLAGS = ("avx2", "fma")

_late: set[str] = set()  # variables this module set after torch was imported (not known to take effect)
_verified: dict[str, bool] = {}  # the probe's verdict, once per process


def resolve(name: str | None) -> str:
    """A profile name, or its alias, as the registry spells it."""
    if name is None:
        return DEFAULT
    if name not in ALIASES:
        from .._errors import UsageError

        raise UsageError(f"unknown determinism profile {name!r} (use portable or native)", code="invalid-value")
    return ALIASES[name]


def on_cpu(device: str) -> bool:
    return device.split(":", 1)[0] == "cpu"


def for_file(recorded: str | int | None, device: str) -> str:
    """The profile a recreation applies: the file's own, where this recreator knows it and it fits the device."""
    return PORTABLE if recorded == PORTABLE and on_cpu(device) else NATIVE


def for_save(requested: str | None, device: str) -> str:
    """The profile a save applies: the CPU profile only on the CPU (GPUs run natively, and say so)."""
    profile = resolve(requested)
    return profile if on_cpu(device) else NATIVE


def prepare(profile: str) -> None:
    """Set the environment ``profile`` needs; call before torch is imported (or, at least, used)."""
    if profile != PORTABLE:
        return
    torch_imported = "torch" in sys.modules
    for key, value in ENVIRONMENT.items():
        if os.environ.get(key) != value:
            os.environ[key] = value
            if torch_imported:
                _late.add(key)


@functools.cache  # the CPU does not change while the process runs; read /proc/cpuinfo once
def cpu_identity() -> tuple[str | None, str | None, frozenset[str] | None]:
    """This CPU's vendor, model name and feature flags, as the OS reports them (None where it does not)."""
    vendor = model = flags = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text("utf-8", "replace").splitlines():
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key == "vendor_id" and vendor is None:
                vendor = value or None
            elif key == "model name" and model is None:
                model = value or None
            elif key == "flags" and flags is None:
                flags = frozenset(value.split())
    if model is None:
        model = _stdlib_platform.processor() or None
    return vendor, model, flags


def machine_reasons() -> list[str]:
    """Why this machine is outside what the portable profile covers (empty: it is covered)."""
    machine = _stdlib_platform.machine().lower()
    if machine not in ("x86_64", "amd64"):
        return [f"the portable CPU profile covers x86-64 CPUs; this one is {machine or 'unknown'}"]
    _, _, flags = cpu_identity()
    if flags is None:
        return ["this OS does not report the CPU's features, so AVX2 and FMA cannot be confirmed"]
    missing = [flag.upper() for flag in REQUIRED_FLAGS if flag not in flags]
    return [f"this CPU has no {' or '.join(missing)}, which the portable profile's guarantee needs"] if missing else []


@dataclass(frozen=True)
class Applied:
    """The profile asked for, the one whose guarantee holds in this process, and why they differ."""

    requested: str
    in_effect: str
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> str:
        if self.in_effect == PORTABLE:
            return "determinism: cpu-portable-1 (the same pixels on any x86-64 CPU with AVX2, at any thread count)"
        if self.requested == NATIVE:
            return "determinism: native (bit-exact on the same CPU model and thread count only)"
        return f"determinism: native, not {self.requested} ({'; '.join(self.reasons)})"


def apply(requested: str) -> Applied:
    """What holds for ``requested`` in this process (imports torch; ``prepare`` ran before)."""
    import torch

    if requested != PORTABLE:
        return Applied(requested, NATIVE)
    reasons = machine_reasons()
    capability = torch.backends.cpu.get_cpu_capability()
    if capability != "DEFAULT":
        reasons.append(f"ATen already runs its {capability} kernels (torch was used before aigif could pin them: "
                       "set ATEN_CPU_CAPABILITY=default and MKL_CBWR=COMPATIBLE before importing torch)")
    if torch.backends.mkl.is_available() and _mkl_threads_local() is None:
        reasons.append("MKL's thread setting cannot be reached in this torch build")
    if not reasons and _late and not _probe_agrees():
        reasons.append("MKL was set up before aigif could pin its branch (torch was used first: set "
                       "MKL_CBWR=COMPATIBLE before importing torch)")
    return Applied(requested, NATIVE if reasons else PORTABLE, tuple(reasons))


@contextlib.contextmanager
def settings(applied: Applied, threads: int | None):
    """The run-time half of the profile in effect, put back afterwards. ``threads``: native only."""
    import torch

    saved_threads = torch.get_num_threads()
    saved_mkldnn = torch.backends.mkldnn.enabled
    saved_nnpack = torch._C._get_nnpack_enabled()
    try:
        if applied.in_effect == PORTABLE:
            torch.backends.mkldnn.enabled = False
            torch.backends.nnpack.set_flags(False)
            _sequential_mkl()
        elif threads:
            torch.set_num_threads(threads)
        yield
    finally:
        torch.backends.mkldnn.enabled = saved_mkldnn
        torch.backends.nnpack.set_flags(saved_nnpack)
        torch.set_num_threads(saved_threads)  # also puts MKL's own count back


@functools.cache
def _mkl_threads_local():
    """MKL's ``mkl_set_num_threads_local`` as torch's library exports it (Fortran-style: by reference)."""
    import torch

    with contextlib.suppress(OSError, AttributeError):
        folder = Path(torch.__file__).parent / "lib"
        for name in ("libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll"):
            if (folder / name).exists():
                return ctypes.CDLL(str(folder / name)).mkl_set_num_threads_local_
    return None


def _sequential_mkl() -> None:
    function = _mkl_threads_local()
    if function is not None:
        function(ctypes.byref(ctypes.c_int(1)))


def probe_digest() -> str:
    """SHA-256 of a few small computations on every kind of kernel a diffusion pipeline runs."""
    import torch

    generator = torch.Generator("cpu").manual_seed(12)
    x = torch.randn(2, 77, 320, generator=generator)
    conv_in = torch.randn(2, 8, 24, 24, generator=generator)
    outputs = [
        torch.nn.functional.linear(x, torch.randn(640, 320, generator=generator)),
        torch.nn.functional.conv2d(conv_in, torch.randn(16, 8, 3, 3, generator=generator), padding=1),
        torch.nn.functional.group_norm(conv_in, 4),
        torch.nn.functional.scaled_dot_product_attention(x[:, None], x[:, None], x[:, None]),
        torch.nn.functional.silu(x).exp().softmax(-1),
        torch.bmm(x, x.transpose(1, 2)),
    ]
    digest = hashlib.sha256()
    for tensor in outputs:
        digest.update(tensor.contiguous().numpy().tobytes())
    return digest.hexdigest()


def _probe_agrees() -> bool:
    """Does this process compute like a fresh one started under the profile? (Run once, only when the
    profile's variables were set after torch was imported.)"""
    if PORTABLE not in _verified:
        with settings(Applied(PORTABLE, PORTABLE), None):
            here = probe_digest()
        code = ("from aigif._recreate import _determinism as d\nwith d.settings(d.Applied(d.PORTABLE, d.PORTABLE), "
                "None):\n    print(d.probe_digest())")
        environment = {**os.environ, **ENVIRONMENT}
        try:
            fresh = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                                   timeout=300, check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            fresh = None
        _verified[PORTABLE] = fresh == here
    return _verified[PORTABLE]
