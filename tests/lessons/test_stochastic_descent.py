"""Tests for nnviz.lessons.stochastic_descent: per-example gradients and gradient noise against
autograd, and
the first-layer identity dC/dw_ij = delta_j x_i against a hand-written backward pass."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nnviz import MLP, Trainer, from_arrays, make_dataset
from nnviz.lessons.stochastic_descent import (
    first_layer_gradient,
    gradient_noise,
    noise_chart,
    per_example_gradients,
    seed_rule_run,
)


# --------------------------------------------------------------------------- gradient noise
def test_per_example_gradients_match_autograd(binary_data) -> None:
    model = MLP([2, 3, 1], seed=2)
    gradients = per_example_gradients(model, binary_data)
    assert gradients.shape == (30, sum(p.numel() for p in model.parameters()))
    inputs, labels = binary_data.X_train, binary_data.y_train.float().reshape(-1, 1)
    for index in (0, 17):
        model.zero_grad()
        F.binary_cross_entropy_with_logits(
            model(inputs[index : index + 1]), labels[index : index + 1]
        ).backward()
        expected = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
        np.testing.assert_allclose(gradients[index], expected.numpy(), rtol=1e-5, atol=1e-7)
    model.zero_grad()
    F.binary_cross_entropy_with_logits(model(inputs), labels).backward()
    full = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
    np.testing.assert_allclose(gradients.mean(axis=0), full.numpy(), rtol=1e-5, atol=1e-7)


def test_gradient_cosine_is_one_for_the_full_set_and_grows_with_batch_size(binary_data) -> None:
    noise = gradient_noise(MLP([2, 3, 1], seed=0), binary_data, (1, 5, 15, None), samples=300)
    np.testing.assert_array_equal(noise.batch_sizes, [1, 5, 15, 30])
    assert noise.mean[-1] == pytest.approx(1.0, abs=1e-9) and noise.std[-1] < 1e-9
    assert noise.mean[0] < noise.mean[1] < noise.mean[2] < noise.mean[3]
    assert np.all(noise.mean <= 1 + 1e-12) and np.all(noise.mean >= -1)
    assert noise.std[0] > noise.std[2]  # bigger batches scatter less


def test_gradient_noise_is_seeded_and_charts_its_records(binary_data) -> None:
    model = MLP([2, 3, 1], seed=0)
    first = gradient_noise(model, binary_data, (1, 10), samples=20, seed=3, label="start")
    again = gradient_noise(model, binary_data, (1, 10), samples=20, seed=3, label="later")
    np.testing.assert_array_equal(first.mean, again.mean)
    chart = noise_chart(first, again)
    assert chart.x_log and len(chart.series) == 6
    assert chart.series[0].name == "start mean cosine"
    np.testing.assert_array_equal(chart.series[1].y, first.mean + first.std)
    assert "batch   10" in first.summary()


# --------------------------------------------------------------------------- the seed's update
def test_first_layer_gradient_is_delta_times_input_not_times_input_twice() -> None:
    model = MLP([2, 3, 1], activation="tanh", seed=4)
    x, y = np.array([1.5, -2.0]), 1
    result = first_layer_gradient(model, x, y)
    # The seed's equations by hand, in float64: delta^L = a^L - y for one example.
    w1, b1 = (p.detach().double().numpy() for p in model.layers[0].parameters())
    w2, b2 = (p.detach().double().numpy() for p in model.layers[1].parameters())
    z1 = w1 @ x + b1
    output = 1 / (1 + np.exp(-(w2 @ np.tanh(z1) + b2)))
    delta = (output - y) @ w2 * (1 - np.tanh(z1) ** 2)
    np.testing.assert_allclose(result.delta, delta, rtol=1e-5)
    np.testing.assert_allclose(result.gradient, np.outer(delta, x), rtol=1e-5)
    np.testing.assert_allclose(result.gradient, result.delta_x, rtol=1e-6, atol=1e-9)
    assert not np.allclose(result.delta_x_x, result.gradient)  # the extra x: another quantity
    np.testing.assert_allclose(result.delta_x_x, result.delta_x * x)
    assert all(p.grad is None for p in model.parameters())  # asking changed nothing
    assert "delta_j*x_i*x_i" in result.table() and len(result.table().splitlines()) == 7


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: gradient_noise(MLP([2, 1]), d, (1,), samples=1), "samples=1"),
        (lambda d: first_layer_gradient(MLP([2, 1]), [1.0, 2.0, 3.0], 1), "x must have 2"),
        (lambda d: first_layer_gradient(torch.nn.Linear(2, 1), [1.0, 2.0], 1), "model must be"),
    ],
)
def test_bad_arguments_name_the_parameter(binary_data, call, message) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        call(binary_data)


def test_the_seed_rules_correct_curve_is_a_trainer_with_batch_size_1():

    data = make_dataset("circle", n_samples=60, noise=0.1, seed=0)
    run = seed_rule_run(data, hidden=4, lr=0.3, epochs=3, seed=2)
    trainer = Trainer(MLP([2, 4, 1], activation="tanh", seed=2), data, lr=0.3, batch_size=1,
                      seed=2)  # fmt: skip
    losses = [trainer.evaluate().train_loss]
    for _ in range(3):
        trainer.fit(epochs=1)
        losses.append(trainer.evaluate().train_loss)
    np.testing.assert_allclose(run.correct, losses, rtol=1e-4)
    assert run.seed_rule[0] == run.correct[0]  # the same start
    assert abs(run.seed_rule[-1] - run.correct[-1]) > 1e-3
    assert run.table().splitlines()[0].split() == ["epoch", "correct", "seed", "rule"]


def test_the_seed_rule_multiplies_the_first_layers_gradient_by_x():

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, size=40)
    ones = from_arrays(np.ones((40, 2)), labels, test_fraction=0.5)  # x_i = 1: x_i^2 = x_i
    same = seed_rule_run(ones, hidden=3, lr=0.5, epochs=2)
    np.testing.assert_allclose(same.seed_rule, same.correct, rtol=1e-6)
    halves = from_arrays(np.full((40, 2), 0.5), labels, test_fraction=0.5)
    scaled = seed_rule_run(halves, hidden=3, lr=0.5, epochs=2)
    assert not np.allclose(scaled.seed_rule, scaled.correct)  # the first layer's steps halved
    with pytest.raises(ValueError, match="seed_rule_run needs two-class data"):
        seed_rule_run(make_dataset("plane", n_samples=20))
