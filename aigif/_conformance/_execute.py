"""Running one reader on one file: a process group, a timeout and capped output."""

from __future__ import annotations

import dataclasses
import json
import os
import selectors
import shlex
import shutil
import signal
import subprocess
import threading
import time
from typing import Any, Sequence

from ._answers import find_code, parse_json
from ._base import (ACCEPTED, BAD_OUTPUT, CRASH, DEFAULT_TIMEOUT, MAX_OUTPUT, REJECTED, TIMEOUT, TOO_LARGE,
                    RunnerUsageError)
from ._suite import Case


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


class RunningProcesses:
    """The process groups currently running, so an interrupted run can kill them all."""

    def __init__(self) -> None:
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
            _processes: RunningProcesses | None = None) -> Execution:
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
    except OSError as exc:
        return Execution(CRASH, time.monotonic() - started, detail=f"cannot start the reader: {exc.strerror or exc}")
    if _processes is not None:
        _processes.add(proc.pid)
    assert proc.stdout is not None and proc.stderr is not None  # both are PIPEs
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
