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

The package has no command-line code (``aigif/_cli`` has it) and imports nothing
heavy: only the standard library and aigif's error classes.

Modules: ``_suite`` (the suite's index and checksums), ``_answers`` (strict JSON, and the error code
in what a reader prints), ``_execute`` (one reader on one file), ``_verdicts`` (one answer judged),
``_run`` (a whole suite, its report); ``_base`` holds the constants and errors they share.
"""

from ._answers import compare_json, find_code, parse_json
from ._base import (DEFAULT_TIMEOUT, KINDS, MAX_JOBS, MAX_OUTPUT, OUTCOMES, RESULTS_FORMAT, RESULTS_VERSION, SUITE_FORMAT,
                    SUITE_VERSION, RunnerUsageError, SuiteError)
from ._execute import Execution, execute, output_cap, parse_reader, reader_argv
from ._run import Report, default_jobs, run_suite, select_cases
from ._suite import Case, Suite, default_suite, load_suite
from ._verdicts import CaseResult, judge

__all__ = ["Case", "Suite", "Execution", "CaseResult", "Report", "SuiteError", "RunnerUsageError",
           "load_suite", "default_suite", "parse_reader", "reader_argv", "execute", "judge", "run_suite",
           "compare_json", "find_code", "parse_json", "select_cases", "default_jobs", "output_cap", "OUTCOMES",
           "MAX_OUTPUT", "DEFAULT_TIMEOUT", "MAX_JOBS", "RESULTS_FORMAT", "RESULTS_VERSION", "SUITE_FORMAT",
           "SUITE_VERSION", "KINDS"]
