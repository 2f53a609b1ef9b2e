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

engine="auto" picks numpy where that holds: on the CPU, for an nnviz.MLP whose parameters are
float32, trainable and unhooked, with an activation and a loss that carry numpy forms; anything
else trains by autograd (`refusal` says why). Module hooks never fire with this engine, as nothing
calls the module: LayerProbe takes this step's arrays from `layer_values()` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from nnviz.core.losses import Loss
from nnviz.core.model import MLP


@dataclass(frozen=True, slots=True)
class LayerValues:
    """One step of the numpy engine, per layer l (numpy arrays, valid until the next step)."""

    a_prev: tuple[np.ndarray, ...]  # a^(l-1), (batch, n_in): the batch, then sigma(z) per layer
    z: tuple[np.ndarray, ...]  # z^l, (batch, n_out); the last is the logits z^L
    delta: tuple[np.ndarray, ...]  # dC/dz^l of the data loss, (batch, n_out)
    gradient: np.ndarray  # dC_total/dtheta, flat in model.parameters() order (p.grad views it)
    parameters: tuple[np.ndarray, ...]  # the model's parameters now (views of their memory)


def refusal(model: nn.Module, loss: Loss, device: torch.device) -> str | None:
    """Why the numpy engine would not train this configuration exactly; None when it would."""
    if device.type != "cpu":
        return f"it runs on the CPU, and device={str(device)!r}"
    if not isinstance(model, MLP) or type(model).forward is not MLP.forward:
        return f"it knows the forward pass of nnviz.MLP only, and the model is a {type(model)}"
    layers = list(model.layers)
    expected = [p for layer in layers for p in (layer.weight, layer.bias)]
    parameters = list(model.parameters())
    if not all(type(layer) is nn.Linear for layer in layers) or [id(p) for p in parameters] != [
        id(p) for p in expected
    ]:
        return "the model has parameters or layers other than the MLP's Linear layers"
    if any(p.dtype != torch.float32 for p in parameters):
        return f"its arithmetic is float32, and the parameters are {parameters[0].dtype}"
    if not all(p.requires_grad for p in parameters):
        return "some parameters are frozen (requires_grad=False)"
    if any(getattr(p, "_backward_hooks", None) for p in parameters) or any(
        module._forward_hooks or module._forward_pre_hooks or module._backward_hooks
        for module in model.modules()
    ):
        return "the model has hooks, which only a forward pass through the module fires"
    activation = model.activation
    if activation.numpy_function is None or activation.numpy_derivative is None:
        return f"activation {activation.name!r} has no numpy form"
    if loss.numpy_cost is None or loss.numpy_metric is None:
        return f"loss {loss.name!r} has no numpy form"
    return None


class NumpyEngine:
    """Forward pass, backward pass and plain-SGD update of an nnviz.MLP in numpy (see above)."""

    def __init__(self, model: MLP, loss: Loss, regularization: str, reg_rate: float) -> None:
        self.model, self.loss = model, loss
        self._sigma = model.activation.numpy_function
        self._sigma_derivative = model.activation.numpy_derivative
        self._regularization = regularization
        self._rate = np.float32(reg_rate)
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
        self._forward: tuple = ()  # this step's a_prev, z and delta^L, for backward
        self._deltas: list[np.ndarray] | None = None  # this step's deltas, once backward ran
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
    def forward(self, inputs: np.ndarray, targets: np.ndarray) -> tuple[float, float]:
        """z and a of every layer for the batch; returns (C, lambda R) as floats."""
        if self._pointers != [p.data_ptr() for p in self._torch_parameters]:
            self.bind()  # someone replaced .data (model.to, load_state_dict(assign=True))
        sigma, a = self._sigma, inputs
        a_prev, zs = [inputs], []
        for transposed, bias in zip(self._transposed, self._biases, strict=True):
            if zs:  # the last z^L stays logits: the loss applies its own output function
                a = sigma(zs[-1])
                a_prev.append(a)
            z = a @ transposed
            z += bias
            zs.append(z)
        cost, delta = self.loss.numpy_cost(z, targets)
        self._forward, self._deltas = (a_prev, zs, delta), None
        return float(cost), self.penalty()

    def backward(self) -> None:
        """delta, dC/dW and dC/db of every layer, penalty included, into the flat gradient."""
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

    def sgd(self, eta: float) -> None:
        """The seed's update w <- w - eta dC/dw, on the model's parameters in place."""
        np.multiply(self.gradient, eta, out=self._step)
        for value, step in zip(self.parameters, self._steps, strict=True):
            value -= step

    def values(self) -> LayerValues | None:
        """The latest step's arrays, from its backward pass on (None before the first)."""
        if self._deltas is None:
            return None  # no step yet, or one that stopped after its forward pass
        a_prev, zs, _ = self._forward
        return LayerValues(
            tuple(a_prev), tuple(zs), tuple(self._deltas), self.gradient, tuple(self.parameters)
        )

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

    def measure(self, inputs: np.ndarray, targets: np.ndarray, metric) -> tuple[float, float]:
        """Data loss C and metric(z^L, y) over a whole split."""
        outputs = self.outputs(inputs)
        cost, _ = self.loss.numpy_cost(outputs, targets)
        return float(cost), float(metric(outputs, targets))
