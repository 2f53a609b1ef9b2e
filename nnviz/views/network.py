"""NetworkView: the MLP drawn as TF Playground draws it, plus what the Playground never shows:
delta = dC/dz and the seed's equations for the neuron you pick (nnviz.explain_neuron).

Columns are layers, neurons stack from the top (nnviz.views.network_geometry). Each neuron is a
small heatmap of its output over the input plane (FieldRecord.neurons), or a circle coloured by
its mean activation when there is no plane. Thumbnails are rasters (Figure.add_raster), one byte
a cell, recoloured in the browser without a replot. Links are grouped into a few traces by sign
and |w| bucket, so a refresh restyles ~10 traces whatever the width, and the link paths travel
only when a link changes sign or width bucket. Draws write wire-ready values through
Figure.assign. The selected neuron's equations are in the panel below (network_panel).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from nnviz.core.checks import check_choice, check_int
from nnviz.core.records import FieldRecord, ProbeRecord, RunnerUpdate
from nnviz.views.base import View, only_changed
from nnviz.views.network_drawing import (
    network_annotations,
    network_traces,
    network_widths,
    neuron_hover,
    parameters,
    probe_widths,
    unit_means,
)
from nnviz.views.network_geometry import (
    automatic_height,
    link_path,
    link_traces,
    link_weights,
    network_geometry,
    neuron_pixels,
    neuron_values,
    thumbnail_values,
)
from nnviz.views.network_panel import EXPLAIN_FORMATS, EquationPanel
from nnviz.views.rasters import quantize
from nnviz.views.style import DIVERGING


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
        self.equations = EquationPanel()
        self.panel = self.equations.widget
        self._auto_height = height is None
        self.selected: tuple[int, int] | None = None  # (layer, neuron) in the seed's indices
        self._running = False  # the last update came from a running runner
        self.example = 0
        self.dropdown = widgets.Dropdown(options=[], description="Neuron")
        self.example_slider = widgets.IntSlider(0, 0, 0, description="Example")
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
        self.equations.reset()

    def ingest(self, update: RunnerUpdate) -> None:
        """Keep the newest probe and field records; rebuild the traces if the network changed."""
        self._running = update.state == "running"
        if update.field is not None:
            self._field = update.field
        if update.probe is not None:
            self._probe = update.probe
        widths = network_widths(self._field, self._probe)
        if widths is None:
            return
        if self._probe is not None and probe_widths(self._probe) not in (None, widths):
            self._probe = None  # from the previous architecture: the field is newer
        field = self._field
        thumbnails = self.thumbnail and field is not None and field.thumb_x is not None
        size = (
            field.neurons[0].shape[-1] if field is not None and thumbnails and field.neurons else 0
        )
        key = (widths, thumbnails and size > 0, size)
        if key != self._key:
            self._key = key
            self._build(widths, key[1])

    # ------------------------------------------------------------------ figure structure
    def _build(self, widths: tuple[int, ...], thumbnails: bool) -> None:
        """Lay the network out and create its traces (outside batch_update: traces change)."""
        geometry = network_geometry(widths)
        self._geometry, self._thumbnails = geometry, thumbnails
        self._units, centers, shown = geometry.units, geometry.centers, geometry.shown
        self.figure.clear_rasters()
        if thumbnails:
            for (l, _), (x, y) in zip(self._units, centers, strict=True):
                if l == 0 and geometry.collapsed:
                    continue
                self.figure.add_raster(
                    x=(x - 0.5, x + 0.5), y=(y - 0.5, y + 0.5), colorscale=DIVERGING,
                    zmin=-1, zmax=1, levels=(-1, 1),
                )  # fmt: skip
        height = self.figure.layout.height
        if self._auto_height:
            height = automatic_height(geometry.rows)
        pixels = neuron_pixels(height, geometry.rows)
        traces = network_traces(geometry, thumbnails, pixels)
        self.figure.data = []
        self.figure.add_traces(traces)
        names = self._field.data.feature_names if self._field is not None else ()
        self.figure.update_layout(
            height=height,
            annotations=network_annotations(geometry, names),
            hovermode="closest",
            dragmode=False,
            xaxis={"visible": False, "range": geometry.x_range},
            yaxis={"visible": False, "range": geometry.y_range, "scaleanchor": "x"},
        )
        self._neuron_trace, self._bias_trace = self.figure.data[-2], self.figure.data[-1]
        self._link_traces, self._link_hover = self.figure.data[:8], self.figure.data[8]
        self._neuron_trace.on_click(self._on_click)
        self._sent: dict = {}  # what the last draw sent, by (trace index, key)
        self._sent_links: np.ndarray | None = None  # the trace of each link, as last sent
        options = [
            (f"layer {l}{' (output)' if l == len(shown) - 1 else ''}, neuron {j + 1}", (l, j + 1))
            for l, j in self._units
            if l > 0
        ]
        if self.selected not in [value for _, value in options]:
            self.selected = options[0][1]
        self.dropdown.options = options
        self.dropdown.value = self.selected

    # ------------------------------------------------------------------ drawing
    def draw(self) -> None:
        """Thumbnails (or circles), links, biases, hover texts, selection and the panel."""
        if self._key is None:
            return
        probe, field = self._probe, self._field
        output = probe.layers[-1].activation if probe is not None else None
        if output is None and field is not None and field.data.task == "classification":
            output = "sigmoid"  # class probabilities in [0, 1]
        means = unit_means(field, probe)
        # Values go in wire form through Figure.assign: plotly's validators were most of the
        # drawing time (1-D float32 goes as a binary buffer, z as a typed array).
        figure, collapsed = self.figure, self._geometry.collapsed
        if self._thumbnails and field is not None:
            rasters = (unit for block in thumbnail_values(field.neurons, output, collapsed)
                       for unit in quantize(block, -1.0, 1.0))  # fmt: skip  # one byte a cell
            for index, unit in enumerate(rasters):
                figure.set_raster(index, z=unit)
        elif means is not None:
            colors = neuron_values(means, self._units, output, collapsed)
            figure.assign(self._neuron_trace, {"marker.color": colors})
        self._draw_links(probe)
        hover = [
            neuron_hover(self._geometry, l, j, probe, self.example, means) for l, j in self._units
        ]
        self._send_if_changed(self._neuron_trace, "text", hover)
        self._draw_selection()

    def _send_if_changed(self, trace: go.Scatter, key: str, value: object) -> None:
        """Assign `value` unless the last draw sent an equal one."""
        changed = only_changed(self._sent, {key: value}, trace._trace_ind)
        if changed:
            self.figure.assign(trace, changed)

    def _draw_links(self, probe: ProbeRecord | None) -> None:
        matrices, bias_list = parameters(self._field, probe)
        weights = link_weights(matrices, self._geometry.collapsed)
        trace_of_link = link_traces(weights)
        if self._sent_links is None or not np.array_equal(self._sent_links, trace_of_link):
            # The paths change only when a link moves to another sign or width bucket.
            self._sent_links = trace_of_link
            starts, ends = self._geometry.starts, self._geometry.ends
            for index, trace in enumerate(self._link_traces):
                chosen = np.flatnonzero(trace_of_link == index)
                x, y = link_path(starts[chosen], ends[chosen])
                self.figure.assign(trace, {"x": x, "y": y})
        hover = weights.astype(np.float32) if len(weights) else None
        self.figure.assign(self._link_hover, {"customdata": hover})
        values = np.concatenate(bias_list).astype(np.float32) if bias_list else None
        self.figure.assign(self._bias_trace, {"customdata": values, "marker.color": values})

    def _draw_selection(self, force: bool = False) -> None:
        """Frame the selected neuron and write its equations into the panel (while training at
        most every PANEL_SECONDS, unless `force`: a new selection shows at once)."""
        widths = np.ones(len(self._units), np.float32)
        if self.selected is not None:
            widths[self._geometry.index(self.selected[0], self.selected[1] - 1)] = 4
        self._send_if_changed(self._neuron_trace, "marker.line.width", widths)
        probe = self._probe
        if probe is not None and probe.layers[0].a is not None:
            self.example_slider.max = probe.layers[0].a.shape[0] - 1
        self.equations.show(
            probe, self.selected, self.example, self.explain_format, self._running, force
        )

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
