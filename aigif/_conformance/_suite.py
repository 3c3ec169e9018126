"""The suite: its index, checksums and cases (``conformance/suite``)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from pathlib import Path
from typing import Any

from .._files import shipped_suite
from .._errors import FORMAT_CODES, FileError
from ._answers import parse_json
from ._base import KINDS, SUITE_FORMAT, SUITE_VERSION, SuiteError

_NAME_RE = re.compile(r"^[yni]_[A-Za-z0-9][A-Za-z0-9_.+-]*$")


@dataclasses.dataclass(frozen=True)
class Case:
    """One suite case: a file and what a reader must do with it."""

    name: str
    kind: str  # "y", "n" or "i"
    file: Path  # absolute
    json: Any = None  # y_: the expected canonical JSON; i_: the JSON a reader must give if it accepts
    error: str | None = None  # n_: the expected error code
    errors: tuple[str, ...] | None = None  # i_: codes allowed when rejecting (None: any)
    accept: bool = False  # i_: whether accepting is allowed
    clauses: tuple[str, ...] = ()
    description: str = ""

    @property
    def expected(self) -> str:
        """What a conforming reader does, in words (the 'expected' column)."""
        if self.kind == "y":
            return "accept"
        if self.kind == "n":
            return f"reject [{self.error}]"
        rejection = f"reject [{'|'.join(self.errors)}]" if self.errors else "reject"
        return f"accept or {rejection}" if self.accept else rejection


@dataclasses.dataclass(frozen=True)
class Suite:
    path: Path
    spec: str
    cases: tuple[Case, ...]


def default_suite() -> Path:
    """The suite shipped with the repository (``conformance/suite`` beside the package), if present."""
    try:
        here = shipped_suite("suite")
    except FileError as err:
        raise SuiteError(err.message, code="not-found") from None
    if not (here / "index.json").is_file():
        raise SuiteError("no conformance suite next to the aigif package (an installed copy has none); "
                         "give one with --suite DIR (conformance/suite in the AIGIF repository)",
                         code="not-found")
    return here


def load_suite(path: str | os.PathLike) -> Suite:
    """Read a suite directory: verify ``SHA256SUMS`` first, then load and validate ``index.json``.

    Raises :class:`SuiteError`: ``not-found`` (no such directory), ``suite-tampered`` (a file differs
    from, is missing from or is not covered by ``SHA256SUMS``), ``invalid-suite`` (anything else).
    """
    root = Path(path)
    if not root.is_dir():
        raise SuiteError(f"no such suite directory: {os.fspath(path)}", code="not-found")
    root = root.resolve()
    sums = _verify_checksums(root)
    if "index.json" not in sums:
        raise SuiteError("index.json is not covered by SHA256SUMS", code="suite-tampered")
    index = _load_json_file(root / "index.json", "index.json")
    if not isinstance(index, dict) or index.get("format") != SUITE_FORMAT:
        raise SuiteError(f"index.json is not an index of an AIGIF conformance suite "
                         f"(expected \"format\": \"{SUITE_FORMAT}\")", code="invalid-suite")
    if index.get("version") != SUITE_VERSION:
        raise SuiteError(f"index.json has suite version {index.get('version')!r}; this runner reads version "
                         f"{SUITE_VERSION}", code="invalid-suite")
    entries = index.get("cases")
    if not isinstance(entries, list) or not entries:
        raise SuiteError("index.json has no \"cases\" list", code="invalid-suite")
    cases, seen = [], set()
    for number, entry in enumerate(entries):
        case = _load_case(root, sums, entry, number)
        if case.name in seen:
            raise SuiteError(f"index.json lists case {case.name} twice", code="invalid-suite")
        seen.add(case.name)
        cases.append(case)
    spec = index.get("spec", "")
    return Suite(root, spec if isinstance(spec, str) else "", tuple(cases))


def _verify_checksums(root: Path) -> set[str]:
    """Check every line of SHA256SUMS (``sha256sum -c`` format); return the names it covers."""
    sums_path = root / "SHA256SUMS"
    try:
        text = sums_path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise SuiteError(f"{sums_path} is missing: the suite cannot be verified", code="suite-tampered") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SuiteError(f"cannot read {sums_path}: {err}", code="invalid-suite") from None
    covered: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([0-9a-fA-F]{64}) [ *](.+)", line)
        if not match:
            raise SuiteError(f"SHA256SUMS line {number} is not '<sha256>  <name>'", code="invalid-suite")
        digest, name = match.group(1).lower(), match.group(2)
        target = _inside(root, name, "SHA256SUMS")
        try:
            actual = hashlib.sha256(target.read_bytes()).hexdigest()
        except FileNotFoundError:
            raise SuiteError(f"{name} is listed in SHA256SUMS but missing", code="suite-tampered") from None
        except OSError as err:
            raise SuiteError(f"cannot read {name}: {err.strerror or err}", code="invalid-suite") from None
        if actual != digest:
            raise SuiteError(f"{name} does not match SHA256SUMS (the suite was altered; regenerate or re-fetch it)",
                             code="suite-tampered")
        covered.add(Path(name).as_posix())
    if not covered:
        raise SuiteError("SHA256SUMS lists no file", code="suite-tampered")
    return covered


def _inside(root: Path, name: str, where: str) -> Path:
    """``root / name`` for a plain relative name (no absolute path, no '..'), else invalid-suite."""
    rel = Path(name)
    if not name or rel.is_absolute() or ".." in rel.parts or "\\" in name or "\0" in name:
        raise SuiteError(f"{where} names a file outside the suite: {name!r}", code="invalid-suite")
    return root / rel


def _load_case(root: Path, sums: set[str], entry: Any, number: int) -> Case:
    where = f"index.json case {number}"
    if not isinstance(entry, dict):
        raise SuiteError(f"{where} is not an object", code="invalid-suite")
    name, kind = entry.get("name"), entry.get("kind")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise SuiteError(f"{where} has no valid name (y_/n_/i_ followed by letters, digits, _ . + -)",
                         code="invalid-suite")
    where = f"index.json case {name}"
    if kind not in KINDS or not name.startswith(kind + "_"):
        raise SuiteError(f"{where}: kind {kind!r} does not match its name", code="invalid-suite")

    def covered_file(key: str) -> Path | None:
        value = entry.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise SuiteError(f"{where}: \"{key}\" is not a file name", code="invalid-suite")
        target = _inside(root, value, where)
        if Path(value).as_posix() not in sums:
            raise SuiteError(f"{where}: {value} is not covered by SHA256SUMS", code="suite-tampered")
        return target

    file = covered_file("file")
    if file is None:
        raise SuiteError(f"{where} has no \"file\"", code="invalid-suite")
    json_path = covered_file("json")
    expected = _load_json_file(json_path, json_path.name) if json_path else None
    if json_path and not isinstance(expected, dict):
        raise SuiteError(f"{where}: {json_path.name} is not a JSON object", code="invalid-suite")
    clauses = entry.get("clauses", [])
    if not isinstance(clauses, list) or not all(isinstance(c, str) for c in clauses):
        raise SuiteError(f"{where}: \"clauses\" is not a list of strings", code="invalid-suite")
    description = entry.get("description", "")
    common = dict(name=name, kind=kind, file=file, clauses=tuple(clauses),
                  description=description if isinstance(description, str) else "")
    if kind == "y":
        if json_path is None:
            raise SuiteError(f"{where}: a y_ case needs its expected \"json\"", code="invalid-suite")
        return Case(json=expected, **common)
    if kind == "n":
        error = entry.get("error")
        sidecar = file.with_suffix(".error")
        if sidecar.is_file():
            if sidecar.relative_to(root).as_posix() not in sums:
                raise SuiteError(f"{where}: {sidecar.name} is not covered by SHA256SUMS", code="suite-tampered")
            noted = sidecar.read_text("utf-8", errors="replace").strip()
            if error is None:
                error = noted
            elif noted != error:
                raise SuiteError(f"{where}: {sidecar.name} says {noted!r}, index.json says {error!r}",
                                 code="invalid-suite")
        if error not in FORMAT_CODES:
            raise SuiteError(f"{where}: expected error {error!r} is not an error code of spec section 9",
                             code="invalid-suite")
        return Case(error=error, **common)
    accept = entry.get("accept", False)
    if not isinstance(accept, bool):
        raise SuiteError(f"{where}: \"accept\" is not true or false", code="invalid-suite")
    errors = entry.get("errors")
    if errors is not None:
        if not isinstance(errors, list) or not errors or any(code not in FORMAT_CODES for code in errors):
            raise SuiteError(f"{where}: \"errors\" is not a list of error codes of spec section 9",
                             code="invalid-suite")
        errors = tuple(errors)
    if json_path is not None and not accept:
        raise SuiteError(f"{where}: gives a \"json\" but does not allow accepting", code="invalid-suite")
    return Case(json=expected, errors=errors, accept=accept, **common)


def _load_json_file(path: Path, name: str) -> Any:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SuiteError(f"{name} is missing", code="suite-tampered") from None
    except OSError as err:
        raise SuiteError(f"cannot read {name}: {err.strerror or err}", code="invalid-suite") from None
    try:
        return parse_json(data)
    except ValueError as err:
        raise SuiteError(f"{name} is not valid JSON: {err}", code="invalid-suite") from None
