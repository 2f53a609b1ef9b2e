"""forward_pass, explain_forward, activation_curves and ForwardExplorer against hand and torch."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from nnviz import MLP, activation_curves, check_forward, explain_forward, forward_pass
from nnviz.core.activations import ACTIVATIONS, get_activation


def hand_model() -> MLP:
    """2-2-1 tanh with weights small enough to compute on paper."""
    model = MLP([2, 2, 1], activation="tanh")
    with torch.no_grad():
        model.layers[0].weight.copy_(torch.tensor([[1.0, -2.0], [0.5, 0.25]]))
        model.layers[0].bias.copy_(torch.tensor([0.5, -1.0]))
        model.layers[1].weight.copy_(torch.tensor([[2.0, -1.0]]))
        model.layers[1].bias.copy_(torch.tensor([0.25]))
    return model


def test_forward_pass_is_the_seeds_equation_computed_by_hand():
    record = forward_pass(hand_model(), [1.0, 2.0])
    first, output = record.layers
    # z_1^1 = 1*1 + (-2)*2 + 0.5 = -2.5; z_2^1 = 0.5*1 + 0.25*2 - 1 = 0
    np.testing.assert_allclose(first.z, [[-2.5, 0.0]])
    np.testing.assert_allclose(first.a, [[np.tanh(-2.5), 0.0]])
    z_out = 2.0 * np.tanh(-2.5) - 1.0 * 0.0 + 0.25
    np.testing.assert_allclose(output.z, [[z_out]])
    np.testing.assert_allclose(output.a, [[1 / (1 + np.exp(-z_out))]])  # one output: sigmoid
    assert first.activation == "tanh" and output.activation == "sigmoid"
    np.testing.assert_array_equal(output.a_prev, first.a)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_forward_pass_matches_the_model_and_softmax_sums_to_one(activation):
    model = MLP([2, 5, 4, 3], activation=activation, seed=3)
    points = torch.randn(7, 2, generator=torch.Generator().manual_seed(1))
    record = forward_pass(model, points)
    assert check_forward(model, record) < 1e-5  # float32 model against float64 numpy
    np.testing.assert_allclose(record.layers[-1].a.sum(axis=1), 1.0)
    assert record.batch_size == 7 and [layer.z.shape for layer in record.layers] == [
        (7, 5),
        (7, 4),
        (7, 3),
    ]
    identity = forward_pass(model, points, output="identity")
    np.testing.assert_array_equal(identity.layers[-1].a, identity.layers[-1].z)


def test_forward_pass_rejects_bad_input():
    model = hand_model()
    with pytest.raises(ValueError, match=r"inputs must have 2 features.*shape \(3,\)"):
        forward_pass(model, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="output"):
        forward_pass(model, [1.0, 2.0], output="tanh")
    with pytest.raises(TypeError, match=r"model must be an nnviz\.MLP"):
        forward_pass(torch.nn.Linear(2, 1), [1.0, 2.0])


def test_explain_forward_writes_every_neuron_with_the_records_numbers():
    record = forward_pass(hand_model(), [1.0, 2.0])
    text = explain_forward(record)
    assert "a_1^0 = 1, a_2^0 = 2" in text
    assert "z_1^1 = w_11^1 a_1^0 + w_21^1 a_2^0 + b_1^1 = 1 · 1 + (-2) · 2 + 0.5 = -2.5" in text
    assert "a_1^1 = tanh(z_1^1) = tanh(-2.5) = -0.9866" in text
    assert len(re.findall(r"^  z_\d\^\d = ", text, flags=re.M)) == 3  # 2 hidden + 1 output
    final = float(re.search(r"a_1\^2 = sigmoid\(z_1\^2\) = sigmoid\(.*\) = (\S+)", text)[1])
    assert final == pytest.approx(float(record.layers[-1].a[0, 0]), rel=1e-3)
    latex = explain_forward(record, format="latex")
    assert latex.startswith(r"\begin{array}{l}") and r"\text{tanh}(z_{1}^{1})" in latex
    assert explain_forward(record, format="markdown").count("$$") == 2 * (1 + 3 * 2)
    with pytest.raises(ValueError, match="example"):
        explain_forward(record, example=1)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_curves_slope_is_autograds_derivative(name):
    values, slopes = activation_curves([name], low=-3.0, high=3.0, points=61)
    (value,), (slope,) = values.series, slopes.series
    z = torch.tensor(value.x, requires_grad=True)
    get_activation(name).function(z).sum().backward()
    away_from_kink = np.abs(value.x) > 1e-9  # ReLU has no derivative at 0
    np.testing.assert_allclose(slope.y[away_from_kink], z.grad.numpy()[away_from_kink], atol=1e-12)
    np.testing.assert_allclose(value.y, get_activation(name).function(z.detach()).numpy())
    assert values.x_title == "z" and slope.name == name


def test_activation_curves_reject_bad_arguments():
    with pytest.raises(ValueError, match="names"):
        activation_curves(["swish"])
    with pytest.raises(ValueError, match="low must be below high"):
        activation_curves(low=1.0, high=-1.0)


def test_forward_explorer_follows_its_sliders():
    from nnviz import ForwardExplorer

    model = hand_model()
    explorer = ForwardExplorer(model, x1=1.0, x2=2.0)
    assert r"\text{tanh}(-2.5)" in explorer.equations.value
    explorer.x2.value = 0.0  # z_1^1 = 1 + 0.5 = 1.5
    assert r"\text{tanh}(1.5)" in explorer.equations.value
    assert explorer.record.layers[0].z[0, 0] == pytest.approx(1.5)
    with pytest.raises(ValueError, match=r"model must be an nnviz\.MLP with 2 inputs"):
        ForwardExplorer(MLP([3, 1]))
    with pytest.raises(ValueError, match="x1"):
        ForwardExplorer(model, x1=10.0)
