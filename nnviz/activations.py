"""The activation functions sigma of the seed's forward equation, each with its derivative
sigma'(z), which the delta equation delta_j^l = dC/da_j^l * sigma'(z_j^l) multiplies by."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from nnviz._checks import check_choice

Tensor = torch.Tensor


@dataclass(frozen=True)
class Activation:
    """One activation function: sigma, sigma' and how to write them."""

    name: str
    function: Callable[[Tensor], Tensor]
    derivative: Callable[[Tensor], Tensor]  # sigma'(z), written out so probes need no autograd
    peak_derivative: float  # max of sigma'; a unit is "inactive" where sigma' < 1% of this
    formula: str  # LaTeX for sigma(z)
    derivative_formula: str  # LaTeX for sigma'(z)

    inactive: Callable[[Tensor, Tensor], Tensor]  # (z, a) -> sigma'(z) < 1% of its peak


# Where sigma'(z) < 1% of its peak, the unit passes almost no delta back: dead (ReLU) or
# saturated (tanh, sigmoid). Written on a = sigma(z), which the probe already holds, with
# operators only, so that they work on torch tensors and numpy arrays alike.
def _relu_inactive(z: Tensor, a: Tensor) -> Tensor:
    return z <= 0


def _tanh_inactive(z: Tensor, a: Tensor) -> Tensor:
    return abs(a) > 0.99**0.5  # 1 - a^2 < 0.01


def _sigmoid_inactive(z: Tensor, a: Tensor) -> Tensor:
    return abs(a - 0.5) > 0.99**0.5 / 2  # a (1 - a) < 0.01 * 0.25


def _never_inactive(z: Tensor, a: Tensor) -> Tensor:
    return z != z  # never (nan aside): sigma' = 1 everywhere


def _tanh_derivative(z: Tensor) -> Tensor:
    a = torch.tanh(z)
    return 1 - a * a


def _sigmoid_derivative(z: Tensor) -> Tensor:
    a = torch.sigmoid(z)
    return a * (1 - a)


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation(
        "relu",
        torch.relu,
        lambda z: (z > 0).to(z.dtype),  # sigma'(0) taken as 0, as torch's autograd does
        1.0,
        r"\max(0, z)",
        r"\begin{cases}1 & z > 0\\ 0 & z \le 0\end{cases}",
        _relu_inactive,
    ),
    "tanh": Activation(
        "tanh", torch.tanh, _tanh_derivative, 1.0, r"\tanh z", r"1 - \tanh^2 z", _tanh_inactive
    ),
    "sigmoid": Activation(
        "sigmoid",
        torch.sigmoid,
        _sigmoid_derivative,
        0.25,
        r"\frac{1}{1 + e^{-z}}",
        r"\sigma(z)\,(1 - \sigma(z))",
        _sigmoid_inactive,
    ),
    "linear": Activation("linear", lambda z: z, torch.ones_like, 1.0, "z", "1", _never_inactive),
}


def get_activation(name: str | Activation) -> Activation:
    """Look an activation up by name ('relu', 'tanh', 'sigmoid', 'linear')."""
    if isinstance(name, Activation):
        return name
    return ACTIVATIONS[check_choice("activation", name, ACTIVATIONS)]
