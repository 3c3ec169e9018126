"""The ``aigif`` command line (docs/cli.md): exit statuses, one-line errors, safe writes, stdin/stdout.

Most tests call ``aigif._cli.main`` in-process with replaced standard streams (fast); the few that
must see a real process (no traceback ever reaches stderr, pipes) run ``python -m aigif`` and are
marked ``slow``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import aigif
from aigif import _cli
from helpers import ERROR_LINE, ROOT, TABLE1_BYTES, TABLE1_JSON, USAGE_LINE, run

@pytest.fixture
def params(tmp_path) -> Path:
    path = tmp_path / "table1.json"
    path.write_text(json.dumps(TABLE1_JSON), "utf-8")
    return path


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


# ---------------------------------------------------------------------------------------------
# Success paths


def test_build_then_info_json_round_trips(tmp_path, params):
    out = tmp_path / "t.aigif"
    result = run(["build", str(params), "-o", str(out)])
    assert result.status == 0, result.stderr
    assert out.read_bytes() == TABLE1_BYTES
    assert "67 bytes" in result.stderr and len(result.lines) == 1
    info = run(["info", "--json", str(out)])
    assert info.status == 0 and info.stderr == ""
    assert json.loads(info.stdout) == TABLE1_JSON


def test_build_from_the_examples_file(tmp_path):
    out = tmp_path / "t.aigif"
    assert run(["build", str(ROOT / "examples" / "table1.json"), "-o", str(out)]).status == 0
    assert out.read_bytes() == TABLE1_BYTES


def test_info_table_shows_the_contents(tmp_path):
    path = tmp_path / "cat.aigif"
    path.write_bytes(TABLE1_BYTES)
    result = run(["info", str(path)])
    assert result.status == 0 and result.stderr == ""
    text = result.stdout.decode("utf-8")
    for expected in ["A cute cat", "worst quality", "829557441", "NVIDIA GeForce GTX 1080 Ti", "67 bytes", "zlib"]:
        assert expected in text


def test_info_shows_payload_and_extensions_by_size(tmp_path):
    obj = aigif.AigifFile(compression=aigif.Compression(pixel_compressor="png"),
                          payload=aigif.Payload(pixels=b"\x00" * 1234), extensions=(aigif.Extension(100, b"abc"),),
                          data=aigif.Data(prompt="\u732b \U0001F408"))
    path = tmp_path / "p.aigif"
    aigif.write(obj, path)
    text = run(["info", str(path)]).stdout.decode("utf-8")
    assert "1,234 bytes" in text and "tag 100" in text and "\u732b" in text


def test_info_json_keeps_big_seeds_and_unicode(tmp_path):
    """R11.3: the seed is an exact JSON integer; non-ASCII text is printed as is (docs/cli.md)."""
    path = tmp_path / "big.aigif"
    aigif.write(aigif.AigifFile(data=aigif.Data(prompt="\u732b \U0001F408", seed=2**64 - 1)), path)
    out = run(["info", "--json", str(path)]).stdout
    assert b"18446744073709551615" in out
    assert "\u732b \U0001F408".encode("utf-8") in out and b"\\u732b" not in out
    assert json.loads(out)["data"]["seed"] == 2**64 - 1


def test_build_onto_a_directory_is_an_error(tmp_path, params):
    target = tmp_path / "adir"
    target.mkdir()
    for extra in ([], ["--force"]):
        result = run(["build", str(params), "-o", str(target), *extra])
        assert result.status == 1
        assert result.error_code() in {"exists", "io-error"}
    assert list(target.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "table1.json"]


def test_version():
    result = run(["--version"])
    assert result.status == 0
    assert result.stdout.decode().strip() == f"aigif {aigif.__version__} (AIGIF format version 1)"


def test_stdin_for_info_and_build(tmp_path):
    """'-' reads standard input: AIGIF bytes for info, JSON text for build."""
    result = run(["info", "--json", "-"], stdin=TABLE1_BYTES)
    assert result.status == 0 and json.loads(result.stdout) == TABLE1_JSON
    out = tmp_path / "from-stdin.aigif"
    result = run(["build", "-", "-o", str(out)], stdin=json.dumps(TABLE1_JSON).encode())
    assert result.status == 0 and out.read_bytes() == TABLE1_BYTES


def test_build_to_stdout(tmp_path):
    """docs/cli.md 'Standard input': ``-o -`` writes the file to standard output."""
    result = run(["build", "-", "-o", "-"], stdin=json.dumps(TABLE1_JSON).encode())
    assert result.status == 0
    assert result.stdout == TABLE1_BYTES
    assert list(tmp_path.iterdir()) == []


def test_info_output_has_no_escape_sequences_for_plain_files(tmp_path):
    """Control for the display tests below: output to a pipe holds no ANSI escape sequence at all."""
    path = tmp_path / "cat.aigif"
    path.write_bytes(TABLE1_BYTES)
    assert b"\x1b" not in run(["info", str(path)]).stdout


def test_info_shows_markup_like_text_literally(tmp_path):
    path = tmp_path / "markup.aigif"
    aigif.write(aigif.AigifFile(data=aigif.Data(prompt="[red]hidden[/red]"), platform=aigif.Platform(gpu="[b]G[/b]")),
                path)
    result = run(["info", str(path)])
    assert result.status == 0
    text = result.stdout.decode("utf-8")
    assert "[red]hidden[/red]" in text and "[b]G[/b]" in text


def test_info_survives_a_prompt_that_is_bad_markup(tmp_path):
    path = tmp_path / "markup.aigif"
    aigif.write(aigif.AigifFile(data=aigif.Data(prompt="[/bold] x")), path)
    result = run(["info", str(path)])
    assert result.status == 0
    assert "[/bold] x" in result.stdout.decode("utf-8")


def test_info_does_not_pass_control_characters_to_the_terminal(tmp_path):
    path = tmp_path / "esc.aigif"
    aigif.write(aigif.AigifFile(platform=aigif.Platform(gpu="A\x1b[2JB", torch="T\x1b]0;title\x07")), path)
    result = run(["info", str(path)])
    assert result.status == 0
    assert b"\x1b" not in result.stdout and b"\x07" not in result.stdout


# ---------------------------------------------------------------------------------------------
# Errors: exit 1, exactly one line "aigif: error: ... [code]", no traceback


@pytest.mark.parametrize("content, code", [
    (TABLE1_BYTES[:40], "truncated"),
    (TABLE1_BYTES + b"\x00", "trailing-bytes"),
    (b"GIF89a", "bad-signature"),
    (b"", "bad-signature"),
    (TABLE1_BYTES[:-1] + b"\x00", "bad-checksum"),
])
def test_bad_file_is_one_error_line(tmp_path, content, code):
    path = tmp_path / "bad.aigif"
    path.write_bytes(content)
    for args in (["info", str(path)], ["info", "--json", str(path)]):
        result = run(args)
        assert result.status == 1
        assert result.error_code() == code
        assert result.stdout == b""  # never shown in part


def test_missing_file_and_directory(tmp_path):
    result = run(["info", str(tmp_path / "missing.aigif")])
    assert result.status == 1 and result.error_code() == "not-found"
    result = run(["info", str(tmp_path)])
    assert result.status == 1 and result.error_code() == "io-error"
    result = run(["build", str(tmp_path / "missing.json"), "-o", str(tmp_path / "x.aigif")])
    assert result.status == 1 and result.error_code() == "not-found"


def test_existing_output_needs_force(tmp_path, params):
    """R10.4: without --force an existing OUT is an error (exists) and stays unchanged."""
    out = tmp_path / "t.aigif"
    out.write_bytes(b"precious")
    result = run(["build", str(params), "-o", str(out)])
    assert result.status == 1 and result.error_code() == "exists"
    assert out.read_bytes() == b"precious"
    result = run(["build", str(params), "-o", str(out), "--force"])
    assert result.status == 0
    assert out.read_bytes() == TABLE1_BYTES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.aigif", "table1.json"]


@pytest.mark.parametrize("text, code", [
    ("{", "invalid-json"),
    ("", "invalid-json"),
    ('{"data": {"prompt": "x",}', "invalid-json"),
    ('{"data": {"sampler": "ddim"}}', "invalid-json"),
    ("[]", "invalid-json"),
    ('{"version": 2}', "unsupported-version"),
    ('{"data": {"steps": 0}}', "invalid-value"),
    ('{"data": {"height": 16385}}', "limit-exceeded"),
    ('{"compression": {"save_pixels": true}}', "invalid-json"),
])
def test_invalid_params_create_no_file(tmp_path, text, code):
    """Bad JSON parameters: exit 1 with the code, and no output file (nor temporary file) created."""
    source = tmp_path / "params.json"
    source.write_text(text, "utf-8")
    out = tmp_path / "out.aigif"
    result = run(["build", str(source), "-o", str(out)])
    assert result.status == 1
    assert result.error_code() == code
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.json"]
    result = run(["build", "-", "-o", str(out)], stdin=text.encode())
    assert result.status == 1 and result.error_code() == code
    assert not out.exists()


def test_json_missing_a_required_name_is_one_error_line(tmp_path):
    """Regression: an adapter without 'name' used to raise TypeError, shown as an AttributeError traceback."""
    source = tmp_path / "params.json"
    source.write_text('{"model": {"adapters": [{"kind": "lora"}]}}', "utf-8")
    result = run(["build", str(source), "-o", str(tmp_path / "out.aigif")])
    assert result.status == 1
    assert result.error_code() in {"invalid-json", "invalid-value"}
    assert not (tmp_path / "out.aigif").exists()


def test_an_unexpected_error_is_not_masked_by_the_error_handler(monkeypatch, tmp_path):
    """Regression: main() once matched 'except click_errors.Exit' (no such attribute), so any unexpected
    exception became an AttributeError traceback. Now: the error propagates, or it is one line and exit 1."""
    def boom(path):
        raise RuntimeError("boom")

    monkeypatch.setattr(_cli._core, "read_bytes", boom)
    monkeypatch.delenv("AIGIF_DEBUG", raising=False)
    try:
        result = run(["info", str(tmp_path / "x.aigif")])
    except RuntimeError:
        return  # propagated unchanged: acceptable for a bug
    assert result.status == 1
    assert "Traceback" not in result.stderr and "AttributeError" not in result.stderr
    assert len(result.lines) == 1 and "boom" in result.stderr


def test_interrupt_exits_130(monkeypatch, tmp_path):
    """docs/cli.md: Ctrl-C ends with status 130 and no traceback."""
    def interrupted(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(_cli._core, "read_bytes", interrupted)
    result = run(["info", str(tmp_path / "x.aigif")])
    assert result.status == 130
    assert result.stderr == "" and result.stdout == b""  # "nothing is printed"


# ---------------------------------------------------------------------------------------------
# Bad usage: exit 2


@pytest.mark.parametrize("args", [
    ["info"],
    ["build", "params.json"],
    ["build"],
    ["info", "--yaml", "x.aigif"],
    ["--bogus"],
    ["frob"],
    ["convert", "x.aigif"],
])
def test_bad_usage_is_exit_2_one_line(args):
    result = run(args)
    assert result.status == 2
    assert "Traceback" not in result.stderr
    assert len(result.lines) == 1, result.stderr
    assert USAGE_LINE.match(result.lines[0]), result.lines[0]
    assert result.stdout == b""


def test_no_arguments_prints_help_and_exits_2():
    result = run([])
    assert result.status == 2
    assert "Traceback" not in result.stderr
    assert "info" in (result.stdout.decode() + result.stderr) and "build" in (result.stdout.decode() + result.stderr)


def test_help_exits_0():
    result = run(["--help"])
    assert result.status == 0 and b"build" in result.stdout
    result = run(["build", "--help"])
    assert result.status == 0 and b"--force" in result.stdout


# ---------------------------------------------------------------------------------------------
# Real processes


def python_m_aigif(*args: str, stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aigif", *args], input=stdin, capture_output=True, cwd=cwd,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"})


@pytest.mark.slow
def test_subprocess_round_trip_and_pipes(tmp_path, params):
    out = tmp_path / "t.aigif"
    done = python_m_aigif("build", str(params), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == TABLE1_BYTES
    done = python_m_aigif("info", "--json", "-", stdin=TABLE1_BYTES)
    assert done.returncode == 0 and json.loads(done.stdout) == TABLE1_JSON
    done = python_m_aigif("build", "-", "-o", "-", stdin=json.dumps(TABLE1_JSON).encode())
    assert done.returncode == 0 and done.stdout == TABLE1_BYTES
    done = python_m_aigif("--version")
    assert done.returncode == 0 and aigif.__version__.encode() in done.stdout


@pytest.mark.slow
def test_subprocess_errors_never_show_a_traceback(tmp_path):
    bad = tmp_path / "bad.aigif"
    bad.write_bytes(TABLE1_BYTES[:40])
    cases = [
        (("info", str(bad)), b"", 1, "truncated"),
        (("info", "-"), b"not aigif", 1, "bad-signature"),
        (("info", str(tmp_path / "missing")), b"", 1, "not-found"),
        (("build", "-", "-o", str(tmp_path / "x.aigif")), b"{", 1, "invalid-json"),
        (("frob",), b"", 2, None),
        (("info",), b"", 2, None),
    ]
    for args, stdin, status, code in cases:
        done = python_m_aigif(*args, stdin=stdin)
        err = done.stderr.decode("utf-8")
        assert done.returncode == status, (args, err)
        assert "Traceback" not in err
        assert len(err.splitlines()) == 1, err
        if code is not None:
            assert ERROR_LINE.match(err.strip()).group(1) == code
    assert not (tmp_path / "x.aigif").exists()


def test_usage_errors_of_nested_commands_point_to_their_own_help():
    result = run(["conformance", "run", "--reader", "true", "--jobs", "0"])
    assert result.status == 2
    assert result.lines[-1].endswith("(see 'aigif conformance run --help')"), result.stderr
