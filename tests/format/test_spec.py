"""The specification and the code agree: generated tables, the field registry, error codes, clause IDs
and the worked examples' bytes and JSON."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

import aigif
from aigif._errors import FORMAT_CODES
from aigif._format._fields import BY_TAG as FIELDS
from helpers import (EXAMPLE2_BYTES, EXAMPLE2_JSON, EXAMPLE3_BYTES, ROOT, SPEC_PATH, TABLE1_BYTES, TABLE1_JSON,
                      compression, decimal_bytes, exp, field, make_file, string, uv)

SPEC = SPEC_PATH.read_text("utf-8")
CLAUSE = re.compile(r"\bR\d+\.\d+\b")


def section(number: str) -> str:
    """The text of spec section ``number`` ("9", "14.1"), up to the next heading of the same or a higher level."""
    level = "##" if "." not in number else "###"
    match = re.search(rf"^{level} {re.escape(number)}[ .].*?$", SPEC, re.M)
    assert match, f"no section {number}"
    rest = SPEC[match.end():]
    end = re.search(r"^#{2,%d} " % len(level), rest, re.M)
    return rest[:end.start()] if end else rest


def table_rows(text: str) -> list[list[str]]:
    """The rows (cells stripped) of the first markdown table in ``text``, without header and rule."""
    rows, started = [], False
    for line in text.splitlines():
        if line.startswith("|"):
            started = True
            rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip()[1:-1])])
        elif started:
            break
    assert len(rows) > 2, "no table found"
    return rows[2:]


# ---------------------------------------------------------------------------------------------
# Generated registry tables


def test_registry_tables_are_up_to_date():
    """Section 7: the tables are generated from registries.json; --check exits 0 and changes nothing."""
    before = SPEC_PATH.read_bytes()
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "format" / "gen_spec_tables.py"), "--check"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert SPEC_PATH.read_bytes() == before


def test_the_table_check_can_fail(tmp_path):
    """Control: --check fails on a spec whose registry tables were edited by hand."""
    for part in ("tools/format/gen_spec_tables.py", "spec/aigif-v1.md", "aigif/registries.json"):
        (tmp_path / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / part, tmp_path / part)
    spec = tmp_path / "spec" / "aigif-v1.md"
    spec.write_text(spec.read_text("utf-8").replace("| 1 | `zlib` |", "| 1 | `gzip` |"), "utf-8")
    done = subprocess.run([sys.executable, str(tmp_path / "tools" / "format" / "gen_spec_tables.py"), "--check"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1


# ---------------------------------------------------------------------------------------------
# The field registry (6.7)


def field_registry_rows() -> list[list[str]]:
    marker = "<!-- the tag, name and critical columns"
    assert marker in SPEC
    return table_rows(SPEC[SPEC.index(marker):])


def test_field_registry_matches_the_schema():
    """6.7/R6.3: tag, name and critical columns equal aigif._format._fields.TABLE; critical == the tag is odd."""
    rows = field_registry_rows()
    spec = {int(tag): (name, critical) for tag, name, _json, critical, *_ in rows}
    assert {tag: name for tag, (name, _) in spec.items()} == {tag: field.name for tag, field in FIELDS.items()}
    for tag, (name, critical) in spec.items():
        assert critical in ("yes", "no"), (tag, critical)
        assert (critical == "yes") == (tag % 2 == 1), f"field {tag} {name}: critical must equal the odd bit"
    assert all(not 224 <= tag <= 253 for tag in spec)  # private use (6.7, R7.0)


#: A valid value for each field of 6.7, written with the test suite's own encoder, and any
#: compression bits it needs (R6.5).
FIELD_VALUES = {
    1: uv(1),
    2: string("2.13.0"),
    3: uv(1) + string("beta_end") + string("0.012"),
    4: string("0.35.1"),
    5: string("vae") + b"\x00\x00",
    6: string("AVX2"),
    7: uv(1) + exp(0) + string("lora-a") + b"\x00\x00" + decimal_bytes(5, 1),
    8: uv(4),
    9: uv(2),
    10: uv(1),
    11: exp(1),
    12: string("AttnProcessor2_0"),
    13: decimal_bytes(3, 1),
    14: uv(1) + string("python") + string("3.12"),
    15: decimal_bytes(5, 1),
    16: exp(5) + uv(4) + b"abcd",
    17: decimal_bytes(7, 1),
    18: string("AUTOMATIC1111"),
    19: b"\x89PNG",
    20: exp(5) + uv(4) + b"abcd",
    21: b"safetensors",
    22: string("v1.10.1"),
    24: exp(1) + uv(1) + string("GPU noise"),
    26: exp(0) + uv(18) + uv(1) + string("png:tEXt") + string("k") + uv(5) + b"hello",  # R6.8
    32: string("GenuineIntel"),
    34: string("Intel(R) Xeon(R) Processor"),
    36: exp(1),
    25: uv(1) + exp(0) + decimal_bytes(5, 1) + uv(0),  # R6.9: one hires pass of strength 0.5, no parts
    27: uv(1) + string("e.safetensors") + string("<e>"),  # R6.11
    29: exp(0) + uv(1) + uv(1) + bytes(3),  # R6.10: a raw 1 x 1 RGB init image
    31: exp(0) + uv(1) + uv(1) + b"\xff",  # R6.10: a raw 1 x 1 mask
}
FIELD_COMPRESSION = {19: compression(save_pixels=1, pixel=1), 21: compression(save_model=1, model=1)}
#: R6.10: fields that require others; the test files hold those too.
FIELD_COMPANIONS = {29: [15], 31: [15, 29]}


def json_paths(doc: dict) -> set[str]:
    return {f"{section}.{key}" for section, entries in doc.items() if isinstance(entries, dict) for key in entries}


def test_every_field_of_6_7_has_a_test_value():
    assert set(FIELD_VALUES) == set(FIELDS)


@pytest.mark.parametrize("row", field_registry_rows(), ids=lambda row: f"{row[0]}-{row[1]}")
def test_field_json_column_is_where_to_json_puts_it(row):
    """6.7/R11.2: a file holding only this field shows exactly one more JSON key, the one the spec names."""
    tag, name, json_column = int(row[0]), row[1], row[2].strip("`")
    companions = [field(other, FIELD_VALUES[other]) for other in FIELD_COMPANIONS.get(tag, [])]
    bare = json_paths(aigif.to_json(aigif.loads(make_file(fields=companions))))
    data = make_file(fields=sorted([*companions, field(tag, FIELD_VALUES[tag])]), comp=FIELD_COMPRESSION.get(tag))
    doc = aigif.to_json(aigif.loads(data))
    assert json_paths(doc) - bare == {json_column}, name


@pytest.mark.parametrize("tag, zero", [(10, uv(0)), (36, exp(0))])
def test_fields_whose_0_is_a_value_say_so_and_are_read(tag, zero):
    """R6.4/R6.7: the determinism flags (10) and the determinism profile (36) store 0 as a value (their
    absence means "unknown" / "not recorded"): the table and R6.4 say so, and a reader accepts it."""
    row = next(r for r in field_registry_rows() if r[0] == str(tag))
    assert "0" in row[4] and "meaningful" in row[4], row
    assert "0" not in row[5] and ("unknown" in row[5] or "not recorded" in row[5]), row
    r6_4 = SPEC[SPEC.index("**R6.4**"):SPEC.index("**R6.5**")]
    assert {10: "determinism flags 0", 36: "determinism profile 0"}[tag] in " ".join(r6_4.split())
    data = make_file(fields=[field(tag, zero)])
    assert aigif.dumps(aigif.loads(data)) == data


def test_platform_cpu_fields_are_described_where_the_spec_lists_the_platform():
    """R5.2, 6.7, 7.15 and 16: fields 32 cpu_vendor, 34 cpu_model, 36 determinism_profile (registry 7.15)."""
    rows = {int(r[0]): r for r in field_registry_rows()}
    assert [rows[tag][1:4] for tag in (32, 34, 36)] == [
        ["cpu_vendor", "`platform.cpu_vendor`", "no"], ["cpu_model", "`platform.cpu_model`", "no"],
        ["determinism_profile", "`platform.determinism_profile`", "no"]]
    assert "7.15" in rows[36][4] and "escape 254" in rows[36][4] and "0–2039" in rows[36][4]
    r5_2 = " ".join(section("5.2").split())
    assert "vendor and model and the determinism profile" in r5_2 and "32–36" in r5_2
    assert "### 7.15 Determinism profile (field 36)" in SPEC
    assert "32 `cpu_vendor`, 34 `cpu_model` and 36" in section("16")
    assert 28 not in FIELDS and 30 not in FIELDS  # the suite's unknown ancillary fields (y_unknown_ancillary_*)


# ---------------------------------------------------------------------------------------------
# Error codes (section 9)


def test_error_codes_of_section_9_are_format_codes():
    """Section 9: the table's codes are exactly aigif._errors.FORMAT_CODES, in the same order."""
    codes = [row[0].strip("`") for row in table_rows(section("9").split("R9.2", 1)[1])]
    assert set(codes) == set(FORMAT_CODES)
    assert codes == list(FORMAT_CODES)


