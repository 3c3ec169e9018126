"""A file's separate VAE, LoRAs and textual-inversion embeddings, applied to a loaded pipeline.

A loaded pipeline is kept for the next file (``Engine``), and LoRAs and embeddings change it, so
the pipeline's base weights are never changed: LoRAs are loaded unfused as PEFT adapters
(``load_lora_weights``/``set_adapters``) and embeddings as added tokens (``load_textual_inversion``).
When the next file asks for other ones (or none), all of them are unloaded first
(``unload_lora_weights``, ``unload_textual_inversion``), which gives back the very modules and
embedding rows of before, and a VAE is a component swapped in and out. So each file gets exactly
the pipeline its syntax names, whatever ran before (tests/recreate/test_adapters.py proves it
bit for bit).

Every file is found by ``_resources.find_resource`` (name, hash, safetensors only) and read with
``safetensors`` before diffusers sees it, so its layout can be checked: LyCORIS variants diffusers
cannot apply to SD/SDXL (LoHa, LoKr, IA3, GLoRA, OFT/BOFT, full-weight diffs, DoRA) are refused
rather than approximated.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .._errors import RecreateError
from .._format._model import Adapter, Model, ModelRef
from . import _models, _resources

LOADED_KINDS = ("lora", "lycoris", "embedding")
#: Key markers of adapter layouts diffusers cannot apply to SD/SDXL UNets, by LyCORIS variant.
_UNSUPPORTED = ((".hada_w1", "LoHa"), (".lokr_w", "LoKr"), (".on_input", "IA3"), (".a1.weight", "GLoRA"),
                (".oft_", "OFT/BOFT"), (".diff", "full-weight diff"), (".dora_scale", "DoRA"))


@dataclass
class State:
    """What is applied to one cached pipeline now, and the VAEs loaded for it."""

    original_vae: Any
    vae: Path | None = None
    loras: tuple[tuple[Path, float], ...] = ()
    embeddings: tuple[tuple[Path, str], ...] = ()
    vaes: dict[Path, Any] = field(default_factory=dict)


def refusals(model: Model) -> list[tuple[str, str]]:
    """What of the file's adapters cannot be honoured, known without loading anything."""
    problems = []
    where = "model.adapters"
    for adapter in model.adapters:
        if adapter.kind not in LOADED_KINDS:
            problems.append((f"adapter {adapter.name!r} is a {adapter.kind}, which this version cannot apply "
                             "(LoRAs, LyCORIS LoCon and embeddings are supported)", where))
        elif adapter.kind == "embedding" and adapter.weight != 1.0:
            problems.append((f"embedding {adapter.name!r} has weight {adapter.weight}; an embedding is applied "
                             "as it is (weight it with prompt emphasis)", where))
    return problems


def trigger(model: Model, adapter: Adapter) -> str:
    """The text that triggers an embedding: recorded, or its name without the extension (R6.11)."""
    return model.trigger(adapter.name)


def hashed(vae: ModelRef | None, adapters: tuple[Adapter, ...],
           model_dirs: list[Path]) -> tuple[ModelRef | None, tuple[Adapter, ...]]:
    """The VAE and adapters ``save`` records: each found (and checked, if a hash was given), and given
    its SHA-256 where none was, so that the file names the very bytes used."""
    def sha(kind: str, name: str, given: str | None) -> str:
        path = _resources.find_resource(kind, name, given, model_dirs)
        return given or f"sha256:{_models.file_sha256(path)}"

    if vae is not None:
        vae = replace(vae, hash=sha("vae", vae.name, vae.hash))
    adapters = tuple(replace(a, hash=sha(str(a.kind), a.name, a.hash)) if a.kind in LOADED_KINDS else a
                     for a in adapters)
    return vae, adapters


