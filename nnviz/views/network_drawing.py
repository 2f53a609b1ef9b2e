"""NetworkView's plotly side: the traces of a laid-out network (links by sign and width bucket,
the links' hover markers, the neurons, the biases), its annotations, a neuron's hover text, and
which record's weights and mean activations they show."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from nnviz.core.records import FieldRecord, ProbeRecord
from nnviz.views.network_geometry import COLUMN, ROW, WIDTHS, NetworkGeometry
from nnviz.views.style import BLUE, DIVERGING, ORANGE


def network_traces(geometry: NetworkGeometry, thumbnails: bool, pixels: float) -> list[go.Scatter]:
    """The 8 link traces (blue w >= 0 then orange w < 0, by width bucket), the links' hover
    markers, the neurons (hover, click, the selection's frame) and the biases, in that order."""
    traces = [
        go.Scatter(mode="lines", hoverinfo="skip", line={"color": color, "width": width})
        for color in (BLUE, ORANGE)
        for width in WIDTHS
    ]
    middle = (geometry.starts + geometry.ends) / 2
    traces.append(  # invisible markers at the links' middles carry the hover text
        go.Scatter(
            x=middle[:, 0],
            y=middle[:, 1],
            mode="markers",
            text=geometry.link_names,
            marker={"size": 8, "opacity": 0},
            hovertemplate="%{text} = %{customdata:.4g}<extra></extra>",
        )
    )
    centers, units = geometry.centers, geometry.units
    hidden = [k for k, (l, _) in enumerate(units) if l > 0]
    scale = {"colorscale": DIVERGING, "cmin": -1, "cmax": 1}
    traces.append(
        go.Scatter(
            x=centers[:, 0],
            y=centers[:, 1],
            mode="markers",
            hovertemplate="%{text}<extra></extra>",
            marker={
                "symbol": "square" if thumbnails else "circle",
                "size": pixels * 0.95,
                "color": "rgba(0,0,0,0)",
                **scale,
                "line": {"color": "#444", "width": 1},
            },
        )
    )
    traces.append(
        go.Scatter(  # biases: small squares at each neuron's lower left corner
            x=centers[hidden, 0] - 0.5,
            y=centers[hidden, 1] - 0.5,
            mode="markers",
            text=[f"b<sub>{j + 1}</sub><sup>{l}</sup>" for l, j in units if l > 0],
            hovertemplate="%{text} = %{customdata:.4g}<extra></extra>",
            marker={"symbol": "square", "size": 7, **scale, "line": {"color": "#888", "width": 1}},
        )
    )
    return traces


def network_annotations(geometry: NetworkGeometry, feature_names: tuple[str, ...]) -> list[dict]:
    """Column titles, and the input names (or the size of a collapsed input block)."""
    count = len(geometry.shown)
    notes = [
        dict(x=l * COLUMN, y=0.9, text=_title(l, count), showarrow=False) for l in range(count)
    ]
    if geometry.collapsed:
        notes.append(dict(x=0, y=0, text=f"{geometry.widths[0]} inputs", showarrow=False))
    elif len(feature_names) == geometry.widths[0]:
        notes += [
            dict(x=-0.6, y=-i * ROW, text=name, showarrow=False, xanchor="right")
            for i, name in enumerate(feature_names)
        ]
    return notes


def _title(layer: int, count: int) -> str:
    return "input" if layer == 0 else "output" if layer == count - 1 else f"layer {layer}"


def neuron_hover(
    geometry: NetworkGeometry,
    layer: int,
    neuron: int,
    probe: ProbeRecord | None,
    example: int,
    means: list[np.ndarray] | None,
) -> str:
    """A neuron's hover text: a, z and delta for row `example` of the probe's batch, and the
    mean activation when known."""
    if layer == 0 and geometry.collapsed:
        return f"{geometry.widths[0]} inputs"
    name = "input" if layer == 0 else f"layer {layer}"
    lines = [f"{name}, neuron {neuron + 1}"]
    first = None if probe is None else probe.layers[0].a_prev
    if probe is not None and first is not None:
        row = min(example, first.shape[0] - 1)
        if layer == 0:
            lines.append(f"a = x = {first[row, neuron]:.4g}")
        else:
            record = probe.layers[layer - 1]
            for symbol, values in (("a", record.a), ("z", record.z), ("δ", record.delta)):
                if values is not None:
                    lines.append(f"{symbol} = {values[row, neuron]:.4g}")
        lines[-1] += f"  (example {row})"
    if means is not None:
        lines.append(f"mean a = {means[layer][neuron]:.4g}")
    return "<br>".join(lines)


def unit_means(field: FieldRecord | None, probe: ProbeRecord | None) -> list[np.ndarray] | None:
    """Each layer's mean activation per unit (inputs first): the field's over the data, else the
    probe's over its batch, else None."""
    if field is not None and field.unit_means:
        return list(field.unit_means)
    first = None if probe is None else probe.layers[0].a_prev
    if probe is None or first is None:
        return None
    return [first.mean(0), *(layer.a.mean(0) for layer in probe.layers if layer.a is not None)]


def parameters(field: FieldRecord | None, probe: ProbeRecord | None) -> tuple[list, list]:
    """W^l and b^l per layer: the field's (current, and there before the first step), else the
    probe's (as they were before its step's update)."""
    if field is not None and field.weights:
        return list(field.weights), list(field.biases)
    if probe is None or probe.layers[0].weight is None:
        return [], []
    return [layer.weight for layer in probe.layers], [layer.bias for layer in probe.layers]


def probe_widths(probe: ProbeRecord) -> tuple[int, ...] | None:
    """The layer widths (inputs first) of the probe's weights; None without arrays."""
    shapes = [layer.weight.shape for layer in probe.layers if layer.weight is not None]
    if len(shapes) < len(probe.layers):
        return None
    return (shapes[0][1], *(shape[0] for shape in shapes))


def network_widths(field: FieldRecord | None, probe: ProbeRecord | None) -> tuple[int, ...] | None:
    """The layer widths (inputs first) the records show: the field's, else the probe's."""
    if field is not None and (field.neurons or field.unit_means):
        return tuple(len(units) for units in (field.neurons or field.unit_means))
    return None if probe is None else probe_widths(probe)
