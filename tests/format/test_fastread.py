"""The reader's fast path against the schema (differential).

``aigif.loads`` reads valid files with ``_fastread`` and hands everything else to the construct
schema, which is the definition of the format. The fast path is therefore correct if (1) it accepts
every valid file, building the very object the schema builds, and (2) it never accepts a file the
schema refuses. Both are checked here on generated files, mutations of them and random bytes.
"""

from __future__ import annotations

import dataclasses

from pathlib import Path

import pytest
from helpers import EXAMPLE2_BYTES, TABLE1_BYTES, exp, field, make_file, reseal, string
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import files

import aigif
from aigif._format import _fastread, _fields, _read, _write


def schema_result(data: bytes):
    try:
        return _read.loads_schema(data)
    except aigif.FormatError as error:
        return error


def same_object(a: aigif.AigifFile, b: aigif.AigifFile) -> None:
    assert a == b
    assert a.stored_text == b.stored_text
    assert aigif.to_json(a) == aigif.to_json(b)


@pytest.mark.parametrize("data", [TABLE1_BYTES, EXAMPLE2_BYTES], ids=["14.1", "14.2"])
def test_worked_examples_take_the_fast_path(data):
    same_object(_fastread.parse(data), _read.loads_schema(data))


def test_loads_uses_the_fast_path_for_valid_files(monkeypatch):
    def fail(data):
        raise AssertionError("the schema was asked to read a valid file")

    monkeypatch.setattr(_read, "loads_schema", fail)
    assert aigif.loads(TABLE1_BYTES).data.prompt == "A cute cat"


def test_loads_names_errors_through_the_schema():
    with pytest.raises(aigif.FormatError) as info:
        aigif.loads(TABLE1_BYTES[:-1] + b"\x00")
    assert info.value.code == "bad-checksum"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files())
def test_every_valid_file_is_read_by_the_fast_path_as_by_the_schema(obj):
    data = aigif.dumps(obj)
    same_object(_fastread.parse(data), _read.loads_schema(data))


def mutations():
    """A valid file and one random edit of it, resealed or not."""

    @st.composite
    def build(draw):
        data = bytearray(aigif.dumps(draw(files())))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "set"]))
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=3))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 3))]
        else:
            del data[at:]
        data = bytes(data)
        return reseal(data) if draw(st.booleans()) and len(data) > 12 else data

    return build()


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(mutations(), st.binary(max_size=80), st.binary(max_size=60).map(lambda b: reseal(TABLE1_BYTES[:9] + b + b"\0\0\0\0"))))
def test_the_fast_path_never_accepts_what_the_schema_refuses(data):
    expected = schema_result(data)
    try:
        fast = _fastread.parse(data)
    except Exception:  # noqa: BLE001 - refusing is always safe: the schema then decides
        return
    assert not isinstance(expected, aigif.FormatError), f"fast path accepted a file the schema refuses: {expected}"
    same_object(fast, expected)


#: Fields 32 (cpu_vendor), 34 (cpu_model) and 36 (determinism_profile, registry 7.15), valid and not.
PLATFORM_CPU_FIELDS = {
    "vendor_and_model": [field(32, string("GenuineIntel")), field(34, string("Intel(R) Xeon(R) Platinum 8488C"))],
    "profile_native_0": [field(36, exp(0))],  # a value here, not absence (R6.4)
    "profile_portable": [field(36, exp(1))],
    "profile_unknown_2039": [field(36, exp(2039))],
    "profile_escape": [field(36, exp(254) + string("gpu-deterministic-x"))],
    "all_three_after_tag_30": [field(12, string("AttnProcessor2_0")), field(30, b"\x01"),
                               field(32, string("AuthenticAMD")), field(34, string("AMD EPYC 9R14 96-Core Processor")),
                               field(36, exp(0))],
}
PLATFORM_CPU_REFUSED = {
    "vendor_empty": [field(32, string(""))],
    "model_bytes_over": [field(34, string("x") + b"\x00")],
    "profile_bytes_over": [field(36, exp(1) + b"\x00")],
    "profile_empty_value": [field(36, b"")],
    "profile_escape_name_has_code": [field(36, exp(254) + string("native"))],
    "profile_escape_empty_name": [field(36, exp(254) + string(""))],
    "profile_before_vendor": [field(36, exp(1)), field(32, string("GenuineIntel"))],
}


@pytest.mark.parametrize("name", PLATFORM_CPU_FIELDS)
def test_platform_cpu_fields_take_the_fast_path(name):
    data = make_file(fields=PLATFORM_CPU_FIELDS[name])
    same_object(_fastread.parse(data), _read.loads_schema(data))
    assert aigif.dumps(aigif.loads(data)) == data


@pytest.mark.parametrize("name", PLATFORM_CPU_REFUSED)
def test_bad_platform_cpu_fields_are_left_to_the_schema(name):
    data = make_file(fields=PLATFORM_CPU_REFUSED[name])
    with pytest.raises(Exception):  # noqa: B017 - any refusal hands the file to the schema
        _fastread.parse(data)
    assert isinstance(schema_result(data), aigif.FormatError)


SUITE = sorted((Path(__file__).resolve().parents[2] / "conformance" / "suite").glob("*.aigif"))


@pytest.mark.parametrize("case", SUITE, ids=lambda path: path.stem)
def test_every_conformance_case_is_decided_by_the_fast_path_as_by_the_schema(case):
    """The suite's boundary cases (longest strings, widest varints, every limit) on both paths: the
    fast path takes every valid case (so valid files do not fall back to the slow schema) and no
    invalid one."""
    data = case.read_bytes()
    expected = schema_result(data)
    if case.name.startswith("n_"):
        with pytest.raises(Exception):  # noqa: B017 - any refusal hands the file to the schema
            _fastread.parse(data)
        assert isinstance(expected, aigif.FormatError)
    elif case.name.startswith("y_"):
        same_object(_fastread.parse(data), expected)


def test_a_bug_in_the_fast_path_surfaces_as_a_bug_not_as_a_fallback_or_a_format_error(monkeypatch):
    """Only ``Reject`` hands a file to the schema: a planted bug in one row's reader propagates."""
    eta = _fields.BY_NAME["eta"]
    data = aigif.dumps(aigif.AigifFile(data=aigif.Data(eta=0.5)))
    assert aigif.loads(data).data.eta == 0.5

    def planted(reader):
        raise KeyError("planted bug")

    monkeypatch.setitem(_fastread.BY_TAG, eta.tag, dataclasses.replace(eta, read=planted))
    with pytest.raises(KeyError, match="planted bug"):
        aigif.loads(data)


def test_a_bug_in_the_writer_surfaces_as_a_bug_not_as_a_usage_error(monkeypatch):
    eta = _fields.BY_NAME["eta"]

    def planted(value, obj, where):
        raise AttributeError("planted bug")

    monkeypatch.setattr(_write, "TABLE", tuple(dataclasses.replace(f, build=planted) if f is eta else f
                                               for f in _write.TABLE))
    with pytest.raises(AttributeError, match="planted bug"):
        aigif.dumps(aigif.AigifFile(data=aigif.Data(eta=0.5)))
    assert aigif.dumps(aigif.AigifFile())  # a file without the field never calls it
