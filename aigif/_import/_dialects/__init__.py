"""Carriers → one ``Found``: which tool wrote the metadata, parsed in that tool's vocabulary.

Detection order (ecosystem.md §6.3), after the carriers are sorted into "chunks" (PNG text keys, plus the
EXIF, comment, XMP and alpha-channel texts given the key they stand for):

1. NovelAI (``Software`` = NovelAI …; text chunks, alpha-channel JSON or WebP EXIF)
2. InvokeAI (``invokeai_metadata`` > ``sd-metadata`` > ``Dream`` > ``invokeai_graph``)
3. ``parameters`` JSON: SwarmUI (``sui_image_params``), Fooocus (``metadata_scheme``/``fooocus_scheme``),
   RuinedFooocus, Easy Diffusion, Hugging Face Space / any other JSON with generation keys
4. ``parameters`` text: the A1111 family (A1111, Forge, SD.Next, Civitai, Stability Matrix, Fooocus a1111
   scheme, PaddleNLP, ComfyUI saver nodes). When a ComfyUI ``prompt`` graph comes with it and the text was
   written by a ComfyUI saver node, the executed graph wins and the text fills the gaps (hashes).
5. ``generation_data`` (Tensor.Art, with its ComfyUI graph)
6. ComfyUI ``prompt`` graph (PNG chunk, EXIF ``prompt:``/``Prompt: `` prefixes, SaveImagePlus JSON)
7. ComfyUI ``workflow`` only (the UI graph: values read from widgets, flagged in ``problems``)
8. Easy Diffusion (one chunk per field), Fooocus-MRE (``Comment`` JSON), Draw Things (XMP)
9. the A1111 infotext alone in the alpha channel (stealth) — handled with 4, and cross-checked there when
   a text chunk says the same thing.

``parse`` returns None when no carrier holds generation metadata. Malformed or contradictory metadata
raises ``SourceError(code="bad-metadata")`` naming the field (``err.path``).

Decisions where the ecosystem notes leave a choice:

* Prompts are kept exactly as the tool wrote them (A1111's own reader strips every line; we do not), LoRA
  tags included. Lines of a CRLF infotext keep their CR; only the CR of a separator is dropped.
* Absent keys get a value only where absence has a meaning: A1111-family ``Clip skip`` → 1, A1111/Forge
  ``RNG`` → "gpu", SD.Next ``Sampler`` → "Default"; ``Schedule type`` absent → ``schedule=None``.
* sd-dynamic-prompts' ``Template:`` lines go to ``extra`` and are not a problem: the infotext's prompt is the
  resolved one, which is what was encoded.
* A1111 ``Denoising strength`` is a hires setting when ``Hires *`` keys are present, otherwise img2img.
* Passes after the first (hires fix, refiner, a sampler fed by another) are ``Found.later`` records
  (``FoundPass``), in each tool's own vocabulary; one that cannot be read well enough is a problem.
  ``Found.prompt`` keeps A1111's ``<lora:…>`` tags: ``_mapping.encoded_prompt`` takes them out.
* ComfyUI: the executed ``prompt`` graph beats any text written beside it (saver nodes' A1111 text fills
  gaps such as the model hash and is kept as ``extra["parameters: …"]``); SwarmUI's own JSON beats its
  backend graph; Tensor.Art takes prompts and model from ``generation_data`` and sampling from the graph.
  Multi-pass graphs describe the first pass (A1111 convention), each later sampler in ``later`` and the last
  also in ``hires`` (``_comfyui``).
* A ``workflow``-only PNG (no executed graph) gives a record built from the UI widgets of the core nodes,
  with the problem "only the UI workflow is stored…" first in ``problems``; values it cannot resolve
  stay None, so the caller may refuse it.
* Text outside PNG chunks (EXIF UserComment, JPEG comment) counts as an infotext only with a parameters
  line: a camera's or a user's comment is not generation metadata.
* JSON values go to ``extra`` as compact JSON (``null`` included); text values verbatim.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..._errors import SourceError
from .._found import Carrier, Found
from . import _a1111, _comfyui, _common as c, _fooocus, _invokeai, _misc, _novelai, _swarmui

__all__ = ["parse"]

#: EXIF tag numbers → names (the container layer may give either)
_EXIF_NAMES = {"0x9286": "UserComment", "0x010e": "ImageDescription", "0x010f": "Make", "0x0110": "Model",
               "0x0131": "Software", "0x927c": "MakerNote", "0x010d": "DocumentName", "0x013b": "Artist",
               "0x9c9c": "XPComment", "0x0132": "DateTime"}
_COMFY_SAVERS = ("SaveImageWithMetaData", "Image Saver", "Save Image w/Metadata", "ImageSaver", "SDPromptSaver",
                 "Save Image With Metadata", "SaveImageExtended")
_NOVELAI_KEYS = ("Title", "Description", "Software", "Source", "Generation time", "Comment")


@dataclass
class _Chunk:
    text: str
    carrier: Carrier
    value: Any = None  # parsed JSON when the text was JSON (virtual carriers built from a JSON object)


@dataclass
class _View:
    chunks: dict[str, _Chunk] = field(default_factory=dict)
    stealth: list[Carrier] = field(default_factory=list)
    exif: dict[str, _Chunk] = field(default_factory=dict)
    comments: list[Carrier] = field(default_factory=list)
    xmp: list[Carrier] = field(default_factory=list)
    #: other carriers that hold a different text for a key already taken (e.g. a PNG's ``parameters`` chunk and
    #: its eXIf UserComment): the dialect compares them with the one it parses
    alternates: dict[str, list[Carrier]] = field(default_factory=dict)

    def add(self, key: str, text: str, carrier: Carrier, value: Any = None, *, strict: bool = True) -> None:
        old = self.chunks.get(key)
        if old is not None:
            if old.text != text and strict and key in _GENERATION_KEYS:
                raise c.bad(key, f"two carriers ({old.carrier.where}, {carrier.where}) hold different texts")
            if old.text != text:
                self.alternates.setdefault(key, []).append(carrier)
            return
        self.chunks[key] = _Chunk(text, carrier, value)

    def text(self, key: str) -> str | None:
        chunk = self.chunks.get(key)
        return None if chunk is None else chunk.text

    def carrier(self, *keys: str) -> list[Carrier]:
        out: list[Carrier] = []
        for key in keys:
            chunk = self.chunks.get(key)
            if chunk is not None and chunk.carrier not in out:
                out.append(chunk.carrier)
        return out


_GENERATION_KEYS = {"parameters", "prompt", "workflow", "Comment", "Description", "invokeai_metadata", "sd-metadata",
                    "Dream", "generation_data", "parameters-json"}


def _kind(carrier: Carrier) -> tuple[str, str]:
    where, key = carrier.where.lower(), carrier.key
    if where.startswith("stealth") or "alpha" in where:
        return "stealth", key
    if "xmp" in where or key.lower() in ("xml:com.adobe.xmp", "xmp"):
        return "xmp", key
    if where.startswith("exif") or where.startswith("jpeg:exif") or where.startswith("webp:exif"):
        name = _EXIF_NAMES.get(key.lower(), key)
        if name.lower().startswith("0x"):
            name = _EXIF_NAMES.get(f"0x{int(name, 16):04x}", name)
        return "exif", name
    if not where.startswith("png") and key.lower() in ("comment", "com"):
        return "comment", key
    if where.endswith(":com") or where.endswith("comment"):
        return "comment", key
    return "chunk", key


def _text(carrier: Carrier) -> str:
    text = carrier.text
    if carrier.where.lower().startswith("png:text"):
        text = c.repair_utf8(text)
    return text


def _expand_json(view: _View, obj: dict, carrier: Carrier) -> bool:
    """A JSON container in one carrier (SaveImagePlus, Tensor.Art JPEG, NovelAI WebP) → virtual chunks."""
    done = False
    for key in ("prompt", "workflow", "generation_data"):
        value = obj.get(key)
        if isinstance(value, (dict, list)) or (key == "generation_data" and isinstance(value, str)):
            view.add(key, value if isinstance(value, str) else json.dumps(value), carrier, strict=False)
            done = True
    if "Comment" in obj and isinstance(obj.get("Comment"), str):
        for key in _NOVELAI_KEYS:
            if isinstance(obj.get(key), str):
                view.add(key, obj[key], carrier, strict=False)
        if "Software" not in view.chunks:
            view.add("Software", "NovelAI", carrier, strict=False)
        done = True
    return done


def _build(carriers: list[Carrier]) -> _View:
    view = _View()
    later: list[tuple[str, str, Carrier]] = []
    for carrier in carriers:
        kind, key = _kind(carrier)
        text = _text(carrier)
        if kind == "chunk":
            view.add(key, text, carrier)
        else:
            later.append((kind, key, carrier))
    for kind, key, carrier in later:  # after the PNG chunks, which win
        text = c.clean(_text(carrier))
        if kind == "stealth":
            view.stealth.append(carrier)
        elif kind == "xmp":
            view.xmp.append(carrier)
        elif kind == "comment":
            view.comments.append(carrier)
        elif kind == "exif":
            view.exif[key] = _Chunk(text, carrier)
            stripped = text.strip()
            low = stripped.lower()
            for prefix in ("prompt:", "workflow:"):
                if low.startswith(prefix) and stripped[len(prefix):].lstrip().startswith("{"):
                    view.add(prefix[:-1], stripped[len(prefix):].lstrip(), carrier, strict=False)
                    break
            else:
                if key == "UserComment" or (key == "Model" and "sui_image_params" in stripped):
                    obj = c.try_json_object(stripped)
                    if obj is None or not _expand_json(view, obj, carrier):
                        view.add("parameters", stripped, carrier, strict=False)
    # NovelAI WebP: Software "NovelAI…", ImageDescription = the prompt
    software = view.exif.get("Software")
    if software and software.text.strip().startswith("NovelAI"):
        current = view.chunks.get("Software")
        if current is None or not current.carrier.where.lower().startswith("png"):
            view.chunks["Software"] = _Chunk(software.text.strip(), software.carrier)
        if "ImageDescription" in view.exif and "Description" not in view.chunks:
            desc = view.exif["ImageDescription"]
            view.add("Description", desc.text, desc.carrier, strict=False)
    # Fooocus JPEG/WebP: MakerNote = metadata scheme
    if software and software.text.strip().startswith("Fooocus") and "MakerNote" in view.exif:
        view.add("fooocus_scheme", view.exif["MakerNote"].text.strip(), view.exif["MakerNote"].carrier, strict=False)
    return view


# ---------------------------------------------------------------------------------------------


def parse(carriers: list[Carrier]) -> Found | None:
    """The generation metadata the carriers hold, as one ``Found``; None when they hold none."""
    try:
        view = _build(carriers)
        for step in _STEPS:
            found = step(view)
            if found is not None:
                return found
    except SourceError:
        raise
    except (TypeError, AttributeError, KeyError, IndexError, ValueError, RecursionError) as err:
        # JSON of an unexpected shape that no check above caught: still the metadata's fault, not a crash
        keys = ", ".join(dict.fromkeys(car.key for car in carriers)) or "(none)"
        raise SourceError(f"bad generation metadata: a value of an unexpected type or shape in {keys} "
                          f"({type(err).__name__}: {err})", code="bad-metadata", path=keys) from err
    return None


def _stealth_payloads(view: _View) -> list[tuple[Carrier, str, dict | None]]:
    out = []
    for carrier in view.stealth:
        text = c.clean(carrier.text)
        out.append((carrier, text, c.try_json_object(text)))
    return out


# 1. NovelAI ------------------------------------------------------------------------------------


def _novelai_step(view: _View) -> Found | None:
    stealth = [(car, obj) for car, _, obj in _stealth_payloads(view)
               if obj is not None and str(obj.get("Software", "")).startswith("NovelAI")]
    text_fields = {key: value for key in _NOVELAI_KEYS if (value := view.text(key)) is not None}
    has_text = _novelai.is_novelai(text_fields)
    if not has_text and not stealth:
        return None
    if has_text:
        fields = text_fields
        carriers = view.carrier(*_NOVELAI_KEYS)
        found = _novelai.found_from_fields(fields, carriers + [car for car, _ in stealth])
        for car, obj in stealth:  # the alpha-channel copy must say the same
            other = _novelai.found_from_fields({k: str(v) for k, v in obj.items() if isinstance(v, str)}, [car])
            _same(found, other, "NovelAI text chunks and alpha-channel copy", ("prompt", "negative_prompt", "seed",
                  "steps", "guidance_scale", "sampler", "width", "height"))
        return found
    car, obj = stealth[0]
    return _novelai.found_from_fields({k: str(v) for k, v in obj.items() if isinstance(v, str)}, [car])


def _same(a: Found, b: Found, what: str, attrs: tuple[str, ...]) -> None:
    for attr in attrs:
        x, y = getattr(a, attr), getattr(b, attr)
        if x is not None and y is not None and x != y:
            raise c.bad(f"{what}: {attr}", f"the carriers disagree ({x!r} vs {y!r})")


# 2. InvokeAI ------------------------------------------------------------------------------------


def _invokeai_step(view: _View) -> Found | None:
    keys = ("invokeai_metadata", "invokeai_graph", "invokeai_workflow", "sd-metadata", "Dream")
    if not any(key in view.chunks for key in keys):
        return None
    carriers = view.carrier(*keys)
    graph = None
    graph_text, meta_text = view.text("invokeai_graph"), view.text("invokeai_metadata")
    if graph_text is not None:
        graph = c.load_json(graph_text, "invokeai_graph")
        graph = graph if isinstance(graph, dict) else None
    if meta_text is not None:
        meta = c.load_json(meta_text, "invokeai_metadata")
        if not isinstance(meta, dict):
            raise c.bad("invokeai_metadata", "not a JSON object")
        return _invokeai.found_from_metadata(meta, carriers, graph)
    dream = None
    dream_text, sd_text = view.text("Dream"), view.text("sd-metadata")
    if dream_text is not None:
        dream = _invokeai.found_from_dream(dream_text, carriers)
    if sd_text is not None:
        meta = c.load_json(sd_text, "sd-metadata")
        if not isinstance(meta, dict):
            raise c.bad("sd-metadata", "not a JSON object")
        found = _invokeai.found_from_sd_metadata(meta, carriers)
        if dream is not None:
            _invokeai.same(found, dream, "Dream vs sd-metadata")
        return found
    if dream is not None:
        return dream
    if graph is not None:
        return _invokeai.found_from_graph(graph, carriers)
    if view.text("invokeai_workflow") is not None:
        found = c.new_found("invokeai", carriers)
        c.add_problem(found, "only the InvokeAI workflow (the editor's graph) is stored, not what ran")
        return found
    return None


# 3./4. parameters: JSON dialects, then the A1111 text family ---------------------------------------


def _parameters_text(view: _View) -> tuple[str, Carrier] | None:
    chunk = view.chunks.get("parameters")
    if chunk is not None:
        return chunk.text, chunk.carrier
    for carrier in view.comments:  # JPEG COM / GIF comment written by A1111-style tools
        text = c.clean(carrier.text)
        obj = c.try_json_object(text)
        if obj is None and _a1111.parse_infotext(text).layout == "a1111":
            return text, carrier
    return None


def _parameters_step(view: _View) -> Found | None:
    got = _parameters_text(view)
    stealth_text = [(car, text) for car, text, obj in _stealth_payloads(view) if obj is None]
    if got is None:
        return None
    text, carrier = got
    stripped = c.clean(text).strip()
    if not carrier.where.lower().startswith("png") and not stripped.startswith("{") \
            and _a1111.parse_infotext(stripped).layout == "prompt-only":
        return None  # a camera's or a user's EXIF comment, not an infotext
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError as err:
            if c.meant_as_json(stripped) and _a1111.parse_infotext(stripped).layout != "a1111":
                raise c.bad("parameters", f"JSON that does not parse ({err})") from None
            data = None  # "{masterpiece}, ..." is an A1111 prompt
        if isinstance(data, dict):
            return _json_parameters(view, data, carrier)
        if data is not None:
            raise c.bad("parameters", "JSON that is not an object")
    return _a1111_text(view, text, carrier, stealth_text)


def _graph_found(view: _View, tool: str = "comfyui") -> Found | None:
    text = view.text("prompt")
    if text is None:
        return None
    graph = _comfyui.parse_prompt_text(text, "prompt")
    if graph is None:
        return None
    return _comfyui.found_from_graph(graph, view.carrier("prompt", "workflow"), tool=tool)


def _json_parameters(view: _View, data: dict, carrier: Carrier) -> Found:
    carriers = [carrier]
    if _swarmui.is_swarm(data):
        graph = None
        try:
            graph = _graph_found(view, "swarmui")
        except SourceError:
            graph = None  # Swarm's own parameters win; a broken backend graph does not stop the import
        return _swarmui.found_from_swarm(data, carriers + view.carrier("prompt", "workflow"), graph)
    scheme = view.text("fooocus_scheme")
    if _fooocus.is_fooocus(data) or (scheme or "").strip() == "fooocus":
        return _fooocus.found_from_fooocus(data, carriers + view.carrier("fooocus_scheme"))
    if _fooocus.is_ruined(data):
        return _fooocus.found_from_ruined(data, carriers)
    if _fooocus.is_mre(data):
        return _fooocus.found_from_mre(data, carriers)
    if _misc.is_easydiffusion(data):
        return _misc.found_from_easydiffusion(data, carriers)
    tool = "huggingface-space" if _misc.is_hf_space(data) else "json"
    return _misc.found_from_json(data, carriers, tool, "parameters")


def _a1111_text(view: _View, text: str, carrier: Carrier, stealth: list[tuple[Carrier, str]]) -> Found:
    keys = set(view.chunks)
    software = view.text("Software")
    scheme = (view.text("fooocus_scheme") or "").strip()
    forced = "fooocus" if scheme == "a1111" else None
    carriers = [carrier] + view.carrier("parameters-json", "smproj", "fooocus_scheme", "Software")
    stealth = stealth + [(car, c.clean(car.text)) for car in view.alternates.get("parameters", [])
                         if not c.clean(car.text).strip().startswith("{")]
    found = _a1111.found_from_infotext(text, carriers + [car for car, _ in stealth], keys=keys,
                                       software=software, tool=forced)
    for car, payload in stealth:  # A1111/Forge write the same infotext into the alpha channel
        other = _a1111.found_from_infotext(payload, [car], keys=keys, software=software, tool=found.tool,
                                           carrier_name=car.where)
        _same(found, other, f"parameters text and its copy in {car.where}", ("prompt", "negative_prompt", "seed",
              "steps", "guidance_scale", "sampler", "schedule", "width", "height", "model_hash"))
    if found.tool == "stability-matrix":
        _stability_matrix(view, found)
        if "prompt" in view.chunks:
            found.carriers.extend(car for car in view.carrier("prompt", "workflow") if car not in found.carriers)
        return found
    if "prompt" in view.chunks:
        graph = _graph_found_quiet(view)
        if graph is not None and (found.tool == "comfyui" or _saved_by_comfy_saver(view)):
            return _merge_saver(graph, found)
        if graph is not None:
            found.carriers.extend(car for car in view.carrier("prompt", "workflow") if car not in found.carriers)
    return found


def _graph_found_quiet(view: _View) -> Found | None:
    text = view.text("prompt")
    if text is None:
        return None
    try:
        graph = _comfyui.parse_prompt_text(text, "prompt")
    except SourceError:
        return None
    if graph is None:
        return None
    return _comfyui.found_from_graph(graph, view.carrier("prompt", "workflow"))


def _saved_by_comfy_saver(view: _View) -> bool:
    text = view.text("prompt") or ""
    return any(f'"class_type": "{name}"' in text or f'"class_type":"{name}"' in text for name in _COMFY_SAVERS) \
        or "SaveImage" in text


def _merge_saver(graph: Found, text: Found) -> Found:
    """A ComfyUI saver node's A1111 text + the executed graph: the graph wins, the text fills gaps (hashes),
    and text values that disagree with the graph are kept in ``extra`` as ``parameters: <field>``."""
    graph.carriers = text.carriers + [car for car in graph.carriers if car not in text.carriers]
    graph.tool = "comfyui"
    for attr in ("prompt", "negative_prompt", "seed", "steps", "guidance_scale", "width", "height", "sampler",
                 "schedule", "model_name", "clip_skip"):
        mine, theirs = getattr(graph, attr), getattr(text, attr)
        if mine is None and theirs is not None:
            setattr(graph, attr, theirs)
        elif theirs is not None and mine != theirs and attr not in ("sampler", "schedule", "model_name"):
            graph.extra[f"parameters: {attr}"] = c.compact(theirs)
    for attr in ("model_hash", "vae_hash", "vae_name", "tool_version"):
        if getattr(graph, attr) is None and getattr(text, attr) is not None:
            setattr(graph, attr, getattr(text, attr))
    by_name = {lora.name.rsplit(".", 1)[0]: i for i, lora in enumerate(graph.loras)}
    for lora in text.loras:
        i = by_name.get(lora.name.rsplit(".", 1)[0])
        if i is not None and graph.loras[i].hash is None and lora.hash:
            old = graph.loras[i]
            graph.loras[i] = type(old)(old.name, old.weight, lora.hash, old.kind)
    if text.sampler is not None and text.sampler != graph.sampler:
        graph.extra["parameters: Sampler"] = text.sampler
    for key, value in text.extra.items():
        graph.extra.setdefault(f"parameters: {key}", value)
    return graph


def _stability_matrix(view: _View, found: Found) -> None:
    """Stability Matrix's ``parameters-json`` must agree with its infotext; it fills what the text left out."""
    text = view.text("parameters-json")
    if text is None:
        return
    data = c.load_json(c.clean(text), "parameters-json")
    if not isinstance(data, dict):
        raise c.bad("parameters-json", "not a JSON object")
    other = _misc.found_from_json(data, [], "stability-matrix", "parameters-json")
    _same(found, other, "parameters vs parameters-json", ("seed", "steps", "guidance_scale", "width", "height"))
    for attr in ("model_name", "model_hash", "prompt", "negative_prompt"):
        if getattr(found, attr) is None and getattr(other, attr) is not None:
            setattr(found, attr, getattr(other, attr))


