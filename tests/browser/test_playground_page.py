"""The Playground page in a real browser: Play trains, Pause stops, a preset link sets the
controls, a new data set and Reset redraw, a huge learning rate diverges, hidden controls vanish.

Everything is read from the page: the plotly traces of the views (`.data` of each view's
`.js-plotly-plot`), the read-outs' text and the controls' DOM.
"""

from __future__ import annotations

import contextlib
import datetime
import re

import psutil
import pytest
from voila_harness import offline_page

PLAYGROUND = "01_playground"
PAUSE_SECONDS = 0.5  # the bound: click on Pause -> training stopped, counters sent
SETTLED_MS = 1500  # unchanged this long after the click: the counter has stopped
# Every view drawn (the page draws them one a frame, those on screen first) and Play enabled.
READY = """() => {
  const views = [...document.querySelectorAll('.nnviz-playground [class*="nnviz-view-"]')];
  const play = document.querySelector('.nnviz-play');
  return views.length >= 5 && views.every((view) => Number(view.dataset.draws || 0) >= 1)
    && Boolean(play && !play.disabled);
}"""
# Points of the loss view's curves, and the largest step drawn.
LOSS = """() => {
  const traces = document.querySelector('.nnviz-view-loss .js-plotly-plot').data || [];
  let points = 0, last = -1;
  for (const trace of traces) {
    const x = Array.from(trace.x || []);
    points += x.length;
    for (const value of x) last = Math.max(last, value);
  }
  return {points, last};
}"""
STEP = (
    "Number((document.querySelector('.nnviz-counters').innerText.match(/step\\s+([\\d,]+)/)"
    " || ['', '-1'])[1].replace(/,/g, ''))"
)
# The boundary view's points (scatter traces) or its plane (the raster's image), as text.
BOUNDARY = """(kind) => {
  const view = document.querySelector('.nnviz-view-boundary');
  if (kind === 'heatmap') {  // the plane: what the page shows for its raster, as a PNG
    // While training, a canvas over plotly's <image> (in a foreignObject); once the figure is
    // quiet, the <image> itself.
    return JSON.stringify([...view.querySelectorAll('image')].map((image) => {
      const over = image.nextElementSibling;
      if (over && over.tagName === 'foreignObject' && over.style.display !== 'none') {
        return over.querySelector('canvas').toDataURL('image/png');
      }
      return image.getAttributeNS('http://www.w3.org/1999/xlink', 'href') || '';
    }));
  }
  const traces = view.querySelector('.js-plotly-plot').data || [];
  return JSON.stringify(traces.filter((t) => t.type === kind).map((t) =>
      [Array.from(t.x || []), Array.from(t.y || [])]));
}"""


def open_playground(browser, voila, query: str = "", watch=None):
    """A Playground page, ready for Play; `watch(page)` is called before it loads."""
    page = offline_page(browser)
    if watch is not None:
        watch(page)
    page.goto(voila.render(PLAYGROUND, query))
    page.wait_for_function(READY)
    return page


def step_shown(page) -> int:
    """The step in the counters read-out."""
    text = page.inner_text(".nnviz-counters")
    found = re.search(r"step\s+([\d,]+)", text)
    assert found, f"no step in the counters: {text!r}"
    return int(found.group(1).replace(",", ""))


@pytest.fixture
def playground(browser, voila):
    page = open_playground(browser, voila)
    yield page
    page.context.close()


def test_play_makes_the_loss_trace_grow(playground):
    page = playground
    before = page.evaluate(LOSS)
    page.click(".nnviz-play")
    page.wait_for_function(f"({LOSS})().points > {before['points']}")
    first = page.evaluate(LOSS)
    page.wait_for_function(f"({LOSS})().last > {first['last']}")
    grown = page.evaluate(LOSS)
    assert "Pause" in page.inner_text(".nnviz-play")
    page.click(".nnviz-play")
    assert grown["points"] > before["points"] and grown["last"] > first["last"] > 0


def test_the_page_asks_nothing_of_the_internet(browser, voila):
    # Voila's lab template links Font Awesome from a CDN; offline, those render-blocking links
    # could hold a class's pages. Every request stays on the server.
    asked: list[str] = []
    page = open_playground(
        browser, voila, watch=lambda p: p.on("request", lambda r: asked.append(r.url))
    )
    try:
        web = [url for url in asked if re.match(r"(https?|wss?)://", url)]
        offsite = [url for url in web if not re.match(r"\w+://(127\.0\.0\.1|localhost)[:/]", url)]
        assert offsite == []
        assert any("plotly-nnviz" in url for url in asked)  # the requests were seen
    finally:
        page.context.close()


