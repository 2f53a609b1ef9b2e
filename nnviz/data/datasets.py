"""Datasets to learn from: the TensorFlow Playground's 2-D sets, moons, noise, digits, your own.

The Playground sets (circle, xor, gauss, spiral, plane, multi_gauss) follow tensorflow/playground
src/dataset.ts: points in about [-6, 6], ``noise`` is its 0-50 % slider as a fraction 0..0.5, and
its -1/+1 labels become 0/1. For ``digits``, ``noise`` is the std of Gaussian noise added to the
[0, 1] pixels; ``random`` is already pure noise and takes none. ``test_fraction`` runs from 0 (empty
test tensors) to 0.9, as the Playground keeps at least 10 % of the points for training.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch

_PLANE_SETS = ("circle", "xor", "gauss", "spiral", "plane", "multi_gauss", "moons")
DATASETS: tuple[str, ...] = (*_PLANE_SETS, "random", "digits")
FEATURES: tuple[str, ...] = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
TASKS: tuple[str, ...] = ("classification", "regression")

_REGRESSION_SETS = ("plane", "multi_gauss")
_DEFAULT_FEATURES = ("x1", "x2")
_MAX_NOISE = 0.5  # the Playground's noise slider tops out at 50 %
_MAX_TEST_FRACTION = 0.9  # the Playground keeps at least 10 % of the points for training
# (centre x, centre y, sign) of the six bumps of the Playground's "multi-gaussian" regression set.
_BUMPS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]]
)


@dataclass(frozen=True, eq=False)  # eq=False: comparing tensor fields with == is ambiguous
class Dataset:
    """A seeded train/test split: float32 inputs, int64 class labels or float32 (n, k) targets."""

    name: str
    task: str
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int | None
    feature_names: tuple[str, ...]
    seed: int
    raw_train: torch.Tensor | None = None
    raw_test: torch.Tensor | None = None
    # Names from FEATURES that turn raw points into inputs; None: the inputs are the raw points.
    _feature_map: tuple[str, ...] | None = field(default=None, repr=False)

    @property
    def n_features(self) -> int:
        """Number of input columns the model sees."""
        return self.X_train.shape[1]

    @property
    def n_outputs(self) -> int:
        """Output units a model needs: 1 if binary, else n_classes or n_targets."""
        if self.task == "regression":
            return self.y_train.shape[1]
        return 1 if self.n_classes == 2 else int(self.n_classes)

    @property
    def input_dim(self) -> int:
        """Dimension of the space the points live in: 2 for plane datasets, else n_features."""
        return 2 if self.raw_train is not None else self.n_features

    def features_of(self, points: torch.Tensor) -> torch.Tensor:
        """Map raw 2-D points (n, 2) to this dataset's inputs (n, n_features), e.g. a plot grid."""
        if self.raw_train is None:
            raise ValueError(
                f"features_of needs a dataset of 2-D points; {self.name!r} has "
                f"{self.n_features} features and no raw plane"
            )
        points = torch.as_tensor(points, dtype=torch.float32)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"points must have shape (n, 2), got {tuple(points.shape)}")
        if self._feature_map is None:
            return points
        return _apply_features(points, self._feature_map)

    def __repr__(self) -> str:
        if self.task == "classification":
            size = f"{self.n_classes} classes"
        else:
            size = f"{self.n_outputs} target" + ("s" if self.n_outputs > 1 else "")
        names = self.feature_names
        columns = f"features {','.join(names)}" if len(names) <= 8 else f"{len(names)} features"
        return (
            f"Dataset({self.name!r}, {self.task}, {size}, {len(self.X_train)} train / "
            f"{len(self.X_test)} test, {columns})"
        )