def test_error_table_clauses_exist():
    """Section 9: every clause the error table cites is defined."""
    defined = defined_clauses()
    for row in table_rows(section("9").split("R9.2", 1)[1]):
        for clause in CLAUSE.findall(row[2]):
            assert clause in defined, (row[0], clause)


# ---------------------------------------------------------------------------------------------
# Clause IDs


def defined_clauses() -> list[str]:
    return re.findall(r"\*\*(R\d+\.\d+)", SPEC)


def test_clause_ids_are_defined_once():
    """R2.1: each clause has one ID, never reused."""
    defined = defined_clauses()
    assert len(defined) == len(set(defined)), sorted({c for c in defined if defined.count(c) > 1})
    assert len(defined) > 40


def cited(paths) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in paths:
        for clause in CLAUSE.findall(path.read_text("utf-8")):
            out.setdefault(clause, set()).add(path.name)
    return out


def test_every_clause_cited_in_the_library_exists():
    """Every R<n>.<m> in aigif/ is a clause of the spec (regression: _registry.py cited a nonexistent one)."""
    defined = set(defined_clauses())
    missing = {clause: files for clause, files in cited(sorted((ROOT / "aigif").rglob("*.py"))).items()
               if clause not in defined}
    assert missing == {}


def test_every_clause_cited_by_the_tests_exists():
    defined = set(defined_clauses())
    missing = {clause: files for clause, files in cited(sorted((ROOT / "tests").rglob("*.py"))).items()
               if clause not in defined}
    assert missing == {}


