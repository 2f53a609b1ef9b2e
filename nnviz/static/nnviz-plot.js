// nnviz's front end for its plotly figures (nnviz/views/figure.py): plotly.js draws, nnviz decides
// what each live update costs the browser.
//
// Loaded once per page as a cacheable static asset (Voila: /voila/templates/nnviz/static/,
// JupyterLab: /nnviz/static/), with nnviz's plotly.js build beside it. Per figure model it
// keeps the figure (data, layout, rasters) current from the kernel's messages, and per view it
// draws at most once per animation frame, choosing the cheapest way for each edit:
//
//   rasters (heatmaps: boundary, thumbnails, histograms, weights)  colourised into a small canvas
//       shown over the <image> plotly drew for them (a <foreignObject> on the same box): no
//       replot, no PNG encoded or decoded; the <image> gets the picture once the figure is quiet
//   x/y of line traces inside the axis ranges                       the trace's SVG path rewritten
//       (axes with automatic ranges get head-room, so a growing curve rarely leaves them)
//   colours and widths                                               Plotly.restyle ("style" edits)
//   hover-only data (text, customdata)                               kept, and handed to plotly
//       only while the pointer is over the figure
//   anything else                                                    Plotly.update (a replot)
//
// A dashboard's figures refreshed together arrive as one message (op "group", a part per figure).
// Updates are paced: each frame applies and draws a figure's oldest waiting update, so updates
// that arrive in a burst are each seen, a frame apart (two at most wait; older ones fold in).
// After each drawn frame the view's element counts it in `data-draws` and the model acknowledges
// the update, so the kernel keeps at most a few updates in flight to the browser.

const XLINK = "http://www.w3.org/1999/xlink";
const SVG = "http://www.w3.org/2000/svg";
const PACED = 2; // updates a figure keeps waiting for the next frames (frame pacing)
const QUIET_MS = 300; // a figure quiet this long hands its rasters back to plotly's <image>s
const STYLE_KEYS = new Set([
  "marker.color", "marker.line.width", "marker.line.color", "marker.size", "marker.opacity",
  "line.color", "line.width", "line.dash", "opacity",
]);
const HOVER_KEYS = new Set(["text", "customdata", "hovertext"]);
const CHEAP_LAYOUT = /^(title\.text|annotations\[\d+\]\.text)$/;
const HOVER_REFRESH_MS = 300; // while hovered, hover data is handed to plotly at most this often
const HEADROOM = 0.25; // a managed axis has this share of its data's span as room to grow
const HEAVY_MS = 500; // relayouts (ticks, moved images) of one figure at most this often
let Plotly = null;

// ------------------------------------------------------------------------------ loading
export async function ready(prefix, plotlyFile, fetchSource) {
  if (Plotly) return;
  if (window.Plotly && window.Plotly.version === plotlyFile.version) {
    Plotly = window.Plotly;
    return;
  }
  const load = (src) =>
    new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = () => reject(new Error(`could not load ${src}`));
      document.head.appendChild(script);
    });
  // nnviz's Voila template starts plotly.js in the page's head: wait for that one if it is
  // still loading, rather than run a second copy.
  const started = [...document.scripts].find((script) => script.src.includes(plotlyFile.name));
  if (started && !window.Plotly) {
    await new Promise((resolve) => {
      started.addEventListener("load", resolve);
      started.addEventListener("error", resolve);
    });
  }
  if (window.Plotly && window.Plotly.version === plotlyFile.version) {
    Plotly = window.Plotly;
    return;
  }
  if (prefix) {
    await load(`${prefix}${plotlyFile.name}?v=${plotlyFile.version}`);
  } else {
    const url = URL.createObjectURL(new Blob([await fetchSource("plotly")], { type: "text/javascript" }));
    await load(url);
  }
  Plotly = window.Plotly;
}

// ------------------------------------------------------------------------------ wire format
function decode(value, buffers) {
  if (Array.isArray(value)) return value.map((item) => decode(item, buffers));
  if (value === null || typeof value !== "object") return value;
  if ("$b" in value) return typedArray(buffers[value.$b], value.dtype, value.shape);
  if ("$u" in value) return undefined; // plotly.py's Undefined: leave this trace's value alone
  if ("$d" in value) return { $delta: value.$d, keep: value.keep, values: decode(value.values, buffers) };
  if ("buffer" in value && "dtype" in value && value.buffer instanceof DataView) {
    return typedArray(value.buffer, value.dtype, String(value.shape)); // plotly.py's own form
  }
  const out = {};
  for (const key of Object.keys(value)) out[key] = decode(value[key], buffers);
  return out;
}

const TYPES = {
  int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array,
  int32: Int32Array, uint32: Uint32Array, float32: Float32Array, float64: Float64Array,
};

function typedArray(view, dtype, shape) {
  const T = TYPES[dtype];
  let buffer = view.buffer, offset = view.byteOffset;
  if (offset % T.BYTES_PER_ELEMENT) { // unaligned: copy
    buffer = view.buffer.slice(offset, offset + view.byteLength);
    offset = 0;
  }
  const flat = new T(buffer, offset, view.byteLength / T.BYTES_PER_ELEMENT);
  const dims = String(shape).split(",").filter((d) => d !== "").map(Number);
  if (dims.length < 2) return flat;
  return wrap2d(flat, dims[0], dims[1]);
}

function wrap2d(flat, rows, cols) {
  const out = new Array(rows);
  for (let r = 0; r < rows; r++) out[r] = flat.subarray(r * cols, (r + 1) * cols);
  out.flat = flat;
  out.rows = rows;
  out.cols = cols;
  return out;
}

