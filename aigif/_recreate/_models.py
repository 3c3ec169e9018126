"""Finding, checking and loading a file's model, safely.

A file names a model; it must not be able to make us run code. So (reproducibility notes §5):
models come only from local places (the built-in models, ``--model-dir``, the Hugging Face cache)
unless downloading is allowed; weights are safetensors only; the pipeline class and every
component class come from an allow-list and are checked in ``model_index.json`` *before*
diffusers sees the folder; ``custom_pipeline`` and remote code are never passed; pinned SHA-256
hashes are verified, and a verification is cached so that a multi-GB file is hashed once.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .._errors import RecreateError
from .._model import Model

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
WEIGHT_SUFFIX = ".safetensors"


@dataclass(frozen=True)
class ModelEntry:
    """One model of the recreation registry (``aigif/models_registry.json``)."""

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
    raw = json.loads(resources.files("aigif").joinpath("models_registry.json").read_text("utf-8"))
    return {name: ModelEntry(name=name, repo=e["repo"], revision=e["revision"], pipeline=e["pipeline"],
                             scheduler=e["scheduler"], files=e["files"], builtin=e.get("builtin"),
                             default_size=e.get("size", 512))
            for name, e in raw["models"].items()}


def builtin_dir(entry: ModelEntry) -> Path:
    return Path(str(resources.files("aigif").joinpath("models", entry.builtin)))


def entry_for(model: Model) -> ModelEntry:
    """The registry entry of a file's model; a free name becomes an unpinned entry of its own."""
    entries = registry()
    if isinstance(model.id, str) and model.id in entries:
        return entries[model.id]
    if isinstance(model.id, int):
        raise RecreateError(f"model code {model.id} is not in this version's registry (a newer file?)",
                            code="cannot-honour", path="model.id")
    # An escaped name (spec R4.7): a Hugging Face repository id or a folder name under --model-dir.
    return ModelEntry(name=model.id, repo=model.id if "/" in model.id else None, revision=None,
                      pipeline="", scheduler=None, files={})


def locate(entry: ModelEntry, model_dirs: list[Path], allow_download: bool) -> tuple[Path, list[str]]:
    """The folder holding the model, and where we looked. Raises ``model-not-found`` naming every place."""
    looked: list[str] = []
    candidates: list[Path] = []
    if entry.builtin:
        candidates.append(builtin_dir(entry))
    for base in model_dirs:
        names = [entry.name]
        if entry.repo:
            names += [entry.repo.replace("/", "--"), entry.repo.rsplit("/", 1)[-1]]
        candidates += [base / name for name in dict.fromkeys(names)]
    for folder in candidates:
        looked.append(str(folder))
        if (folder / "model_index.json").is_file():
            return folder, looked
    if entry.repo:
        from huggingface_hub import snapshot_download
        from huggingface_hub.constants import HF_HUB_CACHE

        looked.append(f"Hugging Face cache {HF_HUB_CACHE} ({entry.repo}"
                      f"{'@' + entry.revision if entry.revision else ''})")
        patterns = ["*.json", "*.txt", "*.model", f"*{WEIGHT_SUFFIX}"]
        try:
            folder = snapshot_download(entry.repo, revision=entry.revision, local_files_only=True,
                                       allow_patterns=patterns)
            return Path(folder), looked
        except Exception:  # noqa: BLE001 - not cached (LocalEntryNotFoundError and friends)
            pass
        if allow_download:
            looked.append(f"download from the Hugging Face Hub ({entry.repo})")
            try:
                folder = snapshot_download(entry.repo, revision=entry.revision, allow_patterns=patterns)
                return Path(folder), looked
            except Exception as err:  # noqa: BLE001
                raise RecreateError(f"model {entry.name!r} could not be downloaded: {err}",
                                    code="model-not-found") from None
    hint = "" if allow_download or not entry.repo else "; --allow-download would fetch it"
    raise RecreateError(f"model {entry.name!r} not found; looked in: {', '.join(looked) or 'nowhere'}{hint}",
                        code="model-not-found", path="model.id")


def check_folder(folder: Path, entry: ModelEntry) -> str:
    """Refuse a folder that could run code or load pickle; return the pipeline class to use."""
    try:
        index = json.loads((folder / "model_index.json").read_text("utf-8"))
    except (OSError, ValueError) as err:
        raise RecreateError(f"{folder}: unreadable model_index.json ({err})", code="model-refused") from None
    if any(p.suffix == ".py" for p in folder.iterdir()):
        raise RecreateError(f"{folder} contains Python code; remote or custom code is never run", code="model-refused")
    declared = index.get("_class_name")
    pipeline = entry.pipeline or declared
    if pipeline not in ALLOWED_PIPELINES:
        raise RecreateError(f"pipeline {pipeline!r} is not on the allow-list ({', '.join(sorted(ALLOWED_PIPELINES))})",
                            code="model-refused")
    if declared != pipeline:
        raise RecreateError(f"{folder} holds a {declared!r}, not the registry's {pipeline!r}", code="model-refused")
    for component, spec in index.items():
        if component.startswith("_") or component in SKIPPED_COMPONENTS or not isinstance(spec, list) \
                or spec == [None, None]:
            continue  # settings such as requires_safety_checker, or components that are not loaded
        library, cls = (spec + [None, None])[:2]
        if cls not in ALLOWED_COMPONENTS.get(library, ()):
            raise RecreateError(f"component {component} = {library}.{cls} is not on the allow-list",
                                code="model-refused")
        sub = folder / component
        if sub.is_dir() and any(p.suffix in PICKLE_SUFFIXES for p in sub.iterdir()) \
                and not any(p.suffix == WEIGHT_SUFFIX for p in sub.iterdir()):
            raise RecreateError(f"{sub} has only pickle weights; only safetensors are loaded", code="model-refused")
        if sub.is_dir() and any(p.suffix == ".py" for p in sub.iterdir()):
            raise RecreateError(f"{sub} contains Python code; remote or custom code is never run",
                                code="model-refused")
    return pipeline


# ---------------------------------------------------------------------------------------------
# hash verification, cached


def cache_dir() -> Path:
    base = os.environ.get("AIGIF_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "aigif")
    return Path(base)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
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
    value = _sha256(Path(real))
    cache[key] = value
    try:
        from .._io import write_bytes_atomic

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
