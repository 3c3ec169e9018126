"""The conformance runner: run any reader over the suite in ``conformance/suite`` and judge each answer.

A *reader* is a command (split with :mod:`shlex`, never run through a shell) in which ``{file}`` stands
for the absolute path of one suite file; a template without ``{file}`` gets the path appended as its
last argument. For each file the reader must either print the canonical JSON form (spec section 11)
on stdout and exit 0 (it *accepts*), or exit 1 (it *rejects*), naming the error code (spec section 9)
anywhere in its stdout or stderr. The runner takes the *last* whole-word occurrence of one of the 16
codes, so ``aigif: error: ... [bad-checksum]`` reports ``bad-checksum``.

Every other behaviour is an *outcome* of its own, and never a crash of the runner: another exit
status or a signal (``crash``), not finishing in time (``timeout``: the reader's whole process group
is killed), exit 0 with stdout that is not one UTF-8 JSON object (``bad-output``), and more than
:data:`MAX_OUTPUT` bytes on stdout or stderr (``output-too-large``: read incrementally, the reader
is killed as soon as it passes the cap, so an endless writer costs neither memory nor disk).

This module has no command-line code (``aigif/_cli_conformance.py`` has it) and imports nothing
heavy: only the standard library and aigif's error classes.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import fnmatch
import hashlib
import json
import math
import os
import re
import selectors
import shlex
import shutil
import signal
import subprocess
import threading
import time
import unicodedata
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ._errors import FORMAT_CODES, AigifError, UsageError

__all__ = ["Case", "Suite", "Execution", "CaseResult", "Report", "SuiteError", "RunnerUsageError",
           "load_suite", "default_suite", "parse_reader", "reader_argv", "execute", "judge", "run_suite",
           "compare_json", "find_code", "parse_json", "select_cases", "default_jobs", "output_cap", "OUTCOMES", "MAX_OUTPUT", "DEFAULT_TIMEOUT", "MAX_JOBS"]

#: Stdout and stderr are each capped at this many bytes (per case; see :func:`output_cap`).
MAX_OUTPUT = 16 * 1024 * 1024
DEFAULT_TIMEOUT = 10.0
#: --jobs is bounded: each running case may hold up to 2 x its output cap in memory.
MAX_JOBS = 64
SUITE_FORMAT, SUITE_VERSION = "aigif-conformance", 1
RESULTS_FORMAT, RESULTS_VERSION = "aigif-conformance-results", 1

ACCEPTED, REJECTED, CRASH, TIMEOUT, BAD_OUTPUT, TOO_LARGE = (
    "accepted", "rejected", "crash", "timeout", "bad-output", "output-too-large")
OUTCOMES = (ACCEPTED, REJECTED, CRASH, TIMEOUT, BAD_OUTPUT, TOO_LARGE)
KINDS = ("y", "n", "i")

_CODE_RE = re.compile(r"(?<![A-Za-z0-9_-])(" + "|".join(
    re.escape(code) for code in sorted(FORMAT_CODES, key=len, reverse=True)) + r")(?![A-Za-z0-9_-])")
_NAME_RE = re.compile(r"^[yni]_[A-Za-z0-9][A-Za-z0-9_.+-]*$")


class SuiteError(AigifError):
    """The suite directory is missing, malformed (``invalid-suite``) or altered (``suite-tampered``)."""

    __module__ = "aigif"


class RunnerUsageError(UsageError):
    """An argument of the runner is unusable: a reader command that cannot run at all (empty, unbalanced
    quotes, no such program), a bad timeout, a pattern that selects no case. The CLI exits 2 for it."""

    __module__ = "aigif"


# ---------------------------------------------------------------------------------------------
# The suite


@dataclasses.dataclass(frozen=True)
class Case:
    """One suite case: a file and what a reader must do with it."""

    name: str
    kind: str  # "y", "n" or "i"
    file: Path  # absolute
    json: Any = None  # y_: the expected canonical JSON; i_: the JSON a reader must give if it accepts
    error: str | None = None  # n_: the expected error code
    errors: tuple[str, ...] | None = None  # i_: codes allowed when rejecting (None: any)
    accept: bool = False  # i_: whether accepting is allowed
    clauses: tuple[str, ...] = ()
    description: str = ""

    @property
    def expected(self) -> str:
        """What a conforming reader does, in words (the 'expected' column)."""
        if self.kind == "y":
            return "accept"
        if self.kind == "n":
            return f"reject [{self.error}]"
        rejection = f"reject [{'|'.join(self.errors)}]" if self.errors else "reject"
        return f"accept or {rejection}" if self.accept else rejection


@dataclasses.dataclass(frozen=True)
class Suite:
    path: Path
    spec: str
    cases: tuple[Case, ...]


def default_suite() -> Path:
    """The suite shipped with the repository (``conformance/suite`` beside the package), if present."""
    here = Path(__file__).resolve().parent.parent / "conformance" / "suite"
    if not (here / "index.json").is_file():
        raise SuiteError("no conformance suite next to the aigif package (an installed copy has none); "
                         "give one with --suite DIR (conformance/suite in the AIGIF repository)",
                         code="not-found")
    return here


def load_suite(path: str | os.PathLike) -> Suite:
    """Read a suite directory: verify ``SHA256SUMS`` first, then load and validate ``index.json``.

    Raises :class:`SuiteError`: ``not-found`` (no such directory), ``suite-tampered`` (a file differs
    from, is missing from or is not covered by ``SHA256SUMS``), ``invalid-suite`` (anything else).
    """
    root = Path(path)
    if not root.is_dir():
        raise SuiteError(f"no such suite directory: {os.fspath(path)}", code="not-found")
    root = root.resolve()
    sums = _verify_checksums(root)
    if "index.json" not in sums:
        raise SuiteError("index.json is not covered by SHA256SUMS", code="suite-tampered")
    index = _load_json_file(root / "index.json", "index.json")
    if not isinstance(index, dict) or index.get("format") != SUITE_FORMAT:
        raise SuiteError(f"index.json is not an index of an AIGIF conformance suite "
                         f"(expected \"format\": \"{SUITE_FORMAT}\")", code="invalid-suite")
    if index.get("version") != SUITE_VERSION:
        raise SuiteError(f"index.json has suite version {index.get('version')!r}; this runner reads version "
                         f"{SUITE_VERSION}", code="invalid-suite")
    entries = index.get("cases")
    if not isinstance(entries, list) or not entries:
        raise SuiteError("index.json has no \"cases\" list", code="invalid-suite")
    cases, seen = [], set()
    for number, entry in enumerate(entries):
        case = _load_case(root, sums, entry, number)
        if case.name in seen:
            raise SuiteError(f"index.json lists case {case.name} twice", code="invalid-suite")
        seen.add(case.name)
        cases.append(case)
    spec = index.get("spec", "")
    return Suite(root, spec if isinstance(spec, str) else "", tuple(cases))


def _verify_checksums(root: Path) -> set[str]:
    """Check every line of SHA256SUMS (``sha256sum -c`` format); return the names it covers."""
    sums_path = root / "SHA256SUMS"
    try:
        text = sums_path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise SuiteError(f"{sums_path} is missing: the suite cannot be verified", code="suite-tampered") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SuiteError(f"cannot read {sums_path}: {err}", code="invalid-suite") from None
    covered: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([0-9a-fA-F]{64}) [ *](.+)", line)
        if not match:
            raise SuiteError(f"SHA256SUMS line {number} is not '<sha256>  <name>'", code="invalid-suite")
        digest, name = match.group(1).lower(), match.group(2)
        target = _inside(root, name, "SHA256SUMS")
        try:
            actual = hashlib.sha256(target.read_bytes()).hexdigest()
        except FileNotFoundError:
            raise SuiteError(f"{name} is listed in SHA256SUMS but missing", code="suite-tampered") from None
        except OSError as err:
            raise SuiteError(f"cannot read {name}: {err.strerror or err}", code="invalid-suite") from None
        if actual != digest:
            raise SuiteError(f"{name} does not match SHA256SUMS (the suite was altered; regenerate or re-fetch it)",
                             code="suite-tampered")
        covered.add(Path(name).as_posix())
    if not covered:
        raise SuiteError("SHA256SUMS lists no file", code="suite-tampered")
    return covered


def _inside(root: Path, name: str, where: str) -> Path:
    """``root / name`` for a plain relative name (no absolute path, no '..'), else invalid-suite."""
    rel = Path(name)
    if not name or rel.is_absolute() or ".." in rel.parts or "\\" in name or "\0" in name:
        raise SuiteError(f"{where} names a file outside the suite: {name!r}", code="invalid-suite")
    return root / rel


def _load_case(root: Path, sums: set[str], entry: Any, number: int) -> Case:
    where = f"index.json case {number}"
    if not isinstance(entry, dict):
        raise SuiteError(f"{where} is not an object", code="invalid-suite")
    name, kind = entry.get("name"), entry.get("kind")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise SuiteError(f"{where} has no valid name (y_/n_/i_ followed by letters, digits, _ . + -)",
                         code="invalid-suite")
    where = f"index.json case {name}"
    if kind not in KINDS or not name.startswith(kind + "_"):
        raise SuiteError(f"{where}: kind {kind!r} does not match its name", code="invalid-suite")

    def covered_file(key: str) -> Path | None:
        value = entry.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise SuiteError(f"{where}: \"{key}\" is not a file name", code="invalid-suite")
        target = _inside(root, value, where)
        if Path(value).as_posix() not in sums:
            raise SuiteError(f"{where}: {value} is not covered by SHA256SUMS", code="suite-tampered")
        return target

    file = covered_file("file")
    if file is None:
        raise SuiteError(f"{where} has no \"file\"", code="invalid-suite")
    json_path = covered_file("json")
    expected = _load_json_file(json_path, json_path.name) if json_path else None
    if json_path and not isinstance(expected, dict):
        raise SuiteError(f"{where}: {json_path.name} is not a JSON object", code="invalid-suite")
    clauses = entry.get("clauses", [])
    if not isinstance(clauses, list) or not all(isinstance(c, str) for c in clauses):
        raise SuiteError(f"{where}: \"clauses\" is not a list of strings", code="invalid-suite")
    description = entry.get("description", "")
    common = dict(name=name, kind=kind, file=file, clauses=tuple(clauses),
                  description=description if isinstance(description, str) else "")
    if kind == "y":
        if json_path is None:
            raise SuiteError(f"{where}: a y_ case needs its expected \"json\"", code="invalid-suite")
        return Case(json=expected, **common)
    if kind == "n":
        error = entry.get("error")
        sidecar = file.with_suffix(".error")
        if sidecar.is_file():
            if sidecar.relative_to(root).as_posix() not in sums:
                raise SuiteError(f"{where}: {sidecar.name} is not covered by SHA256SUMS", code="suite-tampered")
            noted = sidecar.read_text("utf-8", errors="replace").strip()
            if error is None:
                error = noted
            elif noted != error:
                raise SuiteError(f"{where}: {sidecar.name} says {noted!r}, index.json says {error!r}",
                                 code="invalid-suite")
        if error not in FORMAT_CODES:
            raise SuiteError(f"{where}: expected error {error!r} is not an error code of spec section 9",
                             code="invalid-suite")
        return Case(error=error, **common)
    accept = entry.get("accept", False)
    if not isinstance(accept, bool):
        raise SuiteError(f"{where}: \"accept\" is not true or false", code="invalid-suite")
    errors = entry.get("errors")
    if errors is not None:
        if not isinstance(errors, list) or not errors or any(code not in FORMAT_CODES for code in errors):
            raise SuiteError(f"{where}: \"errors\" is not a list of error codes of spec section 9",
                             code="invalid-suite")
        errors = tuple(errors)
    if json_path is not None and not accept:
        raise SuiteError(f"{where}: gives a \"json\" but does not allow accepting", code="invalid-suite")
    return Case(json=expected, errors=errors, accept=accept, **common)


def _load_json_file(path: Path, name: str) -> Any:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SuiteError(f"{name} is missing", code="suite-tampered") from None
    except OSError as err:
        raise SuiteError(f"cannot read {name}: {err.strerror or err}", code="invalid-suite") from None
    try:
        return parse_json(data)
    except ValueError as err:
        raise SuiteError(f"{name} is not valid JSON: {err}", code="invalid-suite") from None


# ---------------------------------------------------------------------------------------------
# JSON: strict parsing and comparison (R11.4)


def _no_constant(token: str):
    raise ValueError(f"{token} is not JSON")


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def parse_json(data: bytes) -> Any:
    """Parse UTF-8 JSON strictly: no NaN/Infinity, no duplicate keys. Raises ``ValueError``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"not UTF-8 ({err.reason} at byte {err.start})") from None
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except ValueError as err:  # json.JSONDecodeError, and int literals beyond Python's digit limit
        raise ValueError(str(err)) from None