function resolve(old, value) {
  // A delta (nnviz/views/figure.py array_delta) applied to the array the browser holds.
  if (!value || value.$delta === undefined) return value;
  const { $delta: kind, keep, values } = value;
  if (kind === "same") return old;
  if (old && old.flat && values.flat) { // 2-D, along columns
    const rows = old.rows, cols = old.cols, add = values.cols;
    const start = kind === "tail" ? 0 : keep, kept = kind === "tail" ? keep : cols - keep;
    const flat = new old.flat.constructor(rows * (kept + add));
    for (let r = 0; r < rows; r++) {
      flat.set(old.flat.subarray(r * cols + start, r * cols + start + kept), r * (kept + add));
      flat.set(values.flat.subarray(r * add, (r + 1) * add), r * (kept + add) + kept);
    }
    return wrap2d(flat, rows, kept + add);
  }
  const head = kind === "tail" ? old.slice(0, keep) : old.slice(keep);
  if (ArrayBuffer.isView(head) && ArrayBuffer.isView(values)) {
    const out = new head.constructor(head.length + values.length);
    out.set(head);
    out.set(values, head.length);
    return out;
  }
  return [...head, ...values];
}

function setPath(target, path, value) {
  // plotly key paths: "marker.line.width", "annotations[2].text"
  const parts = path.replace(/\[(\d+)\]/g, ".$1").split(".");
  let node = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i];
    if (node[key] === undefined || node[key] === null || typeof node[key] !== "object") {
      node[key] = /^\d+$/.test(parts[i + 1]) ? [] : {};
    }
    node = node[key];
  }
  node[parts[parts.length - 1]] = value;
}

function getPath(target, path) {
  const parts = path.replace(/\[(\d+)\]/g, ".$1").split(".");
  let node = target;
  for (const key of parts) {
    if (node === undefined || node === null) return undefined;
    node = node[key];
  }
  return node;
}

// ------------------------------------------------------------------------------ colour
function parseColour(text) {
  text = String(text).trim();
  if (text[0] === "#") {
    const hex = text.length === 4 ? [...text.slice(1)].map((c) => c + c).join("") : text.slice(1);
    return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  }
  const match = text.match(/rgba?\(([^)]+)\)/);
  if (match) return match[1].split(",").slice(0, 3).map((v) => Math.round(parseFloat(v)));
  return [0, 0, 0];
}

const tables = new Map();

function lookupTable(colorscale) {
  // 256 colours along a plotly colour scale, cached by the scale.
  const key = JSON.stringify(colorscale);
  if (!tables.has(key)) {
    if (tables.size > 64) tables.clear();
    tables.set(key, buildTable(colorscale));
  }
  return tables.get(key);
}

function buildTable(colorscale) {
  const stops = colorscale.map(([position, colour]) => [Number(position), parseColour(colour)]);
  const table = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let k = 1;
    while (k < stops.length - 1 && stops[k][0] < t) k++;
    const [p0, c0] = stops[k - 1], [p1, c1] = stops[Math.min(k, stops.length - 1)];
    const f = p1 > p0 ? Math.min(Math.max((t - p0) / (p1 - p0), 0), 1) : 0;
    for (let c = 0; c < 3; c++) table[4 * i + c] = c0[c] + (c1[c] - c0[c]) * f;
    table[4 * i + 3] = 255;
  }
  return table;
}

// ------------------------------------------------------------------------------ rasters
class Raster {
  // One heatmap as an image: z (rows x cols, row 0 at y0) coloured through a 256-entry table.
  constructor() {
    this.canvas = document.createElement("canvas");
    this.url = ""; // a PNG of the canvas, made only when plotly needs one (source())
    this.stale = false; // the canvas has pixels that url does not show yet
    this.spec = {};
    this.table = null;
    this.tableFor = null;
  }

  update(spec) {
    const old = this.spec;
    this.spec = { ...old, ...spec };
    if (spec.colorscale && JSON.stringify(spec.colorscale) !== this.tableFor) {
      this.tableFor = JSON.stringify(spec.colorscale);
      this.table = lookupTable(spec.colorscale);
    }
    const moved = ["x", "y", "xref", "yref", "visible", "opacity", "smooth"].some(
      (key) => key in spec && JSON.stringify(spec[key]) !== JSON.stringify(old[key])
    );
    return moved;
  }

  paint(flipRows) {
    const { z, zmin, zmax, transform } = this.spec;
    if (!z || !z.flat || !this.table) {
      this.url = "";
      this.stale = false;
      this.hasPixels = false;
      return;
    }
    const { rows, cols, flat } = z;
    const canvas = this.canvas;
    if (canvas.width !== cols || canvas.height !== rows) {
      canvas.width = cols;
      canvas.height = rows;
      this.context = canvas.getContext("2d");
      this.image = this.context.createImageData(cols, rows);
    }
    const pixels = this.image.data, table = this.table;
    const log = transform === "log1p";
    const low = log ? Math.log1p(Math.max(zmin, 0)) : zmin;
    const high = log ? Math.log1p(Math.max(zmax, 0)) : zmax;
    const scale = high > low ? 255 / (high - low) : 0;
    for (let r = 0; r < rows; r++) {
      const target = flipRows ? rows - 1 - r : r;
      for (let c = 0; c < cols; c++) {
        const value = this.level(flat[r * cols + c]);
        const p = 4 * (target * cols + c);
        if (!Number.isFinite(value)) {
          pixels[p + 3] = 0;
          continue;
        }
        const v = log ? Math.log1p(Math.max(value, 0)) : value;
        const i = 4 * Math.min(255, Math.max(0, Math.round((v - low) * scale)));
        pixels[p] = table[i];
        pixels[p + 1] = table[i + 1];
        pixels[p + 2] = table[i + 2];
        pixels[p + 3] = 255;
      }
    }
    this.context.putImageData(this.image, 0, 0);
    this.hasPixels = true;
    this.stale = true;
  }

  source() {
    // The PNG plotly's <image> shows: encoded only for plotly's own draws (a replot, a moved
    // image, the figure gone quiet), never at every frame.
    if (this.stale) {
      this.url = this.canvas.toDataURL("image/png");
      this.stale = false;
    }
    return this.url;
  }

  level(stored) {
    // Quantised rasters (levels [lo, hi]) store 0..254 for lo..hi and 255 for "no value".
    const levels = this.spec.levels;
    if (!levels) return stored;
    return stored === 255 ? NaN : levels[0] + (stored * (levels[1] - levels[0])) / 254;
  }

