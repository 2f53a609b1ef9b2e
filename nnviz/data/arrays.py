"""from_arrays: your own arrays (numpy, pandas, torch or lists) as a Dataset with a seeded split.

Each conversion names the argument it read and says how to fix it: a 1-D X wants reshape(-1, 1),
text labels want encoding as 0..K-1, NaN and inf (also float32 overflow) must go first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from nnviz.core.checks import check_choice, check_int, check_number
from nnviz.data.dataset import MAX_TEST_FRACTION, TASKS, Dataset, check_split


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
    task = check_choice("task", task, TASKS)
    test_fraction = check_number(
        "test_fraction", test_fraction, minimum=0.0, maximum=MAX_TEST_FRACTION
    )
    seed = check_int("seed", seed, minimum=0)
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
        n_test = check_split(len(order), test_fraction)
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
    """`array` as a float32 tensor, refusing NaN and inf."""
    array = np.ascontiguousarray(array, dtype=np.float32)
    bad = int(np.count_nonzero(~np.isfinite(array)))  # after the cast, so float32 overflow counts
    if bad:
        raise ValueError(
            f"{parameter} has {bad} non-finite values (NaN, inf or beyond float32); "
            "drop or impute them first"
        )
    return torch.from_numpy(array)


def _as_inputs(parameter: str, value: Any) -> torch.Tensor:
    """Inputs as a float32 (n_samples, n_features) tensor, non-empty."""
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
    """Labels 0..K-1 as int64 (n,), or regression targets as float32 (n, n_targets)."""
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
