"""Tests for nnviz.probes.layer.LayerProbe, through its public behaviour only (last, history,
attached,
attach): the recorded a, z, delta and gradients obey the four equations of backpropagation,
match an independent numpy backprop and finite differences, and the statistics match numpy."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nnviz import MLP, Callback, LayerProbe, Trainer
from nnviz.core.records import QUANTITIES, ProbeRecord

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
LOSSES = ("binary_cross_entropy", "cross_entropy", "mse")
REGULARIZATIONS = ("none", "l1", "l2")
BATCH_SIZES = (1, 10, None)  # SGD, mini-batch, full batch (30 training points)
LEARNING_RATE = 0.1
REG_RATE = 0.01
STEPS = 3


@dataclass(frozen=True)
class Config:
    """One training configuration to probe."""

    activation: str
    loss: str
    regularization: str
    batch_size: int | None

    def __str__(self) -> str:
        batch = "full" if self.batch_size is None else self.batch_size
        return f"{self.activation}-{self.loss}-{self.regularization}-batch{batch}"


# Every activation with every (loss, regularization) pair; the batch size runs through a Latin
# square over (loss, regularization), so every pair of settings meets at least once.
CONFIGS = [
    Config(activation, loss, regularization, BATCH_SIZES[(i + j) % 3])
    for activation in ACTIVATIONS
    for (i, loss), (j, regularization) in itertools.product(
        enumerate(LOSSES), enumerate(REGULARIZATIONS)
    )
]


@dataclass
class ProbedRun:
    """A few training steps with a probe, and everything needed to check its last record."""

    config: Config
    trainer: Trainer
    probe: LayerProbe
    record: ProbeRecord
    inputs: np.ndarray  # the last mini-batch, float64
    targets: np.ndarray  # in the loss's form
    weights_after: list[np.ndarray]  # the model after the last (probed) update
    biases_after: list[np.ndarray]


# Every configuration with the engine "auto" picks (numpy), and every third with autograd, whose
# forward hooks and retain_grad the probe reads instead (tests/training/test_numpy_engine.py
# compares the two).
ENGINE_CONFIGS = [(config, "auto") for config in CONFIGS] + [
    (config, "autograd") for config in CONFIGS[::3]
]


@pytest.fixture(
    scope="module", params=ENGINE_CONFIGS, ids=[f"{c}-{engine}" for c, engine in ENGINE_CONFIGS]
)
def probed(request, data_for_loss, batch_recorder) -> ProbedRun:
    config: Config
    config, engine = request.param
    data = data_for_loss(config.loss)
    model = MLP([data.n_features, 5, 4, data.n_outputs], config.activation, seed=1)
    trainer = Trainer(
        model,
        data,
        lr=LEARNING_RATE,
        batch_size=config.batch_size,
        regularization=config.regularization,
        reg_rate=0.0 if config.regularization == "none" else REG_RATE,
        loss=config.loss,
        engine=engine,
    )
    recorder, probe = batch_recorder(), LayerProbe()
    trainer.fit(steps=STEPS, callbacks=[recorder, probe])
    assert trainer.diverged is None
    return ProbedRun(
        config=config,
        trainer=trainer,
        probe=probe,
        record=probe.last,
        inputs=recorder.last.inputs.double().numpy(),
        targets=recorder.last.targets.numpy(),
        weights_after=[layer.weight.detach().numpy().copy() for layer in model.layers],
        biases_after=[layer.bias.detach().numpy().copy() for layer in model.layers],
    )


def assert_close(actual, expected, rtol: float = 1e-4) -> None:
    """float32 results against float64 references: relative, with a floor at the scale."""
    expected = np.asarray(expected, np.float64)
    scale = max(float(np.abs(expected).max(initial=0.0)), 1e-3)
    np.testing.assert_allclose(
        np.asarray(actual, np.float64), expected, rtol=rtol, atol=1e-5 * scale
    )


def penalty_gradient(weight: np.ndarray, regularization: str) -> np.ndarray:
    """dR/dW: sign(W) for L1, 2W for L2."""
    weight = weight.astype(np.float64)
    if regularization == "l1":
        return np.sign(weight)
    if regularization == "l2":
        return 2 * weight
    return np.zeros_like(weight)


def reg_rate(config: Config) -> float:
    return 0.0 if config.regularization == "none" else REG_RATE


# --------------------------------------------------------------------------- the equations
def test_record_describes_the_last_step(probed: ProbedRun) -> None:
    record = probed.record
    assert record.step == STEPS
    assert record.batch_size == len(probed.inputs)
    assert len(record.layers) == 3
    assert [layer.index for layer in record.layers] == [0, 1, 2]


def test_forward_equation_z_is_a_prev_times_weights_plus_bias(probed: ProbedRun) -> None:
    for layer in probed.record.layers:
        a_prev, weight = layer.a_prev.astype(np.float64), layer.weight.astype(np.float64)
        assert_close(layer.z, a_prev @ weight.T + layer.bias)


def test_activation_is_sigma_of_z_and_the_output_is_the_networks_answer(
    probed: ProbedRun, numpy_sigma, numpy_output
) -> None:
    sigma, _ = numpy_sigma[probed.config.activation]
    *hidden, output = probed.record.layers
    for layer in hidden:
        assert_close(layer.a, sigma(layer.z.astype(np.float64)))
    assert_close(output.a, numpy_output(output.z.astype(np.float64), probed.config.loss))
    expected_name = {
        "binary_cross_entropy": "sigmoid",
        "cross_entropy": "softmax",
        "mse": "identity",
    }
    assert output.activation == expected_name[probed.config.loss]
    assert all(layer.activation == probed.config.activation for layer in hidden)


def test_a_prev_is_the_previous_layers_a_and_the_batch_for_the_first(probed: ProbedRun) -> None:
    layers = probed.record.layers
    np.testing.assert_array_equal(layers[0].a_prev, probed.inputs.astype(np.float32))
    for previous, layer in itertools.pairwise(layers):
        np.testing.assert_array_equal(layer.a_prev, previous.a)


def test_weight_gradient_is_delta_times_a_prev_plus_the_penalty(probed: ProbedRun) -> None:
    config = probed.config
    for layer in probed.record.layers:
        data_gradient = layer.grad_weight - reg_rate(config) * penalty_gradient(
            layer.weight, config.regularization
        )
        expected = layer.delta.astype(np.float64).T @ layer.a_prev.astype(np.float64)
        assert_close(data_gradient, expected)
        assert_close(layer.grad_bias, layer.delta.astype(np.float64).sum(axis=0))


def test_delta_propagates_backwards_through_the_weights(probed: ProbedRun, numpy_sigma) -> None:
    _, sigma_prime = numpy_sigma[probed.config.activation]
    for layer, following in itertools.pairwise(probed.record.layers):
        back = following.delta.astype(np.float64) @ following.weight.astype(np.float64)
        assert_close(layer.delta, back * sigma_prime(layer.z.astype(np.float64)))


def test_output_delta_is_a_minus_y_over_the_batch(probed: ProbedRun, numpy_targets) -> None:
    output = probed.record.layers[-1]
    y = numpy_targets(probed.targets, probed.config.loss, output.a.shape[1])
    assert_close(output.delta, (output.a.astype(np.float64) - y) / len(y))


def test_every_array_matches_an_independent_numpy_backprop(
    probed: ProbedRun, numpy_backprop
) -> None:
    layers, config = probed.record.layers, probed.config
    reference = numpy_backprop(
        [layer.weight for layer in layers],
        [layer.bias for layer in layers],
        probed.inputs,
        probed.targets,
        config.activation,
        config.loss,
    )
    for index, layer in enumerate(layers):
        assert_close(layer.a_prev, reference.a_prev[index])
        assert_close(layer.z, reference.z[index])
        assert_close(layer.a, reference.a[index])
        assert_close(layer.delta, reference.delta[index])
        penalty = reg_rate(config) * penalty_gradient(layer.weight, config.regularization)
        assert_close(layer.grad_weight, reference.grad_weight[index] + penalty)
        assert_close(layer.grad_bias, reference.grad_bias[index])


def total_cost(model: MLP, inputs: torch.Tensor, targets: torch.Tensor, config: Config):
    """C_total = C + lambda R in float64, written from the formulas (not nnviz.core.losses)."""
    z = model(inputs)
    n = len(z)
    if config.loss == "binary_cross_entropy":
        y = targets.reshape(-1, 1).double()
        cost = -(y * F.logsigmoid(z) + (1 - y) * F.logsigmoid(-z)).sum() / n
    elif config.loss == "cross_entropy":
        cost = -torch.log_softmax(z, dim=1)[torch.arange(n), targets.long()].sum() / n
    else:
        cost = 0.5 * (z - targets.double()).pow(2).sum() / n
    weights = [layer.weight for layer in model.layers]
    if config.regularization == "l1":
        cost = cost + REG_RATE * sum(w.abs().sum() for w in weights)
    elif config.regularization == "l2":
        cost = cost + REG_RATE * sum(w.pow(2).sum() for w in weights)
    return cost


def test_gradients_match_central_finite_differences(probed: ProbedRun) -> None:
    model = copy.deepcopy(probed.trainer.model).double()
    inputs = torch.from_numpy(probed.inputs)
    targets = torch.from_numpy(probed.targets)
    layers = probed.record.layers
    with torch.no_grad():
        for module, layer in zip(
            model.layers, layers, strict=True
        ):  # the weights the step differentiated
            module.weight.copy_(torch.from_numpy(layer.weight))
            module.bias.copy_(torch.from_numpy(layer.bias))
    rng = np.random.default_rng(0)
    epsilon = 1e-6
    checked = 0
    with torch.no_grad():
        for module, layer in zip(model.layers, layers, strict=True):
            picks = [
                ("weight", tuple(rng.integers(0, s) for s in layer.weight.shape)) for _ in range(3)
            ]
            picks.append(("bias", (int(rng.integers(0, len(layer.bias))),)))
            for name, position in picks:
                parameter = getattr(module, name)
                original = parameter[position].item()
                costs = []
                for shift in (epsilon, 0.0, -epsilon):
                    parameter[position] = original + shift
                    costs.append(total_cost(model, inputs, targets, probed.config).item())
                parameter[position] = original
                up, middle, down = costs
                right, left = (up - middle) / epsilon, (middle - down) / epsilon
                if abs(right - left) > 1e-3 * max(abs(right), 1.0):
                    continue  # a ReLU kink (some z exactly 0) lies between the two sides
                numeric = (up - down) / (2 * epsilon)
                recorded = (layer.grad_weight if name == "weight" else layer.grad_bias)[position]
                assert recorded == pytest.approx(numeric, rel=1e-3, abs=1e-5), (name, position)
                checked += 1
    assert checked >= 8  # most picks are smooth points


def test_weights_are_recorded_before_the_sgd_update(probed: ProbedRun) -> None:
    for index, layer in enumerate(probed.record.layers):
        expected_weight = layer.weight - np.float32(LEARNING_RATE) * layer.grad_weight
        expected_bias = layer.bias - np.float32(LEARNING_RATE) * layer.grad_bias
        np.testing.assert_allclose(
            probed.weights_after[index], expected_weight, rtol=1e-6, atol=1e-7
        )
        np.testing.assert_allclose(probed.biases_after[index], expected_bias, rtol=1e-6, atol=1e-7)
        assert not np.array_equal(probed.weights_after[index], layer.weight)


# --------------------------------------------------------------------------- statistics
def assert_histogram(counts: np.ndarray, edges: np.ndarray, values: np.ndarray) -> None:
    """counts == np.histogram(values, edges), up to values within rounding of an inner edge."""
    values = values.astype(np.float64).ravel()
    assert counts.sum() == values.size
    low, high = values.min(), values.max()
    assert edges[0] == pytest.approx(low, rel=1e-6, abs=1e-12)
    assert edges[-1] == pytest.approx(high, rel=1e-6, abs=1e-12)
    if high == low:  # one value: every count in one bin, whichever
        assert np.count_nonzero(counts) == 1
        return
    expected, _ = np.histogram(values, bins=edges)  # the last bin includes the max
    distance = np.abs(values[:, None] - edges[None, 1:-1]).min(axis=1)
    borderline = np.count_nonzero(distance <= 1e-5 * (high - low))
    assert np.abs(counts - expected).sum() <= 2 * borderline, (counts, expected)


def test_summaries_match_numpy(probed: ProbedRun) -> None:
    for layer in probed.record.layers:
        assert set(layer.summaries) == set(QUANTITIES)
        for quantity in QUANTITIES:
            values = getattr(layer, quantity).astype(np.float64)
            summary = layer.summaries[quantity]
            scale = max(np.abs(values).max(), 1e-6)
            assert summary.mean == pytest.approx(values.mean(), rel=1e-5, abs=1e-6 * scale)
            assert summary.std == pytest.approx(values.std(), rel=1e-4, abs=1e-6 * scale)
            assert summary.min == values.min()
            assert summary.max == values.max()
            assert len(summary.edges) == len(summary.counts) + 1
            assert_histogram(summary.counts, summary.edges, values)


def expected_inactive(activation: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Per unit: the fraction of the batch where sigma'(z) < 1% of sigma's peak slope."""
    a = a.astype(np.float64)
    flat = {
        "relu": z <= 0,
        "tanh": 1 - a**2 < 0.01,
        "sigmoid": a * (1 - a) < 0.0025,
        "linear": np.zeros(z.shape, bool),
    }[activation]
    return flat.mean(axis=0)


