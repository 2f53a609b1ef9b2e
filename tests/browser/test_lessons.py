"""Every lesson renders in Voila with the project's config: cells shown, plots drawn, widgets
present, formulas typeset, and no error, traceback or stderr output anywhere on the page.

Pages open one at a time, as a visitor opens them: nine pages at once on a 2-core machine
starve Chromium and the kernels alike (a Playground then never left "Loading widget", which
benchmarks/browser.py's concurrent-pages part measures instead).
"""

from __future__ import annotations

import re
import time

import nbformat
import pytest
from voila_harness import ROOT, offline_page

NOTEBOOKS = ROOT / "notebooks"
LESSONS = sorted(path.stem for path in NOTEBOOKS.glob("*.ipynb"))
TRANSLATED = sorted(path.stem for path in (NOTEBOOKS / "zh").glob("*.ipynb"))
PAGES = LESSONS + [f"zh/{name}" for name in TRANSLATED]  # and the Chinese twins, under zh/
# Plotly figures each lesson draws with data: its chart cells plus the views of its dashboards
# (a Playground's layers and weights views and a live run's layers view stay empty until the
# first probe, so they count only as drawn). A new lesson needs its line here.
PLOTS = {
    "00_start_here": 0,
    "01_playground": 3,  # Playground: network, loss, boundary (+ empty layers, weights)
    "02_forward_propagation": 4,  # activation curves; Playground without layers, weights
    "03_backpropagation": 2,  # live run: loss (+ empty layers); gradient flow
    "04_gradient_descent": 6,  # three charts; Playground without layers, weights
    "05_learning_rate": 4,  # two charts; Playground showing loss and boundary
    "06_optimizers": 6,  # surface, three charts; Playground without layers, weights
    "07_regularization": 4,  # histograms and gaps, boundaries; Playground
    "08_generalization": 6,  # four charts; Playground without layers, weights
    "09_seed_example": 2,  # accuracy and loss; live run: loss (+ empty layers)
    "10_scaling": 4,  # throughput and convergence; Playground
}
RAW_TEX = re.compile(r"\$\$|\\frac|\\\(|\\\[|\$\\[A-Za-z]")
MATH = re.compile(r"\$[^$\n]+\$|\\\(|\\\[")
ERRORS = ("Traceback", "Error displaying widget", "There was an error")
CJK = re.compile(r"[\u4e00-\u9fff]")
RENDER_SECONDS = 300  # a lesson's kernel may still be preheating when its page opens
SETTLE_SECONDS = 30  # once cells and widgets are in, for plots and formulas to be drawn

# The page as the tests see it: read in one evaluate, waited on until complete.
STATE = """() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  return {
    visible: getComputedStyle(document.getElementById('rendered_cells')).display !== 'none',
    plots: plots.length,
    laidOut: plots.filter(p => p._fullLayout && p.querySelector('.main-svg')).length,
    withData: plots.filter(p => p._fullLayout && (p.data || []).length > 0).length,
    loadingWidgets: [...document.querySelectorAll('.jp-OutputArea-output')]
        .filter(o => o.innerText.includes('Loading widget')).length,
    widgets: document.querySelectorAll('.jupyter-widgets').length,
    math: document.querySelectorAll('mjx-container, .jp-RenderedMarkdown math').length,
    mathml: document.querySelectorAll('.jp-RenderedMarkdown math').length,  // made by the server
    stderr: document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]').length,
    errorOutputs: document.querySelectorAll(
        '[data-mime-type="application/vnd.jupyter.error"], .jp-OutputArea-output.jp-mod-error'
    ).length,
    text: document.body.innerText,
  };
}"""


# Two Chinese characters and a code point no font has, drawn in the lessons' text font: without
# a CJK font Chromium draws the same empty box for all three.
GLYPHS = """() => {
  const font = getComputedStyle(document.querySelector('.jp-RenderedMarkdown')).fontFamily;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 40;
  const context = canvas.getContext('2d', {willReadFrequently: true});
  const draw = (character) => {
    context.clearRect(0, 0, 40, 40);
    context.font = `32px ${font}`;
    context.fillText(character, 2, 32);
    const pixels = context.getImageData(0, 0, 40, 40).data;
    let ink = 0;
    for (let i = 3; i < pixels.length; i += 4) ink += pixels[i] > 0;
    return {ink, pixels: pixels.join()};
  };
  const [first, second, missing] = ['前', '播', '\\u{10FFFD}'].map(draw);
  return {font, ink: [first.ink, second.ink], same: first.pixels === second.pixels,
          box: first.pixels === missing.pixels};
}"""


