"""FieldProbe: the network over its input plane, as TF Playground draws it, for the views.

On 2-D data (the Playground sets, moons, any 2-column data) one forward pass evaluates the model
on a fine resolution x resolution grid (the decision boundary), on a coarse thumbnail grid (every
neuron's a_j^l, the Playground's small squares) and on the test split (unit means, confusion
counts). On other data (digits, random) only the split. All of it returns in one host transfer.

The plane's extent is the data's own (train and test points) with `padding` on each side, made
square; the Playground's own sets get its fixed [-6, 6]^2 unless a point (noise) lies outside.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

from nnviz.core.callbacks import Callback
from nnviz.core.checks import check_int, check_number
from nnviz.core.records import DataRecord, FieldRecord

if TYPE_CHECKING:
    from nnviz.data.dataset import Dataset
    from nnviz.training.trainer import Trainer

PLAYGROUND_SETS = ("circle", "xor", "gauss", "spiral", "plane", "multi_gauss")
_PLAYGROUND_HALF_WIDTH = 6.0


class FieldProbe(Callback):
    """Evaluates the network over the input plane; the Runner calls `snapshot` per publish."""

    def __init__(self, resolution: int = 64, thumbnail: int = 16, padding: float = 0.1) -> None:
        self.resolution = check_int("resolution", resolution, minimum=2, maximum=512)
        self.thumbnail = check_int("thumbnail", thumbnail, minimum=2, maximum=128)
        # A fraction of the data's span added on each side, so edge points are not on the border.
        self.padding = check_number("padding", padding, minimum=0.0, maximum=1.0)
        self._lock = threading.Lock()  # snapshot runs on the training thread, data_record anywhere
        self._records: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._inputs: tuple | None = None  # (dataset, device, inputs on the device, split rows)

    # ------------------------------------------------------------------ the data set
    def data_record(self, dataset: Dataset) -> DataRecord:
        """The DataRecord of `dataset`, built once and then the very same object."""
        with self._lock:
            record = self._records.get(dataset)
            if record is None:
                record = self._records[dataset] = _build_data_record(dataset, self.padding)
            return record

    # ------------------------------------------------------------------ the snapshot
    def snapshot(self, trainer: Trainer) -> FieldRecord:
        """The model's field now: grids on 2-D data, confusion and unit means on any data."""
        data = self.data_record(trainer.data)
        model, loss = trainer.model, trainer.loss
        parameter = next(model.parameters(), None)
        device = trainer.device if parameter is None else parameter.device
        inputs, n_grid, n_thumb, n_split, split, labels, axes = self._inputs_for(
            trainer.data, data, device
        )
        R, r = self.resolution, self.thumbnail
        with torch.no_grad():  # restores the caller's autograd mode on leaving
            activations, logits = _activations(model, loss, inputs)
            pieces: list[torch.Tensor] = []  # packed into one tensor: one host transfer
            output = activations[-1]
            if n_grid:
                grid = output[:n_grid]
                pieces += _plane_output(grid, logits[:n_grid], data, loss.output_name)
                thumb = slice(n_grid, n_grid + n_thumb)
                pieces += [a[thumb].T.reshape(-1) for a in activations]
            split_rows = slice(n_grid + n_thumb, n_grid + n_thumb + n_split)
            pieces += [a[split_rows].mean(0) for a in activations]
            if data.task == "classification" and n_split:
                predicted = _predicted(logits[split_rows], loss.name)
                k = data.n_classes
                counts = torch.bincount(labels * k + predicted, minlength=k * k)
                pieces.append(counts.to(torch.float32))  # exact below 2^24 examples
            layers = list(getattr(model, "layers", ()))
            pieces += [p for layer in layers for p in (layer.weight, layer.bias)]
            packed = torch.cat([piece.reshape(-1).to(torch.float32) for piece in pieces])
        host = packed.cpu().numpy()
        widths = [a.shape[1] for a in activations]
        offset = 0

        def take(size: int, shape: tuple[int, ...]) -> np.ndarray:
            nonlocal offset
            offset += size
            return host[offset - size : offset].reshape(shape)

        fields: dict = {}
        if n_grid:
            fields["output"] = take(R * R, (R, R))
            if data.task == "classification" and data.n_classes > 2:
                fields["confidence"] = take(R * R, (R, R))
            fields["neurons"] = tuple(take(n * r * r, (n, r, r)) for n in widths)
            fields.update(axes)
        fields["unit_means"] = tuple(take(n, (n,)) for n in widths)
        if data.task == "classification" and n_split:
            k = data.n_classes
            fields["confusion"] = take(k * k, (k, k)).astype(np.int64)
        shapes = [tuple(layer.weight.shape) for layer in layers]
        parameters = [(take(o * i, (o, i)), take(o, (o,))) for o, i in shapes]
        fields["weights"] = tuple(weight for weight, _ in parameters)
        fields["biases"] = tuple(bias for _, bias in parameters)
        return FieldRecord(step=int(trainer.step_count), data=data, confusion_split=split, **fields)

    def _inputs_for(self, dataset: Dataset, data: DataRecord, device: torch.device) -> tuple:
        """Grid, thumbnail and split inputs in one tensor on `device`, built once per data set."""
        with self._lock:
            cached = self._inputs
            if cached is not None and cached[0] is dataset and cached[1] == device:
                return cached[2:]
        split = "test" if len(dataset.X_test) else "train"
        features = dataset.X_test if split == "test" else dataset.X_train
        targets = dataset.y_test if split == "test" else dataset.y_train
        blocks, n_grid, n_thumb, axes = [], 0, 0, {}
        if data.extent is not None:
            for size, prefix in ((self.resolution, "grid"), (self.thumbnail, "thumb")):
                x_axis, y_axis = _grid_axes(data.extent, size)
                axes.update({f"{prefix}_x": x_axis, f"{prefix}_y": y_axis})
                y, x = np.meshgrid(y_axis, x_axis, indexing="ij")  # rows follow y, as in z
                points = torch.from_numpy(np.stack([x.ravel(), y.ravel()], axis=1))
                blocks.append(dataset.features_of(points))
            n_grid, n_thumb = self.resolution**2, self.thumbnail**2
        blocks.append(features.to(torch.float32))
        inputs = torch.cat(blocks).to(device)
        labels = targets.reshape(-1).to(device, torch.int64) if data.task != "regression" else None
        entry = (dataset, device, inputs, n_grid, n_thumb, len(features), split, labels, axes)
        with self._lock:
            self._inputs = entry
        return entry[2:]

    def __repr__(self) -> str:
        return (
            f"FieldProbe(resolution={self.resolution}, thumbnail={self.thumbnail}, "
            f"padding={self.padding:g})"
        )


