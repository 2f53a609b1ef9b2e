"""Tests for nnviz.core.numpy_forms: each sigma against torch, each sigma'(z, a) against
autograd, softmax and its logarithm against torch, and that the module needs no torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from nnviz import ACTIVATIONS
from nnviz.core import numpy_forms

# z from -12 to 12, with 0 exactly and both sides of every kink and saturation threshold.
GRID = torch.arange(-1200, 1201, dtype=torch.float64) / 100


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "linear"])
def test_each_form_matches_torch_and_autograd(name: str) -> None:
    z = GRID.clone().requires_grad_(True)
    a = ACTIVATIONS[name].function(z)
    (slope,) = torch.autograd.grad(a.sum(), z)
    mine = numpy_forms.FUNCTIONS[name](GRID.numpy())
    np.testing.assert_allclose(mine, a.detach().numpy(), rtol=1e-14, atol=1e-15)
    derivative = numpy_forms.DERIVATIVES[name](GRID.numpy(), mine) * np.ones_like(mine)
    np.testing.assert_allclose(derivative, slope.numpy(), rtol=1e-12, atol=1e-15)


def test_the_activations_hand_the_numpy_engine_these_forms() -> None:
    for name, activation in ACTIVATIONS.items():
        assert activation.numpy_pair() == (
            numpy_forms.FUNCTIONS[name],
            numpy_forms.DERIVATIVES[name],
        )


def test_sigmoid_does_not_overflow_far_out() -> None:
    with np.errstate(over="raise"):
        a = numpy_forms.sigmoid(np.array([-800.0, 0.0, 800.0]))
    np.testing.assert_array_equal(a, [0.0, 0.5, 1.0])


def test_softmax_and_its_log_match_torch_even_for_huge_logits() -> None:
    z = np.array([[1.0, 2.0, 3.0], [1000.0, 1001.0, -1000.0]])
    expected = torch.softmax(torch.from_numpy(z), dim=1).numpy()
    a, log_a = numpy_forms.softmax_and_log(z)
    np.testing.assert_allclose(numpy_forms.softmax(z), expected, rtol=1e-15)
    np.testing.assert_array_equal(a, numpy_forms.softmax(z))
    np.testing.assert_allclose(log_a, torch.log_softmax(torch.from_numpy(z), 1).numpy())
    assert np.isfinite(log_a).all()  # ln of the underflowed 0 would be -inf


def test_imports_no_torch() -> None:
    code = "import sys, nnviz.core.numpy_forms; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
