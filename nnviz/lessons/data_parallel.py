"""Data-parallel SGD (lesson 10): workers each hold a replica of the network and one shard of
every global batch, and average their gradients with an all-reduce (torch.distributed, gloo).

    result = data_parallel_sgd(data, world_size=2)  # 2 processes: gradient == 1 on the whole batch

The workers are separate Python processes started with torch.multiprocessing's "spawn", so
`_data_parallel_worker` lives here, where they can import it. Each worker imports torch afresh
(about 2 s). From a notebook that is all; from a script, call data_parallel_sgd under
`if __name__ == "__main__":`, since spawn re-runs the script's top level.
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

from nnviz.core.checks import check_int, check_number, check_widths
from nnviz.core.losses import get_loss
from nnviz.core.model import MLP, flat_parameters
from nnviz.data.dataset import Dataset
from nnviz.lessons.scaling import digits_data


@dataclass(frozen=True, slots=True)
class DataParallel:
    """Data-parallel SGD against one process on the whole batch: gradients and parameters."""

    world_size: int
    batch_size: int  # the effective batch: world_size * per-worker batch
    steps: int
    lr: float
    worker_gradients: np.ndarray  # (world_size, n): each worker's own gradient at step 1
    averaged_gradient: np.ndarray  # (n,) after the all-reduce, divided by world_size
    batch_gradient: np.ndarray  # (n,) one process, the whole effective batch of step 1 (not the
    # full-batch gradient of lesson 04, which is over the whole training set)
    parameters: np.ndarray  # (world_size, n): every replica after `steps` updates
    single_process_parameters: np.ndarray  # (n,) one process after the same updates

    @property
    def gradient_difference(self) -> float:
        """max |averaged gradient - one process's gradient on the whole effective batch|."""
        return float(np.abs(self.averaged_gradient - self.batch_gradient).max())

    @property
    def parameter_difference(self) -> float:
        """max |replica's parameters - single process's| over every replica."""
        return float(np.abs(self.parameters - self.single_process_parameters).max())


def _sgd(model: MLP, inputs: np.ndarray, targets: np.ndarray, lr: float, reduce) -> list:
    """w <- w - eta * reduce(dC/dw) on each batch inputs[k]; returns step 1's own and reduced
    flat gradients. One flat vector per step: one all-reduce call, as DDP's buckets do."""
    loss = get_loss(None, "classification", model.n_outputs)
    parameters = list(model.parameters())
    first: list[np.ndarray] = []
    for batch_inputs, batch_targets in zip(inputs, targets, strict=True):
        cost = loss.function(model(torch.from_numpy(batch_inputs)), torch.from_numpy(batch_targets))
        own = torch.cat([g.reshape(-1) for g in torch.autograd.grad(cost, parameters)])
        gradient = reduce(own.clone())
        first = first or [own.numpy(), gradient.numpy()]
        with torch.no_grad():
            for parameter, chunk in zip(
                parameters, gradient.split([p.numel() for p in parameters]), strict=True
            ):
                parameter.sub_(lr * chunk.view_as(parameter))
    return first


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
        np.savez(
            Path(folder) / f"{rank}.npz",
            own=own,
            averaged=averaged,
            parameters=flat_parameters(model),
        )
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
    sizes = (data.n_features, *check_widths("hidden", hidden), data.n_outputs)
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
    _, whole_batch = _sgd(model, inputs, targets, lr, lambda gradient: gradient)
    return DataParallel(
        world_size,
        batch_size,
        steps,
        lr,
        own,
        averaged,
        whole_batch,
        parameters,
        flat_parameters(model),
    )
