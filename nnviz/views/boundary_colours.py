"""The decision boundary's colours, TF Playground's: the plane's and the points' colour scales for
each task (regression, two classes, K classes; hard or soft), and the plane's values in the
units of its scale (K classes: the class, shaded from pale to full colour as the softmax grows
sure)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnviz.core.records import DataRecord
from nnviz.views.style import BLUE, ORANGE

NEAR_WHITE = "#e8eaeb"  # the plane's 0.5: the boundary itself, a shade off the white page
DIVERGING = [[0.0, ORANGE], [0.5, NEAR_WHITE], [1.0, BLUE]]
CLASS_COLOURS = (ORANGE, BLUE, "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
_SHADE = 0.45  # K classes: z = class - 0.45 .. class + 0.45 as the confidence rises


def colour_scales(data: DataRecord, hard: bool) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The plane's scale (colorscale, zmin, zmax), the points' (colorscale, cmin, cmax) and the
    hover label of a plane cell, for `data`'s task; `hard`: discretized output."""
    if data.task == "regression":
        bound = _bound(data)
        low, high = (-1.0, 1.0) if hard else (-bound, bound)
        heat = {"colorscale": DIVERGING, "zmin": low, "zmax": high}
        points = {"colorscale": DIVERGING, "cmin": -bound, "cmax": bound}
        label = "sign of the output %{z:.0f}" if hard else "output %{z:.2f}"
    elif data.n_classes == 2:
        heat = {"colorscale": DIVERGING, "zmin": 0.0, "zmax": 1.0}
        points = {"colorscale": _class_scale(2, shaded=False), "cmin": -0.5, "cmax": 1.5}
        label = "class %{z:.0f}" if hard else "P(class 1) %{z:.2f}"
    else:
        k = data.n_classes
        heat = {"colorscale": _class_scale(k, shaded=not hard), "zmin": -0.5, "zmax": k - 0.5}
        points = {"colorscale": _class_scale(k, shaded=False), "cmin": -0.5, "cmax": k - 0.5}
        label = "class %{z:.0f}"  # the shade offset stays within +-0.45 of the class
    return heat, points, label


def plane_values(
    data: DataRecord, output: np.ndarray, confidence: np.ndarray | None, hard: bool
) -> np.ndarray:
    """The plane's z in the units its colour scale expects (output: float32, what the typed
    array sends)."""
    if data.task == "regression":
        return np.where(output >= 0, 1.0, -1.0) if hard else output
    if data.n_classes == 2:
        return (output >= 0.5).astype(np.float32) if hard else output
    if hard or confidence is None:
        return output
    # Confidence runs from 1/K (a guess) to 1; the shade from pale to full colour.
    chance = 1.0 / data.n_classes
    shade = np.clip((confidence - chance) / (1.0 - chance), 0.0, 1.0)
    return output.astype(np.float64) - _SHADE + 2 * _SHADE * shade


def _class_scale(n_classes: int, shaded: bool) -> list[list]:
    """One band per class over [-0.5, K - 0.5]: flat, or from pale to full colour."""
    scale = []
    for k in range(n_classes):
        colour = CLASS_COLOURS[k % len(CLASS_COLOURS)]
        start = _pale(colour) if shaded else colour
        scale += [[k / n_classes, start], [(k + 1) / n_classes, colour]]
    return scale


def _pale(colour: str, amount: float = 0.85) -> str:
    """`colour` mixed with white; `amount` of white."""
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in channels)


def _bound(data: DataRecord) -> float:
    """Half-width of the regression colour scale: the largest |target|, 1 for all zeros."""
    targets = np.concatenate([data.train_targets, data.test_targets])
    bound = float(np.abs(targets).max()) if len(targets) else 0.0
    return bound if bound > 0 and np.isfinite(bound) else 1.0
