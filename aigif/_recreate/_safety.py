"""What a file may make the recreator spend or touch, decided from the file alone, before torch is imported.

The spec's limits (section 8, R5.4, 6.7) bound what a *reader* accepts: sides up to 16,384 pixels,
10,000 steps, 65,535 threads. Running a diffusion model at those values would take hours and more
memory than most machines have, so the recreator has its own, smaller ``Budget``, which the user
(not the file) may raise: ``aigif recreate --max-pixels/--max-steps/--max-threads``. Everything
here is cheap, so a refusal costs milliseconds and loads nothing (reproducibility notes §5,
"validate all numeric fields ... before touching torch").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from .._errors import RecreateError
from .._format._model import AigifFile
from . import _models


#: The data types recreation can generate in (the engine maps each to torch's); torch-free, for the CLI.
DTYPES = ("float32", "float16", "bfloat16")


class Problem(NamedTuple):
    """Something in a file that recreation cannot honour but ``force`` may ignore: what, and the field."""

    message: str
    path: str  # the field, as ``RecreateError.path`` names it: "data.rng", "model.scheduler_options", ...


@dataclass(frozen=True)
class Budget:
    """The most one recreation may ask for; raise a value to recreate a larger file."""

    max_pixels: int = 2048 * 2048  # width x height; SDXL and Flux sizes fit, 16,384^2 does not
    max_steps: int = 1000
    max_threads: int = 256  # field 8 is replayed with torch.set_num_threads (R6.7 allows 65,535)

    @classmethod
    def of(cls, max_pixels: int | None = None, max_steps: int | None = None,
           max_threads: int | None = None) -> Budget:
        """The default budget with the limits given raised (or lowered); ``None`` keeps a default."""
        given = {"max_pixels": max_pixels, "max_steps": max_steps, "max_threads": max_threads}
        return cls(**{name: value for name, value in given.items() if value is not None})

    def check(self, obj: AigifFile) -> None:
        """Refuse (``limit-exceeded``) a file beyond this budget, naming the option that raises it."""
        data, threads = obj.data, obj.platform.threads
        pixels = data.width * data.height
        if pixels > self.max_pixels:
            raise RecreateError(f"{data.width}x{data.height} is {pixels:,} pixels, over the recreation budget of "
                                f"{self.max_pixels:,} (--max-pixels raises it)", code="limit-exceeded", path="data")
        if data.steps > self.max_steps:
            raise RecreateError(f"{data.steps:,} steps is over the recreation budget of {self.max_steps:,} "
                                "(--max-steps raises it)", code="limit-exceeded", path="data.steps")
        width, height = data.width, data.height
        for index, step in enumerate(data.passes):  # R6.9: each pass at its size (absent: the one before)
            width, height = step.width or width, step.height or height
            where = f"data.passes[{index}]"
            if width * height > self.max_pixels:
                raise RecreateError(f"pass {index + 2} at {width}x{height} is {width * height:,} pixels, over the "
                                    f"recreation budget of {self.max_pixels:,} (--max-pixels raises it)",
                                    code="limit-exceeded", path=where)
            if (step.steps or 0) > self.max_steps:
                raise RecreateError(f"pass {index + 2} has {step.steps:,} steps, over the recreation budget of "
                                    f"{self.max_steps:,} (--max-steps raises it)", code="limit-exceeded", path=where)
        for name in ("init_image", "mask"):  # R6.10: decoded before anything runs
            image = getattr(obj.payload, name)
            if image is not None and image.width * image.height > self.max_pixels:
                raise RecreateError(f"the {name.replace('_', ' ')} is {image.width}x{image.height}, "
                                    f"{image.width * image.height:,} pixels, over the recreation budget of "
                                    f"{self.max_pixels:,} (--max-pixels raises it)", code="limit-exceeded",
                                    path=f"payload.{name}")
        if threads is not None and threads > self.max_threads:
            raise RecreateError(f"{threads:,} threads is over the recreation budget of {self.max_threads:,} "
                                "(--max-threads raises it)", code="limit-exceeded", path="platform.threads")


def screen(obj: AigifFile, budget: Budget = Budget()) -> None:
    """The refusals that need neither torch nor a model, and that stored pixels do not excuse: a
    file over ``budget`` (``limit-exceeded``) or naming its model by a path (``model-refused``).
    ``recreate`` runs this first; what cannot be honoured is decided later, by ``preflight``."""
    budget.check(obj)
    _models.check_name(obj.model)
    named = [("model.vae", obj.model.vae.name)] if obj.model.vae is not None else []
    for path, name in named + [("model.adapters", a.name) for a in obj.model.adapters]:
        if not _models._plain_folder_name(name):  # found by file name under --model-dir (_resources)
            raise RecreateError(f"{name!r} is not a plain file name; it could name a path outside the model "
                                "directories", code="model-refused", path=path)
