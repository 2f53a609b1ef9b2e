"""The records lesson 03 returns: one backward pass, layer by layer, by hand, by autograd and by
finite differences. Numpy only, so nnviz.views can read them without importing torch.

Weights are stored as torch stores them, W^l[j, i] = w_ij^l (rows: the units j of layer l).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.core.checks import check_choice


@dataclass(frozen=True, slots=True)
class LayerGradients:
    """Layer l of one backward pass: by hand, by autograd and by finite differences (float64)."""

    index: int  # l: 1 is the first layer of weights
    weight: np.ndarray  # W^l, (n_out, n_in): [j, i] = w_ij^l
    bias: np.ndarray  # b^l, (n_out,)
    a_prev: np.ndarray  # a^(l-1), (examples, n_in)
    z: np.ndarray  # z^l = a^(l-1) W^T + b, (examples, n_out)
    a: np.ndarray  # a^l = sigma(z^l); the output layer's is the loss's output function
    cost_gradient: np.ndarray | None  # dC/da^l; None for softmax, whose a_j depends on every z_k
    sigma_prime: np.ndarray | None  # sigma'(z^l); None for softmax
    delta: np.ndarray  # delta^l = dC/dz^l by the seed's equations
    grad_weight: np.ndarray  # dC/dW^l = delta^T a^(l-1), (n_out, n_in): [j, i] = dC/dw_ij
    grad_bias: np.ndarray  # dC/db^l, (n_out,)
    autograd_delta: np.ndarray  # dC/dz^l from torch's autograd
    autograd_weight: np.ndarray
    autograd_bias: np.ndarray
    numeric_weight: np.ndarray  # (C(w + eps) - C(w - eps)) / 2 eps, one weight at a time
    numeric_bias: np.ndarray

    def difference(self, against: str = "autograd") -> float:
        """Largest |by hand - other| over delta (autograd only), dC/dw and dC/db of this layer."""
        against = check_choice("against", against, ("autograd", "numeric"))
        if against == "autograd":
            pairs = [(self.delta, self.autograd_delta), (self.grad_weight, self.autograd_weight)]
            pairs.append((self.grad_bias, self.autograd_bias))
        else:
            pairs = [(self.grad_weight, self.numeric_weight), (self.grad_bias, self.numeric_bias)]
        return max(float(np.max(np.abs(mine - other))) for mine, other in pairs)


@dataclass(frozen=True, slots=True)
class Backprop:
    """One forward and backward pass of a network on a few examples, layer by layer."""

    activation: str
    loss: str
    cost: float  # C on the examples
    layers: tuple[LayerGradients, ...]

    def difference(self, against: str = "autograd") -> float:
        """Largest |by hand - other| over every layer: 'autograd' or 'numeric' (finite diff.)."""
        return max(layer.difference(against) for layer in self.layers)
