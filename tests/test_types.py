"""The type checker passes over the whole package (configured in pyproject.toml, ``[tool.mypy]``).

The public surface (``aigif``, its errors, the object model, reading, writing, the JSON form) is
checked strictly: every function fully annotated, no bare generics, no ``Any`` returned where a
type is promised.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_mypy_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_public_surface_is_checked_strictly():
    """The modules users touch are under the strict flags, so the check above covers them."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mypy"]
    strict = [o for o in config["overrides"] if o.get("disallow_untyped_defs")]
    assert len(strict) == 1
    modules = set(strict[0]["module"])
    assert {"aigif", "aigif._errors", "aigif._format._model", "aigif._format._read", "aigif._format._write",
            "aigif._format._json"} <= modules
    assert all(strict[0][flag] for flag in ("disallow_incomplete_defs", "disallow_any_generics", "warn_return_any"))
