#!/usr/bin/env python3
"""Coverage-guided fuzzing of the AIGIF reader with atheris (libFuzzer).

    python tools/format/fuzz.py                      # 1,000,000 executions from the conformance suite
    python tools/format/fuzz.py --runs 20000 --json out.json
    python tools/format/fuzz.py --seconds 600 --corpus ~/aigif-corpus    # keep the corpus between runs
    python tools/format/fuzz.py --self-test          # prove a planted bug is caught (exit 0 if it is)

Every input must keep the reader's contract (spec R9.1, R10.1, R10.2 and the fast path's promise,
see ``aigif/_format/_fastread.py``); an input that breaks it is a *crasher*:

1. ``aigif.loads`` returns a file or raises ``AigifError``: any other exception is a crasher, and
   so is an input that takes more than 1 s (libFuzzer ``-timeout``) or more memory than the cap.
2. If the fast path (``_fastread.parse``) accepts the bytes, the schema (``_read.loads_schema``)
   accepts them too and builds an equal object (same JSON form, same stored text block); and the
   fast path never runs out of memory or stack (``aigif.loads`` would hide it behind the schema).
3. A file that is read is rewritten by ``aigif.dumps`` to the very same bytes, and its JSON form
   (``aigif.to_json``) goes through ``aigif.from_json`` back to an equal object.

libFuzzer runs inside the Python process and ends it with ``sys.exit``, so the fuzzing runs in a
child process (this script with ``--worker``) and the parent reads its output. The child records
contract violations itself (one file per distinct bug, the smallest input seen) and goes on
fuzzing; timeouts and out-of-memory end the child, and the parent starts another one on the
grown corpus for the executions that remain.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.util
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from spec_encoder import reseal

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "conformance" / "suite"

DEFAULT_RUNS = 1_000_000
DEFAULT_MAX_LEN = 4096  # every suite file but the three 64-128 KiB ones (long prompts and text)
TIMEOUT_SECONDS = 1
#: The spec's largest allocation is the 16 MiB of decompressed source metadata (R6.8), which the
#: reader, the rewrite and the schema hold a few times over. The worker needs 56 MB, the largest
#: valid file takes it to 127 MB (tests/format/test_fuzz.py), so 256 MB leaves a margin of two, and a
#: reader that allocates by a length it did not check first (up to 2^64) is caught.
RSS_LIMIT_MB = 256
#: libFuzzer's -malloc_limit_mb only works with a sanitizer's malloc hooks, which CPython lacks; an
#: address-space limit makes any single oversized allocation fail at once (MemoryError, a crasher).
ADDRESS_SPACE_HEADROOM_MB = 256
MAX_RESTARTS = 3  # children started again after a timeout or out-of-memory ended one
#: How often the custom mutator leaves the CRC-32 as libFuzzer mutated it (1 in RESEAL_SKIP): the
#: other mutations get a correct CRC, so they can be accepted and reach the fast path's final
#: checks, the differential check and the rewrite check.
RESEAL_SKIP = 8

STAT_LINE = re.compile(r"^#(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\S+)")
FINAL_STAT = re.compile(r"^stat::(\w+):\s+(\d+)")
ARTIFACT_LINE = re.compile(r"Test unit written to (\S+)")
ERROR_LINE = re.compile(r"ERROR: libFuzzer: (.+)")
SEED_LINE = re.compile(r"INFO: Seed: (\d+)")
ECHOED = re.compile(r"^#\d+\s+(INITED|pulse|DONE)|ERROR|Test unit written|=== ")


# ---------------------------------------------------------------------------------------------
# The contract: what one input must satisfy (imports aigif lazily, so the worker can instrument it)


class Finding(Exception):
    """One input broke the reader's contract: the fuzzer keeps it as a crasher."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


def check(data: bytes) -> None:
    """Raise ``Finding`` if the reader breaks its contract on ``data``; return otherwise."""
    check_fast_path(data)
    obj = read(data)
    if obj is not None:
        check_rewrite(data, obj)


