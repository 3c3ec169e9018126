"""Hardening of the reader: mutation tests (hypothesis) and the atheris fuzzer (tools/format/fuzz.py).

The contract is ``fuzz.check`` (tools/format/fuzz.py): R9.1 (``aigif.loads`` returns or raises
``AigifError``, nothing else), the fast path's promise (what it accepts, the schema accepts as the
same object) and R10.1/R10.2 (a file read is rewritten byte for byte). The mutation tests hold every
valid file of the conformance suite to it under random edits, most with the CRC-32 recomputed so
that they get past R3.3 into the structure; the fuzzer does the same, coverage-guided. The tests at
the end prove that the check and the tool do report a broken contract.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import fuzz
import pytest
from helpers import ROOT, TABLE1_BYTES, reseal, uv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aigif
from aigif._format import _fastread, _read

SUITE = ROOT / "conformance" / "suite"
CASES = json.loads((SUITE / "index.json").read_text("utf-8"))["cases"]
VALID = [(SUITE / case["file"]).read_bytes() for case in CASES if case["kind"] == "y"]
EVERY_FILE = sorted({case["file"] for case in CASES})
TOOL = ROOT / "tools" / "format" / "fuzz.py"

#: Byte strings that stress a reader where it decides sizes and codes: runs of 0xFF (exp codes
#: that never end, R4.2), uvarints of 2^64 - 1, 2^64 and 10+ bytes, overlong ones (R4.1), a huge
#: length, lone UTF-8 continuation and surrogate bytes (R4.3), the zlib and zstd magics.
INTERESTING = [
    b"\xff" * 8, b"\xff" * 9, b"\xfe", b"\xff" * 9 + b"\x01", b"\x80" * 9 + b"\x02", b"\x80" * 10 + b"\x01",
    b"\x80\x00", uv(2**32 - 1), uv(2**32), uv(2**24 + 1), uv(131_077), uv(65_536), b"\x00", b"\x01", b"\x7f",
    b"\x80", b"\xc0\x80", b"\xed\xa0\x80", b"\x78\xda", b"\x28\xb5\x2f\xfd",
]

SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------
# Mutations of the valid suite files


@st.composite
def edit(draw, data: bytearray) -> None:
    """One random edit of ``data``, in place."""
    kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "interesting", "splice",
                                 "repeat"]))
    head = min(9, len(data))  # mostly past the signature and version, or little else is read
    at = draw(st.integers(head, len(data)) | st.integers(head, len(data)) | st.integers(0, len(data)))
    if kind == "flip" and at < len(data):
        data[at] ^= 1 << draw(st.integers(0, 7))
    elif kind == "set" and at < len(data):
        data[at] = draw(st.sampled_from([0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF]) | st.integers(0, 255))
    elif kind == "insert":
        data[at:at] = draw(st.binary(min_size=1, max_size=8))
    elif kind == "delete":
        del data[at:at + draw(st.integers(1, 16))]
    elif kind == "truncate":
        del data[at:]
    elif kind == "interesting":  # overwrite, or insert when at the end
        value = draw(st.sampled_from(INTERESTING))
        data[at:at + len(value)] = value
    elif kind == "splice":  # the head of this file, the tail of another
        other = draw(st.sampled_from(VALID))
        data[at:] = other[draw(st.integers(0, len(other))):]
    elif kind == "repeat":  # a part of the file again, right after itself
        data[at:at] = data[at:at + draw(st.integers(1, 32))]


@st.composite
def mutants(draw, resealed: bool | None = None) -> bytes:
    """A valid suite file after 1-4 edits; its CRC-32 recomputed (R3.3) unless told otherwise."""
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        draw(edit(data))
    reseal_it = draw(st.booleans() | st.just(True)) if resealed is None else resealed
    return reseal(bytes(data)) if reseal_it and len(data) > 4 else bytes(data)


def outcome(data: bytes) -> str:
    """The reader's verdict on ``data``: "accepted" or the error code."""
    try:
        aigif.loads(data)
    except aigif.AigifError as err:
        return err.code
    return "accepted"


def hold(contract, *args) -> None:
    """Fail with the input in hex when a part of ``fuzz.check`` finds the contract broken."""
    try:
        contract(*args)
    except fuzz.Finding as finding:
        pytest.fail(f"{finding} on input {args[0].hex()}")


@SETTINGS
@given(mutants())
def test_the_reader_raises_only_aigif_error_on_mutated_files(data):
    hold(fuzz.read, data)


@SETTINGS
@given(mutants())
def test_the_fast_path_accepts_only_what_the_schema_accepts_as_the_same_object(data):
    hold(fuzz.check_fast_path, data)


@SETTINGS
@given(mutants(resealed=True))
def test_mutated_files_that_are_read_are_rewritten_byte_for_byte(data):
    obj = fuzz.read(data)
    if obj is not None:
        hold(fuzz.check_rewrite, data, obj)


