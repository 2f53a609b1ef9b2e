"""Tests for nnviz.training.numpy_engine: which engine "auto" picks, the numpy forms of the
activations and
losses against float64 references, and the numpy engine against autograd step by step on every
activation x loss x regularization x optimizer x batch size (parameters, losses, gradients,
probe records), plus the promises the Trainer keeps with either engine."""

from __future__ import annotations

import copy
import dataclasses
import functools
import itertools
import warnings

import numpy as np
import pytest
import torch

from nnviz import ACTIVATIONS, LOSSES, MLP, Callback, LayerProbe, Trainer, from_arrays
from nnviz.core.losses import numpy_targets as engine_targets
from nnviz.training.autograd_engine import AutogradEngine
from nnviz.training.compatibility import refusal
from nnviz.training.engine import TrainingSets
from nnviz.training.numpy_engine import NumpyEngine

ACTIVATION_NAMES = ("relu", "tanh", "sigmoid", "linear")
LOSS_NAMES = ("binary_cross_entropy", "cross_entropy", "mse")
REGULARIZATIONS = ("none", "l1", "l2")
OPTIMIZERS = ("sgd", "momentum", "adam")
BATCH_SIZES = (1, 10, None)
STEPS = 3


def assert_close(actual, expected, rtol: float = 1e-4, name: str = "") -> None:
    """Two float32 computations of the same quantity, summed in another order: relative to
    each element and, for elements near 0 (sums that cancel), to the array's scale."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    scale = max(float(np.abs(expected).max(initial=0.0)), 1e-3)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=name)


# --------------------------------------------------------------------------- choosing the engine
def test_auto_picks_numpy_for_a_cpu_float32_mlp(binary_data) -> None:
    trainer = Trainer(MLP([2, 3, 1]), binary_data)
    assert trainer.engine == "numpy"
    assert Trainer(MLP([2, 3, 1]), binary_data, engine="autograd").engine == "autograd"
    assert Trainer(MLP([2, 3, 1]), binary_data, engine="numpy").engine == "numpy"
    assert "engine=numpy" in repr(trainer)


class Doubled(MLP):
    """An MLP subclass whose forward pass is not the seed's: numpy cannot know it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 2 * super().forward(x)


def custom_loss() -> object:
    # The same cost written by a user: no numpy forms, so only autograd can train it.
    return dataclasses.replace(LOSSES["binary_cross_entropy"], numpy_cost=None)


UNSUPPORTED = {
    "float64": (lambda: MLP([2, 3, 1]).double(), {}, "float32"),
    "sequential": (
        lambda: torch.nn.Sequential(torch.nn.Linear(2, 1)),
        {"loss": "binary_cross_entropy"},
        "nnviz.MLP",
    ),
    "subclass": (lambda: Doubled([2, 3, 1]), {}, "nnviz.MLP"),
    "frozen": (lambda: MLP([2, 3, 1]).requires_grad_(False), {}, "frozen"),
    "hooked": (
        lambda: _hooked(MLP([2, 3, 1])),
        {},
        "hooks",
    ),
    "activation": (
        lambda: MLP([2, 3, 1], dataclasses.replace(ACTIVATIONS["tanh"], numpy_function=None)),
        {},
        "activation 'tanh'",
    ),
    "loss": (lambda: MLP([2, 3, 1]), {"loss": "custom"}, "loss 'binary_cross_entropy'"),
}


def _hooked(model: MLP) -> MLP:
    model.layers[0].register_forward_hook(lambda module, inputs, output: None)
    return model


@pytest.mark.parametrize("case", list(UNSUPPORTED))
def test_auto_falls_back_to_autograd_and_numpy_says_why(case: str, binary_data) -> None:
    make_model, arguments, reason = UNSUPPORTED[case]
    if arguments.get("loss") == "custom":
        arguments = {"loss": custom_loss()}
    assert Trainer(make_model(), binary_data, **arguments).engine == "autograd"
    with pytest.raises(ValueError) as raised:
        Trainer(make_model(), binary_data, engine="numpy", **arguments)
    message = str(raised.value)
    assert "engine='numpy'" in message and reason in message and "autograd" in message


