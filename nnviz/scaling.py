"""Why large-scale training uses mini-batches: throughput and progress per epoch against batch
size, and data-parallel SGD, where workers average their gradients with an all-reduce.

    record = measure_throughput([1, 16, 256])           # examples per second (timing: varies)
    record = loss_after_epochs([4, 64, 512], epochs=3)  # C after 3 epochs, fixed and scaled eta
    result = data_parallel_sgd(data, world_size=2)      # 2 processes, gloo: gradient == full batch

The workers of data_parallel_sgd are separate Python processes started with
torch.multiprocessing's "spawn", so `_data_parallel_worker` lives here, where they can import it.
Each worker imports torch afresh (about 2 s). From a notebook that is all; from a script, call
data_parallel_sgd under `if __name__ == "__main__":`, since spawn re-runs the script's top level.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import torch

from nnviz._checks import check_int, check_number
from nnviz.datasets import Dataset, make_dataset
from nnviz.losses import get_loss
from nnviz.model import MLP
from nnviz.records import Chart, Series
from nnviz.trainer import Trainer


def digits_data(seed: int = 0) -> Dataset:
    """All 1797 of scikit-learn's 8x8 digits: 1617 to train on, 180 to test."""
    return make_dataset("digits", n_samples=1797, test_fraction=0.1, seed=seed)


def _check_batch_sizes(batch_sizes: Sequence[int], n_train: int) -> tuple[int, ...]:
    if isinstance(batch_sizes, str) or not isinstance(batch_sizes, Sequence) or not batch_sizes:
        raise TypeError(f"batch_sizes must be a non-empty list of integers; got {batch_sizes!r}")
    return tuple(
        check_int(f"batch_sizes[{index}]", size, minimum=1, maximum=n_train)
        for index, size in enumerate(batch_sizes)
    )


def _hidden(hidden: Sequence[int]) -> tuple[int, ...]:
    if isinstance(hidden, str) or not isinstance(hidden, Sequence):
        raise TypeError(f"hidden must be a list of layer widths such as (32,); got {hidden!r}")
    return tuple(check_int(f"hidden[{index}]", h, minimum=1) for index, h in enumerate(hidden))


def _trainer(data: Dataset, hidden: Sequence[int], batch_size: int, lr: float, **options):
    sizes = (data.n_features, *_hidden(hidden), int(data.n_classes))
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
    batch_sizes = _check_batch_sizes(batch_sizes, len(data.X_train))
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
    batch_sizes = _check_batch_sizes(batch_sizes, len(data.X_train))
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


# --- data-parallel SGD: each worker holds a replica and one shard of every global batch -------
@dataclass(frozen=True, slots=True)
class DataParallel:
    """Data-parallel SGD against one process on the whole batch: gradients and parameters."""

    world_size: int
    batch_size: int  # the effective batch: world_size * per-worker batch
    steps: int
    lr: float
    worker_gradients: np.ndarray  # (world_size, n): each worker's own gradient at step 1
    averaged_gradient: np.ndarray  # (n,) after the all-reduce, divided by world_size
    full_batch_gradient: np.ndarray  # (n,) one process, the whole batch of step 1
    parameters: np.ndarray  # (world_size, n): every replica after `steps` updates
    single_process_parameters: np.ndarray  # (n,) one process after the same updates

    @property
    def gradient_difference(self) -> float:
        """max |averaged gradient - full-batch gradient|."""
        return float(np.abs(self.averaged_gradient - self.full_batch_gradient).max())

    @property
    def parameter_difference(self) -> float:
        """max |replica's parameters - single process's| over every replica."""
        return float(np.abs(self.parameters - self.single_process_parameters).max())


def _sgd(model: MLP, inputs: np.ndarray, targets: np.ndarray, lr: float, reduce) -> list:
    """w <- w - eta * reduce(dC/dw) on each batch inputs[k]; returns step 1's own and reduced
    flat gradients. One flat vector per step: one all-reduce call, as DDP's buckets do."""
    loss = get_loss(None, "classification", model.n_outputs)
    parameters = list(model.parameters())
    first = []
    for batch_inputs, batch_targets in zip(inputs, targets, strict=True):
        cost = loss.function(model(torch.from_numpy(batch_inputs)), torch.from_numpy(batch_targets))
        own = torch.cat([g.reshape(-1) for g in torch.autograd.grad(cost, parameters)])
        gradient = reduce(own.clone())
        first = first or [own.numpy(), gradient.numpy()]
        with torch.no_grad():
            for parameter, chunk in zip(
                parameters, gradient.split([p.numel() for p in parameters]), strict=True
            ):
                parameter -= lr * chunk.view_as(parameter)
    return first


