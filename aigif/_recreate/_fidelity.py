"""Recreation conformance: recreate the shipped reference files here and compare with their PNGs.

A *recreation suite* is a folder (``conformance/recreate``) holding AIGIF files made with the
built-in model on the reference platform, the PNG each produced there, and ``manifest.json``::

    {"format": "aigif-recreate-conformance", "version": 1,
     "reference_platform": {...the files' platform section, as canonical JSON...},
     "cases": [{"name": "ddim-128", "file": "ddim-128.aigif", "image": "ddim-128.png",
                "scheduler": "ddim", "width": 128, "height": 128, "seed": 42, "steps": 12,
                "dtype": "float32", "pixel_digest": "sha256:...",
                "file_sha256": "...", "image_sha256": "..."}, ...]}

``load_suite`` checks all of it before anything heavy runs (every SHA-256, every file readable,
each PNG's pixels equal to its file's pixel digest); ``run_suite`` recreates every file on this
platform, optionally overriding the thread count, the data type or the device, and compares each
recreation with its reference PNG: *identical*, or the exact PSNR, the MS-SSIM and the largest
absolute difference. ``summarize`` and ``matrix_markdown`` turn several runs into the cross-platform
fidelity matrix (``tools/recreate/fidelity_matrix.py``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform as _stdlib_platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._errors import AigifError, FileError, RecreateError, UsageError
from .._format._read import read
from .._files import check_target, make_folder, shipped_suite, write_bytes_atomic
from .._format._json import to_json
from .._format._model import AigifFile
from . import _determinism, _engine, _models, _platform
from ._metrics import Comparison, as_array, compare
from ._safety import DTYPES

FORMAT = "aigif-recreate-conformance"
VERSION = 1
MANIFEST = "manifest.json"
_CASE_KEYS = {"name": str, "file": str, "image": str, "scheduler": str, "width": int, "height": int, "seed": int,
              "steps": int, "dtype": str, "pixel_digest": str, "file_sha256": str, "image_sha256": str}


@dataclass(frozen=True)
class Case:
    """One reference file of the suite and what the manifest says about it."""

    name: str
    file: Path
    image: Path
    scheduler: str
    width: int
    height: int
    seed: int
    steps: int
    dtype: str
    pixel_digest: str
    file_sha256: str
    image_sha256: str
    label: str = ""  # the scheduler as shown ("dpmpp_2m karras")

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


@dataclass(frozen=True)
class Suite:
    directory: Path
    cases: tuple[Case, ...]
    reference_platform: dict
    manifest: dict


def _bad(message: str, path: str | None = None) -> UsageError:
    return UsageError(f"{MANIFEST}: {message}", code="invalid-suite", path=path)


def default_suite() -> Path:
    """The suite shipped with the repository (``conformance/recreate`` beside the package)."""
    return shipped_suite("recreate")


def load_suite(directory) -> Suite:
    """Read and check a recreation suite; every problem is one ``AigifError`` with a code.

    ``not-found`` (no folder, no manifest, a listed file missing), ``invalid-suite`` (a malformed
    manifest), ``suite-tampered`` (a file whose SHA-256, or a PNG whose pixels, differ from what the
    manifest and the AIGIF file say), and the reader's own codes for an AIGIF file that does not
    read. The codes are those of ``aigif conformance run``.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise FileError(f"no recreation suite at {folder} (no such folder; pass --suite DIR)", code="not-found")
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise FileError(f"{folder} is not a recreation suite: it has no {MANIFEST}", code="not-found")
    try:
        doc = json.loads(manifest_path.read_bytes())
    except (ValueError, RecursionError) as err:
        raise UsageError(f"{manifest_path} is not valid JSON ({err})", code="invalid-suite") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _bad(f"not a recreation-suite manifest (\"format\" must be {FORMAT!r})")
    if doc.get("version") != VERSION:
        raise _bad(f"manifest version {doc.get('version')!r} is not supported (this aigif reads version {VERSION})")
    entries, reference = doc.get("cases"), doc.get("reference_platform")
    if not isinstance(entries, list) or not entries:
        raise _bad("\"cases\" must be a non-empty list")
    if not isinstance(reference, dict):
        raise _bad("\"reference_platform\" must be an object")
    cases, names = [], set()
    for index, entry in enumerate(entries):
        where = f"cases[{index}]"
        if not isinstance(entry, dict):
            raise _bad("each case must be an object", where)
        for key, kind in _CASE_KEYS.items():
            value = entry.get(key)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise _bad(f"{key!r} must be a {kind.__name__}", f"{where}.{key}")
        for key in ("file", "image"):
            name = entry[key]
            if not name or name in (".", "..") or "/" in name or "\\" in name or name != name.strip():
                raise _bad(f"{key} {name!r} must be a plain file name inside the suite folder", f"{where}.{key}")
        if entry["name"] in names:
            raise _bad(f"case name {entry['name']!r} appears twice", f"{where}.name")
        names.add(entry["name"])
        cases.append(Case(name=entry["name"], file=folder / entry["file"], image=folder / entry["image"],
                          scheduler=entry["scheduler"], width=entry["width"], height=entry["height"],
                          seed=entry["seed"], steps=entry["steps"], dtype=entry["dtype"],
                          pixel_digest=entry["pixel_digest"], file_sha256=entry["file_sha256"].lower(),
                          image_sha256=entry["image_sha256"].lower(),
                          label=str(entry.get("label") or entry["scheduler"])))
    for case in cases:
        _check_case(case)
    return Suite(folder, tuple(cases), reference, doc)


