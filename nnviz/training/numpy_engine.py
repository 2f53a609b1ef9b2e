"""The numpy engine: the seed's equations of backpropagation written out in float32 numpy, on the
model's own parameter memory, in place of torch's autograd.

    z^l = a^(l-1) W^T + b             a^l = sigma(z^l)    (the last layer keeps z^L: logits)
    delta^L = (a^L - y) / n            delta^l = (delta^(l+1) W^(l+1)) * sigma'(z^l)
    dC/dW^l = delta^T a^(l-1)          dC/db^l = delta summed over the batch
    + lambda dR/dW (L1: sign w, L2: 2 w; weights only)     w <- w - eta dC_total/dw  (plain SGD)

Why: for the lessons' networks (2-8-8-1, batch 10) each torch call costs microseconds of fixed
overhead while its arithmetic costs nanoseconds, and autograd adds a graph per step (its backward
alone took ~300 us here). The same arithmetic as ~40 numpy calls is several times faster, which
is what lets a dashboard train at the Playground's speed while its views refresh.

Why it is the same training: these are the very equations autograd differentiates (for tanh and
sigmoid autograd also writes sigma' from a = sigma(z); for ReLU sigma'(0) = 0 likewise), in the
same float32, on the same parameters: `p.detach().numpy()` shares the parameter's memory, so the
nn.Module is trained in place and torch code sees every update. Gradients are written into one
flat buffer whose views are the parameters' `.grad`, so callbacks reading p.grad keep working and
torch.optim's momentum and Adam step on them: the very same code, so exactly their semantics.
Results differ from autograd's only by float32 rounding (another order of the same sums).

Which configurations it trains exactly, and so where engine="auto" picks it, is
nnviz.training.compatibility's to say. Module hooks never fire with this engine, as nothing calls
the module: LayerProbe takes this step's arrays from `layer_values()` instead.
"""

from __future__ import annotations

import contextlib
from typing import TypeVar

import numpy as np
import torch
from torch import nn

from nnviz.core.losses import Loss, numpy_squared_error_accuracy, numpy_targets
from nnviz.core.model import MLP
from nnviz.core.trainer_protocol import LayerValues
from nnviz.training.compatibility import refusal
from nnviz.training.engine import TrainingSets