  image_(flipRows) {
    // The plotly layout image that shows it, sized to its extent.
    const { x, y, xref, yref, visible, opacity } = this.spec;
    const [x0, x1] = x, [y0, y1] = y;
    const source = this.source();
    return {
      source, xref: xref || "x", yref: yref || "y", layer: "below",
      x: Math.min(x0, x1), sizex: Math.abs(x1 - x0),
      y: flipRows ? Math.max(y0, y1) : Math.min(y0, y1), sizey: Math.abs(y1 - y0),
      xanchor: "left", yanchor: "top", sizing: "stretch",
      visible: visible !== false && !!source, opacity: opacity === undefined ? 1 : opacity,
    };
  }

  valueAt(x, y) {
    const { z, x: [x0, x1], y: [y0, y1] } = this.spec;
    if (!z || !z.flat) return null;
    const fx = (x - x0) / (x1 - x0), fy = (y - y0) / (y1 - y0);
    if (!(fx >= 0 && fx < 1 && fy >= 0 && fy < 1)) return null;
    const col = Math.floor(fx * z.cols), row = Math.floor(fy * z.rows);
    const labels = this.spec.xlabels;
    const xlabel = labels && labels.length === z.cols ? labels[col] : x;
    return { value: this.level(z.flat[row * z.cols + col]), row, col, xlabel };
  }
}

function formatNumber(value, format) {
  if (value === null || value === undefined || Number.isNaN(value)) return "";
  const match = /^\.(\d+)([fge%])$/.exec(format || "");
  if (!match) return String(Math.abs(value) < 1e4 ? +Number(value).toPrecision(4) : value);
  const digits = Number(match[1]);
  if (match[2] === "f") return Number(value).toFixed(digits);
  if (match[2] === "%") return `${(100 * value).toFixed(digits)}%`;
  if (match[2] === "e") return Number(value).toExponential(digits);
  return String(+Number(value).toPrecision(Math.max(digits, 1)));
}

function fillTemplate(template, values) {
  return template.replace(/%\{(\w+)(?::([^}]*))?\}/g, (_, name, format) =>
    typeof values[name] === "number" ? formatNumber(values[name], format) : String(values[name] ?? "")
  );
}

// ------------------------------------------------------------------------------ the store
const storesById = new Map(); // the kernel's id of a figure (_nnviz_id) -> its store

class Store {
  // One per figure model: the figure as the kernel last described it, and what views still owe.
  constructor(model) {
    this.model = model;
    this.views = new Set();
    this.rev = model.get("_nnviz_rev") || 0;
    this.data = decode(model.get("_widget_data") || [], []);
    this.layout = decode(model.get("_widget_layout") || {}, []);
    this.config = model.get("_config") || {};
    this.rasters = [];
    this.inbox = []; // updates received, not yet applied: [content, buffers]
    this.setRasters(decode(model.get("_nnviz_rasters") || [], []));
    model.on("msg:custom", (content, buffers) => this.receive(content, buffers || []));
    // By the kernel's id for the figure: a dashboard's refresh comes as one message, carried
    // by one figure, with a part for each.
    const register = () => {
      const id = model.get("_nnviz_id");
      if (id && !storesById.has(id)) storesById.set(id, this);
    };
    register();
    model.on("change:_nnviz_id", register);
    model.send({ method: "sync", rev: this.rev });
  }

  setRasters(specs) {
    this.rasters = specs.map((spec) => {
      const raster = new Raster();
      raster.update(spec);
      raster.dirty = true;
      return raster;
    });
  }

  receive(content, buffers) {
    if (content.op === "group") {
      // The parts' arrays are buffers of this one message ({"$b": index} into all of them).
      for (const part of content.parts || []) storesById.get(part.id)?.receive(part, buffers);
      return;
    }
    if (content.op !== "figure" && content.op !== "update") return; // the loader's assets
    // Frame pacing: updates wait here and each frame's draw takes the oldest (take()), so two
    // that arrive together (the network and a busy main thread deliver them in bursts) show one
    // after the other instead of the first never being seen. Beyond PACED waiting, the oldest
    // apply at once: a slow page lags by a frame or two, never by a backlog.
    this.inbox.push([content, buffers]);
    while (this.inbox.length > PACED) this.apply(...this.inbox.shift());
    if (!this.views.size) {
      while (this.inbox.length) this.apply(...this.inbox.shift()); // nothing draws: keep current
    }
    for (const view of this.views) view.schedule();
  }

  take(frame) {
    // The oldest waiting update, once per animation frame (`frame`: its timestamp) whichever
    // of the figure's views draws first; true if more are waiting.
    if (this.inbox.length && this.taken !== frame) {
      this.taken = frame;
      const [content, buffers] = this.inbox.shift();
      this.apply(content, buffers, false); // drawn in this very frame
    }
    return this.inbox.length > 0;
  }

  apply(content, buffers, schedule = true) {
    if (content.op === "figure") {
      this.data = decode(content.data, buffers);
      this.layout = decode(content.layout, buffers);
      this.setRasters(decode(content.rasters || [], buffers));
      this.rev = content.rev;
      for (const view of this.views) view.replace();
    } else if (content.op === "update") {
      const restyle = decode(content.restyle || {}, buffers);
      const relayout = decode(content.relayout || {}, buffers);
      const rasters = decode(content.rasters || {}, buffers);
      const traces = content.traces || [];
      for (const [key, values] of Object.entries(restyle)) {
        traces.forEach((index, k) => {
          if (values[k] === undefined || !this.data[index]) return;
          values[k] = resolve(getPath(this.data[index], key), values[k]);
          setPath(this.data[index], key, values[k]);
        });
      }
      for (const [key, value] of Object.entries(relayout)) setPath(this.layout, key, value);
      const moved = [];
      for (const [index, spec] of Object.entries(rasters)) {
        const raster = this.rasters[Number(index)];
        if (!raster) continue;
        if (spec.z !== undefined) spec.z = resolve(raster.spec.z, spec.z);
        if (spec.xlabels !== undefined) spec.xlabels = resolve(raster.spec.xlabels, spec.xlabels);
        if (raster.update(spec)) moved.push(Number(index));
        raster.dirty = true;
      }
      this.rev = content.rev;
      for (const view of this.views) view.queue(restyle, traces, relayout, moved);
    }
    if (schedule) for (const view of this.views) view.schedule();
  }

