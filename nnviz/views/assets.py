"""The browser's half of a Figure, as files: nnviz's front end (nnviz/static/nnviz-plot.js), the
plotly.js build it draws with (1.2 MB, built by tools/plotly-bundle with the TRACE_TYPES below),
and the ~2 KB loader that each figure's widget carries instead of plotly's ~5 MB `_esm`.

Both files are static, so the browser caches them (Voila: the nnviz template's static folder;
JupyterLab: the nnviz server extension); without either route the loader asks the kernel for
them over the websocket (Figure answers "asset" messages), so a figure works anywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

STATIC = Path(__file__).resolve().parent.parent / "static"
FRONT_FILE = "nnviz-plot.js"
PLOTLY_FILE = "plotly-nnviz-4.1.1.min.js"
FRONT_VERSION = hashlib.sha1((STATIC / FRONT_FILE).read_bytes()).hexdigest()[:12]
PLOTLY_VERSION = "4.1.1"
ASSETS = {"front": FRONT_FILE, "plotly": PLOTLY_FILE}
# The trace types that build draws (tools/plotly-bundle/entry.js); a figure refuses the others,
# which the browser would silently leave out.
TRACE_TYPES = ("scatter", "bar", "heatmap", "contour")

LOADER_ESM = """
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
    LOADER_ESM = LOADER_ESM.replace(_token, _value)


def check_trace_types(traces: Iterable[Any]) -> None:
    """Raise ValueError for a trace (dict or plotly trace) of a type outside TRACE_TYPES."""
    for trace in traces:
        kind = trace.get("type", "scatter") if isinstance(trace, dict) else trace.type
        if kind not in TRACE_TYPES:
            raise ValueError(
                f"trace type {kind!r}: nnviz's figures draw {', '.join(TRACE_TYPES)} (its "
                "plotly.js build, tools/plotly-bundle); use plotly's own figures for others"
            )
