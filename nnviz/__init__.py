"""nnviz: see a neural network learn.

The training side (datasets, MLP, Trainer, LayerProbe, FieldProbe, Runner) produces plain
records; the views (nnviz.views) turn records into pictures, and the dashboards (nnviz.Playground,
nnviz.live) put both together. Nothing on the training side imports plotly or ipywidgets, and
`import nnviz` does not either: the dashboards load on first use.
"""

from __future__ import annotations

from nnviz.activations import ACTIVATIONS, Activation, get_activation
from nnviz.callbacks import HOOKS, Batch, Callback
from nnviz.config import PlaygroundConfig
from nnviz.datasets import DATASETS, FEATURES, Dataset, from_arrays, make_dataset
from nnviz.engine import LayerValues
from nnviz.explain import explain_neuron
from nnviz.fields import FieldProbe
from nnviz.history import BoundedTable, History
from nnviz.losses import LOSSES, Loss
from nnviz.model import MLP
from nnviz.probes import LayerProbe
from nnviz.records import (
    Chart,
    DataRecord,
    Evaluation,
    FieldRecord,
    LayerRecord,
    ProbeRecord,
    RunnerUpdate,
    Series,
    StepRecord,
    Summary,
    Surface,
)
from nnviz.runner import Runner
from nnviz.trainer import ENGINES, OPTIMIZERS, REGULARIZATIONS, Trainer

__version__ = "0.1.0"

# Loaded on first use, so that training-only code never imports plotly or ipywidgets.
_DASHBOARD = {"Playground", "LiveRun", "RunControls", "live"}


def __getattr__(name: str) -> object:
    """nnviz.Playground, nnviz.live, ...: import the dashboards when first asked for."""
    if name in _DASHBOARD:
        import nnviz.dashboard

        return getattr(nnviz.dashboard, name)
    if name == "views":
        import nnviz.views

        return nnviz.views
    raise AttributeError(f"module 'nnviz' has no attribute {name!r}")


__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "ENGINES",
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
    "Chart",
    "DataRecord",
    "Dataset",
    "Evaluation",
    "FieldProbe",
    "FieldRecord",
    "History",
    "LayerProbe",
    "LayerRecord",
    "LayerValues",
    "LiveRun",
    "Loss",
    "Playground",
    "PlaygroundConfig",
    "ProbeRecord",
    "RunControls",
    "Runner",
    "RunnerUpdate",
    "Series",
    "StepRecord",
    "Summary",
    "Surface",
    "Trainer",
    "explain_neuron",
    "from_arrays",
    "get_activation",
    "live",
    "make_dataset",
]
