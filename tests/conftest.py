"""Shared fixtures: small data sets, a callback that keeps every mini-batch, and an independent
numpy forward pass + backpropagation (float64) to check the trainer and the probe against."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from nnviz import Batch, Callback, Dataset, make_dataset

# Every tensor in these tests is tiny, so torch's thread pool costs far more than the arithmetic:
# on the 2 shared CI cores one loss call took ~1.8 ms with 2 threads and ~25 us with 1.
torch.set_num_threads(1)


# --------------------------------------------------------------------------- data sets
@pytest.fixture(scope="session")
def binary_data() -> Dataset:
    """XOR: 2 features, 2 classes (one sigmoid output), 30 train and 10 test points."""
    return make_dataset("xor", n_samples=40, noise=0.1, test_fraction=0.25, seed=0)


@pytest.fixture(scope="session")
def multiclass_data() -> Dataset:
    """Uniform noise: 4 features, 3 classes (softmax over 3 outputs), 30 train, 10 test."""
    return make_dataset(
        "random", n_samples=40, test_fraction=0.25, seed=0, n_features=4, n_classes=3
    )


@pytest.fixture(scope="session")
def regression_data() -> Dataset:
    """The Playground's plane: 2 features, 1 real target, 30 train and 10 test points."""
    return make_dataset("plane", n_samples=40, noise=0.1, test_fraction=0.25, seed=0)


@pytest.fixture(scope="session")
def data_for_loss(
    binary_data: Dataset, multiclass_data: Dataset, regression_data: Dataset
) -> Callable[[str], Dataset]:
    """The small data set each loss is meant for, by loss name."""
    by_loss = {
        "binary_cross_entropy": binary_data,
        "cross_entropy": multiclass_data,
        "mse": regression_data,
    }
    return by_loss.__getitem__


# --------------------------------------------------------------------------- callbacks
class BatchRecorder(Callback):
    """Keeps a copy of every mini-batch the trainer draws, and the epoch it belongs to."""

    def __init__(self) -> None:
        self.batches: list[Batch] = []
        self.epochs: list[int] = []

    def on_train_batch_start(self, trainer, batch: Batch) -> None:
        self.batches.append(
            Batch(batch.inputs.clone(), batch.targets.clone(), batch.indices.clone())
        )
        self.epochs.append(trainer.epoch)

    @property
    def last(self) -> Batch:
        """The newest batch."""
        return self.batches[-1]


@pytest.fixture(scope="session")
def batch_recorder() -> type[BatchRecorder]:
    """The BatchRecorder class (a factory, so that session-scoped fixtures can use it too)."""
    return BatchRecorder


# --------------------------------------------------------------------------- numpy reference
def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


# sigma and sigma', written out independently of nnviz.core.activations.
SIGMA: dict[str, tuple[Callable, Callable]] = {
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(z.dtype)),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z))),
    "linear": (lambda z: z, np.ones_like),
}


def output_function(z: np.ndarray, loss: str) -> np.ndarray:
    """a^L from z^L: sigmoid for binary CE, softmax for CE, identity for squared error."""
    if loss == "binary_cross_entropy":
        return _sigmoid(z)
    if loss == "cross_entropy":
        shifted = np.exp(z - z.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)
    return z


def target_matrix(targets: np.ndarray, loss: str, n_outputs: int) -> np.ndarray:
    """y as a (batch, n_outputs) matrix: 0/1 column, one-hot rows, or the real targets."""
    if loss == "cross_entropy":
        return np.eye(n_outputs)[np.asarray(targets, dtype=np.int64).reshape(-1)]
    return np.asarray(targets, dtype=np.float64).reshape(len(targets), -1)


@dataclass
class Backprop:
    """Per-layer arrays of one forward + backward pass (data loss only, no penalty)."""

    a_prev: list[np.ndarray]
    z: list[np.ndarray]
    a: list[np.ndarray]
    delta: list[np.ndarray]
    grad_weight: list[np.ndarray]
    grad_bias: list[np.ndarray]


def backpropagate(
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    inputs: np.ndarray,
    targets: np.ndarray,
    activation: str,
    loss: str,
) -> Backprop:
    """The four equations of backpropagation in float64 numpy, from scratch."""
    sigma, sigma_prime = SIGMA[activation]
    weights = [np.asarray(w, np.float64) for w in weights]
    biases = [np.asarray(b, np.float64) for b in biases]
    a = np.asarray(inputs, np.float64)
    last = len(weights) - 1
    a_prev, zs, activations = [], [], []
    for index, (weight, bias) in enumerate(zip(weights, biases, strict=True)):
        a_prev.append(a)
        z = a @ weight.T + bias
        a = sigma(z) if index < last else output_function(z, loss)
        zs.append(z)
        activations.append(a)
    y = target_matrix(targets, loss, weights[-1].shape[0])
    n = len(y)
    delta = (activations[-1] - y) / n  # dC/dz^L for each canonical (loss, output) pairing
    deltas = [delta]
    for index in range(last, 0, -1):
        delta = (delta @ weights[index]) * sigma_prime(zs[index - 1])
        deltas.insert(0, delta)
    return Backprop(
        a_prev=a_prev,
        z=zs,
        a=activations,
        delta=deltas,
        grad_weight=[d.T @ p for d, p in zip(deltas, a_prev, strict=True)],
        grad_bias=[d.sum(axis=0) for d in deltas],
    )


@pytest.fixture(scope="session")
def numpy_backprop() -> Callable[..., Backprop]:
    """backpropagate(weights, biases, inputs, targets, activation, loss) -> Backprop."""
    return backpropagate


@pytest.fixture(scope="session")
def numpy_sigma() -> dict[str, tuple[Callable, Callable]]:
    """name -> (sigma, sigma') in numpy."""
    return SIGMA


@pytest.fixture(scope="session")
def numpy_output() -> Callable[[np.ndarray, str], np.ndarray]:
    """output_function(z, loss) -> a^L in numpy."""
    return output_function


@pytest.fixture(scope="session")
def numpy_targets() -> Callable[[np.ndarray, str, int], np.ndarray]:
    """target_matrix(targets, loss, n_outputs) -> y as a matrix."""
    return target_matrix


def cost(z: np.ndarray, targets: np.ndarray, loss: str) -> float:
    """The data loss C (mean over the batch) from the output layer's z, in float64."""
    z = np.asarray(z, np.float64)
    y = target_matrix(targets, loss, z.shape[1])
    n = len(z)
    if loss == "binary_cross_entropy":
        # log(sigmoid(z)) = -log(1 + e^-z), written with logaddexp to stay finite
        return float(np.sum(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)) / n)
    if loss == "cross_entropy":
        log_softmax = z - z.max(axis=1, keepdims=True)
        log_softmax -= np.log(np.exp(log_softmax).sum(axis=1, keepdims=True))
        return float(-np.sum(y * log_softmax) / n)
    return float(0.5 * np.sum((z - y) ** 2) / n)


@pytest.fixture(scope="session")
def numpy_cost() -> Callable[[np.ndarray, np.ndarray, str], float]:
    """cost(z, targets, loss) -> C in float64."""
    return cost
