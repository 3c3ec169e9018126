"""The package's layers: a module imports only from its own layer's package or from the layers below.

Read from the source (every ``import``, also those inside functions), so a lazy import that climbs
up is caught too. From the bottom: errors and version; files; the format core; pixel payloads and the
local model library; the three users of the core (import, recreation, the conformance runner),
which never import each other; the public surface (``aigif``); the command line.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "aigif"

#: (layer, package or module) from the bottom up; a module belongs to the longest prefix it matches.
LAYERS = [
    (0, "aigif._errors"), (0, "aigif._version"),
    (1, "aigif._files"),
    (2, "aigif._format"),
    (3, "aigif._pixels"), (3, "aigif._library"),
    (4, "aigif._import"), (4, "aigif._recreate"), (4, "aigif._conformance"),
    (5, "aigif"),
    (6, "aigif._cli"), (7, "aigif.__main__"),
]
#: What each layer may import from outside the package (besides the standard library); None: anything.
THIRD_PARTY = {0: set(), 1: set(), 2: {"construct", "zstandard"}, 3: {"PIL", "imagecodecs", "numpy", "platformdirs"},
               4: None, 5: set(), 6: None, 7: set()}
STDLIB = set(sys.stdlib_module_names)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def home(name: str) -> tuple[int, str]:
    """The (layer, unit) a module belongs to: the longest matching entry of LAYERS."""
    matches = [(layer, unit) for layer, unit in LAYERS if name == unit or name.startswith(unit + ".")]
    assert matches, f"{name} is in no layer: add it to LAYERS"
    return max(matches, key=lambda match: len(match[1]))


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    tree = ast.parse(path.read_text("utf-8"))
    for node in ast.walk(tree):  # imports for the type checker only never run: leave them out
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if node.module is None or node.level and not node.module:  # "from . import x": x is a module
                found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, target))
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_is_in_a_layer_and_the_walk_finds_them():
    assert len(MODULES) > 40
    for path in MODULES:
        home(module_name(path))


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE.parent)))
def test_imports_only_go_down_or_stay_in_the_unit(path):
    layer, unit = home(module_name(path))
    for line, target in imports(path):
        top = target.split(".")[0]
        if top == "aigif":
            if target == "aigif" and layer == 6:  # the command line uses the public surface
                continue
            their_layer, their_unit = home(target) if target != "aigif" else (5, "aigif")
            assert their_unit == unit or their_layer < layer, (
                f"{path.name}:{line} imports {target} (layer {their_layer}, {their_unit}) from layer {layer} ({unit})")
        elif top not in STDLIB and top != "__future__":
            allowed = THIRD_PARTY[layer]
            assert allowed is None or top in allowed, f"{path.name}:{line}: layer {layer} ({unit}) imports {top}"


def test_the_checker_catches_a_climbing_import(tmp_path):
    """The walk resolves relative imports: the format core importing the recreator is caught."""
    bad = PACKAGE / "_format" / "_layer_probe.py"
    bad.write_text("def f():\n    from .._recreate import _engine\n    import torch\n", "utf-8")
    try:
        with pytest.raises(AssertionError, match="imports aigif._recreate "):
            test_imports_only_go_down_or_stay_in_the_unit(bad)
    finally:
        bad.unlink()
