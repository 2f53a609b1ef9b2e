"""The records that flow from the training side to the views: plain Python floats and numpy
arrays, never tensors, so views need no torch and a record can be kept or sent as it is.

    Trainer.step -> StepRecord (+ Evaluation)      LayerProbe -> ProbeRecord (LayerRecord per layer)
    FieldProbe -> FieldRecord (the network over the input plane, with the DataRecord it drew)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

QUANTITIES = ("a", "z", "delta")  # what LayerProbe summarises per layer


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Losses and metric over the whole train and test sets after `step` updates."""

    step: int
    train_loss: float  # data loss C, without the penalty
    test_loss: float  # nan when there is no test split
    penalty: float  # lambda * R, the same for both splits
    train_metric: float
    test_metric: float
    metric: str  # "accuracy" or "r2"
    val_loss: float = math.nan  # over the validation split; nan when the data has none
    val_metric: float = math.nan


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One optimizer update: where it happened and what it cost, on the mini-batch it used."""

    step: int  # updates done, counting this one
    epoch: int  # epochs completed before this update
    examples_seen: int
    batch_size: int
    loss: float  # data loss C on the batch
    penalty: float  # lambda * R
    total: float  # C + lambda * R, the quantity that was differentiated
    elapsed: float  # seconds spent training so far
    evaluation: Evaluation | None = None  # set on the steps that evaluate


@dataclass(frozen=True, slots=True)
class Summary:
    """Distribution of one quantity of one layer over the batch: moments and a histogram."""

    mean: float
    std: float
    min: float
    max: float
    counts: np.ndarray  # (bins,), over [min, max] of this very batch, so negatives are kept
    edges: np.ndarray  # (bins + 1,)


@dataclass(frozen=True, slots=True)
class LayerRecord:
    """What one Linear layer l computed in one step, in the seed's notation (batch rows)."""

    index: int  # l - 1: 0 is the first layer of weights
    activation: str  # sigma of this layer; the output layer's is the loss's output function
    # The per-example arrays are None when the probe runs with arrays=False.
    a_prev: np.ndarray | None = None  # a^(l-1), (batch, n_in)
    z: np.ndarray | None = None  # z^l = a^(l-1) W^T + b, (batch, n_out)
    a: np.ndarray | None = None  # a^l = sigma(z^l), (batch, n_out)
    delta: np.ndarray | None = None  # dC/dz^l for the data loss C, (batch, n_out)
    weight: np.ndarray | None = None  # W^l used in the forward pass, (n_out, n_in): w_ij = [j, i]
    bias: np.ndarray | None = None  # (n_out,)
    grad_weight: np.ndarray | None = None  # dC_total/dW^l, penalty included, (n_out, n_in)
    grad_bias: np.ndarray | None = None  # (n_out,)
    summaries: dict[str, Summary] = field(default_factory=dict)  # keyed by QUANTITIES
    inactive: np.ndarray | None = (
        None  # per unit: fraction of the batch with sigma'(z) < 1% of peak
    )
    dead_fraction: float = 0.0  # fraction of units inactive on every example of the batch
    grad_norm: float = 0.0  # ||dC_total/dW^l|| (weights and bias together)
    weight_norm: float = 0.0  # ||W^l|| (weights and bias together), before the update
    update_ratio: float = 0.0  # ||Delta W^l|| / ||W^l|| of this step's update


@dataclass(frozen=True, slots=True)
class ProbeRecord:
    """Everything LayerProbe saw in one step: one LayerRecord per Linear layer."""

    step: int
    batch_size: int
    layers: tuple[LayerRecord, ...]


@dataclass(frozen=True, slots=True, eq=False)
class DataRecord:
    """The data set as views draw it: raw input-plane points and targets, numpy only.

    Built once per data set; views compare records by identity to know the data changed."""

    name: str
    task: str  # "classification" or "regression"
    n_classes: int  # 0 for regression
    feature_names: tuple[str, ...]  # the network's inputs (x1, x2, x1^2, sin(x1), ... or pixels)
    train_targets: np.ndarray  # (n,) int class labels, or (n,) float values (the first target)
    test_targets: np.ndarray
    # Raw 2-D points before the feature map; None when the data is not a plane (digits, random).
    train_points: np.ndarray | None = None  # (n, 2) float32
    test_points: np.ndarray | None = None
    extent: tuple[float, float, float, float] | None = None  # x1 min, x1 max, x2 min, x2 max


