"""Figures for the views: a plotly FigureWidget that stays current for late browsers.

(The shared-bundle design, which ships plotly.js once per page however many figures there are,
lives here too; see `make_figure`.)"""

from __future__ import annotations

from copy import deepcopy

import plotly.graph_objects as go

# One look for every view: white plots, small margins, no plotly logo or mode bar clutter.
BASE_LAYOUT = {
    "template": "plotly_white",
    "margin": {"l": 40, "r": 10, "t": 30, "b": 30},
    "font": {"size": 11},
    "showlegend": False,
}
CONFIG = {"displaylogo": False, "responsive": True}


class Figure(go.FigureWidget):
    """A FigureWidget whose synced state follows every update (see get_state)."""

    def get_state(self, key=None, drop_defaults=False):
        """The widget state with the figure as it is now, not as it was built.

        FigureWidget syncs its full figure only at construction and sends later changes as
        restyle/relayout messages; a browser that builds the view later (a reload, Voila after
        the cells ran) would ask for the state and draw construction-time data."""
        keys = (key,) if isinstance(key, str) else key
        built = hasattr(self, "_data")  # the first get_state runs inside the constructor
        if built and (keys is None or "_widget_data" in keys or "_widget_layout" in keys):
            self._trait_values["_widget_data"] = deepcopy(self._data)
            self._trait_values["_widget_layout"] = deepcopy(self._layout)
        return super().get_state(key=key, drop_defaults=drop_defaults)


def make_figure(height: int = 300, width: int | None = None, **layout: object) -> Figure:
    """A Figure with the house layout; `layout` entries override it."""
    merged = {**BASE_LAYOUT, "height": height, **({"width": width} if width else {}), **layout}
    figure = Figure(layout=merged)
    figure._config = {**figure._config, **CONFIG}
    return figure