def read(data: bytes):
    """``aigif.loads(data)``, or None if it refuses the bytes the one allowed way (R9.1)."""
    import aigif

    try:
        return aigif.loads(data)
    except aigif.AigifError:
        return None
    except Exception as err:  # noqa: BLE001 - precisely what this checks for
        raise Finding("uncaught", f"aigif.loads raised {type(err).__name__}: {err}") from err


def check_fast_path(data: bytes) -> None:
    """The fast path may only accept what the schema accepts, building the same object."""
    import aigif
    from aigif._format import _fastread, _read

    try:
        fast = _fastread.parse(data)
    except _fastread.Reject:  # refusing is always allowed: the schema then decides
        return
    except Exception as err:  # noqa: BLE001 - precisely what this checks for: anything else is a bug
        raise Finding("fast-path-bug", f"the fast path raised {type(err).__name__}: {err}") from err
    try:
        reference = _read.loads_schema(data)
    except Exception as err:  # noqa: BLE001
        raise Finding("fast-path-accepts", f"the fast path accepts a file the schema refuses: {err!r}") from err
    if fast != reference or fast.stored_text != reference.stored_text or aigif.to_json(fast) != aigif.to_json(
            reference):
        raise Finding("fast-path-differs", "the fast path and the schema read different objects")


def check_rewrite(data: bytes, obj) -> None:
    """A file read is written back byte for byte (R10.1, R10.2) and survives its JSON form."""
    import aigif

    try:
        rewritten = aigif.dumps(obj)
        back = aigif.from_json(aigif.to_json(obj))
    except Exception as err:  # noqa: BLE001 - a file that was read must be writable and showable
        raise Finding("rewrite-fails", f"{type(err).__name__}: {err}") from err
    if rewritten != data and not _rewrites_a_later_code(obj, rewritten):
        raise Finding("rewrite-differs", "aigif.dumps(aigif.loads(data)) != data")
    if back != obj:
        raise Finding("json-differs", "aigif.from_json(aigif.to_json(obj)) != obj")


def _rewrites_a_later_code(obj, rewritten: bytes) -> bool:
    """R4.7: a name escaped before its code was added reads back as the same contents, written as the
    code, and the rewrite is then a fixed point."""
    import aigif
    from aigif._format._registry import REGISTRIES

    added = {name for registry in REGISTRIES.values() for name in registry.extra.get("added", {})}
    shown = json.dumps(aigif.to_json(obj))
    if not any(json.dumps(name) in shown for name in added):
        return False
    try:
        again = aigif.loads(rewritten)
    except aigif.FormatError:
        return False
    return again == obj and aigif.dumps(again) == rewritten


def signature(finding: Finding) -> str:
    """What tells two crashers apart: the kind, the exception and where it was raised."""
    cause = finding.__cause__
    frames = traceback.extract_tb(cause.__traceback__) if cause is not None else []
    if not frames:
        return finding.kind
    return f"{finding.kind}:{type(cause).__name__}@{Path(frames[-1].filename).name}:{frames[-1].lineno}"


# ---------------------------------------------------------------------------------------------
# The worker: libFuzzer in this process, started by the parent with --worker CONFIG


