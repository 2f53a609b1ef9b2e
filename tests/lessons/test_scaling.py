"""Mini-batches at scale: throughput records and loss after k epochs per batch size."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nnviz import MLP, make_dataset
from nnviz.lessons.scaling import (
    Convergence,
    convergence_chart,
    loss_after_epochs,
    measure_throughput,
    throughput_chart,
)


@pytest.fixture(scope="module")
def digits():
    """300 digits: 240 to train on."""
    return make_dataset("digits", n_samples=300, test_fraction=0.2, seed=0)


def test_throughput_has_one_positive_entry_per_batch_size(digits) -> None:
    record = measure_throughput([1, 8, 240], data=digits, hidden=(8,), seconds=0.01)
    assert list(record.batch_sizes) == [1, 8, 240] and record.device == "cpu"
    assert len(record.examples_per_second) == 3 and np.all(record.examples_per_second > 0)
    assert np.all(record.steps >= 1)
    chart = throughput_chart(record)
    assert chart.x_log and chart.y_log and chart.series[0].name == "cpu"


def test_loss_after_epochs_matches_plain_gradient_descent(digits) -> None:
    lr = 0.5
    record = loss_after_epochs([60, 240], epochs=2, lr=lr, data=digits, hidden=(8,), seed=1)
    assert list(record.updates) == [2 * 4, 2 * 1]
    # At the smallest batch size the scaled rate is the rate itself.
    assert record.loss_scaled_lr[0] == record.loss_fixed_lr[0]
    # Full batch, fixed eta: two steps w <- w - eta dC/dw by autograd, from the same network.
    model = MLP([64, 8, 10], activation="relu", seed=1)
    for _ in range(2):
        model.zero_grad()
        F.cross_entropy(model(digits.X_train), digits.y_train).backward()
        with torch.no_grad():
            for parameter in model.parameters():
                parameter -= lr * parameter.grad
    with torch.no_grad():
        expected = F.cross_entropy(model(digits.X_train), digits.y_train).item()
    assert record.loss_fixed_lr[1] == pytest.approx(expected, rel=1e-5)


def test_convergence_chart_leaves_out_runs_that_diverged() -> None:
    sizes = np.array([4, 16, 64])
    record = Convergence(
        1, sizes, np.array([9, 3, 1]), 0.1, np.ones(3), np.array([1.0, 0.5, np.inf])
    )
    fixed, scaled = convergence_chart(record).series
    assert list(fixed.x) == [4, 16, 64] and list(scaled.x) == [4, 16]


@pytest.mark.parametrize(
    ("call", "error", "parameter"),
    [
        (lambda data: measure_throughput([0], data=data), ValueError, r"batch_sizes\[0\]"),
        (lambda data: measure_throughput([], data=data), TypeError, "batch_sizes"),
        (lambda data: measure_throughput([2], data=data, seconds=0), ValueError, "seconds"),
        (lambda data: loss_after_epochs([2], epochs=0, data=data), ValueError, "epochs"),
        (lambda data: loss_after_epochs([2], lr=-1, data=data), ValueError, "lr"),
        (lambda data: loss_after_epochs([2], hidden=(0,), data=data), ValueError, r"hidden\[0\]"),
        (lambda data: convergence_chart("record"), TypeError, "record"),
        (lambda data: throughput_chart(), TypeError, "records"),
    ],
)
def test_bad_arguments_name_the_parameter(digits, call, error, parameter) -> None:
    with pytest.raises(error, match=parameter):
        call(digits)
