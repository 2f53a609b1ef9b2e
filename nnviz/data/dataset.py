"""The Dataset container and make_dataset, which draws one of DATASETS and splits it, seeded.

For the Playground sets ``noise`` is its 0-50 % slider as a fraction 0..0.5 (see generators);
for ``digits`` it is the std of Gaussian noise added to the [0, 1] pixels; ``random`` is already
pure noise and takes none. ``test_fraction`` runs from 0 (empty test tensors) to 0.9, as the
Playground keeps at least 10 % of the points for training.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from nnviz.core.checks import check_choice, check_int, check_number, check_sequence
from nnviz.data import generators

# The sets of points in the plane: the Playground's own and scikit-learn's moons.
PLANE_SETS: tuple[str, ...] = ("circle", "xor", "gauss", "spiral", "plane", "multi_gauss", "moons")
DATASETS: tuple[str, ...] = (*PLANE_SETS, "random", "digits")
REGRESSION_SETS: tuple[str, ...] = ("plane", "multi_gauss")
FEATURES: tuple[str, ...] = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
TASKS: tuple[str, ...] = ("classification", "regression")
MAX_NOISE = 0.5  # the Playground's noise slider tops out at 50 %
MAX_TEST_FRACTION = 0.9  # the Playground keeps at least 10 % of the points for training
DEFAULT_FEATURES = ("x1", "x2")  # the raw point; the only features a set off the plane takes


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
    # A validation split (with_validation): held out of training to choose settings with, so
    # that the test set stays untouched until the end. None: no validation split.
    X_val: torch.Tensor | None = None
    y_val: torch.Tensor | None = None
    raw_val: torch.Tensor | None = None

    @property
    def n_val(self) -> int:
        """Points in the validation split (0 without one)."""
        return 0 if self.X_val is None else len(self.X_val)

    def with_validation(self, fraction: float) -> Dataset:
        """This data set with the last `fraction` of its training points moved to a validation
        split (the training points are already shuffled, so the split is a seeded random one);
        the test split is unchanged. A data set that has a validation split already is refused."""
        fraction = check_number("validation_fraction", fraction, 0.0, maximum=MAX_TEST_FRACTION,
                                strict_minimum=True)  # fmt: skip
        if self.X_val is not None:
            raise ValueError(f"{self.name!r} already has a validation split of {self.n_val} "
                             "points; split the data set it was made from")  # fmt: skip
        n = len(self.X_train)
        n_val = round(n * fraction)
        if n_val < 1 or n - n_val < 1:
            raise ValueError(
                f"validation_fraction={fraction:g} of {n} training points leaves {n - n_val} "
                f"for training and {n_val} for validation; each needs at least one"
            )
        keep = n - n_val
        raw = self.raw_train
        return replace(
            self,
            X_train=self.X_train[:keep], y_train=self.y_train[:keep],
            X_val=self.X_train[keep:], y_val=self.y_train[keep:],
            raw_train=None if raw is None else raw[:keep],
            raw_val=None if raw is None else raw[keep:],
        )  # fmt: skip

    @property
    def n_features(self) -> int:
        """Number of input columns the model sees."""
        return self.X_train.shape[1]

    @property
    def n_outputs(self) -> int:
        """Output units a model needs: 1 if binary, else n_classes or n_targets."""
        if self.task == "regression" or self.n_classes is None:
            return self.y_train.shape[1]
        return 1 if self.n_classes == 2 else self.n_classes

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
        return apply_features(points, self._feature_map)

    def __repr__(self) -> str:
        if self.task == "classification":
            size = f"{self.n_classes} classes"
        else:
            size = f"{self.n_outputs} target" + ("s" if self.n_outputs > 1 else "")
        names = self.feature_names
        columns = f"features {','.join(names)}" if len(names) <= 8 else f"{len(names)} features"
        validation = f" / {self.n_val} validation" if self.X_val is not None else ""
        return (
            f"Dataset({self.name!r}, {self.task}, {size}, {len(self.X_train)} train{validation}"
            f" / {len(self.X_test)} test, {columns})"
        )


def make_dataset(
    name: str,
    n_samples: int = 400,
    noise: float = 0.0,
    test_fraction: float = 0.5,
    seed: int = 0,
    features: Sequence[str] = DEFAULT_FEATURES,
    n_features: int = 100,
    n_classes: int = 10,
    validation_fraction: float = 0.0,
) -> Dataset:
    """Generate one of DATASETS and split it into seeded train and test sets; with
    validation_fraction > 0, that share of the training points becomes a validation split."""
    name = check_choice("name", name, DATASETS)
    n_samples = check_int("n_samples", n_samples, minimum=2)
    noise = check_number("noise", noise, minimum=0.0, maximum=MAX_NOISE)
    test_fraction = check_number(
        "test_fraction", test_fraction, minimum=0.0, maximum=MAX_TEST_FRACTION
    )
    seed = check_int("seed", seed, minimum=0)
    validation_fraction = check_number("validation_fraction", validation_fraction, minimum=0.0,
                                       maximum=MAX_TEST_FRACTION)  # fmt: skip
    features = check_features("features", features)
    n_features = check_int("n_features", n_features, minimum=1)
    n_classes = check_int("n_classes", n_classes, minimum=2)
    # An argument that cannot affect the chosen set is refused rather than silently ignored.
    if name not in PLANE_SETS and features != DEFAULT_FEATURES:
        raise ValueError(
            f"features only apply to the 2-D sets {', '.join(PLANE_SETS)}; "
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
    task = "regression" if name in REGRESSION_SETS else "classification"
    if name == "random":
        inputs, labels = generators.random(rng, n_samples, n_features, n_classes)
        names = tuple(f"x{column + 1}" for column in range(n_features))
    elif name == "digits":
        inputs, labels, names = generators.digits()
    else:
        if name == "moons":
            inputs, labels = generators.moons(n_samples, noise, seed)
        else:
            inputs, labels = generators.PLAYGROUND[name](rng, n_samples, noise)
        names, n_classes = features, 2

    # One permutation both shuffles and, for digits, draws the subset of n_samples images.
    order = rng.permutation(len(labels))[:n_samples]
    n_test = check_split(len(order), test_fraction)
    inputs = inputs[order]
    if name == "digits" and noise > 0:
        inputs = inputs + rng.normal(0.0, noise, inputs.shape)  # unclipped, so pixels leave [0, 1]
    targets = torch.as_tensor(labels[order])
    targets = targets.float().reshape(-1, 1) if task == "regression" else targets.long()
    points = torch.as_tensor(inputs, dtype=torch.float32)
    plane = name in PLANE_SETS
    raw_test, raw_train = (points[:n_test], points[n_test:]) if plane else (None, None)
    data = Dataset(
        name=name,
        task=task,
        X_train=apply_features(points[n_test:], features) if plane else points[n_test:],
        y_train=targets[n_test:],
        X_test=apply_features(points[:n_test], features) if plane else points[:n_test],
        y_test=targets[:n_test],
        n_classes=None if task == "regression" else n_classes,
        feature_names=tuple(names),
        seed=seed,
        raw_train=raw_train,
        raw_test=raw_test,
        _feature_map=features if plane else None,
    )
    return data.with_validation(validation_fraction) if validation_fraction > 0 else data


def apply_features(points: torch.Tensor, features: Sequence[str]) -> torch.Tensor:
    """Columns named in FEATURES, computed from raw (x1, x2) points, in the order asked for."""
    x1, x2 = points[:, 0], points[:, 1]
    columns = {"x1": x1, "x2": x2, "x1^2": x1 * x1, "x2^2": x2 * x2, "x1*x2": x1 * x2}
    columns.update({"sin(x1)": torch.sin(x1), "sin(x2)": torch.sin(x2)})  # seven cheap columns
    return torch.stack([columns[name] for name in features], dim=1)


def check_features(parameter: str, value: Any) -> tuple[str, ...]:
    """Distinct names from FEATURES, at least one, in the order given; else raise."""
    names = check_sequence(parameter, value, "['x1', 'x2']", empty=True)
    unknown = [name for name in names if name not in FEATURES]
    if unknown or not names or len(set(names)) != len(names):
        problem = f"unknown {unknown!r}" if unknown else "empty or repeated names"
        raise ValueError(
            f"{parameter}={names!r} is not supported ({problem}); "
            f"choose distinct names from {', '.join(FEATURES)}"
        )
    return names


def split_sizes(n_samples: int, test_fraction: float) -> tuple[int, int]:
    """(training points, test points) that a split of `n_samples` at `test_fraction` gives."""
    n_test = round(n_samples * test_fraction)
    return n_samples - n_test, n_test


def check_split(n_samples: int, test_fraction: float) -> int:
    """The number of test points, if both sides of the split get at least one; else raise."""
    n_train, n_test = split_sizes(n_samples, test_fraction)
    if n_train < 1 or (test_fraction > 0 and n_test < 1):
        raise ValueError(
            f"test_fraction={test_fraction} of {n_samples} points leaves {n_train} "
            f"for training and {n_test} for testing; each needs at least one "
            "(test_fraction=0 means no test set)"
        )
    return n_test
