"""The importer reads images from strangers too: any bytes give an AIGIF file or a ``SourceError``.

Issue 7's contract for the reader (anything but ``AigifError`` is a bug) holds for ``aigif import``
as well. Two kinds of mutation of the real fixtures in ``tests/data/import``: of the image bytes
(with the PNG chunk CRCs recomputed most of the time, so that the mutation reaches the chunk
parsers rather than Pillow's CRC check), and of the metadata texts the containers found (so that
it reaches the dialect parsers: the A1111 grammar, ComfyUI's graph, InvokeAI's and NovelAI's JSON).
"""

from __future__ import annotations

import dataclasses
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aigif
from aigif._format._write import dumps
from aigif._import import _containers, _dialects, _to_aigif

pytest.importorskip("PIL")

FIXTURES = sorted(p for p in (Path(__file__).resolve().parents[1] / "data" / "import").rglob("*")
                  if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def reseal_png(data: bytes) -> bytes:
    """Recompute every complete chunk's CRC (a cut last chunk is left as it is)."""
    if not data.startswith(PNG_SIGNATURE):
        return data
    out, pos = bytearray(PNG_SIGNATURE), len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        if pos + 12 + length > len(data):
            break
        kind_and_body = data[pos + 4:pos + 8 + length]
        out += data[pos:pos + 8 + length] + struct.pack(">I", zlib.crc32(kind_and_body))
        pos += 12 + length
    return bytes(out + data[pos:])


def assert_valid_file(data: bytes, obj: aigif.AigifFile) -> None:
    """What is imported is a valid file that reads back as imported (the writer chose the compressors)."""
    back = aigif.loads(data)
    assert (back.platform, back.model, back.data, back.source) == (obj.platform, obj.model, obj.data, obj.source)


@st.composite
def mutated_images(draw):
    path = draw(st.sampled_from(FIXTURES))
    data = bytearray(path.read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "set", "delete", "insert", "word"]))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            data[at] = draw(st.sampled_from([0x00, 0x7F, 0x80, 0xFF]))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:  # a length or count field gone wild
            data[at:at + 4] = draw(st.sampled_from([b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\0\0\0\0"]))
    data = bytes(data)
    return path.suffix, reseal_png(data) if draw(st.booleans()) or draw(st.booleans()) else data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(mutated_images())
def test_mutated_images_are_imported_or_refused_with_a_source_error(tmp_path, image):
    suffix, data = image
    path = tmp_path / f"image{suffix}"
    path.write_bytes(data)
    try:
        obj, report = aigif.import_image(path)
    except aigif.AigifError:
        return
    assert_valid_file(aigif.dumps(obj), obj)


TEXT_EDITS = ['"', "{", "}", "[", "]", ",", ":", "\n", "\\", "-1", "1e999", "NaN", "null", "9" * 30, "\x00"]


@st.composite
def mutated_texts(draw):
    path = draw(st.sampled_from(FIXTURES))
    info, carriers = _containers.read_carriers(str(path))
    edited = []
    for carrier in carriers:
        text = carrier.text
        for _ in range(draw(st.integers(0, 3))):
            if not text:
                break
            at = draw(st.integers(0, len(text) - 1))
            kind = draw(st.sampled_from(["insert", "delete", "cut", "repeat"]))
            if kind == "insert":
                text = text[:at] + draw(st.sampled_from(TEXT_EDITS)) + text[at:]
            elif kind == "delete":
                text = text[:at] + text[at + draw(st.integers(1, 20)):]
            elif kind == "cut":
                text = text[:at]
            else:
                text = text[:at] + text[at:at + draw(st.integers(1, 40))] * draw(st.integers(2, 4)) + text[at:]
        edited.append(dataclasses.replace(carrier, text=text))
    return path, info, edited


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_texts())
def test_mutated_metadata_texts_are_imported_or_refused_with_a_source_error(case):
    path, info, carriers = case
    try:
        found = _dialects.parse(carriers) if carriers else None
        if found is None:
            return
        obj, verdict, notes = _to_aigif(found, info, carriers, str(path))
        data = dumps(obj)
    except aigif.AigifError:
        return
    assert_valid_file(data, obj)
    assert verdict.level in ("exact-possible", "approximate", "not-recreatable")


def test_the_fixtures_are_there_and_carry_metadata():
    """The properties above are only as good as their seeds."""
    assert len(FIXTURES) >= 30
    assert sum(bool(_containers.read_carriers(str(path))[1]) for path in FIXTURES) >= 30
