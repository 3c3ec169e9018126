"""spec/aigif.ksy, compiled by Kaitai Struct to Python and JavaScript: two independent readers (issue 4).

The readers are conformance/readers/kaitai_python.py and kaitai_js.js: the generated parsers plus
small adapters for what Kaitai cannot express (docs/kaitai.md). They never import the ``aigif``
package, so agreeing with it is evidence that the spec, the .ksy and the construct schema say the
same thing. The tests build them (``npm ci`` + the npm compiler, tools/format/kaitai_build.py), then:

* compare both with the reference library on the spec's worked examples, on files drawn by the
  round-trip strategy of test_roundtrip.py, on mutations of the conformance suite's valid files,
  on edge cases of the zstd frame and of the prompt dictionaries (R5.5, R5.6), on hundreds of
  prompts compressed with the prompt dictionary and on corrupt zstd and zstd-dict frames;
* check that the adapters' dictionary tables and the .ksy's are the spec's (R5.6);
* run the whole conformance suite through both with ``aigif conformance run --require-codes``.

Tests that need Node.js, npm or the generated code are ``slow`` (they run in CI too); they are
skipped, with the reason, on a machine without Node.js or without the ``kaitaistruct`` runtime.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib.util
import json
import os
import random
import re
import shlex
import shutil
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import aigif
from aigif._format._json import dumps_json
from helpers import (EXAMPLE2_BYTES, EXAMPLE3_BYTES, MINIMAL_FILE, TABLE1_BYTES, compression, exp, field,
                      make_file, stored, string, table1, text_block, text_content, uv, zstd_dict_frame)
from strategies import files

ROOT = Path(__file__).resolve().parents[2]
READERS = ROOT / "conformance" / "readers"
ADAPTER_PY = READERS / "kaitai_python.py"
ADAPTER_JS = READERS / "kaitai_js.js"
SUITE = ROOT / "conformance" / "suite"
KSY = ROOT / "spec" / "aigif.ksy"
SPEC = ROOT / "spec" / "aigif-v1.md"
DICTIONARY_DIR = ROOT / "aigif" / "dictionaries"
PROMPTS_V1 = (DICTIONARY_DIR / "prompts-v1.zdict").read_bytes()  # R5.6, dictionary ID 32768
DICT_CONTENT = text_content("masterpiece, best quality, 1girl, solo, looking at viewer, cinematic lighting",
                            "lowres, bad anatomy, bad hands, text, error, worst quality, low quality, blurry")

READER_COMMANDS = {
    "python": [sys.executable, str(ADAPTER_PY)],
    "js": ["node", str(ADAPTER_JS)],
}
_SOURCE_P = uv(1) + string("png:tEXt") + string("parameters") + uv(1) + b"p"
WORKED_EXAMPLES = {"table1": TABLE1_BYTES, "example2": EXAMPLE2_BYTES, "example3": EXAMPLE3_BYTES,
                   "minimal": MINIMAL_FILE,
                   # 4 MiB of opaque PNG payload: output far beyond a pipe's buffer
                   "big_payload": make_file(comp=compression(save_pixels=1, pixel=1),
                                            fields=[field(19, bytes(range(256)) * 16384)]),
                   # the source section (fields 18, 22, 24, 26): its keys in tag order, after payload
                   "source": make_file(comp=compression(save_pixels=1, pixel=1), fields=[
                       field(18, string("ComfyUI")), field(19, b"png"), field(22, string("0.3.40")),
                       field(24, exp(1) + uv(2) + string("a sampler without a diffusers equivalent") + string("")),
                       field(26, exp(1) + uv(len(_SOURCE_P)) + zlib.compress(_SOURCE_P))]),
                   # fields 32, 34, 36 (6.7): platform keys in tag order, after the unassigned tag 30
                   "platform_cpu": make_file(fields=[
                       field(12, string("AttnProcessor2_0")), field(14, uv(1) + string("python") + string("3.12")),
                       field(30, b"\x01"), field(32, string("AuthenticAMD")),
                       field(34, string("AMD EPYC 9R14 96-Core Processor")), field(36, exp(1))]),
                   # 7.15: profile 0 (native) is a value; an escaped name; an unknown code, by number
                   "determinism_profile_native": make_file(fields=[field(36, exp(0))]),
                   "determinism_profile_escape": make_file(fields=[field(36, exp(254) + string("gpu-det-x"))]),
                   "determinism_profile_2039": make_file(fields=[field(36, exp(2039))]),
                   # R5.6: text compressor zstd-dict, with the prompt dictionary 32768
                   "zstd_dict": make_file(comp=compression(text=3), text=stored(zstd_dict_frame(DICT_CONTENT)))}


def _build_tool():
    spec = importlib.util.spec_from_file_location("kaitai_build", ROOT / "tools" / "format" / "kaitai_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


kaitai_build = _build_tool()


@pytest.fixture(scope="session")
def built() -> Path:
    """npm ci (if needed) + compile the .ksy (if changed): build/kaitai/."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: the Kaitai Struct compiler runs on Node.js")
    pytest.importorskip("kaitaistruct", reason="the Kaitai Struct Python runtime (the dev extra) is not installed")
    return kaitai_build.build()


def library_result(data: bytes) -> tuple[str, str]:
    """("json", canonical text) or ("error", code) from the reference library."""
    try:
        return "json", canonical(aigif.to_json(aigif.loads(data)))
    except aigif.FormatError as err:
        return "error", err.code


def canonical(doc) -> str:
    """JSON text that tells 7 from 7.0 and -0.0 from 0.0, keys sorted: a strict comparison."""
    return json.dumps(doc, sort_keys=True, ensure_ascii=False)


