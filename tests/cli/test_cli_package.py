"""The command line is one package, ``aigif/_cli/`` (issue 13, item 1): commands are module-level
functions registered on the shared typer apps (no ``register()`` closures), the entry points work,
heavy modules stay unimported, and every ``--help`` shows plain metavars (item 6.7)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib

import pytest

import aigif
from aigif import _cli
from aigif._cli import _app
from helpers import ROOT
from helpers import run

PACKAGE = ROOT / "aigif" / "_cli"
COMMANDS = [["info"], ["build"], ["save"], ["recreate"], ["verify"], ["import"], ["conformance"],
            ["conformance", "run"], ["conformance", "recreate"], ["models"], ["models", "scan"], ["models", "list"],
            ["models", "which"]]


def test_the_cli_is_one_package_and_the_old_modules_are_gone():
    assert (PACKAGE / "__init__.py").is_file()
    assert not list((ROOT / "aigif").glob("_cli*.py"))
    assert {path.name for path in PACKAGE.glob("*.py")} >= {"__init__.py", "_app.py", "_core.py", "_recreate.py",
                                                          "_import.py", "_conformance.py", "_output.py", "_text.py"}


def test_commands_are_registered_one_way_at_module_level():
    """No ``register(app, plain)`` closures: every command is a module-level function decorated with
    ``@app.command(...)`` or ``@conformance_app.command(...)``, and nothing else calls ``.command``."""
    found = {}
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        assert not any(isinstance(node, ast.FunctionDef) and node.name == "register" for node in ast.walk(tree)), path
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                for decorator in node.decorator_list:
                    call = decorator.func if isinstance(decorator, ast.Call) else decorator
                    if isinstance(call, ast.Attribute) and call.attr == "command":
                        assert node in tree.body, f"{path.name}: {node.name} is registered inside a function"
                        assert isinstance(call.value, ast.Name) and call.value.id in ("app", "conformance_app", "models_app")
                        found[(call.value.id, node.name)] = path.name
    assert sorted(found) == sorted([("app", "info"), ("app", "build"), ("app", "save"), ("app", "recreate"),
                                    ("app", "verify"), ("app", "import_"), ("conformance_app", "run"),
                                    ("conformance_app", "recreate"), ("models_app", "scan"), ("models_app", "list_"),
                                    ("models_app", "which")])


def test_the_entry_points_name_the_package():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert scripts["aigif"] == "aigif._cli:main"
    assert _cli.main is not None and _cli.app is _app.app
    done = subprocess.run([sys.executable, "-m", "aigif", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"aigif {aigif.__version__} (AIGIF format version 1)"


def test_importing_the_cli_imports_nothing_heavy():
    script = ("import sys, aigif._cli; print(sorted(m for m in ('torch', 'diffusers', 'PIL', 'numpy', "
              "'aigif._conformance', 'aigif._recreate', 'aigif._import') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_shows_plain_metavars(command):
    """Item 6.7: no Python types (``<list[str]>``, ``<path>``), no braces around arguments."""
    result = run([*command, "--help"])
    assert result.status == 0, result.stderr
    text = result.stdout.decode()
    assert not re.search(r"<[a-z_\[\]|, ]+>", text), text
    usage = text.splitlines()[0]
    assert usage.startswith("Usage: aigif ") and "{" not in usage and "<" not in usage, usage
    for python_type in ("list[", "Path", "<str>", "<int>", "<float>"):
        assert python_type not in text, (python_type, text)


def test_arguments_are_shown_by_their_names():
    assert run(["recreate", "--help"]).stdout.decode().splitlines()[0] == "Usage: aigif recreate [OPTIONS] FILE..."
    assert run(["import", "--help"]).stdout.decode().splitlines()[0] == "Usage: aigif import [OPTIONS] IMAGE..."
    text = run(["verify", "--help"]).stdout.decode()
    assert text.splitlines()[0] == "Usage: aigif verify [OPTIONS] FILE.aigif IMAGE.png"
    assert re.search(r"^  --model-dir DIR ", text, re.MULTILINE), text


def test_the_cli_offers_the_data_types_the_recreator_supports():
    """The CLI keeps its own copy (importing the recreator would slow every command); it must agree."""
    from aigif._cli import _recreate as cli
    from aigif._recreate import _safety

    assert cli.DTYPES == _safety.DTYPES
    assert [member.value for member in cli.Dtype] == list(_safety.DTYPES)
