#!/usr/bin/env python3
"""AIGIF benchmark: bytes per file, pixels vs lossless codecs, and read/write speed, in one run.

    python tools/bench/bench.py [--records PATH] [--corpus DIR] [--quick] [--json OUT]

a. Bytes per file over a records file (JSON Lines of generation records): AIGIF with default
   settings vs the paper's fixed layout vs compact JSON + zlib vs the A1111 infotext; mean, median,
   p90, and the target AIGIF mean <= 0.5 x the paper's layout mean.
b. Images recreated with the built-in tiny-sd model at 512x512 and 1024x1024, and the real images
   of a corpus folder: raw pixels vs PNG vs JPEG XL lossless vs WebP lossless vs AIGIF.
c. Microseconds per file to read and to write AIGIF, JSON + zlib, and Pillow reading the
   ``parameters`` chunk of 512x512 A1111-style PNGs, in interleaved rounds in one process; the
   paper's 0.3 ms is quoted. Target: AIGIF read <= Pillow.

Prints tables and writes every figure as JSON (default ``bench-results/bench.json``).
``--quick`` runs a small subset (for the tests). The records are read for measuring only: the
bench stores no record, only aggregate figures.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _bench_formats as formats  # noqa: E402
import _bench_pixels as pixels  # noqa: E402
import _bench_speed as speed  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RECORDS = ROOT.parent / "shared" / "data" / "records-dev.jsonl"
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "images"
DEFAULT_JSON = ROOT / "bench-results" / "bench.json"
SECTIONS = ("sizes", "pixels", "speed")

FULL = {"limit": None, "files": 5000, "rounds": 15, "sizes": [512, 1024], "per_size": 3, "steps": 4,
        "corpus_limit": None}
QUICK = {"limit": 200, "files": 100, "rounds": 3, "sizes": [64], "per_size": 1, "steps": 2, "corpus_limit": 1}


def machine() -> dict:
    import zlib

    import PIL
    import zstandard

    import aigif

    info = {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
            "cpu": _cpu_model(), "aigif": aigif.__version__, "pillow": PIL.__version__,
            "zlib": zlib.ZLIB_RUNTIME_VERSION, "zstandard": zstandard.__version__}
    try:
        from PIL import features

        info["libwebp"] = features.version("webp")
    except Exception:  # noqa: BLE001 - informative only
        pass
    from importlib import metadata

    for name in ("construct", "imagecodecs", "numpy", "torch", "diffusers"):  # without importing torch
        try:
            info[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            info[name] = "not installed"
    try:
        import imagecodecs

        info["libjxl"] = imagecodecs.jpegxl_version()
    except Exception:  # noqa: BLE001
        info["libjxl"] = "not installed"
    try:
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                        text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        info["commit"] = None
    return info


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


# ---------------------------------------------------------------------------------------------
# Tables


def _b(value) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _ratio_to_raw(value, raw) -> str:
    return "not installed" if value is None else f"1/{raw / value:,.1f}" if value else "—"


LABELS = {
    "aigif": "AIGIF, default settings",
    **{f"aigif_text_{name}": f"  AIGIF, text compressor {name} forced" for name in formats.forced_compressors()},
    "paper_layout": "paper's layout (Table I fixed widths + zlib)",
    "json_zlib": "compact JSON + zlib",
    "a1111_infotext": "A1111 infotext (uncompressed)",
}


def print_sizes(console, result: dict) -> None:
    from rich.table import Table

    rows = result["rows"]
    paper = rows["paper_layout"]["mean"]
    table = Table(title=f"(a) bytes per file over {rows['aigif']['n']:,} records")
    for column in ("format", "mean", "median", "p90", "mean / paper"):
        table.add_column(column, justify="left" if column == "format" else "right")
    for key, label in LABELS.items():
        row = rows[key]
        table.add_row(label, f"{row['mean']:.1f}", f"{row['median']:.0f}", f"{row['p90']:.0f}",
                      f"{row['mean'] / paper:.2f}")
    console.print(table)
    verdict = "[green]PASS[/green]" if result["pass"] else "[red]FAIL[/red]"
    console.print(f"AIGIF mean / paper's layout mean = {result['aigif_over_paper_mean']:.3f} "
                  f"(target <= {result['target']}): {verdict}")
    parts = Table(title="where an AIGIF file's bytes go (mean bytes per file, default settings)")
    parts.add_column("part")
    parts.add_column("mean bytes", justify="right")
    for part, mean in result["aigif_parts_mean"].items():
        parts.add_row(part, f"{mean:.2f}")
    console.print(parts)
    console.print(f"AIGIF text compressor chosen: {result['aigif_text_compressors']}; escaped names: "
                  f"{result['escaped']}; values the paper's widths cannot hold (wrapped/clamped, in its favour): "
                  f"{result['paper_layout_unfit'] or 'none'}")


def print_pixels(console, result: dict) -> None:
    from rich.table import Table

    tiny = result.get("tiny_sd")
    names = (("raw", "raw RGB pixels"), ("png", "PNG (Pillow, optimize)"), ("jpegxl", "JPEG XL lossless"),
             ("webp", "WebP lossless"))
    if tiny:
        sizes = list(tiny["by_size"])
        count = ", ".join(f"{tiny['by_size'][s]['images']} at {s}" for s in sizes)
        table = Table(title=f"(b) tiny-sd images (mean bytes per image; {count}; {tiny['steps']} steps) — "
                            f"noise-like textures from random weights, NOT representative of real images")
        table.add_column("encoding")
        for size in sizes:
            table.add_column(f"{size}x{size} bytes", justify="right")
            table.add_column("÷ raw", justify="right")
        for key, label in (*names, ("aigif", "AIGIF file (syntax + pixel digest)")):
            cells = []
            for size in sizes:
                row = tiny["by_size"][size]
                cells += [_b(row[key]) if row[key] is not None else "not installed",
                          _ratio_to_raw(row[key], row["raw"])]
            table.add_row(label, *cells)
        console.print(table)
    corpus = result.get("corpus")
    if corpus and "skipped" not in corpus:
        totals = corpus["totals"]
        table = Table(title=f"(b) real AI images: {corpus['count']} full-size PNGs of the corpus "
                            f"({corpus['megapixels']} MP), totals")
        table.add_column("encoding")
        table.add_column("total bytes", justify="right")
        table.add_column("÷ raw", justify="right")
        for key, label in (*names, ("original", "the original files (with metadata)"),
                           ("aigif_import", "AIGIF via aigif import (syntax + source metadata verbatim)")):
            value = totals.get(key)
            table.add_row(label, _b(value) if value is not None or key != "jpegxl" else "not installed",
                          _ratio_to_raw(value, totals["raw"]) if value is not None else
                          ("not installed" if key == "jpegxl" else "—"))
        console.print(table)
    elif corpus:
        console.print(f"(b) corpus: {corpus['skipped']}")


SPEED_LABELS = {
    "aigif_read_bytes": "AIGIF read (aigif.loads, from bytes)",
    "aigif_read_file": "AIGIF read (aigif.read, from a file)",
    "aigif_write_bytes": "AIGIF write (aigif.dumps, to bytes)",
    "json_zlib_read_bytes": "JSON + zlib decode (from bytes)",
    "json_zlib_write_bytes": "JSON + zlib encode (to bytes)",
    "pillow_parameters_bytes": "Pillow: 512x512 PNG 'parameters' (from bytes)",
    "pillow_parameters_file": "Pillow: 512x512 PNG 'parameters' (from a file)",
}


def print_speed(console, result: dict) -> None:
    from rich.table import Table

    methods = result["methods"]
    files = next(iter(methods.values()))["files"]
    table = Table(title=f"(c) µs per file: median over {files:,} distinct files, median of "
                        f"{result['rounds']} interleaved rounds")
    for column in ("operation", "median µs", "rounds: min – max"):
        table.add_column(column, justify="left" if column == "operation" else "right")
    for key, label in SPEED_LABELS.items():
        row = methods[key]
        table.add_row(label, f"{row['median_us']:.1f}", f"{row['min_round_us']:.1f} – {row['max_round_us']:.1f}")
    table.add_row("the paper: entropy decoding (quoted, not measured)", f"{result['paper_decode_us_quoted']:.0f}", "")
    console.print(table)
    console.print(f"AIGIF files taken by the reader's fast path: {result['aigif_fast_path_accepted']:,} of {files:,} "
                  f"(the rest go to the construct schema)")
    for key, label in (("aigif_read_over_pillow_bytes", "from bytes"), ("aigif_read_over_pillow_file", "from files")):
        ratio = result["ratios"][key]
        verdict = "[green]PASS[/green]" if ratio["pass"] else "[red]FAIL[/red]"
        console.print(f"AIGIF read / Pillow read, {label}: {ratio['median']:.2f}x (rounds {ratio['min']:.2f}–"
                      f"{ratio['max']:.2f}; target <= 1): {verdict}")


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=Path, default=DEFAULT_RECORDS,
                        help=f"JSON Lines generation records (default {DEFAULT_RECORDS})")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help=f"folder of real AI PNG images (default {DEFAULT_CORPUS})")
    parser.add_argument("--quick", action="store_true", help="a small subset (seconds, for the tests)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"write the results here (default {DEFAULT_JSON})")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {', '.join(SECTIONS)}")
    parser.add_argument("--limit", type=int, help="use only the first N records")
    parser.add_argument("--files", type=int, help="distinct files per timing method")
    parser.add_argument("--rounds", type=int, help="interleaved timing rounds")
    parser.add_argument("--sizes", help="tiny-sd image sizes, comma-separated (default 512,1024)")
    parser.add_argument("--per-size", type=int, help="tiny-sd images per size")
    parser.add_argument("--steps", type=int, help="tiny-sd diffusion steps")
    args = parser.parse_args(argv)

    settings = dict(QUICK if args.quick else FULL)
    for key in ("limit", "files", "rounds", "per_size", "steps"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    if args.sizes:
        settings["sizes"] = [int(s) for s in args.sizes.split(",")]
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")

    from rich.console import Console

    console = Console()
    started = time.perf_counter()
    results: dict = {
        "command": "python tools/bench/bench.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(), "quick": args.quick, "settings": settings,
    }

    encoded = None
    if "sizes" in sections or "speed" in sections:
        try:
            records = formats.load_records(args.records, settings["limit"])
        except formats.RecordsError as err:
            console.print(f"[red]bench: error:[/red] {err}")
            return 1
        encoded = formats.encode_all(records)
        results["records"] = {"count": len(records), "source": args.records.name}
        del records  # measuring only: nothing of a record goes into the results
    if "sizes" in sections:
        results["sizes"] = formats.size_table(encoded)
        results["sizes"]["paper_layout_widths"] = [
            {"section": s, "field": f, "width": w, "bytes": b} for s, f, w, b in formats.PAPER_WIDTHS]
        results["sizes"]["platform"] = {"device": formats.PLATFORM.device, "arch": formats.PLATFORM.arch,
                                        "gpu": formats.PLATFORM.gpu, "cuda": formats.PLATFORM.cuda,
                                        "dtype": formats.DTYPE}
        print_sizes(console, results["sizes"])

    with tempfile.TemporaryDirectory(prefix="aigif-bench-") as tmp:
        if "pixels" in sections:
            results["pixels"] = {
                "jpegxl_available": pixels.jpegxl_available(),
                "tiny_sd": pixels.tiny_sd_section(settings["sizes"], settings["per_size"], settings["steps"],
                                                  Path(tmp, "tiny")),
                "corpus": pixels.corpus_section(args.corpus, settings["corpus_limit"]),
            }
            print_pixels(console, results["pixels"])
        if "speed" in sections:
            results["speed"] = speed.speed_section(encoded, encoded.infotext, settings["files"], settings["rounds"],
                                                   Path(tmp, "speed"))
            print_speed(console, results["speed"])

    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    console.print(f"wrote {args.json} ({results['elapsed_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
