"""The README's Quick start and CI agree: CI runs the README's test command, exactly."""

import re
from pathlib import Path

from helpers import quick_start_commands

ROOT = Path(__file__).resolve().parents[2]


def test_quick_start_has_exactly_two_commands_that_make_their_own_venv():
    main_job, tests = quick_start_commands()
    for command in (main_job, tests):
        assert command.startswith("python3 -m venv .venv && .venv/bin/pip install")
    assert "aigif save" in main_job and "aigif recreate" in main_job
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command_exactly():
    _, tests = quick_start_commands()
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text("utf-8").splitlines()]
    assert tests in ci_lines


def test_no_cuda_build_of_torch_is_ever_requested():
    """A bare 'torch' would pull a multi-GB CUDA build; only the pinned CPU file is allowed."""
    project = (ROOT / "pyproject.toml").read_text("utf-8").split("\n[tool.", 1)[0]  # the requirements, not tools
    for requirement in re.findall(r'"(torch(?![A-Za-z0-9_.-])[^"]*)"', project):  # torch itself, not torchsde
        assert requirement == "torch==2.13.0"