def test_the_page_runs_nnviz_s_plotly_build_with_the_trace_types_figures_allow(playground):
    from nnviz.views.assets import PLOTLY_VERSION, TRACE_TYPES

    plotly = playground.evaluate(
        "() => ({version: Plotly.version, traces: Object.keys(Plotly.PlotSchema.get().traces)})"
    )
    assert plotly["version"] == PLOTLY_VERSION
    assert sorted(plotly["traces"]) == sorted(TRACE_TYPES)  # every type a Figure accepts draws


@pytest.fixture(scope="module")
def preset(browser, voila):
    page = open_playground(browser, voila, "dataset=xor&lr=0.1&hidden=3&hide=noise")
    yield page
    page.context.close()


def test_a_preset_link_sets_the_controls(preset):
    dataset = preset.eval_on_selector(
        ".nnviz-dataset select", "select => select.options[select.selectedIndex].textContent"
    )
    assert dataset == "xor"
    assert preset.inner_text(".nnviz-lr .widget-readout").strip() == "0.1"
    text = preset.inner_text(".nnviz-playground")
    assert "1 hidden layers" in text and "layer 1: 3 neurons" in text
    assert "layer 2:" not in text


def test_a_hidden_control_is_absent_while_the_others_remain(preset):
    assert preset.locator(".nnviz-row-noise").count() == 0
    assert preset.locator(".nnviz-noise").count() == 0
    for name in ("dataset", "lr", "activation", "batch-size", "train-percent"):
        assert preset.locator(f".nnviz-row-{name}").count() == 1, f"{name} missing"


def test_a_new_data_set_then_reset_redraws(playground):
    page = playground
    circle = page.evaluate(BOUNDARY, "scatter")
    assert circle != "[]", "the boundary view shows no points"
    page.select_option(".nnviz-dataset select", label="spiral")
    page.wait_for_function(f"({BOUNDARY})('scatter') !== {circle!r}")
    spiral, fresh = page.evaluate(BOUNDARY, "scatter"), page.evaluate(BOUNDARY, "heatmap")
    assert step_shown(page) == 0
    page.click(".nnviz-epoch")  # one epoch of training: the output changes
    page.wait_for_function(f"({BOUNDARY})('heatmap') !== {fresh!r}")
    page.wait_for_function(f"{STEP} > 0")
    page.click(".nnviz-reset")
    # Back to step 0 of the same seed: the initial network's output on the spiral, redrawn.
    page.wait_for_function(f"({BOUNDARY})('heatmap') === {fresh!r}")
    page.wait_for_function(f"({LOSS})().points === 0")
    assert page.evaluate(BOUNDARY, "scatter") == spiral
    assert step_shown(page) == 0


def test_a_huge_learning_rate_shows_the_diverged_status(browser, voila):
    page = open_playground(browser, voila, "dataset=circle&activation=relu&lr=10&hidden=8,8")
    try:
        page.click(".nnviz-play")
        page.wait_for_function(
            "document.querySelector('.nnviz-status').innerText.includes('diverged')"
        )
        status = page.inner_text(".nnviz-status")
        assert re.search(r"diverged at step \d+", status), status
        assert page.is_disabled(".nnviz-play"), "Play stays enabled after divergence"
    finally:
        page.context.close()


# ---------------------------------------------------------------------------- Pause latency
# In the page: every 25 ms, note when the counters' text changed; note each view's redraws.
WATCH = """() => {
  const counters = document.querySelector('.nnviz-counters');
  const now = () => performance.timeOrigin + performance.now();
  window.watch = {text: counters.innerText, changes: [], draws: [], click: null};
  setInterval(() => {
    if (counters.innerText !== window.watch.text) {
      window.watch.text = counters.innerText;
      window.watch.changes.push(now());
    }
  }, 25);
  for (const name of ['loss', 'boundary', 'network', 'layers', 'weights']) {
    const plot = document.querySelector(`.nnviz-view-${name} .js-plotly-plot`);
    if (plot) plot.on('plotly_afterplot', () => window.watch.draws.push([now(), name]));
  }
  document.querySelector('.nnviz-play').addEventListener(
      'click', () => { window.watch.click = now(); }, true);
}"""


