"""NetworkView's geometry in plain numbers: positions, link ends, buckets, paths, colour values."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.views.network_geometry import (
    COLUMN,
    ROW,
    automatic_height,
    link_path,
    link_traces,
    link_weights,
    network_geometry,
    neuron_pixels,
    neuron_values,
    shown_values,
    thumbnail_values,
)


def test_neurons_stack_in_columns_and_links_join_their_edges():
    geometry = network_geometry((2, 3, 1))
    assert geometry.units == [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 0)]
    np.testing.assert_array_equal(
        geometry.centers, [[0, 0], [0, -1.4], [3, 0], [3, -1.4], [3, -2.8], [6, 0]]
    )
    assert geometry.rows == 3 and not geometry.collapsed
    # W^1 is 3 x 2, j major: link k = 2 j + i runs from input i to neuron j.
    assert len(geometry.starts) == len(geometry.link_names) == 2 * 3 + 3 * 1
    np.testing.assert_array_equal(geometry.starts[3], [0.5, -1.4])  # i = 2 (from 1), j = 2
    np.testing.assert_array_equal(geometry.ends[3], [3 - 0.5, -1.4])
    assert geometry.link_names[3] == "w<sub>2,2</sub><sup>1</sup>"
    np.testing.assert_array_equal(geometry.starts[8], [3.5, -2.8])  # neuron 3 -> the output
    np.testing.assert_array_equal(geometry.ends[8], [5.5, 0])
    assert geometry.x_range == [-1.8, 2 * COLUMN + 0.8]
    assert geometry.y_range == pytest.approx([-2 * ROW - 0.8, 1.2])
    assert geometry.index(1, 2) == 4


def test_a_wide_input_layer_is_one_block_whose_links_carry_mean_weights():
    geometry = network_geometry((64, 5, 10))
    assert geometry.collapsed and geometry.shown == (1, 5, 10)
    assert len(geometry.starts) == 5 + 5 * 10
    assert geometry.link_names[0] == "mean of the 64 weights into neuron 1"
    first = np.arange(5 * 64, dtype=float).reshape(5, 64)
    second = np.ones((10, 5))
    weights = link_weights([first, second], collapsed=True)
    np.testing.assert_allclose(weights[:5], first.mean(1))
    np.testing.assert_allclose(weights[5:], 1.0)
    assert link_weights([], collapsed=False).shape == (0,)


def test_links_go_to_a_trace_by_sign_and_width_bucket():
    weights = np.array([0.0, 0.2, 0.25, 0.7, 1.0, 3.0, -0.1, -0.3, -0.6, -2.0])
    # w >= 0: 0 for |w| <= 0.25, 1 up to 0.5, 2 up to 1, 3 above; w < 0: the same plus 4.
    np.testing.assert_array_equal(link_traces(weights), [0, 0, 0, 2, 2, 3, 4, 5, 6, 7])


def test_a_path_is_start_end_nan_per_link_in_float32():
    x, y = link_path(np.array([[0.5, 0.0], [0.5, -1.4]]), np.array([[2.5, 0.0], [2.5, -2.8]]))
    assert x.dtype == y.dtype == np.float32 and x.shape == y.shape == (6,)
    np.testing.assert_array_equal(x, [0.5, 2.5, np.nan, 0.5, 2.5, np.nan])
    np.testing.assert_allclose(y, [0, 0, np.nan, -1.4, -2.8, np.nan])


def test_height_and_neuron_size_follow_the_tallest_column():
    assert automatic_height(8) == 60 + 8 * 56
    assert neuron_pixels(automatic_height(8), 8) == pytest.approx(56 / 1.4)
    assert neuron_pixels(2000, 2) == 60  # never larger than 60 pixels


def test_values_on_the_colour_scale():
    np.testing.assert_allclose(shown_values(np.array([-6.0, 3.0]), 0, None), [-1.0, 0.5])
    np.testing.assert_allclose(shown_values(np.array([0.2, 0.5]), 0, None), [0.2, 0.5])
    np.testing.assert_allclose(shown_values(np.array([0.0, 0.75]), 2, "sigmoid"), [-1.0, 0.5])
    np.testing.assert_allclose(shown_values(np.array([-2.0, 0.3]), 1, None), [-2.0, 0.3])
    inputs = np.stack([np.full((2, 2), 4.0), np.full((2, 2), -0.5)])
    blocks = thumbnail_values((inputs, np.full((1, 2, 2), 0.25)), "sigmoid", collapsed=False)
    np.testing.assert_allclose(blocks[0], [np.ones((2, 2)), np.full((2, 2), -0.5)])
    np.testing.assert_allclose(blocks[1], np.full((1, 2, 2), -0.5))  # P = 0.25 -> -0.5
    units = network_geometry((2, 1)).units
    means = [np.array([3.0, -1.5]), np.array([1.0])]
    colours = neuron_values(means, units, "sigmoid", collapsed=False)
    assert colours.dtype == np.float32
    np.testing.assert_allclose(colours, [1.0, -0.5, 1.0])
