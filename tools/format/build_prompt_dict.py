#!/usr/bin/env python3
"""Build the shipped prompt dictionary (a Zstandard dictionary) from the phrase-frequency table.

    python tools/format/build_prompt_dict.py            # build, write aigif/dictionaries/prompts-v1.zdict
    python tools/format/build_prompt_dict.py --check    # rebuild in memory, exit 1 unless identical to it
    python tools/format/build_prompt_dict.py --phrases PATH --out PATH --method M --size N

The only input is ``../shared/data/prompt-phrases.tsv`` (frequencies of comma-separated phrases over
~35,000 real records: phrase, records whose prompt holds it, records whose negative prompt holds
it). Nothing else enters the dictionary; in particular not ``records-dev.jsonl``, which is for
measuring only (``tools/format/measure_prompt_dict.py``).

How (``aigif/dictionaries/README.md`` has the measurements behind these choices):

1. *Synthetic records.* ``N_RECORDS`` prompt/negative pairs are drawn with a fixed-seed RNG: each
   phrase enters a record's prompt independently with probability in_prompts / R, and its negative
   prompt with probability in_negative_prompts / R (R = the number of records of the table, read
   from its header), so every phrase occurs in the synthetic records as often, per record, as in the
   real ones. A record's phrases are ordered by decreasing frequency (quality tags first, as people
   write them) and joined with ", ". Each record is laid out as the AIGIF text-block content
   (R5.5: uvarint length + prompt UTF-8, uvarint length + negative UTF-8), which is what the
   dictionary will compress.
2. *Content*, by ``--method``:
   ``phrases`` (shipped): the most frequent phrases of the table, each followed by ", ", the most
   frequent last (zstd codes near offsets in fewer bits), up to the size;
   ``cover``: zstd's fastCover trainer (``zstandard.train_dictionary``: one thread, fixed k, d, f
   and accel, every sample used for training) picks the content from the synthetic records;
   ``phrases-raw``: the ``phrases`` content alone, a raw-content dictionary (measured only: it has
   no header, so frames made with it carry no dictionary ID).
3. *Entropy tables and ID* (``phrases``, ``cover``). The content is finalized (libzstd's
   ``ZDICT_finalizeDictionary``; the trainer does the same internally) into a full dictionary:
   magic, dictionary ID, Huffman and FSE tables fitted to the synthetic records, repeat offsets,
   content. With the tables a small frame need not describe its own; with the ID every frame header
   says which dictionary it needs.

Determinism: the RNG is ``random.Random(SEED).random()`` (whose sequence Python guarantees across
versions) plus IEEE-754 arithmetic that does not depend on libm, the trainer runs on one thread with
every parameter fixed, and the output is compared byte for byte by ``--check`` (and by
tests/format/test_prompt_dict.py). The trainer's output may change with the libzstd version, so the
version the shipped file was built with is recorded (``ZSTD_VERSION``); ``--check`` says so
instead of failing obscurely if another one is installed.
"""

from __future__ import annotations

import argparse
import bisect
import ctypes
import functools
import hashlib
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import zstandard

from spec_encoder import text_content  # R5.5 content: two strings

ROOT = Path(__file__).resolve().parents[2]
PHRASES = ROOT.parent / "shared" / "data" / "prompt-phrases.tsv"
OUT = ROOT / "aigif" / "dictionaries" / "prompts-v1.zdict"

#: The dictionary ID written into every frame compressed with this dictionary. RFC 8878 section 5
#: reserves IDs 0..32767 and 2^31 and above for a registrar, not to be used by frames distributed in
#: public settings; AIGIF files are public, so the ID is the first unreserved one, 32768, which a
#: frame header stores in 2 bytes (an ID below 256 takes 1 byte: one byte per file less, measured,
#: but in the reserved range). The next AIGIF dictionary takes 32769, and so on.
DICT_ID = 32768
#: The shipped configuration (see the README for the measurements that chose it).
METHOD = "phrases"
SIZE = 112 * 1024
#: The libzstd version (inside the ``zstandard`` package) the shipped file was built with.
ZSTD_VERSION = (1, 5, 7)

