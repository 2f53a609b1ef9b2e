"""Lesson 04's experiments: full-batch gradient descent, SGD and mini-batches side by side.

    compare_batch_sizes(data, ...)   the same network and data, one Trainer per batch size
    loss_surface(data, ...)          a two-weight model: its loss surface and each method's path

Gradient noise and the seed's SGD formula are in nnviz.lessons.stochastic_descent.

Everything returns records of plain numbers (nnviz.core.records Chart/Surface or the small frozen
records below); nothing here imports plotly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnviz.core.checks import check_choice, check_int, check_number, check_widths
from nnviz.core.losses import Loss, get_loss, numpy_targets
from nnviz.core.model import MLP, flat_parameters
from nnviz.core.records import Chart, Series, Surface
from nnviz.lessons.checks import check_batch_sizes
from nnviz.training.trainer import Trainer

AXES = {"updates": "updates", "examples": "examples seen", "seconds": "seconds of training"}


def variant_name(batch_size: int | None) -> str:
    """The label of one batch size: full batch (GD), SGD (batch 1) or mini-batch (b)."""
    if batch_size is None:
        return "full batch (GD)"
    return "SGD (batch 1)" if batch_size == 1 else f"mini-batch ({batch_size})"


@dataclass(frozen=True, slots=True)
class DescentCurve:
    """One batch size's run: C on the whole training set, measured now and then."""

    name: str
    batch_size: int  # n_train for full-batch GD
    updates: np.ndarray  # updates done at each measurement; the first is 0, the start
    examples: np.ndarray  # examples seen at each measurement
    seconds: np.ndarray  # training time so far (measuring excluded): timing, varies per run
    loss: np.ndarray  # data loss C over the whole training set
    initial_parameters: np.ndarray  # every parameter before the first update, flat


@dataclass(frozen=True, slots=True)
class BatchComparison:
    """compare_batch_sizes's result: one DescentCurve per batch size, same start and data."""

    curves: tuple[DescentCurve, ...]
    lr: float
    epochs: int

    def chart(self, axis: str = "updates") -> Chart:
        """C on the training set against "updates" (log axis), "examples" or "seconds"."""
        key = check_choice("axis", axis, AXES)
        series = tuple(
            Series(c.name, getattr(c, key)[key == "updates" :], c.loss[key == "updates" :])
            for c in self.curves
        )
        title = f"loss against {AXES[key]}" + (" (log axis)" if key == "updates" else "")
        return Chart(title, series, AXES[key], "C on the training set", x_log=key == "updates")

    @property
    def charts(self) -> tuple[Chart, Chart, Chart]:
        """The three panels: loss against updates, examples seen and seconds."""
        return self.chart("updates"), self.chart("examples"), self.chart("seconds")

    def summary(self) -> str:
        """Updates, examples and final C per batch size, as text (timing left out)."""
        return "\n".join(
            f"{c.name:<17} updates {int(c.updates[-1]):>5}  examples {int(c.examples[-1]):>5}"
            f"  C start {c.loss[0]:.4f}  C end {c.loss[-1]:.4f}"
            for c in self.curves
        )