@dataclass(frozen=True, slots=True, eq=False)
class FieldRecord:
    """The network evaluated over a grid of the input plane after `step` updates.

    On 2-D data: the output on a fine grid (the decision boundary) and every neuron's output on a
    coarse grid (the network's thumbnails). Grid rows follow grid_y, columns grid_x, so an array
    goes straight into a heatmap's z. On other data the grids are None and `confusion` and
    `unit_means` stand in for them; both are filled on 2-D data too (classification only for
    `confusion`), so a view can show accuracy and colour neuron glyphs in any case."""

    step: int
    data: DataRecord
    grid_x: np.ndarray | None = None  # (R,) float32
    grid_y: np.ndarray | None = None  # (R,)
    # Binary: P(class 1) (or the raw output for squared error); K classes: the predicted class
    # index; regression: the predicted value. (R, R) float32.
    output: np.ndarray | None = None
    confidence: np.ndarray | None = None  # K classes: probability of the predicted class (R, R)
    thumb_x: np.ndarray | None = None  # (r,) the coarse grid of the neuron thumbnails
    thumb_y: np.ndarray | None = None
    # One array per layer l = 0..L: (n_units, r, r); layer 0 holds the input features, layer L
    # the output layer's a^L (after sigmoid / softmax / identity).
    neurons: tuple[np.ndarray, ...] = ()
    # Mean a_j^l over the test set (train set when there is none), per layer l = 0..L: what a
    # neuron glyph shows when there is no plane to draw.
    unit_means: tuple[np.ndarray, ...] = ()
    confusion: np.ndarray | None = None  # (K, K) int counts on the test set: rows true class
    confusion_split: str = "test"  # which split `confusion` counts
    # W^l (n_out, n_in) and b^l per layer as they are now: a network view can draw its links
    # before the first step, when no ProbeRecord exists yet. Empty for models other than MLP.
    weights: tuple[np.ndarray, ...] = ()
    biases: tuple[np.ndarray, ...] = ()


@dataclass(frozen=True, slots=True)
class RunnerUpdate:
    """What a subscriber receives: the latest records and the history rows it has not seen."""

    record: StepRecord | None
    probe: ProbeRecord | None  # from the first callback with a `.last` (a LayerProbe)
    history: dict[str, np.ndarray]  # trainer.history.steps rows since this subscriber's last update
    evaluations: dict[str, np.ndarray]  # the same for trainer.history.evaluations
    state: str
    status: str
    step: int
    steps_per_second: float
    field: FieldRecord | None = None  # from the first callback with a `snapshot` (a FieldProbe)
    epoch: int = 0
    examples_seen: int = 0


# --- Lesson experiments: generic results the lessons' charts draw --------------------------------
SERIES_MODES = ("lines", "markers", "lines+markers", "bars")


@dataclass(frozen=True, slots=True)
class Series:
    """One named curve: y against x (equal lengths), drawn as lines, markers or bars."""

    name: str
    x: np.ndarray
    y: np.ndarray
    mode: str = "lines"  # one of SERIES_MODES
    dash: bool = False  # dashed line: a reference (e.g. full-batch) next to the measured curves

    def __post_init__(self) -> None:
        if self.mode not in SERIES_MODES:
            raise ValueError(f"mode must be one of {', '.join(SERIES_MODES)}; got {self.mode!r}")
        if np.shape(self.x) != np.shape(self.y) or np.ndim(self.x) != 1:
            raise ValueError(
                f"series {self.name!r}: x and y must be 1-D and of equal length; "
                f"got shapes {np.shape(self.x)} and {np.shape(self.y)}"
            )


@dataclass(frozen=True, slots=True)
class Chart:
    """One panel of curves: the series with the titles and scales of its axes."""

    title: str
    series: tuple[Series, ...]
    x_title: str = ""
    y_title: str = ""
    x_log: bool = False
    y_log: bool = False


@dataclass(frozen=True, slots=True)
class Surface:
    """A function over a grid (e.g. the loss over two weights) with paths drawn on top of it."""

    title: str
    x: np.ndarray  # (nx,) grid coordinates along the horizontal axis
    y: np.ndarray  # (ny,) along the vertical axis
    z: np.ndarray  # (ny, nx) the value at (x[j], y[i]) is z[i, j]
    x_title: str = ""
    y_title: str = ""
    z_title: str = ""
    paths: tuple[Series, ...] = ()  # trajectories in (x, y) coordinates
    log_z: bool = False  # contour levels on log(z): loss surfaces span decades