def make_dataset(
    name: str,
    n_samples: int = 400,
    noise: float = 0.0,
    test_fraction: float = 0.5,
    seed: int = 0,
    features: Sequence[str] = _DEFAULT_FEATURES,
    n_features: int = 100,
    n_classes: int = 10,
) -> Dataset:
    """Generate one of DATASETS and split it into seeded train and test sets."""
    if name not in DATASETS:
        raise ValueError(f"name must be one of {', '.join(DATASETS)}; got {name!r}")
    n_samples = _check_int("n_samples", n_samples, minimum=2)
    noise = _check_fraction("noise", noise, _MAX_NOISE)
    test_fraction = _check_fraction("test_fraction", test_fraction, _MAX_TEST_FRACTION)
    seed = _check_int("seed", seed, minimum=0)
    features = _check_features(features)
    n_features = _check_int("n_features", n_features, minimum=1)
    n_classes = _check_int("n_classes", n_classes, minimum=2)
    # An argument that cannot affect the chosen set is refused rather than silently ignored.
    if name not in _PLANE_SETS and features != _DEFAULT_FEATURES:
        raise ValueError(
            f"features only apply to the 2-D sets {', '.join(_PLANE_SETS)}; "
            f"got features={features!r} for {name!r}"
        )
    if name != "random" and (n_features, n_classes) != (100, 10):
        raise ValueError(
            f"n_features and n_classes only apply to 'random'; got n_features={n_features}, "
            f"n_classes={n_classes} for {name!r}"
        )
    if name == "random" and noise != 0:
        raise ValueError(f"noise must be 0 for 'random' (it is pure noise already); got {noise}")

    rng = np.random.default_rng(seed)  # a private generator: global RNG state stays untouched
    task = "regression" if name in _REGRESSION_SETS else "classification"
    raw = feature_map = None
    if name == "random":
        inputs = rng.random((n_samples, n_features))
        targets = rng.integers(0, n_classes, n_samples)
        names = tuple(f"x{column + 1}" for column in range(n_features))
    elif name == "digits":
        inputs, targets, names = _digits()
    else:
        if name == "moons":
            from sklearn.datasets import make_moons  # imported here: sklearn is slow to import

            raw, targets = make_moons(n_samples=n_samples, noise=noise, random_state=seed)
        else:
            raw, targets = _PLAYGROUND[name](rng, n_samples, noise)
        inputs, names, feature_map = raw, features, features
        n_classes = 2

    # One permutation both shuffles and, for digits, draws the subset of n_samples images.
    order = rng.permutation(len(targets))[:n_samples]
    n_test = _test_size(len(order), test_fraction)
    inputs = inputs[order]
    if name == "digits" and noise > 0:
        inputs = inputs + rng.normal(0.0, noise, inputs.shape)  # unclipped, so pixels leave [0, 1]
    targets = torch.as_tensor(targets[order])
    targets = targets.float().reshape(-1, 1) if task == "regression" else targets.long()

    if raw is not None:
        raw = torch.as_tensor(raw[order], dtype=torch.float32)
        raw_test, raw_train = raw[:n_test], raw[n_test:]
        X_test, X_train = _apply_features(raw_test, features), _apply_features(raw_train, features)
    else:
        raw_test = raw_train = None
        inputs = torch.as_tensor(inputs, dtype=torch.float32)
        X_test, X_train = inputs[:n_test], inputs[n_test:]
    return Dataset(
        name=name,
        task=task,
        X_train=X_train,
        y_train=targets[n_test:],
        X_test=X_test,
        y_test=targets[:n_test],
        n_classes=None if task == "regression" else n_classes,
        feature_names=tuple(names),
        seed=seed,
        raw_train=raw_train,
        raw_test=raw_test,
        _feature_map=feature_map,
    )


def from_arrays(
    X: Any,
    y: Any,
    task: str = "classification",
    test_fraction: float = 0.2,
    seed: int = 0,
    name: str = "custom",
    X_test: Any = None,
    y_test: Any = None,
) -> Dataset:
    """Wrap your own arrays (numpy, pandas, torch or lists) as a Dataset with a seeded split."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}; got {task!r}")
    test_fraction = _check_fraction("test_fraction", test_fraction, _MAX_TEST_FRACTION)
    seed = _check_int("seed", seed, minimum=0)
    if not isinstance(name, str):
        raise TypeError(f"name must be a str; got {name!r}")
    if (X_test is None) != (y_test is None):
        raise ValueError("X_test and y_test must be given together or not at all")

    columns = getattr(X, "columns", None)  # a pandas DataFrame names its columns
    inputs = _as_inputs("X", X)
    targets = _as_targets("y", y, task, "X", len(inputs))
    if task == "classification" and len(torch.unique(targets)) < 2:
        raise ValueError(f"y must hold at least two classes; got only label {int(targets[0])}")
    n_features = inputs.shape[1]
    names = tuple(str(column) for column in columns) if columns is not None else None
    if names is None or len(names) != n_features:
        names = tuple(f"x{column + 1}" for column in range(n_features))

    if X_test is None:
        order = torch.from_numpy(np.random.default_rng(seed).permutation(len(inputs)))
        n_test = _test_size(len(order), test_fraction)
        inputs, targets = inputs[order], targets[order]
        test_inputs, test_targets = inputs[:n_test], targets[:n_test]
        inputs, targets = inputs[n_test:], targets[n_test:]
    else:  # the caller's own test set: no random split, test_fraction is not used
        test_inputs = _as_inputs("X_test", X_test)
        if test_inputs.shape[1] != n_features:
            raise ValueError(
                f"X_test must have the {n_features} features of X; got {test_inputs.shape[1]}"
            )
        test_targets = _as_targets("y_test", y_test, task, "X_test", len(test_inputs))
        if task == "regression" and test_targets.shape[1] != targets.shape[1]:
            raise ValueError(
                f"y_test must have the {targets.shape[1]} targets of y; got {test_targets.shape[1]}"
            )

    n_classes = None
    if task == "classification":
        n_classes = int(torch.cat([targets, test_targets]).max()) + 1
    two_dimensional = n_features == 2  # then the raw plane is the inputs themselves
    return Dataset(
        name=name,
        task=task,
        X_train=inputs,
        y_train=targets,
        X_test=test_inputs,
        y_test=test_targets,
        n_classes=n_classes,
        feature_names=names,
        seed=seed,
        raw_train=inputs if two_dimensional else None,
        raw_test=test_inputs if two_dimensional else None,
    )


# --- the TensorFlow Playground's generators (src/dataset.ts), labels -1/+1 mapped to 0/1 ---


def _circle(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Playground's circle: label 1 inside radius 2.5, label 0 in the ring 3.5..5."""
    radius = 5.0
    n_inside = (n + 1) // 2
    distance = np.concatenate(
        [rng.uniform(0, radius * 0.5, n_inside), rng.uniform(radius * 0.7, radius, n - n_inside)]
    )
    angle = rng.uniform(0, 2 * math.pi, n)
    points = np.stack([distance * np.sin(angle), distance * np.cos(angle)], axis=1)
    # Noise moves the point used for labelling, not the point drawn: labels near the edge flip.
    noisy = points + rng.uniform(-radius, radius, (n, 2)) * noise
    return points, (np.hypot(noisy[:, 0], noisy[:, 1]) < radius * 0.5).astype(np.int64)


