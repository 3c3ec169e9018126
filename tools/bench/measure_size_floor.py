#!/usr/bin/env python3
"""How small could an AIGIF file get? Measures the options for issue 6's size target on real records.

    python tools/bench/measure_size_floor.py [--records ../shared/data/records-dev.jsonl] [--limit N]
                                       [--json bench-results/size-floor.json]

The target is AIGIF's mean file size <= 0.5 x the paper's layout (``tools/bench/bench.py`` section a).
For every record, this script writes the AIGIF file as ``tools/bench/bench.py`` does and then measures,
by really compressing, what each option would save:

1. ``zstd-dict`` frames without the 4-byte zstd magic number (libzstd's *magicless* format), and
   also without the 2-byte dictionary ID (the compressor code would then imply the dictionary);
2. the escaped model name moved into the compressed text (as the paper's layout does), compressed
   with the prompts by the shipped dictionary;
3. a *bound* for a phrase-level entropy coder (none exists here): each comma-separated phrase of the
   table costs -log2 of its frequency in that field (prompt or negative prompt), plus a 1-bit
   separator flag; each phrase not in the table costs an escape (-log2 of the measured escape rate)
   and its characters are compressed, really, by zstd with the shipped dictionary. This is an
   order-0 model with its probabilities fitted to ``prompt-phrases.tsv`` and its escape rate taken
   from the measured records (optimistic): no real coder of this kind does better. The last row
   takes, per file, the smaller of that bound and the zstd frame.

It prints, for each, the mean text block or file size and the ratio to the paper's layout.
Only aggregates are written (to the git-ignored bench-results/); no record is stored.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path

import zstandard

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tools" / group) for group in ("", "format", "bench", "recreate", "importer")]
sys.path.insert(0, str(ROOT))

import _bench_formats as formats  # noqa: E402
from spec_encoder import string, text_content  # noqa: E402

import aigif  # noqa: E402
from aigif._format import _dictionaries  # noqa: E402

PHRASES = ROOT.parent / "shared" / "data" / "prompt-phrases.tsv"


def read_table(path: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Phrase -> records holding it, in prompts and in negative prompts."""
    prompts, negatives = {}, {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or line.startswith("phrase\t"):
            continue
        phrase, in_prompts, in_negatives = line.split("\t")
        prompts[phrase], negatives[phrase] = int(in_prompts), int(in_negatives)
    return prompts, negatives


def phrase_bound_bits(text: str, counts: dict[str, int], escape_rate: float, residual: list[str]) -> float:
    """Code length of ``text`` under the order-0 phrase model (the residual phrases are collected)."""
    if not text:
        return 1.0  # "empty" flag
    total = sum(counts.values())
    bits = 0.0
    for index, piece in enumerate(text.split(",")):
        phrase = piece.strip()
        standard = piece == (f" {phrase}" if index else phrase)
        bits += 1.0 if standard else 1.0 + 8.0 * (len(piece) - len(phrase) + 1)  # separator flag (+ spaces)
        count = counts.get(phrase, 0)
        if count:
            bits += -math.log2((1 - escape_rate) * count / total)
        else:
            bits += -math.log2(escape_rate)
            residual.append(phrase)
    return bits + -math.log2(1 / 30)  # end of string (about 1 phrase in 30 ends one)


def measure(records: list[dict], table: tuple[dict[str, int], dict[str, int]]) -> dict:
    shipped = _dictionaries.compressor()
    dictionary = _dictionaries.dictionary(_dictionaries.NEWEST)
    magicless = zstandard.ZstdCompressor(
        dict_data=dictionary, compression_params=zstandard.ZstdCompressionParameters.from_level(
            19, format=zstandard.FORMAT_ZSTD1_MAGICLESS, write_content_size=1, write_checksum=0, write_dict_id=1))
    bare = zstandard.ZstdCompressor(
        dict_data=dictionary, compression_params=zstandard.ZstdCompressionParameters.from_level(
            19, format=zstandard.FORMAT_ZSTD1_MAGICLESS, write_content_size=1, write_checksum=0, write_dict_id=0))
    decompressor = zstandard.ZstdDecompressor(dict_data=dictionary, format=zstandard.FORMAT_ZSTD1_MAGICLESS)
    prompts, negatives = table
    known = unknown = 0
    for record in records:  # the escape rate: phrases not in the table, over all phrases
        for text, counts in ((record.get("prompt") or "", prompts), (record.get("negative_prompt") or "", negatives)):
            for piece in text.split(",") if text else ():
                if counts.get(piece.strip()):
                    known += 1
                else:
                    unknown += 1
    escape_rate = unknown / (known + unknown)
    rows = {key: [] for key in ("file", "paper", "text_block", "magicless", "magicless_no_id",
                                "model_in_text_saving", "phrase_bound_text",
                                "best_of_both_text")}
    for record in records:
        obj = formats.to_aigif(record)
        data = aigif.dumps(obj)
        parts = formats.aigif_parts(data)
        content = aigif.loads(data).stored_text
        rows["file"].append(len(data))
        rows["paper"].append(len(formats.paper_layout(record).data))
        stored = parts["text block: stream header"] + parts["text block: compressed text"]
        rows["text_block"].append(stored)
        plain = text_content(obj.data.prompt, obj.data.negative_prompt)
        if content[0] == "zstd-dict":
            frame = magicless.compress(plain)
            assert decompressor.decompress(frame) == plain
            rows["magicless"].append(min(stored, len(frame)))
            rows["magicless_no_id"].append(min(stored, len(bare.compress(plain))))
        else:
            rows["magicless"].append(stored)
            rows["magicless_no_id"].append(stored)
        mapped = formats.map_record(record)
        name = None if mapped.model_known else mapped.model
        if name is not None and content[0] == "zstd-dict":
            together = len(shipped.compress(plain + string(name)))
            saving = (len(content[3]) + 1 + len(name.encode())) - together  # name and its length byte
            rows["model_in_text_saving"].append(saving)
        else:
            rows["model_in_text_saving"].append(0)
        residual: list[str] = []
        bits = (phrase_bound_bits(obj.data.prompt, prompts, escape_rate, residual)
                + phrase_bound_bits(obj.data.negative_prompt, negatives, escape_rate, residual))
        rest = ", ".join(residual).encode("utf-8")
        residual_bytes = len(bare.compress(rest)) if rest else 0
        rows["phrase_bound_text"].append(math.ceil(bits / 8) + residual_bytes + 2)  # + a 2-byte block header
        rows["best_of_both_text"].append(min(rows["magicless_no_id"][-1], rows["phrase_bound_text"][-1]))
    mean = {key: statistics.fmean(values) for key, values in rows.items()}
    paper = mean["paper"]
    projected = {
        "shipped (as bench.py)": mean["file"],
        "magicless frames": mean["file"] - mean["text_block"] + mean["magicless"],
        "magicless, no dictionary ID in the frame": mean["file"] - mean["text_block"] + mean["magicless_no_id"],
        "... and the model name in the compressed text": mean["file"] - mean["text_block"] + mean["magicless_no_id"]
        - mean["model_in_text_saving"],
        "... and a phrase coder at its bound (block header 2 bytes)": mean["file"] - mean["text_block"]
        + mean["phrase_bound_text"] - mean["model_in_text_saving"],
        "... and per file the smaller of the two": mean["file"] - mean["text_block"]
        + mean["best_of_both_text"] - mean["model_in_text_saving"],
    }
    return {"records": len(records), "escape_rate": escape_rate, "mean": mean,
            "projected_file_mean": projected, "ratio_to_paper": {k: v / paper for k, v in projected.items()},
            "target": 0.5, "paper_mean": paper}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=Path, default=ROOT.parent / "shared" / "data" / "records-dev.jsonl")
    parser.add_argument("--phrases", type=Path, default=PHRASES)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "size-floor.json")
    args = parser.parse_args(argv)
    try:
        records = formats.load_records(args.records, args.limit)
        table = read_table(args.phrases)
    except (formats.RecordsError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    result = measure(records, table)
    print(f"{result['records']:,} records; paper's layout mean {result['paper_mean']:.1f} B; "
          f"phrases not in the table: {result['escape_rate']:.1%}")
    print(f"{'option':<62} {'mean B':>8} {'/ paper':>8}")
    for option, value in result["projected_file_mean"].items():
        print(f"{option:<62} {value:8.1f} {result['ratio_to_paper'][option]:8.3f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
