"""Every output path is checked before any work, ``--out-dir`` creates its folder, and a write of
two files is all or nothing, ``--force`` or not (issue 13, items 6.2 and 6.3).

A read-only folder is made two ways: ``chmod 0o555`` (skipped as root, who may write anywhere,
as in test_writes.py) and, so that the check is also tested as root, by making ``os.access``
deny writing.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import aigif
from aigif import _files
from helpers import TABLE1_BYTES, TABLE1_JSON, raises_code
from helpers import run
from helpers import A1111_TEXT, png_with

ROOT_USER = not hasattr(os, "geteuid") or os.geteuid() == 0
needs_non_root = pytest.mark.skipif(ROOT_USER, reason="root may write anywhere")
READER = f"{sys.executable} -c \"import time; time.sleep(60)\" {{file}}"  # would run for minutes


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "a.aigif").write_bytes(TABLE1_BYTES)
    (tmp_path / "p.json").write_text(json.dumps(TABLE1_JSON), "utf-8")
    return tmp_path


@pytest.fixture
def read_only(work, monkeypatch):
    """A folder ``ro`` that this process may not write in (os.access says so)."""
    folder = work / "ro"
    folder.mkdir()
    real = os.access

    def access(path, mode, **options):
        if Path(path).resolve() == folder.resolve() and mode & os.W_OK:
            return False
        return real(path, mode, **options)

    monkeypatch.setattr(_files.os, "access", access)
    return folder


def _refused(result, code: str = "io-error") -> str:
    assert result.status == 1, result.stderr
    assert len(result.lines) == 1 and result.lines[0].endswith(f"[{code}]"), result.stderr
    return result.lines[0]


# ---------------------------------------------------------------------------------------------
# --out-dir creates its folder


def test_import_out_dir_creates_its_folder(work):
    """The README's own example: ``aigif import DIR --out-dir imported`` (it said "is not a folder")."""
    images = work / "images"
    (images / "sub").mkdir(parents=True)
    png_with(images, {"parameters": A1111_TEXT}, name="a.png")
    png_with(images / "sub", {"parameters": A1111_TEXT}, name="b.png")
    result = run(["import", "images", "--out-dir", "imported"])
    assert result.status == 0, result.stderr
    assert aigif.read(work / "imported" / "a.aigif").data.seed == 4242
    assert aigif.read(work / "imported" / "sub" / "b.aigif").data.seed == 4242


def test_import_out_dir_is_not_created_when_nothing_is_written(work):
    png_with(work, {}, name="plain.png")  # no metadata
    result = run(["import", "plain.png", "--out-dir", "new"])
    assert result.status == 1 and result.lines[0].endswith("[no-metadata]")
    assert not (work / "new").exists()


def test_out_dir_that_is_a_file_is_refused_before_any_work(work, no_work):
    (work / "taken").write_text("a file")
    png_with(work, {"parameters": A1111_TEXT}, name="img.png")
    assert "taken" in _refused(run(["import", "img.png", "--out-dir", "taken"]))
    result = run(["recreate", "a.aigif", "--out-dir", "taken"])
    assert "taken" in _refused(result) and "is not a directory" in result.lines[0]


def _must_not_run(*args, **kwargs):
    raise AssertionError("the work started before the outputs were checked")


@pytest.fixture
def no_work(monkeypatch):
    """Importing an image, generating, recreating and running the runner each fail the test."""
    monkeypatch.setattr("aigif._import.import_image", _must_not_run)
    monkeypatch.setattr("aigif._conformance.run_suite", _must_not_run)
    try:
        import aigif._recreate as recreation  # needs torch and diffusers installed (imports neither)
    except ImportError:
        monkeypatch.setattr("aigif._recreation", _must_not_run)
    else:
        for name in ("save", "recreate", "Engine"):
            monkeypatch.setattr(recreation, name, _must_not_run)


# ---------------------------------------------------------------------------------------------
# Checked before any work


