"""Forward propagation written out: what every neuron computes for a given input.

    record = forward_pass(model, [[0.5, -1.0]])         # z and a of every neuron, layer by layer
    print(explain_forward(record))                      # with the arithmetic
    (nnviz.explain.forward)
    sigma, slope = activation_curves()                  # sigma(z) and sigma'(z) as Charts

forward_pass applies the seed's equation a_j^l = sigma(sum_i w_ij^l a_i^(l-1) + b_j^l) one layer
at a time in float64 numpy from the model's own parameters, so each layer's input, weights, z and
a are kept for the lesson to show; `check_forward` compares the result with the model's forward.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from nnviz.core import numpy_forms
from nnviz.core.activations import ACTIVATIONS, get_activation
from nnviz.core.checks import check_choice, check_int, check_number
from nnviz.core.model import MLP
from nnviz.core.records import Chart, LayerRecord, ProbeRecord, Series

# The output layer's function: logits for the loss (nnviz.core.losses pairs sigmoid with binary
# cross-entropy, softmax with cross-entropy, identity with squared error).
OUTPUTS = ("sigmoid", "softmax", "identity")


def _as_inputs(model: MLP, inputs: object) -> np.ndarray:
    given = inputs.detach().cpu() if isinstance(inputs, torch.Tensor) else inputs
    array = np.asarray(given, float)
    shape = array.shape
    array = array.reshape(1, -1) if array.ndim == 1 else array
    if array.ndim != 2 or array.shape[1] != model.n_inputs:
        raise ValueError(
            f"inputs must have {model.n_inputs} features per example (the model's input width); "
            f"got an array of shape {shape}"
        )
    return array


def _output(z: np.ndarray, output: str) -> np.ndarray:
    if output == "sigmoid":
        return numpy_forms.sigmoid(z)
    if output == "softmax":
        return numpy_forms.softmax(z)
    return z


def forward_pass(model: MLP, inputs: object, output: str | None = None) -> ProbeRecord:
    """a^(l-1), W^l, b^l, z^l and a^l of every layer for `inputs` (one example or a batch)."""
    if not isinstance(model, MLP):
        raise TypeError(f"model must be an nnviz.MLP; got {type(model).__name__}")
    if output is None:
        output = "sigmoid" if model.n_outputs == 1 else "softmax"
    output = check_choice("output", output, OUTPUTS)
    a = _as_inputs(model, inputs)
    sigma = model.activation.name
    layers = []
    last = len(model.layers) - 1
    for index, layer in enumerate(model.linear_layers()):
        weight = layer.weight.detach().cpu().double().numpy()
        bias = layer.bias.detach().cpu().double().numpy()
        z = a @ weight.T + bias  # z_j = sum_i w_ij a_i + b_j, every example at once
        if index < last:
            activated = get_activation(sigma).function(torch.from_numpy(z)).numpy()
            name = sigma
        else:
            activated, name = _output(z, output), output
        layers.append(
            LayerRecord(index, name, a_prev=a, z=z, a=activated, weight=weight, bias=bias)
        )
        a = activated
    return ProbeRecord(step=0, batch_size=len(a), layers=tuple(layers))


def check_forward(model: MLP, record: ProbeRecord) -> float:
    """Largest |difference| between the record's output z and the model's own forward pass."""
    with torch.no_grad():
        logits = model(torch.as_tensor(record.layers[0].a_prev, dtype=torch.float32))
    return float(np.abs(logits.double().numpy() - record.layers[-1].z).max())


def activation_curves(
    names: Sequence[str] = tuple(ACTIVATIONS),
    low: float = -4.0,
    high: float = 4.0,
    points: int = 161,
) -> tuple[Chart, Chart]:
    """sigma(z) and sigma'(z) of each activation over [low, high], as two Charts."""
    for name in names:
        check_choice("names", name, ACTIVATIONS)
    low, high = check_number("low", low), check_number("high", high)
    if not low < high:
        raise ValueError(f"low must be below high; got low={low}, high={high}")
    z = torch.linspace(low, high, check_int("points", points, minimum=2), dtype=torch.float64)
    values, slopes = [], []
    for name in names:
        activation = get_activation(name)
        values.append(Series(name, z.numpy(), activation.function(z).numpy()))
        slopes.append(Series(name, z.numpy(), activation.derivative(z).numpy()))
    return (
        Chart("σ(z)", tuple(values), "z", "a = σ(z)"),
        Chart("σ'(z)", tuple(slopes), "z", "σ'(z)"),
    )