class FindingLog:
    """Keeps one input per distinct crasher, the smallest seen, with its traceback."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.smallest: dict[str, int] = {}

    def record(self, data: bytes, finding: Finding) -> None:
        key = signature(finding)
        if key in self.smallest and self.smallest[key] <= len(data):
            return
        self.smallest[key] = len(data)
        name = "crash-" + hashlib.sha1(key.encode()).hexdigest()[:16]
        (self.folder / name).write_bytes(data)
        (self.folder / f"{name}.txt").write_text(
            f"{finding}\nsignature: {key}\ninput: {len(data)} bytes, {data[:64].hex()}...\n\n"
            + "".join(traceback.format_exception(finding)), "utf-8")
        with open(self.folder / "findings.jsonl", "a", encoding="utf-8") as log:
            log.write(json.dumps({"signature": key, "kind": finding.kind, "message": finding.message,
                                  "input": str(self.folder / name), "size": len(data)}) + "\n")
        print(f"=== crasher {key}: {finding} -> {self.folder / name}", file=sys.stderr, flush=True)


class SlowestInput:
    """Times every input and keeps the slowest (libFuzzer reports whole seconds only)."""

    def __init__(self, folder: Path):
        self.path = folder / "slowest.json"
        self.seconds = 0.0

    def run(self, target, data: bytes) -> None:
        started = time.perf_counter()
        try:
            target(data)
        finally:
            elapsed = time.perf_counter() - started
            if elapsed > self.seconds:
                self.seconds = elapsed
                self.path.write_text(json.dumps({"seconds": elapsed, "size": len(data),
                                                 "sha1": hashlib.sha1(data).hexdigest()}), "utf-8")


#: What a planted bug does: each breaks the contract in a way a different check must catch.
PLANTED_BUGS = {
    "exception": lambda: 1 // 0,  # an exception other than AigifError
    "hang": lambda: time.sleep(3 * TIMEOUT_SECONDS),  # libFuzzer's -timeout
    "memory": lambda: bytearray(1 << 30),  # the address-space cap: MemoryError
}


def triggers_planted_bug(data: bytes) -> bool:
    """A version byte of 0x40-0x7F: no suite file has one, one mutation of nearly any makes one."""
    return len(data) > 8 and data[8] & 0xC0 == 0x40


def plant_bug(kind: str) -> None:
    """Give ``aigif.loads`` a bug for --self-test to find."""
    import aigif

    real_loads, bug = aigif.loads, PLANTED_BUGS[kind]

    def loads(data: bytes):
        if triggers_planted_bug(data):
            bug()
        return real_loads(data)

    aigif.loads = loads


def is_planted(crasher: dict) -> bool:
    """Whether a crasher's input is one that triggers the planted bug."""
    path = Path(crasher["input"] or "")
    return path.is_file() and triggers_planted_bug(path.read_bytes())


def reseal_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    """libFuzzer's own mutation, then (mostly) a correct CRC-32, so mutants get past R3.3."""
    import atheris

    mutated = atheris.Mutate(data, max_size)
    if seed % RESEAL_SKIP and len(mutated) > 4:
        return reseal(mutated)
    return mutated


