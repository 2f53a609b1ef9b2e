"""The seed's TensorFlow example in nnviz: a 100-50-10 ReLU network, softmax cross-entropy, Adam
with learning rate 0.01, trained full batch for 1000 epochs on 1000 random inputs with random
labels, then scored on 100 more random examples.

    trainer = seed_trainer(seed_data())         # the seed's network, optimizer and data
    run = run_seed_example(trainer)             # 1000 epochs; loss every 100, accuracies
    chart = accuracy_chart(run, digits_run)     # train/test accuracy per epoch, chance level

On noise the loss falls while test accuracy stays at chance: the network memorises its 1000
labels. The same network on real data (scikit-learn's 8x8 digits) generalises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from nnviz.core.checks import check_choice, check_int
from nnviz.core.model import MLP
from nnviz.core.records import Chart, Series
from nnviz.data.dataset import Dataset, make_dataset
from nnviz.training.trainer import Trainer

SEED_SIZES: tuple[int, int, int] = (100, 50, 10)  # input_size, hidden_size, output_size
SEED_LR = 0.01  # tf.train.AdamOptimizer(learning_rate=0.01)
SEED_EPOCHS = 1000  # for epoch in range(1000)
SEED_REPORT_EVERY = 100  # if epoch % 100 == 0: print(...)
SEED_TRAIN, SEED_TEST = 1000, 100  # np.random.rand(1000, ...) and np.random.rand(100, ...)
INITS = ("normal", "glorot")


class SeedMLP(MLP):
    """nnviz.MLP drawn as the seed draws it: every weight and bias from N(0, 1), tf.random_normal.

    Overriding reset_parameters keeps a dashboard's Reset button faithful to the seed too."""

    def __init__(self, sizes: Sequence[int] = SEED_SIZES, seed: int = 0) -> None:
        super().__init__(sizes, activation="relu", seed=seed)

    def reset_parameters(self, seed: int | None = None) -> None:
        """Draw every weight and bias again from the standard normal distribution."""
        generator = torch.Generator().manual_seed(self.seed if seed is None else seed)
        with torch.no_grad():
            for parameter in self.parameters():
                parameter.copy_(torch.randn(parameter.shape, generator=generator))


def seed_data(seed: int = 0) -> Dataset:
    """The seed's data: 1000 training and 100 test examples of 100 uniform inputs, 10 classes."""
    return make_dataset(
        "random",
        n_samples=SEED_TRAIN + SEED_TEST,
        test_fraction=SEED_TEST / (SEED_TRAIN + SEED_TEST),
        seed=seed,
    )


def seed_trainer(
    data: Dataset | None = None, init: str = "normal", hidden: int = 50, seed: int = 0
) -> Trainer:
    """The seed's network and optimizer (Adam, lr 0.01, full batch, softmax cross-entropy) for
    `data`: its inputs, `hidden` ReLU units, one output per class; `init` "normal" as the seed
    (N(0, 1)), "glorot" as nnviz.MLP."""
    data = seed_data(seed) if data is None else data
    init = check_choice("init", init, INITS)
    hidden = check_int("hidden", hidden, minimum=1)
    if data.task != "classification" or data.n_classes is None:
        raise ValueError(f"data must be a classification data set; {data.name!r} is {data.task}")
    sizes = (data.n_features, hidden, data.n_classes)
    model = SeedMLP(sizes, seed=seed) if init == "normal" else MLP(sizes, "relu", seed=seed)
    return Trainer(
        model,
        data,
        lr=SEED_LR,
        batch_size=None,  # feed_dict={X: X_train, ...}: every update sees all 1000 examples
        optimizer="adam",
        loss="cross_entropy",
        seed=seed,
        divergence_factor=None,  # the seed's loop never stops early
    )