def _activations(model: torch.nn.Module, loss, inputs: torch.Tensor) -> tuple[list, torch.Tensor]:
    """a^0 = inputs, ..., a^L (after the loss's output function), and the logits z^L."""
    layers = getattr(model, "layers", None)
    activation = getattr(model, "activation", None)
    if layers is None or activation is None:  # any other module: inputs and output only
        logits = model(inputs)
        return [inputs, loss.output(logits)], logits
    # F.linear rather than layer(x): no forward hook (a LayerProbe's, say) sees these rows.
    activations, a, last = [inputs], inputs, len(layers) - 1
    for index, layer in enumerate(layers):
        z = F.linear(a, layer.weight, layer.bias)
        a = activation.function(z) if index < last else loss.output(z)
        activations.append(a)
    return activations, z


def _plane_output(
    output: torch.Tensor, logits: torch.Tensor, data: DataRecord, output_name: str
) -> list[torch.Tensor]:
    """FieldRecord.output (and confidence) from a^L on the grid rows."""
    if data.task == "regression":
        return [output[:, 0]]  # the first target when there are several
    if data.n_classes == 2:
        if output.shape[1] == 1:  # sigmoid: P(class 1); squared error: the output, clipped
            return [output[:, 0] if output_name == "sigmoid" else output[:, 0].clamp(0, 1)]
        if output_name == "softmax":
            return [output[:, 1]]
        # Two squared-error outputs: 0.5 exactly where they are equal, as a probability is.
        return [((output[:, 1] - output[:, 0] + 1) / 2).clamp(0, 1)]
    confidence = output.max(dim=1).values
    if output_name != "softmax":
        confidence = confidence.clamp(0, 1)
    return [logits.argmax(1).to(torch.float32), confidence]


def _predicted(logits: torch.Tensor, loss_name: str) -> torch.Tensor:
    """Predicted class from z^L, by the trainer's own accuracy rule."""
    if logits.shape[1] > 1:
        return logits.argmax(1)
    threshold = 0.0 if loss_name == "binary_cross_entropy" else 0.5
    return (logits[:, 0] > threshold).to(torch.int64)


def _grid_axes(extent: tuple[float, ...], size: int) -> tuple[np.ndarray, np.ndarray]:
    """`size` evenly spaced x1 and x2 values over the extent, ends included."""
    x_min, x_max, y_min, y_max = extent
    axes = (
        np.linspace(x_min, x_max, size, dtype=np.float32),
        np.linspace(y_min, y_max, size, dtype=np.float32),
    )
    for axis in axes:
        axis.setflags(write=False)  # shared by every record of this data set
    return axes


def _build_data_record(dataset: Dataset, padding: float) -> DataRecord:
    """Numpy copies of what the views draw: targets, raw points and the plane's extent."""

    def targets(y: torch.Tensor) -> np.ndarray:
        y = y.detach().cpu()
        if dataset.task == "regression":
            return y.reshape(len(y), -1)[:, 0].numpy().astype(np.float32)  # the first target
        return y.reshape(-1).numpy().astype(np.int64)

    train: np.ndarray | None = None
    test: np.ndarray | None = None
    extent: tuple[float, float, float, float] | None = None
    if dataset.raw_train is not None and dataset.raw_test is not None:
        train = dataset.raw_train.detach().cpu().numpy().astype(np.float32)
        test = dataset.raw_test.detach().cpu().numpy().astype(np.float32).reshape(-1, 2)
        extent = _extent(np.concatenate([train, test]), padding, dataset.name)
    return DataRecord(
        name=dataset.name,
        task=dataset.task,
        n_classes=int(dataset.n_classes or 0),
        feature_names=tuple(dataset.feature_names),
        train_targets=targets(dataset.y_train),
        test_targets=targets(dataset.y_test),
        train_points=train,
        test_points=test,
        extent=extent,
    )


def _extent(points: np.ndarray, padding: float, name: str) -> tuple[float, float, float, float]:
    """The Playground's [-6, 6]^2 for its sets when every point is inside it, else a padded
    square around the points."""
    limit = _PLAYGROUND_HALF_WIDTH
    if name in PLAYGROUND_SETS and (len(points) == 0 or np.abs(points).max() <= limit):
        return (-limit, limit, -limit, limit)
    low, high = points.min(axis=0).astype(np.float64), points.max(axis=0).astype(np.float64)
    centre, half = (low + high) / 2, (high - low).max() / 2
    half = max(half * (1 + 2 * padding), 1e-3)  # a single point still gets a plane
    x, y = (float(value) for value in centre)
    return (x - half, x + half, y - half, y + half)
