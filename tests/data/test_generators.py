"""Tests for nnviz.data.generators: the Playground's geometry, moons, noise and digits."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch
from sklearn.datasets import make_moons

from nnviz.data import generators
from nnviz.data.dataset import Dataset, make_dataset

BALANCED_SETS = ("circle", "xor", "gauss", "spiral")


def all_points(dataset: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """Raw points and targets of train and test together."""
    return (
        torch.cat([dataset.raw_train, dataset.raw_test]),
        torch.cat([dataset.y_train, dataset.y_test]),
    )


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


@pytest.mark.parametrize("name", list(generators.PLAYGROUND))
def test_each_playground_generator_runs_from_its_own_source_alone(name: str) -> None:
    # PlaygroundConfig.to_code copies this source into a script with numpy, math and BUMPS only.
    namespace = {"np": np, "math": math, "BUMPS": generators.BUMPS.copy()}
    exec(inspect.getsource(generators.PLAYGROUND[name]), namespace)
    copied = namespace[name](np.random.default_rng(4), 30, 0.2)
    original = generators.PLAYGROUND[name](np.random.default_rng(4), 30, 0.2)
    assert all(np.array_equal(a, b) for a, b in zip(copied, original, strict=True))
    assert copied[0].shape == (30, 2) and copied[1].shape == (30,)


def test_bumps_are_the_playgrounds_six_signed_centres() -> None:
    assert generators.BUMPS.tolist() == [
        [-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]
    ]  # fmt: skip
