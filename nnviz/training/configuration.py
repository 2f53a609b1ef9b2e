"""Checks that a Trainer's model, data set, loss and device fit together, each failing with a
message that names what to change.
"""

from __future__ import annotations

import torch
from torch import nn

from nnviz.core.checks import check_choice
from nnviz.core.losses import Loss
from nnviz.data.dataset import Dataset

DATA_ATTRIBUTES = ("X_train", "y_train", "X_test", "y_test", "task")


def check_data(data: object) -> None:
    """TypeError unless `data` looks like an nnviz Dataset."""
    for attribute in DATA_ATTRIBUTES:
        if not hasattr(data, attribute):
            raise TypeError(
                f"data must be an nnviz Dataset (make_dataset / from_arrays); "
                f"got {type(data).__name__} without .{attribute}"
            )


def check_device(device: str | torch.device) -> torch.device:
    """The torch.device for "cpu", "cuda" or "cuda:N"; ValueError for a GPU that is not here."""
    if isinstance(device, torch.device):
        device_type = device.type
    else:
        device_type = check_choice("device", str(device).split(":")[0], ("cpu", "cuda"))
    if device_type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but no CUDA GPU is available here; use device='cpu'")
    return torch.device(device)


def output_width(model: nn.Module, data: Dataset) -> int:
    """Width of z^L: the model's last size, else measured on one training example."""
    sizes = getattr(model, "sizes", None)
    if sizes is not None:
        return int(sizes[-1])
    with torch.no_grad():
        return int(model(data.X_train[:1].float()).shape[1])


def check_sizes(model: nn.Module, data: Dataset) -> None:
    """ValueError when the model's input width is not the data set's number of features."""
    sizes = getattr(model, "sizes", None)
    if sizes is None:
        return
    if sizes[0] != data.n_features:
        raise ValueError(
            f"model sizes={list(sizes)} take {sizes[0]} inputs but data set "
            f"{data.name!r} has {data.n_features} features; use sizes[0]={data.n_features}"
        )


def check_loss_fits(loss: Loss, width: int, data: Dataset) -> None:
    """ValueError when `width` outputs cannot be scored by `loss` on `data`'s targets."""
    if loss.name == "binary_cross_entropy" and (width != 1 or data.n_classes != 2):
        raise ValueError(
            f"loss='binary_cross_entropy' needs 2 classes and 1 output; data set "
            f"{data.name!r} has {data.n_classes} classes, the model {width} outputs"
        )
    if loss.name == "cross_entropy" and width != data.n_classes:
        raise ValueError(
            f"model has {width} outputs but data set {data.name!r} has {data.n_classes} "
            f"classes; use an output width of {data.n_classes} for loss='cross_entropy'"
        )
    if loss.name == "mse" and data.task == "regression" and width != data.n_outputs:
        raise ValueError(
            f"model has {width} outputs but data set {data.name!r} has "
            f"{data.n_outputs} targets; use an output width of {data.n_outputs}"
        )
    if loss.name == "mse" and data.task == "classification":
        # Squared error on labels: one output fits 0/1 labels, n_classes outputs one-hot.
        allowed = (1, data.n_classes) if data.n_classes == 2 else (data.n_classes,)
        if width not in allowed:
            raise ValueError(
                f"model has {width} outputs; loss='mse' on data set {data.name!r} with "
                f"{data.n_classes} classes needs an output width of "
                f"{' or '.join(map(str, allowed))}"
            )
