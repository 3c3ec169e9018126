"""Finding, checking and loading a file's model, safely.

A file names a model; it must not be able to make us run code or read outside the model
directories. So (reproducibility notes §5): a free model name (R5.3) is one or two plain folder
names, never a path; models come only from local places (the built-in models, ``--model-dir``, the
Hugging Face cache) unless downloading is allowed, and every file of a model folder, links
followed, must lie inside the place it was found in; weights are safetensors only; the pipeline
class and every component class come from an allow-list and are checked in ``model_index.json``
*before* diffusers sees the folder, and a folder holding Python code is refused; ``custom_pipeline``
and remote code are never passed; pinned SHA-256 hashes are verified, and a verification is cached
so that a multi-GB file is hashed once.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .._errors import RecreateError
from .._format._model import Model

#: Pipelines a file may ask for (by model registry entry or by a local model_index.json).
ALLOWED_PIPELINES = frozenset({
    "StableDiffusionPipeline", "StableDiffusionXLPipeline", "StableDiffusionXLImg2ImgPipeline",
    "StableDiffusion3Pipeline", "FluxPipeline", "PixArtSigmaPipeline", "LatentConsistencyModelPipeline",
})
#: Components a pipeline folder may declare, by library. Anything else is refused unread.
ALLOWED_COMPONENTS = {
    "diffusers": frozenset({
        "UNet2DConditionModel", "AutoencoderKL", "SD3Transformer2DModel", "FluxTransformer2DModel",
        "PixArtTransformer2DModel", "DDIMScheduler", "PNDMScheduler", "LMSDiscreteScheduler",
        "EulerDiscreteScheduler", "EulerAncestralDiscreteScheduler", "HeunDiscreteScheduler",
        "DPMSolverMultistepScheduler", "DPMSolverSDEScheduler", "KDPM2DiscreteScheduler",
        "KDPM2AncestralDiscreteScheduler", "UniPCMultistepScheduler", "DEISMultistepScheduler", "LCMScheduler",
        "TCDScheduler", "DDPMScheduler", "FlowMatchEulerDiscreteScheduler", "EDMDPMSolverMultistepScheduler",
    }),
    "transformers": frozenset({
        "CLIPTextModel", "CLIPTextModelWithProjection", "CLIPTokenizer", "CLIPTokenizerFast", "T5EncoderModel",
        "T5TokenizerFast", "T5Tokenizer", "CLIPImageProcessor", "CLIPVisionModelWithProjection",
    }),
}
#: Components we never load (passed as None), so their classes do not matter.
SKIPPED_COMPONENTS = frozenset({"safety_checker", "feature_extractor", "image_encoder"})
PICKLE_SUFFIXES = (".bin", ".ckpt", ".pt", ".pth", ".pkl", ".pickle")
CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".pyw")  # what diffusers' remote-code loaders would import
WEIGHT_SUFFIX = ".safetensors"
#: Characters that separate, or mean something in, a path on some system (Windows: ``C:\x``).
_PATH_CHARACTERS = frozenset('/\\:*?"<>|')
_WINDOWS_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"{d}{i}" for d in ("COM", "LPT") for i in range(1, 10))})
_REPO_PART = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?")  # Hugging Face's repo-id rules


@dataclass(frozen=True)
class ModelEntry:
    """One model of the recreation registry (``aigif/_recreate/models_registry.json``)."""

    name: str
    repo: str | None
    revision: str | None  # a full commit hash, or None: unpinned
    pipeline: str
    scheduler: dict | None  # the default scheduler configuration
    files: dict[str, str]  # relative path -> SHA-256 (pinned weights)
    builtin: str | None = None
    default_size: int = 512

    @property
    def default_scheduler(self) -> str:
        """The registry name of the model's own scheduler (what ``save`` uses unless told)."""
        from ._schedulers import SCHEDULERS

        cls = (self.scheduler or {}).get("_class_name")
        return next((name for name, (candidate, _) in SCHEDULERS.items() if candidate == cls), "ddim")


