"""Tests for validation splits and early stopping: the split's points, the validation loss
against a forward pass by hand in both engines, EarlyStopping's stop against the history it
read, the restored parameters against a run stopped there by hand, and bad input named."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nnviz import MLP, EarlyStopping, Trainer, make_dataset


@pytest.fixture(scope="module")
def noisy():
    return make_dataset("circle", n_samples=200, noise=0.3, validation_fraction=0.25, seed=0)


def test_with_validation_moves_the_last_training_points_and_keeps_the_test_split():
    plain = make_dataset("circle", n_samples=100, seed=3)
    split = plain.with_validation(0.2)
    assert (len(split.X_train), split.n_val, len(split.X_test)) == (40, 10, 50)
    torch.testing.assert_close(torch.cat([split.X_train, split.X_val]), plain.X_train)
    torch.testing.assert_close(torch.cat([split.y_train, split.y_val]), plain.y_train)
    torch.testing.assert_close(split.X_test, plain.X_test)
    torch.testing.assert_close(split.raw_val, plain.raw_train[40:])
    assert plain.n_val == 0 and plain.X_val is None
    made = make_dataset("circle", n_samples=100, seed=3, validation_fraction=0.2)
    torch.testing.assert_close(made.X_val, split.X_val)
    assert "40 train / 10 validation / 50 test" in repr(made)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: make_dataset("circle", validation_fraction=-0.1), "validation_fraction=-0.1"),
        (lambda: make_dataset("circle", validation_fraction=0.95), "validation_fraction=0.95"),
        (lambda: make_dataset("circle", n_samples=4, validation_fraction=0.1),
         "leaves 2 for training and 0 for validation"),
        (lambda: make_dataset("circle", validation_fraction=0.2).with_validation(0.2),
         "already has a validation split"),
    ],
)  # fmt: skip
def test_bad_validation_splits_are_refused(make, words):
    with pytest.raises(ValueError, match=words):
        make()


@pytest.mark.parametrize("engine", ["numpy", "autograd"])
def test_the_validation_loss_is_the_loss_over_the_validation_points(noisy, engine):
    model = MLP([2, 5, 1], seed=1)
    trainer = Trainer(model, noisy, lr=0.1, engine=engine, eval_every=10)
    trainer.fit(steps=30)
    evaluation = trainer.evaluate()
    with torch.no_grad():
        logits = model(noisy.X_val)
        expected = F.binary_cross_entropy_with_logits(logits, noisy.y_val.float()[:, None])
        accuracy = ((logits[:, 0] > 0).long() == noisy.y_val).float().mean()
    assert evaluation.val_loss == pytest.approx(float(expected), rel=1e-5)
    assert evaluation.val_metric == pytest.approx(float(accuracy))
    assert trainer.history.evaluations["val_loss"][-1] == pytest.approx(evaluation.val_loss)
    no_split = Trainer(MLP([2, 5, 1], seed=1), make_dataset("circle", n_samples=40), eval_every=5)
    assert math.isnan(no_split.evaluate().val_loss)


def test_early_stopping_stops_after_patience_evaluations_without_improvement(noisy):
    stopper = EarlyStopping(patience=4)
    trainer = Trainer(MLP([2, 16, 16, 1], activation="relu", seed=0), noisy, lr=0.1, eval_every=50)
    trainer.fit(steps=20_000, callbacks=[stopper])
    losses = trainer.history.evaluations["val_loss"]
    steps = trainer.history.evaluations["step"].astype(int)
    best = int(np.argmin(losses))
    assert trainer.step_count < 20_000 and stopper.stopped_at == trainer.step_count
    assert steps[best] == stopper.best_step and losses[best] == pytest.approx(stopper.best_loss)
    assert len(losses) - 1 - best == 4  # exactly `patience` evaluations after the best one
    assert f"Stopped early at step {trainer.step_count}" in trainer.stop_message
    assert f"best {stopper.best_loss:.3f} at step {stopper.best_step}" in trainer.stop_message

    # The parameters are the best evaluation's: the same run stopped there by hand.
    by_hand = Trainer(MLP([2, 16, 16, 1], activation="relu", seed=0), noisy, lr=0.1, eval_every=50)
    by_hand.fit(steps=stopper.best_step)
    for ours, theirs in zip(trainer.model.parameters(), by_hand.model.parameters(), strict=True):
        torch.testing.assert_close(ours, theirs)
    assert trainer.evaluate().val_loss == pytest.approx(stopper.best_loss, rel=1e-6)

    # The next fit trains again (and stops again on its own count).
    before = trainer.step_count
    trainer.fit(steps=10)
    assert trainer.step_count == before + 10 and trainer.stop_message == ""


def test_without_restore_best_the_last_parameters_stay(noisy):
    stopper = EarlyStopping(patience=2, restore_best=False)
    trainer = Trainer(MLP([2, 16, 16, 1], activation="relu", seed=0), noisy, lr=0.1, eval_every=50)
    trainer.fit(steps=20_000, callbacks=[stopper])
    assert trainer.evaluate().val_loss == pytest.approx(trainer.history["val_loss"][-1])
    assert "restore_best=False" in trainer.stop_message


def test_min_delta_counts_small_improvements_as_none(noisy):
    def stop_step(min_delta: float) -> int:
        trainer = Trainer(MLP([2, 8, 1], seed=0), noisy, lr=0.1, eval_every=25)
        trainer.fit(steps=5_000, callbacks=[EarlyStopping(patience=3, min_delta=min_delta)])
        return trainer.step_count

    assert stop_step(0.01) < stop_step(0.0)


@pytest.mark.parametrize(
    ("arguments", "error", "words"),
    [
        ({"patience": 0}, ValueError, "patience=0 is out of range; allowed: >= 1"),
        ({"patience": 2.5}, TypeError, "patience must be an integer"),
        ({"min_delta": -0.1}, ValueError, "min_delta=-0.1 is out of range"),
        ({"restore_best": "yes"}, TypeError, "restore_best must be True or False"),
    ],
)
def test_bad_arguments_name_the_parameter(arguments, error, words):
    with pytest.raises(error, match=words):
        EarlyStopping(**arguments)


def test_data_without_a_validation_split_is_refused_before_training():
    trainer = Trainer(MLP([2, 3, 1], seed=0), make_dataset("circle", n_samples=40))
    with pytest.raises(ValueError, match="has no validation split: make the data with"):
        trainer.fit(steps=5, callbacks=[EarlyStopping()])
    assert trainer.step_count == 0
