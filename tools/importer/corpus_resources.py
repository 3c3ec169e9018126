"""What the images of a corpus need beyond their syntax, and whether this recreator honours it.

    python tools/importer/corpus_resources.py [--corpus ../shared/corpus/images] [--json OUT]

Each image is imported (``aigif.import_image``); its resources are read from the AIGIF object: a
checkpoint outside the model registry, a separate VAE, each adapter by kind, each pass after the
first by kind, an upscaling model. Then the recreator's own preflight (``aigif._recreate.preflight``
with ``force``, the checks ``recreate`` makes before it looks for weights; nothing is generated and
no model is loaded) says which of them it cannot honour. A resource is counted "honoured" when
no problem names its field and it is not a pickle file (``.ckpt``, ``.pt``, …, which the recreator
never loads): whether the user has the file is the model library's question (``aigif models
which``), not this script's.

Reads the corpus; writes nothing unless ``--json`` is given. Nothing here reads records-dev.jsonl.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import aigif  # noqa: E402
from aigif._format._model import AigifFile  # noqa: E402

KINDS = ("checkpoint", "vae", "lora", "lycoris", "embedding", "hypernetwork", "other adapter", "hires pass",
         "refiner pass", "other pass", "upscaling model", "init image")


def resources(obj: AigifFile) -> list[tuple[str, str, str]]:
    """(kind, name, field) of everything the file needs besides its syntax."""
    from aigif._recreate._models import registry

    found = []
    if isinstance(obj.model.id, str) and obj.model.id not in registry():
        found.append(("checkpoint", obj.model.id, "model.id"))
    if obj.model.vae is not None:
        found.append(("vae", obj.model.vae.name, "model.vae"))
    for adapter in obj.model.adapters:
        kind = adapter.kind if adapter.kind in ("lora", "lycoris", "embedding", "hypernetwork") else "other adapter"
        found.append((str(kind), adapter.name, "model.adapters"))
    for step in obj.data.passes:
        kind = f"{step.kind} pass" if step.kind in ("hires", "refiner") else "other pass"
        found.append((kind, str(step.kind), "data.passes"))
        if step.model is not None:
            found.append(("checkpoint", str(step.model), "data.passes"))
        if isinstance(step.upscaler, str) and step.upscaler not in _registry_upscalers():
            found.append(("upscaling model", step.upscaler, "data.passes"))
    if obj.payload.init_image is not None:
        found.append(("init image", "stored", "payload.init_image"))
    return found


def _pickle(name: str) -> bool:
    """A file the recreator refuses to load whoever has it: pickle can run code (only safetensors)."""
    from aigif._recreate._models import PICKLE_SUFFIXES

    return name.lower().endswith(PICKLE_SUFFIXES)


def _registry_upscalers() -> set[str]:
    from aigif._format._registry import REGISTRIES

    return set(REGISTRIES["upscaler"].codes)


def survey(corpus: Path) -> dict:
    from aigif._recreate import preflight

    rows = []
    for path in sorted(p for p in corpus.rglob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp")):
        try:
            obj, report = aigif.import_image(path)
        except aigif.AigifError as error:
            rows.append({"image": path.name, "error": error.code})
            continue
        try:
            problems = [problem.path for problem in preflight(obj, force=True)]
        except aigif.AigifError as error:  # refused even forced (a size not a multiple of 8, ...)
            problems = [f"refused: {error.code}"]
        needs = [{"kind": kind, "name": name, "honoured": field not in problems and not _pickle(name)}
                 for kind, name, field in resources(obj)]
        rows.append({"image": path.name, "faithfulness": report.faithfulness, "needs": needs, "problems": problems})
    needed, honoured, images = Counter(), Counter(), Counter()
    for row in rows:
        for kind in {need["kind"] for need in row.get("needs", [])}:
            images[kind] += 1
        for need in row.get("needs", []):
            needed[need["kind"]] += 1
            honoured[need["kind"]] += need["honoured"]
    return {"corpus": str(corpus), "images": len(rows), "imported": sum("error" not in r for r in rows),
            "by_kind": {kind: {"images": images[kind], "resources": needed[kind], "honoured": honoured[kind]}
                        for kind in KINDS if needed[kind]},
            "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "images")
    parser.add_argument("--json", type=Path, help="also write the survey as JSON")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus_resources: {args.corpus} is not a folder [not-found]", file=sys.stderr)
        return 1
    result = survey(args.corpus)
    print(f"{result['imported']} of {result['images']} images imported from {result['corpus']}")
    print(f"{'needs':<18}{'images':>8}{'resources':>11}{'honoured':>10}")
    for kind, counts in result["by_kind"].items():
        print(f"{kind:<18}{counts['images']:>8}{counts['resources']:>11}{counts['honoured']:>10}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
