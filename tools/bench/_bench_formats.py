"""Section (a) of ``tools/bench/bench.py``: one generation record written four ways, and size statistics.

A *record* is one line of a records file (JSON Lines) with the keys ``prompt``, ``negative_prompt``,
``seed``, ``steps``, ``cfg``, ``sampler``, ``width``, ``height`` and ``model``; any of them may be
missing or ``null``. Each record becomes:

* **AIGIF** — ``aigif.dumps`` with default settings (the writer chooses the text compressor), after
  :func:`to_aigif` maps the record onto an ``AigifFile``;
* **the paper's layout** — :func:`paper_layout`: the paper's Table I as fixed-width fields, with
  one zlib stream over the strings (the widths are in :data:`PAPER_WIDTHS` and in
  ``docs/benchmarks.md``);
* **compact JSON + zlib** — :func:`json_zlib`;
* **the A1111 infotext** — :func:`a1111_infotext`, the ``parameters`` text as AUTOMATIC1111 writes
  it into a PNG, uncompressed.

Nothing here reads a records file at import time, and no record is stored in the project.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import aigif
from aigif._import._found import Found
from aigif._import._mapping import model_id, scheduler_for
from aigif._format._registry import REGISTRIES

#: The platform every record is given, in both AIGIF and the paper's layout: a typical GPU
#: generation (registry codes GPU 28 and CUDA 1, one byte each in both layouts).
PLATFORM = aigif.Platform(device="gpu", arch="x86_64", gpu="NVIDIA GeForce RTX 3090", cuda="cu121")
DTYPE = "float16"

#: R11.5: what a missing key means when an AIGIF file is written from JSON; used for both
#: binary layouts, so that they carry the same values.
DEFAULTS = {"prompt": "", "negative_prompt": "", "seed": 0, "steps": 50, "cfg": 7.5, "width": 512, "height": 512}
KEYS = ("prompt", "negative_prompt", "seed", "steps", "cfg", "sampler", "width", "height", "model")


class RecordsError(Exception):
    """The records file is missing or unreadable (the bench prints this and exits 1)."""


def load_records(path: Path, limit: int | None = None) -> list[dict]:
    """The records of a JSON Lines file, in file order (the first ``limit`` when given)."""
    path = Path(path)
    if not path.is_file():
        raise RecordsError(f"records file not found: {path} (pass --records PATH: a JSON Lines file with one "
                           f"generation record per line: {', '.join(KEYS)})")
    records = []
    with path.open("r", encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise RecordsError(f"{path}:{number}: not JSON: {err}") from None
            if not isinstance(record, dict) or not isinstance(record.get("prompt"), str):
                raise RecordsError(f"{path}:{number}: a record is a JSON object with at least a 'prompt' string")
            records.append(record)
            if limit is not None and len(records) >= limit:
                break
    if not records:
        raise RecordsError(f"{path}: no records")
    return records


def _value(record: dict, key: str):
    value = record.get(key)
    return DEFAULTS[key] if value is None else value


# ---------------------------------------------------------------------------------------------
# AIGIF


@dataclass(frozen=True)
class Mapped:
    """A record's values in AIGIF's vocabulary, shared by AIGIF and the paper's layout."""

    model: str  # a registry model name, or a free name (escape)
    model_known: bool
    scheduler: str  # a registry scheduler, or a free name (escape)
    options: aigif.SchedulerOptions
    config: dict


def map_record(record: dict) -> Mapped:
    """Model name -> registry model when the name says so; A1111 sampler -> scheduler and options."""
    name = record.get("model")
    model, known = model_id(name) if name else ("stable-diffusion-v1-5", True)  # R11.5: code 0
    choice = scheduler_for(Found(tool="automatic1111", sampler=record.get("sampler") or None, schedule=None))
    if choice is None:  # no sampler recorded: R11.5, code 0
        return Mapped(model, known, "ddim", aigif.SchedulerOptions(), {})
    return Mapped(model, known, choice.name, choice.options, dict(choice.config))


def aigif_seed(seed: int) -> int:
    """AIGIF seeds are unsigned 64-bit; a negative seed is read as torch reads it (modulo 2^64)."""
    return seed % (1 << 64)


