#!/usr/bin/env python3
"""Build the Kaitai-generated AIGIF readers: spec/aigif.ksy -> build/kaitai/{python,js}.

    python tools/format/kaitai_build.py                 # npm ci if needed, then compile (skipped if up to date)
    python tools/format/kaitai_build.py --force         # compile even if up to date
    python tools/format/kaitai_build.py --write-enums   # rewrite the registry enums of the .ksy from registries.json
    python tools/format/kaitai_build.py --check-enums   # exit 1 if those enums are out of date (used by the tests)

The compiler is the npm package ``kaitai-struct-compiler`` (pinned, with the JavaScript runtime
``kaitai-struct`` and the zstd decoder ``@bokuweb/zstd-wasm``, in conformance/readers/package-lock.json). It is
installed into conformance/readers/node_modules with ``npm ci``; the generated code goes to
build/kaitai/ (both are git-ignored: generated code is never committed). The Python runtime is the
PyPI package ``kaitaistruct`` (the ``dev`` extra). Outputs:

    build/kaitai/python/aigif.py   the generated Python parser
    build/kaitai/js/Aigif.js       the generated JavaScript parser
    build/kaitai/errors.json       check source path -> error code, from the .ksy's -aigif-error keys
    build/kaitai/compiler.json     the compiler's version
    build/kaitai/stamp.json        what the outputs were built from (for "up to date")
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KSY = ROOT / "spec" / "aigif.ksy"
READERS = ROOT / "conformance" / "readers"
OUT = ROOT / "build" / "kaitai"
REGISTRIES = ROOT / "aigif" / "registries.json"
BEGIN = "  # BEGIN GENERATED registries (tools/format/kaitai_build.py --write-enums; from aigif/registries.json)"
END = "  # END GENERATED registries"
OUTPUTS = ("python/aigif.py", "js/Aigif.js", "errors.json", "compiler.json")


class BuildError(RuntimeError):
    pass


def _run(cmd: list[str], cwd: Path) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError as err:
        raise BuildError(f"{cmd[0]} is not installed ({err})") from None
    if proc.returncode:
        raise BuildError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")


def _lock_digest() -> str:
    return hashlib.sha256((READERS / "package-lock.json").read_bytes()).hexdigest()


def npm_install() -> bool:
    """``npm ci`` into conformance/readers/node_modules unless it already holds this lockfile's packages."""
    marker = READERS / "node_modules" / ".aigif-lock.sha256"
    digest = _lock_digest()
    if marker.is_file() and marker.read_text().strip() == digest:
        return False
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm is not installed (Node.js is needed for the Kaitai Struct compiler)")
    _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], READERS)
    marker.write_text(digest + "\n")
    return True


def _stamp() -> dict:
    files = [KSY, READERS / "ksc_compile.js", READERS / "package-lock.json"]
    return {str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def compile_ksy(force: bool = False) -> bool:
    """Compile spec/aigif.ksy to Python and JavaScript unless the outputs are up to date."""
    stamp_file = OUT / "stamp.json"
    stamp = _stamp()
    if (not force and stamp_file.is_file() and all((OUT / name).is_file() for name in OUTPUTS)
            and json.loads(stamp_file.read_text()) == stamp):
        return False
    node = shutil.which("node")
    if node is None:
        raise BuildError("node is not installed (Node.js is needed for the Kaitai Struct compiler)")
    tmp = OUT.with_name("kaitai.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    _run([node, str(READERS / "ksc_compile.js"), str(KSY), str(tmp)], ROOT)
    (tmp / "stamp.json").write_text(json.dumps(stamp, indent=1) + "\n")
    shutil.rmtree(OUT, ignore_errors=True)
    tmp.rename(OUT)
    return True


def build(force: bool = False) -> Path:
    """npm ci (if needed) + compile (if needed). Returns build/kaitai."""
    installed = npm_install()
    compile_ksy(force=force or installed)
    return OUT


# ---------------------------------------------------------------------------------------------
# Registry enums of the .ksy, generated from aigif/registries.json (spec section 7)


def enum_id(name: str) -> str:
    """A registry name as a Kaitai enum identifier (lower case, [a-z0-9_], not starting with a digit)."""
    ident = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return "n" + ident if ident[:1].isdigit() else ident


def render_enums() -> str:
    tables = json.loads(REGISTRIES.read_text("utf-8"))
    lines = [BEGIN]
    for key, table in tables.items():
        if key.startswith("_"):
            continue
        kind = "open" if table["open"] else "closed"
        width = "4-bit" if table["width"] == 4 else "exp code"
        lines.append(f"  {key}:  # {width}, {kind}")
        seen: set[str] = set()
        for code, name in table["entries"].items():
            ident = enum_id(name)
            if ident in seen:
                raise BuildError(f"registry {key}: two names give the enum id {ident}")
            seen.add(ident)
            if ident == name:
                lines.append(f"    {code}: {ident}")
            else:
                lines += [f"    {code}:", f"      id: {ident}", f"      -orig-id: {json.dumps(name, ensure_ascii=False)}"]
    lines.append(END)
    return "\n".join(lines)


def _split_ksy() -> tuple[str, str, str]:
    text = KSY.read_text("utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start], text[start:end], text[end:]


def enums_up_to_date() -> bool:
    return _split_ksy()[1] == render_enums()


def write_enums() -> None:
    head, _, tail = _split_ksy()
    KSY.write_text(head + render_enums() + tail, "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="compile even if the outputs are up to date")
    parser.add_argument("--write-enums", action="store_true", help="regenerate the .ksy's registry enums")
    parser.add_argument("--check-enums", action="store_true", help="exit 1 if the registry enums are stale")
    args = parser.parse_args(argv)
    try:
        if args.check_enums:
            if not enums_up_to_date():
                print("spec/aigif.ksy: registry enums differ from aigif/registries.json "
                      "(run tools/format/kaitai_build.py --write-enums)", file=sys.stderr)
                return 1
            return 0
        if args.write_enums:
            write_enums()
            print(f"wrote the registry enums of {KSY.relative_to(ROOT)}")
            return 0
        out = build(force=args.force)
    except BuildError as err:
        print(f"kaitai_build: {err}", file=sys.stderr)
        return 1
    print(f"Kaitai readers in {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