def test_missing_folder_for_o_is_refused_before_reading(work, no_work):
    png_with(work, {"parameters": A1111_TEXT}, name="img.png")
    line = _refused(run(["import", "img.png", "-o", "no/x.aigif"]))
    assert line == "aigif: error: no/x.aigif: its directory does not exist [io-error]"
    line = _refused(run(["build", "p.json", "-o", "no/x.aigif"]))
    assert line == "aigif: error: no/x.aigif: its directory does not exist [io-error]"
    assert not (work / "no").exists()


@pytest.mark.parametrize("make_args", [
    lambda: ["build", "p.json", "-o", "ro/x.aigif"],
    lambda: ["import", "img.png", "-o", "ro/x.aigif"],
    lambda: ["import", "img.png", "--out-dir", "ro/sub"],
    lambda: ["recreate", "a.aigif", "-o", "ro/x.png"],
    lambda: ["recreate", "a.aigif", "--out-dir", "ro"],
    lambda: ["save", "ro/s.aigif", "--prompt", "a fox"],
    lambda: ["save", "s.aigif", "--prompt", "a fox", "--image", "ro/s.png"],
    lambda: ["conformance", "run", "--reader", READER, "--json", "ro/r.json"],
    lambda: ["conformance", "recreate", "--json", "ro/r.json"],
], ids=["build", "import -o", "import --out-dir", "recreate -o", "recreate --out-dir", "save", "save --image",
        "conformance run --json", "conformance recreate --json"])
def test_a_folder_that_cannot_be_written_is_refused_at_once(read_only, no_work, make_args):
    """Before anything is imported, generated, recreated or run (each of those would fail the test)."""
    png_with(read_only.parent, {"parameters": A1111_TEXT}, name="img.png")
    started = time.monotonic()
    line = _refused(run(make_args()))
    assert time.monotonic() - started < 5
    assert "permission denied" in line and "ro" in line
    assert os.listdir(read_only) == []


def test_save_into_a_read_only_folder_fails_before_torch_is_imported(tmp_path):
    """In a fresh process: the refusal comes before torch (which alone takes seconds) is imported."""
    (tmp_path / "ro").mkdir()
    script = ("import os, sys\nreal = os.access\n"
              "os.access = lambda p, m, **o: False if os.path.basename(os.path.abspath(p)) == 'ro' \\\n"
              "    else real(p, m, **o)\n"
              "from aigif._cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as done:\n"
              "    print(done.code, 'torch' in sys.modules, file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", script, "save", "ro/s.aigif", "--prompt", "a fox", "--image",
                           "ro/s.png"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    lines = done.stderr.splitlines()
    assert lines[-1] == "1 False", done.stderr
    assert lines[:-1] == ["aigif: error: ro/s.aigif: cannot write in ro: permission denied [io-error]"]


@needs_non_root
@pytest.mark.parametrize("make_args", [
    lambda: ["build", "p.json", "-o", "ro/x.aigif"],
    lambda: ["save", "ro/s.aigif", "--prompt", "a fox"],
    lambda: ["recreate", "a.aigif", "--out-dir", "ro"],
    lambda: ["conformance", "run", "--reader", READER, "--json", "ro/r.json"],
], ids=["build", "save", "recreate", "conformance run"])
def test_a_read_only_folder_is_refused_at_once(work, no_work, make_args):
    folder = work / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        started = time.monotonic()
        line = _refused(run(make_args()))
        assert time.monotonic() - started < 5 and "permission denied" in line
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o755)


def test_an_existing_output_is_refused_before_any_work(work, no_work):
    (work / "s.png").write_bytes(b"keep")
    line = _refused(run(["save", "s.aigif", "--prompt", "a fox", "--image", "s.png"]), "exists")
    assert line == "aigif: error: s.png exists and is not overwritten (use --force) [exists]"
    (work / "a.png").write_bytes(b"keep")
    line = _refused(run(["recreate", "a.aigif"]), "exists")
    assert line == "aigif: error: a.png exists and is not overwritten (use --force) [exists]"
    assert (work / "s.png").read_bytes() == b"keep" and (work / "a.png").read_bytes() == b"keep"


# ---------------------------------------------------------------------------------------------
# Two files: all or nothing


