"""Lesson 03, backpropagation: the seed's delta equations worked layer by layer in float64 numpy,
checked against torch's autograd and central finite differences, and how gradients fade with
depth (vanishing gradients).

    delta^L = dC/da^L * sigma'(z^L)          delta^l = (delta^(l+1) W^(l+1)) * sigma'(z^l)
    dC/dw_ij^l = delta_j^l a_i^(l-1)         dC/db_j^l = delta_j^l   (summed over the examples)

Weights are stored as torch stores them, W^l[j, i] = w_ij^l (rows: the units j of layer l).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch

from nnviz.core import numpy_forms
from nnviz.core.activations import Activation, get_activation
from nnviz.core.checks import check_choice, check_int, check_number
from nnviz.core.losses import LOSSES, Loss, get_loss, numpy_targets
from nnviz.core.model import MLP
from nnviz.core.records import Chart, Series
from nnviz.data.dataset import DATASETS, make_dataset
from nnviz.lessons.records import Backprop, LayerGradients

QUANTITIES = {"gradient": "‖∂C/∂W^l‖", "delta": "mean |δ_j^l|"}


class _ByHand(NamedTuple):
    """Layer l of the backward pass by the seed's equations (the fields of LayerGradients)."""

    a_prev: np.ndarray
    z: np.ndarray
    a: np.ndarray
    cost_gradient: np.ndarray | None
    sigma_prime: np.ndarray | None
    delta: np.ndarray
    grad_weight: np.ndarray
    grad_bias: np.ndarray


