"""Figures for the views: plotly FigureWidgets that share one copy of plotly.js per page and
stay current for browsers that connect late.

Why a shared bundle: plotly's FigureWidget is an anywidget whose `_esm` trait carries plotly.js
and its widget code, ~5 MB, and every instance syncs its own copy (platform notes: one figure
costs 5.1 MB over the websocket, three cost 15.3 MB). Here one hidden `PlotlyLibrary` widget per
kernel carries that module once; its front end imports it and leaves the import's promise on
`globalThis`. Every `Figure` then syncs a few hundred bytes of `_esm` that await that promise
and hand anywidget plotly's own widget definition, so the page pays ~5 MB whatever the number of
views, and everything FigureWidget does (batch_update, restyle, on_click) works unchanged.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from contextlib import contextmanager
from copy import deepcopy
from pathlib import Path

# isort: off
import nnviz.views._lazy_nbformat  # noqa: F401  before plotly, which imports nbformat eagerly

# isort: on
import anywidget
import numpy as np
import plotly
import plotly.graph_objects as go
import traitlets
from _plotly_utils import basevalidators
from plotly.basedatatypes import Undefined

# The widget bundle plotly's own FigureWidget ships (plotly.js + its widget front end).
_BUNDLE = Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"
_KEY = json.dumps(f"__nnviz_plotly_{plotly.__version__}")  # one promise per plotly version

_LIBRARY_ESM = f"""
export default {{
  initialize({{ model }}) {{
    const key = {_KEY};
    if (!globalThis[key]) {{
      const url = URL.createObjectURL(
        new Blob([model.get("source")], {{ type: "text/javascript" }})
      );
      globalThis[key] = import(url);
    }}
  }},
}};
"""

_FIGURE_ESM = f"""
const key = {_KEY};
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export default () => {{
  // plotly's own widget definition, once the library widget's import has finished.
  const definition = (async () => {{
    while (!globalThis[key]) await pause(20);  // the library widget may reach the page later
    const plotly = await globalThis[key];
    // After every update plotly's view sends the kernel each trace's computed differences from
    // its construction-time data: whole arrays, 5 figures x 10 a second, which queued ahead of
    // the Pause click and kept the kernel busy. nnviz reads nothing back from them.
    // Each is now an empty acknowledgement, sent once the browser has drawn the update: the
    // kernel draws the next refresh only then (View), so a slow browser is never flooded.
    plotly.FigureView.prototype._sendTraceDeltas = function (id) {{
      this.model.set("_js2py_traceDeltas", {{ trace_deltas: [], trace_edit_id: id }});
      this.touch();
    }};
    plotly.FigureView.prototype._sendLayoutDelta = () => {{}};
    return plotly.default();
  }})();
  let initialized;
  return {{
    // anywidget gives up on a model whose initialize takes over 2 s, and the 5 MB import can
    // take longer on a busy machine: answer within 1.5 s and let render wait for the rest.
    initialize(props) {{
      initialized = definition.then((plotly) => plotly.initialize(props));
      return Promise.race([initialized, pause(1500)]).then(() => undefined);
    }},
    async render(props) {{
      await initialized;
      return (await definition).render(props);
    }},
  }};
}};
"""


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

_TYPED = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4",
          "uint32": "u4", "float32": "f4", "float64": "f8"}  # fmt: skip


def typed_array(values: np.ndarray) -> dict:
    """An array in plotly.js's typed-array form (base64 bytes the browser decodes): one short
    string to send, where a 2-D array would go as nested JSON lists, ~4-8 bytes a cell and a
    Python walk of every cell when ipywidgets looks for binary buffers."""
    values = np.ascontiguousarray(values)
    if values.dtype.name not in _TYPED:
        raise ValueError(f"values must have one of the dtypes {', '.join(_TYPED)}; got "
                         f"{values.dtype}")  # fmt: skip
    text = base64.b64encode(values.tobytes()).decode("ascii")
    shape = ", ".join(map(str, values.shape))
    return {"dtype": _TYPED[values.dtype.name], "bdata": text, "shape": shape}


def from_typed_array(value: object) -> np.ndarray:
    """The numpy array behind a trace property: decodes typed_array's form, else asarray."""
    if isinstance(value, dict) and "bdata" in value:
        dtype = {code: name for name, code in _TYPED.items()}[value["dtype"]]
        shape = tuple(int(n) for n in str(value["shape"]).split(","))
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=dtype).reshape(shape)
    return np.asarray(value)


# One look for every view: white plots, small margins, no plotly logo.
BASE_LAYOUT = {
    "template": "plotly_white",
    "margin": {"l": 40, "r": 10, "t": 30, "b": 30},
    "font": {"size": 11},
    "showlegend": False,
}
CONFIG = {"displaylogo": False, "responsive": True}


