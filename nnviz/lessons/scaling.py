"""Why large-scale training uses mini-batches (lesson 10): throughput and progress per epoch
against batch size. Data-parallel SGD is in nnviz.lessons.data_parallel.

    record = measure_throughput([1, 16, 256])           # examples per second (timing: varies)
    record = loss_after_epochs([4, 64, 512], epochs=3)  # C after 3 epochs, fixed and scaled eta
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnviz.core.checks import check_int, check_number, check_widths
from nnviz.core.model import MLP
from nnviz.core.records import Chart, Series
from nnviz.data.dataset import Dataset, make_dataset
from nnviz.lessons.checks import check_batch_sizes
from nnviz.training.trainer import Trainer


def digits_data(seed: int = 0) -> Dataset:
    """All 1797 of scikit-learn's 8x8 digits: 1617 to train on, 180 to test."""
    return make_dataset("digits", n_samples=1797, test_fraction=0.1, seed=seed)


def _trainer(data: Dataset, hidden: Sequence[int], batch_size: int, lr: float, **options):
    if data.n_classes is None:
        raise TypeError(f"data must be a classification data set; {data.name!r} is {data.task}")
    sizes = (data.n_features, *check_widths("hidden", hidden), data.n_classes)
    model = MLP(sizes, activation="relu", seed=options.pop("seed", 0))
    return Trainer(model, data, lr=lr, batch_size=batch_size, **options)


@dataclass(frozen=True, slots=True)
class Throughput:
    """Training speed per batch size on one device: timings, so never the same twice."""

    device: str
    batch_sizes: np.ndarray
    examples_per_second: np.ndarray
    steps: np.ndarray  # updates timed per batch size


def measure_throughput(
    batch_sizes: Sequence[int],
    data: Dataset | None = None,
    hidden: Sequence[int] = (64,),
    device: str = "cpu",
    seconds: float = 0.1,
    engine: str = "auto",
) -> Throughput:
    """Examples per second of SGD at each batch size, each timed for about `seconds`."""
    data = digits_data() if data is None else data
    batch_sizes = check_batch_sizes(batch_sizes, len(data.X_train))
    seconds = check_number("seconds", seconds, minimum=0.0, strict_minimum=True)
    speeds, steps = [], []
    for batch_size in batch_sizes:
        trainer = _trainer(data, hidden, batch_size, 0.01, device=device, engine=engine)
        trainer.fit(steps=2)  # warm-up: first calls allocate buffers and, on a GPU, kernels
        seen, elapsed, count = trainer.examples_seen, trainer.elapsed, trainer.step_count
        # trainer.elapsed counts step time only; each step ends with the loss on the host,
        # so on a GPU the clock does not run ahead of the device.
        while trainer.elapsed - elapsed < seconds and trainer.diverged is None:
            trainer.fit(steps=min(trainer.steps_left_in_epoch, 20))  # no epoch-long overshoot
        speeds.append((trainer.examples_seen - seen) / (trainer.elapsed - elapsed))
        steps.append(trainer.step_count - count)
    return Throughput(str(device), np.array(batch_sizes), np.array(speeds), np.array(steps))


def throughput_chart(*records: Throughput) -> Chart:
    """Examples per second against batch size, both axes logarithmic, one curve per device."""
    if not records or not all(isinstance(record, Throughput) for record in records):
        raise TypeError(f"records must be one or more Throughput records; got {records!r}")
    series = tuple(
        Series(r.device, r.batch_sizes, r.examples_per_second, "lines+markers") for r in records
    )
    return Chart("Throughput", series, "batch size", "examples / s", x_log=True, y_log=True)


@dataclass(frozen=True, slots=True)
class Convergence:
    """Training loss C after the same number of epochs at each batch size."""

    epochs: int
    batch_sizes: np.ndarray
    updates: np.ndarray  # updates taken in those epochs: epochs * ceil(n / batch size)
    lr: float  # eta at the smallest batch size
    loss_fixed_lr: np.ndarray  # eta the same for every batch size
    loss_scaled_lr: np.ndarray  # eta * batch size / smallest batch size: the linear scaling rule


def loss_after_epochs(
    batch_sizes: Sequence[int],
    epochs: int = 3,
    lr: float = 0.05,
    data: Dataset | None = None,
    hidden: Sequence[int] = (32,),
    seed: int = 0,
) -> Convergence:
    """Plain SGD for `epochs` epochs at each batch size, with a fixed and a linearly scaled eta."""
    data = digits_data(seed) if data is None else data
    batch_sizes = check_batch_sizes(batch_sizes, len(data.X_train))
    epochs = check_int("epochs", epochs, minimum=1)
    lr = check_number("lr", lr, minimum=0.0, strict_minimum=True)
    smallest = min(batch_sizes)
    losses: dict[bool, list[float]] = {False: [], True: []}
    updates = []
    for batch_size in batch_sizes:
        for scaled in (False, True):
            rate = lr * batch_size / smallest if scaled else lr
            trainer = _trainer(data, hidden, batch_size, rate, seed=seed, eval_every=10**9)
            trainer.fit(epochs=epochs)
            # A run that overshoots stops early; its loss is reported as infinite.
            loss = trainer.evaluate().train_loss if trainer.diverged is None else np.inf
            losses[scaled].append(loss)
        updates.append(trainer.step_count)
    return Convergence(
        epochs,
        np.array(batch_sizes),
        np.array(updates),
        lr,
        np.array(losses[False]),
        np.array(losses[True]),
    )


def convergence_chart(record: Convergence) -> Chart:
    """C after the record's epochs against batch size, for fixed and linearly scaled eta."""
    if not isinstance(record, Convergence):
        raise TypeError(f"record must be a Convergence record; got {record!r}")
    finite = np.isfinite(record.loss_scaled_lr)  # a diverged run has no point to draw
    series = (
        Series("fixed η", record.batch_sizes, record.loss_fixed_lr, "lines+markers"),
        Series(
            "η ∝ batch size",
            record.batch_sizes[finite],
            record.loss_scaled_lr[finite],
            "lines+markers",
        ),
    )
    title = f"Loss after {record.epochs} epochs"
    return Chart(title, series, "batch size", "C (training set)", x_log=True, y_log=True)
