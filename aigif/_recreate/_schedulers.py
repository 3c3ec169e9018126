"""Scheduler names of the registry (spec 7.10) -> diffusers scheduler classes and arguments.

The mapping follows diffusers' own A1111 table (reproducibility and ecosystem notes). A scheduler
is always built as ``Class.from_config(model_default_config, **arguments)``, so the model's betas,
prediction type and offsets are kept and only what the file says changes.

A file's scheduler configuration (field 3) reaches the scheduler's constructor, so it is held to
what a configuration is: keys that the class's ``__init__`` names (not ``_class_name``, not
``self``, not ``**kwargs``), values that are JSON scalars or lists of numbers, numbers within
``MAX_CONFIG_NUMBER`` (``num_train_timesteps=1e12`` would allocate terabytes).

A scheduler option (field 1) becomes one argument; a class without that argument cannot honour it
(diffusers' ``EulerAncestralDiscreteScheduler`` has no ``use_karras_sigmas``). ``resolve`` leaves
such an argument out and names it, and ``preflight`` refuses the file unless forced: an importer's
``approximate`` verdict says so in its reasons (``tests/recreate/test_contract.py``).
"""

from __future__ import annotations

import importlib.util
import inspect
import json
from typing import Any

from .._errors import RecreateError
from .._format._model import Model

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
    "dpmpp_2s": ("DPMSolverSinglestepScheduler", {"algorithm_type": "dpmsolver++", "solver_order": 2}),  # InvokeAI
}
MAX_CONFIG_NUMBER = 1_000_000  # above any real scheduler setting (num_train_timesteps is 1,000)
_SIGMA_ARGUMENTS = {"karras": "use_karras_sigmas", "exponential": "use_exponential_sigmas", "beta": "use_beta_sigmas"}
#: What each argument a scheduler option becomes means, for the messages.
_OPTION_WORDS = {"use_karras_sigmas": "Karras sigmas", "use_exponential_sigmas": "exponential sigmas",
                 "use_beta_sigmas": "beta sigmas", "timestep_spacing": "timestep spacing",
                 "prediction_type": "prediction type", "rescale_betas_zero_snr": "zero-SNR rescaling"}


def option_arguments(model: Model) -> dict:
    """The scheduler options (field 1) as diffusers arguments (spec 6.7): ``karras`` -> ``use_karras_sigmas``."""
    options = model.scheduler_options
    arguments: dict[str, object] = {}
    if options.sigmas != "default":
        arguments[_SIGMA_ARGUMENTS[options.sigmas]] = True
    if options.timestep_spacing != "default":
        arguments["timestep_spacing"] = options.timestep_spacing
    if options.prediction_type != "default":
        arguments["prediction_type"] = options.prediction_type
    if options.rescale_betas_zero_snr:
        arguments["rescale_betas_zero_snr"] = True
    return arguments


def scheduler_arguments(model: Model) -> tuple[str, dict]:
    """(class name, keyword arguments) for a file's scheduler; ``cannot-honour`` if unknown."""
    name = model.scheduler
    if name not in SCHEDULERS:
        raise RecreateError(f"scheduler {name!r} has no diffusers equivalent here", code="cannot-honour",
                            path="model.scheduler")
    cls, fixed = SCHEDULERS[name]
    arguments = {**fixed, **option_arguments(model)}
    for key, text in model.scheduler_config.items():  # field 3: JSON text of each value
        arguments[key] = _config_value(key, text)
    return cls, arguments


def _config_value(key: str, text: str):
    """One scheduler_config entry, parsed and bounded; ``cannot-honour`` naming it otherwise."""
    def refuse(why: str):
        return RecreateError(f"scheduler_config[{key!r}] {why}", code="cannot-honour", path="model.scheduler_config")

    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise refuse(f"is not JSON: {text[:80]!r}") from None
    for item in value if isinstance(value, list) else [value]:
        number = isinstance(item, (int, float)) and not isinstance(item, bool)
        if isinstance(item, (dict, list)) or isinstance(value, list) and not number:
            raise refuse("must be a JSON scalar or a list of numbers")
        if number and not abs(item) <= MAX_CONFIG_NUMBER:  # also refuses NaN and infinities
            raise refuse(f"= {item} is not a finite number up to {MAX_CONFIG_NUMBER:,}")
    return value


def resolve(model: Model) -> tuple[Any, dict, list[str]]:
    """The diffusers class of a file's scheduler, the arguments it takes, and what it cannot honour.

    Every argument is checked against the class's ``__init__`` before anything is loaded: a
    configuration key (field 3) it does not name is refused (``cannot-honour``); an option (field 1)
    it has no argument for is left out of the arguments and described in the third item, one
    sentence each, for ``preflight`` to refuse unless forced."""
    import diffusers

    cls_name, arguments = scheduler_arguments(model)
    cls = getattr(diffusers, cls_name)
    if cls.__module__.startswith("diffusers.utils.dummy_"):  # a placeholder: scipy or torchsde is missing
        needs = cls.__module__.rsplit(".", 1)[-1].removeprefix("dummy_").removesuffix("_objects").split("_and_")
        missing = [name for name in needs if importlib.util.find_spec(name) is None] or needs
        raise RecreateError(f"{cls_name} needs {' and '.join(missing)}, which is not installed "
                            "(pip install 'aigif[recreate]' installs it)", code="cannot-honour", path="model.scheduler")
    parameters = inspect.signature(cls.__init__).parameters.values()  # diffusers wraps __init__: ask inspect
    accepted = {p.name for p in parameters if p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    unhonoured = [key for key in option_arguments(model) if key not in accepted and key not in model.scheduler_config]
    unknown = sorted(set(arguments) - accepted - set(unhonoured))
    if unknown:
        raise RecreateError(f"{cls_name} has no option(s) {', '.join(unknown)}", code="cannot-honour",
                            path="model.scheduler_config" if set(unknown) & set(model.scheduler_config)
                            else "model.scheduler")
    for key in unhonoured:
        del arguments[key]
    return cls, arguments, [f"{cls_name} has no option {key}: the file's {_OPTION_WORDS[key]} cannot be honoured"
                            for key in unhonoured]


def build(model: Model, base_config: dict, seed: int | None = None):
    """A diffusers scheduler for ``model``, from the model's default configuration. A scheduler
    option the class cannot honour is left out (``preflight`` refused it unless forced).

    A scheduler that draws noise of its own (``DPMSolverSDEScheduler``'s Brownian tree) gets ``seed``,
    the file's seed, as A1111 and ComfyUI seed it, unless the configuration (field 3) names one:
    left unseeded, it would take one from torch's global generator and differ from run to run."""
    cls, arguments, _ = resolve(model)
    if seed is not None and "noise_sampler_seed" not in arguments \
            and "noise_sampler_seed" in inspect.signature(cls.__init__).parameters:
        arguments["noise_sampler_seed"] = seed
    try:
        return cls.from_config(base_config, **arguments)
    except Exception as err:  # noqa: BLE001 - diffusers refuses bad values with many kinds of error
        raise RecreateError(f"{cls.__name__} refuses the file's options: {type(err).__name__}: {err}",
                            code="cannot-honour", path="model.scheduler_config") from None
