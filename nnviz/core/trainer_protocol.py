"""What a callback may read from the trainer that calls it: TrainerProtocol, and the LayerValues an
engine that calls no module hands the probes instead of forward hooks.

The hooks in nnviz.core.callbacks are typed with TrainerProtocol so that core names no class above
it; nnviz.training.trainer.Trainer is the one implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import nn

from nnviz.core.history import History
from nnviz.core.losses import Loss


@dataclass(frozen=True, slots=True)
class LayerValues:
    """One step of the numpy engine, per layer l (numpy arrays, valid until the next step)."""

    a_prev: tuple[np.ndarray, ...]  # a^(l-1), (batch, n_in): the batch, then sigma(z) per layer
    z: tuple[np.ndarray, ...]  # z^l, (batch, n_out); the last is the logits z^L
    delta: tuple[np.ndarray, ...]  # dC/dz^l of the data loss, (batch, n_out)
    gradient: np.ndarray  # dC_total/dtheta, flat in model.parameters() order (p.grad views it)
    parameters: tuple[np.ndarray, ...]  # the model's parameters now (views of their memory)


class TrainerProtocol(Protocol):
    """The trainer as its callbacks see it: the model, the loss, the counters and this step's
    values (read them; a callback changes training only through the model's parameters)."""

    @property
    def model(self) -> nn.Module:
        """The network being trained."""

    @property
    def loss(self) -> Loss:
        """The data loss C (with its output function a^L from z^L)."""

    @property
    def device(self) -> torch.device:
        """Where the model and the data live."""

    @property
    def engine(self) -> str:
        """ "autograd" or "numpy": which one computes the steps."""

    @property
    def step_count(self) -> int:
        """Updates done."""

    @property
    def epoch(self) -> int:
        """Epochs completed."""

    @property
    def examples_seen(self) -> int:
        """Training examples used by the updates so far."""

    @property
    def history(self) -> History:
        """Every step's losses and every evaluation, bounded."""

    @property
    def parameters_before_step(self) -> torch.Tensor:
        """All parameters, flat, as this step's forward pass used them."""

    def layer_values(self) -> LayerValues | None:
        """This step's a^(l-1), z, delta and gradient when the engine computed them itself."""
