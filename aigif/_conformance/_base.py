"""Constants and error classes shared by the runner's modules."""

from __future__ import annotations


from .._errors import AigifError, UsageError


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



class SuiteError(AigifError):
    """The suite directory is missing, malformed (``invalid-suite``) or altered (``suite-tampered``)."""

    __module__ = "aigif"


class RunnerUsageError(UsageError):
    """An argument of the runner is unusable: a reader command that cannot run at all (empty, unbalanced
    quotes, no such program), a bad timeout, a pattern that selects no case. The CLI exits 2 for it."""

    __module__ = "aigif"