def _show(value: Any, limit: int = 80, escape: bool = False) -> str:
    text = json.dumps(value, ensure_ascii=escape)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mismatch(where: str, expected: Any, got: Any) -> str:
    shown = _show(expected), _show(got)
    if unicodedata.normalize("NFC", shown[0]) == unicodedata.normalize("NFC", shown[1]):
        shown = _show(expected, escape=True), _show(got, escape=True)  # make invisible differences visible
    return f"{where}: expected {shown[0]}, got {shown[1]}"


def _key_path(path: str, key: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _numbers_equal(a: int | float, b: int | float) -> bool:
    """Exact numeric equality (Python compares int with float exactly); a zero's sign must agree."""
    if a != b:
        return False
    if a == 0 and (isinstance(a, float) or isinstance(b, float)):
        return math.copysign(1.0, a) == math.copysign(1.0, b)
    return True


def compare_json(expected: Any, got: Any, path: str = "") -> str | None:
    """The first difference between two JSON values under R11.4, or ``None`` if they are equal.

    Objects compare by keys (order ignored), arrays element by element, strings exactly, integers
    exactly (so a seed of 2^64 - 1 is not "equal" to the double 2^64), an integer and a float only
    when numerically exactly equal, and ``true``/``false`` never equal ``1``/``0``.
    """
    where = path or "(top level)"
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{where}: expected an object, got {_show(got)}"
        for key, value in expected.items():
            if key not in got:
                return f"{_key_path(path, key)}: missing (expected {_show(value)})"
            diff = compare_json(value, got[key], _key_path(path, key))
            if diff:
                return diff
        for key in got:
            if key not in expected:
                return f"{_key_path(path, key)}: unexpected key (got {_show(got[key])})"
        return None
    if isinstance(expected, list):
        if not isinstance(got, list):
            return f"{where}: expected an array, got {_show(got)}"
        for number, (left, right) in enumerate(zip(expected, got)):
            diff = compare_json(left, right, f"{path}[{number}]")
            if diff:
                return diff
        if len(expected) != len(got):
            return f"{where}: expected {len(expected)} items, got {len(got)}"
        return None
    if isinstance(expected, bool) or isinstance(got, bool) or expected is None or got is None:
        same = type(expected) is type(got) and expected == got
    elif isinstance(expected, (int, float)):
        same = isinstance(got, (int, float)) and _numbers_equal(expected, got)
    else:  # a string
        same = isinstance(got, str) and expected == got
    return None if same else _mismatch(where, expected, got)


def find_code(text: str) -> str | None:
    """The last whole-word occurrence of an error code of spec section 9 in ``text``, if any."""
    found = None
    for found in _CODE_RE.finditer(text):
        pass
    return found.group(1) if found else None


# ---------------------------------------------------------------------------------------------
# Running one reader on one file


def parse_reader(template: str) -> list[str]:
    """Split a ``--reader`` command template and check that its program exists.

    Raises :class:`RunnerUsageError` (``invalid-value``: empty or unbalanced quotes; ``not-found``:
    the program is not on PATH or not executable).
    """
    try:
        argv = shlex.split(template)
    except ValueError as err:
        raise RunnerUsageError(f"cannot split the reader command {template!r}: {err}", code="invalid-value") from None
    if not argv:
        raise RunnerUsageError("the reader command is empty", code="invalid-value")
    program = argv[0]
    if "{file}" in program:
        raise RunnerUsageError("the reader command starts with {file}; give the program first",
                                 code="invalid-value")
    if os.sep in program or (os.altsep and os.altsep in program):
        if not os.path.isfile(program):
            raise RunnerUsageError(f"the reader program {program} does not exist", code="not-found")
        if not os.access(program, os.X_OK):
            raise RunnerUsageError(f"the reader program {program} is not executable", code="not-found")
    elif shutil.which(program) is None:
        raise RunnerUsageError(f"the reader program {program!r} is not on PATH", code="not-found")
    return argv


def reader_argv(template: Sequence[str], file: str | os.PathLike) -> list[str]:
    """The command for one file: ``{file}`` replaced in every argument, or the path appended."""
    path = os.fspath(file)
    if any("{file}" in arg for arg in template):
        return [arg.replace("{file}", path) for arg in template]
    return [*template, path]


@dataclasses.dataclass
class Execution:
    """What a reader did with one file."""

    outcome: str  # one of OUTCOMES
    seconds: float
    exit_status: int | None = None  # None when killed by a signal (or by the runner)
    signal: str | None = None  # e.g. "SIGSEGV"
    code: str | None = None  # rejected: the error code found in the output
    json: Any = None  # accepted: the parsed JSON object
    detail: str = ""  # why, for crash / timeout / bad-output / output-too-large
    stderr: str = ""  # the end of stderr, for the report


def output_cap(case: Case | None = None) -> int:
    """Bytes allowed on stdout (and on stderr) for ``case``: :data:`MAX_OUTPUT`, or 4 x its JSON if larger."""
    if case is not None and case.json is not None:
        return max(MAX_OUTPUT, 4 * len(json.dumps(case.json)))
    return MAX_OUTPUT


class _Processes:
    """The process groups currently running, so an interrupted run can kill them all."""

    def __init__(self):
        self._lock = threading.Lock()
        self._running: set[int] = set()
        self.stopped = False

    def add(self, pid: int) -> None:
        with self._lock:
            self._running.add(pid)
            if self.stopped:
                _kill_group(pid)

    def discard(self, pid: int) -> None:
        with self._lock:
            self._running.discard(pid)

    def kill_all(self) -> None:
        with self._lock:
            self.stopped = True
            for pid in self._running:
                _kill_group(pid)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _exited_without_reaping(proc: subprocess.Popen) -> bool:
    """True once the process has exited; it stays a zombie (so its pid and group id cannot be reused)."""
    if not hasattr(os, "waitid"):  # macOS before Python 3.13: reap it (its group is killed just after)
        return proc.poll() is not None
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def execute(argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT, max_output: int = MAX_OUTPUT,
            _processes: _Processes | None = None) -> Execution:
    """Run one reader command and classify what it did (never raises for anything the reader does).

    The reader runs in a new session (its own process group) with stdin closed. Stdout and stderr
    are read as they come; past ``max_output`` bytes on either, or past ``timeout`` seconds, the
    whole group is killed. When the reader itself exits, whatever it left running in its group is
    killed too, so a stray child holding the pipes open cannot stall the run.
    """
    started = time.monotonic()
    deadline = started + timeout
    try:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
    except OSError as err:
        return Execution(CRASH, time.monotonic() - started, detail=f"cannot start the reader: {err.strerror or err}")
    if _processes is not None:
        _processes.add(proc.pid)
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    buffers = {out_fd: bytearray(), err_fd: bytearray()}
    names = {out_fd: "stdout", err_fd: "stderr"}
    stop: tuple[str, str] | None = None
    selector = selectors.DefaultSelector()
    pidfd = None
    try:
        for fd in buffers:
            selector.register(fd, selectors.EVENT_READ)
        try:
            pidfd = os.pidfd_open(proc.pid)
            selector.register(pidfd, selectors.EVENT_READ)
        except (AttributeError, OSError):  # not Linux >= 5.3
            pidfd = None
        pipes_open, leader_done = len(buffers), False
        while pipes_open or not leader_done:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                stop = (TIMEOUT, f"no answer within {timeout:g} s")
                break
            wait = remaining
            if pidfd is None and not leader_done:  # no pidfd: poll the process between reads
                if _exited_without_reaping(proc):
                    leader_done = True
                    _kill_group(proc.pid)
                    continue
                wait = min(remaining, 0.05 if pipes_open else 0.002)
            for key, _ in selector.select(wait):
                if key.fd == pidfd:
                    selector.unregister(pidfd)
                    leader_done = True
                    _kill_group(proc.pid)  # the leader is a zombie: its group id is still ours
                    continue
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fd)
                    pipes_open -= 1
                    continue
                buffers[key.fd] += chunk
                if len(buffers[key.fd]) > max_output:
                    stop = (TOO_LARGE, f"more than {max_output:,} bytes on {names[key.fd]}")
                    break
            if stop:
                break
        _kill_group(proc.pid)  # anything it left behind (the leader is not reaped yet)
    finally:
        selector.close()
        if pidfd is not None:
            os.close(pidfd)
        if _processes is not None:
            _processes.discard(proc.pid)  # before reaping: a reaped pid may be reused
        if proc.returncode is None:
            _kill_group(proc.pid)  # normally done above; here after an exception of our own
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    status = proc.returncode
    seconds = time.monotonic() - started
    out, err = bytes(buffers[out_fd]), bytes(buffers[err_fd])
    tail = err[-2000:].decode("utf-8", errors="replace")
    if stop is not None:
        return Execution(stop[0], seconds, detail=stop[1], stderr=tail)
    if status < 0:
        name = _signal_name(-status)
        return Execution(CRASH, seconds, signal=name, detail=f"killed by {name}", stderr=tail)
    if status == 0:
        try:
            doc = parse_json(out)
        except ValueError as error:
            shown = "empty" if not out.strip() else f"not JSON ({error})"
            return Execution(BAD_OUTPUT, seconds, exit_status=0, detail=f"exit 0 but stdout is {shown}", stderr=tail)
        if not isinstance(doc, dict):
            return Execution(BAD_OUTPUT, seconds, exit_status=0,
                             detail=f"exit 0 but stdout is a JSON {type(doc).__name__}, not an object", stderr=tail)
        return Execution(ACCEPTED, seconds, exit_status=0, json=doc, stderr=tail)
    if status == 1:
        text = out.decode("utf-8", errors="replace") + "\n" + err.decode("utf-8", errors="replace")
        return Execution(REJECTED, seconds, exit_status=1, code=find_code(text), stderr=tail)
    return Execution(CRASH, seconds, exit_status=status, detail=f"exit status {status} (0 accepts, 1 rejects)",
                     stderr=tail)


