"""Image comparison used by ``aigif verify`` (``aigif._recreate._metrics``).

Issue requirement (verify): "compare a recreated image with a reference: report *identical*, or an
exact PSNR, MS-SSIM and the largest absolute difference"; reproducibility notes §6: identical
images are reported as identical, never as a capped PSNR such as 80 or 100 dB.

No model is loaded here; these tests are fast.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("torch")
from PIL import Image  # noqa: E402

from aigif._recreate import _metrics  # noqa: E402
from aigif._recreate._metrics import compare  # noqa: E402


def _picture(width: int = 96, height: int = 64, seed: int = 0) -> np.ndarray:
    """A structured 8-bit RGB image (gradients, a disc, a checkerboard, a little texture)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    r = (x * 255 // max(width - 1, 1)).astype(np.int64)
    g = (y * 255 // max(height - 1, 1)).astype(np.int64)
    disc = ((x - width / 2) ** 2 + (y - height / 2) ** 2 < (min(width, height) / 3) ** 2) * 120
    checker = (((x // 8) + (y // 8)) % 2) * 60
    b = disc + checker + rng.integers(0, 40, size=(height, width))
    return np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)


def _image(array: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(array, dtype=np.uint8), "RGB")


def test_identical_images_are_identical_not_a_capped_psnr():
    """Notes §6: identical -> ``identical``, PSNR ``None`` (never 80/100 dB), MS-SSIM exactly 1, diff 0."""
    a = _picture()
    result = compare(_image(a), _image(a.copy()))
    assert result.identical is True
    assert result.psnr is None
    assert result.ms_ssim == 1.0
    assert result.max_abs_diff == 0
    assert result.describe() == "identical"
    assert result.to_json() == {"identical": True, "psnr_db": None, "ms_ssim": 1.0, "max_abs_diff": 0}


def test_off_by_one_everywhere_is_mse_1_and_exact_psnr():
    """Exact PSNR from the exact MSE: every value differs by exactly 1 -> MSE 1 -> 10*log10(255^2) dB."""
    a = _picture().astype(np.int64)
    b = np.where(a < 255, a + 1, a - 1)  # |a - b| == 1 in every value
    result = compare(_image(a), _image(b))
    assert result.identical is False
    assert result.psnr == pytest.approx(10 * math.log10(255.0**2), abs=1e-9)
    assert result.psnr == pytest.approx(48.1308036086791, abs=1e-9)
    assert result.max_abs_diff == 1
    assert "PSNR 48.13 dB" in result.describe()
    assert "max |difference| 1" in result.describe()


@pytest.mark.parametrize("mse_numerator, denominator", [(2, 1), (1, 4), (255**2, 1)])
def test_psnr_follows_the_exact_mse(mse_numerator, denominator):
    """PSNR = 10*log10(255^2 / MSE) with MSE computed exactly over every 8-bit value (no epsilon)."""
    height, width = 32, 32
    a = np.zeros((height, width, 3), dtype=np.int64)
    b = a.copy()
    total = height * width * 3
    flat = b.reshape(-1)
    if mse_numerator == 2:  # half of the values differ by 2 -> MSE 2
        flat[: total // 2] = 2
        expected_mse = 2.0
    elif mse_numerator == 1:  # a quarter of the values differ by 1 -> MSE 0.25
        flat[: total // 4] = 1
        expected_mse = 0.25
    else:  # black vs white -> MSE 255^2 -> 0 dB
        flat[:] = 255
        expected_mse = 255.0**2
    result = compare(_image(a), _image(b))
    assert result.psnr == pytest.approx(10 * math.log10(255.0**2 / expected_mse), abs=1e-9)
    assert result.max_abs_diff == int(np.abs(b - a).max())


def test_max_abs_diff_is_the_largest_single_difference():
    """The largest |difference| of any one 8-bit value, even when only one pixel channel differs."""
    a = _picture()
    b = a.copy()
    b[5, 7, 2] = 255 - b[5, 7, 2] if b[5, 7, 2] != 127 else 0
    expected = abs(int(a[5, 7, 2]) - int(b[5, 7, 2]))
    result = compare(_image(a), _image(b))
    assert result.max_abs_diff == expected
    assert result.identical is False
    # one value out of 96*64*3 differs: MSE = expected^2 / n
    n = a.size
    assert result.psnr == pytest.approx(10 * math.log10(255.0**2 * n / expected**2), abs=1e-9)


def test_ms_ssim_decreases_with_noise_and_stays_in_0_1():
    """MS-SSIM falls as noise grows and stays strictly between 0 and 1 for noisy copies."""
    a = _picture(128, 128, seed=1)
    rng = np.random.default_rng(7)
    values = []
    for sigma in (2, 10, 40):
        noisy = np.clip(a.astype(np.float64) + rng.normal(0, sigma, a.shape), 0, 255).round().astype(np.uint8)
        result = compare(_image(a), _image(noisy))
        assert not result.identical
        assert 0.0 < result.ms_ssim < 1.0
        values.append(result.ms_ssim)
    assert values[0] > values[1] > values[2], values


def test_ms_ssim_is_symmetric():
    """MS-SSIM(a, b) == MS-SSIM(b, a) (to rounding)."""
    a = _picture(64, 64, seed=2)
    b = _picture(64, 64, seed=3)
    assert compare(_image(a), _image(b)).ms_ssim == pytest.approx(compare(_image(b), _image(a)).ms_ssim, rel=1e-12)


def test_size_mismatch_is_a_value_error():
    """Images of different sizes cannot be compared: ``ValueError`` naming both sizes."""
    with pytest.raises(ValueError, match="64x64.*64x32|64x32.*64x64"):
        compare(_image(_picture(64, 64)), _image(_picture(64, 32)))


def test_non_rgb_inputs_are_compared_as_rgb():
    """Inputs are compared as 8-bit RGB: an RGBA copy of an RGB image is identical to it."""
    a = _image(_picture())
    assert compare(a, a.convert("RGBA")).identical


def test_tiny_images_can_be_compared():
    """8x8 is the smallest size diffusion accepts (multiple of 8); comparing two such images must work."""
    a = np.zeros((8, 8, 3), dtype=np.uint8)
    b = a.copy()
    b[0, 0, 0] = 10
    result = compare(_image(a), _image(b))
    assert result.max_abs_diff == 10
    assert 0.0 < result.ms_ssim <= 1.0


def test_ms_ssim_function_directly_on_arrays():
    """``ms_ssim`` of an array with itself is 1 (to float rounding)."""
    a = _picture(64, 64)
    assert _metrics.ms_ssim(a, a.copy()) == pytest.approx(1.0, abs=1e-12)
