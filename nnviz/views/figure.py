"""Figures for the views: plotly FigureWidgets drawn by nnviz's own front end.

Why not plotly's own front end: its FigureWidget is an anywidget whose `_esm` carries the full
plotly.js (~5 MB) over the websocket on every visit, never cached, and its updates replot every
trace of a figure (a heatmap re-encodes a PNG at each replot). nnviz's `Figure` keeps plotly.py's
Python side and replaces the rest:

- assets: nnviz/static/nnviz-plot.js and plotly.js (1.2 MB, built by tools/plotly-bundle with
  the TRACE_TYPES below) are static files
  that the browser caches (Voila: the nnviz template's static folder; JupyterLab: the nnviz
  server extension), fetched by a ~2 KB loader; without either route they come over the
  websocket, so a figure works anywhere;
- wire: one custom message per batch_update, numpy arrays as raw binary buffers; the figures
  a dashboard redraws after one runner update share one message (one_message, ViewGroup);
- browser: edits are drawn by their cost (nnviz-plot.js): rasters (add_raster) as images
  recoloured in place, line data inside the axes as a new SVG path, colours as style edits, and
  only the rest as a replot, at most once per animation frame, acknowledged once drawn.

A page that connects late (a reload, Voila after the cells ran) gets the current figure: the
synced state is refreshed whenever it is asked for, and the front end asks for a full copy if
updates went out while it was loading.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from pathlib import Path

# isort: off
import nnviz.views._lazy_nbformat  # noqa: F401  before plotly, which imports nbformat eagerly

# isort: on
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import traitlets
from _plotly_utils import basevalidators
from plotly.basedatatypes import Undefined

# nnviz's own front end (nnviz/static/nnviz-plot.js) and the plotly.js build it draws with, served
# as static files (Voila: the nnviz template's static folder; JupyterLab: nnviz's server
# extension), so the browser caches them: the page's websocket carries only this small loader.
STATIC = Path(__file__).resolve().parent.parent / "static"
FRONT_FILE = "nnviz-plot.js"
PLOTLY_FILE = "plotly-nnviz-4.1.1.min.js"
FRONT_VERSION = hashlib.sha1((STATIC / FRONT_FILE).read_bytes()).hexdigest()[:12]
PLOTLY_VERSION = "4.1.1"
ASSETS = {"front": FRONT_FILE, "plotly": PLOTLY_FILE}
# The trace types that build draws (tools/plotly-bundle/entry.js); a figure refuses the others,
# which the browser would silently leave out.
TRACE_TYPES = ("scatter", "bar", "heatmap", "contour")

_LOADER_ESM = """
const VERSION = "__VERSION__", PLOTLY = { name: "__PLOTLY__", version: "__PLOTLY_VERSION__" };
const key = `__nnviz_front_${VERSION}`;
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function baseUrl() {
  try {
    const config = document.getElementById("jupyter-config-data");
    if (config) return JSON.parse(config.textContent).baseUrl || "/";
  } catch (error) { /* not a Jupyter page */ }
  return "/";
}

function ask(model, name) {
  // The file itself over the websocket: only where no static route serves it.
  return new Promise((resolve) => {
    const listener = (content, buffers) => {
      if (content.op === "asset" && content.name === name) {
        model.off("msg:custom", listener);
        resolve(new TextDecoder().decode(buffers[0]));
      }
    };
    model.on("msg:custom", listener);
    model.send({ method: "asset", name });
  });
}

function front(model) {
  if (!globalThis[key]) {
    globalThis[key] = (async () => {
      // Absolute: this module is itself imported from a blob: URL, which resolves nothing.
      const base = new URL(baseUrl(), location.href).href;
      const voila = base + "voila/templates/nnviz/static/", lab = base + "nnviz/static/";
      const order = location.pathname.includes("/voila/") ? [voila, lab] : [lab, voila];
      for (const prefix of order) {
        try {
          const module = await import(`${prefix}__FRONT__?v=${VERSION}`);
          await module.ready(prefix, PLOTLY);
          return module;
        } catch (error) { /* not served here: try the next route */ }
      }
      const source = await ask(model, "front");
      const blob = new Blob([source], { type: "text/javascript" });
      const module = await import(URL.createObjectURL(blob));
      await module.ready(null, PLOTLY, (name) => ask(model, name));
      return module;
    })();
  }
  return globalThis[key];
}

