"""The data generators: the TensorFlow Playground's 2-D sets, moons, pure noise and the digits.

circle, xor, gauss, spiral, plane and multi_gauss follow tensorflow/playground src/dataset.ts:
points in about [-6, 6], ``noise`` is its 0-50 % slider as a fraction 0..0.5, and its -1/+1
labels become 0/1. Each takes (rng, n, noise) and returns (points (n, 2), labels or targets (n,)).
PlaygroundConfig.to_code copies their source into the scripts it writes, so each one must stay
self-contained: numpy, math and BUMPS only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np

Generator = Callable[[np.random.Generator, int, float], tuple[np.ndarray, np.ndarray]]

# (centre x, centre y, sign) of the six bumps of the Playground's "multi-gaussian" regression set.
BUMPS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]]
)


def circle(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
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


def xor(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Playground's xor: label 1 where x1 * x2 >= 0, with a 0.3 gap along both axes."""
    points = rng.uniform(-5, 5, (n, 2))
    points += np.where(points > 0, 0.3, -0.3)
    noisy = points + rng.uniform(-5, 5, (n, 2)) * noise
    return points, (noisy[:, 0] * noisy[:, 1] >= 0).astype(np.int64)


def gauss(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Playground's two Gaussians: label 1 around (2, 2), label 0 around (-2, -2)."""
    variance = 0.5 + noise * 7.0  # the Playground's scale maps noise 0..0.5 to variance 0.5..4
    positive = np.arange(n) < (n + 1) // 2
    centres = np.where(positive, 2.0, -2.0)[:, None]
    return rng.normal(centres, math.sqrt(variance), (n, 2)), positive.astype(np.int64)


def spiral(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Playground's two interleaved spirals of radius 5: label 1 from angle 0, label 0 from pi."""
    arms, labels = [], []
    for count, delta_t, label in (((n + 1) // 2, 0.0, 1), (n // 2, math.pi, 0)):
        step = np.arange(count) / count
        distance, t = step * 5, 1.75 * step * 2 * math.pi + delta_t
        arm = np.stack([distance * np.sin(t), distance * np.cos(t)], axis=1)
        arms.append(arm + rng.uniform(-1, 1, (count, 2)) * noise)
        labels.append(np.full(count, label, dtype=np.int64))
    return np.concatenate(arms), np.concatenate(labels)


def plane(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Playground's plane: target (x1 + x2) / 10, points uniform in [-6, 6]^2."""
    points = rng.uniform(-6, 6, (n, 2))
    noisy = points + rng.uniform(-6, 6, (n, 2)) * noise
    return points, noisy.sum(axis=1) / 10  # the Playground's scale maps -10..10 to -1..1, unclamped


def multi_gauss(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Playground's multi-Gaussian: six signed bumps of radius 2, the strongest one wins."""
    points = rng.uniform(-6, 6, (n, 2))
    noisy = points + rng.uniform(-6, 6, (n, 2)) * noise
    distance = np.hypot(noisy[:, None, 0] - BUMPS[:, 0], noisy[:, None, 1] - BUMPS[:, 1])
    values = BUMPS[:, 2] * np.clip(1 - distance / 2, 0, 1)
    strongest = np.argmax(np.abs(values), axis=1)  # first of equals wins, as in the Playground
    return points, values[np.arange(n), strongest] + 0.0  # + 0.0 turns -0.0 into 0.0


# The Playground's own sets, by name; moons comes from scikit-learn instead.
PLAYGROUND: dict[str, Generator] = dict(
    circle=circle, xor=xor, gauss=gauss, spiral=spiral, plane=plane, multi_gauss=multi_gauss
)


def moons(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's two interleaving half circles, label 0 and 1, seeded by `seed`."""
    from sklearn.datasets import make_moons  # imported here: sklearn is slow to import

    return make_moons(n_samples=n, noise=noise, random_state=seed)


def random(
    rng: np.random.Generator, n: int, n_features: int, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pure noise: inputs uniform in [0, 1)^n_features and labels drawn from 0..n_classes-1."""
    return rng.random((n, n_features)), rng.integers(0, n_classes, n)


@lru_cache(maxsize=1)
def digits() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """scikit-learn's bundled 8x8 digits, pixels scaled to [0, 1]; cached and read-only."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images, labels = bunch.data / 16.0, bunch.target.astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels, tuple(bunch.feature_names)
