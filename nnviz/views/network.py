"""NetworkView: the MLP drawn as TF Playground draws it, plus what the Playground never shows:
delta = dC/dz and the seed's equations for the neuron you pick (nnviz.explain_neuron).

Columns are layers, neurons stack from the top. Each neuron is a small heatmap of its output over
the input plane (FieldRecord.neurons), or a circle coloured by its mean activation when there is
no plane. Thumbnails are rasters (Figure.add_raster), one byte a cell, recoloured in the browser
without a replot. Links are grouped into a few traces by sign and |w| bucket, so a refresh
restyles ~10 traces whatever the width, and the link paths travel only when a link changes sign
or width bucket. Draws write wire-ready values through Figure.assign.
"""

from __future__ import annotations

import html
import time

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from nnviz.core.checks import check_choice, check_int
from nnviz.core.records import FieldRecord, ProbeRecord, RunnerUpdate
from nnviz.explain.equations import explain_neuron
from nnviz.mathml import mathml
from nnviz.views.base import View
from nnviz.views.figure import quantize

ORANGE, WHITE, BLUE = "#f59322", "#ffffff", "#0877bd"  # TF Playground: negative, 0, positive
COLORSCALE = [[0.0, ORANGE], [0.5, WHITE], [1.0, BLUE]]
WIDTH_EDGES = (0.25, 0.5, 1.0)  # |w| bucket edges; a link's width says which bucket it is in
WIDTHS = (0.8, 1.8, 3.2, 5.0)
MAX_INPUTS = 12  # wider input layers collapse into one block ("64 inputs")
COLUMN, ROW = 3.0, 1.4  # layer and neuron spacing, a thumbnail being 1 x 1
PIXELS_PER_ROW = 56  # for the automatic height
EXPLAIN_FORMATS = ("latex", "text")
PANEL_SECONDS = 0.5  # the equations' refresh while training: new numbers twice a second
_HINT = "Click a neuron (or pick one in the list) to see its equations with the current numbers."


def _display(values: np.ndarray, layer: int, output: str | None) -> np.ndarray:
    """Values as the colour scale [-1, 1] shows them: probabilities 0..1 -> -1..1, inputs scaled
    to their own range (x1 spans about [-6, 6]); the rest as they are (clipped by the scale)."""
    values = np.asarray(values, np.float64)
    if layer == 0:
        return values / max(1.0, float(np.abs(values).max(initial=0.0)))
    if output in ("sigmoid", "softmax"):
        return 2 * values - 1
    return values