class NumpyEngine:
    """Forward pass, backward pass and plain-SGD update of an nnviz.MLP in numpy (see above)."""

    name = "numpy"

    def __init__(
        self,
        model: nn.Module,
        loss: Loss,
        regularization: str,
        reg_rate: float,
        sets: TrainingSets,
        labels_by_squares: bool = False,
    ) -> None:
        reason = refusal(model, loss, sets.train_inputs.device)
        if reason is not None or not isinstance(model, MLP):
            raise ValueError(f"the numpy engine cannot train this configuration exactly: {reason}")
        self.model, self.loss = model, loss
        # refusal() has checked that each of these numpy forms exists.
        self._sigma = _present(model.activation.numpy_function)
        self._sigma_derivative = _present(model.activation.numpy_derivative)
        self._cost = _present(loss.numpy_cost)
        # Squared error on class labels (TF Playground's choice) is scored by accuracy.
        self._metric = _present(
            numpy_squared_error_accuracy if labels_by_squares else loss.numpy_metric
        )
        self._regularization = regularization
        self._rate = np.float32(reg_rate)
        # The splits as numpy: inputs share the tensors' memory, targets become the matrix y.
        self._train_inputs = sets.train_inputs.numpy()
        self._train_targets = numpy_targets(sets.train_targets, sets.n_outputs)
        self._test_inputs = sets.test_inputs.numpy()
        self._test_targets = numpy_targets(sets.test_targets, sets.n_outputs)
        self._val = (
            None
            if sets.val_inputs is None or sets.val_targets is None
            else (sets.val_inputs.numpy(), numpy_targets(sets.val_targets, sets.n_outputs))
        )
        self._epoch_inputs, self._epoch_targets = self._train_inputs, self._train_targets
        self._torch_parameters = list(model.parameters())
        sizes = [p.numel() for p in self._torch_parameters]
        # One flat buffer holds every gradient, and another eta times it for the update.
        self.gradient = np.zeros(sum(sizes), np.float32)
        self._step = np.zeros_like(self.gradient)
        self._gradient_tensors = [
            chunk.view(p.shape)
            for chunk, p in zip(
                torch.from_numpy(self.gradient).split(sizes), self._torch_parameters, strict=True
            )
        ]
        gradients = [g.numpy() for g in self._gradient_tensors]
        self._weight_gradients, self._bias_gradients = gradients[0::2], gradients[1::2]
        self._steps = [
            s.view(p.shape).numpy()
            for s, p in zip(
                torch.from_numpy(self._step).split(sizes), self._torch_parameters, strict=True
            )
        ]
        self._before: list[np.ndarray] = []  # where copy_before_step writes
        # This step's a_prev, z and delta^L, for backward; its deltas once backward ran.
        self._forward: tuple[list[np.ndarray], list[np.ndarray], np.ndarray] | None = None
        self._deltas: list[np.ndarray] | None = None
        self.bind()

    def bind(self) -> None:
        """Take numpy views of the parameters' memory (again after the model swapped tensors)."""
        reason = refusal(self.model, self.loss, self._torch_parameters[0].device)
        if reason is not None:
            raise RuntimeError(
                f"the model changed during training and the numpy engine can no longer train "
                f"it: {reason}; make a new Trainer (engine='autograd' trains anything)"
            )
        self._pointers = [p.data_ptr() for p in self._torch_parameters]
        self.parameters = [p.detach().numpy() for p in self._torch_parameters]
        self._weights, self._biases = self.parameters[0::2], self.parameters[1::2]
        self._transposed = [weight.T for weight in self._weights]

    # ------------------------------------------------------------------ one training step
    def start_epoch(self, order: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor) -> None:
        """Take this epoch's shuffled training set (inputs as numpy, targets as y[order])."""
        self._epoch_inputs = inputs.numpy()  # the same memory
        self._epoch_targets = self._train_targets[order.numpy()]

    def forward(self, start: int, stop: int) -> tuple[float, float]:
        """z and a of every layer for the epoch's examples [start, stop); returns (C, lambda R)."""
        if self._pointers != [p.data_ptr() for p in self._torch_parameters]:
            self.bind()  # someone replaced .data (model.to, load_state_dict(assign=True))
        inputs, targets = self._epoch_inputs[start:stop], self._epoch_targets[start:stop]
        sigma, a = self._sigma, inputs
        a_prev: list[np.ndarray] = [inputs]
        zs: list[np.ndarray] = []
        for transposed, bias in zip(self._transposed, self._biases, strict=True):
            if zs:  # the last z^L stays logits: the loss applies its own output function
                a = sigma(zs[-1])
                a_prev.append(a)
            z = a @ transposed
            z += bias
            zs.append(z)
        cost, delta = self._cost(z, targets)
        self._forward, self._deltas = (a_prev, zs, delta), None
        return float(cost), self.penalty()

    def backward(self) -> None:
        """delta, dC/dW and dC/db of every layer, penalty included, into the flat gradient."""
        if self._forward is None:
            raise RuntimeError("backward() needs a forward() first")
        a_prev, zs, delta = self._forward
        deltas = [delta] * len(zs)
        for l in range(len(zs) - 1, -1, -1):
            deltas[l] = delta
            np.matmul(delta.T, a_prev[l], out=self._weight_gradients[l])
            np.add.reduce(delta, axis=0, out=self._bias_gradients[l])
            if l:
                delta = (delta @ self._weights[l]) * self._sigma_derivative(zs[l - 1], a_prev[l])
        if self._regularization == "l2":
            for weight, gradient in zip(self._weights, self._weight_gradients, strict=True):
                gradient += (2 * self._rate) * weight
        elif self._regularization == "l1":
            for weight, gradient in zip(self._weights, self._weight_gradients, strict=True):
                gradient += self._rate * np.sign(weight)
        for parameter, gradient in zip(self._torch_parameters, self._gradient_tensors, strict=True):
            if parameter.grad is not gradient:  # another trainer (autograd) replaced it
                parameter.grad = gradient
        self._deltas = deltas

    def bind_before_step(self, before: list[torch.Tensor]) -> None:
        """Write copy_before_step into `before` (through numpy views: cheaper copies)."""
        self._before = [tensor.numpy() for tensor in before]

    def copy_before_step(self) -> None:
        """Copy the parameters into the bound before-step tensors."""
        for before, value in zip(self._before, self.parameters, strict=True):
            before[...] = value

    def sgd(self, eta: float) -> None:
        """The seed's update w <- w - eta dC/dw, on the model's parameters in place."""
        np.multiply(self.gradient, eta, out=self._step)
        for value, step in zip(self.parameters, self._steps, strict=True):
            value -= step

    def layer_values(self) -> LayerValues | None:
        """The latest step's arrays, from its backward pass on (None before the first)."""
        if self._forward is None or self._deltas is None:
            return None  # no step yet, or one that stopped after its forward pass
        a_prev, zs, _ = self._forward
        return LayerValues(
            tuple(a_prev), tuple(zs), tuple(self._deltas), self.gradient, tuple(self.parameters)
        )

    def quiet(self) -> contextlib.AbstractContextManager[object]:
        """No numpy warnings: a run about to diverge overflows to inf, which the divergence check
        reports (torch never warns either). Entered once per session: it costs more than a step's
        numpy operation."""
        return np.errstate(over="ignore", invalid="ignore", divide="ignore")

    # ------------------------------------------------------------------ measuring
    def penalty(self) -> float:
        """lambda R: lambda sum |w| (L1) or lambda sum w^2 (L2) over the weights."""
        if self._regularization == "l1":
            return float(self._rate * sum(np.abs(weight).sum() for weight in self._weights))
        if self._regularization == "l2":
            return float(self._rate * sum(np.vdot(weight, weight) for weight in self._weights))
        return 0.0

    def outputs(self, inputs: np.ndarray) -> np.ndarray:
        """The logits z^L for `inputs`, keeping nothing."""
        if self._pointers != [p.data_ptr() for p in self._torch_parameters]:
            self.bind()
        a, last = inputs, len(self._weights) - 1
        for index, (transposed, bias) in enumerate(
            zip(self._transposed, self._biases, strict=True)
        ):
            a = a @ transposed
            a += bias
            if index < last:
                a = self._sigma(a)
        return a

    def measure(self, train: bool) -> tuple[float, float]:
        """Data loss C and metric(z^L, y) over the training or the test split."""
        inputs, targets = (
            (self._train_inputs, self._train_targets)
            if train
            else (self._test_inputs, self._test_targets)
        )
        return self._measure(inputs, targets)

    def measure_validation(self) -> tuple[float, float]:
        """Data loss C and metric(z^L, y) over the validation split."""
        if self._val is None:
            raise ValueError("this data set has no validation split (Dataset.with_validation)")
        return self._measure(*self._val)

    def _measure(self, inputs: np.ndarray, targets: np.ndarray) -> tuple[float, float]:
        outputs = self.outputs(inputs)
        cost, _ = self._cost(outputs, targets)
        return float(cost), float(self._metric(outputs, targets))


Form = TypeVar("Form")


def _present(form: Form | None) -> Form:
    if form is None:
        raise ValueError("the numpy engine needs the numpy form of the activation and the loss")
    return form
