"""``aigif info --json FILE`` starts without typer and rich (``aigif/_cli/_quick.py``), and says exactly
what the typer command says: the same JSON, the same error line, the same exit status."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import ROOT, TABLE1_BYTES, run

from aigif._cli import _quick

SUITE = ROOT / "conformance" / "suite"


@pytest.mark.parametrize("args, handled", [
    (["info", "--json", "a.aigif"], True),
    (["info", "a.aigif", "--json"], True),
    (["info", "--json", "-"], True),
    (["info", "a.aigif"], False),  # the table: rich
    (["info", "--json", "--help"], False),
    (["info", "--json", "a.aigif", "b.aigif"], False),
    (["info", "--json", "--json"], False),
    (["build", "--json", "a.aigif"], False),
    ([], False),
])
def test_only_info_json_with_one_file_takes_the_quick_path(args, handled):
    assert _quick.handles(args) is handled


def _typer_path(args: list[str]):
    """The same command line through the typer application (``_main.run``), in-process."""
    from aigif._cli import _main

    real = _quick.handles
    try:
        _quick.handles = lambda args: False
        return run(args)
    finally:
        _quick.handles = real
        assert _main.app is not None


@pytest.mark.parametrize("name", ["y_table1.aigif", "n_truncated_before_checksum.aigif", "n_checksum_zero.aigif",
                                  "y_unknown_ancillary_after_known.aigif", "y_minimal.aigif"])
def test_the_quick_path_says_what_the_typer_command_says(name, tmp_path):
    path = SUITE / name
    quick, full = run(["info", "--json", str(path)]), _typer_path(["info", "--json", str(path)])
    assert (quick.status, quick.stdout, quick.stderr) == (full.status, full.stdout, full.stderr)
    assert quick.status in (0, 1) and (quick.status == 0) == bool(quick.stdout)


def test_a_missing_file_is_named_once_as_by_the_typer_command(tmp_path):
    missing = str(tmp_path / "missing.aigif")
    quick, full = run(["info", "--json", missing]), _typer_path(["info", "--json", missing])
    assert quick.status == full.status == 1 and quick.stderr == full.stderr
    assert quick.stderr.count("missing.aigif") == 1 and quick.stderr.rstrip().endswith("[not-found]")


def test_standard_input_is_read_like_a_file():
    quick = run(["info", "--json", "-"], stdin=TABLE1_BYTES)
    assert quick.status == 0 and b'"prompt": "A cute cat"' in quick.stdout
    bad = run(["info", "--json", "-"], stdin=b"")
    assert bad.status == 1 and bad.stderr.startswith("aigif: error: standard input: the file is empty")


def test_the_quick_path_imports_neither_typer_nor_rich():
    script = ("import sys, runpy; sys.argv = ['aigif', 'info', '--json', sys.argv[1]]\n"
              "try:\n    runpy.run_module('aigif', run_name='__main__')\nexcept SystemExit as done:\n"
              "    assert done.code == 0, done.code\n"
              "print(sorted(m for m in ('typer', 'rich', 'click', 'PIL', 'torch') if m in sys.modules), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", script, str(SUITE / "y_table1.aigif")], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "[]"
