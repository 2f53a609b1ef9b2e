"""The seed's TensorFlow example ported: its shapes, optimizer and data; memorising noise; the same
network generalising on the digits."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nnviz import make_dataset
from nnviz.lessons.seed_example import (
    MemorizationRun,
    SeedMLP,
    accuracy_chart,
    loss_chart,
    run_seed_example,
    seed_data,
    seed_trainer,
)


@pytest.fixture(scope="module")
def noise():
    """The seed's kind of data, smaller: 200 training and 100 test examples of pure noise."""
    return make_dataset("random", n_samples=300, test_fraction=1 / 3, seed=0)


@pytest.fixture(scope="module")
def seed_run(noise) -> tuple[MemorizationRun, torch.nn.Module]:
    """The seed's network and optimizer on `noise` for 200 epochs, and the network at the start."""
    trainer = seed_trainer(noise, seed=0)
    start = copy.deepcopy(trainer.model)
    return run_seed_example(trainer, epochs=200, eval_every=50), start


def test_seed_example_has_the_seeds_data_network_and_optimizer() -> None:
    data = seed_data()
    assert (tuple(data.X_train.shape), tuple(data.X_test.shape)) == ((1000, 100), (100, 100))
    assert data.n_classes == 10 and 0 <= float(data.X_train.min()) <= float(data.X_train.max()) < 1
    trainer = seed_trainer(data)
    layers = trainer.model.layers
    assert [tuple(layer.weight.shape) for layer in layers] == [(50, 100), (10, 50)]
    assert trainer.model.activation.name == "relu" and trainer.loss.name == "cross_entropy"
    assert isinstance(trainer.optimizer, torch.optim.Adam)
    assert trainer.optimizer.param_groups[0]["lr"] == 0.01
    assert trainer.batch_size == 1000 and trainer.full_batch


def test_seed_network_draws_weights_and_biases_from_the_standard_normal() -> None:
    model = SeedMLP(seed=3)
    values = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy()
    assert len(values) == 100 * 50 + 50 + 50 * 10 + 10
    assert abs(values.mean()) < 0.05 and abs(values.std() - 1) < 0.05  # 5560 draws of N(0, 1)
    assert np.all(model.layers[0].bias.detach().numpy() != 0)  # tf.random_normal biases too
    # Reset (the dashboard's button) draws the same network again, not nnviz.MLP's Glorot one.
    trainer = seed_trainer(init="normal", seed=3)
    trainer.fit(epochs=2)
    trainer.reset()
    for before, after in zip(model.parameters(), trainer.model.parameters(), strict=True):
        assert torch.equal(before, after)


def test_loss_falls_while_test_accuracy_stays_at_chance(seed_run, noise) -> None:
    run, start = seed_run
    data = noise
    # The first printed loss is C of the untrained network over the training examples.
    with torch.no_grad():
        expected = F.cross_entropy(start(data.X_train), data.y_train).item()
    assert run.reported()[0] == (0, pytest.approx(expected, rel=1e-5))
    assert [epoch for epoch, _ in run.reported()] == [0, 100]
    assert len(run.loss) == 200 and run.loss[-1] < run.loss[0] / 10
    assert list(run.epochs) == [0, 50, 100, 150, 200]
    # Memorised labels are learnt on the training set only: the test set stays at guessing,
    # within 3 standard deviations of 10 % on 100 examples.
    assert run.final_train_accuracy > run.train_accuracy[0] + 0.3
    assert abs(run.final_test_accuracy - run.chance) < 0.1 and run.chance == 0.1


def test_the_same_network_generalises_on_digits() -> None:
    digits = make_dataset("digits", n_samples=1797, test_fraction=0.5, seed=0)
    trainer = seed_trainer(digits, init="glorot")
    assert trainer.model.sizes == (64, 50, 10)
    run = run_seed_example(trainer, epochs=60, eval_every=30)
    assert run.final_test_accuracy > 0.9
    # The accuracies are those of the trained network, computed here independently.
    with torch.no_grad():
        predicted = trainer.model(digits.X_test).argmax(1)
    assert run.final_test_accuracy == pytest.approx((predicted == digits.y_test).float().mean())


def test_accuracy_chart_draws_train_test_and_chance(seed_run) -> None:
    run, _ = seed_run
    chart = accuracy_chart(run)
    names = [series.name for series in chart.series]
    assert names == ["random: train", "random: test", "chance"]
    assert np.array_equal(chart.series[1].y, run.test_accuracy) and chart.series[1].dash
    assert list(chart.series[2].y) == [0.1, 0.1] and chart.series[2].x[-1] == 200
    assert loss_chart(run).y_log and len(loss_chart(run).series[0].x) == 200


@pytest.mark.parametrize(
    ("call", "error", "parameter"),
    [
        (lambda: seed_trainer(init="uniform"), ValueError, "init"),
        (lambda: seed_trainer(hidden=0), ValueError, "hidden"),
        (lambda: seed_trainer(make_dataset("plane")), ValueError, "data"),
        (lambda: run_seed_example(seed_trainer(), epochs=0), ValueError, "epochs"),
        (lambda: run_seed_example(seed_trainer(), eval_every=1.5), TypeError, "eval_every"),
        (lambda: accuracy_chart(), TypeError, "runs"),
        (lambda: loss_chart("run"), TypeError, "runs"),
    ],
)
def test_bad_arguments_name_the_parameter(call, error, parameter) -> None:
    with pytest.raises(error, match=parameter):
        call()
