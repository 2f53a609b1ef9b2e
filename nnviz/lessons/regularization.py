"""The regularization sweep for lesson 07: C_total = C + lambda R, one Trainer per lambda on the
same data, initial weights and shuffling, reduced to plain records, Charts and Surfaces.

    l2 = regularization_sweep(data, "l2", reg_rates=(0, 0.003, 0.01))
    print(l2.table())       # train/test C and accuracy, near-zero weights
    surface_figure(l2.boundary_surface(0.0), l2.boundary_surface(0.01))

R is nnviz's penalty: sum |w| (L1) or sum w^2 (L2) over the weights, biases excluded. Each run is
an ordinary nnviz Trainer, so it equals a Trainer made by hand with the same settings and seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnviz.core.checks import check_choice, check_int, check_number
from nnviz.core.records import Chart, Evaluation, Series, Surface
from nnviz.lessons.checks import check_sweep_values
from nnviz.lessons.learning_rate import build_trainer, pick_run
from nnviz.probes.field import FieldProbe


@dataclass(frozen=True, slots=True)
class RegularizationRun:
    """One strength lambda: losses and metric on both splits, the weights, the output field."""

    reg_rate: float
    evaluation: Evaluation  # C (without lambda R) and the metric on the train and test sets
    weights: np.ndarray  # every w_ij^l, layer after layer; biases carry no penalty
    near_zero: int  # weights with |w| below the sweep's zero_threshold
    exact_zero: int  # weights exactly 0.0
    grid_x: np.ndarray | None  # the input plane's grid (None when the data is not a plane)
    grid_y: np.ndarray | None
    output: np.ndarray | None  # (ny, nx) P(class 1) (binary), class or value over the grid

    @property
    def weight_norm(self) -> float:
        """sqrt(sum w^2) over every weight."""
        return float(np.sqrt(np.sum(self.weights.astype(np.float64) ** 2)))


@dataclass(frozen=True, slots=True)
class RegularizationSweep:
    """Runs that differ only in lambda, all with the penalty `kind` ("l1" or "l2")."""

    kind: str
    runs: tuple[RegularizationRun, ...]
    steps: int
    zero_threshold: float
    train_points: np.ndarray | None  # (n, 2) raw training points, for drawing on the plane
    train_targets: np.ndarray

    def run(self, reg_rate: float) -> RegularizationRun:
        """The run with strength `reg_rate`."""
        return pick_run(self.runs, "reg_rate", reg_rate)

    def gap_chart(self, metric: str = "loss") -> Chart:
        """Train and test loss (or metric) against lambda > 0 on a log axis, lambda = 0 dashed."""
        column = check_choice("metric", metric, ("loss", "metric"))
        positive = [r for r in self.runs if r.reg_rate > 0]
        if not positive:
            raise ValueError("gap_chart needs a sweep with a reg_rate > 0 for its lambda axis")
        rates = np.array([r.reg_rate for r in positive])
        series = []
        for split in ("train", "test"):
            field = f"{split}_{column}"
            values = np.array([getattr(run.evaluation, field) for run in positive])
            series.append(Series(split, rates, values, "lines+markers"))
            for run in self.runs:
                if run.reg_rate == 0:  # no place on a log axis: a level line across it
                    level = np.full(2, getattr(run.evaluation, field))
                    series.append(Series(f"{split}, λ=0", rates[[0, -1]], level, dash=True))
        name = "loss C" if column == "loss" else positive[0].evaluation.metric
        title = f"{self.kind.upper()}: train and test {name}"
        return Chart(title, tuple(series), "λ", name, x_log=True)

    def histogram_chart(self, reg_rate: float, limit: float | None = None, bins: int = 41) -> Chart:
        """Histogram of the weights of one run over [-limit, limit] (outer bins take the rest)."""
        run = self.run(reg_rate)
        bins = check_int("bins", bins, minimum=1)
        largest = float(np.max(np.abs(run.weights)))
        limit = (largest or 1.0) if limit is None else check_number("limit", limit, 0.0, True)
        edges = np.linspace(-limit, limit, bins + 1)
        counts, _ = np.histogram(np.clip(run.weights, -limit, limit), edges)
        centres = (edges[:-1] + edges[1:]) / 2
        name = self._label(run.reg_rate)
        title = f"{name}: {run.near_zero} of {run.weights.size} |w| < {self.zero_threshold:g}"
        series = (Series(name, centres, counts.astype(float), "bars"),)
        return Chart(title, series, "weight w", "number of weights")

    def boundary_surface(self, reg_rate: float) -> Surface:
        """The network's output over the input plane, with the training points on top."""
        run = self.run(reg_rate)
        points, targets = self.train_points, self.train_targets
        if run.grid_x is None or run.grid_y is None or run.output is None or points is None:
            raise ValueError("boundary_surface needs 2-D data (a plane); this data set has none")
        paths = tuple(
            Series(f"class {label:g}", points[targets == label, 0], points[targets == label, 1],
                   "markers")
            for label in np.unique(targets)
        )  # fmt: skip
        e = run.evaluation
        title = (
            f"{self._label(run.reg_rate)}: {e.metric} train "
            f"{e.train_metric:.2f}, test {e.test_metric:.2f}"
        )
        return Surface(title, run.grid_x, run.grid_y, run.output, "x1", "x2", "output", paths)

    def _label(self, reg_rate: float) -> str:
        return f"{self.kind.upper()}, λ={reg_rate:g}" if reg_rate > 0 else "no penalty, λ=0"

    def table(self) -> str:
        """One line per lambda: C and metric on both splits, near-zero weights, the norm."""
        lines = [
            f"{'lambda':>7} {'train C':>8} {'test C':>8} {'train':>6} {'test':>6} "
            f"{'|w|<' + format(self.zero_threshold, 'g'):>9} {'||w||':>7}"
        ]
        for run in self.runs:
            e = run.evaluation
            lines.append(
                f"{run.reg_rate:>7g} {e.train_loss:>8.4f} {e.test_loss:>8.4f} "
                f"{e.train_metric:>6.3f} {e.test_metric:>6.3f} "
                f"{f'{run.near_zero}/{run.weights.size}':>9} {run.weight_norm:>7.3f}"
            )
        return "\n".join(lines)


