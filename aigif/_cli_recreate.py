"""``aigif save``, ``aigif recreate`` and ``aigif verify``: the commands that run diffusers.

They import torch only when they run, so ``aigif info`` and ``aigif build`` stay fast and light.
"""

from __future__ import annotations

import json
import sys
import time
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ._errors import AigifError, UsageError
from ._cli_output import refuse_existing, write_output
from ._format._read import read

#: The recreation budget's options (``aigif._recreate._safety.Budget``; defaults checked by the tests).
MAX_PIXELS_HELP = "Refuse images over N pixels, width x height (default 4,194,304 = 2048x2048)."
MAX_STEPS_HELP = "Refuse files with over N steps (default 1,000)."
MAX_THREADS_HELP = "Refuse files recorded with over N threads (default 256)."
DETERMINISM_HELP = ("portable (default on the CPU): the same pixels on any x86-64 CPU with AVX2, at any thread count; "
                    "native: the fastest kernels, bit-exact on the same CPU model and thread count only.")


class Determinism(str, Enum):
    """The ``--determinism`` choices (a wrong one is a usage error, exit 2)."""

    portable = "portable"
    native = "native"


SCHEDULER_HELP = ("ddim, pndm, lms, euler, euler_a, heun, dpmpp_2m, dpmpp_2m_sde, dpmpp_sde, dpm2, dpm2_a, unipc, "
                  "deis, lcm, tcd (default: the model's own)")


