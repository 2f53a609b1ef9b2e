"""Tests for nnviz.data.arrays.from_arrays: lists, numpy, torch and pandas in, checked."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from nnviz.data.arrays import from_arrays
from nnviz.data.dataset import Dataset


def tensors(dataset: Dataset) -> list[torch.Tensor]:
    """Every tensor a Dataset holds."""
    return [dataset.X_train, dataset.y_train, dataset.X_test, dataset.y_test]


X_LIST = [[0.0, 1.0, 2.0], [1.0, 0.0, 2.0], [2.0, 1.0, 0.0], [3.0, 3.0, 3.0], [4.0, 0.5, 1.0]] * 2
Y_LIST = [0, 1, 2, 1, 0] * 2


def to_frame(rows: list) -> pd.DataFrame:
    """Rows as a DataFrame with named columns."""
    return pd.DataFrame(rows, columns=["a", "b", "c"])


@pytest.mark.parametrize(
    ("convert_inputs", "convert_labels"),
    [(list, list), (np.array, np.array), (torch.tensor, torch.tensor), (to_frame, pd.Series)],
    ids=["list", "numpy", "torch", "pandas"],
)
def test_from_arrays_accepts_lists_numpy_torch_and_pandas(convert_inputs, convert_labels) -> None:
    dataset = from_arrays(convert_inputs(X_LIST), convert_labels(Y_LIST), test_fraction=0.2, seed=1)
    assert (len(dataset.X_train), len(dataset.X_test)) == (8, 2)
    assert dataset.X_train.dtype == torch.float32 and dataset.y_train.dtype == torch.int64
    assert dataset.n_classes == 3 == dataset.n_outputs and dataset.task == "classification"
    pandas = convert_inputs is to_frame
    assert dataset.feature_names == (("a", "b", "c") if pandas else ("x1", "x2", "x3"))
    # The split is a permutation of the rows: every (input, label) pair is one given.
    pairs = {(tuple(row), label) for row, label in zip(X_LIST, Y_LIST, strict=True)}
    X = torch.cat([dataset.X_train, dataset.X_test]).tolist()
    y = torch.cat([dataset.y_train, dataset.y_test]).tolist()
    assert {(tuple(row), label) for row, label in zip(X, y, strict=True)} == pairs
    assert dataset.raw_train is None and dataset.input_dim == 3


def test_from_arrays_split_is_seeded() -> None:
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20) % 2
    first, again = from_arrays(X, y, seed=3), from_arrays(X, y, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(tensors(first), tensors(again), strict=True))
    assert not torch.equal(first.X_test, from_arrays(X, y, seed=4).X_test)


def test_from_arrays_with_two_features_has_an_identity_plane() -> None:
    dataset = from_arrays(np.array([[0.0, 1], [1, 0], [2, 2], [3, 1], [0, 0]]), [0, 1, 0, 1, 1])
    assert dataset.raw_train is dataset.X_train and dataset.input_dim == 2
    grid = torch.tensor([[0.5, -1.0], [2.0, 3.0]])
    assert torch.equal(dataset.features_of(grid), grid)


def test_from_arrays_regression_targets_become_columns() -> None:
    X = np.random.default_rng(0).normal(size=(10, 3))
    single = from_arrays(X, X[:, 0] * 2, task="regression")
    assert single.y_train.shape == (8, 1) and single.y_train.dtype == torch.float32
    assert single.n_classes is None and single.n_outputs == 1
    double = from_arrays(X, X[:, :2], task="regression")
    assert double.y_test.shape == (2, 2) and double.n_outputs == 2


def test_from_arrays_labels_may_be_whole_floats_or_a_column() -> None:
    dataset = from_arrays(np.eye(4), np.array([[0.0], [1.0], [3.0], [1.0]]), test_fraction=0)
    assert dataset.y_train.dtype == torch.int64 and dataset.y_train.shape == (4,)
    assert dataset.n_classes == 4  # labels run 0..max, a class may be absent


def test_from_arrays_uses_a_given_test_set_as_is() -> None:
    X_test, y_test = [[9.0, 9.0, 9.0], [8.0, 8.0, 8.0]], [2, 3]
    dataset = from_arrays(X_LIST, Y_LIST, X_test=X_test, y_test=y_test)
    assert torch.equal(dataset.X_train, torch.tensor(X_LIST))
    assert torch.equal(dataset.X_test, torch.tensor(X_test))
    assert dataset.y_test.tolist() == [2, 3] and dataset.n_classes == 4


BAD_ARRAYS = [
    (dict(X=[1.0, 2.0, 3.0], y=[0, 1, 0]), ValueError, r"X must be 2-D .*X\.reshape\(-1, 1\)"),
    (
        dict(X=[[1.0, math.nan], [math.inf, 2.0], [0.0, 1.0]], y=[0, 1, 0]),
        ValueError,
        r"X has 2 non-finite values",
    ),
    (dict(y=["cat", "dog"] * 5), TypeError, r"y must be numeric .*LabelEncoder.*got dtype <U3"),
    (dict(y=pd.Series(["cat", "dog"] * 5)), TypeError, r"y must be .*LabelEncoder"),
    (dict(y=[0.0, 0.5] * 5), ValueError, r"y must hold whole-number class labels; got 0\.5"),
    (dict(y=[0, -1] * 5), ValueError, r"y must hold class labels 0\.\.K-1; got negative label -1"),
    (dict(y=[1] * 10), ValueError, r"y must hold at least two classes; got only label 1"),
    (dict(y=[0, 1] * 4), ValueError, r"X has 10 rows but y has 8"),
    (
        dict(task="clustering"),
        ValueError,
        r"task='clustering' is not supported; choose one of 'classification', 'regression'",
    ),
    (dict(test_fraction=1.0), ValueError, r"test_fraction=1 is out of range; allowed: .*<= 0\.9"),
    (dict(seed=-2), ValueError, r"seed=-2 is out of range; allowed: >= 0"),
    (dict(X_test=[[1.0, 2.0, 3.0]]), ValueError, r"X_test and y_test must be given together"),
    (
        dict(X_test=[[1.0, 2.0]], y_test=[0]),
        ValueError,
        r"X_test must have the 3 features of X; got 2",
    ),
    (
        dict(X_test=[[1.0, 2.0, 3.0]], y_test=[0, 1]),
        ValueError,
        r"X_test has 1 rows but y_test has 2",
    ),
    (dict(X=np.empty((0, 3)), y=[]), ValueError, r"X must be 2-D .*non-empty; got shape \(0, 3\)"),
    (dict(y=[[0, 1]] * 10), ValueError, r"y must be class labels of shape \(n,\) or \(n, 1\)"),
    (
        dict(y=[math.nan] * 10, task="regression"),
        ValueError,
        r"y has 10 non-finite values",
    ),
]


@pytest.mark.parametrize(("overrides", "error", "message"), BAD_ARRAYS)
def test_from_arrays_rejects_bad_input(overrides: dict, error: type, message: str) -> None:
    arguments = dict(X=X_LIST, y=Y_LIST) | overrides
    with pytest.raises(error, match=message):
        from_arrays(**arguments)
