"""The shipped prompt dictionary (aigif/dictionaries/prompts-v1.zdict).

- it is what ``tools/format/build_prompt_dict.py --check`` rebuilds from the phrase table (when the table,
  which lives outside the repository in ../shared, is on this machine);
- its SHA-256, size and ID are the ones aigif/dictionaries/README.md states;
- text-block contents round-trip through zstd with it, in frames that declare their size, carry its
  ID and a window no larger than their content;
- the synthetic-record generator behind it is deterministic and draws phrases at their rates.
"""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

import build_prompt_dict as bpd
from spec_encoder import text_content

ROOT = Path(__file__).resolve().parents[2]
DICT_PATH = ROOT / "aigif" / "dictionaries" / "prompts-v1.zdict"
README = ROOT / "aigif" / "dictionaries" / "README.md"
ZSTD_DICT_MAGIC = b"\x37\xa4\x30\xec"

# Phrases of the kind real prompts are made of (written for this test, not taken from any data).
VOCABULARY = [
    "masterpiece", "best quality", "1girl", "solo", "looking at viewer", "long hair", "smile",
    "(worst quality:2)", "(low quality:1.4)", "lowres", "bad anatomy", "bad hands", "text",
    "watermark", "signature", "blurry", "jpeg artifacts", "((monochrome))", "EasyNegative",
    "<lora:some_style:0.8>", "photorealistic", "8k", "cinematic lighting", "a castle on a hill",
    "portrait of an old fisherman", "BREAK", "ultra-detailed", "extra fingers", "deformed",
]


@pytest.fixture(scope="module")
def shipped() -> bytes:
    return DICT_PATH.read_bytes()


@pytest.fixture(scope="module")
def zdict(shipped) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(shipped, dict_type=zstandard.DICT_TYPE_FULLDICT)


@pytest.fixture(scope="module")
def cctx(zdict) -> zstandard.ZstdCompressor:
    return zstandard.ZstdCompressor(level=19, dict_data=zdict, write_content_size=True,
                                    write_checksum=False, write_dict_id=True)


@pytest.fixture(scope="module")
def dctx(zdict) -> zstandard.ZstdDecompressor:
    return zstandard.ZstdDecompressor(dict_data=zdict)


def readme_value(label: str) -> str:
    match = re.search(rf"^\| {re.escape(label)} \| `?([^`|]+?)`? \|", README.read_text(), re.M)
    assert match, f"README.md has no '| {label} |' row"
    return match.group(1).strip()


def test_readme_states_the_shipped_file(shipped, zdict):
    assert hashlib.sha256(shipped).hexdigest() == readme_value("SHA-256")
    assert len(shipped) == int(readme_value("size (bytes)").replace(",", ""))
    assert zdict.dict_id() == int(readme_value("dictionary ID")) == bpd.DICT_ID


def test_is_a_full_dictionary_with_an_unreserved_id(shipped, zdict):
    # Full dictionary: zstd's magic, then the ID (u32 little-endian), then entropy tables + content.
    assert shipped[:4] == ZSTD_DICT_MAGIC
    assert int.from_bytes(shipped[4:8], "little") == bpd.DICT_ID
    # RFC 8878 section 5: 0..32767 and >= 2^31 are reserved for a registrar.
    assert 32768 <= zdict.dict_id() < 2**31
    assert len(shipped) <= 112 * 1024  # small enough to ship in the wheel


def test_matches_a_rebuild(capsys):
    """``tools/format/build_prompt_dict.py --check``: the shipped bytes are exactly what the tool makes."""
    if not bpd.PHRASES.exists():
        pytest.skip(f"the phrase table is not on this machine ({bpd.PHRASES})")
    if zstandard.ZSTD_VERSION != bpd.ZSTD_VERSION:
        pytest.skip(f"libzstd {zstandard.ZSTD_VERSION} here; the dictionary was built with "
                    f"{bpd.ZSTD_VERSION}, whose finalizer output is what --check compares")
    assert bpd.main(["--check"]) == 0, capsys.readouterr().err


def test_check_refuses_a_different_file(tmp_path, shipped):
    if not bpd.PHRASES.exists():
        pytest.skip(f"the phrase table is not on this machine ({bpd.PHRASES})")
    tampered = tmp_path / "prompts.zdict"
    tampered.write_bytes(shipped[:-1] + bytes([shipped[-1] ^ 1]))
    assert bpd.main(["--check", "--out", str(tampered)]) == 1


def prompts():
    phrase = st.one_of(st.sampled_from(VOCABULARY), st.text(max_size=40))
    field = st.lists(phrase, max_size=40).map(", ".join)
    return st.tuples(field, field)


@settings(max_examples=300, deadline=None)
@given(prompts())
def test_round_trip(cctx, dctx, pair):
    content = text_content(*pair)
    frame = cctx.compress(content)
    params = zstandard.get_frame_parameters(frame)
    assert params.dict_id == bpd.DICT_ID  # the frame says which dictionary it needs
    assert params.content_size == len(content)  # R5.5: the frame declares its size
    assert not params.has_checksum
    assert params.window_size <= max(len(content), 1 << 10)  # far below R5.5's 1 MiB
    assert dctx.decompress(frame) == content
    # the bound a reader applies (R5.5: stop as soon as the content would exceed it) is met too
    assert dctx.decompress(frame, max_output_size=131_076) == content


