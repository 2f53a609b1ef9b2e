"""Tests for nnviz.training.trainer.Trainer: batching and shuffling, seeding, the penalty,
optimizers
against torch.optim run by hand, evaluation against numpy, history bounds, argument checks and
divergence. The tests of what the engine computes run with both engines
(tests/training/test_numpy_engine.py compares the two step by step)."""

from __future__ import annotations

import copy
import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nnviz import MLP, Callback, Trainer, from_arrays, make_dataset
from nnviz.core.records import StepRecord


def parameters_of(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


class StepRecorder(Callback):
    """Keeps every StepRecord and the parameters after each update."""

    def __init__(self) -> None:
        self.records: list[StepRecord] = []
        self.parameters: list[list[torch.Tensor]] = []

    def on_train_batch_end(self, trainer, record: StepRecord) -> None:
        self.records.append(record)
        self.parameters.append(parameters_of(trainer.model))


# --------------------------------------------------------------------------- batches
def test_full_batch_uses_every_training_example(binary_data, batch_recorder) -> None:
    trainer = Trainer(MLP([2, 3, 1]), binary_data, batch_size=None)
    assert trainer.full_batch and trainer.batch_size == 30 and trainer.steps_per_epoch == 1
    recorder, steps = batch_recorder(), StepRecorder()
    trainer.fit(steps=3, callbacks=[recorder, steps])
    for batch in recorder.batches:
        np.testing.assert_array_equal(np.sort(batch.indices.numpy()), np.arange(30))
    assert [record.batch_size for record in steps.records] == [30, 30, 30]
    np.testing.assert_array_equal(trainer.history["examples_seen"], [30, 60, 90])
    np.testing.assert_array_equal(trainer.history["epoch"], [0, 1, 2])
    assert trainer.examples_seen == 90 and trainer.epoch == 3


def test_batch_size_one_is_stochastic_gradient_descent(binary_data, batch_recorder) -> None:
    trainer = Trainer(MLP([2, 3, 1]), binary_data, batch_size=1)
    recorder = batch_recorder()
    trainer.fit(steps=33, callbacks=[recorder])
    assert all(len(batch.inputs) == 1 for batch in recorder.batches)
    first_epoch = np.concatenate([batch.indices.numpy() for batch in recorder.batches[:30]])
    np.testing.assert_array_equal(np.sort(first_epoch), np.arange(30))
    np.testing.assert_array_equal(trainer.history["examples_seen"], np.arange(1, 34))
    assert recorder.epochs == [0] * 30 + [1] * 3


def test_last_batch_of_an_epoch_may_be_smaller(binary_data, batch_recorder) -> None:
    trainer = Trainer(MLP([2, 1]), binary_data, batch_size=8)
    assert trainer.steps_per_epoch == 4
    recorder = batch_recorder()
    trainer.fit(epochs=1, callbacks=[recorder])
    assert [len(batch.indices) for batch in recorder.batches] == [8, 8, 8, 6]
    assert trainer.examples_seen == 30 and trainer.epoch == 1


ENGINES = ("autograd", "numpy")


@pytest.mark.parametrize("engine", ENGINES)
def test_training_set_is_reshuffled_every_epoch(engine, binary_data, batch_recorder) -> None:
    trainer = Trainer(MLP([2, 1]), binary_data, batch_size=10, engine=engine)
    recorder = batch_recorder()
    trainer.fit(epochs=3, callbacks=[recorder])
    orders = []
    for epoch in range(3):
        batches = [b for b, e in zip(recorder.batches, recorder.epochs, strict=True) if e == epoch]
        assert len(batches) == 3
        order = np.concatenate([batch.indices.numpy() for batch in batches])
        np.testing.assert_array_equal(np.sort(order), np.arange(30))
        for batch in batches:  # a batch holds the examples its indices name
            torch.testing.assert_close(batch.inputs, binary_data.X_train[batch.indices])
            torch.testing.assert_close(
                batch.targets.reshape(-1), binary_data.y_train[batch.indices].float()
            )
        orders.append(order)
    assert not np.array_equal(orders[0], orders[1])
    assert not np.array_equal(orders[1], orders[2])


# --------------------------------------------------------------------------- seeds
def run(data, seed: int = 0, model_seed: int = 0, steps: int = 12, engine="auto") -> Trainer:
    model = MLP([2, 4, 1], "tanh", seed=model_seed)
    trainer = Trainer(model, data, batch_size=5, seed=seed, engine=engine)
    trainer.fit(steps=steps)
    return trainer


@pytest.mark.parametrize("engine", ENGINES)
def test_same_seed_gives_the_same_run(engine, binary_data) -> None:
    first, second = run(binary_data, engine=engine), run(binary_data, engine=engine)
    np.testing.assert_array_equal(first.history["loss"], second.history["loss"])
    for a, b in zip(first.model.parameters(), second.model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_reset_replays_the_same_run(binary_data) -> None:
    trainer = run(binary_data)
    losses, weights = trainer.history["loss"].copy(), parameters_of(trainer.model)
    trainer.reset()
    assert trainer.step_count == 0 and len(trainer.history) == 0
    trainer.fit(steps=12)
    np.testing.assert_array_equal(trainer.history["loss"], losses)
    for a, b in zip(trainer.model.parameters(), weights, strict=True):
        assert torch.equal(a, b)


def test_a_different_trainer_seed_gives_a_different_run(binary_data) -> None:
    first, second = run(binary_data, seed=0), run(binary_data, seed=1)
    assert not np.array_equal(first.history["loss"], second.history["loss"])
    assert not all(
        torch.equal(a, b)
        for a, b in zip(first.model.parameters(), second.model.parameters(), strict=True)
    )


# --------------------------------------------------------------------------- the penalty
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("regularization", ["l1", "l2"])
def test_penalty_is_lambda_times_r_over_weights_before_the_step(
    regularization: str, engine: str, binary_data, batch_recorder, numpy_backprop, numpy_cost
) -> None:
    model = MLP([2, 4, 1], "tanh", seed=0)
    with torch.no_grad():  # biases far from 0: counting them would change R a lot
        for layer in model.layers:
            layer.bias.fill_(3.0)
    trainer = Trainer(
        model, binary_data, regularization=regularization, reg_rate=0.05, engine=engine
    )
    trainer.fit(steps=2)
    weights = [layer.weight.detach().double().numpy().copy() for layer in model.layers]
    biases = [layer.bias.detach().double().numpy().copy() for layer in model.layers]
    recorder = batch_recorder()
    with trainer.session([recorder]):
        record = trainer.step()
    if regularization == "l1":
        expected_penalty = 0.05 * sum(np.abs(w).sum() for w in weights)
    else:
        expected_penalty = 0.05 * sum((w**2).sum() for w in weights)
    assert record.penalty == pytest.approx(expected_penalty, rel=1e-6)
    batch = recorder.last
    reference = numpy_backprop(
        weights,
        biases,
        batch.inputs.double().numpy(),
        batch.targets.numpy(),
        "tanh",
        "binary_cross_entropy",
    )
    expected_loss = numpy_cost(reference.z[-1], batch.targets.numpy(), "binary_cross_entropy")
    assert record.loss == pytest.approx(expected_loss, rel=1e-5)
    assert record.total == record.loss + record.penalty
    assert trainer.history["penalty"][-1] == pytest.approx(record.penalty)
    assert trainer.history["total"][-1] == pytest.approx(record.total)


def test_no_regularization_means_no_penalty(binary_data) -> None:
    trainer = Trainer(MLP([2, 4, 1]), binary_data)
    trainer.fit(steps=2)
    np.testing.assert_array_equal(trainer.history["penalty"], [0.0, 0.0])
    np.testing.assert_array_equal(trainer.history["total"], trainer.history["loss"])


# --------------------------------------------------------------------------- optimizers
TORCH_OPTIMIZERS = {
    "sgd": lambda parameters: torch.optim.SGD(parameters, lr=0.05),
    "momentum": lambda parameters: torch.optim.SGD(parameters, lr=0.05, momentum=0.9),
    "adam": lambda parameters: torch.optim.Adam(parameters, lr=0.05),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_optimizers_match_torch_optim_run_by_hand(
    optimizer: str, engine: str, binary_data, batch_recorder
) -> None:
    model = MLP([2, 5, 1], "relu", seed=3)
    reference = copy.deepcopy(model)
    trainer = Trainer(
        model, binary_data, lr=0.05, batch_size=10, optimizer=optimizer, engine=engine
    )
    recorder = batch_recorder()
    trainer.fit(steps=7, callbacks=[recorder])
    by_hand = TORCH_OPTIMIZERS[optimizer](reference.parameters())
    for batch in recorder.batches:
        by_hand.zero_grad()
        F.binary_cross_entropy_with_logits(reference(batch.inputs), batch.targets).backward()
        by_hand.step()
    for mine, theirs in zip(model.parameters(), reference.parameters(), strict=True):
        if optimizer == "sgd" and engine == "autograd":  # the very same operations
            assert torch.equal(mine, theirs)
        else:
            torch.testing.assert_close(mine, theirs, rtol=1e-6, atol=1e-7)


def test_momentum_differs_from_plain_sgd(binary_data) -> None:
    plain = Trainer(MLP([2, 5, 1], seed=3), binary_data, optimizer="sgd")
    heavy = Trainer(MLP([2, 5, 1], seed=3), binary_data, optimizer="momentum")
    plain.fit(steps=4)
    heavy.fit(steps=4)
    assert plain.history["loss"][0] == heavy.history["loss"][0]
    assert not np.array_equal(plain.history["loss"], heavy.history["loss"])


def test_set_lr_changes_the_step_size(binary_data) -> None:
    trainer = Trainer(MLP([2, 1]), binary_data, lr=0.1)
    trainer.set_lr(0.5)
    assert trainer.lr == 0.5
    assert all(group["lr"] == 0.5 for group in trainer.optimizer.param_groups)
    with pytest.raises(ValueError, match=r"lr=-1"):
        trainer.set_lr(-1)


# --------------------------------------------------------------------------- evaluation
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("loss", ["binary_cross_entropy", "cross_entropy", "mse"])
def test_evaluate_matches_numpy_on_each_whole_split(
    loss: str, engine: str, data_for_loss, numpy_backprop, numpy_cost
) -> None:
    data = data_for_loss(loss)
    model = MLP([data.n_features, 6, data.n_outputs], "tanh", seed=0)
    trainer = Trainer(model, data, lr=0.05, regularization="l2", reg_rate=0.01, engine=engine)
    trainer.fit(steps=4)
    evaluation = trainer.evaluate()
    weights = [layer.weight.detach().double().numpy() for layer in model.layers]
    biases = [layer.bias.detach().double().numpy() for layer in model.layers]
    assert evaluation.step == 4
    assert evaluation.penalty == pytest.approx(0.01 * sum((w**2).sum() for w in weights), rel=1e-6)
    for inputs, labels, loss_value, metric_value in [
        (data.X_train, data.y_train, evaluation.train_loss, evaluation.train_metric),
        (data.X_test, data.y_test, evaluation.test_loss, evaluation.test_metric),
    ]:
        labels = labels.numpy()
        z = numpy_backprop(weights, biases, inputs.double().numpy(), labels, "tanh", loss).z[-1]
        assert loss_value == pytest.approx(numpy_cost(z, labels, loss), rel=1e-5)
        if loss == "binary_cross_entropy":
            expected = np.mean((z[:, 0] > 0) == labels)
        elif loss == "cross_entropy":
            expected = np.mean(z.argmax(axis=1) == labels)
        else:
            expected = 1 - np.sum((labels - z) ** 2) / np.sum((labels - labels.mean()) ** 2)
        assert metric_value == pytest.approx(expected, rel=1e-5, abs=1e-6)
    assert evaluation.metric == ("r2" if loss == "mse" else "accuracy")


def test_evaluate_without_a_test_split_gives_nan(binary_data) -> None:
    data = from_arrays(binary_data.X_train, binary_data.y_train, test_fraction=0.0)
    trainer = Trainer(MLP([2, 3, 1]), data)
    evaluation = trainer.evaluate()
    assert math.isnan(evaluation.test_loss) and math.isnan(evaluation.test_metric)
    assert math.isfinite(evaluation.train_loss)


def test_regression_without_a_test_split_trains(regression_data) -> None:
    data = from_arrays(
        regression_data.X_train, regression_data.y_train, task="regression", test_fraction=0.0
    )
    trainer = Trainer(MLP([2, 3, 1]), data)
    trainer.fit(steps=1)
    assert math.isnan(trainer.evaluate().test_loss)


def test_eval_every_none_evaluates_at_each_epoch_end(binary_data) -> None:
    trainer = Trainer(MLP([2, 3, 1]), binary_data, batch_size=10)
    steps = StepRecorder()
    trainer.fit(steps=7, callbacks=[steps])
    evaluated = [r.step for r in steps.records if r.evaluation is not None]
    assert evaluated == [3, 6]
    np.testing.assert_array_equal(trainer.history.evaluations["step"], [3, 6])
    assert all(r.evaluation.step == r.step for r in steps.records if r.evaluation is not None)


def test_eval_every_k_evaluates_every_k_steps(binary_data) -> None:
    trainer = Trainer(MLP([2, 3, 1]), binary_data, batch_size=10, eval_every=2)
    steps = StepRecorder()
    trainer.fit(steps=7, callbacks=[steps])
    assert [r.step for r in steps.records if r.evaluation is not None] == [2, 4, 6]
    np.testing.assert_array_equal(trainer.history.evaluations["step"], [2, 4, 6])
    last = steps.records[5].evaluation
    assert trainer.history["train_loss"][-1] == pytest.approx(last.train_loss)
    assert trainer.history["test_metric"][-1] == pytest.approx(last.test_metric)


# --------------------------------------------------------------------------- fit
def test_fit_counts_steps_and_epochs(binary_data) -> None:
    trainer = Trainer(MLP([2, 3, 1]), binary_data, batch_size=10)  # 3 steps per epoch
    assert trainer.fit(steps=4) is trainer.history
    assert trainer.step_count == 4 and trainer.epoch == 1 and len(trainer.history) == 4
    trainer.fit(epochs=2)  # finishes epoch 1 (2 steps), then one more epoch (3)
    assert trainer.step_count == 9 and trainer.epoch == 3
    trainer.fit(epochs=1)  # from an epoch boundary: exactly one epoch
    assert trainer.step_count == 12 and trainer.epoch == 4
    trainer.fit(steps=0)
    trainer.fit(epochs=0)
    assert trainer.step_count == 12
    np.testing.assert_array_equal(trainer.history["step"], np.arange(1, 13))


def test_progress_bar_runs(binary_data) -> None:
    trainer = Trainer(MLP([2, 3, 1]), binary_data)
    trainer.fit(steps=5, progress=True)
    assert trainer.step_count == 5


def test_history_memory_is_bounded(binary_data) -> None:
    # eval_every past the end: only the step history grows (evaluations have their own test).
    trainer = Trainer(MLP([2, 1]), binary_data, batch_size=None, history_size=100, eval_every=10**6)
    trainer.fit(steps=1_000)
    memory = trainer.history.steps.nbytes + trainer.history.evaluations.nbytes
    recent = trainer.history.steps.recent("loss")
    assert len(recent) == 100
    np.testing.assert_array_equal(trainer.history.steps.recent("step"), np.arange(901, 1001))
    steps = trainer.history["step"]
    assert steps[0] == 1 and steps[-1] == 1_000
    assert (np.diff(steps) > 0).all()
    np.testing.assert_array_equal(steps[-100:], np.arange(901, 1001))
    assert len(trainer.history) == 1_000
    trainer.fit(steps=9_000)
    assert trainer.history.steps.nbytes + trainer.history.evaluations.nbytes == memory
    steps = trainer.history["step"]
    assert steps[0] == 1 and steps[-1] == 10_000
    assert len(trainer.history.steps) < 10_000 // 4


# --------------------------------------------------------------------------- bad arguments
def trainer_with(data_name: str = "binary", **arguments):
    datasets = {
        "binary": make_dataset("xor", n_samples=40, test_fraction=0.25),
        "multiclass": make_dataset("random", n_samples=40, n_features=4, n_classes=3),
        "regression": make_dataset("plane", n_samples=40),
    }
    data = datasets[data_name]
    sizes = arguments.pop("sizes", [data.n_features, 3, data.n_outputs])
    model = MLP(sizes, arguments.pop("activation", "tanh"))
    return Trainer(model, arguments.pop("data", data), **arguments)


BAD_ARGUMENTS = [
    # (arguments, exception, text that must appear: the parameter and the value)
    ({"activation": "swish"}, ValueError, ["activation", "swish"]),
    ({"optimizer": "rmsprop"}, ValueError, ["optimizer", "rmsprop"]),
    ({"regularization": "l3"}, ValueError, ["regularization", "l3"]),
    ({"loss": "hinge"}, ValueError, ["loss", "hinge"]),
    ({"data_name": "regression", "loss": "cross_entropy"}, ValueError, ["loss", "cross_entropy"]),
    ({"sizes": [3, 4, 1]}, ValueError, ["sizes", "[3, 4, 1]"]),
    ({"sizes": [2, 4, 3]}, ValueError, ["model", "3 outputs", "2 classes"]),
    ({"sizes": [2, 4, 2], "loss": "binary_cross_entropy"}, ValueError, ["model", "2 outputs"]),
    ({"data_name": "multiclass", "sizes": [4, 4, 2]}, ValueError, ["model", "2 outputs", "3"]),
    ({"data_name": "regression", "sizes": [2, 4, 2]}, ValueError, ["model", "2 outputs"]),
    ({"lr": 0}, ValueError, ["lr", "0"]),
    ({"lr": -0.5}, ValueError, ["lr", "-0.5"]),
    ({"lr": float("nan")}, ValueError, ["lr", "nan"]),
    ({"lr": float("inf")}, ValueError, ["lr", "inf"]),
    ({"lr": "abc"}, TypeError, ["lr", "abc"]),
    ({"batch_size": 0}, ValueError, ["batch_size", "0"]),
    ({"batch_size": 31}, ValueError, ["batch_size", "31"]),
    ({"batch_size": 2.5}, TypeError, ["batch_size", "2.5"]),
    ({"batch_size": True}, TypeError, ["batch_size", "True"]),
    ({"regularization": "l2", "reg_rate": -0.1}, ValueError, ["reg_rate", "-0.1"]),
    ({"reg_rate": 0.1}, ValueError, ["reg_rate", "0.1", "regularization"]),
    ({"device": "tpu"}, ValueError, ["device", "tpu"]),
    ({"eval_every": 0}, ValueError, ["eval_every", "0"]),
    ({"history_size": 0}, ValueError, ["history_size", "0"]),
    ({"seed": "x"}, TypeError, ["seed", "x"]),
    ({"data": [[0.0, 1.0]]}, TypeError, ["data", "list"]),
    ({"data": {"X_train": 1}}, TypeError, ["data", "dict"]),
]


@pytest.mark.parametrize(
    ("arguments", "error", "texts"), BAD_ARGUMENTS, ids=[str(a) for a, _, _ in BAD_ARGUMENTS]
)
def test_bad_arguments_name_the_parameter_and_the_value(arguments, error, texts) -> None:
    with pytest.raises(error) as raised:
        trainer_with(**dict(arguments))
    for text in texts:
        assert text in str(raised.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_gpu_is_refused() -> None:
    with pytest.raises(ValueError, match=re.escape("device='cuda'")):
        trainer_with(device="cuda")


def test_a_model_that_is_not_a_module_is_refused(binary_data) -> None:
    with pytest.raises(TypeError, match="model"):
        Trainer("mlp", binary_data)


@pytest.mark.parametrize(
    ("arguments", "texts"),
    [({"steps": 1, "epochs": 1}, ["steps=1", "epochs=1"]), ({}, ["steps=None", "epochs=None"])],
)
def test_fit_needs_exactly_one_of_steps_and_epochs(arguments, texts, binary_data) -> None:
    trainer = Trainer(MLP([2, 1]), binary_data)
    with pytest.raises(ValueError) as raised:
        trainer.fit(**arguments)
    assert all(text in str(raised.value) for text in texts)
    with pytest.raises(ValueError, match="steps=-1"):
        trainer.fit(steps=-1)


@pytest.mark.parametrize(
    ("data_name", "sizes"),
    [("binary", [2, 4, 3]), ("multiclass", [4, 4, 2]), ("multiclass", [4, 4, 1])],
)
def test_squared_error_on_labels_needs_a_matching_output_width(data_name, sizes) -> None:
    with pytest.raises(ValueError, match="outputs"):
        trainer_with(data_name, sizes=sizes, loss="mse")


def test_squared_error_on_labels_accepts_one_column_or_one_hot(binary_data) -> None:
    for width in (1, 2):
        trainer = Trainer(MLP([2, 4, width]), binary_data, loss="mse")
        trainer.fit(steps=2)
        assert trainer.evaluate().metric == "accuracy"


# --------------------------------------------------------------------------- divergence
class BatchLoss(Callback):
    """Before each update: is the current model's data loss on this batch finite?"""

    def __init__(self) -> None:
        self.finite: list[bool] = []

    def on_train_batch_start(self, trainer, batch) -> None:
        with torch.no_grad():  # in the model's float32, where the trainer's loss overflows
            outputs = trainer.model(batch.inputs)
            loss = 0.5 * (outputs - batch.targets).pow(2).sum() / len(outputs)
        self.finite.append(bool(torch.isfinite(loss)))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_diverging_run_stops_cleanly(engine: str, regression_data) -> None:
    # divergence_factor=None: only a non-finite loss counts, the case tested here.
    model = MLP([2, 4, 1], "linear")
    trainer = Trainer(
        model, regression_data, lr=50, batch_size=10, divergence_factor=None, engine=engine
    )
    watcher, steps = BatchLoss(), StepRecorder()
    trainer.fit(steps=100, callbacks=[watcher, steps])  # returns, does not raise
    assert trainer.diverged is not None
    assert watcher.finite.index(False) + 1 == trainer.diverged  # the step whose loss broke
    assert all(watcher.finite[: trainer.diverged - 1])
    assert trainer.step_count == trainer.diverged - 1
    assert "diverged" in trainer.divergence_message.lower()
    assert "lr=50" in trainer.divergence_message
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())
    losses = trainer.history["loss"]
    assert len(trainer.history) == len(losses) == trainer.diverged - 1
    assert np.isfinite(losses).all() and np.isfinite(trainer.history["total"]).all()
    for kept, after_last in zip(trainer.model.parameters(), steps.parameters[-1], strict=True):
        assert torch.equal(kept, after_last)  # the parameters of the last finite step

    before = parameters_of(trainer.model)
    assert trainer.step() is None
    assert trainer.step_count == trainer.diverged - 1 and len(trainer.history) == len(losses)
    for parameter, saved in zip(trainer.model.parameters(), before, strict=True):
        assert torch.equal(parameter, saved)


@pytest.mark.parametrize("engine", ENGINES)
def test_divergence_keeps_the_parameters_it_names(engine: str) -> None:
    # Inputs near 1e20: the first loss is finite (~1e37) but its update overflows the weight.
    rng = np.random.default_rng(0)
    inputs = rng.uniform(1, 2, (20, 1)) * 2e20
    data = from_arrays(inputs, np.zeros(20), task="regression", test_fraction=0.1)
    model = MLP([1, 1], "linear", seed=0)
    initial = parameters_of(model)
    trainer = Trainer(model, data, lr=50, batch_size=1, engine=engine)
    steps = StepRecorder()
    trainer.fit(steps=5, callbacks=[steps])
    assert trainer.diverged is not None
    assert all(torch.isfinite(p).all() for p in model.parameters())
    kept_as_of = int(re.search(r"parameters as of step (\d+)", trainer.divergence_message).group(1))
    expected = initial if kept_as_of == 0 else steps.parameters[kept_as_of - 1]
    for parameter, saved in zip(model.parameters(), expected, strict=True):
        assert torch.equal(parameter, saved)


def test_a_loss_far_above_its_start_is_divergence_too() -> None:
    # Cross-entropy rarely overflows: at lr=10 the network swings into confident wrong answers
    # and the loss stays many times above its starting value instead.
    spiral = make_dataset("spiral", n_samples=500, noise=0.1, test_fraction=0.5, seed=0)
    diverging = Trainer(MLP([2, 8, 8, 1], "tanh"), spiral, lr=10, batch_size=10)
    diverging.fit(steps=1500)
    assert diverging.diverged is not None and diverging.diverged == diverging.step_count + 1
    assert "averaged over the last ~50 steps" in diverging.divergence_message
    assert "lr=10" in diverging.divergence_message
    start = Trainer(MLP([2, 8, 8, 1], "tanh"), spiral).evaluate().train_loss  # same weights
    recent = float(np.mean(diverging.history["total"][-50:]))
    assert recent > 3 * start  # it really was far above the start
    assert all(torch.isfinite(p).all() for p in diverging.model.parameters())
    assert diverging.step() is None  # stopped for good

    learning = Trainer(MLP([2, 8, 8, 1], "tanh"), spiral, lr=0.3, batch_size=10)
    learning.fit(steps=1500)
    assert learning.diverged is None
    unchecked = Trainer(
        MLP([2, 8, 8, 1], "tanh"), spiral, lr=10, batch_size=10, divergence_factor=None
    )
    unchecked.fit(steps=300)
    assert unchecked.diverged is None and unchecked.step_count == 300