def resolve(model: Model, model_dirs: list[Path]) -> tuple[Path | None, tuple, tuple]:
    """The files a model asks for, found and hash-checked: (VAE, ((LoRA, weight), ...), ((embedding, token), ...))."""
    vae = None if model.vae is None else _resources.find_resource("vae", model.vae.name, model.vae.hash, model_dirs)
    loras, embeddings = [], []
    for adapter in model.adapters:
        if adapter.kind not in LOADED_KINDS:
            continue  # refused by preflight unless forced; then ignored (and noted)
        path = _resources.find_resource(str(adapter.kind), adapter.name, adapter.hash, model_dirs)
        if adapter.kind == "embedding":
            embeddings.append((path, trigger(model, adapter)))
        else:
            loras.append((path, float(adapter.weight)))
    return vae, tuple(loras), tuple(embeddings)


def apply(pipe, state: State, model: Model, model_dirs: list[Path], config: Path | None, dtype) -> None:
    """Make ``pipe`` the pipeline ``model`` names: its VAE, its LoRAs at their weights, its embeddings."""
    vae, loras, embeddings = resolve(model, model_dirs)  # everything is found before anything changes
    if vae != state.vae:
        if vae is not None and vae not in state.vaes:
            state.vaes[vae] = _load_vae(vae, config, dtype, pipe.vae.device)
        pipe.vae = state.original_vae if vae is None else state.vaes[vae]
        state.vae = vae
    if loras != state.loras or embeddings != state.embeddings:
        with _flat_text_encoders(pipe):
            reset(pipe, state)
            try:
                for index, (path, _) in enumerate(loras):
                    _load_lora(pipe, path, f"aigif_lora_{index}")
                if loras:
                    pipe.set_adapters([f"aigif_lora_{i}" for i in range(len(loras))], [w for _, w in loras])
                for path, token in embeddings:
                    _load_embedding(pipe, path, token)
            except Exception:
                reset(pipe, state)
                raise
        state.loras, state.embeddings = loras, embeddings


@contextlib.contextmanager
def _flat_text_encoders(pipe):
    """Without the engine's ``text_model`` alias (``_engine._alias_text_model``, for clip skip): diffusers
    tells a flat transformers-5 ``CLIPTextModel`` by its lacking ``text_model``, and with the alias it
    would look for text-encoder LoRA layers under names that do not exist."""
    aliased = [e for e in (getattr(pipe, n, None) for n in ("text_encoder", "text_encoder_2"))
               if e is not None and e.__dict__.get("text_model") is e]
    for encoder in aliased:
        del encoder.__dict__["text_model"]
    try:
        yield
    finally:
        for encoder in aliased:
            object.__setattr__(encoder, "text_model", encoder)


def reset(pipe, state: State) -> None:
    """Unload every LoRA and embedding: the pipeline's own modules and token embeddings come back."""
    if hasattr(pipe, "unload_lora_weights"):
        pipe.unload_lora_weights()
    if state.embeddings or _has_added_tokens(pipe):
        pipe.unload_textual_inversion()
    state.loras, state.embeddings = (), ()


def _has_added_tokens(pipe) -> bool:
    tokenizer = getattr(pipe, "tokenizer", None)
    return bool(tokenizer is not None and [t for t in tokenizer.added_tokens_encoder if not _special(tokenizer, t)])


def _special(tokenizer, token: str) -> bool:
    return token in tokenizer.all_special_tokens


def _read(path: Path) -> dict:
    from safetensors.torch import load_file

    from ._single_file import read_header

    read_header(path)  # a truncated or malformed file is refused naming it
    try:
        return load_file(str(path))
    except Exception as err:  # noqa: BLE001 - safetensors' own errors
        raise RecreateError(f"{path} cannot be read: {type(err).__name__}: {err}", code="model-refused") from None


