"""The Playground's menus and limits: what each control offers, what a change costs, the
sentence that tells a visitor what a key takes (ALLOWED), and what the loss menu's choice means."""

from __future__ import annotations

from nnviz.core.activations import ACTIVATIONS
from nnviz.data.dataset import DATASETS, FEATURES, MAX_NOISE, MAX_TEST_FRACTION
from nnviz.training.trainer import OPTIMIZERS, REGULARIZATIONS

CUSTOM = "custom"  # "your own data": only through build(data=...), never in a link
LOSS_CHOICES = ("auto", "cross_entropy", "squared_error")  # auto: cross-entropy, or squares
LEARNING_RATES = (1e-05, 1e-04, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # TF's menu
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # TF's menu
MIN_LR, MAX_LR = LEARNING_RATES[0], LEARNING_RATES[-1]
MAX_REG_RATE = REG_RATES[-1]
MAX_HIDDEN_LAYERS, MAX_NEURONS = 8, 64  # TF offers 6 layers of 8; a bigger net still draws
MIN_SAMPLES, MAX_SAMPLES = 10, 5000  # more points than 5000 slow the live field down
MAX_SEED = 2**32 - 1
MAX_QUERY = 4096  # characters read from a query; a longer one is refused whole
DIGITS_IMAGES = 1797  # scikit-learn's bundled 8x8 digits; known here so no import is needed
CHANGE_LEVELS = ("none", "views", "live", "trainer", "model", "data")  # cheapest first
# What changing each field costs. data: a new data set, network and trainer. model: a new MLP
# and Trainer on the same data. trainer: same network shape, fresh seeded weights and a new
# Trainer (optimizer state, batching and the penalty are fixed at construction; TF resets on
# these too). live: trainer.set_lr(config.lr) on the running trainer. views: views only.
FIELD_LEVELS = {
    "dataset": "data", "noise": "data", "test_fraction": "data", "n_samples": "data",
    "features": "data", "seed": "data", "hidden": "model", "activation": "model", "loss": "model",
    "batch_size": "trainer", "optimizer": "trainer", "regularization": "trainer",
    "reg_rate": "trainer", "lr": "live", "show_test": "views", "discretize": "views",
}  # fmt: skip
ALLOWED = {
    "dataset": f"one of {', '.join(DATASETS)}, or {CUSTOM} (your own data, via build(data=...))",
    "noise": f"a number from 0 to {MAX_NOISE} (a fraction: 0.5 is TF's 50 %; "
    "for digits the pixel noise)",
    "test_fraction": f"a number from 0 (no test set) to {MAX_TEST_FRACTION}",
    "n_samples": f"a whole number from {MIN_SAMPLES} to {MAX_SAMPLES}",
    "batch_size": "a whole number from 1 to the training set's size, or 'full' (full batch)",
    "hidden": f"0 to {MAX_HIDDEN_LAYERS} layers of 1 to {MAX_NEURONS} neurons, e.g. (8, 8); "
    "in a link 8,8, or none for no hidden layer",
    "features": f"distinct names from {', '.join(FEATURES)}; in a link x1,x2",
    "activation": f"one of {', '.join(ACTIVATIONS)}",
    "lr": f"a number from {MIN_LR:g} to {MAX_LR:g}",
    "optimizer": f"one of {', '.join(OPTIMIZERS)}",
    "regularization": f"one of {', '.join(REGULARIZATIONS)}",
    "reg_rate": f"a number from 0 to {MAX_REG_RATE:g}",
    "loss": f"one of {', '.join(LOSS_CHOICES)}",
    "seed": f"a whole number from 0 to {MAX_SEED}",
    "show_test": "true or false",
    "discretize": "true or false",
}


def loss_for(loss: str, task: str, n_outputs: int, data_name: str) -> str:
    """The nnviz loss (a key of nnviz.LOSSES) that the `loss` choice means for a data set."""
    if loss == "squared_error" or (loss == "auto" and task == "regression"):
        return "mse"
    if task == "regression":
        raise ValueError(
            f"loss={loss!r} needs class labels; data set {data_name!r} is a regression "
            "and takes loss='squared_error' or 'auto'"
        )
    return "binary_cross_entropy" if n_outputs == 1 else "cross_entropy"
