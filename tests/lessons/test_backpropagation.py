"""Tests for nnviz.lessons.backpropagation (lesson 03): the by-hand deltas and gradients against
autograd, finite
differences, a network worked out with pencil and paper and the numpy engine's own step; the
vanishing-gradient experiment; the text tables of nnviz.views.gradient_views."""

from __future__ import annotations

import copy
import itertools
import math
import re

import numpy as np
import pytest
import torch

from nnviz import MLP, Chart, Trainer, make_dataset
from nnviz.lessons.backpropagation import backprop_by_hand, gradient_flow, gradient_sizes
from nnviz.views.gradient_views import agreement_table, backprop_table

ACTIVATION_NAMES = ("relu", "tanh", "sigmoid", "linear")
CASES = {  # loss -> (output width, targets of the 3 examples)
    "binary_cross_entropy": (1, np.array([1, 0, 1])),
    "cross_entropy": (3, np.array([2, 0, 1])),
    "mse": (2, np.array([[0.3, -1.2], [2.0, 0.5], [-0.7, 0.1]])),
}
X = np.array([[0.5, -1.0], [1.5, 0.3], [-0.8, 0.9]])


def record_for(activation: str, loss: str, seed: int = 1):
    n_outputs, y = CASES[loss]
    model = MLP([2, 4, 3, n_outputs], activation=activation, seed=seed)
    return backprop_by_hand(model, X, y, loss=loss)


@pytest.mark.parametrize(("activation", "loss"), itertools.product(ACTIVATION_NAMES, CASES))
def test_by_hand_matches_autograd_and_finite_differences(activation: str, loss: str) -> None:
    record = record_for(activation, loss)
    assert (record.activation, record.loss) == (activation, loss)
    for layer in record.layers:
        np.testing.assert_allclose(layer.delta, layer.autograd_delta, rtol=0, atol=1e-13)
        np.testing.assert_allclose(layer.grad_weight, layer.autograd_weight, rtol=0, atol=1e-13)
        np.testing.assert_allclose(layer.grad_bias, layer.autograd_bias, rtol=0, atol=1e-13)
        np.testing.assert_allclose(layer.grad_weight, layer.numeric_weight, rtol=0, atol=1e-8)
        np.testing.assert_allclose(layer.grad_bias, layer.numeric_bias, rtol=0, atol=1e-8)
        # the seed's equation dC/dw_ij = delta_j a_i, summed over the examples, one by one
        for i, j in np.ndindex(layer.grad_weight.T.shape):
            assert layer.grad_weight[j, i] == pytest.approx(
                sum(layer.delta[n, j] * layer.a_prev[n, i] for n in range(len(X))), abs=1e-14
            )
    assert record.difference("autograd") < 1e-13 and record.difference("numeric") < 1e-8
    assert np.abs(record.layers[-1].grad_weight).max() > 1e-3  # not trivially all zero


def test_a_network_worked_out_by_pencil_and_paper() -> None:
    # 1 -> 1 -> 1, sigmoid, binary cross-entropy, one example x = 2 with label y = 1; weights
    # that float32 holds exactly, so float64 arithmetic on them is the pencil's
    model = MLP([1, 1, 1], activation="sigmoid")
    with torch.no_grad():
        model.layers[0].weight.fill_(0.5), model.layers[0].bias.fill_(0.125)
        model.layers[1].weight.fill_(-0.75), model.layers[1].bias.fill_(0.25)
    record = backprop_by_hand(model, [[2.0]], [1])
    sigmoid = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    a1 = sigmoid(0.5 * 2 + 0.125)
    a2 = sigmoid(-0.75 * a1 + 0.25)
    delta2 = a2 - 1  # dC/da^2 * sigma'(z^2) = -1/a2 * a2 (1 - a2)
    delta1 = (-0.75 * delta2) * a1 * (1 - a1)
    output, hidden = record.layers[1], record.layers[0]
    assert record.cost == pytest.approx(-math.log(a2), abs=1e-14)
    assert output.delta[0, 0] == pytest.approx(delta2, abs=1e-14)
    assert output.cost_gradient[0, 0] == pytest.approx(-1 / a2, abs=1e-12)
    assert output.sigma_prime[0, 0] == pytest.approx(a2 * (1 - a2), abs=1e-14)
    assert output.grad_weight[0, 0] == pytest.approx(delta2 * a1, abs=1e-14)
    assert hidden.cost_gradient[0, 0] == pytest.approx(-0.75 * delta2, abs=1e-14)
    assert hidden.delta[0, 0] == pytest.approx(delta1, abs=1e-14)
    assert hidden.grad_weight[0, 0] == pytest.approx(delta1 * 2, abs=1e-14)
    assert hidden.grad_bias[0] == pytest.approx(delta1, abs=1e-14)


@pytest.mark.parametrize("loss", CASES)
def test_the_output_layer_factors_into_dC_da_times_sigma_prime(loss: str) -> None:
    output = record_for("tanh", loss).layers[-1]
    if loss == "cross_entropy":  # softmax: a_j depends on every z_k, no elementwise product
        assert output.cost_gradient is None and output.sigma_prime is None
        np.testing.assert_allclose(output.a.sum(axis=1), 1.0)
    else:
        np.testing.assert_allclose(output.cost_gradient * output.sigma_prime, output.delta)