@dataclass(frozen=True, slots=True)
class MemorizationRun:
    """One run of the seed's loop: the loss per epoch and the accuracies as it went."""

    name: str
    loss: np.ndarray  # per epoch: C on the training set at its start (full batch), as printed
    epochs: np.ndarray  # epochs after which the accuracies were measured, from 0
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    chance: float  # accuracy of guessing: 1 / number of classes

    def reported(self, every: int = SEED_REPORT_EVERY) -> list[tuple[int, float]]:
        """(epoch, loss) at the epochs the seed prints: 0, every, 2 * every, ..."""
        every = check_int("every", every, minimum=1)
        return [(epoch, float(self.loss[epoch])) for epoch in range(0, len(self.loss), every)]

    @property
    def final_train_accuracy(self) -> float:
        """Accuracy on the training set after the last epoch."""
        return float(self.train_accuracy[-1])

    @property
    def final_test_accuracy(self) -> float:
        """Accuracy on the test set after the last epoch."""
        return float(self.test_accuracy[-1])


def run_seed_example(
    trainer: Trainer, epochs: int = SEED_EPOCHS, eval_every: int = 10, name: str | None = None
) -> MemorizationRun:
    """Train `trainer` for `epochs` more epochs, measuring both accuracies every `eval_every`."""
    epochs = check_int("epochs", epochs, minimum=1)
    eval_every = check_int("eval_every", eval_every, minimum=1)
    classes = trainer.data.n_classes
    if trainer.data.task != "classification" or classes is None:
        raise ValueError(f"trainer must train a classifier; its data is {trainer.data.task}")
    if trainer.steps_left_in_epoch != trainer.steps_per_epoch:
        raise ValueError("trainer is in the middle of an epoch; start from an epoch's beginning")
    start_epoch, losses = trainer.epoch, []
    measured = [(0, trainer.evaluate())]
    for done in range(eval_every, epochs + eval_every, eval_every):
        count = min(done, epochs) - measured[-1][0]
        steps_before = trainer.step_count
        trainer.fit(epochs=count)
        if trainer.diverged is not None:
            raise RuntimeError(trainer.divergence_message)
        # Each step's loss is taken before its update, as sess.run([optimizer, loss]) returns
        # it; full batch, that is C over the whole training set at the start of the epoch.
        # Mini-batches: the mean over the epoch's batches.
        taken = trainer.history.steps.recent("loss", trainer.step_count - steps_before)
        losses.extend(taken.reshape(count, -1).mean(axis=1))
        measured.append((min(done, epochs), trainer.evaluate()))
    return MemorizationRun(
        name=trainer.data.name if name is None else name,
        loss=np.asarray(losses, dtype=float),
        epochs=np.array([start_epoch + epoch for epoch, _ in measured]),
        train_accuracy=np.array([evaluation.train_metric for _, evaluation in measured]),
        test_accuracy=np.array([evaluation.test_metric for _, evaluation in measured]),
        chance=1.0 / classes,
    )


def accuracy_chart(*runs: MemorizationRun) -> Chart:
    """Train (solid) and test (dashed) accuracy against epochs for each run, with chance level."""
    if not runs or not all(isinstance(run, MemorizationRun) for run in runs):
        raise TypeError(f"runs must be one or more MemorizationRun records; got {runs!r}")
    series = []
    for run in runs:
        series.append(Series(f"{run.name}: train", run.epochs, run.train_accuracy))
        series.append(Series(f"{run.name}: test", run.epochs, run.test_accuracy, dash=True))
    last = max(int(run.epochs[-1]) for run in runs)
    chances = sorted({run.chance for run in runs})
    for chance in chances:
        label = "chance" if len(chances) == 1 else f"chance ({chance:.2g})"
        series.append(Series(label, np.array([0, last]), np.array([chance, chance]), dash=True))
    return Chart("Accuracy while training", tuple(series), x_title="epoch", y_title="accuracy")


def loss_chart(*runs: MemorizationRun) -> Chart:
    """The training loss C per epoch of each run, on a log scale."""
    if not runs or not all(isinstance(run, MemorizationRun) for run in runs):
        raise TypeError(f"runs must be one or more MemorizationRun records; got {runs!r}")
    series = tuple(Series(f"{run.name}: train", np.arange(len(run.loss)), run.loss) for run in runs)
    return Chart("Training loss C", series, x_title="epoch", y_title="C", y_log=True)