export default () => {
  let loaded;
  return {
    // anywidget gives up on an initialize that takes over 2 s: answer within 1.5 s, and let the
    // figure's store ask the kernel for anything it missed once the front end is there.
    initialize({ model }) {
      loaded = front(model).then((module) => { module.initialize({ model }); return module; });
      return Promise.race([loaded, pause(1500)]).then(() => undefined);
    },
    async render({ model, el }) {
      const module = await (loaded || front(model));
      return module.render({ model, el });
    },
  };
};
"""
_TOKENS = {"__VERSION__": FRONT_VERSION, "__PLOTLY__": PLOTLY_FILE,
           "__PLOTLY_VERSION__": PLOTLY_VERSION, "__FRONT__": FRONT_FILE}  # fmt: skip
for _token, _value in _TOKENS.items():
    _LOADER_ESM = _LOADER_ESM.replace(_token, _value)


class _NumpyFirst:
    """plotly's narwhals module, except that a numpy array skips `from_native`.

    plotly validates every array assigned to a trace through narwhals.from_native, which for a
    plain numpy array returns it unchanged after ~0.3 ms of type probing: with ~40 arrays per
    refresh that was a third of a view's drawing time. Same result, without the probing."""

    def __init__(self, narwhals: object) -> None:
        self._narwhals = narwhals

    def from_native(self, value: object, *arguments: object, **options: object) -> object:
        """`value` itself for numpy arrays (as narwhals' pass_through gives), else narwhals'."""
        if type(value) is np.ndarray and options.get("pass_through"):
            return value
        return self._narwhals.from_native(value, *arguments, **options)

    def __getattr__(self, name: str) -> object:
        return getattr(self._narwhals, name)


if not isinstance(basevalidators.nw, _NumpyFirst):
    basevalidators.nw = _NumpyFirst(basevalidators.nw)


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


# One look for every view: white plots, small margins, no plotly logo.
BASE_LAYOUT = {
    "template": cartesian_template(),
    "margin": {"l": 40, "r": 10, "t": 30, "b": 30},
    "font": {"size": 11},
    "showlegend": False,
}
CONFIG = {"displaylogo": False, "responsive": True}


_FIGURES: weakref.WeakValueDictionary[str, Figure] = weakref.WeakValueDictionary()
_COLLECTED = threading.local()  # parts and buffers of the message one_message() is gathering
IN_FLIGHT = 3  # updates a figure may have sent that the browser has not yet drawn
_CLICK_STATE = {"alt": False, "ctrl": False, "meta": False, "shift": False, "button": 0,
                "buttons": 0}  # fmt: skip


