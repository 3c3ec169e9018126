#!/usr/bin/env python3
"""Foundation benchmark: the Table I example's size, and the time to read and write it.

Compares, in one run on this machine, AIGIF reading/writing with Pillow reading an A1111
``parameters`` text chunk from a 512x512 PNG (what an AI image viewer does today), both from bytes
in memory and from a file on disk. Prints a table; ``--json OUT`` writes the figures.

    python tools/bench/bench_foundation.py [--repeat N] [--json bench-results/foundation.json]

This is a benchmark, not a test: the machine is shared and noisy, so it reports medians over many
batches and always measures the baseline in the same run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aigif
from aigif._format._read import loads_schema
from aigif._format._json import from_json

ROOT = Path(__file__).resolve().parents[2]

# The same generation as the Table I example, as AUTOMATIC1111 writes it into a PNG.
A1111_PARAMETERS = ("A cute cat\nNegative prompt: worst quality\n"
                    "Steps: 25, Sampler: DDIM, CFG scale: 7.5, Seed: 829557441, Size: 1024x1024, "
                    "Model hash: cc6cb27103, Model: v1-5-pruned-emaonly, Version: v1.10.1")


def per_call_us(func, repeat: int, batch: int = 200) -> float:
    """Median over ``repeat`` batches of the mean time of one call, in microseconds."""
    for _ in range(batch):  # warm up caches and lazy imports
        func()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        for _ in range(batch):
            func()
        samples.append((time.perf_counter_ns() - start) / batch / 1000)
    return statistics.median(samples)


def make_png(size: int = 512) -> bytes:
    from PIL import Image, PngImagePlugin

    image = Image.new("RGB", (size, size), (120, 90, 200))
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111_PARAMETERS)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def pillow_parameters(source) -> str:
    from PIL import Image

    with Image.open(source) as image:
        return image.info["parameters"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=31, help="batches per measurement (median taken)")
    parser.add_argument("--json", type=Path, help="write the results as JSON to this path")
    args = parser.parse_args()

    params = json.loads((ROOT / "examples" / "table1.json").read_text("utf-8"))
    table1 = from_json(params)
    table1_bytes = aigif.dumps(table1)
    auto = from_json({**params, "compression": {k: v for k, v in params["compression"].items()
                                                if k != "text_compressor"}})
    auto_bytes = aigif.dumps(auto)
    png = make_png()
    assert pillow_parameters(io.BytesIO(png)) == A1111_PARAMETERS

    with tempfile.TemporaryDirectory() as tmp:
        aigif_path, png_path = Path(tmp, "table1.aigif"), Path(tmp, "a1111.png")
        aigif_path.write_bytes(table1_bytes)
        png_path.write_bytes(png)
        timings = {
            "aigif_read_bytes_us": per_call_us(lambda: aigif.loads(table1_bytes), args.repeat),
            "aigif_read_schema_only_bytes_us": per_call_us(lambda: loads_schema(table1_bytes), args.repeat, batch=50),
            "aigif_write_bytes_us": per_call_us(lambda: aigif.dumps(table1), args.repeat),
            "aigif_read_file_us": per_call_us(lambda: aigif.read(aigif_path), args.repeat),
            "pillow_png_parameters_bytes_us": per_call_us(lambda: pillow_parameters(io.BytesIO(png)), args.repeat),
            "pillow_png_parameters_file_us": per_call_us(lambda: pillow_parameters(png_path), args.repeat),
        }

    import PIL

    results = {
        "table1_bytes": len(table1_bytes),
        "table1_auto_text_compressor_bytes": len(auto_bytes),
        "paper_fixed_layout_bytes_approx": 50,
        "a1111_png_512_bytes": len(png),
        "a1111_parameters_chunk_bytes": len(A1111_PARAMETERS.encode()),
        **{k: round(v, 2) for k, v in timings.items()},
        "read_ratio_vs_pillow_bytes": round(timings["aigif_read_bytes_us"] / timings["pillow_png_parameters_bytes_us"], 2),
        "read_ratio_vs_pillow_file": round(timings["aigif_read_file_us"] / timings["pillow_png_parameters_file_us"], 2),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
                    "aigif": aigif.__version__, "pillow": PIL.__version__},
        "repeat": args.repeat,
    }

    from rich.console import Console
    from rich.table import Table

    table = Table(title="AIGIF foundation benchmark (medians; same run, same machine)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("Table I example, text compressor zlib (bytes)", str(results["table1_bytes"]))
    table.add_row("Table I example, writer's choice (bytes)", str(results["table1_auto_text_compressor_bytes"]))
    table.add_row("paper's fixed layout (bytes, approx.)", "~50")
    table.add_row("A1111 PNG 512x512 with parameters (bytes)", f"{len(png):,}")
    table.add_row("AIGIF read, from bytes (µs)", f"{timings['aigif_read_bytes_us']:.1f}")
    table.add_row("AIGIF read, construct schema only (µs)", f"{timings['aigif_read_schema_only_bytes_us']:.1f}")
    table.add_row("AIGIF write, to bytes (µs)", f"{timings['aigif_write_bytes_us']:.1f}")
    table.add_row("AIGIF read, from file (µs)", f"{timings['aigif_read_file_us']:.1f}")
    table.add_row("Pillow: PNG parameters chunk, from bytes (µs)", f"{timings['pillow_png_parameters_bytes_us']:.1f}")
    table.add_row("Pillow: PNG parameters chunk, from file (µs)", f"{timings['pillow_png_parameters_file_us']:.1f}")
    table.add_row("AIGIF read / Pillow read (bytes)", f"{results['read_ratio_vs_pillow_bytes']:.2f}x")
    table.add_row("AIGIF read / Pillow read (file)", f"{results['read_ratio_vs_pillow_file']:.2f}x")
    Console().print(table)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
