"""Cost functions C and the output function that turns the last layer's z into the network's
answer a^L. Each pairing is the canonical one, so that delta^L = dC/dz^L = (a^L - y) / n.

Each cost comes in torch (for autograd) and in numpy (for nnviz.training.numpy_engine, which trains
without autograd): a numpy cost returns C and delta^L together; a Loss without them is
autograd-only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from nnviz.core import numpy_forms
from nnviz.core.checks import check_choice

Tensor = torch.Tensor
NumpyCost = Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]  # (z, y) -> C, delta^L
NumpyMetric = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class Loss:
    """A cost C(logits, targets), mean over the batch, with its output function and metric."""

    name: str
    function: Callable[[Tensor, Tensor], Tensor]  # mean over the batch
    output: Callable[[Tensor], Tensor]  # a^L from z^L
    output_name: str  # "sigmoid", "softmax" or "identity"
    prepare_targets: Callable[[Tensor, int], Tensor]  # dataset labels -> the form `function` takes
    formula: str  # LaTeX
    # The numpy engine's forms, on z^L and y as a float32 matrix (numpy_targets):
    # (z, y) -> (C, delta^L = (a^L - y) / n), and (z, y) -> the metric. None: autograd only.
    numpy_cost: NumpyCost | None = None
    numpy_metric: NumpyMetric | None = None

    def numpy_pair(self) -> tuple[NumpyCost, NumpyMetric]:
        """(numpy_cost, numpy_metric); TypeError for a loss trained by autograd only."""
        if self.numpy_cost is None or self.numpy_metric is None:
            raise TypeError(f"loss {self.name!r} has no numpy forms; it trains by autograd")
        return self.numpy_cost, self.numpy_metric

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


def numpy_targets(targets: Tensor, n_outputs: int) -> np.ndarray:
    """Targets in the form prepare_targets gives, as the seed's float32 matrix y (n, outputs):
    class indices become one-hot rows."""
    if targets.dtype == torch.int64:
        return np.eye(n_outputs, dtype=np.float32)[targets.reshape(-1).numpy()]
    matrix = targets.numpy().astype(np.float32, copy=False)
    return matrix.reshape(-1, 1) if matrix.ndim == 1 else matrix


def _numpy_binary_cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    # With s = 1 - 2y (labels are 0 or 1), C per example is ln(1 + e^(s z)) and a^L - y is
    # s * sigmoid(s z): both stay precise where the network is confidently right.
    sign = 1 - 2 * y
    signed = sign * z
    softplus = np.logaddexp(signed, 0)
    n = len(z)
    return softplus.sum() / n, sign * np.exp(signed - softplus) / n


def _numpy_cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    a, log_a = numpy_forms.softmax_and_log(z)
    n = len(z)
    return -np.vdot(y, log_a) / n, (a - y) / n


def _numpy_half_squared_error(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    residual = z - y
    n = len(z)
    return 0.5 * np.vdot(residual, residual) / n, residual / n


def _numpy_binary_accuracy(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((z > 0) == (y > 0.5)))


def _numpy_class_accuracy(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(z.argmax(1) == y.argmax(1)))


def _numpy_squared_metric(z: np.ndarray, y: np.ndarray) -> float:
    residual = np.square(y - z).sum()
    spread = np.square(y - y.mean(0)).sum()
    return float(1 - residual / max(spread, np.finfo(np.float32).tiny))


def numpy_squared_error_accuracy(outputs: np.ndarray, targets: np.ndarray) -> float:
    """squared_error_accuracy in numpy, on the target matrix y."""
    if outputs.shape[1] == 1:
        return float(np.mean((outputs > 0.5) == (targets > 0.5)))
    return _numpy_class_accuracy(outputs, targets)


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
        _numpy_binary_cross_entropy,
        _numpy_binary_accuracy,
    ),
    "cross_entropy": Loss(
        "cross_entropy",
        F.cross_entropy,
        lambda z: torch.softmax(z, dim=-1),  # over the classes, also for a block of steps
        "softmax",
        _class_targets,
        r"C = -\frac{1}{n}\sum_x \ln a^L_{y(x)}",
        _numpy_cross_entropy,
        _numpy_class_accuracy,
    ),
    "mse": Loss(
        "mse",
        _half_squared_error,
        lambda z: z,
        "identity",
        _squared_targets,
        r"C = \frac{1}{2n}\sum_x \lVert a^L - y \rVert^2",
        _numpy_half_squared_error,
        _numpy_squared_metric,
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