def _xor(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Playground's xor: label 1 where x1 * x2 >= 0, with a 0.3 gap along both axes."""
    points = rng.uniform(-5, 5, (n, 2))
    points += np.where(points > 0, 0.3, -0.3)
    noisy = points + rng.uniform(-5, 5, (n, 2)) * noise
    return points, (noisy[:, 0] * noisy[:, 1] >= 0).astype(np.int64)


def _gauss(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Playground's two Gaussians: label 1 around (2, 2), label 0 around (-2, -2)."""
    variance = 0.5 + noise * 7.0  # the Playground's scale maps noise 0..0.5 to variance 0.5..4
    positive = np.arange(n) < (n + 1) // 2
    centres = np.where(positive, 2.0, -2.0)[:, None]
    return rng.normal(centres, math.sqrt(variance), (n, 2)), positive.astype(np.int64)


def _spiral(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Playground's two interleaved spirals of radius 5: label 1 from angle 0, label 0 from pi."""
    arms, labels = [], []
    for count, delta_t, label in (((n + 1) // 2, 0.0, 1), (n // 2, math.pi, 0)):
        step = np.arange(count) / count
        distance, t = step * 5, 1.75 * step * 2 * math.pi + delta_t
        arm = np.stack([distance * np.sin(t), distance * np.cos(t)], axis=1)
        arms.append(arm + rng.uniform(-1, 1, (count, 2)) * noise)
        labels.append(np.full(count, label, dtype=np.int64))
    return np.concatenate(arms), np.concatenate(labels)


def _plane(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Playground's plane: target (x1 + x2) / 10, points uniform in [-6, 6]^2."""
    points = rng.uniform(-6, 6, (n, 2))
    noisy = points + rng.uniform(-6, 6, (n, 2)) * noise
    return points, noisy.sum(axis=1) / 10  # the Playground's scale maps -10..10 to -1..1, unclamped


def _multi_gauss(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Playground's multi-Gaussian: six signed bumps of radius 2, the strongest one wins."""
    points = rng.uniform(-6, 6, (n, 2))
    noisy = points + rng.uniform(-6, 6, (n, 2)) * noise
    distance = np.hypot(noisy[:, None, 0] - _BUMPS[:, 0], noisy[:, None, 1] - _BUMPS[:, 1])
    values = _BUMPS[:, 2] * np.clip(1 - distance / 2, 0, 1)
    strongest = np.argmax(np.abs(values), axis=1)  # first of equals wins, as in the Playground
    return points, values[np.arange(n), strongest] + 0.0  # + 0.0 turns -0.0 into 0.0


_PLAYGROUND = dict(
    circle=_circle, xor=_xor, gauss=_gauss, spiral=_spiral, plane=_plane, multi_gauss=_multi_gauss
)


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """scikit-learn's bundled 8x8 digits, pixels scaled to [0, 1]; cached and read-only."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images, labels = bunch.data / 16.0, bunch.target.astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels, tuple(bunch.feature_names)


def _apply_features(points: torch.Tensor, features: Sequence[str]) -> torch.Tensor:
    """Columns named in FEATURES, computed from raw (x1, x2) points, in the order asked for."""
    x1, x2 = points[:, 0], points[:, 1]
    columns = {"x1": x1, "x2": x2, "x1^2": x1 * x1, "x2^2": x2 * x2, "x1*x2": x1 * x2}
    columns.update({"sin(x1)": torch.sin(x1), "sin(x2)": torch.sin(x2)})  # seven cheap columns
    return torch.stack([columns[name] for name in features], dim=1)


# --- argument checks ---


def _check_int(parameter: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{parameter} must be an int >= {minimum}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{parameter} must be an int >= {minimum}; got {value!r}")
    return int(value)


def _check_fraction(parameter: str, value: Any, maximum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{parameter} must be a number in [0, {maximum}]; got {value!r}")
    if not 0 <= value <= maximum:  # also refuses NaN, which fails every comparison
        raise ValueError(f"{parameter} must be a number in [0, {maximum}]; got {value!r}")
    return float(value)


def _check_features(features: Any) -> tuple[str, ...]:
    # A bare string is a Sequence too; iterating "x1" would silently give ("x", "1").
    if isinstance(features, str) or not isinstance(features, Sequence):
        raise TypeError(f"features must be a sequence of names from {FEATURES}; got {features!r}")
    features = tuple(features)
    unknown = [name for name in features if name not in FEATURES]
    if unknown or not features or len(set(features)) != len(features):
        problem = f"unknown {unknown!r}" if unknown else "empty or repeated names"
        raise ValueError(
            f"features must be distinct names from {FEATURES}; got {features!r} ({problem})"
        )
    return features


def _test_size(n_samples: int, test_fraction: float) -> int:
    n_test = round(n_samples * test_fraction)
    if n_samples - n_test < 1 or (test_fraction > 0 and n_test < 1):
        raise ValueError(
            f"test_fraction={test_fraction} of {n_samples} points leaves {n_samples - n_test} "
            f"for training and {n_test} for testing; each needs at least one "
            "(test_fraction=0 means no test set)"
        )
    return n_test


def _as_numeric(parameter: str, value: Any, hint: str) -> np.ndarray:
    """A numpy array of bool, int or float from numpy, pandas, torch or nested lists."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    elif hasattr(value, "to_numpy"):  # pandas, without importing it
        value = value.to_numpy()
    try:
        array = np.asarray(value)
        if array.dtype.kind == "O":  # e.g. a pandas column of Python numbers
            array = array.astype(np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{parameter} must be a numeric array{hint}; got {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{parameter} must be numeric{hint}; got dtype {array.dtype}")
    return array


def _to_float32(parameter: str, array: np.ndarray) -> torch.Tensor:
    array = np.ascontiguousarray(array, dtype=np.float32)
    bad = int(np.count_nonzero(~np.isfinite(array)))  # after the cast, so float32 overflow counts
    if bad:
        raise ValueError(
            f"{parameter} has {bad} non-finite values (NaN, inf or beyond float32); "
            "drop or impute them first"
        )
    return torch.from_numpy(array)


def _as_inputs(parameter: str, value: Any) -> torch.Tensor:
    array = _as_numeric(parameter, value, "")
    if array.ndim == 1:
        raise ValueError(
            f"{parameter} must be 2-D (n_samples, n_features); got shape {array.shape}. "
            f"For a single feature pass {parameter}.reshape(-1, 1)"
        )
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(
            f"{parameter} must be 2-D (n_samples, n_features), non-empty; got shape {array.shape}"
        )
    return _to_float32(parameter, array)


def _as_targets(parameter: str, value: Any, task: str, inputs: str, n_rows: int) -> torch.Tensor:
    hint = " (encode text labels as 0..K-1, e.g. with sklearn's LabelEncoder)"
    array = _as_numeric(parameter, value, hint if task == "classification" else "")
    length = len(array) if array.ndim else 0
    if length != n_rows:
        raise ValueError(
            f"{inputs} has {n_rows} rows but {parameter} has {length}; they must match"
        )
    if task == "regression":
        if array.ndim not in (1, 2):
            raise ValueError(f"{parameter} must be (n,) or (n, n_targets); got {array.shape}")
        return _to_float32(parameter, array.reshape(n_rows, -1))
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"{parameter} must be class labels of shape (n,) or (n, 1); got {array.shape}"
        )
    if array.dtype.kind == "f":
        fractional = array[~(np.isfinite(array) & (array == np.round(array)))]
        if len(fractional):
            raise ValueError(
                f"{parameter} must hold whole-number class labels; got {float(fractional[0])} "
                f"and {len(fractional) - 1} more that are not"
            )
    labels = torch.from_numpy(array.astype(np.int64))
    if len(labels) and labels.min() < 0:
        raise ValueError(
            f"{parameter} must hold class labels 0..K-1; got negative label {int(labels.min())}"
        )
    return labels