def test_the_tests_cite_most_clauses():
    """Each normative clause is cited by at least one test (R2.1: 'code, tests ... cite these IDs')."""
    by_tests = set(cited(sorted((ROOT / "tests").rglob("test_*.py"))))
    informative = {"R2.1", "R13.1", "R13.3"}  # conventions and rules for future revisions
    assert set(defined_clauses()) - informative - by_tests == set()


# ---------------------------------------------------------------------------------------------
# Worked examples (section 14): the test suite's transcriptions equal the spec's text


def _example_bytes(table_text: str) -> list[tuple[int, bytes | int]]:
    """(offset, bytes) per row of a worked-example table; an int stands for '+ N bytes' not shown."""
    out = []
    for offset, cell, _meaning in table_rows(table_text):
        parts: list[bytes | int] = []
        for token in re.finditer(r"`([0-9A-F ]+)`|\"([^\"]*)\"|\+ (\d+) bytes", cell):
            hexbytes, text, hidden = token.groups()
            parts.append(bytes.fromhex(hexbytes) if hexbytes is not None else
                         text.encode("utf-8") if text is not None else int(hidden))
        out.append((int(offset), parts))
    return out


def _check_example(rows, expected: bytes, start: int) -> int:
    """Offsets follow from the sizes, and the bytes equal ``expected``; returns the end offset."""
    position = start
    for offset, parts in rows:
        assert offset == position, f"row at offset {offset}, expected {position}"
        for part in parts:
            size = part if isinstance(part, int) else len(part)
            if not isinstance(part, int):
                assert expected[position:position + size] == part, (offset, part)
            position += size
    return position


def test_example_14_1_table_is_the_file():
    """14.1: the bytes column, concatenated, is the 67-byte file (and offsets match the sizes)."""
    assert "(67 bytes)" in SPEC
    rows = _example_bytes(section("14.1"))
    assert _check_example(rows, TABLE1_BYTES, 0) == 67 == len(TABLE1_BYTES)
    assert b"".join(p for _, parts in rows for p in parts) == TABLE1_BYTES


def test_example_14_2_table_is_the_file():
    rows = _example_bytes(section("14.2"))
    assert _check_example(rows, EXAMPLE2_BYTES, 0) == 115 == len(EXAMPLE2_BYTES)


def test_example_14_3_table_is_the_file():
    rows = _example_bytes(section("14.3"))
    assert _check_example(rows, EXAMPLE3_BYTES, 11) == 61  # the table shows offsets 11-60
    assert len(EXAMPLE3_BYTES) == 78


def _json_block(text: str) -> dict:
    return json.loads(re.search(r"```json\n(.*?)```", text, re.S).group(1))


def test_section_11_example_json_is_the_table1_json():
    assert _json_block(section("11")) == TABLE1_JSON


def test_example_14_2_json_is_the_one_the_tests_use():
    assert _json_block(section("14.2")) == EXAMPLE2_JSON


def _threat_model_citations() -> tuple[list[tuple[str, str]], list[str]]:
    text = section("12")
    tests = re.findall(r"`(test_\w+\.py)::(test_\w+)(?:\[[^\]]*\])?`", text)
    cases = re.findall(r"`(n_\w+|y_\w+)`", text)
    return tests, cases


def test_the_threat_model_names_tests_and_cases_that_exist():
    """Section 12 says which test shows each defence; a renamed or deleted test must not leave it lying."""
    tests, cases = _threat_model_citations()
    assert len(tests) >= 30 and len(cases) >= 5
    for filename, name in tests:
        found = sorted((ROOT / "tests").rglob(filename))  # the spec names a test file, not its folder
        assert len(found) == 1, f"{filename}: {len(found)} test files of that name"
        source = found[0].read_text("utf-8")
        assert re.search(rf"^def {name}\(", source, re.M), f"section 12 cites {filename}::{name}, which does not exist"
    suite = ROOT / "conformance" / "suite"
    for case in cases:
        assert (suite / f"{case}.aigif").is_file(), f"section 12 cites {case}, which is not in the suite"
    assert "RECREATOR_SECTION" not in SPEC