def _load_vae(path: Path, config: Path | None, dtype, device):
    """A VAE from an LDM single file (``encoder.*``/``decoder.*``) or a diffusers VAE folder."""
    from diffusers import AutoencoderKL

    try:
        if path.is_dir():
            index = json.loads((path / "config.json").read_text("utf-8"))
            if index.get("_class_name") != "AutoencoderKL" or any(p.suffix in _models.CODE_SUFFIXES
                                                                    for p in path.iterdir()):
                raise RecreateError(f"{path} is not a diffusers AutoencoderKL folder", code="model-refused")
            vae = AutoencoderKL.from_pretrained(str(path), torch_dtype=dtype, use_safetensors=True,
                                                local_files_only=True)
        else:
            _read(path)
            if config is None:
                raise RecreateError(f"{path}: no VAE configuration is known for this model", code="cannot-honour")
            vae = AutoencoderKL.from_single_file(str(path), config=str(config), subfolder="vae",
                                                 local_files_only=True, torch_dtype=dtype)
    except RecreateError:
        raise
    except Exception as err:  # noqa: BLE001 - a VAE of another shape, missing keys, ...
        raise RecreateError(f"VAE {path} does not fit this model: {type(err).__name__}: {err}",
                            code="model-refused", path="model.vae") from None
    return vae.to(device)


def _load_lora(pipe, path: Path, name: str) -> None:
    state = _read(path)
    for marker, variant in _UNSUPPORTED:
        if any(marker in "." + ".".join(key.split(".")[-2:]) for key in state):  # the key's last two parts
            raise RecreateError(f"{path} is a LyCORIS {variant}, which diffusers cannot apply to this model (LoRA and "
                                "LoCon can)", code="cannot-honour", path="model.adapters")
    if not hasattr(pipe, "load_lora_weights"):
        raise RecreateError(f"{path}: this pipeline cannot load LoRAs", code="cannot-honour", path="model.adapters")
    try:
        with warnings.catch_warnings():  # PEFT's note that a second adapter is being added: that is the point
            warnings.filterwarnings("ignore", message="Already found a `peft_config`")
            pipe.load_lora_weights(dict(state), adapter_name=name)
    except Exception as err:  # noqa: BLE001 - shapes that do not fit, keys diffusers does not know
        raise RecreateError(f"LoRA {path} does not fit this model: {type(err).__name__}: {_short(err)}",
                            code="model-refused", path="model.adapters") from None
    if not any(name in names for names in pipe.get_list_adapters().values()):
        raise RecreateError(f"LoRA {path} matches no layer of this model (made for another model family?)",
                            code="model-refused", path="model.adapters")


def _load_embedding(pipe, path: Path, token: str) -> None:
    """An A1111 (``emb_params``), diffusers (one tensor) or SDXL (``clip_l``/``clip_g``) embedding."""
    state = _read(path)
    encoders = [("clip_l", "text_encoder", "tokenizer"), ("clip_g", "text_encoder_2", "tokenizer_2")]
    if "clip_l" in state or "clip_g" in state:
        parts = [(state[key], enc, tok) for key, enc, tok in encoders if key in state]
    elif len(state) == 1:
        parts = [(next(iter(state.values())), "text_encoder", "tokenizer")]
    else:
        raise RecreateError(f"{path} is not an embedding (expected emb_params, one tensor, or clip_l/clip_g; found "
                            f"{', '.join(sorted(state)[:4])})", code="model-refused", path="model.adapters")
    for vectors, encoder_name, tokenizer_name in parts:
        encoder, tokenizer = getattr(pipe, encoder_name, None), getattr(pipe, tokenizer_name, None)
        width = None if encoder is None else encoder.get_input_embeddings().weight.shape[-1]
        if width is None or vectors.ndim not in (1, 2) or vectors.shape[-1] != width:
            raise RecreateError(f"embedding {path} has vectors of width {vectors.shape[-1]}, but this model's text "
                                f"encoder takes {width}", code="cannot-honour", path="model.adapters")
        try:
            pipe.load_textual_inversion(vectors.reshape(-1, width), token=token, text_encoder=encoder,
                                        tokenizer=tokenizer)
        except Exception as err:  # noqa: BLE001 - e.g. a trigger that is already a word of the vocabulary
            raise RecreateError(f"embedding {path} cannot be loaded as {token!r}: {type(err).__name__}: {_short(err)}",
                                code="cannot-honour", path="model.adapters") from None


def _short(err: Exception) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= 300 else text[:299] + "…"


__all__ = ["State", "refusals", "resolve", "apply", "reset", "trigger", "LOADED_KINDS"]
