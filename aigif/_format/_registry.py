"""Code tables (spec section 7), loaded once from ``registries.json``.

A registry maps small integer codes to names. *Open* registries describe things (a GPU, a model):
an unknown code is kept as a number and a value without a code is written as the escape code
followed by its name (R4.7). *Closed* registries name a decoding step (a compressor): an unknown code
cannot be read at all (R5.1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from importlib import resources

from . import _limits as L

ESCAPE_4BIT = 15  # R4.7: "other, named"
ESCAPE_EXP = 254  # R4.7


@dataclass(frozen=True)
class Registry:
    name: str
    width: int | str  # 4 (a nibble) or "exp" (an exp code)
    open: bool
    names: dict[int, str]
    doc: dict[str, str]
    extra: dict

    @cached_property
    def codes(self) -> dict[str, int]:
        return {name: code for code, name in self.names.items()}

    @cached_property
    def refused_escapes(self) -> frozenset[str]:
        """R4.7: the names of the registry's first edition, which no file may escape; a name added
        later stays accepted when escaped, since a file written before it could only escape it."""
        added = self.extra.get("added", {})
        return frozenset(name for name in self.names.values() if name not in added)

    @property
    def escape(self) -> int | None:
        if not self.open or not self.extra.get("escape", True):
            return None
        return ESCAPE_4BIT if self.width == 4 else ESCAPE_EXP

    def value_of(self, code: int, name: str | None = None) -> str | int:
        """Code (and escape name) as read -> the value shown to users: a name, or the bare code."""
        if name is not None:
            return name
        return self.names.get(code, code)

    def code_of(self, value: str | int) -> tuple[int, str | None]:
        """Value given by a user -> (code, escape name or None). Raises ValueError if impossible."""
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError(f"expected a name or a code, got {value!r}")
        if isinstance(value, str):
            if value in self.codes:
                return self.codes[value], None
            if self.escape is None:
                known = ", ".join(self.codes)
                raise ValueError(f"unknown {self.name} {value!r} (known: {known})")
            if not value:
                raise ValueError(f"empty {self.name} name")
            return self.escape, value
        limit = L.MAX_NIBBLE_CODE if self.width == 4 else L.MAX_EXP_CODE
        if not 0 <= value <= limit:
            raise ValueError(f"{self.name} code {value} is out of range 0..{limit}")
        if value == self.escape and value is not None:
            raise ValueError(f"{self.name} code {value} is the escape code: give the value's name instead")
        if not self.open and value not in self.names:
            raise ValueError(f"unknown {self.name} code {value}")
        return value, None


def _load() -> dict[str, Registry]:
    raw = json.loads(resources.files("aigif").joinpath("registries.json").read_text("utf-8"))
    out = {}
    for name, table in raw.items():
        if name.startswith("_"):
            continue
        names = {int(code): value for code, value in table["entries"].items()}
        extra = {k: v for k, v in table.items() if k not in {"width", "open", "entries", "doc"}}
        out[name] = Registry(name, table["width"], table["open"], names, table.get("doc", {}), extra)
    return out


REGISTRIES: dict[str, Registry] = _load()
HASH_LENGTHS: dict[str, int] = REGISTRIES["hash_kind"].extra["length"]
