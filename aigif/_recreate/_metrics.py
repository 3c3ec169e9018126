"""Comparing two 8-bit RGB images: exact PSNR, MS-SSIM and the largest difference.

PSNR is computed from the exact mean squared error of the uint8 values with a peak of 255; two
identical images are reported as identical (``psnr`` is ``None``), never as a capped number such as
80 or 100 dB (reproducibility notes §6: some libraries add an epsilon and print 80 dB).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

_MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)  # Wang, Simoncelli and Bovik, 2003


@dataclass(frozen=True)
class Comparison:
    identical: bool
    psnr: float | None  # dB; None when identical
    ms_ssim: float
    max_abs_diff: int

    def describe(self) -> str:
        if self.identical:
            return "identical"
        return f"PSNR {self.psnr:.2f} dB, MS-SSIM {self.ms_ssim:.6f}, max |difference| {self.max_abs_diff}"

    def to_json(self) -> dict:
        return {"identical": self.identical, "psnr_db": self.psnr, "ms_ssim": self.ms_ssim,
                "max_abs_diff": self.max_abs_diff}


def as_array(image) -> np.ndarray:
    return np.array(image.convert("RGB"), dtype=np.uint8)  # a writable copy, as torch.from_numpy wants


def compare(a, b) -> Comparison:
    x, y = as_array(a), as_array(b)
    if x.shape != y.shape:
        raise ValueError(f"images differ in size: {x.shape[1]}x{x.shape[0]} vs {y.shape[1]}x{y.shape[0]}")
    difference = x.astype(np.int64) - y.astype(np.int64)
    mse = float(np.mean(difference.astype(np.float64) ** 2))
    if mse == 0:
        return Comparison(True, None, 1.0, 0)
    return Comparison(False, 10 * math.log10(255.0**2 / mse), ms_ssim(x, y), int(np.abs(difference).max()))


def _gaussian(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float64) - size // 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    return g / g.sum()


def _ssim_parts(x: torch.Tensor, y: torch.Tensor, window: torch.Tensor):
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    channels = x.shape[1]
    w_h = window.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)
    w_v = window.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)

    def blur(t):
        return F.conv2d(F.conv2d(t, w_h, groups=channels), w_v, groups=channels)

    mu_x, mu_y = blur(x), blur(y)
    sigma_x = blur(x * x) - mu_x**2
    sigma_y = blur(y * y) - mu_y**2
    sigma_xy = blur(x * y) - mu_x * mu_y
    cs = (2 * sigma_xy + c2) / (sigma_x + sigma_y + c2)
    ssim = ((2 * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1)) * cs
    return ssim.mean().item(), cs.mean().item()


def ms_ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Multi-scale SSIM on RGB (mean over channels), as many scales (up to 5) as the size allows.

    Images smaller than the standard 11-pixel window use the largest odd window that fits.
    """
    side = min(x.shape[0], x.shape[1])
    window = _gaussian(min(11, side if side % 2 else side - 1))
    a = torch.from_numpy(x).permute(2, 0, 1)[None].to(torch.float64)
    b = torch.from_numpy(y).permute(2, 0, 1)[None].to(torch.float64)
    scales = 1
    while scales < 5 and min(a.shape[-2:]) // 2**scales >= len(window):
        scales += 1
    weights = torch.tensor(_MS_SSIM_WEIGHTS[:scales], dtype=torch.float64)
    weights = weights / weights.sum()
    values = []
    for level in range(scales):
        ssim, cs = _ssim_parts(a, b, window)
        values.append(max(ssim if level == scales - 1 else cs, 0.0))
        if level < scales - 1:
            a, b = F.avg_pool2d(a, 2), F.avg_pool2d(b, 2)
    return float(torch.prod(torch.tensor(values, dtype=torch.float64) ** weights))
