"""ComfyUI: the executed API graph (``prompt``), and the UI ``workflow`` when nothing else is stored.

The API graph is ``{node_id: {"class_type": ..., "inputs": {name: literal | [source_id, output_slot]}}}``
and holds only what ran. From the saved image the walker goes back to the sampler that produced it:

* **Which sampler.** Every output node (SaveImage, PreviewImage, any ``*Save*``/``*Preview*`` node with an
  ``images`` input) is followed upstream through the image/latent flow to the first samplers met: those
  made a saved image. When outputs disagree, the record follows the sampler with the longest chain of
  samplers behind it (the last in the chain), then the one written last, and says so in ``problems``
  (the graph's metadata is the same in every image it saved, so which file this is cannot be told).
* **Which pass is the record.** Samplers that feed each other (base → refiner, txt2img → latent upscale →
  second pass, composited latents) form a chain. As in A1111's infotext, the record's own fields describe
  the **first** pass (the one that turned noise into the composition: seed, size, prompt); the **last** pass
  goes to ``hires`` (its parameters as written) and any other pass to ``extra["pass <node>"]``;
  ``passes`` counts them all. When each sampler is fed by the one before (through a latent or image
  upscale, or straight on, as an SDXL refiner), each later one becomes a ``FoundPass`` in ``later``
  (``_later_passes``); otherwise (composited latents) ``problems`` names them.
* **Prompts** follow ``positive``/``negative`` back through conditioning nodes (combine, area, ControlNet,
  unCLIP, Flux guidance, …) to the text encoders; a text that comes from another node (primitive, string
  concatenation, custom prompt nodes) is resolved recursively, with a depth limit and cycle protection.
* **Model** follows ``model`` back through LoRA loaders (their ``strength_model`` is the weight) and model
  patches to the checkpoint/UNet loader; **clip skip** follows the text encoder's ``clip`` through
  ``CLIPSetLastLayer`` (-2 → 2); **size** follows ``latent_image`` to ``EmptyLatentImage`` (or to a
  ``VAEEncode``: img2img).

Nothing the walker meets but cannot represent is dropped silently: it lands in ``problems`` or ``extra``,
and the graph itself travels verbatim in ``carriers``.
"""

from __future__ import annotations

import re
from typing import Any

from .._found import Carrier, Found, FoundPass, Lora
from . import _common as c

MAX_DEPTH = 64

SAMPLER_CLASSES = {"KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced"}
#: inputs through which images and latents flow (followed upstream to find samplers and origins)
_FLOW_INPUTS = ("latent_image", "samples", "samples_to", "samples_from", "latent", "latents", "pixels", "images",
                "image", "destination", "source", "latent_a", "latent_b", "samples1", "samples2", "input")
_ORIGIN_LATENTS = re.compile(r"^Empty.*Latent|LatentImage$|^SDXL Empty Latent")
_ENCODE_CLASSES = re.compile(r"^VAEEncode")
_LOAD_IMAGE = re.compile(r"^LoadImage|^Load Image|^ImageLoad")
_CONTROL_VALUES = {"fixed", "increment", "decrement", "randomize"}
_HARMLESS = {"Reroute", "PrimitiveNode", "FluxGuidance"}
_STRING_KEYS = ("text", "string", "value", "prompt", "Text", "prompt_text", "STRING", "text_0", "positive",
                "negative")


def is_graph(value: Any) -> bool:
    """Does this JSON value look like an API graph (nodes with ``class_type``)?"""
    return (isinstance(value, dict) and bool(value)
            and any(isinstance(node, dict) and isinstance(node.get("class_type"), str) for node in value.values()))


def is_workflow(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("nodes"), list)


