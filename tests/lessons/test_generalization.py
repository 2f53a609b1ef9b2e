"""Tests for nnviz.lessons.generalization: a run against a Trainer built by hand, early stopping's
record, the capacity sweep's table against its runs, shuffled labels as a permutation that
leaves the test labels alone, memorisation of noise, and bad arguments named."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnviz import MLP, EarlyStopping, Trainer, make_dataset
from nnviz.lessons.generalization import (
    accuracy_chart,
    capacity_sweep,
    memorization,
    shuffled_labels,
    train_run,
)


@pytest.fixture(scope="module")
def noisy():
    return make_dataset("circle", n_samples=160, noise=0.5, validation_fraction=0.25, seed=0)


def test_a_run_is_a_trainer_built_by_hand(noisy):
    run = train_run(noisy, (8,), activation="tanh", steps=120, eval_every=40, lr=0.05, seed=2,
                    dropout=0.2)  # fmt: skip
    trainer = Trainer(MLP([2, 8, 1], activation="tanh", seed=2, dropout=0.2), noisy, lr=0.05,
                      seed=2, eval_every=40)  # fmt: skip
    start = trainer.evaluate()
    trainer.fit(steps=120)
    table = trainer.history.evaluations
    np.testing.assert_array_equal(run.steps, [0, 40, 80, 120])
    for split in ("train", "val", "test"):
        expected = [getattr(start, f"{split}_loss"), *table[f"{split}_loss"]]
        np.testing.assert_allclose(run.losses[split], expected, rtol=1e-6)
    assert run.final == trainer.evaluate() and run.stopped_at is None and run.message == ""
    chart = run.chart()
    assert [s.name for s in chart.series] == ["training", "validation", "test"]
    assert run.summary().splitlines()[0] == "ran all 120 updates"


def test_early_stopping_in_a_run_keeps_the_best_evaluation(noisy):
    run = train_run(noisy, (32, 32), steps=3000, eval_every=50, patience=3, lr=0.003,
                    optimizer="adam")  # fmt: skip
    assert run.stopped_at is not None and run.stopped_at < 3000
    best = int(np.argmin(run.losses["val"][1:])) + 1  # the start (step 0) is not an evaluation
    assert run.steps[best] == run.best_step
    assert run.final.val_loss == pytest.approx(run.losses["val"][best], rel=1e-6)
    assert run.summary().startswith(f"Stopped early at step {run.stopped_at}")


def test_the_capacity_sweep_reports_its_runs(noisy):
    sweep = capacity_sweep(noisy, (1, 16), steps=300, lr=0.01, optimizer="adam")
    rows = sweep.table().splitlines()[1:]
    for row, run, expected in zip(rows, sweep.runs, (1, 16), strict=True):
        width, train_error, test_error = row.split()
        assert int(width) == expected and run.label == f"width {expected}"
        assert float(train_error) == pytest.approx(1 - run.final.train_metric, abs=5.01e-4)
        assert float(test_error) == pytest.approx(1 - run.final.test_metric, abs=5.01e-4)
    assert sweep.runs[1].final.train_metric > sweep.runs[0].final.train_metric  # more capacity
    chart = sweep.chart()
    assert chart.x_log and [s.name for s in chart.series] == ["training error", "test error"]
    with pytest.raises(ValueError, match="widths"):
        capacity_sweep(noisy, (0, 4))


def test_shuffled_labels_permute_the_training_labels_only():
    digits = make_dataset("digits", n_samples=200, seed=0)
    noise = shuffled_labels(digits, seed=1)
    assert sorted(noise.y_train.tolist()) == sorted(digits.y_train.tolist())
    assert (noise.y_train != digits.y_train).float().mean() > 0.7
    torch.testing.assert_close(noise.X_train, digits.X_train)
    torch.testing.assert_close(noise.y_test, digits.y_test)
    torch.testing.assert_close(shuffled_labels(digits, seed=1).y_train, noise.y_train)
    with pytest.raises(ValueError, match="shuffled_labels needs class labels"):
        shuffled_labels(make_dataset("plane", n_samples=20))


def test_a_network_memorizes_shuffled_labels_and_learns_nothing_for_the_test_set():
    digits = make_dataset("digits", n_samples=300, seed=0)
    true, shuffled = memorization(digits, (128,), steps=150, lr=0.01, optimizer="adam",
                                  batch_size=None)  # fmt: skip
    assert true.final.train_metric == 1.0 and true.final.test_metric > 0.8
    assert shuffled.final.train_metric == 1.0 and shuffled.final.test_metric < 0.2  # chance 0.1
    chart = accuracy_chart([true, shuffled])
    assert [s.dash for s in chart.series] == [False, True, False, True]


def test_early_stopping_is_the_trainers_callback(noisy):
    # train_run's patience is EarlyStopping's: the same stop on a Trainer by hand.
    run = train_run(noisy, (16,), steps=2000, eval_every=25, patience=2, lr=0.01, optimizer="adam")
    trainer = Trainer(MLP([2, 16, 1], activation="relu", seed=0), noisy, lr=0.01,
                      optimizer="adam", eval_every=25)  # fmt: skip
    trainer.fit(steps=2000, callbacks=[EarlyStopping(patience=2)])
    assert trainer.stop_message == run.message and trainer.evaluate() == run.final