# ---------------------------------------------------------------------------------------------
# Verdicts


@dataclasses.dataclass
class CaseResult:
    name: str
    kind: str
    verdict: str  # "pass" or "fail"
    outcome: str
    expected: str
    got: str
    reason: str
    seconds: float
    code: str | None = None
    exit_status: int | None = None
    signal: str | None = None
    stderr: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def to_json(self) -> dict[str, Any]:
        out = {"name": self.name, "kind": self.kind, "verdict": self.verdict, "outcome": self.outcome,
               "expected": self.expected, "got": self.got, "reason": self.reason,
               "seconds": round(self.seconds, 3), "code": self.code, "exit_status": self.exit_status,
               "signal": self.signal}
        if not self.passed:
            out["stderr"] = self.stderr[-1000:]
        return out


def _got(run: Execution) -> str:
    if run.outcome == ACCEPTED:
        return "accept"
    if run.outcome == REJECTED:
        return f"reject [{run.code}]" if run.code else "reject (no code)"
    return f"{run.outcome} ({run.detail})" if run.detail else run.outcome


def judge(case: Case, run: Execution, *, require_codes: bool = False) -> CaseResult:
    """Decide whether ``run`` is a conforming answer to ``case`` (see docs/conformance.md)."""
    reason = ""
    if run.outcome not in (ACCEPTED, REJECTED):
        reason = f"{run.outcome}: {run.detail}" if run.detail else run.outcome
    elif run.outcome == ACCEPTED:
        if case.kind == "n":
            reason = f"accepted an invalid file (expected [{case.error}])"
        elif case.kind == "i" and not case.accept:
            reason = "accepted a file this case requires to be rejected"
        elif case.json is not None:
            diff = compare_json(case.json, run.json)
            if diff:
                reason = f"wrong JSON: {diff}"
    else:  # rejected
        if case.kind == "y":
            reason = "rejected a valid file" + (f" [{run.code}]" if run.code else "")
        elif run.code is None:
            if require_codes:
                reason = "rejected without naming an error code (--require-codes)"
        elif case.kind == "n" and run.code != case.error:
            reason = f"wrong code: expected {case.error}, got {run.code}"
        elif case.kind == "i" and case.errors and run.code not in case.errors:
            reason = f"wrong code: expected one of {', '.join(case.errors)}, got {run.code}"
    return CaseResult(case.name, case.kind, "fail" if reason else "pass", run.outcome, case.expected, _got(run),
                      reason, run.seconds, run.code, run.exit_status, run.signal, run.stderr)


