"""WeightsView: every weight matrix W^l as a heatmap, with its biases b^l in a thin column beside
it, orange for negative and blue for positive (TensorFlow Playground's colours), from LayerProbe.

Row j, column i of layer l's heatmap is w_ij^l = W^l[j, i], from input i to unit j (both counted
from 1). Each layer's colour scale is symmetric around 0 and spans its own largest |w| or |b|,
so small layers stay readable; the title gives that |w| max and how many weights are near 0.

"Near 0" is |w| < NEAR_ZERO: an L1 penalty pulls weights to 0 with steps of eta*lambda that jump
back and forth across it, so they end up tiny, seldom exactly 0 (lesson 07 counts the same way)."""

from __future__ import annotations

import numpy as np

from nnviz.core.records import LayerRecord, RunnerUpdate
from nnviz.views.base import View, only_changed
from nnviz.views.style import BASE_LAYOUT, DIVERGING, axis_suffix, panel_title

NO_ARRAYS = "not recorded: LayerProbe(arrays=False)"


NEAR_ZERO = 0.01
_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def superscript(number: int) -> str:
    """`number` in Unicode superscript digits (W² for layer 2)."""
    return str(number).translate(_SUPERSCRIPTS)


def zero_count_text(weight: np.ndarray) -> str:
    """'k of n weights ≈ 0 · |w| max m' for one weight matrix (≈ 0: |w| < NEAR_ZERO)."""
    near = int(np.count_nonzero(np.abs(weight) < NEAR_ZERO))
    return f"{near} of {weight.size} weights ≈ 0 · |w| max {np.max(np.abs(weight)):.3g}"


class WeightsView(View):
    """W^l and b^l of every layer, side by side, on a diverging scale around 0."""

    needs = ("probe",)  # a LayerProbe with arrays=True (the default)

    def __init__(self, height: int = 260) -> None:
        super().__init__(height=height)
        self._height = self.figure.layout.height
        self._layer_count = 0  # the layer count the rasters are built for
        self._shapes: tuple = ()  # and their weight shapes
        self._sent: dict = {}  # what draw last sent to the layout, by (None, key path)
        self.clear()

    def clear(self) -> None:
        """Forget the run."""
        self._layers: tuple[LayerRecord, ...] = ()
        self._step = -1

    def ingest(self, update: RunnerUpdate) -> None:
        """Keep the newest probe's layer records (only the latest weights are drawn)."""
        if update.probe is not None:
            self._layers, self._step = update.probe.layers, update.probe.step

    def draw(self) -> None:
        """Send each layer's weights, biases and title (assign: no per-property validation)."""
        shapes = tuple(None if r.weight is None else r.weight.shape for r in self._layers)
        if shapes != self._shapes:
            self._shapes = shapes
            self._rebuild(len(self._layers))
        figure = self.figure
        layout: dict[str, object] = {}
        for layer, record in enumerate(self._layers):
            number = layer + 1
            if record.weight is None:
                layout[f"annotations[{layer}].text"] = f"W{superscript(number)}<br>{NO_ARRAYS}"
                continue
            weight = np.asarray(record.weight, np.float32)
            bias = np.zeros(len(weight), np.float32) if record.bias is None else record.bias
            bias = np.asarray(bias, np.float32)
            extent = float(max(np.max(np.abs(weight)), np.max(np.abs(bias), initial=0.0)))
            extent = extent or 1.0  # all zero: any symmetric range shows white
            # Rasters of exact float32 (the hover reads them); the scale spans +-|w| max.
            for index, values in ((2 * layer, weight), (2 * layer + 1, bias[:, None])):
                figure.set_raster(index, z=values, zmin=-extent, zmax=extent)
            layout[f"annotations[{layer}].text"] = (
                f"W{superscript(number)} ({record.activation})<br>{zero_count_text(weight)}"
            )
        step = f"step {self._step}" if self._step >= 0 else "no probe yet"
        # Plain text (Unicode indices): the browser rewrites it in place at every refresh.
        layout["title.text"] = f"weights wᵢⱼˡ and biases bⱼˡ · {step}"
        changed = only_changed(self._sent, layout)
        if changed:
            figure.assign_layout(changed)

    def _rebuild(self, count: int) -> None:
        """One weight raster and one bias column per layer, side by side."""
        layout: dict = {**BASE_LAYOUT, "height": self._height, "annotations": []}
        self.figure.clear_rasters()
        gap = 0.09  # room for the next layer's "j (z)" axis title beside this layer's biases
        width = (1 - gap * max(count - 1, 0)) / max(count, 1)
        for layer in range(count):
            left, number = layer * (width + gap), layer + 1
            split = left + 0.85 * width  # weights | a thin gap | biases
            for offset, (across, name) in enumerate(
                (([left, split], "W"), ([split + 0.02 * width, min(left + width, 1.0)], "b"))
            ):
                axis = 2 * layer + offset + 1
                suffix = axis_suffix(axis)
                record = self._layers[layer]
                n_out, n_in = (1, 1) if record.weight is None else record.weight.shape
                columns = n_in if name == "W" else 1
                layout[f"xaxis{suffix}"] = {
                    "domain": across,
                    "anchor": f"y{suffix}",
                    "showticklabels": name == "W",
                    "title": {"text": f"i (a<sup>{layer}</sup>)" if name == "W" else ""},
                    "tickfont": {"size": 9},
                    "range": [0.5, columns + 0.5],
                    "tick0": 1,
                    "dtick": max(1, columns // 8),  # whole neuron numbers
                    "showgrid": False,
                    "zeroline": False,
                }
                layout[f"yaxis{suffix}"] = {
                    "domain": [0, 0.8],
                    "anchor": f"x{suffix}",
                    "range": [n_out + 0.5, 0.5],  # unit 1 on top, like a matrix
                    "showticklabels": name == "W",
                    "title": {"text": f"j (z<sup>{number}</sup>)" if name == "W" else "",
                              "standoff": 2},
                    "tickfont": {"size": 9},
                    "tick0": 1,
                    "dtick": max(1, n_out // 8),
                    "showgrid": False,
                    "zeroline": False,
                }  # fmt: skip
                tip = (
                    f"w<sub>%{{col}},%{{row}}</sub><sup>{number}</sup> = %{{z:.4g}}<br>"
                    "from input i = %{col} to unit j = %{row}"
                    if name == "W"
                    else f"b<sub>%{{row}}</sub><sup>{number}</sup> = %{{z:.4g}}"
                )
                self.figure.add_raster(
                    x=(0.5, columns + 0.5), y=(0.5, n_out + 0.5), colorscale=DIVERGING,
                    zmin=-1, zmax=1, xref=f"x{suffix}", yref=f"y{suffix}", hover=tip,
                )  # fmt: skip
            layout["annotations"].append(panel_title("", left, 0.82))
        self.figure.data = ()
        self.figure.layout = layout
        self._layer_count = count
        self._sent = {}  # new annotations: nothing sent to them yet
