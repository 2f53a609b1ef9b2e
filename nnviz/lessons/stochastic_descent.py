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

from nnviz.core.checks import check_int, check_number
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


@dataclass(frozen=True, slots=True)
class SeedRuleRun:
    """Per-example SGD with the correct first-layer step and with the seed's, same start and
    order: C on the whole training set after each epoch (the first entry: before training)."""

    epochs: np.ndarray  # 0, 1, ..., epochs
    correct: np.ndarray  # w <- w - eta dC/dw
    seed_rule: np.ndarray  # the first layer's w_ij <- w_ij - eta (dC/dw_ij) x_i

    def table(self) -> str:
        """C per epoch for both rules, rounded for printing."""
        rows = [f"{'epoch':>5} {'correct':>9} {'seed rule':>10}"]
        for epoch, right, seed in zip(self.epochs, self.correct, self.seed_rule, strict=True):
            rows.append(f"{int(epoch):>5} {right:>9.4f} {seed:>10.4f}")
        return "\n".join(rows)

    def chart(self) -> Chart:
        """Both curves of C against epochs."""
        series = (Series("w - eta dC/dw (correct)", self.epochs, self.correct, "lines+markers"),
                  Series("w - eta (dC/dw) x (the seed's)", self.epochs, self.seed_rule,
                         "lines+markers"))  # fmt: skip
        return Chart("per-example SGD: the correct rule and the seed's", series, "epochs",
                     "C on the training set")  # fmt: skip


def seed_rule_run(
    data, hidden: int = 6, lr: float = 0.3, epochs: int = 10, seed: int = 0
) -> SeedRuleRun:
    """Train two copies of one seeded 2-hidden-1 tanh network by per-example SGD in one seeded
    order: one with w <- w - eta dC/dw, one whose first layer steps by the seed's
    (dC/dw_ij) x_i instead (deeper layers, where x has no place, step correctly)."""
    hidden = check_int("hidden", hidden, minimum=1)
    lr = check_number("lr", lr, 0.0, strict_minimum=True)
    epochs = check_int("epochs", epochs, minimum=1)
    if data.task != "classification" or data.n_outputs != 1:
        raise ValueError(f"seed_rule_run needs two-class data; {data.name!r} is {data.task} with "
                         f"{data.n_outputs} outputs")  # fmt: skip
    loss = get_loss(None, data.task, 1)
    inputs = data.X_train.float()
    targets = loss.prepare_targets(data.y_train, 1)
    curves = []
    for seed_rule in (False, True):
        model = MLP([data.n_features, hidden, 1], activation="tanh", seed=seed)
        first = model.linear_layers()[0].weight
        parameters = list(model.parameters())
        order = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            costs = [float(loss.function(model(inputs), targets))]
        for _ in range(epochs):
            for k in torch.randperm(len(inputs), generator=order).tolist():
                cost = loss.function(model(inputs[k : k + 1]), targets[k : k + 1])
                gradients = torch.autograd.grad(cost, parameters)
                with torch.no_grad():
                    for parameter, gradient in zip(parameters, gradients, strict=True):
                        if seed_rule and parameter is first:
                            gradient = gradient * inputs[k][None, :]  # (dC/dw_ij) x_i: row j
                        parameter.sub_(lr * gradient)
            with torch.no_grad():
                costs.append(float(loss.function(model(inputs), targets)))
        curves.append(np.array(costs))
    return SeedRuleRun(np.arange(epochs + 1), curves[0], curves[1])