  drawn(rev) {
    if (rev > (this.acked || 0)) {
      this.acked = rev;
      acknowledge(this.model, rev);
    }
  }
}

// One acknowledgement message per frame for every figure drawn in it, sent through one of
// them: each message costs the kernel a busy/idle status pair sent back to every page.
const pendingAcks = new Map(); // model -> rev
let ackTimer = null;

function acknowledge(model, rev) {
  pendingAcks.set(model, rev);
  if (ackTimer === null) {
    ackTimer = setTimeout(() => {
      ackTimer = null;
      const acks = [...pendingAcks];
      pendingAcks.clear();
      const [carrier] = acks[0];
      const others = acks.slice(1).map(([m, r]) => [m.get("_nnviz_id"), r]);
      carrier.send({ method: "drawn", rev: acks[0][1], others });
    }, 0);
  }
}

// First draws, one a frame, those on screen first. A first draw is a newPlot (30-100 ms
// here); a page's figures all arrive at once, and drawn in one frame they made one long task
// (0.3-0.5 s for the Playground's five) in which the page showed nothing and answered nothing.
// One a frame, the top figure on screen shows within a frame and the page stays responsive
// between them.
const firstDraws = new Set();
let firstFrame = null;

function firstDraw(view) {
  firstDraws.add(view);
  if (firstFrame === null) firstFrame = requestAnimationFrame(nextFirstDraw);
}

function nextFirstDraw(time) {
  firstFrame = null;
  let best = null;
  let bestKey = Infinity;
  for (const view of firstDraws) {
    if (!view.el.isConnected) continue; // attached later
    const box = view.el.getBoundingClientRect();
    const onScreen = box.bottom > 0 && box.top < window.innerHeight && box.width > 0;
    const key = (onScreen ? 0 : 1e6) + Math.max(box.top, -1e5);
    if (key < bestKey) [best, bestKey] = [view, key];
  }
  if (best !== null) {
    firstDraws.delete(best);
    best.draw(time);
  }
  if (firstDraws.size) firstFrame = requestAnimationFrame(nextFirstDraw);
}

// ------------------------------------------------------------------------------ a view
class View {
  constructor(store, el) {
    this.store = store;
    this.el = el;
    this.gd = document.createElement("div");
    this.gd.className = "nnviz-plot";
    // A compositing layer of its own and contained layout: a redraw repaints this figure, not
    // the page around it.
    this.gd.style.willChange = "transform";
    el.style.contain = "layout";
    el.classList.add("nnviz-figure");
    el.appendChild(this.gd);
    this.draws = 0;
    this.frame = null;
    this.reset();
    this.full = true; // the first draw is a newPlot
    this.tip = document.createElement("div");
    this.tip.className = "nnviz-tip";
    Object.assign(this.tip.style, {
      position: "absolute", pointerEvents: "none", display: "none", zIndex: 10,
      background: "white", border: "1px solid #444", borderRadius: "3px", padding: "3px 6px",
      font: "12px sans-serif", whiteSpace: "nowrap", boxShadow: "0 1px 3px rgba(0,0,0,0.2)",
    });
    el.style.position = "relative";
    el.appendChild(this.tip);
    this.hovered = false;
    this.overlays = new Map(); // layout image index -> the canvas over plotly's <image>
    this.hoverStale = new Set();
    this.lastHoverRefresh = 0;
    this.gd.addEventListener("mousemove", (event) => this.onMove(event));
    this.gd.addEventListener("mouseleave", () => {
      this.hovered = false;
      this.tip.style.display = "none";
    });
    this.resizeObserver = new ResizeObserver(() => this.onResize());
    this.resizeObserver.observe(el);
    this.schedule();
  }

  reset() {
    this.restyle = new Map(); // trace index -> {key: value} awaiting the next frame
    this.relayout = {};
    this.moved = new Set();
  }

  replace() {
    this.reset();
    this.full = true;
  }

  queue(restyle, traces, relayout, moved) {
    for (const [key, values] of Object.entries(restyle)) {
      traces.forEach((index, k) => {
        if (values[k] === undefined) return;
        if (!this.restyle.has(index)) this.restyle.set(index, {});
        this.restyle.get(index)[key] = values[k];
      });
    }
    Object.assign(this.relayout, relayout);
    for (const index of moved) this.moved.add(index);
  }

  schedule() {
    if (!this.gd._fullLayout) {
      firstDraw(this); // never drawn: a newPlot, in the page's queue of first draws
    } else if (this.frame === null) {
      this.frame = requestAnimationFrame((time) => this.draw(time));
    }
  }

  width() {
    // Follow the column: the layout's width is a maximum, the element's width the measure.
    const available = this.el.clientWidth || this.el.parentElement?.clientWidth || 0;
    const wanted = this.store.layout.width;
    if (!available) return wanted || undefined;
    return wanted ? Math.min(wanted, available) : available;
  }

  plotLayout() {
    const store = this.store;
    // A deep copy: plotly writes computed ranges into the layout it is given, and those must not
    // leak into the store (an axis would look as if it had a fixed range).
    const layout = { ...structuredClone(store.layout), width: this.width(), autosize: false };
    const flips = this.flips(layout);
    layout.images = [
      ...(store.layout.images || []),
      ...store.rasters.map((raster, k) => raster.image_(flips[k])),
    ];
    // Head-room only for a figure that has been updated (a live view): a chart drawn once
    // keeps plotly's own ranges, which fit its data (a doubled time axis would leave half of
    // the chart empty).
    if (store.rev > 0) this.manageRanges(layout);
    else this.managed = new Map();
    return layout;
  }

  flips(layout) {
    // Row 0 of a raster sits at y0: at the bottom on an upward axis (flip the canvas rows), at
    // the top on a reversed one.
    return this.store.rasters.map((raster) => {
      const name = axisName(raster.spec.yref || "y");
      const axis = layout[name] || {};
      const reversed = axis.autorange === "reversed" ||
        (Array.isArray(axis.range) && axis.range[0] > axis.range[1]);
      return !reversed;
    });
  }

