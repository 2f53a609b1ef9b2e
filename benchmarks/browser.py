"""Browser benchmark: the dashboards as a visitor's Chromium sees them, served by Voila here.

Measures, for the Playground (TF Playground's spiral setting) and one lesson, in headless Debian
Chromium driven by Playwright, against `voila notebooks/` with the project's voila.json:

    time to interactive   navigation start -> every cell output rendered, a plotly plot
                          drawn (`.js-plotly-plot` with data) where the page has figures and
                          the Play button enabled where it has one, read from the page's clock
                          (performance.now(), polled every 10 ms by a script the page runs
                          first). Cold: a server started with preheat_kernel=False and no
                          spare kernels (the page waits for a fresh kernel to import torch and
                          run the notebook).
                          Preheated: the project's config, measured once every kernel of the
                          pool exists and is idle (the notebook has run ahead of time).
    the floor             Voila's own pages, served the same way in the same run: a markdown
                          page (interactive: its text shown) and one ipywidgets Button (the
                          button drawn). Targets are margins over the Button's time.
    second visit          the same page again in the same browser context (its cache warm):
                          the bytes a returning student downloads.
    bytes to render       over HTTP (Network.loadingFinished encodedDataLength, loopback
                          requests only) and over the kernel's websocket (frame payloads, both
                          directions), from the DevTools protocol, until time to interactive.
    training              the Playground trains for --seconds, then lesson 03's live run
                          (nnviz.live): redraws per second per view (the views' data-draws
                          counters: redraws the browser completed), the kernel's steps/s and
                          epochs/s (from the page's counters), bytes per second between page
                          and server on the wire (through a counting TCP relay: HTTP after
                          gzip, websocket frames after permessage-deflate) and the websocket's
                          payload before compression, the main thread's share in long tasks
                          (> 50 ms), and the cores Chromium, the kernels and Voila used.
    pause                 Play -> Pause clicked in the page: until the page says "paused", on
                          the page's own clock, and whether the counters still moved after.
    concurrent pages      --pages pages opened at once on one cold server, then all trained
                          together: time to interactive and refreshes/s per page, and the
                          memory (RSS) of each kernel.

TF Playground itself, measured on this machine (issue 5): 37 epochs/s on this setting, 0.48 s to
interactive, 0.52 MB to first render. The numbers depend on the machine's load (printed): on
these shared 2-core machines other jobs can double every time here.

Run: python benchmarks/browser.py [--rounds 3] [--seconds 10] [--pages 10] [--quick]
         [--parts loads,training,concurrent] [--voila-option=--VoilaExecutor.iopub_timeout=60]
(~10 minutes in full on a loaded 2-core machine; --quick: 1 round, 3 s, 3 pages, ~3 minutes)
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import psutil
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from voila_harness import CountingProxy, VoilaServer, chromium, offline_page  # noqa: E402

PLAYGROUND = "01_playground"
SPIRAL = "dataset=spiral&hidden=8,8&activation=tanh&batch_size=10"  # TF Playground's setting
LESSON = "03_backpropagation"  # a long lesson whose live run has a Play button
# Cold: no preheated kernel and no spare (nnviz.spare_kernels) ready, the slowest a page gets.
COLD = ("--VoilaConfiguration.preheat_kernel=False", "--ClassroomKernelManager.spare_kernels=0")
# The floor pages are Voila's own: its lab template (the project's nnviz template adds plotly.js).
FLOOR_TEMPLATE = "--VoilaConfiguration.template=lab"
VIEWS = ("loss", "boundary", "network", "layers", "weights")  # the Playground's plots
TF_PLAYGROUND = {"epochs/s": 37.0, "interactive s": 0.48, "MB": 0.52}  # issue 5, this machine
TARGETS = {"preheated over floor s": 1.0, "cold over floor s": 2.0, "MB": 3.0, "MB again": 1.0,
           "refreshes/s": 20.0, "epochs/s": 110.0, "busy": 0.20, "pause s": 0.5,
           "KB/s": 300.0}  # fmt: skip
FLOOR_MARKDOWN, FLOOR_BUTTON = "floor_markdown", "floor_button"
FLOOR = ROOT / ".voila-floor"  # Voila's own floor pages, written at each run (git-ignored)
LOG = ROOT / ".voila-benchmark.log"
DEADLINE = 300.0  # seconds a page may take to become interactive before the run gives up

# Runs in every page before its own scripts: notes when the page first became interactive.
WATCH = """
(() => {
  // Websocket payload bytes, counted in the page (DevTools' frame events, which hand every
  // payload to the benchmark, would load the very browser being measured).
  window.__nnvizSocket = 0;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        const data = event.data;
        window.__nnvizSocket += typeof data === 'string' ? data.length
          : (data.byteLength ?? data.size ?? 0);
      });
    }
    send(data) {
      window.__nnvizSocket += typeof data === 'string' ? data.length
        : (data.byteLength ?? data.size ?? 0);
      return super.send(data);
    }
  };
  // Main-thread time in tasks over 50 ms: how busy the browser is drawing and parsing.
  window.__nnvizBusy = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__nnvizBusy += entry.duration;
  }).observe({ type: 'longtask', buffered: true });
  const drawn = (gd) => Array.isArray(gd.data) && gd.data.length > 0 && !!gd._fullLayout;
  const shown = (selector) => [...document.querySelectorAll(selector)]
    .some((element) => element.offsetParent !== null);
  const ready = () => {
    if (location.pathname.includes('floor_markdown')) return shown('.jp-RenderedMarkdown h1');
    if (location.pathname.includes('floor_button')) return shown('button.jupyter-button');
    // A lesson or the Playground: every cell output rendered (Voila removes each output's
    // script as it renders it), no widget still loading, a plot drawn where the page has
    // figures, and Play enabled where it has a Play button.
    const cells = document.getElementById('rendered_cells');
    if (!cells || getComputedStyle(cells).display === 'none') return false;
    if (document.querySelector('script[type="application/vnd.voila.cell-output+json"]')) {
      return false;
    }
    const outputs = [...document.querySelectorAll('.jp-OutputArea-output')];
    if (outputs.some((o) => o.innerText.includes('Loading widget'))) return false;
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    if (document.querySelector('.nnviz-figure') && !plots.some(drawn)) return false;
    const play = document.querySelector('.nnviz-play');
    return !play || !play.disabled;
  };
  const timer = setInterval(() => {
    if (ready()) {
      window.__nnvizInteractive = performance.now();
      clearInterval(timer);
    }
  }, 10);
})();
"""
# Each view's completed redraws, as the page counts them: nnviz's front end sets data-draws on
# the view's element (class nnviz-view-<name>) once a redraw is on screen.
DRAWS = """
() => Object.fromEntries([...document.querySelectorAll('[class*="nnviz-view-"]')].map((el) =>
  [[...el.classList].find((c) => c.startsWith('nnviz-view-')).slice(11),
   Number(el.dataset.draws || 0)]))