class BatchReader:
    """One adapter process in ``--batch -`` mode: a path in, one JSON line out, kept open for speed."""

    TIMEOUT = 60.0

    def __init__(self, argv: list[str]):
        self.proc = subprocess.Popen([*argv, "--batch", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, encoding="utf-8")

    def __call__(self, path: Path) -> tuple[str, str]:
        watchdog = threading.Timer(self.TIMEOUT, self.proc.kill)  # a hang fails the test, not CI
        watchdog.start()
        try:
            self.proc.stdin.write(f"{path}\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        finally:
            watchdog.cancel()
        assert line, f"{self.proc.args[:2]} died (status {self.proc.poll()})"
        answer = json.loads(line)
        assert answer["file"] == str(path)
        if "crash" in answer:
            pytest.fail(f"{self.proc.args[:2]} crashed on {path}: {answer['crash']}")
        if "json" in answer:
            return "json", canonical(answer["json"])
        return "error", answer["error"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def readers(built):
    opened = {name: BatchReader(argv) for name, argv in READER_COMMANDS.items()}
    yield opened
    for reader in opened.values():
        reader.close()


# ---------------------------------------------------------------------------------------------
# The .ksy and the adapters, without building


def test_ksy_registry_enums_match_the_registries():
    """The generated enum block of spec/aigif.ksy is aigif/registries.json (spec section 7)."""
    assert kaitai_build.enums_up_to_date(), "run: python tools/format/kaitai_build.py --write-enums"


def test_ksy_cites_clauses_on_its_types():
    """Every type of the .ksy has a doc naming the spec clause(s) it describes."""
    text = KSY.read_text("utf-8")
    types = text[text.index("\ntypes:\n"):text.index("\nenums:\n")]
    blocks = re.split(r"\n  (?=[a-z_0-9]+:\n)", types)[1:]
    assert len(blocks) > 20
    for block in blocks:
        name = block.split(":", 1)[0]
        doc = re.search(r"^    doc: (.*(?:\n      .*)*)", block, re.M)
        assert doc and re.search(r"\bR\d+\.\d+\b", doc.group(1)), f"type {name} has no doc citing a clause"


def test_adapters_do_not_use_the_reference_library():
    """The readers are independent: no import of ``aigif``, only the runtime, the stdlib and libzstd."""
    tree = ast.parse(ADAPTER_PY.read_text("utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "aigif" not in imported
    assert imported - set(sys.stdlib_module_names) == {"kaitaistruct", "zstandard"}
    required = set(re.findall(r"""require(?:Here)?\(["']([^"']+)["']\)""", ADAPTER_JS.read_text("utf-8")))
    assert required == {"crypto", "fs", "path", "zlib", "module", "readline", "kaitai-struct/KaitaiStream",
                        "@bokuweb/zstd-wasm"}


def _spec_dictionaries() -> dict[int, tuple[str, int, str]]:
    """R5.6's table: dictionary ID -> (file name, size in bytes, SHA-256)."""
    text = SPEC.read_text("utf-8")
    section = text[text.index("**R5.6**"):]
    section = section[:section.index("\n\n", section.index("| ID |"))]
    rows = re.findall(r"^\| (\d+) \| `aigif/dictionaries/([^`]+)` \| ([\d,]+) \| `([0-9a-f]{64})` \|", section, re.M)
    return {int(dict_id): (name, int(size.replace(",", "")), sha) for dict_id, name, size, sha in rows}


def test_dictionary_tables_are_the_specs():
    """R5.6: both adapters hold exactly the spec's prompt dictionaries (file, SHA-256), the .ksy's enum
    prompt_dictionary is that table and its check lists every entry, and the files are as published."""
    spec = _spec_dictionaries()
    assert 32768 in spec, spec
    expected = {dict_id: (name, sha) for dict_id, (name, _, sha) in spec.items()}
    assigned = [node for node in ast.parse(ADAPTER_PY.read_text("utf-8")).body
                if isinstance(node, ast.AnnAssign | ast.Assign)
                and "DICTIONARIES" in [getattr(target, "id", None) for target in
                                       (node.targets if isinstance(node, ast.Assign) else [node.target])]]
    assert len(assigned) == 1
    assert ast.literal_eval(assigned[0].value) == expected
    js = ADAPTER_JS.read_text("utf-8")
    table = js[js.index("const DICTIONARIES = new Map(["):js.index("]);", js.index("const DICTIONARIES"))]
    assert {int(i): (name, sha) for i, name, sha in
            re.findall(r'\[(\d+), \["([^"]+)", "([0-9a-f]{64})"\]\]', table)} == expected
    ksy = KSY.read_text("utf-8")
    enum = ksy[ksy.index("\n  prompt_dictionary:\n"):]
    enum = enum[:re.search(r"\n  [a-z_]+:\n", enum[1:]).start() + 1]
    entries = re.findall(r"^    (\d+):\n      id: ([a-z0-9_]+)\n(?:      .*\n)*?"
                         r"      -file: (\S+)\n      -sha256: ([0-9a-f]{64})$", enum, re.M)
    assert {int(i): (name, sha) for i, _, name, sha in entries} == expected
    check = ksy[ksy.index("- id: check_dictionary_known"):]
    check = check[:check.index("-aigif-error")]
    assert {ident for _, ident, _, _ in entries} == set(re.findall(r"prompt_dictionary::([a-z0-9_]+)", check))
    for dict_id, (name, size, sha) in spec.items():
        data = (DICTIONARY_DIR / name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (size, sha), name
        assert data[:4] == b"\x37\xa4\x30\xec" and int.from_bytes(data[4:8], "little") == dict_id  # a full dictionary


def test_npm_packages_are_pinned():
    """package.json pins exact versions and package-lock.json holds them (npm ci installs exactly these)."""
    package = json.loads((READERS / "package.json").read_text("utf-8"))
    lock = json.loads((READERS / "package-lock.json").read_text("utf-8"))
    assert set(package["dependencies"]) == {"kaitai-struct-compiler", "kaitai-struct", "@bokuweb/zstd-wasm", "js-yaml"}
    for name, version in package["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned exactly: {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    # the compiler and the runtimes must be of one release (the generated code checks its API version)
    assert package["dependencies"]["kaitai-struct-compiler"] == package["dependencies"]["kaitai-struct"]


# ---------------------------------------------------------------------------------------------
# The build


@pytest.mark.slow
def test_build_writes_both_readers_and_is_idempotent(built):
    for name in kaitai_build.OUTPUTS:
        assert (built / name).is_file(), name
    assert kaitai_build.npm_install() is False  # nothing to do the second time
    assert kaitai_build.compile_ksy() is False
    assert json.loads((built / "compiler.json").read_text())["version"] == \
        json.loads((READERS / "package.json").read_text())["dependencies"]["kaitai-struct-compiler"]


@pytest.mark.slow
def test_every_check_of_the_generated_code_maps_to_an_error_code(built):
    """Each validation the generated parsers can raise has a spec section 9 code (-aigif-error)."""
    errors = json.loads((built / "errors.json").read_text("utf-8"))
    assert {check["code"] for check in errors.values()} <= _codes()
    for generated in (built / "python" / "aigif.py", built / "js" / "Aigif.js"):
        paths = set(re.findall(r"""Validation\w+Error\(.*["'](/[a-z_0-9/]+)["']\)""", generated.read_text("utf-8")))
        assert paths, generated
        assert paths <= set(errors), f"{generated.name}: checks without a code: {sorted(paths - set(errors))}"


def _codes() -> set[str]:
    from aigif._errors import FORMAT_CODES

    return set(FORMAT_CODES)


@pytest.mark.slow
def test_python_reader_imports_no_aigif_module(built, tmp_path):
    """Run the Python reader in a fresh interpreter and look at what it loaded."""
    sample = tmp_path / "t.aigif"
    sample.write_bytes(TABLE1_BYTES)
    probe = ("import runpy, sys; sys.argv = [sys.argv[1], sys.argv[2]]\n"
             "try:\n    runpy.run_path(sys.argv[0], run_name='__main__')\n"
             "except SystemExit as e:\n    assert e.code == 0, e.code\n"
             "bad = sorted(m for m in sys.modules if m == 'aigif' or m.startswith('aigif.'))\n"
             "assert not bad, bad\n")
    done = subprocess.run([sys.executable, "-c", probe, str(ADAPTER_PY), str(sample)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------------------------------------
# The reader protocol, one file at a time


@pytest.mark.slow
@pytest.mark.parametrize("reader", READER_COMMANDS)
@pytest.mark.parametrize("example", WORKED_EXAMPLES)
def test_worked_examples_print_exactly_what_aigif_info_prints(built, tmp_path, reader, example):
    """Same text as ``aigif info --json``: key order, indentation, 7.5 / 5.0, 2^64 - 1 exact (R5.4)."""
    path = tmp_path / f"{example}.aigif"
    path.write_bytes(WORKED_EXAMPLES[example])
    done = subprocess.run([*READER_COMMANDS[reader], str(path)], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode("utf-8") == dumps_json(aigif.loads(WORKED_EXAMPLES[example])) + "\n"


@pytest.mark.slow
@pytest.mark.parametrize("reader", READER_COMMANDS)
def test_refusal_and_crash_exit_statuses(built, tmp_path, reader):
    """Exit 1 with ``PROG: error: ... [code]`` to refuse; exit 2 (a crash, never 1) otherwise."""
    bad = tmp_path / "bad.aigif"
    bad.write_bytes(make_file(height=uv(0)))
    done = subprocess.run([*READER_COMMANDS[reader], str(bad)], capture_output=True, text=True)
    assert done.returncode == 1 and done.stdout == ""
    assert re.fullmatch(rf"kaitai-{'python' if reader == 'python' else 'js'}: error: .+ \[invalid-value\]\n",
                        done.stderr), done.stderr
    missing = subprocess.run([*READER_COMMANDS[reader], str(tmp_path / "missing.aigif")], capture_output=True)
    assert missing.returncode == 2


# ---------------------------------------------------------------------------------------------
# Differential tests against the reference library


@pytest.mark.slow
@given(obj=files())
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_generated_files_read_the_same_as_the_library(readers, tmp_path, obj):
    """Every file of the round-trip strategy: the same canonical JSON, exactly (floats, 64-bit seeds)."""
    data = aigif.dumps(obj)
    path = tmp_path / "generated.aigif"
    path.write_bytes(data)
    expected = library_result(data)
    for name, reader in readers.items():
        assert reader(path) == expected, f"{name} reader differs on {data.hex()}"


ZSTD_CONTENT = string("a cat") + string("blurry")


def _zstd(content: bytes = ZSTD_CONTENT, *, descriptor: int | None = None, checksum_ok: bool | None = None,
          dict_id: int | None = None, fhd_bits: int = 0, level: int = 3, zdict: bytes | None = None) -> bytes:
    """A zstd frame of ``content`` with its header rebuilt by hand (RFC 8878 3.1.1.1): a 4-byte content
    size, a window descriptor (``None``: single segment, no descriptor), a 4-byte dictionary ID if
    ``dict_id`` is given, ``fhd_bits`` or-ed into the descriptor byte; ``checksum_ok`` adds the content
    checksum (``False``: with its last byte flipped). With ``zdict`` (a full dictionary's bytes) the
    blocks are compressed with that dictionary; the header names ``dict_id`` whatever it is."""
    import zstandard

    options = {} if zdict is None else {
        "dict_data": zstandard.ZstdCompressionDict(zdict, dict_type=zstandard.DICT_TYPE_FULLDICT)}
    frame = zstandard.ZstdCompressor(level=level, write_content_size=True, write_checksum=checksum_ok is not None,
                                     **options).compress(content)
    fhd = frame[4]
    single = fhd >> 5 & 1
    header = 5 + (0 if single else 1) + [0, 1, 2, 4][fhd & 3] + [single, 2, 4, 8][fhd >> 6]
    fhd = 0x80 | (0x20 if descriptor is None else 0) | (0x04 if checksum_ok is not None else 0) | fhd_bits
    fhd |= 0 if dict_id is None else 3
    frame = (frame[:4] + bytes([fhd]) + (b"" if descriptor is None else bytes([descriptor]))
             + (b"" if dict_id is None else dict_id.to_bytes(4, "little"))
             + len(content).to_bytes(4, "little") + frame[header:])
    if checksum_ok is False:
        frame = frame[:-1] + bytes([frame[-1] ^ 1])
    return frame


def _zstd_file(frame: bytes, codec: int = 2) -> bytes:
    return make_file(comp=compression(text=codec), text=uv(len(frame)) + frame)


def _dict_file(frame: bytes) -> bytes:
    """A file whose text compressor is zstd-dict (R5.6)."""
    return _zstd_file(frame, 3)


def _dict(content: bytes = DICT_CONTENT, *, dict_id: int | None = 32768, zdict: bytes = PROMPTS_V1,
          **options) -> bytes:
    """A zstd frame made with a dictionary (the published one unless ``zdict``), naming ``dict_id``."""
    return _zstd(content, dict_id=dict_id, zdict=zdict, **options)


def _changed_copy(zdict: bytes) -> bytes:
    """The dictionary with every 7th byte of its content changed (same header, tables and ID)."""
    changed = bytearray(zdict)
    for i in range(200, len(changed), 7):  # the content starts after 164 bytes of header and tables
        changed[i] ^= 0x20
    return bytes(changed)


def _window(log: int, mantissa: int = 0) -> int:
    """The window descriptor byte of RFC 8878 3.1.1.1.2: (1 + mantissa / 8) * 2**log bytes."""
    return (log - 10) << 3 | mantissa


#: The suite's n_zstd_corrupt_literals (tools/gen_conformance.py): one flipped bit in a literals header.
#: fzstd, the JavaScript reader's first zstd decoder, decoded it; libzstd refuses it.
ZSTD_CORRUPT_LITERALS = bytes.fromhex(
    "894149470d0a1a0a01010000000000006028b52ffd2074bd020042cf1411a0eda04b65b7ca9fdef8ddeb4bd4fdcf1ae9ed7adc"
    "2baf73b55eb62f3bae909f6cea3adf8b6a805e724de15a58a16d2e9fea1874aecd904578550a41d90a43f27bd66e18ea46f0bd"
    "e47b65c2c83d6eb84b0400800480040032d90400dc4424c4")

def _source_metadata(stored_block: bytes, *, codec: int = 2, declared: int | None = None) -> bytes:
    """A file with field 26 (R6.8): compressor, declared content length, stored block."""
    return make_file(fields=[field(26, exp(codec) + uv(len(SOURCE_CONTENT) if declared is None else declared)
                                   + stored_block)])


SOURCE_CONTENT = uv(1) + string("png:tEXt") + string("parameters") + uv(5) + b"a fox"
BIG_SOURCE_CONTENT = uv(1) + string("png:iTXt") + string("workflow") + uv(65_536) + b"{" * 65_536  # R4.3's limit + 1
_DICT_TEXT = PROMPTS_V1[200:].decode("utf-8", "ignore").encode("utf-8") * 3  # the dictionary's phrases, 3 times
BIG_DICT_SOURCE_CONTENT = uv(1) + string("png:tEXt") + string("parameters") + uv(len(_DICT_TEXT)) + _DICT_TEXT

#: Files that once separated a generated reader from the library, or probe a limit from both sides
#: (each is named after what it checks).
EDGE_CASES = {
    # kaitai-struct 0.11.0 (JS) truncates byte lengths to 32-bit signed integers in readBytes
    "text_length_2_32_plus_3": make_file(text=uv(2**32 + 3) + string("x") + b"\x00"),
    "field_length_2_31": make_file(fields=[exp(40) + uv(2**31) + b"abc"]),
    "field_length_2_32_minus_1": make_file(fields=[exp(40) + uv(2**32 - 1) + b"abc"]),
    # the JS runtime's UTF-8 decoder drops a leading BOM (and is lenient)
    "bom_prompt": make_file(text=text_block("\ufeffa cat", "\ufeff")),
    # map keys compare as UTF-8 bytes (code points), not as JavaScript's UTF-16 code units
    "map_keys_private_use_then_astral": make_file(fields=[field(14, uv(2) + string("\ue000") + string("1")
                                                                + string("\U0001F408") + string("2"))]),
    "map_keys_astral_then_private_use": make_file(fields=[field(14, uv(2) + string("\U0001F408") + string("1")
                                                                + string("\ue000") + string("2"))]),
    # R5.5 text compressor none: the limit applies once the stored bytes are present
    "text_none_131077_present": make_file(text=stored(text_content("p" * 65_535, "n" * 65_535) + b"\x00")),
    "text_none_131077_past_end": make_file(text=uv(131_077) + text_content("p" * 65_535, "n" * 100)),
    # R5.5 zstd window: at most 1 MiB, checked from the header before anything is decoded or allocated
    "zstd_window_just_under_1mib": _zstd_file(_zstd(descriptor=_window(19, 7))),  # 1.875 * 2^19
    "zstd_window_1mib": _zstd_file(_zstd(descriptor=_window(20))),
    "zstd_window_1mib_plus_an_eighth": _zstd_file(_zstd(descriptor=_window(20, 1))),
    "zstd_window_2mib": _zstd_file(_zstd(descriptor=_window(21))),
    "zstd_window_log_28": _zstd_file(_zstd(descriptor=_window(28))),
    "zstd_window_log_31": _zstd_file(_zstd(descriptor=_window(31))),
    # libzstd cannot even parse these headers; the library reads the window itself (SPEC_RESULTS)
    "zstd_window_log_32": _zstd_file(_zstd(descriptor=_window(32))),
    "zstd_window_log_41_mantissa_7": _zstd_file(_zstd(descriptor=0xFF)),  # 2^41 + 7 * 2^38, the largest
    # R5.5 zstd frame header details
    "zstd_content_size_2_byte_form": make_file(comp=compression(text=2),
                                               text=text_block("p" * 300, compressor="zstd")),
    "zstd_empty_content": _zstd_file(_zstd(b"")),
    "zstd_header_cut_short": _zstd_file(_zstd()[:7]),
    "zstd_reserved_bit": _zstd_file(_zstd(fhd_bits=0x08)),
    "zstd_unused_bit": _zstd_file(_zstd(fhd_bits=0x10)),
    "zstd_dictionary_id_0": _zstd_file(_zstd(dict_id=0)),
    "zstd_dictionary_id_7": _zstd_file(_zstd(dict_id=7)),
    "zstd_reserved_block_type": _zstd_file(_zstd()[:9] + bytes([_zstd()[9] | 0x06]) + _zstd()[10:]),
    # zstd content checksum: fzstd skipped it; libzstd checks it
    "zstd_checksum_good": _zstd_file(_zstd(descriptor=_window(20), checksum_ok=True)),
    "zstd_checksum_bad": _zstd_file(_zstd(descriptor=_window(20), checksum_ok=False)),
    # corrupt blocks that fzstd decoded and libzstd refuses
    "zstd_corrupt_literals": ZSTD_CORRUPT_LITERALS,
    # R6.8 source metadata: the same frame checks with its own limits (window 16 MiB, exactly n bytes)
    "source_metadata_zstd_window_16mib": _source_metadata(_zstd(SOURCE_CONTENT, descriptor=_window(24))),
    "source_metadata_zstd_window_16mib_plus_an_eighth":
        _source_metadata(_zstd(SOURCE_CONTENT, descriptor=_window(24, 1))),
    "source_metadata_zstd_window_log_32": _source_metadata(_zstd(SOURCE_CONTENT, descriptor=_window(32))),
    "source_metadata_zstd_declares_one_more": _source_metadata(_zstd(SOURCE_CONTENT),
                                                               declared=len(SOURCE_CONTENT) + 1),
    "source_metadata_zlib_one_byte_more": _source_metadata(zlib.compress(SOURCE_CONTENT + b"!"), codec=1),
    "source_metadata_none_one_byte_short": _source_metadata(SOURCE_CONTENT[:-1], codec=0),
    "source_metadata_text_65536_bytes": _source_metadata(BIG_SOURCE_CONTENT, codec=0, declared=len(BIG_SOURCE_CONTENT)),
    # 64-bit seeds are BigInt in JavaScript
    "seed_2_53_plus_1": make_file(seed=uv(2**53 + 1)),
    "seed_2_64_minus_1": make_file(seed=uv(2**64 - 1)),
    # R5.6 zstd-dict: the frame names a dictionary of the table, by its ID, in any of the ID's forms
    "zstd_dict_reference_writer": make_file(comp=compression(text=3), text=text_block(
        "masterpiece, best quality", "worst quality", compressor="zstd-dict")),  # 2-byte ID, single segment
    "zstd_dict_id_in_4_bytes": _dict_file(_dict()),
    "zstd_dict_window_1mib_checksum": _dict_file(_dict(descriptor=_window(20), checksum_ok=True)),
    "zstd_dict_checksum_bad": _dict_file(_dict(descriptor=_window(20), checksum_ok=False)),
    "zstd_dict_empty_content": _dict_file(_dict(b"")),
    "zstd_dict_content_131077": _dict_file(_dict(text_content("p" * 65_535, "n" * 65_535) + b"\x00")),
    # R5.6: a zstd-dict frame must name a dictionary: no ID field, or an ID field holding 0
    "zstd_dict_no_id": _dict_file(_dict(dict_id=None)),
    "zstd_dict_id_0": _dict_file(_dict(dict_id=0)),
    "zstd_dict_plain_frame": _dict_file(_zstd(DICT_CONTENT)),
    # R5.6: an ID not in the table (RFC 8878's reserved ranges included) is unsupported-compressor
    "zstd_dict_id_7": _dict_file(_dict(dict_id=7)),
    "zstd_dict_id_32767": _dict_file(_dict(dict_id=32767)),
    "zstd_dict_id_32769": _dict_file(_dict(dict_id=32769)),
    "zstd_dict_id_2_31": _dict_file(_dict(dict_id=2**31)),
    "zstd_dict_id_2_32_minus_1": _dict_file(_dict(dict_id=2**32 - 1)),
    "zstd_dict_id_32768_plus_2_16": _dict_file(_dict(dict_id=32768 + 2**16)),  # 32768 in the low 2 bytes
    # R5.5/R5.6 order: size and window come before the dictionary
    "zstd_dict_unknown_id_and_window_2mib": _dict_file(_dict(dict_id=32769, descriptor=_window(21))),
    "zstd_dict_unknown_id_and_content_131077": _dict_file(
        _dict(text_content("p" * 65_535, "n" * 65_535) + b"\x00", dict_id=32769)),
    "zstd_dict_no_id_and_window_log_32": _dict_file(_dict(dict_id=None, descriptor=_window(32))),
    # R5.6: the dictionary byte for byte: frames made with another dictionary that claims ID 32768
    "zstd_dict_made_with_a_changed_copy": _dict_file(_dict(zdict=_changed_copy(PROMPTS_V1), checksum_ok=True)),
    "zstd_dict_made_with_a_changed_copy_no_checksum": _dict_file(_dict(zdict=_changed_copy(PROMPTS_V1))),
    # R5.5: a zstd frame must not name a dictionary (0 is no dictionary: zstd_dictionary_id_0)
    "zstd_names_dictionary_32768": _zstd_file(_dict()),
    "zstd_names_dictionary_32769": _zstd_file(_dict(dict_id=32769)),
    # R6.8: the source metadata uses the same registry, so zstd-dict and its rules
    "source_metadata_zstd_dict": _source_metadata(_dict(SOURCE_CONTENT), codec=3),
    "source_metadata_zstd_dict_window_16mib": _source_metadata(_dict(SOURCE_CONTENT, descriptor=_window(24)), codec=3),
    "source_metadata_zstd_dict_unknown_id": _source_metadata(_dict(SOURCE_CONTENT, dict_id=32769), codec=3),
    "source_metadata_zstd_dict_no_id": _source_metadata(_dict(SOURCE_CONTENT, dict_id=None), codec=3),
    "source_metadata_zstd_dict_declares_one_more": _source_metadata(_dict(SOURCE_CONTENT), codec=3,
                                                                    declared=len(SOURCE_CONTENT) + 1),
    "source_metadata_zstd_names_dictionary": _source_metadata(_dict(SOURCE_CONTENT), codec=2),
    "source_metadata_compressor_4": _source_metadata(_dict(SOURCE_CONTENT), codec=4),
    # R6.8 with R5.6: 3 blocks (more than a text block may hold) that copy from all of the dictionary
    "source_metadata_zstd_dict_340k": _source_metadata(_dict(BIG_DICT_SOURCE_CONTENT, level=19), codec=3,
                                                       declared=len(BIG_DICT_SOURCE_CONTENT)),
}

#: The spec's result for headers libzstd cannot parse (window log above 31). R5.5: a window above 1 MiB
#: is `limit-exceeded`; the library reads such a window from the header itself to say so.
SPEC_RESULTS = {
    "zstd_window_log_32": ("error", "limit-exceeded"),
    "zstd_window_log_41_mantissa_7": ("error", "limit-exceeded"),
    "source_metadata_zstd_window_log_32": ("error", "limit-exceeded"),  # R6.8: above 16 MiB
}


def expected_result(name: str) -> tuple[str, str]:
    return library_result(EDGE_CASES[name])


def test_edge_cases_probe_what_they_say():
    """The hand-built zstd headers are what their names say (libzstd reads the ones it can)."""
    import zstandard

    def frame(name: str) -> bytes:
        data = EDGE_CASES[name]
        return data[data.index(b"\x28\xb5\x2f\xfd"):-(4 + 9)]  # the stored block: up to height .. guidance

    assert zstandard.get_frame_parameters(frame("zstd_window_1mib")).window_size == 1 << 20
    assert zstandard.get_frame_parameters(frame("zstd_window_just_under_1mib")).window_size == (1 << 20) - (1 << 16)
    assert zstandard.get_frame_parameters(frame("zstd_window_1mib_plus_an_eighth")).window_size == (1 << 20) * 9 // 8
    assert zstandard.get_frame_parameters(frame("zstd_window_log_31")).window_size == 1 << 31
    assert zstandard.get_frame_parameters(frame("zstd_dictionary_id_7")).dict_id == 7
    with pytest.raises(zstandard.ZstdError):  # libzstd: "Frame requires too much memory for decoding"
        zstandard.get_frame_parameters(frame("zstd_window_log_32"))
    assert library_result(EDGE_CASES["zstd_corrupt_literals"]) == ("error", "bad-compressed-data")


@pytest.mark.parametrize("name", SPEC_RESULTS)
def test_library_gives_the_spec_result_for_zstd_windows_above_2_31(name):
    """libzstd cannot parse these headers; the library reads the window itself (R5.5: limit-exceeded)."""
    assert library_result(EDGE_CASES[name]) == SPEC_RESULTS[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", EDGE_CASES)
def test_edge_cases_read_the_same_as_the_library(readers, tmp_path, name):
    path = tmp_path / f"{name}.aigif"
    path.write_bytes(EDGE_CASES[name])
    expected = expected_result(name)
    for reader_name, reader in readers.items():
        assert reader(path) == expected, reader_name


def _reseal(data: bytes) -> bytes:
    body = data[:-4]
    return body + struct.pack(">I", zlib.crc32(body))


def _mutations(data: bytes, rng: random.Random, count: int):
    """Byte flips, overwrites, insertions and deletions (CRC recomputed) and truncations."""
    for _ in range(count):
        kind = rng.choice(("flip", "set", "insert", "delete", "truncate"))
        i = rng.randrange(len(data))
        if kind == "truncate":
            yield kind, data[:i]
            continue
        m = bytearray(data)
        if kind == "flip":
            m[i] ^= 1 << rng.randrange(8)
        elif kind == "set":
            m[i] = rng.choice((0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, 0x0F, 0xF0, rng.randrange(256)))
        elif kind == "insert":
            m[i:i] = bytes([rng.randrange(256)])
        else:
            del m[i]
        yield kind, _reseal(bytes(m))


ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
#: What decoding a zstd block and parsing the content it gives can say (R5.5).
DECODING_OUTCOMES = {"accepted", "bad-compressed-data", "bad-utf8", "malformed-field", "limit-exceeded",
                     "non-canonical"}


def _known_difference(reader: str, expected: tuple[str, str], got: tuple[str, str], data: bytes,
                      results: dict[str, tuple[str, str]]) -> str | None:
    """Differences that are explained (docs/kaitai.md, "Where the readers differ"); None otherwise.
    ``results`` holds every reader's result for ``data``."""
    if expected == ("error", "reserved-bits") and got == ("error", "unsupported-compressor"):
        # Two defects in the two compression bytes: the .ksy checks the bit fields in file order
        # (compressors before the reserved bits at the end), the library checks the reserved bits
        # first. R9.2 does not order checks within one part (suite case i_reserved_bits_and_unknown_compressor).
        return "compression bits"
    if reader == "js" and results.get("python") == expected and ZSTD_MAGIC in data:
        # A corrupt zstd frame without a content checksum: libzstd's 64-bit build (the library's and
        # the Python reader's) and its 32-bit build (every WebAssembly libzstd, the JavaScript
        # reader's) do not detect the same corruptions of Huffman-coded literals: one decodes to
        # other text what the other refuses (LIBZSTD_WORD_SIZE_CASES). Only the blocks differ, so
        # the outcomes are those of decoding them and parsing what they give.
        said = {result[1] if result[0] == "error" else "accepted" for result in (expected, got)}
        frame = data[data.index(ZSTD_MAGIC):]
        if (said <= DECODING_OUTCOMES and ("bad-compressed-data" in said or said == {"accepted"})
                and not frame[4] & 0x04):
            return "libzstd 64-bit and 32-bit builds"
    return None


#: Corrupt zstd frames (a bit flipped in a block; no content checksum) that libzstd 1.5.7 decodes
#: differently on 64-bit (the library, the Python reader) and 32-bit platforms (the JavaScript reader:
#: @bokuweb/zstd-wasm; a native `gcc -m32` build of libzstd 1.5.7 gives the same results). Found by
#: the bit-flip tests: name -> (text compressor, frame, library and Python reader, JavaScript reader).
LIBZSTD_WORD_SIZE_CASES = {
    # 64-bit: the 4-stream Huffman fast path decodes the literals (to other text); 32-bit refuses them
    "zstd_literals_decoded_only_on_64_bit": (2, bytes.fromhex(
        "28b52ffd6047002d0700069132215085b46d302b0b9f9128d12bdf1ed7faa55b06b1c1a91d6c6de0a063d59899c5e02c0027"
        "002800dabf54064f408004a0ede4629deb0b627384e6274030603060eda0a1adf12917e2b734559858f891f4280a02a75ad3"
        "21e1360e4c37d78f75a655e32891c3aab3adfe1423fde285f06b891c441ce55adce7c74c8dbea8665ec52fadaacc457e0a07"
        "09c5af1d49f70d3f7950fd585a34d026b81372d03cd54a94150fcbc6683f9b1ecaaf158fafc26d0c45f15b126eb8c83861c2"
        "c859b6c2eaa7145be66a1e34be0a0608002933a4a164f0647ead10378f76d6c8011fdc00dc2705"),
        ("json", None), ("error", "bad-compressed-data")),
    # zstd-dict, literals coded with the dictionary's Huffman table: decoded on 64-bit, refused on 32-bit
    "zstd_dict_literals_decoded_only_on_64_bit": (3, bytes.fromhex(
        "28b52ffd22008090ad0100e3c0020068bc5d07d80fb69f17450cfc7721000c70613dc06f3851416a8c37cd3b6abc4b0894"
        "33f6d29e41b33cfc449cccd6083701"), ("error", "malformed-field"), ("error", "bad-compressed-data")),
    # zstd-dict: refused on 64-bit, decoded on 32-bit (to bytes that are not UTF-8)
    "zstd_dict_literals_decoded_only_on_32_bit": (3, bytes.fromhex(
        "28b52ffd6200801003c50b00938b22d8e5859a4a3045a95f1e343d9f9d624b3f563e4a2d0d30b7cef58ca3843d95f2a3d4f8"
        "f2cf72f62d4a068852f6ac93597986a2943187e179751f3c439a3a23de9e56f60201c40f4d84889420afead9118d6c19255c"
        "fde6bfaebf1e3ab7dc52ff71e55a404358b922c491273dc4eb7b13a291f3d846211eb7aea79fcfbc5694eabc588639aad799"
        "031e0153fcb22b00302c6f4f4392d7e583e0391e305e7ae59cf5392f387f18af2356e83314a50cb38595274899fd8b5f447c"
        "91212a0b86da789492c5603931d97efdd079880c7bf33252a54ce54acfa1c782f9dae4f949fa34fb70c5b6efec38baa0b18b"
        "3d1c517c62fdefe98e2c8c1165b005760ba50456056416f240810c900ae46c4cdd03861429bf52a5c76e1a26ece62d88907a"
        "3476a888f7fd5e05d9db70e5b33b21a0703433822bc7c443c8f90c5b7b331f99e869c7de6ffa4fb1ce954fd7a22a9b40dcdd"
        "fba7b7b3052b9245dc61b5c0ed1e5243f67e8ead84aa8dc05ea67d800d1181382172505dea0d"),
        ("error", "bad-compressed-data"), ("error", "bad-utf8")),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", LIBZSTD_WORD_SIZE_CASES)
def test_libzstd_word_size_cases_differ_as_documented(readers, tmp_path, name):
    """The known difference between the readers, pinned: the library and the Python reader give one
    answer, the JavaScript reader (libzstd in WebAssembly, 32-bit) the other. Should a new
    @bokuweb/zstd-wasm or libzstd change this, docs/kaitai.md ("Where the readers differ") and
    _known_difference must change with it."""
    codec, frame, native, wasm = LIBZSTD_WORD_SIZE_CASES[name]
    assert not frame[4] & 0x04  # no content checksum (it would catch the changed content on every build)
    data = _zstd_file(frame, codec)
    path = tmp_path / f"{name}.aigif"
    path.write_bytes(data)
    expected = library_result(data)
    assert expected[0] == native[0] and (native[1] is None or expected[1] == native[1]), expected
    assert readers["python"](path) == expected
    got = readers["js"](path)
    assert got[0] == wasm[0] and (wasm[1] is None or got[1] == wasm[1]), got
    assert _known_difference("js", expected, got, data, {"python": expected}) is not None


@pytest.mark.slow
def test_mutated_suite_files_are_refused_like_the_library(readers, tmp_path):
    """Mutations of every valid suite file: the same JSON or the same error code as the library."""
    corpus = [path.read_bytes() for path in sorted(SUITE.glob("y_*.aigif"))] or list(WORKED_EXAMPLES.values())
    rng = random.Random(20261121)
    path = tmp_path / "mutated.aigif"
    unexplained, explained, total = [], {}, 0
    for data in corpus:
        for kind, mutated in _mutations(data, rng, 8):
            path.write_bytes(mutated)
            expected = library_result(mutated)
            results = {name: reader(path) for name, reader in readers.items()}
            for name, got in results.items():
                total += 1
                if got == expected:
                    continue
                why = _known_difference(name, expected, got, mutated, results)
                if why is None:
                    said = [result[1] if result[0] == "error" else "accepts" for result in (expected, got)]
                    unexplained.append(f"{name} ({kind}): library {said[0]}, reader {said[1]}: {mutated.hex()}")
                else:
                    explained[why] = explained.get(why, 0) + 1
    assert not unexplained, "\n".join(unexplained[:20])
    assert sum(explained.values()) < total / 20, explained  # rare: most mutations have one defect


@pytest.mark.slow
@pytest.mark.parametrize("reader", READER_COMMANDS)
def test_a_dictionary_the_reader_does_not_hold_is_unsupported(built, tmp_path, reader):
    """R5.6: a reader uses the dictionary file byte for byte as published; one it does not hold (no
    file, or a file whose SHA-256 is not the published one) cannot decode the block:
    ``unsupported-compressor``. The dictionary is read only when a file needs it."""
    sample = tmp_path / "dict.aigif"
    sample.write_bytes(EDGE_CASES["zstd_dict_reference_writer"])
    plain = tmp_path / "zstd.aigif"
    plain.write_bytes(EDGE_CASES["zstd_content_size_2_byte_form"])
    changed = tmp_path / "changed"
    changed.mkdir()
    (changed / "prompts-v1.zdict").write_bytes(PROMPTS_V1[:-1] + bytes([PROMPTS_V1[-1] ^ 1]))
    missing = tmp_path / "missing"
    missing.mkdir()
    for directory, reason in ((changed, "SHA-256 differs"), (missing, "cannot read")):
        env = dict(os.environ, AIGIF_KAITAI_DICTIONARIES=str(directory))
        done = subprocess.run([*READER_COMMANDS[reader], str(sample)], capture_output=True, text=True, env=env)
        assert done.returncode == 1 and done.stderr.endswith("[unsupported-compressor]\n"), done.stderr
        assert reason in done.stderr and "32768" in done.stderr, done.stderr
        done = subprocess.run([*READER_COMMANDS[reader], str(plain)], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
    done = subprocess.run([*READER_COMMANDS[reader], str(sample)], capture_output=True, text=True)
    assert done.returncode == 0 and json.loads(done.stdout)["compression"]["text_compressor"] == "zstd-dict"


def _dictionary_phrases() -> list[str]:
    """The phrases of the prompt dictionary's content (it is phrases joined with ", ")."""
    phrases = PROMPTS_V1[200:].decode("utf-8", "ignore").split(", ")[1:-1]
    return [phrase for phrase in phrases if 0 < len(phrase) <= 200]


def _dictionary_prompts(count: int) -> list[tuple[str, str]]:
    """(prompt, negative prompt) pairs: the dictionary's phrases in random order and number (so the
    frames refer to its whole content), with weights, LoRA tags, text it does not hold, non-ASCII
    text, empty strings and a few long ones."""
    rng = random.Random(32768)
    phrases = _dictionary_phrases()
    extras = ["(masterpiece:1.2)", "<lora:detail_tweaker:0.6>", "BREAK", "猫耳", "🐈 on a 🛋️", "café au lait",
              "zxqv-unseen-token", "\n", "((best quality))", "[blurry]", "ÆØÅ", "a" * 40]

    def text(k: int) -> str:
        words = [rng.choice(extras) if rng.random() < 0.1 else rng.choice(phrases) for _ in range(k)]
        return ", ".join(words)

    pairs = [("", ""), ("a", ""), ("", "lowres"), (phrases[-1], phrases[-2]), (phrases[0], phrases[1])]
    while len(pairs) < count:
        pairs.append((text(rng.choice((1, 3, 8, 20, 40, 80))), text(rng.choice((0, 0, 5, 15, 30)))))
    for size in (4_000, 30_000, 65_000):  # long prompts: many blocks, far offsets
        long = text(size // 8)
        pairs.append((long.encode("utf-8")[:size].decode("utf-8", "ignore"), text(50)))
    return pairs


@pytest.mark.slow
def test_dictionary_compressed_prompts_read_the_same_as_the_library(readers, tmp_path):
    """R5.6 differential: hundreds of text blocks compressed with the prompt dictionary, by the reference
    writer (aigif.dumps, level 19) and by libzstd at other levels, with and without a content checksum
    and a window descriptor: both readers give exactly the library's JSON, and the library accepts them."""
    import zstandard

    zdict = zstandard.ZstdCompressionDict(PROMPTS_V1, dict_type=zstandard.DICT_TYPE_FULLDICT)
    rng = random.Random(20260516)
    base = table1()
    path = tmp_path / "dict.aigif"
    shapes: dict[str, int] = {}
    for i, (prompt, negative) in enumerate(_dictionary_prompts(400)):
        if i % 4 == 0:  # the reference writer
            obj = dataclasses.replace(base, compression=dataclasses.replace(base.compression,
                                                                            text_compressor="zstd-dict"),
                                      data=dataclasses.replace(base.data, prompt=prompt, negative_prompt=negative))
            data = aigif.dumps(obj)
            shape = "writer"
        else:
            content = text_content(prompt, negative)
            level = rng.choice((1, 3, 9, 19, 22))
            checksum = rng.random() < 0.3
            if rng.random() < 0.2:
                frame = _dict(content, level=level, descriptor=_window(20), checksum_ok=True if checksum else None)
            else:
                frame = zstandard.ZstdCompressor(level=level, dict_data=zdict, write_content_size=True,
                                                 write_checksum=checksum).compress(content)
            data = _dict_file(frame)
            shape = f"level {level}"
        shapes[shape] = shapes.get(shape, 0) + 1
        path.write_bytes(data)
        expected = library_result(data)
        assert expected[0] == "json", (expected, data.hex())
        assert json.loads(expected[1])["data"]["prompt"] == prompt
        for name, reader in readers.items():
            assert reader(path) == expected, f"{name} reader differs on {data.hex()}"
    assert len(shapes) == 6 and min(shapes.values()) > 20, shapes


def _zstd_dict_corpus() -> list[bytes]:
    """zstd-dict frames: the reference writer's (2-byte ID, single segment), a 4-byte ID with a window
    descriptor and a checksum, short and long contents, levels 1 and 19."""
    rng = random.Random(32769)
    pairs = [pair for pair in _dictionary_prompts(40) if 20 < len(pair[0]) < 3000]
    frames = []
    for i, (prompt, negative) in enumerate(rng.sample(pairs, 6)):
        content = text_content(prompt, negative)
        frames.append(zstd_dict_frame(content, level=1 if i % 2 else 19))
        frames.append(_dict(content, level=3, descriptor=_window(20), checksum_ok=True))
    return frames


def _zstd_corpus() -> list[bytes]:
    """zstd text blocks of several shapes: raw, RLE and compressed blocks, Huffman and FSE tables,
    1- to 4-byte content sizes, a window descriptor, a content checksum."""
    rng = random.Random(8878)
    words = "a cat sitting on a mat photorealistic 8k highly detailed blurry low quality watermark".split()
    prompts = ["a cat", "x" * 1000, " ".join(rng.choice(words) for _ in range(40)),
               " ".join(rng.choice(words) for _ in range(3000))[:60_000]]
    frames = []
    for i, prompt in enumerate(prompts):
        content = text_content(prompt, "blurry, low quality" if i % 2 else "")
        frames += [_zstd(content, level=level) for level in (1, 19)]
        frames.append(_zstd(content, level=3, descriptor=_window(20), checksum_ok=True))
    return frames


@pytest.mark.slow
@pytest.mark.parametrize("codec", [2, 3], ids=["zstd", "zstd-dict"])
def test_corrupt_zstd_frames_are_refused_like_libzstd(readers, tmp_path, codec):
    """A flipped bit anywhere in a zstd (zstd-dict) frame: both readers give the library's answer (libzstd
    refuses corrupt literals, sequences, sizes and checksums that a lenient decoder such as fzstd
    decodes; a flip in the dictionary ID names no dictionary or an unknown one, R5.6)."""
    rng = random.Random(20261122 + codec)
    path = tmp_path / "flipped.aigif"
    unexplained, outcomes, explained, total = [], {}, {}, 0
    for frame in (_zstd_corpus() if codec == 2 else _zstd_dict_corpus()):
        for _ in range(40):
            flipped = bytearray(frame)
            flipped[rng.randrange(len(frame))] ^= 1 << rng.randrange(8)
            data = _zstd_file(bytes(flipped), codec)
            path.write_bytes(data)
            expected = library_result(data)
            outcomes[expected[1] if expected[0] == "error" else "accepted"] = \
                outcomes.get(expected[1] if expected[0] == "error" else "accepted", 0) + 1
            results = {name: reader(path) for name, reader in readers.items()}
            for name, got in results.items():
                total += 1
                if got == expected:
                    continue
                why = _known_difference(name, expected, got, data, results)
                if why is None:
                    unexplained.append(f"{name}: library {expected[1][:40]}, reader {got[1][:40]}: "
                                       f"{bytes(flipped).hex()}")
                else:
                    explained[why] = explained.get(why, 0) + 1
    assert not unexplained, "\n".join(unexplained[:20])
    assert sum(explained.values()) <= total / 50, explained  # rare (measured: 3 and 7 in 2,400 flips)
    assert outcomes.get("bad-compressed-data", 0) > 100, outcomes  # most flips corrupt the frame
    if codec == 3:  # flips in the 2- or 4-byte dictionary ID
        assert outcomes.get("unsupported-compressor", 0) >= 5, outcomes


# ---------------------------------------------------------------------------------------------
# The whole conformance suite, through the runner


@pytest.mark.slow
@pytest.mark.parametrize("reader", READER_COMMANDS)
def test_conformance_suite_passes_completely(built, tmp_path, reader):
    """``aigif conformance run --require-codes`` over the whole suite: 100 % for both readers."""
    if not (SUITE / "index.json").is_file():
        pytest.skip("conformance/suite has not been generated")
    command = " ".join(shlex.quote(part) for part in READER_COMMANDS[reader]) + " {file}"
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "aigif", "conformance", "run", "--reader", command,
                           "--require-codes", "--json", str(out)], capture_output=True, text=True, cwd=ROOT)
    results = json.loads(out.read_text("utf-8")) if out.is_file() else {}
    failures = [f"{case['name']}: {case['reason']}" for case in results.get("cases", []) if case["verdict"] != "pass"]
    assert done.returncode == 0, "\n".join(failures[:30]) or done.stderr[-3000:]
    assert results["totals"]["failed"] == 0 and results["totals"]["passed"] == len(results["cases"]) > 100
