#!/usr/bin/env python3
"""Make the recreation-conformance reference set (conformance/recreate) on the reference platform.

    python tools/gen_recreate_refs.py [--out conformance/recreate] [--force] [--only NAME]...

For each case of ``CASES`` (the built-in model ``aigif-tiny-sd``; DDIM, DPM++ 2M and Euler a; 128 and
256 pixels square; fixed seeds, two of them above 2^53) it runs ``aigif.save`` with a pixel digest,
writes ``NAME.aigif`` and the PNG it produced, ``NAME.png``, then recreates each file once more in the
same process to check that the digest verifies. It writes ``manifest.json`` (the reference platform,
every case with its parameters, pixel digest and the SHA-256 of both files) and ``SHA256SUMS``
(``sha256sum -c`` format). The README is written by hand and left alone.

Everything is generated in a scratch folder first and only moved into place when all of it
succeeded. Existing files are never replaced without ``--force``. The output is deterministic: on
the same platform (CPU, torch 2.13.0, float32, 2 threads here) a second run writes the same bytes.
The platform the files were made on is recorded in them and in the manifest; this tool says so
when it is not the one the shipped set was made on. ``--only`` makes a smaller suite with the named
cases (the tests use it to check determinism quickly).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "conformance" / "recreate"

#: The shipped set was made with this torch build (the reference platform of docs/fidelity.md).
REFERENCE_TORCH = "2.13.0+cpu"

#: The declarative case list. Seeds: small, 32-bit, 2^53 + 1 (the first integer a JSON double loses),
#: 2^64 - 1 (the largest the format holds) and another above 2^53.
CASES = [
    dict(name="ddim-128", scheduler="ddim", size=128, seed=42, steps=12, guidance=7.5,
         prompt="a lighthouse at dusk, oil painting", negative=""),
    dict(name="ddim-256", scheduler="ddim", size=256, seed=2**53 + 1, steps=16, guidance=7.5,
         prompt="a lighthouse at dusk, oil painting", negative="blurry, low quality"),
    dict(name="dpmpp_2m-128", scheduler="dpmpp_2m", size=128, seed=829557441, steps=12, guidance=5.0,
         prompt="un phare au crépuscule, peinture à l'huile", negative=""),
    dict(name="dpmpp_2m-karras-256", scheduler="dpmpp_2m", sigmas="karras", size=256, seed=2**64 - 1, steps=16,
         guidance=5.0, prompt="a red fox in the snow, watercolour", negative="text, watermark"),
    dict(name="euler_a-128", scheduler="euler_a", size=128, seed=7, steps=12, guidance=7.5,
         prompt="a red fox in the snow, watercolour", negative=""),
    dict(name="euler_a-256", scheduler="euler_a", size=256, seed=3141592653589793238, steps=16, guidance=6.0,
         prompt="a city at night, neon lights, rain", negative="blurry"),
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def targets(out: Path, cases: list[dict]) -> list[Path]:
    names = [f"{case['name']}{ext}" for case in cases for ext in (".aigif", ".png")]
    return [out / name for name in names + ["manifest.json", "SHA256SUMS"]]


def generate(scratch: Path, cases_to_make: list[dict]) -> dict:
    """Write every case into ``scratch``; return the manifest."""
    import PIL

    import aigif
    from aigif._format._model import SchedulerOptions
    from aigif._recreate import Engine, _engine, recreate, save

    _engine._quiet()
    engine = Engine()
    cases, platforms = [], []
    for spec in cases_to_make:
        file, image = scratch / f"{spec['name']}.aigif", scratch / f"{spec['name']}.png"
        options = SchedulerOptions(sigmas=spec.get("sigmas", "default"))
        obj, _ = save(file, prompt=spec["prompt"], negative_prompt=spec["negative"], width=spec["size"],
                      height=spec["size"], seed=spec["seed"], steps=spec["steps"], guidance_scale=spec["guidance"],
                      scheduler=spec["scheduler"], scheduler_options=options, pixel_digest=True, image_path=image,
                      engine=engine)
        again = recreate(file, engine=engine)  # run-to-run: the digest must verify
        if again.digest != "verified":
            raise SystemExit(f"{spec['name']}: recreating in the same process did not give the same pixels")
        platforms.append(aigif.to_json(obj)["platform"])
        label = spec["scheduler"] + (f" {spec['sigmas']}" if spec.get("sigmas") else "")
        cases.append({"name": spec["name"], "file": file.name, "image": image.name, "scheduler": spec["scheduler"],
                      "label": label, "width": spec["size"], "height": spec["size"], "seed": spec["seed"],
                      "steps": spec["steps"], "guidance_scale": spec["guidance"], "dtype": obj.model.dtype,
                      "pixel_digest": obj.payload.pixel_digest, "file_sha256": sha256(file),
                      "image_sha256": sha256(image)})
        print(f"{spec['name']}: {spec['size']}x{spec['size']}, {label}, seed {spec['seed']}, "
              f"{obj.payload.pixel_digest[:23]}…", flush=True)
    if any(p != platforms[0] for p in platforms):
        raise SystemExit("the files recorded different platforms; run again on a quiet machine")
    return {
        "format": "aigif-recreate-conformance",
        "version": 1,
        "description": "Reference files for 'aigif conformance recreate': each AIGIF file was saved with the "
                       "built-in model on the reference platform, and NAME.png is the image it produced there.",
        "generator": "tools/gen_recreate_refs.py",
        "model": "aigif-tiny-sd",
        "reference_platform": platforms[0],
        "pillow": PIL.__version__,  # encodes the PNGs: their bytes (not their pixels) depend on it
        "cases": cases,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the suite folder (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="replace existing files")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="make only this case (repeatable)")
    args = parser.parse_args()
    unknown = set(args.only) - {case["name"] for case in CASES}
    if unknown:
        print(f"gen_recreate_refs: no case named {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    cases = [case for case in CASES if not args.only or case["name"] in args.only]
    existing = [path for path in targets(args.out, cases) if path.exists()]
    if existing and not args.force:
        print(f"gen_recreate_refs: refusing to overwrite {len(existing)} existing file(s), e.g. {existing[0]} "
              "(use --force)", file=sys.stderr)
        return 1
    import torch

    if torch.__version__ != REFERENCE_TORCH:
        print(f"note: torch {torch.__version__} is not the reference platform's {REFERENCE_TORCH}; the files "
              "will record this platform", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.out, prefix=".gen-") as tmp:
        scratch = Path(tmp)
        manifest = generate(scratch, cases)
        (scratch / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
        names = sorted(path.name for path in scratch.iterdir())
        (scratch / "SHA256SUMS").write_text("".join(f"{sha256(scratch / n)}  {n}\n" for n in names), "utf-8")
        for path in sorted(scratch.iterdir()):
            target = args.out / path.name
            if target.exists() and not args.force:  # appeared while we worked
                print(f"gen_recreate_refs: {target} appeared meanwhile; not overwritten", file=sys.stderr)
                return 1
            shutil.copyfile(path, target)
    print(f"wrote {len(cases)} cases, manifest.json and SHA256SUMS to {args.out} "
          f"(torch {torch.__version__}, {manifest['reference_platform'].get('threads')} threads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
