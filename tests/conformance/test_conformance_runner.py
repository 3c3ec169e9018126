"""``aigif conformance run`` (aigif/_conformance/, aigif/_cli/_conformance.py): the runner itself.

Most tests build a tiny synthetic suite in ``tmp_path`` from the spec's worked examples and the
independent encoder of ``helpers.py``, then run the reference reader (which must pass 100 %) and
deliberately wrong readers (``tests/readers/wrong_reader.py MODE``) that the runner must catch.
The reader subprocesses are the cost, so each test runs only the cases it needs (``--only``).
The runner applies the conformance rule of R15.1 (y_ accepted with equal JSON per R11.4, n_ refused
with the expected code, i_ either way as allowed, nothing else ever, R9.1). The last test runs the
real suite of ``conformance/suite`` and is marked ``slow``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

import helpers

import aigif
import aigif._files
from aigif import _conformance
from aigif._conformance import compare_json, find_code, parse_json
from helpers import (EXAMPLE2_BYTES, EXAMPLE2_JSON, MINIMAL_FILE, ROOT, TABLE1_BYTES, TABLE1_JSON, make_file,
                      read_code, uv)

PY = shlex.quote(sys.executable)
REFERENCE = f"{PY} -m aigif info --json {{file}}"
WRONG = f"{PY} {shlex.quote(str(Path(__file__).resolve().parents[1] / 'readers' / 'wrong_reader.py'))}"


def wrong(mode: str) -> str:
    return f"{WRONG} {mode} {{file}}"


# ---------------------------------------------------------------------------------------------
# A tiny suite


def _cases() -> list[tuple[dict, bytes, object]]:
    """(index entry, file bytes, expected JSON or None): 3 y_, 4 n_, 2 i_ cases."""
    bad_crc = TABLE1_BYTES[:-1] + bytes([TABLE1_BYTES[-1] ^ 1])
    seed_max = make_file(seed=uv(2**64 - 1))
    return [
        ({"name": "y_table1", "kind": "y", "clauses": ["R3.1"]}, TABLE1_BYTES, TABLE1_JSON),
        ({"name": "y_example2", "kind": "y", "clauses": ["R4.1"]}, EXAMPLE2_BYTES, EXAMPLE2_JSON),
        ({"name": "y_seed_max", "kind": "y"}, seed_max, aigif.to_json(aigif.loads(seed_max))),
        ({"name": "n_truncated", "kind": "n", "error": "truncated"}, TABLE1_BYTES[:40], None),
        ({"name": "n_bad_checksum", "kind": "n", "error": "bad-checksum"}, bad_crc, None),
        ({"name": "n_trailing_bytes", "kind": "n", "error": "trailing-bytes"}, TABLE1_BYTES + b"\0", None),
        ({"name": "n_bad_signature", "kind": "n", "error": "bad-signature"}, b"GIF89a" + TABLE1_BYTES[6:], None),
        ({"name": "i_two_defects", "kind": "i", "accept": False, "errors": ["bad-checksum", "trailing-bytes"]},
         bad_crc + b"\0", None),
        ({"name": "i_either", "kind": "i", "accept": True, "errors": ["invalid-value"]}, MINIMAL_FILE,
         aigif.to_json(aigif.loads(MINIMAL_FILE))),
    ]


def write_sums(root: Path) -> None:
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
             for p in sorted(root.iterdir()) if p.is_file() and p.name != "SHA256SUMS"]
    (root / "SHA256SUMS").write_text("".join(lines), "utf-8")


def make_suite(root: Path, *, sidecars: bool = True) -> Path:
    """Write the tiny suite: NAME.aigif (+ NAME.json / NAME.error), index.json, SHA256SUMS."""
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for entry, data, expected in _cases():
        entry = {**entry, "file": entry["name"] + ".aigif", "description": "test case"}
        (root / entry["file"]).write_bytes(data)
        if expected is not None:
            entry["json"] = entry["name"] + ".json"
            (root / entry["json"]).write_text(json.dumps(expected, indent=1), "utf-8")
        if entry["kind"] == "n" and sidecars:
            (root / (entry["name"] + ".error")).write_text(entry["error"] + "\n", "utf-8")
        entries.append(entry)
    index = {"format": "aigif-conformance", "version": 1, "spec": "aigif-v1", "cases": entries}
    (root / "index.json").write_text(json.dumps(index, indent=1), "utf-8")
    write_sums(root)
    return root


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    return make_suite(tmp_path_factory.mktemp("suite") / "suite")


def test_the_tiny_suite_means_what_it_says():
    """Control: each n_ file has exactly the defect its name says (the library refuses it with that code)."""
    for entry, data, expected in _cases():
        if entry["kind"] == "n":
            assert read_code(data) == entry["error"], entry["name"]
        elif entry["kind"] == "y":
            assert aigif.to_json(aigif.loads(data)) == expected
    assert read_code(_cases()[7][1]) in ("bad-checksum", "trailing-bytes")


# ---------------------------------------------------------------------------------------------
# The CLI, in-process


def cli(args: list[str]):
    """``aigif`` in-process (helpers.run), with standard output as text."""
    result = helpers.run(args)
    result.stdout = result.stdout.decode("utf-8")
    return result


def run_json(suite: Path, reader: str, *extra: str, status: int | None = None) -> tuple[helpers.Result, dict]:
    """``aigif conformance run --json -``: the result and the parsed report."""
    result = cli(["conformance", "run", "--reader", reader, "--suite", str(suite), "--json", "-", "--jobs", "4",
                  *extra])
    assert "Traceback" not in result.stderr
    if status is not None:
        assert result.status == status, result.stderr
    return result, json.loads(result.stdout)


def by_name(report: dict) -> dict[str, dict]:
    return {case["name"]: case for case in report["cases"]}


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")


# ---------------------------------------------------------------------------------------------
# The reference reader passes; the report


def test_reference_reader_passes_everything(suite, tmp_path):
    out = tmp_path / "results.json"
    result = cli(["conformance", "run", "--reader", REFERENCE, "--suite", str(suite), "--require-codes",
                  "--json", str(out)])
    assert result.status == 0, result.stdout + result.stderr
    assert "PASS: 9 of 9 cases passed (100.0 %)" in result.stdout
    assert "failures" not in result.stdout
    report = json.loads(out.read_text("utf-8"))
    assert report["format"] == "aigif-conformance-results" and report["version"] == 1
    assert report["reader"] == REFERENCE and report["suite"] == str(suite.resolve())
    assert report["require_codes"] is True and report["timeout"] == 10.0
    assert report["totals"]["total"] == 9 and report["totals"]["passed"] == 9 and report["totals"]["failed"] == 0
    assert report["totals"]["y"] == {"total": 3, "passed": 3, "failed": 0}
    assert report["totals"]["n"] == {"total": 4, "passed": 4, "failed": 0}
    assert report["totals"]["i"] == {"total": 2, "passed": 2, "failed": 0}
    assert report["totals"]["outcomes"]["accepted"] == 4 and report["totals"]["outcomes"]["rejected"] == 5
    cases = by_name(report)
    assert [case["name"] for case in report["cases"]] == [entry["name"] for entry, _, _ in _cases()]  # suite order
    for case in report["cases"]:
        assert set(case) >= {"name", "kind", "verdict", "outcome", "expected", "got", "reason", "seconds"}
        assert case["verdict"] == "pass" and case["reason"] == "" and case["seconds"] > 0
    assert cases["y_example2"] == {**cases["y_example2"], "kind": "y", "outcome": "accepted",
                                   "expected": "accept", "got": "accept", "exit_status": 0, "code": None}
    assert cases["n_truncated"] == {**cases["n_truncated"], "outcome": "rejected", "code": "truncated",
                                    "expected": "reject [truncated]", "got": "reject [truncated]", "exit_status": 1}
    assert cases["i_two_defects"]["expected"] == "reject [bad-checksum|trailing-bytes]"
    assert cases["i_either"]["expected"] == "accept or reject [invalid-value]"


def test_file_placeholder_may_be_omitted_or_embedded(suite):
    """Without {file} the path is appended; {file} may also sit inside an argument."""
    _, report = run_json(suite, f"{PY} -m aigif info --json", "--only", "y_table1", "--only", "n_trunc*", status=0)
    assert [case["name"] for case in report["cases"]] == ["y_table1", "n_truncated"]
    script = "import sys, json, aigif; print(json.dumps(aigif.to_json(aigif.read(sys.argv[1].split('=', 1)[1]))))"
    _, report = run_json(suite, f"{PY} -c {shlex.quote(script)} --input={{file}}", "--only", "y_*", status=0)
    assert report["totals"]["passed"] == 3


def test_key_order_and_white_space_do_not_matter(suite):
    _, report = run_json(suite, wrong("shuffled"), "--only", "y_*", status=0)
    assert report["totals"]["passed"] == 3


def test_json_to_stdout_sends_the_tables_to_stderr(suite):
    result, report = run_json(suite, REFERENCE, "--only", "y_table1", status=0)
    assert report["totals"]["total"] == 1
    assert "PASS: 1 of 1" in result.stderr and "y_ (valid: accept)" in result.stderr
    assert result.stdout.startswith("{")


def test_without_json_the_tables_go_to_stdout(suite):
    result = cli(["conformance", "run", "--reader", REFERENCE, "--suite", str(suite), "--only", "n_bad_sig*"])
    assert result.status == 0, result.stderr
    assert "PASS: 1 of 1" in result.stdout and "n_ (invalid: reject)" in result.stdout


# ---------------------------------------------------------------------------------------------
# Wrong readers are caught


def test_a_reader_accepting_everything_fails(suite):
    result, report = run_json(suite, wrong("accept-all-real"), status=3)
    cases = by_name(report)
    assert {name for name, case in cases.items() if case["verdict"] == "pass"} == {"y_table1", "y_example2",
                                                                                   "y_seed_max", "i_either"}
    assert cases["n_truncated"]["reason"] == "accepted an invalid file (expected [truncated])"
    assert cases["i_two_defects"]["reason"] == "accepted a file this case requires to be rejected"
    assert report["totals"]["n"] == {"total": 4, "passed": 0, "failed": 4}
    assert "failures" in result.stderr and "accepted an invalid file" in result.stderr
    assert "FAIL: 4 of 9 cases passed (44.4 %)" in result.stderr


def test_a_reader_printing_one_fixed_json_fails_every_valid_file(suite):
    _, report = run_json(suite, wrong("accept-all"), "--only", "y_table1", "--only", "i_either", status=3)
    assert by_name(report)["y_table1"]["reason"].startswith("wrong JSON: compression: missing (expected {")
    assert by_name(report)["i_either"]["verdict"] == "fail"


def test_a_reader_rejecting_everything(suite):
    """Without --require-codes a bare rejection passes an n_ case; with it, it fails."""
    _, report = run_json(suite, wrong("reject-all"), status=3)
    cases = by_name(report)
    assert report["totals"]["y"]["passed"] == 0 and report["totals"]["n"]["passed"] == 4
    assert cases["y_table1"]["reason"] == "rejected a valid file" and cases["y_table1"]["got"] == "reject (no code)"
    assert cases["i_two_defects"]["verdict"] == "pass" and cases["i_either"]["verdict"] == "pass"
    _, report = run_json(suite, wrong("reject-all"), "--require-codes", "--only", "[ni]_*", status=3)
    assert report["totals"]["passed"] == 0
    assert by_name(report)["n_truncated"]["reason"] == "rejected without naming an error code (--require-codes)"


def test_the_seed_as_a_double_is_caught_above_2_to_the_53(suite):
    """R11.4: ints compare exactly; a float equals an int only when exactly equal (829557441.0 passes)."""
    _, report = run_json(suite, wrong("float-seed"), "--only", "y_*", status=3)
    cases = by_name(report)
    assert cases["y_table1"]["verdict"] == "pass"
    assert cases["y_example2"]["reason"] == ("wrong JSON: data.seed: expected 18446744073709551615, "
                                             "got 1.8446744073709552e+19")
    assert cases["y_seed_max"]["verdict"] == "fail"


def test_booleans_as_integers_and_extra_keys_are_caught(suite):
    _, report = run_json(suite, wrong("int-bools"), "--only", "y_table1", status=3)
    assert by_name(report)["y_table1"]["reason"] == "wrong JSON: compression.save_pixels: expected false, got 0"
    _, report = run_json(suite, wrong("extra-key"), "--only", "y_table1", status=3)
    assert by_name(report)["y_table1"]["reason"] == 'wrong JSON: data.comment: unexpected key (got "made up")'


def test_a_wrong_error_code_is_caught(suite):
    """The last whole-word code counts: "truncated?" earlier in the line is not it; "non-canonical-looking" is no code."""
    _, report = run_json(suite, wrong("wrong-code"), "--only", "n_*", "--only", "i_two*", status=3)
    cases = by_name(report)
    assert cases["n_truncated"]["reason"] == "wrong code: expected truncated, got bad-signature"
    assert cases["n_truncated"]["got"] == "reject [bad-signature]"
    assert cases["n_bad_signature"]["verdict"] == "pass"
    assert cases["i_two_defects"]["reason"] == ("wrong code: expected one of bad-checksum, trailing-bytes, "
                                                "got bad-signature")


def test_a_hanging_reader_is_killed_with_its_whole_group(suite, tmp_path, monkeypatch):
    pids = tmp_path / "pids"
    monkeypatch.setenv("WRONG_READER_PIDS", str(pids))
    started = time.monotonic()
    _, report = run_json(suite, wrong("hang"), "--only", "y_table1", "--only", "n_truncated", "--timeout", "1.5",
                         status=3)
    assert time.monotonic() - started < 8
    for case in report["cases"]:
        assert case["outcome"] == "timeout" and case["reason"] == "timeout: no answer within 1.5 s"
        assert case["got"] == "timeout (no answer within 1.5 s)"
    lines = pids.read_text().split("\n")[:-1]
    assert len(lines) == 2
    for line in lines:
        for pid in map(int, line.split()):
            assert not _alive(pid), f"process {pid} of a timed-out reader survived"


def test_a_child_left_behind_by_a_reader_neither_stalls_the_run_nor_survives(suite, tmp_path, monkeypatch):
    pids = tmp_path / "pids"
    monkeypatch.setenv("WRONG_READER_PIDS", str(pids))
    started = time.monotonic()
    _, report = run_json(suite, wrong("orphan"), "--only", "y_table1", "--timeout", "20", status=0)
    assert time.monotonic() - started < 10
    assert report["cases"][0]["outcome"] == "accepted"
    for pid in map(int, pids.read_text().split()):
        assert not _alive(pid)


def _alive(pid: int) -> bool:
    """True if ``pid`` still runs (a zombie of ours is reaped first; it is dead)."""
    for _ in range(50):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z":
            return False
        time.sleep(0.02)
    return True


@pytest.mark.parametrize("mode, outcome, reason", [
    ("segfault", "crash", "crash: killed by SIGSEGV"),
    ("abort", "crash", "crash: killed by SIGABRT"),
    ("exit2", "crash", "crash: exit status 2 (0 accepts, 1 rejects)"),
    ("garbage", "bad-output", "bad-output: exit 0 but stdout is not JSON (Expecting value: line 1 column 1 (char 0))"),
    ("empty", "bad-output", "bad-output: exit 0 but stdout is empty"),
    ("not-utf8", "bad-output", "bad-output: exit 0 but stdout is not JSON (not UTF-8 (invalid start byte at byte 13))"),
    ("array", "bad-output", "bad-output: exit 0 but stdout is a JSON list, not an object"),
    ("nan", "bad-output", "bad-output: exit 0 but stdout is not JSON (NaN is not JSON)"),
    ("duplicate", "bad-output", "bad-output: exit 0 but stdout is not JSON (duplicate key 'version')"),
    ("huge", "output-too-large", "output-too-large: more than 16,777,216 bytes on stdout"),
    ("huge-stderr", "output-too-large", "output-too-large: more than 16,777,216 bytes on stderr"),
])
def test_crashes_and_bad_output_are_failures_with_a_reason(suite, mode, outcome, reason):
    """Every family fails the same way: an i_ file allows accepting or rejecting, never crashing."""
    _, report = run_json(suite, wrong(mode), "--only", "y_table1", "--only", "n_truncated", "--only", "i_either",
                         status=3)
    assert report["totals"]["failed"] == 3
    for case in report["cases"]:
        assert case["verdict"] == "fail" and case["outcome"] == outcome
        assert case["reason"] == reason
    if mode == "segfault":
        assert report["cases"][0]["signal"] == "SIGSEGV" and report["cases"][0]["exit_status"] is None
    if mode == "exit2":
        assert report["cases"][0]["exit_status"] == 2 and report["cases"][0]["code"] is None
        assert "[truncated]" in report["cases"][0]["stderr"]


def test_the_huge_output_reader_costs_little(tmp_path):
    """The cap is enforced while reading: the endless writer is killed within the cap, quickly."""
    started = time.monotonic()
    run = _conformance.execute([sys.executable, str(Path(__file__).resolve().parents[1] / "readers" / "wrong_reader.py"), "huge",
                                "x"], timeout=30, max_output=1 << 20)
    assert run.outcome == "output-too-large" and run.detail == "more than 1,048,576 bytes on stdout"
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("missing", [["pidfd_open"], ["pidfd_open", "waitid"]])
def test_execute_without_pidfd(monkeypatch, missing):
    """Where os.pidfd_open (not Linux) or os.waitid (older macOS) is missing, the runner polls instead."""
    for name in missing:
        monkeypatch.delattr(os, name, raising=False)
    ok = _conformance.execute([sys.executable, "-c", "print('{\"a\": 1}')"])
    assert ok.outcome == "accepted" and ok.json == {"a": 1}
    hang = _conformance.execute([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
    assert hang.outcome == "timeout"
    orphan = _conformance.execute(["sh", "-c", "sleep 30 & echo '{}'"], timeout=20)
    assert orphan.outcome == "accepted" and orphan.seconds < 5
    rejected = _conformance.execute(["sh", "-c", "echo 'no [field-order]' >&2; exit 1"])
    assert rejected.outcome == "rejected" and rejected.code == "field-order"


def test_interrupting_a_run_kills_running_readers(suite, tmp_path, monkeypatch):
    """Ctrl-C (here: an exception from the progress callback) kills every reader still running."""
    pids = tmp_path / "pids"
    monkeypatch.setenv("WRONG_READER_PIDS", str(pids))
    loaded = _conformance.load_suite(suite)
    calls = []

    def progress(result):
        calls.append(result)
        raise KeyboardInterrupt

    fast_then_hang = (f"sh -c 'case \"$0\" in *y_table1*) sleep 1; exit 3;; *) exec {WRONG} hang \"$0\";; esac' {{file}}")
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _conformance.run_suite(loaded, fast_then_hang, jobs=3, timeout=60, only=["y_table1", "n_trunc*", "i_two*"],
                               progress=progress)
    assert time.monotonic() - started < 20
    assert len(calls) == 1
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (not pids.exists() or len(pids.read_text().split()) < 4):
        time.sleep(0.05)
    for pid in map(int, pids.read_text().split()):
        assert not _alive(pid)


# ---------------------------------------------------------------------------------------------
# Bad suites and bad usage


def _copy_suite(suite: Path, target: Path) -> Path:
    target.mkdir()
    for path in suite.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


def suite_error(path: Path) -> str:
    with pytest.raises(_conformance.SuiteError) as info:
        _conformance.load_suite(path)
    return info.value.code


def test_a_tampered_suite_is_refused(suite, tmp_path):
    copy = _copy_suite(suite, tmp_path / "copy")
    data = bytearray((copy / "n_truncated.aigif").read_bytes())
    data[20] ^= 1
    (copy / "n_truncated.aigif").write_bytes(bytes(data))
    assert suite_error(copy) == "suite-tampered"
    result = cli(["conformance", "run", "--reader", REFERENCE, "--suite", str(copy)])
    assert result.status == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "aigif: error: n_truncated.aigif does not match SHA256SUMS (the suite was altered; regenerate or re-fetch "
        "it) [suite-tampered]"]


def test_a_changed_expectation_is_refused_too(suite, tmp_path):
    copy = _copy_suite(suite, tmp_path / "copy")
    (copy / "y_table1.json").write_text(json.dumps({**TABLE1_JSON, "version": 2}), "utf-8")
    assert suite_error(copy) == "suite-tampered"


@pytest.mark.parametrize("damage, code", [
    (lambda root: (root / "SHA256SUMS").unlink(), "suite-tampered"),
    (lambda root: (root / "i_either.json").unlink(), "suite-tampered"),  # listed but missing
    (lambda root: (root / "SHA256SUMS").write_text(
        "".join(line for line in (root / "SHA256SUMS").read_text().splitlines(True) if "y_seed_max.json" not in line)),
     "suite-tampered"),  # a file the index names is not covered
    (lambda root: (root / "SHA256SUMS").write_text("not a checksum line\n"), "invalid-suite"),
])
def test_a_suite_that_cannot_be_verified_is_refused(suite, tmp_path, damage, code):
    copy = _copy_suite(suite, tmp_path / "copy")
    damage(copy)
    assert suite_error(copy) == code


def _edit_index(suite: Path, target: Path, edit) -> Path:
    copy = _copy_suite(suite, target)
    index = json.loads((copy / "index.json").read_text("utf-8"))
    edit(index)
    (copy / "index.json").write_text(json.dumps(index), "utf-8")
    write_sums(copy)
    return copy


@pytest.mark.parametrize("edit", [
    lambda index: index.update(format="something-else"),
    lambda index: index.update(version=2),
    lambda index: index.update(cases=[]),
    lambda index: index["cases"][0].update(file="../escape.aigif"),
    lambda index: index["cases"][0].update(file="/etc/passwd"),
    lambda index: index["cases"][0].update(kind="n"),
    lambda index: index["cases"][0].pop("json"),
    lambda index: index["cases"][1].update(name=index["cases"][0]["name"]),
    lambda index: index["cases"][3].update(error="no-such-code"),
    lambda index: index["cases"][3].update(error="bad-checksum"),  # disagrees with n_truncated.error
    lambda index: index["cases"][7].update(errors=["bogus"]),
    lambda index: index["cases"][7].update(accept="yes"),
    lambda index: index["cases"][7].update(json="y_table1.json"),  # a JSON but accepting not allowed
])
def test_a_malformed_index_is_refused(suite, tmp_path, edit):
    assert suite_error(_edit_index(suite, tmp_path / "copy", edit)) == "invalid-suite"


def test_error_sidecars_are_optional(tmp_path):
    root = make_suite(tmp_path / "s", sidecars=False)
    loaded = _conformance.load_suite(root)
    assert {case.name: case.error for case in loaded.cases if case.kind == "n"}["n_truncated"] == "truncated"


def test_expected_json_is_parsed_strictly(suite, tmp_path):
    copy = _copy_suite(suite, tmp_path / "copy")
    (copy / "y_table1.json").write_text('{"version": NaN}', "utf-8")
    write_sums(copy)
    assert suite_error(copy) == "invalid-suite"


def test_a_missing_suite_directory(tmp_path):
    result = cli(["conformance", "run", "--reader", REFERENCE, "--suite", str(tmp_path / "nope")])
    assert result.status == 1
    assert result.stderr.strip().endswith("[not-found]") and len(result.stderr.strip().splitlines()) == 1


def test_the_default_suite_is_the_repositorys(monkeypatch, tmp_path):
    if (ROOT / "conformance" / "suite" / "index.json").is_file():
        assert _conformance.default_suite() == (ROOT / "conformance" / "suite").resolve()
    monkeypatch.setattr(aigif._files, "__file__", str(tmp_path / "aigif" / "_files.py"))
    with pytest.raises(_conformance.SuiteError) as info:
        _conformance.default_suite()
    assert info.value.code == "not-found" and "--suite" in info.value.message
    result = cli(["conformance", "run", "--reader", REFERENCE])
    assert result.status == 1 and "give one with --suite DIR" in result.stderr and "[not-found]" in result.stderr


@pytest.mark.parametrize("reader, code, words", [
    ("", "invalid-value", "the reader command is empty"),
    ("   ", "invalid-value", "the reader command is empty"),
    ("python 'unbalanced {file}", "invalid-value", "cannot split the reader command"),
    ("{file}", "invalid-value", "starts with {file}"),
    ("no-such-reader-program-xyz {file}", "not-found", "is not on PATH"),
    ("./no/such/reader {file}", "not-found", "does not exist"),
])
def test_a_reader_command_that_cannot_run_is_a_usage_error(suite, reader, code, words):
    result = cli(["conformance", "run", "--reader", reader, "--suite", str(suite)])
    assert result.status == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("aigif: usage error: ") and f"[{code}]" in lines[0] and words in lines[0]


def test_a_reader_that_is_not_executable(suite, tmp_path):
    script = tmp_path / "reader.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    result = cli(["conformance", "run", "--reader", f"{script} {{file}}", "--suite", str(suite)])
    assert result.status == 2 and "is not executable [not-found]" in result.stderr


def test_bad_options_are_usage_errors(suite):
    for extra in (["--jobs", "0"], ["--timeout", "0"], ["--timeout", "x"], ["--only", "zz_*"]):
        result = cli(["conformance", "run", "--reader", REFERENCE, "--suite", str(suite), *extra])
        assert result.status == 2, (extra, result.stderr)
        assert result.stderr.startswith("aigif: usage error: ") and "Traceback" not in result.stderr
    assert cli(["conformance", "run", "--suite", str(suite)]).status == 2  # --reader is required


def test_the_json_report_is_not_overwritten_without_force(suite, tmp_path):
    out = tmp_path / "r.json"
    out.write_text("keep")
    started = time.monotonic()
    result = cli(["conformance", "run", "--reader", wrong("hang"), "--suite", str(suite), "--json", str(out)])
    assert time.monotonic() - started < 5  # refused before running anything
    assert result.status == 1 and "exists and is not overwritten (use --force)" in result.stderr
    assert "[exists]" in result.stderr and out.read_text() == "keep"
    result = cli(["conformance", "run", "--reader", REFERENCE, "--suite", str(suite), "--json", str(out), "--force",
                  "--only", "y_table1"])
    assert result.status == 0 and json.loads(out.read_text())["totals"]["passed"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left behind


def test_a_report_in_a_missing_directory_is_refused_before_running(suite, tmp_path):
    result = cli(["conformance", "run", "--reader", wrong("hang"), "--suite", str(suite), "--json",
                  str(tmp_path / "no" / "r.json")])
    assert result.status == 1 and result.stderr.strip().endswith("its directory does not exist [io-error]")


def test_failing_run_still_writes_the_report(suite, tmp_path):
    out = tmp_path / "r.json"
    result = cli(["conformance", "run", "--reader", wrong("garbage"), "--suite", str(suite), "--json", str(out),
                  "--only", "y_table1"])
    assert result.status == 3
    report = json.loads(out.read_text())
    assert report["totals"] == {**report["totals"], "total": 1, "passed": 0, "failed": 1}
    assert report["cases"][0]["outcome"] == "bad-output"


def test_reader_text_is_printed_safely(suite, tmp_path):
    """Output and names from the reader reach the terminal as plain text: no markup, no escape sequences."""
    script = tmp_path / "evil.sh"
    script.write_text("#!/bin/sh\nprintf '\\033[2J[red]x[/red] [truncated]' >&2\nexit 7\n")
    script.chmod(0o755)
    result = cli(["conformance", "run", "--reader", str(script), "--suite", str(suite), "--only", "y_table1"])
    assert result.status == 3 and "\x1b" not in result.stdout
    assert "crash (exit status 7 (0 accepts, 1 rejects))" in result.stdout


# ---------------------------------------------------------------------------------------------
# The pieces: JSON comparison (R11.4) and finding the error code


@pytest.mark.parametrize("expected, got, diff", [
    ({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}, None),
    (2**64 - 1, 2**64 - 1, None),
    (2**64 - 1, 2**64, "(top level): expected 18446744073709551615, got 18446744073709551616"),
    (2**64 - 1, float(2**64 - 1), "(top level): expected 18446744073709551615, got 1.8446744073709552e+19"),
    (2**53, float(2**53), None),
    (7.5, 7.5, None),
    (5.0, 5, None),
    (5, 5.0, None),
    (0.1, 0.1000000000000000055, None),  # the same binary64
    (0.1, 0.30000000000000004 - 0.2, "(top level): expected 0.1, got 0.10000000000000003"),
    (0.0, -0.0, "(top level): expected 0.0, got -0.0"),
    (True, 1, "(top level): expected true, got 1"),
    (1, True, "(top level): expected 1, got true"),
    (False, 0.0, "(top level): expected false, got 0.0"),
    (None, 0, "(top level): expected null, got 0"),
    ("1", 1, '(top level): expected "1", got 1'),
    ({"a": {"b": [1, {"c": 2}]}}, {"a": {"b": [1, {"c": 3}]}}, "a.b[1].c: expected 2, got 3"),
    ({"a": [1, 2]}, {"a": [1]}, "a: expected 2 items, got 1"),
    ({"a": [1]}, {"a": [1, 2]}, "a: expected 1 items, got 2"),
    ({"a": 1}, {}, "a: missing (expected 1)"),
    ({"a": 1}, {"a": 1, "odd key": 2}, '["odd key"]: unexpected key (got 2)'),
    ({"a": {}}, {"a": []}, "a: expected an object, got []"),
    ({"a": []}, {"a": {}}, "a: expected an array, got {}"),
    ({"s": "é"}, {"s": "e\u0301"}, 's: expected "\\u00e9", got "e\\u0301"'),  # NFC vs NFD shown escaped
    ({"s": "é"}, {"s": "e"}, 's: expected "é", got "e"'),
])
def test_compare_json(expected, got, diff):
    assert compare_json(expected, got) == diff


def test_compare_json_parsed_from_text():
    """The comparison is on parsed JSON: 1.0 and 1 are equal, 1 and true are not, big ints stay exact."""
    expected = parse_json(b'{"seed": 18446744073709551615, "g": 7.5, "flag": true}')
    assert compare_json(expected, parse_json(b'{"flag":true,"g":7.50,"seed":18446744073709551615}')) is None
    assert compare_json(expected, parse_json(b'{"flag":true,"g":75e-1,"seed":18446744073709551615.0}')) is not None
    assert compare_json(expected, parse_json(b'{"flag":1,"g":7.5,"seed":18446744073709551615}')) is not None


@pytest.mark.parametrize("text, code", [
    ("aigif: error: the file ends before its structure does (at data.text) [truncated]", "truncated"),
    ("bad-checksum then truncated", "truncated"),
    ("error: truncated\nreally: bad-checksum.", "bad-checksum"),
    ("non-canonical-ish value", None),
    ("xtruncated truncatedx truncated_ _truncated", None),
    ("code=invalid-value;", "invalid-value"),
    ("TRUNCATED", None),
    ("", None),
    ("E_TRUNCATED limit-exceeded", "limit-exceeded"),
])
def test_find_code(text, code):
    assert find_code(text) == code


def test_every_spec_code_can_be_found():
    for code in aigif._errors.FORMAT_CODES:
        assert find_code(f"[{code}]") == code
        assert find_code(f"x {code}\n") == code


def test_the_runner_modules_do_not_import_torch():
    script = ("import sys, aigif._conformance, aigif._cli._conformance; "
              "print(sorted(m for m in ('torch', 'diffusers', 'numpy', 'PIL') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


def test_the_reference_reader_does_not_load_the_runner():
    """``aigif info`` (run once per suite file) does not pay for importing the runner."""
    script = "import sys, aigif._cli; print('aigif._conformance' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr
    from aigif._cli import _conformance as _cli_conformance
    assert (_cli_conformance.DEFAULT_TIMEOUT, _cli_conformance.MAX_JOBS) == (_conformance.DEFAULT_TIMEOUT,
                                                                            _conformance.MAX_JOBS)


# ---------------------------------------------------------------------------------------------
# The real suite


@pytest.mark.slow
def test_the_real_suite_passes_with_the_reference_reader(tmp_path):
    """R15.1: ``aigif info --json`` conforms: it passes all of conformance/suite (tools/gen_conformance.py),
    naming the expected code for every refusal, and never fails in another way (R9.1)."""
    suite_dir = ROOT / "conformance" / "suite"
    assert (suite_dir / "index.json").is_file(), "conformance/suite is missing: run tools/gen_conformance.py"
    out = tmp_path / "results.json"
    result = cli(["conformance", "run", "--reader", REFERENCE, "--suite", str(suite_dir), "--require-codes",
                  "--json", str(out), "--timeout", "60"])
    report = json.loads(out.read_text("utf-8"))
    failures = [f"{case['name']}: {case['reason']}" for case in report["cases"] if case["verdict"] != "pass"]
    assert result.status == 0 and not failures, "\n".join(failures) or result.stderr
    assert report["totals"]["total"] == report["totals"]["passed"] >= 100
    assert all(report["totals"][kind]["total"] > 0 for kind in ("y", "n", "i"))