def has_math(name: str) -> bool:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    return any(MATH.search(c.source) for c in notebook.cells if c.cell_type == "markdown")


def complete(state: dict, name: str) -> bool:
    """Everything a finished page shows: what the tests then check one by one."""
    return (
        state["visible"]
        and state["withData"] >= PLOTS[name.removeprefix("zh/")]
        and state["laidOut"] == state["plots"]
        and state["loadingWidgets"] == 0
        and (state["math"] > 0 or not has_math(name))
        and not RAW_TEX.search(state["text"])
    )


def test_every_lesson_has_an_expected_plot_count():
    assert set(PLOTS) == set(LESSONS), "PLOTS must list exactly the notebooks in notebooks/"


@pytest.fixture
def lesson_page(voila, browser, request):
    """The lesson's page, opened; with the console's errors, for failure messages."""
    page, errors = offline_page(browser), []
    page.on("console", lambda m, e=errors: m.type == "error" and e.append(m.text[:200]))
    page.on("pageerror", lambda error, e=errors: e.append(str(error)[:200]))
    page.goto(voila.render(request.param), wait_until="commit", timeout=RENDER_SECONDS * 1000)
    yield page, errors
    page.context.close()


@pytest.mark.parametrize(("lesson_page", "name"), [(n, n) for n in PAGES], indirect=["lesson_page"])
def test_lesson_renders(lesson_page, name):
    page, errors = lesson_page
    page.wait_for_load_state("load", timeout=RENDER_SECONDS * 1000)
    deadline = time.monotonic() + RENDER_SECONDS
    state = page.evaluate(STATE)
    while not complete(state, name) and time.monotonic() < deadline:
        if state["visible"] and state["loadingWidgets"] == 0:  # all in: the rest is drawing
            deadline = min(deadline, time.monotonic() + SETTLE_SECONDS)
        page.wait_for_timeout(250)
        state = page.evaluate(STATE)
    text = state.pop("text")
    assert state["visible"], f"#rendered_cells still hidden: {state}"
    assert state["laidOut"] == state["plots"], f"plots not drawn by plotly: {state}"
    plots = PLOTS[name.removeprefix("zh/")]
    assert state["withData"] >= plots, f"{plots} plots with data expected: {state}"
    if not name.endswith("00_start_here"):
        assert state["widgets"] > 0, f"no widgets on the page: {state}"
    assert state["loadingWidgets"] == 0, f"widgets still loading: {state}; console: {errors}"
    assert state["stderr"] == 0 and state["errorOutputs"] == 0, f"error output: {state}"
    shown = [error for error in ERRORS if error in text]
    assert not shown, f"{shown} on the page"
    raw = RAW_TEX.findall(text)
    assert not raw, f"formulas left untypeset: {raw[:5]}"
    if has_math(name):
        # nnviz's template sends the formulas as MathML (nnviz.mathml); MathJax takes the rest.
        assert state["mathml"] > 0, "the lesson has formulas but none came as MathML"
    if name.startswith("zh/"):
        assert len(CJK.findall(text)) > 100, "the Chinese lesson shows little Chinese text"
        glyphs = page.evaluate(GLYPHS)
        assert min(glyphs["ink"]) > 0 and not glyphs["same"] and not glyphs["box"], (
            f"Chinese characters are not drawn as characters (a CJK font missing?): {glyphs}"
        )


def test_voila_lists_the_chinese_lessons_under_tree_zh(voila, browser):
    page = offline_page(browser)
    try:
        page.goto(f"{voila.url}/voila/tree/zh", timeout=RENDER_SECONDS * 1000)
        links = page.eval_on_selector_all(
            "a[href*='/voila/render/zh/']", "as => as.map(a => a.href)"
        )
    finally:
        page.context.close()
    assert (
        sorted({link.split("?")[0].rsplit("/", 1)[-1].removesuffix(".ipynb") for link in links})
        == TRANSLATED
    )