def registry() -> dict[str, ModelEntry]:
    raw = json.loads(resources.files("aigif._recreate").joinpath("models_registry.json").read_text("utf-8"))
    return {name: ModelEntry(name=name, repo=e["repo"], revision=e["revision"], pipeline=e["pipeline"],
                             scheduler=e["scheduler"], files=e["files"], builtin=e.get("builtin"),
                             default_size=e.get("size", 512))
            for name, e in raw["models"].items()}


def builtin_dir(entry: ModelEntry) -> Path:
    """The folder of a model shipped with the package (``aigif/_recreate/models``)."""
    assert entry.builtin is not None, f"{entry.name} is not a built-in model"
    return Path(str(resources.files("aigif._recreate").joinpath("models").joinpath(entry.builtin)))


def entry_for(model: Model) -> ModelEntry:
    """The registry entry of a file's model; a free name becomes an unpinned entry of its own."""
    entries = registry()
    if isinstance(model.id, str) and model.id in entries:
        return entries[model.id]
    if isinstance(model.id, int):
        raise RecreateError(f"model code {model.id} is not in this version's registry (a newer file?)",
                            code="cannot-honour", path="model.id")
    # An escaped name (R4.7, R5.3): a Hugging Face repository id or a folder name under --model-dir.
    return ModelEntry(name=model.id, repo=check_name(model), revision=None, pipeline="", scheduler=None, files={})


def check_name(model: Model) -> str | None:
    """A free model name's Hugging Face repository id, or None if it is a folder name (or a code).

    The file chooses this name and it becomes part of a path under each --model-dir, so it must be
    one or two plain folder names (``NAME``, ``OWNER/NAME``): ``..``, absolute paths, ``C:\\x``,
    backslashes and control characters are refused (``model-refused``)."""
    name = model.id
    if not isinstance(name, str) or name in registry():
        return None
    parts = name.split("/")
    if len(parts) > 2 or not all(_plain_folder_name(part) for part in parts):
        raise RecreateError(f"model name {name!r} is not a plain model or repository name; it could name a path "
                            "outside the model directories", code="model-refused", path="model.id")
    is_repo = len(parts) == 2 and all(_REPO_PART.fullmatch(p) and "--" not in p and ".." not in p for p in parts)
    return name if is_repo else None


def _plain_folder_name(part: str) -> bool:
    """One folder name that stays where it is put on every system: no separator, drive or wildcard,
    no control character, no leading or trailing dot or space (``..``, ``.git``), no device name."""
    return (0 < len(part) <= 255 and part.isprintable() and not _PATH_CHARACTERS & set(part)
            and part[0] not in ". " and part[-1] not in ". " and part.split(".")[0].upper() not in _WINDOWS_DEVICES)


def locate(entry: ModelEntry, model_dirs: list[Path], allow_download: bool) -> tuple[Path, list[str]]:
    """The folder holding the model, and where we looked. Raises ``model-not-found`` naming every place,
    and ``model-refused`` for a folder that reaches (by a link) outside the place it was found in."""
    looked: list[str] = []
    candidates: list[tuple[Path, Path]] = []  # (folder, the place it must stay inside)
    if entry.builtin:
        candidates.append((builtin_dir(entry), builtin_dir(entry)))
    for base in model_dirs:
        names = [entry.name]
        if entry.repo:
            names += [entry.repo.replace("/", "--"), entry.repo.rsplit("/", 1)[-1]]
        candidates += [(base / name, base) for name in dict.fromkeys(names)]
    for folder, root in candidates:
        looked.append(str(folder))
        if (folder / "model_index.json").is_file():
            return _contained(folder, root), looked
    if entry.repo:
        from huggingface_hub import snapshot_download
        from huggingface_hub.constants import HF_HUB_CACHE

        looked.append(f"Hugging Face cache {HF_HUB_CACHE} ({entry.repo}"
                      f"{'@' + entry.revision if entry.revision else ''})")
        patterns = ["*.json", "*.txt", "*.model", f"*{WEIGHT_SUFFIX}"]
        try:
            folder = snapshot_download(entry.repo, revision=entry.revision, local_files_only=True,
                                       allow_patterns=patterns)
            return _contained(Path(folder), Path(HF_HUB_CACHE)), looked
        except RecreateError:
            raise
        except Exception:  # noqa: BLE001 - not cached (LocalEntryNotFoundError and friends)
            pass
        if allow_download:
            looked.append(f"download from the Hugging Face Hub ({entry.repo})")
            try:
                folder = snapshot_download(entry.repo, revision=entry.revision, allow_patterns=patterns)
            except Exception as err:  # noqa: BLE001
                raise RecreateError(_download_failed(entry, err), code="model-not-found") from None
            return _contained(Path(folder), Path(HF_HUB_CACHE)), looked
    raise RecreateError(_not_found(entry, looked, allow_download), code="model-not-found", path="model.id")


