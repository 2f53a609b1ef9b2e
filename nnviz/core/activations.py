"""The activation functions sigma of the seed's forward equation, each with its derivative
sigma'(z), which the delta equation delta_j^l = dC/da_j^l * sigma'(z_j^l) multiplies by.

Each comes in torch (for autograd and the probe) and in numpy (for nnviz.training.numpy_engine,
which trains without autograd); an Activation without numpy forms is trained by autograd only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from nnviz.core import numpy_forms
from nnviz.core.checks import check_choice

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
    # The numpy engine's forms: sigma(z), and sigma'(z) written from (z, a = sigma(z)), which is
    # how autograd computes it for tanh and sigmoid. None: train this activation with autograd.
    numpy_function: numpy_forms.Function | None = None
    numpy_derivative: numpy_forms.Derivative | None = None

    def numpy_pair(self) -> tuple[numpy_forms.Function, numpy_forms.Derivative]:
        """(numpy_function, numpy_derivative); TypeError for an activation trained by autograd
        only."""
        if self.numpy_function is None or self.numpy_derivative is None:
            raise TypeError(f"activation {self.name!r} has no numpy forms; it trains by autograd")
        return self.numpy_function, self.numpy_derivative


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
        numpy_forms.relu,
        numpy_forms.relu_derivative,
    ),
    "tanh": Activation(
        "tanh",
        torch.tanh,
        _tanh_derivative,
        1.0,
        r"\tanh z",
        r"1 - \tanh^2 z",
        _tanh_inactive,
        np.tanh,
        numpy_forms.tanh_derivative,
    ),
    "sigmoid": Activation(
        "sigmoid",
        torch.sigmoid,
        _sigmoid_derivative,
        0.25,
        r"\frac{1}{1 + e^{-z}}",
        r"\sigma(z)\,(1 - \sigma(z))",
        _sigmoid_inactive,
        numpy_forms.sigmoid,
        numpy_forms.sigmoid_derivative,
    ),
    "linear": Activation(
        "linear",
        lambda z: z,
        torch.ones_like,
        1.0,
        "z",
        "1",
        _never_inactive,
        numpy_forms.identity,
        numpy_forms.identity_derivative,
    ),
}


def get_activation(name: str | Activation) -> Activation:
    """Look an activation up by name ('relu', 'tanh', 'sigmoid', 'linear')."""
    if isinstance(name, Activation):
        return name
    return ACTIVATIONS[check_choice("activation", name, ACTIVATIONS)]
