"""Live views: plotly figures fed by runner updates; no torch in here.

Every view is a `View`: subscribe it to a Runner (`runner.subscribe(view)`) or call
`view.update(update)`, and display it (`view` or `view.widget`) in a notebook or a dashboard.
Several views on one runner: `runner.subscribe(ViewGroup(views))` sends their redraws after each
update as one message.

The views: loss.py (with buckets.py), boundary.py (boundary_colours.py), network.py (its numbers
in network_geometry.py, plain numpy; its traces in network_drawing.py; the neuron's equations in
network_panel.py), layers.py (histograms.py), weights.py, charts.py (the lessons' Charts and
Surfaces) and gradient_views.py (lesson 03 as text). What they share: base.py (View, ViewGroup),
style.py (palette and layout). The figure and its wire: figure.py (Figure), assets.py (the
browser's static files), wire.py (messages, binary buffers), rasters.py (heatmaps as images).

May import: nnviz.core (records, checks), nnviz.explain, nnviz.lessons.records, nnviz.mathml,
plotly, ipywidgets, numpy. Never torch, or anything that imports it.
"""

from nnviz.views.base import View, ViewGroup
from nnviz.views.boundary import DecisionBoundaryView
from nnviz.views.charts import chart_figure, surface_figure
from nnviz.views.figure import Figure, make_figure
from nnviz.views.gradient_views import agreement_table, backprop_table
from nnviz.views.layers import LayerStatsView
from nnviz.views.loss import LossView
from nnviz.views.network import NetworkView
from nnviz.views.weights import WeightsView

# By name, as nnviz.live(views=[...]) and Playground(hide=[...]) take them, in dashboard order.
VIEWS: dict[str, type[View]] = {
    "loss": LossView,
    "boundary": DecisionBoundaryView,
    "network": NetworkView,
    "layers": LayerStatsView,
    "weights": WeightsView,
}

__all__ = [
    "VIEWS",
    "DecisionBoundaryView",
    "Figure",
    "LayerStatsView",
    "LossView",
    "NetworkView",
    "View",
    "ViewGroup",
    "WeightsView",
    "agreement_table",
    "backprop_table",
    "chart_figure",
    "make_figure",
    "surface_figure",
]