  paintRasters(all) {
    const layout = this.store.layout;
    const flips = this.flips(layout);
    this.store.rasters.forEach((raster, k) => {
      if (raster.dirty || all) {
        raster.paint(flips[k]);
        raster.dirty = false;
        raster.painted = (raster.painted || 0) + 1;
      }
    });
  }

  async draw(time) {
    this.frame = null;
    const started = performance.now();
    if (!this.el.isConnected || this.busy) {
      this.schedule(); // attached later, or still drawing: try at the next frame
      return;
    }
    if (this.store.take(time)) this.schedule(); // one update a frame: the next, next frame
    this.busy = true;
    try {
      if (this.full || !this.gd._fullLayout) {
        await this.newPlot();
      } else {
        await this.apply();
      }
      this.count();
      const stats = (window.__nnvizDrawStats ||= {});
      const name = this.holderName();
      const entry = (stats[name] ||= { draws: 0, ms: 0, max: 0 });
      const ms = performance.now() - started;
      entry.draws += 1;
      entry.ms += ms;
      entry.max = Math.max(entry.max, ms);
    } catch (error) {
      this.note("error", String(error && error.stack || error).slice(0, 300));
      console.error("nnviz: drawing failed", error);
      this.full = true;
    } finally {
      this.busy = false;
    }
  }

  async newPlot() {
    const store = this.store;
    this.reset();
    this.full = false;
    this.paintRasters(true);
    await this.replot();
    if (!this.listening) {
      this.listening = true;
      this.gd.on("plotly_click", (event) => this.onClick(event));
      this.gd.on("plotly_hover", () => { this.plotlyHover = true; this.tip.style.display = "none"; });
      this.gd.on("plotly_unhover", () => { this.plotlyHover = false; });
      this.gd.on("plotly_afterplot", () => this.mapImages());
    }
    this.hoverStale.clear();
  }

  note(what) {
    // Which slow drawing paths a page took, by view (window.__nnvizPaths): benchmarks read it.
    const stats = (window.__nnvizPaths ||= {});
    const key = `${this.holderName()}:${what}`;
    stats[key] = (stats[key] || 0) + 1;
  }

  async replot() {
    this.note("replot");
    // Plotly.react with a new datarevision: the store's arrays change in place, so plotly must
    // be told that the data changed; react keeps the plot's event handlers.
    const layout = this.plotLayout();
    this.revision = (this.revision || 0) + 1;
    layout.datarevision = this.revision;
    const config = { displaylogo: false, ...this.store.config, responsive: false };
    await Plotly.react(this.gd, this.store.data, layout, config);
    this.mapImages();
  }

  mapImages() {
    // The <image> element plotly drew for each layout image, by its index.
    this.images = new Map();
    for (const image of this.gd.querySelectorAll("image")) {
      const datum = image.__data__;
      if (datum && typeof datum._index === "number") this.images.set(datum._index, image);
    }
    // Plotly has just drawn its images with current sources: they show until the next frame's
    // fast path lays canvases over them again.
    for (const [index, overlay] of this.overlays || []) {
      if (this.images.get(index) !== overlay.image) {
        overlay.box.remove();
        this.overlays.delete(index);
      } else {
        overlay.box.style.display = "none";
        overlay.image.style.visibility = "";
      }
    }
  }

  async apply() {
    const store = this.store, gd = this.gd;
    const restyle = this.restyle, relayout = this.relayout, moved = this.moved;
    this.reset();
    const offset = (store.layout.images || []).length;
    // 1. Sort the trace edits by what they cost.
    const full = new Map(), style = new Map(), lines = new Set();
    for (const [index, edits] of restyle) {
      const trace = store.data[index] || {};
      for (const [key, value] of Object.entries(edits)) {
        if (HOVER_KEYS.has(key)) {
          if (gd.data[index]) gd.data[index][key] = value;
          this.hoverStale.add(index);
        } else if (STYLE_KEYS.has(key)) {
          add(style, index, key, value);
        } else if ((key === "x" || key === "y") && isLine(trace)) {
          lines.add(index);
        } else {
          add(full, index, key, value);
        }
      }
    }
    // 2. Layout edits: titles and annotation texts are cheap; the rest replots.
    const cheap = {}, heavy = {};
    for (const [key, value] of Object.entries(relayout)) {
      (CHEAP_LAYOUT.test(key) ? cheap : heavy)[key] = value;
    }
    let lineUpdate = lines.size ? this.linePaths([...lines]) : null;
    if (lineUpdate === "outside") {
      // A curve left its axes: new head-room ranges by relayout (a replot of the axes and
      // traces, without recomputing the figure), then the paths on the new axes.
      const layout = structuredClone(this.store.layout);
      this.manageRanges(layout, true);
      const ranges = {};
      for (const [name, { range }] of this.managed) ranges[`${name}.range`] = range;
      this.note("relayout-ranges");
      await Plotly.relayout(gd, ranges);
      lineUpdate = this.linePaths([...lines]);
    }
    if (typeof lineUpdate !== "function" && lines.size) {
      this.note("replot-lines");
      // A curve left its axes: replot, with new ranges; everything the view owes goes in.
      this.paintRasters(false);
      await this.replot();
      this.hoverStale.clear();
      return;
    }
    // Axis ranges, images moved, other layout: plotly's relayout, at most a few times a second
    // (a figure whose rasters scroll, the layers view, would otherwise redraw its ticks at every
    // frame); in between, the pixels still change at every frame.
    const now = performance.now();
    if (Object.keys(heavy).length || moved.size) {
      if (now - (this.lastHeavy || 0) >= HEAVY_MS) {
        this.lastHeavy = now;
        this.paintRasters(false);
        Object.assign(heavy, this.imageMoves(moved, offset));
        this.note("relayout");
        await Plotly.relayout(gd, heavy);
      } else {
        Object.assign(this.relayout, heavy);
        for (const k of moved) this.moved.add(k);
        clearTimeout(this.heavyTimer);
        this.heavyTimer = setTimeout(() => this.schedule(), HEAVY_MS);
      }
    }
    if (full.size) {
      this.note("restyle");
      await Plotly.restyle(gd, ...restyleArguments(full));
    }
    const restyled = style.size ? this.setStyles(style) : style;
    if (restyled.size) {
      this.note("restyle-style");
      await Plotly.restyle(gd, ...restyleArguments(restyled));
    }
    if (typeof lineUpdate === "function") lineUpdate();
    const texts = Object.keys(cheap).length ? this.setTexts(cheap) : {};
    if (Object.keys(texts).length) {
      this.note("relayout-text");
      await Plotly.relayout(gd, texts);
    }
    // 3. Rasters: new pixels into canvases laid over the <image> elements plotly drew.
    this.paintRasters(false);
    this.overlayRasters(offset);
    if (this.hovered) this.refreshHover();
  }

