"""Scheduler names of the registry (spec 7.10) -> diffusers scheduler classes and arguments.

The mapping follows diffusers' own A1111 table (reproducibility and ecosystem notes). A scheduler
is always built as ``Class.from_config(model_default_config, **arguments)``, so the model's betas,
prediction type and offsets are kept and only what the file says changes.
"""

from __future__ import annotations

import inspect
import json

from .._errors import RecreateError
from .._model import Model

#: name -> (diffusers class, fixed arguments)
SCHEDULERS: dict[str, tuple[str, dict]] = {
    "ddim": ("DDIMScheduler", {}),
    "pndm": ("PNDMScheduler", {}),
    "lms": ("LMSDiscreteScheduler", {}),
    "euler": ("EulerDiscreteScheduler", {}),
    "euler_a": ("EulerAncestralDiscreteScheduler", {}),
    "heun": ("HeunDiscreteScheduler", {}),
    "dpmpp_2m": ("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++", "solver_order": 2}),
    "dpmpp_2m_sde": ("DPMSolverMultistepScheduler", {"algorithm_type": "sde-dpmsolver++", "solver_order": 2}),
    "dpmpp_sde": ("DPMSolverSDEScheduler", {}),
    "dpm2": ("KDPM2DiscreteScheduler", {}),
    "dpm2_a": ("KDPM2AncestralDiscreteScheduler", {}),
    "unipc": ("UniPCMultistepScheduler", {}),
    "deis": ("DEISMultistepScheduler", {}),
    "lcm": ("LCMScheduler", {}),
    "tcd": ("TCDScheduler", {}),
    # escaped names (no 4-bit code) that recreation understands
    "ddpm": ("DDPMScheduler", {}),
    "dpmpp_3m_sde": ("DPMSolverMultistepScheduler", {"algorithm_type": "sde-dpmsolver++", "solver_order": 3}),
    "flow_euler": ("FlowMatchEulerDiscreteScheduler", {}),
}
_SIGMA_ARGUMENTS = {"karras": "use_karras_sigmas", "exponential": "use_exponential_sigmas", "beta": "use_beta_sigmas"}


def scheduler_arguments(model: Model) -> tuple[str, dict]:
    """(class name, keyword arguments) for a file's scheduler; ``cannot-honour`` if unknown."""
    name = model.scheduler
    if name not in SCHEDULERS:
        raise RecreateError(f"scheduler {name!r} has no diffusers equivalent here", code="cannot-honour",
                            path="model.scheduler")
    cls, fixed = SCHEDULERS[name]
    arguments = dict(fixed)
    options = model.scheduler_options
    if options.sigmas != "default":
        arguments[_SIGMA_ARGUMENTS[options.sigmas]] = True
    if options.timestep_spacing != "default":
        arguments["timestep_spacing"] = options.timestep_spacing
    if options.prediction_type != "default":
        arguments["prediction_type"] = options.prediction_type
    if options.rescale_betas_zero_snr:
        arguments["rescale_betas_zero_snr"] = True
    for key, text in model.scheduler_config.items():  # field 3: JSON text of each value
        try:
            arguments[key] = json.loads(text)
        except ValueError:
            raise RecreateError(f"scheduler_config[{key!r}] is not JSON: {text!r}", code="cannot-honour",
                                path="model.scheduler_config") from None
    return cls, arguments


def build(model: Model, base_config: dict):
    """A diffusers scheduler for ``model``, from the model's default configuration."""
    import diffusers

    cls_name, arguments = scheduler_arguments(model)
    cls = getattr(diffusers, cls_name)
    accepted = set(inspect.signature(cls.__init__).parameters)  # diffusers wraps __init__: ask inspect
    unknown = sorted(set(arguments) - accepted)
    if unknown:
        raise RecreateError(f"{cls_name} has no option(s) {', '.join(unknown)}", code="cannot-honour",
                            path="model.scheduler_options")
    return cls.from_config(base_config, **arguments)

