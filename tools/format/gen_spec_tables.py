#!/usr/bin/env python3
"""Regenerate the registry tables of spec/aigif-v1.md (section 7) from aigif/registries.json.

    python tools/format/gen_spec_tables.py          # rewrite the spec in place
    python tools/format/gen_spec_tables.py --check  # exit 1 if the spec is out of date (used by the tests)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec" / "aigif-v1.md"
REGISTRIES = ROOT / "aigif" / "registries.json"
BEGIN, END = "<!-- BEGIN GENERATED registries -->", "<!-- END GENERATED registries -->"

TITLES = {
    "pixel_compressor": ("7.1", "Pixel compressor"),
    "text_compressor": ("7.2", "Text compressor"),
    "model_compressor": ("7.3", "Model compressor"),
    "device": ("7.4", "Device"),
    "arch": ("7.5", "CPU architecture"),
    "gpu": ("7.6", "GPU model"),
    "cuda": ("7.7", "CUDA version"),
    "model": ("7.8", "Model ID"),
    "dtype": ("7.9", "Data type"),
    "scheduler": ("7.10", "Scheduler"),
    "rng": ("7.11", "RNG source (field 11)"),
    "hash_kind": ("7.12", "Hash kind"),
    "adapter_kind": ("7.13", "Adapter kind (field 7)"),
    "faithfulness": ("7.14", "Faithfulness (field 24)"),
    "determinism_profile": ("7.15", "Determinism profile (field 36)"),
    "pass_kind": ("7.16", "Pass kind (field 25)"),
    "upscaler": ("7.17", "Upscaler (field 25)"),
}


def render() -> str:
    tables = json.loads(REGISTRIES.read_text("utf-8"))
    out = [BEGIN, ""]
    for key, (number, title) in TITLES.items():
        table = tables[key]
        width = "4 bits" if table["width"] == 4 else "exp code"
        kind = "open" if table["open"] else "closed"
        escape = {4: 15, "exp": 254}[table["width"]] if table["open"] and table.get("escape", True) else None
        out.append(f"### {number} {title}")
        out.append("")
        line = f"`{key}` — {width}, {kind}."
        if escape is not None:
            line += f" Escape (a name follows): {escape}."
        elif table["open"]:
            line += " No escape: an unknown code is kept as a number."
        if table["width"] == "exp":
            line += " Private use: 224–253."
        if not table["open"]:
            line += " Every other code is reserved and refused (`unsupported-compressor`)."
        if table.get("added"):
            line += " A date under *added*: the entry was appended after the registry's first edition (R7.0)"
            line += ", so its name stays accepted when escaped (R4.7)." if escape is not None else "."
        out += [line, ""]
        extra_cols = [c for c in ("hf", "length", "added") if c in table]
        header = ["code", "name"] + [{"hf": "Hugging Face repository", "length": "bytes", "added": "added"}[c]
                                     for c in extra_cols]
        if table.get("doc"):
            header.append("meaning")
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        for code, name in sorted(table["entries"].items(), key=lambda item: int(item[0])):
            row = [code, f"`{name}`"] + [str(table[c].get(name, "")) for c in extra_cols]
            if table.get("doc"):
                row.append(table["doc"].get(name, ""))
            out.append("| " + " | ".join(row) + " |")
        out.append("")
    out.append(END)
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the spec is out of date")
    args = parser.parse_args()
    text = SPEC.read_text("utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    updated = text[:start] + render() + text[end:]
    if args.check:
        if updated != text:
            print(f"{SPEC.relative_to(ROOT)}: registry tables are out of date; run tools/format/gen_spec_tables.py",
                  file=sys.stderr)
            return 1
        return 0
    SPEC.write_text(updated, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