  overlayRasters(offset) {
    // Each raster's pixels go into a canvas of this view's, in a <foreignObject> beside the
    // <image> plotly drew for it, on the same box and clip: a copy of a few hundred pixels per
    // frame, where a new PNG for the <image> would be encoded, fetched and decoded each time.
    // Plotly's <image> gets the picture (a PNG) once the figure has been quiet for a moment,
    // so that its own redraws (zoom, export) show the current pixels.
    this.store.rasters.forEach((raster, k) => {
      const index = offset + k, image = this.images.get(index);
      let overlay = this.overlays.get(index);
      if (overlay && overlay.image !== image) {
        overlay.box.remove();
        this.overlays.delete(index);
        overlay = undefined;
      }
      if (!image || !image.isConnected || !raster.hasPixels) {
        if (overlay) overlay.box.style.display = "none";
        return;
      }
      if (!overlay) {
        const box = document.createElementNS(SVG, "foreignObject");
        const canvas = document.createElement("canvas");
        Object.assign(canvas.style, { width: "100%", height: "100%", display: "block" });
        box.style.pointerEvents = "none";
        box.appendChild(canvas);
        image.after(box);
        overlay = { image, box, canvas, context: canvas.getContext("2d") };
        this.overlays.set(index, overlay);
      }
      for (const name of ["x", "y", "width", "height", "clip-path", "opacity"]) {
        const value = image.getAttribute(name);
        if (overlay.box.getAttribute(name) !== value) {
          if (value === null) overlay.box.removeAttribute(name);
          else overlay.box.setAttribute(name, value);
        }
      }
      const { width, height } = raster.canvas;
      if (overlay.canvas.width !== width || overlay.canvas.height !== height) {
        overlay.canvas.width = width;
        overlay.canvas.height = height;
      }
      overlay.context.clearRect(0, 0, width, height);
      overlay.context.drawImage(raster.canvas, 0, 0);
      overlay.box.style.display = "";
      image.style.visibility = "hidden";
    });
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.settleRasters(offset), QUIET_MS);
  }

  settleRasters(offset) {
    // Quiet for a moment: plotly's own <image> elements take over with the current pixels.
    const gd = this.gd;
    if (!gd._fullLayout || this.busy) return;
    this.store.rasters.forEach((raster, k) => {
      const index = offset + k, image = this.images.get(index), url = raster.source();
      if (gd.layout.images && gd.layout.images[index]) gd.layout.images[index].source = url;
      if (gd._fullLayout.images && gd._fullLayout.images[index]) {
        gd._fullLayout.images[index].source = url;
      }
      if (image && image._imgSrc !== url) {
        image.setAttributeNS(XLINK, "xlink:href", url);
        image._imgSrc = url;
      }
      if (image) image.style.visibility = "";
      const overlay = this.overlays.get(index);
      if (overlay) overlay.box.style.display = "none";
    });
  }

  setTexts(edits) {
    // Titles and annotation texts written into the SVG plotly drew, when they are plain text
    // (lines split at <br>) and the element has as many lines; returns the edits left over.
    const gd = this.gd, full = gd._fullLayout, left = {};
    for (const [key, text] of Object.entries(edits)) {
      const lines = String(text ?? "").split(/<br\s*\/?>/i);
      const plain = lines.every((line) => !/[<&]/.test(line));
      let element = null, anchor = "center", index = -1;
      if (key === "title.text") {
        element = gd.querySelector(".g-gtitle text.gtitle");
      } else {
        index = Number(key.match(/\d+/)[0]);
        element = gd.querySelector(`.annotation[data-index="${index}"] text.annotation-text`);
        anchor = (full.annotations[index] || {}).xanchor || "center";
      }
      const rows = element ? element.querySelectorAll("tspan.line") : [];
      const fits = element && (rows.length ? rows.length === lines.length : lines.length === 1 &&
        !element.querySelector("tspan"));
      if (!plain || !fits) {
        left[key] = text;
        continue;
      }
      if (anchor !== "center" && !element._nnvizAnchored) {
        // plotly centres the text in a box anchored at one side: anchor the text itself at
        // that side once (one measurement), so that later texts need none.
        const half = element.getComputedTextLength() / 2 * (anchor === "left" ? -1 : 1);
        for (const node of [element, ...rows]) {
          node.setAttribute("x", String(Number(node.getAttribute("x")) + half));
          node.setAttribute("text-anchor", anchor === "left" ? "start" : "end");
        }
        element._nnvizAnchored = true;
      }
      if (rows.length) rows.forEach((row, k) => { row.textContent = lines[k]; });
      else element.textContent = lines[0];
      setPath(gd.layout, key, text);
      if (key === "title.text") full.title.text = text;
      else if (full.annotations[index]) full.annotations[index].text = text;
    }
    return left;
  }

  setStyles(edits) {
    // Marker colours (numbers on the trace's colour scale) and outline widths, per point,
    // written into the SVG; returns what is left for Plotly.restyle.
    const gd = this.gd, left = new Map();
    const groups = new Map();
    for (const group of gd.querySelectorAll(".scatterlayer .trace")) {
      const cd = group.__data__;
      if (cd && cd[0] && cd[0].trace) groups.set(cd[0].trace.index, group);
    }
    for (const [index, values] of edits) {
      const trace = this.store.data[index] || {}, group = groups.get(index);
      for (const [key, value] of Object.entries(values)) {
        const points = group ? group.querySelectorAll("path.point") : [];
        const array = value && typeof value === "object" && value.length !== undefined;
        const marker = trace.marker || {};
        if (!array || !points.length || value.length < points.length ||
            (key === "marker.color" && !(marker.colorscale && Number.isFinite(value[0])))) {
          add(left, index, key, value);
          continue;
        }
        if (key === "marker.color") {
          const table = lookupTable(marker.colorscale);
          const low = marker.cmin ?? Math.min(...value), high = marker.cmax ?? Math.max(...value);
          const scale = high > low ? 255 / (high - low) : 0;
          for (const point of points) {
            const v = value[point.__data__.i];
            const i = 4 * Math.min(255, Math.max(0, Math.round((v - low) * scale)));
            point.style.fill = `rgb(${table[i]},${table[i + 1]},${table[i + 2]})`;
          }
        } else if (key === "marker.line.width") {
          for (const point of points) point.style.strokeWidth = `${value[point.__data__.i]}px`;
        } else {
          add(left, index, key, value);
          continue;
        }
      }
    }
    return left;
  }

  imageMoves(moved, offset) {
    // The relayout that re-places rasters whose extent changed ("arraydraw" edits).
    const flips = this.flips(this.store.layout);
    const changes = {};
    for (const k of moved) {
      const image = this.store.rasters[k].image_(flips[k]);
      for (const key of ["x", "y", "sizex", "sizey", "xref", "yref", "visible", "opacity", "source"]) {
        changes[`images[${offset + k}].${key}`] = image[key];
      }
    }
    return changes;
  }

  // ---------------------------------------------------------------- lines without a replot
  manageRanges(layout, wide = false) {
    // Axes whose every trace is a line get explicit ranges with head-room, so that the next
    // points usually fall inside them and the fast path applies; `wide`: twice the room (a
    // curve has just left its axis: it is moving, and each relayout is a long frame). An axis
    // with rangemode "tozero" or "nonnegative" (a loss) keeps 0 at or below its bottom.
    this.managed = new Map(); // axis name -> [low, high] in the axis's own (log10 for log) units
    const byAxis = new Map();
    for (const trace of this.store.data) {
      for (const [letter, ref] of [["x", trace.xaxis || "x"], ["y", trace.yaxis || "y"]]) {
        const name = axisName(ref);
        if (!byAxis.has(name)) byAxis.set(name, { lines: [], other: false, letter });
        const entry = byAxis.get(name);
        if (trace.visible === false) continue;
        if (isLine(trace)) entry.lines.push(trace[letter]);
        else entry.other = true;
      }
    }
    // Matched axes share one range: group them under the axis they match.
    const groups = new Map();
    for (const [name, entry] of byAxis) {
      const axis = layout[name] || {};
      const matches = axis.matches ? axisName(axis.matches) : name;
      if (!groups.has(matches)) groups.set(matches, []);
      groups.get(matches).push([name, entry]);
    }
    for (const members of groups.values()) {
      const axes = members.map(([name]) => layout[name] || {});
      const automatic = axes.every((axis) => axis.autorange !== false && !axis.range &&
        (!axis.type || axis.type === "linear" || axis.type === "log"));
      if (!automatic || members.some(([, entry]) => entry.other || !entry.lines.length)) continue;
      const log = axes.some((axis) => axis.type === "log");
      let low = Infinity, high = -Infinity;
      for (const [, entry] of members) {
        for (const values of entry.lines) {
          for (const value of values || []) {
            const v = log ? (value > 0 ? Math.log10(value) : NaN) : value;
            if (Number.isFinite(v)) { if (v < low) low = v; if (v > high) high = v; }
          }
        }
      }
      if (!(high >= low)) continue;
      const span = high > low ? high - low : Math.abs(high) || 1;
      // Head-room: a share of the span, at least a tenth of the values' size (a quarter of a
      // decade on log axes), so that noise around a steady value does not leave the axis.
      const room = wide ? 2 : 1;
      const pad = room * Math.max(HEADROOM * span / 2,
        log ? 0.25 : 0.1 * Math.max(Math.abs(low), Math.abs(high)));
      const mode = axes.map((axis) => axis.rangemode).find((m) => m === "tozero" || m === "nonnegative");
      const range = members[0][1].letter === "x"
        ? [low, high + Math.max(span, pad)]  // time runs on: the axis doubles, rarely redrawn
        : [low - pad, high + pad];
      if (mode && !log && low >= 0) range[0] = mode === "tozero" ? 0 : Math.max(range[0], 0);
      for (const [name] of members) {
        layout[name] = { ...(layout[name] || {}), range, autorange: false };
        this.managed.set(name, { range, log });
      }
    }
  }

  linePaths(indexes) {
    // New paths for line traces whose points stay inside their axes; false if one does not.
    const gd = this.gd, store = this.store, full = gd._fullLayout;
    const groups = new Map();
    for (const group of gd.querySelectorAll(".scatterlayer .trace")) {
      const cd = group.__data__;
      if (cd && cd[0] && cd[0].trace) groups.set(cd[0].trace.index, group);
    }
    const writes = [];
    for (const index of indexes) {
      const trace = store.data[index];
      const group = groups.get(index);
      const xName = axisName(trace.xaxis || "x"), yName = axisName(trace.yaxis || "y");
      const xa = full[xName], ya = full[yName];
      if (!group || !xa || !ya || !group.querySelector(".js-line")) return false;
      const xm = this.managed?.get(xName), ym = this.managed?.get(yName);
      if (!inside(trace.x, xa, xm) || !inside(trace.y, ya, ym)) {
        return (xm || !xa.autorange) && (ym || !ya.autorange) ? "outside" : false;
      }
      writes.push([group, pathOf(trace.x, trace.y, xa, ya), index]);
    }
    return () => {
      for (const [group, d, index] of writes) {
        const paths = group.querySelectorAll(".js-line");
        paths[0].setAttribute("d", d);
        for (let k = 1; k < paths.length; k++) paths[k].setAttribute("d", "M0,0");
        if (gd.data[index]) {
          gd.data[index].x = store.data[index].x;
          gd.data[index].y = store.data[index].y;
        }
        this.hoverStale.add(index);
      }
    };
  }

  // ---------------------------------------------------------------- hover, click, resize
  refreshHover() {
    // Hand plotly the current data of the traces drawn by the fast paths, so its hover labels
    // show the current numbers: a replot, only while the pointer is over the figure.
    const now = performance.now();
    if (!this.hoverStale.size || now - this.lastHoverRefresh < HOVER_REFRESH_MS) return;
    this.lastHoverRefresh = now;
    const stale = new Map();
    for (const index of this.hoverStale) {
      const trace = this.store.data[index];
      for (const key of ["x", "y", ...HOVER_KEYS]) if (trace && key in trace) add(stale, index, key, trace[key]);
    }
    this.hoverStale.clear();
    if (stale.size) Plotly.restyle(this.gd, ...restyleArguments(stale));
  }

  onMove(event) {
    this.hovered = true;
    if (this.hoverStale.size) this.refreshHover();
    const full = this.gd._fullLayout;
    if (!full || this.plotlyHover) {
      this.tip.style.display = "none";
      return;
    }
    const box = this.gd.getBoundingClientRect();
    const px = event.clientX - box.left, py = event.clientY - box.top;
    let text = null;
    for (const raster of this.store.rasters) {
      const { hover, xref, yref, visible } = raster.spec;
      if (!hover || visible === false) continue;
      const xa = full[axisName(xref || "x")], ya = full[axisName(yref || "y")];
      if (!xa || !ya) continue;
      const x = xa.p2d(px - xa._offset), y = ya.p2d(py - ya._offset);
      const found = raster.valueAt(x, y);
      if (found) {
        text = fillTemplate(hover, {
          x, y, z: found.value, row: found.row + 1, col: found.col + 1, xlabel: found.xlabel,
        });
        break;
      }
    }
    if (text === null) {
      this.tip.style.display = "none";
      return;
    }
    this.tip.innerHTML = text;
    this.tip.style.left = `${px + 12}px`;
    this.tip.style.top = `${py + 12}px`;
    this.tip.style.display = "block";
  }

  onClick(event) {
    const points = (event.points || []).map((point) => ({
      trace: point.curveNumber, point: point.pointNumber, x: point.x, y: point.y,
    }));
    this.store.model.send({ method: "click", points });
  }

  onResize() {
    // Replot when the column's width changed (not the plot's own size: that would loop).
    if (!this.gd._fullLayout) return;
    const available = this.el.clientWidth;
    if (this.measured === undefined) this.measured = available;
    if (Math.abs(available - this.measured) <= 1) return;
    this.measured = available;
    clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => {
      this.full = true;
      this.schedule();
    }, 60);
  }

  holderName() {
    const holder = this.el.closest('[class*="nnviz-view-"]');
    const found = holder && [...holder.classList].find((c) => c.startsWith("nnviz-view-"));
    return found ? found.slice(11) : "figure";
  }

  count() {
    // A completed redraw: counted on the figure's element and on the view holding it.
    this.draws += 1;
    const rev = this.store.rev;
    const holder = this.el.closest('[class*="nnviz-view-"]');
    for (const element of new Set([this.el, holder].filter(Boolean))) {
      element.dataset.draws = String(this.draws);
    }
    // Acknowledge once the frame is on screen (after this frame's paint).
    setTimeout(() => this.store.drawn(rev), 0);
  }

  destroy() {
    this.resizeObserver.disconnect();
    firstDraws.delete(this); // a view closed before its first draw leaves the queue
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.store.views.delete(this);
    try { Plotly.purge(this.gd); } catch (error) { /* already gone */ }
  }
}

