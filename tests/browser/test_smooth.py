"""What a student sees while the Playground trains, read in the page: every view redraws (its
data-draws counter grows), the neuron's equations stay typeset, Pause freezes the page, the
layout holds at desktop sizes for any network, and every view draws on every load.

Behaviour only: how fast the page redraws is measured by benchmarks/browser.py, not here.
"""

from __future__ import annotations

import re
import time
import unicodedata

import pytest
from voila_harness import offline_page

PLAYGROUND, LESSON = "01_playground", "03_backpropagation"
SPIRAL = "dataset=spiral&hidden=8,8&activation=tanh&batch_size=10"
VIEWS = ("network", "loss", "boundary", "layers", "weights")
LOADS = 20  # page loads per dashboard in the no-blank-plots test
# Each view's completed redraws, as nnviz's front end counts them.
DRAWS = """() => Object.fromEntries([...document.querySelectorAll('[class*="nnviz-view-"]')]
  .map((el) => [[...el.classList].find((c) => c.startsWith('nnviz-view-')).slice(11),
                Number(el.dataset.draws || 0)]))"""
RAW_TEX = re.compile(r"\\(begin|frac|textbf|partial|sum|delta|sigma)\b|\$\$")
PANEL = """() => {
  const panel = document.querySelector('.nnviz-view-network .widget-html-content');
  return {
    text: panel ? panel.innerText : '',
    math: panel ? panel.querySelectorAll('math').length : 0,
    errors: document.querySelectorAll('mjx-merror, .MathJax_Error, merror').length,
  };
}"""


def open_page(browser, voila, notebook: str, query: str = "", width=1400, height=1000):
    page = offline_page(browser, width=width, height=height)
    page.goto(voila.render(notebook, query))
    page.wait_for_function(
        "() => { const b = document.querySelector('.nnviz-play');"
        " return b && !b.disabled && document.querySelectorAll('.nnviz-figure').length > 0; }",
        timeout=300_000,
    )
    return page


def wait_all_drawn(page, names, more_than: dict | None = None, timeout: float = 120_000):
    """Wait until each view in `names` has drawn (more times than in `more_than`)."""
    before = more_than or {}
    page.wait_for_function(
        f"(() => {{ const now = ({DRAWS})(); const names = {list(names)!r};"
        f" const before = {before!r};"
        " return names.every((n) => (now[n] || 0) > (before[n] || 0)); })()",
        timeout=timeout,
    )
    return page.evaluate(DRAWS)


@pytest.fixture
def playground(browser, voila):
    page = open_page(browser, voila, PLAYGROUND, SPIRAL)
    yield page
    page.context.close()


def test_every_view_redraws_while_training_and_the_equations_stay_typeset(playground):
    page = playground
    start = wait_all_drawn(page, VIEWS)
    page.click(".nnviz-play")
    seen = []
    for _ in range(3):  # a few rounds of redraws of every view, reading the panel meanwhile
        start = wait_all_drawn(page, VIEWS, start)
        seen.append(page.evaluate(PANEL))
        time.sleep(0.3)
    assert "Pause" in page.inner_text(".nnviz-play")
    for panel in seen:
        assert panel["math"] >= 1, f"the equations are not typeset: {panel['text'][:200]!r}"
        assert not RAW_TEX.search(panel["text"]), f"TeX source shown: {panel['text'][:200]!r}"
        assert panel["errors"] == 0 and "Error" not in panel["text"]
        # MathML draws symbols in mathematical italic (𝛿): compare in NFKC form.
        text = unicodedata.normalize("NFKC", panel["text"])
        assert "Forward" in text and "δ" in text and "Backward" in text, text[:300]
    page.click(".nnviz-play")
    page.wait_for_function("/paused/.test(document.querySelector('.nnviz-status').innerText)")
    frozen = page.inner_text(".nnviz-counters")
    time.sleep(1.0)
    assert page.inner_text(".nnviz-counters") == frozen, "counters moved after Pause"
    assert page.evaluate(PANEL)["math"] >= 1