def test_inactive_and_dead_fraction_follow_their_definitions(probed: ProbedRun) -> None:
    *hidden, output = probed.record.layers
    for layer in hidden:
        inactive = expected_inactive(probed.config.activation, layer.z, layer.a)
        np.testing.assert_allclose(layer.inactive, inactive)
        assert layer.dead_fraction == pytest.approx(np.mean(inactive == 1.0))
    np.testing.assert_array_equal(output.inactive, np.zeros(output.a.shape[1]))
    assert output.dead_fraction == 0.0


def test_norms_and_update_ratio(probed: ProbedRun) -> None:
    for index, layer in enumerate(probed.record.layers):
        gradient = np.concatenate([layer.grad_weight.ravel(), layer.grad_bias]).astype(np.float64)
        before = np.concatenate([layer.weight.ravel(), layer.bias]).astype(np.float64)
        after = np.concatenate(
            [probed.weights_after[index].ravel(), probed.biases_after[index]]
        ).astype(np.float64)
        assert layer.grad_norm == pytest.approx(np.linalg.norm(gradient), rel=1e-5)
        assert layer.weight_norm == pytest.approx(np.linalg.norm(before), rel=1e-5)
        ratio = np.linalg.norm(after - before) / np.linalg.norm(before)
        assert layer.update_ratio == pytest.approx(ratio, rel=1e-4)


