"""The multilayer perceptron of the seed: a^l = sigma(W^l a^(l-1) + b^l), with a linear output
layer whose logits the loss turns into probabilities (sigmoid / softmax) or values.

Dropout (Srivastava et al., 2014), when asked for: in training mode every hidden a_j^l is kept
with probability 1 - p and multiplied by 1 / (1 - p), or set to 0; in eval mode nothing is
dropped, so the expected a_j^l is the same in both. The masks come from the model's own seeded
generator, so a seeded run draws the same masks every time. nnviz.Trainer switches the model to
training mode for its own forward pass only: evaluation, probes and plots see the whole network."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import torch
from torch import nn

from nnviz.core.activations import Activation, get_activation
from nnviz.core.checks import check_int, check_number


class MLP(nn.Module):
    """A fully connected network with `sizes` = [inputs, hidden..., outputs] and one activation."""

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Activation = "tanh",
        seed: int = 0,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence):
            raise TypeError(
                f"sizes must be a list of layer widths such as [2, 8, 8, 1]; got {sizes!r}"
            )
        if len(sizes) < 2:
            raise ValueError(
                f"sizes={list(sizes)} needs at least an input and an output width, e.g. [2, 1]"
            )
        self.sizes = tuple(check_int(f"sizes[{i}]", n, minimum=1) for i, n in enumerate(sizes))
        self.activation = get_activation(activation)
        self.seed = check_int("seed", seed)
        self.dropout = check_number("dropout", dropout, minimum=0.0)
        if self.dropout >= 1.0:
            raise ValueError(f"dropout={dropout:g} is out of range; allowed: >= 0 and < 1 (the "
                             "probability of dropping a hidden neuron's a_j^l)")  # fmt: skip
        self._dropout_generator = torch.Generator()
        # Built on the meta device, so torch's default initialisation draws nothing from the
        # global RNG; reset_parameters then fills them from our own seeded generator. The empty
        # CPU parameters are made directly: Module.to_empty would import sympy (~0.8 s).
        self.layers = nn.ModuleList()
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            layer = nn.Linear(n_in, n_out, device="meta")
            layer.weight = nn.Parameter(torch.empty(n_out, n_in))
            layer.bias = nn.Parameter(torch.empty(n_out))
            self.layers.append(layer)
        self.reset_parameters(seed)

    def reset_parameters(self, seed: int | None = None) -> None:
        """Draw the weights again (Glorot-uniform times the activation's gain); zero the biases."""
        generator = torch.Generator().manual_seed(self.seed if seed is None else seed)
        # The dropout masks start over too, from a stream of their own.
        self._dropout_generator.manual_seed((self.seed if seed is None else seed) + 1_000_003)
        gain = {"relu": 2**0.5, "tanh": 5 / 3, "sigmoid": 1.0, "linear": 1.0}[self.activation.name]
        with torch.no_grad():
            for layer in self.linear_layers():
                # Drawn on the CPU from our own generator so the global RNG is untouched and
                # the same seed gives the same network on every device.
                weight = torch.empty(layer.weight.shape)
                nn.init.xavier_uniform_(weight, gain=gain, generator=generator)
                layer.weight.copy_(weight)
                layer.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the output layer's z (logits): hidden layers apply sigma, the last does not."""
        last = len(self.layers) - 1
        sigma = self.activation.function
        for index, layer in enumerate(self.layers):
            x = layer(x)
            if index < last:
                x = sigma(x)
                if self.dropout and self.training:
                    keep = torch.rand(x.shape, generator=self._dropout_generator) >= self.dropout
                    x = x * keep.to(x.device, x.dtype) / (1.0 - self.dropout)
        return x

    def linear_layers(self) -> tuple[nn.Linear, ...]:
        """The Linear layers l = 1..L, typed as such (nn.ModuleList yields plain Modules)."""
        return tuple(cast(nn.Linear, layer) for layer in self.layers)

    @property
    def n_inputs(self) -> int:
        """Width of the input layer."""
        return self.sizes[0]

    @property
    def n_outputs(self) -> int:
        """Width of the output layer."""
        return self.sizes[-1]

    def extra_repr(self) -> str:
        """Sizes and activation, for print(model)."""
        dropout = f", dropout={self.dropout:g}" if self.dropout else ""
        return f"sizes={list(self.sizes)}, activation={self.activation.name!r}{dropout}"


def flat_parameters(model: nn.Module) -> np.ndarray:
    """Every parameter of `model`, layer after layer, as one new flat numpy array."""
    return torch.cat([p.detach().cpu().reshape(-1) for p in model.parameters()]).numpy()
