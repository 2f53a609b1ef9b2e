"""Cost functions C and the output function that turns the last layer's z into the network's
answer a^L. Each pairing is the canonical one, so that delta^L = dC/dz^L = (a^L - y) / n."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from nnviz._checks import check_choice

Tensor = torch.Tensor


@dataclass(frozen=True)
class Loss:
    """A cost C(logits, targets), mean over the batch, with its output function and metric."""

    name: str
    function: Callable[[Tensor, Tensor], Tensor]  # mean over the batch
    output: Callable[[Tensor], Tensor]  # a^L from z^L
    output_name: str  # "sigmoid", "softmax" or "identity"
    prepare_targets: Callable[[Tensor, int], Tensor]  # dataset labels -> the form `function` takes
    formula: str  # LaTeX

    def metric(self, logits: Tensor, targets: Tensor) -> Tensor:
        """Accuracy for the classification losses, R^2 for squared error on real targets."""
        return _METRICS[self.name](logits, targets)


def _binary_targets(y: Tensor, n_outputs: int) -> Tensor:
    return y.reshape(-1, 1).to(torch.float32)


def _class_targets(y: Tensor, n_outputs: int) -> Tensor:
    return y.reshape(-1).to(torch.int64)


def _squared_targets(y: Tensor, n_outputs: int) -> Tensor:
    if y.dtype == torch.int64:  # squared error on class labels, as TF Playground does
        if n_outputs == 1:
            return y.reshape(-1, 1).to(torch.float32)
        return F.one_hot(y.reshape(-1), n_outputs).to(torch.float32)
    return (y.reshape(-1, 1) if y.ndim == 1 else y).to(torch.float32)


def _half_squared_error(z: Tensor, y: Tensor) -> Tensor:
    # C = 1/(2n) sum ||a - y||^2: the 1/2 makes delta^L = (a - y)/n, like the other two costs.
    return 0.5 * (z - y).pow(2).sum() / z.shape[0]


def _binary_accuracy(z: Tensor, y: Tensor) -> Tensor:
    return ((z > 0).to(y.dtype) == y).to(torch.float32).mean()


def _class_accuracy(z: Tensor, y: Tensor) -> Tensor:
    return (z.argmax(1) == y).to(torch.float32).mean()


def _squared_metric(z: Tensor, y: Tensor) -> Tensor:
    residual = (y - z).pow(2).sum()
    spread = (y - y.mean(0)).pow(2).sum()
    return 1 - residual / spread.clamp_min(torch.finfo(z.dtype).tiny)


def squared_error_accuracy(outputs: Tensor, targets: Tensor) -> Tensor:
    """Accuracy of squared error fitted to class labels: the output nearest the label wins."""
    if outputs.shape[1] == 1:
        return ((outputs > 0.5).to(targets.dtype) == targets).to(torch.float32).mean()
    return (outputs.argmax(1) == targets.argmax(1)).to(torch.float32).mean()


_METRICS = {
    "binary_cross_entropy": _binary_accuracy,
    "cross_entropy": _class_accuracy,
    "mse": _squared_metric,
}

LOSSES: dict[str, Loss] = {
    "binary_cross_entropy": Loss(
        "binary_cross_entropy",
        F.binary_cross_entropy_with_logits,
        torch.sigmoid,
        "sigmoid",
        _binary_targets,
        r"C = -\frac{1}{n}\sum_x \left[y \ln a^L + (1 - y)\ln(1 - a^L)\right]",
    ),
    "cross_entropy": Loss(
        "cross_entropy",
        F.cross_entropy,
        lambda z: torch.softmax(z, dim=-1),  # over the classes, also for a block of steps
        "softmax",
        _class_targets,
        r"C = -\frac{1}{n}\sum_x \ln a^L_{y(x)}",
    ),
    "mse": Loss(
        "mse",
        _half_squared_error,
        lambda z: z,
        "identity",
        _squared_targets,
        r"C = \frac{1}{2n}\sum_x \lVert a^L - y \rVert^2",
    ),
}


def get_loss(loss: str | Loss | None, task: str, n_outputs: int) -> Loss:
    """The named loss, or the natural one for the task and output width when `loss` is None."""
    if isinstance(loss, Loss):
        return loss
    if loss is None:
        if task == "regression":
            return LOSSES["mse"]
        return LOSSES["binary_cross_entropy" if n_outputs == 1 else "cross_entropy"]
    name = check_choice("loss", loss, LOSSES)
    if task == "regression" and name != "mse":
        raise ValueError(f"loss={loss!r} needs class labels; a regression data set allows 'mse'")
    return LOSSES[name]
