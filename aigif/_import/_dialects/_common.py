"""Helpers shared by the dialect parsers: value checks that raise ``bad-metadata``, JSON text, LoRA tags."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from ..._errors import SourceError
from ..._format import _limits as L
from .._found import Carrier, Found, Lora

SEED_MAX = L.MAX_UVARINT  # R5.4
SIZE_MAX = 1 << 16  # wider or taller than this is not an image any generator made (R5.4 is checked later)
STEPS_MAX = L.MAX_STEPS  # R5.4


def bad(field: str, message: str) -> SourceError:
    """A ``bad-metadata`` error naming the field (as the tool wrote it)."""
    return SourceError(f"bad generation metadata: {field}: {message}", code="bad-metadata", path=field)


def compact(value: Any) -> str:
    """A value as ``extra`` text: strings verbatim, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def load_json(text: str, field: str) -> Any:
    """Parse JSON that must parse (the carrier says it is JSON); malformed → ``bad-metadata``."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:
        raise bad(field, f"JSON that does not parse ({err})") from None


def looks_like_json_object(text: str) -> bool:
    return text.lstrip().startswith("{")


def as_list(value: Any) -> list:
    """A JSON array, or [] for anything else (a malformed optional list is treated as absent)."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def meant_as_json(text: str) -> bool:
    """Text that starts like a JSON object (``{"`` or ``{}``), as opposed to a prompt like ``{masterpiece}, …``."""
    return re.match(r'\s*\{\s*("|\}\s*$)', text) is not None


def try_json_object(text: str) -> dict | None:
    """A JSON object when the text is one, else None (no error: used for sniffing)."""
    if not looks_like_json_object(text):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


_INT_TEXT = re.compile(r"[+-]?\d+")


def as_int(value: Any, field: str, *, low: int, high: int) -> int:
    """A whole number in [low, high] from a JSON number or text; anything else → ``bad-metadata``."""
    if isinstance(value, bool):
        raise bad(field, f"{value!r} is not a whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise bad(field, f"{value!r} is not a whole number")
        number = int(value)
    elif isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        number = int(value.strip())
    elif isinstance(value, str) and re.fullmatch(r"[+-]?\d+\.0*", value.strip()):
        number = int(value.strip().split(".")[0])
    else:
        raise bad(field, f"{value!r} is not a whole number")
    if not low <= number <= high:
        raise bad(field, f"{number} is out of range ({low} .. {high})")
    return number


def as_float(value: Any, field: str, *, low: float = -math.inf, high: float = math.inf) -> float:
    if isinstance(value, bool):
        raise bad(field, f"{value!r} is not a number")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise bad(field, f"{value!r} is not a number") from None
    else:
        raise bad(field, f"{value!r} is not a number")
    if not math.isfinite(number) or not low <= number <= high:
        raise bad(field, f"{value!r} is out of range")
    return number


def seed(value: Any, field: str) -> int:
    return as_int(value, field, low=0, high=SEED_MAX)


def steps(value: Any, field: str) -> int:
    return as_int(value, field, low=1, high=STEPS_MAX)


def cfg(value: Any, field: str) -> float:
    return as_float(value, field, low=0.0, high=1000.0)


def dimension(value: Any, field: str) -> int:
    return as_int(value, field, low=1, high=SIZE_MAX)


def strength(value: Any, field: str) -> float:
    return as_float(value, field, low=0.0, high=1.0)


_SIZE = re.compile(r"\s*(-?\d+)\s*[x×*,]\s*(-?\d+)\s*")


def size(text: Any, field: str) -> tuple[int, int]:
    """``"512x768"``, ``"1024 x 1024"``, ``"(768, 1280)"`` → (width, height)."""
    if isinstance(text, (list, tuple)) and len(text) == 2:
        return dimension(text[0], field), dimension(text[1], field)
    if not isinstance(text, str):
        raise bad(field, f"{text!r} is not a size")
    match = _SIZE.fullmatch(text.strip().strip("()[]"))
    if not match:
        raise bad(field, f"{text!r} is not a size (WIDTHxHEIGHT)")
    return dimension(int(match.group(1)), field), dimension(int(match.group(2)), field)


def repair_utf8(text: str) -> str:
    """Undo UTF-8 bytes that were decoded as Latin-1 (raw UTF-8 in a tEXt chunk), when that round-trips."""
    if not text or all(ord(ch) < 0x80 for ch in text):
        return text
    try:
        fixed = text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
    return fixed


def clean(text: str) -> str:
    """Carrier text as the parsers want it: trailing NULs (Tensor.Art) and leading NULs (NovelAI WebP) gone."""
    return text.strip("\x00")


# ---------------------------------------------------------------------------------------------
# A1111 extra-network tags in a prompt: <lora:name:weight>, <lyco:…>, <hypernet:…>

_TAG = re.compile(r"<(lora|lyco|hypernet):([^:<>]+)((?::[^:<>]*)*)>", re.IGNORECASE)
_KIND = {"lora": "lora", "lyco": "lycoris", "hypernet": "hypernetwork"}


def prompt_tags(prompt: str | None) -> list[Lora]:
    """The LoRA/LyCORIS/hypernetwork tags of an A1111 prompt, with their (first) weight. The prompt is not changed."""
    out: list[Lora] = []
    for match in _TAG.finditer(prompt or ""):
        kind = _KIND[match.group(1).lower()]
        name = match.group(2).strip()
        weight = 1.0
        for part in match.group(3).split(":")[1:]:
            part = part.strip()
            if not part:
                continue
            if "=" in part:  # <lora:name:unet=0.5:te=0.7> (named multipliers): take te/unet as written
                part = part.split("=", 1)[1]
            try:
                weight = float(part)
            except ValueError:
                weight = 1.0
            break
        out.append(Lora(name=name, weight=weight, kind=kind))
    return out


def name_hash_list(text: str) -> list[tuple[str, str]]:
    """``"a: 1234, b: 5678"`` (A1111 ``Lora hashes``/``TI hashes``) → [(name, value)]."""
    out = []
    for part in text.split(","):
        if ":" not in part:
            continue
        name, value = part.rsplit(":", 1)
        if name.strip():
            out.append((name.strip(), value.strip()))
    return out


def read_numbers(found: Found, data: dict, where: str, **keys: str) -> None:
    """Seed, steps, guidance scale, width and height from a JSON dialect, under the key names it uses.

    ``keys`` maps each of ``seed``, ``steps``, ``cfg``, ``width``, ``height`` to the dialect's key;
    a key the dialect does not write is left out. Each value is checked as its field requires.
    """
    checks = {"seed": ("seed", seed), "steps": ("steps", steps), "cfg": ("guidance_scale", cfg),
              "width": ("width", dimension), "height": ("height", dimension)}
    for what, key in keys.items():
        attribute, check = checks[what]
        if data.get(key) is not None:
            setattr(found, attribute, check(data[key], f"{where}: {key}"))


def new_found(tool: str, carriers: list[Carrier]) -> Found:
    return Found(tool=tool, carriers=list(carriers))


def put_extra(found: Found, key: str, value: Any) -> None:
    """Record an unmapped value (JSON null as ``"null"``); a key already taken gets a numbered twin."""
    text = compact(value)
    if key in found.extra and found.extra[key] != text:
        n = 2
        while f"{key} ({n})" in found.extra:
            n += 1
        key = f"{key} ({n})"
    found.extra[key] = text


def add_problem(found: Found, problem: str) -> None:
    if problem not in found.problems:
        found.problems.append(problem)


def fmt_num(value: float | int) -> str:
    """12.0 → "12", 0.5 → "0.5" (for messages)."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