# ---------------------------------------------------------------------------------------------
# Running a suite


@dataclasses.dataclass
class Report:
    reader: str
    suite: Suite
    results: list[CaseResult]
    timeout: float
    require_codes: bool
    seconds: float = 0.0

    @property
    def failures(self) -> list[CaseResult]:
        return [result for result in self.results if not result.passed]

    def totals(self) -> dict[str, Any]:
        def count(results: list[CaseResult]) -> dict[str, int]:
            passed = sum(result.passed for result in results)
            return {"total": len(results), "passed": passed, "failed": len(results) - passed}

        out: dict[str, Any] = count(self.results)
        for kind in KINDS:
            out[kind] = count([result for result in self.results if result.kind == kind])
        out["outcomes"] = {name: sum(result.outcome == name for result in self.results) for name in OUTCOMES}
        return out

    def to_json(self) -> dict[str, Any]:
        from . import __version__

        return {"format": RESULTS_FORMAT, "version": RESULTS_VERSION, "reader": self.reader,
                "suite": os.fspath(self.suite.path), "spec": self.suite.spec, "runner": f"aigif {__version__}",
                "timeout": self.timeout, "require_codes": self.require_codes, "seconds": round(self.seconds, 3),
                "totals": self.totals(), "cases": [result.to_json() for result in self.results]}


