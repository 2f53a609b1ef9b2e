"""Tests for nnviz.data.datasets: shapes, determinism, the Playground's geometry, validation."""

from __future__ import annotations

import math
import random
import re

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import make_moons

from nnviz.data.datasets import DATASETS, FEATURES, Dataset, from_arrays, make_dataset

PLANE_SETS = ("circle", "xor", "gauss", "spiral", "plane", "multi_gauss", "moons")
BALANCED_SETS = ("circle", "xor", "gauss", "spiral")


def all_points(dataset: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """Raw points and targets of train and test together."""
    return (
        torch.cat([dataset.raw_train, dataset.raw_test]),
        torch.cat([dataset.y_train, dataset.y_test]),
    )


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


# --- the Playground's generators ---


@pytest.mark.parametrize("name", BALANCED_SETS)
def test_playground_classification_sets_are_balanced(name: str) -> None:
    _, labels = all_points(make_dataset(name, n_samples=400, seed=1))
    positives = int(labels.sum())
    if name == "xor":  # xor labels come from quadrants, so only roughly half
        assert 160 <= positives <= 240
    else:  # the Playground draws exactly half the points for each class
        assert positives == 200


def test_circle_label_one_inside_radius_two_and_a_half_label_zero_in_outer_ring() -> None:
    points, labels = all_points(make_dataset("circle", n_samples=400))
    radius = points.norm(dim=1)
    assert radius[labels == 1].max() < 2.5
    assert radius[labels == 0].min() >= 3.5 - 1e-5 and radius[labels == 0].max() <= 5 + 1e-5


def test_circle_noise_flips_labels_near_the_edge_without_moving_points() -> None:
    points, labels = all_points(make_dataset("circle", n_samples=400, noise=0.5))
    disagree = (points.norm(dim=1) < 2.5).long() != labels
    assert 0 < int(disagree.sum()) < 200
    assert points.norm(dim=1).max() <= 5 + 1e-5


def test_xor_label_is_one_where_the_coordinates_share_a_sign() -> None:
    points, labels = all_points(make_dataset("xor", n_samples=400))
    assert torch.equal(labels, (points[:, 0] * points[:, 1] > 0).long())
    assert points.abs().min() >= 0.3 and points.abs().max() <= 5.3 + 1e-5  # the padding gap
    noisy_points, noisy_labels = all_points(make_dataset("xor", n_samples=400, noise=0.5))
    assert not torch.equal(noisy_labels, (noisy_points[:, 0] * noisy_points[:, 1] > 0).long())


def test_gauss_blobs_sit_at_plus_and_minus_two_and_noise_widens_them() -> None:
    points, labels = all_points(make_dataset("gauss", n_samples=2000))
    assert torch.allclose(points[labels == 1].mean(0), torch.tensor([2.0, 2.0]), atol=0.1)
    assert torch.allclose(points[labels == 0].mean(0), torch.tensor([-2.0, -2.0]), atol=0.1)
    assert abs(points[labels == 1].std().item() - math.sqrt(0.5)) < 0.05  # variance 0.5
    wide, wide_labels = all_points(make_dataset("gauss", n_samples=2000, noise=0.5))
    assert abs(wide[wide_labels == 1].std().item() - 2.0) < 0.15  # variance 4


def test_spiral_points_lie_on_two_arms_half_a_turn_apart() -> None:
    points, labels = all_points(make_dataset("spiral", n_samples=400))
    x1, x2 = points[:, 0].double(), points[:, 1].double()
    radius = torch.hypot(x1, x2)
    assert radius.max() < 5
    # The Playground puts a point at radius r on angle 1.75 * 2 * pi * r / 5 (+ pi for label 0).
    expected = 1.75 * 2 * math.pi * radius / 5 + math.pi * (1 - labels.double())
    offset = torch.remainder(torch.atan2(x1, x2) - expected + math.pi, 2 * math.pi) - math.pi
    assert offset[radius > 0.1].abs().max() < 1e-4


def test_plane_target_is_a_tenth_of_x1_plus_x2_and_noise_breaks_that() -> None:
    points, targets = all_points(make_dataset("plane", n_samples=300))
    design = torch.cat([points, torch.ones(len(points), 1)], dim=1).double()
    solution = torch.linalg.lstsq(design, targets.double()).solution.flatten()
    assert torch.allclose(solution, torch.tensor([0.1, 0.1, 0.0], dtype=torch.float64), atol=1e-6)
    assert (design @ solution - targets.double().flatten()).abs().max() < 1e-5
    assert points.abs().max() <= 6 and targets.abs().max() <= 1.2
    noisy_points, noisy = all_points(make_dataset("plane", n_samples=300, noise=0.3))
    assert (noisy.flatten() - noisy_points.sum(1) / 10).abs().max() > 0.05


def test_multi_gauss_matches_the_playground_label_loop() -> None:
    points, targets = all_points(make_dataset("multi_gauss", n_samples=200))
    bumps = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]
    for (x, y), target in zip(points.double().tolist(), targets.flatten().tolist(), strict=True):
        label = 0.0  # dataset.ts: keep the bump value largest in absolute value
        for centre_x, centre_y, sign in bumps:
            value = sign * min(max(1 - math.dist((x, y), (centre_x, centre_y)) / 2, 0), 1)
            label = value if abs(value) > abs(label) else label
        assert target == pytest.approx(label, abs=1e-5)
    assert targets.min() < -0.5 and targets.max() > 0.5