def regularization_sweep(
    data,
    kind: str,
    reg_rates: Sequence[float],
    steps: int = 1000,
    hidden: Sequence[int] = (16, 16),
    activation: str = "tanh",
    lr: float = 0.3,
    batch_size: int | None = 10,
    seed: int = 0,
    zero_threshold: float = 0.01,
    resolution: int = 48,
    **settings,
) -> RegularizationSweep:
    """Train one fresh, identically seeded network per lambda in `reg_rates` (0: no penalty)."""
    kind = check_choice("kind", kind, ("l1", "l2"))
    reg_rates = check_sweep_values("reg_rates", reg_rates, 0.0, strict=False)
    steps = check_int("steps", steps, minimum=1)
    zero_threshold = check_number("zero_threshold", zero_threshold, 0.0, strict_minimum=True)
    probe = FieldProbe(resolution=resolution, thumbnail=2)
    runs = []
    for rate in reg_rates:
        # eval_every=steps: only the end is wanted, not an evaluation after every epoch.
        trainer = build_trainer(
            data, hidden, activation, seed, lr=lr, batch_size=batch_size, eval_every=steps,
            regularization=kind if rate > 0 else "none", reg_rate=rate, **settings,
        )  # fmt: skip
        trainer.fit(steps=steps)
        weights = np.concatenate(
            [p.detach().cpu().numpy().ravel() for p in trainer.model.parameters() if p.ndim >= 2]
        )
        field = probe.snapshot(trainer)
        runs.append(
            RegularizationRun(
                rate,
                trainer.evaluate(),
                weights,
                int(np.count_nonzero(np.abs(weights) < zero_threshold)),
                int(np.count_nonzero(weights == 0)),
                field.grid_x,
                field.grid_y,
                field.output,
            )
        )
    record = probe.data_record(data)
    return RegularizationSweep(
        kind, tuple(runs), steps, zero_threshold, record.train_points, record.train_targets
    )