class PlotlyLibrary(anywidget.AnyWidget):
    """Carries plotly's widget bundle to the page once; never displayed."""

    _esm = _LIBRARY_ESM
    source = traitlets.Unicode("").tag(sync=True)


_library: PlotlyLibrary | None = None
_library_lock = threading.Lock()


def plotly_library() -> PlotlyLibrary:
    """The kernel's PlotlyLibrary widget, created (or re-created after close) on first use."""
    global _library
    with _library_lock:
        if _library is None or _library.comm is None:
            _library = PlotlyLibrary(source=_BUNDLE.read_text(encoding="utf-8"))
        return _library


class Figure(go.FigureWidget):
    """A FigureWidget that uses the shared plotly.js and keeps its synced state current."""

    _esm = _FIGURE_ESM

    def __init__(self, *args: object, **kwargs: object) -> None:
        plotly_library()  # opened before the figure, so the page meets the library first
        self._drawn_edit: int | None = None  # the last update a browser said it has drawn
        self._sent_at = self._drawn_at = 0.0  # monotonic clock
        self._browser_seconds = 0.0  # how long the browser took to draw the last update
        super().__init__(*args, **kwargs)

    @traitlets.observe("_js2py_traceDeltas")
    def _on_drawn(self, change: dict) -> None:
        if change["new"]:
            self._drawn_edit = change["new"]["trace_edit_id"]
            self._drawn_at = time.monotonic()
            self._browser_seconds = max(self._drawn_at - self._sent_at, 0.0)

    @property
    def awaiting_browser(self) -> bool:
        """True while a browser that has acknowledged updates before has not yet drawn the
        latest one, or drew it less than its drawing time ago; False with no browser at all
        (tests, a kernel nobody watches yet)."""
        if self._drawn_edit is None:
            return False
        if self._drawn_edit < self._last_trace_edit_id:
            return True
        # Drawn: still leave the browser as long idle as the drawing took, so that at most half
        # of its time goes to this figure and clicks (Pause) are handled between refreshes.
        return time.monotonic() - self._drawn_at < self._browser_seconds

    @contextmanager
    def batch_update(self):
        """plotly's batch_update, with a leaner exit when nothing listens for changes.

        plotly's exit re-applies every edit through its restyle/relayout machinery and walks
        the trace objects to dispatch change callbacks; with no `on_change` callback anywhere
        (views use on_click at most), writing the edits into the figure's dicts and sending the
        one update message is the same, at a fraction of the cost."""
        if self._in_batch_mode or self._has_change_callbacks():
            with super().batch_update():
                yield
            return
        self._in_batch_mode = True
        try:
            yield
        finally:
            self._in_batch_mode = False
            restyle, relayout, indexes = self._build_update_params_from_batch()
            for key, values in restyle.items():
                for index, value in zip(indexes, values, strict=True):
                    if value is not Undefined:
                        self._set_in(self._data[index], key, value)
            for key, value in relayout.items():
                self._set_in(self._layout, key, value)
            if indexes or relayout:
                self._sent_at = time.monotonic()
                self._send_update_msg(restyle, dict(relayout), indexes)
            self._batch_layout_edits.clear()
            self._batch_trace_edits.clear()

    def _has_change_callbacks(self) -> bool:
        objects = [self._layout_obj, *self.data]
        return any(getattr(obj, "_change_callbacks", None) for obj in objects)

    def assign(self, trace: int | object, values: dict[str, object]) -> None:
        """Set properties of one trace (an index or the trace) by plotly key path ("x",
        "marker.color", "customdata"), skipping plotly's per-property validation.

        For values a view built itself (numpy arrays, typed_array dicts, numbers, strings): the
        validators copy and probe every array, which cost views most of their drawing time.
        Inside batch_update the values join the batch's single message, as assignments do."""
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
        restyle/relayout messages; a browser that builds the view later (a reload, Voila after
        the cells ran) asks for the state, and would otherwise draw construction-time data."""
        keys = (key,) if isinstance(key, str) else key
        built = hasattr(self, "_data")  # the first get_state runs inside the constructor
        if built and (keys is None or "_widget_data" in keys or "_widget_layout" in keys):
            self._trait_values["_widget_data"] = deepcopy(self._data)
            self._trait_values["_widget_layout"] = deepcopy(self._layout)
        return super().get_state(key=key, drop_defaults=drop_defaults)


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


def make_figure(height: int = 300, width: int | None = None, **layout: object) -> Figure:
    """A Figure with the house layout; `layout` entries override it."""
    merged = {**BASE_LAYOUT, "height": height, **({"width": width} if width else {}), **layout}
    figure = Figure(layout=merged)
    figure._config = {**figure._config, **CONFIG}
    return figure