"""
DRAWN_PLOTS = """
() => [...document.querySelectorAll('.js-plotly-plot')]
  .filter((gd) => !!gd._fullLayout).length  // drawn, if empty: layers and weights until Play
"""
COUNTERS = re.compile(r"step\s+([\d,]+)\s+epoch\s+([\d,]+).*steps/s\s+([\d,]+)", re.S)


class Traffic:
    """Bytes a page moved over HTTP and its websockets, from the DevTools protocol."""

    def __init__(self, page: object) -> None:
        self.http = self.socket_in = self.socket_out = 0
        self._urls: dict[str, str] = {}
        session = page.context.new_cdp_session(page)
        session.on("Network.requestWillBeSent", self._on_request)
        session.on("Network.loadingFinished", self._on_finished)
        session.on("Network.webSocketFrameReceived", lambda event: self._on_frame(event, True))
        session.on("Network.webSocketFrameSent", lambda event: self._on_frame(event, False))
        session.send("Network.enable")
        self._session = session

    def stop(self) -> None:
        """Stop counting (and stop DevTools from copying every frame to this process)."""
        self._session.send("Network.disable")

    def _on_request(self, event: dict) -> None:
        self._urls[event["requestId"]] = event["request"]["url"]

    def _on_finished(self, event: dict) -> None:
        # Only what came over the wire: blob: and data: URLs (the plotly.js module is imported
        # from a blob made of websocket bytes) would count those bytes twice.
        if self._urls.get(event["requestId"], "").startswith("http"):
            self.http += int(event["encodedDataLength"])

    def _on_frame(self, event: dict, received: bool) -> None:
        frame = event["response"]
        payload = frame["payloadData"]
        size = len(base64.b64decode(payload)) if frame["opcode"] == 2 else len(payload.encode())
        if received:
            self.socket_in += size
        else:
            self.socket_out += size

    @property
    def socket(self) -> int:
        """Websocket payload bytes, both directions."""
        return self.socket_in + self.socket_out


@dataclass
class Load:
    """One page load: seconds to interactive and bytes moved until then."""

    seconds: float
    http: int
    socket: int
    html: float  # seconds until the page's HTML had arrived (Voila streams it as cells run)

    @property
    def total(self) -> int:
        """HTTP and websocket bytes together."""
        return self.http + self.socket


@dataclass
class Training:
    """What one page saw while its Playground trained."""

    seconds: float
    steps_per_second: float
    epochs_per_second: float
    refreshes: dict[str, float] = field(default_factory=dict)  # view -> redraws per second
    socket_per_second: float = 0.0  # websocket payload, before compression
    wire_per_second: float | None = None  # bytes on the wire, both ways (compressed)
    busy: float = 0.0  # fraction of the window the page's main thread spent in long tasks
    paths: dict = field(default_factory=dict)  # the front end's drawing paths, by view
    cpu: dict = field(default_factory=dict)  # process group -> cores used (1.0: one core)
    pause: dict = field(default_factory=dict)  # Pause: seconds until shown, counters frozen


def open_page(browser: object, context: object | None = None) -> tuple[object, Traffic]:
    """An offline page that notes its time to interactive and counts its traffic; in
    `context` (a second visit, its cache warm) or a fresh one."""
    if context is None:
        page = offline_page(browser, cache=True)  # a second visit finds what the first cached
        page.context.add_init_script(WATCH)
    else:
        page = context.new_page()
        page.set_default_timeout(120_000)
    return page, Traffic(page)


def interactive(page: object) -> float | None:
    """Seconds from navigation to interactive, or None while not yet."""
    try:
        value = page.evaluate("window.__nnvizInteractive")
    except PlaywrightError:  # still navigating: the document it asked has gone
        return None
    return None if value is None else value / 1000


def load(browser: object, url: str, context: object | None = None) -> tuple[object, Traffic, Load]:
    """Open `url` in a new page (of `context`, or a fresh one) and wait until it is interactive."""
    page, traffic = open_page(browser, context)
    page.goto(url, wait_until="commit")
    page.wait_for_function("window.__nnvizInteractive !== undefined", timeout=DEADLINE * 1000)
    seconds = interactive(page)
    html = page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd") / 1000
    return page, traffic, Load(seconds, traffic.http, traffic.socket, html)


def close(page: object) -> None:
    """Close a page and its context (its kernel stays, as it does for a visitor: voila #1458)."""
    page.context.close()


def counters(page: object) -> tuple[int, int, int]:
    """(step, epoch, steps/s) as the page's counters show them."""
    text = page.inner_text(".nnviz-counters")
    match = COUNTERS.search(text)
    if match is None:
        raise RuntimeError(f"unexpected counters text {text!r}")
    return tuple(int(group.replace(",", "")) for group in match.groups())


def start_training(page: object, steady: bool = True, views: int = len(VIEWS)) -> None:
    """Press Play and wait until the counters move; `steady`: and every view redrew once.
    `views`: plots drawn before Play (the Playground's five; a lesson's live run, one)."""
    page.wait_for_function(f"({DRAWN_PLOTS})() >= {views}", timeout=DEADLINE * 1000)
    page.click(".nnviz-play")
    page.wait_for_function(
        "/step\\s+[1-9]/.test(document.querySelector('.nnviz-counters').innerText)",
        timeout=DEADLINE * 1000,
    )
    if steady:
        # The first refresh after Play draws the layers' and weights' traces for the first
        # time: measure from the second on, the steady state.
        before = page.evaluate(DRAWS)
        page.wait_for_function(
            f"(() => {{ const now = ({DRAWS})(); const before = {json.dumps(before)};"
            " return Object.keys(before).every((name) => now[name] > before[name]); })()",
            timeout=DEADLINE * 1000,
        )


def cpu_seconds(server: VoilaServer | None) -> dict[str, float]:
    """CPU seconds used so far by Chromium's processes, the Voila server and its kernels."""
    groups = {"Chromium": psutil.Process().children(recursive=True)}
    if server is not None:
        kernels = server.kernels()
        groups["kernels"] = kernels
        groups["Voila server"] = [psutil.Process(server.process.pid)]
        pids = {process.pid for process in kernels}
        groups["Chromium"] = [p for p in groups["Chromium"] if p.pid not in pids
                              and p.pid != server.process.pid]  # fmt: skip
    used = {}
    for name, processes in groups.items():
        total = 0.0
        for process in processes:
            with contextlib.suppress(psutil.Error):
                if name != "Chromium" or "chrom" in process.name().lower():
                    times = process.cpu_times()
                    total += times.user + times.system
        used[name] = total
    return used


class Window:
    """Counters, redraws, websocket bytes and CPU of a training page, between two snapshots."""

    def __init__(
        self,
        page: object,
        traffic: Traffic,
        server: VoilaServer | None = None,
        proxy: CountingProxy | None = None,
    ) -> None:
        self.page, self.traffic, self.server, self.proxy = page, traffic, server, proxy
        self.start = self._snapshot()

    def _snapshot(self) -> tuple:
        draws = self.page.evaluate(DRAWS)
        busy = self.page.evaluate("window.__nnvizBusy") / 1000
        socket = self.page.evaluate("window.__nnvizSocket")
        step, epoch, _rate = counters(self.page)
        cpu = cpu_seconds(self.server) if self.server is not None else {}
        wire = self.proxy.total if self.proxy is not None else None
        return time.monotonic(), step, epoch, draws, socket, busy, cpu, wire

    def end(self) -> Training:
        """The rates since the window opened."""
        start, end = self.start, self._snapshot()
        (t0, step0, epoch0, draws0, bytes0, busy0, cpu0, wire0) = start
        (t1, step1, epoch1, draws1, bytes1, busy1, cpu1, wire1) = end
        elapsed = t1 - t0
        return Training(
            seconds=elapsed,
            steps_per_second=(step1 - step0) / elapsed,
            epochs_per_second=(epoch1 - epoch0) / elapsed,
            refreshes={name: (draws1[name] - draws0[name]) / elapsed for name in draws1},
            socket_per_second=(bytes1 - bytes0) / elapsed,
            wire_per_second=None if wire0 is None else (wire1 - wire0) / elapsed,
            busy=(busy1 - busy0) / elapsed,
            cpu={name: (cpu1[name] - cpu0.get(name, 0.0)) / elapsed for name in cpu1},
        )


def wait_quiet(server: VoilaServer, kernels: int, quiet: float = 2.0) -> float:
    """Wait until `kernels` kernels exist and they and the server used almost no CPU for `quiet`
    seconds (the preheated pool has run its notebooks); returns the seconds waited."""
    started = time.monotonic()
    calm_since = None
    last: dict[int, float] = {}
    while time.monotonic() - started < DEADLINE:
        processes = [psutil.Process(server.process.pid), *server.kernels()]
        used = {}
        for process in processes:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                used[process.pid] = times.user + times.system
        busy = any(used[pid] - last.get(pid, 0.0) > 0.05 for pid in used)
        last = used
        now = time.monotonic()
        if len(processes) - 1 < kernels or busy:
            calm_since = None
        elif calm_since is None:
            calm_since = now
        elif now - calm_since >= quiet:
            return now - started
        time.sleep(0.5)
    raise TimeoutError(f"the server's kernels were not idle within {DEADLINE:.0f} s")


def pool_size(root: Path = ROOT / "notebooks") -> int:
    """Kernels the project's config preheats in `root`: default_pool_size for every notebook."""
    config = json.loads((ROOT / "voila.json").read_text())["VoilaConfiguration"]
    if not config.get("preheat_kernel"):
        return 0
    return config.get("default_pool_size", 1) * len(list(root.glob("*.ipynb")))


def write_floor() -> Path:
    """Voila's floor pages: markdown only, and one ipywidgets Button."""
    import nbformat

    FLOOR.mkdir(exist_ok=True)
    pages = {
        FLOOR_MARKDOWN: [nbformat.v4.new_markdown_cell("# Floor\n\nA markdown-only page.")],
        FLOOR_BUTTON: [
            nbformat.v4.new_code_cell("import ipywidgets\n\nipywidgets.Button(description='Floor')")
        ],
    }
    for name, cells in pages.items():
        notebook = nbformat.v4.new_notebook(cells=cells)
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nbformat.write(notebook, FLOOR / f"{name}.ipynb")
    return FLOOR


@dataclass
class Visits:
    """Loads of one page: first visits (fresh browser context) and second ones (cache warm)."""

    first: list[Load] = field(default_factory=list)
    again: list[Load] = field(default_factory=list)


def page_loads(servers: dict, browser, rounds: int, preheated: bool, pages: list) -> dict:
    """`rounds` first and second visits of each (server, name, query) in `pages`, each on a
    quiet server."""
    results = {name: Visits() for _, name, _ in pages}
    opened = {key: 0 for key in servers}
    for _ in range(rounds):
        for key, name, query in pages:
            server = servers[key]
            # Preheated: each page takes a kernel from the pool, which starts another one in its
            # place; wait until it has run its notebook too.
            wait_quiet(server, pool_size(server.root) + opened[key] if preheated else 0)
            opened[key] += 2
            page, _traffic, first = load(browser, server.render(name, query))
            results[name].first.append(first)
            wait_quiet(server, pool_size(server.root) + opened[key] - 1 if preheated else 0)
            _again_page, _traffic, again = load(browser, server.render(name, query), page.context)
            results[name].again.append(again)
            close(page)
    return results


def measure_pause(page: object) -> dict:
    """Click Pause in the page; seconds (page clock) until it says paused, and whether the
    counters moved during the second after."""
    return page.evaluate(
        """() => new Promise((resolve) => {
          const status = document.querySelector('.nnviz-status');
          const counters = document.querySelector('.nnviz-counters');
          const start = performance.now();
          document.querySelector('.nnviz-play').click();
          const check = () => {
            if (/paused/.test(status.innerText)) {
              const seconds = (performance.now() - start) / 1000, text = counters.innerText;
              setTimeout(() => resolve({seconds, frozen: counters.innerText === text}), 1000);
            } else if (performance.now() - start > 20000) {
              resolve({seconds: null, frozen: false});
            } else {
              requestAnimationFrame(check);
            }
          };
          check();
        })"""
    )


def train(browser, server, seconds: float, name: str = PLAYGROUND, query: str = SPIRAL) -> Training:
    """One page with a live run (the Playground, or a lesson's nnviz.live): loaded through a
    byte-counting relay (what the class's WiFi would carry), trained for `seconds`, paused."""
    proxy = CountingProxy(server.port)
    try:
        page, traffic, _result = load(browser, proxy.url(server.render(name, query)))
        traffic.stop()
        start_training(page, views=len(VIEWS) if name == PLAYGROUND else 1)
        window = Window(page, traffic, server, proxy)
        time.sleep(seconds)  # the measuring window, not a wait for the page
        training = window.end()
        training.paths = page.evaluate("window.__nnvizPaths || {}")
        training.pause = measure_pause(page)
        close(page)
    finally:
        proxy.close()
    return training


def concurrent(browser, server, pages: int, seconds: float):
    """`pages` Playground pages opened at once, then trained together."""
    opened = [open_page(browser) for _ in range(pages)]
    url = server.render(PLAYGROUND, SPIRAL)
    earlier = {process.pid for process in server.kernels()}  # of pages closed before
    for page, _traffic in opened:  # navigate from inside each page: goto would block in turn
        page.evaluate("(url) => { setTimeout(() => { location.href = url; }, 0); }", url)
    times: list[float | None] = [None] * pages
    deadline = time.monotonic() + DEADLINE
    while None in times and time.monotonic() < deadline:
        for index, (page, _traffic) in enumerate(opened):
            if times[index] is None:
                times[index] = interactive(page)
        time.sleep(0.25)
    ready = []
    for (page, traffic), seconds in zip(opened, times, strict=True):
        if seconds is None:
            continue
        try:  # 10 pages drawing at once on 2 cores: the first redraws can take minutes
            start_training(page, steady=False)
        except PlaywrightError as error:
            print(f"a page did not start training: {str(error).splitlines()[0]}")
            continue
        ready.append((page, traffic))
    windows = [Window(page, traffic) for page, traffic in ready]
    rss = []
    time.sleep(seconds / 2)  # half-way through the window: every kernel is training
    for process in server.kernels():
        if process.pid not in earlier:
            with contextlib.suppress(psutil.Error):
                rss.append(process.memory_info().rss)
    time.sleep(seconds / 2)
    trainings = [window.end() for window in windows]
    for page, _traffic in opened:
        close(page)
    return times, trainings, rss


# ---------------------------------------------------------------------------------- printing
def spread(values: list[float], digits: int = 2) -> str:
    """Median and, for several values, their range."""
    middle = statistics.median(values)
    if len(values) == 1:
        return f"{middle:.{digits}f}"
    return f"{middle:.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def row(label: str, result: str, target: str, met: bool | None, reference: str = "") -> None:
    """One line of the table: what, measured, target, met or not, TF Playground's figure."""
    verdict = "" if met is None else ("met" if met else "MISSED")
    print(f"  {label:<34}{result:<28}{target:<12}{verdict:<8}{reference}")


def print_loads(loads: dict[str, Visits], mode: str, margin: float) -> None:
    """Time to interactive against the Button floor, and bytes of first and second visits."""
    floor = statistics.median(r.seconds for r in loads[FLOOR_BUTTON].first)
    for name, visits in loads.items():
        seconds = [r.seconds for r in visits.first]
        over = statistics.median(seconds) - floor
        if name.startswith("floor_"):
            row(f"{name}, {mode}", f"{spread(seconds)} s", "(floor)", None)
            continue
        reference = f"TF {TF_PLAYGROUND['interactive s']:g} s" if name == PLAYGROUND else ""
        row(f"{name}, {mode}", f"{spread(seconds)} s = floor + {over:.2f}",
            f"<= +{margin:g} s", over <= margin, reference)  # fmt: skip
    for name, visits in loads.items():
        total = [r.total / 1e6 for r in visits.first]
        again = [r.total / 1e6 for r in visits.again]
        http = statistics.median(r.http for r in visits.first) / 1e6
        socket = statistics.median(r.socket for r in visits.first) / 1e6
        reference = f"TF {TF_PLAYGROUND['MB']:g} MB" if name == PLAYGROUND else ""
        floor_page = name.startswith("floor_")
        met = None if floor_page else statistics.median(total) <= TARGETS["MB"]
        row(f"{name}, {mode}, first visit", f"{spread(total)} MB",
            "" if floor_page else f"<= {TARGETS['MB']:g} MB", met, reference)  # fmt: skip
        row("", f"  HTTP {http:.2f} + websocket {socket:.2f}", "", None)
        met = None if floor_page else statistics.median(again) <= TARGETS["MB again"]
        row(f"{name}, {mode}, second visit", f"{spread(again)} MB",
            "" if floor_page else f"<= {TARGETS['MB again']:g} MB", met)  # fmt: skip


def print_training(training: Training, playground: bool = True) -> None:
    """Rates seen during one page's training window, and its Pause; the kernel's speed has a
    target on the Playground's spiral setting only."""
    slowest = min(training.refreshes.values())
    for name, rate in training.refreshes.items():
        row(f"redraws/s, view {name}", f"{rate:.1f}", "", None)
    met = slowest >= TARGETS["refreshes/s"]
    row("redraws/s, slowest view", f"{slowest:.1f}", f">= {TARGETS['refreshes/s']:g}", met,
        "TF 37")  # fmt: skip
    epochs = training.epochs_per_second
    reference = f"TF {TF_PLAYGROUND['epochs/s']:g}"
    row("kernel steps/s", f"{training.steps_per_second:.0f}", "", None)
    if playground:
        row("kernel epochs/s", f"{epochs:.1f}", f">= {TARGETS['epochs/s']:g}",
            epochs >= TARGETS["epochs/s"], reference)  # fmt: skip
    else:
        row("kernel epochs/s", f"{epochs:.1f}", "", None)
    payload = training.socket_per_second / 1e3
    if training.wire_per_second is None:
        row("websocket while training (payload)", f"{payload:.0f} KB/s", f"<= {TARGETS['KB/s']:g}",
            payload <= TARGETS["KB/s"])  # fmt: skip
    else:
        wire = training.wire_per_second / 1e3
        row("page <-> server on the wire", f"{wire:.0f} KB/s", f"<= {TARGETS['KB/s']:g}",
            wire <= TARGETS["KB/s"])  # fmt: skip
        row("  (websocket payload, uncompressed)", f"{payload:.0f} KB/s", "", None)
    busy = training.busy
    row("browser main thread in long tasks", f"{busy:.0%} of the time",
        f"< {TARGETS['busy']:.0%}", busy < TARGETS["busy"])  # fmt: skip
    shown = training.pause.get("seconds")
    text = "never" if shown is None else f"{shown:.2f} s"
    frozen = training.pause.get("frozen")
    row(
        "Pause -> page shows paused",
        text + ("" if frozen else ", counters still moved"),
        f"<= {TARGETS['pause s']:g} s",
        shown is not None and shown <= TARGETS["pause s"] and frozen,
    )
    if training.cpu:
        used = ", ".join(f"{name} {cores:.2f}" for name, cores in training.cpu.items())
        print(f"  (cores used while training, of {psutil.cpu_count()}: {used})")
    paths = ", ".join(f"{key} {count}" for key, count in sorted(training.paths.items()))
    print(f"  (front end's slow paths while training: {paths or 'none'})")


def print_concurrent(times: list[float | None], trainings: list[Training], rss: list[int]) -> None:
    """Per page: time to interactive, slowest view's refresh rate, kernel speed; memory."""
    for index, seconds in enumerate(times):
        if seconds is None:
            row(f"page {index + 1}", f"not interactive in {DEADLINE:.0f} s", "", None)
    ready = [t for t in times if t is not None]
    if ready:
        row("time to interactive", f"{spread(ready, 1)} s", "", None)
    if trainings:
        slowest = [min(t.refreshes.values()) for t in trainings]
        row("refreshes/s, slowest view", f"{spread(slowest, 1)} per page", "", None)
        row(
            "kernel steps/s, per page", spread([t.steps_per_second for t in trainings], 0), "", None
        )
        total = sum(t.epochs_per_second for t in trainings)
        row("kernel epochs/s, per page", spread([t.epochs_per_second for t in trainings], 1),
            f"(sum {total:.0f})", None)  # fmt: skip
    if rss:
        row("memory per kernel (RSS)", f"{spread([r / 1e6 for r in rss], 0)} MB", "", None)
        row("memory, all kernels", f"{sum(rss) / 1e9:.2f} GB ({len(rss)} kernels)", "", None)
    row(f"all {len(times)} pages interactive", f"{len(ready)} of {len(times)}", "all",
        len(ready) == len(times))  # fmt: skip


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="page loads per measurement")
    parser.add_argument("--seconds", type=float, default=10.0, help="training window")
    parser.add_argument("--pages", type=int, default=10, help="concurrent pages")
    parser.add_argument("--quick", action="store_true", help="1 round, 3 s, 3 pages")
    parser.add_argument("--all-lessons", action="store_true",
                        help="time every lesson, not only lesson 03")  # fmt: skip
    parser.add_argument("--parts", default="loads,training,concurrent",
                        help="what to measure, of loads,training,concurrent")  # fmt: skip
    parser.add_argument("--voila-option", action="append", default=[], metavar="OPTION",
                        help="extra option for both servers, e.g. "
                        "--voila-option=--VoilaExecutor.iopub_timeout=60")  # fmt: skip
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.rounds, arguments.seconds, arguments.pages = 1, 3.0, 3
    parts = set(arguments.parts.split(","))
    options = arguments.voila_option
    before = os.getloadavg()
    started = time.monotonic()
    lessons = [(LESSON, "")]
    if arguments.all_lessons:
        lessons = [(path.stem, "") for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
                   if path.stem != PLAYGROUND]  # fmt: skip
    pages = [("floor", FLOOR_MARKDOWN, ""), ("floor", FLOOR_BUTTON, ""),
             ("project", PLAYGROUND, SPIRAL), *(("project", n, q) for n, q in lessons)]  # fmt: skip
    floor = write_floor()
    with chromium() as browser:
        chromium_version = f"Chromium {browser.version}"
        if parts & {"loads", "concurrent"}:
            # One after the other: two servers starting kernels at once can pick the same port.
            servers = {"project": VoilaServer(*COLD, *options, log=LOG)}
            servers["floor"] = VoilaServer(*COLD, FLOOR_TEMPLATE, *options, root=floor, log=LOG)
            try:
                if "loads" in parts:
                    cold = page_loads(servers, browser, arguments.rounds, False, pages)
                if "concurrent" in parts:
                    times, trainings, rss = concurrent(
                        browser, servers["project"], arguments.pages, arguments.seconds
                    )
            finally:
                for server in servers.values():
                    server.stop()
        if parts & {"loads", "training"}:
            servers = {"project": VoilaServer(*options, log=LOG)}
            try:
                warmup = wait_quiet(servers["project"], pool_size())
                # Started once the project's pool is full: two servers starting kernels at once
                # can pick the same port for two kernels (one then dies).
                servers["floor"] = VoilaServer(FLOOR_TEMPLATE, *options, root=floor, log=LOG)
                wait_quiet(servers["floor"], pool_size(floor))
                opened = 0
                if "loads" in parts:
                    warm = page_loads(servers, browser, arguments.rounds, True, pages)
                    opened = 2 * arguments.rounds * (len(pages) - 2)
                if "training" in parts:
                    wait_quiet(servers["project"], pool_size() + opened)
                    training = train(browser, servers["project"], arguments.seconds)
                    wait_quiet(servers["project"], pool_size() + opened + 1)
                    lesson_training = train(browser, servers["project"], arguments.seconds,
                                            LESSON, "")  # fmt: skip
            finally:
                for server in servers.values():
                    server.stop()

    print(
        f"Voila {version('voila')}, {chromium_version}, {psutil.cpu_count()} cores; load "
        f"average {before[0]:.2f} before, {os.getloadavg()[0]:.2f} after; "
        f"{arguments.rounds} page loads per row, median (range); "
        f"{time.monotonic() - started:.0f} s in all" + "".join(f"; {o}" for o in options)
    )
    print(f"Playground ?{SPIRAL}: TF Playground's spiral setting; lessons "
          f"{', '.join(name for name, _ in lessons)}")  # fmt: skip
    print(f"  {'':<34}{'measured':<28}{'target':<20}reference")
    if "loads" in parts:
        print("time to interactive (Voila's one-Button page is the floor) and bytes until then")
        print_loads(warm, "preheated", TARGETS["preheated over floor s"])
        print_loads(cold, "cold", TARGETS["cold over floor s"])
    if parts & {"loads", "training"}:
        print(f"  (preheating the project's pool of {pool_size()} kernels took {warmup:.0f} s)")
    if "training" in parts:
        print(f"training for {training.seconds:.1f} s, one Playground page, preheated server")
        print_training(training)
        print(f"training for {lesson_training.seconds:.1f} s, {LESSON}'s live run "
              "(nnviz.live: loss and layers), preheated server")  # fmt: skip
        print_training(lesson_training, playground=False)
    if "concurrent" in parts:
        print(f"{arguments.pages} Playground pages opened at once on one cold server, then all "
              f"trained for {arguments.seconds:g} s")  # fmt: skip
        print_concurrent(times, trainings, rss)


if __name__ == "__main__":
    main()
