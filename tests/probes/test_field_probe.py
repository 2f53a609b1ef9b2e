"""FieldProbe against an independent numpy forward pass at the very grid points it evaluated."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnviz import MLP, Runner, Trainer, from_arrays, make_dataset
from nnviz.probes.field import FieldProbe


def numpy_layers(model: MLP, inputs: np.ndarray, output: str) -> list[np.ndarray]:
    """a^0 = inputs, ..., a^L in float64, written out from the weights."""
    sigma = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0)}[model.activation.name]
    a, layers = np.asarray(inputs, np.float64), [np.asarray(inputs, np.float64)]
    for index, layer in enumerate(model.layers):
        weight = layer.weight.detach().double().numpy()
        z = a @ weight.T + layer.bias.detach().double().numpy()
        if index < len(model.layers) - 1:
            a = sigma(z)
        elif output == "sigmoid":
            a = 1 / (1 + np.exp(-z))
        elif output == "softmax":
            a = np.exp(z - z.max(1, keepdims=True))
            a /= a.sum(1, keepdims=True)
        else:
            a = z
        layers.append(a)
    return layers


def trained(data, hidden=(4, 3), steps=15, **options) -> Trainer:
    width = data.n_classes if (data.n_classes or 0) > 2 else data.n_outputs
    model = MLP([data.n_features, *hidden, width], activation="tanh", seed=1)
    trainer = Trainer(model, data, seed=0, batch_size=10, **{"lr": 0.1, **options})
    trainer.fit(steps=steps)
    return trainer


@pytest.fixture(scope="module")
def xor_trainer() -> Trainer:
    features = ("x1", "x2", "x1^2", "sin(x2)")
    data = make_dataset(
        "xor", n_samples=60, noise=0.1, test_fraction=0.25, seed=0, features=features
    )
    return trained(data)


def plane_points(axis_x: np.ndarray, axis_y: np.ndarray) -> np.ndarray:
    """Every (x1, x2) of the grid, row i = axis_y[i], column j = axis_x[j], flattened."""
    return np.array([[x, y] for y in axis_y for x in axis_x], dtype=np.float64)


def xor_features(points: np.ndarray) -> np.ndarray:
    x1, x2 = points[:, 0], points[:, 1]
    return np.stack([x1, x2, x1 * x1, np.sin(x2)], axis=1)


def test_grid_output_is_the_models_probability_at_those_points(xor_trainer):
    record = FieldProbe(resolution=20, thumbnail=5).snapshot(xor_trainer)
    assert record.data.extent == (-6.0, 6.0, -6.0, 6.0)  # a Playground set inside [-6, 6]^2
    np.testing.assert_allclose(record.grid_x, np.linspace(-6, 6, 20), atol=1e-6)
    assert record.output.shape == (20, 20) and record.output.dtype == np.float32
    for row, column in [(0, 0), (3, 17), (19, 2), (10, 10)]:
        x1, x2 = float(record.grid_x[column]), float(record.grid_y[row])
        features = torch.tensor([[x1, x2, x1 * x1, np.sin(x2)]], dtype=torch.float32)
        with torch.no_grad():
            expected = torch.sigmoid(xor_trainer.model(features)).item()
        assert record.output[row, column] == pytest.approx(expected, abs=1e-6)
    assert record.confidence is None  # binary: output is P(class 1) itself


def test_neuron_maps_are_each_layers_activations_and_layer_zero_the_features(xor_trainer):
    record = FieldProbe(resolution=8, thumbnail=6).snapshot(xor_trainer)
    points = plane_points(record.thumb_x, record.thumb_y)
    expected = numpy_layers(xor_trainer.model, xor_features(points), "sigmoid")
    assert [maps.shape for maps in record.neurons] == [(4, 6, 6), (4, 6, 6), (3, 6, 6), (1, 6, 6)]
    for maps, activations in zip(record.neurons, expected, strict=True):
        flat = maps.reshape(len(maps), -1).T  # (points, units), points in row-major grid order
        np.testing.assert_allclose(flat, activations, atol=2e-6)
    # Layer 0 holds the features: column 2 is x1^2, so it is the same along a row of x1 values.
    np.testing.assert_allclose(record.neurons[0][2, 0, :], record.thumb_x**2, rtol=1e-6)
    test = numpy_layers(xor_trainer.model, xor_trainer.data.X_test.numpy(), "sigmoid")
    for means, activations in zip(record.unit_means, test, strict=True):
        np.testing.assert_allclose(means, activations.mean(0), atol=2e-6)


def test_confusion_counts_match_a_hand_count_on_the_test_split():
    data = make_dataset(
        "random", n_samples=80, test_fraction=0.5, seed=3, n_features=5, n_classes=4
    )
    trainer = trained(data, hidden=(6,), steps=20)
    record = FieldProbe().snapshot(trainer)
    assert record.output is None and record.grid_x is None and record.neurons == ()
    layers = numpy_layers(trainer.model, data.X_test.numpy(), "softmax")
    predicted, truth = layers[-1].argmax(1), data.y_test.numpy()
    expected = np.zeros((4, 4), dtype=np.int64)
    for true_class, guess in zip(truth, predicted, strict=True):
        expected[true_class, guess] += 1
    np.testing.assert_array_equal(record.confusion, expected)
    assert record.confusion_split == "test" and record.confusion.sum() == 40
    accuracy = np.trace(record.confusion) / 40
    assert accuracy == pytest.approx(trainer.evaluate().test_metric, abs=1e-6)
    for means, activations in zip(record.unit_means, layers, strict=True):
        np.testing.assert_allclose(means, activations.mean(0), atol=2e-6)


def test_without_a_test_split_the_train_split_is_counted():
    data = make_dataset("random", n_samples=30, test_fraction=0, seed=0, n_features=3, n_classes=3)
    record = FieldProbe().snapshot(trained(data, hidden=(4,), steps=3))
    assert record.confusion_split == "train" and record.confusion.sum() == 30


def test_k_classes_on_a_plane_give_the_predicted_class_and_its_probability():
    rng = np.random.default_rng(0)
    points = rng.uniform(-1, 3, (90, 2))
    labels = (points[:, 0] > 1).astype(int) + (points[:, 1] > 1).astype(int)  # classes 0, 1, 2
    data = from_arrays(points, labels, test_fraction=0.3, seed=0)
    trainer = trained(data, steps=30)
    record = FieldProbe(resolution=12, thumbnail=4, padding=0.1).snapshot(trainer)
    raw = np.concatenate([data.X_train.numpy(), data.X_test.numpy()])
    span = (raw.max(0) - raw.min(0)).max() * 1.2  # padding 0.1 on each side, square
    x_min, x_max, y_min, y_max = record.data.extent
    assert x_max - x_min == pytest.approx(span) and y_max - y_min == pytest.approx(span)
    assert x_min < raw[:, 0].min() and x_max > raw[:, 0].max()
    probabilities = numpy_layers(
        trainer.model, plane_points(record.grid_x, record.grid_y), "softmax"
    )[-1]
    np.testing.assert_array_equal(record.output.reshape(-1), probabilities.argmax(1))
    np.testing.assert_allclose(record.confidence.reshape(-1), probabilities.max(1), atol=1e-6)


def test_regression_output_is_the_value_and_squared_error_on_labels_is_clipped():
    plane = make_dataset("plane", n_samples=40, test_fraction=0.25, seed=0)
    trainer = trained(plane, steps=10)
    record = FieldProbe(resolution=6, thumbnail=3).snapshot(trainer)
    values = numpy_layers(trainer.model, plane_points(record.grid_x, record.grid_y), "identity")
    np.testing.assert_allclose(record.output.reshape(-1), values[-1][:, 0], atol=1e-6)
    assert record.confusion is None and record.data.n_classes == 0

    circle = make_dataset("circle", n_samples=40, test_fraction=0.25, seed=0)
    trainer = trained(circle, steps=10, loss="mse", lr=0.5)
    record = FieldProbe(resolution=6, thumbnail=3).snapshot(trainer)
    raw = numpy_layers(trainer.model, plane_points(record.grid_x, record.grid_y), "identity")[-1]
    np.testing.assert_allclose(record.output.reshape(-1), np.clip(raw[:, 0], 0, 1), atol=1e-6)


def test_snapshot_leaves_mode_autograd_and_random_state_untouched(xor_trainer):
    probe, model = FieldProbe(), xor_trainer.model
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()[1].copy()
    generator_state = xor_trainer._generator.get_state()
    for training in (True, False):
        model.train(training)
        probe.snapshot(xor_trainer)
        assert model.training is training
    model.train(True)
    assert torch.is_grad_enabled()
    with torch.no_grad():
        probe.snapshot(xor_trainer)
        assert not torch.is_grad_enabled()
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], numpy_state)
    assert torch.equal(xor_trainer._generator.get_state(), generator_state)


def test_snapshot_adds_no_gradients_and_no_autograd_graph(xor_trainer):
    before = [None if p.grad is None else p.grad.clone() for p in xor_trainer.model.parameters()]
    record = FieldProbe().snapshot(xor_trainer)
    after = [p.grad for p in xor_trainer.model.parameters()]
    for old, new in zip(before, after, strict=True):
        assert (old is None and new is None) or torch.equal(old, new)
    assert isinstance(record.output, np.ndarray)  # host arrays, no tensors in the record


def run(with_probe: bool) -> tuple[np.ndarray, list[torch.Tensor]]:
    data = make_dataset("spiral", n_samples=60, noise=0.1, test_fraction=0.25, seed=0)
    model = MLP([2, 5, 1], activation="tanh", seed=0)
    trainer = Trainer(model, data, seed=0, lr=0.1, batch_size=7, eval_every=5)
    callbacks = [FieldProbe(resolution=16, thumbnail=4)] if with_probe else []
    with Runner(trainer, callbacks, interval=1e-9) as runner:  # a snapshot after every step
        runner.advance(25)
        runner.wait(timeout=30)
    history = trainer.history
    numbers = np.concatenate([history["loss"], history["total"], history["test_loss"]])
    return numbers, [p.detach().clone() for p in model.parameters()]


def test_a_run_with_the_probe_gives_the_same_numbers_as_one_without():
    losses, weights = run(with_probe=True)
    plain_losses, plain_weights = run(with_probe=False)
    assert len(losses) == 2 * 25 + 5  # two columns of steps, five evaluations
    np.testing.assert_array_equal(losses, plain_losses)
    for with_probe, without in zip(weights, plain_weights, strict=True):
        assert torch.equal(with_probe, without)


def test_data_record_is_built_once_per_data_set():
    probe = FieldProbe(padding=0.0)
    moons = make_dataset("moons", n_samples=50, noise=0.05, test_fraction=0.2, seed=0)
    record = probe.data_record(moons)
    assert probe.data_record(moons) is record
    assert probe.data_record(make_dataset("moons", n_samples=50, seed=1)) is not record
    np.testing.assert_array_equal(record.train_points, moons.raw_train.numpy())
    np.testing.assert_array_equal(record.test_targets, moons.y_test.numpy())
    # moons is not a Playground set: its own extent, squared around the centre (no padding).
    points = np.concatenate([record.train_points, record.test_points])
    low, high = points.min(0), points.max(0)
    x_min, x_max, y_min, y_max = record.extent
    assert (x_min, x_max) == pytest.approx((low[0], high[0]), abs=1e-5)
    assert (y_min + y_max) / 2 == pytest.approx((low[1] + high[1]) / 2, abs=1e-5)
    assert y_max - y_min == pytest.approx(x_max - x_min)
    digits = probe.data_record(make_dataset("digits", n_samples=30, seed=0))
    assert digits.extent is None and digits.train_points is None and digits.n_classes == 10


def test_the_runner_puts_the_snapshot_in_every_update():
    data = make_dataset("circle", n_samples=40, test_fraction=0.25, seed=0)
    trainer = Trainer(MLP([2, 3, 1], seed=0), data, seed=0)
    updates = []
    with Runner(trainer, [FieldProbe(resolution=8, thumbnail=4)], interval=1e-9) as runner:
        runner.subscribe(updates.append)
        runner.advance(3)
        runner.wait(timeout=30)
    assert [u.field.step for u in updates] == [u.step for u in updates]
    assert {u.step for u in updates} == {1, 2, 3}  # one per step, then the final one(s)
    assert len({id(u.field.data) for u in updates}) == 1  # one DataRecord for the data set


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"resolution": 1}, "resolution=1"),
        ({"thumbnail": 1000}, "thumbnail=1000"),
        ({"padding": -0.5}, "padding=-0.5"),
        ({"resolution": 8.5}, "resolution must be an integer"),
    ],
)
def test_bad_arguments_name_the_parameter(options, error):
    with pytest.raises((ValueError, TypeError), match=error):
        FieldProbe(**options)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_a_gpu_the_snapshot_matches_the_cpu_one():
    data = make_dataset("circle", n_samples=60, test_fraction=0.25, seed=0)
    cpu = trained(data, steps=5)
    gpu = Trainer(MLP([2, 4, 3, 1], activation="tanh", seed=1), data, device="cuda")
    gpu.model.load_state_dict(cpu.model.state_dict())
    expected, record = FieldProbe().snapshot(cpu), FieldProbe().snapshot(gpu)
    np.testing.assert_allclose(record.output, expected.output, atol=1e-5)
    np.testing.assert_array_equal(record.confusion, expected.confusion)
    for maps, cpu_maps in zip(record.neurons, expected.neurons, strict=True):
        np.testing.assert_allclose(maps, cpu_maps, atol=1e-5)