def limit_address_space(headroom_mb: int) -> None:
    """Cap the worker's virtual memory at what it maps now plus the headroom."""
    with open("/proc/self/status", encoding="ascii") as status:
        mapped_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    limit = (mapped_kb // 1024 + headroom_mb) << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_worker(config: dict) -> None:
    import atheris

    sys.path.insert(0, str(ROOT))  # fuzz this checkout, whatever is installed
    with atheris.instrument_imports(include=["aigif"]):
        import aigif  # noqa: F401 - imported here to be instrumented
    if config["plant_bug"]:
        plant_bug(config["plant_bug"])
    log, slowest = FindingLog(Path(config["artifacts"])), SlowestInput(Path(config["artifacts"]))

    def test_one_input(data: bytes) -> None:
        try:
            slowest.run(check, data)
        except Finding as finding:
            log.record(data, finding)

    limit_address_space(config["address_space_headroom_mb"])
    atheris.Setup([sys.argv[0], *config["libfuzzer"], config["corpus"]], test_one_input,
                  custom_mutator=reseal_mutator)
    atheris.Fuzz()


# ---------------------------------------------------------------------------------------------
# The parent: corpus, child processes, their output, the summary


class ToolError(Exception):
    """A problem with how the tool was called or set up: one line for the user, exit 2."""


@dataclasses.dataclass
class ChildRun:
    """What one libFuzzer child reported."""

    stats: dict = dataclasses.field(default_factory=dict)
    last_line: tuple | None = None  # (executions, cov, ft, corpus units, corpus size)
    artifacts: list = dataclasses.field(default_factory=list)
    errors: list = dataclasses.field(default_factory=list)
    seed: int | None = None
    returncode: int = 0
    slowest_seconds: float = 0.0

    def read_line(self, line: str) -> None:
        if match := STAT_LINE.match(line):
            count, _, cov, ft, units, size = match.groups()
            self.last_line = (int(count), int(cov), int(ft), int(units), size)
        elif match := FINAL_STAT.match(line):
            self.stats[match[1]] = int(match[2])
        elif match := ARTIFACT_LINE.search(line):
            self.artifacts.append(match[1])
        elif match := ERROR_LINE.search(line):
            self.errors.append(match[1].strip())
        elif match := SEED_LINE.match(line):
            self.seed = int(match[1])

    @property
    def finished(self) -> bool:
        return self.returncode == 0 and not self.errors

    @property
    def executed(self) -> int:
        if "number_of_executed_units" in self.stats:
            return self.stats["number_of_executed_units"]
        return self.last_line[0] if self.last_line else 0


def check_atheris() -> str:
    """atheris's version, or a ToolError saying how to install it."""
    if importlib.util.find_spec("atheris") is None:
        raise ToolError("atheris is not installed: pip install atheris (Linux; or pip install -e '.[dev]')")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("atheris")
    except PackageNotFoundError:
        return "unknown"


def outside_conformance(path: Path) -> Path:
    """The resolved path, refused if it lies in conformance/ (the suite is never modified)."""
    path = path.expanduser().resolve()
    if path == ROOT / "conformance" or (ROOT / "conformance") in path.parents:
        raise ToolError(f"{path} is inside conformance/: give a folder outside it")
    return path


def seed_files(max_len: int) -> tuple[list[Path], list[Path]]:
    """The suite files listed in index.json: those that fit --max-len, and those that do not."""
    index = SUITE / "index.json"
    if not index.is_file():
        raise ToolError(f"no conformance suite at {SUITE} (run from a checkout of the repository)")
    names = sorted({case["file"] for case in json.loads(index.read_text("utf-8"))["cases"]})
    files = [SUITE / name for name in names]
    fitting = [path for path in files if path.stat().st_size <= max_len]
    return fitting, [path for path in files if path.stat().st_size > max_len]


def prepare_corpus(corpus: Path, seeds: list[Path]) -> None:
    """Copy the seeds into the working corpus (which libFuzzer then grows)."""
    corpus.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        shutil.copyfile(seed, corpus / seed.name)


def libfuzzer_flags(args, runs: int, seconds: int | None, artifacts: Path) -> list[str]:
    flags = [f"-runs={runs}", f"-max_len={args.max_len}", f"-timeout={TIMEOUT_SECONDS}",
             f"-rss_limit_mb={RSS_LIMIT_MB}", f"-malloc_limit_mb={RSS_LIMIT_MB}", "-print_final_stats=1",
             f"-artifact_prefix={artifacts}/"]
    if seconds is not None:
        flags.append(f"-max_total_time={max(1, seconds)}")
    if args.seed is not None:
        flags.append(f"-seed={args.seed}")
    return flags


def run_child(config: dict, log_path: Path, verbose: bool) -> ChildRun:
    """One libFuzzer process; its stderr goes to the log and, in part, to ours."""
    run = ChildRun()
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(config)]
    with open(log_path, "a", encoding="utf-8") as log, subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace") as child:
        for line in child.stdout:
            log.write(line)
            log.flush()
            run.read_line(line)
            if verbose or ECHOED.search(line):
                print(line, end="", file=sys.stderr, flush=True)
        run.returncode = child.wait()
    slowest = Path(config["artifacts"]) / "slowest.json"
    if slowest.is_file():
        run.slowest_seconds = json.loads(slowest.read_text("utf-8"))["seconds"]
        slowest.unlink()
    return run


def read_findings(artifacts: Path) -> dict[str, dict]:
    """The worker's crashers, one per signature (the smallest input across restarts)."""
    found: dict[str, dict] = {}
    path = artifacts / "findings.jsonl"
    if path.is_file():
        for line in path.read_text("utf-8").splitlines():
            entry = json.loads(line)
            if entry["signature"] not in found or entry["size"] < found[entry["signature"]]["size"]:
                found[entry["signature"]] = entry
    return found