def select_cases(suite: Suite, only: Iterable[str] = ()) -> list[Case]:
    """The cases whose name matches one of the ``only`` glob patterns (all cases if none are given)."""
    patterns = list(only)
    cases = [case for case in suite.cases if not patterns or any(fnmatch.fnmatchcase(case.name, p) for p in patterns)]
    if not cases:
        raise RunnerUsageError(f"no case of the suite matches {' or '.join(map(repr, patterns))}",
                                 code="invalid-value")
    return cases


def run_suite(suite: Suite, reader: str, *, timeout: float = DEFAULT_TIMEOUT, jobs: int | None = None,
              require_codes: bool = False, only: Iterable[str] = (),
              progress: Callable[[CaseResult], None] | None = None) -> Report:
    """Run ``reader`` (a command template) on every selected case, ``jobs`` at a time.

    ``progress`` is called (in the calling thread) after each case. Raises :class:`RunnerUsageError`
    for a reader command that cannot run at all; everything the reader does becomes a result.
    """
    template = parse_reader(reader)
    if not timeout > 0 or not math.isfinite(timeout):
        raise RunnerUsageError("the timeout must be a positive number of seconds", code="invalid-value")
    cases = select_cases(suite, only)
    jobs = max(1, min(jobs or default_jobs(), MAX_JOBS, len(cases)))
    processes = _Processes()
    started = time.monotonic()

    def one(case: Case) -> CaseResult:
        run = execute(reader_argv(template, case.file), timeout=timeout, max_output=output_cap(case),
                      _processes=processes)
        return judge(case, run, require_codes=require_codes)

    results: dict[str, CaseResult] = {}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="aigif-conformance")
    try:
        futures = [pool.submit(one, case) for case in cases]
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            results[result.name] = result
            if progress is not None:
                progress(result)
    except BaseException:  # Ctrl-C or a bug: stop everything that still runs
        processes.kill_all()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return Report(reader, suite, [results[case.name] for case in cases], timeout, require_codes,
                  time.monotonic() - started)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 2, 16))

