"""Data-parallel SGD: the all-reduced gradient of two gloo workers is the large batch's gradient
(checked against autograd), and the replicas end where a single process does."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nnviz import MLP, make_dataset
from nnviz.lessons.data_parallel import data_parallel_sgd


@pytest.fixture(scope="module")
def digits():
    """300 digits: 240 to train on."""
    return make_dataset("digits", n_samples=300, test_fraction=0.2, seed=0)


def test_data_parallel_gradient_is_the_large_batch_gradient(digits) -> None:
    result = data_parallel_sgd(digits, world_size=2, batch_size=40, steps=2, lr=0.5, hidden=(8,))
    assert result.worker_gradients.shape == (2, 64 * 8 + 8 + 8 * 10 + 10)
    # The shards differ, so do the workers' own gradients; their mean is the all-reduce's.
    assert np.abs(result.worker_gradients[0] - result.worker_gradients[1]).max() > 1e-3
    assert np.allclose(result.worker_gradients.mean(axis=0), result.averaged_gradient, atol=1e-7)
    # The gradient of the whole 40-example batch by autograd, independently of nnviz.lessons.
    model = MLP([64, 8, 10], activation="relu", seed=0)
    F.cross_entropy(model(digits.X_train[:40]), digits.y_train[:40]).backward()
    expected = torch.cat([p.grad.reshape(-1) for p in model.parameters()]).numpy()
    assert np.abs(result.averaged_gradient - expected).max() < 1e-6
    assert result.gradient_difference < 1e-6
    # After two updates every replica holds the single process's parameters.
    assert result.parameter_difference < 1e-6
    assert np.abs(result.parameters[0] - result.parameters[1]).max() < 1e-6


@pytest.mark.parametrize(
    ("call", "error", "parameter"),
    [
        (lambda data: data_parallel_sgd(data, batch_size=41), ValueError, "batch_size"),
        (lambda data: data_parallel_sgd(data, world_size=0), ValueError, "world_size"),
        (lambda data: data_parallel_sgd(data, batch_size=200, steps=2), ValueError, "steps"),
        (lambda data: data_parallel_sgd(data, hidden=8), TypeError, "hidden"),
    ],
)
def test_bad_arguments_name_the_parameter(digits, call, error, parameter) -> None:
    with pytest.raises(error, match=parameter):
        call(digits)
