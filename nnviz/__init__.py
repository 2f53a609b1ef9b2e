"""nnviz: see a neural network learn.

The training side (datasets, MLP, Trainer, LayerProbe, Runner) produces plain records; the views
turn records into pictures. Nothing on the training side imports plotly or ipywidgets.
"""

from __future__ import annotations

from nnviz.activations import ACTIVATIONS, Activation, get_activation
from nnviz.callbacks import HOOKS, Batch, Callback
from nnviz.datasets import DATASETS, FEATURES, Dataset, from_arrays, make_dataset
from nnviz.history import BoundedTable, History
from nnviz.losses import LOSSES, Loss
from nnviz.model import MLP
from nnviz.probes import LayerProbe
from nnviz.records import (
    Evaluation,
    LayerRecord,
    ProbeRecord,
    RunnerUpdate,
    StepRecord,
    Summary,
)
from nnviz.runner import Runner
from nnviz.trainer import OPTIMIZERS, REGULARIZATIONS, Trainer

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "FEATURES",
    "HOOKS",
    "LOSSES",
    "MLP",
    "OPTIMIZERS",
    "REGULARIZATIONS",
    "Activation",
    "Batch",
    "BoundedTable",
    "Callback",
    "Dataset",
    "Evaluation",
    "History",
    "LayerProbe",
    "LayerRecord",
    "Loss",
    "ProbeRecord",
    "Runner",
    "RunnerUpdate",
    "StepRecord",
    "Summary",
    "Trainer",
    "from_arrays",
    "get_activation",
    "make_dataset",
]