def _flat(model: MLP) -> np.ndarray:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy()


def _data_parallel_worker(
    rank: int, world_size: int, port: int, sizes: tuple, seed: int, inputs, targets, lr, folder
) -> None:
    """One worker process: replica of rank 0's network, own shard, all-reduced gradients."""
    import torch.distributed as dist

    torch.set_num_threads(1)  # the workers share the machine's cores
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world_size, timeout=timedelta(seconds=60))
    try:
        # Each rank draws different weights on purpose: the broadcast from rank 0 is what
        # makes the replicas equal, as DistributedDataParallel does when it wraps a model.
        model = MLP(sizes, activation="relu", seed=seed + rank)
        for parameter in model.parameters():
            dist.broadcast(parameter.data, src=0)
        shard = inputs.shape[1] // world_size
        mine = slice(rank * shard, (rank + 1) * shard)

        def average(gradient: torch.Tensor) -> torch.Tensor:
            dist.all_reduce(gradient)  # the sum over the workers, which every worker receives
            return gradient / world_size

        own, averaged = _sgd(model, inputs[:, mine], targets[:, mine], lr, average)
        np.savez(Path(folder) / f"{rank}.npz", own=own, averaged=averaged, parameters=_flat(model))
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))  # the system picks a free port
        return probe.getsockname()[1]


def data_parallel_sgd(
    data: Dataset | None = None,
    world_size: int = 2,
    batch_size: int = 64,
    steps: int = 3,
    lr: float = 0.1,
    hidden: Sequence[int] = (16,),
    seed: int = 0,
) -> DataParallel:
    """`steps` SGD updates with effective batch `batch_size` split over `world_size` spawned
    processes (gloo all-reduce), and the same updates in this process on whole batches."""
    from torch.multiprocessing import spawn

    data = digits_data(seed) if data is None else data
    if data.task != "classification":
        raise ValueError(f"data must be a classification data set; {data.name!r} is {data.task}")
    world_size = check_int("world_size", world_size, minimum=1, maximum=8)
    steps = check_int("steps", steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=world_size)
    if batch_size % world_size:
        raise ValueError(
            f"batch_size={batch_size} must split evenly over world_size={world_size} workers; "
            f"use a multiple of {world_size}"
        )
    if steps * batch_size > len(data.X_train):
        raise ValueError(
            f"steps={steps} batches of batch_size={batch_size} need {steps * batch_size} "
            f"examples; the data set has {len(data.X_train)} for training"
        )
    lr = check_number("lr", lr, minimum=0.0, strict_minimum=True)
    sizes = (data.n_features, *_hidden(hidden), data.n_outputs)
    used = steps * batch_size
    loss = get_loss(None, "classification", sizes[-1])
    inputs = data.X_train[:used].numpy().reshape(steps, batch_size, -1)
    targets = loss.prepare_targets(data.y_train[:used], sizes[-1]).numpy()
    targets = targets.reshape(steps, batch_size, *targets.shape[1:])

    with tempfile.TemporaryDirectory() as folder:
        arguments = (world_size, _free_port(), sizes, seed, inputs, targets, lr, folder)
        spawn(_data_parallel_worker, args=arguments, nprocs=world_size)
        results = [np.load(Path(folder) / f"{rank}.npz") for rank in range(world_size)]
        own = np.stack([result["own"] for result in results])
        averaged = results[0]["averaged"]
        parameters = np.stack([result["parameters"] for result in results])

    model = MLP(sizes, activation="relu", seed=seed)  # rank 0's network, on whole batches
    _, full_batch = _sgd(model, inputs, targets, lr, lambda gradient: gradient)
    return DataParallel(
        world_size, batch_size, steps, lr, own, averaged, full_batch, parameters, _flat(model)
    )
