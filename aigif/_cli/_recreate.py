"""``aigif save``, ``aigif recreate`` and ``aigif verify``: the commands that run diffusers.

They import torch only when they run, so ``aigif info`` and ``aigif build`` stay fast and light.
Every output is checked before the model is loaded; one image shows its diffusion steps on
standard error (when that is a terminal), a batch its files.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

import aigif

from .._errors import AigifError, FileError, UsageError
from .._format._fields import SIGMAS, SPACINGS
from .._format._read import read
from . import _progress
from ._app import BadUsage, app
from ._output import check_output, write_output
from ._text import concerning, error_line, fit, plain, shown

#: The recreation budget's options (``aigif._recreate._safety.Budget``; defaults checked by the tests).
MAX_PIXELS_HELP = "Refuse images over N pixels, width x height (default 4,194,304 = 2048x2048)."
MAX_STEPS_HELP = "Refuse files with over N steps (default 1,000)."
MAX_THREADS_HELP = "Refuse files recorded with over N threads (default 256)."
DETERMINISM_HELP = ("portable (default on the CPU): the same pixels on any x86-64 CPU with AVX2, at any thread count; "
                    "native: the fastest kernels, bit-exact on the same CPU model and thread count only.")
SCHEDULER_HELP = ("ddim, pndm, lms, euler, euler_a, heun, dpmpp_2m, dpmpp_2m_sde, dpmpp_sde, dpm2, dpm2_a, unipc, "
                  "deis, lcm, tcd (default: the model's own)")
MODEL_DIR_HELP = "Look for models in DIR (repeatable): a diffusers folder named after the model."
DOWNLOAD_HELP = "Fetch a missing model from the Hugging Face Hub."
DEVICE_HELP = "cpu, cuda, cuda:N or mps."
HIRES_UPSCALER_HELP = ("With --hires-scale: latent (default), latent-antialiased, latent-bicubic, "
                       "latent-bicubic-antialiased, latent-nearest, latent-nearest-exact, none, lanczos, nearest.")


class Determinism(str, Enum):
    """The ``--determinism`` choices (a wrong one is a usage error, exit 2)."""

    portable = "portable"
    native = "native"


#: = aigif._recreate._safety.DTYPES (tests/cli/test_cli_package.py checks): importing that module here
#: would import the recreator for every command.
DTYPES = ("float32", "float16", "bfloat16")
# The choices below come from the tables that define them (a wrong one is a usage error, exit 2).
Dtype = Enum("Dtype", {name: name for name in DTYPES}, type=str)  # type: ignore[misc]  # the data types save can use
Sigmas = Enum("Sigmas", {name: name for name in SIGMAS[1:]}, type=str)  # type: ignore[misc]  # field 1, not "default"
Spacing = Enum("Spacing", {name: name for name in SPACINGS[1:]}, type=str)  # type: ignore[misc]


def _choices(enum) -> str:
    return "|".join(member.value for member in enum)


@app.command()
def save(
    output: str = typer.Argument(..., metavar="OUT.aigif", help="The .aigif file to write."),
    prompt: str = typer.Option(..., "--prompt", metavar="TEXT", help="The prompt."),
    model: str = typer.Option("aigif-tiny-sd", "--model", metavar="NAME",
                              help="A model of the registry, or a local name."),
    negative_prompt: str = typer.Option("", "--negative-prompt", metavar="TEXT", help="The negative prompt."),
    width: Optional[int] = typer.Option(None, "--width", metavar="PIXELS", min=1, max=16384,
                                        help="Width in pixels (default: the model's)."),
    height: Optional[int] = typer.Option(None, "--height", metavar="PIXELS", min=1, max=16384,
                                         help="Height in pixels (default: the model's)."),
    seed: Optional[int] = typer.Option(None, "--seed", metavar="N",
                                       help="Seed, 0..2^64-1 (default: random, recorded)."),
    steps: int = typer.Option(25, "--steps", metavar="N", min=1, max=10_000, help="Diffusion steps."),
    guidance: float = typer.Option(7.5, "--guidance", metavar="SCALE", help="Guidance scale."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="NAME", help=SCHEDULER_HELP),
    karras: bool = typer.Option(False, "--karras", help="Karras sigmas."),
    sigmas: Optional[Sigmas] = typer.Option(None, "--sigmas", metavar=_choices(Sigmas), help="The sigmas."),
    timestep_spacing: Optional[Spacing] = typer.Option(None, "--timestep-spacing", metavar=_choices(Spacing),
                                                       help="The timestep spacing."),
    dtype: Dtype = typer.Option(Dtype("float32"), "--dtype", metavar=_choices(Dtype), help="The data type."),
    device: str = typer.Option("cpu", "--device", metavar="DEVICE", help=DEVICE_HELP),
    determinism: Determinism = typer.Option(Determinism.portable, "--determinism", metavar=_choices(Determinism),
                                            help=DETERMINISM_HELP),
    image: Optional[Path] = typer.Option(None, "--image", metavar="OUT.png", help="Also write the image as PNG."),
    save_pixels: bool = typer.Option(False, "--save-pixels",
                                     help="Embed the pixels losslessly (the smallest of PNG, WebP, JPEG XL)."),
    pixel_codec: Optional[str] = typer.Option(None, "--pixel-codec", metavar="png|webp|jpegxl",
                                              help="With --save-pixels: this codec instead of the smallest."),
    pixel_digest: bool = typer.Option(False, "--pixel-digest", help="Record the SHA-256 of the pixels."),
    model_dir: List[Path] = typer.Option([], "--model-dir", metavar="DIR", help=MODEL_DIR_HELP),
    allow_download: bool = typer.Option(False, "--allow-download", help=DOWNLOAD_HELP),
    force: bool = typer.Option(False, "--force", help="Overwrite existing outputs."),
    max_pixels: Optional[int] = typer.Option(None, "--max-pixels", min=1, metavar="N", help=MAX_PIXELS_HELP),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", min=1, metavar="N", help=MAX_STEPS_HELP),
    max_threads: Optional[int] = typer.Option(None, "--max-threads", min=1, metavar="N", help=MAX_THREADS_HELP),
    init_image: Optional[Path] = typer.Option(None, "--init-image", metavar="IMAGE",
                                              help="Image to image from IMAGE (stored in the file; needs --strength)."),
    strength: Optional[float] = typer.Option(None, "--strength", min=0.0, max=1.0, metavar="X",
                                             help="With --init-image: the denoising strength, 0-1."),
    mask: Optional[Path] = typer.Option(None, "--mask", metavar="IMAGE",
                                        help="With --init-image: inpaint where IMAGE is white (stored in the file)."),
    hires_scale: Optional[float] = typer.Option(None, "--hires-scale", min=0.0, metavar="X",
                                                help="Hires fix: a second pass at X times the size."),
    hires_strength: float = typer.Option(0.5, "--hires-strength", min=0.0, max=1.0, metavar="X",
                                         help="With --hires-scale: its denoising strength (default 0.5)."),
    hires_upscaler: Optional[str] = typer.Option(None, "--hires-upscaler", metavar="NAME", help=HIRES_UPSCALER_HELP),
    hires_steps: Optional[int] = typer.Option(None, "--hires-steps", min=1, max=10_000, metavar="N",
                                              help="With --hires-scale: the steps it runs (default: --steps)."),
    vae: Optional[str] = typer.Option(None, "--vae", metavar="NAME",
                                      help="A separate VAE: its file name under --model-dir (models/VAE, models/vae)."),
    lora: List[str] = typer.Option([], "--lora", metavar="NAME[:WEIGHT]",
                                   help="A LoRA under --model-dir (models/Lora, models/loras), weight 1 unless given; "
                                        "repeatable."),
    embedding: List[str] = typer.Option([], "--embedding", metavar="NAME",
                                        help="A textual-inversion embedding under --model-dir (embeddings); the "
                                             "prompts trigger it by its name. Repeatable."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Generate an image with diffusers and record it as an AIGIF file."""

    if seed is not None and not 0 <= seed < 2**64:
        raise BadUsage(f"--seed {seed} is outside 0..2^64-1")
    if pixel_codec is not None and not save_pixels:
        raise BadUsage("--pixel-codec needs --save-pixels")
    if karras and sigmas not in (None, Sigmas("karras")):
        raise BadUsage("--karras contradicts --sigmas")
    if image is not None and os.path.abspath(image) == os.path.abspath(output):
        raise BadUsage("--image names OUT.aigif itself; give another file")
    if (init_image is None) != (strength is None):
        raise BadUsage("--init-image and --strength go together")
    if mask is not None and init_image is None:
        raise BadUsage("--mask needs --init-image")
    for given, name in ((hires_upscaler, "--hires-upscaler"), (hires_steps, "--hires-steps")):
        if given is not None and hires_scale is None:
            raise BadUsage(f"{name} needs --hires-scale")
    adapters = [_lora(value) for value in lora] + [aigif.Adapter(name, kind="embedding") for name in embedding]
    recreation = aigif._recreation()  # a missing 'recreate' extra is one line (no torch yet)
    from .._recreate._passes import LATENT, PIXEL  # no torch
    from .._recreate._schedulers import SCHEDULERS  # no torch

    if hires_upscaler is not None and hires_upscaler not in LATENT and hires_upscaler not in PIXEL:
        raise BadUsage(f"--hires-upscaler {hires_upscaler!r} is not one of {', '.join([*LATENT, *PIXEL])}")

    if scheduler is not None and scheduler not in SCHEDULERS:
        raise BadUsage(f"--scheduler {scheduler!r} is not one of {', '.join(SCHEDULERS)}")
    if pixel_codec is not None:
        from .. import _pixels

        if pixel_codec not in _pixels.available():
            raise BadUsage(f"--pixel-codec {pixel_codec!r} is not one of {', '.join(_pixels.available())} "
                           "(JPEG XL needs imagecodecs)")
    from .._format._model import SchedulerOptions

    options = SchedulerOptions(sigmas="karras" if karras else (sigmas.value if sigmas else "default"),
                               timestep_spacing=timestep_spacing.value if timestep_spacing else "default")
    for target in (output, image):  # before the work (the library refuses again at the move)
        if target is not None:
            check_output(target, force)
    passes = []
    if hires_scale is not None:  # the pass's size is the first's times the scale, as A1111's 'Upscale by'
        from .._format._model import Pass
        from .._recreate._models import entry_for

        default = entry_for(aigif.Model(id=model)).default_size
        passes.append(Pass("hires", hires_strength, width=int((width or default) * hires_scale),
                           height=int((height or default) * hires_scale), upscaler=hires_upscaler, steps=hires_steps))
    started = time.perf_counter()
    profile = recreation._determinism.for_save(determinism.value, device)  # portable means nothing on a GPU
    with _progress.steps(f"generating with {model}") as bar:
        obj, picture = recreation.save(
            output, prompt=prompt, model=model, negative_prompt=negative_prompt, width=width, height=height,
            seed=seed, steps=steps, guidance_scale=guidance, scheduler=scheduler, scheduler_options=options,
            dtype=dtype.value, device=device, save_pixels=(pixel_codec or True) if save_pixels else False,
            pixel_digest=pixel_digest, image_path=image, model_dirs=model_dir, allow_download=allow_download,
            overwrite=force, budget=recreation.Budget.of(max_pixels, max_steps, max_threads),
            determinism=profile, progress=bar, passes=passes, init_image=init_image, mask=mask, strength=strength,
            vae=vae, adapters=adapters)
    applied = recreation._determinism.apply(profile)
    size = Path(output).stat().st_size
    raw = obj.data.width * obj.data.height * 3
    png = len(recreation._engine.encode_png(picture))
    pixels = obj.payload.pixels
    summary = {"file": output, "aigif_bytes": size, "raw_pixel_bytes": raw, "png_bytes": png,
               "pixel_codec": None if pixels is None else obj.compression.pixel_compressor,
               "pixel_bytes": None if pixels is None else len(pixels),
               "seed": obj.data.seed, "model": obj.model.id, "scheduler": obj.model.scheduler,
               "determinism": obj.platform.determinism_profile, "determinism_reasons": list(applied.reasons),
               "seconds": round(time.perf_counter() - started, 3), "image": str(image) if image else None}
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")
        return
    console = Console(highlight=False, soft_wrap=True)
    sizes = f"raw pixels {raw:,} bytes, PNG {png:,} bytes"
    if pixels is None:
        console.print(plain(f"wrote {output}: {size:,} bytes for a {obj.data.width}x{obj.data.height} image "
                            f"({sizes}; {_fraction(size, raw)} of the pixels)"))
    else:
        console.print(plain(f"wrote {output}: {size:,} bytes for a {obj.data.width}x{obj.data.height} image "
                            f"({sizes})"))
        console.print(plain(f"pixels stored losslessly as {obj.compression.pixel_compressor}: {len(pixels):,} bytes, "
                            f"{_fraction(len(pixels), raw)} of the raw pixels; the syntax takes the other "
                            f"{size - len(pixels):,} bytes"))
    console.print(plain(f"seed {obj.data.seed}, {obj.model.scheduler}, {obj.data.steps} steps, "
                        f"{summary['seconds']:.1f} s" + (f"; image {image}" if image else "")))
    console.print(plain(applied.summary))