def _fail_staging(name: str):
    """``tempfile.mkstemp`` that refuses the temporary file of ``name`` (a full disk, say)."""
    real = _files.tempfile.mkstemp

    def mkstemp(*args, **options):
        if options.get("prefix", "").startswith(f".{name}."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args, **options)

    return mkstemp


@pytest.mark.parametrize("overwrite", [False, True])
def test_write_all_atomic_writes_nothing_when_one_file_fails(tmp_path, monkeypatch, overwrite):
    first, second = tmp_path / "s.aigif", tmp_path / "s.png"
    if overwrite:
        first.write_bytes(b"old aigif")
        second.write_bytes(b"old png")
    monkeypatch.setattr(_files.tempfile, "mkstemp", _fail_staging("s.png"))
    with raises_code("io-error", aigif.FileError):
        _files.write_all_atomic([(first, b"new aigif"), (second, b"new png")], overwrite=overwrite)
    if overwrite:
        assert (first.read_bytes(), second.read_bytes()) == (b"old aigif", b"old png")
    assert sorted(os.listdir(tmp_path)) == (["s.aigif", "s.png"] if overwrite else [])


def test_write_all_atomic_puts_back_a_replaced_file_when_a_later_move_fails(tmp_path, monkeypatch):
    first, second = tmp_path / "s.aigif", tmp_path / "s.png"
    first.write_bytes(b"old aigif")
    second.write_bytes(b"old png")
    real = _files.os.replace

    def replace(source, target):
        if Path(target) == second:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real(source, target)

    monkeypatch.setattr(_files.os, "replace", replace)
    with raises_code("io-error", aigif.FileError):
        _files.write_all_atomic([(first, b"new aigif"), (second, b"new png")], overwrite=True)
    assert (first.read_bytes(), second.read_bytes()) == (b"old aigif", b"old png")
    assert sorted(os.listdir(tmp_path)) == ["s.aigif", "s.png"]


def test_write_all_atomic_takes_back_a_new_file_when_a_later_one_exists(tmp_path):
    (tmp_path / "s.png").write_bytes(b"someone else's")
    with raises_code("exists", aigif.FileError):
        _files.write_all_atomic([(tmp_path / "s.aigif", b"a"), (tmp_path / "s.png", b"b")])
    assert sorted(os.listdir(tmp_path)) == ["s.png"] and (tmp_path / "s.png").read_bytes() == b"someone else's"


def test_write_all_atomic_writes_every_file(tmp_path):
    _files.write_all_atomic([(tmp_path / "a", b"1"), (tmp_path / "b", b"2")])
    _files.write_all_atomic([(tmp_path / "a", b"3"), (tmp_path / "b", b"4")], overwrite=True)
    assert [(tmp_path / n).read_bytes() for n in "ab"] == [b"3", b"4"] and sorted(os.listdir(tmp_path)) == ["a", "b"]


@pytest.mark.slow
@pytest.mark.parametrize("force", [False, True])
def test_save_leaves_no_half_output_when_the_image_fails(work, monkeypatch, force):
    """Item 6.3: ``save --image`` whose PNG cannot be written leaves neither file, and with ``--force``
    both old files as they were (it used to leave the new .aigif beside the old PNG)."""
    pytest.importorskip("diffusers")
    if force:
        (work / "s.aigif").write_bytes(b"old aigif")
        (work / "s.png").write_bytes(b"old png")
    monkeypatch.setattr(_files.tempfile, "mkstemp", _fail_staging("s.png"))
    result = run(["save", "s.aigif", "--prompt", "a fox", "--seed", "1", "--steps", "2", "--width", "64",
                  "--height", "64", "--image", "s.png", *(["--force"] if force else [])])
    line = _refused(result)
    assert "No space left on device" in line
    if force:
        assert (work / "s.aigif").read_bytes() == b"old aigif" and (work / "s.png").read_bytes() == b"old png"
    else:
        assert not (work / "s.aigif").exists() and not (work / "s.png").exists()
    assert not [name for name in os.listdir(work) if name.endswith(".tmp")]