def test_resealed_mutants_reach_the_structure_not_just_the_checksum():
    """The mutants above would check little if they all failed the same way: they do not."""
    seen = collections.Counter()

    @settings(max_examples=300, deadline=None, derandomize=True, database=None)
    @given(mutants(resealed=True))
    def collect(data):
        seen[outcome(data)] += 1

    collect()
    assert seen["accepted"] >= 10, seen
    assert max(seen.values()) <= 100, seen  # no one refusal (bad-signature, bad-checksum) dominates
    assert len(seen) >= 10, seen  # accepted and at least nine different error codes


def test_every_suite_file_keeps_the_contract():
    """The check passes on the suite as it is: valid files read, rewritten and agreed on, others refused."""
    for name in EVERY_FILE:
        hold(fuzz.check, (SUITE / name).read_bytes())


# ---------------------------------------------------------------------------------------------
# The check reports each kind of broken contract (a check that cannot fail checks nothing)


def _other_prompt(obj):
    return dataclasses.replace(obj, data=dataclasses.replace(obj.data, prompt=obj.data.prompt + "!"))


def _raise(error):
    def fail(*args):
        raise error

    return fail


#: For each kind of finding: the function to break (module, name) and its broken replacement.
BROKEN_READERS = {
    "uncaught": (aigif, "loads", _raise(ValueError("bug"))),
    "fast-path-accepts": (_fastread, "parse", lambda data: _read.loads_schema(TABLE1_BYTES)),
    "fast-path-differs": (_fastread, "parse", lambda data: _other_prompt(_read.loads_schema(data))),
    "fast-path-bug": (_fastread, "parse", _raise(KeyError("bug"))),
    "rewrite-fails": (aigif, "dumps", _raise(aigif.UsageError("cannot write"))),
    "rewrite-differs": (aigif, "dumps", lambda obj: TABLE1_BYTES + b"\0"),
    "json-differs": (aigif, "from_json", lambda doc: _other_prompt(_read.loads_schema(TABLE1_BYTES))),
}


@pytest.mark.parametrize("kind", sorted(BROKEN_READERS))
def test_the_check_reports_a_broken_reader(kind, monkeypatch):
    monkeypatch.setattr(*BROKEN_READERS[kind])
    data = TABLE1_BYTES if kind != "fast-path-accepts" else (SUITE / "n_checksum_zero.aigif").read_bytes()
    with pytest.raises(fuzz.Finding) as info:
        fuzz.check(data)
    assert info.value.kind == kind


def test_the_check_allows_refusals_with_aigif_error():
    fuzz.check(b"\x89AIG\r\n\x1a\n\x01")  # truncated: refused, and that is the contract kept
    assert outcome(b"\x89AIG\r\n\x1a\n\x01") == "truncated"


def test_findings_are_told_apart_by_exception_and_place():
    def finding(error):
        try:
            try:
                raise error
            except Exception as err:
                raise fuzz.Finding("uncaught", str(err)) from err
        except fuzz.Finding as found:
            return found

    first, second = finding(ValueError("a")), finding(KeyError("b"))
    assert fuzz.signature(first).startswith("uncaught:ValueError@test_fuzz.py:")
    assert fuzz.signature(first) != fuzz.signature(second)
    assert fuzz.signature(fuzz.Finding("rewrite-differs", "x")) == "rewrite-differs"


# ---------------------------------------------------------------------------------------------
# The tool: its reading of libFuzzer, its errors, and real runs


LIBFUZZER_OUTPUT = """\
INFO: Seed: 1234
#514	INITED cov: 709 ft: 1453 corp: 154/9898b exec/s: 0 rss: 56Mb
#4096	pulse  cov: 714 ft: 1604 corp: 195/30Kb lim: 4096 exec/s: 2048 rss: 56Mb
#5000	DONE   cov: 714 ft: 1614 corp: 201/30Kb lim: 4096 exec/s: 2500 rss: 56Mb
Done 5000 runs in 2 second(s)
stat::number_of_executed_units: 5000
stat::peak_rss_mb:              56
"""


def test_the_tool_reads_libfuzzers_final_figures():
    run = fuzz.ChildRun()
    for line in LIBFUZZER_OUTPUT.splitlines():
        run.read_line(line)
    assert (run.seed, run.executed, run.last_line) == (1234, 5000, (5000, 714, 1614, 201, "30Kb"))
    assert run.stats["peak_rss_mb"] == 56 and run.finished


def test_the_tool_reads_a_timeout():
    run = fuzz.ChildRun(returncode=70)
    for line in ["==1== ERROR: libFuzzer: timeout after 1 seconds",
                 "artifact_prefix='/t/'; Test unit written to /t/timeout-abc", "#700 pulse cov: 1 ft: 2 corp: 3/4b"]:
        run.read_line(line)
    crasher = fuzz.libfuzzer_crasher(run)
    assert not run.finished and run.executed == 700
    assert (crasher["signature"], crasher["input"], crasher["message"]) == (
        "libfuzzer-timeout", "/t/timeout-abc", "timeout after 1 seconds")