def test_refusal_is_none_exactly_when_numpy_is_exact() -> None:
    model, loss = MLP([2, 3, 1]), LOSSES["mse"]
    assert refusal(model, loss, torch.device("cpu")) is None
    assert "CPU" in refusal(model, loss, torch.device("cuda"))


@pytest.mark.parametrize(("value", "error"), [("jax", ValueError), (3, TypeError)])
def test_a_bad_engine_is_named(value, error, binary_data) -> None:
    with pytest.raises(error) as raised:
        Trainer(MLP([2, 1]), binary_data, engine=value)
    assert "engine" in str(raised.value) and str(value) in str(raised.value)


# --------------------------------------------------------------------------- numpy forms
GRID = np.linspace(-30, 30, 6001)  # 0 exactly, and far into both flat tails


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_numpy_activation_and_derivative_match_the_reference(name: str, numpy_sigma) -> None:
    activation = ACTIVATIONS[name]
    sigma, sigma_prime = numpy_sigma[name]
    z = GRID.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning in the tails either
        a = activation.numpy_function(z)
        slope = activation.numpy_derivative(z, a) * np.ones_like(z)
    assert a.dtype == np.float32
    np.testing.assert_allclose(a, sigma(z.astype(np.float64)), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(slope, sigma_prime(z.astype(np.float64)), rtol=1e-5, atol=1e-6)


def random_case(loss: str, rows: int = 7, scale: float = 3.0):
    rng = np.random.default_rng(0)
    outputs = 1 if loss == "binary_cross_entropy" else 3
    z = (rng.standard_normal((rows, outputs)) * scale).astype(np.float32)
    if loss == "binary_cross_entropy":
        labels = torch.from_numpy(rng.integers(0, 2, rows)).float().reshape(-1, 1)
    elif loss == "cross_entropy":
        labels = torch.from_numpy(rng.integers(0, 3, rows))
    else:
        labels = torch.from_numpy(rng.standard_normal((rows, 3)).astype(np.float32))
    return z, labels


@pytest.mark.parametrize("name", LOSS_NAMES)
@pytest.mark.parametrize("scale", [3.0, 40.0])  # 40: confident answers, where precision is lost
def test_numpy_cost_and_delta_match_float64(
    name: str, scale: float, numpy_cost, numpy_output, numpy_targets
) -> None:
    z, labels = random_case(name, scale=scale)
    y = numpy_targets(labels.numpy(), name, z.shape[1])
    cost, delta = LOSSES[name].numpy_cost(z, engine_targets(labels, z.shape[1]))
    expected = numpy_cost(z, labels.numpy(), name)
    assert float(cost) == pytest.approx(expected, rel=1e-5, abs=1e-30)
    expected_delta = (numpy_output(z.astype(np.float64), name) - y) / len(z)
    # a^L - y near a^L = 1 keeps float32's absolute precision, as torch's softmax - y does.
    np.testing.assert_allclose(delta, expected_delta, rtol=1e-5, atol=1e-7 / len(z))


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_numpy_metric_matches_the_torch_metric(name: str) -> None:
    z, labels = random_case(name, rows=50)
    loss = LOSSES[name]
    expected = float(loss.metric(torch.from_numpy(z), labels))
    y = engine_targets(labels, z.shape[1])
    assert loss.numpy_metric(z, y) == pytest.approx(expected, rel=1e-6)


# --------------------------------------------------------------------------- engine vs autograd
@dataclasses.dataclass(frozen=True)
class Config:
    """One training configuration, trained once by each engine."""

    activation: str
    loss: str
    regularization: str
    optimizer: str
    batch_size: int | None

    def __str__(self) -> str:
        batch = "full" if self.batch_size is None else self.batch_size
        return "-".join(map(str, (*dataclasses.astuple(self)[:4], f"batch{batch}")))


CONFIGS = [
    Config(*values)
    for values in itertools.product(
        ACTIVATION_NAMES, LOSS_NAMES, REGULARIZATIONS, OPTIMIZERS, BATCH_SIZES
    )
]


class Snapshots(Callback):
    """Batch indices, p.grad after each backward pass, and the parameters after each update."""

    def __init__(self) -> None:
        self.indices: list[np.ndarray] = []
        self.gradients: list[list[np.ndarray]] = []
        self.parameters: list[list[np.ndarray]] = []

    def on_train_batch_start(self, trainer, batch) -> None:
        self.indices.append(batch.indices.numpy().copy())

    def on_after_backward(self, trainer) -> None:
        self.gradients.append([p.grad.numpy().copy() for p in trainer.model.parameters()])

    def on_train_batch_end(self, trainer, record) -> None:
        self.parameters.append([p.detach().numpy().copy() for p in trainer.model.parameters()])


@functools.cache
def initial_model(activation: str, n_features: int, n_outputs: int) -> MLP:
    return MLP([n_features, 5, 4, n_outputs], activation, seed=1)


def train(config: Config, engine: str, data_for_loss, probe: LayerProbe | None = None):
    data = data_for_loss(config.loss)
    model = copy.deepcopy(initial_model(config.activation, data.n_features, data.n_outputs))
    trainer = Trainer(
        model,
        data,
        lr=0.03,
        batch_size=config.batch_size,
        optimizer=config.optimizer,
        regularization=config.regularization,
        reg_rate=0.0 if config.regularization == "none" else 0.01,
        loss=config.loss,
        eval_every=STEPS - 1,
        engine=engine,
        history_size=16,  # the default's 10,000 rows would take longer to allocate than to train
    )
    assert trainer.engine == engine
    snapshots = Snapshots()
    trainer.fit(steps=STEPS, callbacks=[snapshots] if probe is None else [snapshots, probe])
    return trainer, snapshots


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_numpy_engine_trains_as_autograd_does(config: Config, data_for_loss) -> None:
    mine, my_snapshots = train(config, "numpy", data_for_loss)
    theirs, their_snapshots = train(config, "autograd", data_for_loss)
    assert mine.diverged == theirs.diverged  # (a few of these learning rates are too large)
    assert mine.step_count == theirs.step_count == len(my_snapshots.parameters)
    for step in range(mine.step_count):
        np.testing.assert_array_equal(my_snapshots.indices[step], their_snapshots.indices[step])
        for name in ("gradients", "parameters"):
            for a, b in zip(
                getattr(my_snapshots, name)[step], getattr(their_snapshots, name)[step], strict=True
            ):
                assert_close(a, b, name=f"{name} after step {step + 1}")
    for column in ("loss", "penalty", "total"):
        assert_close(mine.history[column], theirs.history[column], name=column)
    for column in ("epoch", "examples_seen"):
        np.testing.assert_array_equal(mine.history[column], theirs.history[column])
    for column in ("train_loss", "test_loss", "train_metric", "test_metric", "penalty"):
        evaluations = mine.history.evaluations[column], theirs.history.evaluations[column]
        assert_close(*evaluations, name=f"evaluation {column}")


# Every activation, loss and batch size; regularization and optimizer vary along with them.
PROBED = [
    Config(activation, loss, REGULARIZATIONS[i % 3], OPTIMIZERS[(i + j) % 3], batch_size)
    for i, (activation, loss) in enumerate(itertools.product(ACTIVATION_NAMES, LOSS_NAMES))
    for j, batch_size in enumerate(BATCH_SIZES)
]


@pytest.mark.parametrize("config", PROBED, ids=str)
def test_probe_records_are_the_same_with_either_engine(config: Config, data_for_loss) -> None:
    mine, theirs = LayerProbe(), LayerProbe()
    train(config, "numpy", data_for_loss, mine)
    train(config, "autograd", data_for_loss, theirs)
    my_record, their_record = mine.last, theirs.last
    assert my_record.step == their_record.step == STEPS
    for layer, other in zip(my_record.layers, their_record.layers, strict=True):
        for name in ("a_prev", "z", "a", "delta", "weight", "bias", "grad_weight", "grad_bias"):
            assert_close(getattr(layer, name), getattr(other, name), name=name)
        for name in ("grad_norm", "weight_norm", "update_ratio", "dead_fraction"):
            assert getattr(layer, name) == pytest.approx(getattr(other, name), rel=1e-4, abs=1e-7)
        np.testing.assert_array_equal(layer.inactive, other.inactive)
        for quantity, summary in layer.summaries.items():
            assert_close(summary.mean, other.summaries[quantity].mean, name=quantity)
            assert_close(summary.edges, other.summaries[quantity].edges, name=quantity)
    for name in ("a_mean", "delta_std", "grad_norm", "update_ratio"):
        assert_close(mine.history[name], theirs.history[name], name=name)


# --------------------------------------------------------------------------- the trainer's promises
def test_gradients_land_in_preallocated_grad_tensors(binary_data) -> None:
    trainer = Trainer(MLP([2, 4, 1], seed=0), binary_data, batch_size=10)
    trainer.fit(steps=1)
    first = [p.grad for p in trainer.model.parameters()]
    trainer.fit(steps=2)
    values = trainer.layer_values()
    flat = np.concatenate([p.grad.numpy().ravel() for p in trainer.model.parameters()])
    np.testing.assert_array_equal(flat, values.gradient)
    for parameter, grad in zip(trainer.model.parameters(), first, strict=True):
        assert parameter.grad is grad  # the same tensors, refilled every step
        assert np.shares_memory(parameter.grad.numpy(), values.gradient)


def test_the_module_is_trained_in_place_and_stays_usable_by_torch(binary_data) -> None:
    model = MLP([2, 4, 1], seed=0)
    pointers = [p.data_ptr() for p in model.parameters()]
    before = [p.detach().clone() for p in model.parameters()]
    trainer = Trainer(model, binary_data, batch_size=10)
    trainer.fit(steps=5)
    assert [p.data_ptr() for p in model.parameters()] == pointers
    assert not any(torch.equal(p, b) for p, b in zip(model.parameters(), before, strict=True))
    evaluation = trainer.evaluate()
    with torch.no_grad():  # torch's own forward pass sees the trained weights
        logits = model(binary_data.X_train)
        torch_loss = trainer.loss.function(logits, binary_data.y_train.float().reshape(-1, 1))
    assert evaluation.train_loss == pytest.approx(float(torch_loss), rel=1e-5)


def test_replacing_a_parameters_memory_mid_run_keeps_training_it(binary_data) -> None:
    model = MLP([2, 4, 1], seed=0)
    trainer = Trainer(model, binary_data, batch_size=10)
    trainer.fit(steps=2)
    model.layers[0].weight.data = model.layers[0].weight.data.clone()  # new memory
    replaced = model.layers[0].weight.detach().clone()
    trainer.fit(steps=2)
    assert not torch.equal(model.layers[0].weight, replaced)


def test_parameters_before_step_are_the_ones_the_step_used(binary_data) -> None:
    class Before(Callback):
        def __init__(self) -> None:
            self.matches: list[bool] = []

        def on_after_backward(self, trainer) -> None:
            self.used = torch.cat(
                [p.detach().reshape(-1).clone() for p in trainer.model.parameters()]
            )

        def on_train_batch_end(self, trainer, record) -> None:
            self.matches.append(torch.equal(trainer.parameters_before_step, self.used))

    watcher = Before()
    Trainer(MLP([2, 4, 1], seed=0), binary_data, batch_size=10).fit(steps=4, callbacks=[watcher])
    assert watcher.matches == [True] * 4


def test_numpy_runs_are_deterministic_and_reset_replays_them(binary_data) -> None:
    def run() -> Trainer:
        trainer = Trainer(MLP([2, 4, 1], "relu", seed=0), binary_data, batch_size=7)
        trainer.fit(steps=9)
        return trainer

    first, second = run(), run()
    np.testing.assert_array_equal(first.history["loss"], second.history["loss"])
    losses = first.history["loss"].copy()
    first.reset()
    first.fit(steps=9)
    np.testing.assert_array_equal(first.history["loss"], losses)


def test_layer_values_are_none_with_autograd(binary_data) -> None:
    trainer = Trainer(MLP([2, 4, 1]), binary_data, engine="autograd")
    trainer.fit(steps=1)
    assert trainer.layer_values() is None
    numpy_trainer = Trainer(MLP([2, 4, 1]), binary_data)
    assert numpy_trainer.layer_values() is None  # nothing computed yet


def test_a_diverging_numpy_run_warns_nothing_in_or_out_of_a_session() -> None:
    rng = np.random.default_rng(0)
    data = from_arrays(rng.uniform(1, 2, (20, 1)) * 2e20, np.zeros(20), task="regression")
    for in_session in (True, False):
        trainer = Trainer(MLP([1, 1], "linear", seed=0), data, lr=50, batch_size=1)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            if in_session:
                trainer.fit(steps=5)
            else:
                for _ in range(5):
                    trainer.step()
            trainer.evaluate()
        assert trainer.diverged is not None
        assert all(torch.isfinite(p).all() for p in trainer.model.parameters())


@pytest.mark.parametrize("engine_class", [NumpyEngine, AutogradEngine])
def test_each_engine_is_usable_on_its_own(engine_class) -> None:
    # The equations on a tiny network, against arithmetic done by hand.
    model = MLP([1, 1], "linear", seed=0)
    with torch.no_grad():
        model.layers[0].weight.fill_(2.0)
        model.layers[0].bias.fill_(1.0)
    inputs = torch.tensor([[1.0], [3.0]])
    targets = torch.tensor([[2.0], [5.0]])
    sets = TrainingSets(inputs, targets, inputs[:0], targets[:0], n_outputs=1)
    engine = engine_class(model, LOSSES["mse"], "l2", 0.5, sets)
    before = [torch.zeros(1, 1), torch.zeros(1)]
    engine.bind_before_step(before)
    engine.start_epoch(torch.tensor([1, 0]), inputs.flip(0), targets.flip(0))
    # z = 2x + 1 = [7, 3]; C = (2^2 + 1^2) / (2 * 2) = 1.25; lambda R = 0.5 * 2^2 = 2
    assert engine.forward(0, 2) == pytest.approx((1.25, 2.0), rel=1e-6)
    assert engine.measure(train=True) == pytest.approx((1.25, 1 - 5 / 4.5), rel=1e-6)
    engine.backward()
    # delta = [2, 1] / 2; dC/dw = 1 * 3 + 0.5 * 1 = 3.5, + 2 * 0.5 * 2; dC/db = 1.5
    np.testing.assert_allclose(model.layers[0].weight.grad.numpy(), [[5.5]], rtol=1e-6)
    np.testing.assert_allclose(model.layers[0].bias.grad.numpy(), [1.5], rtol=1e-6)
    engine.copy_before_step()
    engine.sgd(0.1)
    np.testing.assert_allclose(model.layers[0].weight.detach().numpy(), [[1.45]], rtol=1e-6)
    np.testing.assert_allclose(model.layers[0].bias.detach().numpy(), [0.85], rtol=1e-6)
    assert [t.item() for t in before] == [2.0, 1.0]  # as the forward pass used them
    assert engine.penalty() == pytest.approx(0.5 * 1.45**2, rel=1e-6)
    assert (engine.layer_values() is None) == (engine_class is AutogradEngine)


def test_the_numpy_engine_refuses_what_it_cannot_train_exactly() -> None:
    inputs, targets = torch.zeros(2, 1), torch.zeros(2, 1)
    sets = TrainingSets(inputs, targets, inputs, targets, n_outputs=1)
    with pytest.raises(ValueError, match="cannot train this configuration exactly"):
        NumpyEngine(torch.nn.Linear(1, 1), LOSSES["mse"], "none", 0.0, sets)