def register(app: typer.Typer, plain) -> None:
    """Add the commands to the ``aigif`` app (``plain`` makes file text safe to print)."""

    @app.command()
    def save(
        output: str = typer.Argument(..., metavar="OUT.aigif", help="The .aigif file to write."),
        prompt: str = typer.Option(..., "--prompt", help="The prompt."),
        model: str = typer.Option("aigif-tiny-sd", "--model", help="A model of the registry, or a local name."),
        negative_prompt: str = typer.Option("", "--negative-prompt", help="The negative prompt."),
        width: Optional[int] = typer.Option(None, "--width", help="Width in pixels (default: the model's)."),
        height: Optional[int] = typer.Option(None, "--height", help="Height in pixels (default: the model's)."),
        seed: Optional[int] = typer.Option(None, "--seed", help="Seed, 0..2^64-1 (default: random, recorded)."),
        steps: int = typer.Option(25, "--steps", help="Diffusion steps."),
        guidance: float = typer.Option(7.5, "--guidance", help="Guidance scale."),
        scheduler: Optional[str] = typer.Option(None, "--scheduler", help=SCHEDULER_HELP),
        karras: bool = typer.Option(False, "--karras", help="Karras sigmas."),
        sigmas: Optional[str] = typer.Option(None, "--sigmas", help="karras, exponential or beta sigmas."),
        timestep_spacing: Optional[str] = typer.Option(None, "--timestep-spacing", help="leading, linspace or trailing."),
        dtype: str = typer.Option("float32", "--dtype", help="float32, float16 or bfloat16."),
        device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:N or mps."),
        determinism: Determinism = typer.Option(Determinism.portable, "--determinism", help=DETERMINISM_HELP),
        image: Optional[Path] = typer.Option(None, "--image", help="Also write the image as PNG."),
        save_pixels: bool = typer.Option(False, "--save-pixels",
                                         help="Embed the pixels losslessly (the smallest of PNG, WebP, JPEG XL)."),
        pixel_codec: Optional[str] = typer.Option(None, "--pixel-codec",
                                                  help="With --save-pixels: png, webp or jpegxl instead of the smallest."),
        pixel_digest: bool = typer.Option(False, "--pixel-digest", help="Record the SHA-256 of the pixels."),
        model_dir: List[Path] = typer.Option([], "--model-dir", help="Look for models here (repeatable)."),
        allow_download: bool = typer.Option(False, "--allow-download", help="Fetch a missing model from the Hub."),
        force: bool = typer.Option(False, "--force", help="Overwrite existing outputs."),
        max_pixels: Optional[int] = typer.Option(None, "--max-pixels", min=1, metavar="N", help=MAX_PIXELS_HELP),
        max_steps: Optional[int] = typer.Option(None, "--max-steps", min=1, metavar="N", help=MAX_STEPS_HELP),
        max_threads: Optional[int] = typer.Option(None, "--max-threads", min=1, metavar="N", help=MAX_THREADS_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
    ) -> None:
        """Generate an image with diffusers and record it as an AIGIF file."""
        import aigif
        from ._format._model import SchedulerOptions

        if pixel_codec is not None:
            from . import _pixels

            if not save_pixels:
                raise UsageError("--pixel-codec needs --save-pixels", code="invalid-value")
            if pixel_codec not in _pixels.available():
                raise UsageError(f"--pixel-codec {pixel_codec!r} is not one of {', '.join(_pixels.available())} "
                                 "(JPEG XL needs imagecodecs)", code="invalid-value")
        if karras and sigmas not in (None, "karras"):
            raise UsageError("--karras contradicts --sigmas", code="invalid-value")
        options = SchedulerOptions(sigmas="karras" if karras else (sigmas or "default"),
                                   timestep_spacing=timestep_spacing or "default")
        for target in (output, image):  # before the work (the library refuses again at the move)
            if target is not None:
                refuse_existing(target, force)
        started = time.perf_counter()
        recreation = aigif._recreation()
        profile = recreation._determinism.for_save(determinism.value, device)  # portable means nothing on a GPU
        with _status(f"generating with {model}"):
            obj, picture = recreation.save(
                output, prompt=prompt, model=model, negative_prompt=negative_prompt, width=width, height=height,
                seed=seed, steps=steps, guidance_scale=guidance, scheduler=scheduler, scheduler_options=options,
                dtype=dtype, device=device, save_pixels=(pixel_codec or True) if save_pixels else False,
                pixel_digest=pixel_digest, image_path=image, model_dirs=model_dir, allow_download=allow_download,
                overwrite=force, budget=_budget(recreation, max_pixels, max_steps, max_threads),
                determinism=profile)
        applied = recreation._determinism.apply(profile)
        size = Path(output).stat().st_size
        raw = obj.data.width * obj.data.height * 3
        png = len(recreation._engine.encode_png(picture))
        summary = {"file": output, "aigif_bytes": size, "raw_pixel_bytes": raw, "png_bytes": png,
                   "seed": obj.data.seed, "model": obj.model.id, "scheduler": obj.model.scheduler,
                   "determinism": obj.platform.determinism_profile, "determinism_reasons": list(applied.reasons),
                   "seconds": round(time.perf_counter() - started, 3), "image": str(image) if image else None}
        if as_json:
            sys.stdout.write(json.dumps(summary) + "\n")
            return
        console = Console(highlight=False, soft_wrap=True)
        console.print(plain(f"wrote {output}: {size:,} bytes for a {obj.data.width}x{obj.data.height} image "
                            f"(raw pixels {raw:,} bytes, PNG {png:,} bytes; 1/{raw // max(size, 1):,} of the pixels)"))
        console.print(plain(f"seed {obj.data.seed}, {obj.model.scheduler}, {obj.data.steps} steps, "
                            f"{summary['seconds']:.1f} s" + (f"; image {image}" if image else "")))
        console.print(plain(applied.summary))

    @app.command()
    def recreate(
        files: List[str] = typer.Argument(..., metavar="FILE...", help="AIGIF files to recreate."),
        output: Optional[Path] = typer.Option(None, "-o", "--output", metavar="OUT.png",
                                              help="The image to write (one FILE only)."),
        out_dir: Optional[Path] = typer.Option(None, "--out-dir", help="Write NAME.png here for each FILE."),
        device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:N or mps."),
        model_dir: List[Path] = typer.Option([], "--model-dir", help="Look for models here (repeatable)."),
        allow_download: bool = typer.Option(False, "--allow-download", help="Fetch a missing model from the Hub."),
        force: bool = typer.Option(False, "--force", help="Overwrite outputs; recreate what cannot be honoured."),
        max_pixels: Optional[int] = typer.Option(None, "--max-pixels", min=1, metavar="N", help=MAX_PIXELS_HELP),
        max_steps: Optional[int] = typer.Option(None, "--max-steps", min=1, metavar="N", help=MAX_STEPS_HELP),
        max_threads: Optional[int] = typer.Option(None, "--max-threads", min=1, metavar="N", help=MAX_THREADS_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON result per file on stdout."),
    ) -> None:
        """Recreate images from AIGIF files (each model is loaded once)."""
        if output is not None and (len(files) != 1 or out_dir is not None):
            raise UsageError("-o/--output takes exactly one FILE and no --out-dir", code="invalid-value")
        recreation = __import__("aigif")._recreation()
        budget = _budget(recreation, max_pixels, max_steps, max_threads)
        engine = None  # made (importing torch) for the first file that passes the screening
        targets = [output if output else (out_dir or Path(name).parent) / (Path(name).stem + ".png") for name in files]
        for target in targets:
            refuse_existing(target, force)
        console = Console(highlight=False, stderr=as_json, soft_wrap=True)
        errors = Console(stderr=True, highlight=False, soft_wrap=True)
        rows, failures = [], 0
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=errors, transient=True, disable=len(files) == 1) as progress:
            task = progress.add_task("recreating", total=len(files))
            for name, target in zip(files, targets):
                started = time.perf_counter()
                announce = (lambda e: console.print(plain(f"platform: {e.summary}"))) \
                    if len(files) == 1 and not as_json else None
                try:
                    obj = read(name)
                    recreation.screen(obj, budget)  # unsafe or over budget: refused before torch is imported
                    recreation.prepare_for(obj, device)  # the file's determinism profile, before torch
                    engine = engine or recreation.Engine(device=device, model_dirs=list(model_dir),
                                                         allow_download=allow_download)
                    result = recreation.recreate(obj, force=force, engine=engine, announce=announce, budget=budget)
                    write_output(target, recreation._engine.encode_png(result.image), force)
                except AigifError as error:
                    failures += 1
                    rows.append({"file": name, "ok": False, "error": error.code, "message": error.message})
                    errors.print(plain(f"aigif: error: {name}: {error.message} [{error.code}]"))
                else:
                    row = {"file": name, "ok": True, "image": str(target), **result.report(),
                           "seconds": round(time.perf_counter() - started, 3)}
                    rows.append(row)
                    if len(files) == 1 and not as_json:
                        _describe(console, plain, name, target, result)
                progress.advance(task)
        if as_json:
            for row in rows:
                sys.stdout.write(json.dumps(row) + "\n")
        elif len(files) > 1:
            _summary(console, plain, rows)
        if failures:
            raise typer.Exit(1)

    @app.command()
    def verify(
        file: str = typer.Argument(..., metavar="FILE.aigif", help="The AIGIF file."),
        image: Path = typer.Argument(..., metavar="IMAGE.png", help="The image to compare with."),
        device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:N or mps."),
        model_dir: List[Path] = typer.Option([], "--model-dir", help="Look for models here (repeatable)."),
        allow_download: bool = typer.Option(False, "--allow-download", help="Fetch a missing model from the Hub."),
        force: bool = typer.Option(False, "--force", help="Recreate even what cannot be honoured."),
        max_pixels: Optional[int] = typer.Option(None, "--max-pixels", min=1, metavar="N", help=MAX_PIXELS_HELP),
        max_steps: Optional[int] = typer.Option(None, "--max-steps", min=1, metavar="N", help=MAX_STEPS_HELP),
        max_threads: Optional[int] = typer.Option(None, "--max-threads", min=1, metavar="N", help=MAX_THREADS_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
    ) -> None:
        """Recreate FILE and compare it with IMAGE: identical, or PSNR, MS-SSIM and largest difference."""
        from PIL import Image, UnidentifiedImageError

        read(file)  # a bad file is reported before anything heavy happens
        try:
            with Image.open(image) as opened:
                reference = opened.convert("RGB")
        except FileNotFoundError:
            raise UsageError(f"no such image: {image}", code="not-found") from None
        except (UnidentifiedImageError, OSError) as err:
            raise UsageError(f"{image} is not an image Pillow can read ({err})", code="invalid-value") from None
        recreation = __import__("aigif")._recreation()
        result = recreation.recreate(file, device=device, model_dirs=model_dir, allow_download=allow_download,
                                     force=force, budget=_budget(recreation, max_pixels, max_steps, max_threads))
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


def _budget(recreation, max_pixels: Optional[int], max_steps: Optional[int], max_threads: Optional[int]):
    """The recreation budget, with the defaults for the options not given."""
    given = {"max_pixels": max_pixels, "max_steps": max_steps, "max_threads": max_threads}
    return recreation.Budget(**{key: value for key, value in given.items() if value is not None})


def _status(text: str):
    return Console(stderr=True).status(text, spinner="dots")


def _describe(console: Console, plain, name: str, target: Path, result) -> None:
    if result.determinism is not None:
        console.print(plain(result.determinism.summary))
    if result.weights:
        console.print(plain(f"weights: {result.weights}"))
    for note in result.notes:
        console.print(plain(f"note: {note}"))
    console.print(plain(f"wrote {target} ({result.source})"))
    console.print(plain(result.bit_exact))


def _summary(console: Console, plain, rows: list[dict]) -> None:
    table = Table(title="recreate", title_justify="left")
    for column in ("file", "result", "image", "seconds"):
        table.add_column(column)
    for row in rows:
        result = row["bit_exact"] if row["ok"] else f"error [{row['error']}]"
        table.add_row(plain(row["file"]), plain(result), plain(row.get("image", "")), str(row.get("seconds", "")))
    console.print(table)
    done = sum(row["ok"] for row in rows)
    verified = sum(row["ok"] and row["digest"] == "verified" for row in rows)
    console.print(plain(f"{done} of {len(rows)} recreated, {verified} verified bit-exact, "
                        f"{len(rows) - done} failed"))