def _forward(
    parameters: list[np.ndarray], sigma: numpy_forms.Function, x: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """a^(l-1) and z^l of every layer; the last z^L stays logits for the loss."""
    a_prev, zs = [x], list[np.ndarray]()
    for l in range(0, len(parameters), 2):
        if zs:
            a_prev.append(sigma(zs[-1]))
        zs.append(a_prev[-1] @ parameters[l].T + parameters[l + 1])
    return a_prev, zs


def _output(
    loss: Loss, z: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """a^L, dC/da^L and sigma'(z^L) of the output function (None, None for softmax)."""
    n = len(z)
    if loss.output_name == "softmax":
        return numpy_forms.softmax(z), None, None
    if loss.output_name == "sigmoid":
        a = numpy_forms.sigmoid(z)
        with np.errstate(divide="ignore", invalid="ignore"):  # a saturated at 0 or 1: inf
            # C = -(y ln a + (1-y) ln(1-a)) / n
            return a, (a - y) / (n * a * (1 - a)), numpy_forms.sigmoid_derivative(z, a)
    return z, (z - y) / n, np.ones_like(z)  # identity output, C = ||a - y||^2 / 2n


def _backward(
    parameters: list[np.ndarray], activation: Activation, loss: Loss, x: np.ndarray, y: np.ndarray
) -> tuple[float, list[_ByHand]]:
    """C, and every layer's a^(l-1), z, a, dC/da, sigma'(z), delta, dC/dW, dC/db."""
    sigma, sigma_derivative = activation.numpy_pair()
    numpy_cost, _ = loss.numpy_pair()
    a_prev, zs = _forward(parameters, sigma, x)
    cost, delta = numpy_cost(zs[-1], y)  # delta^L = (a^L - y)/n, computed without overflow
    a, cost_gradient, sigma_prime = _output(loss, zs[-1], y)
    layers: list[_ByHand] = []
    for l in range(len(zs) - 1, -1, -1):  # from l = L back
        if l < len(zs) - 1:  # a hidden layer: dC/da_j^l = sum_k w_jk^(l+1) delta_k^(l+1)
            a, cost_gradient = a_prev[l + 1], delta @ parameters[2 * l + 2]
            derivative = sigma_derivative(zs[l], a)
            sigma_prime = np.broadcast_to(np.asarray(derivative, dtype=np.float64), zs[l].shape)
            delta = cost_gradient * sigma_prime
        gradients = (delta.T @ a_prev[l], delta.sum(axis=0))  # summed over the examples
        layers.insert(
            0, _ByHand(a_prev[l], zs[l], a, cost_gradient, sigma_prime, delta, *gradients)
        )
    return float(cost), layers


def _gradient(tensor: torch.Tensor) -> np.ndarray:
    if tensor.grad is None:  # every z^l and parameter is on the path to C
        raise RuntimeError("autograd gave no gradient for a tensor of the forward pass")
    return tensor.grad.numpy()


def _autograd(
    model: MLP, loss: Loss, x: np.ndarray, targets: torch.Tensor
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """dC/dz^l, dC/dW^l, dC/db^l from autograd, through the model's own forward in float64."""
    double = copy.deepcopy(model).double()
    zs: list[torch.Tensor] = []

    def keep(module: torch.nn.Module, inputs: tuple, z: torch.Tensor) -> None:
        z.retain_grad()  # z^l is not a leaf: autograd frees its gradient unless asked to keep it
        zs.append(z)

    layers = double.linear_layers()
    hooks = [layer.register_forward_hook(keep) for layer in layers]
    cost = loss.function(double(torch.from_numpy(x)), targets)
    cost.backward()
    for hook in hooks:
        hook.remove()
    return [
        (_gradient(z), _gradient(layer.weight), _gradient(layer.bias))
        for z, layer in zip(zs, layers, strict=True)
    ]


def _finite_differences(
    parameters: list[np.ndarray],
    activation: Activation,
    loss: Loss,
    x: np.ndarray,
    y: np.ndarray,
    epsilon: float,
) -> list[np.ndarray]:
    """Central differences (C(p + eps) - C(p - eps)) / 2 eps for every parameter entry."""
    sigma, _ = activation.numpy_pair()
    numpy_cost, _ = loss.numpy_pair()
    numeric = []
    for parameter in parameters:
        estimate = np.zeros_like(parameter)
        for index in np.ndindex(parameter.shape):
            kept = parameter[index]
            costs = []
            for shift in (epsilon, -epsilon):
                parameter[index] = kept + shift
                costs.append(numpy_cost(_forward(parameters, sigma, x)[1][-1], y)[0])
            parameter[index] = kept
            estimate[index] = (costs[0] - costs[1]) / (2 * epsilon)
        numeric.append(estimate)
    return numeric


def backprop_by_hand(model: MLP, x, y, loss: str | None = None, epsilon: float = 1e-6) -> Backprop:
    """Backpropagate C(x, y) through `model` by the seed's equations; autograd and finite
    differences alongside. `y`: class labels, or real targets for loss='mse'."""
    if not isinstance(model, MLP):
        raise TypeError(f"model must be an nnviz.MLP; got {type(model).__name__}")
    x, y = (v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else v for v in (x, y))
    x = np.array(x, dtype=np.float64, ndmin=2)
    if x.ndim != 2 or x.shape[1] != model.n_inputs:
        raise ValueError(f"x must have shape (examples, {model.n_inputs}); got {x.shape}")
    labels = torch.as_tensor(np.asarray(y))
    if labels.ndim == 0 or labels.shape[0] != len(x):
        raise ValueError(
            f"y must hold one target per example of x ({len(x)}); got {np.asarray(y)!r}"
        )
    task = "regression" if labels.is_floating_point() else "classification"
    if loss is not None:
        check_choice("loss", loss, LOSSES)
    chosen = get_loss(loss, task, model.n_outputs)
    epsilon = check_number("epsilon", epsilon, minimum=0.0, strict_minimum=True)
    targets = chosen.prepare_targets(labels, model.n_outputs)  # float32 or class indices
    y_matrix = numpy_targets(targets, model.n_outputs).astype(np.float64)
    targets = targets.double() if targets.is_floating_point() else targets
    parameters = [p.detach().double().numpy().copy() for p in model.parameters()]
    activation = model.activation
    cost, by_hand = _backward(parameters, activation, chosen, x, y_matrix)
    automatic = _autograd(model, chosen, x, targets)
    numeric = _finite_differences(parameters, activation, chosen, x, y_matrix, epsilon)
    layers = tuple(
        LayerGradients(
            l + 1,
            parameters[2 * l],  # W^l
            parameters[2 * l + 1],  # b^l
            *by_hand[l],
            *automatic[l],
            numeric[2 * l],
            numeric[2 * l + 1],
        )
        for l in range(len(by_hand))
    )
    return Backprop(activation.name, chosen.name, cost, layers)


def gradient_sizes(
    activation: str = "sigmoid",
    depth: int = 8,
    width: int = 16,
    dataset: str = "circle",
    n_samples: int = 200,
    quantity: str = "gradient",
    seed: int = 0,
) -> np.ndarray:
    """Per layer l = 1..depth+1, ‖dC/dW^l‖ ('gradient') or mean |delta_j^l| ('delta') at the
    initialisation of a net of `depth` hidden layers of `width` units, on a seeded batch."""
    name = get_activation(activation).name
    depth = check_int("depth", depth, minimum=1, maximum=50)
    width = check_int("width", width, minimum=1, maximum=512)
    quantity = check_choice("quantity", quantity, QUANTITIES)
    dataset = check_choice("dataset", dataset, DATASETS)
    data = make_dataset(dataset, n_samples=check_int("n_samples", n_samples, minimum=2), seed=seed)
    model = MLP([data.X_train.shape[1], *[width] * depth, 1], activation=name, seed=seed)
    loss = get_loss(None, data.task, 1)
    y = numpy_targets(loss.prepare_targets(data.y_train, 1), 1).astype(np.float64)
    parameters = [p.detach().double().numpy() for p in model.parameters()]
    x = data.X_train.double().numpy()
    _, layers = _backward(parameters, model.activation, loss, x, y)
    if quantity == "delta":
        return np.array([np.abs(layer.delta).mean() for layer in layers])
    return np.array([np.linalg.norm(layer.grad_weight) for layer in layers])


def gradient_flow(
    activations: Sequence[str] = ("sigmoid", "relu"),
    depth: int = 8,
    width: int = 16,
    dataset: str = "circle",
    n_samples: int = 200,
    quantity: str = "gradient",
    seed: int = 0,
) -> Chart:
    """A Chart of gradient_sizes by layer, one series per activation, on a log y axis."""
    depth = check_int("depth", depth, minimum=1, maximum=50)
    quantity = check_choice("quantity", quantity, QUANTITIES)
    if isinstance(activations, str) or not isinstance(activations, Sequence) or not activations:
        raise TypeError(f"activations must be a non-empty list of names; got {activations!r}")
    series = tuple(
        Series(
            get_activation(name).name,
            np.arange(1.0, depth + 2),
            gradient_sizes(name, depth, width, dataset, n_samples, quantity, seed),
            mode="lines+markers",
        )
        for name in activations
    )
    title = f"{QUANTITIES[quantity]} by layer at initialisation ({depth} hidden layers of {width})"
    return Chart(title, series, x_title="layer l", y_title=QUANTITIES[quantity], y_log=True)
