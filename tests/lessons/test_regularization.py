"""Tests for nnviz.lessons.regularization: every run equals a Trainer built by hand with the same
settings, a penalty shrinks the weights, L1 leaves more weights near zero than L2, the charts and
surfaces carry the runs' numbers, and bad arguments name the parameter."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from nnviz import MLP, Trainer, make_dataset
from nnviz.lessons.regularization import regularization_sweep


@pytest.fixture(scope="module")
def noisy():
    """60 noisy XOR points, 30 of them for training."""
    return make_dataset("xor", n_samples=60, noise=0.3, seed=1)


@pytest.fixture(scope="module")
def sweeps(noisy):
    settings = {"steps": 300, "hidden": (8, 8), "lr": 0.3, "seed": 2, "resolution": 12}
    return {
        kind: regularization_sweep(noisy, kind, (0.0, 0.01), **settings) for kind in ("l1", "l2")
    }


def trained_by_hand(data, seed: int, steps: int, **settings) -> Trainer:
    trainer = Trainer(MLP([2, 8, 8, 1], activation="tanh", seed=seed), data, seed=seed, **settings)
    trainer.fit(steps=steps)
    return trainer


def weights_of(trainer: Trainer) -> np.ndarray:
    return np.concatenate([layer.weight.detach().numpy().ravel() for layer in trainer.model.layers])


# --------------------------------------------------------------------------- regularization
@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_regularization_runs_equal_separate_trainer_runs(noisy, sweeps, kind) -> None:
    trainer = trained_by_hand(
        noisy, 2, 300, lr=0.3, batch_size=10, regularization=kind, reg_rate=0.01
    )
    run = sweeps[kind].run(0.01)
    evaluation = trainer.evaluate()
    assert (run.evaluation.train_loss, run.evaluation.test_loss) == (
        evaluation.train_loss,
        evaluation.test_loss,
    )
    assert run.evaluation.test_metric == evaluation.test_metric
    weights = weights_of(trainer)
    np.testing.assert_array_equal(run.weights, weights)
    assert run.weights.size == 2 * 8 + 8 * 8 + 8 * 1  # weights only, no biases
    assert run.near_zero == int(np.sum(np.abs(weights) < 0.01))
    assert run.weight_norm == pytest.approx(float(np.linalg.norm(weights)), rel=1e-6)


def test_the_unpenalised_run_is_plain_training(noisy, sweeps) -> None:
    trainer = trained_by_hand(noisy, 2, 300, lr=0.3, batch_size=10)
    np.testing.assert_array_equal(sweeps["l2"].run(0.0).weights, weights_of(trainer))
    np.testing.assert_array_equal(sweeps["l1"].run(0.0).weights, weights_of(trainer))


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_a_penalty_shrinks_the_weight_norm(sweeps, kind) -> None:
    sweep = sweeps[kind]
    assert sweep.run(0.01).weight_norm < 0.8 * sweep.run(0.0).weight_norm


def test_l1_leaves_more_weights_near_zero_than_l2_at_the_same_strength(sweeps) -> None:
    l1, l2 = sweeps["l1"].run(0.01), sweeps["l2"].run(0.01)
    assert l1.near_zero > l2.near_zero + 10
    # Plain SGD on |w| steps by eta*lambda*sign(w) and jumps over 0: near zero, not exactly 0.
    assert l1.exact_zero == 0


def test_boundary_surface_is_the_model_output_over_the_plane(noisy, sweeps) -> None:
    surface = sweeps["l2"].boundary_surface(0.01)
    assert surface.z.shape == (12, 12)
    trainer = trained_by_hand(
        noisy, 2, 300, lr=0.3, batch_size=10, regularization="l2", reg_rate=0.01
    )
    grid = np.stack(np.meshgrid(surface.x, surface.y), axis=-1).reshape(-1, 2)
    with torch.no_grad():  # the xor inputs are the raw points x1, x2
        expected = torch.sigmoid(trainer.model(torch.from_numpy(grid).float())).numpy()
    np.testing.assert_allclose(surface.z, expected.reshape(12, 12), atol=1e-5)
    points = np.concatenate([np.stack((p.x, p.y), axis=1) for p in surface.paths])
    assert sorted(map(tuple, points)) == sorted(map(tuple, noisy.raw_train.numpy()))
    assert [p.name for p in surface.paths] == ["class 0", "class 1"]


def test_histogram_counts_every_weight_and_clips_into_the_outer_bins(sweeps) -> None:
    run = sweeps["l1"].run(0.0)
    chart = sweeps["l1"].histogram_chart(0.0, limit=0.5, bins=10)
    counts = chart.series[0].y
    assert counts.sum() == run.weights.size
    assert counts[-1] >= np.sum(run.weights > 0.5) and counts[0] >= np.sum(run.weights < -0.5)
    assert chart.series[0].x[0] == pytest.approx(-0.45)
    assert chart.series[0].name == "no penalty, λ=0"
    penalised = sweeps["l1"].histogram_chart(0.01)
    near_zero = sweeps["l1"].run(0.01).near_zero
    assert penalised.title == f"L1, λ=0.01: {near_zero} of 88 |w| < 0.01"


def test_gap_chart_draws_lambda_zero_as_level_lines(sweeps) -> None:
    sweep = sweeps["l2"]
    series = {s.name: s for s in sweep.gap_chart().series}
    assert list(series["test, λ=0"].y) == [sweep.run(0.0).evaluation.test_loss] * 2
    assert series["test, λ=0"].dash and list(series["train"].x) == [0.01]
    accuracy = {s.name: s for s in sweep.gap_chart("metric").series}
    assert accuracy["test"].y[0] == sweep.run(0.01).evaluation.test_metric
    lines = sweep.table().splitlines()
    assert len(lines) == 3 and lines[2].split()[0] == "0.01"


# --------------------------------------------------------------------------- arguments
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda d: regularization_sweep(d, "l3", (0.1,)), ValueError, "kind"),
        (lambda d: regularization_sweep(d, "l1", (-1.0,)), ValueError, "reg_rates[0]"),
        (lambda d: regularization_sweep(d, "l1", (0.1,), zero_threshold=0), ValueError, "zero"),
    ],
)
def test_bad_arguments_name_the_parameter(noisy, call, error, message) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call(noisy)


def test_asking_for_a_missing_metric_names_what_is_allowed(sweeps) -> None:
    with pytest.raises(ValueError, match="metric"):
        sweeps["l1"].gap_chart("r2")
