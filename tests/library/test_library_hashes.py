"""Every hash from one read, checked against hashlib/zlib on the same bytes (the definitions of
aigif/_library/_hashes.py, computed independently here)."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib

import pytest

from aigif._library import _hashes
from aigif._library._hashes import hash_file, hash_stream
from library_helpers import safetensors_bytes


def expected(data: bytes, safetensors: bool = False) -> dict:
    start = 8 + struct.unpack("<Q", data[:8])[0] if safetensors else None
    return {"sha256": hashlib.sha256(data).hexdigest(),
            "autov1": hashlib.sha256(data[0x100000:0x110000]).hexdigest()[:8],
            "crc32": f"{zlib.crc32(data):08x}",
            "data_sha256": hashlib.sha256(data[start:]).hexdigest() if safetensors else None}


def test_a_small_file(tmp_path):
    data = b"a small model file"
    (tmp_path / "m.bin").write_bytes(data)
    hashes = hash_file(tmp_path / "m.bin")
    assert hashes.as_dict() == expected(data)
    assert hashes.autov1 == hashlib.sha256(b"").hexdigest()[:8]  # the window is empty, as A1111's read was
    assert hashes.data_sha256 is None


@pytest.mark.parametrize("chunk", [_hashes.CHUNK, 7919, 0x10000])
def test_autov1_hashes_64_kib_at_1_mib_whatever_the_reads(tmp_path, monkeypatch, chunk):
    """A >1 MiB file: AutoV1 is SHA-256 of bytes 0x100000..0x110000, even when reads straddle them."""
    monkeypatch.setattr(_hashes, "CHUNK", chunk)
    data = os.urandom(0x100000 + 0x10000 + 12345)
    (tmp_path / "big.ckpt").write_bytes(data)
    hashes = hash_file(tmp_path / "big.ckpt")
    assert hashes.autov1 == hashlib.sha256(data[0x100000:0x110000]).hexdigest()[:8]
    assert hashes.as_dict() == expected(data)


def test_a_window_cut_short_by_the_end_of_the_file(tmp_path):
    data = os.urandom(0x100000 + 100)
    (tmp_path / "m.pt").write_bytes(data)
    assert hash_file(tmp_path / "m.pt").autov1 == hashlib.sha256(data[0x100000:]).hexdigest()[:8]


@pytest.mark.parametrize("chunk", [_hashes.CHUNK, 5, 64])
def test_autov3_is_the_sha256_after_the_safetensors_header(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(_hashes, "CHUNK", chunk)
    data = safetensors_bytes(["a.weight", "b.weight"], data=os.urandom(300), metadata={"ss_x": "y"})
    (tmp_path / "l.safetensors").write_bytes(data)
    hashes = hash_file(tmp_path / "l.safetensors", safetensors=True)
    assert hashes.as_dict() == expected(data, safetensors=True)
    assert hashes.data_sha256 != hashes.sha256


def test_the_header_does_not_change_autov3_but_changes_autov2(tmp_path):
    tensors = os.urandom(64)
    one = hash_stream(io.BytesIO(safetensors_bytes(["w"], data=tensors, metadata={"a": "1"})), safetensors=True)
    two = hash_stream(io.BytesIO(safetensors_bytes(["w"], data=tensors, metadata={"a": "2"})), safetensors=True)
    assert one.data_sha256 == two.data_sha256 == hashlib.sha256(tensors).hexdigest()
    assert one.sha256 != two.sha256
