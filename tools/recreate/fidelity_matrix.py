#!/usr/bin/env python3
"""The cross-platform fidelity matrix: saving platform x recreation platform -> PSNR, MS-SSIM, max diff.

    python tools/recreate/fidelity_matrix.py [--python PY]... [--configs cpu:float32:2,...] [--runs 2]
                                    [--suite conformance/recreate] [--out bench-results/fidelity] [--force]

A *platform* is a Python interpreter (and so a torch release) with a device, a data type and a
thread count. For each platform this tool recreates every file of the recreation suite in a fresh
process (``aigif._recreate._fidelity.run_suite``, the code behind ``aigif conformance recreate``)
and keeps the images; every platform runs ``--runs`` times, each in its own process.

Cell (row A, column B) compares the images A made with those B made from the same syntax: what a
file saved on A gives when recreated on B. The diagonal compares two separate runs of the same
platform (run-to-run determinism). Each cell is the worst case over the suite's files: "identical",
or the lowest exact PSNR, the lowest MS-SSIM and the largest absolute difference.

``--python`` adds an interpreter (repeatable; default: this one). It needs torch, diffusers and
transformers, not aigif: the child processes import this repository's aigif through PYTHONPATH.
``--configs`` lists ``device:dtype[:threads]`` (threads omitted: the files' recorded count). A
CUDA configuration runs wherever torch sees a GPU; elsewhere it is reported as not available.

Writes OUT/matrix.json (every measurement, per file) and OUT/matrix.md (the tables for docs).
"""

from __future__ import annotations

import argparse
import json
import os
import string
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIGS = "cpu:float32:2,cpu:float32:1,cpu:bfloat16:2,cpu:bfloat16:1,cuda:float32,cuda:float16"

CHILD = r"""
import json, sys
from aigif._errors import AigifError
from aigif._recreate import _fidelity
suite, device, threads, dtype, out_dir, out_json = sys.argv[1:7]
try:
    loaded = _fidelity.load_suite(suite)
    _fidelity.check_options(device=device, threads=int(threads) if threads else None, dtype=dtype or None)
except AigifError as error:
    if error.code != "cannot-honour":
        raise
    doc = {"available": False, "reason": error.message}
else:
    report = _fidelity.run_suite(loaded, device=device, threads=int(threads) if threads else None,
                                 dtype=dtype or None, out_dir=out_dir, overwrite=True)
    doc = {"available": True, **report.to_json()}
with open(out_json, "w", encoding="utf-8") as handle:
    json.dump(doc, handle, indent=2)
"""

PROBE = "import torch, diffusers, sys; print(torch.__version__, diffusers.__version__, sys.version.split()[0])"


def parse_configs(text: str) -> list[dict]:
    configs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        parts = item.split(":")
        if len(parts) not in (2, 3) or parts[1] not in ("float32", "float16", "bfloat16"):
            raise SystemExit(f"--configs: {item!r} is not device:dtype[:threads]")
        configs.append({"device": parts[0], "dtype": parts[1], "threads": int(parts[2]) if len(parts) == 3 else None})
    return configs


def probe(python: str) -> dict:
    done = subprocess.run([python, "-c", PROBE], capture_output=True, text=True, timeout=300, env=child_env())
    if done.returncode:
        raise SystemExit(f"{python} cannot import torch and diffusers:\n{done.stderr.strip()[-2000:]}")
    torch_version, diffusers_version, python_version = done.stdout.split()
    return {"python": python, "torch": torch_version, "diffusers": diffusers_version, "python_version": python_version}


def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.setdefault("HF_HUB_OFFLINE", "1")
    # Idle OpenMP threads sleep instead of spinning. On a shared 2-core machine spinning threads made
    # runs 4-10x slower under load; the work split (and so the pixels) does not depend on it.
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


