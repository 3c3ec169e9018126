"""tools/bench/measure_size_floor.py: the options for issue 6's size target, measured."""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2] / "tools" / group) for group in ("format", "bench")]

import measure_size_floor as floor  # noqa: E402

TABLE = ({"masterpiece": 6, "1girl": 3, "solo": 1}, {"lowres": 8, "bad hands": 2})
RECORDS = [
    {"prompt": "masterpiece, 1girl, solo, a castle on a hill at dusk", "negative_prompt": "lowres, bad hands",
     "seed": 42, "steps": 20, "cfg": 7, "width": 512, "height": 512, "model": "someMix_v3"},
    {"prompt": "masterpiece, 1girl", "negative_prompt": "lowres, grainy film", "seed": 7, "steps": 30, "cfg": 5.5,
     "width": 832, "height": 1216, "model": None},
    {"prompt": "", "negative_prompt": "", "seed": 1, "steps": 4, "cfg": 1, "width": 64, "height": 64},
]


def test_phrase_bound_costs_frequencies_escapes_and_separators():
    residual: list[str] = []
    counts = TABLE[0]
    end = -math.log2(1 / 30)
    assert floor.phrase_bound_bits("", counts, 0.25, residual) == 1.0
    known = floor.phrase_bound_bits("masterpiece, 1girl", counts, 0.25, residual)
    expected = 2 * 1.0 - math.log2(0.75 * 6 / 10) - math.log2(0.75 * 3 / 10) + end
    assert math.isclose(known, expected) and residual == []
    odd = floor.phrase_bound_bits("masterpiece,1girl", counts, 0.25, residual)  # a non-standard separator
    assert odd > known
    floor.phrase_bound_bits("masterpiece, a red bicycle", counts, 0.25, residual)
    assert residual == ["a red bicycle"]


def test_measure_projects_every_option_below_the_shipped_size():
    result = floor.measure(RECORDS, TABLE)
    projected = result["projected_file_mean"]
    sizes = list(projected.values())
    assert sizes[0] == result["mean"]["file"]
    assert all(later <= earlier + 1e-9 for earlier, later in zip(sizes, sizes[1:4]))  # each saving adds up
    assert 0 < result["escape_rate"] < 1
    assert result["ratio_to_paper"]["shipped (as bench.py)"] == projected["shipped (as bench.py)"] / result["paper_mean"]