@app.command()
def recreate(
    files: List[str] = typer.Argument(..., metavar="FILE", help="AIGIF files to recreate."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", metavar="OUT.png",
                                          help="The image to write (one FILE only)."),
    out_dir: Optional[Path] = typer.Option(None, "--out-dir", metavar="DIR",
                                           help="Write NAME.png in DIR for each FILE (DIR is created if missing)."),
    device: str = typer.Option("cpu", "--device", metavar="DEVICE", help=DEVICE_HELP),
    model_dir: List[Path] = typer.Option([], "--model-dir", metavar="DIR", help=MODEL_DIR_HELP),
    allow_download: bool = typer.Option(False, "--allow-download", help=DOWNLOAD_HELP),
    force: bool = typer.Option(False, "--force", help="Overwrite outputs; recreate what cannot be honoured."),
    max_pixels: Optional[int] = typer.Option(None, "--max-pixels", min=1, metavar="N", help=MAX_PIXELS_HELP),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", min=1, metavar="N", help=MAX_STEPS_HELP),
    max_threads: Optional[int] = typer.Option(None, "--max-threads", min=1, metavar="N", help=MAX_THREADS_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON result per file on stdout."),
) -> None:
    """Recreate images from AIGIF files (each model is loaded once)."""
    if output is not None and out_dir is not None:
        raise BadUsage("-o/--output and --out-dir exclude each other")
    if output is not None and len(files) != 1:
        raise BadUsage(f"-o/--output takes exactly one FILE ({len(files)} given); --out-dir DIR takes many")
    targets = [output if output else (out_dir or Path(name).parent) / (Path(name).stem + ".png") for name in files]
    _distinct(targets, "FILE")
    for name, target in zip(files, targets):  # every output, before anything is read or loaded
        if output is not None or out_dir is not None or os.path.lexists(name):  # else: the read says "no such file"
            check_output(target, force, create_folder=out_dir is not None)
    recreation = aigif._recreation()
    budget = recreation.Budget.of(max_pixels, max_steps, max_threads)
    engine = None  # made (importing torch) for the first file that passes the screening
    single = len(files) == 1
    console = Console(highlight=False, stderr=as_json, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    rows, failures = [], 0
    bar = _progress.steps(f"recreating {files[0]}", console=errors) if single else \
        _progress.files("recreating", len(files), console=errors)
    with bar:
        for name, target in zip(files, targets):
            started = time.perf_counter()
            announce = (lambda e: console.print(plain(f"platform: {e.summary}"))) if single and not as_json else None
            try:
                obj = read(name)
                recreation.screen(obj, budget)  # unsafe or over budget: refused before torch is imported
                recreation.prepare_for(obj, device)  # the file's determinism profile, before torch
                engine = engine or recreation.Engine(device=device, model_dirs=list(model_dir),
                                                     allow_download=allow_download)
                result = recreation.recreate(obj, force=force, engine=engine, announce=announce, budget=budget,
                                             progress=bar)
                write_output(target, recreation._engine.encode_png(result.image), force,
                             create_folder=out_dir is not None)
            except AigifError as error:
                failures += 1
                rows.append({"file": name, "ok": False, "error": error.code, "message": error.message})
                errors.print(error_line(error, name))
            else:
                row = {"file": name, "ok": True, "image": str(target), **result.report(),
                       "seconds": round(time.perf_counter() - started, 3)}
                rows.append(row)
                if single and not as_json:
                    _describe(console, target, result)
            if not single:
                bar.advance()
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row) + "\n")
    elif not single:
        _summary(console, rows)
    if failures:
        raise typer.Exit(1)


