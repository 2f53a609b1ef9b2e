"""Engine: what the Trainer asks of whatever computes its steps, so that it holds one engine object
and never asks which kind it has. Two implement it: AutogradEngine (torch differentiates the
graph) and NumpyEngine (the seed's equations written out); nnviz.training.compatibility picks.

Per step the Trainer calls forward, backward, copy_before_step and (plain SGD) sgd: one method
call each, so the interface adds no work to the loop it serves.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Protocol

import torch

from nnviz.core.trainer_protocol import LayerValues


@dataclass(frozen=True, slots=True)
class TrainingSets:
    """The train and test splits on the trainer's device: float32 inputs, and targets in the form
    the loss takes (prepare_targets)."""

    train_inputs: torch.Tensor
    train_targets: torch.Tensor
    test_inputs: torch.Tensor
    test_targets: torch.Tensor
    n_outputs: int  # width of z^L, for targets as a matrix y
    val_inputs: torch.Tensor | None = None  # the validation split, where the data has one
    val_targets: torch.Tensor | None = None


class Engine(Protocol):
    """Forward pass, backward pass, update and measurements of one model on one TrainingSets."""

    name: str  # "autograd" or "numpy": Trainer.engine

    def start_epoch(self, order: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor) -> None:
        """Take this epoch's shuffled training set: example i is train example order[i]."""

    def forward(self, start: int, stop: int) -> tuple[float, float]:
        """C and lambda R, as floats, on examples [start, stop) of this epoch."""

    def backward(self) -> None:
        """dC_total/dtheta of the latest forward pass, into each parameter's .grad."""

    def bind_before_step(self, before: list[torch.Tensor]) -> None:
        """Use `before` (one tensor per parameter) as where copy_before_step writes."""

    def copy_before_step(self) -> None:
        """Copy the parameters, as this step's forward pass used them, into the bound tensors."""

    def sgd(self, eta: float) -> None:
        """The seed's update w <- w - eta dC_total/dw, in place."""

    def penalty(self) -> float:
        """lambda R of the parameters now."""

    def measure(self, train: bool) -> tuple[float, float]:
        """Loss C and the metric over the training or the test split, from one forward pass."""

    def measure_validation(self) -> tuple[float, float]:
        """Loss C and the metric over the validation split (the sets must have one)."""

    def layer_values(self) -> LayerValues | None:
        """This step's a^(l-1), z, delta and gradient, where the engine computes them itself."""

    def quiet(self) -> contextlib.AbstractContextManager[object]:
        """A context in which overflow on the way to divergence warns nothing."""