def libfuzzer_crasher(run: ChildRun) -> dict:
    """A crasher libFuzzer itself caught (timeout, out-of-memory, a signal) and ended the child for."""
    path = run.artifacts[-1] if run.artifacts else None
    kind = Path(path).name.split("-")[0] if path else "died"
    reason = run.errors[-1] if run.errors else f"the worker exited with status {run.returncode}"
    return {"signature": f"libfuzzer-{kind}", "kind": kind, "message": reason, "input": path,
            "size": Path(path).stat().st_size if path and Path(path).is_file() else None}


@dataclasses.dataclass
class Workplace:
    """Where a campaign reads and writes, and what it starts from."""

    corpus: Path
    artifacts: Path
    seeds: list[Path]
    left_out: list[Path]
    atheris_version: str

    @property
    def log(self) -> Path:
        return self.artifacts / "libfuzzer.log"


def set_up(args) -> Workplace:
    """Check atheris and the folders, then seed the working corpus from the conformance suite."""
    atheris_version = check_atheris()
    corpus = outside_conformance(args.corpus) if args.corpus else None
    artifacts = outside_conformance(args.artifacts) if args.artifacts else None
    seeds, left_out = seed_files(args.max_len)
    if corpus is None or artifacts is None:
        scratch = Path(tempfile.mkdtemp(prefix="aigif-fuzz-"))
        corpus, artifacts = corpus or scratch / "corpus", artifacts or scratch / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    prepare_corpus(corpus, seeds)
    return Workplace(corpus, artifacts, seeds, left_out, atheris_version)


def run_children(args, place: Workplace) -> tuple[list[ChildRun], list[dict]]:
    """libFuzzer children until the runs or seconds are spent (or too many ended early)."""
    runs = args.runs  # -1: no limit
    children: list[ChildRun] = []
    ended_early: list[dict] = []
    started = time.monotonic()
    while True:
        runs_left = -1 if runs < 0 else runs - sum(child.executed for child in children)
        seconds_left = int(args.seconds - (time.monotonic() - started)) if args.seconds else None
        config = {"corpus": str(place.corpus), "artifacts": str(place.artifacts), "plant_bug": args.self_test,
                  "address_space_headroom_mb": ADDRESS_SPACE_HEADROOM_MB,
                  "libfuzzer": libfuzzer_flags(args, runs_left, seconds_left, place.artifacts)}
        child = run_child(config, place.log, args.verbose)
        children.append(child)
        if child.finished:
            break
        ended_early.append(libfuzzer_crasher(child))
        out_of_runs = runs >= 0 and sum(c.executed for c in children) >= runs
        out_of_time = args.seconds and time.monotonic() - started >= args.seconds
        if out_of_runs or out_of_time or len(children) > args.max_restarts:
            break
    return children, ended_early


def fuzz(args) -> dict:
    """Run a campaign; return its summary."""
    place = set_up(args)
    started = time.monotonic()
    children, ended_early = run_children(args, place)
    crashers = [*read_findings(place.artifacts).values(), *ended_early]
    return summarize(args, place, children, time.monotonic() - started, crashers)


def summarize(args, place: Workplace, children: list[ChildRun], seconds: float, crashers: list[dict]) -> dict:
    executions = sum(child.executed for child in children)
    last = next((child.last_line for child in reversed(children) if child.last_line), None)
    return {
        "tool": "tools/format/fuzz.py", "atheris": place.atheris_version, "self_test": args.self_test,
        "executions": executions, "requested_runs": args.runs, "seconds": round(seconds, 1),
        "exec_per_second": round(executions / seconds) if seconds else None,
        "cov": last[1] if last else None, "ft": last[2] if last else None,
        "corpus_units": last[3] if last else None,
        "corpus_files": sum(1 for path in place.corpus.iterdir() if path.is_file()),
        "seeds": len(place.seeds), "seeds_left_out": [path.name for path in place.left_out],
        "max_len": args.max_len, "timeout_seconds": TIMEOUT_SECONDS, "rss_limit_mb": RSS_LIMIT_MB,
        "peak_rss_mb": max(child.stats.get("peak_rss_mb", 0) for child in children),
        "slowest_input_seconds": round(max(child.slowest_seconds for child in children), 3),
        "new_units_added": sum(child.stats.get("new_units_added", 0) for child in children),
        "libfuzzer_seeds": [child.seed for child in children], "children": len(children),
        "final_stats": children[-1].stats, "corpus": str(place.corpus), "artifacts": str(place.artifacts),
        "log": str(place.log), "crashers": crashers,
    }