class _Graph:
    def __init__(self, nodes: dict[str, Any], found: Found):
        self.nodes = {str(k): v for k, v in nodes.items()
                      if isinstance(v, dict) and isinstance(v.get("class_type"), str)}
        self.order = {nid: i for i, nid in enumerate(self.nodes)}
        self.found = found
        self.mods: dict[tuple[str, str], list[str]] = {}
        self.flux_guidance: Any = None
        for node in self.nodes.values():
            if not isinstance(node.get("inputs"), dict):
                node["inputs"] = {}

    # -- basics ------------------------------------------------------------------------------
    def cls(self, nid: str) -> str:
        return self.nodes[nid]["class_type"]

    def inputs(self, nid: str) -> dict[str, Any]:
        return self.nodes[nid]["inputs"]

    def ref(self, value: Any, what: str | None = None) -> tuple[str, int] | None:
        """A link ``[node_id, slot]`` → (node_id, slot); None for a literal or a dangling link (noted)."""
        if (isinstance(value, list) and len(value) == 2 and isinstance(value[0], (str, int))
                and not isinstance(value[0], bool) and isinstance(value[1], int) and not isinstance(value[1], bool)):
            nid = str(value[0])
            if nid in self.nodes:
                return nid, value[1]
            if what:
                c.add_problem(self.found, f"the {what} links to node {nid}, which the graph does not hold")
            return None
        return None

    def is_link(self, value: Any) -> bool:
        return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], (str, int))
                and isinstance(value[1], int) and not isinstance(value[1], bool))

    def is_sampler(self, nid: str) -> bool:
        ct, inputs = self.cls(nid), self.inputs(nid)
        if ct in SAMPLER_CLASSES:
            return True
        if "Detailer" in ct:
            return False
        has_seed = "seed" in inputs or "noise_seed" in inputs or "noise" in inputs
        return (has_seed and "steps" in inputs and ("positive" in inputs or "guider" in inputs)
                and ("latent_image" in inputs or "latent" in inputs))

    def is_output(self, nid: str) -> bool:
        ct, inputs = self.cls(nid), self.inputs(nid)
        if ct == "PreviewAny" or "Text" in ct:
            return False
        return (("Save" in ct or "Preview" in ct)
                and any(self.ref(inputs.get(name)) for name in ("images", "image")))

    # -- literals through links --------------------------------------------------------------
    def literal(self, value: Any, name: str, what: str, depth: int = 0, seen: frozenset = frozenset()) -> Any:
        """A literal input, following links to primitive/seed/number nodes. None when it cannot be resolved."""
        link = self.ref(value, what)
        if link is None:
            return None if self.is_link(value) else value
        nid, _slot = link
        if depth > MAX_DEPTH or nid in seen:
            c.add_problem(self.found, f"the {what} goes round a cycle of links (node {nid})")
            return None
        inputs = self.inputs(nid)
        for key in (name, "value", "seed", "noise_seed", "int", "float", "number", "Number", "INT", "FLOAT",
                    "Value", "string", "text"):
            if key in inputs:
                return self.literal(inputs[key], key, what, depth + 1, seen | {nid})
        c.add_problem(self.found, f"the {what} comes from node {nid} ({self.cls(nid)}), which does not store it")
        return None

    def string(self, value: Any, what: str, depth: int = 0, seen: frozenset = frozenset()) -> str | None:
        """A text input, following links through primitive, concatenation and custom prompt nodes."""
        if isinstance(value, str):
            return value
        link = self.ref(value, what)
        if link is None:
            return None
        nid, slot = link
        if depth > MAX_DEPTH or nid in seen:
            c.add_problem(self.found, f"the {what} goes round a cycle of links (node {nid})")
            return None
        seen = seen | {nid}
        ct, inputs = self.cls(nid), self.inputs(nid)
        if "Concat" in ct or "Join" in ct or "Combine" in ct and "Conditioning" not in ct:
            parts_keys = sorted((k for k in inputs if re.fullmatch(r"(string|text)_?[a-z0-9]+|string\d*|text\d*", k)),
                                key=_natural)
            delimiter = inputs.get("delimiter", inputs.get("separator", ""))
            delimiter = delimiter if isinstance(delimiter, str) else ""
            delimiter = delimiter.replace("\\n", "\n")
            parts = []
            for key in parts_keys:
                part = self.string(inputs[key], what, depth + 1, seen)
                if part is None and self.is_link(inputs[key]):
                    return None
                if part:
                    parts.append(part)
            if parts_keys:
                return delimiter.join(parts)
        if ct == "ComfySwitchNode":
            chosen = self.literal(inputs.get("switch"), "switch", what, depth + 1, seen)
            first, second = ("on_true", "on_false") if chosen is not False else ("on_false", "on_true")
            for key in (first, second):
                text = self.string(inputs.get(key), what, depth + 1, seen)
                if text:
                    return text
            return None
        for key in _STRING_KEYS:
            if key in inputs and (isinstance(inputs[key], str) or self.is_link(inputs[key])):
                return self.string(inputs[key], what, depth + 1, seen)
        strings = [v for k, v in inputs.items() if isinstance(v, str) and k not in ("delimiter", "separator")]
        if len(strings) == 1:
            return strings[0]
        c.add_problem(self.found, f"the {what} comes from node {nid} ({ct}), whose output text is not stored")
        return None

    # -- prompts -----------------------------------------------------------------------------
    def texts(self, value: Any, role: str, depth: int = 0, seen: frozenset = frozenset()) -> list[str] | None:
        """The prompt texts behind a conditioning input (several when conditionings are combined)."""
        link = self.ref(value, f"{role} prompt")
        if link is None:
            return None
        nid, slot = link
        if depth > MAX_DEPTH or nid in seen:
            c.add_problem(self.found, f"the {role} prompt goes round a cycle of links (node {nid})")
            return None
        seen = seen | {nid}
        ct, inputs = self.cls(nid), self.inputs(nid)
        what = f"{role} prompt"
        if ct == "CLIPTextEncodeSDXL":
            text_g = self.string(inputs.get("text_g"), what, depth + 1, seen)
            text_l = self.string(inputs.get("text_l"), what, depth + 1, seen)
            if text_l is not None and text_l != text_g:
                c.put_extra(self.found, f"{role} text_l", text_l)
            return None if text_g is None else [text_g]
        if ct in ("CLIPTextEncodeFlux", "CLIPTextEncodeSD3", "CLIPTextEncodeHunyuanDiT"):
            keys = [k for k in ("t5xxl", "clip_g", "clip_l", "bert", "mt5xl") if k in inputs]
            values = {k: self.string(inputs[k], what, depth + 1, seen) for k in keys}
            main = next((values[k] for k in keys if values[k]), values[keys[0]] if keys else None)
            for k in keys:
                if values[k] is not None and values[k] != main:
                    c.put_extra(self.found, f"{role} {k}", values[k])
            if "guidance" in inputs:
                self.flux_guidance = self.literal(inputs["guidance"], "guidance", "Flux guidance", depth + 1, seen)
            return None if main is None else [main]
        if ("TextEncode" in ct or "CLIPText" in ct or ct.startswith("smZ CLIPTextEncode")
                or ("clip" in inputs and any(k in inputs for k in ("text", "prompt", "Text")))):
            for key in ("text", "prompt", "Text", "prompt_text", "positive" if role == "positive" else "negative"):
                if key in inputs:
                    text = self.string(inputs[key], what, depth + 1, seen)
                    return None if text is None else [text]
        if ct == "FluxGuidance":
            self.flux_guidance = self.literal(inputs.get("guidance"), "guidance", "Flux guidance", depth + 1, seen)
            return self.texts(inputs.get("conditioning"), role, depth + 1, seen)
        if ct == "ConditioningZeroOut":
            c.put_extra(self.found, f"{role} conditioning", "ConditioningZeroOut (zeros, not an encoded text)")
            return []
        if ct == "Reroute":
            first = next((v for v in inputs.values() if self.is_link(v)), None)
            return self.texts(first, role, depth + 1, seen)
        # Nodes with positive/negative outputs (ControlNetApplyAdvanced, InpaintModelConditioning, …): by slot.
        if "positive" in inputs and "negative" in inputs:
            side = "positive" if slot == 0 else "negative" if slot == 1 else role
            self.modifier(nid, role)
            return self.texts(inputs.get(side), role, depth + 1, seen)
        cond_keys = [k for k in inputs if "cond" in k.lower() and self.is_link(inputs[k])]
        if cond_keys:
            self.modifier(nid, role)
            out: list[str] = []
            for key in sorted(cond_keys, key=_natural):
                more = self.texts(inputs[key], role, depth + 1, seen)
                if more is None:
                    return None
                out.extend(more)
            return out
        c.add_problem(self.found, f"the {role} prompt comes from node {nid} ({ct}), which the importer cannot read")
        return None

    def modifier(self, nid: str, role: str) -> None:
        ct = self.cls(nid)
        if ct in _HARMLESS:
            return
        self.mods.setdefault((role, ct), []).append(nid)

    def flush_modifiers(self) -> None:
        """One problem per conditioning node class met (ControlNets say their image is missing)."""
        for (role, ct), ids in self.mods.items():
            nodes = f"node{'s' if len(ids) > 1 else ''} {', '.join(ids)}"
            if "ControlNet" in ct or "T2IAdapter" in ct:
                c.add_problem(self.found, f"ControlNet ({ct}, {nodes}): the control image is not stored")
            else:
                c.add_problem(self.found, f"the {role} conditioning passes through {ct} ({nodes})")
        self.mods = {}

    # -- model and clip ------------------------------------------------------------------------
    def model_chain(self, value: Any, what: str = "model") -> tuple[str | None, list[Lora]]:
        """(checkpoint name, LoRAs in the order they apply) behind a ``model`` input."""
        loras: list[Lora] = []
        name = None
        link = self.ref(value, what)
        seen: set[str] = set()
        while link is not None and len(seen) <= MAX_DEPTH:
            nid, _slot = link
            if nid in seen:
                c.add_problem(self.found, f"the {what} goes round a cycle of links (node {nid})")
                break
            seen.add(nid)
            ct, inputs = self.cls(nid), self.inputs(nid)
            ckpt = next((inputs[k] for k in ("ckpt_name", "unet_name", "model_name", "model_path", "base_ckpt_name")
                         if isinstance(inputs.get(k), str)), None)
            if ckpt is None:
                ckpt_link = next((inputs[k] for k in ("ckpt_name", "unet_name") if self.is_link(inputs.get(k))), None)
                if ckpt_link is not None:
                    ckpt = self.literal(ckpt_link, "ckpt_name", f"{what} name")
            if ckpt is not None and "model" not in inputs:
                name = str(ckpt)
                loras.extend(self._inline_loras(nid))
                break
            found_lora = self._lora(nid)
            if found_lora:
                loras.extend(found_lora)
            elif ct not in _HARMLESS and "model" in inputs:
                c.add_problem(self.found, f"the {what} is patched by {ct} (node {nid})")
            nxt = inputs.get("model")
            if not self.is_link(nxt):
                if ckpt is not None:
                    name = str(ckpt)
                else:
                    c.add_problem(self.found, f"the {what} comes from node {nid} ({ct}), which names no checkpoint")
                break
            link = self.ref(nxt, what)
        loras.reverse()
        return name, loras

    def _lora(self, nid: str) -> list[Lora]:
        ct, inputs = self.cls(nid), self.inputs(nid)
        if ct == "HypernetworkLoader":
            strength = self.literal(inputs.get("strength", 1.0), "strength", "hypernetwork strength")
            return [Lora(str(inputs.get("hypernetwork_name")), _float(strength, 1.0), kind="hypernetwork")]
        if isinstance(inputs.get("lora_name"), str):
            name = inputs["lora_name"]
            if name in ("None", ""):
                return []
            weight = _float(self.literal(inputs.get("strength_model", inputs.get("strength", 1.0)), "strength_model",
                                         "LoRA strength"), 1.0)
            clip = inputs.get("strength_clip")
            if clip is not None and _float(clip, weight) != weight:
                c.put_extra(self.found, f"LoRA {name} strength_clip", clip)
                return [Lora(name, weight, clip_weight=_float(clip, weight))]
            return [Lora(name, weight)]
        return self._inline_loras(nid)

    def _inline_loras(self, nid: str) -> list[Lora]:
        """rgthree/efficiency stacks: ``lora_01``+``strength_01``, ``lora_1: {"on", "lora", "strength"}``."""
        out = []
        for key, value in self.inputs(nid).items():
            if isinstance(value, dict) and value.get("lora") and value.get("on", True):
                if value["lora"] != "None":
                    out.append(Lora(str(value["lora"]), _float(value.get("strength"), 1.0)))
            elif re.fullmatch(r"lora_?(name_?)?\d+", key) and isinstance(value, str) and value not in ("None", ""):
                digits = re.sub(r"\D", "", key)
                weight = None
                for wkey in (f"strength_{digits}", f"lora_wt_{digits}", f"strength_{int(digits):02d}",
                             f"model_str_{digits}", f"lora_{digits}_strength", f"lora_model_strength_{digits}"):
                    if wkey in self.inputs(nid):
                        weight = _float(self.inputs(nid)[wkey], 1.0)
                        break
                out.append(Lora(value, 1.0 if weight is None else weight))
        return out

    def clip_skip(self, value: Any) -> int | None:
        """Clip skip (A1111 convention) behind a text encoder's ``clip`` input."""
        link = self.ref(value)
        seen: set[str] = set()
        while link is not None and link[0] not in seen and len(seen) <= MAX_DEPTH:
            nid = link[0]
            seen.add(nid)
            inputs = self.inputs(nid)
            if "stop_at_clip_layer" in inputs:
                layer = self.literal(inputs["stop_at_clip_layer"], "stop_at_clip_layer", "clip skip")
                if layer is None:
                    return None
                layer = c.as_int(layer, "stop_at_clip_layer", low=-64, high=64)
                return abs(layer) if layer else 1
            if "clip_skip" in inputs and not self.is_link(inputs.get("clip")):
                skip = c.as_int(inputs["clip_skip"], "clip_skip", low=-64, high=64)
                return abs(skip) if skip else 1
            if "clip" in inputs:
                link = self.ref(inputs["clip"])
                continue
            config = inputs.get("config_name")
            if isinstance(config, str):  # early ComfyUI: "v1-inference_clip_skip_2.yaml"
                m = re.search(r"clip_skip_(\d+)", config)
                if m:
                    return int(m.group(1))
            return 1 if any(k in inputs for k in ("ckpt_name", "clip_name", "clip_name1")) else None
        return None

    # -- flow (images and latents) ---------------------------------------------------------------
    def flow_inputs(self, nid: str) -> list[tuple[str, int]]:
        inputs = self.inputs(nid)
        out = []
        for key in _FLOW_INPUTS:
            if key in inputs:
                link = self.ref(inputs[key])
                if link:
                    out.append(link)
        if not out and self.cls(nid) == "Reroute":
            out = [linked for v in inputs.values() if (linked := self.ref(v))]
        return out

    def upstream_samplers(self, start: list[tuple[str, int]]) -> list[str]:
        """The first samplers met walking the image/latent flow upstream from these links."""
        out: list[str] = []
        seen: set[str] = set()
        stack = list(reversed(start))
        while stack:
            nid, _ = stack.pop()
            if nid in seen:
                continue
            seen.add(nid)
            if self.is_sampler(nid):
                out.append(nid)
                continue
            stack.extend(reversed(self.flow_inputs(nid)))
        return out

    def latent_of(self, nid: str) -> Any:
        inputs = self.inputs(nid)
        return inputs.get("latent_image", inputs.get("latent"))

    def chain(self, terminal: str) -> list[str]:
        """Samplers whose output flows into ``terminal`` (itself included), upstream first."""
        out: list[str] = []
        visiting: set[str] = set()

        def visit(nid: str, depth: int) -> None:
            if nid in visiting or nid in out or depth > MAX_DEPTH:
                return
            visiting.add(nid)
            for up in self.upstream_samplers([l for l in [self.ref(self.latent_of(nid))] if l]):
                visit(up, depth + 1)
            visiting.discard(nid)
            out.append(nid)

        visit(terminal, 0)
        return out

    def origin(self, nid: str) -> tuple[str, str] | None:
        """(kind, node) where a sampler's latent starts: ("empty", id) or ("image", id) for img2img."""
        stack = [l for l in [self.ref(self.latent_of(nid))] if l]
        seen: set[str] = set()
        while stack:
            cur, _ = stack.pop(0)
            if cur in seen:
                continue
            seen.add(cur)
            ct, inputs = self.cls(cur), self.inputs(cur)
            if self.is_sampler(cur):
                continue
            if _ENCODE_CLASSES.match(ct) or _LOAD_IMAGE.match(ct):
                return "image", cur
            if _ORIGIN_LATENTS.search(ct) or (("width" in inputs and "height" in inputs or "dimensions" in inputs)
                                              and not self.flow_inputs(cur)):
                return "empty", cur
            stack.extend(self.flow_inputs(cur))
        return None