class Figure(go.FigureWidget):
    """A FigureWidget drawn by nnviz's front end: cached assets, cheap live updates, rasters.

    Python-side it is plotly's FigureWidget (data, layout, batch_update, on_click, validation);
    what differs is the wire and the browser. Edits go as one custom message per batch, arrays as
    raw binary buffers; heatmaps that change every refresh are *rasters* (add_raster), drawn as
    images that the browser recolours without a replot. The browser acknowledges each update
    once it has drawn it, and `awaiting_browser` tells the views to wait for that."""

    _esm = _LOADER_ESM
    _nnviz_rev = traitlets.Int(0).tag(sync=True)  # the update the synced state is current to
    _nnviz_rasters = traitlets.List([]).tag(sync=True)
    _nnviz_id = traitlets.Unicode("").tag(sync=True)  # the comm id, for grouped acknowledgements

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._rev = 0  # updates sent so far
        self._drawn_rev: int | None = None  # the last update a browser said it has drawn
        self._raster_specs: list[dict] = []
        self._raster_edits: dict[int, dict] = {}
        self._structure_changed = False  # rasters added or removed since the last message
        self._bytes_sent = 0  # payload bytes of every message sent (JSON + buffers)
        super().__init__(*args, **kwargs)
        _check_trace_types(self.data)
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
        elif method == "click":
            points = content.get("points") or []
            data = {
                "trace_indexes": [int(p["trace"]) for p in points],
                "point_indexes": [int(p["point"]) for p in points],
                "xs": [p.get("x") for p in points],
                "ys": [p.get("y") for p in points],
            }
            callback = {"event_type": "plotly_click", "points": data, "device_state": _CLICK_STATE}
            self._handler_js2py_pointsCallback({"new": callback})
        elif method == "asset" and content.get("name") in ASSETS:
            source = (STATIC / ASSETS[content["name"]]).read_bytes()
            self.send({"op": "asset", "name": content["name"]}, [source])

    def _drawn(self, rev: object) -> None:
        self._drawn_rev = max(self._drawn_rev or 0, int(rev))

    @property
    def bytes_sent(self) -> int:
        """Payload bytes of every message this figure has sent (JSON text plus buffers)."""
        return self._bytes_sent

    @property
    def awaiting_browser(self) -> bool:
        """True while a browser that has acknowledged updates before has not yet drawn the
        last IN_FLIGHT of them; False with no browser at all (tests, a kernel nobody watches).

        Three in flight: the acknowledgement's round trip (kernel, server, a page whose main
        thread is busy, back to a kernel whose training thread holds the GIL) takes 40-130 ms
        here, longer than two refresh intervals; with two, a third of the refreshes waited for
        it. The page shows at most two waiting updates a frame apart and folds older ones in,
        so a slow browser is never behind by a backlog."""
        if self._drawn_rev is None:
            return False
        return self._rev - self._drawn_rev >= IN_FLIGHT

    # ------------------------------------------------------------------ messages out
    def _push(self, content: dict) -> None:
        if self.comm is None:
            return
        self._rev += 1
        parts = getattr(_COLLECTED, "parts", None)  # inside one_message() on this thread
        buffers: list[memoryview] = [] if parts is None else _COLLECTED.buffers
        first = len(buffers)
        message = {**_encode(content, buffers), "rev": self._rev}
        self._bytes_sent += len(json.dumps(message)) + sum(b.nbytes for b in buffers[first:])
        if parts is None:
            self.send(message, buffers)
        else:
            parts.append((self, message))

    def _send_figure(self) -> None:
        """The whole figure (after structural changes, or for a page that missed updates)."""
        self._raster_edits.clear()
        self._structure_changed = False
        self._push({"op": "figure", "data": self._data, "layout": self._layout,
                    "rasters": self._raster_specs})  # fmt: skip

    def _send_update_msg(self, restyle_data, relayout_data, trace_indexes=None,
                         source_view_id=None):  # fmt: skip
        if self._structure_changed:
            self._send_figure()
            return
        indexes = self._normalize_trace_indexes(trace_indexes)
        rasters, self._raster_edits = self._raster_edits, {}
        self._push({"op": "update", "restyle": restyle_data, "relayout": relayout_data,
                    "traces": indexes, "rasters": rasters})  # fmt: skip

    def _send_restyle_msg(self, restyle_data, trace_indexes=None, source_view_id=None):
        self._send_update_msg(restyle_data, {}, trace_indexes)

    def _send_relayout_msg(self, layout_data, source_view_id=None):
        self._send_update_msg({}, layout_data, [])

    def _send_addTraces_msg(self, new_traces_data):
        self._send_figure()

    def _send_deleteTraces_msg(self, delete_inds):
        self._send_figure()

    def add_traces(self, data, *args: object, **kwargs: object) -> Figure:
        """plotly's add_traces (add_trace and add_<type> call it), for the trace types nnviz's
        plotly.js draws (TRACE_TYPES)."""
        _check_trace_types(data if isinstance(data, list | tuple) else [data])
        return super().add_traces(data, *args, **kwargs)

    def _send_moveTraces_msg(self, current_inds, new_inds):
        self._send_figure()

    def _send_animate_msg(self, styles_data, relayout_data, trace_indexes, animation_opts):
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
        if transform not in ("linear", "log1p"):
            raise ValueError(f"transform must be 'linear' or 'log1p'; got {transform!r}")
        spec = {"x": [float(v) for v in x], "y": [float(v) for v in y], "xref": xref,
                "yref": yref, "colorscale": _colorscale(colorscale), "zmin": float(zmin),
                "zmax": float(zmax), "transform": transform, "hover": hover, "visible": True,
                "levels": None if levels is None else [float(v) for v in levels],
                "xlabels": None if xlabels is None else np.asarray(xlabels, np.float32),
                "z": None if z is None else _raster_z(z)}  # fmt: skip
        self._raster_specs.append(spec)
        self._structure_changed = True  # the next message carries the whole figure
        return len(self._raster_specs) - 1

    def set_raster(self, index: int, **values: object) -> None:
        """Change raster `index`: z, zmin, zmax, x, y, colorscale, visible, hover; sent with the
        batch (or at once outside batch_update), only the keys given."""
        spec = self._raster_specs[index]
        unknown = set(values) - set(spec)
        if unknown:
            raise ValueError(f"set_raster: unknown keys {sorted(unknown)}; allowed: {sorted(spec)}")
        wire = dict(values)
        if "z" in values:
            values["z"] = _raster_z(values["z"])
            wire["z"] = array_delta(spec["z"], values["z"])
            if wire["z"] is _SAME:
                del wire["z"]
        if "xlabels" in values:
            values["xlabels"] = np.ascontiguousarray(values["xlabels"], np.float32)
            wire["xlabels"] = array_delta(spec["xlabels"], values["xlabels"])
            if wire["xlabels"] is _SAME:
                del wire["xlabels"]
        if "colorscale" in values:
            values["colorscale"] = _colorscale(values["colorscale"])
        for key in ("x", "y"):
            if key in values:
                values[key] = [float(v) for v in values[key]]
        for key in ("colorscale", "x", "y"):
            if key in values:
                wire[key] = values[key]
        for key in list(wire):  # what the browser already has is not sent again
            if key not in ("z", "xlabels") and spec[key] == values[key]:
                del wire[key]
        spec.update(values)
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
    def batch_update(self):
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
            wire = {}
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

    def assign(self, trace: int | object, values: dict[str, object]) -> None:
        """Set properties of one trace (an index or the trace) by plotly key path ("x",
        "marker.color", "customdata"), skipping plotly's per-property validation.

        For values a view built itself (numpy arrays, numbers, strings): the validators copy and
        probe every array, which cost views most of their drawing time. Inside batch_update the
        values join the batch's single message, as assignments do."""
        index = trace if isinstance(trace, int) else trace._trace_ind
        values = {key: _wire_ready(value) for key, value in values.items()}
        if self._in_batch_mode:
            self._batch_trace_edits.setdefault(index, {}).update(values)
        else:
            self.plotly_restyle({key: [value] for key, value in values.items()}, [index])

    def assign_layout(self, values: dict[str, object]) -> None:
        """Set layout properties by key path ("title.text", "xaxis.range"), like assign."""
        values = {key: _wire_ready(value) for key, value in values.items()}
        if self._in_batch_mode:
            self._batch_layout_edits.update(values)
        else:
            self.plotly_relayout(dict(values))

    def get_state(self, key=None, drop_defaults=False):
        """The widget state with the figure as it is now, not as it was built.

        FigureWidget syncs its full figure at construction and sends later changes as
        messages; a browser that builds the view later (a reload, Voila after the cells ran)
        asks for the state, and would otherwise draw construction-time data."""
        keys = (key,) if isinstance(key, str) else key
        built = hasattr(self, "_data")  # the first get_state runs inside the constructor
        if built and (keys is None or {"_widget_data", "_widget_layout"} & set(keys)):
            self._trait_values["_widget_data"] = deepcopy(self._data)
            self._trait_values["_widget_layout"] = deepcopy(self._layout)
            self._trait_values["_nnviz_rasters"] = [_state_raster(r) for r in self._raster_specs]
            self._trait_values["_nnviz_rev"] = self._rev
        return super().get_state(key=key, drop_defaults=drop_defaults)