SEED = 20240601
N_RECORDS = 20_000
#: fastCover parameters (fixed, so that no parameter search runs: k = segment size, d = dmer size,
#: f = log2 of the frequency table, accel = 1 is the most accurate).
COVER_K, COVER_D, COVER_F, COVER_ACCEL = 100, 8, 20, 1
#: Compression level at which the samples are parsed to fit the entropy tables: zstd's default, which
#: ZDICT uses unless told otherwise (fitting them at 19, the writer's level, measured 1 byte worse).
FINALIZE_LEVEL = 3
METHODS = ("phrases", "cover", "phrases-raw")


@dataclass(frozen=True)
class Phrase:
    text: str
    in_prompts: int
    in_negative: int


def read_phrases(path: Path = PHRASES) -> tuple[int, list[Phrase]]:
    """The table: (number of records it was counted over, phrases in file order)."""
    records = None
    phrases: list[Phrase] = []
    header_seen = False
    with open(path, encoding="utf-8", newline="\n") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("#"):
                match = re.search(r"over (\d+) real", line)
                if match:
                    records = int(match.group(1))
                continue
            cells = line.split("\t")
            if not header_seen:
                if cells != ["phrase", "in_prompts", "in_negative_prompts"]:
                    raise SystemExit(f"{path}: unexpected header {cells}")
                header_seen = True
                continue
            if len(cells) != 3:
                raise SystemExit(f"{path}: bad line {line!r}")
            phrases.append(Phrase(cells[0], int(cells[1]), int(cells[2])))
    if records is None:
        raise SystemExit(f"{path}: no '# ... over N real ... records' header line")
    return records, phrases


class _BernoulliField:
    """Draws, for one field, each phrase independently with probability count / records.

    Exact and fast: phrases are grouped by probability into bands (q/2, q] with q = 2^-b; within a
    band, candidate positions come from geometric skips at rate q (inverse CDF by bisection on a
    table of (1 - q)^k made by repeated multiplication, so no libm call), and a candidate is kept
    with probability p / q. Only ``rng.random()`` and IEEE arithmetic are used: portable and stable.
    """

    def __init__(self, counts: list[int], records: int):
        order = sorted((i for i, c in enumerate(counts) if c > 0), key=lambda i: (-counts[i], i))
        self.bands: list[tuple[float, list[int], list[float], list[float]]] = []
        band: dict[int, list[int]] = {}
        for i in order:
            p = counts[i] / records
            if p >= 1.0:
                raise SystemExit("a phrase occurs in more records than the table counts")
            b = 0
            while p <= 2.0 ** -(b + 1):
                b += 1
            band.setdefault(b, []).append(i)
        for b in sorted(band):
            q = 2.0 ** -b
            members = band[b]
            accept = [counts[i] / records / q for i in members]
            # survival[k] = (1 - q)^(k + 1): P(skip > k). Decreasing; negated for bisect.
            survival, s = [], 1.0
            for _ in range(len(members)):
                s *= 1.0 - q
                survival.append(-s)
            self.bands.append((q, members, accept, survival))

    def draw(self, rng: random.Random) -> list[int]:
        chosen: list[int] = []
        for q, members, accept, survival in self.bands:
            if q >= 1.0:  # p in (1/2, 1]: plain Bernoulli per phrase
                chosen.extend(i for i, a in zip(members, accept) if rng.random() < a)
                continue
            pos = -1
            while True:
                # skip = number of failures before the next success, P(skip > k) = (1-q)^(k+1)
                u = rng.random()
                skip = bisect.bisect_right(survival, -u)
                pos += skip + 1
                if pos >= len(members):
                    break
                if rng.random() < accept[pos]:
                    chosen.append(members[pos])
        return chosen


