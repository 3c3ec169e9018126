#!/usr/bin/env python3
"""Start-up time of the reference reader as a conformance reader: ``aigif info --json FILE``.

    python tools/bench/bench_startup.py [--runs 15] [--suite] [--json OUT]

Times, interleaved in rounds so that the machine's noise falls on every command alike:

- ``python -c pass``: the interpreter alone (the floor);
- ``python -m aigif info --json FILE``: what ``aigif conformance run`` starts once per suite file
  (the quick path of ``aigif/_cli/_quick.py``: the format core only); target <= 0.1 s;
- ``python -m aigif info FILE``: the table, through typer and rich (for comparison).

``--suite`` also times ``aigif conformance run`` over the whole suite with that reader. Prints a
table and writes the figures as JSON (default ``bench-results/startup.json``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FILE = ROOT / "conformance" / "suite" / "y_table1.aigif"
TARGET_S = 0.1


def commands() -> dict[str, list[str]]:
    python = sys.executable
    return {
        "python -c pass": [python, "-c", "pass"],
        "aigif info --json FILE": [python, "-m", "aigif", "info", "--json", str(FILE)],
        "aigif info FILE (table)": [python, "-m", "aigif", "info", str(FILE)],
    }


def once(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - started


def measure(runs: int) -> dict[str, dict]:
    times: dict[str, list[float]] = {name: [] for name in commands()}
    for name, argv in commands().items():  # one warm-up each: the file system cache, .pyc files
        once(argv)
    for _ in range(runs):
        for name, argv in commands().items():
            times[name].append(once(argv))
    return {name: {"median_s": statistics.median(values), "min_s": min(values), "max_s": max(values),
                   "runs": runs} for name, values in times.items()}


def suite_run() -> dict:
    reader = f"{sys.executable} -m aigif info --json {{file}}"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "aigif", "conformance", "run", "--reader", reader],
                          cwd=ROOT, capture_output=True, text=True)
    return {"seconds": round(time.perf_counter() - started, 2), "exit_status": done.returncode,
            "summary": done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="interleaved rounds (default 15)")
    parser.add_argument("--suite", action="store_true", help="also time a conformance run over the whole suite")
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "startup.json")
    args = parser.parse_args(argv)
    result: dict = {"commands": measure(args.runs), "target_s": TARGET_S, "python": sys.version.split()[0]}
    if args.suite:
        result["suite"] = suite_run()
    quick = result["commands"]["aigif info --json FILE"]["median_s"]
    result["pass"] = quick <= TARGET_S
    width = max(map(len, result["commands"]))
    print(f"{'command':<{width}}  median    min      max   ({args.runs} interleaved runs)")
    for name, row in result["commands"].items():
        print(f"{name:<{width}}  {row['median_s']:.3f} s  {row['min_s']:.3f} s  {row['max_s']:.3f} s")
    print(f"aigif info --json: {quick:.3f} s (target <= {TARGET_S} s): {'PASS' if result['pass'] else 'FAIL'}")
    if args.suite:
        print(f"conformance run over the suite: {result['suite']['seconds']} s; {result['suite']['summary']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