def _not_found(entry: ModelEntry, looked: list[str], allow_download: bool) -> str:
    """One line: what was asked (or the nearest known models), every place looked, and how to get it."""
    known = registry()
    if entry.name in known:
        what = f"model {entry.name!r} is not on this machine"
    else:
        nearest = difflib.get_close_matches(entry.name, sorted(known), n=3, cutoff=0.0)
        what = f"model {entry.name!r} not found (not a known model; the nearest known: {', '.join(nearest)})"
    places = f"looked in {', '.join(looked)}" if looked else "looked in no model folder (no --model-dir given)"
    fetch = "--allow-download fetches it from the Hugging Face Hub, or put" if entry.repo and not allow_download \
        else "put"
    return (f"{what}; {places}; {fetch} its diffusers folder (with model_index.json) at DIR/{entry.name} and give "
            "--model-dir DIR")


def _download_failed(entry: ModelEntry, err: Exception) -> str:
    """One line for a failed download: the model, and why (offline, or the Hub's own words, flattened)."""
    cause = err.__cause__ or err.__context__
    if type(cause).__name__ == "OfflineModeIsEnabled" or "outgoing traffic has been disabled" in str(err):
        why = "downloads are disabled here (HF_HUB_OFFLINE is set)"
    elif type(err).__name__ == "LocalEntryNotFoundError":  # what huggingface_hub raises when it cannot connect
        reason = f" ({type(cause).__name__}: {cause})" if cause is not None else ""
        why = f"this machine seems to be offline or cannot reach the Hub{reason}"
    else:
        why = f"{type(err).__name__}: {err}"
    why = " ".join(why.split())
    if len(why) > 300:
        why = why[:299] + "…"
    repo = f" ({entry.repo})" if entry.repo != entry.name else ""
    return f"model {entry.name!r}{repo} could not be downloaded from the Hugging Face Hub: {why}"


def _contained(folder: Path, root: Path) -> Path:
    """``folder``, once it and every file in it, links followed, are known to lie inside ``root``.

    A link is how a folder found under --model-dir (or in the Hugging Face cache, whose snapshots
    link to its blobs) could make diffusers read any file on the machine."""
    top = root.resolve()
    try:
        for path in [folder, *_walk(folder)]:
            target = path.resolve()
            if target != top and not target.is_relative_to(top):
                raise RecreateError(f"{path} leads to {target}, outside {root}; a model must lie inside the "
                                    "directory it is found in", code="model-refused", path="model.id")
    except OSError as err:
        raise RecreateError(f"{folder} cannot be read ({err})", code="model-refused") from None
    return folder


def _walk(folder: Path):
    """Every path under ``folder``, following links to folders, each real folder once (so a link loop ends)."""
    seen, pending = set(), [folder]
    while pending:
        current = pending.pop()
        real = current.resolve()
        if real in seen:
            continue
        seen.add(real)
        for path in sorted(current.iterdir()):
            yield path
            if path.is_dir():
                pending.append(path)


