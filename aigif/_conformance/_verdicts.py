"""Judging one answer against its case."""

from __future__ import annotations

import dataclasses
from typing import Any

from ._answers import compare_json
from ._base import ACCEPTED, REJECTED
from ._execute import Execution
from ._suite import Case


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
