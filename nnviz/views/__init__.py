"""Live views: plotly figures fed by runner updates; no torch in here."""

from nnviz.views.base import View
from nnviz.views.figure import Figure, make_figure

__all__ = ["Figure", "View", "make_figure"]
