"""Tests for nnviz.lessons.records: the lesson-03 records compare by hand against the others,
need no torch, and stay importable from nnviz.lessons.backpropagation."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from nnviz.lessons.records import Backprop, LayerGradients


def _layer(shift: float) -> LayerGradients:
    one = np.ones((1, 2))
    return LayerGradients(
        1, one, one[0], one, one, one, None, None,
        delta=one, grad_weight=one, grad_bias=one[0],
        autograd_delta=one + shift, autograd_weight=one, autograd_bias=one[0],
        numeric_weight=one - 2 * shift, numeric_bias=one[0],
    )  # fmt: skip


def test_difference_is_the_largest_gap_over_every_layer() -> None:
    record = Backprop("tanh", "mse", 0.5, (_layer(1e-9), _layer(3e-9)))
    assert record.difference() == pytest.approx(3e-9)
    assert record.difference("numeric") == pytest.approx(6e-9)
    with pytest.raises(ValueError, match="against"):
        record.difference("torch")


def test_records_need_no_torch() -> None:
    code = "import sys, nnviz.lessons, nnviz.lessons.records; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False"]