def to_aigif(record: dict) -> aigif.AigifFile:
    """The record as an ``AigifFile`` with default compression settings (the writer chooses)."""
    mapped = map_record(record)
    return aigif.AigifFile(
        platform=PLATFORM,
        model=aigif.Model(id=mapped.model, dtype=DTYPE, scheduler=mapped.scheduler,
                          scheduler_options=mapped.options, scheduler_config=mapped.config),
        data=aigif.Data(prompt=_value(record, "prompt"), negative_prompt=_value(record, "negative_prompt"),
                        height=int(_value(record, "height")), width=int(_value(record, "width")),
                        seed=aigif_seed(int(_value(record, "seed"))), steps=int(_value(record, "steps")),
                        guidance_scale=float(_value(record, "cfg"))),
    )


# ---------------------------------------------------------------------------------------------
# The paper's layout

#: The paper's Table I as fixed-width fields, in Table I's order. Sub-byte fields are packed most
#: significant bit first and each section is padded to whole bytes. Strings are one zlib stream
#: (level 9) over prompt NUL negative prompt (NUL model name, NUL scheduler name, when either has no
#: code); a zlib stream ends itself, so no length is stored. Integers are big-endian.
PAPER_WIDTHS = (
    ("a", "compression options", "save pixels 1 bit, pixel compressor 4, text compressor 4, save model 1, "
                                 "model compressor 4, 2 bits padding", 2),
    ("b", "device", "4 bits + 4 bits padding", 1),
    ("b", "GPU model", "1-byte code", 1),
    ("b", "CUDA version", "1-byte code", 1),
    ("c", "model ID", "exp code (1 byte below 255; 254 = the name follows in the strings)", None),
    ("c", "data type + scheduler", "4 bits + 4 bits (15 = the name follows in the strings)", 1),
    ("d", "prompt, negative prompt", "one zlib stream, level 9, self-terminating", None),
    ("d", "height", "u16", 2),
    ("d", "width", "u16", 2),
    ("d", "seed", "u32", 4),
    ("d", "steps", "u8", 1),
    ("d", "guidance scale", "float32", 4),
)
_TAIL = struct.Struct(">HHIBf")  # height, width, seed, steps, guidance
_R = REGISTRIES


