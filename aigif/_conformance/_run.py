"""Running a suite: cases in parallel, a report."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import fnmatch
import math
import os
import time
from typing import Any, Callable, Iterable

from ._base import DEFAULT_TIMEOUT, KINDS, MAX_JOBS, OUTCOMES, RESULTS_FORMAT, RESULTS_VERSION, RunnerUsageError
from ._execute import RunningProcesses, execute, output_cap, parse_reader, reader_argv
from ._suite import Case, Suite
from ._verdicts import CaseResult, judge


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
        from .._version import __version__

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
    processes = RunningProcesses()
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