def _natural(key: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", key)]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any, default: float) -> float:
    if isinstance(value, bool):
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


# ---------------------------------------------------------------------------------------------


def _sampler_values(g: _Graph, nid: str) -> dict[str, Any]:
    """The sampling values of one sampler node (literal where they could be resolved)."""
    ct, inputs = g.cls(nid), g.inputs(nid)
    v: dict[str, Any] = {"node": nid, "class_type": ct, "extra": {}}
    lit = g.literal
    if ct in ("SamplerCustomAdvanced",) or "guider" in inputs:
        noise = g.ref(inputs.get("noise"), "noise")
        if noise:
            ninputs = g.inputs(noise[0])
            if g.cls(noise[0]) == "DisableNoise":
                v["add_noise"] = False
            else:
                v["seed"] = lit(ninputs.get("noise_seed", ninputs.get("seed")), "noise_seed", "seed")
        guider = g.ref(inputs.get("guider"), "guider")
        if guider:
            gct, ginputs = g.cls(guider[0]), g.inputs(guider[0])
            v["guider"] = gct
            v["model"] = ginputs.get("model")
            if "cfg" in ginputs or "cfg_conds" in ginputs:
                v["cfg"] = lit(ginputs.get("cfg", ginputs.get("cfg_conds")), "cfg", "CFG scale")
            if "positive" in ginputs:
                v["positive"], v["negative"] = ginputs.get("positive"), ginputs.get("negative")
            elif "cond1" in ginputs:
                v["positive"], v["negative"] = ginputs.get("cond1"), ginputs.get("negative")
                c.add_problem(g.found, f"{gct} (node {guider[0]}) guides with two conditionings")
            else:
                v["positive"] = ginputs.get("conditioning")
            for key, value in ginputs.items():
                if not g.is_link(value) and key not in ("cfg", "cfg_conds"):
                    v["extra"][f"guider {key}"] = value
    else:
        v["model"] = inputs.get("model")
        v["positive"], v["negative"] = inputs.get("positive"), inputs.get("negative")
        if "cfg" in inputs:
            v["cfg"] = lit(inputs["cfg"], "cfg", "CFG scale")
        for key in ("seed", "noise_seed"):
            if key in inputs:
                v["seed"] = lit(inputs[key], key, "seed")
                break
        if "add_noise" in inputs:
            add = lit(inputs["add_noise"], "add_noise", "add_noise")
            v["add_noise"] = add not in (False, "disable")
    if "sampler_name" in inputs:
        v["sampler"] = lit(inputs["sampler_name"], "sampler_name", "sampler")
    elif "sampler" in inputs:
        sel = g.ref(inputs["sampler"], "sampler")
        if sel:
            sinputs = g.inputs(sel[0])
            if "sampler_name" in sinputs:
                v["sampler"] = lit(sinputs["sampler_name"], "sampler_name", "sampler")
            else:  # SamplerEulerAncestral, SamplerDPMPP_2M_SDE, …: the class names the sampler
                v["sampler"] = g.cls(sel[0])
            for key, value in sinputs.items():
                if key != "sampler_name" and not g.is_link(value):
                    v["extra"][f"sampler {key}"] = value
    if "scheduler" in inputs:
        v["schedule"] = lit(inputs["scheduler"], "scheduler", "scheduler")
    if "steps" in inputs:
        v["steps"] = lit(inputs["steps"], "steps", "steps")
    if "denoise" in inputs:
        v["denoise"] = lit(inputs["denoise"], "denoise", "denoise")
    if "sigmas" in inputs:
        _sigmas(g, inputs["sigmas"], v, 0)
    for key, value in inputs.items():
        if key in ("seed", "noise_seed", "steps", "cfg", "sampler_name", "scheduler", "denoise", "add_noise"):
            continue
        if not g.is_link(value):
            v["extra"][key] = value
    return v


def _sigmas(g: _Graph, value: Any, v: dict, depth: int) -> None:
    link = g.ref(value, "sigmas")
    if not link or depth > MAX_DEPTH:
        return
    nid = link[0]
    ct, inputs = g.cls(nid), g.inputs(nid)
    if ct in ("SplitSigmas", "SplitSigmasDenoise", "FlipSigmas", "SetFirstSigma"):
        c.add_problem(g.found, f"the sigma schedule is cut or altered by {ct} (node {nid})")
        for key, item in inputs.items():
            if not g.is_link(item):
                v["extra"][f"{ct} {key}"] = item
        _sigmas(g, inputs.get("sigmas"), v, depth + 1)
        return
    if "scheduler" in inputs:
        v["schedule"] = g.literal(inputs["scheduler"], "scheduler", "scheduler")
    else:
        v["schedule"] = {"KarrasScheduler": "karras", "ExponentialScheduler": "exponential",
                         "PolyexponentialScheduler": "polyexponential", "BetaSamplingScheduler": "beta",
                         "AlignYourStepsScheduler": "align_your_steps", "LaplaceScheduler": "laplace",
                         "VPScheduler": "vp"}.get(ct, ct)
    if "steps" in inputs:
        v["steps"] = g.literal(inputs["steps"], "steps", "steps")
    if "denoise" in inputs:
        v["denoise"] = g.literal(inputs["denoise"], "denoise", "denoise")
    for key, item in inputs.items():
        if key not in ("scheduler", "steps", "denoise") and not g.is_link(item):
            v["extra"][f"sigmas {key}"] = item


def _prompt(g: _Graph, value: Any, role: str) -> str | None:
    if value is None:
        return None
    texts = g.texts(value, role)
    g.flush_modifiers()
    if texts is None:
        return None
    unique: list[str] = []
    for text in texts:
        if text not in unique:
            unique.append(text)
    if not unique:
        return None
    if len(unique) > 1:
        c.add_problem(g.found, f"the {role} prompt combines {len(unique)} texts (area/combine nodes); "
                               "they are joined with newlines here")
    return "\n".join(unique)


def found_from_graph(graph: dict[str, Any], carriers: list[Carrier], *, tool: str = "comfyui",
                     workflow_only: bool = False) -> Found:
    found = c.new_found(tool, carriers)
    found.rng = "cpu"  # ComfyUI draws the initial noise on the CPU (torch.manual_seed)
    g = _Graph(graph, found)
    if workflow_only:
        c.add_problem(found, "only the UI workflow is stored, not the executed graph: values were read from the "
                             "editor's widgets and may differ from what ran")
    samplers = [nid for nid in g.nodes if g.is_sampler(nid)]
    if not samplers:
        c.add_problem(found, "the graph has no sampler node")
        return found
    outputs = [nid for nid in g.nodes if g.is_output(nid)]
    saved = [nid for nid in outputs if "Preview" not in g.cls(nid)]
    outputs = saved or outputs  # a file on disk comes from a Save node; previews go to a temporary folder
    terminals: list[str] = []
    for out in outputs:
        for nid in g.upstream_samplers(g.flow_inputs(out)):
            if nid not in terminals:
                terminals.append(nid)
    if not terminals:  # no output node: the samplers nothing else consumes
        fed = {up for nid in samplers for up in g.chain(nid) if up != nid}
        terminals = [nid for nid in samplers if nid not in fed]
    chains = {t: g.chain(t) for t in terminals}
    terminal = max(terminals, key=lambda t: (len(chains[t]), g.order[t]))
    others = [t for t in terminals if t not in chains[terminal]]
    if len(terminals) > 1:
        listed = ", ".join(t for t in terminals if t != terminal)
        c.add_problem(found, f"the graph saves {len(terminals)} images, made by samplers {listed} and {terminal}; "
                             f"this record assumes the file is the one made by {terminal} (the last in the longest "
                             "chain), which the metadata cannot confirm")
    chain = chains[terminal]
    main, last = chain[0], chain[-1]
    found.passes = len(chain)
    unused = [nid for nid in samplers if nid not in chain and nid not in others]
    if unused:
        found.extra["samplers not in this image"] = ", ".join(unused)

    v = _sampler_values(g, main)
    found.extra["sampler node"] = f"{main} ({v['class_type']})"
    if v.get("seed") is not None:
        found.seed = c.seed(v["seed"], f"prompt: node {main} seed")
    if v.get("steps") is not None:
        found.steps = c.steps(v["steps"], f"prompt: node {main} steps")
    if v.get("cfg") is not None:
        found.guidance_scale = c.cfg(v["cfg"], f"prompt: node {main} cfg")
    if v.get("sampler") is not None:
        found.sampler = str(v["sampler"])
    if v.get("schedule") is not None:
        found.schedule = str(v["schedule"])
    if v.get("add_noise") is False:
        c.add_problem(found, f"the first sampler (node {main}) adds no noise: the seed does not make the image")
    found.prompt = _prompt(g, v.get("positive"), "positive")
    found.negative_prompt = _prompt(g, v.get("negative"), "negative")
    if g.flux_guidance is not None:
        found.extra["FluxGuidance"] = c.compact(g.flux_guidance)
        if v.get("guider") == "BasicGuider" and found.guidance_scale is None:
            found.guidance_scale = c.cfg(g.flux_guidance, "prompt: FluxGuidance")
            found.extra["guidance"] = "FluxGuidance (distilled guidance); BasicGuider applies no CFG"
    found.model_name, found.loras = g.model_chain(v.get("model"))
    found.loras += _embeddings(found.prompt, found.negative_prompt)
    positive_encoder = _first_encoder(g, v.get("positive"))
    if positive_encoder is not None:
        found.clip_skip = g.clip_skip(g.inputs(positive_encoder).get("clip"))
    denoise = v.get("denoise")
    origin = g.origin(main)
    if origin is None:
        c.add_problem(found, f"the latent of the first sampler (node {main}) starts at no node the importer knows")
    elif origin[0] == "empty":
        inputs = g.inputs(origin[1])
        if "width" in inputs and "height" in inputs:
            width = g.literal(inputs["width"], "width", "width")
            height = g.literal(inputs["height"], "height", "height")
            if width is not None and height is not None:
                found.width = c.dimension(width, f"prompt: node {origin[1]} width")
                found.height = c.dimension(height, f"prompt: node {origin[1]} height")
        elif isinstance(inputs.get("dimensions"), str):  # "SDXL Empty Latent Image (rgthree)": "1024 x 1024 (square)"
            m = re.match(r"\s*(\d+)\s*x\s*(\d+)", inputs["dimensions"])
            if m:
                found.width, found.height = int(m.group(1)), int(m.group(2))
        batch = g.literal(inputs.get("batch_size", 1), "batch_size", "batch size")
        if isinstance(batch, int) and batch > 1:
            found.extra["batch_size"] = str(batch)
            c.add_problem(found, f"a batch of {batch}: ComfyUI draws the whole batch's noise from one seed, so "
                                 "only the first image follows the seed alone")
        if denoise is not None and _float(denoise, 1.0) < 1.0:
            found.extra["denoise"] = c.compact(denoise)
    else:
        found.img2img = True
        c.add_problem(found, "img2img: the source image is not stored")
        if denoise is not None:
            found.strength = c.strength(denoise, f"prompt: node {main} denoise")
    for key, value in v["extra"].items():
        c.put_extra(found, key, value)
    vae = _vae_of(g, last)
    if vae:
        found.vae_name = vae

    if len(chain) > 1:
        found.hires = _pass_summary(g, last, found)
        for nid in chain[1:-1]:
            found.extra[f"pass {nid}"] = c.compact(_pass_summary(g, nid, found))
        later = _later_passes(g, chain, found)
        if later is None:
            described = ", ".join(f"{nid} ({g.cls(nid)})" for nid in chain)
            c.add_problem(found, f"{len(chain)} sampler passes make this image (nodes {described}), which do not "
                                 "follow one another as passes can be recorded; the record describes the first, the "
                                 "last is in the source metadata")
        else:
            found.later = later
    _post_processing(g, outputs, terminal)
    return found


def _first_encoder(g: _Graph, value: Any, depth: int = 0) -> str | None:
    link = g.ref(value)
    if link is None or depth > MAX_DEPTH:
        return None
    nid = link[0]
    inputs = g.inputs(nid)
    if "clip" in inputs:
        return nid
    for key, item in inputs.items():
        if ("cond" in key.lower() or key in ("positive",)) and g.is_link(item):
            found = _first_encoder(g, item, depth + 1)
            if found:
                return found
    return None


def _pass_summary(g: _Graph, nid: str, found: Found) -> dict[str, str]:
    """A later pass's parameters as written (text), with what differs from the first pass."""
    saved = list(found.problems)
    v = _sampler_values(g, nid)
    out: dict[str, str] = {"node": nid, "class_type": v["class_type"]}
    for key in ("seed", "steps", "cfg", "sampler", "schedule", "denoise", "add_noise"):
        if v.get(key) is not None:
            out[key] = c.compact(v[key])
    for key, value in v["extra"].items():
        out[key] = c.compact(value)
    model, loras = g.model_chain(v.get("model"))
    if model and model != found.model_name:
        out["model"] = model
    if loras != _chain_loras(found):
        out["loras"] = c.compact([[lora.name, lora.weight] for lora in loras])
    prompt = _prompt(g, v.get("positive"), "positive") if v.get("positive") is not None else None
    if prompt is not None and prompt != found.prompt:
        out["prompt"] = prompt
    negative = _prompt(g, v.get("negative"), "negative") if v.get("negative") is not None else None
    if negative is not None and negative != found.negative_prompt:
        out["negative prompt"] = negative
    # how the latent got here: upscales between the passes
    link = g.ref(g.latent_of(nid))
    seen: set[str] = set()
    while link and link[0] not in seen and not g.is_sampler(link[0]):
        seen.add(link[0])
        ct, inputs = g.cls(link[0]), g.inputs(link[0])
        if ct not in ("Reroute",):
            literal = {k: val for k, val in inputs.items() if not g.is_link(val)}
            out.setdefault("via", "")
            out["via"] = (out["via"] + " <- " if out["via"] else "") + f"{ct} {c.compact(literal)}"
        nxt = g.flow_inputs(link[0])
        link = nxt[0] if nxt else None
    found.problems[:] = saved  # a later pass's own unreadable bits are not the record's problems
    return out


def _vae_of(g: _Graph, terminal: str) -> str | None:
    """The VAE that decoded the terminal sampler's latent, when a VAELoader names one."""
    for nid in g.nodes:
        inputs = g.inputs(nid)
        samples = g.ref(inputs.get("samples"))
        if g.cls(nid).startswith("VAEDecode") and samples and samples[0] == terminal:
            link = g.ref(inputs.get("vae"))
            seen: set[str] = set()
            while link and link[0] not in seen:
                seen.add(link[0])
                vinputs = g.inputs(link[0])
                if isinstance(vinputs.get("vae_name"), str):
                    return vinputs["vae_name"]
                link = g.ref(vinputs.get("vae"))
            return None
    return None


_PASSIVE_IMAGE = re.compile(r"^(VAEDecode|Reroute|PreviewImage|SaveImage|Image Save|SaveAnimated)")


def _post_processing(g: _Graph, outputs: list[str], terminal: str) -> None:
    """Nodes between the terminal sampler and a saved image that change pixels (face fix, upscale, …)."""
    for out in outputs:
        stack = list(g.flow_inputs(out))
        path: list[str] = []
        seen: set[str] = set()
        reaches = False
        while stack:
            nid, _ = stack.pop()
            if nid in seen:
                continue
            seen.add(nid)
            if nid == terminal:
                reaches = True
                continue
            if g.is_sampler(nid):
                continue
            if not _PASSIVE_IMAGE.match(g.cls(nid)):
                path.append(nid)
            stack.extend(g.flow_inputs(nid))
        if reaches:
            for nid in path:
                if g.is_sampler(nid):
                    continue
                c.add_problem(g.found, f"the decoded image is changed by {g.cls(nid)} (node {nid}) before it is saved")
            return


# ---------------------------------------------------------------------------------------------
# Passes after the first: a sampler fed by the previous one, through an upscale or straight on.

#: ComfyUI latent upscale methods -> AIGIF upscalers (registry 7.17): torch's interpolation modes,
#: as A1111's "Latent (…)" upscalers use them (bilinear without antialiasing is A1111's "Latent").
LATENT_UPSCALERS = {"nearest-exact": "latent-nearest-exact", "bilinear": "latent", "bicubic": "latent-bicubic",
                    "nearest": "latent-nearest"}
#: ComfyUI image resize methods with an AIGIF upscaler (the decoded image resized, no model).
IMAGE_UPSCALERS = {"lanczos": "lanczos", "nearest-exact": "nearest"}
_LATENT_UPSCALE = {"LatentUpscale", "LatentUpscaleBy"}
_IMAGE_SCALE = {"ImageScale", "ImageScaleBy"}
_PASSIVE_BETWEEN = re.compile(r"^(Reroute|VAEDecode|VAEEncode|PreviewImage|SaveImage)")


def _later_passes(g: _Graph, chain: list[str], found: Found) -> list[FoundPass] | None:
    """One ``FoundPass`` per sampler after the first, or None when the samplers are not a simple
    sequence (a sampler fed by several, e.g. composited latents)."""
    out = []
    first = _sampler_values(g, chain[0])
    previous = first
    size = (found.width, found.height)
    for before, nid in zip(chain, chain[1:]):
        if g.upstream_samplers([l for l in [g.ref(g.latent_of(nid))] if l]) != [before]:
            return None
        saved = list(found.problems)
        later = _one_pass(g, nid, before, first, previous, size, found)
        found.problems[:] = saved  # what a later pass cannot say goes to that pass, not to the record
        out.append(later)
        previous = _sampler_values(g, nid)
        found.problems[:] = saved
        if later.width and later.height:
            size = (later.width, later.height)
    return out


def _one_pass(g: _Graph, nid: str, before: str, first: dict, previous: dict, size: tuple, found: Found) -> FoundPass:
    v = _sampler_values(g, nid)
    between = _between(g, nid, before)
    classes = [g.cls(n) for n in between]
    upscales = [n for n in between if g.cls(n) in _LATENT_UPSCALE | _IMAGE_SCALE or g.cls(n) == "ImageUpscaleWithModel"]
    model, loras = g.model_chain(v.get("model"))
    other_model = model if model and model != found.model_name else None
    refiner = (not upscales and other_model is not None and v.get("add_noise") is False
               and v["extra"].get("start_at_step") not in (None, 0))
    out = FoundPass("refiner" if refiner else "hires")
    steps = _int(v.get("steps"))
    if refiner:  # KSamplerAdvanced continuing the leftover noise: the switch is its first step
        start = _int(v["extra"].get("start_at_step"))
        out.strength = start / steps if steps and start is not None and 0 <= start <= steps else None
        out.summary = f"{other_model} from step {start} of {steps}"
    else:
        denoise = v.get("denoise")
        start = _int(v["extra"].get("start_at_step"))
        if denoise is not None and not isinstance(denoise, bool) and isinstance(denoise, (int, float)):
            out.strength = float(denoise)
        elif start is not None and steps:
            out.strength = max(0.0, 1.0 - start / steps)
        else:
            out.strength = 1.0 if v.get("class_type") == "KSampler" else None
        out.summary = f"node {nid}" + (f", {' + '.join(g.cls(n) for n in upscales)}" if upscales else "") \
            + (f", denoise {c.fmt_num(out.strength)}" if out.strength is not None else "")
    if out.strength is None:
        out.problems.append("its strength (denoise or first step) is not recorded")
    elif not 0.0 <= out.strength <= 1.0:
        out.problems.append(f"its strength {out.strength} is outside 0-1")
        out.strength = None
    _upscale(g, upscales, size, out)
    if other_model:
        out.model = other_model
    for key, attr in (("sampler", "sampler"), ("schedule", "schedule")):
        if v.get(key) is not None and v.get(key) != first.get(key):
            out.sampler, out.schedule = v.get("sampler"), v.get("schedule")
    if steps is not None and steps != _int(first.get("steps")):
        out.steps = steps
    cfg = v.get("cfg")
    if isinstance(cfg, (int, float)) and not isinstance(cfg, bool) and cfg != first.get("cfg"):
        out.guidance_scale = c.cfg(cfg, f"prompt: node {nid} cfg")
    prompt = _prompt(g, v.get("positive"), "positive") if v.get("positive") is not None else None
    negative = _prompt(g, v.get("negative"), "negative") if v.get("negative") is not None else None
    if (prompt is not None and prompt != found.prompt) or (negative is not None and negative != found.negative_prompt):
        out.prompt = found.prompt if prompt is None else prompt
        out.negative_prompt = found.negative_prompt if negative is None else negative
    seed = v.get("seed")
    if not refiner and seed is not None and seed != first.get("seed") and v.get("add_noise") is not False:
        out.approximations.append(f"its noise comes from seed {seed}, not the first pass's {first.get('seed')}: "
                                  "AIGIF records one seed")
    if loras != _chain_loras(found):
        names = ", ".join(f"{lora.name} {c.fmt_num(lora.weight)}" for lora in loras) or "none"
        out.approximations.append(f"its LoRAs ({names}) differ from the first pass's: AIGIF records one set")
    if any(cls.startswith("VAEDecode") for cls in classes) and not upscales:
        out.approximations.append("the image is decoded and encoded again between the passes")
    return out


def _between(g: _Graph, nid: str, before: str) -> list[str]:
    """The nodes between sampler ``before`` and sampler ``nid`` on the latent/image flow, nearest first."""
    out: list[str] = []
    link = g.ref(g.latent_of(nid))
    seen: set[str] = set()
    while link and link[0] not in seen and link[0] != before and len(seen) <= MAX_DEPTH:
        seen.add(link[0])
        out.append(link[0])
        nxt = g.flow_inputs(link[0])
        link = nxt[0] if nxt else None
    return out


def _upscale(g: _Graph, nodes: list[str], size: tuple, out: FoundPass) -> None:
    """The upscaler and the size a pass upscales to, from the upscale nodes between the passes (nearest first)."""
    width, height = size
    model_name = None
    for nid in reversed(nodes):  # in flow order
        ct, inputs = g.cls(nid), g.inputs(nid)
        method = g.literal(inputs.get("upscale_method"), "upscale_method", "upscale method")
        if ct == "ImageUpscaleWithModel":
            loader = g.ref(inputs.get("upscale_model"), "upscale model")
            name = g.inputs(loader[0]).get("model_name") if loader else None
            model_name = str(name) if isinstance(name, str) else "unknown upscaling model"
            out.upscaler = model_name
            factor = re.search(r"(?:^|[^0-9])([1-8])x|x([1-8])(?:[^0-9]|$)", model_name, re.IGNORECASE)
            width = height = None  # the model's factor is not recorded in the graph
            hint = f" (its name suggests x{factor.group(1) or factor.group(2)})" if factor else ""
            out.problems.append(f"the upscaling model {model_name!r} has a factor the graph does not record{hint}")
            continue
        if ct in ("LatentUpscale", "ImageScale"):
            w = g.literal(inputs.get("width"), "width", "upscale width")
            h = g.literal(inputs.get("height"), "height", "upscale height")
            if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0:
                width, height = w, h
                if model_name and out.problems and "factor" in out.problems[-1]:
                    out.problems.pop()  # an explicit size after the model: its factor does not matter
            else:
                width = height = None
                out.problems.append(f"{ct} (node {nid}) keeps the aspect ratio from a side of 0, which is not "
                                    "recorded as a size")
            if str(inputs.get("crop", "disabled")) != "disabled":
                out.approximations.append(f"{ct} (node {nid}) crops ({inputs.get('crop')}) while upscaling")
        elif ct in ("LatentUpscaleBy", "ImageScaleBy"):
            scale = g.literal(inputs.get("scale_by"), "scale_by", "upscale factor")
            if isinstance(scale, (int, float)) and not isinstance(scale, bool) and width and height:
                out.scale = float(scale)
                if ct == "LatentUpscaleBy":  # the latent's sides, rounded: round(side / 8 * scale) * 8
                    width, height = round(width / 8 * scale) * 8, round(height / 8 * scale) * 8
                else:
                    width, height = round(width * scale), round(height * scale)
            else:
                width = height = None
        if model_name is None and isinstance(method, str):
            table = LATENT_UPSCALERS if ct in _LATENT_UPSCALE else IMAGE_UPSCALERS
            out.upscaler = table.get(method)
            if out.upscaler is None:
                out.upscaler = f"{'latent' if ct in _LATENT_UPSCALE else 'image'}-{method}"
                out.problems.append(f"ComfyUI's {method!r} resize ({ct}, node {nid}) has no AIGIF upscaler")
    if nodes:
        out.width, out.height = width, height


# ---------------------------------------------------------------------------------------------
# The UI workflow (LiteGraph JSON) → an API-like graph, for the core nodes whose widget order is known.

_WIDGETS: dict[str, list[str | None]] = {
    "KSampler": ["seed", None, "steps", "cfg", "sampler_name", "scheduler", "denoise"],
    "KSamplerAdvanced": ["add_noise", "noise_seed", None, "steps", "cfg", "sampler_name", "scheduler",
                         "start_at_step", "end_at_step", "return_with_leftover_noise"],
    "SamplerCustom": ["add_noise", "noise_seed", None, "cfg"],
    "CLIPTextEncode": ["text"],
    "CLIPTextEncodeSDXL": ["width", "height", "crop_w", "crop_h", "target_width", "target_height", "text_g", "text_l"],
    "CLIPTextEncodeSDXLRefiner": ["ascore", "width", "height", "text"],
    "CLIPTextEncodeFlux": ["clip_l", "t5xxl", "guidance"],
    "EmptyLatentImage": ["width", "height", "batch_size"],
    "EmptySD3LatentImage": ["width", "height", "batch_size"],
    "CheckpointLoaderSimple": ["ckpt_name"],
    "CheckpointLoader": ["config_name", "ckpt_name"],
    "unCLIPCheckpointLoader": ["ckpt_name"],
    "UNETLoader": ["unet_name", "weight_dtype"],
    "CLIPSetLastLayer": ["stop_at_clip_layer"],
    "LoraLoader": ["lora_name", "strength_model", "strength_clip"],
    "LoraLoaderModelOnly": ["lora_name", "strength_model"],
    "HypernetworkLoader": ["hypernetwork_name", "strength"],
    "VAELoader": ["vae_name"],
    "KSamplerSelect": ["sampler_name"],
    "BasicScheduler": ["scheduler", "steps", "denoise"],
    "SDTurboScheduler": ["steps", "denoise"],
    "KarrasScheduler": ["steps", "sigma_max", "sigma_min", "rho"],
    "RandomNoise": ["noise_seed", None],
    "CFGGuider": ["cfg"],
    "FluxGuidance": ["guidance"],
    "LatentUpscale": ["upscale_method", "width", "height", "crop"],
    "LatentUpscaleBy": ["upscale_method", "scale_by"],
    "ConditioningSetArea": ["width", "height", "x", "y", "strength"],
    "LatentComposite": ["x", "y", "feather"],
    "SaveImage": ["filename_prefix"],
    "LoadImage": ["image", None],
}


def workflow_to_graph(workflow: dict[str, Any]) -> dict[str, Any]:
    """An API-like graph from a UI workflow: core nodes get their widget values by name, links become
    ``[source, slot]``, PrimitiveNode values are inlined, muted nodes are left out, bypassed nodes pass through."""
    nodes = [n for n in c.as_list(workflow.get("nodes")) if isinstance(n, dict) and isinstance(n.get("id"), (int, str))]
    by_id = {str(n["id"]): n for n in nodes}
    links: dict[Any, tuple[str, int]] = {}
    for link in c.as_list(workflow.get("links")):
        if isinstance(link, list) and len(link) >= 5 and isinstance(link[0], (int, str)):
            links[link[0]] = (str(link[1]), link[2] if isinstance(link[2], int) else 0)
        elif isinstance(link, dict) and isinstance(link.get("id"), (int, str)):
            slot = link.get("origin_slot")
            links[link["id"]] = (str(link.get("origin_id")), slot if isinstance(slot, int) else 0)
    graph: dict[str, Any] = {}
    for nid, node in by_id.items():
        ct = str(node.get("type", ""))
        mode = node.get("mode", 0)
        if mode == 2 or ct in ("PrimitiveNode", "Note", "MarkdownNote"):
            continue
        inputs: dict[str, Any] = {}
        widgets = node.get("widgets_values")
        if isinstance(widgets, dict):
            inputs.update(widgets)
        elif isinstance(widgets, list) and ct in _WIDGETS:
            values = list(widgets)
            for name in _WIDGETS[ct]:
                if not values:
                    break
                if name is None:
                    if isinstance(values[0], bool) or values[0] in _CONTROL_VALUES:
                        values.pop(0)
                    continue
                inputs[name] = values.pop(0)
        elif isinstance(widgets, list) and widgets:
            inputs["_widgets"] = widgets
        for slot in c.as_list(node.get("inputs")):
            if not isinstance(slot, dict) or not isinstance(slot.get("link"), (int, str)):
                continue
            source = links.get(slot["link"])
            if source is None:
                continue
            slot_name = slot.get("name")
            if not isinstance(slot_name, str) or not slot_name:
                slot_name = "input"
            if isinstance(slot.get("widget"), dict) and slot["widget"].get("name"):
                slot_name = slot["widget"]["name"]
            src = by_id.get(source[0])
            if src is not None and src.get("type") == "PrimitiveNode" and isinstance(src.get("widgets_values"), list):
                if src["widgets_values"]:
                    inputs[slot_name] = src["widgets_values"][0]
                continue
            inputs[slot_name] = [source[0], source[1]]
        if mode == 4:  # bypassed: passes its first linked input through
            first = next(((k, v) for k, v in inputs.items() if isinstance(v, list) and len(v) == 2), None)
            graph[nid] = {"class_type": "Reroute", "inputs": {"input": first[1]} if first else {}}
            continue
        graph[nid] = {"class_type": ct, "inputs": inputs}
    return graph


def parse_prompt_text(text: str, field: str) -> dict[str, Any] | None:
    """The API graph in a ``prompt`` carrier; None when the text is not a graph (e.g. Easy Diffusion's prompt)."""
    stripped = c.clean(text).strip()
    if not c.meant_as_json(stripped):
        return None  # Easy Diffusion's plain-text prompt (which may start with "{emphasis}")
    value = c.load_json(stripped, field)
    if is_graph(value):
        return value
    if isinstance(value, dict) and not value:
        return None
    return None


__all__ = ["found_from_graph", "workflow_to_graph", "is_graph", "is_workflow", "parse_prompt_text"]


#: ComfyUI's prompt syntax for a textual-inversion embedding: ``embedding:NAME`` (the file's name, with
#: or without its extension), up to white space, a comma, a bracket or a colon (``(embedding:x:1.2)``
#: weights the embedding ``x``).
_EMBEDDING = re.compile(r"embedding:([^\s,()\[\]:]+)")


def _embeddings(*prompts: str | None) -> list[Lora]:
    """The embeddings the prompts trigger, once each, in order; their trigger is the text as written."""
    names = dict.fromkeys(match.group(1) for prompt in prompts if prompt for match in _EMBEDDING.finditer(prompt))
    return [Lora(name, kind="embedding", trigger=f"embedding:{name}") for name in names]


def _chain_loras(found: Found) -> list[Lora]:
    """The LoRAs of the first sampler's model chain (the prompts' embeddings are not in a chain)."""
    return [lora for lora in found.loras if lora.trigger is None]