function add(map, index, key, value) {
  if (!map.has(index)) map.set(index, {});
  map.get(index)[key] = value;
}

function restyleArguments(map) {
  // {key: [value per trace]} for the union of the traces (undefined: leave that trace alone).
  const indexes = [...map.keys()];
  const keys = new Set();
  for (const edits of map.values()) for (const key of Object.keys(edits)) keys.add(key);
  const update = {};
  for (const key of keys) update[key] = indexes.map((index) => map.get(index)[key]);
  return [update, indexes];
}

function isLine(trace) {
  return (trace.type || "scatter") === "scatter" && trace.mode === "lines" &&
    (!trace.fill || trace.fill === "none") && (!trace.line || !trace.line.shape ||
    trace.line.shape === "linear");
}

function axisName(ref) {
  // "x" -> "xaxis", "y3" -> "yaxis3"
  return ref[0] + "axis" + ref.slice(1);
}

function inside(values, axis, managed) {
  if (!values) return true;
  const [a, b] = axis.range;
  const low = Math.min(a, b), high = Math.max(a, b);
  const log = axis.type === "log";
  if (!managed && axis.autorange) return false; // plotly's own autorange: it must recompute
  for (const value of values) {
    if (value === null || Number.isNaN(value)) continue;
    const v = log ? Math.log10(value) : value;
    if (!(v >= low && v <= high)) return false;
  }
  return true;
}