def test_moons_are_sklearn_make_moons_shuffled() -> None:
    dataset = make_dataset("moons", n_samples=50, noise=0.1, seed=7)
    points, labels = all_points(dataset)
    expected_points, expected_labels = make_moons(n_samples=50, noise=0.1, random_state=7)
    ours = np.column_stack([points.numpy(), labels.numpy()])
    theirs = np.column_stack([expected_points.astype(np.float32), expected_labels])
    sort = lambda rows: rows[np.lexsort(rows.T[::-1])]  # noqa: E731
    assert np.array_equal(sort(ours), sort(theirs))


def test_random_is_uniform_noise_with_the_asked_shape() -> None:
    dataset = make_dataset("random", n_samples=300, n_features=7, n_classes=3, test_fraction=0.2)
    X = torch.cat([dataset.X_train, dataset.X_test])
    labels = torch.cat([dataset.y_train, dataset.y_test])
    assert X.shape == (300, 7) and X.min() >= 0 and X.max() < 1
    assert set(labels.tolist()) == {0, 1, 2} and dataset.n_classes == 3 == dataset.n_outputs
    assert dataset.feature_names == tuple(f"x{i}" for i in range(1, 8))
    assert make_dataset("random", n_samples=10, n_classes=2).n_outputs == 1


def test_digits_are_scaled_subsampled_and_noised() -> None:
    full = make_dataset("digits", n_samples=5000, test_fraction=0.2)
    assert len(full.X_train) + len(full.X_test) == 1797
    assert full.X_train.min() == 0 and full.X_train.max() == 1
    assert full.feature_names[0] == "pixel_0_0" and full.n_classes == 10
    clean = make_dataset("digits", n_samples=300, seed=2)
    noisy = make_dataset("digits", n_samples=300, seed=2, noise=0.1)
    assert torch.equal(clean.y_train, noisy.y_train)  # same subset, only the pixels change
    difference = noisy.X_train - clean.X_train
    assert abs(difference.std().item() - 0.1) < 0.005 and abs(difference.mean().item()) < 0.005


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
    (dict(name="spirals"), ValueError, r"name must be one of circle, xor.*got 'spirals'"),
    (dict(n_samples=1), ValueError, r"n_samples must be an int >= 2; got 1"),
    (dict(n_samples=True), TypeError, r"n_samples .*got True"),
    (dict(n_samples=10.0), TypeError, r"n_samples .*got 10\.0"),
    (dict(noise=-0.1), ValueError, r"noise must be a number in \[0, 0\.5\]; got -0\.1"),
    (dict(noise=0.6), ValueError, r"noise .*got 0\.6"),
    (dict(noise=float("nan")), ValueError, r"noise .*got nan"),
    (dict(noise=float("inf")), ValueError, r"noise .*got inf"),
    (dict(noise="0.1"), TypeError, r"noise .*got '0\.1'"),
    (dict(test_fraction=0.95), ValueError, r"test_fraction .*\[0, 0\.9\]; got 0\.95"),
    (dict(test_fraction=-0.1), ValueError, r"test_fraction .*got -0\.1"),
    (dict(n_samples=3, test_fraction=0.9), ValueError, r"test_fraction=0\.9 of 3 points leaves 0"),
    (dict(n_samples=3, test_fraction=0.1), ValueError, r"test_fraction=0\.1 of 3 .* 0 for test"),
    (dict(seed=-1), ValueError, r"seed must be an int >= 0; got -1"),
    (dict(seed=1.5), TypeError, r"seed .*got 1\.5"),
    (dict(features=("x3",)), ValueError, r"features .*'sin\(x2\)'.*got \('x3',\).*unknown"),
    (dict(features=()), ValueError, r"features .*got \(\)"),
    (dict(features=("x1", "x1")), ValueError, r"features .*got \('x1', 'x1'\).*repeated"),
    (dict(features="x1"), TypeError, r"features must be a sequence .*got 'x1'"),
    (dict(name="random", features=("x1^2",)), ValueError, r"features only apply .*\('x1\^2',\)"),
    (dict(name="digits", features=("x2",)), ValueError, r"features only apply .*'digits'"),
    (dict(name="random", n_features=0), ValueError, r"n_features must be an int >= 1; got 0"),
    (dict(name="random", n_classes=1), ValueError, r"n_classes must be an int >= 2; got 1"),
    (dict(name="random", noise=0.1), ValueError, r"noise must be 0 for 'random' .*got 0\.1"),
    (dict(name="circle", n_classes=3), ValueError, r"n_classes=3 for 'circle'"),
]


@pytest.mark.parametrize(("overrides", "error", "message"), BAD_ARGUMENTS)
def test_make_dataset_rejects_bad_arguments(overrides: dict, error: type, message: str) -> None:
    arguments = dict(name="circle", n_samples=20) | overrides
    with pytest.raises(error, match=message):
        make_dataset(**arguments)


# --- from_arrays ---


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
        r"task must be one of classification, regr.*'clustering'",
    ),
    (dict(test_fraction=1.0), ValueError, r"test_fraction .*got 1\.0"),
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


def test_dataset_is_frozen() -> None:
    dataset = make_dataset("xor", n_samples=10)
    with pytest.raises(AttributeError):
        dataset.name = "other"  # type: ignore[misc]
    assert re.fullmatch(r"Dataset\('xor', .*\)", repr(dataset))
