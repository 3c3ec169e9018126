"""Every Python example of the documentation runs, and shows what it really gives (issue 13).

The examples are the fenced blocks tagged ``python`` or ``pycon`` in README.md and docs/*.md. Each
page runs in a fresh Python process, in a fresh temporary folder holding a copy of the files of
``examples/`` (so a page can open ``table1.aigif`` or an imported image by its bare name), its
blocks in page order and in one namespace, like a doctest session:

- a ``python`` block is executed; it passes when it raises nothing;
- a ``pycon`` block is a doctest: each ``>>>`` line runs and its output must be what the page shows
  (``...`` elides, white space is normalised), so a wrong result shown on the page fails;
- a block whose first line is a comment saying ``not run`` (``# not run: needs a GPU``, or
  ``>>> # not run: ...``) is skipped. Use it only for what cannot run here.

A failure names the page, the block's line and what went wrong; tracebacks of ``python`` blocks
carry the page's own line numbers. Run one page by hand with
``python tests/docs/test_examples.py docs/library.md`` (in a folder holding the example files).
"""

from __future__ import annotations

import builtins
import contextlib
import doctest
import io
import json
import os
import re
import shutil
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PAGES = ["README.md", *sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "docs").glob("*.md"))]

#: How a ``pycon`` block's shown output is compared with the real one.
OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
#: The info-string words that mark a block as an example to run.
LANGUAGES = {"python": "python", "py": "python", "pycon": "pycon"}
#: A call that imports torch and runs a pipeline: the page's test is marked slow.
SLOW_CALL = re.compile(r"\baigif\.(?:save|recreate|verify)\(")
#: The environment the portable profile sets (tests/conftest.py sets it in this process); a page
#: runs as a reader would run it, in a process that has not set it.
PROFILE_VARIABLES = ("ATEN_CPU_CAPABILITY", "MKL_CBWR")

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*?)[ \t]*$")
_NOT_RUN = re.compile(r"^(?:>>>\s*)?#.*\bnot run\b", re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    """One example: the page it is on, the line of its first code line (from 1), its kind, its code."""

    page: str
    line: int
    lang: str  # "python" or "pycon"
    code: str
    skip: str | None = None  # the "not run" comment, when the block is not run

    @property
    def label(self) -> str:
        return f"{self.page}, {self.lang} block at line {self.line}"


def collect(text: str, page: str = "<string>") -> list[Block]:
    """The ``python`` and ``pycon`` fenced blocks of a markdown text, in order (CommonMark fences:
    backticks or tildes, three or more, possibly indented as in a list item)."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"].expandtabs())
        end = index + 1
        while end < len(lines):
            closing = _FENCE.match(lines[end])
            if (closing and not closing["info"] and closing["fence"][0] == fence[0]
                    and len(closing["fence"]) >= len(fence)):
                break
            end += 1
        words = opening["info"].split()
        lang = LANGUAGES.get(words[0].lower()) if words else None
        if lang is not None:
            body = [_unindent(line, indent) for line in lines[index + 1:end]]
            code = "\n".join(body).strip("\n") + "\n"
            first = next((line.strip() for line in body if line.strip()), "")
            skip = first if _NOT_RUN.match(first) else None
            leading_blank = next((n for n, line in enumerate(body) if line.strip()), 0)
            blocks.append(Block(page, index + 2 + leading_blank, lang, code, skip))
        index = end + 1
    return blocks


def _unindent(line: str, indent: int) -> str:
    """``line`` without up to ``indent`` columns of leading white space (the fence's indentation)."""
    line = line.expandtabs()
    return line[min(indent, len(line) - len(line.lstrip(" "))):]


def page_blocks(page: str) -> list[Block]:
    return collect((ROOT / page).read_text("utf-8"), page)


@dataclass
class Outcome:
    ran: int = 0
    examples: int = 0  # pycon examples checked (">>>" statements)
    skipped: tuple[str, ...] = ()
    failures: tuple[str, ...] = ()


def run_blocks(blocks: list[Block], source: Path | None = None) -> Outcome:
    """Run ``blocks`` in order in one namespace, in the current folder and process.

    ``source`` is the page's file, so that tracebacks of ``python`` blocks show its lines."""
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS, verbose=False)
    outcome = Outcome()
    skipped, failures = [], []
    for block in blocks:
        if block.skip:
            skipped.append(f"{block.label}: {block.skip}")
            continue
        outcome.ran += 1
        if block.lang == "python":
            # Padded so that the code's line numbers are the page's, under the page's name.
            code = "\n" * (block.line - 1) + block.code
            printed = io.StringIO()
            try:
                with contextlib.redirect_stdout(printed):
                    exec(compile(code, str(source or block.page), "exec"), namespace)
            except BaseException as err:  # noqa: BLE001 - reported, with its traceback, as the block's failure
                shown = f"printed before it failed:\n{printed.getvalue()}" if printed.getvalue() else ""
                trace = "".join(traceback.format_exception(type(err), err, err.__traceback__.tb_next))
                failures.append(f"{block.label} raised:\n{trace}{shown}")
        else:
            test = parser.get_doctest(block.code, namespace, block.label, str(source or block.page), block.line - 1)
            test.globs = namespace  # DocTest copies the globals it is given; the page shares one namespace
            if not test.examples:
                failures.append(f"{block.label}: a pycon block with no '>>>' example")
                continue
            report: list[str] = []
            result = runner.run(test, out=report.append, clear_globs=False)
            outcome.examples += result.attempted
            if result.failed:
                failures.append(f"{block.label}: {result.failed} of {result.attempted} examples failed\n"
                                + "".join(report))
    outcome.skipped, outcome.failures = tuple(skipped), tuple(failures)
    return outcome


def main(argv: list[str]) -> int:
    """Run one page (a path relative to the repository, or absolute) in the current folder; print the
    failures, then one line ``RESULT {json}``; exit status 1 if anything failed."""
    (page,) = argv
    path = Path(page) if Path(page).is_absolute() else ROOT / page
    outcome = run_blocks(collect(path.read_text("utf-8"), page), source=path)
    for failure in outcome.failures:
        print(failure, end="\n\n")
    print("RESULT " + json.dumps({"ran": outcome.ran, "examples": outcome.examples,
                                  "skipped": list(outcome.skipped), "failed": len(outcome.failures)}))
    return 1 if outcome.failures else 0


def run_page_in_folder(page: str, folder: Path) -> tuple[subprocess.CompletedProcess, dict | None]:
    """Run ``page`` in a fresh process in ``folder``, which holds a copy of the example files."""
    shutil.copytree(EXAMPLES, folder)
    env = {key: value for key, value in os.environ.items() if key not in PROFILE_VARIABLES}
    env["COLUMNS"] = "100"
    run = subprocess.run([sys.executable, str(Path(__file__).resolve()), page], cwd=folder, env=env,
                         capture_output=True, text=True, timeout=900)
    last = run.stdout.rstrip().rsplit("\n", 1)[-1]
    return run, (json.loads(last[len("RESULT "):]) if last.startswith("RESULT ") else None)


# ---------------------------------------------------------------------------------------------
# The pages.

ALL_BLOCKS = {page: page_blocks(page) for page in PAGES}
PAGES_WITH_EXAMPLES = [page for page in PAGES if ALL_BLOCKS[page]]


def _param(page: str):
    slow = any(SLOW_CALL.search(block.code) for block in ALL_BLOCKS[page] if not block.skip)
    return pytest.param(page, id=page, marks=[pytest.mark.slow] if slow else [])


@pytest.mark.parametrize("page", [_param(page) for page in PAGES_WITH_EXAMPLES])
def test_page_examples_run(page, tmp_path):
    blocks = ALL_BLOCKS[page]
    run, result = run_page_in_folder(page, tmp_path / "examples")
    report = f"{page}: its examples fail (exit status {run.returncode})\n{run.stdout}\n{run.stderr}"
    assert run.returncode == 0 and result is not None, report
    # Every block that is not marked 'not run' ran, and each pycon block checked at least one example.
    assert result["ran"] == sum(1 for block in blocks if not block.skip), report
    assert result["failed"] == 0, report
    assert result["examples"] >= sum(1 for block in blocks if block.lang == "pycon" and not block.skip), report


def test_the_documentation_has_examples_to_run():
    """So that a broken collector cannot pass vacuously: the pages hold this many examples."""
    blocks = [block for page in PAGES for block in ALL_BLOCKS[page]]
    assert "README.md" in PAGES and "docs/library.md" in PAGES and len(PAGES) >= 10
    assert {"README.md", "docs/library.md", "docs/import.md", "docs/recreate.md"} <= set(PAGES_WITH_EXAMPLES)
    assert len(blocks) >= 15
    assert sum(block.lang == "pycon" for block in blocks) >= 12
    assert sum(block.lang == "python" for block in blocks) >= 1
    not_run = [block.label for block in blocks if block.skip]
    assert len(not_run) <= 2, f"'not run' is for examples that cannot run here, not a way out: {not_run}"


def test_the_example_files_are_few_and_small():
    files = [path for path in EXAMPLES.rglob("*") if path.is_file()]
    assert 0 < len(files) <= 10
    assert sum(path.stat().st_size for path in files) < 200_000


def test_the_example_aigif_file_is_the_build_of_its_json():
    import aigif

    built = aigif.dumps(aigif.from_json((EXAMPLES / "table1.json").read_bytes()))
    assert (EXAMPLES / "table1.aigif").read_bytes() == built
    assert len(built) == 67


# ---------------------------------------------------------------------------------------------
# The collector and the runner themselves.

SYNTHETIC = """\
# A page

```python
x = 1
```

Some prose, and a block that is not Python:

```console
$ aigif info x.aigif
```

- a list item with an indented example:

    ```pycon
    >>> x + 1
    2
    ```

````python title="outer fence"
s = '''
```
'''
````

~~~ pycon
>>> # not run: needs a GPU
>>> 1 / 0
~~~

```py
# Not run: the weights are 7 GB
raise SystemExit
```

```
untagged = True
```
"""


def test_collector_finds_the_blocks_of_a_synthetic_page():
    blocks = collect(SYNTHETIC, "page.md")
    assert [(block.lang, block.line, block.skip is not None) for block in blocks] == [
        ("python", 4, False), ("pycon", 16, False), ("python", 21, False), ("pycon", 27, True),
        ("python", 32, True)]
    assert blocks[0].code == "x = 1\n"
    assert blocks[1].code == ">>> x + 1\n2\n"  # the list item's indentation is removed
    assert blocks[2].code == "s = '''\n```\n'''\n"  # a shorter fence inside a longer one is code
    assert blocks[3].skip == ">>> # not run: needs a GPU"
    assert blocks[4].skip == "# Not run: the weights are 7 GB"
    assert blocks[0].label == "page.md, python block at line 4"


def test_runner_shares_one_namespace_and_skips_what_is_not_run():
    outcome = run_blocks(collect(SYNTHETIC, "page.md"))
    assert outcome.failures == ()
    assert (outcome.ran, outcome.examples, len(outcome.skipped)) == (3, 1, 2)


def test_names_defined_in_one_block_are_seen_by_the_next_whatever_their_kinds():
    page = "```pycon\n>>> y = 2\n```\n\n```python\nz = y + 1\n```\n\n```pycon\n>>> y, z\n(2, 3)\n```\n"
    outcome = run_blocks(collect(page, "shared.md"))
    assert (outcome.failures, outcome.ran, outcome.examples) == ((), 3, 2)


def test_runner_fails_on_a_wrong_shown_result_and_names_the_line():
    page = "```python\nx = 1\n```\n\n```pycon\n>>> x + 1\n3\n>>> print('a   b')\na b\n```\n"
    outcome = run_blocks(collect(page, "wrong.md"))
    (failure,) = outcome.failures
    assert failure.startswith("wrong.md, pycon block at line 6: 1 of 2 examples failed")
    assert "line 6" in failure and "Expected:\n    3\nGot:\n    2" in failure


def test_runner_fails_on_a_wrong_exception_and_on_an_error_in_a_python_block():
    page = ("```pycon\n>>> {}['k']\nTraceback (most recent call last):\n  ...\nKeyError: 'other'\n```\n\n"
            "```python\nimport json\n\njson.loads('{')\n```\n")
    first, second = run_blocks(collect(page, "errors.md")).failures
    assert "errors.md, pycon block at line 2" in first and "KeyError: 'k'" in first
    assert second.startswith("errors.md, python block at line 9 raised:")
    assert 'File "errors.md", line 11' in second and "JSONDecodeError" in second


def test_runner_fails_a_pycon_block_without_examples():
    (failure,) = run_blocks(collect("```pycon\nprint('no prompt')\n```\n", "empty.md")).failures
    assert "no '>>>' example" in failure


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