def name_of(interpreter: dict, config: dict) -> str:
    threads = "recorded threads" if config["threads"] is None else \
        f"{config['threads']} thread{'' if config['threads'] == 1 else 's'}"
    return f"{config['device']} · {config['dtype']} · {threads} · torch {interpreter['torch']}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", default=[], help="an interpreter to measure (repeatable)")
    parser.add_argument("--configs", default=DEFAULT_CONFIGS, help="device:dtype[:threads],... (%(default)s)")
    parser.add_argument("--runs", type=int, default=2, help="separate runs per platform (2 fills the diagonal)")
    parser.add_argument("--suite", type=Path, default=ROOT / "conformance" / "recreate")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "fidelity")
    parser.add_argument("--force", action="store_true", help="replace an existing OUT/matrix.json")
    args = parser.parse_args()
    if (args.out / "matrix.json").exists() and not args.force:
        print(f"fidelity_matrix: {args.out / 'matrix.json'} exists (use --force)", file=sys.stderr)
        return 1
    from PIL import Image

    from aigif._recreate import _fidelity
    from aigif._recreate._metrics import compare

    suite = _fidelity.load_suite(args.suite)
    interpreters = [probe(python) for python in (args.python or [sys.executable])]
    configs = parse_configs(args.configs)
    platforms, unavailable = [], {}
    started = time.perf_counter()
    for interpreter in interpreters:
        for config in configs:
            name = name_of(interpreter, config)
            slug = f"p{len(platforms) + len(unavailable):02d}"
            runs = []
            for run in range(1, max(args.runs, 1) + 1):
                folder = args.out / slug / f"run{run}"
                folder.mkdir(parents=True, exist_ok=True)
                report_path = folder / "report.json"
                command = [interpreter["python"], "-c", CHILD, str(suite.directory), config["device"],
                           "" if config["threads"] is None else str(config["threads"]), config["dtype"],
                           str(folder), str(report_path)]
                begun = time.perf_counter()
                subprocess.run(command, check=True, env=child_env(), timeout=3600)
                report = json.loads(report_path.read_text("utf-8"))
                if not report["available"]:
                    unavailable[name] = report["reason"]
                    print(f"{name}: not available ({report['reason']})", flush=True)
                    break
                report["wall_seconds"] = round(time.perf_counter() - begun, 3)
                runs.append({"folder": str(folder), "report": report})
                summary = report["summary"]
                print(f"{name} run {run}: {summary['identical']}/{summary['cases']} identical to the reference PNGs "
                      f"({report['wall_seconds']:.1f} s wall, model load {report['load_seconds']:.1f} s)", flush=True)
            if runs:
                platforms.append({"name": name, "slug": slug, **interpreter, **config, "runs": runs})

    def image(platform: dict, run: int, case) -> Image.Image:
        with Image.open(Path(platform["runs"][run]["folder"]) / f"{case.name}.png") as opened:
            return opened.convert("RGB")

    cells, details = {}, {}
    for a in platforms:
        for b in platforms:
            if a is b and len(a["runs"]) < 2:
                continue
            rows = []
            for case in suite.cases:
                x, y = image(a, 0, case), image(b, 1 if a is b else 0, case)
                comparison = compare(x, y)
                rows.append({"name": case.name, **_fidelity.comparison_json(
                    comparison, _fidelity.changed_subpixels(x, y), case.width * case.height * 3)})
            cells[(a["name"], b["name"])] = _fidelity.summarize(rows)
            details[f"{a['slug']}->{b['slug']}"] = rows

    letters = {p["name"]: string.ascii_uppercase[i] for i, p in enumerate(platforms)}
    table = _fidelity.matrix_markdown([letters[p["name"]] for p in platforms],
                                      {(letters[a], letters[b]): cell for (a, b), cell in cells.items()})
    legend = "\n".join(f"- **{letters[p['name']]}**: {p['name']}" + (" (the reference platform)" if i == 0 else "")
                       for i, p in enumerate(platforms))
    legend += "".join(f"\n- not run: {name}: {reason}" for name, reason in unavailable.items())
    per_file = _per_file_table(platforms, letters, suite)
    timings = _timings_table(platforms, letters)
    markdown = (f"Rows: the platform a file was saved on; columns: the platform it was recreated on; each cell is "
                f"the worst case over the {len(suite.cases)} reference files: identical, or lowest PSNR · lowest "
                f"MS-SSIM · largest absolute difference. The diagonal compares two runs in separate processes.\n\n"
                f"{table}\n\n{legend}\n\nEach platform against the shipped reference PNGs (what "
                f"`aigif conformance recreate` reports there), per file:\n\n{per_file}\n\n{timings}\n")
    args.out.mkdir(parents=True, exist_ok=True)
    document = {
        "suite": str(suite.directory), "reference_platform": suite.reference_platform,
        "command": " ".join([Path(sys.executable).name, "tools/recreate/fidelity_matrix.py", *sys.argv[1:]]),
        "seconds": round(time.perf_counter() - started, 1),
        "platforms": [{key: value for key, value in p.items()} | {"letter": letters[p["name"]]} for p in platforms],
        "unavailable": unavailable,
        "matrix": [{"saved_on": a, "recreated_on": b, **cell} for (a, b), cell in cells.items()],
        "details": details,
    }
    (args.out / "matrix.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (args.out / "matrix.md").write_text(markdown, "utf-8")
    print()
    print(markdown)
    print(f"wrote {args.out / 'matrix.json'} and {args.out / 'matrix.md'} ({document['seconds']:.0f} s)")
    return 0


def _per_file_table(platforms: list[dict], letters: dict, suite) -> str:
    from aigif._recreate._fidelity import describe

    head = "| platform | " + " | ".join(case.name for case in suite.cases) + " |"
    lines = [head, "|---|" + "---|" * len(suite.cases)]
    for p in platforms:
        rows = {row["name"]: row for row in p["runs"][0]["report"]["results"]}
        cells = []
        for case in suite.cases:
            row = rows[case.name]
            text = describe(row).replace("PSNR ", "")
            if not row.get("error") and not row["identical"]:
                text += f", max {row['max_abs_diff']}"
            cells.append(text)
        lines.append(f"| {letters[p['name']]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _timings_table(platforms: list[dict], letters: dict) -> str:
    count = len(platforms[0]["runs"][0]["report"]["results"]) if platforms else 0
    lines = [f"| platform | model load (s) | recreating {count} files (s) | whole process (s) |", "|---|---|---|---|"]
    for p in platforms:
        report = p["runs"][0]["report"]
        recreating = sum(row["seconds"] for row in report["results"])
        lines.append(f"| {letters[p['name']]} | {report['load_seconds']:.1f} | {recreating:.1f} | "
                     f"{report['wall_seconds']:.1f} |")
    return "Timings (first run of each platform; the 2-core machine is shared, so they are noisy):\n\n" + \
        "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
