#!/usr/bin/env python3
"""Measure the prompt dictionary: text-block bytes and times over real records.

    python tools/format/measure_prompt_dict.py [--records ../shared/data/records-dev.jsonl]
                                        [--json bench-results/prompt-dict.json] [--quick]

For every record, the R5.5 text-block content (uvarint length + prompt, uvarint length + negative
prompt) is compressed by each method and the size of the *stored* block is recorded (the text block
adds its own uvarint length, 1 or 2 bytes, the same for every method):

- ``none``, ``zlib-9``, ``zstd-19`` (content size declared, no checksum, no dictionary);
- ``zstd-19+<method>-<KiB>``: with each candidate dictionary of tools/format/build_prompt_dict.py
  (content size declared, no checksum, the dictionary ID in the frame header; a ``phrases-raw``
  dictionary has no ID to write), built in memory from the phrase table;
- ``zstd-19+shipped``: with aigif/dictionaries/prompts-v1.zdict as shipped;
- ``min(none,zlib,zstd)`` and ``min(...,zstd+shipped)``: what a writer that keeps the smallest
  encoding per record gets, without and with the dictionary.

It prints mean, median and p90 per method, the same for the even and the odd records (so that a
choice among candidates made on all records can be seen to hold on each half), and the times of
the dictionary path: compressing and decompressing one record (a ZstdCompressor / ZstdDecompressor
built once and reused), and the one-off cost of loading the dictionary (which a reader caches).

The records are read, never written: only sizes, times and counts go to the JSON file (git-ignored
bench-results/). Nothing measured here feeds back into the dictionary.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import statistics
import sys
import time
import zlib
from pathlib import Path

import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_prompt_dict as bpd  # noqa: E402
from spec_encoder import text_content  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT.parent / "shared" / "data" / "records-dev.jsonl"
SIZES_KIB = (16, 32, 64, 112)


def load_contents(path: Path) -> list[bytes]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                out.append(text_content(rec.get("prompt") or "", rec.get("negative_prompt") or ""))
    return out


def stats(values: list[int] | list[float]) -> dict:
    v = sorted(values)
    return {"mean": round(statistics.fmean(v), 2), "median": statistics.median(v),
            "p90": v[min(len(v) - 1, int(0.9 * len(v)))], "max": v[-1]}


def zstd_dict(data: bytes) -> zstandard.ZstdCompressionDict:
    # A dictionary without the zstd dictionary magic is raw content; with it, a full dictionary.
    kind = zstandard.DICT_TYPE_FULLDICT if data[:4] == b"\x37\xa4\x30\xec" else \
        zstandard.DICT_TYPE_RAWCONTENT
    return zstandard.ZstdCompressionDict(data, dict_type=kind)


def compressor(dictionary: bytes | None) -> zstandard.ZstdCompressor:
    kwargs = {"dict_data": zstd_dict(dictionary)} if dictionary is not None else {}
    return zstandard.ZstdCompressor(level=19, write_content_size=True, write_checksum=False,
                                    write_dict_id=True, **kwargs)


def check_frames(frames: list[bytes], contents: list[bytes], dictionary: bytes | None,
                 dict_id: int) -> dict:
    """Every frame round-trips, declares its size, carries ``dict_id``; the largest window."""
    dctx = zstandard.ZstdDecompressor(**({"dict_data": zstd_dict(dictionary)} if dictionary else {}))
    max_window = 0
    for frame, content in zip(frames, contents):
        params = zstandard.get_frame_parameters(frame)
        assert params.content_size == len(content), "frame does not declare its content size"
        assert params.dict_id == dict_id, (params.dict_id, dict_id)
        assert not params.has_checksum
        assert dctx.decompress(frame) == content
        max_window = max(max_window, params.window_size)
    return {"max_window_size": max_window, "dict_id_in_frames": dict_id}


def per_record_us(func, items: list[bytes], passes: int) -> dict:
    """Mean time of one call over all ``items`` (median of ``passes`` passes) and the median and
    p90 of single timed calls (these include ~0.05 us of timer overhead)."""
    for item in items[:500]:
        func(item)
    pass_means = []
    for _ in range(passes):
        start = time.perf_counter_ns()
        for item in items:
            func(item)
        pass_means.append((time.perf_counter_ns() - start) / len(items) / 1000)
    single = []
    clock = time.perf_counter_ns
    for item in items:
        t0 = clock()
        func(item)
        single.append((clock() - t0) / 1000)
    single.sort()
    return {"mean_us": round(statistics.median(pass_means), 2),
            "median_us": round(statistics.median(single), 2),
            "p90_us": round(single[int(0.9 * len(single))], 2)}


def load_cost_us(dictionary: bytes, frame: bytes, repeat: int) -> dict:
    """One-off costs: ZstdCompressionDict + ZstdDecompressor + the first decompression (which
    digests the dictionary), minus a warm decompression; and building a level-19 compressor with
    its digested dictionary (precompute_compress) for the writer."""
    warm = zstandard.ZstdDecompressor(dict_data=zstd_dict(dictionary))
    warm.decompress(frame)
    cold_load, warm_one, cdict = [], [], []
    for _ in range(repeat):
        t0 = time.perf_counter_ns()
        dctx = zstandard.ZstdDecompressor(dict_data=zstd_dict(dictionary))
        dctx.decompress(frame)
        t1 = time.perf_counter_ns()
        warm.decompress(frame)
        t2 = time.perf_counter_ns()
        d = zstd_dict(dictionary)
        d.precompute_compress(level=19)
        cctx = zstandard.ZstdCompressor(level=19, dict_data=d, write_content_size=True,
                                        write_checksum=False)
        cctx.compress(b"\x00\x00")
        t3 = time.perf_counter_ns()
        cold_load.append((t1 - t0) / 1000)
        warm_one.append((t2 - t1) / 1000)
        cdict.append((t3 - t2) / 1000)
    return {"reader_load_us": round(statistics.median(cold_load) - statistics.median(warm_one), 1),
            "reader_first_decompress_total_us": round(statistics.median(cold_load), 1),
            "writer_load_us": round(statistics.median(cdict), 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=Path, default=RECORDS)
    ap.add_argument("--phrases", type=Path, default=bpd.PHRASES)
    ap.add_argument("--dictionary", type=Path, default=bpd.OUT)
    ap.add_argument("--json", type=Path, default=ROOT / "bench-results" / "prompt-dict.json")
    ap.add_argument("--passes", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="only the shipped dictionary, no candidates")
    args = ap.parse_args(argv)

    contents = load_contents(args.records)
    shipped = args.dictionary.read_bytes()
    shipped_id = zstd_dict(shipped).dict_id()

    candidates: dict[str, bytes] = {}
    if not args.quick:
        for method in bpd.METHODS:
            for kib in SIZES_KIB:
                candidates[f"{method}-{kib}"] = bpd.build(method, kib * 1024, bpd.DICT_ID, args.phrases)

    sizes: dict[str, list[int]] = {
        "none": [len(c) for c in contents],
        "zlib-9": [len(zlib.compress(c, 9)) for c in contents],
    }
    plain = compressor(None)
    sizes["zstd-19"] = [len(plain.compress(c)) for c in contents]
    checks = {}
    for name, data in list(candidates.items()) + [("shipped", shipped)]:
        cctx = compressor(data)
        frames = [cctx.compress(c) for c in contents]
        sizes[f"zstd-19+{name}"] = [len(f) for f in frames]
        checks[name] = check_frames(frames, contents, data, zstd_dict(data).dict_id())
        checks[name].update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    base = ("none", "zlib-9", "zstd-19")
    sizes["min(none,zlib,zstd)"] = [min(v) for v in zip(*(sizes[m] for m in base))]
    sizes["min(none,zlib,zstd,zstd+shipped)"] = [
        min(v) for v in zip(*(sizes[m] for m in base + ("zstd-19+shipped",)))]
    picked = {m: 0 for m in base + ("zstd-19+shipped",)}
    for i in range(len(contents)):
        best = min(base + ("zstd-19+shipped",), key=lambda m: (sizes[m][i], m != "zstd-19+shipped"))
        picked[best] += 1

    table = {m: stats(v) for m, v in sizes.items()}
    halves = {m: {"even": stats(v[0::2])["mean"], "odd": stats(v[1::2])["mean"]}
              for m, v in sizes.items()}

    print(f"{len(contents)} records, text-block content = R5.5 (two strings); stored-block bytes\n")
    print(f"{'method':40} {'mean':>8} {'median':>7} {'p90':>6} {'max':>6}   {'even':>7} {'odd':>7}")
    for m, s in table.items():
        print(f"{m:40} {s['mean']:8.1f} {s['median']:7} {s['p90']:6} {s['max']:6}   "
              f"{halves[m]['even']:7.1f} {halves[m]['odd']:7.1f}")
    print(f"\nper-record pick (ties to the dictionary): {picked}")

    # Times of the dictionary path (shipped dictionary) and, for reference, of plain zstd and zlib.
    times = {}
    cctx = compressor(shipped)
    frames = [cctx.compress(c) for c in contents]
    dctx = zstandard.ZstdDecompressor(dict_data=zstd_dict(shipped))
    times["zstd-19+shipped"] = {
        "compress": per_record_us(cctx.compress, contents, args.passes),
        "decompress": per_record_us(dctx.decompress, frames, args.passes)}
    plain_frames = [plain.compress(c) for c in contents]
    pdctx = zstandard.ZstdDecompressor()
    times["zstd-19"] = {"compress": per_record_us(plain.compress, contents, args.passes),
                        "decompress": per_record_us(pdctx.decompress, plain_frames, args.passes)}
    zframes = [zlib.compress(c, 9) for c in contents]
    times["zlib-9"] = {"compress": per_record_us(lambda c: zlib.compress(c, 9), contents, args.passes),
                       "decompress": per_record_us(zlib.decompress, zframes, args.passes)}
    load = load_cost_us(shipped, frames[0], repeat=200)
    print("\ntimes per record, us (mean over all records; median and p90 of single calls):")
    for m, t in times.items():
        for op, v in t.items():
            print(f"  {m:18} {op:10} mean {v['mean_us']:8.2f}  median {v['median_us']:8.2f}  "
                  f"p90 {v['p90_us']:8.2f}")
    print(f"  loading the dictionary: reader (ZstdCompressionDict + ZstdDecompressor + digest) "
          f"{load['reader_load_us']} us; writer (level-19 digest) {load['writer_load_us']} us")

    result = {
        "records": len(contents),
        "records_sha256": hashlib.sha256(args.records.read_bytes()).hexdigest(),
        "measure": "bytes of the R5.5 stored block (text block minus its uvarint length)",
        "shipped": {"path": str(args.dictionary.relative_to(ROOT)) if args.dictionary.is_relative_to(ROOT)
                    else str(args.dictionary), "dict_id": shipped_id, **checks["shipped"]},
        "bytes": table,
        "bytes_mean_by_half": halves,
        "picked_per_record": picked,
        "frame_checks": checks,
        "times_us": times,
        "load_us": load,
        "environment": {"python": platform.python_version(), "zstandard": zstandard.__version__,
                        "libzstd": ".".join(map(str, zstandard.ZSTD_VERSION)),
                        "machine": platform.machine(), "processor": platform.processor()},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
