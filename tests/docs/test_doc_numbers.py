"""The numbers the documentation states about the repository are the repository's (issue 13).

- docs/conformance.md and the README: the number of conformance cases, per family, and of files in
  ``conformance/suite/``, wherever they are stated;
- docs/import.md: the import of the research corpus (``../shared/corpus``, on the project's
  machines, not in CI: skipped without it) prints the summary line and messages the page shows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "conformance" / "suite"
CORPUS = ROOT.parent / "shared" / "corpus" / "images"  # present on the project's machines, not in CI


def suite_counts() -> dict[str, int]:
    cases = [path.stem for path in SUITE.glob("*.aigif")]
    counts = {family: sum(name.startswith(f"{family}_") for name in cases) for family in "yni"}
    return {"total": len(cases), **counts, "files": sum(1 for path in SUITE.rglob("*") if path.is_file())}


def _numbers(match: re.Match) -> tuple[int, ...]:
    return tuple(int(group.replace(",", "")) for group in match.groups())


def test_the_suite_is_what_its_index_lists():
    import json

    index = json.loads((SUITE / "index.json").read_text("utf-8"))
    counts = suite_counts()
    assert len(index["cases"]) == counts["total"] > 500
    assert counts["y"] + counts["n"] + counts["i"] == counts["total"]
    assert {case["kind"] for case in index["cases"]} == {"y", "n", "i"}
    for family in "yni":
        assert sum(case["kind"] == family for case in index["cases"]) == counts[family]


def test_conformance_counts_in_the_docs_are_the_suites():
    counts = suite_counts()
    total, y, n, i, files = counts["total"], counts["y"], counts["n"], counts["i"], counts["files"]
    page = (ROOT / "docs" / "conformance.md").read_text("utf-8")
    readme = (ROOT / "README.md").read_text("utf-8")
    # (pattern, text, what each group must be): each pattern must occur, and every occurrence must agree.
    claims = [
        (r"\((\d+) cases: (\d+) `y_`, (\d+) `n_`, (\d+) `i_`\)", page, (total, y, n, i)),
        (r"wrote conformance/suite: (\d+) cases \(y (\d+), n (\d+), i (\d+)\), (\d+) files", page,
         (total, y, n, i, files)),
        (r"conformance suite up to date: (\d+) cases, (\d+) files", page, (total, files)),
        (r"│ y_ \(valid: accept\)\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│", page, (y, y, 0)),
        (r"│ n_ \(invalid: reject\)\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│", page, (n, n, 0)),
        (r"│ i_ \(implementation-defined\)\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│", page, (i, i, 0)),
        (r"│ all\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│", page, (total, total, 0)),
        (r"PASS: (\d+) of (\d+) cases passed", page, (total, total)),
        (r'"totals": \{"total": (\d+),', page, (total,)),
        (r'"y": \{"total": (\d+), "passed": (\d+), "failed": (\d+)\}', page, (y, y, 0)),
    ]
    for pattern, text, expected in claims:
        found = [_numbers(match) for match in re.finditer(pattern, text)]
        assert found, f"the docs no longer say {pattern!r}: update this test with the new wording"
        assert set(found) == {expected}, f"{pattern!r}: the docs say {found}, the suite has {expected}"
    # The counts live in generated blocks (tools/gen_conformance.py); nothing else types them.
    assert not re.search(r"\d[\d,]* (bitstreams|cases)\b", readme)
    # Every "N cases" on the page is the whole suite; the example report's totals add up.
    assert {int(number) for number in re.findall(r"(\d+) cases\b", page)} == {total}
    passed, failed = map(int, re.search(r'"passed": (\d+), "failed": (\d+),\s*\n', page).groups())
    accepted, rejected = map(int, re.search(r'"accepted": (\d+), "rejected": (\d+)', page).groups())
    assert passed + failed == accepted + rejected == total


def test_every_repository_path_the_docs_name_exists():
    """A file the docs point to (`aigif/_format/_schema.py`, `tools/bench/bench.py`, …) is where they say."""
    named = set()
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        named |= set(re.findall(r"`((?:aigif|tools|tests|spec|conformance|examples)/[\w./-]+)`", page.read_text("utf-8")))
    assert len(named) > 20
    assert sorted(path for path in named if not (ROOT / path).exists()) == []


# ---------------------------------------------------------------------------------------------
# docs/import.md against the research corpus.

IMPORT_PAGE = ROOT / "docs" / "import.md"


def _console_output(page: str, command: str) -> list[str]:
    """The lines a console block of ``page`` shows after ``$ command`` (up to the next ``$`` or fence)."""
    lines = page.splitlines()
    start = lines.index(f"$ {command}") + 1
    end = next(n for n in range(start, len(lines)) if lines[n].startswith(("$ ", "```")))
    return lines[start:end]


def _aigif(*args: str, cwd: Path) -> str:
    env = {**os.environ, "COLUMNS": "200"}
    run = subprocess.run([sys.executable, "-m", "aigif", *args], cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=600)
    return run.stdout + run.stderr


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not on this machine")
def test_the_corpus_import_shown_in_import_md_is_what_aigif_prints(tmp_path):
    page = IMPORT_PAGE.read_text("utf-8")
    shutil.copytree(CORPUS, tmp_path / "corpus")
    (tmp_path / "imported").mkdir()
    images = [path for path in CORPUS.rglob("*") if path.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp")]
    output = _aigif("import", "corpus/", "--out-dir", "imported/", cwd=tmp_path).splitlines()

    shown = _console_output(page, "aigif import corpus/ --out-dir imported/")
    summary = [line for line in shown if re.match(r"\d+ of \d+ converted", line)]
    assert len(summary) == 1 and summary[0] in output, f"import.md shows {summary}, aigif prints {output[-1:]}"
    assert shown[0] in output  # the error line of the negative control
    assert f"the {len(images)} files of the research corpus" in page


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not on this machine")
def test_the_single_import_shown_in_import_md_is_what_aigif_prints(tmp_path):
    page = IMPORT_PAGE.read_text("utf-8")
    shutil.copy(CORPUS / "automatic1111" / "sd-metadata__sd-webui.png", tmp_path)
    output = _aigif("import", "sd-metadata__sd-webui.png", cwd=tmp_path).splitlines()
    assert _console_output(page, "aigif import sd-metadata__sd-webui.png") == output
