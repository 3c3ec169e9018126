"""The lock (constraints.txt) and pyproject.toml agree, and the README's commands install from it.

A fresh clone must install exactly the versions the tests and the recreation references were made
with (issue 12: transformers 5.25 changed a config file the tests compare), so every requirement
of the package and its extras is pinned in the lock, at a version its specifier allows.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def lock() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)", line)
        assert match, f"constraints.txt: {line!r} is not an exact pin NAME==VERSION"
        name = canonicalize_name(match.group(1))
        assert name not in pins, f"constraints.txt pins {name} twice"
        pins[name] = Version(match.group(2))
    return pins


def requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    found = [Requirement(text) for text in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        found += [Requirement(text) for text in extra]
    return found


def test_every_requirement_is_pinned_at_a_version_its_specifier_allows():
    pins = lock()
    for requirement in requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} (pyproject.toml) is not pinned in constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), \
            f"constraints.txt pins {name}=={pins[name]}, which pyproject.toml's {requirement} refuses"


def test_the_lock_pins_torch_as_pyproject_does():
    assert str(lock()["torch"]) == "2.13.0"


def test_the_readme_commands_and_ci_install_from_the_lock():
    from helpers import quick_start_commands

    for command in quick_start_commands():
        assert "pip install -q -c constraints.txt " in command, command
