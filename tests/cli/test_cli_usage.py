"""Bad usage exits 2 with one line (issue 13, item 6.1), and every error is one line naming the file
it concerns, once, with its code (items 6.11, 6.13)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

import aigif
from helpers import TABLE1_BYTES, TABLE1_JSON
from helpers import run
from helpers import A1111_TEXT, png_with

USAGE = re.compile(r"^aigif: usage error: .+ \[(invalid-value|usage)\] \(see 'aigif [a-z ]+--help'\)$")
ERROR = re.compile(r"^aigif: error: .+ \[([a-z0-9-]+)\]$")


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A folder with a good file (a.aigif), an image with metadata (img.png), JSON parameters."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    (tmp_path / "a.aigif").write_bytes(TABLE1_BYTES)
    (tmp_path / "b.aigif").write_bytes(TABLE1_BYTES)
    (tmp_path / "p.json").write_text(json.dumps(TABLE1_JSON), "utf-8")
    png_with(tmp_path, {"parameters": A1111_TEXT}, name="img.png")
    png_with(tmp_path, {"parameters": A1111_TEXT}, name="img2.png")
    return tmp_path


SAVE = ["save", "s.aigif", "--prompt", "a fox"]
BAD_USAGE = {
    "recreate: two FILEs, one -o": ["recreate", "a.aigif", "b.aigif", "-o", "x.png"],
    "recreate: -o and --out-dir": ["recreate", "a.aigif", "-o", "x.png", "--out-dir", "d"],
    "recreate: one FILE twice": ["recreate", "a.aigif", "a.aigif"],
    "recreate: --max-steps 0": ["recreate", "a.aigif", "--max-steps", "0"],
    "import: two IMAGEs, one -o": ["import", "img.png", "img2.png", "-o", "x.aigif"],
    "import: -o and --out-dir": ["import", "img.png", "-o", "x.aigif", "--out-dir", "d"],
    "import: one IMAGE twice": ["import", "img.png", "img.png"],
    "save: --dtype float64": [*SAVE, "--dtype", "float64"],
    "save: --pixel-codec without --save-pixels": [*SAVE, "--pixel-codec", "png"],
    "save: --karras with --sigmas beta": [*SAVE, "--karras", "--sigmas", "beta"],
    "save: --sigmas foo": [*SAVE, "--sigmas", "foo"],
    "save: --timestep-spacing foo": [*SAVE, "--timestep-spacing", "foo"],
    "save: --steps 0": [*SAVE, "--steps", "0"],
    "save: --width 0": [*SAVE, "--width", "0"],
    "save: --seed -1": [*SAVE, "--seed", "-1"],
    "save: --seed 2^64": [*SAVE, "--seed", str(2**64)],
    "save: --determinism fast": [*SAVE, "--determinism", "fast"],
    "save: --image is OUT itself": [*SAVE, "--image", "s.aigif"],
    "conformance recreate: --dtype float64": ["conformance", "recreate", "--dtype", "float64"],
    "conformance recreate: --threads 0": ["conformance", "recreate", "--threads", "0"],
    "conformance run: --jobs 0": ["conformance", "run", "--reader", "true", "--jobs", "0"],
    "info: no FILE": ["info"],
    "build: no -o": ["build", "p.json"],
}
NEEDS_RECREATE = {"save: --scheduler foo": [*SAVE, "--scheduler", "foo"]}


def _usage(result, args) -> None:
    assert result.status == 2, (args, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == b""
    assert len(result.lines) == 1, result.stderr
    assert USAGE.match(result.lines[0]), result.lines[0]


@pytest.mark.parametrize("args", list(BAD_USAGE.values()), ids=list(BAD_USAGE))
def test_bad_usage_exits_2_with_one_line_and_writes_nothing(work, args):
    before = sorted(os.listdir(work))
    result = run(args)
    _usage(result, args)
    assert sorted(os.listdir(work)) == before


def test_the_usage_line_points_to_the_command_and_names_the_problem(work):
    result = run(BAD_USAGE["recreate: two FILEs, one -o"])
    assert result.lines == ["aigif: usage error: -o/--output takes exactly one FILE (2 given); --out-dir DIR takes "
                            "many [invalid-value] (see 'aigif recreate --help')"]
    line = run(BAD_USAGE["save: --dtype float64"]).lines[0]
    assert "float32" in line and "float16" in line and "bfloat16" in line and "--force" not in line


def test_an_unknown_scheduler_is_bad_usage(work):
    pytest.importorskip("diffusers")
    args = NEEDS_RECREATE["save: --scheduler foo"]
    result = run(args)
    _usage(result, args)
    assert "euler_a" in result.lines[0]


def test_save_usage_errors_never_import_torch(work):
    """Checked before anything heavy: a fresh process refusing bad options has not imported torch."""
    pytest.importorskip("diffusers")
    script = ("import sys\nfrom aigif._cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as done:\n"
              "    print(done.code, 'torch' in sys.modules, 'diffusers' in sys.modules)\n")
    for args in (NEEDS_RECREATE["save: --scheduler foo"], BAD_USAGE["save: --dtype float64"],
                 BAD_USAGE["save: --karras with --sigmas beta"]):
        done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120,
                              cwd=work)
        assert done.stdout.split() == ["2", "False", "False"], (args, done.stdout, done.stderr)


# ---------------------------------------------------------------------------------------------
# Errors: one line, the file named once, the code, exit 1


def _one_error(result, status: int = 1) -> str:
    assert result.status == status, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.lines) == 1, result.stderr
    match = ERROR.match(result.lines[0])
    assert match, result.lines[0]
    return match.group(1)


def test_a_missing_file_is_named_once(work):
    """Item 6.11: not ``missing.aigif: no such file: missing.aigif``."""
    for args in (["info", "missing.aigif"], ["build", "missing.aigif", "-o", "x.aigif"]):
        result = run(args)
        assert _one_error(result) == "not-found"
        assert result.lines == ["aigif: error: missing.aigif: no such file [not-found]"], args
    result = run(["import", "missing.png"])
    assert _one_error(result) == "not-found" and result.lines[0].count("missing.png") == 1


def test_a_missing_file_in_recreate_is_named_once(work):
    pytest.importorskip("diffusers")
    result = run(["recreate", "missing.aigif"])
    assert result.lines == ["aigif: error: missing.aigif: no such file [not-found]"]
    assert result.status == 1


@pytest.mark.parametrize("content, code", [(b"", "bad-signature"), (TABLE1_BYTES[:40], "truncated"),
                                           (b"\x89PNG\r\n\x1a\n" + b"\0" * 30, "bad-signature")])
def test_a_bad_file_names_the_file(work, content, code):
    """Item 6.13: the line names the file it concerns (the message alone did not)."""
    (work / "bad.aigif").write_bytes(content)
    result = run(["info", "bad.aigif"])
    assert _one_error(result) == code
    assert result.lines[0].startswith("aigif: error: bad.aigif: ") and result.lines[0].count("bad.aigif") == 1


def test_bad_json_parameters_name_their_file(work):
    (work / "typo.json").write_text('{"data": {"sampler": "ddim"}}', "utf-8")
    result = run(["build", "typo.json", "-o", "t.aigif"])
    assert _one_error(result) == "invalid-json" and result.lines[0].startswith("aigif: error: typo.json: ")
    result = run(["build", "-", "-o", "t.aigif"], stdin=b"{")
    assert _one_error(result) == "invalid-json" and "standard input" in result.lines[0]
    assert result.lines[0].count("standard input") == 1


def test_a_bad_image_names_the_image(work):
    (work / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    result = run(["import", "broken.png", "-o", "x.aigif"])
    assert _one_error(result) == "not-an-image" and "broken.png" in result.lines[0]
    folder = work / "images"
    folder.mkdir()
    png_with(folder, {"parameters": A1111_TEXT}, name="good.png")
    (folder / "empty.png").write_bytes(b"")
    png_with(folder, {}, name="plain.png")
    result = run(["import", "images", "--out-dir", "out"])
    assert result.status == 1
    errors = sorted(line for line in result.lines if line.startswith("aigif: error:"))
    assert len(errors) == 2
    assert errors[0].startswith("aigif: error: images/empty.png: ") and errors[0].endswith("[not-an-image]")
    assert errors[1].startswith("aigif: error: images/plain.png: ") and errors[1].endswith("[no-metadata]")


def test_error_messages_never_span_lines(work, monkeypatch):
    """A message with line breaks (a library's text) is still one line, without escapes."""
    from aigif._cli import _core

    def read_bytes(path):
        raise aigif.FileError("first line\nsecond line\r\n  third", code="io-error")

    monkeypatch.setattr(_core, "read_bytes", read_bytes)
    result = run(["info", "a.aigif"])
    assert result.lines == ["aigif: error: a.aigif: first line second line third [io-error]"]
