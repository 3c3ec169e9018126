#!/usr/bin/env python3
"""What makes CPU pixels depend on the machine, and does the portable profile pin it? (issue 12)

    python tools/recreate/cpu_determinism.py [--size 128] [--steps 8] [--json OUT]      # the variation matrix
    python tools/recreate/cpu_determinism.py --cost [--sizes 256 512] [--repeats 3]    # time per image

The matrix generates the reference set's schedulers (DDIM, DPM++ 2M, DPM++ 2M Karras, Euler a) with
the built-in model, each variation in a fresh process whose environment is set before torch is
imported, under each profile (``native``, ``cpu-portable-1``), and compares every image with the
profile's first variation: "identical" (same SHA-256 of the pixels) or the PSNR. The variations are
everything that differs between CPUs that one machine can vary:

- ATen's CPU capability (``ATEN_CPU_CAPABILITY``: default, avx2, avx512 — the kernels another CPU
  would get; under the portable profile the profile pins it, whatever the variable says);
- MKL's instruction set (``MKL_ENABLE_INSTRUCTIONS``: SSE4_2, AVX2, AVX512 — the code branch a CPU
  with fewer extensions would get);
- numpy's SIMD dispatch (``NPY_DISABLE_CPU_FEATURES``: an AVX2-only CPU);
- the thread count (1, 2, 3, 4, 8).

What it cannot vary is MKL's choice on another vendor's CPU (it reads the vendor from CPUID); the
profile covers it by MKL's COMPATIBLE branch, which Intel documents as the same on Intel and
non-Intel CPUs and which, measured here, ignores the instruction-set variable entirely.

``--cost`` times one generation per size under each profile, interleaved (native, portable,
native, …) in one warm process per profile run, and reports the median seconds and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCHEDULERS = [("ddim", "default"), ("dpmpp_2m", "default"), ("dpmpp_2m", "karras"), ("euler_a", "default")]

#: (label, environment, threads): the first of each profile is the baseline.
VARIATIONS = [
    ("this CPU's defaults, 2 threads", {}, 2),
    ("1 thread", {}, 1),
    ("3 threads", {}, 3),
    ("4 threads", {}, 4),
    ("8 threads", {}, 8),
    ("ATen default kernels", {"ATEN_CPU_CAPABILITY": "default"}, 2),
    ("ATen AVX2 kernels", {"ATEN_CPU_CAPABILITY": "avx2"}, 2),
    ("ATen AVX2 kernels, 3 threads", {"ATEN_CPU_CAPABILITY": "avx2"}, 3),
    ("MKL SSE4.2 branch", {"MKL_ENABLE_INSTRUCTIONS": "SSE4_2"}, 2),
    ("MKL AVX2 branch", {"MKL_ENABLE_INSTRUCTIONS": "AVX2"}, 2),
    ("MKL AVX2 branch, 1 thread", {"MKL_ENABLE_INSTRUCTIONS": "AVX2"}, 1),
    ("numpy without AVX-512", {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}, 2),
    ("an AVX2-only CPU (ATen, MKL, numpy)", {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                                            "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}, 2),
]

CHILD = r"""
import json, sys, time
profile, threads, size, steps, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
repeats = int(sys.argv[6]) if len(sys.argv) > 6 else 0
from aigif._recreate import _determinism
_determinism.prepare(profile)
import torch
torch.set_num_threads(threads)
from aigif._format._model import AigifFile, Data, Model, Platform, SchedulerOptions
from aigif._recreate import _engine, Engine
_engine._quiet()
applied = _determinism.apply(profile)
engine = Engine()
result = {"applied": applied.in_effect, "reasons": list(applied.reasons),
          "capability": torch.backends.cpu.get_cpu_capability(), "images": {}, "seconds": []}
for scheduler, sigmas in json.loads(sys.argv[7]):
    obj = AigifFile(model=Model(id="aigif-tiny-sd", scheduler=scheduler, scheduler_options=SchedulerOptions(sigmas=sigmas)),
                    platform=Platform(threads=threads),
                    data=Data(prompt="a lighthouse at dusk, oil painting", negative_prompt="blurry", seed=42,
                              steps=steps, width=size, height=size))
    image, used = engine.generate(obj, applied)
    for _ in range(repeats):
        started = time.perf_counter()
        engine.generate(obj, applied)
        result["seconds"].append(time.perf_counter() - started)
    name = f"{out}-{scheduler}-{sigmas}.png"
    image.save(name)
    result["images"][f"{scheduler} {sigmas}"] = name
print(json.dumps(result))
"""


def run_child(profile: str, environment: dict, threads: int, size: int, steps: int, out: str, repeats: int = 0,
              schedulers=SCHEDULERS) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS", "NPY_DISABLE_CPU_FEATURES")}
    env.update(environment)
    done = subprocess.run([sys.executable, "-c", CHILD, profile, str(threads), str(size), str(steps), out,
                           str(repeats), json.dumps(schedulers)], env=env, capture_output=True, text=True,
                          cwd=ROOT, check=False)
    if done.returncode:
        raise SystemExit(f"child failed ({profile}, {environment}, {threads} threads):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def matrix(size: int, steps: int) -> dict:
    from PIL import Image

    from aigif._recreate._metrics import compare

    report = {"size": size, "steps": steps, "profiles": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for profile in ("native", "cpu-portable-1"):
            rows, baseline = [], None
            for number, (label, environment, threads) in enumerate(VARIATIONS):
                result = run_child(profile, environment, threads, size, steps, f"{tmp}/{profile}-{number}")
                images = {key: Image.open(path).convert("RGB") for key, path in result["images"].items()}
                baseline = baseline or images
                cells = {}
                for key, image in images.items():
                    comparison = compare(image, baseline[key])
                    cells[key] = "identical" if comparison.identical else f"{comparison.psnr:.1f} dB"
                rows.append({"variation": label, "environment": environment, "threads": threads,
                             "kernels": result["capability"], "profile_in_effect": result["applied"], "cells": cells})
                print(f"{profile:15} {label:40} {result['capability']:8} "
                      + "  ".join(f"{cells[k]:>10}" for k in cells), flush=True)
            report["profiles"][profile] = rows
    return report


def cost(sizes: list[int], steps: int, repeats: int) -> dict:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            times = {"native": [], "cpu-portable-1": []}
            for round_ in range(repeats):  # interleaved: a noisy moment hits both profiles alike
                for profile in times:
                    result = run_child(profile, {}, os.cpu_count() or 1, size, steps, f"{tmp}/{profile}-{round_}", 1,
                                       schedulers=[("ddim", "default")])
                    times[profile] += result["seconds"]
            native, portable = statistics.median(times["native"]), statistics.median(times["cpu-portable-1"])
            rows.append({"size": size, "steps": steps, "native_s": round(native, 3), "portable_s": round(portable, 3),
                         "ratio": round(portable / native, 2), "runs": repeats})
            print(f"{size}x{size}, {steps} steps: native {native:.2f} s, cpu-portable-1 {portable:.2f} s, "
                  f"x{portable / native:.2f} (median of {repeats})", flush=True)
    return {"cost": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--cost", action="store_true", help="time per image, profile vs native")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report = cost(args.sizes, args.steps, args.repeats) if args.cost else matrix(args.size, args.steps)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
