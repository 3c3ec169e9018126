"""Scanning tool trees into the index: kinds, discovery, hash reuse, problems, concurrent scans."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aigif._errors import FileError, LibraryError
from aigif._library import Index, _scan, model_folders, scan
from library_helpers import NAMES, a1111_tree, comfy_tree, write_safetensors

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def index(tmp_path):
    with Index(tmp_path / "cache" / "models.sqlite3") as opened:
        yield opened


def by_name(index):
    return {Path(row.path).name: row for row in index.files()}


def test_an_a1111_tree(tmp_path, index):
    files = a1111_tree(tmp_path / "webui")
    summary = scan([tmp_path / "webui"], index)
    rows = by_name(index)
    assert {name: row.kind for name, row in rows.items()} == {
        "dream.safetensors": "checkpoint", "inkwash.safetensors": "lora", "loha.safetensors": "lycoris",
        "kl-f8.safetensors": "vae", "easyneg.safetensors": "embedding", "4x.pth": "upscaler"}
    assert "stray.safetensors" not in rows  # venv/ is not a model folder
    assert summary.files == 6 and summary.hashed == 6 and summary.reused == 0 and not summary.problems
    checkpoint = rows["dream.safetensors"]
    assert checkpoint.family == "sd1" and checkpoint.loadable
    assert checkpoint.sha256 == hashlib.sha256(files["checkpoint"].read_bytes()).hexdigest()
    assert rows["easyneg.safetensors"].family == "sd1"
    upscaler = rows["4x.pth"]
    assert upscaler.format == "pickle" and not upscaler.loadable and upscaler.sha256 and upscaler.data_sha256 is None


def test_a_comfyui_tree(tmp_path, index):
    comfy_tree(tmp_path / "ComfyUI")
    scan([tmp_path / "ComfyUI"], index)
    rows = by_name(index)
    assert {name: (row.kind, row.family) for name, row in rows.items()} == {
        "sdxl.safetensors": ("checkpoint", "sdxl"), "detail.safetensors": ("lora", "sd1"),
        "ae.safetensors": ("vae", None), "neg.safetensors": ("embedding", "sdxl"),
        "4x.safetensors": ("upscaler", None)}


def test_model_folders_finds_the_standard_folders(tmp_path):
    a1111_tree(tmp_path / "webui")
    comfy_tree(tmp_path / "ComfyUI")
    names = lambda folders: sorted(folder.relative_to(tmp_path).as_posix() for folder in folders)  # noqa: E731
    assert names(model_folders(tmp_path / "webui")) == [
        "webui/embeddings", "webui/models/ESRGAN", "webui/models/Lora", "webui/models/LyCORIS",
        "webui/models/Stable-diffusion", "webui/models/VAE"]
    assert names(model_folders(tmp_path / "ComfyUI" / "models")) == [
        "ComfyUI/models/checkpoints", "ComfyUI/models/embeddings", "ComfyUI/models/loras",
        "ComfyUI/models/upscale_models", "ComfyUI/models/vae"]
    (tmp_path / "loose").mkdir()
    assert model_folders(tmp_path / "loose") == [tmp_path / "loose"]


def test_a_hugging_face_cache_records_the_repository(tmp_path, index):
    snapshot = tmp_path / "hub" / "models--org--tiny-sd" / "snapshots" / "abc123"
    blob = write_safetensors(tmp_path / "hub" / "models--org--tiny-sd" / "blobs" / "deadbeef", NAMES["vae"])
    (snapshot / "vae").mkdir(parents=True)
    (snapshot / "vae" / "diffusion_pytorch_model.safetensors").symlink_to(blob)
    scan([tmp_path / "hub"], index)
    [row] = index.files()
    assert row.kind == "vae" and row.repo == "org/tiny-sd" and row.name == "diffusion_pytorch_model.safetensors"
    assert row.real_path == str(blob)


def count_reads(monkeypatch) -> list[Path]:
    reads = []
    real = _scan.hash_file

    def counting(path, **options):
        reads.append(Path(path))
        return real(path, **options)

    monkeypatch.setattr(_scan, "hash_file", counting)
    real_header = _scan.read_header
    monkeypatch.setattr(_scan, "read_header", lambda path: reads.append(Path(path)) or real_header(path))
    return reads


def test_a_second_scan_reads_nothing_and_a_changed_file_is_read_again(tmp_path, index, monkeypatch):
    files = a1111_tree(tmp_path / "webui")
    scan([tmp_path / "webui"], index)
    reads = count_reads(monkeypatch)
    again = scan([tmp_path / "webui"], index)
    assert reads == [] and again.reused == 6 and again.hashed == 0
    before = by_name(index)["inkwash.safetensors"].sha256
    write_safetensors(files["lora"], NAMES["lora"], data=b"\x02" * 40)  # same size, new content and mtime
    os.utime(files["lora"], ns=(1, 1_700_000_000_000_000_000))
    third = scan([tmp_path / "webui"], index)
    assert reads == [files["lora"], files["lora"]] and third.hashed == 1 and third.reused == 5
    assert by_name(index)["inkwash.safetensors"].sha256 == hashlib.sha256(files["lora"].read_bytes()).hexdigest()
    assert by_name(index)["inkwash.safetensors"].sha256 != before


def test_a_linked_copy_is_not_read_twice_and_a_gone_file_is_forgotten(tmp_path, index, monkeypatch):
    files = a1111_tree(tmp_path / "webui")
    (tmp_path / "webui" / "models" / "VAE" / "alias.safetensors").symlink_to(files["vae"])
    reads = count_reads(monkeypatch)
    scan([tmp_path / "webui"], index)
    assert reads.count(files["vae"]) + reads.count(files["vae"].parent / "alias.safetensors") == 2  # header + hash
    rows = by_name(index)
    assert rows["alias.safetensors"].sha256 == rows["kl-f8.safetensors"].sha256
    files["lycoris"].unlink()
    summary = scan([tmp_path / "webui"], index)
    assert summary.forgotten == 1 and "loha.safetensors" not in by_name(index)


def test_a_symlink_loop_and_a_broken_link_are_reported_and_the_scan_goes_on(tmp_path, index):
    a1111_tree(tmp_path / "webui")
    lora = tmp_path / "webui" / "models" / "Lora"
    (lora / "again").symlink_to(lora)  # a folder loop
    (lora / "self.safetensors").symlink_to(lora / "self.safetensors")  # a file loop
    (lora / "gone.safetensors").symlink_to(tmp_path / "nowhere.safetensors")
    summary = scan([tmp_path / "webui"], index)
    codes = {Path(problem.path).name: problem.code for problem in summary.problems}
    assert codes == {"again": "symlink-loop", "self.safetensors": "symlink-loop", "gone.safetensors": "unreadable"}
    assert all(problem.path in problem.message for problem in summary.problems)
    assert summary.files == 6


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_reported(tmp_path, index):
    files = a1111_tree(tmp_path / "webui")
    files["vae"].chmod(0)
    try:
        summary = scan([tmp_path / "webui"], index)
    finally:
        files["vae"].chmod(0o644)
    assert [(Path(p.path).name, p.code) for p in summary.problems] == [("kl-f8.safetensors", "unreadable")]
    assert by_name(index)["dream.safetensors"].sha256


def test_a_truncated_safetensors_file_is_reported_and_listed_with_its_error(tmp_path, index):
    files = a1111_tree(tmp_path / "webui")
    (files["lora"].parent / "cut.safetensors").write_bytes(files["lora"].read_bytes()[:20])
    summary = scan([tmp_path / "webui"], index)
    assert [(Path(p.path).name, p.code) for p in summary.problems] == [("cut.safetensors", "bad-safetensors")]
    row = by_name(index)["cut.safetensors"]
    assert row.error_code == "bad-safetensors" and row.sha256 is None and not row.loadable
    assert summary.files == 7


def test_a_missing_folder_is_refused_before_anything_is_indexed(tmp_path, index):
    a1111_tree(tmp_path / "webui")
    with pytest.raises(FileError) as caught:
        scan([tmp_path / "webui", tmp_path / "nope"], index)
    assert caught.value.code == "not-found" and index.files() == []


def test_an_index_that_is_not_a_database_is_an_index_error(tmp_path):
    (tmp_path / "bad.sqlite3").write_bytes(b"not a database, " * 100)
    with pytest.raises(LibraryError) as caught:
        Index(tmp_path / "bad.sqlite3")
    assert caught.value.code == "index-error" and "bad.sqlite3" in caught.value.message


def test_an_index_made_by_a_newer_aigif_is_refused(tmp_path):
    path = tmp_path / "models.sqlite3"
    with Index(path) as index:
        index._db.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(LibraryError, match="newer aigif") as caught:
        Index(path)
    assert caught.value.code == "index-error"


def test_the_index_location(tmp_path, monkeypatch):
    monkeypatch.setenv("AIGIF_CACHE_DIR", str(tmp_path / "c"))
    with Index() as index:
        assert index.path == tmp_path / "c" / "models.sqlite3"
        assert index._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    monkeypatch.delenv("AIGIF_CACHE_DIR")
    import platformdirs

    from aigif._library import default_index_path

    assert default_index_path() == Path(platformdirs.user_cache_dir("aigif", appauthor=False)) / "models.sqlite3"


SCAN = textwrap.dedent("""
    import json, sys
    from aigif._library import Index, scan
    with Index(sys.argv[1]) as index:
        for _ in range(3):
            summary = scan([sys.argv[2]], index, discover=False)
    print(json.dumps(summary.to_json()))
""")


def test_two_scans_at_once(tmp_path):
    """Two processes scanning (and re-scanning) the same folders into one new index: both succeed,
    and the index holds every file once, with the right hashes."""
    folder = tmp_path / "models"
    paths = [write_safetensors(folder / f"lora{i:02}.safetensors", NAMES["lora"], data=os.urandom(2000))
             for i in range(40)]
    database = tmp_path / "index" / "models.sqlite3"
    runs = [subprocess.Popen([sys.executable, "-c", SCAN, str(database), str(folder)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(2)]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        assert json.loads(out)["files"] == 40 and not json.loads(out)["problems"]
    with Index(database) as index:
        rows = index.files()
    assert sorted(row.path for row in rows) == sorted(str(path) for path in paths)
    assert all(row.sha256 == hashlib.sha256(Path(row.path).read_bytes()).hexdigest() for row in rows)
