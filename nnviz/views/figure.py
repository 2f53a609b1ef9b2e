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

import json
import threading
from copy import deepcopy
from pathlib import Path

import anywidget
import plotly
import plotly.graph_objects as go
import traitlets

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
    return (await globalThis[key]).default();
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
        super().__init__(*args, **kwargs)

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


def make_figure(height: int = 300, width: int | None = None, **layout: object) -> Figure:
    """A Figure with the house layout; `layout` entries override it."""
    merged = {**BASE_LAYOUT, "height": height, **({"width": width} if width else {}), **layout}
    figure = Figure(layout=merged)
    figure._config = {**figure._config, **CONFIG}
    return figure