def _check_case(case: Case) -> None:
    from PIL import Image

    for path, expected in ((case.file, case.file_sha256), (case.image, case.image_sha256)):
        if not path.is_file():
            raise FileError(f"{path} is listed in the manifest but missing", code="not-found")
        actual = _models.sha256_of(path)
        if actual != expected:
            raise FileError(f"{path}: its SHA-256 ({actual[:16]}…) is not the manifest's ({expected[:16]}…): the "
                            "file was changed or damaged; restore it (or regenerate the suite with "
                            "tools/gen_recreate_refs.py --force)", code="suite-tampered")
    obj = read(case.file)
    recorded = (obj.data.width, obj.data.height, obj.data.seed, obj.data.steps, obj.model.scheduler, obj.model.dtype,
                obj.payload.pixel_digest)
    listed = (case.width, case.height, case.seed, case.steps, case.scheduler, case.dtype, case.pixel_digest)
    if recorded != listed:
        raise FileError(f"{case.file} does not hold what the manifest says of it ({recorded} vs {listed})",
                        code="suite-tampered")
    try:
        with Image.open(case.image) as opened:
            reference = opened.convert("RGB")
    except Exception as err:  # noqa: BLE001 - Pillow raises many kinds
        raise FileError(f"{case.image} is not an image Pillow can read ({err})", code="suite-tampered") from None
    if reference.size != (case.width, case.height) or _engine.pixel_digest(reference) != case.pixel_digest:
        raise FileError(f"{case.image}: its pixels are not those of {case.file.name}'s pixel digest",
                        code="suite-tampered")


# ---------------------------------------------------------------------------------------------
# Comparing


def changed_subpixels(a, b) -> int:
    """How many 8-bit values (pixels x channels) differ."""
    return int(np.count_nonzero(as_array(a) != as_array(b)))


def comparison_json(comparison: Comparison, changed: int, total: int) -> dict:
    return {**comparison.to_json(), "changed_subpixels": changed, "subpixels": total}


def describe(row: dict) -> str:
    """The result column: ``identical``, or the exact PSNR (never a capped number)."""
    if row.get("error"):
        return f"error [{row['error']}]"
    return "identical" if row["identical"] else f"PSNR {row['psnr_db']:.2f} dB"


