"""The activations and softmax in numpy, each written once: sigma(z), sigma'(z) written on
(z, a = sigma(z)) as autograd computes it for tanh and sigmoid, and softmax with its logarithm.

nnviz.core.activations and nnviz.core.losses hand these to the numpy engine, the lessons compute
with them, and nnviz.explain fills them into the printed equations; this module imports numpy
only, since nnviz.explain serves the views, and views never import torch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Function = Callable[[np.ndarray], np.ndarray]
# sigma'(z) from (z, a); the linear activation's is the number 1, which multiplies as an array.
Derivative = Callable[[np.ndarray, np.ndarray], np.ndarray | float]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), as exp(z - ln(1 + e^z)): no overflow (and no warning) for very negative z."""
    return np.exp(z - np.logaddexp(z, 0))


def relu(z: np.ndarray) -> np.ndarray:
    """max(0, z)."""
    return np.maximum(z, 0)


def identity(z: np.ndarray) -> np.ndarray:
    """z itself: the linear activation and the identity output."""
    return z


def tanh_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """1 - a^2 with a = tanh z."""
    return 1 - a * a


def sigmoid_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """a (1 - a) with a = sigmoid(z)."""
    return a * (1 - a)


def relu_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """[z > 0]: sigma'(0) taken as 0, as torch's autograd does; a bool mask multiplies fine."""
    return z > 0


def identity_derivative(z: np.ndarray, a: np.ndarray) -> float:
    """1 everywhere."""
    return 1.0


FUNCTIONS: dict[str, Function] = {
    "relu": relu,
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "linear": identity,
}
DERIVATIVES: dict[str, Derivative] = {
    "relu": relu_derivative,
    "tanh": tanh_derivative,
    "sigmoid": sigmoid_derivative,
    "linear": identity_derivative,
}


def _shifted_exponentials(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # z - max_k z_k leaves softmax unchanged and keeps e^z from overflowing.
    shifted = z - z.max(axis=1, keepdims=True)
    exponentials = np.exp(shifted)
    return shifted, exponentials, exponentials.sum(axis=1, keepdims=True)


def softmax(z: np.ndarray) -> np.ndarray:
    """a_j = e^(z_j) / sum_k e^(z_k) over each row of z (examples, classes)."""
    _, exponentials, total = _shifted_exponentials(z)
    return exponentials / total


def softmax_and_log(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """softmax(z) and ln softmax(z), the logarithm without taking ln of a rounded-off a."""
    shifted, exponentials, total = _shifted_exponentials(z)
    return exponentials / total, shifted - np.log(total)