def test_dictionary_pays_off_on_typical_text(cctx):
    rng = random.Random(7)
    plain = zstandard.ZstdCompressor(level=19, write_content_size=True, write_checksum=False)
    for _ in range(50):
        content = text_content(", ".join(rng.sample(VOCABULARY[:7] + VOCABULARY[20:], 8)),
                               ", ".join(rng.sample(VOCABULARY[7:20], 10)))
        assert len(cctx.compress(content)) < len(plain.compress(content))


def test_frame_needs_its_dictionary(cctx):
    """A reader without the dictionary (or with another) cannot decode the frame: it must look up
    the frame's dictionary ID and refuse an unknown one before trying."""
    frame = cctx.compress(text_content("masterpiece, best quality, 1girl", "lowres, bad anatomy"))
    with pytest.raises(zstandard.ZstdError):
        zstandard.ZstdDecompressor().decompress(frame)
    other = zstandard.ZstdCompressionDict(b"some other content, " * 64,
                                          dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    with pytest.raises(zstandard.ZstdError):
        zstandard.ZstdDecompressor(dict_data=other).decompress(frame)


# --- the generator of synthetic records, on a small made-up table ------------------------------

def small_table(tmp_path) -> Path:
    rows = [("alpha", 600, 0), ("beta", 300, 10), ("gamma", 0, 900), ("delta", 50, 50),
            ("epsilon", 5, 5)] + [(f"w{i}", 7, 3) for i in range(300)]
    path = tmp_path / "phrases.tsv"
    path.write_text("# phrase frequencies over 1000 real prompt/negative-prompt records (x)\n"
                    "phrase\tin_prompts\tin_negative_prompts\n"
                    + "".join(f"{p}\t{a}\t{b}\n" for p, a, b in rows), encoding="utf-8")
    return path


def test_synthetic_records_are_deterministic_and_at_the_table_rates(tmp_path):
    records, phrases = bpd.read_phrases(small_table(tmp_path))
    assert records == 1000 and len(phrases) == 305
    first = bpd.synthetic_records(records, phrases, n=4000, seed=1)
    assert first == bpd.synthetic_records(records, phrases, n=4000, seed=1)
    assert first != bpd.synthetic_records(records, phrases, n=4000, seed=2)
    for field, column in ((0, "in_prompts"), (1, "in_negative")):
        counts: dict[str, int] = {}
        for pair in first:
            for phrase in filter(None, pair[field].split(", ")):
                counts[phrase] = counts.get(phrase, 0) + 1
        for phrase in phrases[:5]:
            expected = getattr(phrase, column) / records * 4000
            assert abs(counts.get(phrase.text, 0) - expected) <= 4 * expected ** 0.5 + 3, phrase
        tail = sum(counts.get(p.text, 0) for p in phrases[5:])
        expected = sum(getattr(p, column) for p in phrases[5:]) / records * 4000
        assert abs(tail - expected) <= 4 * expected ** 0.5
    # phrases of a field come in decreasing order of their frequency in it
    assert any(p[0].startswith("alpha, beta") for p in first)
    assert all(not p[0].startswith("beta, alpha") for p in first)


def test_synthetic_records_are_stable_across_versions(tmp_path):
    """The sampler uses only ``random.Random(seed).random()`` (stable across Python versions, by
    Python's own guarantee) and IEEE arithmetic, so this digest must never change."""
    records, phrases = bpd.read_phrases(small_table(tmp_path))
    samples = bpd.samples(records, phrases, n=500, seed=3)
    # laid out as the R5.5 text-block content (checked against the independent spec encoder)
    assert samples == [text_content(p, n) for p, n in
                       bpd.synthetic_records(records, phrases, n=500, seed=3)]
    digest = hashlib.sha256(b"".join(samples)).hexdigest()
    assert digest == SAMPLES_DIGEST


SAMPLES_DIGEST = "0edf8ddfefa019e328efb4e14bae2d5a21a6f32cc98a260206c16be84990b569"


def test_a_missing_or_altered_dictionary_is_refused_not_a_crash(monkeypatch):
    """R5.6/R9.1: a reader without the published dictionary refuses with unsupported-compressor;
    the writer falls back to the other compressors."""
    import aigif
    from aigif._format import _dictionaries

    prompt = "masterpiece, best quality, 1girl, solo, looking at viewer, lowres, bad anatomy"
    data = aigif.dumps(aigif.AigifFile(data=aigif.Data(prompt=prompt)))
    assert aigif.loads(data).compression.text_compressor == "zstd-dict"
    monkeypatch.setitem(_dictionaries.DICTIONARIES, 32768, ("prompts-v1.zdict", "0" * 64))
    _dictionaries.dictionary.cache_clear(), _dictionaries.decompressor.cache_clear()
    _dictionaries.compressor.cache_clear()
    try:
        with pytest.raises(aigif.FormatError) as err:
            aigif.loads(data)
        assert err.value.code == "unsupported-compressor" and "32768" in err.value.message
        again = aigif.dumps(aigif.AigifFile(data=aigif.Data(prompt=prompt)))
        assert aigif.loads(again).compression.text_compressor in ("none", "zlib", "zstd")
    finally:
        monkeypatch.undo()
        _dictionaries.dictionary.cache_clear(), _dictionaries.decompressor.cache_clear()
        _dictionaries.compressor.cache_clear()
