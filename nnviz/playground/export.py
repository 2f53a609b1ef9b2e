"""PlaygroundConfig.to_code: the run written out as a plain PyTorch script (torch + numpy).

The generators of the TF Playground sets are copied from nnviz.data.generators' own source, so
the script draws the very same points; the update w <- w - eta dC/dw is written out for sgd.
It reads the config through _Settings and never imports config.py, which imports this module.
Over 250 lines because most of it is the script itself, one template.
"""

from __future__ import annotations

import inspect
from string import Template
from typing import Any, Protocol

from nnviz.data import generators
from nnviz.data.dataset import PLANE_SETS, REGRESSION_SETS, Dataset
from nnviz.playground.options import CUSTOM, loss_for
from nnviz.playground.validation import query_text


class _Settings(Protocol):
    """What the script reads of a PlaygroundConfig."""

    @property
    def dataset(self) -> str: ...
    @property
    def noise(self) -> float: ...
    @property
    def test_fraction(self) -> float: ...
    @property
    def n_samples(self) -> int: ...
    @property
    def batch_size(self) -> int | str: ...
    @property
    def hidden(self) -> tuple[int, ...]: ...
    @property
    def features(self) -> tuple[str, ...]: ...
    @property
    def activation(self) -> str: ...
    @property
    def lr(self) -> float: ...
    @property
    def optimizer(self) -> str: ...
    @property
    def regularization(self) -> str: ...
    @property
    def reg_rate(self) -> float: ...
    @property
    def loss(self) -> str: ...
    @property
    def seed(self) -> int: ...
    def make_data(self, data: Dataset | None = None) -> Dataset: ...
    def changed(self, other: Any) -> tuple[str, ...]: ...


_SCRIPT = Template('''\
"""An nnviz Playground run as plain PyTorch: numpy and torch only$needs.

Written by nnviz's PlaygroundConfig.to_code(): the same data, network, initial weights,
shuffling and updates as nnviz's Trainer. Run it: python this_file.py [epochs]

$settings
"""

import math
import sys
from itertools import pairwise

import numpy as np
import torch
${functional}from torch import nn

SEED = $seed  # seeds the data, the initial weights and the shuffling
N_SAMPLES, NOISE, TEST_FRACTION = $n_samples, $noise, $test_fraction
HIDDEN = $hidden  # neurons per hidden layer
N_OUTPUTS = $n_outputs
LR = $lr  # eta, the learning rate
BATCH_SIZE = $batch_size  # None: full-batch gradient descent
REG_RATE = $reg_rate  # lambda, the weight of the penalty R
EPOCHS = 100
$generator

def make_data():
    """The data set, shuffled with the seed: X_train, y_train, X_test, y_test."""
    rng = np.random.default_rng(SEED)
$load
    order = rng.permutation(len(labels))[:N_SAMPLES]
    n_test = round(len(order) * TEST_FRACTION)
    inputs = inputs[order]
$inputs
    labels = $labels
    return inputs[n_test:], labels[n_test:], inputs[:n_test], labels[:n_test]


def make_model(n_inputs):
    """Linear layers [n_inputs, *HIDDEN, N_OUTPUTS], $activation between, seeded as nnviz.MLP."""
    sizes = [n_inputs, *HIDDEN, N_OUTPUTS]
    layers = []
    for n_in, n_out in pairwise(sizes):
        layers += [nn.Linear(n_in, n_out), $module]
    model = nn.Sequential(*layers[:-1])  # no sigma after the last layer: the cost applies it
    generator = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for layer in model[::2]:
            nn.init.xavier_uniform_(layer.weight, gain=$gain, generator=generator)
            layer.bias.zero_()
    return model


def cost(outputs, targets):
    """C, $cost_doc, mean over the batch."""
    return $cost


def train(epochs=EPOCHS, verbose=True):
    """Train for `epochs` passes over the training set; return the model and each step's loss."""
    X_train, y_train, X_test, y_test = make_data()
    model = make_model(X_train.shape[1])
    parameters = list(model.parameters())
$optimizer
    batch_size = len(X_train) if BATCH_SIZE is None else BATCH_SIZE
    shuffler = torch.Generator().manual_seed(SEED)  # a new order every epoch
    losses = []
    for epoch in range(epochs):
        order = torch.randperm(len(X_train), generator=shuffler)
        X_epoch, y_epoch = X_train[order], y_train[order]
        for start in range(0, len(X_train), batch_size):
            batch = slice(start, start + batch_size)
            loss = cost(model(X_epoch[batch]), y_epoch[batch])$penalty
            for parameter in parameters:
                parameter.grad = None
            loss.backward()
$update
            losses.append(loss.item())
        if verbose:
            with torch.no_grad():
                train_loss = cost(model(X_train), y_train).item()
                test_loss = cost(model(X_test), y_test).item() if len(X_test) else math.nan
            print(f"epoch {epoch + 1}: train loss {train_loss:.4f}, test loss {test_loss:.4f}")
    return model, losses


if __name__ == "__main__":
    train(int(sys.argv[1]) if len(sys.argv) > 1 else EPOCHS)
''')
_SIGMA_MODULES = {"relu": "nn.ReLU()", "tanh": "nn.Tanh()", "sigmoid": "nn.Sigmoid()"}
_GAINS = {"relu": "2**0.5", "tanh": "5 / 3", "sigmoid": "1.0", "linear": "1.0"}  # as nnviz.MLP
_COLUMNS = {"x1*x2": "x1 * x2", "x1^2": "x1 * x1", "x2^2": "x2 * x2", "sin(x1)": "torch.sin(x1)"}
_COLUMNS["sin(x2)"] = "torch.sin(x2)"
_COSTS = {
    "binary_cross_entropy": ("binary cross-entropy of sigmoid(outputs)",
                             "F.binary_cross_entropy_with_logits(outputs, targets)"),
    "cross_entropy": ("cross-entropy of softmax(outputs)", "F.cross_entropy(outputs, targets)"),
    "mse": ("half the squared error", "0.5 * (outputs - targets).pow(2).sum() / len(outputs)"),
}  # fmt: skip
_OPTIMIZERS = {
    "sgd": "    # plain gradient descent, written out in the loop",
    "momentum": "    optimizer = torch.optim.SGD(parameters, lr=LR, momentum=0.9)",
    "adam": "    optimizer = torch.optim.Adam(parameters, lr=LR)",
}
_WEIGHTS = "\n    weights = [layer.weight for layer in model[::2]]  # R leaves the biases alone"
_PENALTY = "\n            loss = loss + REG_RATE * sum({} for w in weights)  # C + lambda R"
_SGD_UPDATE = """\
            with torch.no_grad():
                for w in parameters:
                    w -= LR * w.grad  # the seed's update: w <- w - eta dC/dw"""