def test_the_tool_says_how_to_install_atheris(monkeypatch, capsys):
    monkeypatch.setattr(fuzz.importlib.util, "find_spec", lambda name: None)
    assert fuzz.main(["--runs", "10"]) == 2
    assert "pip install atheris" in capsys.readouterr().err


def test_the_tool_never_writes_into_the_conformance_suite(monkeypatch, capsys):
    monkeypatch.setattr(fuzz, "check_atheris", lambda: "test")
    assert fuzz.main(["--corpus", str(SUITE / "corpus")]) == 2
    assert "inside conformance/" in capsys.readouterr().err
    assert not (SUITE / "corpus").exists()


def run_tool(tmp_path, *options) -> tuple[subprocess.CompletedProcess, dict]:
    pytest.importorskip("atheris")
    out = tmp_path / "summary.json"
    result = subprocess.run([sys.executable, str(TOOL), "--artifacts", str(tmp_path / "artifacts"),
                             "--corpus", str(tmp_path / "corpus"), "--json", str(out), *options],
                            capture_output=True, text=True, timeout=600)
    assert out.is_file(), result.stdout + result.stderr
    return result, json.loads(out.read_text("utf-8"))


def suite_state() -> dict:
    return {path.name: (path.stat().st_size, path.stat().st_mtime_ns) for path in SUITE.iterdir()}


@pytest.mark.slow
def test_a_short_fuzzing_run_finds_no_crasher(tmp_path):
    before = suite_state()
    result, summary = run_tool(tmp_path, "--runs", "10000", "--seed", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary["crashers"] == [], summary["crashers"]
    assert summary["executions"] >= 10000 and summary["children"] == 1
    assert summary["cov"] > 100 and summary["ft"] > summary["cov"] and summary["corpus_units"] > 100
    assert summary["seeds"] == len(EVERY_FILE) - len(summary["seeds_left_out"])
    assert "crashers     0" in result.stdout
    assert suite_state() == before  # seeds are copied: the suite is never touched


def largest_source_metadata() -> bytes:
    """A valid file whose source metadata decompresses to just under 16 MiB, the spec's largest (R6.8)."""
    doc = json.loads((SUITE / "y_source_metadata_zstd.json").read_text("utf-8"))
    doc["source"]["metadata"][0]["text"] = "\u00e9" * ((1 << 23) - 64)  # 2 UTF-8 bytes each
    return aigif.dumps(aigif.from_json(doc))


@pytest.mark.slow
def test_the_time_and_memory_caps_leave_room_for_the_largest_valid_file(tmp_path):
    """The caps are tight, but not so tight that a valid file counts as a crasher."""
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "largest.aigif").write_bytes(largest_source_metadata())
    result, summary = run_tool(tmp_path, "--runs", "600")
    assert result.returncode == 0 and summary["crashers"] == [], result.stdout + result.stderr
    assert summary["peak_rss_mb"] > 56 + 16  # the file was read: 16 MiB and more, within the cap
    assert summary["slowest_input_seconds"] < summary["timeout_seconds"] / 2


@pytest.mark.slow
@pytest.mark.parametrize("bug, signature", [
    ("exception", "uncaught:ZeroDivisionError@"),
    ("memory", "uncaught:MemoryError@"),
    ("hang", "libfuzzer-timeout"),
])
def test_the_fuzzer_catches_a_planted_bug(tmp_path, bug, signature):
    result, summary = run_tool(tmp_path, "--runs", "3000", "--self-test", bug, "--max-restarts", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    planted = [crasher for crasher in summary["crashers"] if fuzz.is_planted(crasher)]
    assert planted and all(crasher["signature"].startswith(signature) for crasher in planted), summary["crashers"]
    assert Path(planted[0]["input"]).parent == tmp_path / "artifacts"


def test_the_exit_status_fails_on_crashers_and_self_tests_that_miss(tmp_path):
    planted, other = tmp_path / "planted", tmp_path / "other"
    planted.write_bytes(b"\x89AIG\r\n\x1a\n\x7b")
    other.write_bytes(b"\x89AIG\r\n\x1a\n\x01")
    found = [{"input": str(planted)}]
    assert fuzz.exit_status({"self_test": None, "crashers": []}) == 0
    assert fuzz.exit_status({"self_test": None, "crashers": found}) == 1
    assert fuzz.exit_status({"self_test": "hang", "crashers": found}) == 0
    assert fuzz.exit_status({"self_test": "hang", "crashers": [{"input": str(other)}]}) == 1
    assert fuzz.exit_status({"self_test": "hang", "crashers": []}) == 1