def test_matches_the_numpy_engine_of_the_trainer() -> None:
    data = make_dataset("xor", n_samples=24, noise=0.1, seed=0)
    model = MLP([2, 5, 3, 1], activation="tanh", seed=3)
    record = backprop_by_hand(copy.deepcopy(model), data.X_train, data.y_train)
    trainer = Trainer(model, data, batch_size=None, seed=0)
    assert trainer.engine == "numpy"
    trainer.step()
    by_hand = np.concatenate(
        [array.ravel() for layer in record.layers for array in (layer.grad_weight, layer.grad_bias)]
    )
    np.testing.assert_allclose(trainer.layer_values().gradient, by_hand, rtol=1e-4, atol=1e-6)


def test_leaves_the_model_untouched_and_repeats_exactly() -> None:
    model = MLP([2, 3, 1], activation="sigmoid", seed=0)
    before = [p.detach().clone() for p in model.parameters()]
    first = backprop_by_hand(model, X, [1, 0, 0])
    second = backprop_by_hand(model, X, [1, 0, 0])
    for p, kept in zip(model.parameters(), before, strict=True):
        assert torch.equal(p, kept) and p.grad is None
    assert first.cost == second.cost
    np.testing.assert_array_equal(first.layers[0].delta, second.layers[0].delta)
    one = backprop_by_hand(model, [0.5, -1.0], [1])  # a single example as a flat list
    assert one.layers[0].z.shape == (1, 3)


def test_sigmoid_gradients_vanish_where_relu_ones_do_not() -> None:
    chart = gradient_flow(("sigmoid", "relu"), depth=6, width=8, n_samples=60)
    assert isinstance(chart, Chart) and chart.y_log
    sigmoid, relu = chart.series
    assert (sigmoid.name, relu.name) == ("sigmoid", "relu")
    np.testing.assert_array_equal(sigmoid.x, np.arange(1, 8))
    # each sigmoid layer multiplies delta by sigma' <= 1/4: after 6 layers well below 1/100
    assert sigmoid.y[0] / sigmoid.y[-1] < 1e-2
    assert relu.y[0] / relu.y[-1] > 1e-1
    assert relu.y[0] > 100 * sigmoid.y[0]
    deltas = gradient_sizes("sigmoid", depth=6, width=8, n_samples=60, quantity="delta")
    assert deltas[0] < deltas[-1] / 100
    assert np.all(np.diff(deltas) > 0)  # shrinking at every layer on the way back


def test_tables_print_the_record_rounded_and_platform_stable() -> None:
    record = record_for("relu", "binary_cross_entropy")
    backward = backprop_table(record, "backward", decimals=4)
    output = record.layers[-1]
    line = next(line for line in backward.splitlines() if line.startswith("  delta^l      x2:"))
    assert float(line.split(":")[1]) == pytest.approx(output.delta[1, 0], abs=5e-5)
    assert "-0.0000" not in backward  # ReLU's zero deltas print as +0.0000
    assert backward.index(f"layer l = {len(record.layers)}") < backward.index("layer l = 1")
    forward = backprop_table(record, "forward")
    weights = next(line for line in forward.splitlines() if line.startswith("  w_i2^l"))
    np.testing.assert_allclose(  # row j = 2 of layer 1: w_i2^1 for every i, as W^1[1, :]
        [float(v) for v in weights.split(":")[1].split()], record.layers[0].weight[1], atol=5e-5
    )
    assert "delta" not in forward and re.search(r"C = \+\d\.\d{4}", forward)
    agreement = agreement_table(record)
    assert agreement.count("True") == 2 * len(record.layers) and "False" not in agreement
    assert "False" in agreement_table(record, numeric_tolerance=1e-15)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: backprop_by_hand(torch.nn.Linear(2, 1), X, [1, 0, 1]), TypeError, "model"),
        (lambda: backprop_by_hand(MLP([3, 1]), X, [1, 0, 1]), ValueError, "x must"),
        (lambda: backprop_by_hand(MLP([2, 1]), X, [1, 0]), ValueError, "y must"),
        (lambda: backprop_by_hand(MLP([2, 1]), X, [1, 0, 1], loss="hinge"), ValueError, "loss"),
        (lambda: backprop_by_hand(MLP([2, 1]), X, [1, 0, 1], epsilon=0), ValueError, "epsilon"),
        (lambda: record_for("tanh", "mse").difference("exact"), ValueError, "against"),
        (lambda: gradient_sizes(depth=0), ValueError, "depth"),
        (lambda: gradient_sizes(width=2.5), TypeError, "width"),
        (lambda: gradient_sizes(activation="swish"), ValueError, "activation"),
        (lambda: gradient_sizes(dataset="mnist"), ValueError, "dataset"),
        (lambda: gradient_flow(quantity="hessian"), ValueError, "quantity"),
        (lambda: gradient_flow(activations="relu"), TypeError, "activations"),
        (lambda: backprop_table(record_for("tanh", "mse"), "sideways"), ValueError, "part"),
        (lambda: agreement_table(record_for("tanh", "mse"), 0), ValueError, "autograd_tolerance"),
    ],
)
def test_bad_arguments_name_the_parameter(call, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()
