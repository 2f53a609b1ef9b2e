"""The Playground's settings as ipywidgets: one control per PlaygroundConfig field, with help.

`SettingsPanel.show(config)` writes a config into the controls without firing changes;
a control a user moves calls `on_change(name, value)` with the config-field name and value in
the config's own units (noise as a fraction, batch_size an int or "full", hidden a tuple).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from nnviz.core.activations import ACTIVATIONS
from nnviz.data.dataset import DATASETS, FEATURES, PLANE_SETS, REGRESSION_SETS
from nnviz.playground.config import PlaygroundConfig
from nnviz.playground.options import (
    CUSTOM,
    LEARNING_RATES,
    LOSS_CHOICES,
    MAX_HIDDEN_LAYERS,
    MAX_NEURONS,
    REG_RATES,
)
from nnviz.training.trainer import OPTIMIZERS, REGULARIZATIONS

FULL_BATCH = "full"
BATCH_CHOICES = (1, 2, 3, 5, 10, 15, 20, 25, 30, 50, 100, 200, 500, 1000)
HELP = {
    "problem": "Classification: predict a class for each point. Regression: predict a number.",
    "dataset": "The data the network learns from. Points in [-6, 6]^2 for the 2-D sets.",
    "regenerate": "Draw a new data set and new initial weights (the seed goes up by one).",
    "noise": "How much the classes overlap (TF Playground's noise, 0-50 %).",
    "train_percent": "Share of the points used for training; the rest is the test set.",
    "batch_size": "Examples per update: 1 = stochastic gradient descent, full batch = "
    "gradient descent, in between = mini-batch gradient descent.",
    "features": "The network's inputs a^0, computed from each point (x1, x2).",
    "hidden": "Hidden layers and their neurons (+/-).",
    "activation": "sigma in a_j^l = sigma(z_j^l) for the hidden layers.",
    "lr": "eta in w <- w - eta dC/dw (log scale).",
    "optimizer": "sgd: the plain update above; momentum and adam smooth it over steps.",
    "regularization": "R in C_total = C + lambda R: L1 = sum |w|, L2 = sum w^2 (weights only).",
    "reg_rate": "lambda in C_total = C + lambda R.",
    "loss": "C: cross-entropy for classes, squared error (TF Playground's choice) or auto.",
    "seed": "Seeds the data, the initial weights and the shuffling: same seed, same run.",
    "show_test": "Draw the test points (black outline) on the output.",
    "discretize": "Colour the output by the predicted class instead of its probability.",
}


def widget_tree(widget: widgets.Widget) -> list[widgets.Widget]:
    """`widget`, every widget in its boxes, and their layout and style widgets: what closing a
    piece of a dashboard must close (each is a comm, and a page receives every open one)."""
    found: dict[int, widgets.Widget] = {}

    def visit(item: widgets.Widget) -> None:
        if id(item) in found:
            return
        found[id(item)] = item
        for name in ("layout", "style"):
            part = getattr(item, name, None)
            if isinstance(part, widgets.Widget):
                found.setdefault(id(part), part)
        for child in getattr(item, "children", ()) or ():
            visit(child)

    visit(widget)
    return list(found.values())


def _labelled(control: widgets.Widget, label: str, name: str) -> widgets.Widget:
    control.tooltip = HELP[name]
    text = widgets.HTML(f"<b>{label}</b>", tooltip=HELP[name])
    text.layout = widgets.Layout(width="120px")
    control.layout = widgets.Layout(width="190px")
    control.add_class(f"nnviz-{name.replace('_', '-')}")  # stable hooks for pages and tests
    row = widgets.HBox([text, control])
    row.add_class(f"nnviz-row-{name.replace('_', '-')}")
    return row


class SettingsPanel:
    """Every settings control, by name; `rows` are the labelled rows to lay out."""

    def __init__(self, on_change: Callable[[str, object], None], custom: bool = False) -> None:
        self._on_change = on_change
        self._showing = False  # True while show() writes: those writes are not user changes
        sets = (*DATASETS, CUSTOM) if custom else DATASETS
        self.controls: dict[str, widgets.Widget] = {
            "problem": widgets.Dropdown(options=("classification", "regression")),
            "dataset": widgets.Dropdown(options=sets),
            "noise": widgets.IntSlider(min=0, max=50, step=5, readout_format="d"),
            "train_percent": widgets.IntSlider(min=10, max=100, step=10),
            "batch_size": widgets.SelectionSlider(options=[("1", 1)]),
            "activation": widgets.Dropdown(options=tuple(ACTIVATIONS)),
            "lr": widgets.SelectionSlider(options=[(f"{v:g}", v) for v in LEARNING_RATES]),
            "optimizer": widgets.Dropdown(options=OPTIMIZERS),
            "regularization": widgets.Dropdown(options=REGULARIZATIONS),
            "reg_rate": widgets.SelectionSlider(options=[(f"{v:g}", v) for v in REG_RATES]),
            "loss": widgets.Dropdown(options=LOSS_CHOICES),
            "seed": widgets.BoundedIntText(min=0, max=2**32 - 1),
            "show_test": widgets.Checkbox(description="Show test data", indent=False),
            "discretize": widgets.Checkbox(description="Discretize output", indent=False),
        }
        self.features = {
            name: widgets.Checkbox(description=name, indent=False, tooltip=HELP["features"])
            for name in FEATURES
        }
        for box in self.features.values():
            box.layout = widgets.Layout(width="95px")
            box.observe(self._features_changed, "value")
        self.regenerate = widgets.Button(description="Regenerate", tooltip=HELP["regenerate"])
        self.regenerate.add_class("nnviz-regenerate")
        self.hidden_box = widgets.VBox()
        self._hidden: tuple[int, ...] = ()
        for name, control in self.controls.items():
            control.observe(lambda change, name=name: self._changed(name, change["new"]), "value")
        self.controls["show_test"].tooltip = HELP["show_test"]
        self.controls["discretize"].tooltip = HELP["discretize"]
        labels = {
            "problem": "Problem type", "dataset": "Data set", "noise": "Noise %",
            "train_percent": "Training %", "batch_size": "Batch size",
            "activation": "Activation", "lr": "Learning rate", "optimizer": "Optimizer",
            "regularization": "Regularization", "reg_rate": "Reg. rate λ", "loss": "Loss",
            "seed": "Seed",
        }  # fmt: skip
        self.rows = {
            name: _labelled(self.controls[name], text, name) for name, text in labels.items()
        }
        self.rows["regenerate"] = self.regenerate
        self.rows["features"] = widgets.VBox(
            [
                widgets.HTML("<b>Features</b>", tooltip=HELP["features"]),
                widgets.GridBox(
                    list(self.features.values()),
                    layout=widgets.Layout(grid_template_columns="repeat(2, 95px)"),
                ),
            ]
        )
        self.rows["hidden"] = self.hidden_box
        for name in ("show_test", "discretize"):
            self.rows[name] = self.controls[name]
            self.controls[name].add_class(f"nnviz-{name.replace('_', '-')}")

    # ------------------------------------------------------------------ config -> controls
    def show(self, config: PlaygroundConfig, n_train: int) -> None:
        """Write `config` into the controls (no change events reach on_change)."""
        self._showing = True
        try:
            c = self.controls
            c["problem"].value = (
                "regression" if config.dataset in REGRESSION_SETS else ("classification")
            )
            c["dataset"].value = config.dataset
            c["noise"].value = round(config.noise * 100)
            c["train_percent"].value = round((1 - config.test_fraction) * 100)
            choices = [b for b in BATCH_CHOICES if b < n_train]
            if isinstance(config.batch_size, int) and config.batch_size not in choices:
                choices = sorted({*choices, config.batch_size})
            options = [(str(b), b) for b in choices] + [("full batch (GD)", FULL_BATCH)]
            c["batch_size"].options = options
            c["batch_size"].value = config.batch_size
            for name in ("activation", "optimizer", "regularization", "loss", "seed"):
                c[name].value = getattr(config, name)
            for name, menu in (("lr", LEARNING_RATES), ("reg_rate", REG_RATES)):
                value = getattr(config, name)
                values = sorted({*menu, value})
                c[name].options = [(f"{v:g}", v) for v in values]
                c[name].value = value
            c["reg_rate"].disabled = config.regularization == "none"
            c["show_test"].value, c["discretize"].value = config.show_test, config.discretize
            plane = config.dataset in PLANE_SETS
            for name, box in self.features.items():
                box.value, box.disabled = name in config.features, not plane
            self._show_hidden(config.hidden)
        finally:
            self._showing = False

    def _show_hidden(self, hidden: tuple[int, ...]) -> None:
        # Rebuilt only when the layers changed, and the old rows closed: each show() of any
        # setting used to leave ~30 widgets open that every page then received.
        if tuple(hidden) == self._hidden and self.hidden_box.children:
            return
        old = self.hidden_box.children
        self._hidden = tuple(hidden)
        layers = widgets.HBox(
            [
                widgets.HTML(f"<b>{len(hidden)} hidden layers</b>", tooltip=HELP["hidden"]),
                self._button("−", "Remove the last hidden layer", -1, None, len(hidden) == 0),
                self._button("+", "Add a hidden layer", +1, None, len(hidden) >= MAX_HIDDEN_LAYERS),
            ]
        )
        rows = [layers]
        for index, width in enumerate(hidden):
            rows.append(
                widgets.HBox(
                    [
                        widgets.HTML(f"layer {index + 1}: {width} neurons"),
                        self._button("−", "One neuron fewer", -1, index, width <= 1),
                        self._button("+", "One neuron more", +1, index, width >= MAX_NEURONS),
                    ]
                )
            )
        self.hidden_box.children = rows
        for row in old:
            for widget in widget_tree(row):
                widget.close()

    def _button(
        self, text: str, help_text: str, delta: int, layer: int | None, disabled: bool
    ) -> widgets.Button:
        # The layout given, not assigned after: a replaced default Layout stays open, unused.
        button = widgets.Button(description=text, tooltip=help_text, disabled=disabled,
                                layout=widgets.Layout(width="32px"))  # fmt: skip
        button.on_click(lambda _: self.change_hidden(delta, layer))
        return button

    # ------------------------------------------------------------------ controls -> config
    def change_hidden(self, delta: int, layer: int | None = None) -> None:
        """+/- a hidden layer (layer None; a new one copies the last width) or a neuron."""
        hidden = list(self._hidden)
        if layer is None:
            hidden = [*hidden, hidden[-1] if hidden else 4] if delta > 0 else hidden[:-1]
        else:
            hidden[layer] = hidden[layer] + delta
        self._on_change("hidden", tuple(hidden))

    def _features_changed(self, change: dict) -> None:
        if not self._showing:
            chosen = tuple(name for name, box in self.features.items() if box.value)
            self._on_change("features", chosen)

    def _changed(self, name: str, value: Any) -> None:  # the widget's value: int, str, ...
        if self._showing:
            return
        if name == "noise":
            self._on_change("noise", value / 100)
        elif name == "train_percent":
            self._on_change("test_fraction", round(1 - value / 100, 2))
        elif name == "problem":
            regression = value == "regression"
            current = self.controls["dataset"].value
            if (current in REGRESSION_SETS) != regression:
                self._on_change("dataset", "plane" if regression else "circle")
        else:
            self._on_change(name, value)
