"""Tests for nnviz.lessons.gradient_descent: the batch-size comparison against separate Trainer
runs, the two-weight loss surface and its paths against torch's losses and autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nnviz import MLP, Trainer, make_dataset
from nnviz.lessons.gradient_descent import compare_batch_sizes, loss_surface


@pytest.fixture(scope="module")
def comparison(binary_data):
    """xor, 30 training points, batch sizes full / 1 / 10, 4 epochs."""
    return compare_batch_sizes(binary_data, hidden=(3,), lr=0.1, epochs=4, seed=1, points=10)


@pytest.fixture(scope="module")
def gauss_data():
    """Two overlapping Gaussians: a logistic regression without bias has a finite minimum."""
    return make_dataset("gauss", n_samples=40, noise=0.5, test_fraction=0.25, seed=0)


def torch_cost(data, weights) -> float:
    """C of z = w_1 x_1 + w_2 x_2 on the training set, by torch (float64)."""
    z = data.X_train.double() @ torch.as_tensor(weights, dtype=torch.float64)
    if data.task == "regression":
        return float(0.5 * (z - data.y_train.double().reshape(-1)).pow(2).mean())
    return float(F.binary_cross_entropy_with_logits(z, data.y_train.double()))


# --------------------------------------------------------------------------- batch sizes
def test_full_batch_loss_decreases_monotonically_for_a_small_lr(binary_data) -> None:
    result = compare_batch_sizes(binary_data, hidden=(3,), batch_sizes=(None,), lr=0.05, epochs=30)
    (curve,) = result.curves
    assert curve.name == "full batch (GD)" and curve.batch_size == 30
    np.testing.assert_array_equal(curve.updates, np.arange(31))  # every update measured
    assert np.all(np.diff(curve.loss) < 0)


def test_every_variant_starts_from_the_same_parameters(comparison, binary_data) -> None:
    expected = torch.cat([p.detach().reshape(-1) for p in MLP([2, 3, 1], seed=1).parameters()])
    for curve in comparison.curves:
        np.testing.assert_array_equal(curve.initial_parameters, expected.numpy())
        assert curve.updates[0] == 0 and curve.examples[0] == 0
    assert len({curve.loss[0] for curve in comparison.curves}) == 1


def test_examples_seen_is_updates_times_batch_size(comparison) -> None:
    assert [curve.batch_size for curve in comparison.curves] == [30, 1, 10]
    for curve in comparison.curves:
        np.testing.assert_array_equal(curve.examples, curve.updates * curve.batch_size)
        assert curve.updates[-1] == 4 * 30 // curve.batch_size  # 4 epochs, measured at the end
        assert np.all(np.diff(curve.seconds) >= 0)


def test_each_curve_matches_a_separate_trainer_run(comparison, binary_data) -> None:
    for curve, batch_size in zip(comparison.curves, (None, 1, 10), strict=True):
        trainer = Trainer(
            MLP([2, 3, 1], seed=1), binary_data, lr=0.1, batch_size=batch_size, seed=1
        )
        trainer.fit(epochs=4)
        assert curve.loss[-1] == pytest.approx(trainer.evaluate().train_loss, rel=1e-6)


def test_charts_plot_the_curves_against_three_axes(comparison) -> None:
    by_updates, by_examples, by_seconds = comparison.charts
    assert by_updates.x_log and not by_examples.x_log
    sgd = comparison.curves[1]
    assert [s.name for s in by_examples.series] == [c.name for c in comparison.curves]
    np.testing.assert_array_equal(by_updates.series[1].x, sgd.updates[1:])  # log axis: no 0
    np.testing.assert_array_equal(by_examples.series[1].y, sgd.loss)
    np.testing.assert_array_equal(by_seconds.series[1].x, sgd.seconds)
    assert "SGD (batch 1)" in comparison.summary()


# --------------------------------------------------------------------------- loss surface
def test_surface_values_are_the_loss_at_each_grid_point(gauss_data) -> None:
    surface = loss_surface(gauss_data, updates=3, resolution=5).surface
    assert surface.z.shape == (5, 5)
    for row, column in [(0, 0), (1, 3), (4, 2)]:
        weights = (surface.x[column], surface.y[row])
        assert surface.z[row, column] == pytest.approx(torch_cost(gauss_data, weights), rel=1e-9)


def test_paths_start_together_and_their_losses_are_the_surface_function(gauss_data) -> None:
    result = loss_surface(gauss_data, start=(-2.0, 1.5), lr=0.2, updates=5, resolution=5)
    for path, losses in zip(result.surface.paths, result.path_losses, strict=True):
        assert (path.x[0], path.y[0]) == (-2.0, 1.5) and len(path.x) == 6
        for t in (0, 3, 5):
            assert losses[t] == pytest.approx(torch_cost(gauss_data, (path.x[t], path.y[t])))
    assert result.examples == (30 * 5, 5, 10 * 5)


def test_path_steps_are_gradient_steps_by_autograd(gauss_data) -> None:
    result = loss_surface(gauss_data, start=(-2.0, 1.5), lr=0.2, updates=2, resolution=3)
    gd, sgd, _ = result.surface.paths
    weights = torch.tensor([-2.0, 1.5], dtype=torch.float64, requires_grad=True)
    inputs, labels = gauss_data.X_train.double(), gauss_data.y_train.double()
    F.binary_cross_entropy_with_logits(inputs @ weights, labels).backward()
    expected = weights.detach() - 0.2 * weights.grad
    np.testing.assert_allclose([gd.x[1], gd.y[1]], expected.numpy(), rtol=1e-9)
    # SGD's first step is a gradient step on one training example, whichever it drew.
    candidates = []
    for x, y in zip(inputs, labels, strict=True):
        w = torch.tensor([-2.0, 1.5], dtype=torch.float64, requires_grad=True)
        F.binary_cross_entropy_with_logits((x @ w).reshape(1), y.reshape(1)).backward()
        candidates.append((w.detach() - 0.2 * w.grad).numpy())
    distances = np.abs(np.array(candidates) - [sgd.x[1], sgd.y[1]]).max(axis=1)
    assert distances.min() < 1e-12


def test_regression_data_gives_a_least_squares_surface(regression_data) -> None:
    surface = loss_surface(regression_data, updates=2, resolution=3).surface
    assert surface.z[1, 2] == pytest.approx(
        torch_cost(regression_data, (surface.x[2], surface.y[1]))
    )


# --------------------------------------------------------------------------- arguments
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: compare_batch_sizes(d, batch_sizes=(0,)), r"batch_sizes\[0\]=0"),
        (lambda d: compare_batch_sizes(d, batch_sizes=(31,)), r"batch_sizes\[0\]=31"),
        (lambda d: compare_batch_sizes(d, batch_sizes=10), "batch_sizes must be"),
        (lambda d: compare_batch_sizes(d, epochs=0), "epochs=0"),
        (lambda d: compare_batch_sizes(d, hidden=(0,)), r"hidden\[0\]=0"),
        (lambda d: compare_batch_sizes(d, lr=-1.0), "lr=-1"),
        (lambda d: loss_surface(d, updates=0), "updates=0"),
        (lambda d: loss_surface(d, start=(1.0,)), "start must be"),
        (lambda d: loss_surface(d, resolution=2), "resolution=2"),
    ],
)
def test_bad_arguments_name_the_parameter(binary_data, call, message) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        call(binary_data)


def test_axis_and_data_shape_errors_name_what_is_allowed(comparison) -> None:
    with pytest.raises(ValueError, match=r"axis='steps'.*'updates'"):
        comparison.chart("steps")
    wide = make_dataset("random", n_samples=20, n_features=4, n_classes=2, seed=0)
    with pytest.raises(ValueError, match="2 features and 1 output"):
        loss_surface(wide)
