"""Files: ``aigif.read`` and ``aigif.write`` (R10.4: never overwrite unless asked; write atomically)."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import os
import threading
from pathlib import Path

import pytest

import aigif
from helpers import TABLE1_BYTES, TABLE1_JSON, raises_code, table1


def with_seed(seed: int) -> aigif.AigifFile:
    obj = table1()
    return dataclasses.replace(obj, data=dataclasses.replace(obj.data, seed=seed))


def leftovers(directory: Path, *keep: str) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name not in keep)


def test_write_then_read(tmp_path):
    path = tmp_path / "cat.aigif"
    assert aigif.write(table1(), path) == 67
    assert path.read_bytes() == TABLE1_BYTES
    assert aigif.to_json(aigif.read(path)) == TABLE1_JSON
    assert aigif.to_json(aigif.read(str(path))) == TABLE1_JSON
    assert leftovers(tmp_path) == ["cat.aigif"]  # no temporary file left behind


def test_write_refuses_to_overwrite(tmp_path):
    """R10.4: a writer MUST NOT overwrite an existing file unless asked (FileError, code exists)."""
    path = tmp_path / "cat.aigif"
    path.write_bytes(b"precious")
    with raises_code("exists", aigif.FileError) as info:
        aigif.write(table1(), path)
    assert isinstance(info.value, OSError)
    assert path.read_bytes() == b"precious"
    assert leftovers(tmp_path) == ["cat.aigif"]


def test_write_overwrites_when_asked(tmp_path):
    path = tmp_path / "cat.aigif"
    path.write_bytes(b"old")
    assert aigif.write(table1(), path, overwrite=True) == 67
    assert path.read_bytes() == TABLE1_BYTES
    aigif.write(with_seed(1), path, overwrite=True)
    assert aigif.read(path).data.seed == 1
    assert leftovers(tmp_path) == ["cat.aigif"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_failing_dumps_leaves_nothing(tmp_path, overwrite):
    """R10.4: an object that cannot be written leaves no file and no temporary file."""
    bad = aigif.AigifFile(data=aigif.Data(height=0))
    with raises_code("invalid-value", aigif.UsageError):
        aigif.write(bad, tmp_path / "bad.aigif", overwrite=overwrite)
    assert leftovers(tmp_path) == []
    # nor does it touch an existing file
    existing = tmp_path / "keep.aigif"
    existing.write_bytes(TABLE1_BYTES)
    with raises_code("invalid-value", aigif.UsageError):
        aigif.write(bad, existing, overwrite=True)
    assert existing.read_bytes() == TABLE1_BYTES
    assert leftovers(tmp_path) == ["keep.aigif"]


def test_write_into_a_missing_directory_is_io_error(tmp_path):
    with raises_code("io-error", aigif.FileError):
        aigif.write(table1(), tmp_path / "no" / "such" / "dir.aigif")
    assert leftovers(tmp_path) == []


def test_read_missing_file_is_not_found(tmp_path):
    with raises_code("not-found", aigif.FileError) as info:
        aigif.read(tmp_path / "missing.aigif")
    assert isinstance(info.value, OSError)


def test_read_a_directory_is_io_error(tmp_path):
    with raises_code("io-error", aigif.FileError):
        aigif.read(tmp_path)


def test_read_a_bad_file_is_a_format_error(tmp_path):
    path = tmp_path / "cut.aigif"
    path.write_bytes(TABLE1_BYTES[:40])
    with raises_code("truncated", aigif.FormatError):
        aigif.read(path)


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview], ids=["bytes", "bytearray", "memoryview"])
def test_read_from_memory(wrap):
    assert aigif.to_json(aigif.read(wrap(TABLE1_BYTES))) == TABLE1_JSON


def test_read_from_memory_errors_are_format_errors():
    with raises_code("bad-signature", aigif.FormatError):
        aigif.read(b"")
    with raises_code("trailing-bytes", aigif.FormatError):
        aigif.read(bytearray(TABLE1_BYTES + b"\x00"))


def test_many_writers_to_different_names_lose_nothing(tmp_path):
    """R10.4: concurrent writers in one folder: every file arrives complete, no temp file remains."""
    count = 48
    barrier = threading.Barrier(16)

    def job(i: int) -> int:
        if i < 16:
            barrier.wait()
        return aigif.write(with_seed(i), tmp_path / f"img{i:03d}.aigif")

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        sizes = list(pool.map(job, range(count)))
    assert all(size > 0 for size in sizes)
    assert leftovers(tmp_path) == [f"img{i:03d}.aigif" for i in range(count)]
    for i in range(count):
        assert aigif.read(tmp_path / f"img{i:03d}.aigif").data.seed == i


@pytest.mark.parametrize("round_", range(5))
def test_racing_writers_to_one_name_exactly_one_wins(tmp_path, round_):
    """R10.4: writers racing for one name without overwrite: exactly one wins, the others get exists."""
    writers = 12
    target = tmp_path / "race.aigif"
    barrier = threading.Barrier(writers)

    def job(i: int):
        barrier.wait()
        try:
            aigif.write(with_seed(i), target)
        except aigif.FileError as err:
            return ("lost", err.code)
        return ("won", i)

    with concurrent.futures.ThreadPoolExecutor(writers) as pool:
        results = list(pool.map(job, range(writers)))
    winners = [r[1] for r in results if r[0] == "won"]
    assert len(winners) == 1, results
    assert sorted(r[1] for r in results if r[0] == "lost") == ["exists"] * (writers - 1)
    assert aigif.read(target).data.seed == winners[0]  # the file is the winner's, complete
    assert leftovers(tmp_path) == ["race.aigif"]


def _process_writer(args):
    directory, name, seed = args
    try:
        aigif.write(with_seed(seed), Path(directory) / name)
    except aigif.FileError as err:
        return err.code
    return "won"


def test_racing_processes_to_one_name_exactly_one_wins(tmp_path):
    """R10.4 across processes (the hard link is what makes this safe, not a Python lock)."""
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with concurrent.futures.ProcessPoolExecutor(6, mp_context=context) as pool:
        for round_ in range(3):
            name = f"race{round_}.aigif"
            results = list(pool.map(_process_writer, [(str(tmp_path), name, seed) for seed in range(12)]))
            assert results.count("won") == 1, results
            assert results.count("exists") == 11, results
            assert aigif.read(tmp_path / name).data.seed in range(12)
        names = [f"solo{i}.aigif" for i in range(24)]
        results = list(pool.map(_process_writer, [(str(tmp_path), name, i) for i, name in enumerate(names)]))
        assert results == ["won"] * 24
    assert leftovers(tmp_path) == sorted([f"race{i}.aigif" for i in range(3)] + names)


def test_write_without_hard_links_still_works(tmp_path, monkeypatch):
    """docs/cli.md "Safe writes": without hard links the name is claimed with O_EXCL, then renamed over."""
    import errno

    from aigif import _files

    def no_links(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(_files.os, "link", no_links)
    path = tmp_path / "cat.aigif"
    assert aigif.write(table1(), path) == 67
    assert path.read_bytes() == TABLE1_BYTES
    with raises_code("exists", aigif.FileError):
        aigif.write(table1(), path)
    assert leftovers(tmp_path) == ["cat.aigif"]


def test_read_a_name_too_long_is_io_error(tmp_path):
    with raises_code("io-error", aigif.FileError):
        aigif.read(tmp_path / ("x" * 300))


def test_write_a_name_too_long_is_io_error(tmp_path):
    with raises_code("io-error", aigif.FileError):
        aigif.write(table1(), tmp_path / ("x" * 300))
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("operation", ["read", "write"])
def test_a_path_with_a_nul_character_is_a_file_error(tmp_path, operation):
    path = str(tmp_path / "a\x00b.aigif")
    with pytest.raises(aigif.FileError):
        aigif.read(path) if operation == "read" else aigif.write(table1(), path)
    assert leftovers(tmp_path) == []