def _exp(value: int) -> bytes:
    """R4.2's exp code (the paper's: 0xFF asks for one more byte)."""
    return b"\xff" * (value // 255) + bytes([value % 255])


@dataclass(frozen=True)
class PaperBlob:
    data: bytes
    unfit: tuple[str, ...]  # values the fixed widths cannot hold (stored wrapped or clamped)


def paper_layout(record: dict) -> PaperBlob:
    """The record in the paper's fixed layout (:data:`PAPER_WIDTHS`)."""
    mapped = map_record(record)
    unfit = []
    model_code = _R["model"].codes.get(mapped.model, 254) if mapped.model_known else 254
    scheduler_code = _R["scheduler"].codes.get(mapped.scheduler, 15)
    strings = [_value(record, "prompt"), _value(record, "negative_prompt")]
    if model_code == 254:
        strings.append(mapped.model)
    if scheduler_code == 15:
        strings.append(mapped.scheduler)
    text = zlib.compress("\0".join(strings).encode("utf-8"), 9)
    head = bytes([0x00, 0x80,  # save pixels 0, pixel none, text zlib (1), save model 0, model none, padding
                  _R["device"].codes[PLATFORM.device] << 4, _R["gpu"].codes[PLATFORM.gpu],
                  _R["cuda"].codes[PLATFORM.cuda]]) + _exp(model_code) + bytes(
        [_R["dtype"].codes[DTYPE] << 4 | scheduler_code])
    height, width, seed, steps = (int(_value(record, key)) for key in ("height", "width", "seed", "steps"))
    if not 0 <= seed < 1 << 32:
        unfit.append("seed")
        seed %= 1 << 32
    if steps > 255:
        unfit.append("steps")
        steps = 255
    for key, value in (("height", height), ("width", width)):
        if not 0 <= value < 1 << 16:
            raise ValueError(f"{key} {value} does not fit the paper's u16")
    tail = _TAIL.pack(height, width, seed, steps, float(_value(record, "cfg")))
    return PaperBlob(head + text + tail, tuple(unfit))


def read_paper_layout(data: bytes) -> dict:
    """Decode :func:`paper_layout`'s bytes (for the tests: the layout carries what it claims)."""
    device, gpu, cuda = data[2] >> 4, data[3], data[4]
    pos, model_code = 5, 0
    while data[pos] == 0xFF:
        model_code, pos = model_code + 255, pos + 1
    model_code, pos = model_code + data[pos], pos + 1
    dtype, scheduler = data[pos] >> 4, data[pos] & 15
    stream = zlib.decompressobj()
    strings = stream.decompress(data[pos + 1:]).decode("utf-8").split("\0")
    height, width, seed, steps, cfg = _TAIL.unpack(stream.unused_data)
    prompt, negative, rest = strings[0], strings[1], strings[2:]
    model = rest.pop(0) if model_code == 254 else _R["model"].names[model_code]
    scheduler_name = rest.pop(0) if scheduler == 15 else _R["scheduler"].names[scheduler]
    return {"device": _R["device"].names[device], "gpu": _R["gpu"].names[gpu], "cuda": _R["cuda"].names[cuda],
            "model": model, "dtype": _R["dtype"].names[dtype], "scheduler": scheduler_name, "prompt": prompt,
            "negative_prompt": negative, "height": height, "width": width, "seed": seed, "steps": steps,
            "cfg": cfg}


# ---------------------------------------------------------------------------------------------
# JSON + zlib, and the A1111 infotext


def present(record: dict) -> dict:
    """The record's keys that hold a value, in the record's order."""
    return {key: value for key, value in record.items() if value is not None}


def json_zlib(record: dict) -> bytes:
    """Compact JSON (no spaces, UTF-8) of the record's present keys, zlib level 9."""
    text = json.dumps(present(record), separators=(",", ":"), ensure_ascii=False)
    return zlib.compress(text.encode("utf-8"), 9)


def read_json_zlib(data: bytes) -> dict:
    return json.loads(zlib.decompress(data))


def _a1111_quote(value) -> str:
    # A1111 (modules/generation_parameters_copypaste.quote): JSON-quote values that would break the line.
    text = str(value)
    return text if "," not in text and "\n" not in text and ":" not in text else json.dumps(text, ensure_ascii=False)


def _number(value) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() and not math.isinf(value) else str(value)


def a1111_infotext(record: dict) -> str:
    """The ``parameters`` text as A1111 writes it: prompt, negative prompt line, then ``Key: value`` pairs.

    Keys the record does not have are left out, as A1111 leaves out what it does not know.
    """
    r = present(record)
    lines = [r.get("prompt", "")]
    if r.get("negative_prompt"):
        lines.append(f"Negative prompt: {r['negative_prompt']}")
    pairs = []
    for key, label in (("steps", "Steps"), ("sampler", "Sampler"), ("cfg", "CFG scale"), ("seed", "Seed")):
        if key in r:
            pairs.append(f"{label}: {_a1111_quote(_number(r[key]))}")
    if "width" in r and "height" in r:
        pairs.append(f"Size: {r['width']}x{r['height']}")
    if "model" in r:
        pairs.append(f"Model: {_a1111_quote(r['model'])}")
    if pairs:
        lines.append(", ".join(pairs))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Statistics


def percentile(values, q: float) -> float:
    """The q-th percentile (0..100), linear between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values) -> dict:
    values = list(values)
    return {"n": len(values), "mean": sum(values) / len(values), "median": percentile(values, 50),
            "p90": percentile(values, 90), "min": min(values), "max": max(values), "total": sum(values)}


def forced_compressors() -> tuple[str, ...]:
    """Every text compressor of the registry but ``none``, each forced in a row of its own."""
    return tuple(name for name in _R["text_compressor"].codes if name != "none")


@dataclass
class Encoded:
    """Every record, encoded once in each format (the bytes are kept for the timing section)."""

    aigif: list[bytes]
    objects: list[aigif.AigifFile]
    aigif_forced: dict[str, list[int]]  # text compressor -> sizes with that compressor forced
    paper: list[bytes]
    paper_unfit: dict[str, int]
    json_zlib: list[bytes]
    infotext: list[str]
    text_compressors: dict[str, int]
    escapes: dict[str, int]


def encode_all(records: list[dict], check: bool = True) -> Encoded:
    """Encode every record; ``check`` reads every AIGIF file back and compares it with its object."""
    out = Encoded([], [], {name: [] for name in forced_compressors()}, [], {}, [], [], {},
                  {"model": 0, "scheduler": 0})
    import dataclasses

    for record in records:
        obj = to_aigif(record)
        data = aigif.dumps(obj)
        back = aigif.loads(data)
        if check and (back.data != obj.data or back.model != obj.model):
            raise AssertionError("an AIGIF file did not read back as written")
        out.objects.append(obj)
        out.aigif.append(data)
        chosen = back.compression.text_compressor
        out.text_compressors[chosen] = out.text_compressors.get(chosen, 0) + 1
        for name, size_list in out.aigif_forced.items():
            fixed = dataclasses.replace(obj, compression=aigif.Compression(text_compressor=name))
            size_list.append(len(aigif.dumps(fixed)))
        mapped = map_record(record)
        out.escapes["model"] += mapped.model not in _R["model"].codes
        out.escapes["scheduler"] += mapped.scheduler not in _R["scheduler"].codes
        blob = paper_layout(record)
        out.paper.append(blob.data)
        for key in blob.unfit:
            out.paper_unfit[key] = out.paper_unfit.get(key, 0) + 1
        out.json_zlib.append(json_zlib(record))
        out.infotext.append(a1111_infotext(record))
    return out


#: The parts of an AIGIF file, in file order, as :func:`aigif_parts` splits it.
PARTS = ("signature, version, checksum", "compression options", "platform", "model: ID, name, data type, scheduler",
         "text block: length", "text block: stream header", "text block: compressed text",
         "height, width, seed, steps, guidance", "fields")


def aigif_parts(data: bytes) -> dict[str, int]:
    """Bytes of each part (:data:`PARTS`) of one valid AIGIF file: where a file's bytes go.

    The stream header is a zlib stream's 2 + 4 bytes (header, Adler-32) or a zstd frame's header and
    its first block's 3-byte header; the compressed text is the rest of the text block.
    """
    import zstandard

    from aigif._format import _fastread as f
    from aigif._format._fields import read_coded, read_nibbles
    from aigif._format._wire import Reader

    r = Reader(data, 11, len(data) - 4)
    read_nibbles(r, "device", "arch")
    read_coded(r, "gpu")
    read_coded(r, "cuda")
    platform_end = r.pos
    read_coded(r, "model")
    read_nibbles(r, "dtype", "scheduler")
    model_end = r.pos
    stored = r.uvarint()
    length_end = r.pos
    raw = r.take(stored)
    codec = f._OPTIONS[data[9] << 8 | data[10]][2]  # the text compressor (5.1)
    header = {0: 0, 1: 6}.get(codec) if codec in (0, 1) else zstandard.frame_header_size(raw) + 3
    header = min(header, stored)
    text_end = r.pos
    for what in ("height", "width", "seed", "steps"):
        r.uvarint()
    r.decimal()
    return dict(zip(PARTS, (13, 2, platform_end - 11, model_end - platform_end, length_end - model_end, header,
                            stored - header, r.pos - text_end, len(data) - 4 - r.pos)))


def parts_table(files: list[bytes]) -> dict[str, float]:
    """Mean bytes per part over ``files`` (they add up to the mean file size)."""
    totals = dict.fromkeys(PARTS, 0)
    for data in files:
        for part, size in aigif_parts(data).items():
            totals[part] += size
    return {part: total / len(files) for part, total in totals.items()}


def size_table(enc: Encoded) -> dict:
    """Bytes per file: mean, median, p90 for each format, and the target ratio."""
    rows = {"aigif": summary(len(b) for b in enc.aigif)}
    for name, sizes in enc.aigif_forced.items():
        rows[f"aigif_text_{name}"] = summary(sizes)
    rows.update({
        "paper_layout": summary(len(b) for b in enc.paper),
        "json_zlib": summary(len(b) for b in enc.json_zlib),
        "a1111_infotext": summary(len(t.encode("utf-8")) for t in enc.infotext),
    })
    ratio = rows["aigif"]["mean"] / rows["paper_layout"]["mean"]
    return {"rows": rows, "aigif_over_paper_mean": ratio, "target": 0.5, "pass": ratio <= 0.5,
            "aigif_text_compressors": enc.text_compressors, "escaped": enc.escapes,
            "aigif_parts_mean": parts_table(enc.aigif),
            "paper_layout_unfit": enc.paper_unfit}