def format_ms_ssim(value: float) -> str:
    """Six decimals, or as many more as it takes not to print 1.000000 for images that differ."""
    for digits in range(6, 16):
        text = f"{value:.{digits}f}"
        if value >= 1 or float(text) < 1:
            return text
    return f"{value:.15f}"


def summarize(rows: list[dict]) -> dict:
    """Several comparisons (one per reference file) -> one cell of the matrix.

    The worst case is kept: the lowest PSNR and MS-SSIM, the largest difference; ``identical``
    counts the files that came out identical.
    """
    done = [row for row in rows if not row.get("error")]
    differing = [row for row in done if not row["identical"]]
    cell = {"cases": len(rows), "compared": len(done), "identical": len(done) - len(differing),
            "errors": len(rows) - len(done),
            "min_psnr_db": min((row["psnr_db"] for row in differing), default=None),
            "mean_psnr_db": _mean_psnr(done) if done else None,
            "min_ms_ssim": min((row["ms_ssim"] for row in done), default=None),
            "max_abs_diff": max((row["max_abs_diff"] for row in done), default=None),
            "max_changed_fraction": max((row["changed_subpixels"] / row["subpixels"] for row in done
                                         if "changed_subpixels" in row), default=None)}
    return cell


def _mean_psnr(rows: list[dict]) -> float | None:
    """PSNR of the pooled MSE of several images (None if all identical): averaged as MSE, not as dB."""
    total_sq, total_n = 0.0, 0
    for row in rows:
        n = row["subpixels"]
        total_n += n
        if not row["identical"]:
            total_sq += n * 255.0**2 / 10 ** (row["psnr_db"] / 10)
    return None if total_sq == 0 else 10 * math.log10(255.0**2 / (total_sq / total_n))


def cell_text(cell: dict | None) -> str:
    """A matrix cell in markdown: ``identical`` or ``PSNR · MS-SSIM · max diff``."""
    if cell is None:
        return "—"
    if cell.get("unavailable"):
        return "n/a"
    if cell["errors"]:
        return f"error ({cell['errors']}/{cell['cases']})"
    if cell["identical"] == cell["cases"]:
        return "identical"
    text = f"{cell['min_psnr_db']:.2f} dB · {format_ms_ssim(cell['min_ms_ssim'])} · {cell['max_abs_diff']}"
    if cell["identical"]:
        text += f" ({cell['identical']}/{cell['cases']} identical)"
    return text