function pathOf(xs, ys, xa, ya) {
  // The SVG path plotly draws for a linear line trace, breaking at gaps (NaN / null).
  const n = Math.min(xs.length, ys.length);
  const parts = [];
  let open = false;
  for (let i = 0; i < n; i++) {
    const x = xs[i], y = ys[i];
    if (x === null || y === null || Number.isNaN(x) || Number.isNaN(y)) {
      open = false;
      continue;
    }
    const px = xa.c2p(x, true), py = ya.c2p(y, true);
    if (!Number.isFinite(px) || !Number.isFinite(py)) {
      open = false;
      continue;
    }
    parts.push(`${open ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`);
    open = true;
  }
  return parts.join("") || "M0,0";
}

// ------------------------------------------------------------------------------ anywidget
const stores = new WeakMap();

export function initialize({ model }) {
  if (!stores.has(model)) stores.set(model, new Store(model));
}

function storeOf(model) {
  // anywidget hands render() a proxy of its own for a model that initialize() saw through
  // another: find initialize()'s store by the kernel's id for the figure, so that each figure
  // has one store (two would each decode every message).
  const id = model.get("_nnviz_id");
  const found = (id && storesById.get(id)) || stores.get(model);
  if (found) return found;
  initialize({ model });
  return stores.get(model);
}

export function render({ model, el }) {
  const store = storeOf(model);
  const view = new View(store, el);
  store.views.add(view);
  return () => view.destroy();
}
