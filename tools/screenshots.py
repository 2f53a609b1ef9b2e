"""Screenshots for the README: the Playground after some training, and two lessons.

    .venv/bin/python tools/screenshots.py          # writes docs/img/*.png (not run by the tests)

Serves notebooks/ with Voila (the project's voila.json, without preheating: three pages do not
need nine lessons run ahead of time), opens each page in headless Chromium 1400 px wide, trains
where there is a Play button until the pictures show learning, pauses, waits until every plot
has drawn its last update, and saves a PNG of at most MAX_BYTES (a shorter clip if needed).
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from voila_harness import ROOT, VoilaServer, chromium, offline_page

OUT = ROOT / "docs" / "img"
WIDTH = 1400
MAX_BYTES = 300_000  # per PNG: kept in git and loaded by every README view
DEADLINE = 300.0  # seconds for a page to render, to train, or to settle


@dataclass(frozen=True)
class Shot:
    """One picture: a page, how long to train it, and where the picture starts."""

    file: str
    notebook: str
    query: str = ""
    epochs: int = 0  # train until the counters show this many epochs (0: no training)
    heading: str = ""  # start at the heading that contains this text ("" : the top)
    height: int = 1600  # the tallest clip, in CSS pixels


SHOTS = (
    Shot("playground.png", "01_playground", "dataset=spiral&hidden=8,8&lr=0.03", epochs=400),
    Shot(
        "03_backpropagation.png",
        "03_backpropagation",
        epochs=150,
        heading="The errors during training",
        height=1100,
    ),
    Shot("04_gradient_descent.png", "04_gradient_descent", heading="Three ways", height=1100),
)

# Counts redraws of every plot, so that "settled" can be seen.
COUNT_DRAWS = """
() => {
  window.__shotDraws = 0;
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    gd.on('plotly_afterplot', () => { window.__shotDraws += 1; });
  }
}
"""
PLOTS_DRAWN = """
() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  return plots.length > 0 && plots.every((gd) => !!gd._fullLayout);
}
"""
# Voila's lab template scrolls an inner element, not the document: find it.
SCROLLER = """
() => [...document.querySelectorAll('*')]
  .filter((e) => e.scrollHeight > e.clientHeight + 10)
  .filter((e) => getComputedStyle(e).overflowY !== 'visible')
  .sort((a, b) => b.scrollHeight - a.scrollHeight)[0] || document.scrollingElement
"""
EPOCH = re.compile(r"epoch\s+([\d,]+)")


def wait_until(condition, what: str, deadline: float = DEADLINE) -> None:
    """Poll `condition()` until it is true; raise after `deadline` seconds."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError(f"{what} did not happen within {deadline:.0f} s")
        time.sleep(0.2)


def rendered(page: object) -> None:
    """Wait until the widgets are on the page, every plot is drawn and the math is typeset."""
    page.wait_for_selector(".jupyter-widgets", timeout=DEADLINE * 1000)
    page.wait_for_function(PLOTS_DRAWN, timeout=DEADLINE * 1000)
    page.wait_for_function(
        "document.querySelectorAll('mjx-container').length > 0", timeout=DEADLINE * 1000
    )


def train(page: object, epochs: int) -> None:
    """Press Play, wait for `epochs` epochs on the counters, press Pause."""

    def epoch() -> int:
        match = EPOCH.search(page.inner_text(".nnviz-counters"))
        return int(match.group(1).replace(",", "")) if match else 0

    page.click(".nnviz-play")
    wait_until(lambda: epoch() >= epochs, f"{epochs} epochs of training")
    page.click(".nnviz-play")
    page.wait_for_function(
        "/paused/.test(document.querySelector('.nnviz-status').innerText)",
        timeout=DEADLINE * 1000,
    )


def settle(page: object, quiet: float = 1.5) -> None:
    """Wait until no plot has redrawn for `quiet` seconds (the last update has arrived)."""
    page.evaluate(COUNT_DRAWS)
    state = {"draws": -1, "since": time.monotonic()}

    def calm() -> bool:
        draws = page.evaluate("window.__shotDraws")
        if draws != state["draws"]:
            state["draws"], state["since"] = draws, time.monotonic()
        return time.monotonic() - state["since"] >= quiet

    wait_until(calm, "the plots settling")


def capture(page: object, shot: Shot) -> bytes:
    """The picture: from the top (or the heading) down, as tall as the page or shot.height,
    shortened until the PNG fits MAX_BYTES."""
    scroller = page.evaluate_handle(SCROLLER)
    top = 0
    if shot.heading:
        top = page.evaluate(
            """([scroller, text]) => {
              const heading = [...document.querySelectorAll('h1, h2, h3')]
                .find((h) => h.textContent.includes(text));
              if (!heading) throw new Error(`no heading with ${text}`);
              return heading.getBoundingClientRect().top - scroller.getBoundingClientRect().top
                + scroller.scrollTop - 10;
            }""",
            [scroller, shot.heading],
        )
    total = page.evaluate("(scroller) => scroller.scrollHeight", scroller)
    height = int(min(shot.height, total - top))
    # A viewport as tall as the clip: the inner scroller then shows all of it at once.
    while True:
        page.set_viewport_size({"width": WIDTH, "height": height})
        page.evaluate("([scroller, top]) => { scroller.scrollTop = top; }", [scroller, top])
        settle(page, quiet=0.5)  # plotly relayouts the plots for the new size
        image = page.screenshot(type="png")
        if len(image) <= MAX_BYTES or height <= 600:
            return image
        height = int(height * 0.85)


def main() -> None:
    """Write every picture in SHOTS to docs/img/."""
    OUT.mkdir(parents=True, exist_ok=True)
    server = VoilaServer(
        "--VoilaConfiguration.preheat_kernel=False", log=ROOT / ".voila-screenshots.log"
    )
    try:
        with chromium() as browser:
            for shot in SHOTS:
                page = offline_page(browser, width=WIDTH, height=1000)
                page.goto(server.render(shot.notebook, shot.query), wait_until="commit")
                rendered(page)
                if shot.epochs:
                    train(page, shot.epochs)
                settle(page)
                image = capture(page, shot)
                (OUT / shot.file).write_bytes(image)
                print(f"{OUT / shot.file}: {len(image) / 1e3:.0f} KB")
                page.context.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