class NetworkView(View):
    """The network as neuron thumbnails and weighted links; click a neuron to explain it."""

    needs = ("probe", "field")  # weights and deltas from LayerProbe, thumbnails from FieldProbe

    def __init__(
        self, thumbnail: bool = True, height: int | None = None, explain_format: str = "latex"
    ) -> None:
        if height is not None:
            height = check_int("height", height, minimum=100)
        super().__init__(height=height or 300)
        self.thumbnail = bool(thumbnail)  # False: circles even on 2-D data
        self.explain_format = check_choice("explain_format", explain_format, EXPLAIN_FORMATS)
        self._auto_height = height is None
        self.selected: tuple[int, int] | None = None  # (layer, neuron) in the seed's indices
        self._running = False  # the last update came from a running runner
        self._panel_at = -float("inf")  # when the equations panel last changed
        self.example = 0
        self.dropdown = widgets.Dropdown(options=[], description="Neuron")
        self.example_slider = widgets.IntSlider(0, 0, 0, description="Example")
        # MathML, typeset by the browser at every change; wide sums scroll sideways.
        self.panel = widgets.HTML(_HINT, layout=widgets.Layout(overflow="auto"))
        self._widget: widgets.Widget | None = None  # built on first use by `widget`
        self.dropdown.observe(self._on_dropdown_change, names="value")
        self.example_slider.observe(self._on_example_change, names="value")
        self.clear()

    # ------------------------------------------------------------------ records in
    def clear(self) -> None:
        """Forget the run and its architecture: the next update rebuilds the figure."""
        self._probe: ProbeRecord | None = None
        self._field: FieldRecord | None = None
        self._key: tuple | None = None
        self.figure.clear_rasters()
        self.figure.data = []
        self.panel.value = _HINT

    def ingest(self, update: RunnerUpdate) -> None:
        """Keep the newest probe and field records; rebuild the traces if the network changed."""
        self._running = update.state == "running"
        if update.field is not None:
            self._field = update.field
        if update.probe is not None:
            self._probe = update.probe
        widths = self._widths()
        if widths is None:
            return
        if self._probe is not None and self._probe_widths(self._probe) not in (None, widths):
            self._probe = None  # from the previous architecture: the field is newer
        field = self._field
        thumbnails = self.thumbnail and field is not None and field.thumb_x is not None
        size = field.neurons[0].shape[-1] if thumbnails and field.neurons else 0
        key = (widths, thumbnails and size > 0, size)
        if key != self._key:
            self._key = key
            self._build(widths, key[1])

    @staticmethod
    def _probe_widths(probe: ProbeRecord) -> tuple[int, ...] | None:
        if any(layer.weight is None for layer in probe.layers):
            return None
        return (probe.layers[0].weight.shape[1], *(layer.weight.shape[0] for layer in probe.layers))

    def _widths(self) -> tuple[int, ...] | None:
        field = self._field
        if field is not None and (field.neurons or field.unit_means):
            return tuple(len(units) for units in (field.neurons or field.unit_means))
        return None if self._probe is None else self._probe_widths(self._probe)

    # ------------------------------------------------------------------ figure structure
    def _build(self, widths: tuple[int, ...], thumbnails: bool) -> None:
        """Lay the network out and create its traces (outside batch_update: traces change)."""
        collapsed = widths[0] > MAX_INPUTS
        shown = (1 if collapsed else widths[0], *widths[1:])
        rows = max(shown)
        self._units = [(l, j) for l, width in enumerate(shown) for j in range(width)]
        centers = np.array([(l * COLUMN, -j * ROW) for l, j in self._units], np.float64)
        self._centers, self._collapsed, self._thumbnails = centers, collapsed, thumbnails
        first = {l: self._units.index((l, 0)) for l in range(len(shown))}
        # Links in the order of W.reshape(-1) per layer (j major), or one per neuron of layer 1
        # from a collapsed input block.
        starts, ends, labels = [], [], []
        for l in range(1, len(shown)):
            for j in range(shown[l]):
                for i in range(shown[l - 1]):
                    starts.append(centers[first[l - 1] + i] + (0.5, 0))
                    ends.append(centers[first[l] + j] - (0.5, 0))
                    name = f"w<sub>{i + 1},{j + 1}</sub><sup>{l}</sup>"
                    if l == 1 and collapsed:
                        name = f"mean of the {widths[0]} weights into neuron {j + 1}"
                    labels.append(name)
        self._starts, self._ends = np.array(starts), np.array(ends)
        traces: list = [
            go.Scatter(mode="lines", hoverinfo="skip", line={"color": color, "width": width})
            for color in (BLUE, ORANGE)
            for width in WIDTHS
        ]
        middle = (self._starts + self._ends) / 2
        traces.append(  # invisible markers at the links' middles carry the hover text
            go.Scatter(
                x=middle[:, 0],
                y=middle[:, 1],
                mode="markers",
                text=labels,
                marker={"size": 8, "opacity": 0},
                hovertemplate="%{text} = %{customdata:.4g}<extra></extra>",
            )
        )
        self.figure.clear_rasters()
        if thumbnails:
            for l, j in self._units:
                if l == 0 and collapsed:
                    continue
                x, y = centers[self._units.index((l, j))]
                self.figure.add_raster(
                    x=(x - 0.5, x + 0.5), y=(y - 0.5, y + 0.5), colorscale=COLORSCALE,
                    zmin=-1, zmax=1, levels=(-1, 1),
                )  # fmt: skip
        height = self.figure.layout.height
        if self._auto_height:
            height = 60 + rows * PIXELS_PER_ROW
        pixels = min((height - 60) / (rows * ROW), 60)
        hidden = [k for k, (l, _) in enumerate(self._units) if l > 0]
        traces.append(
            go.Scatter(  # the neurons: hover, click and the selection's frame
                x=centers[:, 0],
                y=centers[:, 1],
                mode="markers",
                hovertemplate="%{text}<extra></extra>",
                marker={
                    "symbol": "square" if thumbnails else "circle",
                    "size": pixels * 0.95,
                    "color": "rgba(0,0,0,0)",
                    "colorscale": COLORSCALE,
                    "cmin": -1,
                    "cmax": 1,
                    "line": {"color": "#444", "width": 1},
                },
            )
        )
        traces.append(
            go.Scatter(  # biases: small squares at each neuron's lower left corner
                x=centers[hidden, 0] - 0.5,
                y=centers[hidden, 1] - 0.5,
                mode="markers",
                text=[f"b<sub>{j + 1}</sub><sup>{l}</sup>" for l, j in self._units if l > 0],
                hovertemplate="%{text} = %{customdata:.4g}<extra></extra>",
                marker={
                    "symbol": "square",
                    "size": 7,
                    "colorscale": COLORSCALE,
                    "cmin": -1,
                    "cmax": 1,
                    "line": {"color": "#888", "width": 1},
                },
            )
        )
        names = self._field.data.feature_names if self._field is not None else ()
        notes = [
            dict(x=l * COLUMN, y=0.9, text=self._title(l, len(shown)), showarrow=False)
            for l in range(len(shown))
        ]
        if collapsed:
            notes.append(dict(x=0, y=0, text=f"{widths[0]} inputs", showarrow=False))
        elif len(names) == widths[0]:
            notes += [
                dict(x=-0.6, y=-i * ROW, text=name, showarrow=False, xanchor="right")
                for i, name in enumerate(names)
            ]
        self.figure.data = []
        self.figure.add_traces(traces)
        self.figure.update_layout(
            height=height,
            annotations=notes,
            hovermode="closest",
            dragmode=False,
            xaxis={"visible": False, "range": [-1.8, (len(shown) - 1) * COLUMN + 0.8]},
            yaxis={"visible": False, "range": [-(rows - 1) * ROW - 0.8, 1.2], "scaleanchor": "x"},
        )
        self._neuron_trace, self._bias_trace = self.figure.data[-2], self.figure.data[-1]
        self._link_traces, self._link_hover = self.figure.data[:8], self.figure.data[8]
        self._neuron_trace.on_click(self._on_click)
        self._drawn: dict[str, object] = {}  # what the last draw sent, to skip what is unchanged
        options = [
            (f"layer {l}{' (output)' if l == len(shown) - 1 else ''}, neuron {j + 1}", (l, j + 1))
            for l, j in self._units
            if l > 0
        ]
        if self.selected not in [value for _, value in options]:
            self.selected = options[0][1]
        self.dropdown.options = options
        self.dropdown.value = self.selected

    @staticmethod
    def _title(layer: int, count: int) -> str:
        return "input" if layer == 0 else "output" if layer == count - 1 else f"layer {layer}"

    # ------------------------------------------------------------------ drawing
    def draw(self) -> None:
        """Thumbnails (or circles), links, biases, hover texts, selection and the panel."""
        if self._key is None:
            return
        probe, field, last = self._probe, self._field, len(self._key[0]) - 1
        output = probe.layers[-1].activation if probe is not None else None
        if output is None and field is not None and field.data.task == "classification":
            output = "sigmoid"  # class probabilities in [0, 1]
        means = self._means()
        # Values go in wire form through Figure.assign: plotly's validators were most of the
        # drawing time (1-D float32 goes as a binary buffer, z as a typed array).
        figure = self.figure
        if self._thumbnails:
            index = 0
            for l, block in enumerate(field.neurons):
                if l == 0 and self._collapsed:
                    continue
                if l == 0:  # each input scaled by its own range
                    values = np.stack([_display(unit, 0, None) for unit in block])
                else:
                    values = _display(block, l, output if l == last else None)
                for unit in quantize(values, -1.0, 1.0):  # one byte a cell
                    figure.set_raster(index, z=unit)
                    index += 1
        elif means is not None:
            shown = [
                _display(means[l], l, output if l == last else None)
                if not (l == 0 and self._collapsed)
                else np.zeros(1)
                for l in range(last + 1)
            ]
            colors = np.array([shown[l][j] for l, j in self._units], np.float32)
            figure.assign(self._neuron_trace, {"marker.color": colors})
        self._draw_links(probe)
        self._send_if_changed(
            self._neuron_trace, "text", [self._hover(l, j, means) for l, j in self._units]
        )
        self._draw_selection()

    def _send_if_changed(self, trace: object, key: str, value: object) -> None:
        """Assign `value` unless the last draw sent an equal one (checked in plain Python)."""
        name = f"{trace._trace_ind}:{key}"
        previous = self._drawn.get(name)
        if isinstance(value, np.ndarray):
            same = isinstance(previous, np.ndarray) and np.array_equal(previous, value)
        else:
            same = name in self._drawn and previous == value
        if not same:
            self._drawn[name] = value
            self.figure.assign(trace, {key: value})

    def _means(self) -> list[np.ndarray] | None:
        if self._field is not None and self._field.unit_means:
            return list(self._field.unit_means)
        probe = self._probe
        if probe is None or probe.layers[0].a_prev is None:
            return None
        return [probe.layers[0].a_prev.mean(0), *(layer.a.mean(0) for layer in probe.layers)]

    def _parameters(self, probe: ProbeRecord | None) -> tuple[list, list]:
        """W^l and b^l per layer: the field's (current, and there before the first step),
        else the probe's (as they were before its step's update)."""
        field = self._field
        if field is not None and field.weights:
            return list(field.weights), list(field.biases)
        if probe is None or probe.layers[0].weight is None:
            return [], []
        return [layer.weight for layer in probe.layers], [layer.bias for layer in probe.layers]

    def _draw_links(self, probe: ProbeRecord | None) -> None:
        matrices, bias_list = self._parameters(probe)
        if not matrices:
            weights = np.zeros(0)
        else:
            first = matrices[0].mean(1) if self._collapsed else matrices[0].reshape(-1)
            weights = np.concatenate([first, *(weight.reshape(-1) for weight in matrices[1:])])
        bucket = np.searchsorted(WIDTH_EDGES, np.abs(weights))
        trace_of_link = np.where(weights >= 0, 0, len(WIDTHS)) + bucket
        previous = self._drawn.get("links")
        if previous is None or not np.array_equal(previous, trace_of_link):
            # The paths change only when a link moves to another sign or width bucket.
            self._drawn["links"] = trace_of_link
            for index, trace in enumerate(self._link_traces):
                chosen = np.flatnonzero(trace_of_link == index)
                # x0, x1, NaN per link: NaN breaks the line, and 1-D float32 goes as binary.
                path = np.full((len(chosen), 3, 2), np.nan, np.float32)
                path[:, 0], path[:, 1] = self._starts[chosen], self._ends[chosen]
                xy = {"x": path[:, :, 0].reshape(-1), "y": path[:, :, 1].reshape(-1)}
                self.figure.assign(trace, xy)
        hover = weights.astype(np.float32) if len(weights) else None
        self.figure.assign(self._link_hover, {"customdata": hover})
        values = np.concatenate(bias_list).astype(np.float32) if bias_list else None
        self.figure.assign(self._bias_trace, {"customdata": values, "marker.color": values})

    def _hover(self, layer: int, neuron: int, means: list[np.ndarray] | None) -> str:
        if layer == 0 and self._collapsed:
            return f"{self._key[0][0]} inputs"
        name = "input" if layer == 0 else f"layer {layer}"
        lines = [f"{name}, neuron {neuron + 1}"]
        probe = self._probe
        if probe is not None and probe.layers[0].a_prev is not None:
            row = min(self.example, probe.layers[0].a_prev.shape[0] - 1)
            if layer == 0:
                lines.append(f"a = x = {probe.layers[0].a_prev[row, neuron]:.4g}")
            else:
                record = probe.layers[layer - 1]
                for symbol, values in (("a", record.a), ("z", record.z), ("δ", record.delta)):
                    lines.append(f"{symbol} = {values[row, neuron]:.4g}")
            lines[-1] += f"  (example {row})"
        if means is not None:
            lines.append(f"mean a = {means[layer][neuron]:.4g}")
        return "<br>".join(lines)

    def _draw_selection(self, force: bool = False) -> None:
        """Frame the selected neuron and write its equations into the panel (while training at
        most every PANEL_SECONDS, unless `force`: a new selection shows at once)."""
        widths = np.ones(len(self._units), np.float32)
        if self.selected is not None:
            widths[self._units.index((self.selected[0], self.selected[1] - 1))] = 4
        self._send_if_changed(self._neuron_trace, "marker.line.width", widths)
        probe = self._probe
        if probe is not None and probe.layers[0].a is not None:
            self.example_slider.max = probe.layers[0].a.shape[0] - 1
        # While training, new numbers at most every PANEL_SECONDS: readable, and the kernel
        # converts the equations (~7 ms, ~10 KB of MathML) twice a second, not at every refresh.
        now = time.monotonic()
        if force or not self._running or now - self._panel_at >= PANEL_SECONDS:
            text = self._panel_text()
            if text != self.panel.value:
                self.panel.value = text
                self._panel_at = now

    def _panel_text(self) -> str:
        if self.selected is None or self._probe is None:
            return _HINT
        layer, neuron = self.selected
        try:
            text = explain_neuron(self._probe, layer, neuron, self.example, self.explain_format)
        except ValueError as error:  # e.g. a probe with arrays=False: say why, do not raise
            return html.escape(str(error))
        if self.explain_format == "latex":
            return mathml(text)
        return f"<pre>{html.escape(text)}</pre>"

    # ------------------------------------------------------------------ selection
    def select(self, layer: int, neuron: int) -> None:
        """Select neuron `neuron` (from 1) of layer `layer` (1 = first hidden, L = output)."""
        if self._key is None:
            raise ValueError("select() needs a network: update the view with a record first")
        widths = self._key[0]
        layer = check_int("layer", layer, minimum=1, maximum=len(widths) - 1)
        neuron = check_int("neuron", neuron, minimum=1, maximum=widths[layer])
        with self._lock:
            self.selected = (layer, neuron)
            if self.dropdown.value != self.selected:
                self.dropdown.value = self.selected  # its observer comes back here: a no-op
            with self.figure.batch_update():
                self._draw_selection(force=True)

    def _on_click(self, trace: object, points: object, state: object) -> None:
        for index in getattr(points, "point_inds", []):
            layer, neuron = self._units[index]
            if layer > 0:  # an input has no equations to explain
                self.select(layer, neuron + 1)
                return

    def _on_dropdown_change(self, change: dict) -> None:
        if change["new"] is not None and change["new"] != self.selected:
            self.select(*change["new"])

    def _on_example_change(self, change: dict) -> None:
        self.example = int(change["new"])
        if self._key is not None:
            self.redraw()

    @property
    def widget(self) -> widgets.Widget:
        """The figure, the neuron and example pickers (for touch screens) and the equations."""
        if self._widget is None:  # one box, so that classes and layout set on it are shown
            controls = widgets.HBox([self.dropdown, self.example_slider])
            self._widget = widgets.VBox([self.figure, controls, self.panel])
        return self._widget