def compare_batch_sizes(
    data,
    hidden: Sequence[int] = (4,),
    batch_sizes: Sequence[int | None] = (None, 1, 10),
    lr: float = 0.1,
    epochs: int = 20,
    seed: int = 0,
    activation: str = "tanh",
    points: int = 80,
) -> BatchComparison:
    """Train MLP(seed) once per batch size (None: full batch) for `epochs` with the same lr."""
    sizes = [data.n_features, *check_widths("hidden", hidden), data.n_outputs]
    batch_sizes = check_batch_sizes(batch_sizes, int(data.X_train.shape[0]), full_batch=True)
    lr, epochs = check_number("lr", lr, 0.0, strict_minimum=True), check_int("epochs", epochs, 1)
    points = check_int("points", points, minimum=2)
    curves = []
    for batch_size in batch_sizes:
        # One seed for the initial weights and the shuffling, so only the batch size differs.
        trainer = Trainer(
            MLP(sizes, activation, seed=seed),
            data,
            lr=lr,
            batch_size=batch_size,
            seed=seed,
            divergence_factor=None,
        )
        start = flat_parameters(trainer.model)
        total = epochs * trainer.steps_per_epoch
        # Half the measurements evenly spread, half geometric: both the x axes look even.
        spread = np.concatenate(
            [np.geomspace(1, total, points // 2), np.linspace(1, total, points)]
        )
        marks = set(np.unique(np.round(spread).astype(int)).tolist())
        rows = [(0, 0, 0.0, trainer.evaluate().train_loss)]
        for step in range(1, total + 1):
            if trainer.step() is None:
                break  # diverged: the curve ends here
            if step in marks:
                row = (step, trainer.examples_seen, trainer.elapsed, trainer.evaluate().train_loss)
                rows.append(row)
        updates, examples, seconds, losses = (
            np.array(column) for column in zip(*rows, strict=True)
        )
        name = variant_name(batch_size)
        curves.append(
            DescentCurve(name, trainer.batch_size, updates, examples, seconds, losses, start)
        )
    return BatchComparison(tuple(curves), float(lr), epochs)


# --------------------------------------------------------------------------- two weights
@dataclass(frozen=True, slots=True)
class LossSurface:
    """loss_surface's result: the Surface to draw, and C and examples seen along every path."""

    surface: Surface
    path_losses: tuple[np.ndarray, ...]  # C on the training set at each point of paths[k]
    examples: tuple[int, ...]  # examples each path's updates used, in total

    def summary(self) -> str:
        """Updates, examples, end point and C of every path, as text."""
        return "\n".join(
            f"{p.name:<17} updates {len(p.x) - 1:>3}  examples {seen:>5}  "
            f"end w = ({p.x[-1]:+.3f}, {p.y[-1]:+.3f})  C {losses[0]:.4f} -> {losses[-1]:.4f}"
            for p, losses, seen in zip(
                self.surface.paths, self.path_losses, self.examples, strict=True
            )
        )


def two_weight_cost(data) -> tuple[np.ndarray, np.ndarray, Loss]:
    """Inputs X (n, 2), targets y (n, 1) and the cost of a model z = w_1 x_1 + w_2 x_2."""
    if data.n_features != 2 or data.n_outputs != 1:
        raise ValueError(
            f"data must have 2 features and 1 output for a two-weight model; "
            f"{data.name!r} has {data.n_features} and {data.n_outputs}"
        )
    loss = get_loss(None, data.task, 1)  # logistic regression on classes, linear on values
    targets = numpy_targets(loss.prepare_targets(data.y_train, 1), 1).astype(np.float64)
    return data.X_train.numpy().astype(np.float64), targets, loss


def check_start(start: object) -> np.ndarray:
    """The start (w_1, w_2) of a path on the two-weight surface, as an array; else raise."""
    if isinstance(start, str) or not isinstance(start, Sequence) or len(start) != 2:
        raise ValueError(f"start must be two numbers (w_1, w_2); got {start!r}")
    return np.array([check_number(f"start[{i}]", value) for i, value in enumerate(start)])


def loss_surface(
    data,
    start: tuple[float, float] = (-3.0, 2.0),
    batch_sizes: Sequence[int | None] = (None, 1, 10),
    lr: float = 0.1,
    updates: int = 40,
    seed: int = 0,
    resolution: int = 41,
) -> LossSurface:
    """C(w_1, w_2) of the model z = w_1 x_1 + w_2 x_2 (no bias), and `updates` steps of each
    batch size from `start` with the same lr: the paths drawn on the surface."""
    inputs, targets, loss = two_weight_cost(data)
    n = len(inputs)
    batch_sizes = check_batch_sizes(batch_sizes, n, full_batch=True)
    lr = check_number("lr", lr, 0.0, strict_minimum=True)
    updates = check_int("updates", updates, minimum=1)
    resolution = check_int("resolution", resolution, minimum=3)
    first = check_start(start)
    numpy_cost, _ = loss.numpy_pair()

    def cost(weights: np.ndarray) -> float:
        return numpy_cost(inputs @ weights[:, None], targets)[0]

    paths, path_losses, examples = [], [], []
    for batch_size in batch_sizes:
        size = n if batch_size is None else batch_size
        shuffle = np.random.default_rng(seed)  # every path draws the same order of examples
        points, position, seen = [first], n, 0
        for _ in range(updates):
            if position >= n:  # a new epoch: reshuffle
                order, position = shuffle.permutation(n), 0
            batch = order[position : position + size]
            position, seen = position + size, seen + len(batch)
            _, delta = numpy_cost(inputs[batch] @ points[-1][:, None], targets[batch])
            points.append(points[-1] - lr * (inputs[batch].T @ delta)[:, 0])  # dC/dw_i: delta x_i
        path = np.array(points)
        mode = "lines+markers" if len(path) <= 60 else "lines"
        paths.append(Series(variant_name(batch_size), path[:, 0], path[:, 1], mode))
        path_losses.append(np.array([cost(point) for point in path]))
        examples.append(seen)
    every = np.concatenate([(series.x, series.y) for series in paths], axis=1)
    low, high = min(every.min(), -1.0), max(every.max(), 1.0)
    margin = 0.15 * (high - low)
    grid = np.linspace(low - margin, high + margin, resolution)
    z = np.array([[cost(np.array([w1, w2])) for w1 in grid] for w2 in grid])
    title = f"C(w₁, w₂): {updates} updates from the same start, η = {lr:g}"
    surface = Surface(title, grid, grid, z, "w₁", "w₂", "C", tuple(paths), log_z=True)
    return LossSurface(surface, tuple(path_losses), tuple(examples))


# --------------------------------------------------------------------------- gradient noise
