"""Resolving an AIGIF file's model references against the index: by hash first, then by name."""

from __future__ import annotations

import hashlib
import zlib

import pytest

import aigif
from aigif._library import Index, references, resolve_all, scan
from library_helpers import NAMES, a1111_tree, write_safetensors


@pytest.fixture
def library(tmp_path):
    files = a1111_tree(tmp_path / "webui")
    with Index(tmp_path / "models.sqlite3") as index:
        scan([tmp_path / "webui"], index)
        yield files, index


def sha(path, start=0):
    return hashlib.sha256(path.read_bytes()[start:]).hexdigest()


def data_sha(path):
    data = path.read_bytes()
    return sha(path, 8 + int.from_bytes(data[:8], "little"))


def aigif_file(model_id="dream", model_hash=None, vae=None, adapters=()):
    model = {"id": model_id, "adapters": list(adapters)}
    if model_hash:
        model["hash"] = model_hash
    if vae:
        model["vae"] = vae
    return aigif.from_json({"data": {"prompt": "p"}, "model": model})


def statuses(obj, index):
    return [(r.reference.field, r.status, r.matched_by, r.path) for r in resolve_all(obj, index.files())]


def test_references_in_order():
    obj = aigif_file(model_hash="autov2:0123456789", vae={"name": "kl-f8"},
                     adapters=[{"name": "ink", "kind": "lora", "weight": 0.7}, {"name": "neg", "kind": "embedding"}])
    assert [(r.field, r.kind, r.name, r.hash) for r in references(obj)] == [
        ("model", "checkpoint", "dream", "autov2:0123456789"), ("model.vae", "vae", "kl-f8", None),
        ("model.adapters[0]", "lora", "ink", None), ("model.adapters[1]", "embedding", "neg", None)]


@pytest.mark.parametrize("kind", ["sha256", "autov2", "autov3", "sha256-12", "crc32"])  # AutoV1: below (> 1 MiB)
def test_found_by_each_hash_kind_whatever_the_name(library, kind):
    files, index = library
    path = files["lora"]
    value = {"sha256": sha(path), "autov2": sha(path)[:10], "autov3": data_sha(path)[:12], "sha256-12": sha(path)[:12],
             "crc32": f"{zlib.crc32(path.read_bytes()):08x}"}[kind]
    obj = aigif_file(adapters=[{"name": "renamed", "kind": "lora", "hash": f"{kind}:{value}"}])
    assert statuses(obj, index)[1] == ("model.adapters[0]", "found", "hash", str(path))


def test_autov1_on_a_large_file(tmp_path):
    big = write_safetensors(tmp_path / "models" / "Stable-diffusion" / "big.safetensors", NAMES["checkpoint"],
                            data=bytes(range(256)) * 5000)
    with Index(tmp_path / "i.sqlite3") as index:
        scan([tmp_path / "models"], index)
        value = hashlib.sha256(big.read_bytes()[0x100000:0x110000]).hexdigest()[:8]
        assert statuses(aigif_file("other", f"autov1:{value}"), index) == [("model", "found", "hash", str(big))]


def test_a_12_digit_value_also_matches_the_whole_file_sha256_as_a1111_ti_hashes_are(library):
    files, index = library
    value = sha(files["embedding"])[:12]
    obj = aigif_file(adapters=[{"name": "x", "kind": "embedding", "hash": f"autov3:{value}"}])
    assert statuses(obj, index)[1][1:] == ("found", "hash", str(files["embedding"]))


def test_by_hash_beats_by_name(library):
    """The hash names the VAE file; a checkpoint-named reference with the VAE's hash goes to the VAE."""
    files, index = library
    obj = aigif_file("dream", f"sha256:{sha(files['vae'])}")
    assert statuses(obj, index) == [("model", "found", "hash", str(files["vae"]))]


def test_found_by_name_with_or_without_extension_then_ignoring_case(library):
    files, index = library
    obj = aigif_file("dream.safetensors", vae={"name": "KL-F8"},
                     adapters=[{"name": "style/inkwash", "kind": "lora"}, {"name": "loha", "kind": "lycoris"}])
    assert statuses(obj, index) == [
        ("model", "found", "name", str(files["checkpoint"])), ("model.vae", "found", "name", str(files["vae"])),
        ("model.adapters[0]", "found", "name", str(files["lora"])),
        ("model.adapters[1]", "found", "name", str(files["lycoris"]))]


def test_a_name_matches_only_files_of_a_kind_the_reference_can_be(library):
    files, index = library
    obj = aigif_file(adapters=[{"name": "dream", "kind": "lora"}])
    assert statuses(obj, index)[1][1] == "missing"


def test_missing_and_hash_mismatch(library):
    files, index = library
    obj = aigif_file("dream", "autov2:0000000000", adapters=[{"name": "nothing", "kind": "lora",
                                                              "hash": "autov2:1111111111"}])
    found = resolve_all(obj, index.files())
    assert [(r.status, r.matched_by, r.path) for r in found] == [
        ("hash-mismatch", "name", str(files["checkpoint"])), ("missing", None, None)]
    assert "autov2:0000000000" in found[0].note


def test_ambiguous_names_and_copies(library, tmp_path):
    files, index = library
    other = write_safetensors(tmp_path / "webui" / "models" / "Lora" / "b" / "inkwash.safetensors", NAMES["lora"],
                              data=b"other")
    scan([tmp_path / "webui"], index)
    obj = aigif_file(adapters=[{"name": "inkwash", "kind": "lora"}])
    [_, lora] = resolve_all(obj, index.files())
    assert lora.status == "ambiguous" and {f.path for f in lora.files} == {str(files["lora"]), str(other)}
    other.write_bytes(files["lora"].read_bytes())  # now a copy: one content, found
    scan([tmp_path / "webui"], index)
    [_, lora] = resolve_all(obj, index.files())
    assert lora.status == "found" and lora.path in (str(files["lora"]), str(other))


def test_a_blake3_hash_is_not_indexed_so_the_name_decides(library):
    files, index = library
    obj = aigif_file(vae={"name": "kl-f8", "hash": "blake3:" + "ab" * 32})
    [_, vae] = resolve_all(obj, index.files())
    assert (vae.status, vae.matched_by, vae.path) == ("found", "name", str(files["vae"]))
    assert "blake3" in vae.note