def test_history_holds_one_row_per_sampled_step(probed: ProbedRun) -> None:
    history, record = probed.probe.history, probed.record
    assert len(history) == STEPS
    np.testing.assert_array_equal(history["step"], np.arange(1, STEPS + 1))
    n_layers = len(record.layers)
    for quantity in QUANTITIES:
        summaries = [layer.summaries[quantity] for layer in record.layers]
        for statistic in ("mean", "std", "min", "max"):
            column = history[f"{quantity}_{statistic}"]
            assert column.shape == (STEPS, n_layers)
            expected = [getattr(summary, statistic) for summary in summaries]
            np.testing.assert_allclose(column[-1], expected, rtol=1e-6, atol=1e-7)
        counts = history[f"{quantity}_counts"]
        assert counts.shape == (STEPS, n_layers, len(summaries[0].counts))
        np.testing.assert_array_equal(counts[-1], [summary.counts for summary in summaries])
    for name in ("dead_fraction", "grad_norm", "weight_norm", "update_ratio"):
        column = history[name]
        assert column.shape == (STEPS, n_layers)
        expected = [getattr(layer, name) for layer in record.layers]
        np.testing.assert_allclose(column[-1], expected, rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------- dead and saturated units
def test_relu_units_with_very_negative_bias_are_dead(binary_data, batch_recorder) -> None:
    model = MLP([2, 6, 1], "relu", seed=0)
    with torch.no_grad():
        model.layers[0].bias[:2] = -100.0  # |w . x| < 10 here: z < 0 on every example
    trainer = Trainer(model, binary_data, lr=0.1, batch_size=10)
    probe = LayerProbe()
    trainer.fit(steps=2, callbacks=[probe])
    layer = probe.last.layers[0]
    assert (layer.z[:, :2] < 0).all()
    np.testing.assert_array_equal(layer.inactive[:2], [1.0, 1.0])
    dead_units = np.all(layer.z <= 0, axis=0)
    assert layer.dead_fraction == pytest.approx(dead_units.mean())
    assert layer.dead_fraction >= 2 / 6
    assert layer.dead_fraction < 1.0
    np.testing.assert_array_equal(layer.grad_weight[:2], 0.0)  # dead units learn nothing


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_saturated_units_are_inactive(activation: str, binary_data) -> None:
    model = MLP([2, 8, 1], activation, seed=0)
    with torch.no_grad():
        model.layers[0].weight.mul_(4.0)  # inputs reach +-6: many z far into the flat tails
    trainer = Trainer(model, binary_data, lr=0.01, batch_size=None)
    probe = LayerProbe()
    trainer.fit(steps=1, callbacks=[probe])
    layer = probe.last.layers[0]
    expected = expected_inactive(activation, layer.z, layer.a)
    np.testing.assert_allclose(layer.inactive, expected)
    assert 0 < expected.mean() < 1  # some saturated, some not: the check means something
    assert layer.dead_fraction == pytest.approx(np.mean(expected == 1.0))


def test_negative_activations_are_counted(binary_data) -> None:
    trainer = Trainer(MLP([2, 8, 1], "tanh", seed=0), binary_data, batch_size=None)
    probe = LayerProbe(bins=16)
    trainer.fit(steps=1, callbacks=[probe])
    layer = probe.last.layers[0]
    summary = layer.summaries["a"]
    negatives = np.count_nonzero(layer.a < 0)
    assert negatives > 0
    assert summary.min < 0 and summary.edges[0] == pytest.approx(summary.min)
    assert summary.counts.sum() == layer.a.size
    assert len(summary.counts) == 16
    # Bins wholly below 0 hold only negatives; with the bin straddling 0, they hold them all.
    below = summary.counts[summary.edges[1:] <= 0].sum()
    straddling = summary.counts[(summary.edges[:-1] < 0) & (summary.edges[1:] > 0)].sum()
    assert below <= negatives <= below + straddling


def test_a_smaller_last_batch_is_recorded_whole(binary_data, batch_recorder) -> None:
    trainer = Trainer(MLP([2, 4, 1], "sigmoid", seed=0), binary_data, batch_size=8)
    probe, recorder = LayerProbe(), batch_recorder()
    trainer.fit(epochs=1, callbacks=[recorder, probe])  # batches of 8, 8, 8 and 6
    record = probe.last
    assert record.batch_size == 6 and record.layers[0].a.shape == (6, 4)
    np.testing.assert_array_equal(record.layers[0].a_prev, recorder.last.inputs.numpy())
    for layer in record.layers:
        for quantity in QUANTITIES:
            values = getattr(layer, quantity).astype(np.float64)
            assert layer.summaries[quantity].mean == pytest.approx(values.mean(), abs=1e-6)
            assert_histogram(
                layer.summaries[quantity].counts, layer.summaries[quantity].edges, values
            )
    np.testing.assert_array_equal(probe.history["step"], [1, 2, 3, 4])


# --------------------------------------------------------------------------- sampling and history
def test_every_n_samples_steps_n_2n_and_so_on(binary_data) -> None:
    trainer = Trainer(MLP([2, 4, 1], seed=0), binary_data, batch_size=10)
    probe = LayerProbe(every=3)
    trainer.fit(steps=10, callbacks=[probe])
    assert probe.last.step == 9
    assert len(probe.history) == 3
    np.testing.assert_array_equal(probe.history["step"], [3, 6, 9])


def test_arrays_false_keeps_the_statistics_and_drops_the_arrays(binary_data) -> None:
    trainer = Trainer(MLP([2, 5, 3, 1], seed=0), binary_data, batch_size=10)
    full, light = LayerProbe(), LayerProbe(arrays=False)
    trainer.fit(steps=4, callbacks=[full, light])
    assert light.last.step == full.last.step == 4
    for heavy, layer in zip(full.last.layers, light.last.layers, strict=True):
        for name in ("a_prev", "z", "a", "delta", "weight", "bias", "grad_weight", "grad_bias"):
            assert getattr(layer, name) is None
            assert getattr(heavy, name) is not None
        for name in ("dead_fraction", "grad_norm", "weight_norm", "update_ratio"):
            assert getattr(layer, name) == pytest.approx(getattr(heavy, name), rel=1e-6)
        np.testing.assert_allclose(layer.inactive, heavy.inactive)
        for quantity in QUANTITIES:
            mine, theirs = layer.summaries[quantity], heavy.summaries[quantity]
            for statistic in ("mean", "std", "min", "max"):
                assert getattr(mine, statistic) == pytest.approx(getattr(theirs, statistic))
            np.testing.assert_array_equal(mine.counts, theirs.counts)
            np.testing.assert_allclose(mine.edges, theirs.edges)
    np.testing.assert_allclose(light.history["a_mean"], full.history["a_mean"])


def test_history_stays_bounded_over_a_long_run(binary_data) -> None:
    trainer = Trainer(MLP([2, 3, 1], seed=0), binary_data, batch_size=None)
    probe = LayerProbe(history_size=8)
    trainer.fit(steps=40, callbacks=[probe])
    kept_after_40 = len(probe.history)
    trainer.fit(steps=160, callbacks=[probe])
    steps = probe.history["step"]
    assert len(steps) == len(probe.history)
    np.testing.assert_array_equal(steps[-8:], np.arange(193, 201))  # the newest rows exactly
    assert steps[0] == 1  # the thinned overview still starts at the beginning
    assert (np.diff(steps) > 0).all()
    assert len(probe.history) <= 2 * 8
    assert kept_after_40 <= 2 * 8
    assert probe.history["a_mean"].shape == (len(steps), 2)


def test_rows_equal_sampled_steps_before_the_bound(binary_data) -> None:
    trainer = Trainer(MLP([2, 3, 1], seed=0), binary_data, batch_size=10)
    probe = LayerProbe(every=2, history_size=50)
    for steps in (4, 6):
        trainer.fit(steps=steps, callbacks=[probe])
    assert len(probe.history) == 5
    np.testing.assert_array_equal(probe.history["step"], [2, 4, 6, 8, 10])


# --------------------------------------------------------------------------- hooks
def forward_hook_count(model: MLP) -> int:
    return sum(len(layer._forward_hooks) for layer in model.layers)


class Raiser(Callback):
    """Raises `error` at the end of step `at`, and checks the probe is hooked meanwhile."""

    def __init__(self, error: BaseException, at: int, probe: LayerProbe) -> None:
        self.error, self.at, self.probe = error, at, probe
        self.saw_hooks = False

    def on_train_batch_end(self, trainer, record) -> None:
        self.saw_hooks = self.probe.attached and forward_hook_count(trainer.model) > 0
        if record.step == self.at:
            raise self.error


def test_hooks_are_removed_when_fit_ends(binary_data) -> None:
    model = MLP([2, 4, 1], seed=0)
    probe = LayerProbe()
    watcher = Raiser(RuntimeError("never raised"), at=-1, probe=probe)
    Trainer(model, binary_data).fit(steps=3, callbacks=[probe, watcher])
    assert watcher.saw_hooks
    assert forward_hook_count(model) == 0
    assert not probe.attached


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()], ids=type)
def test_hooks_are_removed_when_fit_is_interrupted(error: BaseException, binary_data) -> None:
    model = MLP([2, 4, 1], seed=0)
    probe = LayerProbe()
    raiser = Raiser(error, at=2, probe=probe)
    trainer = Trainer(model, binary_data)
    with pytest.raises(type(error)):
        trainer.fit(steps=5, callbacks=[probe, raiser])
    assert raiser.saw_hooks
    assert forward_hook_count(model) == 0
    assert not probe.attached
    trainer.fit(steps=1)  # training without the probe leaves it alone
    assert probe.last.step == 2


