"""DecisionBoundaryView: the network's output over the input plane, as TF Playground shows it.

2-D data: a heatmap of FieldRecord.output (orange for class 0 / negative, blue for class 1 /
positive, near-white at the boundary; K classes: a colour per class, paler where the softmax is
less sure) under the train points (white outline) and test points (black outline). Other data:
the confusion matrix (true class rows, predicted columns). One figure, four fixed traces.

The plane is a raster (Figure.add_raster): the browser recolours it in place, without a replot.
What goes over the wire per refresh is its z, one byte a cell (quantize: 4 KB for 64 x 64), and
the title; the points and the axes only when the DataRecord changes (views compare records by
identity), visibility only when it changes. Values go through Figure.assign in wire form: plotly's
per-property validation was most of the drawing time.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from nnviz.core.records import DataRecord, FieldRecord, RunnerUpdate
from nnviz.views.base import View
from nnviz.views.boundary_colours import DIVERGING, colour_scales, plane_values
from nnviz.views.rasters import quantize

_TRAIN, _TEST, _CONFUSION = range(3)  # traces; the plane is raster 0


class DecisionBoundaryView(View):
    """The decision boundary (2-D data) or the confusion matrix (other data), live."""

    needs = ("field",)  # reads FieldRecords: nnviz.live adds a FieldProbe to the run

    def __init__(
        self,
        show_test: bool = True,
        discretize: bool = False,
        height: int = 420,
        controls: bool = True,
    ) -> None:
        super().__init__(height=height)
        self._show_test = _check_flag("show_test", show_test)
        self._discretize = _check_flag("discretize", discretize)
        self._field: FieldRecord | None = None
        self._drawn_data: DataRecord | None = None  # whose points and axes the figure shows
        self._drawn_colours: tuple | None = None  # (data, discretize) the colour scale is for
        self._drawn_visible = [False] * 3  # per trace, as built
        self._drawn_plane = False
        self._levels = (0.0, 1.0)  # the plane's value range, as its colour scale spans it
        self._drawn_title: str | None = None
        self._checkboxes: dict[str, widgets.Checkbox] = {}
        # False when a dashboard carries these settings itself (the Playground's, in its link).
        self._controls = _check_flag("controls", controls)
        self._widget: widgets.VBox | None = None
        point = {"mode": "markers", "marker": {"size": 6}, "visible": False}
        self.figure.add_traces(
            [
                go.Scatter(name="train", **point),
                go.Scatter(name="test", **point),
                go.Heatmap(name="confusion", colorscale="Blues", showscale=False, visible=False),
            ]
        )
        self.figure.add_raster(x=(0, 1), y=(0, 1), colorscale=DIVERGING)
        self.figure.set_raster(0, visible=False)

    # ------------------------------------------------------------------ settings
    @property
    def show_test(self) -> bool:
        """Whether the test points are drawn (black outline) besides the train points."""
        return self._show_test

    @show_test.setter
    def show_test(self, value: bool) -> None:
        self._set("show_test", value)

    @property
    def discretize(self) -> bool:
        """Whether the plane shows hard classes (TF Playground's "discretize output")."""
        return self._discretize

    @discretize.setter
    def discretize(self, value: bool) -> None:
        self._set("discretize", value)

    def _set(self, name: str, value: bool) -> None:
        value = _check_flag(name, value)
        with self._lock:
            setattr(self, f"_{name}", value)
            if name in self._checkboxes:
                self._checkboxes[name].value = value  # a no-op when the box itself changed
            self.redraw()

    @property
    def widget(self) -> widgets.Widget:
        """The two checkboxes above the figure (just the figure with controls=False)."""
        if self._widget is None and not self._controls:
            self._widget = widgets.VBox([self.figure])
        if self._widget is None:
            for name, label in (("show_test", "Show test data"), ("discretize", "Discretize")):
                box = widgets.Checkbox(value=getattr(self, name), description=label, indent=False)
                box.observe(lambda change, name=name: self._set(name, change["new"]), "value")
                self._checkboxes[name] = box
            controls = widgets.HBox(list(self._checkboxes.values()))
            self._widget = widgets.VBox([controls, self.figure])
        return self._widget

    # ------------------------------------------------------------------ View
    def ingest(self, update: RunnerUpdate) -> None:
        """Keep the latest field record."""
        if update.field is not None:
            self._field = update.field

    def clear(self) -> None:
        """Forget the field and the drawn data set: the next draw rebuilds everything."""
        self._field = self._drawn_data = self._drawn_colours = None

    def draw(self) -> None:
        """Write the heatmap (or the confusion counts), and the points if the data changed."""
        field = self._field
        if field is None:
            self._show([False] * 3)
            self._show_plane(False)
            self._set_title("waiting for the first update")
            return
        data, output = field.data, field.output
        plane = output is not None
        if data is not self._drawn_data:
            self._draw_data(field, plane)
        shown = (plane, plane and self._show_test, not plane and field.confusion is not None)
        self._show(shown)
        self._show_plane(plane)
        if output is not None:
            if self._drawn_colours != (data, self._discretize):
                self._draw_colours(data)
            low, high = self._levels
            z = plane_values(data, output, field.confidence, self._discretize)
            self.figure.set_raster(0, z=quantize(z, low, high))
        elif field.confusion is not None:
            self.figure.assign(_CONFUSION, {"z": np.asarray(field.confusion, np.int32)})
        self._set_title(_title(field, plane))

    # ------------------------------------------------------------------ helpers
    def _show(self, visible: list[bool] | tuple[bool, ...]) -> None:
        """Set the traces' visibility, sending only what changed since the last draw."""
        for index, value in enumerate(visible):
            if self._drawn_visible[index] != value:
                self.figure.assign(index, {"visible": bool(value)})
                self._drawn_visible[index] = bool(value)

    def _show_plane(self, shown: bool) -> None:
        if self._drawn_plane != shown:
            self.figure.set_raster(0, visible=shown)
            self._drawn_plane = shown

    def plane(self) -> np.ndarray | None:
        """The plane's values as drawn (the raster's z decoded), or None before a 2-D field."""
        raster = self.figure.rasters[0]
        if raster["z"] is None or not self._drawn_plane:
            return None
        low, high = raster["levels"]
        z = raster["z"].astype(np.float32) * np.float32((high - low) / 254) + np.float32(low)
        z[raster["z"] == 255] = np.nan
        return z

    def _set_title(self, text: str) -> None:
        if text != self._drawn_title:
            self.figure.assign_layout({"title.text": text})
            self._drawn_title = text

    def _draw_data(self, field: FieldRecord, plane: bool) -> None:
        """Static per data set: axes, grid coordinates and points (visibility is draw's)."""
        data, figure = field.data, self.figure
        layout: dict[str, object] = {}
        axes: dict[str, tuple] = {}  # title, range, autorange per axis
        if plane:
            extent, train, test = data.extent, data.train_points, data.test_points
            if extent is None or train is None or test is None:
                raise ValueError(f"a plane needs the points and extent of {data.name!r}; got None")
            grid_x, grid_y = _grid(field)
            x_min, x_max, y_min, y_max = (float(value) for value in extent)
            # The grid values are cell centres: the image spans half a cell beyond them.
            half_x = (x_max - x_min) / (2 * (len(grid_x) - 1))
            half_y = (y_max - y_min) / (2 * (len(grid_y) - 1))
            x = (float(grid_x[0]) - half_x, float(grid_x[-1]) + half_x)
            y = (float(grid_y[0]) - half_y, float(grid_y[-1]) + half_y)
            figure.set_raster(0, x=x, y=y)
            axes = {"xaxis": ("x1", [x_min, x_max], False), "yaxis": ("x2", [y_min, y_max], False)}
            kind = "value" if data.task == "regression" else "class"
            hover = f"x1=%{{x:.2f}}<br>x2=%{{y:.2f}}<br>{kind} %{{marker.color:.3g}}<extra></extra>"
            for index, points, targets, outline in (
                (_TRAIN, train, data.train_targets, "white"),
                (_TEST, test, data.test_targets, "black"),
            ):
                values: dict[str, object] = {"x": _floats(points[:, 0]), "y": _floats(points[:, 1])}
                values |= {"hovertemplate": hover, "marker.color": _floats(targets)}
                figure.assign(index, values | {"marker.line.color": outline})
        elif field.confusion is not None:
            labels = [str(k) for k in range(data.n_classes)]
            hover = "true %{y}, predicted %{x}: %{z}<extra></extra>"
            figure.assign(
                _CONFUSION,
                {"x": labels, "y": labels, "texttemplate": "%{z}", "hovertemplate": hover},
            )
            axes = {
                "xaxis": ("predicted class", None, True),
                "yaxis": ("true class", None, "reversed"),
            }
        for name, (title, extent, autorange) in axes.items():
            kind = "linear" if plane else "category"
            layout |= {f"{name}.title.text": title, f"{name}.range": extent,
                       f"{name}.autorange": autorange, f"{name}.type": kind,
                       f"{name}.showgrid": False, f"{name}.zeroline": False}  # fmt: skip
        # Square plane, square cells.
        figure.assign_layout(layout | {"yaxis.scaleanchor": "x", "yaxis.scaleratio": 1})
        self._drawn_data, self._drawn_colours = data, None

    def _draw_colours(self, data: DataRecord) -> None:
        """Colour scales of the plane and the points, for the task and the discretize setting."""
        hard = self._discretize
        heat, points, label = colour_scales(data, hard)
        hover = f"x1=%{{x:.2f}}<br>x2=%{{y:.2f}}<br>{label}"
        self._levels = (heat["zmin"], heat["zmax"])
        self.figure.set_raster(0, hover=hover, levels=list(self._levels), **heat)
        for index in (_TRAIN, _TEST):
            self.figure.assign(index, {f"marker.{key}": value for key, value in points.items()})
        self._drawn_colours = (data, hard)


def _check_flag(parameter: str, value: object) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ValueError(
            f"{parameter} must be True or False; got {value!r} of type {type(value).__name__}"
        )
    return bool(value)


def _floats(values: np.ndarray) -> np.ndarray:
    """1-D float32, contiguous: what ipywidgets sends as one binary buffer."""
    return np.ascontiguousarray(values, np.float32).reshape(-1)


def _title(field: FieldRecord, plane: bool) -> str:
    """Step, and the accuracy the confusion counts give."""
    text = f"step {field.step}"
    if field.confusion is not None and field.confusion.sum():
        accuracy = np.trace(field.confusion) / field.confusion.sum()
        text += f" · {field.confusion_split} accuracy {accuracy:.1%}"
    elif not plane:
        text += f" · {field.data.task}: no plane and no classes to draw"
    return text


def _grid(field: FieldRecord) -> tuple[np.ndarray, np.ndarray]:
    """The plane's cell centres along x1 and x2."""
    if field.grid_x is None or field.grid_y is None:
        raise ValueError(
            f"a plane needs its grid; got grid_x={field.grid_x}, grid_y={field.grid_y}"
        )
    return field.grid_x, field.grid_y
