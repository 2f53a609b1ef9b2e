"""The autograd engine: torch runs the model's forward pass, builds its graph and differentiates
C_total = C + lambda R through it. It trains any nn.Module on any device; where the numpy engine is
exact (nnviz.training.compatibility), that one is faster on the lessons' small networks.
"""

from __future__ import annotations

import contextlib
from typing import cast

import torch
from torch import nn

from nnviz.core.losses import Loss, squared_error_accuracy
from nnviz.core.model import MLP
from nnviz.core.trainer_protocol import LayerValues
from nnviz.training.engine import TrainingSets


class AutogradEngine:
    """Forward pass, backward pass and plain-SGD update of any nn.Module by torch autograd."""

    name = "autograd"

    def __init__(
        self,
        model: nn.Module,
        loss: Loss,
        regularization: str,
        reg_rate: float,
        sets: TrainingSets,
        labels_by_squares: bool = False,
    ) -> None:
        self.model, self.loss = model, loss
        # Squared error on class labels (TF Playground's choice) is scored by accuracy.
        self._metric = squared_error_accuracy if labels_by_squares else loss.metric
        self._regularization = regularization
        self._rate = reg_rate
        self._sets = sets
        self._epoch_inputs, self._epoch_targets = sets.train_inputs, sets.train_targets
        self._parameters = list(model.parameters())
        # Penalised parameters: weights (2-D and up), never biases.
        self._weights = [p for p in self._parameters if p.ndim >= 2]
        # The same storage without autograd tracking: copies from and updates to these need
        # no torch.no_grad() block (the optimizer updates parameters in place, never anew).
        self._values = [p.data for p in self._parameters]
        self._before: list[torch.Tensor] = []  # where copy_before_step writes
        self._total: torch.Tensor | None = None  # C_total of the latest forward pass
        self._modal = modal_modules(model)

    # ------------------------------------------------------------------ one training step
    def start_epoch(self, order: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor) -> None:
        """Take this epoch's shuffled training set: each batch is then a cheap slice."""
        self._epoch_inputs, self._epoch_targets = inputs, targets

    def forward(self, start: int, stop: int) -> tuple[float, float]:
        """C and lambda R on the epoch's examples [start, stop), as floats."""
        inputs, targets = self._epoch_inputs[start:stop], self._epoch_targets[start:stop]
        # Training mode for this forward pass only, for the modules whose forward depends on it
        # (dropout, batch norm): what evaluation, probes and plots run between steps sees the
        # whole network. Set per module: Module.train() on the whole model costs ~0.1 ms.
        modal = self._modal
        for module in modal:
            module.training = True
        try:
            outputs = self.model(inputs)
        finally:
            for module in modal:
                module.training = False
        data_loss = self.loss.function(outputs, targets)
        if self._regularization == "none":
            self._total = data_loss
            return data_loss.item(), 0.0
        penalty = self._rate * self._penalty()
        self._total = data_loss + penalty
        loss_value, penalty_value = torch.stack((data_loss, penalty)).tolist()  # one transfer
        return loss_value, penalty_value

    def backward(self) -> None:
        """dC_total/dtheta into each parameter's .grad (replacing, not adding to, the last)."""
        if self._total is None:
            raise RuntimeError("backward() needs a forward() first")
        for parameter in self._parameters:  # optimizer.zero_grad(set_to_none=True), leaner
            parameter.grad = None
        total, self._total = self._total, None
        total.backward()

    def bind_before_step(self, before: list[torch.Tensor]) -> None:
        """Write copy_before_step into `before`."""
        self._before = before

    def copy_before_step(self) -> None:
        """Copy the parameters into the bound before-step tensors, in one call."""
        torch._foreach_copy_(self._before, self._values)

    def sgd(self, eta: float) -> None:
        """The seed's update w <- w - eta dC/dw, without torch.optim's per-call bookkeeping."""
        # backward() has just set every .grad: none is None here.
        gradients = cast(list[torch.Tensor], [p.grad for p in self._parameters])
        torch._foreach_add_(self._values, gradients, alpha=-eta)

    def layer_values(self) -> LayerValues | None:
        """None: a probe reads a, z and delta through the model's forward hooks instead."""
        return None

    def quiet(self) -> contextlib.AbstractContextManager[object]:
        """Nothing to silence: torch does not warn on overflow."""
        return contextlib.nullcontext()

    # ------------------------------------------------------------------ measuring
    def penalty(self) -> float:
        """lambda R of the parameters now."""
        if self._regularization == "none":
            return 0.0
        with torch.no_grad():
            return float(self._rate * self._penalty())

    def _penalty(self) -> torch.Tensor:
        """R: sum |w| (L1) or sum w^2 (L2) over every weight, biases excluded."""
        l1 = self._regularization == "l1"
        terms = [w.abs().sum() if l1 else w.pow(2).sum() for w in self._weights]
        total = terms[0]
        for term in terms[1:]:  # added in order, as sum() would: the same float32 rounding
            total = total + term
        return total

    @torch.no_grad()
    def measure(self, train: bool) -> tuple[float, float]:
        """Loss C and metric over the training or the test split, from one forward pass."""
        sets = self._sets
        inputs, targets = (
            (sets.train_inputs, sets.train_targets)
            if train
            else (sets.test_inputs, sets.test_targets)
        )
        return self._measure(inputs, targets)

    @torch.no_grad()
    def measure_validation(self) -> tuple[float, float]:
        """Loss C and metric over the validation split, from one forward pass."""
        sets = self._sets
        if sets.val_inputs is None or sets.val_targets is None:
            raise ValueError("this data set has no validation split (Dataset.with_validation)")
        return self._measure(sets.val_inputs, sets.val_targets)

    def _measure(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[float, float]:
        logits = self.model(inputs)
        loss, metric = torch.stack(
            (self.loss.function(logits, targets), self._metric(logits, targets))
        ).tolist()
        return loss, metric


def modal_modules(model: nn.Module) -> list[nn.Module]:
    """The modules of `model` whose forward differs between training and eval mode: an MLP with
    dropout, torch's dropout and batch-norm layers."""
    kinds = (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._BatchNorm)
    return [
        module
        for module in model.modules()
        if isinstance(module, kinds) or (isinstance(module, MLP) and module.dropout)
    ]
