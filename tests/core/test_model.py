"""Tests for nnviz.core.model.MLP: argument checks, seeded Glorot initialisation that leaves the
global RNG alone, zero biases, and a forward pass equal to the seed's equations in numpy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnviz import MLP, get_activation
from nnviz.core.model import flat_parameters

GAINS = {"relu": 2**0.5, "tanh": 5 / 3, "sigmoid": 1.0, "linear": 1.0}


@pytest.mark.parametrize(
    ("sizes", "error"),
    [
        ([2], ValueError),
        ([], ValueError),
        ([2, 0, 1], ValueError),
        ([2, -3, 1], ValueError),
        ([2, 2.5, 1], TypeError),
        ([2, True, 1], TypeError),
        ("2, 1", TypeError),
        (5, TypeError),
        (None, TypeError),
    ],
    ids=repr,
)
def test_bad_sizes_are_refused_and_named(sizes, error) -> None:
    with pytest.raises(error, match="sizes"):
        MLP(sizes)


def test_bad_activation_and_seed_are_named() -> None:
    with pytest.raises(ValueError, match="activation='softplus'"):
        MLP([2, 1], activation="softplus")
    with pytest.raises(TypeError, match="activation"):
        MLP([2, 1], activation=3)
    with pytest.raises(TypeError, match="seed"):
        MLP([2, 1], seed=1.5)


def test_sizes_make_the_layers() -> None:
    model = MLP((3, 5, 4, 2), "relu")
    assert model.sizes == (3, 5, 4, 2)
    assert [tuple(layer.weight.shape) for layer in model.layers] == [(5, 3), (4, 5), (2, 4)]
    assert model.n_inputs == 3 and model.n_outputs == 2
    assert model.activation is get_activation("relu")
    assert "relu" in repr(model) and "[3, 5, 4, 2]" in repr(model)
    assert MLP(np.array([2, 1]).tolist()).sizes == (2, 1)
    assert MLP([np.int64(2), 1]).sizes == (2, 1)


def weights(model: MLP) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def test_same_seed_same_network_different_seed_different() -> None:
    first, second, other = (
        MLP([2, 8, 8, 1], seed=4),
        MLP([2, 8, 8, 1], seed=4),
        MLP([2, 8, 8, 1], seed=5),
    )
    assert all(
        torch.equal(a, b) for a, b in zip(first.parameters(), second.parameters(), strict=True)
    )
    assert not torch.equal(first.layers[0].weight, other.layers[0].weight)


def test_reset_parameters_leaves_the_global_rng_alone() -> None:
    model = MLP([2, 16, 16, 1], seed=9)
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    model.reset_parameters()
    model.reset_parameters(seed=4)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_construction_leaves_the_global_rng_alone() -> None:
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    MLP([2, 16, 16, 1], seed=9)
    assert torch.equal(torch.random.get_rng_state(), state)


@pytest.mark.parametrize("activation", list(GAINS))
def test_glorot_uniform_weights_scaled_by_the_gain_and_zero_biases(activation: str) -> None:
    model = MLP([20, 30, 10], activation, seed=0)
    for layer in model.layers:
        fan_out, fan_in = layer.weight.shape
        bound = GAINS[activation] * (6 / (fan_in + fan_out)) ** 0.5
        values = layer.weight.detach().numpy()
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.9 * bound  # spread over the whole interval
        assert values.std() == pytest.approx(bound / 3**0.5, rel=0.15)  # uniform's std
        np.testing.assert_array_equal(layer.bias.detach().numpy(), 0.0)


def test_reset_parameters_redraws_the_initial_network() -> None:
    model = MLP([2, 4, 1], seed=2)
    initial = weights(model)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(1.0)
    model.reset_parameters()
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), initial, strict=True))
    model.reset_parameters(seed=7)
    assert all(
        torch.equal(a, b)
        for a, b in zip(model.parameters(), MLP([2, 4, 1], seed=7).parameters(), strict=True)
    )


@pytest.mark.parametrize("activation", list(GAINS))
def test_forward_equals_the_equations_in_numpy(activation: str, numpy_sigma) -> None:
    model = MLP([3, 5, 4, 2], activation, seed=1)
    with torch.no_grad():  # non-zero biases, so that they are tested too
        for index, layer in enumerate(model.layers):
            layer.bias.copy_(torch.linspace(-1, 1, layer.bias.numel()) * (index + 1))
    inputs = torch.randn(7, 3, generator=torch.Generator().manual_seed(0))
    sigma, _ = numpy_sigma[activation]
    a = inputs.double().numpy()
    for index, layer in enumerate(model.layers):
        z = a @ layer.weight.detach().double().numpy().T + layer.bias.detach().double().numpy()
        a = sigma(z) if index < len(model.layers) - 1 else z  # the output layer gives logits
    np.testing.assert_allclose(model(inputs).detach().numpy(), a, rtol=1e-5, atol=1e-6)


def test_linear_layers_and_flat_parameters_follow_the_layer_order() -> None:
    model = MLP([2, 3, 1], seed=4)
    layers = model.linear_layers()
    assert [tuple(layer.weight.shape) for layer in layers] == [(3, 2), (1, 3)]
    assert all(isinstance(layer, torch.nn.Linear) for layer in layers)
    flat = flat_parameters(model)
    expected = [layers[0].weight, layers[0].bias, layers[1].weight, layers[1].bias]
    np.testing.assert_array_equal(
        flat, np.concatenate([p.detach().numpy().ravel() for p in expected])
    )
    flat[0] += 1.0  # a copy: the model's weights stay as they were
    assert layers[0].weight[0, 0].item() != flat[0]
