"""nnviz: see a neural network learn.

The training side (datasets, MLP, Trainer, LayerProbe, FieldProbe, Runner) produces plain
records; the views (nnviz.views) turn records into pictures, and the dashboards (nnviz.Playground,
nnviz.live) put both together. Nothing on the training side imports plotly or ipywidgets, and
`import nnviz` does not either: the dashboards load on first use.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Where each public name lives. Names load on first use (PEP 562), so `import nnviz` is cheap and
# loads neither torch nor plotly: the Voila server imports nnviz.serving without either, and
# training-only code never pulls in the dashboards.
_LOCATIONS = {
    "ACTIVATIONS": "nnviz.core.activations",
    "Activation": "nnviz.core.activations",
    "get_activation": "nnviz.core.activations",
    "Batch": "nnviz.core.callbacks",
    "Callback": "nnviz.core.callbacks",
    "HOOKS": "nnviz.core.callbacks",
    "PlaygroundConfig": "nnviz.playground.config",
    "DATASETS": "nnviz.data.dataset",
    "Dataset": "nnviz.data.dataset",
    "FEATURES": "nnviz.data.dataset",
    "from_arrays": "nnviz.data.arrays",
    "make_dataset": "nnviz.data.dataset",
    "LayerValues": "nnviz.core.trainer_protocol",
    "explain_forward": "nnviz.explain.forward",
    "explain_neuron": "nnviz.explain.neuron",
    "activation_curves": "nnviz.lessons.forward_propagation",
    "check_forward": "nnviz.lessons.forward_propagation",
    "forward_pass": "nnviz.lessons.forward_propagation",
    "FieldProbe": "nnviz.probes.field",
    "BoundedTable": "nnviz.core.history",
    "History": "nnviz.core.history",
    "LOSSES": "nnviz.core.losses",
    "Loss": "nnviz.core.losses",
    "MLP": "nnviz.core.model",
    "LayerProbe": "nnviz.probes.layer",
    "Chart": "nnviz.core.records",
    "DataRecord": "nnviz.core.records",
    "Evaluation": "nnviz.core.records",
    "FieldRecord": "nnviz.core.records",
    "LayerRecord": "nnviz.core.records",
    "ProbeRecord": "nnviz.core.records",
    "RunnerUpdate": "nnviz.core.records",
    "Series": "nnviz.core.records",
    "StepRecord": "nnviz.core.records",
    "Summary": "nnviz.core.records",
    "Surface": "nnviz.core.records",
    "Runner": "nnviz.training.runner",
    "LearningRateSchedule": "nnviz.training.schedules",
    "EarlyStopping": "nnviz.training.stopping",
    "SCHEDULES": "nnviz.training.schedules",
    "ENGINES": "nnviz.training.compatibility",
    "OPTIMIZERS": "nnviz.training.trainer",
    "REGULARIZATIONS": "nnviz.training.trainer",
    "Trainer": "nnviz.training.trainer",
    "ForwardExplorer": "nnviz.dashboard",
    "Backprop": "nnviz.lessons.records",
    "LayerGradients": "nnviz.lessons.records",
    "backprop_by_hand": "nnviz.lessons.backpropagation",
    "gradient_flow": "nnviz.lessons.backpropagation",
    "gradient_sizes": "nnviz.lessons.backpropagation",
    "Playground": "nnviz.dashboard",
    "LiveRun": "nnviz.dashboard",
    "RunControls": "nnviz.dashboard",
    "live": "nnviz.dashboard",
}


def __getattr__(name: str) -> object:
    """nnviz.Trainer, nnviz.Playground, ...: import the defining module when first asked."""
    if name in _LOCATIONS:
        value = getattr(importlib.import_module(_LOCATIONS[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f"nnviz.{name}")
    raise AttributeError(f"module 'nnviz' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names, for tab completion."""
    return sorted([*__all__, *_SUBPACKAGES, "__version__"])


_SUBPACKAGES = (
    "core",
    "data",
    "training",
    "probes",
    "explain",
    "lessons",
    "playground",
    "views",
    "dashboard",
)

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
    "SCHEDULES",
    "Activation",
    "Backprop",
    "Batch",
    "BoundedTable",
    "Callback",
    "Chart",
    "DataRecord",
    "Dataset",
    "EarlyStopping",
    "Evaluation",
    "FieldProbe",
    "FieldRecord",
    "ForwardExplorer",
    "History",
    "LayerGradients",
    "LayerProbe",
    "LayerRecord",
    "LayerValues",
    "LearningRateSchedule",
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
    "activation_curves",
    "backprop_by_hand",
    "check_forward",
    "explain_forward",
    "explain_neuron",
    "forward_pass",
    "from_arrays",
    "get_activation",
    "gradient_flow",
    "gradient_sizes",
    "live",
    "make_dataset",
]
