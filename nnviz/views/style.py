"""One look for every view: the house layout and template, TF Playground's palette and its
diverging colour scale, and the small panel titles the multi-panel views place."""

from __future__ import annotations

import plotly.io as pio

from nnviz.views.assets import TRACE_TYPES

# TF Playground's colours: orange negative / test, white 0, blue positive / train.
ORANGE, WHITE, BLUE = "#f59322", "#ffffff", "#0877bd"
# One palette for every view: blue train / positive, orange test / negative (as the boundary
# and network views); pale blue the raw batch numbers.
PALETTE = {
    "train": BLUE,
    "test": ORANGE,
    "positive": BLUE,
    "negative": ORANGE,
    "zero": WHITE,
    "batch": "#9cc7e4",
    "penalty": "#2ca02c",
    "total": "#7f7f7f",
    "a": "#08306b",  # activations dark
    "delta": "#6baed6",  # their gradients light
}
# Weights, biases and activations on [-1, 1]: orange < 0 < blue.
DIVERGING = [[0.0, ORANGE], [0.5, WHITE], [1.0, BLUE]]

_NOT_CARTESIAN = ("polar", "ternary", "scene", "geo", "map", "mapbox", "smith")


def cartesian_template(name: str = "plotly_white") -> dict:
    """plotly's template `name` less what no nnviz figure draws (polar and ternary axes, 3-D
    scenes, maps, and the defaults of trace types outside TRACE_TYPES): the same look, a third
    of the bytes in each figure's state, and a quarter of the time plotly.py takes to validate
    it, for every figure a page builds."""
    full = pio.templates[name].to_plotly_json()
    layout = {key: value for key, value in full["layout"].items() if key not in _NOT_CARTESIAN}
    data = {key: value for key, value in full["data"].items() if key in TRACE_TYPES}
    return {"layout": layout, "data": data}


# White plots, small margins, no plotly logo.
BASE_LAYOUT = {
    "template": cartesian_template(),
    "margin": {"l": 40, "r": 10, "t": 30, "b": 30},
    "font": {"size": 11},
    "showlegend": False,
}
CONFIG = {"displaylogo": False, "responsive": True}


def panel_title(text: str, x: float, y: float) -> dict:
    """A small title annotation whose lower-left corner sits at paper coordinates (x, y)."""
    return {"text": text, "x": x, "y": y, "xref": "paper", "yref": "paper", "xanchor": "left",
            "yanchor": "bottom", "showarrow": False, "font": {"size": 10}}  # fmt: skip


def axis_suffix(number: int) -> str:
    """What follows "x", "y", "xaxis" or "yaxis" in plotly's name of axis `number` (from 1):
    nothing for the first ("xaxis", "x"), the number for the others ("xaxis2", "x2")."""
    return "" if number == 1 else str(number)


def axis_name(letter: str, number: int) -> str:
    """A trace's or annotation's reference to axis `number`: "x", "x2", "y3", ..."""
    return letter + axis_suffix(number)
