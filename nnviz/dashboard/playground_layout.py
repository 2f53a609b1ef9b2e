"""Where the Playground's pieces go on the page: the controls and views a query may hide, the
figures' sizes, and TF Playground's columns (data | network | output) that wrap on a narrow
screen. The Playground (nnviz.dashboard.playground) owns the state and the changes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import ipywidgets as widgets

from nnviz.dashboard.run_controls import RunControls
from nnviz.views import VIEWS, View

CONTROLS = (
    "problem", "dataset", "regenerate", "noise", "train_percent", "batch_size", "features",
    "hidden", "activation", "lr", "optimizer", "regularization", "reg_rate", "loss", "seed",
    "show_test", "discretize", "play", "step", "reset", "share",
)  # fmt: skip
HIDEABLE = (*CONTROLS, *VIEWS)
SIZES = {"network": {"width": 470}, "loss": {"width": 390, "height": 300},
         "boundary": {"width": 390, "height": 390}}  # fmt: skip


def check_hide(hide: Iterable[str]) -> tuple[str, ...]:
    """The names to hide, each once; ValueError for a name that is not a control or a view."""
    if isinstance(hide, str):
        hide = [hide]
    hide = tuple(hide)
    unknown = [name for name in hide if name not in HIDEABLE]
    if unknown:
        raise ValueError(f"hide: unknown control {unknown[0]!r}; allowed: {', '.join(HIDEABLE)}")
    return tuple(dict.fromkeys(hide))


def lenient_hide(hide: object) -> tuple[list[str], list[str]]:
    """The known names to hide, and a message for each unknown one (a link's typos)."""
    names = (
        [hide] if isinstance(hide, str) else list(hide) if isinstance(hide, (list, tuple)) else []
    )
    kept = [n for n in names if n in HIDEABLE]
    messages = [f"hide: unknown control {n!r} ignored; allowed: {', '.join(HIDEABLE)}"
                for n in names if n not in HIDEABLE]  # fmt: skip
    return kept, messages


def size_views(views: Mapping[str, View]) -> None:
    """Give the figures of TF Playground's columns (data, network, output) their sizes."""
    for name, size in SIZES.items():
        if name in views:
            views[name].figure.update_layout(**size)


def arrange(
    rows: Mapping[str, widgets.Widget],
    hide: Iterable[str],
    run: RunControls,
    views: Mapping[str, View],
    share: widgets.Widget,
) -> list[widgets.Widget]:
    """The Playground's children: run controls, hyperparameters, the three columns, the rest."""
    hidden = set(hide)
    for name, button in (("play", run.play), ("step", run.step), ("reset", run.reset)):
        button.layout.display = "none" if name in hidden else None
    run.epoch.layout.display = "none" if "step" in hidden else None

    def column(names: Iterable[str], title: str) -> widgets.VBox:
        shown = [rows[name] for name in names if name not in hidden]
        return widgets.VBox([widgets.HTML(f"<h4>{title}</h4>"), *shown])

    # Columns wrap instead of overflowing: TF Playground's data | network | output at a
    # desktop width, stacked in a narrow one (JupyterLab's notebook column, a phone); the
    # figures follow their column's width (nnviz-plot.js), the network scales its graph.
    wrap = {"flex_flow": "row wrap", "align_items": "flex-start", "width": "100%"}
    top = widgets.HBox(
        [column(("lr", "activation", "regularization", "reg_rate"), "Hyperparameters"),
         column(("problem", "loss", "optimizer", "batch_size"), "Training")],
        layout=widgets.Layout(**wrap),
    )  # fmt: skip
    data = column(("dataset", "regenerate", "noise", "train_percent", "seed", "features"),
                  "Data")  # fmt: skip
    middle = [column(("hidden",), "Network")]
    if "network" in views:
        middle.append(views["network"].widget)
    right = [widgets.HTML("<h4>Output</h4>")]
    if "loss" in views:
        right.append(views["loss"].widget)
    boxes = [rows[name] for name in ("show_test", "discretize") if name not in hidden]
    if "boundary" in views:
        right += [widgets.HBox(boxes), views["boundary"].widget]
    below = [views[name].widget for name in ("layers", "weights") if name in views]
    if "share" not in hidden:
        below.append(share)
    data.layout = widgets.Layout(flex="0 0 290px", width="290px", overflow="hidden")
    network = widgets.VBox(middle, layout=widgets.Layout(flex="1 1 360px", min_width="300px"))
    output = widgets.VBox(right, layout=widgets.Layout(flex="0 1 400px", min_width="320px"))
    columns = widgets.HBox([data, network, output], layout=widgets.Layout(**wrap))
    return [run, top, columns, *below]
