"""Sweeps for the lesson on the learning rate eta (lesson 05; lambda's is
nnviz.lessons.regularization):
one Trainer per setting on the same data, initial weights and shuffling, reduced to plain records
and Charts.

    runs = lr_sweep(data, lrs=(0.003, 0.3, 3.0, 10.0), steps=500)
    chart_figure(runs.curves_chart(), runs.sweep_chart())

Each run is an ordinary nnviz Trainer built from the arguments given, so a run here and a Trainer
made by hand with the same settings and seed give the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnviz.core.checks import check_int, check_widths
from nnviz.core.model import MLP
from nnviz.core.records import Chart, Series
from nnviz.lessons.checks import check_sweep_values
from nnviz.training.trainer import Trainer


def build_trainer(
    data, hidden: Sequence[int], activation: str, seed: int, dropout: float = 0.0, **settings
) -> Trainer:
    """A Trainer of a fresh seeded MLP [inputs, *hidden, outputs] (with `dropout`, MLP's): one
    run of a sweep."""
    sizes = [data.n_features, *check_widths("hidden", hidden), data.n_outputs]
    model = MLP(sizes, activation=activation, seed=seed, dropout=dropout)
    return Trainer(model, data, seed=seed, **settings)


# ------------------------------------------------------------------------------ learning rate
@dataclass(frozen=True, slots=True)
class LearningRateRun:
    """One learning rate: the training loss C over the run and where the Trainer stopped."""

    lr: float
    final_loss: float  # C over the training set at the end (the kept parameters if diverged)
    diverged: int | None  # the step at which the Trainer stopped; None when it did not
    message: str  # trainer.divergence_message ("" when it did not diverge)
    steps: np.ndarray  # the steps at which C was measured: 0, eval_every, 2 eval_every, ...
    losses: np.ndarray  # C over the whole training set at those steps


@dataclass(frozen=True, slots=True)
class LearningRateSweep:
    """Runs that differ only in eta, after `steps` updates each (fewer where one diverged)."""

    runs: tuple[LearningRateRun, ...]
    steps: int

    def run(self, lr: float) -> LearningRateRun:
        """The run with learning rate `lr`."""
        return pick_run(self.runs, "lr", lr)

    def curves_chart(self) -> Chart:
        """C against the step, one curve per eta, on a log axis (a diverged curve stops)."""
        series = tuple(Series(f"η={run.lr:g}", run.steps, run.losses) for run in self.runs)
        return Chart(
            "Training loss per learning rate", series, "step", "loss C (train)", y_log=True
        )

    def sweep_chart(self) -> Chart:
        """Final C against eta on log axes; diverged runs as separate markers at their last C."""
        finite = [r.final_loss for r in self.runs if np.isfinite(r.final_loss)]
        top = max(finite, default=1.0)  # an infinite loss is drawn at the top of the others
        series = []
        for name, mode in (("trained", "lines+markers"), ("diverged", "markers")):
            runs = [run for run in self.runs if (run.diverged is not None) == (name == "diverged")]
            losses = [run.final_loss if np.isfinite(run.final_loss) else top for run in runs]
            if runs:
                series.append(Series(name, np.array([r.lr for r in runs]), np.array(losses), mode))
        title = f"Loss after {self.steps} steps"
        return Chart(
            title, tuple(series), "learning rate η", "loss C (train)", x_log=True, y_log=True
        )

    def table(self) -> str:
        """One line per eta: final C and where it diverged, rounded for printing."""
        lines = [f"{'eta':>8} {'loss C':>9}  diverged at step"]
        for run in self.runs:
            where = "-" if run.diverged is None else str(run.diverged)
            lines.append(f"{run.lr:>8g} {run.final_loss:>9.4f}  {where}")
        return "\n".join(lines)


def lr_sweep(
    data,
    lrs: Sequence[float],
    steps: int = 500,
    hidden: Sequence[int] = (8, 8),
    activation: str = "tanh",
    batch_size: int | None = 10,
    seed: int = 0,
    eval_every: int = 10,
    **settings,
) -> LearningRateSweep:
    """Train one fresh, identically seeded network per learning rate in `lrs` for `steps` steps."""
    lrs = check_sweep_values("lrs", lrs, 0.0, strict=True)
    steps = check_int("steps", steps, minimum=1)
    eval_every = check_int("eval_every", eval_every, minimum=1)
    runs = []
    for lr in lrs:
        trainer = build_trainer(
            data, hidden, activation, seed, lr=lr, batch_size=batch_size, eval_every=eval_every,
            **settings,
        )  # fmt: skip
        start = trainer.evaluate().train_loss  # the curve starts at step 0, before any update
        trainer.fit(steps=steps)
        evaluations = trainer.history.evaluations
        runs.append(
            LearningRateRun(
                lr,
                trainer.evaluate().train_loss,
                trainer.diverged,
                trainer.divergence_message,
                np.concatenate(([0], evaluations["step"].astype(int))),
                np.concatenate(([start], evaluations["train_loss"])),
            )
        )
    return LearningRateSweep(tuple(runs), steps)


def pick_run(runs: Sequence, attribute: str, value: float):
    """The run of a sweep whose `attribute` (lr, reg_rate) is `value`; a ValueError names the
    values the sweep has."""
    for run in runs:
        if getattr(run, attribute) == value:
            return run
    present = ", ".join(f"{getattr(run, attribute):g}" for run in runs)
    raise ValueError(f"{attribute}={value!r} is not in this sweep; it has {present}")
