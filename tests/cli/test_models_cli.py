"""``aigif models scan|list|which``: exit statuses, JSON shapes, one error line per problem."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

import aigif
from helpers import ERROR_LINE, USAGE_LINE, run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "library"))
from library_helpers import a1111_tree  # noqa: E402


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.setenv("AIGIF_CACHE_DIR", str(tmp_path / "cache"))
    files = a1111_tree(tmp_path / "webui")
    checkpoint_hash = hashlib.sha256(files["checkpoint"].read_bytes()).hexdigest()[:10]
    obj = aigif.from_json({"data": {"prompt": "p"}, "model": {
        "id": "renamed", "hash": f"autov2:{checkpoint_hash}", "vae": {"name": "kl-f8", "hash": "autov2:0000000000"},
        "adapters": [{"name": "inkwash", "kind": "lora", "weight": 0.6}, {"name": "absent", "kind": "embedding"}]}})
    aigif.write(obj, tmp_path / "image.aigif")
    ok = aigif.from_json({"data": {"prompt": "p"}, "model": {"id": "dream", "adapters": [
        {"name": "easyneg", "kind": "embedding"}]}})
    aigif.write(ok, tmp_path / "ok.aigif")
    return tmp_path, files


def test_scan_then_list(setup):
    tmp_path, files = setup
    result = run(["models", "scan", str(tmp_path / "webui")])
    assert result.status == 0, result.stderr
    assert "indexed 6 files" in result.stdout.decode() and result.stderr == ""
    listed = run(["models", "list", "--json"])
    rows = json.loads(listed.stdout)
    assert listed.status == 0 and len(rows) == 6
    assert set(rows[0]) >= {"path", "name", "kind", "family", "format", "loadable", "size", "sha256", "data_sha256",
                            "autov1", "crc32", "error_code", "error"}
    loras = json.loads(run(["models", "list", "--kind", "lora", "--json"]).stdout)
    assert [row["name"] for row in loras] == ["inkwash.safetensors"]
    table = run(["models", "list"]).stdout.decode()
    assert "dream.safetensors" in table and "pickle (not loadable)" in table


def test_scan_json_and_a_problem_line(setup):
    tmp_path, files = setup
    (files["lora"].parent / "cut.safetensors").write_bytes(b"\x10\x00")
    result = run(["models", "scan", "--json", str(tmp_path / "webui")])
    assert result.status == 0
    summary = json.loads(result.stdout)
    assert summary["files"] == 7 and summary["hashed"] == 6 and summary["problems"][0]["code"] == "bad-safetensors"
    [line] = result.stderr.splitlines()
    assert ERROR_LINE.match(line).group(1) == "bad-safetensors" and "cut.safetensors" in line
    again = json.loads(run(["models", "scan", "--json", str(tmp_path / "webui")]).stdout)
    assert again["reused"] == 6 and again["hashed"] == 0


def test_which_reports_each_reference_and_exits_3_when_one_is_not_found(setup):
    tmp_path, files = setup
    result = run(["models", "which", "--json", "--model-dir", str(tmp_path / "webui"), str(tmp_path / "image.aigif")])
    assert result.status == 3, result.stderr
    document = json.loads(result.stdout)
    assert document["all_found"] is False and document["indexed_files"] == 6
    got = [(r["field"], r["status"], r["matched_by"], r["path"]) for r in document["references"]]
    assert got == [("model", "found", "hash", str(files["checkpoint"])),
                   ("model.vae", "hash-mismatch", "name", str(files["vae"])),
                   ("model.adapters[0]", "found", "name", str(files["lora"])),
                   ("model.adapters[1]", "missing", None, None)]
    assert set(document["references"][0]) == {"field", "kind", "name", "hash", "status", "matched_by", "path",
                                              "note", "files"}
    table = run(["models", "which", str(tmp_path / "image.aigif")])
    assert table.status == 3 and "2 of 4 references found" in table.stdout.decode()
    done = run(["models", "which", str(tmp_path / "ok.aigif")])
    assert done.status == 0 and "2 of 2 references found" in done.stdout.decode()


def test_which_on_an_empty_index_says_so(setup):
    tmp_path, _ = setup
    result = run(["models", "which", str(tmp_path / "ok.aigif")])
    assert result.status == 3 and "is empty" in result.stderr


@pytest.mark.parametrize("args, code", [
    (["models", "scan", "{tmp}/nope"], "not-found"),
    (["models", "which", "{tmp}/nope.aigif"], "not-found"),
    (["models", "which", "{tmp}/webui/models/VAE/kl-f8.safetensors"], "bad-signature"),
    (["models", "list", "--index", "{tmp}/ok.aigif"], "index-error"),
])
def test_bad_input_is_one_error_line_and_status_1(setup, args, code):
    tmp_path, _ = setup
    result = run([arg.format(tmp=tmp_path) for arg in args])
    assert result.status == 1 and result.stdout == b""
    [line] = result.stderr.splitlines()
    assert ERROR_LINE.match(line).group(1) == code, line


@pytest.mark.parametrize("args", [["models", "list", "--kind", "model"], ["models", "scan"], ["models", "which"]])
def test_bad_usage_is_status_2(setup, args):
    result = run(args)
    assert result.status == 2 and USAGE_LINE.match(result.stderr.splitlines()[0]), result.stderr