class Frames:
    """Kernel websocket frames with the dates the kernel (or browser) stamped on them."""

    def __init__(self, page) -> None:
        self.seen: list[tuple[str, str]] = []
        page.on("websocket", self._watch)

    def _watch(self, socket) -> None:
        def keep(direction: str):
            def add(payload) -> None:
                text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
                self.seen.append((direction, text))

            return add

        socket.on("framesent", keep("browser"))
        socket.on("framereceived", keep("kernel"))

    def kernel_times(self, click: float) -> dict[str, float]:
        """When the kernel got the Pause click, finished handling it (the training thread had
        parked) and sent its last counters, in ms after the click (nan if not seen)."""

        def when(text: str) -> float:
            date = re.search(r'"date": ?"([^"]+)"', text).group(1)
            stamp = datetime.datetime.fromisoformat(date.replace("Z", "+00:00")).timestamp()
            return stamp * 1000 - click

        nan = float("nan")
        sent = [
            t for d, t in self.seen if d == "browser" and '"event":"click"' in t.replace(" ", "")
        ]
        if not sent:
            return {"got": nan, "answered": nan, "counters": nan}
        click_id = re.search(r'"msg_id": ?"([^"]+)"', sent[-1]).group(1)
        replies = [t for d, t in self.seen if d == "kernel" and click_id in t]
        busy = [when(t) for t in replies if '"busy"' in t]
        idle = [when(t) for t in replies if '"idle"' in t]
        counters = [when(t) for d, t in self.seen if d == "kernel" and "steps/s" in t]
        after = [ms for ms in counters if ms > -50]
        return {
            "got": busy[0] if busy else nan,
            "answered": idle[0] if idle else nan,
            "counters": max(after) if after else nan,
        }


@contextlib.contextmanager
def other_kernels_niced(voila, page):
    """Lower the priority of the server's other kernels (Voila's preheated pools refilling
    after the lesson pages) for the measurement: they belong to the test run, not the page."""
    config = "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
    mine = page.evaluate(config)
    others = []
    for process in voila.kernels():
        with contextlib.suppress(psutil.Error):
            if mine not in " ".join(process.cmdline()):
                others.append((process, process.nice()))
                process.nice(19)
    try:
        yield
    finally:
        for process, nice in others:
            with contextlib.suppress(psutil.Error):
                process.nice(nice)


def test_pause_stops_training_within_half_a_second(browser, voila):
    """Pause, clicked in the page, stops the kernel's training within 0.5 s: the click's
    message has been handled (the training thread has parked, so the step count is final) and
    the final counters are on their way. When the page then shows them depends on how fast this
    browser draws the views' last refreshes; benchmarks/browser.py measures that display latency
    (it is printed here too)."""
    frames = []
    page = open_playground(browser, voila, watch=lambda page: frames.append(Frames(page)))
    frames = frames[0]
    try:
        with other_kernels_niced(voila, page):
            page.evaluate(WATCH)
            page.click(".nnviz-play")
            # Steady training: a dozen counter updates seen by the page.
            page.wait_for_function("window.watch.changes.length >= 12")
            page.click(".nnviz-play")
            page.wait_for_function(
                "window.watch.click !== null && (performance.timeOrigin + performance.now()"
                f" - Math.max(window.watch.click, ...window.watch.changes)) > {SETTLED_MS}",
                polling=50,
            )
            watch = page.evaluate("window.watch")
        status, step = page.inner_text(".nnviz-status"), step_shown(page)
        click = watch["click"]
        kernel = frames.kernel_times(click)
        shown = (max([click, *watch["changes"]]) - click) / 1000
        draws = [name for at, name in watch["draws"] if click < at <= click + shown * 1000]
        report = (
            f"kernel got the click at {kernel['got']:.0f} ms, training had stopped at "
            f"{kernel['answered']:.0f} ms, last counters sent at {kernel['counters']:.0f} ms; the "
            f"page showed them {shown:.2f} s after the click, after redrawing {draws}"
        )
        print(report)
        assert f"paused at step {step}" in status, f"{status!r} vs step {step}"
        assert kernel["answered"] <= PAUSE_SECONDS * 1000, report
        assert kernel["counters"] <= PAUSE_SECONDS * 1000, report
    finally:
        page.context.close()
