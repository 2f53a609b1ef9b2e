"""Tests for nnviz.sweeps: the learning-rate sweep flags a diverging eta and not a small one, every
run equals a Trainer built by hand with the same settings, a penalty shrinks the weights, L1
leaves more weights near zero than L2, the charts and surfaces carry the runs' numbers, and bad
arguments name the parameter."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nnviz import MLP, Trainer, make_dataset
from nnviz.sweeps import lr_sweep, regularization_sweep


@pytest.fixture(scope="module")
def circle():
    """200 clean circle points: a tanh 2-8-8-1 network diverges there at eta = 10."""
    return make_dataset("circle", n_samples=200, seed=0)


@pytest.fixture(scope="module")
def noisy():
    """60 noisy XOR points, 30 of them for training."""
    return make_dataset("xor", n_samples=60, noise=0.3, seed=1)


@pytest.fixture(scope="module")
def rates(circle):
    return lr_sweep(circle, (0.01, 10.0), steps=100, hidden=(8, 8), seed=0)


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


# --------------------------------------------------------------------------- learning rate
def test_a_diverging_learning_rate_is_flagged_and_a_small_one_is_not(rates) -> None:
    small, large = rates.run(0.01), rates.run(10.0)
    assert small.diverged is None and small.message == ""
    assert small.steps[-1] == 100
    assert isinstance(large.diverged, int) and 1 < large.diverged <= 100
    assert large.message.startswith(f"Diverged at step {large.diverged}:")
    assert large.steps[-1] < large.diverged  # the curve stops where training stopped


def test_lr_runs_equal_separate_trainer_runs(circle, rates) -> None:
    for lr in (0.01, 10.0):
        model = MLP([2, 8, 8, 1], activation="tanh", seed=0)
        with torch.no_grad():  # C at step 0 by hand: binary cross-entropy of the logits
            start = F.binary_cross_entropy_with_logits(
                model(circle.X_train)[:, 0], circle.y_train.float()
            )
        trainer = Trainer(model, circle, lr=lr, batch_size=10, seed=0, eval_every=10)
        trainer.fit(steps=100)
        run = rates.run(lr)
        assert run.losses[0] == pytest.approx(float(start), rel=1e-5)
        np.testing.assert_array_equal(run.losses[1:], trainer.history["train_loss"])
        np.testing.assert_array_equal(run.steps[1:], trainer.history["step"][9::10])
        assert run.final_loss == trainer.evaluate().train_loss
        assert run.diverged == trainer.diverged


def test_lr_charts_mark_diverged_runs_and_draw_every_curve(rates) -> None:
    sweep = rates.sweep_chart()
    assert sweep.x_log and sweep.y_log
    by_name = {series.name: series for series in sweep.series}
    assert list(by_name["trained"].x) == [0.01] and list(by_name["diverged"].x) == [10.0]
    assert by_name["diverged"].y[0] == rates.run(10.0).final_loss
    curves = rates.curves_chart()
    assert curves.y_log and [series.name for series in curves.series] == ["η=0.01", "η=10"]
    lines = rates.table().splitlines()
    assert lines[1].split() == ["0.01", f"{rates.run(0.01).final_loss:.4f}", "-"]
    assert lines[2].split()[-1] == str(rates.run(10.0).diverged)


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
        (lambda d: lr_sweep(d, []), TypeError, "lrs"),
        (lambda d: lr_sweep(d, (0.1, 0.0)), ValueError, "lrs[1]"),
        (lambda d: lr_sweep(d, (0.1, 0.1)), ValueError, "lrs"),
        (lambda d: lr_sweep(d, (0.1,), steps=0), ValueError, "steps"),
        (lambda d: lr_sweep(d, (0.1,), hidden="8"), TypeError, "hidden"),
        (lambda d: regularization_sweep(d, "l3", (0.1,)), ValueError, "kind"),
        (lambda d: regularization_sweep(d, "l1", (-1.0,)), ValueError, "reg_rates[0]"),
        (lambda d: regularization_sweep(d, "l1", (0.1,), zero_threshold=0), ValueError, "zero"),
    ],
)
def test_bad_arguments_name_the_parameter(circle, call, error, message) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call(circle)


def test_asking_for_a_run_not_in_the_sweep_names_what_is_there(rates, sweeps) -> None:
    with pytest.raises(ValueError, match=r"lr=0\.5 is not in this sweep; it has 0\.01, 10"):
        rates.run(0.5)
    with pytest.raises(ValueError, match="metric"):
        sweeps["l1"].gap_chart("r2")
