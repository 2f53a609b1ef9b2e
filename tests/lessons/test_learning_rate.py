"""Tests for nnviz.lessons.learning_rate: the learning-rate sweep flags a diverging eta and not a
small one, every
run equals a Trainer built by hand with the same settings, the charts carry the runs' numbers, and
bad arguments name the parameter."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nnviz import MLP, Trainer, make_dataset
from nnviz.lessons.learning_rate import lr_sweep


@pytest.fixture(scope="module")
def circle():
    """200 clean circle points: a tanh 2-8-8-1 network diverges there at eta = 10."""
    return make_dataset("circle", n_samples=200, seed=0)


@pytest.fixture(scope="module")
def rates(circle):
    return lr_sweep(circle, (0.01, 10.0), steps=100, hidden=(8, 8), seed=0)


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


# --------------------------------------------------------------------------- arguments
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda d: lr_sweep(d, []), TypeError, "lrs"),
        (lambda d: lr_sweep(d, (0.1, 0.0)), ValueError, "lrs[1]"),
        (lambda d: lr_sweep(d, (0.1, 0.1)), ValueError, "lrs"),
        (lambda d: lr_sweep(d, (0.1,), steps=0), ValueError, "steps"),
        (lambda d: lr_sweep(d, (0.1,), hidden="8"), TypeError, "hidden"),
    ],
)
def test_bad_arguments_name_the_parameter(circle, call, error, message) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call(circle)


def test_asking_for_a_run_not_in_the_sweep_names_what_is_there(rates) -> None:
    with pytest.raises(ValueError, match=r"lr=0\.5 is not in this sweep; it has 0\.01, 10"):
        rates.run(0.5)
