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
    "ACTIVATIONS": "nnviz.activations",
    "Activation": "nnviz.activations",
    "get_activation": "nnviz.activations",
    "Batch": "nnviz.callbacks",
    "Callback": "nnviz.callbacks",
    "HOOKS": "nnviz.callbacks",
    "PlaygroundConfig": "nnviz.config",
    "DATASETS": "nnviz.datasets",
    "Dataset": "nnviz.datasets",
    "FEATURES": "nnviz.datasets",
    "from_arrays": "nnviz.datasets",
    "make_dataset": "nnviz.datasets",
    "LayerValues": "nnviz.engine",
    "explain_forward": "nnviz.explain",
    "explain_neuron": "nnviz.explain",
    "activation_curves": "nnviz.forward",
    "check_forward": "nnviz.forward",
    "forward_pass": "nnviz.forward",
    "FieldProbe": "nnviz.fields",
    "BoundedTable": "nnviz.history",
    "History": "nnviz.history",
    "LOSSES": "nnviz.losses",
    "Loss": "nnviz.losses",
    "MLP": "nnviz.model",
    "LayerProbe": "nnviz.probes",
    "Chart": "nnviz.records",
    "DataRecord": "nnviz.records",
    "Evaluation": "nnviz.records",
    "FieldRecord": "nnviz.records",
    "LayerRecord": "nnviz.records",
    "ProbeRecord": "nnviz.records",
    "RunnerUpdate": "nnviz.records",
    "Series": "nnviz.records",
    "StepRecord": "nnviz.records",
    "Summary": "nnviz.records",
    "Surface": "nnviz.records",
    "Runner": "nnviz.runner",
    "ENGINES": "nnviz.trainer",
    "OPTIMIZERS": "nnviz.trainer",
    "REGULARIZATIONS": "nnviz.trainer",
    "Trainer": "nnviz.trainer",
    "ForwardExplorer": "nnviz.dashboard",
    "Backprop": "nnviz.gradients",
    "LayerGradients": "nnviz.gradients",
    "backprop_by_hand": "nnviz.gradients",
    "gradient_flow": "nnviz.gradients",
    "gradient_sizes": "nnviz.gradients",
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


_SUBPACKAGES = ("views", "dashboard")

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
    "Backprop",
    "Batch",
    "BoundedTable",
    "Callback",
    "Chart",
    "DataRecord",
    "Dataset",
    "Evaluation",
    "FieldProbe",
    "FieldRecord",
    "ForwardExplorer",
    "History",
    "LayerGradients",
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