def synthetic_records(records: int, phrases: list[Phrase], n: int = N_RECORDS,
                      seed: int = SEED) -> list[tuple[str, str]]:
    """``n`` synthetic (prompt, negative prompt) pairs, phrases in decreasing frequency order."""
    rng = random.Random(seed)
    fields = [_BernoulliField([p.in_prompts for p in phrases], records),
              _BernoulliField([p.in_negative for p in phrases], records)]
    rank = [[0] * len(phrases) for _ in fields]
    for f, key in enumerate((lambda p: p.in_prompts, lambda p: p.in_negative)):
        for r, i in enumerate(sorted(range(len(phrases)), key=lambda i: (-key(phrases[i]), i))):
            rank[f][i] = r
    out = []
    for _ in range(n):
        pair = []
        for f, field in enumerate(fields):
            chosen = sorted(field.draw(rng), key=lambda i: rank[f][i])
            pair.append(", ".join(phrases[i].text for i in chosen))
        out.append((pair[0], pair[1]))
    return out


def samples(records: int, phrases: list[Phrase], n: int = N_RECORDS, seed: int = SEED) -> list[bytes]:
    """The synthetic records as AIGIF text-block contents (what the dictionary will compress)."""
    return [text_content(p, n_) for p, n_ in synthetic_records(records, phrases, n, seed)]


@functools.lru_cache(maxsize=2)
def _samples_of(phrases_path: str) -> list[bytes]:
    return samples(*read_phrases(Path(phrases_path)))


def phrase_content(phrases: list[Phrase], budget: int) -> bytes:
    """The most frequent phrases that fit in ``budget`` bytes, each followed by ", ", most frequent
    last (zstd codes near offsets in fewer bits). Frequency = records holding the phrase in either
    field; ties keep the table's order. Phrases of similar frequency often come from the same
    copied template, so neighbours in this order are often neighbours in real prompts too."""
    order = sorted(range(len(phrases)),
                   key=lambda i: (-(phrases[i].in_prompts + phrases[i].in_negative), i))
    picked: list[bytes] = []
    total = 0
    for i in order:
        data = phrases[i].text.encode("utf-8") + b", "
        if total + len(data) > budget:
            break
        picked.append(data)
        total += len(data)
    return b"".join(reversed(picked))


# --- libzstd's ZDICT_finalizeDictionary, not wrapped by python-zstandard --------------------------

class _ZDictParams(ctypes.Structure):
    _fields_ = [("compressionLevel", ctypes.c_int), ("notificationLevel", ctypes.c_uint),
                ("dictID", ctypes.c_uint)]


def _libzstd() -> ctypes.CDLL:
    """The libzstd linked into python-zstandard (the version its compressor uses), via ctypes.

    python-zstandard does not wrap ``ZDICT_finalizeDictionary``, but its compiled modules carry
    libzstd; the cffi one exports the ZDICT functions. Loading it with ctypes does not import it.
    """
    package = Path(zstandard.__file__).parent
    for path in sorted(package.glob("*.so")) + sorted(package.glob("*.pyd")):
        try:
            lib = ctypes.CDLL(str(path))
        except OSError:
            continue
        if hasattr(lib, "ZDICT_finalizeDictionary") and hasattr(lib, "ZSTD_versionNumber"):
            lib.ZSTD_versionNumber.restype = ctypes.c_uint
            major, minor, patch = zstandard.ZSTD_VERSION
            if lib.ZSTD_versionNumber() == major * 10000 + minor * 100 + patch:
                return lib
    raise SystemExit("cannot find ZDICT_finalizeDictionary in the zstandard package's libzstd")