# 5.-8. --------------------------------------------------------------------------------------------


def _tensorart_step(view: _View) -> Found | None:
    text = view.text("generation_data")
    if text is None:
        return None
    data = c.load_json(c.clean(text), "generation_data")
    if not isinstance(data, dict):
        raise c.bad("generation_data", "not a JSON object")
    if str(data.get("seed", "")).strip() == "-1":
        data = {k: v for k, v in data.items() if k != "seed"}
        data_seed_unknown = True
    else:
        data_seed_unknown = False
    graph = _graph_found(view, "tensorart")
    found = _misc.found_from_tensorart(data, view.carrier("generation_data", "prompt", "workflow"), graph)
    if data_seed_unknown:
        found.extra.setdefault("generation_data seed", "-1")
    return found


def _comfy_step(view: _View) -> Found | None:
    return _graph_found(view)


def _workflow_step(view: _View) -> Found | None:
    text = view.text("workflow")
    if text is None:
        return None
    workflow = c.load_json(c.clean(text), "workflow")
    if not _comfyui.is_workflow(workflow):
        return None
    graph = _comfyui.workflow_to_graph(workflow)
    return _comfyui.found_from_graph(graph, view.carrier("workflow"), workflow_only=True)


def _others_step(view: _View) -> Found | None:
    # Easy Diffusion: one chunk per field
    fields = {key: view.text(key) for key in _misc.ED_SNAKE + _misc.ED_LABEL if view.text(key) is not None}
    if fields and (_misc.is_easydiffusion(fields) or {"prompt", "seed"} <= set(fields)
                   or {"Prompt", "Seed"} <= set(fields)):
        return _misc.found_from_easydiffusion(fields, view.carrier(*fields))
    # Fooocus-MRE: PNG "Comment" / JPEG comment JSON
    candidates = [(view.chunks["Comment"].text, view.chunks["Comment"].carrier)] if "Comment" in view.chunks else []
    candidates += [(car.text, car) for car in view.comments]
    for text, carrier in candidates:
        obj = c.try_json_object(c.clean(text))
        if obj is None:
            continue
        if _fooocus.is_mre(obj):
            return _fooocus.found_from_mre(obj, [carrier])
        if "generation_data" in obj or "prompt" in obj and isinstance(obj.get("prompt"), (dict, str)):
            sub = _View()
            if _expand_json(sub, obj, carrier):
                for step in (_tensorart_step, _comfy_step):
                    found = step(sub)
                    if found is not None:
                        return found
    # Draw Things: XMP exif:UserComment JSON
    for carrier in view.xmp:
        data = _misc.drawthings_json(carrier.text)
        if data is not None:
            return _misc.found_from_drawthings(data, [carrier])
    return None


def _stealth_step(view: _View) -> Found | None:
    """The A1111/Forge infotext alone in the alpha channel (no text chunk)."""
    for carrier, text, obj in _stealth_payloads(view):
        if obj is None and text.strip():
            return _a1111.found_from_infotext(text, [carrier], keys=set(view.chunks), software=view.text("Software"),
                                              carrier_name=carrier.where)
    return None


_STEPS = (_novelai_step, _invokeai_step, _parameters_step, _tensorart_step, _comfy_step, _workflow_step, _others_step,
          _stealth_step)
