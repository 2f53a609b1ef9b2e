"""Figure: a plotly FigureWidget drawn by nnviz's own front end, and make_figure, which builds one
with the house layout.

Why not plotly's own front end: its FigureWidget is an anywidget whose `_esm` carries the full
plotly.js (~5 MB) over the websocket on every visit, never cached, and its updates replot every
trace of a figure (a heatmap re-encodes a PNG at each replot). nnviz's `Figure` keeps plotly.py's
Python side and replaces the rest:

- assets (nnviz.views.assets): a ~2 KB loader fetches nnviz-plot.js and plotly.js as static
  files that the browser caches, or over the websocket where nothing serves them;
- wire (nnviz.views.wire): one custom message per batch_update, numpy arrays as raw binary
  buffers; the figures a dashboard redraws after one runner update share one message
  (one_message, ViewGroup);
- browser: edits are drawn by their cost (nnviz-plot.js): rasters (add_raster,
  nnviz.views.rasters) as images recoloured in place, line data inside the axes as a new SVG
  path, colours as style edits, and only the rest as a replot, at most once per animation
  frame, acknowledged once drawn.

A page that connects late (a reload, Voila after the cells ran) gets the current figure: the
synced state is refreshed whenever it is asked for, and the front end asks for a full copy if
updates went out while it was loading.

One piece (~330 lines): the class overrides plotly's message hooks (_send_*_msg), its
batch_update and get_state, which share the revision, raster and batch state of one object.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from copy import deepcopy

# isort: off
# _lazy_nbformat before plotly, which imports nbformat eagerly; _numpy_first: plotly's
# validators let numpy arrays pass unprobed.
from nnviz.views import _lazy_nbformat, _numpy_first  # noqa: F401  imported for their effects

# isort: on
import numpy as np
import plotly.graph_objects as go
import traitlets
from plotly.basedatatypes import BaseTraceType, Undefined

from nnviz.views.assets import (
    ASSETS,
    LOADER_ESM,
    STATIC,
    check_trace_types,
)
from nnviz.views.rasters import edit_raster, new_raster, state_raster
from nnviz.views.style import BASE_LAYOUT, CONFIG
from nnviz.views.wire import array_delta, click_event, encode_message, gathering, wire_ready

_FIGURES: weakref.WeakValueDictionary[str, Figure] = weakref.WeakValueDictionary()
IN_FLIGHT = 5  # updates a figure may have sent that the browser has not yet drawn


class Figure(go.FigureWidget):
    """A FigureWidget drawn by nnviz's front end: cached assets, cheap live updates, rasters.

    Python-side it is plotly's FigureWidget (data, layout, batch_update, on_click, validation);
    what differs is the wire and the browser. Edits go as one custom message per batch, arrays as
    raw binary buffers; heatmaps that change every refresh are *rasters* (add_raster), drawn as
    images that the browser recolours without a replot. The browser acknowledges each update
    once it has drawn it, and `awaiting_browser` tells the views to wait for that."""

    _esm = LOADER_ESM
    _nnviz_rev = traitlets.Int(0).tag(sync=True)  # the update the synced state is current to
    _nnviz_rasters: traitlets.List = traitlets.List([]).tag(sync=True)  # state_raster specs
    _nnviz_id = traitlets.Unicode("").tag(sync=True)  # the comm id, for grouped acknowledgements
    _in_batch_mode: bool  # plotly's: inside batch_update

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._rev = 0  # updates sent so far
        self._drawn_rev: int | None = None  # the last update a browser said it has drawn
        self._raster_specs: list[dict] = []
        self._raster_edits: dict[int, dict] = {}
        self._structure_changed = False  # rasters added or removed since the last message
        self._bytes_sent = 0  # payload bytes of every message sent (JSON + buffers)
        super().__init__(*args, **kwargs)
        check_trace_types(self.data)
        self.on_msg(self._on_front_message)
        _FIGURES[self.model_id] = self  # the browser acknowledges several figures at once
        self._nnviz_id = self.model_id

    # ------------------------------------------------------------------ the browser's side
    def _on_front_message(self, _widget: object, content: dict, buffers: list) -> None:
        method = content.get("method") if isinstance(content, dict) else None
        if method == "drawn":
            self._drawn(content.get("rev", 0))
            for model_id, rev in content.get("others") or ():  # figures drawn in the same frame
                other = _FIGURES.get(str(model_id))
                if other is not None:
                    other._drawn(rev)
        elif method == "sync" and int(content.get("rev", -1)) != self._rev:
            self._send_figure()  # the page missed updates while its front end loaded
        elif method == "click":  # plotly's own click callbacks (on_click) take it from here
            self._handler_js2py_pointsCallback({"new": click_event(content.get("points") or [])})
        elif method == "asset" and content.get("name") in ASSETS:
            source = (STATIC / ASSETS[content["name"]]).read_bytes()
            self.send({"op": "asset", "name": content["name"]}, [source])

    def _drawn(self, rev: int | str) -> None:
        self._drawn_rev = max(self._drawn_rev or 0, int(rev))

    @property
    def bytes_sent(self) -> int:
        """Payload bytes of every message this figure has sent (JSON text plus buffers)."""
        return self._bytes_sent

    @property
    def awaiting_browser(self) -> bool:
        """True while a browser that has acknowledged updates before has not yet drawn the
        last IN_FLIGHT of them; False with no browser at all (tests, a kernel nobody watches).

        Five in flight: the acknowledgement's round trip (kernel, server, a page whose main
        thread is busy, back to a kernel whose training thread holds the GIL) takes 40-130 ms
        here, up to three refresh intervals; with two, a third of the refreshes waited for it,
        and with three the Playground's slowest view drew 15.2 times a second against 17.8 with
        five (three alternating runs each, benchmarks/browser.py). The page shows at most two
        waiting updates a frame apart and folds older ones in, so a slow browser is never
        behind by a backlog."""
        if self._drawn_rev is None:
            return False
        return self._rev - self._drawn_rev >= IN_FLIGHT

    # ------------------------------------------------------------------ messages out
    def _push(self, content: dict) -> None:
        if self.comm is None:
            return
        self._rev += 1
        gathered = gathering()  # inside one_message() on this thread
        buffers: list[memoryview] = [] if gathered is None else gathered[1]
        first = len(buffers)
        message = {**encode_message(content, buffers), "rev": self._rev}
        self._bytes_sent += len(json.dumps(message)) + sum(b.nbytes for b in buffers[first:])
        if gathered is None:
            self.send(message, buffers)
        else:
            gathered[0].append((self, message))

    def _send_figure(self) -> None:
        """The whole figure (after structural changes, or for a page that missed updates)."""
        self._raster_edits.clear()
        self._structure_changed = False
        self._push({"op": "figure", "data": self._data, "layout": self._layout,
                    "rasters": self._raster_specs})  # fmt: skip

    def _send_update_msg(
        self,
        restyle_data: dict,
        relayout_data: dict,
        trace_indexes: object = None,
        source_view_id: object = None,
    ) -> None:
        if self._structure_changed:
            self._send_figure()
            return
        indexes = self._normalize_trace_indexes(trace_indexes)
        rasters, self._raster_edits = self._raster_edits, {}
        self._push({"op": "update", "restyle": restyle_data, "relayout": relayout_data,
                    "traces": indexes, "rasters": rasters})  # fmt: skip

    def _send_restyle_msg(
        self, restyle_data: dict, trace_indexes: object = None, source_view_id: object = None
    ) -> None:
        self._send_update_msg(restyle_data, {}, trace_indexes)

    def _send_relayout_msg(self, layout_data: dict, source_view_id: object = None) -> None:
        self._send_update_msg({}, layout_data, [])

    def _send_addTraces_msg(self, new_traces_data: list) -> None:
        self._send_figure()

    def _send_deleteTraces_msg(self, delete_inds: list) -> None:
        self._send_figure()

    def add_traces(self, data: object, *args: object, **kwargs: object) -> Figure:
        """plotly's add_traces (add_trace and add_<type> call it), for the trace types nnviz's
        plotly.js draws (TRACE_TYPES)."""
        check_trace_types(data if isinstance(data, list | tuple) else [data])
        return super().add_traces(data, *args, **kwargs)

    def _send_moveTraces_msg(self, current_inds: list, new_inds: list) -> None:
        self._send_figure()

    def _send_animate_msg(
        self, styles_data: dict, relayout_data: dict, trace_indexes: object, animation_opts: object
    ) -> None:
        self._send_update_msg(styles_data, relayout_data, trace_indexes)

    # ------------------------------------------------------------------ rasters
    def add_raster(
        self,
        x: tuple[float, float],
        y: tuple[float, float],
        colorscale: list | str,
        zmin: float = 0.0,
        zmax: float = 1.0,
        xref: str = "x",
        yref: str = "y",
        transform: str = "linear",
        hover: str | None = None,
        z: np.ndarray | None = None,
        levels: tuple[float, float] | None = None,
        xlabels: np.ndarray | None = None,
    ) -> int:
        """A heatmap drawn as an image over [x0, x1] x [y0, y1] of axes (xref, yref); returns its
        index for set_raster. Row 0 of z lies at y0, column 0 at x0. The colour of a cell is the
        colorscale at (z - zmin) / (zmax - zmin) (of log1p(z) with transform="log1p"); NaN is
        transparent. `hover` is a template for the cell under the pointer: %{x}, %{y}, %{z}
        (the cell's value), %{row}, %{col} (from 1), each with an optional format (%{z:.3f}).
        With `levels` (lo, hi), z holds quantize(values, lo, hi): one byte a cell. `xlabels`, one
        number per column, is %{xlabel} in the hover (the step of a column, say)."""
        spec = new_raster(x, y, colorscale, zmin, zmax, xref, yref, transform, hover, z, levels,
                          xlabels)  # fmt: skip
        self._raster_specs.append(spec)
        self._structure_changed = True  # the next message carries the whole figure
        return len(self._raster_specs) - 1

    def set_raster(self, index: int, **values: object) -> None:
        """Change raster `index`: z, zmin, zmax, x, y, colorscale, visible, hover; sent with the
        batch (or at once outside batch_update), only the keys given."""
        wire = edit_raster(self._raster_specs[index], values)
        if wire:
            self._raster_edits.setdefault(index, {}).update(wire)
        if wire and not self._in_batch_mode:
            self._send_update_msg({}, {}, [])

    def clear_rasters(self) -> None:
        """Remove every raster (a view rebuilding its figure)."""
        self._raster_specs, self._raster_edits = [], {}
        self._structure_changed = True

    @property
    def rasters(self) -> tuple[dict, ...]:
        """The rasters as they are now (read them; change them with set_raster)."""
        return tuple(self._raster_specs)

    # ------------------------------------------------------------------ batches
    @contextmanager
    def batch_update(self) -> Iterator[None]:
        """plotly's batch_update, with a leaner exit when nothing listens for changes.

        plotly's exit re-applies every edit through its restyle/relayout machinery and walks
        the trace objects to dispatch change callbacks; with no `on_change` callback anywhere
        (views use on_click at most), writing the edits into the figure's dicts and sending the
        one update message is the same, at a fraction of the cost. Raster changes join it."""
        if self._in_batch_mode:
            yield
            return
        if self._has_change_callbacks():
            with super().batch_update():
                yield
            if self._raster_edits:
                self._send_update_msg({}, {}, [])
            return
        self._in_batch_mode = True
        try:
            yield
        finally:
            self._in_batch_mode = False
            restyle, relayout, indexes = self._build_update_params_from_batch()
            wire: dict[str, list] = {}
            for key, values in restyle.items():
                wire[key] = []
                for index, value in zip(indexes, values, strict=True):
                    if value is not Undefined:
                        wire[key].append(array_delta(self._data[index].get(key), value))
                        self._set_in(self._data[index], key, value)
                    else:
                        wire[key].append(value)
            restyle = wire
            for key, value in relayout.items():
                self._set_in(self._layout, key, value)
            if indexes or relayout or self._raster_edits:
                self._send_update_msg(restyle, dict(relayout), indexes)
            self._batch_layout_edits.clear()
            self._batch_trace_edits.clear()

    def _has_change_callbacks(self) -> bool:
        objects = [self._layout_obj, *self.data]
        return any(getattr(obj, "_change_callbacks", None) for obj in objects)

    def assign(self, trace: int | BaseTraceType, values: Mapping[str, object]) -> None:
        """Set properties of one trace (an index or the trace) by plotly key path ("x",
        "marker.color", "customdata"), skipping plotly's per-property validation.

        For values a view built itself (numpy arrays, numbers, strings): the validators copy and
        probe every array, which cost views most of their drawing time. Inside batch_update the
        values join the batch's single message, as assignments do."""
        index = trace if isinstance(trace, int) else trace._trace_ind
        values = {key: wire_ready(value) for key, value in values.items()}
        if self._in_batch_mode:
            self._batch_trace_edits.setdefault(index, {}).update(values)
        else:
            self.plotly_restyle({key: [value] for key, value in values.items()}, [index])

    def assign_layout(self, values: Mapping[str, object]) -> None:
        """Set layout properties by key path ("title.text", "xaxis.range"), like assign."""
        values = {key: wire_ready(value) for key, value in values.items()}
        if self._in_batch_mode:
            self._batch_layout_edits.update(values)
        else:
            self.plotly_relayout(dict(values))

    def get_state(self, key: str | list[str] | None = None, drop_defaults: bool = False) -> dict:
        """The widget state with the figure as it is now, not as it was built.

        FigureWidget syncs its full figure at construction and sends later changes as
        messages; a browser that builds the view later (a reload, Voila after the cells ran)
        asks for the state, and would otherwise draw construction-time data."""
        keys = (key,) if isinstance(key, str) else key
        built = hasattr(self, "_data")  # the first get_state runs inside the constructor
        if built and (keys is None or {"_widget_data", "_widget_layout"} & set(keys)):
            self._trait_values["_widget_data"] = deepcopy(self._data)
            self._trait_values["_widget_layout"] = deepcopy(self._layout)
            self._trait_values["_nnviz_rasters"] = [state_raster(r) for r in self._raster_specs]
            self._trait_values["_nnviz_rev"] = self._rev
        return super().get_state(key=key, drop_defaults=drop_defaults)


def make_figure(height: int = 300, width: int | None = None, **layout: object) -> Figure:
    """A Figure with the house layout; `layout` entries override it."""
    merged = {**BASE_LAYOUT, "height": height, **({"width": width} if width else {}), **layout}
    figure = Figure(layout=merged)
    figure._config = {**figure._config, **CONFIG}
    return figure