def finalize(content: bytes, sample_list: list[bytes], dict_id: int, size: int,
             level: int = FINALIZE_LEVEL) -> bytes:
    """A full zstd dictionary (magic, ID, entropy tables fitted to the samples, content)."""
    lib = _libzstd()
    lib.ZDICT_finalizeDictionary.restype = ctypes.c_size_t
    lib.ZDICT_finalizeDictionary.argtypes = [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_size_t), ctypes.c_uint, _ZDictParams]
    lib.ZDICT_isError.restype = ctypes.c_uint
    lib.ZDICT_getErrorName.restype = ctypes.c_char_p
    buf = b"".join(sample_list)
    sizes = (ctypes.c_size_t * len(sample_list))(*map(len, sample_list))
    dst = ctypes.create_string_buffer(size)
    written = lib.ZDICT_finalizeDictionary(
        dst, size, content, len(content), buf, sizes, len(sample_list),
        _ZDictParams(level, 0, dict_id))
    if lib.ZDICT_isError(written):
        raise SystemExit(f"ZDICT_finalizeDictionary: {lib.ZDICT_getErrorName(written).decode()}")
    return dst.raw[:written]


def build(method: str = METHOD, size: int = SIZE, dict_id: int = DICT_ID,
          phrases_path: Path = PHRASES) -> bytes:
    """The dictionary bytes for one configuration, at most ``size`` bytes; the same on every run."""
    records, phrases = read_phrases(phrases_path)
    if method == "phrases-raw":
        return phrase_content(phrases, size)
    sample_list = _samples_of(str(phrases_path))
    if method == "phrases":
        # Two passes: the first learns the size of the header + tables, the second fills the rest
        # (less a small margin, as the tables may change a little with the content).
        header = len(finalize(phrase_content(phrases, size // 2), sample_list, dict_id, size)) - \
            len(phrase_content(phrases, size // 2))
        content = phrase_content(phrases, size - header - 64)
        data = finalize(content, sample_list, dict_id, size)
        if not data.endswith(content):  # finalize cuts the content's start if it does not fit
            raise SystemExit("the dictionary header grew: the content was cut; raise the margin")
        return data
    if method == "cover":
        trained = zstandard.train_dictionary(
            size, sample_list, k=COVER_K, d=COVER_D, f=COVER_F, accel=COVER_ACCEL,
            split_point=1.0, steps=1, threads=1, dict_id=dict_id, level=FINALIZE_LEVEL)
        return trained.as_bytes()
    raise ValueError(f"unknown method {method!r} (one of {', '.join(METHODS)})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--phrases", type=Path, default=PHRASES)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--method", choices=METHODS, default=METHOD)
    ap.add_argument("--size", type=int, default=SIZE)
    ap.add_argument("--dict-id", type=int, default=DICT_ID)
    ap.add_argument("--check", action="store_true",
                    help="rebuild in memory and exit 1 unless identical to --out")
    args = ap.parse_args(argv)
    if zstandard.ZSTD_VERSION != ZSTD_VERSION:
        print(f"warning: libzstd {zstandard.ZSTD_VERSION} here, the shipped dictionary was built "
              f"with {ZSTD_VERSION}; the trainer's output may differ", file=sys.stderr)
    data = build(args.method, args.size, args.dict_id, args.phrases)
    digest = hashlib.sha256(data).hexdigest()
    print(f"input {args.phrases} (sha256 {hashlib.sha256(args.phrases.read_bytes()).hexdigest()})")
    if args.check:
        shipped = args.out.read_bytes() if args.out.exists() else b""
        if shipped != data:
            print(f"{args.out}: differs from a rebuild (rebuilt {len(data)} bytes, sha256 {digest}; "
                  f"shipped {len(shipped)} bytes, sha256 {hashlib.sha256(shipped).hexdigest()})",
                  file=sys.stderr)
            return 1
        print(f"{args.out}: identical to a rebuild ({len(data)} bytes, sha256 {digest})")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data)} bytes, sha256 {digest}, dict ID {args.dict_id}, "
          f"method {args.method})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
