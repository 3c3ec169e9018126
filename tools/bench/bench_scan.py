#!/usr/bin/env python3
"""Speed of ``aigif models scan`` on a cold index, against ``sha256sum`` over the same files.

    python tools/bench/bench_scan.py [--files 8] [--size-mb 64] [--dir DIR] [--rounds 3] [--json OUT]

Builds a folder of ``--files`` safetensors files of ``--size-mb`` each (random tensor data behind a
small LoRA header), or takes the model files already in ``--dir``. Each round, interleaved so the
machine's noise falls on both alike: a scan into a new, empty index (every file read and hashed:
SHA-256 of the whole file, SHA-256 after the safetensors header, AutoV1, CRC-32), then
``sha256sum`` over the same files (one SHA-256 each: the floor for reading and hashing). The
files are in the page cache after the first read for both, so this measures hashing, not the
disk. Also times a second scan into the warm index (nothing read). Prints a table and writes the
figures as JSON (default ``bench-results/scan.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from aigif._library import Index, scan  # noqa: E402
from aigif._library._kinds import file_format  # noqa: E402


def build(folder: Path, files: int, size_mb: float) -> list[Path]:
    header = json.dumps({"lora_unet_x.lora_down.weight": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})
    size = int(size_mb * 1_000_000)
    paths = []
    for number in range(files):
        path = folder / "models" / "Lora" / f"lora{number:03}.safetensors"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(struct.pack("<Q", len(header)) + header.encode())
            left = size
            while left > 0:
                block = min(left, 4 << 20)
                handle.write(os.urandom(block))
                left -= block
        paths.append(path)
    return paths


def model_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file() and file_format(path.name))


def timed_scan(folder: Path, index_path: Path) -> float:
    started = time.perf_counter()
    with Index(index_path) as index:
        scan([folder], index, discover=False)
    return time.perf_counter() - started


def timed_sha256sum(paths: list[Path]) -> float:
    started = time.perf_counter()
    subprocess.run(["sha256sum", *map(str, paths)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(folder: Path, rounds: int, work: Path) -> dict:
    paths = model_files(folder)
    total = sum(path.stat().st_size for path in paths)
    cold, floor = [], []
    timed_sha256sum(paths)  # warm-up: the page cache, for both
    for number in range(rounds):
        cold.append(timed_scan(folder, work / f"cold{number}.sqlite3"))
        floor.append(timed_sha256sum(paths))
    warm = [timed_scan(folder, work / "cold0.sqlite3") for _ in range(rounds)]
    figures = {}
    for name, times in (("aigif models scan (cold index)", cold), ("sha256sum", floor),
                        ("aigif models scan (warm index)", warm)):
        median = statistics.median(times)
        figures[name] = {"median_s": median, "min_s": min(times), "max_s": max(times),
                         "files_per_s": len(paths) / median, "mb_per_s": total / 1e6 / median}
    return {"files": len(paths), "bytes": total, "rounds": rounds, "python": sys.version.split()[0],
            "results": figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--size-mb", type=float, default=64.0)
    parser.add_argument("--dir", type=Path, help="Measure the model files already in this folder.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "scan.json")
    args = parser.parse_args(argv)
    if shutil.which("sha256sum") is None:
        print("bench_scan: sha256sum is not installed", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = args.dir or work / "library"
        if args.dir is None:
            build(folder, args.files, args.size_mb)
        result = measure(folder, args.rounds, work)
    print(f"{result['files']} files, {result['bytes'] / 1e6:,.1f} MB, median of {result['rounds']} rounds")
    for name, row in result["results"].items():
        print(f"  {name:32} {row['median_s']:8.3f} s {row['files_per_s']:10.1f} files/s {row['mb_per_s']:9.1f} MB/s")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