def quantize(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """`values` as bytes for a raster with levels (low, high): 0..254 spans low..high (clipped),
    255 marks NaN. 254 steps: 0.008 on a [-1, 1] scale, finer than a colour scale shows."""
    values = np.asarray(values, np.float32)
    scaled = (np.clip(values, low, high) - low) * (254.0 / (high - low) if high > low else 0.0)
    out = np.rint(np.nan_to_num(scaled, nan=0.0)).astype(np.uint8)
    out[np.isnan(values)] = 255
    return out


def _raster_z(z: object) -> np.ndarray:
    values = np.asarray(z)
    if values.ndim != 2:
        raise ValueError(f"z must be a 2-D array (rows, columns); got shape {values.shape}")
    if values.dtype.name not in ("uint8", "int8", "uint16", "int16", "int32", "float32"):
        values = values.astype(np.float32)
    return np.ascontiguousarray(values)


def _state_raster(spec: dict) -> dict:
    """A raster as widget state: arrays as binary buffers (ipywidgets sends memoryviews raw)."""
    state = dict(spec)
    for key in ("z", "xlabels"):
        values = spec[key]
        if values is not None:
            shape = ",".join(map(str, values.shape))
            state[key] = {"buffer": memoryview(values), "dtype": values.dtype.name, "shape": shape}
    return state


def _colorscale(scale: list | str) -> list:
    """An explicit [[position, colour], ...] scale (plotly's named scales resolved)."""
    if isinstance(scale, str):
        from plotly.colors import get_colorscale

        return [[float(p), c] for p, c in get_colorscale(scale)]
    return [[float(p), str(c)] for p, c in scale]


class _Delta:
    """An array sent as a change of the previous one: `tail` keeps the first `keep` entries
    (columns, for 2-D) and appends `values`; `shift` drops the first `keep` and appends."""

    def __init__(self, kind: str, keep: int, values: np.ndarray) -> None:
        self.kind, self.keep, self.values = kind, keep, values


_SAME = _Delta("same", 0, np.zeros(0))
MAX_SHIFT = 8  # how far back a scrolled array is looked for


def array_delta(old: object, new: object) -> object:
    """What to send for `new` when the browser holds `old`: a _Delta when `new` only grew or
    scrolled (1-D along its length, 2-D along its columns: curves and histograms over time),
    else `new` itself. The comparison is on the bytes, so NaN equals NaN."""
    if not (isinstance(old, np.ndarray) and isinstance(new, np.ndarray)):
        return new
    if old.dtype != new.dtype or old.ndim != new.ndim or new.ndim not in (1, 2):
        return new
    if new.ndim == 2 and old.shape[0] != new.shape[0]:
        return new
    length, before = new.shape[-1], old.shape[-1]
    if old.shape == new.shape and _equal_along(old, new).all():
        return _SAME
    if length < 16:
        return new
    if before <= length:  # the same start, more (or a changed last part) at the end
        differs = np.flatnonzero(~_equal_along(old, new[..., :before]))
        keep = int(differs[0]) if len(differs) else before
        if keep == before == length:
            return _SAME
        if keep >= length // 2:
            return _Delta("tail", keep, np.ascontiguousarray(new[..., keep:]))
    if before == length:  # scrolled by a few: the window moved on
        for shift in range(1, min(MAX_SHIFT, length // 2) + 1):
            if _equal_along(old[..., shift:], new[..., : length - shift]).all():
                return _Delta("shift", shift, np.ascontiguousarray(new[..., length - shift :]))
    return new


def _equal_along(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Per index of the last axis: whether old and new agree there (NaN agreeing with NaN)."""
    same = old == new
    if old.dtype.kind == "f":
        same |= np.isnan(old) & np.isnan(new)
    return same if same.ndim == 1 else same.all(axis=0)


_WIRE_TYPES = {"int8", "uint8", "int16", "uint16", "int32", "uint32", "float32", "float64"}


def _encode(value: object, buffers: list[memoryview]) -> object:
    """`value` as JSON with binary buffers: arrays become {"$b": index, dtype, shape}, NaN null,
    plotly's Undefined {"$u": 1} (leave this trace's value alone)."""
    if isinstance(value, dict):
        return {key: _encode(item, buffers) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(item, buffers) for item in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            return _encode(value.tolist(), buffers)
        if value.dtype.name not in _WIRE_TYPES:  # int64, bool, float16: no typed array
            value = value.astype(np.float64 if value.dtype.kind in "iuf" else np.uint8)
        value = np.ascontiguousarray(value)
        buffers.append(memoryview(value).cast("B"))
        shape = ",".join(map(str, value.shape))
        return {"$b": len(buffers) - 1, "dtype": value.dtype.name, "shape": shape}
    if isinstance(value, np.generic):
        return _encode(value.item(), buffers)
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is Undefined:
        return {"$u": 1}
    if isinstance(value, _Delta):
        return {"$d": value.kind, "keep": value.keep, "values": _encode(value.values, buffers)}
    return value


@contextmanager
def one_message() -> Iterator[None]:
    """Figure updates sent inside this block, on this thread, go to the browser as one message
    when it ends: each figure's update is a part of it, for that figure's store in the page,
    carried by the first figure's comm. One websocket message per refresh of a dashboard instead
    of one per view: the kernel signs and sends one, the server relays one, and the page decodes
    and dispatches one (each costs all three about as much as a small figure's drawing). Revisions
    and acknowledgements stay per figure. Nested blocks join the outer one."""
    if getattr(_COLLECTED, "parts", None) is not None:
        yield
        return
    _COLLECTED.parts, _COLLECTED.buffers = [], []
    try:
        yield
    finally:
        parts, buffers = _COLLECTED.parts, _COLLECTED.buffers
        _COLLECTED.parts = _COLLECTED.buffers = None
        if len(parts) == 1:
            parts[0][0].send(parts[0][1], buffers)
        elif parts:
            grouped = [{**message, "id": figure.model_id} for figure, message in parts]
            parts[0][0].send({"op": "group", "parts": grouped}, buffers)


def panel_title(text: str, x: float, y: float) -> dict:
    """A small title annotation whose lower-left corner sits at paper coordinates (x, y)."""
    return {"text": text, "x": x, "y": y, "xref": "paper", "yref": "paper", "xanchor": "left",
            "yanchor": "bottom", "showarrow": False, "font": {"size": 10}}  # fmt: skip


def _wire_ready(value: object) -> object:
    """A contiguous copy of a strided numpy array: the kernel sends 1-D arrays as binary buffers
    and zmq refuses non-contiguous ones (plotly's validators used to copy them)."""
    if isinstance(value, np.ndarray) and not value.flags.c_contiguous:
        return np.ascontiguousarray(value)
    return value


def _check_trace_types(traces: object) -> None:
    for trace in traces:
        kind = trace.get("type", "scatter") if isinstance(trace, dict) else trace.type
        if kind not in TRACE_TYPES:
            raise ValueError(
                f"trace type {kind!r}: nnviz's figures draw {', '.join(TRACE_TYPES)} (its "
                "plotly.js build, tools/plotly-bundle); use plotly's own figures for others"
            )


def make_figure(height: int = 300, width: int | None = None, **layout: object) -> Figure:
    """A Figure with the house layout; `layout` entries override it."""
    merged = {**BASE_LAYOUT, "height": height, **({"width": width} if width else {}), **layout}
    figure = Figure(layout=merged)
    figure._config = {**figure._config, **CONFIG}
    return figure