@app.command()
def verify(
    file: str = typer.Argument(..., metavar="FILE.aigif", help="The AIGIF file."),
    image: Path = typer.Argument(..., metavar="IMAGE.png", help="The image to compare with."),
    device: str = typer.Option("cpu", "--device", metavar="DEVICE", help=DEVICE_HELP),
    model_dir: List[Path] = typer.Option([], "--model-dir", metavar="DIR", help=MODEL_DIR_HELP),
    allow_download: bool = typer.Option(False, "--allow-download", help=DOWNLOAD_HELP),
    force: bool = typer.Option(False, "--force", help="Recreate even what cannot be honoured."),
    max_pixels: Optional[int] = typer.Option(None, "--max-pixels", min=1, metavar="N", help=MAX_PIXELS_HELP),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", min=1, metavar="N", help=MAX_STEPS_HELP),
    max_threads: Optional[int] = typer.Option(None, "--max-threads", min=1, metavar="N", help=MAX_THREADS_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
) -> None:
    """Recreate FILE and compare it with IMAGE: identical, or PSNR, MS-SSIM and largest difference."""
    with concerning(file):
        read(file)  # a bad file is reported before anything heavy happens
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(image) as opened:
            reference = opened.convert("RGB")
    except FileNotFoundError:
        raise FileError(f"{image}: no such image", code="not-found") from None
    except (UnidentifiedImageError, OSError) as err:
        raise UsageError(f"{image} is not an image Pillow can read ({err})", code="invalid-value") from None
    recreation = aigif._recreation()
    with _progress.steps(f"recreating {file}") as bar, concerning(file):
        result = recreation.recreate(file, device=device, model_dirs=model_dir, allow_download=allow_download,
                                     force=force, budget=recreation.Budget.of(max_pixels, max_steps, max_threads),
                                     progress=bar)
    if result.image.size != reference.size:
        raise UsageError(f"{image} is {reference.size[0]}x{reference.size[1]}, the file's image is "
                         f"{result.image.size[0]}x{result.image.size[1]}", code="invalid-value")
    comparison = recreation.compare(result.image, reference)
    if as_json:
        sys.stdout.write(json.dumps({**comparison.to_json(), "recreation": result.report()}) + "\n")
    else:
        Console(highlight=False, soft_wrap=True).print(plain(f"{file} vs {image}: {comparison.describe()}"))
    if not comparison.identical:
        raise typer.Exit(3)


def _distinct(targets: list[Path], what: str) -> None:
    """Two inputs must not be written to one output (the same FILE twice, or one name in two folders)."""
    seen: dict[str, Path] = {}
    for target in targets:
        key = os.path.normcase(os.path.abspath(target))
        if key in seen:
            raise BadUsage(f"two {what}s would be written to the same file, {target} (the same {what} given twice, "
                           "or one name in two folders?)")
        seen[key] = target


def _lora(value: str) -> aigif.Adapter:
    """``--lora NAME[:WEIGHT]``: the weight after the last colon, when it is a number (A1111's ``<lora:NAME:W>``)."""
    name, colon, weight = value.rpartition(":")
    if not colon:
        name, weight = value, "1"
    try:
        number = float(weight)
    except ValueError:
        raise BadUsage(f"--lora {value!r}: the weight after ':' must be a number") from None
    if not name or not math.isfinite(number):
        raise BadUsage(f"--lora {value!r} is not NAME[:WEIGHT]")
    return aigif.Adapter(name, weight=number)


def _fraction(part: int, whole: int) -> str:
    """``1/94`` for a small part, ``79.3%`` for a large one."""
    return f"1/{whole // max(part, 1):,}" if part * 2 <= whole else f"{part / whole:.1%}"


def _describe(console: Console, target: Path, result) -> None:
    if result.determinism is not None:
        console.print(plain(result.determinism.summary))
    if result.weights:
        console.print(plain(f"weights: {result.weights}"))
    for note in result.notes:
        console.print(plain(f"note: {note}"))
    console.print(plain(f"wrote {target} ({result.source})"))
    console.print(plain(result.bit_exact))


def _summary(console: Console, rows: list[dict]) -> None:
    table = Table(title="recreate", title_justify="left")
    for column in ("file", "result", "image"):
        table.add_column(column, overflow="fold")
    table.add_column("seconds", justify="right", no_wrap=True)
    for row in rows:
        result = row["bit_exact"] if row["ok"] else f"error [{row['error']}]"
        image = shown(row["image"]) if row.get("image") else ""
        table.add_row(plain(shown(row["file"])), plain(result), plain(image), str(row.get("seconds", "")))
    fit(console, table)
    console.print(table)
    done = sum(row["ok"] for row in rows)
    verified = sum(row["ok"] and (row["digest"] == "verified" or row.get("stored_pixels") == "identical")
                   for row in rows)
    console.print(plain(f"{done} of {len(rows)} recreated, {verified} verified bit-exact, "
                        f"{len(rows) - done} failed"))
