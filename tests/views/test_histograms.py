"""The histogram arithmetic of LayerStatsView: rebinning, log colour scales, sticky ranges."""

from __future__ import annotations

import numpy as np

from nnviz.views.histograms import nice_range, rebin, sticky_range


def test_rebin_keeps_totals_and_negative_ranges():
    counts, edges = [2, 4], [-1, 0, 1]  # 2 values in [-1, 0), 4 in [0, 1]
    np.testing.assert_allclose(rebin(counts, edges, [-2, -1, 0, 1, 2]), [0, 2, 4, 0])
    # Even spread within a bin: [-1, -0.5) holds half of 2, [-0.5, 0.5) half of 2 plus half of 4.
    np.testing.assert_allclose(rebin(counts, edges, [-1, -0.5, 0.5, 1]), [1, 3, 2])
    # A constant batch (min == max) goes whole into the bin holding it.
    np.testing.assert_allclose(rebin([5, 0], [0.3, 0.3, 0.3], [0, 0.5, 1]), [5, 0])
    # Many columns at once, each over its own range, equal the columns one by one.
    rng = np.random.default_rng(1)
    counts = rng.poisson(4, (20, 8)).astype(float)
    lows = rng.uniform(-5, 1, 20)
    edges = lows[:, None] + rng.uniform(0.1, 3, 20)[:, None] * np.linspace(0, 1, 9)
    edges[3] = 0.7  # one constant column
    target = np.linspace(edges.min(), edges.max(), 6)
    together = rebin(counts, edges, target)
    for row in range(20):
        np.testing.assert_allclose(together[row], rebin(counts[row], edges[row], target))
        if row != 3:  # against an independent reading: uniform density within each bin
            inside = [
                np.clip(target, a, b) for a, b in zip(edges[row][:-1], edges[row][1:], strict=True)
            ]
            density = counts[row] / np.diff(edges[row])
            expected = sum(d * np.diff(c) for d, c in zip(density, inside, strict=True))
            np.testing.assert_allclose(together[row], expected, atol=1e-9)
    np.testing.assert_allclose(together.sum(axis=1), counts.sum(axis=1))


def test_sticky_range_keeps_a_range_the_data_still_fills_half_of():
    assert sticky_range(None, -0.9, 1.7) == nice_range(-0.9, 1.7) == (-1.0, 2.0)
    assert sticky_range((-1.0, 2.0), -0.4, 1.2) == (-1.0, 2.0)  # spans 1.6 of 3: kept
    assert sticky_range((-1.0, 2.0), 0.0, 1.0) == (-1.0, 2.0)  # spans 1 of 3: kept
    # 0.8 of 3: shrinks to the data with a quarter of its span of room on both sides.
    assert sticky_range((-1.0, 2.0), 0.2, 1.0) == nice_range(0.0, 1.2) == (0.0, 1.25)
    # Outgrown: half of the data's span of room on the side that grew, the other side kept.
    assert sticky_range((-1.0, 2.0), -0.9, 2.1) == nice_range(-1.0, 2.1 + 1.5) == (-1.0, 4.0)
    assert sticky_range((-1.0, 2.0), -1.2, 1.0) == nice_range(-1.2 - 1.1, 2.0) == (-3.0, 2.0)
    assert sticky_range((-1.0, 2.0), -3.0, 5.0) == nice_range(-7.0, 9.0)  # both sides


def test_nice_range_rounds_outward_to_a_coarse_grid():
    # Span 2.6: the power of 2 above is 4, an eighth of it 0.5.
    assert nice_range(-0.9, 1.7) == (-1.0, 2.0)
    # Span 0.1: 2^-3 / 8 = 1/64; 0.1 * 64 = 6.4 and 0.2 * 64 = 12.8 round out to 6 and 13.
    assert nice_range(0.1, 0.2) == (6 / 64, 13 / 64)
    assert nice_range(-1.0, 2.0) == (-1.0, 2.0)  # already on the grid (step 0.5): kept
    rng = np.random.default_rng(0)
    for low, span in zip(rng.uniform(-50, 50, 200), 10 ** rng.uniform(-4, 3, 200), strict=True):
        rounded = nice_range(low, low + span)
        assert rounded[0] <= low and rounded[1] >= low + span  # covers the data
        assert rounded[1] - rounded[0] <= 2 * span + 1e-9  # by at most a step each side
