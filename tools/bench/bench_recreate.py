#!/usr/bin/env python3
"""Recreation overhead: ``aigif`` recreating files vs the bare diffusers call with the same syntax.

    python tools/bench/bench_recreate.py [--batch 20] [--steps 20] [--size 256] [--json OUT]

For one file and for a batch of files that share a model, it times, in one process and in
alternating order (the machine is shared and noisy):
  * raw:   ``StableDiffusionPipeline.from_pretrained`` once, then per file a scheduler, a CPU
           generator and the pipeline call — the least any recreator must do;
  * aigif: ``Engine`` + ``recreate`` per file — reading the file, the preflight checks, the model
           registry, allow-list and hash checks, determinism settings, the platform comparison and
           the pixel-digest check.
Overhead = (aigif − raw) / raw. Model loading is inside both timings; the batch amortises it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

import aigif
from aigif import _recreate
from aigif._recreate import _engine, _models, _schedulers


def raw_batch(files: list[aigif.AigifFile], folder: Path) -> list:
    """The bare minimum: one pipeline, then the call per file (same settings as the engine)."""
    import diffusers

    pipe = diffusers.StableDiffusionPipeline.from_pretrained(folder, use_safetensors=True, local_files_only=True,
                                                             safety_checker=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    base = dict(pipe.scheduler.config)
    images = []
    for obj in files:
        pipe.scheduler = _schedulers.build(obj.model, base)
        generator = torch.Generator("cpu").manual_seed(obj.data.seed)
        with _engine.deterministic(obj.platform.threads), torch.inference_mode():
            images.append(pipe(prompt=obj.data.prompt, negative_prompt=obj.data.negative_prompt or None,
                               height=obj.data.height, width=obj.data.width, num_inference_steps=obj.data.steps,
                               guidance_scale=obj.data.guidance_scale, generator=generator).images[0])
    return images


def aigif_batch(paths: list[Path]) -> list:
    engine = _recreate.Engine()
    return [_recreate.recreate(path, engine=engine).image for path in paths]


def measure(paths, objs, folder, repeat: int) -> dict:
    raw_times, aigif_times = [], []
    for _ in range(repeat):  # alternate, so that load on the machine hits both alike
        start = time.perf_counter()
        raw_images = raw_batch(objs, folder)
        raw_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        ours = aigif_batch(paths)
        aigif_times.append(time.perf_counter() - start)
        assert [a.tobytes() for a in ours] == [b.tobytes() for b in raw_images], "raw and aigif images differ"
    raw, ours = statistics.median(raw_times), statistics.median(aigif_times)
    return {"files": len(paths), "raw_s": round(raw, 3), "aigif_s": round(ours, 3),
            "overhead_pct": round(100 * (ours - raw) / raw, 2), "repeat": repeat}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    _engine._quiet()

    entry = _models.registry()["aigif-tiny-sd"]
    folder = _models.builtin_dir(entry)
    with tempfile.TemporaryDirectory() as tmp:
        engine = _recreate.Engine()
        paths, objs = [], []
        for index in range(args.batch):
            path = Path(tmp, f"{index:02d}.aigif")
            obj, _ = _recreate.save(path, prompt=f"a lighthouse at dusk, variation {index}", seed=1000 + index,
                                    steps=args.steps, width=args.size, height=args.size, pixel_digest=True,
                                    engine=engine)
            paths.append(path)
            objs.append(obj)
        del engine
        results = {
            "one_file": measure(paths[:1], objs[:1], folder, args.repeat),
            "batch": measure(paths, objs, folder, args.repeat),
            "size": args.size, "steps": args.steps, "threads": torch.get_num_threads(),
            "torch": torch.__version__,
        }

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"recreate overhead vs the raw diffusers call (tiny-sd, {args.size}x{args.size}, "
                        f"{args.steps} steps, medians of {args.repeat})")
    for column in ("case", "files", "raw (s)", "aigif (s)", "overhead"):
        table.add_column(column, justify="right")
    for case in ("one_file", "batch"):
        r = results[case]
        table.add_row(case.replace("_", " "), str(r["files"]), f"{r['raw_s']:.3f}", f"{r['aigif_s']:.3f}",
                      f"{r['overhead_pct']:+.2f} %")
    Console().print(table)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
