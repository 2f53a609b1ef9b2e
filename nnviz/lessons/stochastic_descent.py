"""One example's and one mini-batch's gradient against the full-batch gradient (lesson 04).

    gradient_noise(model, data, ...)   how well a mini-batch gradient points along the full one
    per_example_gradients(model, data) every training example's own dC/dw, in one vmap call
    first_layer_gradient(model, x, y)  dC/dw_ij = delta_j x_i, and the seed's extra factor x

Records of plain numbers (nnviz.core.records Chart or the small frozen records below); no plotly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.func import functional_call, grad, vmap

from nnviz.core.checks import check_int
from nnviz.core.losses import get_loss
from nnviz.core.model import MLP
from nnviz.core.records import Chart, Series
from nnviz.lessons.checks import check_batch_sizes


@dataclass(frozen=True, slots=True)
class GradientNoise:
    """Cosine between sampled mini-batch gradients and the full-batch gradient, per batch size."""

    label: str
    batch_sizes: np.ndarray  # (k,) ints; n_train stands for the full batch
    mean: np.ndarray  # (k,) mean cosine over the samples
    std: np.ndarray  # (k,) its spread
    samples: int

    def series(self) -> tuple[Series, ...]:
        """The mean (markers and lines) and mean +- one std (dashed) against batch size."""
        name = f"{self.label} " if self.label else ""
        band = f"{name}mean ± 1 std"
        return (
            Series(f"{name}mean cosine", self.batch_sizes, self.mean, "lines+markers"),
            Series(band, self.batch_sizes, self.mean + self.std, dash=True),
            Series(band, self.batch_sizes, self.mean - self.std, dash=True),
        )

    def chart(self) -> Chart:
        """This record alone as a Chart (noise_chart puts several in one)."""
        return noise_chart(self)

    def summary(self) -> str:
        """One line per batch size: mean and std of the cosine."""
        return "\n".join(
            f"batch {int(b):>4}: cos = {m:.3f} ± {s:.3f}"
            for b, m, s in zip(self.batch_sizes, self.mean, self.std, strict=True)
        )


def noise_chart(*records: GradientNoise) -> Chart:
    """Several GradientNoise records (e.g. at the start and after training) in one panel."""
    series = tuple(s for record in records for s in record.series())
    return Chart(
        "cosine(mini-batch gradient, full-batch gradient)",
        series,
        "batch size",
        "cosine",
        x_log=True,
    )


def per_example_gradients(model: MLP, data) -> np.ndarray:
    """dC_x/dtheta for every training example x, (n_train, n_parameters) in float64."""
    loss = get_loss(None, data.task, model.n_outputs)
    inputs = data.X_train.to(torch.float32)
    targets = loss.prepare_targets(data.y_train, model.n_outputs)
    parameters = {name: p.detach() for name, p in model.named_parameters()}

    def cost(values: dict, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return loss.function(functional_call(model, values, (x[None],)), y[None])

    gradients = vmap(grad(cost), in_dims=(None, 0, 0))(parameters, inputs, targets)
    flat = [gradients[name].reshape(len(inputs), -1) for name in parameters]
    return torch.cat(flat, dim=1).double().numpy()


def gradient_noise(
    model: MLP,
    data,
    batch_sizes: Sequence[int | None] = (1, 2, 5, 10, 20, 50, None),
    samples: int = 200,
    seed: int = 0,
    label: str = "",
) -> GradientNoise:
    """Cosines of `samples` random batches per size (distinct examples within a batch) to the
    full-batch gradient of `model` on the training set."""
    n = int(data.X_train.shape[0])
    sizes = [n if b is None else b for b in check_batch_sizes(batch_sizes, n, full_batch=True)]
    samples = check_int("samples", samples, minimum=2)
    gradients = per_example_gradients(model, data)
    # C is a mean over the batch, so a batch's gradient is the mean of its examples' gradients.
    full = gradients.mean(axis=0)
    rng = np.random.default_rng(seed)
    means, stds = [], []
    for size in sizes:
        batches = rng.permuted(np.tile(np.arange(n), (samples, 1)), axis=1)[:, :size]
        batch_gradients = gradients[batches].mean(axis=1)
        norms = np.linalg.norm(batch_gradients, axis=1) * np.linalg.norm(full)
        cosines = batch_gradients @ full / np.maximum(norms, np.finfo(float).tiny)
        means.append(cosines.mean())
        stds.append(cosines.std())
    return GradientNoise(label, np.array(sizes), np.array(means), np.array(stds), samples)


# --------------------------------------------------------------------------- the seed's update
@dataclass(frozen=True, slots=True)
class FirstLayerGradient:
    """One example through the first layer: w_ij = [j, i] as in LayerRecord, (n_out, n_in)."""

    x: np.ndarray  # (n_in,) the example
    delta: np.ndarray  # (n_out,) delta_j^1 = dC/dz_j^1, by autograd
    gradient: np.ndarray  # dC/dw_ij^1 by autograd
    delta_x: np.ndarray  # delta_j x_i
    delta_x_x: np.ndarray  # delta_j x_i x_i: the seed's "dC/dw x" for the first layer

    def table(self, digits: int = 4) -> str:
        """One row per weight w_ij: the three quantities side by side."""
        rows = [f"{'i':>2} {'j':>2} {'dC/dw_ij':>12} {'delta_j*x_i':>12} {'delta_j*x_i*x_i':>16}"]
        for j, i in np.ndindex(self.gradient.shape):
            values = (self.gradient[j, i], self.delta_x[j, i], self.delta_x_x[j, i])
            rows.append(f"{i + 1:>2} {j + 1:>2} " + " ".join(f"{v:>12.{digits}f}" for v in values))
        return "\n".join(rows)


def first_layer_gradient(model: MLP, x, y) -> FirstLayerGradient:
    """dC/dw^1 on the one example (x, y) by autograd, with delta_j x_i and delta_j x_i x_i."""
    if not isinstance(model, MLP):
        raise TypeError(f"model must be an nnviz.MLP; got {type(model).__name__}")
    inputs = torch.as_tensor(x, dtype=torch.float32).reshape(1, -1)
    if inputs.shape[1] != model.n_inputs:
        raise ValueError(f"x must have {model.n_inputs} values; got {inputs.shape[1]}")
    target = torch.as_tensor(y).reshape(1)
    task = "classification" if not target.is_floating_point() else "regression"
    loss = get_loss(None, task, model.n_outputs)
    captured: list[torch.Tensor] = []
    # z^1 as the forward pass makes it, so autograd can also give dC/dz^1 = delta^1.
    first = model.linear_layers()[0]
    handle = first.register_forward_hook(lambda module, args, z: captured.append(z))
    try:
        targets = loss.prepare_targets(target, model.n_outputs)
        cost = loss.function(model(inputs), targets)
    finally:
        handle.remove()
    # autograd.grad leaves the parameters' .grad alone: asking changes nothing in the model.
    gradient, dc_dz = torch.autograd.grad(cost, [first.weight, captured[0]])
    delta, point = dc_dz[0].double().numpy(), inputs[0].double().numpy()
    delta_x = np.outer(delta, point)
    return FirstLayerGradient(point, delta, gradient.double().numpy(), delta_x, delta_x * point)
