"""Section (b) of ``tools/bench/bench.py``: pixels vs lossless codecs vs the AIGIF file.

Two sets of images:

* images made with the built-in ``aigif-tiny-sd`` by ``aigif.save`` (fixed seeds, few steps). Its
  weights are random, so its images are fine, noise-like colour textures, **not** representative of
  real photographic or illustrated AI images: lossless codecs do much worse on them (about 1/1.3 of
  the raw pixels) than on real ones (1/3 to 1/5);
* real AI-generated PNG images from a corpus folder (full size only), where the same codecs are
  measured on the RGB pixels and totals are reported.

Every lossless encoding is decoded again and compared with the source pixels; JPEG XL is measured
only where ``imagecodecs`` can encode it, and is reported as "not installed" otherwise.
"""

from __future__ import annotations

import time
from pathlib import Path

#: Prompts for the tiny-sd images: written for this bench (no real record is used here).
PROMPTS = ("an abstract study in blue and orange", "a quiet harbour at dawn, watercolour",
           "a geometric pattern of tiles, high detail", "a foggy forest path, soft light")
CODECS = ("png", "webp", "jpegxl")
#: Corpus images smaller than this on either side are crops made for parser tests, not full-size images.
MIN_CORPUS_SIDE = 256


def jpegxl_available() -> bool:
    from aigif import _pixels

    return "jpegxl" in _pixels.available()


def codec_sizes(image) -> dict:
    """Raw RGB bytes and the lossless PNG / WebP / JPEG XL sizes of ``image`` (None: not installed)."""
    from aigif import _pixels

    image = image if image.mode == "RGB" else image.convert("RGB")
    pixels = image.tobytes()
    sizes = {"raw": len(pixels)}
    available = _pixels.available()
    for codec in CODECS:
        if codec not in available:
            sizes[codec] = None
            continue
        data = _pixels.encode(image, codec)
        if _pixels.rgb_bytes(_pixels.decode(data, codec, *image.size)) != pixels:
            raise AssertionError(f"{codec} did not round-trip losslessly")
        sizes[codec] = len(data)
    return sizes


def tiny_sd_section(sizes: list[int], per_size: int, steps: int, workdir: Path, seed: int = 1000) -> dict:
    """``per_size`` images per side length, made by the library's ``save`` and measured with every codec."""
    from aigif import _recreate

    engine = _recreate.Engine()  # one pipeline for all images (the library's save takes it)
    workdir.mkdir(parents=True, exist_ok=True)
    images = []
    for size in sizes:
        for index in range(per_size):
            path = workdir / f"tiny-sd-{size}-{index}.aigif"
            start = time.perf_counter()
            obj, image = _recreate.save(path, prompt=PROMPTS[index % len(PROMPTS)], seed=seed + index, steps=steps,
                                        width=size, height=size, pixel_digest=True, overwrite=True, engine=engine)
            seconds = time.perf_counter() - start
            row = {"size": size, "seed": seed + index, "steps": steps, "scheduler": obj.model.scheduler,
                   "generate_s": round(seconds, 2), **codec_sizes(image), "aigif": path.stat().st_size}
            images.append(row)
    by_size = {}
    for size in sizes:
        rows = [row for row in images if row["size"] == size]
        by_size[str(size)] = {key: _mean(row[key] for row in rows) for key in ("raw", *CODECS, "aigif")}
        by_size[str(size)]["images"] = len(rows)
    return {"images": images, "by_size": by_size, "model": "aigif-tiny-sd", "steps": steps,
            "aigif_file": "as written by aigif.save with a pixel digest (field 20, 36 bytes)"}


def _mean(values):
    values = list(values)
    return None if any(v is None for v in values) else sum(values) / len(values)


def corpus_section(folder: Path, limit: int | None = None) -> dict:
    """The codecs on every full-size PNG under ``folder`` (sorted by path), with totals."""
    import aigif
    from PIL import Image

    folder = Path(folder)
    if not folder.is_dir():
        return {"skipped": f"no corpus folder at {folder}"}
    rows, excluded = [], []
    for path in sorted(folder.rglob("*.png")):
        with Image.open(path) as opened:
            opened.load()
            size, mode = opened.size, opened.mode
            if min(size) < MIN_CORPUS_SIDE:
                excluded.append(str(path.relative_to(folder)))
                continue
            if limit is not None and len(rows) >= limit:
                continue
            rgb = opened.convert("RGB")
        row = {"file": str(path.relative_to(folder)), "width": size[0], "height": size[1], "mode": mode,
               "original": path.stat().st_size, **codec_sizes(rgb)}
        try:
            obj, _ = aigif.import_image(path)
            row["aigif_import"] = len(aigif.dumps(obj))
        except aigif.AigifError as err:
            row["aigif_import"] = None
            row["aigif_import_error"] = err.code
        rows.append(row)
    totals = {}
    for key in ("raw", "original", *CODECS, "aigif_import"):
        values = [row[key] for row in rows]
        totals[key] = None if not rows or any(v is None for v in values) else sum(values)
    return {"folder": str(folder), "images": rows, "totals": totals, "count": len(rows),
            "megapixels": round(sum(r["width"] * r["height"] for r in rows) / 1e6, 2),
            "excluded_small": excluded, "min_side": MIN_CORPUS_SIDE}