def _load_lines(config: _Settings) -> tuple[str, str, str]:
    """(generator source, lines that set inputs and labels, what the script needs besides)."""
    name = config.dataset
    if name in ("moons", "digits"):
        load = (
            "    from sklearn.datasets import make_moons\n\n"
            "    inputs, labels = make_moons(n_samples=N_SAMPLES, noise=NOISE, random_state=SEED)"
            if name == "moons"
            else "    from sklearn.datasets import load_digits\n\n"
            "    inputs, labels = load_digits(return_X_y=True)\n"
            "    inputs, labels = inputs / 16.0, labels.astype(np.int64)"
        )
        return "", load, " (and scikit-learn's data)"
    if name == "random":
        load = "    inputs, labels = rng.random((N_SAMPLES, 100)), rng.integers(0, 10, N_SAMPLES)"
        return "", load, ""
    if name == CUSTOM:
        load = (
            "    # Your own data: inputs (n, features) and labels (n,) as numpy arrays.\n"
            '    raise NotImplementedError("load your inputs and labels here")'
        )
        return "", load, ""
    # The very generator nnviz uses (TF Playground's), copied from nnviz.data.generators.
    function = generators.PLAYGROUND[name]
    source = "\n\n" + inspect.getsource(function)
    if name == "multi_gauss":
        rows = "".join(f"\n        {row}," for row in generators.BUMPS.tolist())
        source = f"\nBUMPS = np.array(\n    [{rows}\n    ]\n)\n" + source
    return source, f"    inputs, labels = {function.__name__}(rng, N_SAMPLES, NOISE)", ""


def script(config: _Settings, data: Dataset | None, defaults: _Settings) -> str:
    """A self-contained PyTorch script (torch + numpy) that trains `config`; see to_code.

    Its docstring lists the settings that differ from `defaults`."""
    if config.dataset == CUSTOM:
        data = config.make_data(data)  # checks it; gives the task and the output width
        task, n_outputs, name = data.task, data.n_outputs, data.name
    else:
        config.make_data(data)  # refuses data= for generated sets, as build does
        task = "regression" if config.dataset in REGRESSION_SETS else "classification"
        n_outputs = 10 if config.dataset in ("digits", "random") else 1
        name = config.dataset
    loss = loss_for(config.loss, task, n_outputs, name)
    generator, load, needs = _load_lines(config)
    inputs = "    inputs = torch.as_tensor(inputs, dtype=torch.float32)"
    if config.dataset == "digits" and config.noise > 0:
        inputs = (
            "    inputs = inputs + rng.normal(0.0, NOISE, inputs.shape)  # pixel noise\n" + inputs
        )
    if config.dataset in PLANE_SETS:
        columns = ", ".join(_COLUMNS.get(name, name) for name in config.features)
        inputs += (
            f"\n    x1, x2 = inputs[:, 0], inputs[:, 1]\n    inputs = torch.stack([{columns}], 1)"
        )
    labels = "torch.as_tensor(labels[order])"
    if loss == "cross_entropy":
        labels += ".long()"
    elif loss == "mse" and task == "classification" and n_outputs > 1:
        labels = f"F.one_hot({labels}.long(), N_OUTPUTS).float()"
    else:
        labels += ".float().reshape(-1, 1)"
    penalty = {"l1": "w.abs().sum()", "l2": "w.pow(2).sum()"}.get(config.regularization)
    changed = [
        f"    {field}={query_text(field, getattr(config, field))}"
        for field in config.changed(defaults)
    ]
    return _SCRIPT.substitute(
        settings="\n".join(["Settings that differ from the Playground's defaults:", *changed])
        if changed
        else "The Playground's default settings.",
        needs=needs,
        seed=config.seed,
        n_samples=config.n_samples,
        noise=repr(config.noise),
        test_fraction=repr(config.test_fraction),
        hidden=repr(config.hidden),
        n_outputs=n_outputs,
        lr=repr(config.lr),
        batch_size=None if config.batch_size == "full" else config.batch_size,
        reg_rate=repr(config.reg_rate),
        generator=generator,
        load=load,
        inputs=inputs,
        labels=labels,
        activation=config.activation,
        module=_SIGMA_MODULES.get(config.activation, "nn.Identity()"),
        gain=_GAINS[config.activation],
        cost_doc=_COSTS[loss][0],
        cost=_COSTS[loss][1],
        optimizer=_OPTIMIZERS[config.optimizer] + (_WEIGHTS if penalty else ""),
        functional="import torch.nn.functional as F\n" if "F." in _COSTS[loss][1] + labels else "",
        penalty=_PENALTY.format(penalty) if penalty else "",
        update=_SGD_UPDATE if config.optimizer == "sgd" else "            optimizer.step()",
    )
