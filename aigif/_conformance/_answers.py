"""What a reader answers: strict JSON parsing and comparison (R11.4), and the error code it names."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any

from .._errors import FORMAT_CODES

_CODE_RE = re.compile(r"(?<![A-Za-z0-9_-])(" + "|".join(
    re.escape(code) for code in sorted(FORMAT_CODES, key=len, reverse=True)) + r")(?![A-Za-z0-9_-])")


def _no_constant(token: str):
    raise ValueError(f"{token} is not JSON")


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def parse_json(data: bytes) -> Any:
    """Parse UTF-8 JSON strictly: no NaN/Infinity, no duplicate keys. Raises ``ValueError``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"not UTF-8 ({err.reason} at byte {err.start})") from None
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except ValueError as err:  # json.JSONDecodeError, and int literals beyond Python's digit limit
        raise ValueError(str(err)) from None


def _show(value: Any, limit: int = 80, escape: bool = False) -> str:
    text = json.dumps(value, ensure_ascii=escape)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mismatch(where: str, expected: Any, got: Any) -> str:
    shown = _show(expected), _show(got)
    if unicodedata.normalize("NFC", shown[0]) == unicodedata.normalize("NFC", shown[1]):
        shown = _show(expected, escape=True), _show(got, escape=True)  # make invisible differences visible
    return f"{where}: expected {shown[0]}, got {shown[1]}"


def _key_path(path: str, key: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _numbers_equal(a: int | float, b: int | float) -> bool:
    """Exact numeric equality (Python compares int with float exactly); a zero's sign must agree."""
    if a != b:
        return False
    if a == 0 and (isinstance(a, float) or isinstance(b, float)):
        return math.copysign(1.0, a) == math.copysign(1.0, b)
    return True


def compare_json(expected: Any, got: Any, path: str = "") -> str | None:
    """The first difference between two JSON values under R11.4, or ``None`` if they are equal.

    Objects compare by keys (order ignored), arrays element by element, strings exactly, integers
    exactly (so a seed of 2^64 - 1 is not "equal" to the double 2^64), an integer and a float only
    when numerically exactly equal, and ``true``/``false`` never equal ``1``/``0``.
    """
    where = path or "(top level)"
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{where}: expected an object, got {_show(got)}"
        for key, value in expected.items():
            if key not in got:
                return f"{_key_path(path, key)}: missing (expected {_show(value)})"
            diff = compare_json(value, got[key], _key_path(path, key))
            if diff:
                return diff
        for key in got:
            if key not in expected:
                return f"{_key_path(path, key)}: unexpected key (got {_show(got[key])})"
        return None
    if isinstance(expected, list):
        if not isinstance(got, list):
            return f"{where}: expected an array, got {_show(got)}"
        for number, (left, right) in enumerate(zip(expected, got)):
            diff = compare_json(left, right, f"{path}[{number}]")
            if diff:
                return diff
        if len(expected) != len(got):
            return f"{where}: expected {len(expected)} items, got {len(got)}"
        return None
    if isinstance(expected, bool) or isinstance(got, bool) or expected is None or got is None:
        same = type(expected) is type(got) and expected == got
    elif isinstance(expected, (int, float)):
        same = isinstance(got, (int, float)) and _numbers_equal(expected, got)
    else:  # a string
        same = isinstance(got, str) and expected == got
    return None if same else _mismatch(where, expected, got)


def find_code(text: str) -> str | None:
    """The last whole-word occurrence of an error code of spec section 9 in ``text``, if any."""
    found = None
    for found in _CODE_RE.finditer(text):
        pass
    return found.group(1) if found else None
