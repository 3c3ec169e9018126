#!/usr/bin/env python3
"""Does the CPU thread count change the pixels? Generates one syntax with 1..N threads and compares.

    python tools/thread_determinism.py [--threads 1 2 3 4] [--size 256] [--steps 20] [--json OUT]

Each thread count runs in its own process (``torch.set_num_threads`` then one generation with the
built-in model, with every other determinism setting as ``aigif`` uses them). Each image is
compared with the first, and the same count is run twice to show run-to-run exactness. This is
why ``aigif save`` records the thread count and ``aigif recreate`` uses it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import sys, torch, aigif
from aigif._recreate import _engine, Engine
from aigif._model import AigifFile, Data, Platform
threads, size, steps, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
_engine._quiet()
obj = AigifFile(model=aigif.Model(id="aigif-tiny-sd"), platform=Platform(threads=threads),
                data=Data(prompt="a lighthouse at dusk", seed=7, steps=steps, width=size, height=size))
image, _ = Engine().generate(obj)
image.save(out)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from PIL import Image

    from aigif._recreate._metrics import compare

    with tempfile.TemporaryDirectory() as tmp:
        def run(threads: int, tag: str) -> Image.Image:
            path = Path(tmp, f"{threads}-{tag}.png")
            subprocess.run([sys.executable, "-c", CHILD, str(threads), str(args.size), str(args.steps), str(path)],
                           check=True)
            return Image.open(path).convert("RGB")

        first = run(args.threads[0], "a")
        rows = []
        for threads in args.threads:
            image = run(threads, "a") if threads != args.threads[0] else first
            again = run(threads, "b")
            rows.append({"threads": threads, "vs_first": compare(image, first).to_json(),
                         "same_count_again": compare(image, again).to_json()})
    for row in rows:
        vs, again = row["vs_first"], row["same_count_again"]
        text = "identical" if vs["identical"] else f"PSNR {vs['psnr_db']:.2f} dB, max diff {vs['max_abs_diff']}"
        print(f"{row['threads']} thread(s): vs {args.threads[0]} thread(s): {text}; "
              f"run again: {'identical' if again['identical'] else 'DIFFERS'}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