def test_the_live_histograms_of_lesson_03_redraw_while_training(browser, voila):
    page = open_page(browser, voila, LESSON)
    try:
        names = [n for n in page.evaluate(DRAWS) if n in ("loss", "layers")]
        assert names, "lesson 03 shows no live view"
        before = page.evaluate(DRAWS)
        page.click(".nnviz-play")
        after = wait_all_drawn(page, names, before)
        after = wait_all_drawn(page, names, after)  # and again: it keeps redrawing
        page.click(".nnviz-play")
        assert all(after[n] >= before[n] + 2 for n in names)
    finally:
        page.context.close()


# ---------------------------------------------------------------------------- layout
BOXES = """() => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  const playground = document.querySelector('.nnviz-playground');
  const columns = [...playground.children].find((c) => c.querySelector('.nnviz-view-network'));
  const cut = [...playground.querySelectorAll('.widget-label, .widget-readout, h4, button')]
    .filter((el) => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1)
    .map((el) => el.innerText);
  return {
    columns: [...columns.children].map(box),
    views: Object.fromEntries(['network', 'loss', 'boundary'].map((name) =>
      [name, box(document.querySelector(`.nnviz-view-${name}`))])),
    plots: [...document.querySelectorAll('.nnviz-view-network .main-svg')].map(box),
    scrollWidth: document.documentElement.scrollWidth,
    width: window.innerWidth,
    cut,
  };
}"""


def overlap(a: dict, b: dict) -> float:
    """Area two boxes share."""
    width = min(a["right"], b["right"]) - max(a["left"], b["left"])
    height = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return max(width, 0) * max(height, 0)


@pytest.mark.parametrize(
    ("size", "hidden"),
    [
        ((1280, 800), ""),
        ((1400, 1000), "8,8"),
        ((1280, 800), "8,8,8,8,8,8"),
        ((1920, 1080), "8,8,8,8,8,8"),
    ],
)
def test_the_layout_holds_for_any_network(browser, voila, size, hidden, tmp_path):
    width, height = size
    query = f"dataset=spiral&hidden={hidden or 'none'}"
    page = open_page(browser, voila, PLAYGROUND, query, width=width, height=height)
    try:
        wait_all_drawn(page, ("network", "loss", "boundary"))
        page.screenshot(path=str(tmp_path / f"playground-{width}-{hidden or 0}.png"))
        boxes = page.evaluate(BOXES)
        assert boxes["scrollWidth"] <= boxes["width"] + 1, "the page scrolls sideways"
        columns = boxes["columns"]
        assert len(columns) == 3
        for column in columns:
            assert column["right"] <= width + 1, f"a column leaves the window: {column}"
        for first in range(3):
            for second in range(first + 1, 3):
                assert overlap(columns[first], columns[second]) == 0, "columns overlap"
        views = boxes["views"]
        assert overlap(views["network"], views["loss"]) == 0
        assert overlap(views["network"], views["boundary"]) == 0
        network = views["network"]
        for svg in boxes["plots"]:  # the graph scales to its column
            assert svg["right"] <= network["right"] + 1
        assert not boxes["cut"], f"controls cut: {boxes['cut']}"
    finally:
        page.context.close()


# ---------------------------------------------------------------------------- no blank plots
@pytest.mark.parametrize(("notebook", "query"), [(PLAYGROUND, SPIRAL), (LESSON, "")])
def test_every_view_draws_on_every_load(browser, voila, notebook, query):
    for load in range(LOADS):
        page = open_page(browser, voila, notebook, query)
        try:
            names = list(page.evaluate(DRAWS))
            assert names, f"load {load + 1}: no views on the page"
            drawn = wait_all_drawn(page, names, timeout=60_000)
            assert all(drawn[name] >= 1 for name in names), f"load {load + 1}: {drawn}"
        finally:
            page.context.close()
