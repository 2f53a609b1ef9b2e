"""Tests for nnviz.core.activations: each sigma against numpy, each written-out sigma' against
autograd, the peak slope, and the "inactive" rule sigma'(z) < 1% of that peak."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnviz import ACTIVATIONS, Activation, get_activation

NAMES = ("relu", "tanh", "sigmoid", "linear")
# z from -12 to 12, with 0 exactly, both sides of every kink and saturation threshold.
GRID = torch.arange(-1200, 1201, dtype=torch.float64) / 100


def test_the_four_activations_are_offered() -> None:
    assert tuple(ACTIVATIONS) == NAMES
    assert all(ACTIVATIONS[name].name == name for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_function_matches_numpy(name: str, numpy_sigma) -> None:
    sigma, _ = numpy_sigma[name]
    np.testing.assert_allclose(
        get_activation(name).function(GRID).numpy(), sigma(GRID.numpy()), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_autograd(name: str) -> None:
    activation = get_activation(name)
    z = GRID.clone().requires_grad_(True)
    activation.function(z).sum().backward()
    assert (GRID == 0).any()  # the ReLU kink is on the grid: sigma'(0) = 0, as autograd says
    torch.testing.assert_close(activation.derivative(GRID), z.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_peak_derivative_is_the_largest_slope(name: str) -> None:
    activation = get_activation(name)
    assert activation.derivative(GRID).max().item() == pytest.approx(
        activation.peak_derivative, rel=1e-9
    )


@pytest.mark.parametrize("name", NAMES)
def test_inactive_means_slope_below_one_percent_of_the_peak(name: str) -> None:
    activation = get_activation(name)
    z = torch.linspace(-12, 12, 24_001, dtype=torch.float64)
    slope = activation.derivative(z)
    threshold = 0.01 * activation.peak_derivative
    clear = (slope - threshold).abs() > 1e-9  # leave out points on the threshold itself
    inactive = activation.inactive(z, activation.function(z))
    assert inactive.dtype == torch.bool and inactive.shape == z.shape
    torch.testing.assert_close(inactive[clear], (slope < threshold)[clear])
    if name != "linear":
        assert inactive.any() and not inactive.all()
    else:
        assert not inactive.any()


def test_inactive_thresholds_in_terms_of_a() -> None:
    tanh, sigmoid = get_activation("tanh"), get_activation("sigmoid")
    # tanh: 1 - a^2 < 0.01 <=> |a| > sqrt(0.99) ~ 0.99499
    a = torch.tensor([-0.9951, -0.9949, 0.0, 0.9949, 0.9951])
    assert tanh.inactive(torch.atanh(a), a).tolist() == [True, False, False, False, True]
    # sigmoid: a (1 - a) < 0.0025 <=> a < 0.0025063 or a > 0.9974937
    a = torch.tensor([0.0025, 0.0026, 0.5, 0.9974, 0.9975])
    assert sigmoid.inactive(torch.logit(a), a).tolist() == [True, False, False, False, True]
    relu = get_activation("relu")
    z = torch.tensor([-1.0, 0.0, 1e-6])
    assert relu.inactive(z, torch.relu(z)).tolist() == [True, True, False]


def test_get_activation_accepts_names_and_instances() -> None:
    relu = get_activation("relu")
    assert isinstance(relu, Activation)
    assert get_activation(relu) is relu
    assert get_activation(" ReLU ") is relu


def test_get_activation_names_the_bad_value() -> None:
    with pytest.raises(ValueError, match="activation='gelu'"):
        get_activation("gelu")
    with pytest.raises(TypeError, match="activation"):
        get_activation(None)


@pytest.mark.parametrize("name", NAMES)
def test_formulas_are_written_out(name: str) -> None:
    activation = get_activation(name)
    assert activation.formula and activation.derivative_formula
