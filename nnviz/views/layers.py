"""LayerStatsView: how each layer's a, z and delta are spread over time (fastai's "colorful
dimension"), its gradient norm, and the share of dead or saturated units, from LayerProbe.

Every probed step brings, per layer and quantity, a histogram over that batch's own [min, max],
so negative values are never cut off. To draw the steps side by side, each kept histogram is
re-binned onto one common range, the min..max over the kept steps (it adapts as old steps
leave), spreading each bin's count evenly over its width: totals are preserved
(nnviz.views.histograms). The view keeps
the last `max_columns` probed steps. Hover shows the count, the colour follows log(1 + count).

Each histogram is a raster (Figure.add_raster) of uint16 counts, columns evenly spaced from the
first kept step to the last. The common range is rounded out to a coarse grid (nice_range), so
it stays put for many refreshes, kept while the data fills at least a third of it and moved
with room to spare when the data outgrows it or shrinks (sticky_range): then a refresh sends
only the newest column and the browser scrolls the rest (figure.array_delta), ~100 bytes per
histogram instead of 13 KB."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

import numpy as np
from plotly.colors import sample_colorscale

from nnviz.core.checks import check_int
from nnviz.core.records import QUANTITIES, RunnerUpdate
from nnviz.views.base import View, only_changed
from nnviz.views.histograms import explicit_scale, rebin, sticky_range
from nnviz.views.style import BASE_LAYOUT, PALETTE, axis_name, axis_suffix, panel_title

LABELS = {
    "a": "a<sub>j</sub><sup>l</sup>",
    "z": "z<sub>j</sub><sup>l</sup>",
    "delta": "δ<sub>j</sub><sup>l</sup> = ∂C/∂z<sub>j</sub><sup>l</sup>",
}
COLOR_SCALES = {"a": "Blues", "z": "Greens", "delta": "Purples"}
INACTIVE = "σ'(z) < 1% of its peak"
COUNT_TEXT = "count ≈ %{z:.0f} (values of the batch, all units, in this bin)"


class _Column(NamedTuple):
    step: int
    grad_norms: np.ndarray  # (layers,)
    dead: np.ndarray  # (layers,)


class LayerStatsView(View):
    """Histograms of a/z/delta over time per layer, gradient norms and dead fractions."""

    needs = ("probe",)

    def __init__(
        self,
        quantities: tuple[str, ...] = ("a", "delta"),
        max_columns: int = 200,
        height: int | None = None,
    ) -> None:
        chosen = [quantities] if isinstance(quantities, str) else list(quantities)
        if isinstance(quantities, str) or not chosen or not set(chosen) <= set(QUANTITIES):
            raise ValueError(f"quantities={quantities!r}: give a tuple drawn from {QUANTITIES}")
        if len(set(chosen)) < len(chosen):
            raise ValueError(f"quantities={quantities!r}: each quantity at most once")
        self.quantities = tuple(quantities)
        self.max_columns = check_int("max_columns", max_columns, minimum=2)
        super().__init__(height=height or 130 * len(self.quantities) + 200)
        self._height = self.figure.layout.height
        self._layer_count = 0  # the layer count the traces are built for
        self.figure.update_layout(title_text="no probed step yet: press ▶ Play or Step")
        self._sent: dict = {}  # what draw last sent, by (trace index or raster, key)
        self.clear()

    def clear(self) -> None:
        """Forget the run (the traces stay, emptied at the next draw)."""
        self._columns: deque[_Column] = deque(maxlen=self.max_columns)
        # Per (layer, quantity): counts (max_columns, bins), edges (max_columns, bins + 1) and
        # whether a column has one, in rings: slot = column number % max_columns, so a draw
        # gathers them with one fancy index instead of stacking 200 small arrays each time.
        self._histograms: dict[tuple[int, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._added = 0  # columns appended since the clear
        self._ranges: dict[tuple[int, str], tuple[float, float]] = {}  # shown, by (layer, q)
        self._activations: tuple[str, ...] = ()

    def ingest(self, update: RunnerUpdate) -> None:
        """Keep the probe's histograms and norms when it brings a new step."""
        probe = update.probe
        if probe is None or (self._columns and probe.step == self._columns[-1].step):
            return
        layers = probe.layers
        if self._columns and (
            len(layers) != len(self._activations) or probe.step < self._columns[-1].step
        ):
            self.clear()  # another architecture or another run: the old columns mean nothing
        self._activations = tuple(layer.activation for layer in layers)
        slot = self._added % self.max_columns
        for _, _, present in self._histograms.values():
            present[slot] = False
        for layer in layers:
            for quantity in set(self.quantities) & set(layer.summaries):
                summary = layer.summaries[quantity]
                ring = self._histograms.get((layer.index, quantity))
                if ring is None or ring[0].shape[1] != len(summary.counts):
                    # Only the newest bin count is drawn (another LayerProbe(bins=...) may differ).
                    bins = len(summary.counts)
                    ring = (
                        np.zeros((self.max_columns, bins)),
                        np.zeros((self.max_columns, bins + 1)),
                        np.zeros(self.max_columns, bool),
                    )
                    self._histograms[layer.index, quantity] = ring
                ring[0][slot], ring[1][slot], ring[2][slot] = summary.counts, summary.edges, True
        self._added += 1
        norms = np.array([layer.grad_norm for layer in layers])
        dead = np.array([layer.dead_fraction for layer in layers])
        self._columns.append(_Column(probe.step, norms, dead))

    # ------------------------------------------------------------------ drawing
    def draw(self) -> None:
        """Re-bin the kept histograms and send them with the norm and dead-fraction curves."""
        count = len(self._activations)
        if count and count != self._layer_count:
            self._rebuild(count)
        if not self._layer_count:
            return
        columns = list(self._columns)
        steps = np.array([column.step for column in columns], np.float32)
        figure, sent, raster = self.figure, self._sent, 0
        layout: dict[str, object] = {}
        for quantity in self.quantities:
            for layer in range(self._layer_count):
                (low, high), counts = self._heatmap(len(columns), layer, quantity)
                # A power of 2 above the largest count: the colour scale changes rarely.
                top = float(2.0 ** np.ceil(np.log2(max(float(counts.max(initial=0)), 1.0))))
                # The columns fill the panel, oldest left: its x axis stays [0, 1] (no ticks to
                # redraw as the window moves); each column's step is in the hover and the title.
                changed = only_changed(sent, {"zmax": top, "y": (low, high)}, ("raster", raster))
                figure.set_raster(raster, z=counts, xlabels=steps, **changed)
                layout[f"yaxis{axis_suffix(raster + 1)}.range"] = [low, high]
                raster += 1
        if len(steps):
            window = f"columns: steps {steps[0]:,.0f} to {steps[-1]:,.0f}, newest on the right"
        else:
            window = "no probed step yet: press Play or Step"
        layout[f"annotations[{self._window_note}].text"] = window
        changed = only_changed(sent, layout)
        if changed:
            figure.assign_layout(changed)
        index = 0
        for key in ("grad_norms", "dead"):
            kept = np.array([getattr(column, key) for column in columns], np.float32)
            values = np.ascontiguousarray(kept.reshape(len(columns), self._layer_count).T)
            for layer in range(self._layer_count):  # rows of `values`: contiguous float32
                changed = only_changed(sent, {"x": steps, "y": values[layer]}, index)
                if changed:
                    figure.assign(index, changed)
                index += 1

    def _heatmap(
        self, count: int, layer: int, quantity: str
    ) -> tuple[tuple[float, float], np.ndarray]:
        """The common range and counts (bins, columns) of the last `count` steps on it."""
        ring = self._histograms.get((layer, quantity))
        order = np.arange(self._added - count, self._added) % self.max_columns
        present = np.zeros(0, bool) if ring is None else ring[2][order]
        if ring is None or not present.any():
            return (0.0, 1.0), np.zeros((1, 1), np.uint16)
        counts, edges = ring[0][order[present]], ring[1][order[present]]
        low, high = float(edges[:, 0].min()), float(edges[:, -1].max())
        if high <= low:  # a constant over every kept step: give it a visible band
            low, high = low - 0.5, high + 0.5
        low, high = sticky_range(self._ranges.get((layer, quantity)), low, high)
        self._ranges[(layer, quantity)] = (low, high)
        target = np.linspace(low, high, counts.shape[1] + 1)
        z = np.zeros((counts.shape[1], count))
        z[:, present] = rebin(counts, edges, target).T
        counts = np.clip(np.round(z), 0, 65535)
        # One byte a cell while every count fits (a hidden layer of 8 units in batches of 10
        # has at most 80 values a step): half of what uint16 sends when a range changes.
        return (low, high), counts.astype(np.uint8 if counts.max(initial=0) <= 255 else np.uint16)

    def _rebuild(self, count: int) -> None:
        """Lay out the subplots and traces for `count` layers."""
        rows = len(self.quantities)
        gap, bottom = 0.06, 0.26  # the norm/dead row takes `bottom` of the height
        row_height = (1 - bottom - gap * rows) / rows
        column_width = (1 - 0.03 * (count - 1)) / count
        layout: dict = {**BASE_LAYOUT, "height": self._height, "annotations": []}
        traces: list[dict] = []
        self.figure.clear_rasters()
        for row, quantity in enumerate(self.quantities):
            top = 1 - row * (row_height + gap)
            for layer in range(count):
                number = row * count + layer + 1
                left = layer * (column_width + 0.03)
                self._axes(layout, number, [left, left + column_width], [top - row_height, top])
                label = LABELS[quantity].replace("<sup>l</sup>", f"<sup>{layer + 1}</sup>")
                short = label.split(" = ")[0]  # delta without its definition
                title = f"{label}  (layer {layer + 1}, {self._activations[layer]})"
                self._title(layout, number, title)
                self.figure.add_raster(
                    x=(0, 1), y=(0, 1), colorscale=explicit_scale(COLOR_SCALES[quantity]),
                    zmin=0, zmax=1, transform="log1p", xref=axis_name("x", number),
                    yref=axis_name("y", number),
                    hover=f"step %{{xlabel:.0f}}<br>{short} ≈ %{{y:.3g}}<br>{COUNT_TEXT}",
                )  # fmt: skip
                layout[f"xaxis{axis_suffix(number)}"].update(range=[0, 1], showticklabels=False,
                                                showgrid=False, zeroline=False)  # fmt: skip
        norms, dead = rows * count + 1, rows * count + 2
        self._axes(layout, norms, [0, 0.47], [0, bottom], {"type": "log"})
        self._axes(layout, dead, [0.53, 1], [0, bottom], {"range": [-0.02, 1.02]})
        self._title(layout, norms, "‖∂C_total/∂W<sup>l</sup>‖ (log)")
        self._title(layout, dead, f"dead / saturated units ({INACTIVE} on every example)")
        lowest = 1 - (rows - 1) * (row_height + gap) - row_height  # the histograms' bottom
        note = panel_title("", 1.0, lowest - 0.01)
        note.update(xanchor="right", yanchor="top")
        self._window_note = len(layout["annotations"])  # the steps the columns span
        layout["annotations"].append(note)
        colours = sample_colorscale([PALETTE["delta"], PALETTE["a"]], max(count, 2))
        for number, key in ((norms, "‖∂C_total/∂W‖"), (dead, "dead fraction")):
            for layer in range(count):
                tip = f"layer {layer + 1}: {key} = %{{y:.3g}}<br>step %{{x}}"
                if number == dead:
                    tip += f"<br>dead: {INACTIVE}<br>on every example of the batch"
                traces.append(
                    {
                        "type": "scatter",
                        "mode": "lines",
                        "name": f"layer {layer + 1}",
                        "line": {"color": colours[layer], "width": 1.5},
                        "xaxis": axis_name("x", number),
                        "yaxis": axis_name("y", number),
                        "hovertemplate": tip + "<extra></extra>",
                    }
                )
        self.figure.data = ()
        self.figure.layout = layout
        self.figure.add_traces(traces)
        self._layer_count = count
        self._sent = {}  # new traces: nothing sent to them yet

    @staticmethod
    def _axes(layout: dict, number: int, across: list, up: list, y: dict | None = None) -> None:
        suffix = axis_suffix(number)
        layout[f"xaxis{suffix}"] = {
            "domain": across,
            "anchor": axis_name("y", number),
            "tickfont": {"size": 9},
        }
        layout[f"yaxis{suffix}"] = {
            "domain": up,
            "anchor": axis_name("x", number),
            "tickfont": {"size": 9},
            **(y or {}),
        }

    @staticmethod
    def _title(layout: dict, number: int, text: str) -> None:
        suffix = axis_suffix(number)
        across, up = layout[f"xaxis{suffix}"]["domain"], layout[f"yaxis{suffix}"]["domain"]
        layout["annotations"].append(panel_title(text, across[0], up[1]))