def render(summary: dict) -> str:
    lines = [
        f"AIGIF reader fuzzing: atheris {summary['atheris']}"
        + (f" (self-test: a planted {summary['self_test']} bug)" if summary["self_test"] else ""),
        f"  executions   {summary['executions']:,} in {summary['seconds']:,.1f} s "
        f"({summary['exec_per_second']:,} exec/s)",
        f"  coverage     cov: {summary['cov']} (edges)  ft: {summary['ft']} (features)",
        f"  corpus       {summary['corpus_units']} units in use, {summary['corpus_files']} files in {summary['corpus']}",
        f"               ({summary['seeds']} seeds from conformance/suite, {len(summary['seeds_left_out'])} longer "
        f"than --max-len {summary['max_len']} left out)",
        f"  limits       {summary['timeout_seconds']} s per input (slowest {summary['slowest_input_seconds']} s), "
        f"{summary['rss_limit_mb']} MB RSS (peak {summary['peak_rss_mb']} MB)",
        f"  crashers     {len(summary['crashers'])}" + (f"  in {summary['artifacts']}" if summary["crashers"] else ""),
    ]
    lines += [f"    - {c['signature']}: {c['message']}\n      input: {c['input']}" for c in summary["crashers"]]
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=None,
                        help=f"executions (default {DEFAULT_RUNS:,}; unlimited with --seconds alone)")
    parser.add_argument("--seconds", type=int, default=0, help="stop after this many seconds")
    parser.add_argument("--max-len", type=int, default=DEFAULT_MAX_LEN, help="largest input, bytes")
    parser.add_argument("--corpus", type=Path, help="working corpus folder, kept (default: a temporary one)")
    parser.add_argument("--artifacts", type=Path, help="crashers and the libFuzzer log (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="also write the summary here as JSON")
    parser.add_argument("--seed", type=int, help="libFuzzer's random seed (default: a new one each run)")
    parser.add_argument("--self-test", nargs="?", const="exception", choices=sorted(PLANTED_BUGS),
                        help="plant a bug in the reader (default: an exception); exit 0 only if it is reported")
    parser.add_argument("--max-restarts", type=int, default=MAX_RESTARTS,
                        help=f"new children after a timeout or out-of-memory (default {MAX_RESTARTS})")
    parser.add_argument("--verbose", action="store_true", help="echo all of libFuzzer's output")
    args = parser.parse_args(argv)
    if args.max_len < 13:
        parser.error("--max-len must be at least 13 (the smallest AIGIF file)")
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be positive")
    if args.runs is None:
        args.runs = -1 if args.seconds else DEFAULT_RUNS  # -1: libFuzzer's "no limit"
    return args


def exit_status(summary: dict) -> int:
    """0 when clean, 1 with crashers; a self-test exits 0 only if the planted bug was found."""
    if summary["self_test"]:
        return 0 if any(is_planted(crasher) for crasher in summary["crashers"]) else 1
    return 1 if summary["crashers"] else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        run_worker(json.loads(argv[1]))
        return 0
    args = parse_args(argv)
    try:
        summary = fuzz(args)
    except ToolError as err:
        print(f"fuzz.py: {err}", file=sys.stderr)
        return 2
    print(render(summary))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=1) + "\n", "utf-8")
    return exit_status(summary)


if __name__ == "__main__":
    sys.exit(main())
