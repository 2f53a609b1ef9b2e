"""Tests for nnviz.data.dataset: shapes, determinism, feature maps and make_dataset's checks."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
import torch

from nnviz.data.arrays import from_arrays
from nnviz.data.dataset import DATASETS, FEATURES, Dataset, make_dataset

PLANE_SETS = ("circle", "xor", "gauss", "spiral", "plane", "multi_gauss", "moons")


def tensors(dataset: Dataset) -> list[torch.Tensor]:
    """Every tensor a Dataset holds."""
    return [dataset.X_train, dataset.y_train, dataset.X_test, dataset.y_test]


# --- shapes, types, determinism ---


@pytest.mark.parametrize("name", DATASETS)
def test_every_dataset_has_the_documented_shapes_and_types(name: str) -> None:
    dataset = make_dataset(name, n_samples=41, test_fraction=0.3)
    regression = name in ("plane", "multi_gauss")
    n_features = {"random": 100, "digits": 64}.get(name, 2)
    assert dataset.name == name
    assert dataset.task == ("regression" if regression else "classification")
    assert (len(dataset.X_train), len(dataset.X_test)) == (29, 12)  # round(41 * 0.3) = 12
    assert dataset.X_train.dtype == dataset.X_test.dtype == torch.float32
    assert dataset.X_train.shape[1] == dataset.X_test.shape[1] == dataset.n_features == n_features
    assert len(dataset.feature_names) == n_features
    if regression:
        assert dataset.y_train.dtype == torch.float32
        assert dataset.y_train.shape == (29, 1) and dataset.y_test.shape == (12, 1)
        assert dataset.n_classes is None and dataset.n_outputs == 1
    else:
        assert dataset.y_train.dtype == torch.int64 and dataset.y_train.shape == (29,)
        assert dataset.n_classes == (10 if name in ("random", "digits") else 2)
        assert dataset.n_outputs == (1 if dataset.n_classes == 2 else dataset.n_classes)
        labels = torch.cat([dataset.y_train, dataset.y_test])
        assert labels.min() >= 0 and labels.max() < dataset.n_classes
    if name in PLANE_SETS:
        assert dataset.input_dim == 2 and dataset.raw_train.shape == (29, 2)
        assert dataset.feature_names == ("x1", "x2")
    else:
        assert dataset.input_dim == n_features and dataset.raw_train is None


@pytest.mark.parametrize("name", DATASETS)
def test_same_arguments_give_identical_tensors_and_another_seed_does_not(name: str) -> None:
    first = make_dataset(name, n_samples=60, noise=0.0 if name == "random" else 0.1, seed=3)
    again = make_dataset(name, n_samples=60, noise=0.0 if name == "random" else 0.1, seed=3)
    other = make_dataset(name, n_samples=60, noise=0.0 if name == "random" else 0.1, seed=4)
    assert all(torch.equal(a, b) for a, b in zip(tensors(first), tensors(again), strict=True))
    assert not torch.equal(first.X_train, other.X_train)


@pytest.mark.parametrize("name", DATASETS)
def test_global_random_state_is_untouched(name: str) -> None:
    torch_state, numpy_state, python_state = (
        torch.get_rng_state(),
        np.random.get_state(),
        random.getstate(),
    )
    make_dataset(name, n_samples=30, seed=5)
    from_arrays(np.eye(4), [0, 1, 0, 1], test_fraction=0.5, seed=5)
    assert torch.equal(torch.get_rng_state(), torch_state)
    after = np.random.get_state()
    assert after[0] == numpy_state[0] and np.array_equal(after[1], numpy_state[1])
    assert after[2:] == numpy_state[2:]
    assert random.getstate() == python_state


def test_test_fraction_zero_gives_empty_test_tensors() -> None:
    classes = make_dataset("circle", n_samples=20, test_fraction=0.0)
    assert classes.X_test.shape == (0, 2) and classes.y_test.shape == (0,)
    assert len(classes.X_train) == 20
    targets = make_dataset("plane", n_samples=20, test_fraction=0.0)
    assert targets.y_test.shape == (0, 1)


def test_repr_is_short_and_informative() -> None:
    assert repr(make_dataset("spiral", n_samples=400)) == (
        "Dataset('spiral', classification, 2 classes, 200 train / 200 test, features x1,x2)"
    )
    assert repr(make_dataset("plane", n_samples=10)) == (
        "Dataset('plane', regression, 1 target, 5 train / 5 test, features x1,x2)"
    )
    assert "64 features" in repr(make_dataset("digits", n_samples=10))


# --- feature maps ---


def test_feature_maps_match_hand_formulas_in_the_order_asked() -> None:
    dataset = make_dataset("spiral", n_samples=50, features=FEATURES)
    x1, x2 = dataset.raw_train[:, 0], dataset.raw_train[:, 1]
    expected = [x1, x2, x1**2, x2**2, x1 * x2, torch.sin(x1), torch.sin(x2)]
    assert dataset.feature_names == FEATURES and dataset.n_features == 7
    for column, formula in enumerate(expected):
        assert torch.allclose(dataset.X_train[:, column], formula, atol=1e-6)
    chosen = make_dataset("spiral", n_samples=50, features=["sin(x2)", "x1"])
    assert chosen.feature_names == ("sin(x2)", "x1")
    assert torch.equal(chosen.X_train[:, 1], chosen.raw_train[:, 0])
    assert torch.allclose(chosen.X_train[:, 0], torch.sin(chosen.raw_train[:, 1]))
    assert chosen.input_dim == 2


@pytest.mark.parametrize("name", PLANE_SETS)
def test_features_of_reproduces_the_inputs_from_raw_points(name: str) -> None:
    dataset = make_dataset(name, n_samples=40, features=("x1*x2", "x1^2", "sin(x1)", "x2"))
    assert torch.equal(dataset.features_of(dataset.raw_train), dataset.X_train)
    assert torch.equal(dataset.features_of(dataset.raw_test), dataset.X_test)
    grid = torch.cartesian_prod(torch.linspace(-6, 6, 5), torch.linspace(-6, 6, 5))
    assert dataset.features_of(grid).shape == (25, 4)


def test_features_of_refuses_bad_points_and_datasets_without_a_plane() -> None:
    with pytest.raises(ValueError, match=r"points must have shape \(n, 2\), got \(4, 3\)"):
        make_dataset("circle", n_samples=10).features_of(torch.zeros(4, 3))
    for name in ("random", "digits"):
        with pytest.raises(ValueError, match=f"features_of needs .*'{name}'"):
            make_dataset(name, n_samples=10).features_of(torch.zeros(4, 2))


# --- argument validation ---


BAD_ARGUMENTS = [
    (dict(name="spirals"), ValueError, r"name='spirals' is not supported; choose one of 'circle'"),
    (dict(name=3), TypeError, r"name must be a string, one of 'circle'.*got 3 of type int"),
    (dict(n_samples=1), ValueError, r"n_samples=1 is out of range; allowed: >= 2"),
    (dict(n_samples=True), TypeError, r"n_samples must be an integer; got True"),
    (dict(n_samples=10.0), TypeError, r"n_samples must be an integer; got 10\.0"),
    (dict(noise=-0.1), ValueError, r"noise=-0\.1 is out of range; allowed: >= 0\.0 and <= 0\.5"),
    (dict(noise=0.6), ValueError, r"noise=0\.6 is out of range"),
    (dict(noise=float("nan")), ValueError, r"noise=nan is not a finite number"),
    (dict(noise=float("inf")), ValueError, r"noise=inf is not a finite number"),
    (dict(noise="0.1"), TypeError, r"noise must be a number; got '0\.1'"),
    (dict(test_fraction=0.95), ValueError, r"test_fraction=0\.95 is out of range; .*<= 0\.9"),
    (dict(test_fraction=-0.1), ValueError, r"test_fraction=-0\.1 is out of range"),
    (dict(n_samples=3, test_fraction=0.9), ValueError, r"test_fraction=0\.9 of 3 points leaves 0"),
    (dict(n_samples=3, test_fraction=0.1), ValueError, r"test_fraction=0\.1 of 3 .* 0 for test"),
    (dict(seed=-1), ValueError, r"seed=-1 is out of range; allowed: >= 0"),
    (dict(seed=1.5), TypeError, r"seed must be an integer; got 1\.5"),
    (dict(features=("x3",)), ValueError, r"features=\('x3',\) .*unknown \['x3'\].*sin\(x2\)"),
    (dict(features=()), ValueError, r"features=\(\) is not supported \(empty or repeated"),
    (dict(features=("x1", "x1")), ValueError, r"features=\('x1', 'x1'\) .*repeated"),
    (dict(features="x1"), TypeError, r"features must be a list such as \['x1', 'x2'\]; got 'x1'"),
    (dict(name="random", features=("x1^2",)), ValueError, r"features only apply .*\('x1\^2',\)"),
    (dict(name="digits", features=("x2",)), ValueError, r"features only apply .*'digits'"),
    (dict(name="random", n_features=0), ValueError, r"n_features=0 is out of range; allowed: >= 1"),
    (dict(name="random", n_classes=1), ValueError, r"n_classes=1 is out of range; allowed: >= 2"),
    (dict(name="random", noise=0.1), ValueError, r"noise must be 0 for 'random' .*got 0\.1"),
    (dict(name="circle", n_classes=3), ValueError, r"n_classes=3 for 'circle'"),
]


@pytest.mark.parametrize(("overrides", "error", "message"), BAD_ARGUMENTS)
def test_make_dataset_rejects_bad_arguments(overrides: dict, error: type, message: str) -> None:
    arguments = dict(name="circle", n_samples=20) | overrides
    with pytest.raises(error, match=message):
        make_dataset(**arguments)


def test_dataset_is_frozen() -> None:
    dataset = make_dataset("xor", n_samples=10)
    with pytest.raises(AttributeError):
        dataset.name = "other"  # type: ignore[misc]
    assert re.fullmatch(r"Dataset\('xor', .*\)", repr(dataset))


def test_names_are_read_like_every_other_choice_case_and_spaces_aside() -> None:
    dataset = make_dataset(" Spiral ", n_samples=20, seed=1)
    assert dataset.name == "spiral"
    assert torch.equal(dataset.X_train, make_dataset("spiral", n_samples=20, seed=1).X_train)
