"""Section (c) of ``tools/bench/bench.py``: microseconds per file to read and to write, in one process.

The machine is shared and noisy, so every method is timed in the same run, in interleaved rounds
(each round times every method once over all its files, in a rotating order), with the garbage
collector off during a round. Each call is timed on its own; a round's figure is the median over
its files, and the reported figure is the median over rounds. Ratios are taken round by round
(both figures from the same round) and their median is reported.
"""

from __future__ import annotations

import gc
import io
import statistics
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

#: The paper's reported time to entropy-decode a file (quoted, not measured here).
PAPER_DECODE_US = 300.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunks(png: bytes):
    pos = len(PNG_SIGNATURE)
    while pos < len(png):
        (length,) = struct.unpack_from(">I", png, pos)
        kind = png[pos + 4:pos + 8]
        yield kind, png[pos:pos + 12 + length]
        pos += 12 + length


def base_png(size: int = 512) -> bytes:
    """A ``size`` x ``size`` RGB PNG as Pillow writes it, with no text (a flat colour)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (size, size), (120, 90, 200)).save(out, format="PNG")
    return out.getvalue()


def a1111_png(parameters: str, base: bytes) -> bytes:
    """``base`` with a ``parameters`` text chunk, written as A1111 writes it (Pillow's ``PngInfo.add_text``).

    Pillow writes the chunk for a 1x1 image; it is spliced in after IHDR, where Pillow puts it, so
    that many distinct files cost no pixel encoding.
    """
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", parameters)  # tEXt when Latin-1 can hold it, else iTXt (as A1111 gets)
    out = io.BytesIO()
    Image.new("RGB", (1, 1)).save(out, format="PNG", pnginfo=info)
    text = b"".join(chunk for kind, chunk in _chunks(out.getvalue()) if kind in (b"tEXt", b"iTXt", b"zTXt"))
    chunks = list(_chunks(base))
    assert chunks[0][0] == b"IHDR"
    return PNG_SIGNATURE + chunks[0][1] + text + b"".join(chunk for _, chunk in chunks[1:])


def pillow_parameters(source) -> str:
    """What an AI image viewer does: open the PNG and take its ``parameters`` text."""
    from PIL import Image

    with Image.open(source) as image:
        return image.info["parameters"]


@dataclass
class Method:
    name: str
    func: Callable
    items: Sequence


def _round(func: Callable, items: Sequence) -> list[int]:
    clock = time.perf_counter_ns
    times = []
    append = times.append
    for item in items:
        start = clock()
        func(item)
        append(clock() - start)
    return times


def interleaved(methods: list[Method], rounds: int, ratios: dict[str, tuple[str, str]] | None = None) -> dict:
    """Time every method over its items in ``rounds`` interleaved rounds.

    Returns per method: ``median_us`` (the median over rounds of each round's median over files),
    ``round_medians_us``, ``min_round_us``/``max_round_us``, and ``files``; and per named ratio
    ``(numerator, denominator)``: the median over rounds of the per-round ratio.
    """
    for method in methods:  # warm up caches, lazy imports and the page cache
        _round(method.func, method.items[: min(len(method.items), 50)])
    per_round: dict[str, list[float]] = {method.name: [] for method in methods}
    enabled = gc.isenabled()
    try:
        for index in range(rounds):
            shift = index % len(methods)
            for method in methods[shift:] + methods[:shift]:
                gc.collect()
                gc.disable()
                try:
                    times = _round(method.func, method.items)
                finally:
                    if enabled:
                        gc.enable()
                per_round[method.name].append(statistics.median(times) / 1000)
    finally:
        if enabled:
            gc.enable()
    results = {}
    for method in methods:
        medians = per_round[method.name]
        results[method.name] = {"median_us": statistics.median(medians), "round_medians_us": medians,
                                "min_round_us": min(medians), "max_round_us": max(medians),
                                "files": len(method.items)}
    out = {"methods": results, "rounds": rounds, "ratios": {}}
    for label, (top, bottom) in (ratios or {}).items():
        values = [a / b for a, b in zip(per_round[top], per_round[bottom])]
        out["ratios"][label] = {"median": statistics.median(values), "min": min(values), "max": max(values),
                                "of": [top, bottom]}
    return out


def fast_path_count(blobs) -> int:
    """How many files the reader's fast path accepts (the others go to the construct schema)."""
    from aigif._format import _fastread

    accepted = 0
    for blob in blobs:
        try:
            _fastread.parse(blob)
        except Exception:  # noqa: BLE001 - any doubt sends a file to the schema
            continue
        accepted += 1
    return accepted


def speed_section(encoded, records_infotext: list[str], files: int, rounds: int, workdir: Path) -> dict:
    """AIGIF read and write vs JSON+zlib vs Pillow reading ``parameters``, over ``files`` distinct files."""
    import aigif
    from _bench_formats import read_json_zlib

    count = min(files, len(encoded.aigif))
    blobs = encoded.aigif[:count]
    objects = encoded.objects[:count]
    jsons = encoded.json_zlib[:count]
    decoded = [read_json_zlib(b) for b in jsons]
    base = base_png(512)
    pngs = [a1111_png(text, base) for text in records_infotext[:count]]
    assert all(pillow_parameters(io.BytesIO(png)) == text for png, text in zip(pngs[:20], records_infotext))
    aigif_paths, png_paths = [], []
    workdir.mkdir(parents=True, exist_ok=True)
    for index, (blob, png) in enumerate(zip(blobs, pngs)):
        a, p = workdir / f"{index:05d}.aigif", workdir / f"{index:05d}.png"
        a.write_bytes(blob)
        p.write_bytes(png)
        aigif_paths.append(a)
        png_paths.append(p)

    import json

    def json_encode(record):
        return zlib.compress(json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), 9)

    methods = [
        Method("aigif_read_bytes", aigif.loads, blobs),
        Method("pillow_parameters_bytes", lambda png: pillow_parameters(io.BytesIO(png)), pngs),
        Method("aigif_read_file", aigif.read, aigif_paths),
        Method("pillow_parameters_file", pillow_parameters, png_paths),
        Method("json_zlib_read_bytes", read_json_zlib, jsons),
        Method("aigif_write_bytes", aigif.dumps, objects),
        Method("json_zlib_write_bytes", json_encode, decoded),
    ]
    result = interleaved(methods, rounds, ratios={
        "aigif_read_over_pillow_bytes": ("aigif_read_bytes", "pillow_parameters_bytes"),
        "aigif_read_over_pillow_file": ("aigif_read_file", "pillow_parameters_file"),
    })
    result["paper_decode_us_quoted"] = PAPER_DECODE_US
    result["aigif_fast_path_accepted"] = fast_path_count(blobs)
    result["png_size"] = 512
    result["png_bytes_median"] = statistics.median(len(p) for p in pngs)
    for key in ("aigif_read_over_pillow_bytes", "aigif_read_over_pillow_file"):
        result["ratios"][key]["target"] = 1.0
        result["ratios"][key]["pass"] = result["ratios"][key]["median"] <= 1.0
    return result
