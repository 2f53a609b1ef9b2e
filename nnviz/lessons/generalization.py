"""Lesson 08's experiments: what a network does on data it has not seen.

    run = train_run(data, hidden=(32, 32), steps=3000, patience=5)   # curves, early stopping
    sweep = capacity_sweep(data, widths=(1, 2, 4, 8, 16, 32, 64))      # hidden width vs error
    noise = shuffled_labels(digits, seed=0)                            # Zhang et al.'s test

Every run is an ordinary nnviz.Trainer (through lesson 05's build_trainer), so its numbers are
the ones a Trainer made by hand with the same settings gives. Records of plain numbers only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from nnviz.core.checks import check_int
from nnviz.core.records import Chart, Evaluation, Series
from nnviz.data.dataset import Dataset
from nnviz.lessons.checks import check_sweep_values
from nnviz.lessons.learning_rate import build_trainer
from nnviz.training.stopping import EarlyStopping

SPLITS = ("train", "val", "test")
SPLIT_NAMES = {"train": "training", "val": "validation", "test": "test"}


@dataclass(frozen=True, slots=True)
class TrainRun:
    """One run: C and the metric on every split at each evaluation, and how it ended."""

    label: str
    steps: np.ndarray  # updates made at each evaluation, from 0
    losses: dict[str, np.ndarray]  # "train", "val", "test" -> C at each evaluation
    metrics: dict[str, np.ndarray]  # the same for the metric (accuracy or R^2)
    final: Evaluation  # with the parameters the run ended with (the best ones after a stop)
    stopped_at: int | None  # where EarlyStopping ended the run; None when it ran to the end
    best_step: int | None  # the evaluation whose parameters were kept (early stopping)
    message: str  # the trainer's stop message ("" when it ran to the end)

    def chart(self, kind: str = "loss") -> Chart:
        """C ("loss") or the metric ("metric") of every split against updates."""
        values = self.losses if kind == "loss" else self.metrics
        series = tuple(
            Series(SPLIT_NAMES[split], self.steps, values[split])
            for split in SPLITS
            if np.isfinite(values[split]).any()
        )
        y_title = "C" if kind == "loss" else self.final.metric
        return Chart(f"{self.label}: {y_title} per split", series, "updates", y_title)

    def summary(self) -> str:
        """Where the run ended and what each split says there, rounded for printing."""
        final = self.final
        lines = [self.message or f"ran all {int(self.steps[-1])} updates"]
        for split in SPLITS:
            loss = getattr(final, f"{split}_loss")
            if np.isfinite(loss):
                metric = getattr(final, f"{split}_metric")
                lines.append(f"{SPLIT_NAMES[split]:>10}: C {loss:.3f}  {final.metric} {metric:.3f}")
        return "\n".join(lines)


def train_run(
    data: Dataset,
    hidden: Sequence[int] = (32, 32),
    activation: str = "relu",
    steps: int = 3000,
    eval_every: int = 50,
    patience: int | None = None,
    dropout: float = 0.0,
    seed: int = 0,
    label: str = "",
    **settings,
) -> TrainRun:
    """Train a seeded MLP for `steps` updates (settings: lr, optimizer, batch_size, ... as for
    Trainer), evaluating every `eval_every`; with `patience`, stop early on the validation loss
    and keep the best parameters (EarlyStopping)."""
    steps = check_int("steps", steps, minimum=1)
    eval_every = check_int("eval_every", eval_every, minimum=1)
    stopper = None if patience is None else EarlyStopping(patience=patience)
    trainer = build_trainer(
        data, hidden, activation, seed, eval_every=eval_every, dropout=dropout, **settings
    )
    start = trainer.evaluate()
    trainer.fit(steps=steps, callbacks=() if stopper is None else (stopper,))
    table = trainer.history.evaluations
    losses = {
        s: np.concatenate(([getattr(start, f"{s}_loss")], table[f"{s}_loss"])) for s in SPLITS
    }
    metrics = {
        s: np.concatenate(([getattr(start, f"{s}_metric")], table[f"{s}_metric"])) for s in SPLITS
    }
    return TrainRun(
        label or f"{len(hidden)} x {max(hidden, default=0)} {activation}",
        np.concatenate(([0], table["step"].astype(int))),
        losses,
        metrics,
        trainer.evaluate(),
        None if stopper is None else stopper.stopped_at,
        None if stopper is None else stopper.best_step,
        trainer.stop_message,
    )


# ------------------------------------------------------------------------------ capacity
@dataclass(frozen=True, slots=True)
class CapacitySweep:
    """Hidden width against the training and test error after the same number of updates."""

    widths: tuple[int, ...]
    runs: tuple[TrainRun, ...]

    def chart(self) -> Chart:
        """Error (1 - accuracy) on the training and the test set against the width (log x)."""
        widths = np.array(self.widths, dtype=float)
        series = tuple(
            Series(f"{SPLIT_NAMES[split]} error", widths,
                   np.array([1 - getattr(r.final, f"{split}_metric") for r in self.runs]),
                   "lines+markers")
            for split in ("train", "test")
        )  # fmt: skip
        return Chart("error against hidden width", series, "neurons per hidden layer",
                     "error (1 - accuracy)", x_log=True)  # fmt: skip

    def table(self) -> str:
        """Width, parameters, and error on the training and the test set, rounded."""
        lines = [f"{'width':>5} {'train error':>12} {'test error':>11}"]
        for width, run in zip(self.widths, self.runs, strict=True):
            final = run.final
            lines.append(
                f"{width:>5} {1 - final.train_metric:>12.3f} {1 - final.test_metric:>11.3f}"
            )
        return "\n".join(lines)


def capacity_sweep(
    data: Dataset,
    widths: Sequence[int],
    layers: int = 2,
    steps: int = 2000,
    seed: int = 0,
    **settings,
) -> CapacitySweep:
    """One run per hidden width (`layers` hidden layers of that width), same data and seed."""
    widths = tuple(int(w) for w in check_sweep_values("widths", widths, 0.0, strict=True))
    if any(w != float(w) or w < 1 for w in widths):
        raise ValueError(f"widths must be whole numbers of neurons >= 1; got {widths!r}")
    layers = check_int("layers", layers, minimum=1)
    runs = tuple(
        train_run(data, hidden=(width,) * layers, steps=steps, eval_every=steps, seed=seed,
                  label=f"width {width}", **settings)
        for width in widths
    )  # fmt: skip
    return CapacitySweep(widths, runs)


# ----------------------------------------------------------------------------- random labels
def shuffled_labels(data: Dataset, seed: int = 0) -> Dataset:
    """`data` with its training labels shuffled among the training points (a seeded random
    permutation): every image keeps a label, but no longer its own. Validation and test labels
    stay true, so they measure what the network learned about the real task."""
    if data.task != "classification":
        raise ValueError(f"shuffled_labels needs class labels; {data.name!r} is {data.task}")
    seed = check_int("seed", seed, minimum=0)
    order = torch.randperm(len(data.y_train), generator=torch.Generator().manual_seed(seed))
    return replace(data, name=f"{data.name} (shuffled labels)", y_train=data.y_train[order])


def memorization(
    data: Dataset,
    hidden: Sequence[int] = (128,),
    steps: int = 150,
    seed: int = 0,
    eval_every: int = 10,
    **settings,
) -> tuple[TrainRun, TrainRun]:
    """The same network trained on the true labels and on shuffled ones (shuffled_labels)."""
    true = train_run(data, hidden, steps=steps, eval_every=eval_every, seed=seed,
                     label="true labels", **settings)  # fmt: skip
    shuffled = train_run(shuffled_labels(data, seed), hidden, steps=steps, eval_every=eval_every,
                         seed=seed, label="shuffled labels", **settings)  # fmt: skip
    return true, shuffled


def accuracy_chart(runs: Sequence[TrainRun]) -> Chart:
    """Training (solid) and test (dashed) accuracy of several runs against updates."""
    series = []
    for run in runs:
        series.append(Series(f"{run.label}: training", run.steps, run.metrics["train"]))
        series.append(Series(f"{run.label}: test", run.steps, run.metrics["test"], dash=True))
    return Chart("accuracy: training vs test", tuple(series), "updates", "accuracy")
