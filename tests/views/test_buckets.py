"""BucketMeans: bounded columns of bucket means, checked against means computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.views.buckets import BucketMeans


def test_buckets_merge_in_pairs_when_full_and_keep_exact_means():
    buffer = BucketMeans(("x", "y"), capacity=4)
    buffer.extend({"x": np.arange(1, 5), "y": np.array([2.0, 4.0, 6.0, 8.0])})
    np.testing.assert_allclose(buffer["y"], [2, 4, 6, 8])
    assert (buffer.stride, buffer.size) == (1, 4)
    buffer.extend({"x": np.array([5]), "y": np.array([10.0])})  # full: pairs merge, stride 2
    assert buffer.stride == 2 and buffer.total == 5
    np.testing.assert_allclose(buffer["x"], [1.5, 3.5, 5.0])
    np.testing.assert_allclose(buffer["y"], [3.0, 7.0, 10.0])
    buffer.extend({"x": np.array([6, 7]), "y": np.array([12.0, 14.0])})  # tops up, then opens
    np.testing.assert_allclose(buffer["x"], [1.5, 3.5, 5.5, 7.0])
    assert buffer["x"].dtype == np.float32
    buffer.clear()
    assert buffer.size == buffer.total == 0 and buffer.stride == 1


def test_capacity_is_checked():
    with pytest.raises(ValueError, match="capacity"):
        BucketMeans(("x",), capacity=1)