def check_folder(folder: Path, entry: ModelEntry) -> str:
    """Refuse a folder that could run code or load pickle; return the pipeline class to use.

    ``model_index.json`` may come from a downloaded repository, so every value is type-checked
    before it is compared with the allow-lists."""
    try:
        index = json.loads((folder / "model_index.json").read_text("utf-8"))
    except (OSError, ValueError, RecursionError) as err:
        raise RecreateError(f"{folder}: unreadable model_index.json ({err})", code="model-refused") from None
    if not isinstance(index, dict):
        raise RecreateError(f"{folder}: model_index.json is not a JSON object", code="model-refused")
    code = next((p for p in _walk(folder) if p.suffix in CODE_SUFFIXES), None)
    if code is not None:
        raise RecreateError(f"{folder} contains Python code ({code.relative_to(folder)}); remote or custom code "
                            "is never run", code="model-refused")
    declared = index.get("_class_name")
    pipeline = entry.pipeline or declared
    if not isinstance(pipeline, str) or pipeline not in ALLOWED_PIPELINES:
        raise RecreateError(f"pipeline {pipeline!r} is not on the allow-list ({', '.join(sorted(ALLOWED_PIPELINES))})",
                            code="model-refused")
    if declared != pipeline:
        raise RecreateError(f"{folder} holds a {declared!r}, not the registry's {pipeline!r}", code="model-refused")
    for component, spec in index.items():
        if component.startswith("_") or component in SKIPPED_COMPONENTS or not isinstance(spec, list) \
                or spec == [None, None]:
            continue  # settings such as requires_safety_checker, or components that are not loaded
        library, cls = (spec + [None, None])[:2]
        if not (isinstance(library, str) and isinstance(cls, str) and len(spec) == 2) \
                or cls not in ALLOWED_COMPONENTS.get(library, ()):
            raise RecreateError(f"component {component} = {library}.{cls} is not on the allow-list",
                                code="model-refused")
        sub = folder / component
        if sub.is_dir() and any(p.suffix in PICKLE_SUFFIXES for p in sub.iterdir()) \
                and not any(p.suffix == WEIGHT_SUFFIX for p in sub.iterdir()):
            raise RecreateError(f"{sub} has only pickle weights; only safetensors are loaded", code="model-refused")
    return pipeline


# ---------------------------------------------------------------------------------------------
# hash verification, cached


def cache_dir() -> Path:
    base = os.environ.get("AIGIF_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "aigif")
    return Path(base)


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks (a weight file may be many GB)."""
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as handle:  # hashlib.file_digest is Python 3.11+
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, remembered by (real path, size, mtime, ctime, inode) so that it is computed once."""
    real = os.path.realpath(path)
    stat = os.stat(real)
    key = f"{real}|{stat.st_size}|{stat.st_mtime_ns}|{stat.st_ctime_ns}|{stat.st_ino}"  # ctime cannot be set back
    cache_file = cache_dir() / "verified-sha256.json"
    try:
        cache = json.loads(cache_file.read_text("utf-8"))
    except (OSError, ValueError):
        cache = {}
    if key in cache:
        return cache[key]
    value = sha256_of(Path(real))
    cache[key] = value
    try:
        from .._files import write_bytes_atomic

        cache_file.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(cache_file, json.dumps(cache, indent=0).encode(), overwrite=True)
    except Exception:  # noqa: BLE001 - a cache we cannot write only costs time
        pass
    return value


def verify(folder: Path, entry: ModelEntry) -> str:
    """Check every pinned file; returns "verified" or "unpinned". Raises ``hash-mismatch``."""
    if not entry.files:
        return "unpinned"
    for relative, expected in sorted(entry.files.items()):
        path = folder / relative
        if not path.is_file():
            raise RecreateError(f"{path} is missing (model {entry.name!r})", code="model-not-found")
        actual = file_sha256(path)
        if actual != expected:
            raise RecreateError(f"{path}: SHA-256 {actual[:16]}… differs from the pinned {expected[:16]}…; "
                                "the weights were changed or corrupted", code="hash-mismatch")
    return "verified"