def test_attach_context_removes_hooks_even_when_the_block_raises() -> None:
    model = MLP([2, 4, 1], seed=0)
    probe = LayerProbe()
    with probe.attach(model) as attached:
        assert attached is probe
        assert probe.attached
        assert forward_hook_count(model) == 2
    assert not probe.attached and forward_hook_count(model) == 0
    with pytest.raises(ValueError, match="inside"), probe.attach(model):
        raise ValueError("inside")
    assert not probe.attached and forward_hook_count(model) == 0


def test_attach_refuses_a_model_without_linear_layers() -> None:
    with pytest.raises(TypeError, match="Sequential"), LayerProbe().attach(torch.nn.Sequential()):
        pass


def test_evaluation_and_outside_calls_do_not_change_the_record(binary_data, batch_recorder) -> None:
    model = MLP([2, 4, 1], seed=0)
    trainer = Trainer(model, binary_data, batch_size=10, eval_every=1)  # evaluates every step
    probe, recorder = LayerProbe(), batch_recorder()
    trainer.fit(steps=2, callbacks=[recorder, probe])
    record = probe.last
    assert record.batch_size == 10
    np.testing.assert_array_equal(record.layers[0].a_prev, recorder.last.inputs.numpy())
    saved = [layer.z.copy() for layer in record.layers]
    trainer.evaluate()
    model(binary_data.X_train)
    with probe.attach(model):
        model(binary_data.X_test)
        trainer.evaluate()
    after = probe.last
    assert after.step == 2 and after.batch_size == 10
    for layer, z in zip(after.layers, saved, strict=True):
        np.testing.assert_array_equal(layer.z, z)
    assert len(probe.history) == 2


def test_a_probe_follows_a_new_architecture(binary_data, multiclass_data) -> None:
    probe = LayerProbe()
    Trainer(MLP([2, 4, 1], seed=0), binary_data).fit(steps=2, callbacks=[probe])
    Trainer(MLP([4, 6, 5, 3], seed=0), multiclass_data).fit(steps=2, callbacks=[probe])
    assert [layer.weight.shape for layer in probe.last.layers] == [(6, 4), (5, 6), (3, 5)]
    assert probe.history["a_mean"].shape[1] == 3


@pytest.mark.parametrize(
    ("arguments", "name"),
    [({"every": 0}, "every"), ({"bins": 1}, "bins"), ({"history_size": 0}, "history_size")],
)
def test_bad_probe_arguments_name_the_parameter(arguments: dict, name: str) -> None:
    value = next(iter(arguments.values()))
    with pytest.raises(ValueError, match=rf"{name}={value}"):
        LayerProbe(**arguments)