def matrix_markdown(labels: list[str], cells: dict, unavailable: dict | None = None) -> str:
    """Rows = saving platform, columns = recreation platform; ``cells[(row, col)]`` from ``summarize``."""
    unavailable = unavailable or {}
    present = [label for label in labels if label not in unavailable]
    lines = ["| saved on ↓ / recreated on → | " + " | ".join(present) + " |",
             "|---|" + "---|" * len(present)]
    for row in present:
        lines.append(f"| {row} | " + " | ".join(cell_text(cells.get((row, col))) for col in present) + " |")
    for label, reason in unavailable.items():
        lines.append(f"| {label} | " + " | ".join([f"not run: {reason}"] + [""] * (len(present) - 1)) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Recreating


@dataclass
class Report:
    """The outcome of recreating a suite on this platform."""

    suite: Suite
    overrides: dict
    rows: list[dict] = field(default_factory=list)
    platform: dict | None = None
    environment: dict = field(default_factory=dict)
    load_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def identical(self) -> int:
        return sum(1 for row in self.rows if not row.get("error") and row["identical"])

    @property
    def differing(self) -> int:
        return sum(1 for row in self.rows if not row.get("error") and not row["identical"])

    @property
    def errors(self) -> int:
        return sum(1 for row in self.rows if row.get("error"))

    @property
    def exit_status(self) -> int:
        """0: every file identical; 3: some differ; 1: some could not be recreated."""
        return 1 if self.errors else 3 if self.differing else 0

    def to_json(self) -> dict:
        return {"format": FORMAT + "-result", "version": VERSION, "suite": str(self.suite.directory),
                "reference_platform": self.suite.reference_platform, "platform": self.platform,
                "environment": self.environment, "overrides": self.overrides,
                "summary": {"cases": len(self.rows), "identical": self.identical, "differ": self.differing,
                            "errors": self.errors, "exit_status": self.exit_status},
                "load_seconds": round(self.load_seconds, 3), "seconds": round(self.seconds, 3),
                "results": self.rows}


def override(obj: AigifFile, *, threads: int | None = None, dtype: str | None = None) -> AigifFile:
    """The file as if it had been saved with another thread count or data type (for measuring)."""
    if threads is not None:
        obj = dataclasses.replace(obj, platform=dataclasses.replace(obj.platform, threads=threads))
    if dtype is not None:
        obj = dataclasses.replace(obj, model=dataclasses.replace(obj.model, dtype=dtype))
    return obj


def check_options(*, device: str = "cpu", threads: int | None = None, dtype: str | None = None) -> None:
    """Refuse overrides this machine cannot run, before any model is loaded."""
    import torch

    if threads is not None and not 1 <= threads <= 1024:
        raise UsageError(f"--threads {threads}: give 1 to 1024 threads", code="invalid-value")
    if dtype is not None and dtype not in DTYPES:
        raise UsageError(f"--dtype {dtype!r}: choose one of {', '.join(DTYPES)}", code="invalid-value")
    try:
        kind = _platform.device_kind(device)
    except (RuntimeError, ValueError) as err:
        raise UsageError(f"--device {device!r} is not a torch device ({err})", code="invalid-value") from None
    if kind == "gpu" and not torch.cuda.is_available():
        raise RecreateError(f"device {device!r} requested but CUDA is not available on this machine",
                            code="cannot-honour")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise RecreateError(f"device {device!r} requested but MPS is not available on this machine",
                            code="cannot-honour")


def environment(device: str = "cpu") -> dict:
    """What a report should say about the machine, beyond the platform fields (no host names)."""
    import torch

    from .._version import __version__

    vendor, model, flags = _determinism.cpu_identity()
    info = {"aigif": __version__, "torch": torch.__version__, "torch_cuda": torch.version.cuda,
            "os": f"{_stdlib_platform.system()} {_stdlib_platform.release()}", "machine": _stdlib_platform.machine(),
            "python": _stdlib_platform.python_version(), "cpu_count": os.cpu_count(), "cpu_vendor": vendor,
            "cpu_model": model, "isa": isa_level(flags), "kernels": torch.backends.cpu.get_cpu_capability(),
            "default_threads": torch.get_num_threads(), "cuda_available": torch.cuda.is_available()}
    if _platform.device_kind(device) == "gpu" and torch.cuda.is_available():
        index = torch.device(device).index or 0
        info["gpu"] = torch.cuda.get_device_name(index)
        info["gpu_capability"] = ".".join(map(str, torch.cuda.get_device_capability(index)))
    return info


def isa_level(flags: frozenset[str] | None) -> str | None:
    """The widest vector instruction set the CPU reports (what its native kernels would use)."""
    if flags is None:
        return None
    for level, needed in (("AVX512", {"avx512f", "avx512bw", "avx512vl", "avx512dq"}), ("AVX2", set(_determinism.REQUIRED_FLAGS)),
                          ("AVX", {"avx"}), ("SSE4.2", {"sse4_2"})):
        if needed <= flags:
            return level
    return "baseline"


def prepare_outputs(suite: Suite, out_dir, overwrite: bool) -> dict[str, Path]:
    """Where each recreated image goes (``NAME.png`` in ``out_dir``); refuses existing files first."""
    if out_dir is None:
        return {}
    folder = Path(out_dir)
    targets = {case.name: folder / f"{case.name}.png" for case in suite.cases}
    if folder.exists() and not folder.is_dir():
        raise FileError(f"--out-dir {folder} exists and is not a folder", code="exists")
    for target in targets.values():
        check_target(target, overwrite=overwrite, create_folder=True)
    for target in targets.values():
        make_folder(target)
    return targets


def run_suite(suite: Suite, *, device: str = "cpu", threads: int | None = None, dtype: str | None = None,
              out_dir=None, overwrite: bool = False, engine=None, progress=None) -> Report:
    """Recreate every file of ``suite`` here and compare it with its reference PNG.

    ``threads`` and ``dtype`` replace what the files recorded (a measurement: ``aigif recreate``
    itself always honours them); ``device`` runs on another device. ``progress``, if given, is
    called with each case before it runs and with each finished row. Problems with one file become
    an error row; the run goes on.
    """
    from . import Engine, prepare_for

    objects = {case.name: read(case.file) for case in suite.cases}
    for obj in objects.values():  # the files' determinism profile, before torch is imported
        prepare_for(obj, device)
    check_options(device=device, threads=threads, dtype=dtype)
    targets = prepare_outputs(suite, out_dir, overwrite)
    started = time.perf_counter()
    engine = engine or Engine(device=device)
    report = Report(suite, {"device": device, "threads": threads, "dtype": dtype}, environment=environment(device))
    for case in suite.cases:  # each model and data type is loaded once, outside the per-file timings
        obj = override(objects[case.name], threads=threads, dtype=dtype)
        try:
            engine.load(obj.model)
        except AigifError:
            pass  # reported on the file's own row below
    report.load_seconds = time.perf_counter() - started
    import torch

    saved_threads = torch.get_num_threads()
    if threads is not None:  # the portable profile runs with the process's count: make it N
        torch.set_num_threads(threads)
    try:
        _run_cases(suite, objects, report, engine, targets, threads, dtype, overwrite, progress)
    finally:
        torch.set_num_threads(saved_threads)
    report.seconds = time.perf_counter() - started
    return report


def _run_cases(suite, objects, report, engine, targets, threads, dtype, overwrite, progress) -> None:
    from PIL import Image

    from . import recreate

    for case in suite.cases:
        if progress is not None:
            progress(case, None)
        row = {"name": case.name, "file": case.file.name, "scheduler": case.label, "width": case.width,
               "height": case.height, "seed": case.seed, "steps": case.steps}
        begun = time.perf_counter()
        try:
            original = objects[case.name]
            obj = override(original, threads=threads, dtype=dtype)
            result = recreate(obj, engine=engine)
            if result.source != "recreated":
                raise RecreateError(f"{case.file.name} was not recreated ({result.source})", code="cannot-honour")
            used = engine.platform_for(obj, result.determinism)
            expected = _platform.expectation(original.platform, used)  # what recreate predicted, before it ran
            if dtype is not None and dtype != original.model.dtype:
                expected = _platform.Expectation("close" if expected.verdict == "bit-exact" else expected.verdict,
                                                 (*expected.differences, f"dtype {original.model.dtype} -> {dtype}"))
            seconds = time.perf_counter() - begun
            with Image.open(case.image) as opened:
                reference = opened.convert("RGB")
            comparison = compare(result.image, reference)
            row.update(dtype=obj.model.dtype, threads=used.threads,
                       **comparison_json(comparison, changed_subpixels(result.image, reference),
                                         case.width * case.height * 3),
                       recreated_digest=_engine.pixel_digest(result.image), expectation=expected.verdict,
                       differences=list(expected.differences), determinism=result.determinism.in_effect if result.determinism else None,
                       prediction_held=comparison.identical == (expected.verdict == "bit-exact"),
                       seconds=round(seconds, 3))
            if report.platform is None:
                report.platform = to_json(AigifFile(platform=used))["platform"]
            if case.name in targets:
                write_bytes_atomic(targets[case.name], _engine.encode_png(result.image), overwrite=overwrite)
                row["image"] = str(targets[case.name])
        except AigifError as error:
            row.update(error=error.code, message=error.message, seconds=round(time.perf_counter() - begun, 3))
        report.rows.append(row)
        if progress is not None:
            progress(case, row)
