"""Writes are safe (issue 7, "Hardening"): atomic, nothing partial when the process is killed, no
overwrite without ``--force``, and concurrent writers in one folder lose nothing.

Every write goes to a hidden temporary file beside the target (``.NAME.XXXXXXXX.tmp``), which is
fsynced and then moved into place (docs/library.md, "Writing files safely"). A process killed by
SIGKILL cannot clean up, so it may leave that temporary file, but never a partial NAME; aigif does
not delete such leftovers itself (a live writer's temporary file looks the same).
"""

from __future__ import annotations

import dataclasses
import errno
import json
import multiprocessing
import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import helpers
from helpers import A1111_TEXT, png_with

import aigif
from aigif import _files
from helpers import TABLE1_JSON, raises_code, table1

TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")  # what tempfile.mkstemp makes of ".NAME." + ".tmp"
OLD = 1_000_000_000  # an mtime (2001) that no write can produce by accident


def names(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


def temps(directory: Path) -> list[str]:
    return [name for name in names(directory) if name.endswith(".tmp")]


def big(seed: int) -> aigif.AigifFile:
    """A 3 MiB file (raw 1024x1024 pixels), so that a write takes many system calls."""
    pixels = seed.to_bytes(8, "big") * (1024 * 1024 * 3 // 8)
    return aigif.AigifFile(compression=aigif.Compression(pixel_compressor="none"),
                           data=aigif.Data(width=1024, height=1024, seed=seed), payload=aigif.Payload(pixels=pixels))


class HalfThen:
    """A file handle that writes half of the bytes it is given, then calls ``then`` (which stalls,
    or finds the disk full)."""

    def __init__(self, handle, then):
        self.handle, self.then = handle, then

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.handle.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def write(self, data):
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        self.then()


def with_seed(seed: int, prompt: str = "A cute cat") -> aigif.AigifFile:
    obj = table1()
    return dataclasses.replace(obj, data=dataclasses.replace(obj.data, seed=seed, prompt=prompt))


# ---------------------------------------------------------------------------------------------
# Killed mid-write: the target is absent or the complete old file, never partial

#: The child stops at one step of the write, tells the parent on stdout, and waits to be killed.
CHILD = r"""
import os, sys, time
sys.path[:0] = [sys.argv[4], os.path.dirname(sys.argv[4])]  # this folder, and tests/ (helpers)
import aigif
from test_writes import HalfThen, big

target, stage, overwrite = sys.argv[1], sys.argv[2], sys.argv[3] == "1"

def stall():
    print("stalled", flush=True)
    time.sleep(60)

if stage == "write":  # half of the bytes have reached the temporary file
    real_fdopen = os.fdopen
    os.fdopen = lambda *args, **kwargs: HalfThen(real_fdopen(*args, **kwargs), stall)
else:  # "fsync": every byte is written and synced, the file is not in place yet
    real_fsync = os.fsync
    os.fsync = lambda fd: (real_fsync(fd), stall())

aigif.write(big(2), target, overwrite=overwrite)
"""


@pytest.mark.parametrize("stage", ["write", "fsync"])
@pytest.mark.parametrize("mode", ["new", "replace"])
def test_killed_mid_write_leaves_no_partial_file(tmp_path, stage, mode):
    """SIGKILL while the bytes are being written: the target is absent (new) or the complete old
    file (replace, overwrite=True); the only trace is one hidden temporary file."""
    target = tmp_path / "big.aigif"
    if mode == "replace":
        aigif.write(big(1), target)
    old = target.read_bytes() if mode == "replace" else None
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(target), stage, str(int(mode == "replace")),
                              str(Path(__file__).parent)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert child.stdout.readline() == b"stalled\n", child.stderr.read().decode()
        (temp,) = temps(tmp_path)
        written = (tmp_path / temp).stat().st_size
        assert written == (len(aigif.dumps(big(2))) // 2 if stage == "write" else len(aigif.dumps(big(2))))
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    if mode == "new":
        assert names(tmp_path) == [temp]
    else:
        assert target.read_bytes() == old
        assert names(tmp_path) == sorted([temp, "big.aigif"])
    assert TEMP.match(temp) and temp.startswith(".big.aigif.")  # hidden, and names its target
    # the leftover is inert: the next write to the same name works and does not touch it
    aigif.write(big(3), target, overwrite=True)
    assert aigif.read(target).data.seed == 3
    assert temps(tmp_path) == [temp]


#: ``aigif build`` stopped before its file is in place, then interrupted (Ctrl-C: SIGINT).
INTERRUPTED = r"""
import os, sys, time
from aigif import _cli
real_fsync = os.fsync
def fsync(fd):
    real_fsync(fd)
    print("stalled", flush=True)
    time.sleep(60)
os.fsync = fsync
_cli.main(["build", sys.argv[1], "-o", sys.argv[2]])
"""


def test_ctrl_c_mid_write_removes_the_temporary_file(tmp_path):
    """A KeyboardInterrupt (unlike SIGKILL) lets the writer clean up: exit 130, no file, no temp."""
    params = tmp_path / "p.json"
    params.write_text(json.dumps(TABLE1_JSON), "utf-8")
    child = subprocess.Popen([sys.executable, "-c", INTERRUPTED, str(params), str(tmp_path / "t.aigif")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert child.stdout.readline() == b"stalled\n", child.stderr.read().decode()
        assert len(temps(tmp_path)) == 1
        child.send_signal(signal.SIGINT)
        child.wait(timeout=30)
    finally:
        child.kill()
    assert child.returncode == 130, child.stderr.read().decode()
    assert child.stderr.read() == b""
    assert names(tmp_path) == ["p.json"]


# ---------------------------------------------------------------------------------------------
# Failures in process: one FileError with a code, nothing half-written, the temporary file gone


def _fails(error_type, *args):
    def fail(*_, **__):
        raise error_type(*args)
    return fail


ENOSPC = (OSError, errno.ENOSPC, os.strerror(errno.ENOSPC))
EIO = (OSError, errno.EIO, os.strerror(errno.EIO))
_real_fdopen = os.fdopen


def _half_then_enospc(*args, **kwargs):
    """os.fdopen whose handle writes half of the bytes, then finds the disk full."""
    return HalfThen(_real_fdopen(*args, **kwargs), _fails(*ENOSPC))


FAILURES = {  # what fails -> the functions of os replaced, and the code expected (None: KeyboardInterrupt)
    "disk full while writing": ({"fdopen": _half_then_enospc}, "io-error"),
    "disk full at fsync": ({"fsync": _fails(*ENOSPC)}, "io-error"),
    "I/O error moving into place": ({"link": _fails(*EIO), "replace": _fails(*EIO)}, "io-error"),
    "Ctrl-C at fsync": ({"fsync": _fails(KeyboardInterrupt)}, None),
}


@pytest.mark.parametrize("failure", FAILURES, ids=list(FAILURES))
@pytest.mark.parametrize("mode", ["new", "replace"])
def test_a_failed_write_leaves_nothing_half_written(tmp_path, monkeypatch, failure, mode):
    """Each failure: one FileError with a code (or the KeyboardInterrupt itself), the target
    absent or the old file, and no temporary file (nor an O_EXCL claim) left."""
    replaced, code = FAILURES[failure]
    target = tmp_path / "cat.aigif"
    if mode == "replace":
        target.write_bytes(b"the old file")
    for name, replacement in replaced.items():
        monkeypatch.setattr(_files.os, name, replacement)
    if code is None:
        with pytest.raises(KeyboardInterrupt):
            aigif.write(table1(), target, overwrite=mode == "replace")
    else:
        with raises_code(code, aigif.FileError) as info:
            aigif.write(table1(), target, overwrite=mode == "replace")
        if "disk full" in failure:
            assert "No space left on device" in info.value.message
    monkeypatch.undo()
    if mode == "replace":
        assert target.read_bytes() == b"the old file"
        assert names(tmp_path) == ["cat.aigif"]
    else:
        # the link fallback may have taken the name for a moment: it must give it back
        assert names(tmp_path) == []


def test_disk_full_in_the_cli_is_one_line_and_no_file(tmp_path, monkeypatch):
    params = tmp_path / "p.json"
    params.write_text(json.dumps(TABLE1_JSON), "utf-8")
    monkeypatch.setattr(_files.os, "fdopen", _half_then_enospc)
    result = helpers.run(["build", str(params), "-o", str(tmp_path / "t.aigif")])
    assert result.status == 1 and result.error_code() == "io-error"
    assert "No space left on device" in result.stderr
    assert names(tmp_path) == ["p.json"]


# ---------------------------------------------------------------------------------------------
# Awkward targets


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_directory_is_never_replaced(tmp_path, overwrite):
    folder = tmp_path / "out.aigif"
    folder.mkdir()
    (folder / "inside").write_bytes(b"x")
    with raises_code("io-error", aigif.FileError) as info:
        aigif.write(table1(), folder, overwrite=overwrite)
    assert "is a directory" in info.value.message
    assert names(tmp_path) == ["out.aigif"] and names(folder) == ["inside"]


def test_a_symlink_is_not_followed(tmp_path):
    """Without overwrite a link (even a dangling one) is an existing file; with overwrite the link
    itself is replaced, and the file it points to is left alone."""
    elsewhere = tmp_path / "elsewhere.aigif"
    elsewhere.write_bytes(b"not mine")
    link, dangling = tmp_path / "link.aigif", tmp_path / "dangling.aigif"
    link.symlink_to(elsewhere)
    dangling.symlink_to(tmp_path / "nowhere.aigif")
    for target in (link, dangling):
        with raises_code("exists", aigif.FileError):
            aigif.write(table1(), target)
    assert not (tmp_path / "nowhere.aigif").exists()
    aigif.write(table1(), link, overwrite=True)
    assert not link.is_symlink() and aigif.read(link) == table1()
    assert elsewhere.read_bytes() == b"not mine"
    assert names(tmp_path) == ["dangling.aigif", "elsewhere.aigif", "link.aigif"]


def test_a_missing_folder_is_an_error_not_created(tmp_path):
    for overwrite in (False, True):
        with raises_code("io-error", aigif.FileError) as info:
            aigif.write(table1(), tmp_path / "missing" / "cat.aigif", overwrite=overwrite)
        assert "No such file or directory" in info.value.message
    assert names(tmp_path) == []


def test_permission_denied_is_io_error(tmp_path, monkeypatch):
    monkeypatch.setattr(_files.tempfile, "mkstemp", _fails(PermissionError, errno.EACCES, os.strerror(errno.EACCES)))
    with raises_code("io-error", aigif.FileError) as info:
        aigif.write(table1(), tmp_path / "cat.aigif")
    assert "Permission denied" in info.value.message
    assert names(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_folder_is_io_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with raises_code("io-error", aigif.FileError):
            aigif.write(table1(), folder / "cat.aigif")
        assert names(folder) == []
    finally:
        folder.chmod(0o755)


def test_a_long_name_still_has_room_for_its_temporary_file(tmp_path):
    """A 250-byte name is legal; the temporary file's name (longer) once failed with io-error."""
    target = tmp_path / ("x" * 245 + ".aigif")
    aigif.write(table1(), target)
    assert aigif.read(target) == table1() and names(tmp_path) == [target.name]


def test_the_file_and_then_its_folder_are_synced(tmp_path, monkeypatch):
    """Durability: the bytes are fsynced before the rename, and the folder after it."""
    synced = []
    real_fsync, real_link = os.fsync, os.link

    def fsync(fd):
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    def link(src, dst):
        synced.append("link")
        real_link(src, dst)

    monkeypatch.setattr(_files.os, "fsync", fsync)
    monkeypatch.setattr(_files.os, "link", link)
    aigif.write(table1(), tmp_path / "cat.aigif")
    assert synced == ["file", "link", "folder"]


def test_written_files_get_the_usual_mode(tmp_path):
    """mkstemp makes 0600; a written file is 0666 minus the umask, as ``open`` would make it."""
    aigif.write(table1(), tmp_path / "cat.aigif")
    assert stat.S_IMODE((tmp_path / "cat.aigif").stat().st_mode) == 0o666 & ~_files._UMASK


# ---------------------------------------------------------------------------------------------
# No overwrite without --force (library and every command that writes)


def test_library_refuses_an_existing_file(tmp_path):
    target = tmp_path / "cat.aigif"
    aigif.write(with_seed(1), target)
    os.utime(target, ns=(OLD * 10**9, OLD * 10**9))
    before = snapshot(target)
    with raises_code("exists", aigif.FileError) as info:
        aigif.write(with_seed(2), target)
    assert str(info.value) == f"{target} exists and is not overwritten [exists]"
    assert snapshot(target) == before
    aigif.write(with_seed(2), target, overwrite=True)
    assert aigif.read(target).data.seed == 2


def snapshot(path: Path) -> tuple:
    """What must not change when a write is refused: the bytes, the mtime and the inode."""
    st = path.stat()
    return path.read_bytes(), st.st_mtime_ns, st.st_ino


def _build(tmp_path: Path, seed: int) -> list[str]:
    params = tmp_path / f"params{seed}.json"
    params.write_text(json.dumps({"data": {"prompt": "a red fox", "seed": seed}}), "utf-8")
    return ["build", str(params), "-o", str(tmp_path / "out" / "fox.aigif")]


def _import(tmp_path: Path, seed: int) -> list[str]:
    image = png_with(tmp_path, {"parameters": A1111_TEXT.replace("4242", str(seed))}, name=f"img{seed}.png")
    return ["import", str(image), "-o", str(tmp_path / "out" / "img.aigif")]


def _conformance(tmp_path: Path, seed: int) -> list[str]:
    case = ["y_table1", "y_adapters_several"][seed - 1]  # two reports that differ
    return ["conformance", "run", "--reader", f"{sys.executable} -m aigif info --json {{file}}", "--only", case,
            "--jobs", "1", "--json", str(tmp_path / "out" / "report.json")]


COMMANDS = {"build": (_build, "fox.aigif"), "import": (_import, "img.aigif"),
            "conformance-run": (_conformance, "report.json")}


@pytest.mark.parametrize("command", COMMANDS)
def test_command_refuses_to_overwrite_without_force(tmp_path, command, monkeypatch):
    """Run twice: the second run, without --force, fails with one line naming [exists], exit 1,
    and the file keeps its bytes, mtime and inode; with --force it is replaced."""
    monkeypatch.setenv("COLUMNS", "200")
    make, name = COMMANDS[command]
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / name
    first = helpers.run(make(tmp_path, 1))
    assert first.status == 0, first.stderr
    os.utime(target, ns=(OLD * 10**9, OLD * 10**9))
    before = snapshot(target)

    again = helpers.run(make(tmp_path, 2))
    assert again.status == 1 and again.error_code() == "exists"
    assert again.lines == [f"aigif: error: {target} exists and is not overwritten (use --force) [exists]"]
    assert snapshot(target) == before
    assert names(tmp_path / "out") == [name]

    forced = helpers.run([*make(tmp_path, 2), "--force"])
    assert forced.status == 0, forced.stderr
    after = snapshot(target)
    assert after[0] != before[0] and after[1] > before[1] and after[2] != before[2]
    assert names(tmp_path / "out") == [name]


def test_import_of_a_folder_refuses_each_existing_file(tmp_path, monkeypatch):
    """A folder run: one [exists] line per existing output, nothing replaced, exit 1."""
    monkeypatch.setenv("COLUMNS", "200")
    folder, out = tmp_path / "images", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    for seed in (1, 2):
        png_with(folder, {"parameters": A1111_TEXT.replace("4242", str(seed))}, name=f"img{seed}.png")
    assert helpers.run(["import", str(folder), "--out-dir", str(out)]).status == 0
    before = {name: snapshot(out / name) for name in names(out)}
    assert list(before) == ["img1.aigif", "img2.aigif"]
    again = helpers.run(["import", str(folder), "--out-dir", str(out)])
    assert again.status == 1
    assert [line for line in again.lines if line.startswith("aigif: error:")] == [
        f"aigif: error: {out / name} exists and is not overwritten (use --force) [exists]" for name in before]
    assert {name: snapshot(out / name) for name in names(out)} == before
    assert helpers.run(["import", str(folder), "--out-dir", str(out), "--force"]).status == 0
    assert all(snapshot(out / name)[2] != before[name][2] for name in before)


def test_losing_a_race_in_the_cli_names_force(tmp_path, monkeypatch):
    """If OUT appears between the check and the move, the hard link refuses it: same one line."""
    params = tmp_path / "p.json"
    params.write_text(json.dumps(TABLE1_JSON), "utf-8")
    target = tmp_path / "t.aigif"
    real_fsync = os.fsync

    def fsync(fd):  # another writer wins while this one syncs
        real_fsync(fd)
        if not target.exists():
            target.write_bytes(b"the other writer's")

    monkeypatch.setattr(_files.os, "fsync", fsync)
    result = helpers.run(["build", str(params), "-o", str(target)])
    assert result.status == 1
    assert result.lines == [f"aigif: error: {target} exists and is not overwritten (use --force) [exists]"]
    assert target.read_bytes() == b"the other writer's" and names(tmp_path) == ["p.json", "t.aigif"]


def _aigif(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "AIGIF_DEBUG")}
    env.update(HF_HUB_OFFLINE="1", AIGIF_CACHE_DIR=str(cwd / "cache"))
    return subprocess.run([sys.executable, "-m", "aigif", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_save_refuses_to_overwrite_without_force(tmp_path):
    """``aigif save`` (tiny model, 64x64, 2 steps; about 20 s, torch loads three times): the same
    rules. ``aigif recreate``: tests/cli/test_recreate_cli.py::test_existing_output_is_not_overwritten."""
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    target = tmp_path / "s.aigif"
    save = ["save", "s.aigif", "--steps", "2", "--width", "64", "--height", "64"]
    assert _aigif(tmp_path, *save, "--prompt", "a fox", "--seed", "1").returncode == 0
    os.utime(target, ns=(OLD * 10**9, OLD * 10**9))
    before = snapshot(target)
    again = _aigif(tmp_path, *save, "--prompt", "a cat", "--seed", "2")
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert again.stderr.splitlines() == ["aigif: error: s.aigif exists and is not overwritten (use --force) [exists]"]
    assert snapshot(target) == before
    assert _aigif(tmp_path, *save, "--prompt", "a cat", "--seed", "2", "--force").returncode == 0
    assert aigif.read(target).data.seed == 2 and snapshot(target)[2] != before[2]
    assert [name for name in names(tmp_path) if name != "cache"] == ["s.aigif"]


# ---------------------------------------------------------------------------------------------
# Many writers, one folder

PROCESSES, FILES = 8, 50  # distinct names
RACERS, ROUNDS = 6, 3  # writers per contested name, without and with overwrite


def payload(writer: int) -> bytes:
    """Distinct bytes per writer, 160-250 KiB, so that a torn or mixed file cannot pass."""
    return f"writer {writer:02d};".encode() * (15_000 + 500 * writer)


def _worker(kind: str, index: int, directory: str, barrier, results) -> None:
    folder = Path(directory)
    barrier.wait()
    outcome = []
    try:
        if kind == "distinct":
            for i in range(FILES):
                aigif.write(with_seed(index * 1000 + i, "x" * (i * 37)), folder / f"p{index}-{i:02d}.aigif")
            outcome.append("ok")
        else:
            for round_ in range(ROUNDS):
                try:
                    _files.write_bytes_atomic(folder / f"{kind}{round_}.bin", payload(index),
                                           overwrite=kind == "replace")
                    outcome.append("won")
                except aigif.FileError as err:
                    outcome.append(err.code)
    except Exception as err:  # noqa: BLE001 - reported to the parent, which fails the test with it
        outcome.append(f"error: {err!r}")
    results.put((kind, index, outcome))


def test_many_processes_in_one_folder_lose_nothing(tmp_path):
    """8 processes x 50 distinct files, while 6 race for one name without overwrite and 6 with:
    every distinct file reads back exactly; each race has exactly one winner (the rest: exists)
    and its file is that winner's; each overwrite race ends with one writer's complete bytes; no
    temporary file remains."""
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    jobs = ([("distinct", i) for i in range(PROCESSES)] + [("race", i) for i in range(RACERS)]
            + [("replace", i) for i in range(RACERS)])
    barrier, results = context.Barrier(len(jobs)), context.Queue()
    workers = [context.Process(target=_worker, args=(*job, str(tmp_path), barrier, results)) for job in jobs]
    for worker in workers:
        worker.start()
    outcomes = {(kind, index): outcome for kind, index, outcome in (results.get(timeout=120) for _ in jobs)}
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert all(outcomes[("distinct", i)] == ["ok"] for i in range(PROCESSES))
    for i in range(PROCESSES):
        for j in range(FILES):
            obj = with_seed(i * 1000 + j, "x" * (j * 37))
            assert (tmp_path / f"p{i}-{j:02d}.aigif").read_bytes() == aigif.dumps(obj)
    for round_ in range(ROUNDS):
        race = [outcomes[("race", i)][round_] for i in range(RACERS)]
        assert sorted(race) == ["exists"] * (RACERS - 1) + ["won"], race
        assert (tmp_path / f"race{round_}.bin").read_bytes() == payload(race.index("won"))
        assert all(outcomes[("replace", i)][round_] == "won" for i in range(RACERS))
        assert (tmp_path / f"replace{round_}.bin").read_bytes() in {payload(i) for i in range(RACERS)}
    expected = ([f"p{i}-{j:02d}.aigif" for i in range(PROCESSES) for j in range(FILES)]
                + [f"{kind}{r}.bin" for kind in ("race", "replace") for r in range(ROUNDS)])
    assert names(tmp_path) == sorted(expected)


@pytest.mark.parametrize("links", [True, False], ids=["hard-links", "no-hard-links"])
def test_a_writer_arriving_at_the_last_moment_does_not_win_too(tmp_path, monkeypatch, links):
    """The worst interleaving, made deterministic: a second writer does its whole write just as
    the first moves its file into place (after every check the first made). Exactly one wins and
    the file is the winner's, also without hard links (FAT, some shares), where the name is
    claimed with O_EXCL: a check-then-rename would let both win and lose the first file."""
    target, outcomes = tmp_path / "race.bin", {}
    real_link, real_replace = os.link, os.replace

    def write(who: int) -> None:
        try:
            _files.write_bytes_atomic(target, payload(who))
            outcomes[who] = "won"
        except aigif.FileError as err:
            outcomes[who] = err.code

    def moving(real):
        def move(src, dst):
            if not outcomes:  # once: when writer 0 moves its file
                outcomes[1] = None
                write(1)
            return real(src, dst)
        return move

    if links:
        monkeypatch.setattr(_files.os, "link", moving(real_link))
    else:
        monkeypatch.setattr(_files.os, "link", _fails(OSError, errno.EPERM, os.strerror(errno.EPERM)))
        monkeypatch.setattr(_files.os, "replace", moving(real_replace))
    write(0)
    assert sorted(outcomes.values()) == ["exists", "won"], outcomes
    winner = next(who for who, outcome in outcomes.items() if outcome == "won")
    assert target.read_bytes() == payload(winner) and names(tmp_path) == ["race.bin"]


@pytest.mark.slow
def test_save_takes_its_file_back_when_the_image_cannot_be_written(tmp_path, monkeypatch):
    """``aigif.save`` writes two files; if the second (the PNG) fails, neither is written, so that
    nothing is written unless everything succeeded (with ``overwrite`` too:
    tests/cli/test_cli_outputs.py::test_save_leaves_no_half_output_when_the_image_fails)."""
    real = _files.tempfile.mkstemp

    def fail_for_png(*args, **options):
        if options.get("prefix", "").startswith(".s.png."):
            raise OSError(errno.ENOSPC, "disk full (simulated)")
        return real(*args, **options)

    monkeypatch.setattr(_files.tempfile, "mkstemp", fail_for_png)
    out, png = tmp_path / "s.aigif", tmp_path / "s.png"
    with raises_code("io-error", aigif.FileError):
        aigif.save(out, prompt="a fox", seed=1, steps=2, width=64, height=64, image_path=png)
    assert sorted(os.listdir(tmp_path)) == []
